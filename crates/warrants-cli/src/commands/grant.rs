//! `warrant grant`: attenuate a chain's leaf with a narrower child warrant,
//! signed by the leaf holder's key, and write the extended chain.
//!
//! Widening (a tool the parent lacks, a constraint not provably narrower, a
//! later expiry, a deeper max depth) and a wrong parent key are refusals:
//! exit 1 with the core's [`warrants::BuildError`] code.

use std::time::Duration;

use warrants::warrant::GrantBuilder;
use warrants::{BuildError, PublicKey, Warrant};
use warrants_keys::Signer;

use super::request;
use crate::cli::GrantArgs;
use crate::exit::{CliError, OK};
use crate::io::display_name;
use crate::signing::{block_on, key_error, load_signer};

/// Run `grant`.
pub fn run(a: &GrantArgs, json: bool) -> Result<u8, CliError> {
    let chain = super::read_chain(&a.input)?;
    let name = display_name(&a.input);
    let parent = chain
        .leaf()
        .ok_or_else(|| CliError::malformed(&name, "chain", "empty chain"))?;
    let req = request::parse(&a.caps, a.holder.as_ref(), true)?;
    if req.tools.is_empty() && req.inherited.is_empty() && !a.inherit_all {
        return Err(CliError::usage(
            "--tool",
            "no tools: pass --tool NAME, --inherit-all or --capabilities FILE",
        ));
    }
    let signer = load_signer(&a.parent_key, "--parent-key")?;

    let mut b = parent.grant_builder();
    if let Some(h) = req.holder {
        b = b.holder(h);
    }
    if a.inherit_all {
        b = b.inherit_all();
    }
    for tool in req.inherited {
        b = b.inherit(tool);
    }
    for (tool, set) in req.tools {
        b = b.capability_set(tool, set);
    }
    if let Some(t) = req.ttl {
        b = b.ttl(Duration::from_secs(t));
    }
    if let Some(d) = req.max_depth {
        b = b.max_depth(d);
    }
    let child = block_on(sign_child(b, parent.holder(), signer.as_ref()))??;
    let chain = chain.push(child.clone()).map_err(|e| CliError::Denied {
        code: "CHAIN_INVALID".to_owned(),
        message: format!("grant refused: {e}"),
    })?;
    super::emit(
        &chain.to_bytes(),
        "chain",
        &a.output,
        json,
        serde_json::json!({
            "id": child.id().to_hex(),
            "depth": child.depth(),
            "links": chain.len(),
            "expires_at": child.expires_at(),
        }),
    )?;
    if let Some(out) = &a.output.out {
        eprintln!(
            "granted warrant {} (link {}) into {}",
            child.id().to_hex(),
            child.depth(),
            out.display()
        );
    }
    Ok(OK)
}

/// Sign the child with `signer`, which must hold the parent's holder key.
/// Refusals of the core (widening, wrong key) are denials with its code;
/// key backend failures are errors with the backend's code.
async fn sign_child(
    b: GrantBuilder<'_>,
    parent_holder: &PublicKey,
    signer: &dyn Signer,
) -> Result<Warrant, CliError> {
    let refused = |e: BuildError| CliError::Denied {
        code: e.code().to_owned(),
        message: format!("grant refused: {e}"),
    };
    let key = signer
        .current_key()
        .await
        .map_err(|e| key_error("--parent-key", e))?;
    if key.public != *parent_holder {
        return Err(refused(BuildError::WrongKey(
            "grant must be signed by the parent's holder",
        )));
    }
    let unsigned = b.prepare().map_err(refused)?;
    warrants_keys::sign_prepared(unsigned, signer)
        .await
        .map(|m| m.warrant)
        .map_err(|e| match e {
            warrants_keys::Error::Build(e) => refused(e),
            other => key_error("--parent-key", other),
        })
}
