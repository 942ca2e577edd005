//! Keys from environment variables: `WARRANT_KEY_<ID>`.
//!
//! The id maps to the variable name by [`crate::env_var_name`]; the value
//! is the 32-byte seed in base64url or standard base64. Good for
//! development and for platforms that inject secrets as variables;
//! production keys belong in a vault.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use warrants::SigningKey;
use zeroize::Zeroizing;

use crate::seed::parse_seed_text;
use crate::{env_var_name, Error, KeyResolver};

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Resolves `WARRANT_KEY_<ID>` from the process environment or a lookup
/// function (for tests and for maps of injected secrets).
pub struct EnvResolver {
    lookup: Box<Lookup>,
}

impl EnvResolver {
    /// Read the process environment at resolve time.
    pub fn new() -> Self {
        Self {
            lookup: Box::new(|var| std::env::var(var).ok()),
        }
    }

    /// Read variables through `lookup(name)`.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self {
            lookup: Box::new(lookup),
        }
    }

    /// Read variables from a map (values are moved in; they are not
    /// zeroized when the map drops, so prefer this for tests).
    pub fn from_map(vars: HashMap<String, String>) -> Self {
        Self::with_lookup(move |v| vars.get(v).cloned())
    }

    /// The key for `key_id`, synchronously.
    pub fn resolve_now(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
        let var = env_var_name(key_id)?;
        let value = Zeroizing::new((self.lookup)(&var).ok_or_else(|| Error::NotFound {
            key_id: key_id.to_string(),
            source_name: format!("env {var}"),
        })?);
        parse_seed_text(&value)
            .map(Arc::new)
            .map_err(|reason| Error::Malformed {
                key_id: key_id.to_string(),
                location: format!("env {var}"),
                reason,
            })
    }
}

impl Default for EnvResolver {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for EnvResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvResolver").finish_non_exhaustive()
    }
}

#[async_trait]
impl KeyResolver for EnvResolver {
    fn name(&self) -> &str {
        "env"
    }

    async fn resolve(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
        self.resolve_now(key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{STANDARD, URL_SAFE};
    use base64::Engine;

    fn vars() -> EnvResolver {
        EnvResolver::from_map(HashMap::from([
            ("WARRANT_KEY_AGENT_7".into(), URL_SAFE.encode([7; 32])),
            ("WARRANT_KEY_STD".into(), STANDARD.encode([0xfb; 32])),
            ("WARRANT_KEY_BAD".into(), "SECRET-not-base64!".into()),
        ]))
    }

    #[tokio::test]
    async fn resolves_normalized_names() {
        let r = vars();
        let want = SigningKey::from_seed(&[7; 32]).public_key();
        for id in ["agent-7", "agent_7", "Agent.7"] {
            assert_eq!(r.resolve(id).await.unwrap().public_key(), want);
        }
        assert_eq!(
            r.resolve("std").await.unwrap().public_key(),
            SigningKey::from_seed(&[0xfb; 32]).public_key()
        );
    }

    #[tokio::test]
    async fn missing_malformed_invalid() {
        let r = vars();
        let e = r.resolve("nobody").await.unwrap_err();
        assert_eq!(e.code(), "KEY_NOT_FOUND");
        assert_eq!(
            e.to_string(),
            "key \"nobody\" not found in env WARRANT_KEY_NOBODY"
        );
        let e = r.resolve("bad").await.unwrap_err();
        assert_eq!(e.code(), "KEY_MALFORMED");
        assert!(e.to_string().contains("WARRANT_KEY_BAD"));
        assert!(!e.to_string().contains("SECRET"));
        assert_eq!(
            r.resolve("../x").await.unwrap_err().code(),
            "KEY_ID_INVALID"
        );
    }

    #[tokio::test]
    async fn reads_the_process_environment() {
        let id = format!("envres-{}", std::process::id());
        let var = env_var_name(&id).unwrap();
        std::env::set_var(&var, URL_SAFE.encode([9; 32]));
        let k = EnvResolver::new().resolve(&id).await;
        std::env::remove_var(&var);
        assert_eq!(
            k.unwrap().public_key(),
            SigningKey::from_seed(&[9; 32]).public_key()
        );
    }
}
