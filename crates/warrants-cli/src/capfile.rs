//! Capability files (YAML or JSON) for `mint`.
//!
//! ```yaml
//! holder: seed:agent.seed        # optional; same forms as --holder, which overrides it
//! ttl: 1h                        # optional; seconds or 10m/1h/7d; --ttl overrides it
//! max_depth: 3                   # optional; --max-depth overrides it
//! allow_unknown: [search]        # optional; tools that accept unnamed arguments too
//! tools:                         # required: tool name -> argument name -> constraint
//!   read_file:
//!     path: subpath:/data/in     # flag syntax ...
//!   transfer:
//!     amount: {kind: range, min: 0, max: 100}   # ... or the structured form
//!   list_tools: {}               # empty (or null): any arguments
//! ```
//!
//! The format is JSON when the file name ends in `.json` or the content
//! starts with `{`, YAML otherwise. Errors give the field path and the line
//! and column.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::constraint_doc::ConstraintEntry;
use crate::exit::CliError;

/// A capability file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapFile {
    /// Holder key (see [`crate::keys::load_public_key`]).
    #[serde(default)]
    pub holder: Option<String>,
    /// Time to live.
    #[serde(default)]
    pub ttl: Option<Ttl>,
    /// Maximum delegation depth.
    #[serde(default)]
    pub max_depth: Option<u32>,
    /// Tools whose constraint sets allow unnamed arguments.
    #[serde(default)]
    pub allow_unknown: Vec<String>,
    /// Tool name to argument constraints (`null` or `{}`: any arguments).
    pub tools: BTreeMap<String, Option<BTreeMap<String, ConstraintEntry>>>,
}

/// A TTL: seconds, or text like `10m`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Ttl {
    /// Seconds.
    Secs(u64),
    /// Text such as `1h30m`.
    Text(String),
}

impl Ttl {
    /// The TTL in seconds.
    pub fn secs(&self) -> Result<u64, String> {
        match self {
            Ttl::Secs(n) => Ok(*n),
            Ttl::Text(t) => crate::duration::parse_secs(t),
        }
    }
}

/// Parse a capability file's text; `name` is used in errors.
pub fn parse(text: &str, name: &str) -> Result<CapFile, CliError> {
    let json = name.ends_with(".json") || text.trim_start().starts_with('{');
    let fail = |path: String, message: String| {
        // serde_norway already prefixes the path; keep it once.
        let message = message
            .strip_prefix(&format!("{path}: "))
            .map_or(message.clone(), str::to_owned);
        let field = if path == "." || path.is_empty() {
            "(document)".to_owned()
        } else {
            path
        };
        CliError::malformed(name, field, message)
    };
    if json {
        let mut de = serde_json::Deserializer::from_str(text);
        let file = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| fail(e.path().to_string(), e.inner().to_string()))?;
        de.end().map_err(|e| fail(String::new(), e.to_string()))?;
        Ok(file)
    } else {
        let de = serde_norway::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de)
            .map_err(|e| fail(e.path().to_string(), e.inner().to_string()))
    }
}
