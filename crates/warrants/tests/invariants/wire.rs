//! I1 and I2: only canonical encodings are accepted, and signatures cover
//! the raw payload bytes.

use warrants::constraint::Exact;
use warrants::pop::POP_DOMAIN;
use warrants::revocation::REVOCATION_DOMAIN;
use warrants::{Chain, Constraint, DecodeError, Denial, LinkRule, Pop, Value, Warrant};

use crate::common::raw;
use crate::common::*;
use crate::{bytes_call, patched, with_pop};

#[test]
fn i01_non_canonical_rejected() {
    let rk = root_key();
    let root = root_warrant();
    let fields = raw::fields(root.payload());
    let good = raw::payload(&fields);
    assert_eq!(
        good,
        raw::payload_of(&root),
        "hand encoding is the canonical one"
    );
    let good_env = raw::signed_envelope(&good, &rk);
    assert_eq!(
        good_env,
        root.to_bytes(),
        "deterministic signature, same envelope"
    );
    let w = Warrant::from_bytes(&good_env).expect("control decodes");
    assert_eq!(w.to_bytes(), good_env);

    // Every payload below is correctly signed: only its encoding is wrong.
    let dec = |payload: &[u8]| Warrant::from_bytes(&raw::signed_envelope(payload, &rk));
    #[track_caller]
    fn non_canonical(r: Result<Warrant, DecodeError>, what: &str) {
        match r {
            Err(DecodeError::NonCanonical(_)) => {}
            other => panic!("{what}: expected NonCanonical, got {other:?}"),
        }
    }

    // --- payload: integers and lengths not in their shortest form ---
    non_canonical(
        dec(&patched(&fields, 5, raw::head_wide(0, NOW, 27))),
        "issued_at as u64",
    );
    non_canonical(
        dec(&patched(&fields, 7, raw::head_wide(0, 0, 24))),
        "depth 0 in two bytes",
    );
    non_canonical(
        dec(&patched(&fields, 8, raw::head_wide(0, 4, 25))),
        "max_depth in three bytes",
    );
    let mut f = fields.clone();
    f[0].0 = raw::head_wide(0, 1, 24);
    non_canonical(dec(&raw::payload(&f)), "map key 1 in two bytes");
    let id = root.id().0;
    non_canonical(
        dec(&patched(
            &fields,
            2,
            raw::cat(&[&raw::head_wide(2, 16, 24), &id]),
        )),
        "id length in two bytes",
    );
    let holder = agent_key().public_key().to_bytes();
    non_canonical(
        dec(&patched(
            &fields,
            4,
            raw::cat(&[&raw::head_wide(2, 32, 25), &holder]),
        )),
        "holder length in three bytes",
    );
    let body: Vec<u8> = good[1..].to_vec();
    non_canonical(
        dec(&raw::cat(&[
            &raw::head_wide(5, fields.len() as u64, 24),
            &body,
        ])),
        "map count in two bytes",
    );

    // --- indefinite lengths ---
    non_canonical(dec(&raw::cat(&[&[0xbf], &body, &[0xff]])), "indefinite map");
    non_canonical(
        dec(&patched(
            &fields,
            2,
            raw::cat(&[&[0x5f], &raw::bstr(&id), &[0xff]]),
        )),
        "indefinite byte string",
    );

    // --- map keys: order, duplicates, unknown, missing ---
    let mut f = fields.clone();
    f.swap(raw::field_index(&fields, 5), raw::field_index(&fields, 6));
    non_canonical(dec(&raw::payload(&f)), "keys 6 before 5");
    let mut f = fields.clone();
    let i5 = raw::field_index(&fields, 5);
    f.insert(i5 + 1, fields[i5].clone());
    assert_eq!(
        dec(&raw::payload(&f)).unwrap_err(),
        DecodeError::DuplicateKey
    );
    let mut f = fields.clone();
    f.push((raw::uint(12), raw::uint(0)));
    assert_eq!(
        dec(&raw::payload(&f)).unwrap_err(),
        DecodeError::UnknownKey(12)
    );
    let mut f = fields.clone();
    f.insert(0, (raw::uint(0), raw::uint(0)));
    assert_eq!(
        dec(&raw::payload(&f)).unwrap_err(),
        DecodeError::UnknownKey(0)
    );
    let mut f = fields.clone();
    f.remove(raw::field_index(&fields, 6));
    assert_eq!(
        dec(&raw::payload(&f)).unwrap_err(),
        DecodeError::MissingKey(6)
    );
    let mut f = fields.clone();
    f.push((raw::uint(11), raw::map(0)));
    non_canonical(dec(&raw::payload(&f)), "empty extensions map present");

    // --- tags, trailing bytes ---
    non_canonical(
        dec(&patched(&fields, 5, raw::cat(&[&[0xc1], &raw::uint(NOW)]))),
        "tagged time",
    );
    assert_eq!(
        dec(&raw::cat(&[&good, &[0x00]])).unwrap_err(),
        DecodeError::TrailingBytes,
        "trailing bytes inside the payload"
    );

    // --- floats where an integer fits, and floats not in shortest form ---
    let mut float_time = vec![0xfb];
    float_time.extend_from_slice(&(NOW as f64).to_bits().to_be_bytes());
    assert!(matches!(
        dec(&patched(&fields, 5, float_time)),
        Err(DecodeError::UnexpectedType(_))
    ));
    let tools_with =
        |constraint: &[u8]| patched(&fields, 10, raw::one_tool("read_file", "path", constraint));
    // Control: Exact(2) as an integer, Exact(1.5) as a half float.
    let w2 = dec(&tools_with(&[0x82, 0x01, 0x02])).expect("Exact(2) decodes");
    assert_eq!(
        w2.tool("read_file").unwrap().args()["path"],
        Constraint::from(Exact::new(2).unwrap())
    );
    dec(&tools_with(&[0x82, 0x01, 0xf9, 0x3e, 0x00])).expect("Exact(1.5) as f16 decodes");
    non_canonical(
        dec(&tools_with(&[0x82, 0x01, 0xf9, 0x40, 0x00])),
        "2.0 as a float",
    );
    non_canonical(
        dec(&tools_with(&[0x82, 0x01, 0xfa, 0x3f, 0xc0, 0, 0])),
        "1.5 as f32",
    );
    non_canonical(
        dec(&tools_with(&[
            0x82, 0x01, 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
        ])),
        "1.5 as f64",
    );
    non_canonical(
        dec(&tools_with(&[0x82, 0x18, 0x01, 0x02])),
        "type id 1 in two bytes",
    );
    // OneOf values must be sorted and unique by encoding.
    dec(&tools_with(&[0x82, 0x02, 0x82, 0x01, 0x02])).expect("one_of [1, 2] decodes");
    non_canonical(
        dec(&tools_with(&[0x82, 0x02, 0x82, 0x02, 0x01])),
        "one_of [2, 1]",
    );
    non_canonical(
        dec(&tools_with(&[0x82, 0x02, 0x82, 0x01, 0x01])),
        "one_of [1, 1]",
    );

    // --- text map keys are ordered length-first, then bytewise ---
    let empty_set = [0x82, 0xf4, 0xa0];
    let two_tools = |a: &str, b: &str| {
        let t = raw::cat(&[
            &raw::map(2),
            &raw::text(a),
            &empty_set,
            &raw::text(b),
            &empty_set,
        ]);
        patched(&fields, 10, t)
    };
    dec(&two_tools("b", "ab")).expect("b before ab is canonical");
    non_canonical(
        dec(&two_tools("ab", "b")),
        "ab before b (lexicographic, not canonical)",
    );
    assert_eq!(
        dec(&two_tools("b", "b")).unwrap_err(),
        DecodeError::DuplicateKey
    );

    // --- envelope ---
    let sig = root.signature().0;
    let env = |parts: &[&[u8]]| Warrant::from_bytes(&raw::cat(parts));
    env(&[
        &raw::array(3),
        &raw::uint(1),
        &raw::bstr(&good),
        &raw::bstr(&sig),
    ])
    .expect("control");
    non_canonical(
        env(&[
            &raw::array(3),
            &raw::head_wide(0, 1, 24),
            &raw::bstr(&good),
            &raw::bstr(&sig),
        ]),
        "envelope version in two bytes",
    );
    non_canonical(
        env(&[
            &raw::array(3),
            &raw::uint(1),
            &raw::head_wide(2, good.len() as u64, 26),
            &good,
            &raw::bstr(&sig),
        ]),
        "payload length in five bytes",
    );
    non_canonical(
        env(&[
            &raw::array(3),
            &raw::uint(1),
            &raw::bstr(&good),
            &raw::head_wide(2, 64, 25),
            &sig,
        ]),
        "signature length in three bytes",
    );
    non_canonical(
        env(&[
            &[0x9f],
            &raw::uint(1),
            &raw::bstr(&good),
            &raw::bstr(&sig),
            &[0xff],
        ]),
        "indefinite envelope",
    );
    assert_eq!(
        env(&[&good_env, &[0x00]]).unwrap_err(),
        DecodeError::TrailingBytes
    );
    assert_eq!(
        env(&[
            &raw::array(3),
            &raw::uint(2),
            &raw::bstr(&good),
            &raw::bstr(&sig)
        ])
        .unwrap_err(),
        DecodeError::UnsupportedVersion(2)
    );
    assert!(matches!(
        env(&[
            &raw::array(4),
            &raw::uint(1),
            &raw::bstr(&good),
            &raw::bstr(&sig),
            &[0x00]
        ]),
        Err(DecodeError::Malformed(_))
    ));
    assert!(matches!(
        env(&[
            &raw::array(3),
            &raw::uint(1),
            &raw::bstr(&good),
            &raw::bstr(&sig[..63])
        ]),
        Err(DecodeError::Malformed(_))
    ));

    // --- chain ---
    let chain_ok = raw::chain(&[&good_env]);
    assert_eq!(
        Chain::from_bytes(&chain_ok).unwrap().to_bytes(),
        chain1().to_bytes()
    );
    assert_eq!(
        Chain::from_bytes(&raw::cat(&[&chain_ok, &[0x00]])).unwrap_err(),
        DecodeError::TrailingBytes
    );
    assert!(matches!(
        Chain::from_bytes(&raw::cat(&[&[0x9f], &good_env, &[0xff]])),
        Err(DecodeError::NonCanonical(_))
    ));
    assert!(matches!(
        Chain::from_bytes(&raw::cat(&[&raw::head_wide(4, 1, 24), &good_env])),
        Err(DecodeError::NonCanonical(_))
    ));
    assert!(matches!(
        Chain::from_bytes(&[0x80]),
        Err(DecodeError::Malformed(_))
    ));
    let bad_env = raw::cat(&[
        &raw::array(3),
        &raw::head_wide(0, 1, 24),
        &raw::bstr(&good),
        &raw::bstr(&sig),
    ]);
    assert!(matches!(
        Chain::from_bytes(&raw::chain(&[&bad_env])),
        Err(DecodeError::NonCanonical(_))
    ));
    // A chain whose second envelope is non-canonical.
    assert!(matches!(
        Chain::from_bytes(&raw::chain(&[&good_env, &bad_env])),
        Err(DecodeError::NonCanonical(_))
    ));

    // --- proof of possession ---
    let pop = pop_at(&agent_key(), &chain1(), "ping", &Value::Null, NOW);
    let ps = pop.signature.0;
    let pop_ok = raw::cat(&[&raw::array(2), &raw::uint(NOW), &raw::bstr(&ps)]);
    assert_eq!(pop_ok, pop.to_bytes());
    assert_eq!(Pop::from_bytes(&pop_ok).unwrap(), pop);
    let pop_dec = |parts: &[&[u8]]| Pop::from_bytes(&raw::cat(parts));
    assert!(matches!(
        pop_dec(&[&raw::array(2), &raw::head_wide(0, NOW, 27), &raw::bstr(&ps)]),
        Err(DecodeError::NonCanonical(_))
    ));
    assert!(matches!(
        pop_dec(&[
            &raw::array(2),
            &raw::uint(NOW),
            &raw::head_wide(2, 64, 26),
            &ps
        ]),
        Err(DecodeError::NonCanonical(_))
    ));
    assert!(matches!(
        pop_dec(&[&[0x9f], &raw::uint(NOW), &raw::bstr(&ps), &[0xff]]),
        Err(DecodeError::NonCanonical(_))
    ));
    assert!(matches!(
        pop_dec(&[&raw::array(2), &[0xc1], &raw::uint(NOW), &raw::bstr(&ps)]),
        Err(DecodeError::NonCanonical(_))
    ));
    assert!(matches!(
        pop_dec(&[
            &raw::array(2),
            &[0xfb],
            &(NOW as f64).to_bits().to_be_bytes(),
            &raw::bstr(&ps)
        ]),
        Err(DecodeError::UnexpectedType(_))
    ));
    assert_eq!(
        pop_dec(&[&pop_ok, &[0x00]]).unwrap_err(),
        DecodeError::TrailingBytes
    );
    assert!(matches!(
        pop_dec(&[&raw::array(2), &raw::uint(NOW), &raw::bstr(&ps[..63])]),
        Err(DecodeError::Malformed(_))
    ));
    assert!(matches!(
        pop_dec(&[&raw::array(3), &raw::uint(NOW), &raw::bstr(&ps), &[0x00]]),
        Err(DecodeError::Malformed(_))
    ));

    // --- values ---
    for ok in [
        &[0x17][..],
        &[0x18, 0x18],
        &[0x38, 0x18],
        &[0xf9, 0x3e, 0x00],
        &[0xa2, 0x61, b'b', 0x02, 0x62, b'a', b'b', 0x01],
        &[0x82, 0x01, 0x02],
    ] {
        let v = Value::from_cbor(ok).unwrap_or_else(|e| panic!("{ok:02x?}: {e:?}"));
        assert_eq!(v.to_cbor(), ok, "canonical value re-encodes identically");
    }
    for (bad, what) in [
        (&[0x18, 0x05][..], "5 in two bytes"),
        (&[0x19, 0x00, 0xff], "255 in three bytes"),
        (&[0x38, 0x01], "-2 in two bytes"),
        (&[0x9f, 0x01, 0xff], "indefinite array"),
        (&[0x7f, 0x61, b'a', 0xff], "indefinite text"),
        (&[0x5f, 0x41, 0x00, 0xff], "indefinite bytes"),
        (&[0xbf, 0x61, b'a', 0x01, 0xff], "indefinite map"),
        (
            &[0xa2, 0x62, b'b', b'b', 0x01, 0x61, b'a', 0x02],
            "map keys unsorted",
        ),
        (
            &[0xa2, 0x62, b'a', b'b', 0x01, 0x61, b'b', 0x02],
            "map keys bytewise but not length-first",
        ),
        (&[0xf9, 0x40, 0x00], "2.0 as f16"),
        (&[0xf9, 0x80, 0x00], "-0.0 as f16"),
        (&[0xfa, 0x40, 0x00, 0x00, 0x00], "2.0 as f32"),
        (&[0xfb, 0x40, 0, 0, 0, 0, 0, 0, 0], "2.0 as f64"),
        (&[0xfa, 0x3f, 0xc0, 0x00, 0x00], "1.5 as f32"),
        (&[0xf9, 0x7e, 0x01], "nan with payload"),
        (&[0xc1, 0x01], "tag"),
        (&[0xf8, 0x20], "two-byte simple value"),
    ] {
        match Value::from_cbor(bad) {
            Err(DecodeError::NonCanonical(_)) => {}
            other => panic!("{what}: expected NonCanonical, got {other:?}"),
        }
    }
    assert_eq!(
        Value::from_cbor(&[0xa2, 0x61, b'a', 0x01, 0x61, b'a', 0x02]).unwrap_err(),
        DecodeError::DuplicateKey
    );
    assert_eq!(
        Value::from_cbor(&[0x01, 0x02]).unwrap_err(),
        DecodeError::TrailingBytes
    );
    assert!(matches!(
        Value::from_cbor(&[0xf9, 0x7e, 0x00]),
        Err(DecodeError::Malformed(_))
    ));
    assert!(matches!(
        Value::from_cbor(&[0xf7]),
        Err(DecodeError::Malformed(_))
    ));
    assert!(matches!(
        Value::from_cbor(&[0xa1, 0x01, 0x02]),
        Err(DecodeError::UnexpectedType(_))
    ));
    assert!(matches!(
        Value::from_cbor(&[0x1c]),
        Err(DecodeError::Malformed(_))
    ));
    assert_eq!(
        Value::from_cbor(&[0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0]).unwrap_err(),
        DecodeError::OutOfRange
    );
}

#[test]
fn i02_signature_covers_raw_bytes() {
    let rk = root_key();
    let az = authorizer();
    let root = root_warrant();
    let payload = raw::payload_of(&root);
    let bad_sig = Denial::ChainInvalid {
        link: 0,
        rule: LinkRule::BadSignature,
    };

    // Control: the untampered chain is allowed.
    call(&az, &chain1(), &agent_key(), "transfer", &amount_args(5)).expect("control");

    // Flip one character of a tool name and keep the old signature.
    let tampered = raw::replace_once(&payload, b"transfer", b"transfes");
    let env = raw::envelope(&tampered, &root.signature().0);
    let w = Warrant::from_bytes(&env).expect("still canonical, still decodes");
    assert!(w.tool("transfes").is_some());
    assert!(!w.verify_signature());
    let chain = Chain::root(w);
    for tool in ["transfes", "ping"] {
        let args = if tool == "ping" {
            Value::Null
        } else {
            amount_args(5)
        };
        let d = denied(call(&az, &chain, &agent_key(), tool, &args));
        assert_eq!(d, bad_sig, "{tool}");
        assert_eq!(d.code(), "CHAIN_INVALID");
    }
    // The same through bytes, and a signature check never passes later
    // because of caching.
    let pop = pop_at(&agent_key(), &chain, "ping", &Value::Null, NOW);
    assert_eq!(
        denied(bytes_call(
            &az,
            Some(chain.as_bytes()),
            Some(&pop.to_bytes()),
            "ping",
            &Value::Null,
            NOW
        )),
        bad_sig
    );
    assert_eq!(
        denied(with_pop(&az, &chain, "ping", &Value::Null, &pop)),
        bad_sig
    );

    // Extend the expiry, keep the signature.
    let mut old = vec![0x06];
    old.extend(raw::uint(NOW + ROOT_TTL));
    let mut new = vec![0x06];
    new.extend(raw::uint(NOW + 90 * 24 * 3600));
    let longer = raw::replace_once(&payload, &old, &new);
    let w = Warrant::from_bytes(&raw::envelope(&longer, &root.signature().0)).expect("decodes");
    assert_eq!(w.expires_at(), NOW + 90 * 24 * 3600);
    let chain = Chain::root(w);
    assert_eq!(
        denied(call(&az, &chain, &agent_key(), "ping", &Value::Null)),
        bad_sig
    );

    // A tampered link 1 (wider path root) under a good root.
    let c2 = chain2();
    let l1 = &c2.links()[1];
    let l1_payload = raw::payload_of(l1);
    let wider = raw::replace_once(&l1_payload, b"/data/in", b"/data/io");
    let l1_bad = raw::envelope(&wider, &l1.signature().0);
    let chain = Chain::from_bytes(&raw::chain(&[c2.links()[0].as_bytes(), &l1_bad])).unwrap();
    assert_eq!(
        denied(call(
            &az,
            &chain,
            &worker_key(),
            "read_file",
            &path_args("/data/io/x")
        )),
        Denial::ChainInvalid {
            link: 1,
            rule: LinkRule::BadSignature
        }
    );

    // Domain separation: signatures over the payload without the warrant
    // domain, or with another domain, do not verify.
    let good = raw::signed_envelope(&payload, &rk);
    assert_eq!(good, root.to_bytes(), "control: domain || payload");
    for msg in [
        payload.clone(),
        raw::cat(&[POP_DOMAIN, &payload]),
        raw::cat(&[REVOCATION_DOMAIN, &payload]),
        raw::cat(&[b"warrants/v1/warrant", &payload]),
    ] {
        let env = raw::envelope(&payload, &rk.sign(&msg).0);
        let w = Warrant::from_bytes(&env).expect("decodes");
        assert!(!w.verify_signature());
        let chain = Chain::root(w);
        assert_eq!(
            denied(call(
                &authorizer(),
                &chain,
                &agent_key(),
                "ping",
                &Value::Null
            )),
            bad_sig
        );
    }
}
