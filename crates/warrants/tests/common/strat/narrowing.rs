//! Narrowing-biased children and boundary probes: (parent, child) pairs
//! of constraints and constraint sets, and the values to probe them with.

use std::collections::BTreeMap;

use proptest::prelude::*;
use warrants::constraint::{Exact, OneOf, Pattern, Range, Subpath};
use warrants::{Constraint, ConstraintSet, Value};

use super::*;

/// `v + d`, keeping an `Int` an `Int` when `d` is integral.
pub fn num_add(v: &Value, d: f64) -> Value {
    match v {
        Value::Int(i) if d.fract() == 0.0 => Value::Int(i.saturating_add(d as i64)),
        Value::Int(i) => Value::Float(*i as f64 + d),
        Value::Float(f) => Value::Float(f + d),
        other => other.clone(),
    }
}

/// The same number in the other representation (`5` <-> `5.0`), when
/// exact.
pub fn flip_repr(v: &Value) -> Value {
    match v {
        Value::Int(i) if (*i as f64) as i64 == *i && i.unsigned_abs() < (1 << 53) => {
            Value::Float(*i as f64)
        }
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Value::Int(*f as i64),
        other => other.clone(),
    }
}

/// Deltas used to move bounds (negative ones widen).
const DELTAS: &[f64] = &[0.0, 0.0, 0.5, 1.0, 3.0, -0.5, -1.0];

/// A child range derived from `p` by moving its bounds (mostly inward).
pub fn range_child(p: &Range) -> BoxedStrategy<Constraint> {
    let p = p.clone();
    (
        prop::sample::select(DELTAS),
        prop::sample::select(DELTAS),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::option::of((bound_num(), any::<bool>())),
        prop::option::of((bound_num(), any::<bool>())),
    )
        .prop_map(move |(dl, dh, il, ih, flip, free_lo, free_hi)| {
            let lo = match p.min() {
                Some(b) => {
                    let mut v = num_add(b.value(), dl);
                    if flip {
                        v = flip_repr(&v);
                    }
                    Some(mk_bound(v, il))
                }
                None => free_lo.map(|(v, i)| mk_bound(v, i)),
            };
            let hi = match p.max() {
                Some(b) => {
                    let mut v = num_add(b.value(), -dh);
                    if flip {
                        v = flip_repr(&v);
                    }
                    Some(mk_bound(v, ih))
                }
                None => free_hi.map(|(v, i)| mk_bound(v, i)),
            };
            // An empty derived range falls back to the parent itself.
            Range::new(lo, hi).map_or_else(|_| p.clone().into(), Constraint::from)
        })
        .boxed()
}

/// A child subpath: the parent root plus 0 to 2 components.
pub fn subpath_child(p: &Subpath) -> BoxedStrategy<Constraint> {
    let root = p.root().to_owned();
    prop::collection::vec(prop::sample::select(COMPONENTS), 0..3)
        .prop_map(move |extra| {
            let mut r = root.clone();
            for c in extra {
                if !r.ends_with('/') {
                    r.push('/');
                }
                r.push_str(c);
            }
            Subpath::new(r).unwrap().into()
        })
        .boxed()
}

/// A child pattern: the parent glob itself, a prefix extension of an
/// `L**` parent, or the parent's prefix with an arbitrary tail.
pub fn pattern_child(p: &Pattern) -> BoxedStrategy<Constraint> {
    let parent = p.clone();
    let g = p.glob().to_owned();
    let lit = g.strip_suffix("**").map(str::to_owned);
    let g2 = g.clone();
    prop_oneof![
        1 => Just(g.clone()),
        4 => (literal_glob(), prop::collection::vec(glob_piece(), 0..3)).prop_map(
            move |(ext, tail)| match &lit {
                Some(l) => format!("{l}{ext}{}", tail.concat()),
                None => format!("{g2}{ext}{}", tail.concat()),
            }
        ),
        1 => glob(),
    ]
    .prop_map(move |g| Pattern::new(g).map_or_else(|_| parent.clone().into(), Into::into))
    .boxed()
}

/// Values near every boundary of `c` (and generic traps).
pub fn boundary_probes(c: &Constraint) -> Vec<Value> {
    let mut out = Vec::new();
    match c {
        Constraint::Range(r) => {
            for b in r.min().into_iter().chain(r.max()) {
                let v = b.value();
                for d in [0.0, 1.0, -1.0, 0.5, -0.5, 1e-9, -1e-9] {
                    let x = num_add(v, d);
                    out.push(flip_repr(&x));
                    out.push(x);
                }
                if let Value::Float(f) = v {
                    out.push(Value::Float(f.next_up()));
                    out.push(Value::Float(f.next_down()));
                }
                if let Value::Int(i) = v {
                    out.push(Value::Float(*i as f64));
                    out.push(Value::Float(*i as f64 + 0.5));
                    out.push(Value::Float(*i as f64 - 0.5));
                }
            }
            out.push(Value::Float(f64::NAN));
            out.push(Value::Text("5".into()));
        }
        Constraint::Subpath(s) => {
            let r = s.root().trim_end_matches('/').to_owned();
            let last = r.rsplit('/').next().unwrap_or("").to_owned();
            for suffix in [
                "",
                "/",
                "/x",
                "x",
                "base",
                "/../etc",
                "/x/..",
                "/x/../..",
                "/x/../../etc",
                "//x",
                "/./x",
                "/.",
                "/..",
                "/x/../y",
                "/\0x",
                "/..x",
                "/.../x",
            ] {
                out.push(Value::Text(format!("{r}{suffix}")));
            }
            out.push(Value::Text(format!("/.{r}")));
            out.push(Value::Text(format!("//{r}/x")));
            out.push(Value::Text(format!("{r}/./..")));
            out.push(Value::Text(r.trim_start_matches('/').to_owned()));
            out.push(Value::Text(format!("{r}/../{last}/x")));
            out.push(Value::Text("/".into()));
            out.push(Value::Text(String::new()));
        }
        Constraint::Pattern(p) => {
            let g = p.glob();
            let lit: String = g
                .chars()
                .take_while(|c| !matches!(c, '*' | '?' | '[' | '\\'))
                .collect();
            for s in [
                g.to_owned(),
                g.replace("**", "a/b").replace('*', "abc").replace('?', "q"),
                g.replace("**", "").replace('*', "").replace('?', "/"),
                g.replace('\\', ""),
                lit.clone(),
                format!("{lit}x"),
                format!("{lit}/x"),
                format!("{lit}x/y"),
                format!("{lit}\n"),
                lit.chars()
                    .rev()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect(),
                String::new(),
            ] {
                out.push(Value::Text(s));
            }
        }
        Constraint::Exact(e) => {
            out.push(e.value().clone());
            out.push(flip_repr(e.value()));
            out.push(num_add(e.value(), 0.5));
        }
        Constraint::OneOf(o) => {
            for v in o.values() {
                out.push(v.clone());
                out.push(flip_repr(v));
            }
        }
        _ => {}
    }
    out
}

/// A child constraint for `p`: mostly derived to narrow (type-specific
/// derivation, or finite children drawn from values `p` matches), with
/// some arbitrary constraints of any type (cross-type pairs).
pub fn child_of(p: &Constraint) -> BoxedStrategy<Constraint> {
    let derived: BoxedStrategy<Constraint> = match p {
        Constraint::Range(r) => range_child(r),
        Constraint::Subpath(s) => subpath_child(s),
        Constraint::Pattern(g) => pattern_child(g),
        _ => constraint().boxed(),
    };
    let mut allowed: Vec<Value> = boundary_probes(p)
        .into_iter()
        .filter(|v| p.matches(v) && !v.contains_nan())
        .collect();
    // For Subpath/Pattern/Range parents, add a few more matching values
    // derived from a child, so finite children are plentiful.
    if allowed.is_empty() {
        allowed.push(Value::Text("/data".into()));
    }
    let pool = allowed.clone();
    let finite = prop_oneof![
        prop::sample::select(pool.clone()).prop_map(|v| Exact::new(v).unwrap().into()),
        prop::collection::vec(prop::sample::select(pool), 1..4)
            .prop_map(|v| OneOf::new(v).unwrap().into()),
        (prop::sample::select(allowed), probe_value())
            .prop_map(|(a, b)| OneOf::new([a, b]).unwrap().into()),
    ];
    prop_oneof![
        4 => derived,
        3 => finite,
        2 => constraint(),
        1 => Just(p.clone()),
    ]
    .boxed()
}

/// A (parent, child) pair of constraints biased toward narrowing.
pub fn constraint_pair() -> impl Strategy<Value = (Constraint, Constraint)> {
    constraint().prop_flat_map(|p| {
        let c = child_of(&p);
        (Just(p), c)
    })
}

/// Probe values for a pair: random ones (the boundary probes of both
/// sides are added by the test).
pub fn probes() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(probe_value(), 0..12)
}

/// A child set derived from `p`: each argument narrowed (biased), with
/// occasional drops, extra arguments and `allow_unknown` flips.
pub fn set_child(p: &ConstraintSet) -> BoxedStrategy<ConstraintSet> {
    let names: Vec<String> = p.args().keys().cloned().collect();
    let children: Vec<BoxedStrategy<Constraint>> = p.args().values().map(child_of).collect();
    let open = p.allows_unknown();
    let drop_pool = if names.is_empty() {
        vec!["path".to_owned()]
    } else {
        names.clone()
    };
    (
        children,
        prop::option::weighted(0.1, prop::sample::select(drop_pool)),
        prop::option::weighted(0.15, (prop::sample::select(ARG_NAMES), constraint())),
        prop::bool::weighted(if open { 0.5 } else { 0.1 }),
        prop::bool::weighted(0.05),
    )
        .prop_map(move |(cs, drop, extra, child_open, empty)| {
            if empty {
                return ConstraintSet::new();
            }
            let mut args: BTreeMap<String, Constraint> = names.iter().cloned().zip(cs).collect();
            if let Some(d) = drop {
                args.remove(&d);
            }
            if let Some((n, c)) = extra {
                args.entry(n.to_owned()).or_insert(c);
            }
            let s = ConstraintSet::from_args(args);
            if child_open {
                s.allow_unknown()
            } else {
                s
            }
        })
        .boxed()
}

/// Candidate values for one argument: the boundary probes (and finite
/// values) of every constraint on it, or random probes when none.
fn arg_pool(constraints: &[&Constraint]) -> Vec<Value> {
    let mut pool: Vec<Value> = Vec::new();
    for con in constraints {
        pool.extend(boundary_probes(con));
    }
    pool.push(Value::Int(1));
    pool.push(Value::Text("/data/in/x".into()));
    pool
}

/// Argument maps to probe a (parent, child) set pair with: every name
/// of either set (present with probability 0.9) plus an `extra` name
/// (probability 0.15); each value from that argument's boundary probes
/// (both sides) or a random probe; rarely a non-map.
pub fn arg_maps(p: &ConstraintSet, c: &ConstraintSet) -> BoxedStrategy<Vec<Value>> {
    let mut names: Vec<String> = p.args().keys().chain(c.args().keys()).cloned().collect();
    names.sort();
    names.dedup();
    let per_name: Vec<BoxedStrategy<Option<Value>>> = names
        .iter()
        .map(|n| {
            let cons: Vec<&Constraint> =
                p.args().get(n).into_iter().chain(c.args().get(n)).collect();
            let pool = arg_pool(&cons);
            prop::option::weighted(
                0.9,
                prop_oneof![
                    4 => prop::sample::select(pool),
                    1 => probe_value(),
                ],
            )
            .boxed()
        })
        .collect();
    let extra = prop::option::weighted(0.15, probe_value());
    let one =
        (per_name, extra, prop::bool::weighted(0.03)).prop_map(move |(vals, extra, not_map)| {
            if not_map {
                return Value::Int(7);
            }
            let mut m: BTreeMap<String, Value> = names
                .iter()
                .cloned()
                .zip(vals)
                .filter_map(|(n, v)| v.map(|v| (n, v)))
                .collect();
            if let Some(x) = extra {
                m.insert("extra".into(), x);
            }
            Value::Map(m)
        });
    prop::collection::vec(one, 1..8).boxed()
}

/// A (parent set, child set, argument maps) triple.
pub fn set_triple() -> impl Strategy<Value = (ConstraintSet, ConstraintSet, Vec<Value>)> {
    constraint_set()
        .prop_flat_map(|p| {
            let c = set_child(&p);
            (Just(p), c)
        })
        .prop_flat_map(|(p, c)| {
            let maps = arg_maps(&p, &c);
            (Just(p), Just(c), maps)
        })
}
