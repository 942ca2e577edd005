//! `warrant grant`: attenuate a chain's leaf with a narrower child warrant,
//! signed by the leaf holder's key, and write the extended chain.
//!
//! Widening (a tool the parent lacks, a constraint not provably narrower, a
//! later expiry, a deeper max depth) and a wrong parent key are refusals:
//! exit 1 with the core's [`warrants::BuildError`] code.

use std::time::Duration;

use crate::capfile;
use crate::cli::GrantArgs;
use crate::exit::{CliError, OK};
use crate::io::{display_name, encode_b64, read_input, write_output};
use crate::keys::{load_public_key, load_signing_key};

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
    let key = load_signing_key(&a.parent_key, "--parent-key")?;

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
    let child = b.grant(&key).map_err(|e| CliError::Denied {
        code: e.code().to_owned(),
        message: format!("grant refused: {e}"),
    })?;
    let chain = chain.push(child.clone()).map_err(|e| CliError::Denied {
        code: "CHAIN_INVALID".to_owned(),
        message: format!("grant refused: {e}"),
    })?;
    let bytes = chain.to_bytes();
    let text = encode_b64(&bytes);
    if a.binary {
        write_output(a.out.as_deref(), &bytes)?;
    } else if json && a.out.is_none() {
        crate::output::print_json(&serde_json::json!({
            "ok": true,
            "id": child.id().to_hex(),
            "depth": child.depth(),
            "links": chain.len(),
            "expires_at": child.expires_at(),
            "chain": text,
        }))?;
    } else {
        write_output(a.out.as_deref(), format!("{text}\n").as_bytes())?;
    }
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
