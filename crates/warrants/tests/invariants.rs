//! One named negative test per security invariant (`docs/SPEC.md` cites
//! these names). Each test asserts the exact denial or error, and where it
//! is meaningful a positive control that the same setup is allowed, so a
//! test fails if the rule stops being enforced *or* if the fixture is broken.

// Helpers outside `#[test]` fns are not covered by clippy.toml's
// allow-*-in-tests settings; test code may unwrap, panic and index.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::raw::{self, Field};
use common::*;
use sha2::{Digest, Sha256};
use warrants::authorizer::render_violations;
use warrants::constraint::{ArgViolation, Exact, OneOf, Range, Subpath, ViolationKind, Wildcard};
use warrants::limits;
use warrants::pop::POP_DOMAIN;
use warrants::revocation::REVOCATION_DOMAIN;
use warrants::{
    Authorizer, BuildError, Call, Chain, Constraint, ConstraintSet, DecodeError, Denial, KeyError,
    LinkRule, Pop, PopWindow, PublicKey, Redaction, RevocationError, RevocationList, Signature,
    Value, Warrant,
};

/// The fields of the standard root payload with one value replaced.
fn patched(fields: &[Field], key: u8, value: Vec<u8>) -> Vec<u8> {
    let mut f = fields.to_vec();
    let i = raw::field_index(&f, key);
    f[i].1 = value;
    raw::payload(&f)
}

/// Authorize `tool(args)` with a given proof, at [`NOW`], standard window
/// and context.
fn with_pop(
    az: &Authorizer,
    chain: &Chain,
    tool: &str,
    args: &Value,
    pop: &Pop,
) -> Result<(), Denial> {
    az.authorize_at(chain, &Call::new(tool, args, CTX), pop, window_at(NOW), NOW)
        .map(|_| ())
}

/// Authorize from bytes at `now` with the standard window and context.
fn bytes_call(
    az: &Authorizer,
    chain: Option<&[u8]>,
    pop: Option<&[u8]>,
    tool: &str,
    args: &Value,
    now: u64,
) -> Result<warrants::Authorized, Denial> {
    az.authorize_bytes_at(chain, &Call::new(tool, args, CTX), pop, window_at(now), now)
}

fn violation(d: &Denial) -> &ArgViolation {
    match d {
        Denial::ConstraintViolated { violation, .. } => violation,
        other => panic!("expected CONSTRAINT_VIOLATED, got {other:?}"),
    }
}

fn mismatch(c: &str) -> ViolationKind {
    ViolationKind::Mismatch {
        constraint: c.to_owned(),
    }
}

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
