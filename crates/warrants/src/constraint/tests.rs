//! Unit tests: matching, attenuation and wire form of each constraint type.

use super::*;
use crate::value::Value;

fn t(s: &str) -> Value {
    Value::from(s)
}

fn c<C: Into<Constraint>>(x: C) -> Constraint {
    x.into()
}

fn round_trip(x: &Constraint) {
    let b = x.to_cbor();
    let y = Constraint::from_cbor(&b).unwrap();
    assert_eq!(y.to_cbor(), b, "{x:?}");
    assert_eq!(&y, x);
}

#[test]
fn wildcard_matches_anything_and_is_narrowed_by_all() {
    let w = c(Wildcard::new());
    for v in [Value::Null, t("x"), Value::Int(1), Value::list([1])] {
        assert!(w.matches(&v));
    }
    for child in [
        c(Exact::new("a").unwrap()),
        c(Range::at_most(3).unwrap()),
        c(Subpath::new("/").unwrap()),
        c(Pattern::new("**").unwrap()),
        c(Wildcard::new()),
    ] {
        assert!(w.narrows_to(&child).is_ok());
    }
    round_trip(&w);
}

#[test]
fn exact_numeric_and_structural() {
    let e = c(Exact::new(3).unwrap());
    assert!(e.matches(&Value::Int(3)));
    assert!(e.matches(&Value::Float(3.0)));
    assert!(!e.matches(&Value::Float(3.5)));
    assert!(!e.matches(&t("3")));
    assert!(Exact::new(f64::NAN).is_err());
    let m = c(Exact::new(Value::map([("a", 1)])).unwrap());
    assert!(m.matches(&Value::map([("a", 1.0)])));
    round_trip(&e);
    round_trip(&m);
    // Exact narrows only to itself (or finite subsets).
    assert!(e.narrows_to(&c(Exact::new(3.0).unwrap())).is_ok());
    assert!(e.narrows_to(&c(Exact::new(4).unwrap())).is_err());
    assert!(e.narrows_to(&c(Range::between(3, 3).unwrap())).is_err());
    assert!(e.narrows_to(&c(Wildcard)).is_err());
}

#[test]
fn exact_refuses_deep_values() {
    let mut v = Value::Int(1);
    for _ in 0..20 {
        v = Value::list([v]);
    }
    assert!(Exact::new(v).is_err());
}

#[test]
fn one_of_set_semantics() {
    let o = OneOf::new(["b", "a", "b"]).unwrap();
    assert_eq!(o.values().len(), 2);
    let o = c(o);
    assert!(o.matches(&t("a")));
    assert!(!o.matches(&t("c")));
    assert!(OneOf::new(Vec::<Value>::new()).is_err());
    round_trip(&o);
    assert!(o.narrows_to(&c(OneOf::new(["a"]).unwrap())).is_ok());
    assert!(o.narrows_to(&c(Exact::new("b").unwrap())).is_ok());
    assert!(o.narrows_to(&c(OneOf::new(["a", "c"]).unwrap())).is_err());
    assert!(o.narrows_to(&c(Pattern::new("a").unwrap())).is_err());
}

#[test]
fn one_of_decode_requires_sorted_unique() {
    // [2, ["b", "a"]] is unsorted; [2, ["a", "a"]] duplicated.
    let unsorted = [0x82, 0x02, 0x82, 0x61, b'b', 0x61, b'a'];
    assert!(Constraint::from_cbor(&unsorted).is_err());
    let dup = [0x82, 0x02, 0x82, 0x61, b'a', 0x61, b'a'];
    assert!(Constraint::from_cbor(&dup).is_err());
    let ok = [0x82, 0x02, 0x82, 0x61, b'a', 0x61, b'b'];
    assert!(Constraint::from_cbor(&ok).is_ok());
}

#[test]
fn range_bounds() {
    let r = c(Range::new(Some(Bound::exclusive(0)), Some(Bound::inclusive(100))).unwrap());
    assert!(!r.matches(&Value::Int(0)));
    assert!(r.matches(&Value::Float(0.5)));
    assert!(r.matches(&Value::Int(100)));
    assert!(!r.matches(&Value::Float(100.000_001)));
    assert!(!r.matches(&Value::Float(f64::NAN)));
    assert!(!r.matches(&t("50")));
    assert!(Range::between(5, 4).is_err());
    assert!(Range::new(Some(Bound::exclusive(5)), Some(Bound::inclusive(5))).is_err());
    assert!(Range::at_most(f64::NAN).is_err());
    assert!(Range::at_most("x").is_err());
    round_trip(&r);
    round_trip(&c(Range::at_least(1.5).unwrap()));
    round_trip(&c(Range::new(None, None).unwrap()));
}

#[test]
fn range_attenuation_respects_inclusivity() {
    let p = c(Range::less_than(100).unwrap());
    // Escalation: same bound, exclusive -> inclusive widens by one point.
    assert!(p.narrows_to(&c(Range::at_most(100).unwrap())).is_err());
    assert!(p.narrows_to(&c(Range::less_than(100).unwrap())).is_ok());
    assert!(p.narrows_to(&c(Range::at_most(99.5).unwrap())).is_ok());
    assert!(p.narrows_to(&c(Range::between(0, 99).unwrap())).is_ok());
    // Unbounded child side widens a bounded parent side.
    let q = c(Range::between(0, 10).unwrap());
    assert!(q.narrows_to(&c(Range::at_most(5).unwrap())).is_err());
    assert!(q.narrows_to(&c(Range::between(0, 10).unwrap())).is_ok());
    // Finite children.
    assert!(q.narrows_to(&c(OneOf::new([0, 5, 10]).unwrap())).is_ok());
    assert!(q.narrows_to(&c(OneOf::new([0, 11]).unwrap())).is_err());
}

#[test]
fn pattern_glob_syntax() {
    let p = Pattern::new("/data/*.txt").unwrap();
    let m = |g: &Pattern, s: &str| c(g.clone()).matches(&t(s));
    assert!(m(&p, "/data/a.txt"));
    assert!(!m(&p, "/data/x/a.txt"));
    let p = Pattern::new("/data/**").unwrap();
    assert!(m(&p, "/data/x/y/z"));
    assert!(m(&p, "/data/"));
    assert!(!m(&p, "/database"));
    let p = Pattern::new("file-?.log").unwrap();
    assert!(m(&p, "file-1.log"));
    assert!(!m(&p, "file-12.log"));
    assert!(!m(&Pattern::new("a?b").unwrap(), "a/b"));
    let p = Pattern::new("[a-c]x[!0-9]").unwrap();
    assert!(m(&p, "bxq"));
    assert!(!m(&p, "dxq"));
    assert!(!m(&p, "bx5"));
    assert!(!m(&p, "bx/"));
    let p = Pattern::new(r"\*literal\?").unwrap();
    assert!(m(&p, "*literal?"));
    assert!(!m(&p, "xliteral?"));
    assert!(m(&Pattern::new("[]]").unwrap(), "]"));
    assert!(m(&Pattern::new("[a-]").unwrap(), "-"));
    assert!(m(&Pattern::new("a.b+c(d)").unwrap(), "a.b+c(d)"));
    assert!(!m(&Pattern::new("a.b").unwrap(), "axb"));
    assert!(!c(Pattern::new("*").unwrap()).matches(&Value::Int(1)));
    for bad in ["[abc", "x\\", "[z-a]", "a\0", "[ab-c-e]"] {
        assert!(Pattern::new(bad).is_err(), "{bad}");
    }
    round_trip(&c(Pattern::new("/data/**/*.csv").unwrap()));
}

#[test]
fn pattern_attenuation() {
    let p = c(Pattern::new("x?").unwrap());
    // Escalation: `x?` -> `x*` widens (x matches `x*`, not `x?`).
    assert!(p.narrows_to(&c(Pattern::new("x*").unwrap())).is_err());
    assert!(p.narrows_to(&c(Pattern::new("x?").unwrap())).is_ok());
    assert!(p.narrows_to(&c(Pattern::new("xa").unwrap())).is_ok());
    assert!(p.narrows_to(&c(Pattern::new("xab").unwrap())).is_err());
    // Escalation: `/data/*` -> `/data/../etc/*`.
    let d = c(Pattern::new("/data/*").unwrap());
    assert!(d
        .narrows_to(&c(Pattern::new("/data/../etc/*").unwrap()))
        .is_err());
    // Prefix rule for `L**` parents.
    let all = c(Pattern::new("/data/**").unwrap());
    assert!(all
        .narrows_to(&c(Pattern::new("/data/in/*.txt").unwrap()))
        .is_ok());
    assert!(all.narrows_to(&c(Pattern::new("/dat*").unwrap())).is_err());
    assert!(all
        .narrows_to(&c(Pattern::new("/database/**").unwrap()))
        .is_err());
    // A pattern never narrows to a subpath (lexical vs. normalized paths).
    assert!(all.narrows_to(&c(Subpath::new("/data").unwrap())).is_err());
    // Exact children are checked by matching.
    assert!(all.narrows_to(&c(Exact::new("/data/a").unwrap())).is_ok());
    assert!(all.narrows_to(&c(Exact::new("/etc/a").unwrap())).is_err());
}

#[test]
fn subpath_matching() {
    let s = Subpath::new("/data").unwrap();
    assert!(s.contains("/data"));
    assert!(s.contains("/data/"));
    assert!(s.contains("/data/in/x.txt"));
    assert!(s.contains("/data//in/./x.txt"));
    assert!(s.contains("/data/in/../out"));
    assert!(!s.contains("/database"));
    assert!(!s.contains("/data/../etc/passwd"));
    assert!(!s.contains("/data/in/../../etc"));
    assert!(!s.contains("/x/../data/in"));
    assert!(!s.contains("data/in"));
    assert!(!s.contains("/data/in\0"));
    assert!(!s.contains(""));
    let root = Subpath::new("/").unwrap();
    assert!(root.contains("/etc/passwd"));
    assert!(!root.contains("/.."));
    assert!(!c(s.clone()).matches(&Value::Int(1)));
    for bad in [
        "data",
        "/data/",
        "/data//x",
        "/data/./x",
        "/data/../x",
        "/a\0",
    ] {
        assert!(Subpath::new(bad).is_err(), "{bad}");
    }
    round_trip(&c(s));
}

#[test]
fn subpath_attenuation() {
    let p = c(Subpath::new("/data").unwrap());
    assert!(p.narrows_to(&c(Subpath::new("/data/in").unwrap())).is_ok());
    assert!(p.narrows_to(&c(Subpath::new("/data").unwrap())).is_ok());
    // Escalation: `/data` -> `/database` shares a string prefix, not a path prefix.
    assert!(p
        .narrows_to(&c(Subpath::new("/database").unwrap()))
        .is_err());
    assert!(p.narrows_to(&c(Subpath::new("/").unwrap())).is_err());
    assert!(p.narrows_to(&c(Pattern::new("/data/*").unwrap())).is_err());
    assert!(p.narrows_to(&c(Exact::new("/data/x").unwrap())).is_ok());
    assert!(p
        .narrows_to(&c(Exact::new("/data/../etc").unwrap()))
        .is_err());
}

#[test]
fn unknown_types_decode_and_never_match() {
    // [99, "x", [1, 2]]
    let raw = [0x83, 0x18, 99, 0x61, b'x', 0x82, 0x01, 0x02];
    let u = Constraint::from_cbor(&raw).unwrap();
    assert_eq!(u.type_id(), 99);
    assert_eq!(u.type_name(), "unknown");
    assert_eq!(u.to_cbor(), raw);
    assert!(!u.matches(&t("x")));
    assert!(u.narrows_to(&u.clone()).is_ok());
    assert!(u.narrows_to(&c(Exact::new("x").unwrap())).is_err());
    assert!(c(Wildcard).narrows_to(&u).is_err());
    // Non-canonical content inside an unknown constraint is still rejected.
    let bad = [0x82, 0x18, 99, 0x18, 0x01];
    assert!(Constraint::from_cbor(&bad).is_err());
}

#[test]
fn param_counts_are_checked() {
    // Exact with two params, wildcard with one.
    assert!(Constraint::from_cbor(&[0x83, 0x01, 0x01, 0x02]).is_err());
    assert!(Constraint::from_cbor(&[0x82, 0x00, 0x01]).is_err());
    assert!(Constraint::from_cbor(&[0x80]).is_err());
}

#[test]
fn set_closed_world_and_narrowing() {
    let set = ConstraintSet::new()
        .arg("path", Subpath::new("/data").unwrap())
        .arg("n", Range::at_most(10).unwrap());
    let ok = Value::map([("path", t("/data/x")), ("n", Value::Int(3))]);
    assert!(set.check(&ok).is_ok());
    let extra = Value::map([
        ("path", t("/data/x")),
        ("n", Value::Int(3)),
        ("z", Value::Null),
    ]);
    assert_eq!(
        set.check(&extra).unwrap_err().kind,
        ViolationKind::Unexpected
    );
    assert!(set.clone().allow_unknown().check(&extra).is_ok());
    let missing = Value::map([("path", t("/data/x"))]);
    assert_eq!(
        set.check(&missing).unwrap_err().kind,
        ViolationKind::Missing
    );
    assert_eq!(
        set.check(&Value::Int(1)).unwrap_err().kind,
        ViolationKind::NotAMap
    );
    let bad = Value::map([
        ("path", t("/etc")),
        ("n", Value::Int(30)),
        ("q", Value::Null),
    ]);
    assert_eq!(set.all_violations(&bad, 2).len(), 3);
    assert!(ConstraintSet::new().check(&Value::Int(1)).is_ok());

    let narrower = ConstraintSet::new()
        .arg("path", Subpath::new("/data/in").unwrap())
        .arg("n", Range::at_most(5).unwrap());
    assert!(set.narrows_to(&narrower).is_ok());
    assert!(set.narrows_to(&ConstraintSet::new()).is_err());
    assert!(set.narrows_to(&narrower.clone().allow_unknown()).is_err());
    let dropped = ConstraintSet::new().arg("path", Subpath::new("/data/in").unwrap());
    assert!(set.narrows_to(&dropped).is_err());
    let added = narrower.clone().arg("extra", Wildcard);
    assert!(set.narrows_to(&added).is_err());
    assert!(set.clone().allow_unknown().narrows_to(&added).is_ok());
    assert!(ConstraintSet::new().narrows_to(&narrower).is_ok());
}

#[test]
fn set_wire_round_trip() {
    let set = ConstraintSet::new()
        .arg("bb", Exact::new(1).unwrap())
        .arg("a", Wildcard)
        .allow_unknown();
    let mut w = crate::cbor::Writer::default();
    set.encode(&mut w);
    let b = w.into_bytes();
    let mut r = crate::cbor::Reader::new(&b, 32);
    let back = ConstraintSet::decode(&mut r).unwrap();
    r.finish().unwrap();
    assert_eq!(back, set);
}
