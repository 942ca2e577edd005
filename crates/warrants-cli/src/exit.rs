//! Exit codes and the typed error every command returns.
//!
//! | code | meaning                                                         |
//! |------|-----------------------------------------------------------------|
//! | 0    | ok: the command succeeded, the warrant is valid                  |
//! | 1    | denied or invalid: the warrant does not verify                   |
//! | 2    | usage or I/O error: bad flags, unreadable or malformed input,   |
//! |      | a key backend (Vault/OpenBao Transit) unreachable or refusing    |

use std::process::ExitCode;

/// Success.
pub const OK: u8 = 0;
/// Denied or invalid.
pub const DENIED: u8 = 1;
/// Usage or I/O error.
pub const USAGE: u8 = 2;

/// Why a command failed. Messages name the file or flag at fault and never
/// contain secret material.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A flag value is wrong.
    #[error("{flag}: {message}")]
    Usage {
        /// The flag (`--ttl`) or input name.
        flag: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {action}: {source}")]
    Io {
        /// The file (`-` for stdin/stdout).
        path: String,
        /// `cannot read`, `cannot write`, ...
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An input does not decode.
    #[error("{source_name}: {field}: {message}")]
    Malformed {
        /// Where the input came from (file, flag, env var).
        source_name: String,
        /// The field or part at fault.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A key backend (Vault/OpenBao) failed or is misconfigured (exit 2).
    #[error("{source_name}: {code}: {message}")]
    Key {
        /// The flag naming the key.
        source_name: String,
        /// The `warrants-keys` code (`KEY_BACKEND_AUTH`, `KEY_CONFIG`, ...).
        code: &'static str,
        /// What went wrong (never a token or key material).
        message: String,
    },
    /// The warrant is invalid or the call is denied (exit 1).
    #[error("{code}: {message}")]
    Denied {
        /// Stable code (`UNTRUSTED_ROOT`, `WARRANT_EXPIRED`, ...).
        code: String,
        /// Human reason.
        message: String,
    },
}

impl CliError {
    /// A usage error for `flag`.
    pub fn usage(flag: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Usage {
            flag: flag.into(),
            message: message.into(),
        }
    }

    /// A malformed-input error.
    pub fn malformed(
        source_name: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Malformed {
            source_name: source_name.into(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Denied { .. } => DENIED,
            _ => USAGE,
        }
    }

    /// Stable machine code for `--json` output.
    pub fn code(&self) -> &str {
        match self {
            Self::Usage { .. } => "USAGE",
            Self::Io { .. } => "IO",
            Self::Malformed { .. } => "MALFORMED",
            Self::Key { code, .. } => code,
            Self::Denied { code, .. } => code,
        }
    }
}

/// Convert a numeric code into a process exit code.
pub fn exit(code: u8) -> ExitCode {
    ExitCode::from(code)
}
