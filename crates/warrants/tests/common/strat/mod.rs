//! Proptest strategies: values, constraints and constraint sets. The
//! narrowing-biased children and boundary probes are in [`narrowing`].

mod narrowing;

// Not every test binary uses the narrowing strategies.
#[allow(unused_imports)]
pub use narrowing::*;

use std::collections::BTreeMap;

use proptest::prelude::*;
use warrants::constraint::{Bound, Exact, OneOf, Pattern, Range, Subpath, Wildcard};
use warrants::{Constraint, ConstraintSet, Value};

/// Interesting floats (never NaN).
pub const SPECIAL_FLOATS: &[f64] = &[
    0.5,
    -0.0,
    1.5,
    -2.5,
    0.1,
    2.0,
    65504.0,
    65505.0,
    1e300,
    -1e-300,
    5e-324,
    f64::MIN_POSITIVE,
    f64::INFINITY,
    f64::NEG_INFINITY,
    9_223_372_036_854_775_808.0,
    -9_223_372_036_854_775_808.0,
    18_446_744_073_709_551_616.0,
    3.4028234663852886e38,
];

/// A scalar value of any kind (no NaN).
pub fn leaf_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (-300i64..300).prop_map(Value::Int),
        prop::sample::select(vec![
            0,
            23,
            24,
            255,
            256,
            65535,
            65536,
            4_294_967_295,
            4_294_967_296,
            i64::MAX,
            i64::MIN,
            -24,
            -25,
            -256,
            -257,
        ])
        .prop_map(Value::Int),
        any::<f64>()
            .prop_filter("no nan", |f| !f.is_nan())
            .prop_map(Value::Float),
        prop::sample::select(SPECIAL_FLOATS).prop_map(Value::Float),
        "\\PC{0,30}".prop_map(Value::Text),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
    ]
}

/// Any value (nesting at most 4).
pub fn value() -> impl Strategy<Value = Value> {
    leaf_value().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            prop::collection::btree_map("[a-z]{0,5}|\\PC{0,3}", inner, 0..6).prop_map(Value::Map),
        ]
    })
}

/// A number for range bounds and numeric probes: small ints, halves
/// (including integral floats such as `5.0`), extremes.
pub fn bound_num() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (-12i64..12).prop_map(Value::Int),
        4 => (-24i64..24).prop_map(|h| Value::Float(h as f64 / 2.0)),
        1 => prop::sample::select(vec![
            Value::Float(f64::INFINITY),
            Value::Float(f64::NEG_INFINITY),
            Value::Int(i64::MAX),
            Value::Int(i64::MIN),
            Value::Float(9_223_372_036_854_775_808.0),
            Value::Float(-9_223_372_036_854_775_808.0),
            Value::Float(0.1),
        ]),
    ]
}

/// A bound from a number and inclusiveness.
pub fn mk_bound(v: Value, inclusive: bool) -> Bound {
    if inclusive {
        Bound::inclusive(v)
    } else {
        Bound::exclusive(v)
    }
}

/// A valid (non-empty) range.
pub fn range() -> impl Strategy<Value = Range> {
    (
        prop::option::weighted(0.75, (bound_num(), any::<bool>())),
        prop::option::weighted(0.75, (bound_num(), any::<bool>())),
    )
        .prop_filter_map("non-empty range", |(lo, hi)| {
            Range::new(
                lo.map(|(v, i)| mk_bound(v, i)),
                hi.map(|(v, i)| mk_bound(v, i)),
            )
            .ok()
        })
}

/// Path components, including look-alikes (`database` vs `data`).
pub const COMPONENTS: &[&str] = &[
    "data", "database", "in", "out", "x", "a b", "é", ".hidden", "...", "d",
];

/// A normalized absolute root of 0 to 3 components.
pub fn subpath_root() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(COMPONENTS), 0..4)
        .prop_map(|c| format!("/{}", c.join("/")))
}

/// A subpath constraint.
pub fn subpath() -> impl Strategy<Value = Subpath> {
    subpath_root().prop_map(|r| Subpath::new(r).unwrap())
}

/// Literal glob pieces (no metacharacters, or escaped ones).
pub const GLOB_LITERALS: &[&str] = &[
    "a", "b", "ab", "/", "/data", "/data/", ".", ".txt", "x", "\\*", "\\?", "\\[",
];

/// Glob pieces with metacharacters.
pub const GLOB_METAS: &[&str] = &[
    "*", "**", "?", "[ab]", "[!a]", "[a-c]", "[^/]", "*.txt", "**/x",
];

/// A glob piece, literal or meta.
pub fn glob_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(GLOB_LITERALS).prop_map(str::to_owned),
        2 => prop::sample::select(GLOB_METAS).prop_map(str::to_owned),
    ]
}

/// A literal glob (a sequence of literal pieces).
pub fn literal_glob() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(GLOB_LITERALS), 0..4).prop_map(|v| v.concat())
}

/// A glob, often of the `L**` shape that narrows by prefix extension.
pub fn glob() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => literal_glob().prop_map(|l| format!("{l}**")),
        2 => prop::collection::vec(glob_piece(), 0..5).prop_map(|v| v.concat()),
        1 => literal_glob(),
    ]
}

/// A pattern constraint.
pub fn pattern() -> impl Strategy<Value = Pattern> {
    glob().prop_filter_map("valid glob", |g| Pattern::new(g).ok())
}

/// A probe string: paths and glob-ish text.
pub fn probe_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(
            prop::sample::select(vec![
                "data", "database", "in", "x", "..", ".", "", "a", "b", "ab", "*", "?", "a.txt",
                "\\",
            ]),
            0..5
        )
        .prop_map(|c| format!("/{}", c.join("/"))),
        prop::collection::vec(
            prop::sample::select(vec![
                "a", "b", "/", ".", "x", "*", "?", "[", "]", "\\", ".txt", "\n", "data", "é",
            ]),
            0..6
        )
        .prop_map(|v| v.concat()),
    ]
}

/// A probe value of any interesting kind.
pub fn probe_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => bound_num(),
        3 => probe_text().prop_map(Value::Text),
        1 => leaf_value(),
    ]
}

/// A constraint with an unknown type id (decodes, never matches).
pub fn unknown_constraint() -> Constraint {
    Constraint::from_cbor(&[0x82, 0x18, 0x63, 0x61, b'x']).unwrap()
}

/// Any constraint of any type (including an unknown one).
pub fn constraint() -> impl Strategy<Value = Constraint> {
    prop_oneof![
        2 => Just(Constraint::from(Wildcard::new())),
        2 => probe_value().prop_map(|v| Exact::new(v).unwrap().into()),
        1 => value().prop_filter_map("no nan", |v| Exact::new(v).ok().map(Into::into)),
        2 => prop::collection::vec(probe_value(), 1..5)
            .prop_map(|v| OneOf::new(v).unwrap().into()),
        3 => range().prop_map(Into::into),
        3 => pattern().prop_map(Into::into),
        3 => subpath().prop_map(Into::into),
        1 => Just(unknown_constraint()),
    ]
}

/// Argument names used in sets.
pub const ARG_NAMES: &[&str] = &["path", "amount", "mode", "n"];

/// A constraint set of 0 to 3 arguments, sometimes `allow_unknown`.
pub fn constraint_set() -> impl Strategy<Value = ConstraintSet> {
    (
        prop::collection::btree_map(prop::sample::select(ARG_NAMES), constraint(), 0..4),
        prop::bool::weighted(0.25),
    )
        .prop_map(|(args, open)| {
            let s = ConstraintSet::from_args(args);
            if open {
                s.allow_unknown()
            } else {
                s
            }
        })
}

/// A tools map for a warrant: 1 to 4 tools.
pub fn tools() -> impl Strategy<Value = BTreeMap<String, ConstraintSet>> {
    prop::collection::btree_map("[a-z_]{1,12}", constraint_set(), 1..5)
}
