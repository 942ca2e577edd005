//! The preloaded holder-key store that workflow code signs proofs with.
//!
//! Workflow code must never wait on I/O, so workers load the holder keys
//! they serve before they start, and the workflow interceptor looks keys
//! up by the id that travels in `x-warrant-key-id` (the private key itself
//! never travels). Sources: [`KeyStore::from_env`] reads `WARRANT_KEY_<ID>`;
//! [`KeyStore::from_cache`] serves a preloaded
//! [`warrants_keys::CachingResolver`] (file, Vault/OpenBao, KMS, composite;
//! see [`crate::env`] for the one-call setup from `WARRANT_*` variables).
//!
//! Key id → variable name: see [`warrants_keys::env_var_name`] (`agent-7`,
//! `agent_7` and `Agent.7` all read `WARRANT_KEY_AGENT_7`). The value is
//! the 32-byte Ed25519 seed in base64url or standard base64 (padding
//! optional).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use warrants::SigningKey;
use warrants_keys::{CachingResolver, KeyResolver};
use zeroize::Zeroizing;

pub use warrants_keys::ENV_PREFIX;

/// Why a key could not be loaded. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyStoreError {
    /// The key id is not acceptable (see [`warrants_keys::check_key_id`]).
    #[error("invalid key id {id:?}")]
    InvalidId {
        /// The id.
        id: String,
    },
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
            Self::InvalidId { .. } => "KEYSTORE_INVALID_ID",
            Self::Missing { .. } => "KEYSTORE_MISSING",
            Self::Invalid { .. } => "KEYSTORE_INVALID",
        }
    }
}

type Live = dyn Fn(&str) -> Option<Arc<SigningKey>> + Send + Sync;

/// Holder keys by key id, loaded before workers start.
#[derive(Default, Clone)]
pub struct KeyStore {
    keys: HashMap<String, Arc<SigningKey>>,
    live: Option<Arc<Live>>,
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) a key.
    pub fn insert(&mut self, key_id: impl Into<String>, key: impl Into<Arc<SigningKey>>) {
        self.keys.insert(key_id.into(), key.into());
    }

    /// The key for `key_id`: an inserted key, else the cache's current key
    /// (no I/O either way).
    pub fn get(&self, key_id: &str) -> Option<Arc<SigningKey>> {
        self.keys
            .get(key_id)
            .cloned()
            .or_else(|| self.live.as_ref().and_then(|f| f(key_id)))
    }

    /// A store that serves whatever `cache` holds now, without I/O: keys
    /// preloaded into it, refreshed by its refresher, and gone once the
    /// refresher finds them deleted at the source.
    pub fn from_cache<R: KeyResolver + 'static>(cache: Arc<CachingResolver<R>>) -> Self {
        Self {
            keys: HashMap::new(),
            live: Some(Arc::new(move |id: &str| cache.cached(id))),
        }
    }

    /// Number of inserted keys (keys served from a cache are not counted).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key was inserted and no cache is attached.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.live.is_none()
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
            let key = warrants_keys::signing_key_from_text(&value)
                .map_err(|_| KeyStoreError::Invalid { var })?;
            store.insert(id, key);
        }
        Ok(store)
    }
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        let mut d = f.debug_struct("KeyStore");
        d.field("key_ids", &ids);
        if self.live.is_some() {
            d.field("cache", &true);
        }
        d.finish()
    }
}

/// The environment variable that holds the seed of `key_id`.
pub fn env_var_name(key_id: &str) -> Result<String, KeyStoreError> {
    warrants_keys::env_var_name(key_id).map_err(|_| KeyStoreError::InvalidId {
        id: key_id.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::Engine;

    fn seed_b64url(n: u8) -> String {
        warrants::keys::to_base64url(&[n; 32])
    }

    #[test]
    fn names_are_normalized() {
        assert_eq!(env_var_name("agent-7").unwrap(), "WARRANT_KEY_AGENT_7");
        assert_eq!(env_var_name("Agent.7").unwrap(), "WARRANT_KEY_AGENT_7");
        assert_eq!(
            env_var_name(""),
            Err(KeyStoreError::InvalidId { id: String::new() })
        );
        assert!(env_var_name("../x").is_err());
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
