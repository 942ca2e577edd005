//! I20: denials and diagnostics never show argument values unless
//! redaction is off.

use warrants::authorizer::render_violations;
use warrants::constraint::{Exact, OneOf, Subpath, ViolationKind};
use warrants::{Call, Chain, Denial, Redaction, Value};

use crate::common::*;
use crate::mismatch;

#[test]
fn i20_denial_redacts_values() {
    const SECRET: &str = "/etc/shadow-SECRET";
    let az = authorizer();
    let chain = chain2();
    let wk = worker_key();
    let args = path_args(SECRET);
    let d = denied(call(&az, &chain, &wk, "read_file", &args));
    assert_eq!(d.code(), "CONSTRAINT_VIOLATED");
    assert!(matches!(&d, Denial::ConstraintViolated { tool, .. } if tool == "read_file"));
    let shown = [
        d.to_string(),
        format!("{d:?}"),
        d.explain(&args, Redaction::On),
        serde_json::to_string(&d).unwrap(),
    ];
    for s in &shown {
        assert!(!s.contains("SECRET"), "value leaked: {s}");
        assert!(!s.contains("shadow"), "value leaked: {s}");
    }
    assert!(
        shown[0].contains("path"),
        "names the argument: {}",
        shown[0]
    );
    let json: serde_json::Value = serde_json::to_value(&d).unwrap();
    assert_eq!(json["code"], "CONSTRAINT_VIOLATED");
    let off = d.explain(&args, Redaction::Off);
    assert!(off.contains(SECRET), "redaction off shows the value: {off}");
    assert_eq!(Redaction::default(), Redaction::On);

    // why_denied_at lists every violated argument on every link.
    let root = std_mint()
        .capability(
            "write_file",
            [
                ("path", Subpath::new("/data").unwrap().into()),
                ("mode", OneOf::new(["a", "w"]).unwrap().into()),
            ],
        )
        .mint(&root_key())
        .unwrap();
    let child = root
        .grant_builder()
        .holder(wk.public_key())
        .issued_at(NOW)
        .capability(
            "write_file",
            [
                ("path", Subpath::new("/data/out").unwrap().into()),
                ("mode", Exact::new("a").unwrap().into()),
            ],
        )
        .grant(&agent_key())
        .unwrap();
    let chain = Chain::root(root).push(child).unwrap();
    let args = Value::map([
        ("path", Value::from(SECRET)),
        ("mode", Value::from("x-SECRET")),
        ("extra", Value::from("SECRET-extra")),
    ]);
    let diag = az.why_denied_at(&chain, &Call::new("write_file", &args, CTX), NOW);
    assert!(diag.denials.is_empty(), "{:?}", diag.denials);
    assert!(!diag.is_clean());
    let mut got: Vec<(usize, String, ViolationKind)> = diag
        .violations
        .iter()
        .map(|v| (v.link, v.arg.clone(), v.kind.clone()))
        .collect();
    got.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let want: Vec<(usize, String, ViolationKind)> = vec![
        (0, "extra".into(), ViolationKind::Unexpected),
        (0, "mode".into(), mismatch("one_of")),
        (0, "path".into(), mismatch("subpath")),
        (1, "extra".into(), ViolationKind::Unexpected),
        (1, "mode".into(), mismatch("exact")),
        (1, "path".into(), mismatch("subpath")),
    ];
    assert_eq!(got, want);
    let redacted = render_violations(&diag.violations, &args, Redaction::On);
    assert_eq!(redacted.lines().count(), 6);
    assert!(!redacted.contains("SECRET"), "{redacted}");
    assert!(!format!("{diag:?}").contains("SECRET"));
    assert!(!serde_json::to_string(&diag).unwrap().contains("SECRET"));
    let shown = render_violations(&diag.violations, &args, Redaction::Off);
    assert!(
        shown.contains(SECRET) && shown.contains("x-SECRET"),
        "{shown}"
    );

    // A clean call is clean; chain-level problems are listed as denials.
    let ok = Value::map([("path", "/data/out/f"), ("mode", "a")]);
    assert!(az
        .why_denied_at(&chain, &Call::new("write_file", &ok, CTX), NOW)
        .is_clean());
    let late = az.why_denied_at(&chain, &Call::new("nope", &ok, CTX), NOW + 10 * ROOT_TTL);
    let codes: Vec<&str> = late.denials.iter().map(Denial::code).collect();
    assert_eq!(
        codes,
        ["WARRANT_EXPIRED", "TOOL_NOT_GRANTED", "TOOL_NOT_GRANTED"]
    );
}
