#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Property tests of the operator-facing parsers: the `--constraint` spec
//! syntax, the capability file and durations never panic on any input, and
//! a spec that parses renders (as `inspect` shows it) to a spec that parses
//! back to the same constraint.

use proptest::prelude::*;
use warrants_cli::constraint_spec::{parse_named, parse_spec, render};

/// Spec-shaped text: kinds, separators and brackets mixed with short
/// values, so that most inputs reach deep into the parser.
fn spec_like() -> impl Strategy<Value = String> {
    let kind = prop::sample::select(vec![
        "wildcard",
        "*",
        "exact:",
        "one_of:",
        "not_one_of:",
        "range:",
        "pattern:",
        "subpath:",
        "regex:",
        "contains:",
        "subset:",
        "cidr:",
        "url_safe",
        "url_safe:",
        "url_pattern:",
        "all(",
        "any(",
        "not(",
    ]);
    let token = prop::sample::select(vec![
        "a",
        "b",
        "0",
        "1",
        "100",
        "-5",
        "1.5",
        "true",
        "null",
        "\"x\"",
        "[",
        "]",
        "(",
        ")",
        ",",
        ";",
        ":",
        "=",
        "/",
        "/data",
        "..",
        "*",
        "**",
        "?",
        "<",
        "<=",
        ">",
        ">=",
        "{",
        "}",
        "10.0.0.0/8",
        "fd00::/8",
        "https://",
        "api.example.com",
        "*.example.com",
        "allow=",
        "deny=",
        "schemes=",
        "https",
        "\\",
        " ",
        "é",
        "\u{0}",
    ]);
    (
        prop::collection::vec((kind, prop::collection::vec(token, 0..6)), 1..4),
        prop::sample::select(vec!["", ")", "))", ";"]),
    )
        .prop_map(|(parts, tail)| {
            let mut s = String::new();
            for (i, (k, toks)) in parts.iter().enumerate() {
                if i > 0 {
                    s.push(';');
                }
                s.push_str(k);
                for t in toks {
                    s.push_str(t);
                }
            }
            s.push_str(tail);
            s
        })
}

/// Well-formed specs of the kinds random text rarely reaches (ranges,
/// networks, URL patterns, subpaths) nested in `not`/`all`/`any`.
fn well_formed() -> impl Strategy<Value = String> {
    let bound = prop_oneof![
        3 => (-1000i64..1000).prop_map(|n| n.to_string()),
        1 => Just(String::new()),
    ];
    let open = prop::sample::select(vec!["[", "("]);
    let close = prop::sample::select(vec!["]", ")"]);
    let leaf = prop_oneof![
        (open, bound.clone(), bound, close).prop_map(|(a, x, y, b)| format!("range:{a}{x},{y}{b}")),
        (
            prop::sample::select(vec!["<", "<=", ">", ">="]),
            -1000i64..1000
        )
            .prop_map(|(op, n)| format!("range:{op}{n}")),
        (0u8..=255, 0u8..=255, 0u8..=40).prop_map(|(a, b, p)| format!("cidr:{a}.{b}.0.0/{p}")),
        (
            "[a-z0-9-]{1,6}",
            prop::option::of(1u16..65535),
            "(/[a-z*]{1,5}){0,3}"
        )
            .prop_map(|(h, port, path)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                format!("url_pattern:https://{h}.example.com{port}{path}")
            }),
        "(/[a-z.]{1,5}){1,3}".prop_map(|p| format!("subpath:{p}")),
        "[a-z0-9]{1,6}".prop_map(|w| format!("exact:{w}")),
        "[a-z*?]{1,6}".prop_map(|w| format!("pattern:{w}")),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|s| format!("not({s})")),
            prop::collection::vec(inner.clone(), 1..3)
                .prop_map(|v| format!("all({})", v.join(";"))),
            prop::collection::vec(inner, 1..3).prop_map(|v| format!("any({})", v.join(";"))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn specs_never_panic_and_round_trip_through_render(
        s in prop_oneof![spec_like(), well_formed(), ".{0,40}"]
    ) {
        let Ok(doc) = parse_spec(&s) else { return Ok(()) };
        let Ok(c) = doc.to_constraint() else { return Ok(()) };
        let shown = render(&doc);
        let back = parse_spec(&shown)
            .map_err(|e| TestCaseError::fail(format!("{s:?} renders as {shown:?}: {e}")))?;
        prop_assert_eq!(
            back.to_constraint().map_err(TestCaseError::fail)?,
            c,
            "{:?} renders as {:?}",
            s,
            shown
        );
    }

    #[test]
    fn named_specs_capability_files_and_durations_never_panic(
        s in ".{0,60}",
        spec in spec_like()
    ) {
        let _ = parse_named(&s);
        let _ = parse_named(&format!("arg={spec}"));
        let _ = warrants_cli::duration::parse_secs(&s);
        let _ = warrants_cli::capfile::parse(&s, "caps.yaml");
        let yaml = format!("tools:\n  t:\n    a: {spec}\n");
        if let Err(e) = warrants_cli::capfile::parse(&yaml, "caps.yaml") {
            prop_assert!(e.to_string().starts_with("caps.yaml"), "{}", e);
        }
    }
}

/// Found by the round trip: `render` writes `range:(,0]`, whose `(` used
/// to hide the `;` after it from the combinator splitter.
#[test]
fn half_open_ranges_nest_in_combinators() {
    for spec in [
        "any(range:(,0];url_pattern:https://a.example.com)",
        "all(range:[0,10);exact:5)",
        "not(range:(1,2])",
    ] {
        let doc = parse_spec(spec).unwrap();
        let c = doc.to_constraint().unwrap();
        assert_eq!(
            parse_spec(&render(&doc)).unwrap().to_constraint().unwrap(),
            c
        );
    }
    let two = parse_spec("any(range:(,0];exact:1)").unwrap();
    assert_eq!(render(&two), "any(range:(,0];exact:1)");
}
