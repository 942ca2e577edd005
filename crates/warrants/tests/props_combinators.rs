//! Property tests for the combinators `All`, `Any`, `Not`: (a) attenuation
//! soundness over randomly nested combinators of the leaf types
//! (`narrows_to` accepted ∧ child allows v ⇒ parent allows v), with
//! narrowing-biased and escalating children and boundary probes; (b)
//! matching agrees with a reference boolean evaluator (fail closed over
//! unknown types); (c) round trips; (d) decoding mutated bytes never panics
//! and accepts only canonical input. Counters make sure the implications
//! are actually exercised.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

// Only the strategies of `common` are used here.
#[allow(unused_imports)]
mod common;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use common::strat::{self, boundary_probes};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use warrants::constraint::{All, Any, Exact, Not, OneOf, Wildcard};
use warrants::{Constraint, Value};

// ---------------------------------------------------------------------
// generators
// ---------------------------------------------------------------------

fn mk_all(cs: Vec<Constraint>) -> Option<Constraint> {
    All::new(cs).ok().map(Into::into)
}

fn mk_any(cs: Vec<Constraint>) -> Option<Constraint> {
    Any::new(cs).ok().map(Into::into)
}

fn mk_not(c: Constraint) -> Option<Constraint> {
    Not::new(c).ok().map(Into::into)
}

/// A random tree of combinators (up to 3 levels) over the leaf types
/// (including, rarely, an unknown type).
fn tree() -> BoxedStrategy<Constraint> {
    strat::constraint()
        .prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                2 => prop::collection::vec(inner.clone(), 1..4).prop_filter_map("bounds", mk_all),
                2 => prop::collection::vec(inner.clone(), 1..4).prop_filter_map("bounds", mk_any),
                1 => inner.prop_filter_map("bounds", mk_not),
            ]
        })
        .boxed()
}

/// A constraint at least as wide as `c` (for the inner of a `Not` child).
fn widened(c: &Constraint) -> BoxedStrategy<Constraint> {
    let base = c.clone();
    let b2 = c.clone();
    prop_oneof![
        2 => Just(base.clone()),
        3 => strat::constraint().prop_map(move |x| mk_any(vec![b2.clone(), x]).unwrap_or(b2.clone())),
        1 => Just(Constraint::from(Wildcard::new())),
        // Not always wider: escalations must be refused.
        1 => narrowed(&base),
    ]
    .boxed()
}

/// A child biased toward narrowing `p`, structurally: conjuncts narrowed
/// or added, branches narrowed or dropped, a negated constraint widened;
/// leaves use the common narrowing-biased children.
fn narrowed(p: &Constraint) -> BoxedStrategy<Constraint> {
    let fallback = p.clone();
    match p {
        Constraint::All(a) => {
            let kids: Vec<BoxedStrategy<Constraint>> = a
                .children()
                .iter()
                .map(|c| prop_oneof![2 => Just(c.clone()), 3 => narrowed(c)].boxed())
                .collect();
            (
                kids,
                prop::option::weighted(0.4, strat::constraint()),
                prop::bool::weighted(0.1),
            )
                .prop_map(move |(mut cs, extra, drop_first)| {
                    cs.extend(extra);
                    if drop_first && cs.len() > 1 {
                        cs.remove(0);
                    }
                    mk_all(cs).unwrap_or(fallback.clone())
                })
                .boxed()
        }
        Constraint::Any(a) => {
            let kids: Vec<BoxedStrategy<Option<Constraint>>> = a
                .children()
                .iter()
                .map(|c| {
                    prop::option::weighted(0.8, prop_oneof![Just(c.clone()), narrowed(c)]).boxed()
                })
                .collect();
            (kids, prop::option::weighted(0.1, strat::constraint()))
                .prop_map(move |(cs, extra)| {
                    let mut cs: Vec<Constraint> = cs.into_iter().flatten().collect();
                    // Occasionally gain a branch (escalation).
                    cs.extend(extra);
                    mk_any(cs).unwrap_or(fallback.clone())
                })
                .boxed()
        }
        Constraint::Not(n) => {
            let inner = n.inner().clone();
            prop_oneof![
                3 => widened(&inner).prop_map(move |w| mk_not(w).unwrap_or(fallback.clone())),
                // Finite and arbitrary children of a not.
                2 => strat::constraint(),
            ]
            .boxed()
        }
        leaf => strat::child_of(leaf),
    }
}

/// A (parent, child) pair: mostly structural narrowings, some wrapped
/// children, some escalations and unrelated trees.
fn pair() -> impl Strategy<Value = (Constraint, Constraint)> {
    tree().prop_flat_map(|p| {
        let p1 = p.clone();
        let p2 = p.clone();
        // Finite children drawn from values the parent allows.
        let mut allowed: Vec<Value> = all_probes(&p, &p, Vec::new())
            .into_iter()
            .filter(|v| p.matches(v) && !v.contains_nan())
            .collect();
        if allowed.is_empty() {
            allowed.push(Value::Text("/data".into()));
        }
        let finite = (
            prop::collection::vec(prop::sample::select(allowed), 1..4),
            prop::option::weighted(0.2, strat::probe_value()),
        )
            .prop_map(|(mut vs, extra)| {
                vs.extend(extra);
                if vs.len() == 1 {
                    Constraint::from(Exact::new(vs.remove(0)).unwrap())
                } else {
                    Constraint::from(OneOf::new(vs).unwrap())
                }
            });
        let c = prop_oneof![
            6 => narrowed(&p),
            2 => finite,
            2 => strat::constraint().prop_map(move |x| mk_all(vec![p1.clone(), x]).unwrap_or(p1.clone())),
            1 => strat::constraint().prop_map(move |x| mk_any(vec![p2.clone(), x]).unwrap_or(p2.clone())),
            1 => tree(),
            1 => Just(p.clone()),
        ];
        (Just(p), c)
    })
}

/// Every leaf of a tree.
fn leaves<'a>(c: &'a Constraint, out: &mut Vec<&'a Constraint>) {
    match c {
        Constraint::All(a) => a.children().iter().for_each(|x| leaves(x, out)),
        Constraint::Any(a) => a.children().iter().for_each(|x| leaves(x, out)),
        Constraint::Not(n) => leaves(n.inner(), out),
        leaf => out.push(leaf),
    }
}

/// Random probes plus the boundary probes of every leaf of both sides.
fn all_probes(p: &Constraint, c: &Constraint, mut probes: Vec<Value>) -> Vec<Value> {
    let mut ls = Vec::new();
    leaves(p, &mut ls);
    leaves(c, &mut ls);
    for l in ls {
        probes.extend(boundary_probes(l));
    }
    probes
}

fn is_combinator(c: &Constraint) -> bool {
    matches!(c.type_name(), "all" | "any" | "not")
}

// ---------------------------------------------------------------------
// (a) attenuation soundness
// ---------------------------------------------------------------------

#[derive(Default, Debug, Clone, Copy)]
struct Tally {
    accepted: usize,
    exercised: usize,
}

/// Run `f` on a thread with a large stack: the nested proptest strategies
/// build deep value trees with large debug-mode frames (the library's own
/// recursion is bounded by the combinator depth limit).
fn big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn attenuation_sound_nested_combinators() {
    big_stack(attenuation_sound_nested_combinators_body);
}

fn attenuation_sound_nested_combinators_body() {
    const CASES: u32 = 3000;
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let total = Cell::new(0usize);
    let refused = Cell::new(0usize);
    let tallies: RefCell<BTreeMap<(&'static str, &'static str), Tally>> = RefCell::default();
    runner
        .run(&(pair(), strat::probes()), |((p, c), probes)| {
            total.set(total.get() + 1);
            if p.narrows_to(&c).is_err() {
                refused.set(refused.get() + 1);
                return Ok(());
            }
            let mut exercised = false;
            for v in &all_probes(&p, &c, probes) {
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
            let mut t = tallies.borrow_mut();
            let e = t.entry((p.type_name(), c.type_name())).or_default();
            e.accepted += 1;
            e.exercised += usize::from(exercised);
            Ok(())
        })
        .unwrap();

    let t = tallies.into_inner();
    let total = total.get();
    let refused = refused.get();
    let accepted: usize = t.values().map(|x| x.accepted).sum();
    let exercised: usize = t.values().map(|x| x.exercised).sum();
    assert!(accepted * 4 >= total, "accepted {accepted}/{total}: {t:?}");
    assert!(
        exercised * 6 >= total,
        "exercised {exercised}/{total}: {t:?}"
    );
    assert!(refused * 20 >= total, "refused {refused}/{total}");
    let ex = |p: &str, c: &str| t.get(&(p, c)).map_or(0, |x| x.exercised);
    // Combinator parents and children are each exercised.
    for comb in ["all", "any", "not"] {
        let as_parent: usize = t
            .iter()
            .filter(|((p, _), _)| *p == comb)
            .map(|(_, x)| x.exercised)
            .sum();
        let as_child: usize = t
            .iter()
            .filter(|((_, c), _)| *c == comb)
            .map(|(_, x)| x.exercised)
            .sum();
        assert!(as_parent > 0, "{comb} never exercised as parent: {t:?}");
        assert!(as_child > 0, "{comb} never exercised as child: {t:?}");
    }
    for (p, c) in [
        ("all", "all"),
        ("any", "any"),
        ("not", "not"),
        ("all", "exact"),
        ("any", "one_of"),
    ] {
        assert!(ex(p, c) > 0, "{p} -> {c} never exercised: {t:?}");
    }
    // A leaf parent narrowed to a combinator child, and a not parent to a
    // leaf child (the disjointness rule).
    let leaf_to_comb: usize = t
        .iter()
        .filter(|((p, c), _)| {
            !matches!(*p, "all" | "any" | "not" | "wildcard") && matches!(*c, "all" | "any")
        })
        .map(|(_, x)| x.exercised)
        .sum();
    assert!(
        leaf_to_comb > 0,
        "leaf -> combinator never exercised: {t:?}"
    );
    let not_to_leaf: usize = t
        .iter()
        .filter(|((p, c), _)| {
            *p == "not" && !matches!(*c, "all" | "any" | "not" | "exact" | "one_of")
        })
        .map(|(_, x)| x.exercised)
        .sum();
    assert!(
        not_to_leaf > 0,
        "not -> non-finite leaf never exercised: {t:?}"
    );
}

/// Escalations built on purpose are refused: an `Any` gaining a branch
/// that no parent branch covers, a `Not` whose inner is narrowed to a
/// strict subset, an `All` losing a conjunct.
#[test]
fn any_gaining_a_branch_refused() {
    let mut runner = TestRunner::new(Config::with_cases(400));
    let checked = Cell::new(0usize);
    runner
        .run(
            &(
                prop::collection::vec(strat::pattern(), 1..4),
                strat::subpath(),
            ),
            |(branches, extra)| {
                let branches: Vec<Constraint> = branches.into_iter().map(Into::into).collect();
                let p = Constraint::from(Any::new(branches.clone()).unwrap());
                let mut gained = branches.clone();
                gained.push(extra.clone().into());
                let c = Constraint::from(Any::new(gained).unwrap());
                // A subpath is never inside a pattern: refused every time.
                prop_assert!(p.narrows_to(&c).is_err(), "{:?} -> {:?}", p, c);
                // Without the gained branch it is accepted.
                prop_assert!(p.narrows_to(&Any::new(branches).unwrap().into()).is_ok());
                checked.set(checked.get() + 1);
                Ok(())
            },
        )
        .unwrap();
    assert!(checked.get() >= 400);
}

// ---------------------------------------------------------------------
// (b) matching semantics
// ---------------------------------------------------------------------

/// Whether a tree contains a constraint of unknown type.
fn has_unknown(c: &Constraint) -> bool {
    let mut ls = Vec::new();
    leaves(c, &mut ls);
    ls.iter().any(|l| l.type_name() == "unknown")
}

/// Reference evaluator: boolean logic over the leaves, with `Not` over
/// anything containing an unknown type never matching (the generated
/// globs all compile).
fn reference(c: &Constraint, v: &Value) -> bool {
    match c {
        Constraint::All(a) => a.children().iter().all(|x| reference(x, v)),
        Constraint::Any(a) => a.children().iter().any(|x| reference(x, v)),
        Constraint::Not(n) => !has_unknown(n.inner()) && !reference(n.inner(), v),
        leaf => leaf.matches(v),
    }
}

#[test]
fn matches_is_fail_closed_boolean_logic() {
    big_stack(matches_is_fail_closed_boolean_logic_body);
}

fn matches_is_fail_closed_boolean_logic_body() {
    let mut runner = TestRunner::new(Config::with_cases(1500));
    let (yes, no, unknown_nots) = (Cell::new(0usize), Cell::new(0usize), Cell::new(0usize));
    runner
        .run(&(tree(), strat::probes()), |(c, probes)| {
            let values = all_probes(&c, &c, probes);
            for v in &values {
                let got = c.matches(v);
                prop_assert_eq!(got, reference(&c, v), "{:?} on {:?}", c, v);
                if got {
                    yes.set(yes.get() + 1);
                } else {
                    no.set(no.get() + 1);
                }
            }
            if let Constraint::Not(n) = &c {
                if has_unknown(n.inner()) {
                    unknown_nots.set(unknown_nots.get() + 1);
                    for v in &values {
                        prop_assert!(!c.matches(v));
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(
        yes.get() > 1000 && no.get() > 1000,
        "{} {}",
        yes.get(),
        no.get()
    );
    assert!(unknown_nots.get() > 0, "no not over an unknown generated");
}

// ---------------------------------------------------------------------
// (c) round trips, (d) mutated bytes
// ---------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn combinator_round_trip(c in tree(), probes in strat::probes()) {
        let bytes = c.to_cbor();
        let back = Constraint::from_cbor(&bytes).expect("canonical bytes decode");
        prop_assert_eq!(back.to_cbor(), bytes);
        prop_assert_eq!(back.type_id(), c.type_id());
        for v in &all_probes(&c, &c, probes) {
            prop_assert_eq!(back.matches(v), c.matches(v), "{:?} on {:?}", c, v);
        }
    }

    #[test]
    fn mutated_combinator_bytes_never_panic(
        c in tree(),
        pos in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
        mode in 0u8..3,
    ) {
        let mut bytes = c.to_cbor();
        let i = pos.index(bytes.len());
        match mode {
            0 => bytes[i] = byte,
            1 => bytes.truncate(cut.index(bytes.len())),
            _ => bytes.insert(i, byte),
        }
        if let Ok(d) = Constraint::from_cbor(&bytes) {
            // Strict decoding: whatever decodes is canonical.
            prop_assert_eq!(d.to_cbor(), bytes);
            let _ = d.matches(&Value::Null);
            let _ = d.narrows_to(&c);
            let _ = c.narrows_to(&d);
        }
    }
}

#[test]
fn generators_produce_combinators() {
    // Guard against a generator that silently stops nesting.
    let mut runner = TestRunner::new(Config::with_cases(300));
    let (combs, nested) = (Cell::new(0usize), Cell::new(0usize));
    runner
        .run(&tree(), |c| {
            if is_combinator(&c) {
                combs.set(combs.get() + 1);
                let mut ls = Vec::new();
                leaves(&c, &mut ls);
                if ls.len() > 2 {
                    nested.set(nested.get() + 1);
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(combs.get() > 100, "{}", combs.get());
    assert!(nested.get() > 30, "{}", nested.get());
}
