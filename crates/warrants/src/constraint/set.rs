//! Constraint sets: the argument rules for one tool.
//!
//! Closed world: a non-empty set requires every named argument and denies
//! arguments it does not name, unless it opts into `allow_unknown`. An empty
//! set allows any arguments. Wire form: `[allow_unknown: bool, {name: constraint}]`
//! with names in canonical (length-first, bytewise) order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Constraint;
use crate::cbor::{self, Reader, Writer};
use crate::error::DecodeError;
use crate::value::Value;

/// Most constraints one tool may carry.
pub const MAX_CONSTRAINTS_PER_TOOL: usize = 64;

/// The argument constraints of one tool.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConstraintSet {
    args: BTreeMap<String, Constraint>,
    allow_unknown: bool,
}

/// How one argument failed its constraint set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// The set names the argument but the call does not pass it.
    Missing,
    /// The call passes an argument the closed-world set does not name.
    Unexpected,
    /// The value fails the named constraint type.
    Mismatch {
        /// The constraint type that failed (`subpath`, `range`, ...).
        constraint: String,
    },
    /// The arguments are not a map, so no named argument can be found.
    NotAMap,
}

/// One violated argument. Never carries the argument's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgViolation {
    /// Index of the chain link whose constraint failed (0 = root).
    pub link: usize,
    /// Argument name (empty for [`ViolationKind::NotAMap`]).
    pub arg: String,
    /// What failed.
    pub kind: ViolationKind,
}

impl ConstraintSet {
    /// An empty set: any arguments.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set from `(name, constraint)` pairs.
    pub fn from_args<K: Into<String>>(args: impl IntoIterator<Item = (K, Constraint)>) -> Self {
        Self {
            args: args.into_iter().map(|(k, c)| (k.into(), c)).collect(),
            allow_unknown: false,
        }
    }

    /// Add or replace the constraint of one argument.
    pub fn arg(mut self, name: impl Into<String>, c: impl Into<Constraint>) -> Self {
        self.args.insert(name.into(), c.into());
        self
    }

    /// Let arguments the set does not name through.
    pub fn allow_unknown(mut self) -> Self {
        self.allow_unknown = true;
        self
    }

    /// Whether unnamed arguments are allowed.
    pub fn allows_unknown(&self) -> bool {
        self.allow_unknown
    }

    /// The named constraints.
    pub fn args(&self) -> &BTreeMap<String, Constraint> {
        &self.args
    }

    /// Whether the set allows any arguments.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// Check a call's arguments, stopping at the first violation.
    pub fn check(&self, args: &Value) -> Result<(), ArgViolation> {
        self.violations(args, 0, true)
            .into_iter()
            .next()
            .map_or(Ok(()), Err)
    }

    /// Every violation of a call's arguments (`link` is recorded in each).
    pub fn all_violations(&self, args: &Value, link: usize) -> Vec<ArgViolation> {
        self.violations(args, link, false)
    }

    fn violations(&self, args: &Value, link: usize, first_only: bool) -> Vec<ArgViolation> {
        let mut out = Vec::new();
        if self.args.is_empty() {
            return out;
        }
        let v = |arg: &str, kind| ArgViolation {
            link,
            arg: arg.to_owned(),
            kind,
        };
        let Some(map) = args.as_map() else {
            out.push(v("", ViolationKind::NotAMap));
            return out;
        };
        for (name, c) in &self.args {
            match map.get(name) {
                None => out.push(v(name, ViolationKind::Missing)),
                Some(val) if !c.matches(val) => out.push(v(
                    name,
                    ViolationKind::Mismatch {
                        constraint: c.type_name().to_owned(),
                    },
                )),
                Some(_) => continue,
            }
            if first_only {
                return out;
            }
        }
        if !self.allow_unknown {
            for name in map.keys() {
                if !self.args.contains_key(name) {
                    out.push(v(name, ViolationKind::Unexpected));
                    if first_only {
                        return out;
                    }
                }
            }
        }
        out
    }

    /// `Ok` when `child` is provably narrower: every argument map the child
    /// allows, `self` allows. The error names the argument and the rule.
    pub fn narrows_to(&self, child: &ConstraintSet) -> Result<(), String> {
        if self.args.is_empty() {
            return Ok(());
        }
        if child.args.is_empty() {
            return Err("an empty (any arguments) set widens a constrained parent".into());
        }
        if child.allow_unknown && !self.allow_unknown {
            return Err("allow_unknown widens a closed-world parent".into());
        }
        for (name, pc) in &self.args {
            let cc = child
                .args
                .get(name)
                .ok_or_else(|| format!("argument `{name}` is dropped"))?;
            pc.narrows_to(cc)
                .map_err(|why| format!("argument `{name}`: {why}"))?;
        }
        for name in child.args.keys() {
            if !self.args.contains_key(name) && !self.allow_unknown {
                return Err(format!(
                    "argument `{name}` is not named by the closed-world parent"
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn encode(&self, w: &mut Writer) {
        w.array(2);
        w.bool(self.allow_unknown);
        w.map(self.args.len());
        let mut entries: Vec<(&String, &Constraint)> = self.args.iter().collect();
        entries.sort_by(|a, b| cbor::text_key_order(a.0, b.0));
        for (k, c) in entries {
            w.text(k);
            c.encode(w);
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.array_of(2, "constraint set is [allow_unknown, args]")?;
        r.enter()?;
        let allow_unknown = r.bool()?;
        let n = r.map()?;
        if n > MAX_CONSTRAINTS_PER_TOOL {
            return Err(DecodeError::TooLarge("constraints per tool"));
        }
        r.enter()?;
        let mut keys = cbor::MapKeys::default();
        let mut args = BTreeMap::new();
        for _ in 0..n {
            let k = cbor::read_text_key(r, &mut keys)?;
            let c = Constraint::decode(r)?;
            args.insert(k.to_owned(), c);
        }
        r.leave();
        r.leave();
        Ok(Self {
            args,
            allow_unknown,
        })
    }
}

impl<K: Into<String>, const N: usize> From<[(K, Constraint); N]> for ConstraintSet {
    fn from(a: [(K, Constraint); N]) -> Self {
        Self::from_args(a)
    }
}
