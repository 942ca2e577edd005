//! I18 and I19: weak public keys and resource limits.

use warrants::constraint::{Exact, Wildcard};
use warrants::limits;
use warrants::{
    Authorizer, BuildError, Call, Chain, Constraint, ConstraintSet, DecodeError, Denial, KeyError,
    LinkRule, Pop, PublicKey, Signature, Value, Warrant,
};

use crate::common::raw;
use crate::common::*;
use crate::{bytes_call, patched, with_pop};

#[test]
fn i18_weak_key_rejected() {
    let identity = {
        let mut b = [0u8; 32];
        b[0] = 1;
        b
    };
    let order4 = [0u8; 32]; // y = 0
    let order2 = {
        // y = -1 = p - 1
        let mut b = [0xffu8; 32];
        b[0] = 0xec;
        b[31] = 0x7f;
        b
    };
    for weak in [identity, order4, order2] {
        assert_eq!(
            PublicKey::from_bytes(&weak),
            Err(KeyError::Weak),
            "{weak:02x?}"
        );
    }

    let rk = root_key();
    let root = root_warrant();
    let fields = raw::fields(root.payload());
    let az = authorizer();
    for weak in [identity, order4, order2] {
        for field in [3u8, 4] {
            let payload = patched(&fields, field, raw::bstr(&weak));
            let env = raw::signed_envelope(&payload, &rk);
            let e = Warrant::from_bytes(&env).unwrap_err();
            assert_eq!(e, DecodeError::Key(KeyError::Weak), "field {field}");
            assert_eq!(e.code(), "DECODE_INVALID_KEY");
            let chain = raw::chain(&[&env]);
            assert_eq!(
                Chain::from_bytes(&chain).unwrap_err(),
                DecodeError::Key(KeyError::Weak)
            );
            let pop = Pop {
                ts: NOW,
                signature: Signature([0; 64]),
            };
            let d = denied(bytes_call(
                &az,
                Some(&chain),
                Some(&pop.to_bytes()),
                "ping",
                &Value::Null,
                NOW,
            ));
            assert_eq!(d.code(), "WARRANT_MALFORMED");
        }
    }
    // Non-canonical encodings (y >= p) are refused: one key, one byte form.
    let p_le = {
        let mut b = [0xffu8; 32];
        b[0] = 0xed;
        b[31] = 0x7f;
        b
    };
    for k in 0u8..19 {
        for sign in [0u8, 0x80] {
            let mut b = p_le;
            b[0] += k;
            b[31] |= sign;
            assert!(PublicKey::from_bytes(&b).is_err(), "y = p + {k}");
            let payload = patched(&fields, 4, raw::bstr(&b));
            assert!(
                matches!(
                    Warrant::from_bytes(&raw::signed_envelope(&payload, &rk)),
                    Err(DecodeError::Key(_))
                ),
                "holder y = p + {k}, sign {sign:#x}"
            );
        }
    }

    // Wrong lengths are refused too.
    let payload = patched(&fields, 4, raw::bstr(&[9u8; 31]));
    assert!(matches!(
        Warrant::from_bytes(&raw::signed_envelope(&payload, &rk)),
        Err(DecodeError::Key(KeyError::Length {
            expected: 32,
            got: 31
        }))
    ));
}

#[test]
fn i19_limits() {
    let az = authorizer();
    let rk = root_key();
    let ag = agent_key();
    let c1 = chain1();
    let ping_pop = pop_at(&ag, &c1, "ping", &Value::Null, NOW);
    let pop_bytes = ping_pop.to_bytes();
    let env = root_warrant().to_bytes();

    // Header presence and garbage.
    let b = |chain: Option<&[u8]>, pop: Option<&[u8]>| {
        denied(bytes_call(&az, chain, pop, "ping", &Value::Null, NOW))
    };
    assert_eq!(b(None, Some(&pop_bytes)), Denial::WarrantMissing);
    assert_eq!(b(None, None), Denial::WarrantMissing);
    assert_eq!(b(Some(c1.as_bytes()), None), Denial::PopMissing);
    assert_eq!(b(Some(c1.as_bytes()), Some(b"garbage")), Denial::PopInvalid);
    assert_eq!(b(Some(c1.as_bytes()), Some(&[])), Denial::PopInvalid);
    assert_eq!(
        b(Some(b"garbage"), Some(&pop_bytes)).code(),
        "WARRANT_MALFORMED"
    );
    assert_eq!(b(Some(&[]), Some(&pop_bytes)).code(), "WARRANT_MALFORMED");
    assert_eq!(
        b(Some(&[0x80]), Some(&pop_bytes)).code(),
        "WARRANT_MALFORMED"
    );
    bytes_call(
        &az,
        Some(c1.as_bytes()),
        Some(&pop_bytes),
        "ping",
        &Value::Null,
        NOW,
    )
    .expect("control");

    // Chain larger than 256 KiB.
    let mut big = c1.to_bytes();
    big.resize(limits::MAX_CHAIN_BYTES + 1, 0);
    assert_eq!(
        Chain::from_bytes(&big).unwrap_err(),
        DecodeError::TooLarge("chain")
    );
    assert_eq!(b(Some(&big), Some(&pop_bytes)).code(), "WARRANT_MALFORMED");

    // More than 64 links, and exactly 64.
    let many = |n: usize| {
        let envs: Vec<&[u8]> = std::iter::repeat_n(&env[..], n).collect();
        raw::chain(&envs)
    };
    assert_eq!(
        Chain::from_bytes(&many(65)).unwrap_err(),
        DecodeError::TooLarge("chain links")
    );
    assert_eq!(
        b(Some(&many(65)), Some(&pop_bytes)).code(),
        "WARRANT_MALFORMED"
    );
    let c64 = Chain::from_bytes(&many(64)).expect("64 links decode");
    assert_eq!(c64.len(), 64);
    let pop64 = pop_at(&ag, &c64, "ping", &Value::Null, NOW);
    assert_eq!(
        denied(with_pop(&az, &c64, "ping", &Value::Null, &pop64)),
        Denial::ChainTooDeep { links: 64, max: 16 }
    );
    let az_max = Authorizer::builder()
        .trusted_root(rk.public_key())
        .max_chain_links(1000)
        .build();
    assert_eq!(
        denied(with_pop(&az_max, &c64, "ping", &Value::Null, &pop64)),
        Denial::ChainInvalid {
            link: 1,
            rule: LinkRule::IssuerNotParentHolder
        }
    );

    // A real 17-link chain against the default limit of 16.
    let mut chain = Chain::root(std_mint().max_depth(16).mint(&rk).unwrap());
    for i in 0..16u8 {
        let child = chain
            .leaf()
            .unwrap()
            .grant_builder()
            .inherit("ping")
            .id(wid(100 + i))
            .issued_at(NOW)
            .grant(&ag)
            .unwrap();
        chain = chain.push(child).unwrap();
    }
    assert_eq!(chain.len(), 17);
    assert_eq!(
        denied(call(&az, &chain, &ag, "ping", &Value::Null)),
        Denial::ChainTooDeep { links: 17, max: 16 }
    );
    let az17 = Authorizer::builder()
        .trusted_root(rk.public_key())
        .max_chain_links(17)
        .build();
    call(&az17, &chain, &ag, "ping", &Value::Null).expect("17 allowed when configured");
    // And the 17th link had no depth left to delegate.
    assert!(matches!(
        chain
            .leaf()
            .unwrap()
            .grant_builder()
            .inherit("ping")
            .issued_at(NOW)
            .grant(&ag),
        Err(BuildError::DepthInvalid(_))
    ));

    // Deep nesting inside a payload, a constraint and a value.
    let fields = raw::fields(root_warrant().payload());
    let nested = |depth: usize| {
        let mut v = vec![0x82, 0x01];
        v.extend(std::iter::repeat_n(0x81, depth));
        v.push(0x00);
        v
    };
    let ok_payload = patched(&fields, 10, raw::one_tool("read_file", "path", &nested(8)));
    Warrant::from_bytes(&raw::signed_envelope(&ok_payload, &rk)).expect("8 levels are fine");
    let deep_payload = patched(&fields, 10, raw::one_tool("read_file", "path", &nested(40)));
    assert_eq!(
        Warrant::from_bytes(&raw::signed_envelope(&deep_payload, &rk)).unwrap_err(),
        DecodeError::TooDeep
    );
    assert_eq!(
        Constraint::from_cbor(&nested(40)).unwrap_err(),
        DecodeError::TooDeep
    );
    let mut deep_value = vec![0x81u8; 100_000];
    deep_value.push(0x00);
    assert_eq!(
        Value::from_cbor(&deep_value).unwrap_err(),
        DecodeError::TooDeep
    );
    let mut deep_map = Vec::new();
    for _ in 0..1000 {
        deep_map.extend_from_slice(&[0xa1, 0x61, b'a']);
    }
    deep_map.push(0x00);
    assert_eq!(
        Value::from_cbor(&deep_map).unwrap_err(),
        DecodeError::TooDeep
    );
    let mut v = Value::Int(0);
    for _ in 0..20 {
        v = Value::list([v]);
    }
    assert!(Exact::new(v).is_err(), "constraint values nest at most 16");

    // Length claims larger than the input.
    for claim in [
        &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..],
        &[0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0xbb, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00],
    ] {
        assert_eq!(Value::from_cbor(claim).unwrap_err(), DecodeError::Truncated);
        assert!(Chain::from_bytes(claim).is_err());
        assert!(Pop::from_bytes(claim).is_err());
    }

    // More than 256 tools.
    let mut payload = root_warrant().payload().clone();
    payload.tools = (0..257)
        .map(|i| (format!("t{i:03}"), ConstraintSet::new()))
        .collect();
    let e = Warrant::from_bytes(&raw::signed_envelope(&payload.encode(), &rk)).unwrap_err();
    assert_eq!(e, DecodeError::TooLarge("tools"));
    payload.tools.pop_last();
    Warrant::from_bytes(&raw::signed_envelope(&payload.encode(), &rk)).expect("256 tools fit");
    let mut mb = std_mint();
    for i in 0..257 {
        mb = mb.capability(format!("t{i:03}"), no_args());
    }
    let e = mb.mint(&rk).unwrap_err();
    assert!(matches!(e, BuildError::Limit(_)));
    assert_eq!(e.code(), "BUILD_LIMIT");

    // More than 64 constraints for one tool.
    let set = (0..65).fold(ConstraintSet::new(), |s, i| {
        s.arg(format!("a{i}"), Wildcard::new())
    });
    assert!(matches!(
        std_mint().capability_set("wide", set).mint(&rk),
        Err(BuildError::Limit(_))
    ));

    // An envelope over 64 KiB.
    let mut payload = root_warrant().payload().clone();
    payload.extensions = (0..32)
        .map(|i| (format!("x{i}"), vec![0u8; 2100]))
        .collect();
    let bytes = payload.encode();
    assert!(bytes.len() > limits::MAX_ENVELOPE_BYTES);
    assert_eq!(
        Warrant::from_bytes(&raw::signed_envelope(&bytes, &rk)).unwrap_err(),
        DecodeError::TooLarge("envelope")
    );
    let mut mb = std_mint();
    for i in 0..32 {
        mb = mb.extension(format!("x{i}"), vec![0u8; 2100]);
    }
    assert!(matches!(mb.mint(&rk), Err(BuildError::Limit(_))));
    assert!(matches!(
        Warrant::sign_payload(payload, &rk),
        Err(DecodeError::TooLarge("envelope"))
    ));

    // Huge argument nesting: refused before any signature work.
    let mut deep = Value::from("x");
    for _ in 0..1000 {
        deep = Value::list([deep]);
    }
    let args = Value::map([("path", deep)]);
    let dummy = Pop {
        ts: NOW,
        signature: Signature([0; 64]),
    };
    let d = denied(az.authorize_at(
        &c1,
        &Call::new("ping", &args, CTX),
        &dummy,
        window_at(NOW),
        NOW,
    ));
    assert_eq!(d.code(), "ARGS_INVALID");
    let d = denied(az.authorize_bytes_at(
        Some(c1.as_bytes()),
        &Call::new("read_file", &args, CTX),
        Some(&dummy.to_bytes()),
        window_at(NOW),
        NOW,
    ));
    assert_eq!(d.code(), "ARGS_INVALID");

    // Arguments over 1 MiB once encoded.
    let huge = Value::map([("blob", "x".repeat(limits::MAX_ARGS_BYTES + 1))]);
    let d = denied(az.authorize_at(
        &c1,
        &Call::new("ping", &huge, CTX),
        &dummy,
        window_at(NOW),
        NOW,
    ));
    assert_eq!(d.code(), "ARGS_INVALID");

    // Context: 4 KiB allowed, one byte more is not.
    let ctx_ok = vec![7u8; limits::MAX_CONTEXT_BYTES];
    let pop = Pop::sign(&ag, &c1, "ping", &Value::Null, &ctx_ok, NOW);
    az.authorize_at(
        &c1,
        &Call::new("ping", &Value::Null, &ctx_ok),
        &pop,
        window_at(NOW),
        NOW,
    )
    .expect("4 KiB context");
    let ctx_big = vec![7u8; limits::MAX_CONTEXT_BYTES + 1];
    let pop = Pop::sign(&ag, &c1, "ping", &Value::Null, &ctx_big, NOW);
    assert_eq!(
        denied(az.authorize_at(
            &c1,
            &Call::new("ping", &Value::Null, &ctx_big),
            &pop,
            window_at(NOW),
            NOW
        )),
        Denial::PopInvalid
    );

    // Tool names: empty or too long.
    for tool in [String::new(), "t".repeat(limits::MAX_NAME_LEN + 1)] {
        let d = denied(az.authorize_at(
            &c1,
            &Call::new(&tool, &Value::Null, CTX),
            &dummy,
            window_at(NOW),
            NOW,
        ));
        assert_eq!(d.code(), "TOOL_NOT_GRANTED");
    }

    // Oversize proof bytes.
    assert_eq!(
        Pop::from_bytes(&[0u8; 200]).unwrap_err(),
        DecodeError::TooLarge("proof")
    );
    assert_eq!(
        b(Some(c1.as_bytes()), Some(&[0u8; 200])),
        Denial::PopInvalid
    );
}
