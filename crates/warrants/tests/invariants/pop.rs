//! I14 and I15: proof-of-possession binding and its time window.

use warrants::{Call, Denial, Pop, PopWindow, Signature, Value};

use crate::common::*;
use crate::{bytes_call, with_pop};

#[test]
fn i14_pop_binding() {
    let chain = chain2(); // leaf held by worker
    let wk = worker_key();
    let args = path_args("/data/in/a.txt");
    let leaf_hash = *chain.leaf().unwrap().hash();
    let good = Pop::sign(&wk, &chain, "read_file", &args, CTX, NOW);
    let warm = authorizer();
    with_pop(&warm, &chain, "read_file", &args, &good).expect("control");
    assert!(good.verify(&wk.public_key(), &leaf_hash, "read_file", &args, CTX));

    let other_leaf = link1_of(&std_mint().id(wid(9)).mint(&root_key()).unwrap());
    let bad_pops = [
        (
            "another tool",
            Pop::sign(&wk, &chain, "transfer", &args, CTX, NOW),
        ),
        (
            "other args",
            Pop::sign(
                &wk,
                &chain,
                "read_file",
                &path_args("/data/in/b.txt"),
                CTX,
                NOW,
            ),
        ),
        (
            "other context",
            Pop::sign(&wk, &chain, "read_file", &args, b"wf-0002/act-0001", NOW),
        ),
        (
            "empty context",
            Pop::sign(&wk, &chain, "read_file", &args, b"", NOW),
        ),
        (
            "other ts",
            Pop {
                ts: NOW - 1,
                signature: good.signature,
            },
        ),
        (
            "the root as leaf",
            Pop::sign(&wk, &chain1(), "read_file", &args, CTX, NOW),
        ),
        (
            "a sibling leaf",
            Pop::sign_for_leaf(&wk, other_leaf.hash(), "read_file", &args, CTX, NOW),
        ),
        (
            "root key",
            Pop::sign(&root_key(), &chain, "read_file", &args, CTX, NOW),
        ),
        (
            "parent holder",
            Pop::sign(&agent_key(), &chain, "read_file", &args, CTX, NOW),
        ),
        (
            "mallory",
            Pop::sign(&mallory_key(), &chain, "read_file", &args, CTX, NOW),
        ),
        (
            "zero signature",
            Pop {
                ts: NOW,
                signature: Signature([0; 64]),
            },
        ),
    ];
    for (what, pop) in bad_pops {
        let cold = authorizer();
        let d = denied(with_pop(&cold, &chain, "read_file", &args, &pop));
        assert_eq!(d, Denial::PopInvalid, "{what} (cold cache)");
        assert_eq!(d.code(), "POP_INVALID");
        assert_eq!(
            cold.cached_chains(),
            1,
            "{what}: the good chain is still cached"
        );
        let cold_bytes = authorizer();
        let d = denied(bytes_call(
            &cold_bytes,
            Some(chain.as_bytes()),
            Some(&pop.to_bytes()),
            "read_file",
            &args,
            NOW,
        ));
        assert_eq!(d, Denial::PopInvalid, "{what} (cold cache, bytes)");
        assert_eq!(
            denied(with_pop(&warm, &chain, "read_file", &args, &pop)),
            Denial::PopInvalid,
            "{what} (warm cache)"
        );
        assert_eq!(
            denied(bytes_call(
                &warm,
                Some(chain.as_bytes()),
                Some(&pop.to_bytes()),
                "read_file",
                &args,
                NOW
            )),
            Denial::PopInvalid,
            "{what} (bytes)"
        );
        assert!(!pop.verify(&wk.public_key(), &leaf_hash, "read_file", &args, CTX));
    }
    // The proof also binds the context the call presents.
    let d = denied(warm.authorize_at(
        &chain,
        &Call::new("read_file", &args, b"wf-0002/act-0001"),
        &good,
        window_at(NOW),
        NOW,
    ));
    assert_eq!(d, Denial::PopInvalid);
    with_pop(&warm, &chain, "read_file", &args, &good).expect("control still allowed");
}

#[test]
fn i15_pop_window() {
    let az = authorizer();
    let chain = chain1();
    let ag = agent_key();
    let args = Value::Null;
    let at = |ts: u64, w: PopWindow| {
        let pop = pop_at(&ag, &chain, "ping", &args, ts);
        az.authorize_at(&chain, &Call::new("ping", &args, CTX), &pop, w, NOW)
    };
    let w = PopWindow::around(NOW, 60, 5);
    at(NOW, w).expect("reference");
    at(NOW - 60, w).expect("first second inclusive");
    at(NOW + 5, w).expect("last second inclusive");
    let d = denied(at(NOW - 61, w));
    assert_eq!(
        d,
        Denial::PopStale {
            ts: NOW - 61,
            from: NOW - 60,
            to: NOW + 5
        }
    );
    assert_eq!(d.code(), "POP_STALE");
    assert_eq!(
        denied(at(NOW + 6, w)),
        Denial::PopStale {
            ts: NOW + 6,
            from: NOW - 60,
            to: NOW + 5
        }
    );
    // A zero-width window.
    let z = PopWindow::around(NOW, 0, 0);
    at(NOW, z).expect("exact");
    assert!(matches!(denied(at(NOW - 1, z)), Denial::PopStale { .. }));
    assert!(matches!(denied(at(NOW + 1, z)), Denial::PopStale { .. }));

    // Saturation at 0 and u64::MAX.
    let low = PopWindow::around(10, 60, 5);
    at(0, low).expect("window saturates at 0");
    assert_eq!(
        denied(at(16, low)),
        Denial::PopStale {
            ts: 16,
            from: 0,
            to: 15
        }
    );
    let high = PopWindow::around(u64::MAX - 2, 0, 5);
    at(u64::MAX, high).expect("window saturates at u64::MAX");
    at(u64::MAX - 2, high).expect("reference");
    assert_eq!(
        denied(at(u64::MAX - 3, high)),
        Denial::PopStale {
            ts: u64::MAX - 3,
            from: u64::MAX - 2,
            to: u64::MAX
        }
    );
    let all = PopWindow::around(NOW, u64::MAX, u64::MAX);
    assert!(all.contains(0) && all.contains(u64::MAX));
    at(0, all).expect("everything");
    assert!(!PopWindow::around(0, 0, 0).contains(1));
    assert!(PopWindow::around(0, 0, 0).contains(0));
    assert!(PopWindow::around(u64::MAX, 0, 0).contains(u64::MAX));
    assert!(!PopWindow::around(u64::MAX, 0, 0).contains(u64::MAX - 1));

    // Stale is decided before the signature: a stale, forged proof is stale.
    let forged = Pop {
        ts: NOW - 1000,
        signature: Signature([7; 64]),
    };
    assert!(matches!(
        denied(az.authorize_at(&chain, &Call::new("ping", &args, CTX), &forged, w, NOW)),
        Denial::PopStale { .. }
    ));
}
