//! `warrant mint`: a root warrant from flags or a capability file.

use std::time::Duration;

use warrants::{Chain, Warrant};

use super::request;
use crate::cli::MintArgs;
use crate::exit::{CliError, OK};
use crate::signing::{block_on, key_error, load_signer};

/// Run `mint`.
pub fn run(a: &MintArgs, json: bool) -> Result<u8, CliError> {
    let req = request::parse(&a.caps, a.holder.as_ref(), false)?;
    if req.tools.is_empty() {
        return Err(CliError::usage(
            "--tool",
            "no tools: pass --tool NAME or --capabilities FILE",
        ));
    }
    let holder = req
        .holder
        .ok_or_else(|| CliError::usage("--holder", "required"))?;
    let signer = load_signer(&a.issuer_key, "--issuer-key")?;

    let mut b = Warrant::mint_builder().holder(holder);
    for (tool, set) in req.tools {
        b = b.capability_set(tool, set);
    }
    if let Some(t) = req.ttl {
        b = b.ttl(Duration::from_secs(t));
    }
    if let Some(d) = req.max_depth {
        b = b.max_depth(d);
    }
    if let Some(t) = a.issued_at {
        b = b.issued_at(t);
    }
    let minted = block_on(warrants_keys::mint(b, signer.as_ref()))?.map_err(|e| match e {
        warrants_keys::Error::Build(e) => CliError::usage("mint", e.to_string()),
        other => key_error("--issuer-key", other),
    })?;
    let (w, key_version) = (minted.warrant, minted.key.version);
    let chain = Chain::root(w.clone());
    super::emit(
        &chain.to_bytes(),
        "chain",
        &a.output,
        json,
        serde_json::json!({
            "id": w.id().to_hex(),
            "expires_at": w.expires_at(),
            "issuer": w.issuer().to_base64url(),
            "issuer_key_version": key_version,
        }),
    )?;
    if let Some(out) = &a.output.out {
        eprintln!("minted warrant {} into {}", w.id().to_hex(), out.display());
    }
    Ok(OK)
}
