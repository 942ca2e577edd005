//! Signing warrants with a key named on the command line.
//!
//! `mint --issuer-key`, `grant --parent-key` and `pubkey` accept, besides
//! a local seed (FILE, `-`, `env:VAR`; see [`crate::keys`]), a key that
//! stays in an OpenBao/Vault Transit engine:
//!
//! ```text
//! transit:NAME              key NAME of the engine mounted at `transit`
//! transit:MOUNT/NAME        key NAME of the engine mounted at MOUNT
//! transit:[MOUNT/]NAME@N    always version N, not the latest
//! ```
//!
//! The server and credentials come from the `WARRANT_VAULT_*` variables
//! read by [`warrants_keys::settings::vault_config_from_env`]
//! (`WARRANT_VAULT_ADDR`, then `WARRANT_VAULT_TOKEN[_FILE]` or
//! `WARRANT_VAULT_ROLE_ID` + `WARRANT_VAULT_SECRET_ID[_FILE]`, optional
//! namespace, CA file and timeouts). Only the signing message leaves the
//! process; [`warrants_keys::mint`] checks the returned signature against
//! the key's public key before anything is written.
//!
//! `verify` and `authorize` also take `--trusted-root transit:NAME`: every
//! version's public key is trusted (`@N`: only version N), read once from
//! the server; the check itself stays offline.
//!
//! Revocation lists and proofs of possession are still signed with a local
//! seed: the core signs them with a [`warrants::SigningKey`].

use std::future::Future;

use warrants::PublicKey;
use warrants_keys::{LocalSigner, Signer, TransitSigner, VaultClient};

use crate::exit::CliError;
use crate::keys::load_signing_key;

/// The Transit mount used when the spec names none.
pub const DEFAULT_TRANSIT_MOUNT: &str = "transit";

/// A parsed `transit:[MOUNT/]NAME[@N]` spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitSpec {
    /// The engine's mount path.
    pub mount: String,
    /// The key name.
    pub name: String,
    /// A pinned key version.
    pub version: Option<u32>,
}

/// Parse the part after `transit:`.
pub fn parse_transit(rest: &str, flag: &str) -> Result<TransitSpec, CliError> {
    let (path, version) = match rest.rsplit_once('@') {
        Some((path, v)) => {
            let n = v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                CliError::usage(flag, format!("transit key version `{v}`: not a number > 0"))
            })?;
            (path, Some(n))
        }
        None => (rest, None),
    };
    let (mount, name) = match path.rsplit_once('/') {
        Some((mount, name)) => (mount, name),
        None => (DEFAULT_TRANSIT_MOUNT, path),
    };
    if mount.is_empty() || name.is_empty() {
        return Err(CliError::usage(
            flag,
            "expected transit:NAME, transit:MOUNT/NAME or transit:[MOUNT/]NAME@VERSION",
        ));
    }
    Ok(TransitSpec {
        mount: mount.to_owned(),
        name: name.to_owned(),
        version,
    })
}

/// A signer for `spec`: a Transit key, or a local seed wrapped in
/// [`LocalSigner`]. Nothing is sent to a server until it is used.
pub fn load_signer(spec: &str, flag: &str) -> Result<Box<dyn Signer>, CliError> {
    if let Some(rest) = spec.strip_prefix("transit:") {
        return transit_signer(&parse_transit(rest, flag)?, flag)
            .map(|s| Box::new(s) as Box<dyn Signer>);
    }
    load_signing_key(spec, flag).map(|k| Box::new(LocalSigner::new(k)) as Box<dyn Signer>)
}

/// A [`TransitSigner`] for `spec`, with the server settings from the
/// environment.
pub fn transit_signer(spec: &TransitSpec, flag: &str) -> Result<TransitSigner, CliError> {
    let config =
        warrants_keys::settings::vault_config_from_env().map_err(|e| key_error(flag, e))?;
    let client = VaultClient::new(config).map_err(|e| key_error(flag, e))?;
    let signer = TransitSigner::new(client, spec.mount.clone(), spec.name.clone());
    Ok(match spec.version {
        Some(v) => signer.pin_version(v),
        None => signer,
    })
}

/// The public keys of a Transit key as trusted roots: every version the
/// server has, or only the pinned one (`NAME@N`). `rest` is the part after
/// `transit:`.
pub fn transit_public_keys(rest: &str, flag: &str) -> Result<Vec<PublicKey>, CliError> {
    let spec = parse_transit(rest, flag)?;
    let signer = transit_signer(&spec, flag)?;
    let keys = match spec.version {
        Some(v) => block_on(signer.public_key(v))?.map(|k| vec![k]),
        None => block_on(signer.public_keys())?.map(|m| m.into_values().collect()),
    };
    keys.map_err(|e| key_error(flag, e))
}

/// A key backend failure as a CLI error (exit 2) with the backend's code.
pub fn key_error(flag: &str, e: warrants_keys::Error) -> CliError {
    CliError::Key {
        source_name: flag.to_owned(),
        code: e.code(),
        message: e.to_string(),
    }
}

/// Run `fut` to completion on a single-threaded runtime (the commands are
/// synchronous; only key backends are async).
pub fn block_on<F: Future>(fut: F) -> Result<F::Output, CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Io {
            path: "(async runtime)".to_owned(),
            action: "cannot start",
            source,
        })?;
    Ok(rt.block_on(fut))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transit_specs_parse() {
        let p = |s| parse_transit(s, "--issuer-key");
        assert_eq!(
            p("root").unwrap(),
            TransitSpec {
                mount: "transit".into(),
                name: "root".into(),
                version: None
            }
        );
        assert_eq!(
            p("team/transit/root@3").unwrap(),
            TransitSpec {
                mount: "team/transit".into(),
                name: "root".into(),
                version: Some(3)
            }
        );
        for bad in [
            "", "/root", "transit/", "root@", "root@0", "root@v2", "root@-1",
        ] {
            let e = p(bad).unwrap_err();
            assert_eq!(e.code(), "USAGE", "{bad}");
            assert!(e.to_string().starts_with("--issuer-key: "), "{e}");
        }
    }
}
