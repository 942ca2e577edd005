//! The preloaded holder-key store that workflow code signs proofs with.
//!
//! Workflow code must never wait on I/O, so workers load the holder keys
//! they serve before they start, and the workflow interceptor looks keys
//! up by the id that travels in `x-warrant-key-id` (the private key itself
//! never travels). Sources: [`KeyStore::from_env`] reads `WARRANT_KEY_<ID>`
//! now; the resolvers of `warrants-keys` (file, Vault/OpenBao, KMS) will
//! fill the same store.
//!
//! Key id → variable name: ASCII letters are upper-cased and every other
//! character that is not an ASCII letter or digit becomes `_`, so `agent-7`
//! and `agent_7` both read `WARRANT_KEY_AGENT_7`. The value is the 32-byte
//! Ed25519 seed in base64url or standard base64 (padding optional).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use warrants::SigningKey;
use zeroize::Zeroizing;

/// Prefix of the environment variables holding seeds.
pub const ENV_PREFIX: &str = "WARRANT_KEY_";

/// Why a key could not be loaded. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyStoreError {
    /// The key id is empty.
    #[error("empty key id")]
    EmptyId,
    /// The variable is not set.
    #[error("{var} is not set")]
    Missing {
        /// The variable name.
        var: String,
    },
    /// The variable does not hold a base64 32-byte seed.
    #[error("{var} is not a base64 or base64url 32-byte seed")]
    Invalid {
        /// The variable name.
        var: String,
    },
}

impl KeyStoreError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyId => "KEYSTORE_EMPTY_ID",
            Self::Missing { .. } => "KEYSTORE_MISSING",
            Self::Invalid { .. } => "KEYSTORE_INVALID",
        }
    }
}

/// Holder keys by key id, loaded before workers start.
#[derive(Default, Clone)]
pub struct KeyStore {
    keys: HashMap<String, Arc<SigningKey>>,
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) a key.
    pub fn insert(&mut self, key_id: impl Into<String>, key: SigningKey) {
        self.keys.insert(key_id.into(), Arc::new(key));
    }

    /// The key for `key_id`, if loaded.
    pub fn get(&self, key_id: &str) -> Option<Arc<SigningKey>> {
        self.keys.get(key_id).cloned()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Load every id from the process environment (`WARRANT_KEY_<ID>`).
    pub fn from_env<'a>(key_ids: impl IntoIterator<Item = &'a str>) -> Result<Self, KeyStoreError> {
        Self::from_vars(key_ids, |var| std::env::var(var).ok())
    }

    /// Load every id through `lookup(variable name)`; all or nothing.
    pub fn from_vars<'a>(
        key_ids: impl IntoIterator<Item = &'a str>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, KeyStoreError> {
        let mut store = Self::new();
        for id in key_ids {
            let var = env_var_name(id)?;
            let value = Zeroizing::new(
                lookup(&var).ok_or_else(|| KeyStoreError::Missing { var: var.clone() })?,
            );
            let key = parse_seed(&value).ok_or(KeyStoreError::Invalid { var })?;
            store.insert(id, key);
        }
        Ok(store)
    }
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("KeyStore").field("key_ids", &ids).finish()
    }
}

/// The environment variable that holds the seed of `key_id`.
pub fn env_var_name(key_id: &str) -> Result<String, KeyStoreError> {
    if key_id.is_empty() {
        return Err(KeyStoreError::EmptyId);
    }
    let norm: String = key_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    Ok(format!("{ENV_PREFIX}{norm}"))
}

const fn engine(alphabet: &'static base64::alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

const URL_SAFE: GeneralPurpose = engine(&base64::alphabet::URL_SAFE);
const STANDARD: GeneralPurpose = engine(&base64::alphabet::STANDARD);

fn parse_seed(text: &str) -> Option<SigningKey> {
    let text = text.trim();
    let bytes = Zeroizing::new(
        URL_SAFE
            .decode(text)
            .or_else(|_| STANDARD.decode(text))
            .ok()?,
    );
    SigningKey::from_seed_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_b64url(n: u8) -> String {
        warrants::keys::to_base64url(&[n; 32])
    }

    #[test]
    fn names_are_normalized() {
        assert_eq!(env_var_name("agent-7").unwrap(), "WARRANT_KEY_AGENT_7");
        assert_eq!(env_var_name("Agent.7").unwrap(), "WARRANT_KEY_AGENT_7");
        assert_eq!(env_var_name("é").unwrap(), "WARRANT_KEY__");
        assert_eq!(env_var_name(""), Err(KeyStoreError::EmptyId));
    }

    #[test]
    fn loads_base64url_and_standard_base64() {
        // [0xfb; 32] encodes with '-'/'_' in base64url and '+'/'/' in base64.
        let std_b64 = base64::engine::general_purpose::STANDARD.encode([0xfb; 32]);
        assert!(std_b64.contains('+') || std_b64.contains('/'));
        let vars = HashMap::from([
            ("WARRANT_KEY_A".to_string(), seed_b64url(1)),
            ("WARRANT_KEY_B".to_string(), format!("  {std_b64}\n")),
        ]);
        let store = KeyStore::from_vars(["a", "b"], |v| vars.get(v).cloned()).unwrap();
        assert_eq!(store.len(), 2);
        assert_eq!(
            store.get("a").unwrap().public_key(),
            SigningKey::from_seed(&[1; 32]).public_key()
        );
        assert_eq!(
            store.get("b").unwrap().public_key(),
            SigningKey::from_seed(&[0xfb; 32]).public_key()
        );
        assert!(store.get("c").is_none());
    }

    #[test]
    fn errors_name_the_variable_never_the_value() {
        let secret = "not-a-seed-SECRET";
        let vars = HashMap::from([("WARRANT_KEY_X".to_string(), secret.to_string())]);
        let e = KeyStore::from_vars(["x"], |v| vars.get(v).cloned()).unwrap_err();
        assert_eq!(
            e,
            KeyStoreError::Invalid {
                var: "WARRANT_KEY_X".into()
            }
        );
        assert!(!e.to_string().contains(secret));
        assert_eq!(e.code(), "KEYSTORE_INVALID");
        let e = KeyStore::from_vars(["y"], |_| None).unwrap_err();
        assert_eq!(e.to_string(), "WARRANT_KEY_Y is not set");
        // A 31-byte seed is refused.
        let short = warrants::keys::to_base64url(&[1; 31]);
        assert!(KeyStore::from_vars(["z"], |_| Some(short.clone())).is_err());
    }

    #[test]
    fn reads_the_process_environment() {
        // A variable no other test touches.
        let id = format!("envtest-{}", std::process::id());
        let var = env_var_name(&id).unwrap();
        std::env::set_var(&var, seed_b64url(9));
        let store = KeyStore::from_env([id.as_str()]).unwrap();
        std::env::remove_var(&var);
        assert_eq!(
            store.get(&id).unwrap().public_key(),
            SigningKey::from_seed(&[9; 32]).public_key()
        );
    }

    #[test]
    fn debug_lists_ids_only() {
        let mut s = KeyStore::new();
        s.insert("k1", SigningKey::from_seed(&[3; 32]));
        let d = format!("{s:?}");
        assert_eq!(d, r#"KeyStore { key_ids: ["k1"] }"#);
    }
}
