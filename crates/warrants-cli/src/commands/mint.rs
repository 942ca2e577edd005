//! `warrant mint`: a root warrant from flags or a capability file.

use std::collections::BTreeMap;
use std::time::Duration;

use warrants::{Chain, ConstraintSet, Warrant};

use crate::capfile::{self, CapFile};
use crate::cli::MintArgs;
use crate::constraint_doc::ConstraintEntry;
use crate::constraint_spec::parse_named;
use crate::exit::{CliError, OK};
use crate::io::{display_name, read_input};
use crate::keys::load_public_key;
use crate::signing::{block_on, key_error, load_signer};

/// Tool name to its constraint set.
pub(super) type Tools = BTreeMap<String, ConstraintSet>;

/// Run `mint`.
pub fn run(a: &MintArgs, json: bool) -> Result<u8, CliError> {
    let file = match &a.capabilities {
        Some(path) => {
            let bytes = read_input(path)?;
            let name = display_name(path);
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| CliError::malformed(&name, "(document)", "not utf-8 text"))?;
            Some((capfile::parse(text, &name)?, name))
        }
        None => None,
    };
    let mut tools = flag_tools(
        &a.tools,
        &a.constraints,
        &a.tool_positions,
        &a.constraint_positions,
    )?;
    if let Some((f, name)) = &file {
        for (tool, set) in file_tools(f, name)? {
            if tools.insert(tool.clone(), set).is_some() {
                return Err(CliError::usage(
                    "--tool",
                    format!("tool `{tool}` is given both by flag and in {name}"),
                ));
            }
        }
    }
    if tools.is_empty() {
        return Err(CliError::usage(
            "--tool",
            "no tools: pass --tool NAME or --capabilities FILE",
        ));
    }
    let holder_spec = match (
        &a.holder,
        file.as_ref().and_then(|(f, _)| f.holder.as_ref()),
    ) {
        (Some(h), _) => ("--holder".to_owned(), h.clone()),
        (None, Some(h)) => (
            format!("{} holder", file.as_ref().map_or("", |(_, n)| n.as_str())),
            h.clone(),
        ),
        (None, None) => return Err(CliError::usage("--holder", "required")),
    };
    let holder = load_public_key(&holder_spec.1, &holder_spec.0)?;
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
    let signer = load_signer(&a.issuer_key, "--issuer-key")?;

    let mut b = Warrant::mint_builder().holder(holder);
    for (tool, set) in tools {
        b = b.capability_set(tool, set);
    }
    if let Some(t) = ttl {
        b = b.ttl(Duration::from_secs(t));
    }
    if let Some(d) = max_depth {
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
    super::emit_chain(
        &chain,
        a.binary,
        a.out.as_deref(),
        json,
        serde_json::json!({
            "id": w.id().to_hex(),
            "expires_at": w.expires_at(),
            "issuer": w.issuer().to_base64url(),
            "issuer_key_version": key_version,
        }),
    )?;
    if let Some(out) = &a.out {
        eprintln!("minted warrant {} into {}", w.id().to_hex(), out.display());
    }
    Ok(OK)
}

/// Tools from `--tool`/`--constraint`, each constraint applying to the
/// nearest `--tool` before it.
pub(super) fn flag_tools(
    tool_names: &[String],
    constraints: &[String],
    tool_positions: &[usize],
    constraint_positions: &[usize],
) -> Result<Tools, CliError> {
    let mut args: Vec<BTreeMap<String, ConstraintEntry>> = vec![BTreeMap::new(); tool_names.len()];
    for (c, pos) in constraints.iter().zip(constraint_positions) {
        let owner = tool_positions
            .iter()
            .rposition(|t| t < pos)
            .ok_or_else(|| {
                CliError::usage("--constraint", format!("`{c}` comes before any --tool"))
            })?;
        let (name, doc) = parse_named(c).map_err(|e| CliError::usage("--constraint", e))?;
        let slot = args
            .get_mut(owner)
            .ok_or_else(|| CliError::usage("--constraint", "no matching --tool"))?;
        if slot.insert(name.clone(), ConstraintEntry(doc)).is_some() {
            return Err(CliError::usage(
                "--constraint",
                format!("argument `{name}` constrained twice for one tool"),
            ));
        }
    }
    let mut tools = Tools::new();
    for (tool, args) in tool_names.iter().zip(args) {
        let set = build_set(&args, false)
            .map_err(|(arg, e)| CliError::usage("--constraint", format!("{tool}.{arg}: {e}")))?;
        if tools.insert(tool.clone(), set).is_some() {
            return Err(CliError::usage(
                "--tool",
                format!("tool `{tool}` given twice"),
            ));
        }
    }
    Ok(tools)
}

/// Tools from a capability file.
pub(super) fn file_tools(f: &CapFile, name: &str) -> Result<Tools, CliError> {
    for t in &f.allow_unknown {
        if !f.tools.contains_key(t) {
            return Err(CliError::malformed(
                name,
                "allow_unknown",
                format!("tool `{t}` is not in tools"),
            ));
        }
    }
    let mut tools = Tools::new();
    for (tool, args) in &f.tools {
        let empty = BTreeMap::new();
        let args = args.as_ref().unwrap_or(&empty);
        let set = build_set(args, f.allow_unknown.contains(tool))
            .map_err(|(arg, e)| CliError::malformed(name, format!("tools.{tool}.{arg}"), e))?;
        tools.insert(tool.clone(), set);
    }
    Ok(tools)
}

fn build_set(
    args: &BTreeMap<String, ConstraintEntry>,
    allow_unknown: bool,
) -> Result<ConstraintSet, (String, String)> {
    let mut set = ConstraintSet::new();
    for (arg, entry) in args {
        let c = entry.0.to_constraint().map_err(|e| (arg.clone(), e))?;
        set = set.arg(arg.clone(), c);
    }
    Ok(if allow_unknown {
        set.allow_unknown()
    } else {
        set
    })
}
