//! `Subpath`: a POSIX path inside a root directory, checked lexically.
//!
//! A value matches when it is text, absolute, free of NUL, its first
//! components (after dropping empty and `.` components) are exactly the
//! root's, and no later `..` climbs back out of the root. `/data` does not
//! contain `/database`. The check is lexical: symlinks inside the root are
//! the filesystem's business (see `docs/SECURITY.md`).

use super::{expect_params, Constraint, Kind, Widening};
use crate::cbor::{Reader, Writer};
use crate::error::{ConstraintError, DecodeError};
use crate::value::Value;

/// Longest root or value path considered, in bytes.
pub const MAX_PATH_LEN: usize = 4096;

/// Allows absolute paths inside a root directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subpath {
    root: String,
    components: Vec<String>,
}

impl Subpath {
    /// Paths inside `root`. The root must be absolute and normalized: it
    /// starts with `/`, has no empty, `.` or `..` components, no trailing
    /// `/` (except the root `/` itself) and no NUL.
    pub fn new(root: impl Into<String>) -> Result<Self, ConstraintError> {
        let root = root.into();
        if root.len() > MAX_PATH_LEN {
            return Err(ConstraintError::InvalidPath("path too long"));
        }
        if root.contains('\0') {
            return Err(ConstraintError::InvalidPath("path contains nul"));
        }
        let rest = root
            .strip_prefix('/')
            .ok_or(ConstraintError::InvalidPath("path must be absolute"))?;
        let components: Vec<String> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').map(str::to_owned).collect()
        };
        for c in &components {
            if c.is_empty() || c == "." || c == ".." {
                return Err(ConstraintError::InvalidPath(
                    "path must be normalized (no empty, . or .. components)",
                ));
            }
        }
        Ok(Self { root, components })
    }

    /// The root directory.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Whether `path` lies inside the root (see the module docs).
    pub fn contains(&self, path: &str) -> bool {
        if path.len() > MAX_PATH_LEN || path.contains('\0') {
            return false;
        }
        let Some(rest) = path.strip_prefix('/') else {
            return false;
        };
        let mut parts = rest.split('/').filter(|c| !c.is_empty() && *c != ".");
        for want in &self.components {
            match parts.next() {
                Some(got) if got == want => {}
                _ => return false,
            }
        }
        let mut depth: usize = 0;
        for c in parts {
            if c == ".." {
                match depth.checked_sub(1) {
                    Some(d) => depth = d,
                    None => return false,
                }
            } else {
                depth += 1;
            }
        }
        true
    }
}

impl Kind for Subpath {
    const TYPE_ID: u64 = 5;
    const NAME: &'static str = "subpath";

    fn matches(&self, value: &Value) -> bool {
        value.as_str().is_some_and(|s| self.contains(s))
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        match child {
            Constraint::Subpath(c) => {
                if c.components.starts_with(&self.components) {
                    Ok(())
                } else {
                    Err("subpath root is not inside the parent root")
                }
            }
            _ => Err("subpath only narrows to a subpath, exact or one_of"),
        }
    }

    fn encode_params(&self, w: &mut Writer) {
        w.text(&self.root);
    }

    fn param_count(&self) -> usize {
        1
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        expect_params(n, 1, "subpath takes one root")?;
        Ok(Subpath::new(r.text()?)?)
    }
}
