//! Unit tests of the authorizer, its cache and denials.

use super::*;
use crate::test_support::{key, two_links, NOW};
use crate::Chain;

fn authz() -> Authorizer {
    Authorizer::builder()
        .trusted_root(key(1).public_key())
        .build()
}

fn args() -> Value {
    Value::map([("path", "/data/in/a.txt")])
}

#[test]
fn allows_then_hits_cache() {
    let a = authz();
    let c = two_links();
    let args = args();
    let call = Call::new("read_file", &args, b"ctx");
    let pop = Pop::sign(&key(3), &c, "read_file", &args, b"ctx", NOW);
    let w = PopWindow::around(NOW, 60, 5);
    let first = a.authorize_at(&c, &call, &pop, w, NOW).unwrap();
    assert!(!first.cache_hit);
    assert_eq!(first.chain_len, 2);
    assert_eq!(a.cached_chains(), 1);
    let second = a.authorize_at(&c, &call, &pop, w, NOW).unwrap();
    assert!(second.cache_hit);
    let third = a
        .authorize_bytes_at(Some(c.as_bytes()), &call, Some(&pop.to_bytes()), w, NOW)
        .unwrap();
    assert!(third.cache_hit);
}

#[test]
fn cold_bytes_path_and_missing_headers() {
    let a = Authorizer::builder()
        .trusted_root(key(1).public_key())
        .cache_capacity(0)
        .build();
    let c = two_links();
    let args = args();
    let call = Call::new("read_file", &args, b"ctx");
    let pop = Pop::sign(&key(3), &c, "read_file", &args, b"ctx", NOW);
    let w = PopWindow::around(NOW, 60, 5);
    let ok = a
        .authorize_bytes_at(Some(c.as_bytes()), &call, Some(&pop.to_bytes()), w, NOW)
        .unwrap();
    assert!(!ok.cache_hit);
    assert_eq!(a.cached_chains(), 0);
    let pb = pop.to_bytes();
    let d = |r: Result<Authorized, Denial>| r.unwrap_err().code();
    assert_eq!(
        d(a.authorize_bytes_at(None, &call, Some(&pb), w, NOW)),
        "WARRANT_MISSING"
    );
    assert_eq!(
        d(a.authorize_bytes_at(Some(c.as_bytes()), &call, None, w, NOW)),
        "POP_MISSING"
    );
    assert_eq!(
        d(a.authorize_bytes_at(Some(&[0xff]), &call, Some(&pb), w, NOW)),
        "WARRANT_MALFORMED"
    );
    assert_eq!(
        d(a.authorize_bytes_at(Some(c.as_bytes()), &call, Some(&[1]), w, NOW)),
        "POP_INVALID"
    );
}

#[test]
fn cache_is_bounded_fifo() {
    let cache = cache::ChainCache::new(2);
    let chains: Vec<Arc<Chain>> = (0..3u8)
        .map(|i| {
            let w = crate::Warrant::mint_builder()
                .holder(key(2).public_key())
                .tool_any(format!("t{i}"))
                .issued_at(NOW)
                .mint(&key(1))
                .unwrap();
            Arc::new(Chain::root(w))
        })
        .collect();
    for c in &chains {
        cache.insert(Arc::clone(c));
    }
    assert_eq!(cache.len(), 2);
    assert!(cache.get(chains[0].hash()).is_none());
    assert!(cache.get(chains[2].hash()).is_some());
    let off = cache::ChainCache::new(0);
    off.insert(Arc::clone(&chains[0]));
    assert!(off.get(chains[0].hash()).is_none());
}

#[test]
fn denial_codes_serialize_with_code_tag() {
    let d = Denial::ToolNotGranted {
        tool: "x".into(),
        link: 1,
    };
    let j = serde_json::to_value(&d).unwrap();
    assert_eq!(j["code"], "TOOL_NOT_GRANTED");
    assert_eq!(serde_json::from_value::<Denial>(j).unwrap(), d);
    for d in [
        Denial::WarrantMissing,
        Denial::PopMissing,
        Denial::PopInvalid,
        Denial::PopReplayed,
        Denial::UntrustedRoot,
        Denial::LocalActivityBlocked,
    ] {
        assert_eq!(serde_json::to_value(&d).unwrap()["code"], d.code());
    }
}

#[test]
fn try_build_refuses_bad_revocations_and_build_fails_closed() {
    let foreign = RevocationList::sign(&key(9), 1, NOW, []);
    let b = Authorizer::builder()
        .trusted_root(key(1).public_key())
        .revocation_list(foreign);
    assert_eq!(
        b.clone().try_build().unwrap_err(),
        RevocationError::UntrustedIssuer
    );
    let a = b.build();
    let c = two_links();
    let args = args();
    let pop = Pop::sign(&key(3), &c, "read_file", &args, b"", NOW);
    let r = a.authorize_at(
        &c,
        &Call::new("read_file", &args, b""),
        &pop,
        PopWindow::around(NOW, 5, 5),
        NOW,
    );
    assert_eq!(r.unwrap_err(), Denial::UntrustedRoot);
    let good = RevocationList::sign(&key(1), 1, NOW, []);
    let a = Authorizer::builder()
        .trusted_root(key(1).public_key())
        .revocation_list(good)
        .try_build()
        .unwrap();
    assert_eq!(a.revocation_version(), Some(1));
}

#[test]
fn revocation_lists_are_per_root() {
    let a = Authorizer::builder()
        .trusted_root(key(1).public_key())
        .trusted_root(key(5).public_key())
        .build();
    let c = two_links();
    let leaf_id = c.leaf().unwrap().id();
    a.install_revocations(&RevocationList::sign(&key(1), 7, NOW, [leaf_id]))
        .unwrap();
    // A newer, empty list from another root must not un-revoke root 1's ids.
    a.install_revocations(&RevocationList::sign(&key(5), 9, NOW, []))
        .unwrap();
    let args = args();
    let pop = Pop::sign(&key(3), &c, "read_file", &args, b"", NOW);
    let r = a.authorize_at(
        &c,
        &Call::new("read_file", &args, b""),
        &pop,
        PopWindow::around(NOW, 5, 5),
        NOW,
    );
    assert_eq!(r.unwrap_err().code(), "REVOKED");
    assert_eq!(a.revocation_version_of(&key(1).public_key()), Some(7));
    assert_eq!(a.revocation_version(), Some(9));
    // Rollback is per issuer.
    assert!(matches!(
        a.install_revocations(&RevocationList::sign(&key(1), 6, NOW, [])),
        Err(RevocationError::Rollback {
            installed: 7,
            got: 6
        })
    ));
    a.install_revocations(&RevocationList::sign(&key(1), 8, NOW, []))
        .unwrap();
    assert!(a
        .authorize_at(
            &c,
            &Call::new("read_file", &args, b""),
            &pop,
            PopWindow::around(NOW, 5, 5),
            NOW,
        )
        .is_ok());
}

#[test]
fn why_denied_lists_everything() {
    let a = authz();
    let c = two_links();
    let bad = Value::map([("path", "/etc/passwd"), ("x", "y")]);
    let d = a.why_denied_at(&c, &Call::new("read_file", &bad, b""), NOW);
    // Both links reject the path and the unexpected argument.
    assert_eq!(d.violations.len(), 4);
    assert!(d.denials.is_empty());
    let d = a.why_denied_at(&c, &Call::new("transfer", &bad, b""), NOW + 100_000);
    assert!(d.denials.iter().any(|x| x.code() == "WARRANT_EXPIRED"));
    assert!(d.denials.iter().any(|x| x.code() == "TOOL_NOT_GRANTED"));
    assert!(!d.is_clean());
}

/// `verify_chain_at`: valid chains pass with no call, and each failure is
/// named, signatures before revocation and time; the cache is untouched.
#[test]
fn verify_chain_without_a_call() {
    use crate::chain::LinkRule;
    let c = two_links();
    let a = authz();
    assert_eq!(a.verify_chain_at(&c, NOW), Ok(()));
    assert_eq!(a.cached_chains(), 0);
    let code = |a: &Authorizer, c: &Chain, now| a.verify_chain_at(c, now).unwrap_err().code();
    assert_eq!(code(&a, &c, NOW + 100_000), "WARRANT_EXPIRED");
    assert_eq!(code(&a, &c, NOW - 100_000), "NOT_YET_VALID");
    let other = Authorizer::builder()
        .trusted_root(key(9).public_key())
        .build();
    assert_eq!(code(&other, &c, NOW), "UNTRUSTED_ROOT");
    let shallow = Authorizer::builder()
        .trusted_root(key(1).public_key())
        .max_chain_links(1)
        .build();
    assert_eq!(code(&shallow, &c, NOW), "CHAIN_TOO_DEEP");
    let leaf = c.links().get(1).unwrap().id();
    let list = crate::RevocationList::sign(&key(1), 1, NOW, [leaf]);
    let revoking = Authorizer::builder()
        .trusted_root(key(1).public_key())
        .revocation_list(list)
        .build();
    assert_eq!(
        revoking.verify_chain_at(&c, NOW),
        Err(Denial::Revoked { link: 1, id: leaf })
    );

    // A forged root (issuer field says key 1, signed by key 9) that is also
    // expired and revoked is reported as a bad signature.
    let root = c.root_warrant().unwrap();
    let forged =
        Chain::root(crate::Warrant::sign_payload(root.payload().clone(), &key(9)).unwrap());
    let forged_id = forged.root_warrant().unwrap().id();
    let list = crate::RevocationList::sign(&key(1), 1, NOW, [forged_id]);
    let revoking = Authorizer::builder()
        .trusted_root(key(1).public_key())
        .revocation_list(list)
        .build();
    for (auth, now) in [(&a, NOW), (&revoking, NOW), (&a, NOW + 100_000)] {
        assert_eq!(
            auth.verify_chain_at(&forged, now),
            Err(Denial::ChainInvalid {
                link: 0,
                rule: LinkRule::BadSignature
            })
        );
    }
}

/// A forged chain full of globs, claiming a trusted root but signed by
/// someone else, is refused before any glob is compiled (verify before
/// parse), and decoding alone compiles nothing (lazy compilation).
#[test]
fn forged_chain_costs_no_glob_compilation() {
    use crate::constraint::{pattern::COMPILES, Pattern};
    use crate::warrant::Payload;
    let compiles = || COMPILES.with(|c| c.get());
    let mut set = crate::ConstraintSet::new();
    for i in 0..60 {
        set = set.arg(
            format!("a{i}"),
            Pattern::new(format!("x{i}-*?[a-z]**")).unwrap(),
        );
    }
    let payload = || Payload {
        id: WarrantId([1; 16]),
        issuer: key(1).public_key(),
        holder: key(2).public_key(),
        issued_at: NOW,
        expires_at: NOW + 60,
        depth: 0,
        max_depth: 1,
        parent: None,
        tools: [("read_file".to_string(), set.clone())].into(),
        extensions: Default::default(),
    };
    let forged = Chain::root(crate::Warrant::sign_payload(payload(), &key(9)).unwrap());
    let args = Value::map((0..60).map(|i| (format!("a{i}"), format!("x{i}-ab"))));
    let call = Call::new("read_file", &args, b"");
    let pop = Pop::sign(&key(2), &forged, "read_file", &args, b"", NOW);
    let w = PopWindow::around(NOW, 5, 5);
    let a = authz();

    let before = compiles();
    let decoded = Chain::from_bytes(forged.as_bytes()).unwrap();
    assert_eq!(decoded.len(), 1);
    let r = a.authorize_bytes_at(
        Some(forged.as_bytes()),
        &call,
        Some(&pop.to_bytes()),
        w,
        NOW,
    );
    assert_eq!(
        r.unwrap_err(),
        Denial::ChainInvalid {
            link: 0,
            rule: crate::chain::LinkRule::BadSignature
        }
    );
    assert_eq!(
        compiles(),
        before,
        "a glob was compiled before the signature check"
    );

    // Control: the genuine chain does compile its globs, once, at first use.
    let genuine = Chain::root(crate::Warrant::sign_payload(payload(), &key(1)).unwrap());
    let pop = Pop::sign(&key(2), &genuine, "read_file", &args, b"", NOW);
    let ok = a.authorize_bytes_at(
        Some(genuine.as_bytes()),
        &call,
        Some(&pop.to_bytes()),
        w,
        NOW,
    );
    assert!(ok.is_ok(), "{ok:?}");
    let after_first = compiles();
    assert!(after_first > before);
    a.authorize_bytes_at(
        Some(genuine.as_bytes()),
        &call,
        Some(&pop.to_bytes()),
        w,
        NOW,
    )
    .unwrap();
    assert_eq!(compiles(), after_first, "globs recompiled on a cache hit");
}

/// A holder key that passes the byte checks but is not on the curve makes
/// every proof invalid (batch skipped, single checks fail), on both paths.
#[test]
fn off_curve_holder_denies() {
    use crate::warrant::Payload;
    let off = crate::test_support::off_curve_bytes();
    let holder = PublicKey::from_wire(&off).unwrap();
    let p = Payload {
        id: WarrantId([4; 16]),
        issuer: key(1).public_key(),
        holder,
        issued_at: NOW,
        expires_at: NOW + 60,
        depth: 0,
        max_depth: 1,
        parent: None,
        tools: [("t".to_string(), crate::ConstraintSet::new())].into(),
        extensions: Default::default(),
    };
    let chain = Chain::root(crate::Warrant::sign_payload(p, &key(1)).unwrap());
    let args = Value::Null;
    let pop = Pop::sign(&key(2), &chain, "t", &args, b"", NOW);
    let call = Call::new("t", &args, b"");
    let w = PopWindow::around(NOW, 5, 5);
    let a = authz();
    assert_eq!(
        a.authorize_bytes_at(Some(chain.as_bytes()), &call, Some(&pop.to_bytes()), w, NOW),
        Err(Denial::PopInvalid)
    );
    assert_eq!(
        authz().authorize_at(&chain, &call, &pop, w, NOW),
        Err(Denial::PopInvalid)
    );
}
