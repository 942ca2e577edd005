//! I3 to I8: chain structure: trusted root, issuer/holder linkage, parent
//! hashes, depth, validity windows and tool inheritance.

use sha2::{Digest, Sha256};
use warrants::{
    Authorizer, BuildError, Chain, ConstraintSet, DecodeError, Denial, LinkRule, Value, Warrant,
};

use crate::common::raw;
use crate::common::*;

#[test]
fn i03_untrusted_root_denied() {
    let other = key(9);
    let w = std_mint().mint(&other).unwrap();
    let chain = Chain::root(w);
    let d = denied(call(
        &authorizer(),
        &chain,
        &agent_key(),
        "ping",
        &Value::Null,
    ));
    assert_eq!(d, Denial::UntrustedRoot);
    assert_eq!(d.code(), "UNTRUSTED_ROOT");

    // Control: an authorizer trusting that key allows it.
    let az_other = Authorizer::builder()
        .trusted_root(other.public_key())
        .build();
    call(&az_other, &chain, &agent_key(), "ping", &Value::Null).expect("trusted");

    // No trusted roots at all.
    let az_none = Authorizer::builder().build();
    assert_eq!(
        denied(call(
            &az_none,
            &chain1(),
            &agent_key(),
            "ping",
            &Value::Null
        )),
        Denial::UntrustedRoot
    );

    // Dropping the real root: the first link's issuer (agent) is not trusted.
    let c2 = chain2();
    let headless = Chain::root(c2.links()[1].clone());
    assert_eq!(
        denied(call(
            &authorizer(),
            &headless,
            &worker_key(),
            "ping",
            &Value::Null
        )),
        Denial::UntrustedRoot
    );
    // Even if the agent's key were trusted, a depth-1 link is no root.
    let az_both = Authorizer::builder()
        .trusted_roots([root_key().public_key(), agent_key().public_key()])
        .build();
    assert_eq!(
        denied(call(
            &az_both,
            &headless,
            &worker_key(),
            "ping",
            &Value::Null
        )),
        Denial::ChainInvalid {
            link: 0,
            rule: LinkRule::RootShape
        }
    );

    // Claiming the trusted root as issuer without its key: the issuer field
    // alone grants no trust.
    let forged = Warrant::sign_payload(root_warrant().payload().clone(), &mallory_key()).unwrap();
    assert_eq!(forged.issuer(), &root_key().public_key());
    assert_eq!(
        denied(call(
            &authorizer(),
            &Chain::root(forged),
            &agent_key(),
            "ping",
            &Value::Null
        )),
        Denial::ChainInvalid {
            link: 0,
            rule: LinkRule::BadSignature
        }
    );
}

#[test]
fn i04_issuer_must_be_parent_holder() {
    let root = root_warrant();
    let az = authorizer();

    // Control: the child issued by the root's holder (agent).
    let good = Warrant::sign_payload(
        child_payload(&root, worker_key().public_key(), wid(2)),
        &agent_key(),
    )
    .unwrap();
    let chain = Chain::root(root.clone())
        .push(good)
        .expect("link rules hold");
    call(&az, &chain, &worker_key(), "ping", &Value::Null).expect("control");

    // Mallory issues a child of the root to herself.
    let mut p = child_payload(&root, mallory_key().public_key(), wid(2));
    p.issuer = mallory_key().public_key();
    let bad = Warrant::sign_payload(p, &mallory_key()).unwrap();
    assert_eq!(
        Chain::root(root.clone()).push(bad.clone()).unwrap_err(),
        LinkRule::IssuerNotParentHolder
    );
    let chain = Chain::from_bytes(&raw::chain(&[root.as_bytes(), bad.as_bytes()])).unwrap();
    let d = denied(call(&az, &chain, &mallory_key(), "ping", &Value::Null));
    assert_eq!(
        d,
        Denial::ChainInvalid {
            link: 1,
            rule: LinkRule::IssuerNotParentHolder
        }
    );
    assert_eq!(d.code(), "CHAIN_INVALID");

    // Claiming the right issuer without its key fails the signature.
    let p = child_payload(&root, mallory_key().public_key(), wid(2));
    let forged = Warrant::sign_payload(p, &mallory_key()).unwrap();
    let chain = Chain::root(root.clone()).push(forged).unwrap();
    assert_eq!(
        denied(call(&az, &chain, &mallory_key(), "ping", &Value::Null)),
        Denial::ChainInvalid {
            link: 1,
            rule: LinkRule::BadSignature
        }
    );

    // The builder refuses to sign a grant with a key other than the holder's.
    let e = root
        .grant_builder()
        .inherit("ping")
        .issued_at(NOW)
        .grant(&mallory_key())
        .unwrap_err();
    assert!(matches!(e, BuildError::WrongKey(_)));
}

#[test]
fn i05_parent_hash_mismatch_denied() {
    let root = root_warrant();
    let az = authorizer();
    let want = Denial::ChainInvalid {
        link: 1,
        rule: LinkRule::ParentHashMismatch,
    };
    let child = |parent: Option<[u8; 32]>| {
        let mut p = child_payload(&root, worker_key().public_key(), wid(2));
        p.parent = parent;
        Warrant::sign_payload(p, &agent_key()).unwrap()
    };
    let chain_of =
        |c: &Warrant| Chain::from_bytes(&raw::chain(&[root.as_bytes(), c.as_bytes()])).unwrap();

    // Control: SHA-256 of the parent's envelope bytes.
    let env_hash: [u8; 32] = Sha256::digest(root.as_bytes()).into();
    assert_eq!(&env_hash, root.hash());
    call(
        &az,
        &chain_of(&child(Some(env_hash))),
        &worker_key(),
        "ping",
        &Value::Null,
    )
    .expect("control");

    // Zero hash, hash of the payload instead of the envelope.
    let payload_hash: [u8; 32] = Sha256::digest(raw::payload_of(&root)).into();
    for h in [[0u8; 32], payload_hash] {
        let d = denied(call(
            &az,
            &chain_of(&child(Some(h))),
            &worker_key(),
            "ping",
            &Value::Null,
        ));
        assert_eq!(d, want);
    }

    // Splicing: a child legitimately granted under another root (same
    // keys, different id) placed under this root.
    let sibling_root = std_mint().id(wid(9)).mint(&root_key()).unwrap();
    let spliced = link1_of(&sibling_root);
    assert_eq!(
        Chain::root(root.clone()).push(spliced.clone()).unwrap_err(),
        LinkRule::ParentHashMismatch
    );
    assert_eq!(
        denied(call(
            &az,
            &chain_of(&spliced),
            &worker_key(),
            "ping",
            &Value::Null
        )),
        want
    );
    // ... and it is fine under its own root.
    let own = Chain::root(sibling_root).push(spliced).unwrap();
    call(&az, &own, &worker_key(), "ping", &Value::Null).expect("own root");
}

#[test]
fn i06_depth_rules() {
    let az = authorizer();
    let root = root_warrant(); // max_depth 4
    let link = |p: warrants::Payload| {
        let w = Warrant::sign_payload(p, &agent_key()).unwrap();
        Chain::from_bytes(&raw::chain(&[root.as_bytes(), w.as_bytes()])).unwrap()
    };
    let base = || child_payload(&root, worker_key().public_key(), wid(2));
    let deny = |chain: &Chain| denied(call(&az, chain, &worker_key(), "ping", &Value::Null));

    // Control.
    call(&az, &link(base()), &worker_key(), "ping", &Value::Null).expect("control");

    // depth != parent + 1.
    let mut p = base();
    p.depth = 2;
    assert_eq!(
        deny(&link(p)),
        Denial::ChainInvalid {
            link: 1,
            rule: LinkRule::DepthNotIncrement
        }
    );

    // child max_depth > parent's.
    let mut p = base();
    p.max_depth = 5;
    assert_eq!(
        deny(&link(p)),
        Denial::ChainInvalid {
            link: 1,
            rule: LinkRule::MaxDepthWidened
        }
    );

    // depth > parent.max_depth: a root that allows no delegation.
    let root0 = std_mint().max_depth(0).mint(&root_key()).unwrap();
    let mut p = child_payload(&root0, worker_key().public_key(), wid(2));
    p.max_depth = 1;
    let w = Warrant::sign_payload(p, &agent_key()).unwrap();
    assert_eq!(
        Chain::root(root0.clone()).push(w.clone()).unwrap_err(),
        LinkRule::DepthExceedsMax
    );
    let chain = Chain::from_bytes(&raw::chain(&[root0.as_bytes(), w.as_bytes()])).unwrap();
    assert_eq!(
        deny(&chain),
        Denial::ChainInvalid {
            link: 1,
            rule: LinkRule::DepthExceedsMax
        }
    );

    // A root with depth != 0 is refused at decode (no parent hash).
    let mut p = root.payload().clone();
    p.depth = 1;
    assert!(matches!(
        Warrant::sign_payload(p, &root_key()),
        Err(DecodeError::Malformed(_))
    ));

    // Chains longer than the authorizer accepts.
    let c3 = chain3();
    let az2 = Authorizer::builder()
        .trusted_root(root_key().public_key())
        .max_chain_links(2)
        .build();
    let d = denied(call(
        &az2,
        &c3,
        &sub_key(),
        "read_file",
        &path_args("/data/in/x"),
    ));
    assert_eq!(d, Denial::ChainTooDeep { links: 3, max: 2 });
    assert_eq!(d.code(), "CHAIN_TOO_DEEP");
    call(&az2, &chain2(), &worker_key(), "ping", &Value::Null).expect("2 links fit");
    let az3 = Authorizer::builder()
        .trusted_root(root_key().public_key())
        .max_chain_links(3)
        .build();
    call(&az3, &c3, &sub_key(), "read_file", &path_args("/data/in/x")).expect("3 links fit");
    // max_chain_links(0) clamps to 1.
    let az0 = Authorizer::builder()
        .trusted_root(root_key().public_key())
        .max_chain_links(0)
        .build();
    call(&az0, &chain1(), &agent_key(), "ping", &Value::Null).expect("1 link fits");
    assert_eq!(
        denied(call(&az0, &chain2(), &worker_key(), "ping", &Value::Null)),
        Denial::ChainTooDeep { links: 2, max: 1 }
    );
}

#[test]
fn i07_time_rules() {
    let mk = |skew: u64| {
        Authorizer::builder()
            .trusted_root(root_key().public_key())
            .clock_skew(skew)
            .build()
    };
    let az = mk(SKEW);
    let c1 = chain1();
    let ag = agent_key();
    // Each decision is taken cold (a fresh authorizer with the same skew)
    // and warm (`warm`, whose cache holds the chain after the first
    // allowed call): both must agree.
    let ping = |skew: u64, warm: &Authorizer, chain: &Chain, k: &warrants::SigningKey, now: u64| {
        let cold = call_at(&mk(skew), chain, k, "ping", &Value::Null, now);
        let hot = call_at(warm, chain, k, "ping", &Value::Null, now);
        assert_eq!(
            cold.as_ref().map(|_| ()),
            hot.as_ref().map(|_| ()),
            "cold vs warm at {now}"
        );
        hot
    };
    let expires = NOW + ROOT_TTL;

    // Valid while issued_at <= now < expires_at, widened by the skew.
    ping(SKEW, &az, &c1, &ag, expires + SKEW - 1).expect("last second with skew");
    let d = denied(ping(SKEW, &az, &c1, &ag, expires + SKEW));
    assert_eq!(
        d,
        Denial::WarrantExpired {
            link: 0,
            expires_at: expires,
            now: expires + SKEW
        }
    );
    assert_eq!(d.code(), "WARRANT_EXPIRED");
    ping(SKEW, &az, &c1, &ag, NOW - SKEW).expect("first second with skew");
    let d = denied(ping(SKEW, &az, &c1, &ag, NOW - SKEW - 1));
    assert_eq!(
        d,
        Denial::NotYetValid {
            link: 0,
            issued_at: NOW,
            now: NOW - SKEW - 1
        }
    );
    assert_eq!(d.code(), "NOT_YET_VALID");

    // Without skew the boundaries are exact.
    let az0 = mk(0);
    ping(0, &az0, &c1, &ag, NOW).expect("issued_at is valid");
    ping(0, &az0, &c1, &ag, expires - 1).expect("just before expiry");
    assert!(matches!(
        denied(ping(0, &az0, &c1, &ag, expires)),
        Denial::WarrantExpired { link: 0, .. }
    ));
    assert!(matches!(
        denied(ping(0, &az0, &c1, &ag, NOW - 1)),
        Denial::NotYetValid { link: 0, .. }
    ));

    // Every link's expiry counts: link 1 expires first.
    let c2 = chain2();
    let wk = worker_key();
    ping(SKEW, &az, &c2, &wk, NOW + LINK1_TTL + SKEW - 1).expect("link 1 still valid");
    assert_eq!(
        denied(ping(SKEW, &az, &c2, &wk, NOW + LINK1_TTL + SKEW)),
        Denial::WarrantExpired {
            link: 1,
            expires_at: NOW + LINK1_TTL,
            now: NOW + LINK1_TTL + SKEW
        }
    );

    // Link rules on times (children hand-signed; the builder refuses them).
    let root = root_warrant();
    let link = |p: warrants::Payload| {
        let w = Warrant::sign_payload(p, &agent_key()).unwrap();
        Chain::from_bytes(&raw::chain(&[root.as_bytes(), w.as_bytes()])).unwrap()
    };
    let mut p = child_payload(&root, wk.public_key(), wid(2));
    p.expires_at = root.expires_at();
    ping(SKEW, &az, &link(p.clone()), &wk, NOW).expect("same expiry as the parent is fine");
    p.expires_at = root.expires_at() + 1;
    assert_eq!(
        denied(ping(SKEW, &az, &link(p), &wk, NOW)),
        Denial::ChainInvalid {
            link: 1,
            rule: LinkRule::ExpiresAfterParent
        }
    );
    let mut p = child_payload(&root, wk.public_key(), wid(2));
    p.issued_at = NOW - 1;
    assert_eq!(
        denied(ping(SKEW, &az, &link(p), &wk, NOW)),
        Denial::ChainInvalid {
            link: 1,
            rule: LinkRule::IssuedBeforeParent
        }
    );
}

#[test]
fn i08_tool_not_in_parent_denied() {
    let az = authorizer();
    let root = root_warrant();
    let mut p = child_payload(&root, worker_key().public_key(), wid(2));
    p.tools.insert("delete_all".into(), ConstraintSet::new());
    let w = Warrant::sign_payload(p, &agent_key()).unwrap();
    assert_eq!(
        Chain::root(root.clone()).push(w.clone()).unwrap_err(),
        LinkRule::ToolNotInParent
    );
    let chain = Chain::from_bytes(&raw::chain(&[root.as_bytes(), w.as_bytes()])).unwrap();
    let want = Denial::ChainInvalid {
        link: 1,
        rule: LinkRule::ToolNotInParent,
    };
    // Denied for the smuggled tool and for every other tool of that chain.
    assert_eq!(
        denied(call(&az, &chain, &worker_key(), "delete_all", &Value::Null)),
        want
    );
    assert_eq!(
        denied(call(&az, &chain, &worker_key(), "ping", &Value::Null)),
        want
    );

    // Calls of tools a valid chain does not grant.
    let d = denied(call(
        &az,
        &chain1(),
        &agent_key(),
        "delete_all",
        &Value::Null,
    ));
    assert_eq!(
        d,
        Denial::ToolNotGranted {
            tool: "delete_all".into(),
            link: 0
        }
    );
    assert_eq!(d.code(), "TOOL_NOT_GRANTED");
    // `ping` is granted by the root and link 1, not by link 2.
    call(&az, &chain2(), &worker_key(), "ping", &Value::Null).expect("control");
    assert_eq!(
        denied(call(&az, &chain3(), &sub_key(), "ping", &Value::Null)),
        Denial::ToolNotGranted {
            tool: "ping".into(),
            link: 2
        }
    );
}
