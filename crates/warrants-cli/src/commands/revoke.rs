//! `warrant revoke`: build or extend a signed revocation list.
//!
//! Extending (`--list`) requires the same issuer; the new version is the
//! old one plus 1 and the ids are the union.

use std::collections::BTreeSet;

use warrants::{RevocationList, WarrantId};

use crate::cli::RevokeArgs;
use crate::exit::{CliError, OK};
use crate::io::{display_name, read_binary};
use crate::keys::load_signing_key;
use crate::output::now;

/// Run `revoke`.
pub fn run(a: &RevokeArgs, json: bool) -> Result<u8, CliError> {
    let mut ids = BTreeSet::new();
    for id in &a.ids {
        let parsed = WarrantId::from_hex(id.trim()).ok_or_else(|| {
            CliError::usage(
                "--id",
                format!("`{id}` is not a 32-hex-character warrant id"),
            )
        })?;
        ids.insert(parsed);
    }
    let issuer = load_signing_key(&a.issuer_key, "--issuer-key")?;
    let mut version = 1;
    if let Some(path) = &a.list {
        let name = display_name(path);
        let bytes = read_binary(path)?;
        let old = RevocationList::from_bytes(&bytes)
            .map_err(|e| CliError::malformed(&name, "revocation list", e.to_string()))?;
        if !old.verify_signature() {
            return Err(CliError::malformed(
                &name,
                "signature",
                "the revocation list signature does not verify",
            ));
        }
        if *old.issuer() != issuer.public_key() {
            return Err(CliError::usage(
                "--list",
                format!("{name}: signed by another issuer than --issuer-key"),
            ));
        }
        version = old
            .version()
            .checked_add(1)
            .ok_or_else(|| CliError::malformed(&name, "version", "version overflows"))?;
        ids.extend(old.ids().iter().copied());
    } else if ids.is_empty() {
        return Err(CliError::usage("--id", "no ids: pass --id WARRANT_ID"));
    }
    let list = RevocationList::sign(&issuer, version, now(), ids);
    super::emit(
        &list.to_bytes(),
        "list",
        &a.output,
        json,
        serde_json::json!({
            "version": list.version(),
            "ids": list.ids().iter().map(WarrantId::to_hex).collect::<Vec<_>>(),
        }),
    )?;
    if let Some(out) = &a.output.out {
        eprintln!(
            "revocation list version {} with {} id{} into {}",
            list.version(),
            list.ids().len(),
            if list.ids().len() == 1 { "" } else { "s" },
            out.display()
        );
    }
    Ok(OK)
}
