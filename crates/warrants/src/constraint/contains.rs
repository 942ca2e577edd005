//! `Contains`: a list holding every required value.

use super::not_one_of::{matchable_list, SetNames};
use super::set_backed::{set_backed_params, set_backed_type};
use super::{Constraint, Kind, Widening};
use crate::value::Value;

const NAMES: SetNames = SetNames {
    empty: "contains needs at least one value",
    too_many: "contains has too many values",
    params: "contains takes one list",
    decode_empty: "contains with no values",
    decode_too_many: "contains values",
    unsorted: "contains values not sorted and unique",
};

set_backed_type! {
    /// Allows a list that holds **every** required value (in any order, among
    /// any other elements; repeats are fine). Elements compare as in
    /// [`super::Exact`] (`Contains([3])` accepts `[3.0]`). Anything that is not
    /// a list never matches; a list containing NaN anywhere, or nested deeper
    /// than [`crate::value::MAX_VALUE_DEPTH`], never matches (fail closed).
    ///
    /// Narrows to a `Contains` requiring a superset of the values, and to
    /// finite children ([`super::Exact`], [`super::OneOf`]) whose every value
    /// is such a list. Every other child is refused.
    pub struct Contains(names: NAMES);

    /// Lists containing every one of `values`.
    pub fn new;

    /// The required values in canonical order.
    pub fn values;
}

impl Kind for Contains {
    const TYPE_ID: u64 = 11;
    const NAME: &'static str = "contains";

    fn matches(&self, value: &Value) -> bool {
        let Some(list) = matchable_list(value) else {
            return false;
        };
        let mut found = vec![false; self.set.len()];
        let mut missing = self.set.len();
        for e in list {
            let Some(slot) = self.set.position(e).and_then(|i| found.get_mut(i)) else {
                continue;
            };
            if !*slot {
                *slot = true;
                missing -= 1;
                if missing == 0 {
                    return true;
                }
            }
        }
        false
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        match child {
            Constraint::Contains(c) => self.set.require_subset_of(
                &c.set,
                "contains child must require every value the parent requires",
            ),
            _ => Err("contains only narrows to a contains requiring more, exact or one_of"),
        }
    }

    set_backed_params!(NAMES);
}

#[cfg(test)]
mod tests {
    use super::super::{Exact, NotOneOf, OneOf, Pattern, Range, Subpath, Subset, Wildcard};
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
    fn contains_matching() {
        let k = c(Contains::new(["read", "write"]).unwrap());
        assert!(k.matches(&l(["read", "write"])));
        assert!(k.matches(&l(["write", "x", "read", "read"])));
        assert!(!k.matches(&l(["read"])));
        assert!(!k.matches(&l(["read", "read"])));
        assert!(!k.matches(&empty()));
        // Not a list.
        assert!(!k.matches(&Value::from("read")));
        assert!(!k.matches(&Value::map([("read", "write")])));
        assert!(!k.matches(&Value::Null));
        // Elements are not searched recursively.
        assert!(!k.matches(&l([l(["read", "write"])])));
        // Numeric equality.
        let n = c(Contains::new([3]).unwrap());
        assert!(n.matches(&l([Value::Float(3.0)])));
        assert!(!n.matches(&l([Value::Float(3.5)])));
        // Fail closed on NaN anywhere in the list.
        assert!(!n.matches(&l([Value::Int(3), Value::Float(f64::NAN)])));
        assert!(!n.matches(&l([Value::Int(3), l([Value::Float(f64::NAN)])])));
        // Lists as required values.
        let ll = c(Contains::new([l([1, 2])]).unwrap());
        assert!(ll.matches(&l([l([1, 2]), l([3])])));
        assert!(!ll.matches(&l([1, 2])));
        // Deeper than arguments may be.
        let mut d = Value::Int(3);
        for _ in 0..40 {
            d = l([d]);
        }
        assert!(!n.matches(&l([Value::Int(3), d])));
    }

    #[test]
    fn contains_construction_and_wire() {
        assert_eq!(
            Contains::new(Vec::<Value>::new()).unwrap_err(),
            ConstraintError::InvalidSet("contains needs at least one value")
        );
        assert!(matches!(
            Contains::new([f64::NAN]),
            Err(ConstraintError::InvalidValue(_))
        ));
        assert!(Contains::new(0..1025).is_err());
        let k = Contains::new(["b", "a", "b"]).unwrap();
        assert_eq!(k.values(), &[Value::from("a"), Value::from("b")]);
        let k = c(k);
        assert_eq!(k.to_cbor(), [0x82, 0x0b, 0x82, 0x61, b'a', 0x61, b'b']);
        let back = Constraint::from_cbor(&k.to_cbor()).unwrap();
        assert_eq!(back, k);
        assert_eq!(back.type_name(), "contains");
        for bad in [
            &[0x82, 0x0b, 0x82, 0x61, b'b', 0x61, b'a'][..],
            &[0x82, 0x0b, 0x82, 0x61, b'a', 0x61, b'a'],
            &[0x82, 0x0b, 0x80],
            &[0x81, 0x0b],
            &[0x83, 0x0b, 0x81, 0x01, 0x01],
            &[0x82, 0x0b, 0x61, b'a'],
        ] {
            assert!(Constraint::from_cbor(bad).is_err(), "{bad:x?}");
        }
    }

    #[test]
    fn contains_attenuation() {
        let p = c(Contains::new(["read"]).unwrap());
        assert!(p
            .narrows_to(&c(Contains::new(["read", "write"]).unwrap()))
            .is_ok());
        assert!(p.narrows_to(&c(Contains::new(["read"]).unwrap())).is_ok());
        let rw = c(Contains::new(["read", "write"]).unwrap());
        // Escalation: dropping a required value widens.
        assert!(rw.narrows_to(&c(Contains::new(["read"]).unwrap())).is_err());
        assert!(rw.narrows_to(&c(Contains::new(["x"]).unwrap())).is_err());
        // Finite children of lists.
        assert!(p
            .narrows_to(&c(Exact::new(l(["read", "x"])).unwrap()))
            .is_ok());
        assert!(p.narrows_to(&c(Exact::new(l(["x"])).unwrap())).is_err());
        assert!(p.narrows_to(&c(Exact::new("read").unwrap())).is_err());
        assert!(p
            .narrows_to(&c(OneOf::new([l(["read"]), l(["read", "a"])]).unwrap()))
            .is_ok());
        assert!(p
            .narrows_to(&c(OneOf::new([l(["read"]), empty()]).unwrap()))
            .is_err());
        // Everything else is refused.
        for child in [
            c(Wildcard),
            c(Subset::new(["read"]).unwrap()),
            c(NotOneOf::new([empty()]).unwrap()),
            c(Range::between(0, 1).unwrap()),
            c(Pattern::new("read").unwrap()),
            c(Subpath::new("/read").unwrap()),
        ] {
            assert!(p.narrows_to(&child).is_err(), "{child:?}");
        }
    }

    #[test]
    fn subset_to_contains_refused() {
        // Escalation: an allow-list of elements is not a required-elements
        // list (and vice versa): each admits lists the other refuses.
        let sub = c(Subset::new(["read", "list"]).unwrap());
        let con = c(Contains::new(["read"]).unwrap());
        assert!(sub.narrows_to(&con).is_err());
        assert!(con.narrows_to(&sub).is_err());
        assert!(con.matches(&l(["read", "delete"])));
        assert!(!sub.matches(&l(["read", "delete"])));
        assert!(sub.matches(&empty()));
        assert!(!con.matches(&empty()));
    }
}
