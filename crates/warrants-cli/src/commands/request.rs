//! What `mint` and `grant` ask for: tools and constraints from `--tool` /
//! `--constraint` flags and a capability file, the holder, time to live and
//! maximum depth, each from its flag or else from the file.

use std::collections::BTreeMap;

use warrants::{ConstraintSet, PublicKey};

use crate::capfile::{self, CapFile};
use crate::cli::CapabilityArgs;
use crate::constraint_doc::ConstraintEntry;
use crate::constraint_spec::parse_named;
use crate::exit::CliError;
use crate::io::{display_name, read_input};
use crate::keys::load_public_key;

/// Tool name to its constraint set.
pub(super) type Tools = BTreeMap<String, ConstraintSet>;

/// A parsed request.
#[derive(Debug)]
pub(super) struct Request {
    /// Tools with their constraint sets.
    pub tools: Tools,
    /// Tools named by a `--tool` with no `--constraint` after it, when bare
    /// tools inherit (grant): they keep the parent's constraints.
    pub inherited: Vec<String>,
    /// `--holder`, else the file's `holder`.
    pub holder: Option<PublicKey>,
    /// `--ttl`, else the file's `ttl`, in seconds.
    pub ttl: Option<u64>,
    /// `--max-depth`, else the file's `max_depth`.
    pub max_depth: Option<u32>,
}

/// Parse `caps` and `holder`. With `bare_tools_inherit`, a `--tool` with no
/// `--constraint` after it is listed in [`Request::inherited`] instead of
/// granting the tool with any arguments.
pub(super) fn parse(
    caps: &CapabilityArgs,
    holder: Option<&String>,
    bare_tools_inherit: bool,
) -> Result<Request, CliError> {
    let file = match &caps.capabilities {
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
        &caps.tools,
        &caps.constraints,
        &caps.tool_positions,
        &caps.constraint_positions,
    )?;
    let mut inherited = Vec::new();
    if bare_tools_inherit {
        for (i, (tool, pos)) in caps.tools.iter().zip(&caps.tool_positions).enumerate() {
            let next = caps
                .tool_positions
                .get(i + 1)
                .copied()
                .unwrap_or(usize::MAX);
            if !caps
                .constraint_positions
                .iter()
                .any(|c| c > pos && *c < next)
            {
                tools.remove(tool);
                inherited.push(tool.clone());
            }
        }
    }
    if let Some((f, name)) = &file {
        for (tool, set) in file_tools(f, name)? {
            if tools.insert(tool.clone(), set).is_some() || inherited.contains(&tool) {
                return Err(CliError::usage(
                    "--tool",
                    format!("tool `{tool}` is given both by flag and in {name}"),
                ));
            }
        }
    }
    let holder = match (
        holder,
        file.as_ref()
            .and_then(|(f, n)| Some((f.holder.as_ref()?, n))),
    ) {
        (Some(h), _) => Some(load_public_key(h, "--holder")?),
        (None, Some((h, name))) => Some(load_public_key(h, &format!("{name} holder"))?),
        (None, None) => None,
    };
    let ttl = match (
        &caps.ttl,
        file.as_ref().and_then(|(f, n)| Some((f.ttl.as_ref()?, n))),
    ) {
        (Some(t), _) => {
            Some(crate::duration::parse_secs(t).map_err(|e| CliError::usage("--ttl", e))?)
        }
        (None, Some((t, name))) => Some(t.secs().map_err(|e| CliError::malformed(name, "ttl", e))?),
        (None, None) => None,
    };
    Ok(Request {
        tools,
        inherited,
        holder,
        ttl,
        max_depth: caps
            .max_depth
            .or_else(|| file.as_ref().and_then(|(f, _)| f.max_depth)),
    })
}

/// Tools from `--tool`/`--constraint`, each constraint applying to the
/// nearest `--tool` before it.
fn flag_tools(
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
fn file_tools(f: &CapFile, name: &str) -> Result<Tools, CliError> {
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
