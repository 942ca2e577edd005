//! `Subset`: a list whose every element is allowed.

use super::not_one_of::{matchable_list, SetNames};
use super::set_backed::{set_backed_params, set_backed_type};
use super::{Constraint, Kind, Widening};
use crate::value::Value;

const NAMES: SetNames = SetNames {
    empty: "subset needs at least one value",
    too_many: "subset has too many values",
    params: "subset takes one list",
    decode_empty: "subset with no values",
    decode_too_many: "subset values",
    unsorted: "subset values not sorted and unique",
};

set_backed_type! {
    /// Allows a list whose **every** element is one of the allowed values
    /// (repeats are fine; the empty list matches). Elements compare as in
    /// [`super::Exact`] (`Subset([3])` accepts `[3.0]`). Anything that is not a
    /// list never matches; a list containing NaN anywhere, or nested deeper
    /// than [`crate::value::MAX_VALUE_DEPTH`], never matches (fail closed).
    ///
    /// Narrows to a `Subset` allowing a subset of the values, and to finite
    /// children ([`super::Exact`], [`super::OneOf`]) whose every value is such
    /// a list. Every other child is refused.
    pub struct Subset(names: NAMES);

    /// Lists drawn from `values`.
    pub fn new;

    /// The allowed elements in canonical order.
    pub fn values;
}

impl Kind for Subset {
    const TYPE_ID: u64 = 12;
    const NAME: &'static str = "subset";

    fn matches(&self, value: &Value) -> bool {
        matchable_list(value).is_some_and(|list| list.iter().all(|e| self.set.contains(e)))
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        match child {
            Constraint::Subset(c) => c.set.require_subset_of(
                &self.set,
                "subset child allows an element the parent does not",
            ),
            _ => Err("subset only narrows to a subset of its values, exact or one_of"),
        }
    }

    set_backed_params!(NAMES);
}

#[cfg(test)]
mod tests {
    use super::super::{Contains, Exact, NotOneOf, OneOf, Pattern, Range, Subpath, Wildcard};
    use super::*;
    use crate::error::ConstraintError;

    fn c<C: Into<Constraint>>(x: C) -> Constraint {
        x.into()
    }

    fn l<V: Into<Value>>(items: impl IntoIterator<Item = V>) -> Value {
        Value::list(items)
    }

    fn empty() -> Value {
        Value::List(Vec::new())
    }

    #[test]
    fn subset_matching() {
        let s = c(Subset::new(["read", "list"]).unwrap());
        assert!(s.matches(&empty()));
        assert!(s.matches(&l(["read"])));
        assert!(s.matches(&l(["list", "read", "read"])));
        assert!(!s.matches(&l(["read", "delete"])));
        assert!(!s.matches(&Value::from("read")));
        assert!(!s.matches(&Value::map([("read", "list")])));
        assert!(!s.matches(&Value::Null));
        assert!(!s.matches(&l([l(["read"])])));
        let n = c(Subset::new([1, 2]).unwrap());
        assert!(n.matches(&l([Value::Float(1.0), Value::Int(2)])));
        assert!(!n.matches(&l([Value::Float(1.5)])));
        assert!(!n.matches(&l([Value::Float(f64::NAN)])));
        assert!(!n.matches(&l([Value::Int(1), l([Value::Float(f64::NAN)])])));
        let ll = c(Subset::new([l([1, 2])]).unwrap());
        assert!(ll.matches(&l([l([1, 2]), l([1.0, 2.0])])));
        assert!(!ll.matches(&l([l([2, 1])])));
        assert!(!ll.matches(&l([1, 2])));
    }

    #[test]
    fn subset_construction_and_wire() {
        assert_eq!(
            Subset::new(Vec::<Value>::new()).unwrap_err(),
            ConstraintError::InvalidSet("subset needs at least one value")
        );
        assert!(matches!(
            Subset::new([l([f64::NAN])]),
            Err(ConstraintError::InvalidValue(_))
        ));
        assert!(Subset::new(0..1025).is_err());
        let s = c(Subset::new([2, 1]).unwrap());
        assert_eq!(s.to_cbor(), [0x82, 0x0c, 0x82, 0x01, 0x02]);
        let back = Constraint::from_cbor(&s.to_cbor()).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.type_name(), "subset");
        for bad in [
            &[0x82, 0x0c, 0x82, 0x02, 0x01][..],
            &[0x82, 0x0c, 0x82, 0x01, 0x01],
            &[0x82, 0x0c, 0x80],
            &[0x81, 0x0c],
            &[0x83, 0x0c, 0x81, 0x01, 0x01],
            &[0x82, 0x0c, 0xf6],
            // 1.5 then 1: float encodings sort after small ints.
            &[0x82, 0x0c, 0x82, 0xf9, 0x3e, 0x00, 0x01],
        ] {
            assert!(Constraint::from_cbor(bad).is_err(), "{bad:x?}");
        }
    }

    #[test]
    fn subset_attenuation() {
        let p = c(Subset::new(["read", "list", "stat"]).unwrap());
        assert!(p.narrows_to(&c(Subset::new(["read"]).unwrap())).is_ok());
        assert!(p
            .narrows_to(&c(Subset::new(["stat", "list", "read"]).unwrap()))
            .is_ok());
        // Escalation: adding an allowed element widens.
        assert!(p
            .narrows_to(&c(Subset::new(["read", "delete"]).unwrap()))
            .is_err());
        // Finite children of lists.
        assert!(p.narrows_to(&c(Exact::new(empty()).unwrap())).is_ok());
        assert!(p
            .narrows_to(&c(Exact::new(l(["read", "read"])).unwrap()))
            .is_ok());
        assert!(p.narrows_to(&c(Exact::new(l(["write"])).unwrap())).is_err());
        assert!(p.narrows_to(&c(Exact::new("read").unwrap())).is_err());
        assert!(p
            .narrows_to(&c(OneOf::new([l(["read"]), l(["stat", "list"])]).unwrap()))
            .is_ok());
        assert!(p
            .narrows_to(&c(OneOf::new([l(["read"]), l(["x"])]).unwrap()))
            .is_err());
        for child in [
            c(Wildcard),
            c(Contains::new(["read"]).unwrap()),
            c(NotOneOf::new([l(["delete"])]).unwrap()),
            c(Range::between(0, 1).unwrap()),
            c(Pattern::new("read").unwrap()),
            c(Subpath::new("/read").unwrap()),
        ] {
            assert!(p.narrows_to(&child).is_err(), "{child:?}");
        }
    }
}
