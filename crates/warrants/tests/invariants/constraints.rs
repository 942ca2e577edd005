//! I9 and I11 to I13: argument constraints: conjunction over links, grants
//! that would widen, the closed world and unknown constraint types.

use warrants::constraint::{ArgViolation, Exact, OneOf, Range, Subpath, ViolationKind, Wildcard};
use warrants::{BuildError, Chain, Constraint, ConstraintSet, DecodeError, Value, Warrant};

use crate::common::raw;
use crate::common::*;
use crate::{mismatch, patched, violation};

#[test]
fn i09_conjunction_over_links() {
    let az = authorizer();
    let root = root_warrant(); // read_file{path: /data}, transfer{amount: 0..=100}
    let mut p = child_payload(&root, worker_key().public_key(), wid(2));
    p.tools.insert(
        "read_file".into(),
        ConstraintSet::new().arg("path", Subpath::new("/").unwrap()),
    );
    p.tools.insert(
        "transfer".into(),
        ConstraintSet::new().arg("amount", Range::between(-1000, 1000).unwrap()),
    );
    // An empty (any arguments) set where the parent constrains.
    p.tools.insert("ping".into(), ConstraintSet::new());
    let wider = Warrant::sign_payload(p, &agent_key()).unwrap();
    let chain = Chain::root(root)
        .push(wider)
        .expect("link rules do not compare constraints");
    let wk = worker_key();

    // Values both links allow pass.
    call(&az, &chain, &wk, "read_file", &path_args("/data/x")).expect("both allow");
    call(&az, &chain, &wk, "transfer", &amount_args(100)).expect("both allow");
    call(&az, &chain, &wk, "transfer", &amount_args(0.5)).expect("both allow");

    // Values only the child allows are denied at link 0.
    for (tool, args) in [
        ("read_file", path_args("/etc/passwd")),
        ("read_file", path_args("/database")),
        ("transfer", amount_args(500)),
        ("transfer", amount_args(-1)),
        ("transfer", amount_args(100.5)),
    ] {
        let d = denied(call(&az, &chain, &wk, tool, &args));
        assert_eq!(d.code(), "CONSTRAINT_VIOLATED", "{tool} {args}");
        let v = violation(&d);
        assert_eq!(v.link, 0, "{tool} {args}");
        assert!(matches!(v.kind, ViolationKind::Mismatch { .. }));
    }
    // The root's standard `ping` is `{}` too, so extra args pass; but a
    // root with a closed `read_file` still refuses extra args under an
    // empty child set.
    let root = std_mint().mint(&root_key()).unwrap();
    let mut p = child_payload(&root, wk.public_key(), wid(2));
    p.tools.insert("read_file".into(), ConstraintSet::new());
    let any_args = Warrant::sign_payload(p, &agent_key()).unwrap();
    let chain = Chain::root(root).push(any_args).unwrap();
    let args = Value::map([("path", Value::from("/data/x")), ("extra", Value::Int(1))]);
    let d = denied(call(&az, &chain, &wk, "read_file", &args));
    assert_eq!(
        violation(&d),
        &ArgViolation {
            link: 0,
            arg: "extra".into(),
            kind: ViolationKind::Unexpected
        }
    );
    call(&az, &chain, &wk, "read_file", &path_args("/data/x")).expect("both allow");
}

#[test]
fn i11_grant_refuses_widening() {
    let root = root_warrant(); // max_depth 4, expires NOW + 3600
    let ag = agent_key();
    let grant = || {
        root.grant_builder()
            .holder(worker_key().public_key())
            .issued_at(NOW)
    };

    // Control.
    let ok = grant()
        .capability(
            "read_file",
            [("path", Subpath::new("/data/in").unwrap().into())],
        )
        .ttl(secs(60))
        .max_depth(3)
        .grant(&ag)
        .expect("narrower grant");
    let chain = Chain::root(root.clone()).push(ok).unwrap();
    call(
        &authorizer(),
        &chain,
        &worker_key(),
        "read_file",
        &path_args("/data/in/a"),
    )
    .unwrap();

    let check = |r: Result<Warrant, BuildError>, code: &str| {
        let e = r.expect_err("grant must be refused");
        assert_eq!(e.code(), code, "{e}");
        e
    };

    // Tool not in the parent.
    let e = check(
        grant().capability("delete", no_args()).grant(&ag),
        "BUILD_TOOL_NOT_IN_PARENT",
    );
    assert_eq!(e, BuildError::ToolNotInParent("delete".into()));
    check(
        grant().inherit("delete").grant(&ag),
        "BUILD_TOOL_NOT_IN_PARENT",
    );

    // Wider constraints.
    for set in [
        ConstraintSet::new().arg("path", Subpath::new("/").unwrap()),
        ConstraintSet::new().arg("path", Subpath::new("/database").unwrap()),
        ConstraintSet::new().arg("path", Wildcard::new()),
        ConstraintSet::new().arg("path", Exact::new("/etc/passwd").unwrap()),
        ConstraintSet::new().arg("path", OneOf::new(["/data/a", "/etc/b"]).unwrap()),
        ConstraintSet::new(),
        ConstraintSet::new()
            .arg("path", Subpath::new("/data").unwrap())
            .allow_unknown(),
        ConstraintSet::new()
            .arg("path", Subpath::new("/data").unwrap())
            .arg("mode", Wildcard::new()),
        ConstraintSet::new().arg("file", Subpath::new("/data").unwrap()),
    ] {
        let e = check(
            grant().capability_set("read_file", set).grant(&ag),
            "BUILD_CONSTRAINT_WIDENS",
        );
        assert!(matches!(e, BuildError::ConstraintWidens { ref tool, .. } if tool == "read_file"));
    }
    for c in [
        Range::between(0, 101).unwrap(),
        Range::between(-1, 50).unwrap(),
        Range::at_most(100).unwrap(),
        Range::between(0, 100.5).unwrap(),
    ] {
        check(
            grant()
                .capability("transfer", [("amount", c.into())])
                .grant(&ag),
            "BUILD_CONSTRAINT_WIDENS",
        );
    }
    // Narrower range variants are accepted (control for the loop above).
    grant()
        .capability(
            "transfer",
            [("amount", Range::between(0.0, 99.5).unwrap().into())],
        )
        .grant(&ag)
        .expect("narrower range");

    // Longer TTL, earlier issue, parent expired.
    check(
        grant().inherit("ping").ttl(secs(ROOT_TTL + 1)).grant(&ag),
        "BUILD_TTL_INVALID",
    );
    grant()
        .inherit("ping")
        .ttl(secs(ROOT_TTL))
        .grant(&ag)
        .expect("same expiry");
    check(
        grant().inherit("ping").ttl(secs(0)).grant(&ag),
        "BUILD_TTL_INVALID",
    );
    check(
        root.grant_builder()
            .inherit("ping")
            .issued_at(NOW - 1)
            .grant(&ag),
        "BUILD_TTL_INVALID",
    );
    check(
        root.grant_builder()
            .inherit("ping")
            .issued_at(NOW + ROOT_TTL)
            .grant(&ag),
        "BUILD_TTL_INVALID",
    );

    // Bigger max_depth, no depth left.
    check(
        grant().inherit("ping").max_depth(5).grant(&ag),
        "BUILD_DEPTH_INVALID",
    );
    let root0 = std_mint().max_depth(0).mint(&root_key()).unwrap();
    let e = check(
        root0
            .grant_builder()
            .inherit("ping")
            .issued_at(NOW)
            .grant(&ag),
        "BUILD_DEPTH_INVALID",
    );
    assert!(matches!(e, BuildError::DepthInvalid(_)));

    // Wrong signing key (the root's own key, the new holder's key).
    for k in [root_key(), worker_key()] {
        let e = check(grant().inherit("ping").grant(&k), "BUILD_WRONG_KEY");
        assert!(matches!(e, BuildError::WrongKey(_)));
    }
    // An empty grant.
    check(grant().grant(&ag), "BUILD_NO_TOOLS");
}

#[test]
fn i12_closed_world() {
    let az = authorizer();
    let root = std_mint()
        .capability_set(
            "read_open",
            ConstraintSet::new()
                .arg("path", Subpath::new("/data").unwrap())
                .allow_unknown(),
        )
        .mint(&root_key())
        .unwrap();
    let chain = Chain::root(root);
    let ag = agent_key();
    let run = |tool: &str, args: Value| call(&az, &chain, &ag, tool, &args);
    let kind = |tool: &str, args: Value| {
        let d = denied(run(tool, args));
        let v = violation(&d).clone();
        (v.arg, v.kind)
    };

    run("read_file", path_args("/data/a")).expect("control");
    assert_eq!(
        kind("read_file", Value::map(Vec::<(String, Value)>::new())),
        ("path".into(), ViolationKind::Missing)
    );
    assert_eq!(
        kind("read_file", Value::map([("file", "/data/a")])),
        ("path".into(), ViolationKind::Missing)
    );
    assert_eq!(
        kind(
            "read_file",
            Value::map([("path", Value::from("/data/a")), ("mode", Value::from("w"))])
        ),
        ("mode".into(), ViolationKind::Unexpected)
    );
    assert_eq!(
        kind("read_file", Value::Int(3)),
        (String::new(), ViolationKind::NotAMap)
    );
    assert_eq!(
        kind("read_file", Value::list(["/data/a"])),
        (String::new(), ViolationKind::NotAMap)
    );
    assert_eq!(
        kind("read_file", path_args("/etc")),
        ("path".into(), mismatch("subpath"))
    );
    assert_eq!(
        kind("read_file", Value::map([("path", Value::Int(1))])),
        ("path".into(), mismatch("subpath"))
    );

    // allow_unknown lets unnamed arguments through but still requires the
    // named ones.
    run(
        "read_open",
        Value::map([("path", Value::from("/data/a")), ("mode", Value::from("w"))]),
    )
    .expect("allow_unknown");
    assert_eq!(
        kind("read_open", Value::map([("mode", "w")])),
        ("path".into(), ViolationKind::Missing)
    );

    // Empty set: any arguments, even non-maps.
    for args in [
        Value::Null,
        Value::Int(3),
        Value::map([("anything", 1)]),
        Value::map(Vec::<(String, Value)>::new()),
    ] {
        run("ping", args).expect("empty set allows any args");
    }

    // The same at the set level.
    let set = ConstraintSet::new().arg("path", Subpath::new("/data").unwrap());
    assert!(set.check(&path_args("/data/x")).is_ok());
    assert!(set
        .check(&Value::map([("path", "/data/x"), ("x", "y")]))
        .is_err());
    assert!(ConstraintSet::new().check(&Value::Bool(true)).is_ok());
    assert_eq!(
        set.all_violations(&Value::map([("x", "y")]), 4).len(),
        2,
        "missing path and unexpected x"
    );
}

#[test]
fn i13_unknown_constraint_fails_closed() {
    let unknown = [0x82u8, 0x18, 0x63, 0x61, b'x']; // [99, "x"]
    let c = Constraint::from_cbor(&unknown).expect("unknown types decode");
    assert!(matches!(&c, Constraint::Unknown(u) if u.type_id() == 99 && u.raw() == unknown));
    assert_eq!(c.type_id(), 99);
    assert_eq!(c.type_name(), "unknown");
    assert_eq!(c.to_cbor(), unknown, "re-encodes byte for byte");
    for v in [
        Value::from("x"),
        Value::Null,
        Value::Int(99),
        Value::list([Value::Int(99), Value::from("x")]),
        Value::from("/data"),
    ] {
        assert!(!c.matches(&v), "unknown matches nothing: {v}");
    }
    // Narrowing: only to itself.
    assert!(c.narrows_to(&c).is_ok());
    assert!(Constraint::from(Wildcard::new()).narrows_to(&c).is_err());
    assert!(c.narrows_to(&Wildcard::new().into()).is_err());
    assert!(c.narrows_to(&Exact::new("x").unwrap().into()).is_err());
    let other = Constraint::from_cbor(&[0x82, 0x18, 0x63, 0x61, b'y']).unwrap();
    assert!(c.narrows_to(&other).is_err());
    // Richer parameters decode too, but must still be canonical.
    let rich = [0x83u8, 0x18, 0x64, 0xa1, 0x61, b'k', 0x01, 0x80];
    assert_eq!(Constraint::from_cbor(&rich).unwrap().to_cbor(), rich);
    assert!(matches!(
        Constraint::from_cbor(&[0x82, 0x18, 0x63, 0xa2, 0x61, b'b', 1, 0x61, b'a', 2]),
        Err(DecodeError::NonCanonical(_))
    ));
    assert!(matches!(
        Constraint::from_cbor(&[0x82, 0x18, 0x63, 0x18, 0x01]),
        Err(DecodeError::NonCanonical(_))
    ));

    // Inside a hand-encoded payload.
    let rk = root_key();
    let root = root_warrant();
    let fields = raw::fields(root.payload());
    let payload = patched(&fields, 10, raw::one_tool("read_file", "path", &unknown));
    let env = raw::signed_envelope(&payload, &rk);
    let w = Warrant::from_bytes(&env).expect("decodes");
    assert_eq!(w.to_bytes(), env);
    assert_eq!(
        w.payload().encode(),
        payload,
        "payload re-encodes identically"
    );
    assert_eq!(w.tool("read_file").unwrap().args()["path"], c);
    let chain_bytes = raw::chain(&[&env]);
    let chain = Chain::from_bytes(&chain_bytes).unwrap();
    assert_eq!(chain.to_bytes(), chain_bytes);

    let az = authorizer();
    for arg in ["x", "/data/x", ""] {
        let d = denied(call(
            &az,
            &chain,
            &agent_key(),
            "read_file",
            &path_args(arg),
        ));
        assert_eq!(d.code(), "CONSTRAINT_VIOLATED");
        assert_eq!(
            violation(&d),
            &ArgViolation {
                link: 0,
                arg: "path".into(),
                kind: mismatch("unknown")
            }
        );
    }
    // Inheriting it is allowed and stays fail-closed; replacing it is not.
    let child = w
        .grant_builder()
        .inherit("read_file")
        .holder(worker_key().public_key())
        .issued_at(NOW)
        .grant(&agent_key())
        .expect("inherit keeps the unknown constraint");
    let c2 = chain.push(child).unwrap();
    let d = denied(call(&az, &c2, &worker_key(), "read_file", &path_args("x")));
    assert_eq!(violation(&d).link, 0);
    for replacement in [
        Constraint::from(Wildcard::new()),
        Exact::new("x").unwrap().into(),
    ] {
        let e = w
            .grant_builder()
            .capability("read_file", [("path", replacement)])
            .issued_at(NOW)
            .grant(&agent_key())
            .unwrap_err();
        assert_eq!(e.code(), "BUILD_CONSTRAINT_WIDENS");
    }
}
