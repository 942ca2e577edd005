//! One-call configuration from `WARRANT_*` environment variables.
//!
//! Worker: [`worker_builder_from_env`] reads the variables below and the key
//! settings of [`warrants_keys::settings`] (`WARRANT_KEYS_FROM`,
//! `WARRANT_KEYS_PRELOAD`, the Vault/OpenBao and KMS variables), resolves
//! and caches the preloaded holder keys, and returns a
//! [`WarrantsConfigBuilder`] with roots, mode, windows, depth, keys and
//! revocation list set; add the activity registry and build:
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use warrants_temporal::{env, ActivityRegistry};
//! let warrants = env::worker_builder_from_env()
//!     .await?
//!     .activities(ActivityRegistry::new() /* .protect(...) */)
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! Client: [`client_headers_from_env`] reads the chain and key id.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `WARRANT_TRUSTED_ROOTS` | root public keys (base64url), comma separated | required |
//! | `WARRANT_MODE` | `enforce` or `audit` | `enforce` |
//! | `WARRANT_REQUIRE` | `true`: a workflow without a warrant fails at start | `true` |
//! | `WARRANT_POP_WINDOW` | how old a proof may be (duration) | `300s` |
//! | `WARRANT_POP_FUTURE` | how far in the future a proof may be | `30s` |
//! | `WARRANT_MAX_CHAIN_DEPTH` | most links in a chain, 1..=64 | `16` |
//! | `WARRANT_CLOCK_SKEW` | skew allowed on expiry/not-before | `30s` |
//! | `WARRANT_REVOCATION_FILE` | signed revocation list (binary or base64url) | none |
//! | `WARRANT_CHAIN` / `WARRANT_CHAIN_FILE` | client: the chain (base64url, or a file of binary or base64url) | |
//! | `WARRANT_KEY_ID` | client: the holder key id sent with the chain | |
//!
//! Every bad value is an [`EnvError`] naming the variable.

use std::sync::Arc;

use warrants::{Chain, PublicKey, RevocationList};
use warrants_keys::settings::{parse_duration, parse_list, parse_uint, KeySettings};

use crate::config::{Mode, WarrantsConfigBuilder};
use crate::{KeyStore, WarrantHeaders, Warrants};

/// Why the environment does not describe a usable configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvError {
    /// A variable is missing or has a bad value.
    #[error("{var}: {reason}")]
    Invalid {
        /// The variable.
        var: String,
        /// What is wrong (never a secret value).
        reason: String,
    },
    /// Key settings or key resolution failed.
    #[error(transparent)]
    Keys(#[from] warrants_keys::Error),
}

impl EnvError {
    /// Stable machine code: `ENV_INVALID`, or the key error's code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "ENV_INVALID",
            Self::Keys(e) => e.code(),
        }
    }

    fn invalid(var: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            var: var.to_string(),
            reason: reason.into(),
        }
    }
}

fn get(lookup: &dyn Fn(&str) -> Option<String>, var: &str) -> Option<String> {
    lookup(var).filter(|v| !v.trim().is_empty())
}

fn secs(var: &str, v: &str) -> Result<u64, EnvError> {
    Ok(parse_duration(var, v)?.as_secs())
}

/// The worker settings read from the environment (no I/O done yet).
#[derive(Debug, Clone)]
pub struct WorkerEnv {
    /// Trusted root keys.
    pub roots: Vec<PublicKey>,
    /// Enforce or audit.
    pub mode: Mode,
    /// Whether a warrant is required.
    pub require: bool,
    /// Proof window: seconds before and after the scheduled time.
    pub pop_window: (u64, u64),
    /// Most chain links, if set.
    pub max_chain_links: Option<usize>,
    /// Clock skew, if set.
    pub clock_skew: Option<u64>,
    /// A revocation list, if set.
    pub revocation: Option<RevocationList>,
    /// Key sources and preload list.
    pub keys: KeySettings,
}

impl WorkerEnv {
    /// Read the process environment.
    pub fn from_env() -> Result<Self, EnvError> {
        Self::from_lookup(&|v| std::env::var(v).ok())
    }

    /// Read variables through `lookup`.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, EnvError> {
        const ROOTS: &str = "WARRANT_TRUSTED_ROOTS";
        let roots_text = get(lookup, ROOTS)
            .ok_or_else(|| EnvError::invalid(ROOTS, "not set (nothing could ever verify)"))?;
        let mut roots = Vec::new();
        for (i, item) in parse_list(&roots_text).iter().enumerate() {
            roots.push(PublicKey::from_base64url(item).map_err(|e| {
                EnvError::invalid(
                    ROOTS,
                    format!("item {}: not an Ed25519 public key ({e})", i + 1),
                )
            })?);
        }
        if roots.is_empty() {
            return Err(EnvError::invalid(ROOTS, "no key listed"));
        }
        let mode = match get(lookup, "WARRANT_MODE").map(|m| m.trim().to_ascii_lowercase()) {
            None => Mode::Enforce,
            Some(m) if m == "enforce" => Mode::Enforce,
            Some(m) if m == "audit" => Mode::Audit,
            Some(m) => {
                return Err(EnvError::invalid(
                    "WARRANT_MODE",
                    format!("{m:?} is not enforce or audit"),
                ))
            }
        };
        let require = match get(lookup, "WARRANT_REQUIRE").map(|m| m.trim().to_ascii_lowercase()) {
            None => true,
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes") => true,
            Some(v) if matches!(v.as_str(), "false" | "0" | "no") => false,
            Some(v) => {
                return Err(EnvError::invalid(
                    "WARRANT_REQUIRE",
                    format!("{v:?} is not true or false"),
                ))
            }
        };
        let before = match get(lookup, "WARRANT_POP_WINDOW") {
            Some(v) => secs("WARRANT_POP_WINDOW", &v)?,
            None => 300,
        };
        let after = match get(lookup, "WARRANT_POP_FUTURE") {
            Some(v) => secs("WARRANT_POP_FUTURE", &v)?,
            None => 30,
        };
        if before == 0 {
            return Err(EnvError::invalid(
                "WARRANT_POP_WINDOW",
                "must be at least 1s",
            ));
        }
        let max_chain_links = match get(lookup, "WARRANT_MAX_CHAIN_DEPTH") {
            Some(v) => Some(parse_uint("WARRANT_MAX_CHAIN_DEPTH", &v, 1, 64)? as usize),
            None => None,
        };
        let clock_skew = match get(lookup, "WARRANT_CLOCK_SKEW") {
            Some(v) => Some(secs("WARRANT_CLOCK_SKEW", &v)?),
            None => None,
        };
        let revocation = match get(lookup, "WARRANT_REVOCATION_FILE") {
            Some(path) => Some(read_revocation(path.trim())?),
            None => None,
        };
        Ok(Self {
            roots,
            mode,
            require,
            pop_window: (before, after),
            max_chain_links,
            clock_skew,
            revocation,
            keys: KeySettings::from_lookup(lookup)?,
        })
    }

    /// Resolve and cache the preloaded keys (I/O happens here, before the
    /// worker starts) and fill a builder. Fails if `WARRANT_KEYS_PRELOAD`
    /// is empty: a worker without holder keys could sign no proof.
    pub async fn builder(&self) -> Result<WarrantsConfigBuilder, EnvError> {
        if self.keys.preload.is_empty() {
            return Err(EnvError::invalid(
                "WARRANT_KEYS_PRELOAD",
                "not set (list the holder key ids this worker serves)",
            ));
        }
        let cache = self.keys.load().await?;
        let mut b = Warrants::builder()
            .trusted_roots(self.roots.iter().copied())
            .mode(self.mode)
            .require_warrant(self.require)
            .pop_window(self.pop_window.0, self.pop_window.1)
            .keys(KeyStore::from_cache(Arc::clone(&cache)));
        if let Some(n) = self.max_chain_links {
            b = b.max_chain_links(n);
        }
        if let Some(s) = self.clock_skew {
            b = b.clock_skew(s);
        }
        if let Some(r) = &self.revocation {
            b = b.revocation_list(r.clone());
        }
        Ok(b)
    }
}

fn read_revocation(path: &str) -> Result<RevocationList, EnvError> {
    const VAR: &str = "WARRANT_REVOCATION_FILE";
    let bytes = std::fs::read(path)
        .map_err(|e| EnvError::invalid(VAR, format!("cannot read {path}: {}", e.kind())))?;
    let decoded = binary_or_text(&bytes);
    RevocationList::from_bytes(&decoded)
        .map_err(|e| EnvError::invalid(VAR, format!("{path}: not a revocation list ({e})")))
}

/// Binary as is; otherwise base64url text (whitespace trimmed).
fn binary_or_text(bytes: &[u8]) -> Vec<u8> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| warrants::keys::from_base64url(t).ok())
        .unwrap_or_else(|| bytes.to_vec())
}

/// Read the worker settings from the process environment, resolve the
/// preloaded holder keys, and return a filled builder (add `.activities`).
pub async fn worker_builder_from_env() -> Result<WarrantsConfigBuilder, EnvError> {
    WorkerEnv::from_env()?.builder().await
}

/// The client's warrant headers from `WARRANT_CHAIN` (base64url) or
/// `WARRANT_CHAIN_FILE` (binary or base64url), and `WARRANT_KEY_ID`.
pub fn client_headers_from_env() -> Result<WarrantHeaders, EnvError> {
    client_headers_from_lookup(&|v| std::env::var(v).ok())
}

/// [`client_headers_from_env`] through `lookup`.
pub fn client_headers_from_lookup(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<WarrantHeaders, EnvError> {
    let (var, bytes) = match (
        get(lookup, "WARRANT_CHAIN"),
        get(lookup, "WARRANT_CHAIN_FILE"),
    ) {
        (Some(_), Some(_)) => {
            return Err(EnvError::invalid(
                "WARRANT_CHAIN",
                "set either WARRANT_CHAIN or WARRANT_CHAIN_FILE, not both",
            ))
        }
        (Some(text), None) => (
            "WARRANT_CHAIN",
            warrants::keys::from_base64url(&text)
                .map_err(|_| EnvError::invalid("WARRANT_CHAIN", "not base64url"))?,
        ),
        (None, Some(path)) => {
            let raw = std::fs::read(path.trim()).map_err(|e| {
                EnvError::invalid(
                    "WARRANT_CHAIN_FILE",
                    format!("cannot read {}: {}", path.trim(), e.kind()),
                )
            })?;
            ("WARRANT_CHAIN_FILE", binary_or_text(&raw))
        }
        (None, None) => {
            return Err(EnvError::invalid(
                "WARRANT_CHAIN",
                "not set (set WARRANT_CHAIN or WARRANT_CHAIN_FILE)",
            ))
        }
    };
    let chain = Chain::from_bytes(&bytes)
        .map_err(|e| EnvError::invalid(var, format!("not a warrant chain ({e})")))?;
    let key_id = get(lookup, "WARRANT_KEY_ID")
        .ok_or_else(|| EnvError::invalid("WARRANT_KEY_ID", "not set"))?;
    warrants_keys::check_key_id(key_id.trim())
        .map_err(|e| EnvError::invalid("WARRANT_KEY_ID", e.to_string()))?;
    Ok(WarrantHeaders::new(&chain, key_id.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use warrants::SigningKey;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn root() -> String {
        SigningKey::from_seed(&[1; 32]).public_key().to_base64url()
    }

    #[test]
    fn reads_every_setting() {
        let r2 = SigningKey::from_seed(&[2; 32]).public_key().to_base64url();
        let roots = format!("{}, {r2}", root());
        let e = WorkerEnv::from_lookup(&lookup(&[
            ("WARRANT_TRUSTED_ROOTS", &roots),
            ("WARRANT_MODE", "Audit"),
            ("WARRANT_REQUIRE", "false"),
            ("WARRANT_POP_WINDOW", "2m"),
            ("WARRANT_POP_FUTURE", "10"),
            ("WARRANT_MAX_CHAIN_DEPTH", "8"),
            ("WARRANT_CLOCK_SKEW", "5s"),
            ("WARRANT_KEYS_PRELOAD", "agent"),
        ]))
        .unwrap();
        assert_eq!(e.roots.len(), 2);
        assert_eq!(e.mode, Mode::Audit);
        assert!(!e.require);
        assert_eq!(e.pop_window, (120, 10));
        assert_eq!(e.max_chain_links, Some(8));
        assert_eq!(e.clock_skew, Some(5));
        assert_eq!(e.keys.preload, vec!["agent"]);
        let d = WorkerEnv::from_lookup(&lookup(&[("WARRANT_TRUSTED_ROOTS", &root())])).unwrap();
        assert_eq!(d.mode, Mode::Enforce);
        assert!(d.require);
        assert_eq!(d.pop_window, (300, 30));
    }

    #[test]
    fn every_bad_value_names_its_variable() {
        let r = root();
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![], "WARRANT_TRUSTED_ROOTS"),
            (
                vec![("WARRANT_TRUSTED_ROOTS", " , ")],
                "WARRANT_TRUSTED_ROOTS",
            ),
            (
                vec![("WARRANT_TRUSTED_ROOTS", "bm90LWEta2V5")],
                "WARRANT_TRUSTED_ROOTS",
            ),
            (vec![("WARRANT_MODE", "permissive")], "WARRANT_MODE"),
            (vec![("WARRANT_REQUIRE", "maybe")], "WARRANT_REQUIRE"),
            (vec![("WARRANT_POP_WINDOW", "0")], "WARRANT_POP_WINDOW"),
            (
                vec![("WARRANT_POP_WINDOW", "5 minutes")],
                "WARRANT_POP_WINDOW",
            ),
            (vec![("WARRANT_POP_FUTURE", "x")], "WARRANT_POP_FUTURE"),
            (
                vec![("WARRANT_MAX_CHAIN_DEPTH", "0")],
                "WARRANT_MAX_CHAIN_DEPTH",
            ),
            (
                vec![("WARRANT_MAX_CHAIN_DEPTH", "65")],
                "WARRANT_MAX_CHAIN_DEPTH",
            ),
            (vec![("WARRANT_CLOCK_SKEW", "-1")], "WARRANT_CLOCK_SKEW"),
            (
                vec![("WARRANT_REVOCATION_FILE", "/nonexistent/rl")],
                "WARRANT_REVOCATION_FILE",
            ),
            (vec![("WARRANT_KEYS_FROM", "ldap")], "WARRANT_KEYS_FROM"),
            (vec![("WARRANT_KEYS_FROM", "vault")], "WARRANT_VAULT_ADDR"),
        ];
        for (mut pairs, var) in cases {
            if var != "WARRANT_TRUSTED_ROOTS" {
                pairs.push(("WARRANT_TRUSTED_ROOTS", &r));
            }
            let e = WorkerEnv::from_lookup(&lookup(&pairs)).unwrap_err();
            assert!(
                e.to_string().starts_with(&format!("{var}: ")),
                "{pairs:?}: {e}"
            );
        }
    }

    #[tokio::test]
    async fn builder_needs_preloaded_keys_and_fails_closed_on_missing_ones() {
        let r = root();
        let Err(e) = WorkerEnv::from_lookup(&lookup(&[("WARRANT_TRUSTED_ROOTS", &r)]))
            .unwrap()
            .builder()
            .await
        else {
            panic!("built without keys")
        };
        assert!(e.to_string().starts_with("WARRANT_KEYS_PRELOAD: "), "{e}");
        let Err(e) = WorkerEnv::from_lookup(&lookup(&[
            ("WARRANT_TRUSTED_ROOTS", &r),
            ("WARRANT_KEYS_PRELOAD", "nobody-has-this-key"),
        ]))
        .unwrap()
        .builder()
        .await
        else {
            panic!("built with a missing key")
        };
        assert_eq!(e.code(), "KEY_NOT_FOUND");
    }

    #[tokio::test]
    async fn builder_serves_keys_from_files() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("agent");
        std::fs::write(&p, warrants::keys::to_base64url(&[7; 32])).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let dir = d.path().display().to_string();
        let w = WorkerEnv::from_lookup(&lookup(&[
            ("WARRANT_TRUSTED_ROOTS", &root()),
            ("WARRANT_KEYS_FROM", "file"),
            ("WARRANT_KEYS_DIR", &dir),
            ("WARRANT_KEYS_PRELOAD", "agent"),
        ]))
        .unwrap()
        .builder()
        .await
        .unwrap()
        .build()
        .unwrap();
        let key = w.config().keys().get("agent").unwrap();
        assert_eq!(
            key.public_key(),
            SigningKey::from_seed(&[7; 32]).public_key()
        );
        assert!(w.config().keys().get("other").is_none());
    }

    #[test]
    fn client_headers() {
        let root_key = SigningKey::from_seed(&[1; 32]);
        let w = warrants::Warrant::mint_builder()
            .holder(SigningKey::from_seed(&[2; 32]).public_key())
            .tool_any("t")
            .mint(&root_key)
            .unwrap();
        let chain = Chain::root(w);
        let text = warrants::keys::to_base64url(&chain.to_bytes());
        let h = client_headers_from_lookup(&lookup(&[
            ("WARRANT_CHAIN", &text),
            ("WARRANT_KEY_ID", "agent"),
        ]))
        .unwrap();
        assert_eq!(h.chain_bytes(), chain.to_bytes());
        assert_eq!(h.key_id(), "agent");
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("chain.bin");
        std::fs::write(&f, chain.to_bytes()).unwrap();
        let fs = f.display().to_string();
        let h = client_headers_from_lookup(&lookup(&[
            ("WARRANT_CHAIN_FILE", &fs),
            ("WARRANT_KEY_ID", "agent"),
        ]))
        .unwrap();
        assert_eq!(h.chain_bytes(), chain.to_bytes());
        for (pairs, var) in [
            (vec![("WARRANT_KEY_ID", "agent")], "WARRANT_CHAIN"),
            (
                vec![("WARRANT_CHAIN", "!!"), ("WARRANT_KEY_ID", "a")],
                "WARRANT_CHAIN",
            ),
            (
                vec![("WARRANT_CHAIN", "AAAA"), ("WARRANT_KEY_ID", "a")],
                "WARRANT_CHAIN",
            ),
            (vec![("WARRANT_CHAIN", text.as_str())], "WARRANT_KEY_ID"),
            (
                vec![("WARRANT_CHAIN", text.as_str()), ("WARRANT_KEY_ID", "../x")],
                "WARRANT_KEY_ID",
            ),
            (
                vec![
                    ("WARRANT_CHAIN", text.as_str()),
                    ("WARRANT_CHAIN_FILE", fs.as_str()),
                ],
                "WARRANT_CHAIN",
            ),
        ] {
            let e = client_headers_from_lookup(&lookup(&pairs)).unwrap_err();
            assert!(
                e.to_string().starts_with(&format!("{var}: ")),
                "{pairs:?}: {e}"
            );
        }
    }
}
