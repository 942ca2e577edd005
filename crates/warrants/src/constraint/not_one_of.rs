//! `NotOneOf`: any value except the listed ones.
//!
//! Also home of [`ValueSet`], the canonical value set shared by the
//! set-like types ([`NotOneOf`], [`super::Contains`], [`super::Subset`]):
//! the same validity rules and wire form as [`super::OneOf`] (1 to 1024
//! values, each nested at most 16 levels, no NaN, sorted by canonical
//! encoding and unique). The types themselves are declared with
//! [`super::set_backed`].
//!
//! Membership is decided on canonical encodings. Canonical encoding is a
//! faithful key for value equality (§3 of the spec): integral floats are
//! written as integers (`3.0` and `3` share one encoding), map keys are
//! sorted, and NaN (the one value not equal to itself) is never a member.
//! So `a == b` exactly when `a.to_cbor() == b.to_cbor()` for NaN-free
//! values, and a binary search over the sorted encodings decides `==`
//! against every listed value in `O(log n)`.

use super::one_of::MAX_ONE_OF;
use super::set_backed::{set_backed_params, set_backed_type};
use super::{decode_value, expect_params, Constraint, Kind, Widening};
use crate::cbor::{Reader, Writer};
use crate::error::{ConstraintError, DecodeError};
use crate::value::{Value, MAX_CONSTRAINT_VALUE_DEPTH, MAX_VALUE_DEPTH};

/// Messages naming the constraint type a [`ValueSet`] belongs to.
pub(crate) struct SetNames {
    /// Construction: no values.
    pub(crate) empty: &'static str,
    /// Construction: more than 1024 values.
    pub(crate) too_many: &'static str,
    /// Decode: wrong parameter count.
    pub(crate) params: &'static str,
    /// Decode: empty list.
    pub(crate) decode_empty: &'static str,
    /// Decode: more than 1024 values.
    pub(crate) decode_too_many: &'static str,
    /// Decode: values out of canonical order or repeated.
    pub(crate) unsorted: &'static str,
}

/// A non-empty set of constraint values in canonical order, with their
/// canonical encodings (the membership keys).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValueSet {
    values: Vec<Value>,
    keys: Vec<Vec<u8>>,
}

impl ValueSet {
    /// Sort and de-duplicate `values` by canonical encoding; refuse an
    /// empty set, NaN, values nested deeper than 16 levels and more than
    /// 1024 values.
    pub(crate) fn new<V: Into<Value>>(
        values: impl IntoIterator<Item = V>,
        names: &SetNames,
    ) -> Result<Self, ConstraintError> {
        let mut enc: Vec<(Vec<u8>, Value)> = Vec::new();
        for v in values {
            let v = v.into();
            // Depth first: `contains_nan` and `to_cbor` recurse.
            if v.nested_deeper_than(MAX_CONSTRAINT_VALUE_DEPTH) {
                return Err(ConstraintError::InvalidValue("value nested too deeply"));
            }
            if v.contains_nan() {
                return Err(ConstraintError::InvalidValue("nan never matches"));
            }
            enc.push((v.to_cbor(), v));
            if enc.len() > 2 * MAX_ONE_OF {
                // Bound the work on huge inputs; duplicates could still
                // shrink the set, but not below the limit this far out.
                enc.sort_by(|a, b| a.0.cmp(&b.0));
                enc.dedup_by(|a, b| a.0 == b.0);
                if enc.len() > MAX_ONE_OF {
                    return Err(ConstraintError::InvalidSet(names.too_many));
                }
            }
        }
        enc.sort_by(|a, b| a.0.cmp(&b.0));
        enc.dedup_by(|a, b| a.0 == b.0);
        if enc.is_empty() {
            return Err(ConstraintError::InvalidSet(names.empty));
        }
        if enc.len() > MAX_ONE_OF {
            return Err(ConstraintError::InvalidSet(names.too_many));
        }
        let (keys, values) = enc.into_iter().unzip();
        Ok(Self { values, keys })
    }

    /// The values in canonical order.
    pub(crate) fn values(&self) -> &[Value] {
        &self.values
    }

    /// Number of values.
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// Position of the listed value equal to `v`, if any. Values nested
    /// deeper than any listed value can be, and values containing NaN,
    /// are never members.
    pub(crate) fn position(&self, v: &Value) -> Option<usize> {
        if v.nested_deeper_than(MAX_CONSTRAINT_VALUE_DEPTH) || v.contains_nan() {
            return None;
        }
        self.keys.binary_search(&v.to_cbor()).ok()
    }

    /// Whether a listed value equals `v`.
    pub(crate) fn contains(&self, v: &Value) -> bool {
        self.position(v).is_some()
    }

    /// `Ok` when every value of `self` is a value of `other`, else
    /// `Err(why)`: the narrowing check between two constraints of one
    /// set-backed type (the type decides which side must be the subset).
    pub(crate) fn require_subset_of(
        &self,
        other: &ValueSet,
        why: Widening,
    ) -> Result<(), Widening> {
        if self
            .keys
            .iter()
            .all(|k| other.keys.binary_search(k).is_ok())
        {
            Ok(())
        } else {
            Err(why)
        }
    }

    /// Write the one list parameter.
    pub(crate) fn encode(&self, w: &mut Writer) {
        w.array(self.values.len());
        for v in &self.values {
            v.encode(w);
        }
    }

    /// Read the parameters: exactly one canonical list.
    pub(crate) fn decode(
        r: &mut Reader<'_>,
        n: usize,
        names: &SetNames,
    ) -> Result<Self, DecodeError> {
        expect_params(n, 1, names.params)?;
        let len = r.array()?;
        if len == 0 {
            return Err(DecodeError::Malformed(names.decode_empty));
        }
        if len > MAX_ONE_OF {
            return Err(DecodeError::TooLarge(names.decode_too_many));
        }
        r.enter()?;
        let mut values = Vec::with_capacity(len);
        let mut keys: Vec<Vec<u8>> = Vec::with_capacity(len);
        for _ in 0..len {
            let start = r.pos();
            let v = decode_value(r)?;
            if v.nested_deeper_than(MAX_CONSTRAINT_VALUE_DEPTH) {
                return Err(DecodeError::TooDeep);
            }
            let bytes = r.slice(start, r.pos())?;
            if keys.last().is_some_and(|p| p.as_slice() >= bytes) {
                return Err(DecodeError::NonCanonical(names.unsorted));
            }
            keys.push(bytes.to_vec());
            values.push(v);
        }
        r.leave();
        Ok(Self { values, keys })
    }
}

/// Whether an argument value is one a set-like constraint may match at
/// all: nested at most [`MAX_VALUE_DEPTH`] levels and free of NaN (NaN
/// never matches, §3).
fn is_matchable(v: &Value) -> bool {
    !v.nested_deeper_than(MAX_VALUE_DEPTH) && !v.contains_nan()
}

/// The elements of `v` when it is a list that a list constraint
/// ([`super::Contains`], [`super::Subset`]) may match at all (see
/// [`is_matchable`]); `None` otherwise.
pub(crate) fn matchable_list(v: &Value) -> Option<&[Value]> {
    v.as_list().filter(|_| is_matchable(v))
}

const NAMES: SetNames = SetNames {
    empty: "not_one_of needs at least one value",
    too_many: "not_one_of has too many values",
    params: "not_one_of takes one list",
    decode_empty: "not_one_of with no values",
    decode_too_many: "not_one_of values",
    unsorted: "not_one_of values not sorted and unique",
};

set_backed_type! {
    /// Allows any value **except** the listed ones (a deny-list). Values
    /// compare as in [`super::Exact`] (`NotOneOf([3])` also refuses `3.0`).
    /// Fails closed: a value containing NaN, or nested deeper than
    /// [`MAX_VALUE_DEPTH`], never matches.
    ///
    /// A deny-list is co-finite, so only a few children are provably narrower:
    /// finite children ([`super::Exact`], [`super::OneOf`]) none of whose
    /// values is excluded, a `NotOneOf` excluding at least the same values,
    /// and [`super::Range`], [`super::Pattern`], [`super::Subpath`],
    /// [`super::Contains`] and [`super::Subset`] children that match none of
    /// the excluded values. Everything else (including [`super::Wildcard`]) is
    /// refused.
    pub struct NotOneOf(names: NAMES);

    /// Anything but `values`.
    pub fn new;

    /// The excluded values in canonical order.
    pub fn values;
}

impl Kind for NotOneOf {
    const TYPE_ID: u64 = 6;
    const NAME: &'static str = "not_one_of";

    fn matches(&self, value: &Value) -> bool {
        is_matchable(value) && !self.set.contains(value)
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        match child {
            Constraint::NotOneOf(c) => self.set.require_subset_of(
                &c.set,
                "not_one_of child must exclude every value the parent excludes",
            ),
            // These types are pure functions of the value, respect value
            // equality (`3 == 3.0`) and never match a value containing
            // NaN, so "matches no excluded value" proves "every value it
            // matches is allowed by the parent".
            Constraint::Range(_)
            | Constraint::Pattern(_)
            | Constraint::Subpath(_)
            | Constraint::Contains(_)
            | Constraint::Subset(_) => {
                if self.set.values().iter().any(|v| child.matches(v)) {
                    Err("child allows a value the parent excludes")
                } else {
                    Ok(())
                }
            }
            _ => Err(
                "not_one_of only narrows to a child that provably excludes every excluded value",
            ),
        }
    }

    set_backed_params!(NAMES);
}

#[cfg(test)]
mod tests {
    use super::super::{Contains, Exact, OneOf, Pattern, Range, Subpath, Subset, Wildcard};
    use super::*;

    fn c<C: Into<Constraint>>(x: C) -> Constraint {
        x.into()
    }

    fn t(s: &str) -> Value {
        Value::from(s)
    }

    fn round_trip(x: &Constraint) {
        let b = x.to_cbor();
        let y = Constraint::from_cbor(&b).unwrap();
        assert_eq!(y.to_cbor(), b, "{x:?}");
        assert_eq!(&y, x);
    }

    fn deep(levels: usize) -> Value {
        let mut v = Value::Int(1);
        for _ in 0..levels {
            v = Value::list([v]);
        }
        v
    }

    #[test]
    fn not_one_of_matching() {
        let n = c(NotOneOf::new(["prod", "staging"]).unwrap());
        assert!(n.matches(&t("dev")));
        assert!(!n.matches(&t("prod")));
        assert!(!n.matches(&t("staging")));
        assert!(n.matches(&Value::Int(1)));
        assert!(n.matches(&Value::Null));
        assert!(n.matches(&Value::list(["prod"])));
        // Numeric equality: excluding 3 excludes 3.0.
        let n = c(NotOneOf::new([3]).unwrap());
        assert!(!n.matches(&Value::Float(3.0)));
        assert!(!n.matches(&Value::Int(3)));
        assert!(n.matches(&Value::Float(3.5)));
        let m = c(NotOneOf::new([Value::map([("a", Value::list([1, 2]))])]).unwrap());
        assert!(!m.matches(&Value::map([("a", Value::list([1.0, 2.0]))])));
        assert!(m.matches(&Value::map([("a", Value::list([2, 1]))])));
        // Fail closed on NaN and on values deeper than arguments may be.
        assert!(!n.matches(&Value::Float(f64::NAN)));
        assert!(!n.matches(&Value::list([Value::Float(f64::NAN)])));
        assert!(n.matches(&deep(20)));
        assert!(n.matches(&deep(MAX_VALUE_DEPTH)));
        assert!(!n.matches(&deep(MAX_VALUE_DEPTH + 1)));
    }

    #[test]
    fn not_one_of_construction() {
        let n = NotOneOf::new(["b", "a", "b"]).unwrap();
        assert_eq!(n.values(), &[t("a"), t("b")]);
        // 3 and 3.0 are one value.
        let n = NotOneOf::new([Value::Int(3), Value::Float(3.0)]).unwrap();
        assert_eq!(n.values().len(), 1);
        assert_eq!(
            NotOneOf::new(Vec::<Value>::new()).unwrap_err(),
            ConstraintError::InvalidSet("not_one_of needs at least one value")
        );
        assert!(matches!(
            NotOneOf::new([f64::NAN]),
            Err(ConstraintError::InvalidValue(_))
        ));
        assert!(matches!(
            NotOneOf::new([deep(17)]),
            Err(ConstraintError::InvalidValue(_))
        ));
        assert!(NotOneOf::new([deep(16)]).is_ok());
        assert!(NotOneOf::new(0..1024).is_ok());
        assert_eq!(
            NotOneOf::new(0..1025).unwrap_err(),
            ConstraintError::InvalidSet("not_one_of has too many values")
        );
        assert!(NotOneOf::new(0..100_000).is_err());
        // Duplicates beyond the limit still collapse.
        assert!(NotOneOf::new((0..5000).map(|i| i % 10)).is_ok());
        round_trip(&c(NotOneOf::new(["b", "a"]).unwrap()));
        round_trip(&c(NotOneOf::new([Value::Null, Value::list([1.5])]).unwrap()));
    }

    #[test]
    fn not_one_of_wire() {
        let n = c(NotOneOf::new([Value::from("b"), Value::from("a"), Value::Int(2)]).unwrap());
        assert_eq!(
            n.to_cbor(),
            [0x82, 0x06, 0x83, 0x02, 0x61, b'a', 0x61, b'b']
        );
        // Unsorted, duplicated, empty, wrong param count.
        for bad in [
            &[0x82, 0x06, 0x82, 0x61, b'b', 0x61, b'a'][..],
            &[0x82, 0x06, 0x82, 0x61, b'a', 0x61, b'a'],
            &[0x82, 0x06, 0x80],
            &[0x81, 0x06],
            &[0x83, 0x06, 0x81, 0x01, 0x01],
            &[0x82, 0x06, 0x01],
        ] {
            assert!(Constraint::from_cbor(bad).is_err(), "{bad:x?}");
        }
        assert_eq!(
            Constraint::from_cbor(&[0x82, 0x06, 0x80]).unwrap_err(),
            DecodeError::Malformed("not_one_of with no values")
        );
        assert!(matches!(
            Constraint::from_cbor(&[0x82, 0x06, 0x82, 0x61, b'b', 0x61, b'a']),
            Err(DecodeError::NonCanonical(_))
        ));
        // A value nested 17 levels inside the list.
        let mut b = vec![0x82, 0x06, 0x81];
        b.extend(deep(17).to_cbor());
        assert_eq!(Constraint::from_cbor(&b).unwrap_err(), DecodeError::TooDeep);
        // 1025 values.
        let mut b = vec![0x82, 0x06, 0x99, 0x04, 0x01];
        for i in 0..1025u16 {
            b.extend(Value::Int(i64::from(i)).to_cbor());
        }
        assert!(matches!(
            Constraint::from_cbor(&b),
            Err(DecodeError::TooLarge(_))
        ));
    }

    #[test]
    fn not_one_of_attenuation() {
        let p = c(NotOneOf::new(["prod", "staging"]).unwrap());
        // Deny-list children: superset narrows, subset widens.
        assert!(p
            .narrows_to(&c(NotOneOf::new(["prod", "staging", "qa"]).unwrap()))
            .is_ok());
        assert!(p
            .narrows_to(&c(NotOneOf::new(["staging", "prod"]).unwrap()))
            .is_ok());
        assert!(p.narrows_to(&c(NotOneOf::new(["prod"]).unwrap())).is_err());
        assert!(p.narrows_to(&c(NotOneOf::new(["qa"]).unwrap())).is_err());
        // Finite children: none excluded.
        assert!(p.narrows_to(&c(Exact::new("dev").unwrap())).is_ok());
        assert!(p.narrows_to(&c(Exact::new("prod").unwrap())).is_err());
        assert!(p.narrows_to(&c(OneOf::new(["dev", "qa"]).unwrap())).is_ok());
        assert!(p
            .narrows_to(&c(OneOf::new(["dev", "staging"]).unwrap()))
            .is_err());
        // Wildcard widens.
        assert!(p.narrows_to(&c(Wildcard)).is_err());
        // Pattern / Subpath: allowed only if no excluded text matches.
        assert!(p.narrows_to(&c(Pattern::new("dev-*").unwrap())).is_ok());
        assert!(p.narrows_to(&c(Pattern::new("*").unwrap())).is_err());
        assert!(p.narrows_to(&c(Pattern::new("pro?").unwrap())).is_err());
        assert!(p.narrows_to(&c(Subpath::new("/data").unwrap())).is_ok());
        let paths = c(NotOneOf::new(["/etc/passwd", "/data/secret"]).unwrap());
        assert!(paths
            .narrows_to(&c(Subpath::new("/data").unwrap()))
            .is_err());
        assert!(paths
            .narrows_to(&c(Subpath::new("/data/public").unwrap()))
            .is_ok());
        // Range: allowed only if no excluded number is inside.
        let nums = c(NotOneOf::new([Value::Int(0), Value::Float(2.5)]).unwrap());
        assert!(nums.narrows_to(&c(Range::between(3, 10).unwrap())).is_ok());
        assert!(nums.narrows_to(&c(Range::between(1, 10).unwrap())).is_err());
        assert!(nums
            .narrows_to(&c(Range::new(
                Some(super::super::Bound::exclusive(0)),
                Some(super::super::Bound::exclusive(2.5))
            )
            .unwrap()))
            .is_ok());
        assert!(nums
            .narrows_to(&c(Range::new(
                Some(super::super::Bound::exclusive(0)),
                Some(super::super::Bound::inclusive(2.5))
            )
            .unwrap()))
            .is_err());
        assert!(nums.narrows_to(&c(Range::at_least(-0.0).unwrap())).is_err());
        // Lists: allowed only if no excluded list matches.
        let lists = c(NotOneOf::new([Value::list(["a"]), Value::list::<Value, _>([])]).unwrap());
        assert!(lists.narrows_to(&c(Contains::new(["b"]).unwrap())).is_ok());
        assert!(lists.narrows_to(&c(Contains::new(["a"]).unwrap())).is_err());
        assert!(lists.narrows_to(&c(Subset::new(["b"]).unwrap())).is_err());
        let one = c(NotOneOf::new([Value::list(["a"])]).unwrap());
        assert!(one.narrows_to(&c(Subset::new(["b"]).unwrap())).is_ok());
        assert!(one
            .narrows_to(&c(Subset::new(["a", "b"]).unwrap()))
            .is_err());
    }

    #[test]
    fn oneof_to_notoneof_refused() {
        // Escalation: an allow-list turned into a deny-list allows
        // everything the deny-list does not name.
        let p = c(OneOf::new(["read", "list"]).unwrap());
        for child in [
            NotOneOf::new(["delete"]).unwrap(),
            NotOneOf::new(["delete", "write", "admin"]).unwrap(),
        ] {
            assert!(p.narrows_to(&c(child)).is_err());
        }
        // Likewise from Exact, Range, Pattern, Subpath.
        let child = c(NotOneOf::new(["x"]).unwrap());
        for p in [
            c(Exact::new("read").unwrap()),
            c(Range::between(0, 10).unwrap()),
            c(Pattern::new("**").unwrap()),
            c(Subpath::new("/").unwrap()),
        ] {
            assert!(p.narrows_to(&child).is_err(), "{p:?}");
        }
        // Only the wildcard is wider than a deny-list.
        assert!(c(Wildcard).narrows_to(&child).is_ok());
    }
}
