//! Property and escalation tests for the set-like constraint types:
//! `NotOneOf` (6), `Contains` (11) and `Subset` (12).
//!
//! (a) matching agrees with a naive reference built on `Value ==` (so the
//! encoding-keyed binary search is exact, numeric spellings included);
//! (b) attenuation soundness, `narrows(p, c) ∧ c(v) ⇒ p(v)`, for every pair
//! with one of these types on either side, with tallies so it cannot pass
//! vacuously, and completeness of the same-type rules against a naive set
//! inclusion; (c) wire round trips and mutated bytes; (d) named escalation
//! stories, including end to end through the grant builder.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use common::strat::{self, boundary_probes, flip_repr};
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use warrants::constraint::{
    Contains, Exact, NotOneOf, OneOf, Pattern, Range, Subpath, Subset, Wildcard,
};
use warrants::warrant::WarrantId;
use warrants::{BuildError, Chain, Constraint, Value, Warrant};

// ---------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------

/// Which set-like type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NotOneOf,
    Contains,
    Subset,
}

fn build(k: Kind, vals: Vec<Value>) -> Constraint {
    match k {
        Kind::NotOneOf => NotOneOf::new(vals).unwrap().into(),
        Kind::Contains => Contains::new(vals).unwrap().into(),
        Kind::Subset => Subset::new(vals).unwrap().into(),
    }
}

fn kind_of(c: &Constraint) -> Option<(Kind, Vec<Value>)> {
    match c {
        Constraint::NotOneOf(n) => Some((Kind::NotOneOf, n.values().to_vec())),
        Constraint::Contains(n) => Some((Kind::Contains, n.values().to_vec())),
        Constraint::Subset(n) => Some((Kind::Subset, n.values().to_vec())),
        _ => None,
    }
}

/// A small pool of atoms that collide often: the same number spelled as
/// `Int` and `Float`, `-0.0`, look-alike texts, short lists.
fn atom() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        3 => (-3i64..4).prop_map(Value::Int),
        2 => (-3i64..4).prop_map(|i| Value::Float(i as f64)),
        1 => prop::sample::select(vec![0.5, -0.0, 1.5, f64::INFINITY]).prop_map(Value::Float),
        3 => prop::sample::select(vec!["a", "b", "c", "prod", "/data/x", "/data", ""])
            .prop_map(|s| Value::Text(s.into())),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::bytes(*b"a")),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::List),
            prop::collection::btree_map(prop::sample::select(vec!["k", "v"]), inner, 0..2)
                .prop_map(|m| Value::Map(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

fn atoms() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(atom(), 1..5)
}

fn set_kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(vec![Kind::NotOneOf, Kind::Contains, Kind::Subset])
}

/// A set-like constraint.
fn set_constraint() -> impl Strategy<Value = Constraint> {
    (set_kind(), atoms()).prop_map(|(k, v)| build(k, v))
}

/// Lists built from `base` values and random atoms: permutations,
/// sub-lists, repeats, extras, other numeric spellings.
fn lists_from(base: Vec<Value>) -> BoxedStrategy<Value> {
    let pool = if base.is_empty() {
        vec![Value::Int(0)]
    } else {
        base
    };
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(pool.clone()), 0..5).prop_map(Value::List),
        2 => (
            prop::collection::vec(prop::sample::select(pool.clone()), 0..5),
            prop::collection::vec(atom(), 0..3),
            any::<bool>(),
        )
            .prop_map(|(mut a, b, flip)| {
                a.extend(b);
                if flip {
                    a = a.iter().map(flip_repr).collect();
                }
                a.reverse();
                Value::List(a)
            }),
        1 => Just(Value::List(pool.clone())),
        1 => Just(Value::List(pool.iter().map(flip_repr).collect())),
    ]
    .boxed()
}

/// Probe values for a pair: the values of both sides (and their other
/// spellings), lists drawn from them, NaN-laced lists, scalars, and the
/// generic boundary probes of range/pattern/subpath constraints.
fn probes_for(p: &Constraint, c: &Constraint) -> BoxedStrategy<Vec<Value>> {
    let mut base: Vec<Value> = Vec::new();
    for x in [p, c] {
        if let Some((_, v)) = kind_of(x) {
            base.extend(v);
        }
        match x {
            Constraint::Exact(e) => base.push(e.value().clone()),
            Constraint::OneOf(o) => base.extend(o.values().iter().cloned()),
            _ => {}
        }
    }
    let mut fixed: Vec<Value> = Vec::new();
    for v in &base {
        fixed.push(v.clone());
        fixed.push(flip_repr(v));
        if let Value::List(l) = v {
            // Elements of listed lists, so Subset/Contains of them are hit.
            fixed.push(Value::List(l.iter().map(flip_repr).collect()));
        }
    }
    fixed.extend(boundary_probes(p));
    fixed.extend(boundary_probes(c));
    fixed.push(Value::List(Vec::new()));
    fixed.push(Value::List(base.clone()));
    let mut with_nan = base.clone();
    with_nan.push(Value::Float(f64::NAN));
    fixed.push(Value::List(with_nan));
    fixed.push(Value::list([Value::list([Value::Float(f64::NAN)])]));
    fixed.push(Value::Float(f64::NAN));
    let mut nested = Value::List(base.clone());
    for _ in 0..33 {
        nested = Value::list([nested]);
    }
    fixed.push(Value::List(vec![nested]));
    (
        prop::collection::vec(lists_from(base.clone()), 0..10),
        prop::collection::vec(atom(), 0..6),
        prop::collection::vec(strat::probe_value(), 0..4),
    )
        .prop_map(move |(a, b, d)| {
            let mut out = fixed.clone();
            out.extend(a);
            out.extend(b);
            out.extend(d);
            out
        })
        .boxed()
}

/// Children of a set-like parent: same-type derivations (mostly
/// narrowing), finite children drawn from values the parent matches,
/// cross-type children.
fn child_of(p: &Constraint) -> BoxedStrategy<Constraint> {
    let (k, vals) = kind_of(p).expect("set-like parent");
    let v2 = vals.clone();
    let derived = (
        prop::collection::vec(any::<bool>(), vals.len()),
        prop::collection::vec(atom(), 0..3),
        any::<bool>(),
    )
        .prop_map(move |(keep, extra, flip)| {
            let mut out: Vec<Value> = Vec::new();
            // Random drops and additions: narrowing or widening.
            for (v, k) in v2.iter().zip(&keep) {
                if *k {
                    out.push(if flip { flip_repr(v) } else { v.clone() });
                }
            }
            out.extend(extra);
            if out.is_empty() {
                out.push(v2.first().cloned().unwrap_or(Value::Null));
            }
            out
        });
    let narrowing_same = {
        let v3 = vals.clone();
        (
            prop::collection::vec(atom(), 0..3),
            prop::sample::subsequence(vals.clone(), 1..=vals.len().max(1)),
        )
            .prop_map(move |(extra, sub)| match k {
                Kind::NotOneOf | Kind::Contains => {
                    let mut v = v3.clone();
                    v.extend(extra);
                    build(k, v)
                }
                Kind::Subset => build(k, sub),
            })
    };
    let same = derived.prop_map(move |v| build(k, v));
    let pool_p = p.clone();
    let finite_pool = lists_from(vals.clone());
    let finite = (
        prop::collection::vec(
            prop_oneof![
                3 => finite_pool,
                1 => atom(),
                1 => Just(Value::List(vals.clone())),
                // The parent's own values: a not_one_of parent refuses an
                // exact child on one of them, every time, not by chance.
                1 => prop::sample::select(vals.clone()),
            ],
            1..4,
        ),
        any::<bool>(),
    )
        .prop_map(move |(mut vs, exact)| {
            // Keep mostly values the parent matches, so finite children
            // are often accepted.
            let matching: Vec<Value> = vs.iter().filter(|v| pool_p.matches(v)).cloned().collect();
            if !matching.is_empty() && vs.len() > 1 {
                vs = matching;
            }
            if exact {
                Exact::new(vs[0].clone()).unwrap().into()
            } else {
                OneOf::new(vs).unwrap().into()
            }
        });
    let cross = prop_oneof![
        1 => Just(Constraint::from(Wildcard::new())),
        2 => strat::range().prop_map(Constraint::from),
        2 => strat::pattern().prop_map(Constraint::from),
        2 => strat::subpath().prop_map(Constraint::from),
        2 => set_constraint(),
        1 => strat::constraint(),
    ];
    prop_oneof![
        3 => narrowing_same,
        2 => same,
        3 => finite,
        3 => cross,
        1 => Just(p.clone()),
    ]
    .boxed()
}

/// (parent, child, probes): a set-like parent with a child of any type,
/// or a parent of any type with a set-like child.
fn pair() -> impl Strategy<Value = (Constraint, Constraint, Vec<Value>)> {
    prop_oneof![
        5 => set_constraint().prop_flat_map(|p| {
            let c = child_of(&p);
            (Just(p), c)
        }),
        1 => (
            prop_oneof![
                1 => Just(Constraint::from(Wildcard::new())),
                3 => strat::constraint(),
                1 => atoms().prop_map(|v| OneOf::new(v).unwrap().into()),
            ],
            set_constraint(),
        ),
    ]
    .prop_flat_map(|(p, c)| {
        let probes = probes_for(&p, &c);
        (Just(p), Just(c), probes)
    })
}

// ---------------------------------------------------------------------
// (a) matching against a naive reference
// ---------------------------------------------------------------------

fn has_nan(v: &Value) -> bool {
    v.contains_nan()
}

fn depth(v: &Value) -> usize {
    match v {
        Value::List(l) => 1 + l.iter().map(depth).max().unwrap_or(0),
        Value::Map(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The definitions of the spec, with `==` and linear scans.
fn naive(k: Kind, vals: &[Value], v: &Value) -> bool {
    if has_nan(v) || depth(v) > warrants::value::MAX_VALUE_DEPTH {
        return false;
    }
    match k {
        Kind::NotOneOf => !vals.iter().any(|x| x == v),
        Kind::Contains => v
            .as_list()
            .is_some_and(|l| vals.iter().all(|x| l.iter().any(|e| e == x))),
        Kind::Subset => v
            .as_list()
            .is_some_and(|l| l.iter().all(|e| vals.iter().any(|x| x == e))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matching_agrees_with_naive_reference(
        (p, c, probes) in pair(),
    ) {
        for x in [&p, &c] {
            if let Some((k, vals)) = kind_of(x) {
                for v in &probes {
                    prop_assert_eq!(x.matches(v), naive(k, &vals, v), "{:?} on {:?}", x, v);
                }
            }
        }
    }

    /// The membership key: for NaN-free values, equality is equality of
    /// canonical encodings.
    #[test]
    fn equality_is_encoding_equality(
        a in prop_oneof![atom(), strat::value()],
        b in prop_oneof![atom(), strat::value()],
        flip in any::<bool>(),
    ) {
        let b = if flip { flip_repr(&a) } else { b };
        prop_assume!(!a.contains_nan() && !b.contains_nan());
        prop_assert_eq!(a == b, a.to_cbor() == b.to_cbor(), "{:?} vs {:?}", a, b);
        prop_assert!(a == a.clone());
    }
}

#[test]
fn matching_reference_hits_both_outcomes() {
    // Guards against a vacuous `matching_agrees_with_naive_reference`.
    let mut runner = TestRunner::new(Config::with_cases(200));
    let tally: RefCell<BTreeMap<(&'static str, bool), usize>> = RefCell::default();
    runner
        .run(&pair(), |(p, _c, probes)| {
            if kind_of(&p).is_some() {
                for v in &probes {
                    *tally
                        .borrow_mut()
                        .entry((p.type_name(), p.matches(v)))
                        .or_default() += 1;
                }
            }
            Ok(())
        })
        .unwrap();
    let t = tally.into_inner();
    for ty in ["not_one_of", "contains", "subset"] {
        for outcome in [true, false] {
            assert!(
                t.get(&(ty, outcome)).copied().unwrap_or(0) > 20,
                "{ty} matched={outcome} too rare: {t:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------
// (b) attenuation soundness and same-type completeness
// ---------------------------------------------------------------------

#[derive(Debug, Default)]
struct Tally {
    accepted: usize,
    refused: usize,
    exercised: usize,
}

#[test]
fn attenuation_sound_sets() {
    const CASES: u32 = 3000;
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let total = Cell::new(0usize);
    let tallies: RefCell<BTreeMap<(&'static str, &'static str), Tally>> = RefCell::default();
    runner
        .run(&pair(), |(p, c, probes)| {
            total.set(total.get() + 1);
            let ok = p.narrows_to(&c).is_ok();
            let mut t = tallies.borrow_mut();
            let e = t.entry((p.type_name(), c.type_name())).or_default();
            if !ok {
                e.refused += 1;
                return Ok(());
            }
            e.accepted += 1;
            let mut exercised = false;
            for v in &probes {
                if c.matches(v) {
                    exercised = true;
                    prop_assert!(
                        p.matches(v),
                        "narrowing accepted, child allows, parent refuses: {:?} -> {:?} on {:?}",
                        p,
                        c,
                        v
                    );
                }
            }
            e.exercised += usize::from(exercised);
            Ok(())
        })
        .unwrap();
    let t = tallies.into_inner();
    fn get<'a>(t: &'a BTreeMap<(&str, &str), Tally>, p: &str, c: &str) -> Option<&'a Tally> {
        t.iter()
            .find(|((a, b), _)| *a == p && *b == c)
            .map(|(_, x)| x)
    }
    let get = |p: &str, c: &str| get(&t, p, c);
    let ex = |p: &str, c: &str| get(p, c).map_or(0, |x| x.exercised);
    let refused = |p: &str, c: &str| get(p, c).map_or(0, |x| x.refused);
    for (p, c) in [
        ("not_one_of", "not_one_of"),
        ("not_one_of", "exact"),
        ("not_one_of", "one_of"),
        ("not_one_of", "range"),
        ("not_one_of", "pattern"),
        ("not_one_of", "subpath"),
        ("not_one_of", "contains"),
        ("not_one_of", "subset"),
        ("contains", "contains"),
        ("contains", "exact"),
        ("contains", "one_of"),
        ("subset", "subset"),
        ("subset", "exact"),
        ("subset", "one_of"),
        ("wildcard", "not_one_of"),
        ("wildcard", "contains"),
        ("wildcard", "subset"),
    ] {
        assert!(ex(p, c) > 0, "{p} -> {c} never exercised: {t:?}");
    }
    // Refusals happen for each same-type pair and for the wildcard child.
    for ty in ["not_one_of", "contains", "subset"] {
        assert!(refused(ty, ty) > 0, "{ty} -> {ty} never refused: {t:?}");
        assert!(
            refused(ty, "wildcard") > 0,
            "{ty} -> wildcard never refused: {t:?}"
        );
        assert!(
            refused(ty, "exact") > 0,
            "{ty} -> exact never refused: {t:?}"
        );
    }
    // Pairs refused wholesale by the rules are never accepted.
    for (p, c) in [
        ("contains", "subset"),
        ("subset", "contains"),
        ("contains", "not_one_of"),
        ("subset", "not_one_of"),
        ("one_of", "not_one_of"),
        ("exact", "not_one_of"),
        ("range", "not_one_of"),
        ("not_one_of", "wildcard"),
    ] {
        assert_eq!(
            get(p, c).map_or(0, |x| x.accepted),
            0,
            "{p} -> {c} accepted: {t:?}"
        );
    }
    let accepted: usize = t.values().map(|x| x.accepted).sum();
    let exercised: usize = t.values().map(|x| x.exercised).sum();
    let total = total.get();
    assert!(
        accepted * 4 >= total,
        "too few accepted: {accepted}/{total}"
    );
    assert!(
        exercised * 5 >= total,
        "too few exercised: {exercised}/{total}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The same-type rules are exactly set inclusion under `==` (not
    /// stricter, not looser).
    #[test]
    fn same_type_rules_are_set_inclusion(k in set_kind(), a in atoms(), b in atoms(), flip in any::<bool>()) {
        let b = if flip { a.iter().map(flip_repr).chain(b).collect() } else { b };
        let p = build(k, a.clone());
        let c = build(k, b.clone());
        let subset = |x: &[Value], y: &[Value]| x.iter().all(|v| y.iter().any(|w| w == v));
        let want = match k {
            Kind::NotOneOf | Kind::Contains => subset(&a, &b),
            Kind::Subset => subset(&b, &a),
        };
        prop_assert_eq!(p.narrows_to(&c).is_ok(), want, "{:?} -> {:?}", p, c);
    }

    /// For a `NotOneOf` parent, range/pattern/subpath children are
    /// accepted exactly when they match none of the excluded values.
    #[test]
    fn not_one_of_cross_rule_is_exact(
        excluded in prop::collection::vec(strat::probe_value(), 1..5),
        child in prop_oneof![
            strat::range().prop_map(Constraint::from),
            strat::pattern().prop_map(Constraint::from),
            strat::subpath().prop_map(Constraint::from),
        ],
    ) {
        prop_assume!(excluded.iter().all(|v| !v.contains_nan()));
        let p = Constraint::from(NotOneOf::new(excluded.clone()).unwrap());
        let want = !excluded.iter().any(|v| child.matches(v));
        prop_assert_eq!(p.narrows_to(&child).is_ok(), want, "{:?} -> {:?}", p, child);
    }
}

// ---------------------------------------------------------------------
// (c) wire
// ---------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn set_constraints_round_trip(c in set_constraint(), probes in prop::collection::vec(atom(), 0..8)) {
        let bytes = c.to_cbor();
        let back = Constraint::from_cbor(&bytes).expect("canonical bytes decode");
        prop_assert_eq!(back.to_cbor(), bytes);
        prop_assert_eq!(&back, &c);
        prop_assert_eq!(back.type_id(), c.type_id());
        prop_assert!(matches!(back.type_id(), 6 | 11 | 12));
        let lists = vec![Value::List(probes.clone()), Value::List(kind_of(&c).unwrap().1)];
        for v in probes.iter().chain(&lists) {
            prop_assert_eq!(back.matches(v), c.matches(v));
        }
    }

    /// A mutated encoding either fails to decode (without panicking) or
    /// is itself canonical.
    #[test]
    fn mutated_set_constraint_decodes_only_if_canonical(
        c in set_constraint(),
        pos in any::<prop::sample::Index>(),
        x in 1u8..=255,
        cut in any::<prop::sample::Index>(),
    ) {
        let mut b = c.to_cbor();
        let i = pos.index(b.len());
        b[i] ^= x;
        if let Ok(d) = Constraint::from_cbor(&b) {
            prop_assert_eq!(d.to_cbor(), b.clone());
        }
        let n = cut.index(b.len());
        prop_assert!(Constraint::from_cbor(&c.to_cbor()[..n]).is_err());
    }

    /// Arbitrary parameters after our type ids never panic the decoder.
    #[test]
    fn set_decoders_never_panic(
        id in prop::sample::select(vec![6u8, 11, 12]),
        n in 1u8..4,
        tail in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut b = vec![0x80 | n, id];
        b.extend(tail);
        if let Ok(d) = Constraint::from_cbor(&b) {
            prop_assert_eq!(d.to_cbor(), b);
        }
    }
}

#[test]
fn encoding_examples() {
    // The examples of docs/spec-parts/sets.md.
    let hex = |c: Constraint| hex::encode(c.to_cbor());
    assert_eq!(
        hex(NotOneOf::new(["prod", "staging"]).unwrap().into()),
        "8206826470726f646773746167696e67"
    );
    assert_eq!(
        hex(NotOneOf::new([Value::Float(3.0), Value::Int(-1)])
            .unwrap()
            .into()),
        "8206820320"
    );
    assert_eq!(
        hex(Contains::new(["write", "read"]).unwrap().into()),
        "820b826472656164657772697465"
    );
    assert_eq!(
        hex(Subset::new(["read", "list", "stat"]).unwrap().into()),
        "820c83646c69737464726561646473746174"
    );
    assert_eq!(
        hex(Subset::new([Value::list([1, 2]), Value::Int(0)])
            .unwrap()
            .into()),
        "820c8200820102"
    );
}

// ---------------------------------------------------------------------
// (d) escalation stories
// ---------------------------------------------------------------------

fn c<C: Into<Constraint>>(x: C) -> Constraint {
    x.into()
}

fn t(s: &str) -> Value {
    Value::from(s)
}

#[test]
fn oneof_to_notoneof_refused() {
    // An allow-list turned into a deny-list allows everything it does not
    // name ("delete" was never allowed, "admin" still is not, but
    // "anything_else" would be).
    let p = c(OneOf::new(["read", "list"]).unwrap());
    let child = c(NotOneOf::new(["delete", "admin"]).unwrap());
    assert!(p.narrows_to(&child).is_err());
    assert!(child.matches(&t("anything_else")));
    assert!(!p.matches(&t("anything_else")));
    // Even a deny-list of "everything but the allowed values" we can list.
    assert!(p
        .narrows_to(&c(NotOneOf::new(["x", "y", "z"]).unwrap()))
        .is_err());
}

#[test]
fn notoneof_dropping_an_excluded_value_refused() {
    let p = c(NotOneOf::new(["prod", "staging"]).unwrap());
    let child = c(NotOneOf::new(["staging"]).unwrap());
    assert!(p.narrows_to(&child).is_err());
    assert!(child.matches(&t("prod")) && !p.matches(&t("prod")));
}

#[test]
fn notoneof_to_wildcard_or_unknown_refused() {
    let p = c(NotOneOf::new(["prod"]).unwrap());
    assert!(p.narrows_to(&c(Wildcard)).is_err());
    // `**` matches "prod".
    assert!(p.narrows_to(&c(Pattern::new("**").unwrap())).is_err());
    let unknown = Constraint::from_cbor(&[0x82, 0x18, 0x63, 0x61, b'x']).unwrap();
    assert!(p.narrows_to(&unknown).is_err());
}

#[test]
fn notoneof_numeric_spelling_is_not_a_bypass() {
    // Excluding 0 excludes 0.0 and -0.0; a Range child touching 0 is refused.
    let p = c(NotOneOf::new([0]).unwrap());
    for v in [Value::Int(0), Value::Float(0.0), Value::Float(-0.0)] {
        assert!(!p.matches(&v), "{v:?}");
    }
    assert!(p
        .narrows_to(&c(Exact::new(Value::Float(-0.0)).unwrap()))
        .is_err());
    assert!(p.narrows_to(&c(Range::between(-1, 1).unwrap())).is_err());
    assert!(p
        .narrows_to(&c(Range::between(Value::Float(-0.0), 1).unwrap()))
        .is_err());
    assert!(p.narrows_to(&c(Range::greater_than(0).unwrap())).is_ok());
    // Lists compare element-wise with the same rule.
    let l = c(NotOneOf::new([Value::list([1, 2])]).unwrap());
    assert!(!l.matches(&Value::list([1.0, 2.0])));
}

#[test]
fn nan_is_never_smuggled_through() {
    let n = c(NotOneOf::new(["x"]).unwrap());
    let k = c(Contains::new(["read"]).unwrap());
    let s = c(Subset::new(["read"]).unwrap());
    assert!(!n.matches(&Value::Float(f64::NAN)));
    assert!(!n.matches(&Value::map([("a", f64::NAN)])));
    assert!(!k.matches(&Value::list([t("read"), Value::Float(f64::NAN)])));
    assert!(!s.matches(&Value::list([Value::Float(f64::NAN)])));
    assert!(NotOneOf::new([f64::NAN]).is_err());
    assert!(Contains::new([Value::list([f64::NAN])]).is_err());
    assert!(Subset::new([Value::map([("a", f64::NAN)])]).is_err());
}

#[test]
fn contains_dropping_a_required_value_refused() {
    let p = c(Contains::new(["audit", "read"]).unwrap());
    let child = c(Contains::new(["read"]).unwrap());
    assert!(p.narrows_to(&child).is_err());
    let v = Value::list(["read"]);
    assert!(child.matches(&v) && !p.matches(&v));
}

#[test]
fn subset_adding_an_allowed_value_refused() {
    let p = c(Subset::new(["read", "list"]).unwrap());
    let child = c(Subset::new(["read", "delete"]).unwrap());
    assert!(p.narrows_to(&child).is_err());
    let v = Value::list(["delete"]);
    assert!(child.matches(&v) && !p.matches(&v));
}

#[test]
fn subset_and_contains_do_not_narrow_each_other() {
    let sub = c(Subset::new(["read"]).unwrap());
    let con = c(Contains::new(["read"]).unwrap());
    assert!(sub.narrows_to(&con).is_err());
    assert!(con.narrows_to(&sub).is_err());
    // Each allows a list the other refuses.
    assert!(con.matches(&Value::list(["read", "delete"])));
    assert!(!sub.matches(&Value::list(["read", "delete"])));
    assert!(sub.matches(&Value::List(Vec::new())));
    assert!(!con.matches(&Value::List(Vec::new())));
}

#[test]
fn non_lists_never_match_list_constraints() {
    let k = c(Contains::new(["a"]).unwrap());
    let s = c(Subset::new(["a"]).unwrap());
    for v in [
        t("a"),
        Value::bytes(*b"a"),
        Value::map([("a", "a")]),
        Value::Null,
        Value::Int(0),
    ] {
        assert!(!k.matches(&v), "{v:?}");
        assert!(!s.matches(&v), "{v:?}");
    }
}

/// Root grants `deploy{env: root_c}`; returns the grant result of a child
/// with `env: child_c`.
fn grant(root_c: Constraint, child_c: Constraint) -> (Warrant, Result<Warrant, BuildError>) {
    let root = Warrant::mint_builder()
        .holder(agent_key().public_key())
        .id(WarrantId([1; 16]))
        .issued_at(NOW)
        .ttl(secs(600))
        .capability("deploy", [("env", root_c)])
        .mint(&root_key())
        .unwrap();
    let child = root
        .grant_builder()
        .holder(worker_key().public_key())
        .id(WarrantId([2; 16]))
        .issued_at(NOW)
        .capability("deploy", [("env", child_c)])
        .grant(&agent_key());
    (root, child)
}

#[test]
fn oneof_to_notoneof_refused_end_to_end() {
    let (_, r) = grant(
        c(OneOf::new(["dev", "qa"]).unwrap()),
        c(NotOneOf::new(["prod"]).unwrap()),
    );
    assert!(
        matches!(r, Err(BuildError::ConstraintWidens { .. })),
        "{r:?}"
    );
}

#[test]
fn notoneof_chain_end_to_end() {
    let (root, r) = grant(
        c(NotOneOf::new(["prod"]).unwrap()),
        c(NotOneOf::new(["prod", "staging"]).unwrap()),
    );
    let child = r.unwrap();
    let chain = Chain::root(root).push(child).unwrap();
    let az = authorizer();
    let args = |e: &str| Value::map([("env", e)]);
    assert!(call(&az, &chain, &worker_key(), "deploy", &args("dev")).is_ok());
    assert!(call(&az, &chain, &worker_key(), "deploy", &args("staging")).is_err());
    assert!(call(&az, &chain, &worker_key(), "deploy", &args("prod")).is_err());
    // Widening the deny-list is refused at grant time.
    let (_, r) = grant(
        c(NotOneOf::new(["prod", "staging"]).unwrap()),
        c(NotOneOf::new(["prod"]).unwrap()),
    );
    assert!(matches!(r, Err(BuildError::ConstraintWidens { .. })));
    // A Subpath child is accepted when no excluded text is inside it.
    let (_, r) = grant(
        c(NotOneOf::new(["/etc/passwd"]).unwrap()),
        c(Subpath::new("/data").unwrap()),
    );
    assert!(r.is_ok());
    let (_, r) = grant(
        c(NotOneOf::new(["/etc/passwd"]).unwrap()),
        c(Subpath::new("/etc").unwrap()),
    );
    assert!(matches!(r, Err(BuildError::ConstraintWidens { .. })));
}
