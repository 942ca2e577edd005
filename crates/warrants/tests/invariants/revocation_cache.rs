//! I16, I17 and I21: revocation, the verified-chain cache (a hit still runs
//! every per-call check) and bad signatures named and never cached.

use warrants::revocation::REVOCATION_DOMAIN;
use warrants::{
    Authorizer, Chain, DecodeError, Denial, LinkRule, RevocationError, RevocationList, Value,
    Warrant,
};

use crate::common::raw;
use crate::common::*;
use crate::{bytes_call, violation, with_pop};

#[test]
fn i16_revocation() {
    let rk = root_key();
    let az = authorizer();
    let c1 = chain1();
    let c2 = chain2();
    let ping1 = |az: &Authorizer| call(az, &c1, &agent_key(), "ping", &Value::Null);
    let ping2 = |az: &Authorizer| call(az, &c2, &worker_key(), "ping", &Value::Null);
    ping2(&az).expect("control");
    assert_eq!(az.revocation_version(), None);

    // Revoking the root revokes the subtree.
    let v1 = RevocationList::sign(&rk, 1, NOW, [wid(1)]);
    az.install_revocations(&v1).unwrap();
    assert_eq!(az.revocation_version(), Some(1));
    let d = denied(ping2(&az));
    assert_eq!(
        d,
        Denial::Revoked {
            link: 0,
            id: wid(1)
        }
    );
    assert_eq!(d.code(), "REVOKED");
    assert_eq!(
        denied(ping1(&az)),
        Denial::Revoked {
            link: 0,
            id: wid(1)
        }
    );
    // Also through bytes.
    let pop = pop_at(&worker_key(), &c2, "ping", &Value::Null, NOW);
    assert_eq!(
        denied(bytes_call(
            &az,
            Some(c2.as_bytes()),
            Some(&pop.to_bytes()),
            "ping",
            &Value::Null,
            NOW
        )),
        Denial::Revoked {
            link: 0,
            id: wid(1)
        }
    );

    // Untrusted issuer.
    let e = az
        .install_revocations(&RevocationList::sign(&mallory_key(), 9, NOW, []))
        .unwrap_err();
    assert_eq!(e, RevocationError::UntrustedIssuer);
    assert_eq!(e.code(), "REVOCATION_UNTRUSTED_ISSUER");

    // Bad signature: flipped signature byte, or a payload edit (version 5
    // -> 6) under the old signature.
    let v5 = RevocationList::sign(&rk, 5, NOW, []);
    let mut b = v5.to_bytes();
    let n = b.len();
    b[n - 1] ^= 0x01;
    let flipped = RevocationList::from_bytes(&b).unwrap();
    assert!(!flipped.verify_signature());
    let e = az.install_revocations(&flipped).unwrap_err();
    assert_eq!(e, RevocationError::BadSignature);
    assert_eq!(e.code(), "REVOCATION_BAD_SIGNATURE");
    let edited = raw::replace_once(&v5.to_bytes(), &[0xa4, 0x01, 0x05], &[0xa4, 0x01, 0x06]);
    let edited = RevocationList::from_bytes(&edited).unwrap();
    assert_eq!(edited.version(), 6);
    assert_eq!(
        az.install_revocations(&edited).unwrap_err(),
        RevocationError::BadSignature
    );
    assert_eq!(az.revocation_version(), Some(1), "nothing was installed");

    // Same list again: fine. Same version with other ids, lower version: rollback.
    az.install_revocations(&v1).expect("re-install is a no-op");
    let e = az
        .install_revocations(&RevocationList::sign(&rk, 1, NOW, [wid(2)]))
        .unwrap_err();
    assert_eq!(
        e,
        RevocationError::Rollback {
            installed: 1,
            got: 1
        }
    );
    assert_eq!(e.code(), "REVOCATION_ROLLBACK");
    assert_eq!(
        az.install_revocations(&RevocationList::sign(&rk, 0, NOW, []))
            .unwrap_err(),
        RevocationError::Rollback {
            installed: 1,
            got: 0
        }
    );
    assert_eq!(
        denied(ping1(&az)),
        Denial::Revoked {
            link: 0,
            id: wid(1)
        }
    );

    // A higher version replaces the list.
    az.install_revocations(&RevocationList::sign(&rk, 2, NOW, [wid(2)]))
        .unwrap();
    assert_eq!(az.revocation_version(), Some(2));
    ping1(&az).expect("root no longer revoked");
    assert_eq!(
        denied(ping2(&az)),
        Denial::Revoked {
            link: 1,
            id: wid(2)
        }
    );
    assert_eq!(
        az.install_revocations(&v1).unwrap_err(),
        RevocationError::Rollback {
            installed: 2,
            got: 1
        }
    );
    az.install_revocations(&RevocationList::sign(&rk, 3, NOW + 1, []))
        .unwrap();
    ping2(&az).expect("empty list revokes nothing");

    // A fresh authorizer with the list installed before any call: the
    // cold paths check revocation too.
    let fresh = authorizer();
    fresh.install_revocations(&v1).unwrap();
    assert_eq!(
        denied(ping2(&fresh)),
        Denial::Revoked {
            link: 0,
            id: wid(1)
        }
    );
    assert_eq!(fresh.cached_chains(), 0);

    // Wire round trip.
    let l = RevocationList::sign(&rk, 7, NOW, [wid(3), wid(1), wid(2), wid(1)]);
    assert_eq!(l.ids().len(), 3);
    let bytes = l.to_bytes();
    let back = RevocationList::from_bytes(&bytes).unwrap();
    assert_eq!(back, l);
    assert_eq!(back.to_bytes(), bytes);
    assert!(back.verify_signature());
    assert_eq!(back.issuer(), &rk.public_key());
    assert_eq!(back.issued_at(), NOW);
    assert_eq!(
        RevocationList::from_bytes(&raw::cat(&[&bytes, &[0]])).unwrap_err(),
        DecodeError::TrailingBytes
    );
    // Ids must be sorted and unique (one list, one byte form).
    let list_bytes = |ids: &[[u8; 16]]| {
        let mut payload = raw::cat(&[
            &raw::map(4),
            &raw::uint(1),
            &raw::uint(9),
            &raw::uint(2),
            &raw::bstr(rk.public_key().as_bytes()),
            &raw::uint(3),
            &raw::uint(NOW),
            &raw::uint(4),
            &raw::array(ids.len()),
        ]);
        for id in ids {
            payload.extend(raw::bstr(id));
        }
        let sig = rk.sign(&raw::cat(&[REVOCATION_DOMAIN, &payload]));
        raw::envelope(&payload, &sig.0)
    };
    let ok = RevocationList::from_bytes(&list_bytes(&[[1; 16], [2; 16]])).unwrap();
    assert!(ok.verify_signature(), "hand-built list is well signed");
    assert_eq!(ok, RevocationList::sign(&rk, 9, NOW, [wid(1), wid(2)]));
    for ids in [[[2u8; 16], [1; 16]], [[1; 16], [1; 16]]] {
        assert!(matches!(
            RevocationList::from_bytes(&list_bytes(&ids)),
            Err(DecodeError::NonCanonical(_))
        ));
    }

    // Every decoded list must still pass the signature check to install.
    let az2 = authorizer();
    az2.install_revocations(&back).unwrap();
    assert_eq!(az2.revocation_version(), Some(7));
}

#[test]
fn i17_cache_hit_still_checks() {
    let az = authorizer();
    let chain = chain2();
    let wk = worker_key();
    let args = path_args("/data/in/r.txt");
    let a = call(&az, &chain, &wk, "read_file", &args).unwrap();
    assert!(!a.cache_hit);
    let b = call(&az, &chain, &wk, "read_file", &args).unwrap();
    assert!(b.cache_hit);
    assert_eq!(az.cached_chains(), 1);
    assert_eq!(b.chain_len, 2);
    assert_eq!(b.warrant_id, wid(2));
    assert_eq!(b.root_id, wid(1));

    #[allow(clippy::type_complexity)]
    let checks: Vec<(&str, Box<dyn Fn(&Authorizer, Option<&[u8]>) -> Denial>)> = vec![
        (
            "tool",
            Box::new(|az, bytes| {
                let args = Value::Null;
                denied(run(az, bytes, &chain, &wk, "delete", &args, NOW))
            }),
        ),
        (
            "constraint (link 1)",
            Box::new(|az, bytes| {
                denied(run(
                    az,
                    bytes,
                    &chain,
                    &wk,
                    "transfer",
                    &amount_args(60),
                    NOW,
                ))
            }),
        ),
        (
            "constraint (link 0)",
            Box::new(|az, bytes| {
                denied(run(
                    az,
                    bytes,
                    &chain,
                    &wk,
                    "read_file",
                    &path_args("/etc/x"),
                    NOW,
                ))
            }),
        ),
        (
            "pop signer",
            Box::new(|az, bytes| {
                denied(run(
                    az,
                    bytes,
                    &chain,
                    &agent_key(),
                    "read_file",
                    &path_args("/data/in/r.txt"),
                    NOW,
                ))
            }),
        ),
        (
            "expiry",
            Box::new(|az, bytes| {
                denied(run(
                    az,
                    bytes,
                    &chain,
                    &wk,
                    "ping",
                    &Value::Null,
                    NOW + LINK1_TTL + SKEW,
                ))
            }),
        ),
        (
            "not yet valid",
            Box::new(|az, bytes| {
                denied(run(
                    az,
                    bytes,
                    &chain,
                    &wk,
                    "ping",
                    &Value::Null,
                    NOW - SKEW - 1,
                ))
            }),
        ),
    ];
    let codes = [
        "TOOL_NOT_GRANTED",
        "CONSTRAINT_VIOLATED",
        "CONSTRAINT_VIOLATED",
        "POP_INVALID",
        "WARRANT_EXPIRED",
        "NOT_YET_VALID",
    ];

    // Through authorize_at on the warm cache.
    for ((what, f), code) in checks.iter().zip(codes) {
        let d = f(&az, None);
        assert_eq!(d.code(), code, "{what}: {d:?}");
    }
    let d = (checks[1].1)(&az, None);
    assert_eq!(violation(&d).link, 1);
    // A stale proof on the warm cache.
    let stale = pop_at(&wk, &chain, "ping", &Value::Null, NOW - 61);
    assert!(matches!(
        denied(with_pop(&az, &chain, "ping", &Value::Null, &stale)),
        Denial::PopStale { .. }
    ));

    // Through authorize_bytes_at on a second authorizer.
    let az2 = authorizer();
    let bytes = chain.to_bytes();
    let first = run(&az2, Some(&bytes), &chain, &wk, "read_file", &args, NOW).unwrap();
    assert!(!first.cache_hit);
    let second = run(&az2, Some(&bytes), &chain, &wk, "read_file", &args, NOW).unwrap();
    assert!(second.cache_hit);
    for ((what, f), code) in checks.iter().zip(codes) {
        let d = f(&az2, Some(&bytes));
        assert_eq!(d.code(), code, "{what} (bytes): {d:?}");
    }
    // The two entry points share the cache.
    let az3 = authorizer();
    call(&az3, &chain, &wk, "ping", &Value::Null).unwrap();
    assert!(
        run(&az3, Some(&bytes), &chain, &wk, "ping", &Value::Null, NOW)
            .unwrap()
            .cache_hit
    );

    // Revocation on a cached chain.
    for a in [&az, &az2] {
        a.install_revocations(&RevocationList::sign(&root_key(), 1, NOW, [wid(2)]))
            .unwrap();
    }
    assert_eq!(
        denied(call(&az, &chain, &wk, "ping", &Value::Null)),
        Denial::Revoked {
            link: 1,
            id: wid(2)
        }
    );
    assert_eq!(
        denied(run(
            &az2,
            Some(&bytes),
            &chain,
            &wk,
            "ping",
            &Value::Null,
            NOW
        )),
        Denial::Revoked {
            link: 1,
            id: wid(2)
        }
    );
    assert_eq!(az.cached_chains(), 1);
    assert_eq!(az2.cached_chains(), 1);

    // With the cache disabled every call is a miss.
    let cold = Authorizer::builder()
        .trusted_root(root_key().public_key())
        .cache_capacity(0)
        .build();
    for _ in 0..2 {
        assert!(
            !call(&cold, &chain, &wk, "ping", &Value::Null)
                .unwrap()
                .cache_hit
        );
    }
    assert_eq!(cold.cached_chains(), 0);
}

/// Sign a proof at `now` and authorize through `authorize_at` (bytes =
/// None) or `authorize_bytes_at` (bytes = Some).
fn run(
    az: &Authorizer,
    bytes: Option<&[u8]>,
    chain: &Chain,
    holder: &warrants::SigningKey,
    tool: &str,
    args: &Value,
    now: u64,
) -> Result<warrants::Authorized, Denial> {
    match bytes {
        None => call_at(az, chain, holder, tool, args, now),
        Some(b) => {
            let pop = pop_at(holder, chain, tool, args, now);
            bytes_call(az, Some(b), Some(&pop.to_bytes()), tool, args, now)
        }
    }
}

#[test]
fn i21_bad_signature_named() {
    let root = root_warrant();
    // Link 1 signed by mallory while naming the agent as issuer; link 2 is
    // then legitimately granted on top of it, so hashes and link rules hold.
    let l1_bad = Warrant::sign_payload(
        child_payload(&root, worker_key().public_key(), wid(2)),
        &mallory_key(),
    )
    .unwrap();
    assert!(!l1_bad.verify_signature());
    let l2 = l1_bad
        .grant_builder()
        .holder(sub_key().public_key())
        .id(wid(3))
        .issued_at(NOW)
        .inherit("read_file")
        .grant(&worker_key())
        .unwrap();
    let chain = Chain::root(root.clone())
        .push(l1_bad)
        .unwrap()
        .push(l2)
        .unwrap();
    assert!(chain.check_links().is_ok());
    let az = authorizer();
    let args = path_args("/data/x");
    let d = denied(call(&az, &chain, &sub_key(), "read_file", &args));
    assert_eq!(
        d,
        Denial::ChainInvalid {
            link: 1,
            rule: LinkRule::BadSignature
        }
    );
    assert_eq!(
        az.cached_chains(),
        0,
        "a chain with a bad signature is never cached"
    );
    // Again (no cache hit can hide it), and through bytes.
    assert_eq!(denied(call(&az, &chain, &sub_key(), "read_file", &args)), d);
    let pop = pop_at(&sub_key(), &chain, "read_file", &args, NOW);
    assert_eq!(
        denied(bytes_call(
            &az,
            Some(chain.as_bytes()),
            Some(&pop.to_bytes()),
            "read_file",
            &args,
            NOW
        )),
        d
    );

    // Only the leaf's signature bad -> link 2.
    let c2 = chain2();
    let l2_bad = Warrant::sign_payload(
        child_payload(c2.leaf().unwrap(), sub_key().public_key(), wid(3)),
        &mallory_key(),
    )
    .unwrap();
    let chain = c2.push(l2_bad).unwrap();
    assert_eq!(
        denied(call(&az, &chain, &sub_key(), "ping", &Value::Null)),
        Denial::ChainInvalid {
            link: 2,
            rule: LinkRule::BadSignature
        }
    );

    // A bad proof with a good chain: POP_INVALID, and the chain (whose
    // signatures all verified) is cached.
    let az = authorizer();
    let chain = chain3();
    let args = path_args("/data/in/x");
    let bad_pop = pop_at(&worker_key(), &chain, "read_file", &args, NOW);
    assert_eq!(
        denied(with_pop(&az, &chain, "read_file", &args, &bad_pop)),
        Denial::PopInvalid
    );
    assert_eq!(az.cached_chains(), 1);
    let ok = call(&az, &chain, &sub_key(), "read_file", &args).unwrap();
    assert!(ok.cache_hit, "the good chain was cached by the failed call");
}
