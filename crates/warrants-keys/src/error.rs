//! The one error type of this crate.
//!
//! Every variant has a stable machine code ([`Error::code`]). Messages are
//! lowercase, name the key id, variable, file or backend at fault, and never
//! contain key material, tokens or secret ids.

use std::fmt;

/// Why a key could not be resolved or a signature made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key id is not acceptable (empty, too long, or characters outside
    /// `[A-Za-z0-9._-]`, or starting with `.`). Key ids arrive in workflow
    /// headers, so they are checked before they reach a path or a URL.
    #[error("invalid key id: {reason}")]
    InvalidKeyId {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No key with this id in this source.
    #[error("key {key_id:?} not found in {source_name}")]
    NotFound {
        /// The key id.
        key_id: String,
        /// Where it was looked for (`env WARRANT_KEY_X`, `file /keys/x`, `vault secret/data/x`).
        source_name: String,
    },
    /// The stored value is not a usable 32-byte Ed25519 seed.
    #[error("key {key_id:?} at {location} is malformed: {reason}")]
    Malformed {
        /// The key id.
        key_id: String,
        /// Where the bad value is (variable, file, secret path and field).
        location: String,
        /// What is wrong (never the value).
        reason: &'static str,
    },
    /// A key file may be read by other users.
    #[error("key file {path} has mode {mode:04o}; it must not be readable or writable by others nor writable by its group (chmod 600)")]
    Permissions {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The backend refused our credentials (HTTP 401/403, bad AppRole, KMS access denied).
    #[error("{backend}: authentication failed: {message}")]
    Auth {
        /// Which backend (`vault`, `aws-kms`).
        backend: &'static str,
        /// The backend's reason, with secrets removed.
        message: String,
    },
    /// No credentials were configured or found.
    #[error("{backend}: no credentials: {message}")]
    Credentials {
        /// Which backend.
        backend: &'static str,
        /// What is missing (names, never values).
        message: String,
    },
    /// The backend could not be reached or kept failing (connect errors,
    /// timeouts, 5xx after the retries).
    #[error("{backend}: unavailable after {attempts} attempt(s): {message}")]
    Unavailable {
        /// Which backend.
        backend: &'static str,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        message: String,
    },
    /// The backend answered with an error that is not auth or not-found.
    #[error("{backend}: request failed: {message}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// The failure (status and the backend's error text).
        message: String,
    },
    /// A setting is missing or invalid.
    #[error("{setting}: {reason}")]
    Config {
        /// The setting, e.g. the environment variable name.
        setting: String,
        /// What is wrong (never a secret value).
        reason: String,
    },
    /// A signer produced a signature that does not verify under its
    /// public key, or one of the wrong shape.
    #[error("signer {signer}: {reason}")]
    Signature {
        /// Which signer.
        signer: String,
        /// What is wrong.
        reason: String,
    },
    /// The warrant could not be built (from the core builder).
    #[error("warrant build: {0}")]
    Build(#[from] warrants::BuildError),
    /// Every resolver of a composite failed; the errors in order.
    #[error("no resolver has key {key_id:?}: {}", Failures(.errors))]
    AllFailed {
        /// The key id.
        key_id: String,
        /// `(resolver name, its error)`, in the composite's order.
        errors: Vec<(String, Error)>,
    },
}

struct Failures<'a>(&'a [(String, Error)]);

impl fmt::Display for Failures<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, e)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{name}: {e}")?;
        }
        Ok(())
    }
}

impl Error {
    /// Stable machine code. `KEY_NOT_FOUND` is the code the Temporal
    /// integration uses for a missing holder key; a composite whose every
    /// member said "not found" reports it too.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidKeyId { .. } => "KEY_ID_INVALID",
            Self::NotFound { .. } => "KEY_NOT_FOUND",
            Self::Malformed { .. } => "KEY_MALFORMED",
            Self::Permissions { .. } => "KEY_FILE_PERMISSIONS",
            Self::Auth { .. } => "KEY_BACKEND_AUTH",
            Self::Credentials { .. } => "KEY_BACKEND_CREDENTIALS",
            Self::Unavailable { .. } => "KEY_BACKEND_UNAVAILABLE",
            Self::Backend { .. } => "KEY_BACKEND_ERROR",
            Self::Config { .. } => "KEY_CONFIG",
            Self::Signature { .. } => "KEY_SIGNATURE",
            Self::Build(_) => "KEY_BUILD",
            Self::AllFailed { errors, .. } => {
                if !errors.is_empty() && errors.iter().all(|(_, e)| e.is_not_found()) {
                    "KEY_NOT_FOUND"
                } else {
                    "KEY_RESOLVE_FAILED"
                }
            }
        }
    }

    /// Whether this means "the key does not exist" (as opposed to "could
    /// not be checked"). Caches evict on it; composites fall through on any
    /// error.
    pub fn is_not_found(&self) -> bool {
        self.code() == "KEY_NOT_FOUND"
    }

    /// Every code this crate can return.
    pub const CODES: &'static [&'static str] = &[
        "KEY_ID_INVALID",
        "KEY_NOT_FOUND",
        "KEY_MALFORMED",
        "KEY_FILE_PERMISSIONS",
        "KEY_BACKEND_AUTH",
        "KEY_BACKEND_CREDENTIALS",
        "KEY_BACKEND_UNAVAILABLE",
        "KEY_BACKEND_ERROR",
        "KEY_CONFIG",
        "KEY_SIGNATURE",
        "KEY_BUILD",
        "KEY_RESOLVE_FAILED",
    ];

    pub(crate) fn config(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Config {
            setting: setting.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_codes() {
        let nf = |s: &str| Error::NotFound {
            key_id: "k".into(),
            source_name: s.into(),
        };
        let all_nf = Error::AllFailed {
            key_id: "k".into(),
            errors: vec![("env".into(), nf("a")), ("file".into(), nf("b"))],
        };
        assert_eq!(all_nf.code(), "KEY_NOT_FOUND");
        assert!(all_nf.is_not_found());
        assert_eq!(
            all_nf.to_string(),
            "no resolver has key \"k\": env: key \"k\" not found in a; file: key \"k\" not found in b"
        );
        let mixed = Error::AllFailed {
            key_id: "k".into(),
            errors: vec![
                ("env".into(), nf("a")),
                (
                    "vault".into(),
                    Error::Unavailable {
                        backend: "vault",
                        attempts: 3,
                        message: "connection refused".into(),
                    },
                ),
            ],
        };
        assert_eq!(mixed.code(), "KEY_RESOLVE_FAILED");
        let empty = Error::AllFailed {
            key_id: "k".into(),
            errors: vec![],
        };
        assert_eq!(empty.code(), "KEY_RESOLVE_FAILED");
    }

    #[test]
    fn every_code_is_listed() {
        let samples = [
            Error::InvalidKeyId { reason: "x" },
            Error::config("WARRANT_X", "bad"),
            Error::Permissions {
                path: "/k".into(),
                mode: 0o644,
            },
        ];
        for e in samples {
            assert!(Error::CODES.contains(&e.code()), "{}", e.code());
            let m = e.to_string();
            assert_eq!(m, m.to_lowercase().replace("warrant_x", "WARRANT_X"));
            assert!(!m.ends_with('.'));
        }
    }
}
