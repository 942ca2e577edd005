//! The known escalation stories, one named test each, and a differential
//! test of the glob matcher against an independent oracle.
//!
//! Each escalation test shows the widening request refused by
//! `narrows_to` and, where a grant builder applies, refused by the builder
//! too, and shows a value the child would allow that the parent refuses.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use proptest::prelude::*;
use warrants::constraint::{Any, Bound, NotOneOf, OneOf, Pattern, Range, Regex, Subpath};
use warrants::{Constraint, SigningKey, Value, Warrant};

fn refused(parent: impl Into<Constraint>, child: impl Into<Constraint>, witness: Value) {
    let (parent, child) = (parent.into(), child.into());
    assert!(
        parent.narrows_to(&child).is_err(),
        "{parent:?} must refuse {child:?}"
    );
    assert!(child.matches(&witness), "the child allows {witness}");
    assert!(!parent.matches(&witness), "the parent refuses {witness}");
    // The grant builder refuses the same widening.
    let root_key = SigningKey::from_seed(&[1; 32]);
    let holder = SigningKey::from_seed(&[2; 32]);
    let root = Warrant::mint_builder()
        .holder(holder.public_key())
        .capability("t", [("a", parent)])
        .ttl(Duration::from_secs(60))
        .mint(&root_key)
        .unwrap();
    let grant = root
        .grant_builder()
        .holder(holder.public_key())
        .capability("t", [("a", child)])
        .ttl(Duration::from_secs(30))
        .grant(&holder);
    assert!(grant.is_err(), "the grant builder must refuse the widening");
}

#[test]
fn glob_question_mark_to_star_refused() {
    refused(
        Pattern::new("x?").unwrap(),
        Pattern::new("x*").unwrap(),
        "xyz".into(),
    );
}

#[test]
fn glob_dot_dot_escape_refused() {
    refused(
        Pattern::new("/data/*").unwrap(),
        Pattern::new("/data/../etc/*").unwrap(),
        "/data/../etc/passwd".into(),
    );
}

#[test]
fn subpath_sibling_prefix_refused() {
    refused(
        Subpath::new("/data").unwrap(),
        Subpath::new("/database").unwrap(),
        "/database/x".into(),
    );
}

#[test]
fn range_widened_by_inclusive_flag_refused() {
    refused(
        Range::new(Some(Bound::inclusive(0)), Some(Bound::exclusive(10))).unwrap(),
        Range::new(Some(Bound::inclusive(0)), Some(Bound::inclusive(10))).unwrap(),
        10.into(),
    );
}

#[test]
fn one_of_to_not_one_of_refused() {
    refused(
        OneOf::new(["dev", "staging"]).unwrap(),
        NotOneOf::new(["prod"]).unwrap(),
        "anything".into(),
    );
}

#[test]
fn regex_swapped_for_a_different_one_refused() {
    refused(
        Regex::new("[a-z]+").unwrap(),
        Regex::new("[a-z]*|admin[0-9]").unwrap(),
        "admin1".into(),
    );
}

#[test]
fn any_gaining_a_branch_refused() {
    refused(
        Any::new([
            Subpath::new("/data/a").unwrap(),
            Subpath::new("/data/b").unwrap(),
        ])
        .unwrap(),
        Any::new([
            Subpath::new("/data/a").unwrap(),
            Subpath::new("/data/b").unwrap(),
            Subpath::new("/etc").unwrap(),
        ])
        .unwrap(),
        "/etc/passwd".into(),
    );
}

/// An independent glob matcher for the tokens `*`, `**`, `?` and
/// literals (SPEC §6.3.4), by backtracking over characters.
fn oracle(glob: &[char], text: &[char]) -> bool {
    match glob.first() {
        None => text.is_empty(),
        Some('*') => {
            let stars = glob.iter().take_while(|c| **c == '*').count();
            let rest = &glob[stars..];
            let crosses = stars >= 2;
            for i in 0..=text.len() {
                if i > 0 && !crosses && text[i - 1] == '/' {
                    break;
                }
                if oracle(rest, &text[i..]) {
                    return true;
                }
            }
            false
        }
        Some('?') => text
            .first()
            .is_some_and(|c| *c != '/' && oracle(&glob[1..], &text[1..])),
        Some(g) => text.first() == Some(g) && oracle(&glob[1..], &text[1..]),
    }
}

fn glob_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("a"),
            Just("b"),
            Just("/"),
            Just("."),
            Just("*"),
            Just("**"),
            Just("?")
        ],
        0..8,
    )
    .prop_map(|v| v.concat())
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![Just('a'), Just('b'), Just('/'), Just('.'), Just('c')],
        0..10,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// The glob matcher agrees with the oracle on random globs and texts.
    #[test]
    fn glob_matcher_agrees_with_oracle(glob in glob_strategy(), texts in prop::collection::vec(text_strategy(), 8)) {
        let p = Constraint::from(Pattern::new(&glob).unwrap());
        let g: Vec<char> = glob.chars().collect();
        for t in &texts {
            let want = oracle(&g, &t.chars().collect::<Vec<_>>());
            prop_assert_eq!(p.matches(&Value::from(t.as_str())), want, "glob {:?} text {:?}", glob, t);
        }
        // Each glob's own literal expansion (stars removed, `?` as `a`)
        // must agree too, so positive cases are exercised.
        let lit: String = glob.replace('*', "").replace('?', "a");
        let want = oracle(&g, &lit.chars().collect::<Vec<_>>());
        prop_assert_eq!(p.matches(&Value::from(lit.as_str())), want);
    }
}

/// The oracle itself is checked on hand-written cases, so a wrong oracle
/// cannot make the differential test agree with a wrong matcher.
#[test]
fn oracle_known_cases() {
    let o = |g: &str, t: &str| {
        oracle(
            &g.chars().collect::<Vec<_>>(),
            &t.chars().collect::<Vec<_>>(),
        )
    };
    assert!(o("a*", "abb"));
    assert!(!o("a*", "a/b"));
    assert!(o("a**", "a/b"));
    assert!(o("?b", "ab"));
    assert!(!o("?b", "/b"));
    assert!(o("", ""));
    assert!(!o("a", ""));
    assert!(o("*/*", "a/b"));
    assert!(!o("*", "/"));
}
