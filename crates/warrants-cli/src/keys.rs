//! Loading keys named on the command line.
//!
//! Signing keys (`--issuer-key`): a seed file path (32 raw bytes or
//! base64/base64url text, as written by `keygen`), `-` for stdin, or
//! `env:VAR` for an environment variable holding the seed text.
//!
//! Public keys (`--holder`, `--trusted-root`): the base64url key itself,
//! `@FILE` for a file holding it (as printed by `pubkey`), or `seed:FILE`
//! to derive it from a seed file.

use warrants::{PublicKey, SigningKey};

use crate::exit::CliError;
use crate::io::{display_name, read_input};

/// Parse seed bytes: 32 raw bytes or base64(url) text.
fn seed_from_bytes(bytes: &[u8], source_name: &str) -> Result<SigningKey, CliError> {
    if bytes.len() == 32 {
        return SigningKey::from_seed_slice(bytes)
            .map_err(|_| CliError::malformed(source_name, "seed", "not a 32-byte seed"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        CliError::malformed(source_name, "seed", "neither 32 raw bytes nor base64 text")
    })?;
    warrants_keys::signing_key_from_text(text)
        .map_err(|reason| CliError::malformed(source_name, "seed", reason))
}

/// Load a signing key from a seed file, `-` or `env:VAR`.
pub fn load_signing_key(spec: &str, flag: &str) -> Result<SigningKey, CliError> {
    if let Some(var) = spec.strip_prefix("env:") {
        let text = zeroize::Zeroizing::new(std::env::var(var).map_err(|_| {
            CliError::usage(flag, format!("environment variable {var} is not set"))
        })?);
        return warrants_keys::signing_key_from_text(&text)
            .map_err(|reason| CliError::malformed(format!("{flag} env:{var}"), "seed", reason));
    }
    if spec.starts_with("transit:") {
        return Err(CliError::usage(
            flag,
            "a Transit key can sign warrants (mint, grant) but not this; use a seed file or env:VAR",
        ));
    }
    let bytes = read_input(spec)?;
    seed_from_bytes(&bytes, &display_name(spec))
}

/// Load a public key from base64url text, `@FILE` or `seed:FILE`.
pub fn load_public_key(spec: &str, flag: &str) -> Result<PublicKey, CliError> {
    if let Some(path) = spec.strip_prefix("seed:") {
        return load_signing_key(path, flag).map(|k| k.public_key());
    }
    if let Some(path) = spec.strip_prefix('@') {
        let bytes = read_input(path)?;
        let name = display_name(path);
        if bytes.len() == 32 {
            return PublicKey::from_bytes(&bytes)
                .map_err(|e| CliError::malformed(name, "public key", e.to_string()));
        }
        let text = String::from_utf8_lossy(&bytes);
        return PublicKey::from_base64url(text.trim())
            .map_err(|e| CliError::malformed(name, "public key", e.to_string()));
    }
    PublicKey::from_base64url(spec.trim())
        .map_err(|e| CliError::usage(flag, format!("public key: {e}")))
}
