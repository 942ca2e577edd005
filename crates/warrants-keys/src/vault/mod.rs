//! Vault / OpenBao over HTTP: the KV v2 [`VaultKvResolver`] and the
//! Transit Ed25519 [`TransitSigner`], sharing one [`VaultClient`].
//!
//! The client speaks the Vault HTTP API (which OpenBao keeps): token
//! (`X-Vault-Token`) or AppRole login, optional namespace
//! (`X-Vault-Namespace`), TLS through rustls with an optional private CA,
//! a per-request timeout, and retries with exponential backoff on 5xx,
//! 429, timeouts and connection failures. Other 4xx answers are not
//! retried. Redirects are not followed (a redirect would carry the token
//! to another address).
//!
//! Tokens and AppRole secret ids are [`secrecy::SecretString`]s: they are
//! sent in headers marked sensitive and never appear in `Debug`, logs,
//! error messages or metrics. Responses that carry seeds are read into
//! zeroizing buffers.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::Error;

mod client;
mod kv;
mod transit;

pub use client::VaultClient;
pub use kv::VaultKvResolver;
pub use transit::TransitSigner;

/// Default AppRole mount (`auth/approle`).
pub const DEFAULT_APPROLE_MOUNT: &str = "approle";
/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of attempts per request (first try included).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Default delay before the first retry; it doubles per retry.
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(100);
/// Longest delay between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How the client authenticates.
#[derive(Clone)]
pub enum VaultAuth {
    /// A token, sent as `X-Vault-Token`.
    Token(SecretString),
    /// AppRole: the client logs in at `auth/<mount>/login` on first use,
    /// keeps the token it gets (renewing it by logging in again when its
    /// lease is nearly over) and logs in again once when a request is
    /// refused with 401/403.
    AppRole {
        /// The AppRole auth mount (default `approle`).
        mount: String,
        /// The role id.
        role_id: String,
        /// The secret id.
        secret_id: SecretString,
    },
}

impl VaultAuth {
    /// Token authentication.
    pub fn token(t: impl Into<String>) -> Self {
        Self::Token(SecretString::from(t.into()))
    }

    /// AppRole authentication at the default mount (`approle`).
    pub fn approle(role_id: impl Into<String>, secret_id: impl Into<String>) -> Self {
        Self::AppRole {
            mount: DEFAULT_APPROLE_MOUNT.to_string(),
            role_id: role_id.into(),
            secret_id: SecretString::from(secret_id.into()),
        }
    }
}

impl fmt::Debug for VaultAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(_) => f.debug_tuple("Token").field(&"[redacted]").finish(),
            Self::AppRole { mount, .. } => f
                .debug_struct("AppRole")
                .field("mount", mount)
                .field("role_id", &"[redacted]")
                .field("secret_id", &"[redacted]")
                .finish(),
        }
    }
}

/// Where the Vault/OpenBao server is and how to talk to it.
#[derive(Clone)]
pub struct VaultConfig {
    pub(crate) address: Url,
    pub(crate) auth: VaultAuth,
    pub(crate) namespace: Option<String>,
    pub(crate) ca_cert_pem: Option<Vec<u8>>,
    pub(crate) timeout: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) backoff: Duration,
    pub(crate) jitter: bool,
}

impl VaultConfig {
    /// A server at `address` (`http://` or `https://`, no credentials,
    /// query or fragment; a path prefix is kept), authenticating with
    /// `auth`.
    pub fn new(address: &str, auth: VaultAuth) -> Result<Self, Error> {
        let bad = |reason: &str| Error::config("address", reason.to_string());
        let mut url = Url::parse(address.trim())
            .map_err(|_| bad("not a url (expected http://host:port or https://host:port)"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("must start with http:// or https://"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "must not contain credentials (use the token or AppRole settings)",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must not have a query or fragment"));
        }
        let path = url.path().trim_end_matches('/').to_string();
        url.set_path(&path);
        Ok(Self {
            address: url,
            auth,
            namespace: None,
            ca_cert_pem: None,
            timeout: DEFAULT_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff: DEFAULT_BACKOFF,
            jitter: true,
        })
    }

    /// Send `X-Vault-Namespace: <ns>` with every request (Vault
    /// Enterprise and OpenBao namespaces). Surrounding `/` are removed; an
    /// empty namespace means none.
    pub fn namespace(mut self, ns: impl Into<String>) -> Self {
        let ns = ns.into();
        let ns = ns.trim().trim_matches('/');
        self.namespace = (!ns.is_empty()).then(|| ns.to_string());
        self
    }

    /// Trust only the CA certificate(s) in `pem` (one or more PEM
    /// certificates) for `https://` addresses, instead of the built-in
    /// web roots (like `VAULT_CACERT`).
    pub fn ca_cert_pem(mut self, pem: Vec<u8>) -> Self {
        self.ca_cert_pem = Some(pem);
        self
    }

    /// Time limit of one HTTP request, connection included (default 5s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Attempts per request, first try included (default 3; at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Delay before the first retry (default 100ms); it doubles on each
    /// further retry, up to [`MAX_BACKOFF`].
    pub fn backoff(mut self, first: Duration) -> Self {
        self.backoff = first;
        self
    }

    /// Randomize each delay between half and all of its value (default
    /// on), so that many workers do not retry in step.
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// The server address.
    pub fn address(&self) -> &str {
        self.address.as_str()
    }

    /// The namespace, if any.
    pub fn namespace_name(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The delay before attempt `attempt + 1` (`attempt` starts at 1).
    pub(crate) fn delay_after(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(20);
        let full = self
            .backoff
            .saturating_mul(1u32 << shift)
            .min(MAX_BACKOFF.max(self.backoff));
        if !self.jitter || full.is_zero() {
            return full;
        }
        // Equal jitter: half fixed, half random.
        let half = full / 2;
        let spread = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(random_u64() % spread.max(1))
    }
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded per instance from the OS: enough for jitter.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x5eed);
    h.finish()
}

impl fmt::Debug for VaultConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultConfig")
            .field("address", &self.address.as_str())
            .field("auth", &self.auth)
            .field("namespace", &self.namespace)
            .field("ca_cert_pem", &self.ca_cert_pem.as_ref().map(|_| "[set]"))
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .field("jitter", &self.jitter)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let c = VaultConfig::new("https://vault.example:8200/", VaultAuth::token("t")).unwrap();
        assert_eq!(c.address(), "https://vault.example:8200/");
        let c = VaultConfig::new(" http://127.0.0.1:8200/prefix/ ", VaultAuth::token("t")).unwrap();
        assert_eq!(c.address(), "http://127.0.0.1:8200/prefix");
        for bad in [
            "",
            "vault:8200",
            "ftp://vault",
            "file:///etc/passwd",
            "https://user:pw@vault",
            "https://vault?x=1",
            "https://vault#f",
        ] {
            let e = VaultConfig::new(bad, VaultAuth::token("t")).unwrap_err();
            assert_eq!(e.code(), "KEY_CONFIG", "{bad}");
            assert!(e.to_string().starts_with("address: "), "{e}");
            assert!(!e.to_string().contains("pw"), "{e}");
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = VaultConfig::new(
            "http://127.0.0.1:8200",
            VaultAuth::approle("role-1234", "secret-5678"),
        )
        .unwrap()
        .namespace("/team-a/")
        .ca_cert_pem(b"-----BEGIN CERTIFICATE-----".to_vec());
        let d = format!("{c:?}");
        assert!(
            !d.contains("role-1234") && !d.contains("secret-5678"),
            "{d}"
        );
        assert!(d.contains("team-a") && d.contains("[set]"), "{d}");
        assert_eq!(c.namespace_name(), Some("team-a"));
        let t = format!("{:?}", VaultAuth::token("hvs.TOKEN-abc"));
        assert!(!t.contains("TOKEN-abc"), "{t}");
        assert!(VaultConfig::new("http://x", VaultAuth::token("t"))
            .unwrap()
            .namespace(" / ")
            .namespace_name()
            .is_none());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let c = VaultConfig::new("http://x", VaultAuth::token("t"))
            .unwrap()
            .backoff(Duration::from_millis(100))
            .jitter(false);
        assert_eq!(c.delay_after(1), Duration::from_millis(100));
        assert_eq!(c.delay_after(2), Duration::from_millis(200));
        assert_eq!(c.delay_after(3), Duration::from_millis(400));
        assert_eq!(c.delay_after(40), MAX_BACKOFF);
        let j = c.jitter(true);
        for attempt in 1..6 {
            let d = j.delay_after(attempt);
            let full = Duration::from_millis(100 * (1 << (attempt - 1)));
            assert!(d >= full / 2 && d <= full, "{d:?} {full:?}");
        }
        let one = VaultConfig::new("http://x", VaultAuth::token("t"))
            .unwrap()
            .max_attempts(0);
        assert_eq!(one.max_attempts, 1);
    }
}
