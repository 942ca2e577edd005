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

use crate::capfile;
use crate::cli::GrantArgs;
use crate::exit::{CliError, OK};
use crate::io::{display_name, read_input};
use crate::keys::load_public_key;
use crate::signing::{block_on, key_error, load_signer};

use super::mint::{file_tools, flag_tools};

/// Run `grant`.
pub fn run(a: &GrantArgs, json: bool) -> Result<u8, CliError> {
    let chain = super::read_chain(&a.input)?;
    let name = display_name(&a.input);
    let parent = chain
        .leaf()
        .ok_or_else(|| CliError::malformed(&name, "chain", "empty chain"))?;
    let file = match &a.capabilities {
        Some(path) => {
            let bytes = read_input(path)?;
            let fname = display_name(path);
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| CliError::malformed(&fname, "(document)", "not utf-8 text"))?;
            Some((capfile::parse(text, &fname)?, fname))
        }
        None => None,
    };
    let mut tools = flag_tools(
        &a.tools,
        &a.constraints,
        &a.tool_positions,
        &a.constraint_positions,
    )?;
    // A --tool with no --constraint after it keeps the parent's constraints.
    let mut inherited = Vec::new();
    for (i, (tool, pos)) in a.tools.iter().zip(&a.tool_positions).enumerate() {
        let next = a.tool_positions.get(i + 1).copied().unwrap_or(usize::MAX);
        if !a.constraint_positions.iter().any(|c| c > pos && *c < next) {
            tools.remove(tool);
            inherited.push(tool.clone());
        }
    }
    if let Some((f, fname)) = &file {
        for (tool, set) in file_tools(f, fname)? {
            if tools.insert(tool.clone(), set).is_some() || inherited.contains(&tool) {
                return Err(CliError::usage(
                    "--tool",
                    format!("tool `{tool}` is given both by flag and in {fname}"),
                ));
            }
        }
    }
    if tools.is_empty() && inherited.is_empty() && !a.inherit_all {
        return Err(CliError::usage(
            "--tool",
            "no tools: pass --tool NAME, --inherit-all or --capabilities FILE",
        ));
    }
    let holder_spec = match (
        &a.holder,
        file.as_ref().and_then(|(f, _)| f.holder.as_ref()),
    ) {
        (Some(h), _) => Some(("--holder".to_owned(), h.clone())),
        (None, Some(h)) => Some((
            format!("{} holder", file.as_ref().map_or("", |(_, n)| n.as_str())),
            h.clone(),
        )),
        (None, None) => None,
    };
    let holder = holder_spec
        .map(|(flag, spec)| load_public_key(&spec, &flag))
        .transpose()?;
    let ttl = match (&a.ttl, file.as_ref().and_then(|(f, _)| f.ttl.as_ref())) {
        (Some(t), _) => {
            Some(crate::duration::parse_secs(t).map_err(|e| CliError::usage("--ttl", e))?)
        }
        (None, Some(t)) => Some(t.secs().map_err(|e| {
            CliError::malformed(file.as_ref().map_or("", |(_, n)| n.as_str()), "ttl", e)
        })?),
        (None, None) => None,
    };
    let max_depth = a
        .max_depth
        .or_else(|| file.as_ref().and_then(|(f, _)| f.max_depth));
    let signer = load_signer(&a.parent_key, "--parent-key")?;

    let mut b = parent.grant_builder();
    if let Some(h) = holder {
        b = b.holder(h);
    }
    if a.inherit_all {
        b = b.inherit_all();
    }
    for tool in inherited {
        b = b.inherit(tool);
    }
    for (tool, set) in tools {
        b = b.capability_set(tool, set);
    }
    if let Some(t) = ttl {
        b = b.ttl(Duration::from_secs(t));
    }
    if let Some(d) = max_depth {
        b = b.max_depth(d);
    }
    let child = block_on(sign_child(b, parent.holder(), signer.as_ref()))??;
    let chain = chain.push(child.clone()).map_err(|e| CliError::Denied {
        code: "CHAIN_INVALID".to_owned(),
        message: format!("grant refused: {e}"),
    })?;
    super::emit_chain(
        &chain,
        a.binary,
        a.out.as_deref(),
        json,
        serde_json::json!({
            "id": child.id().to_hex(),
            "depth": child.depth(),
            "links": chain.len(),
            "expires_at": child.expires_at(),
        }),
    )?;
    if let Some(out) = &a.out {
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
