//! `All`, `Any`, `Not`: boolean combinations of constraints.
//!
//! `All(c1..cn)` matches when every `ci` matches, `Any(c1..cn)` when at
//! least one does, `Not(c)` when `c` does not. Combinators are bounded so
//! that matching and narrowing cost stays small: 1 to
//! [`MAX_COMBINATOR_CHILDREN`] children each, at most
//! [`MAX_COMBINATOR_DEPTH`] combinator levels and at most
//! [`MAX_COMBINATOR_NODES`] constraints in one tree. With these bounds every
//! constructible tree also fits the decoder's nesting limit inside a
//! warrant.
//!
//! **Fail closed.** A child of unknown type never matches, so `All(.., u)`
//! never matches and `Any(u, x)` matches as `x`. `Not(c)` matches only when
//! `c`'s result is *exact* in this version: `c` contains no constraint of
//! unknown type, no glob that fails to compile, and only types whose
//! matching is total (see [`is_exact`]); otherwise `Not(c)` never matches.
//! Negating a "never matches" that stands for "cannot tell" would turn a
//! refusal into "allow everything".
//!
//! Attenuation rules (`narrows`, called by [`Constraint::narrows_to`] after
//! the shared rules for unknown, wildcard and finite children) are sound
//! and conservative; `docs/spec-parts/combinators.md` states them.

use std::sync::OnceLock;

use super::{expect_params, Constraint, Kind, Pattern, Widening};
use crate::cbor::{Reader, Writer};
use crate::error::{ConstraintError, DecodeError};
use crate::value::Value;

/// Most children one `All` or `Any` may have.
pub const MAX_COMBINATOR_CHILDREN: usize = 64;
/// Most combinator levels in one constraint (`Not(All([x]))` has two).
pub const MAX_COMBINATOR_DEPTH: usize = 4;
/// Most constraints (combinators and leaves) in one combinator tree.
pub const MAX_COMBINATOR_NODES: usize = 128;

/// Combinator levels of `c` (0 for a leaf).
fn depth_of(c: &Constraint) -> usize {
    match c {
        Constraint::All(a) => a.depth,
        Constraint::Any(a) => a.depth,
        Constraint::Not(n) => n.depth,
        _ => 0,
    }
}

/// Constraints in the tree of `c` (1 for a leaf).
fn nodes_of(c: &Constraint) -> usize {
    match c {
        Constraint::All(a) => a.nodes,
        Constraint::Any(a) => a.nodes,
        Constraint::Not(n) => n.nodes,
        _ => 1,
    }
}

/// Check the bounds of a combinator over `children`; returns its
/// `(depth, nodes)`.
fn bounds(children: &[Constraint], what: &'static str) -> Result<(usize, usize), ConstraintError> {
    if children.is_empty() {
        return Err(ConstraintError::InvalidSet(what));
    }
    if children.len() > MAX_COMBINATOR_CHILDREN {
        return Err(ConstraintError::InvalidSet(
            "combinator has more than 64 constraints",
        ));
    }
    let depth = 1 + children.iter().map(depth_of).max().unwrap_or(0);
    if depth > MAX_COMBINATOR_DEPTH {
        return Err(ConstraintError::InvalidSet("combinators nested too deeply"));
    }
    let nodes = children
        .iter()
        .map(nodes_of)
        .fold(1usize, usize::saturating_add);
    if nodes > MAX_COMBINATOR_NODES {
        return Err(ConstraintError::InvalidSet(
            "combinator tree has too many constraints",
        ));
    }
    Ok((depth, nodes))
}

/// Whether `c`'s match result is exact in this version, so that negating
/// it is sound: no unknown type, no glob that fails to compile, and only
/// types vetted here. Types not listed are treated as inexact (fail
/// closed: `Not` over them never matches).
pub(crate) fn is_exact(c: &Constraint) -> bool {
    match c {
        Constraint::Wildcard(_)
        | Constraint::Exact(_)
        | Constraint::OneOf(_)
        | Constraint::Range(_)
        | Constraint::Subpath(_)
        // Total functions of the value, fully checked at decode (a decoded
        // Regex is already compiled). NotOneOf, Contains and Subset are not
        // listed: they refuse NaN and over-deep values outright, so a Not
        // over them would accept those.
        | Constraint::Regex(_)
        | Constraint::Cidr(_)
        | Constraint::UrlSafe(_) => true,
        // A decoded glob is compiled lazily and never matches when its
        // program is too large; `Pattern::new` compiles and refuses those.
        Constraint::Pattern(p) => Pattern::new(p.glob()).is_ok(),
        Constraint::All(a) => a.children.iter().all(is_exact),
        Constraint::Any(a) => a.children.iter().all(is_exact),
        Constraint::Not(n) => n.inner_exact(),
        _ => false,
    }
}

fn read_children(
    r: &mut Reader<'_>,
    n: usize,
    what: &'static str,
) -> Result<Vec<Constraint>, DecodeError> {
    expect_params(n, 1, what)?;
    let len = r.array()?;
    if len == 0 {
        return Err(DecodeError::Malformed("combinator with no constraints"));
    }
    if len > MAX_COMBINATOR_CHILDREN {
        return Err(DecodeError::TooLarge("combinator constraints"));
    }
    r.enter()?;
    let mut children = Vec::with_capacity(len);
    for _ in 0..len {
        children.push(Constraint::decode(r)?);
    }
    r.leave();
    Ok(children)
}

fn write_children(children: &[Constraint], w: &mut Writer) {
    w.array(children.len());
    for c in children {
        c.encode(w);
    }
}

/// Matches when every child matches. Children keep their order (the
/// order is part of the encoding; evaluation stops at the first failure).
#[derive(Debug, Clone)]
pub struct All {
    children: Vec<Constraint>,
    depth: usize,
    nodes: usize,
}

impl All {
    /// Every one of `children`. Refuses an empty list, more than
    /// [`MAX_COMBINATOR_CHILDREN`] children, and trees deeper than
    /// [`MAX_COMBINATOR_DEPTH`] or larger than [`MAX_COMBINATOR_NODES`].
    pub fn new<C: Into<Constraint>>(
        children: impl IntoIterator<Item = C>,
    ) -> Result<Self, ConstraintError> {
        let children: Vec<Constraint> = children.into_iter().map(Into::into).collect();
        let (depth, nodes) = bounds(&children, "all needs at least one constraint")?;
        Ok(Self {
            children,
            depth,
            nodes,
        })
    }

    /// The children, in order.
    pub fn children(&self) -> &[Constraint] {
        &self.children
    }
}

impl Kind for All {
    const TYPE_ID: u64 = 13;
    const NAME: &'static str = "all";

    fn matches(&self, value: &Value) -> bool {
        self.children.iter().all(|c| c.matches(value))
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        narrows(&Constraint::All(self.clone()), child)
            .unwrap_or(Err("all: no combinator rule applies"))
    }

    fn encode_params(&self, w: &mut Writer) {
        write_children(&self.children, w);
    }

    fn param_count(&self) -> usize {
        1
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        let children = read_children(r, n, "all takes one list of constraints")?;
        Ok(Self::new(children)?)
    }
}

/// Matches when at least one child matches. Children keep their order.
#[derive(Debug, Clone)]
pub struct Any {
    children: Vec<Constraint>,
    depth: usize,
    nodes: usize,
}

impl Any {
    /// At least one of `children`. Same bounds as [`All::new`].
    pub fn new<C: Into<Constraint>>(
        children: impl IntoIterator<Item = C>,
    ) -> Result<Self, ConstraintError> {
        let children: Vec<Constraint> = children.into_iter().map(Into::into).collect();
        let (depth, nodes) = bounds(&children, "any needs at least one constraint")?;
        Ok(Self {
            children,
            depth,
            nodes,
        })
    }

    /// The children, in order.
    pub fn children(&self) -> &[Constraint] {
        &self.children
    }
}

impl Kind for Any {
    const TYPE_ID: u64 = 14;
    const NAME: &'static str = "any";

    fn matches(&self, value: &Value) -> bool {
        self.children.iter().any(|c| c.matches(value))
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        narrows(&Constraint::Any(self.clone()), child)
            .unwrap_or(Err("any: no combinator rule applies"))
    }

    fn encode_params(&self, w: &mut Writer) {
        write_children(&self.children, w);
    }

    fn param_count(&self) -> usize {
        1
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        let children = read_children(r, n, "any takes one list of constraints")?;
        Ok(Self::new(children)?)
    }
}

/// Matches when its inner constraint does not, provided the inner result
/// is exact (see the module docs); otherwise never matches.
#[derive(Debug, Clone)]
pub struct Not {
    inner: Box<Constraint>,
    depth: usize,
    nodes: usize,
    /// Whether the inner constraint's result is exact, computed at first
    /// use (it may compile globs) and kept with the constraint.
    exact: OnceLock<bool>,
}

impl Not {
    /// Everything `inner` does not match. Refuses trees deeper than
    /// [`MAX_COMBINATOR_DEPTH`] or larger than [`MAX_COMBINATOR_NODES`].
    pub fn new(inner: impl Into<Constraint>) -> Result<Self, ConstraintError> {
        let inner = inner.into();
        let (depth, nodes) = bounds(std::slice::from_ref(&inner), "not needs a constraint")?;
        Ok(Self {
            inner: Box::new(inner),
            depth,
            nodes,
            exact: OnceLock::new(),
        })
    }

    /// The negated constraint.
    pub fn inner(&self) -> &Constraint {
        &self.inner
    }

    /// Whether the inner result is exact, so that `Not` may match at all.
    fn inner_exact(&self) -> bool {
        *self.exact.get_or_init(|| is_exact(&self.inner))
    }
}

impl Kind for Not {
    const TYPE_ID: u64 = 15;
    const NAME: &'static str = "not";

    fn matches(&self, value: &Value) -> bool {
        self.inner_exact() && !self.inner.matches(value)
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        narrows(&Constraint::Not(self.clone()), child)
            .unwrap_or(Err("not: no combinator rule applies"))
    }

    fn encode_params(&self, w: &mut Writer) {
        self.inner.encode(w);
    }

    fn param_count(&self) -> usize {
        1
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        expect_params(n, 1, "not takes one constraint")?;
        let inner = Constraint::decode(r)?;
        Ok(Self::new(inner)?)
    }
}

fn is_combinator(c: &Constraint) -> bool {
    matches!(
        c,
        Constraint::All(_) | Constraint::Any(_) | Constraint::Not(_)
    )
}

/// The values of a finite constraint (`Exact`, `OneOf`).
fn finite_values(c: &Constraint) -> Option<&[Value]> {
    match c {
        Constraint::Exact(e) => Some(std::slice::from_ref(e.value())),
        Constraint::OneOf(o) => Some(o.values()),
        _ => None,
    }
}

fn every(
    items: &[Constraint],
    f: impl Fn(&Constraint) -> Result<(), Widening>,
) -> Result<(), Widening> {
    items.iter().try_for_each(f)
}

fn some(
    items: &[Constraint],
    f: impl Fn(&Constraint) -> Result<(), Widening>,
    why: Widening,
) -> Result<(), Widening> {
    if items.iter().any(|c| f(c).is_ok()) {
        Ok(())
    } else {
        Err(why)
    }
}

/// The combinator attenuation rules. `None` when neither side is a
/// combinator (the parent's type rule decides). Called after the shared
/// rules (unknown, wildcard parent, finite child) did not decide.
pub(crate) fn narrows(parent: &Constraint, child: &Constraint) -> Option<Result<(), Widening>> {
    if !is_combinator(parent) && !is_combinator(child) {
        return None;
    }
    // R0: the same constraint (byte-identical) narrows to itself.
    if parent == child {
        return Some(Ok(()));
    }
    let r = match (parent, child) {
        // R1: a union is inside P iff every branch is.
        (_, Constraint::Any(c)) => every(&c.children, |ci| parent.narrows_to(ci)),
        // R2: C is inside an intersection iff it is inside every part.
        (Constraint::All(p), _) => every(&p.children, |pi| pi.narrows_to(child)),
        // R3: C inside one branch is inside the union; for an `All` child,
        // also try R5 (one conjunct inside the whole union).
        (Constraint::Any(p), _) => {
            let why = "no branch of the parent any covers the child";
            some(&p.children, |pi| pi.narrows_to(child), why).or_else(|e| match child {
                Constraint::All(c) => some(&c.children, |ci| parent.narrows_to(ci), why),
                _ => Err(e),
            })
        }
        // R4: Not(c) ⊆ Not(p) iff p ⊆ c, and Not(p) can match at all.
        (Constraint::Not(p), Constraint::Not(c)) => {
            if !p.inner_exact() {
                Err("the parent not is over a constraint this version cannot evaluate exactly")
            } else {
                c.inner.narrows_to(&p.inner)
            }
        }
        // R6 (finite negation): C is inside Not(E) when C matches none of
        // E's values; for an `All` child also try R5.
        (Constraint::Not(p), _) => match finite_values(&p.inner) {
            Some(vs) if !vs.iter().any(|v| child.matches(v)) => Ok(()),
            _ => match child {
                Constraint::All(c) => some(
                    &c.children,
                    |ci| parent.narrows_to(ci),
                    "no constraint of the child all is inside the parent not",
                ),
                _ => Err("not only narrows to not, to constraints disjoint from a finite not, exact or one_of"),
            },
        },
        // R5: an intersection is inside P when one of its parts is.
        (_, Constraint::All(c)) => some(
            &c.children,
            |ci| parent.narrows_to(ci),
            "no constraint of the child all is inside the parent",
        ),
        // A negation is only inside wildcard, not, or a combinator that
        // reduces to those.
        (_, Constraint::Not(_)) => Err("a not child is only allowed under wildcard or not"),
        // Unreachable: one side is a combinator.
        _ => Err("no combinator rule applies"),
    };
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constraint::{Exact, OneOf, Range, Subpath, Wildcard};

    fn t(s: &str) -> Value {
        Value::from(s)
    }

    fn c<C: Into<Constraint>>(x: C) -> Constraint {
        x.into()
    }

    fn all(cs: Vec<Constraint>) -> Constraint {
        c(All::new(cs).unwrap())
    }

    fn any(cs: Vec<Constraint>) -> Constraint {
        c(Any::new(cs).unwrap())
    }

    fn not(x: Constraint) -> Constraint {
        c(Not::new(x).unwrap())
    }

    fn exact(v: impl Into<Value>) -> Constraint {
        c(Exact::new(v).unwrap())
    }

    fn range(lo: i64, hi: i64) -> Constraint {
        c(Range::between(lo, hi).unwrap())
    }

    fn pat(g: &str) -> Constraint {
        c(Pattern::new(g).unwrap())
    }

    fn unknown() -> Constraint {
        Constraint::from_cbor(&[0x82, 0x18, 99, 0x61, b'x']).unwrap()
    }

    /// A glob that parses but whose regex is over the size limit.
    fn too_complex_glob() -> String {
        "?".repeat(1000)
    }

    fn round_trip(x: &Constraint) {
        let b = x.to_cbor();
        let y = Constraint::from_cbor(&b).unwrap();
        assert_eq!(y.to_cbor(), b, "{x:?}");
    }

    #[test]
    fn boolean_semantics() {
        let a = all(vec![range(0, 100), not(exact(50))]);
        assert!(a.matches(&Value::Int(0)));
        assert!(a.matches(&Value::Int(49)));
        assert!(!a.matches(&Value::Int(50)));
        assert!(!a.matches(&Value::Float(50.0)));
        assert!(!a.matches(&Value::Int(101)));
        assert!(!a.matches(&t("x")));
        let o = any(vec![c(Subpath::new("/data").unwrap()), pat("/tmp/*")]);
        assert!(o.matches(&t("/data/x")));
        assert!(o.matches(&t("/tmp/x")));
        assert!(!o.matches(&t("/tmp/x/y")));
        assert!(!o.matches(&t("/etc")));
        let n = not(c(OneOf::new(["rm", "drop"]).unwrap()));
        assert!(n.matches(&t("ls")));
        assert!(n.matches(&Value::Null));
        assert!(!n.matches(&t("rm")));
        // Double negation.
        let nn = not(not(range(0, 1)));
        assert!(nn.matches(&Value::Int(1)));
        assert!(!nn.matches(&Value::Int(2)));
        assert_eq!(a.type_name(), "all");
        assert_eq!(o.type_id(), 14);
        assert_eq!(n.type_name(), "not");
    }

    #[test]
    fn empty_and_oversize_combinators_refused() {
        assert!(matches!(
            All::new(Vec::<Constraint>::new()),
            Err(ConstraintError::InvalidSet(_))
        ));
        assert!(Any::new(Vec::<Constraint>::new()).is_err());
        assert!(All::new(vec![c(Wildcard); MAX_COMBINATOR_CHILDREN]).is_ok());
        assert!(All::new(vec![c(Wildcard); MAX_COMBINATOR_CHILDREN + 1]).is_err());
        assert!(Any::new(vec![c(Wildcard); MAX_COMBINATOR_CHILDREN + 1]).is_err());
        // Empty lists at decode: [13, []], [14, []]; no list: [15].
        for bad in [&[0x82, 0x0d, 0x80][..], &[0x82, 0x0e, 0x80], &[0x81, 0x0f]] {
            assert!(Constraint::from_cbor(bad).is_err(), "{bad:x?}");
        }
        // Two params: [13, [[0]], [[0]]] and [15, [0], [0]].
        assert!(Constraint::from_cbor(&[0x83, 0x0d, 0x81, 0x81, 0x00, 0x81, 0x81, 0x00]).is_err());
        assert!(Constraint::from_cbor(&[0x83, 0x0f, 0x81, 0x00, 0x81, 0x00]).is_err());
        // A child that is not a constraint: [13, [1]].
        assert!(Constraint::from_cbor(&[0x82, 0x0d, 0x81, 0x01]).is_err());
        // An invalid child: [15, [3, [5, true], [4, true]]] (empty range).
        let bad_child = [0x82, 0x0f, 0x83, 0x03, 0x82, 0x05, 0xf5, 0x82, 0x04, 0xf5];
        assert!(Constraint::from_cbor(&bad_child).is_err());
    }

    #[test]
    fn depth_and_node_bounds() {
        let mut x = c(Wildcard);
        for _ in 0..MAX_COMBINATOR_DEPTH {
            x = not(x);
        }
        round_trip(&x);
        assert!(Not::new(x.clone()).is_err());
        assert!(All::new(vec![x.clone()]).is_err());
        // The deepest tree also fits a standalone decode and one inside a
        // warrant (constraint at level 5): 4 levels of All, 2 CBOR levels each.
        let mut y = exact(Value::list([1]));
        for _ in 0..MAX_COMBINATOR_DEPTH {
            y = all(vec![y]);
        }
        round_trip(&y);
        // Node count: 64 + 64 leaves under two Anys exceed 128 nodes.
        let wide = any(vec![c(Wildcard); 64]);
        assert!(All::new(vec![wide.clone(), wide.clone()]).is_err());
        assert!(All::new(vec![wide.clone(), c(Wildcard)]).is_ok());
        // The bound holds at decode too: hand-encode [13, [wide, wide]].
        let mut bytes = vec![0x82, 0x0d, 0x82];
        bytes.extend(wide.to_cbor());
        bytes.extend(wide.to_cbor());
        assert_eq!(
            Constraint::from_cbor(&bytes).unwrap_err(),
            DecodeError::Constraint(ConstraintError::InvalidSet(
                "combinator tree has too many constraints"
            ))
        );
        // Depth at decode: 5 nested nots.
        let mut deep = vec![];
        for _ in 0..=MAX_COMBINATOR_DEPTH {
            deep.extend([0x82, 0x0f]);
        }
        deep.extend([0x81, 0x00]);
        assert!(Constraint::from_cbor(&deep).is_err());
        // Far deeper input hits the reader's nesting limit, not the stack.
        let mut very = vec![];
        for _ in 0..10_000 {
            very.extend([0x82, 0x0f]);
        }
        very.extend([0x81, 0x00]);
        assert_eq!(
            Constraint::from_cbor(&very).unwrap_err(),
            DecodeError::TooDeep
        );
    }

    #[test]
    fn unknown_children_fail_closed() {
        let u = unknown();
        let x = exact("a");
        // All(.., unknown) never matches.
        assert!(!all(vec![x.clone(), u.clone()]).matches(&t("a")));
        // Any(unknown, x) matches as x.
        let a = any(vec![u.clone(), x.clone()]);
        assert!(a.matches(&t("a")));
        assert!(!a.matches(&t("b")));
        // Not over anything containing an unknown never matches.
        for inner in [u.clone(), a.clone(), all(vec![u.clone(), x.clone()])] {
            let n = not(inner);
            for v in [t("a"), t("b"), Value::Null, Value::Int(1)] {
                assert!(!n.matches(&v), "{n:?} {v:?}");
            }
        }
        // They decode, re-encode identically and narrow to themselves only.
        let n = not(a.clone());
        round_trip(&n);
        assert!(n.narrows_to(&n.clone()).is_ok());
        assert!(a.narrows_to(&a.clone()).is_ok());
        assert!(a.narrows_to(&x).is_ok());
        assert!(x.narrows_to(&a).is_err());
        assert!(not(exact("z")).narrows_to(&n).is_err());
    }

    #[test]
    fn not_over_uncompilable_glob_never_matches() {
        let g = too_complex_glob();
        assert!(
            Pattern::new(g.clone()).is_err(),
            "glob must be over the limit"
        );
        // Decode [4, g] inside [15, .]: the glob only parses at decode.
        let mut w = Writer::default();
        w.array(2);
        w.uint(15);
        w.array(2);
        w.uint(4);
        w.text(&g);
        let n = Constraint::from_cbor(&w.into_bytes()).unwrap();
        for v in [t("a"), t(""), Value::Int(1), t(&"a".repeat(1000))] {
            assert!(!n.matches(&v), "{v:?}");
        }
        // A compilable glob under not is exact.
        let ok = not(pat("/etc/**"));
        assert!(ok.matches(&t("/data/x")));
        assert!(!ok.matches(&t("/etc/passwd")));
    }

    #[test]
    fn glob_bytes_count_inside_combinators() {
        let x = all(vec![pat("abc"), not(any(vec![pat("de"), range(0, 1)]))]);
        assert_eq!(x.glob_bytes(), 5);
    }

    #[test]
    fn leaf_parent_to_all_child() {
        // Parent range to child All[range narrower, pattern]: accepted.
        let p = c(Range::at_most(100).unwrap());
        assert!(p.narrows_to(&all(vec![range(0, 10), pat("*")])).is_ok());
        assert!(p.narrows_to(&all(vec![pat("*"), range(0, 10)])).is_ok());
        // No conjunct inside the parent: refused.
        assert!(p.narrows_to(&all(vec![range(0, 200), pat("*")])).is_err());
        // Finite child under a combinator parent uses the exact match.
        let a = all(vec![range(0, 100), not(exact(50))]);
        assert!(a.narrows_to(&exact(49)).is_ok());
        assert!(a.narrows_to(&exact(50)).is_err());
        assert!(a.narrows_to(&c(OneOf::new([1, 2, 3]).unwrap())).is_ok());
        assert!(a.narrows_to(&c(OneOf::new([1, 50]).unwrap())).is_err());
    }

    #[test]
    fn any_gaining_a_branch_refused() {
        let p = any(vec![pat("/data/**"), pat("/tmp/**")]);
        let gained = any(vec![pat("/data/**"), pat("/tmp/**"), pat("/etc/**")]);
        assert!(p.narrows_to(&gained).is_err());
        // Dropping or narrowing a branch is fine.
        assert!(p.narrows_to(&any(vec![pat("/data/**")])).is_ok());
        assert!(p
            .narrows_to(&any(vec![pat("/tmp/x/**"), pat("/data/in/**")]))
            .is_ok());
        // Under a leaf parent, an Any child needs every branch inside.
        let r = c(Range::at_most(10).unwrap());
        assert!(r.narrows_to(&any(vec![range(0, 5), range(6, 9)])).is_ok());
        assert!(r.narrows_to(&any(vec![range(0, 5), range(6, 11)])).is_err());
        // A leaf child of an Any parent: one covering branch suffices.
        assert!(p.narrows_to(&pat("/tmp/x")).is_ok());
        assert!(p.narrows_to(&pat("/var/**")).is_err());
    }

    #[test]
    fn all_dropping_a_conjunct_refused() {
        let p = all(vec![range(0, 100), not(exact(50))]);
        assert!(p.narrows_to(&range(0, 100)).is_err());
        assert!(p.narrows_to(&all(vec![range(0, 100)])).is_err());
        // Keeping every conjunct (narrowed) or proving it otherwise is fine.
        assert!(p
            .narrows_to(&all(vec![range(0, 10), not(exact(50))]))
            .is_ok());
        // range(0, 10) never contains 50: disjoint from the finite not.
        assert!(p.narrows_to(&range(0, 10)).is_ok());
        assert!(p.narrows_to(&range(0, 60)).is_err());
    }

    #[test]
    fn not_attenuation() {
        let p = not(c(OneOf::new(["drop", "rm"]).unwrap()));
        // Not(c) ⊆ Not(p) iff p ⊆ c: the child may deny more, not less.
        assert!(p
            .narrows_to(&not(c(OneOf::new(["drop", "rm", "mv"]).unwrap())))
            .is_ok());
        assert!(p.narrows_to(&not(pat("*"))).is_ok());
        // Escalation: the child denies less.
        assert!(p.narrows_to(&not(exact("rm"))).is_err());
        assert!(p.narrows_to(&not(pat("r*"))).is_err());
        // Disjoint children of a finite not.
        assert!(p.narrows_to(&pat("ls*")).is_ok());
        assert!(p.narrows_to(&pat("r*")).is_err());
        assert!(p.narrows_to(&range(0, 9)).is_ok());
        assert!(p.narrows_to(&exact("mv")).is_ok());
        assert!(p.narrows_to(&exact("rm")).is_err());
        assert!(p.narrows_to(&c(Wildcard)).is_err());
        // A non-finite not only narrows to nots (and finite children).
        let q = not(pat("/etc/**"));
        assert!(q.narrows_to(&c(Subpath::new("/data").unwrap())).is_err());
        assert!(q.narrows_to(&exact("/data")).is_ok());
        assert!(q.narrows_to(&not(pat("/etc/**"))).is_ok());
        assert!(q.narrows_to(&not(pat("/e*"))).is_err());
        // Not as a child: only under wildcard, not, or combinators.
        assert!(c(Wildcard).narrows_to(&q).is_ok());
        for leaf in [range(0, 1), pat("**"), exact("x")] {
            assert!(leaf.narrows_to(&q).is_err());
        }
        assert!(any(vec![range(0, 1), q.clone()]).narrows_to(&q).is_ok());
        // A parent not over an unknown never matches: nothing narrows it
        // except itself.
        let nu = not(unknown());
        assert!(nu.narrows_to(&not(c(Wildcard))).is_err());
        assert!(nu.narrows_to(&nu.clone()).is_ok());
    }

    #[test]
    fn parent_combinators() {
        let p = all(vec![
            c(Range::at_least(0).unwrap()),
            c(Range::at_most(10).unwrap()),
        ]);
        assert!(p.narrows_to(&range(2, 3)).is_ok());
        assert!(p.narrows_to(&range(-1, 3)).is_err());
        let q = any(vec![range(0, 5), range(10, 15)]);
        assert!(q.narrows_to(&range(11, 12)).is_ok());
        // Sound but incomplete: [0, 15] \ (5, 10) split differently.
        assert!(q.narrows_to(&range(4, 11)).is_err());
        // Any parent to All child, both strategies.
        let r = any(vec![all(vec![range(0, 100), not(exact(5))]), exact("x")]);
        assert!(r
            .narrows_to(&all(vec![range(0, 10), not(exact(5))]))
            .is_ok());
        let s = any(vec![pat("x**"), pat("y**")]);
        assert!(s
            .narrows_to(&all(vec![any(vec![pat("x*"), pat("y*")]), pat("**")]))
            .is_ok());
        assert!(s
            .narrows_to(&all(vec![any(vec![pat("x*"), pat("z*")]), pat("**")]))
            .is_err());
    }

    #[test]
    fn deepest_trees_use_little_stack() {
        // Maximal depth on both sides, every rule on the way; 256 KiB of
        // stack is plenty even in a debug build.
        fn deep(leaf: Constraint, flip: bool) -> Constraint {
            let mut x = leaf;
            for i in 0..MAX_COMBINATOR_DEPTH {
                x = match (i + usize::from(flip)) % 3 {
                    0 => all(vec![x, c(Wildcard)]),
                    1 => any(vec![x, range(0, 1)]),
                    _ => not(x),
                };
            }
            x
        }
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                for f1 in [false, true] {
                    for f2 in [false, true] {
                        let p = deep(range(0, 10), f1);
                        let ch = deep(range(2, 3), f2);
                        let _ = p.narrows_to(&ch);
                        let _ = ch.narrows_to(&p);
                        assert!(p.narrows_to(&p.clone()).is_ok());
                        let _ = p.matches(&Value::Int(5));
                    }
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn encodings() {
        let cases = [
            (
                all(vec![range(0, 100), not(exact(50))]),
                "820d8283038200f5821864f5820f82011832",
            ),
            (
                any(vec![c(Subpath::new("/data").unwrap()), pat("/tmp/*")]),
                "820e828205652f646174618204662f746d702f2a",
            ),
            (
                not(c(OneOf::new(["rm", "drop"]).unwrap())),
                "820f82028262726d6464726f70",
            ),
        ];
        for (x, want) in &cases {
            assert_eq!(hex::encode(x.to_cbor()), *want, "{x:?}");
            round_trip(x);
        }
    }
}
