//! Argument constraints: matching and attenuation.
//!
//! A [`Constraint`] restricts one argument. Each type lives in its own module
//! and implements `Kind`: how it matches a [`Value`], when another
//! constraint is provably narrower (attenuation), and its wire parameters.
//! The `constraint_types!` list below is the one registry: adding a type is
//! one new module plus one line there.
//!
//! Wire form of every constraint: a CBOR array `[type_id, params...]`.
//! Unknown type ids decode into [`Unknown`] (so newer warrants can be
//! inspected) and never match anything (fail closed).
//!
//! Attenuation rules shared by all types (see `docs/SPEC.md`):
//! 1. an unknown type only narrows to, and is only narrowed by, itself;
//! 2. [`Wildcard`] is narrowed by every known type;
//! 3. a finite child ([`Exact`], [`OneOf`]) narrows any parent that matches
//!    each of its values;
//! 4. otherwise the parent type's own rule decides, refusing what it cannot
//!    prove narrower.

mod cidr;
mod combinators;
mod contains;
mod exact;
mod not_one_of;
mod one_of;
pub(crate) mod pattern;
mod range;
mod regex_c;
mod set;
mod set_backed;
mod subpath;
mod subset;
mod unknown;
pub(crate) mod url_norm;
mod url_pattern;
mod url_safe;
mod wildcard;

pub use cidr::{Cidr, MAX_CIDR_NETWORKS};
pub use combinators::{
    All, Any, Not, MAX_COMBINATOR_CHILDREN, MAX_COMBINATOR_DEPTH, MAX_COMBINATOR_NODES,
};
pub use contains::Contains;
pub use exact::Exact;
pub use not_one_of::NotOneOf;
pub use one_of::OneOf;
pub use pattern::Pattern;
pub use range::{Bound, Range};
pub use regex_c::{Regex, MAX_REGEX_LEN, REGEX_SIZE_LIMIT};
pub use set::{ArgViolation, ConstraintSet, ViolationKind, MAX_CONSTRAINTS_PER_TOOL};
pub use subpath::Subpath;
pub use subset::Subset;
pub use unknown::Unknown;
pub use url_pattern::UrlPattern;
pub use url_safe::UrlSafe;
pub use wildcard::Wildcard;

use crate::cbor::{Reader, Writer};
use crate::error::DecodeError;
use crate::value::Value;

/// Why a child constraint was refused as a narrowing of its parent.
pub type Widening = &'static str;

/// What every constraint type implements.
pub(crate) trait Kind: Sized {
    /// Stable wire type id.
    const TYPE_ID: u64;
    /// Stable name used in messages and docs.
    const NAME: &'static str;
    /// Whether `value` satisfies the constraint.
    fn matches(&self, value: &Value) -> bool;
    /// `Ok` when every value `child` allows is allowed by `self`. Called
    /// after the shared rules (unknown, wildcard, finite child) did not
    /// decide. Refuse when it cannot be proven.
    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening>;
    /// Write the parameters (everything after the type id).
    fn encode_params(&self, w: &mut Writer);
    /// Number of parameters [`Kind::encode_params`] writes.
    fn param_count(&self) -> usize;
    /// Read `n` parameters (everything after the type id).
    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError>;
}

macro_rules! constraint_types {
    ($($(#[$doc:meta])* $variant:ident($ty:ty)),* $(,)?) => {
        /// One argument constraint.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum Constraint {
            $($(#[$doc])* $variant($ty),)*
            /// A type id this version does not know: decodes, never matches.
            Unknown(Unknown),
        }

        $(impl From<$ty> for Constraint {
            fn from(c: $ty) -> Self { Constraint::$variant(c) }
        })*

        impl Constraint {
            /// The stable name of the constraint type.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Constraint::$variant(_) => <$ty as Kind>::NAME,)*
                    Constraint::Unknown(_) => "unknown",
                }
            }

            /// The wire type id.
            pub fn type_id(&self) -> u64 {
                match self {
                    $(Constraint::$variant(_) => <$ty as Kind>::TYPE_ID,)*
                    Constraint::Unknown(u) => u.type_id(),
                }
            }

            /// Whether `value` satisfies this constraint. Unknown types
            /// never match.
            pub fn matches(&self, value: &Value) -> bool {
                match self {
                    $(Constraint::$variant(c) => c.matches(value),)*
                    Constraint::Unknown(_) => false,
                }
            }

            fn type_rule(&self, child: &Constraint) -> Result<(), Widening> {
                match self {
                    $(Constraint::$variant(c) => c.narrows_to(child),)*
                    Constraint::Unknown(_) => Err("unknown constraint types only narrow to themselves"),
                }
            }

            pub(crate) fn encode(&self, w: &mut Writer) {
                match self {
                    $(Constraint::$variant(c) => {
                        w.array(1 + c.param_count());
                        w.uint(<$ty as Kind>::TYPE_ID);
                        c.encode_params(w);
                    })*
                    Constraint::Unknown(u) => w.raw(u.raw()),
                }
            }

            pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                let start = r.pos();
                let n = r.array()?;
                if n == 0 {
                    return Err(DecodeError::Malformed("constraint without type id"));
                }
                r.enter()?;
                let type_id = r.uint()?;
                let params = n - 1;
                let c = match type_id {
                    $(<$ty as Kind>::TYPE_ID => Constraint::$variant(<$ty as Kind>::decode_params(r, params)?),)*
                    _ => {
                        for _ in 0..params {
                            r.skip_item()?;
                        }
                        Constraint::Unknown(Unknown::new(type_id, r.slice(start, r.pos())?.to_vec()))
                    }
                };
                r.leave();
                Ok(c)
            }
        }
    };
}

constraint_types! {
    /// Any value (the argument must still be present).
    Wildcard(Wildcard),
    /// Equal to one value.
    Exact(Exact),
    /// Equal to one of a set of values.
    OneOf(OneOf),
    /// A number within bounds.
    Range(Range),
    /// Text matching a glob.
    Pattern(Pattern),
    /// A POSIX path inside a root directory.
    Subpath(Subpath),
    /// Text fully matching a regular expression.
    Regex(Regex),
    /// Any value except the listed ones.
    NotOneOf(NotOneOf),
    /// A list holding every listed value.
    Contains(Contains),
    /// A list whose every element is listed.
    Subset(Subset),
    /// Text naming an IP address inside one of a list of networks.
    Cidr(Cidr),
    /// Every child constraint matches.
    All(All),
    /// At least one child constraint matches.
    Any(Any),
    /// The inner constraint does not match (fail closed).
    Not(Not),
    /// A URL safe to fetch server-side (SSRF guard, no DNS).
    UrlSafe(UrlSafe),
    /// A URL matching a scheme set, host pattern, port and path glob.
    UrlPattern(UrlPattern),
}

impl Constraint {
    /// `Ok` when `child` is provably narrower than `self`: every value the
    /// child allows, `self` allows. Refuses what cannot be proven.
    pub fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        match (self, child) {
            (Constraint::Unknown(p), Constraint::Unknown(c)) if p == c => Ok(()),
            (_, Constraint::Unknown(_)) => {
                Err("a constraint of unknown type cannot be proven narrower")
            }
            (Constraint::Unknown(_), _) => {
                Err("unknown constraint types only narrow to themselves")
            }
            (Constraint::Wildcard(_), _) => Ok(()),
            (_, Constraint::Exact(e)) => {
                if self.matches(e.value()) {
                    Ok(())
                } else {
                    Err("exact value is not allowed by the parent")
                }
            }
            (_, Constraint::OneOf(o)) => {
                if o.values().iter().all(|v| self.matches(v)) {
                    Ok(())
                } else {
                    Err("a value of the set is not allowed by the parent")
                }
            }
            // Combinator rules (either side a combinator), else the type rule.
            _ => combinators::narrows(self, child).unwrap_or_else(|| self.type_rule(child)),
        }
    }

    /// Number of `Regex` constraints in this constraint (combinators
    /// included), bounded per warrant by
    /// [`crate::limits::MAX_REGEXES_PER_WARRANT`].
    pub(crate) fn regex_count(&self) -> usize {
        match self {
            Constraint::Regex(_) => 1,
            Constraint::All(a) => a.children().iter().map(Self::regex_count).sum(),
            Constraint::Any(a) => a.children().iter().map(Self::regex_count).sum(),
            Constraint::Not(n) => n.inner().regex_count(),
            _ => 0,
        }
    }

    /// Bytes of glob source this constraint will compile (bounded per
    /// warrant by [`crate::limits::MAX_GLOB_BYTES_PER_WARRANT`]).
    pub(crate) fn glob_bytes(&self) -> usize {
        match self {
            Constraint::Pattern(p) => p.glob().len(),
            Constraint::UrlPattern(u) => u.glob_bytes(),
            Constraint::All(a) => a.children().iter().map(Self::glob_bytes).sum(),
            Constraint::Any(a) => a.children().iter().map(Self::glob_bytes).sum(),
            Constraint::Not(n) => n.inner().glob_bytes(),
            _ => 0,
        }
    }

    /// Canonical CBOR of this constraint alone.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut w = Writer::default();
        self.encode(&mut w);
        w.into_bytes()
    }

    /// Decode one constraint from canonical CBOR.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes, crate::limits::MAX_NESTING);
        let c = Self::decode(&mut r)?;
        r.finish()?;
        Ok(c)
    }
}

impl PartialEq for Constraint {
    /// Two constraints are equal when their canonical encodings are.
    fn eq(&self, other: &Self) -> bool {
        self.to_cbor() == other.to_cbor()
    }
}

/// Read a constraint value (an argument value inside a constraint): NaN is
/// refused at decode.
pub(crate) fn decode_value(r: &mut Reader<'_>) -> Result<Value, DecodeError> {
    Value::decode(r)
}

/// Check the declared parameter count.
pub(crate) fn expect_params(n: usize, want: usize, what: &'static str) -> Result<(), DecodeError> {
    if n == want {
        Ok(())
    } else {
        Err(DecodeError::Malformed(what))
    }
}

#[cfg(test)]
mod tests;
