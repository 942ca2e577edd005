//! Shared fixtures for the `invariants` and `props` integration tests.
//!
//! Everything is deterministic: keys come from fixed seeds, ids are fixed,
//! and [`NOW`] is the one "current time". [`raw`] is a tiny hand-written
//! CBOR encoder used to craft canonical *and* non-canonical bytes without
//! going through the library's own writer, and [`strat`] holds the proptest
//! strategies (values, constraints, narrowing-biased parent/child pairs and
//! boundary probes).
#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use warrants::constraint::{Range, Subpath};
use warrants::warrant::{MintBuilder, WarrantId};
use warrants::{
    Authorized, Authorizer, Call, Chain, Constraint, Denial, Payload, Pop, PopWindow, PublicKey,
    SigningKey, Value, Warrant,
};

/// The fixed "current time" of every test (unix seconds).
pub const NOW: u64 = 1_700_000_000;
/// TTL of the standard root warrant, seconds.
pub const ROOT_TTL: u64 = 3600;
/// TTL of the standard link 1, seconds.
pub const LINK1_TTL: u64 = 1800;
/// TTL of the standard link 2, seconds.
pub const LINK2_TTL: u64 = 900;
/// The PoP context every standard call is bound to.
pub const CTX: &[u8] = b"wf-0001/act-0001";
/// Default authorizer clock skew (seconds), repeated here for boundaries.
pub const SKEW: u64 = 30;

/// A key from a fixed seed.
pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_seed(&[seed; 32])
}

/// The trusted root (control plane) key.
pub fn root_key() -> SigningKey {
    key(1)
}

/// Holder of the root warrant.
pub fn agent_key() -> SigningKey {
    key(2)
}

/// Holder of link 1.
pub fn worker_key() -> SigningKey {
    key(3)
}

/// Holder of link 2.
pub fn sub_key() -> SigningKey {
    key(4)
}

/// A key nobody trusts.
pub fn mallory_key() -> SigningKey {
    key(66)
}

/// A fixed warrant id.
pub fn wid(n: u8) -> WarrantId {
    WarrantId([n; 16])
}

/// Seconds as a `Duration`.
pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// `{"path": p}`.
pub fn path_args(p: &str) -> Value {
    Value::map([("path", p)])
}

/// `{"amount": n}`.
pub fn amount_args(n: impl Into<Value>) -> Value {
    Value::map([("amount", n.into())])
}

/// No tool arguments, as a capability list.
pub fn no_args() -> Vec<(String, Constraint)> {
    Vec::new()
}

/// The standard root builder (not yet signed): holder agent, issued at
/// [`NOW`], TTL [`ROOT_TTL`], `max_depth` 4, id 1, tools
/// `read_file{path: Subpath /data}`, `transfer{amount: 0..=100}`, `ping{}`.
pub fn std_mint() -> MintBuilder {
    Warrant::mint_builder()
        .holder(agent_key().public_key())
        .id(wid(1))
        .issued_at(NOW)
        .ttl(secs(ROOT_TTL))
        .max_depth(4)
        .capability(
            "read_file",
            [("path", Subpath::new("/data").unwrap().into())],
        )
        .capability(
            "transfer",
            [("amount", Range::between(0, 100).unwrap().into())],
        )
        .capability("ping", no_args())
}

/// The standard root warrant, signed by [`root_key`].
pub fn root_warrant() -> Warrant {
    std_mint().mint(&root_key()).expect("mint root")
}

/// Standard link 1 under `parent` (held by agent): holder worker, id 2,
/// `read_file{path: /data/in}`, `transfer{amount: 0..=50}`, `ping` inherited.
pub fn link1_of(parent: &Warrant) -> Warrant {
    parent
        .grant_builder()
        .holder(worker_key().public_key())
        .id(wid(2))
        .issued_at(NOW)
        .ttl(secs(LINK1_TTL))
        .capability(
            "read_file",
            [("path", Subpath::new("/data/in").unwrap().into())],
        )
        .capability(
            "transfer",
            [("amount", Range::between(0, 50).unwrap().into())],
        )
        .inherit("ping")
        .grant(&agent_key())
        .expect("grant link 1")
}

/// Standard link 2 under `parent` (held by worker): holder sub, id 3,
/// `read_file` inherited, `transfer{amount: 0..=10}`.
pub fn link2_of(parent: &Warrant) -> Warrant {
    parent
        .grant_builder()
        .holder(sub_key().public_key())
        .id(wid(3))
        .issued_at(NOW)
        .ttl(secs(LINK2_TTL))
        .inherit("read_file")
        .capability(
            "transfer",
            [("amount", Range::between(0, 10).unwrap().into())],
        )
        .grant(&worker_key())
        .expect("grant link 2")
}

/// Root only.
pub fn chain1() -> Chain {
    Chain::root(root_warrant())
}

/// Root and link 1.
pub fn chain2() -> Chain {
    let root = root_warrant();
    let l1 = link1_of(&root);
    Chain::root(root).push(l1).expect("push link 1")
}

/// Root, link 1 and link 2.
pub fn chain3() -> Chain {
    let c = chain2();
    let l2 = link2_of(c.leaf().unwrap());
    c.push(l2).expect("push link 2")
}

/// The key holding the leaf of a standard chain of `len` links.
pub fn leaf_key(len: usize) -> SigningKey {
    match len {
        1 => agent_key(),
        2 => worker_key(),
        3 => sub_key(),
        _ => panic!("no standard chain of {len} links"),
    }
}

/// An authorizer trusting [`root_key`] with default settings.
pub fn authorizer() -> Authorizer {
    Authorizer::builder()
        .trusted_root(root_key().public_key())
        .build()
}

/// The standard proof window around `now`: 60 s before, 5 s after.
pub fn window_at(now: u64) -> PopWindow {
    PopWindow::around(now, 60, 5)
}

/// Sign a proof for `tool(args)` under `chain`, bound to [`CTX`], at `ts`.
pub fn pop_at(holder: &SigningKey, chain: &Chain, tool: &str, args: &Value, ts: u64) -> Pop {
    Pop::sign(holder, chain, tool, args, CTX, ts)
}

/// Make a fresh proof at `now` and authorize at `now` through **both**
/// entry points: first `authorize_bytes_at` (from the chain and proof
/// bytes), then `authorize_at` (decoded chain). A denial leaves nothing
/// cached (except a bad proof over a good chain), so a denied call takes
/// each entry point's cold path. Both must reach the same decision (the
/// same denial); the result of the bytes call is returned, so `cache_hit`
/// reflects the calls made before this one.
pub fn call_at(
    az: &Authorizer,
    chain: &Chain,
    holder: &SigningKey,
    tool: &str,
    args: &Value,
    now: u64,
) -> Result<Authorized, Denial> {
    let pop = pop_at(holder, chain, tool, args, now);
    let call = Call::new(tool, args, CTX);
    let from_bytes = az.authorize_bytes_at(
        Some(chain.as_bytes()),
        &call,
        Some(&pop.to_bytes()),
        window_at(now),
        now,
    );
    let decoded = az.authorize_at(chain, &call, &pop, window_at(now), now);
    assert_eq!(
        from_bytes.as_ref().map(|_| ()),
        decoded.as_ref().map(|_| ()),
        "authorize_bytes_at and authorize_at disagree on `{tool}`"
    );
    from_bytes
}

/// Make a fresh proof and authorize, both at [`NOW`].
pub fn call(
    az: &Authorizer,
    chain: &Chain,
    holder: &SigningKey,
    tool: &str,
    args: &Value,
) -> Result<Authorized, Denial> {
    call_at(az, chain, holder, tool, args, NOW)
}

/// The denial of a result that must be denied.
#[track_caller]
pub fn denied<T: std::fmt::Debug>(r: Result<T, Denial>) -> Denial {
    match r {
        Err(d) => d,
        Ok(v) => panic!("expected a denial, got {v:?}"),
    }
}

/// A well-formed child payload of `parent` (issuer = parent holder, parent
/// hash, depth + 1, same `max_depth`, same tools, valid for the first half
/// of the parent's life), for tests to break one field at a time.
pub fn child_payload(parent: &Warrant, holder: PublicKey, id: WarrantId) -> Payload {
    let p = parent.payload();
    Payload {
        id,
        issuer: p.holder,
        holder,
        issued_at: p.issued_at,
        expires_at: p.issued_at + (p.expires_at - p.issued_at) / 2,
        depth: p.depth + 1,
        max_depth: p.max_depth,
        parent: Some(*parent.hash()),
        tools: p.tools.clone(),
        extensions: Default::default(),
    }
}

/// A tiny hand-written CBOR encoder (independent of the library's writer)
/// for crafting canonical and non-canonical inputs.
pub mod raw {
    use warrants::warrant::WARRANT_DOMAIN;
    use warrants::{Payload, SigningKey, Warrant};

    /// A head in its shortest form.
    pub fn head(major: u8, arg: u64) -> Vec<u8> {
        let mt = major << 5;
        if arg < 24 {
            vec![mt | arg as u8]
        } else if arg <= 0xff {
            vec![mt | 24, arg as u8]
        } else if arg <= 0xffff {
            let mut v = vec![mt | 25];
            v.extend_from_slice(&(arg as u16).to_be_bytes());
            v
        } else if arg <= 0xffff_ffff {
            let mut v = vec![mt | 26];
            v.extend_from_slice(&(arg as u32).to_be_bytes());
            v
        } else {
            let mut v = vec![mt | 27];
            v.extend_from_slice(&arg.to_be_bytes());
            v
        }
    }

    /// A head with an explicit argument width (`info` 24..=27), whether or
    /// not it is the shortest.
    pub fn head_wide(major: u8, arg: u64, info: u8) -> Vec<u8> {
        let mut v = vec![(major << 5) | info];
        match info {
            24 => v.push(arg as u8),
            25 => v.extend_from_slice(&(arg as u16).to_be_bytes()),
            26 => v.extend_from_slice(&(arg as u32).to_be_bytes()),
            27 => v.extend_from_slice(&arg.to_be_bytes()),
            _ => panic!("info must be 24..=27"),
        }
        v
    }

    /// Unsigned integer.
    pub fn uint(v: u64) -> Vec<u8> {
        head(0, v)
    }

    /// Byte string.
    pub fn bstr(b: &[u8]) -> Vec<u8> {
        let mut v = head(2, b.len() as u64);
        v.extend_from_slice(b);
        v
    }

    /// Text string.
    pub fn text(s: &str) -> Vec<u8> {
        let mut v = head(3, s.len() as u64);
        v.extend_from_slice(s.as_bytes());
        v
    }

    /// Array head.
    pub fn array(n: usize) -> Vec<u8> {
        head(4, n as u64)
    }

    /// Map head.
    pub fn map(n: usize) -> Vec<u8> {
        head(5, n as u64)
    }

    /// Concatenate byte pieces.
    pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    /// Envelope `[1, payload, signature]` around given bytes.
    pub fn envelope(payload: &[u8], signature: &[u8]) -> Vec<u8> {
        cat(&[&array(3), &uint(1), &bstr(payload), &bstr(signature)])
    }

    /// The message a warrant signature covers.
    pub fn warrant_message(payload: &[u8]) -> Vec<u8> {
        cat(&[WARRANT_DOMAIN, payload])
    }

    /// Envelope around `payload`, correctly signed by `key` (domain
    /// separated), whatever the payload contains.
    pub fn signed_envelope(payload: &[u8], key: &SigningKey) -> Vec<u8> {
        let sig = key.sign(&warrant_message(payload));
        envelope(payload, &sig.0)
    }

    /// A chain array of envelopes.
    pub fn chain(envelopes: &[&[u8]]) -> Vec<u8> {
        let mut v = array(envelopes.len());
        for e in envelopes {
            v.extend_from_slice(e);
        }
        v
    }

    /// The payload bytes exactly as signed (no re-encoding).
    pub fn payload_of(w: &Warrant) -> Vec<u8> {
        w.signed_message()[WARRANT_DOMAIN.len()..].to_vec()
    }

    /// Replace the one occurrence of `needle` in `hay`.
    #[track_caller]
    pub fn replace_once(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
        let hits: Vec<usize> = hay
            .windows(needle.len())
            .enumerate()
            .filter(|(_, w)| *w == needle)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(hits.len(), 1, "needle must occur exactly once");
        let i = hits[0];
        cat(&[&hay[..i], with, &hay[i + needle.len()..]])
    }

    /// One payload map entry: encoded key and encoded value.
    pub type Field = (Vec<u8>, Vec<u8>);

    /// The fields of a payload without extensions, encoded by hand: keys
    /// 1-9 field by field, key 10 (tools) cut from the library's encoding.
    /// Checked to reassemble to exactly the library's bytes.
    pub fn fields(p: &Payload) -> Vec<Field> {
        assert!(p.extensions.is_empty(), "fields() handles no extensions");
        let mut f: Vec<Field> = vec![
            (uint(1), uint(1)),
            (uint(2), bstr(&p.id.0)),
            (uint(3), bstr(p.issuer.as_bytes())),
            (uint(4), bstr(p.holder.as_bytes())),
            (uint(5), uint(p.issued_at)),
            (uint(6), uint(p.expires_at)),
            (uint(7), uint(u64::from(p.depth))),
            (uint(8), uint(u64::from(p.max_depth))),
        ];
        if let Some(h) = &p.parent {
            f.push((uint(9), bstr(h)));
        }
        let lib = p.encode();
        let prefix_len: usize =
            map(f.len() + 1).len() + f.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
        let tools_key = uint(10);
        assert_eq!(
            &lib[prefix_len..prefix_len + tools_key.len()],
            &tools_key[..]
        );
        f.push((
            tools_key.clone(),
            lib[prefix_len + tools_key.len()..].to_vec(),
        ));
        assert_eq!(payload(&f), lib, "hand encoding must equal the library's");
        f
    }

    /// A payload map from fields, in the given order, with a shortest head.
    pub fn payload(fields: &[Field]) -> Vec<u8> {
        let mut v = map(fields.len());
        for (k, val) in fields {
            v.extend_from_slice(k);
            v.extend_from_slice(val);
        }
        v
    }

    /// The index of the field with integer key `k` (keys < 24).
    pub fn field_index(fields: &[Field], k: u8) -> usize {
        fields
            .iter()
            .position(|(key, _)| key == &[k])
            .expect("field present")
    }

    /// A tools map with one tool and one named argument whose constraint is
    /// the given raw bytes: `{tool: [false, {arg: constraint}]}`.
    pub fn one_tool(tool: &str, arg: &str, constraint: &[u8]) -> Vec<u8> {
        cat(&[
            &map(1),
            &text(tool),
            &array(2),
            &[0xf4],
            &map(1),
            &text(arg),
            constraint,
        ])
    }
}

/// Proptest strategies.
pub mod strat {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use warrants::constraint::{Bound, Exact, OneOf, Pattern, Range, Subpath, Wildcard};
    use warrants::{Constraint, ConstraintSet, Value};

    /// Interesting floats (never NaN).
    pub const SPECIAL_FLOATS: &[f64] = &[
        0.5,
        -0.0,
        1.5,
        -2.5,
        0.1,
        2.0,
        65504.0,
        65505.0,
        1e300,
        -1e-300,
        5e-324,
        f64::MIN_POSITIVE,
        f64::INFINITY,
        f64::NEG_INFINITY,
        9_223_372_036_854_775_808.0,
        -9_223_372_036_854_775_808.0,
        18_446_744_073_709_551_616.0,
        3.4028234663852886e38,
    ];

    /// A scalar value of any kind (no NaN).
    pub fn leaf_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            (-300i64..300).prop_map(Value::Int),
            prop::sample::select(vec![
                0,
                23,
                24,
                255,
                256,
                65535,
                65536,
                4_294_967_295,
                4_294_967_296,
                i64::MAX,
                i64::MIN,
                -24,
                -25,
                -256,
                -257,
            ])
            .prop_map(Value::Int),
            any::<f64>()
                .prop_filter("no nan", |f| !f.is_nan())
                .prop_map(Value::Float),
            prop::sample::select(SPECIAL_FLOATS).prop_map(Value::Float),
            "\\PC{0,30}".prop_map(Value::Text),
            prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        ]
    }

    /// Any value (nesting at most 4).
    pub fn value() -> impl Strategy<Value = Value> {
        leaf_value().prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
                prop::collection::btree_map("[a-z]{0,5}|\\PC{0,3}", inner, 0..6)
                    .prop_map(Value::Map),
            ]
        })
    }

    /// A number for range bounds and numeric probes: small ints, halves
    /// (including integral floats such as `5.0`), extremes.
    pub fn bound_num() -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => (-12i64..12).prop_map(Value::Int),
            4 => (-24i64..24).prop_map(|h| Value::Float(h as f64 / 2.0)),
            1 => prop::sample::select(vec![
                Value::Float(f64::INFINITY),
                Value::Float(f64::NEG_INFINITY),
                Value::Int(i64::MAX),
                Value::Int(i64::MIN),
                Value::Float(9_223_372_036_854_775_808.0),
                Value::Float(-9_223_372_036_854_775_808.0),
                Value::Float(0.1),
            ]),
        ]
    }

    /// A bound from a number and inclusiveness.
    pub fn mk_bound(v: Value, inclusive: bool) -> Bound {
        if inclusive {
            Bound::inclusive(v)
        } else {
            Bound::exclusive(v)
        }
    }

    /// A valid (non-empty) range.
    pub fn range() -> impl Strategy<Value = Range> {
        (
            prop::option::weighted(0.75, (bound_num(), any::<bool>())),
            prop::option::weighted(0.75, (bound_num(), any::<bool>())),
        )
            .prop_filter_map("non-empty range", |(lo, hi)| {
                Range::new(
                    lo.map(|(v, i)| mk_bound(v, i)),
                    hi.map(|(v, i)| mk_bound(v, i)),
                )
                .ok()
            })
    }

    /// Path components, including look-alikes (`database` vs `data`).
    pub const COMPONENTS: &[&str] = &[
        "data", "database", "in", "out", "x", "a b", "é", ".hidden", "...", "d",
    ];

    /// A normalized absolute root of 0 to 3 components.
    pub fn subpath_root() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(COMPONENTS), 0..4)
            .prop_map(|c| format!("/{}", c.join("/")))
    }

    /// A subpath constraint.
    pub fn subpath() -> impl Strategy<Value = Subpath> {
        subpath_root().prop_map(|r| Subpath::new(r).unwrap())
    }

    /// Literal glob pieces (no metacharacters, or escaped ones).
    pub const GLOB_LITERALS: &[&str] = &[
        "a", "b", "ab", "/", "/data", "/data/", ".", ".txt", "x", "\\*", "\\?", "\\[",
    ];

    /// Glob pieces with metacharacters.
    pub const GLOB_METAS: &[&str] = &[
        "*", "**", "?", "[ab]", "[!a]", "[a-c]", "[^/]", "*.txt", "**/x",
    ];

    /// A glob piece, literal or meta.
    pub fn glob_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(GLOB_LITERALS).prop_map(str::to_owned),
            2 => prop::sample::select(GLOB_METAS).prop_map(str::to_owned),
        ]
    }

    /// A literal glob (a sequence of literal pieces).
    pub fn literal_glob() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(GLOB_LITERALS), 0..4).prop_map(|v| v.concat())
    }

    /// A glob, often of the `L**` shape that narrows by prefix extension.
    pub fn glob() -> impl Strategy<Value = String> {
        prop_oneof![
            2 => literal_glob().prop_map(|l| format!("{l}**")),
            2 => prop::collection::vec(glob_piece(), 0..5).prop_map(|v| v.concat()),
            1 => literal_glob(),
        ]
    }

    /// A pattern constraint.
    pub fn pattern() -> impl Strategy<Value = Pattern> {
        glob().prop_filter_map("valid glob", |g| Pattern::new(g).ok())
    }

    /// A probe string: paths and glob-ish text.
    pub fn probe_text() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::collection::vec(
                prop::sample::select(vec![
                    "data", "database", "in", "x", "..", ".", "", "a", "b", "ab", "*", "?",
                    "a.txt", "\\",
                ]),
                0..5
            )
            .prop_map(|c| format!("/{}", c.join("/"))),
            prop::collection::vec(
                prop::sample::select(vec![
                    "a", "b", "/", ".", "x", "*", "?", "[", "]", "\\", ".txt", "\n", "data", "é",
                ]),
                0..6
            )
            .prop_map(|v| v.concat()),
        ]
    }

    /// A probe value of any interesting kind.
    pub fn probe_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            3 => bound_num(),
            3 => probe_text().prop_map(Value::Text),
            1 => leaf_value(),
        ]
    }

    /// A constraint with an unknown type id (decodes, never matches).
    pub fn unknown_constraint() -> Constraint {
        Constraint::from_cbor(&[0x82, 0x18, 0x63, 0x61, b'x']).unwrap()
    }

    /// Any constraint of any type (including an unknown one).
    pub fn constraint() -> impl Strategy<Value = Constraint> {
        prop_oneof![
            2 => Just(Constraint::from(Wildcard::new())),
            2 => probe_value().prop_map(|v| Exact::new(v).unwrap().into()),
            1 => value().prop_filter_map("no nan", |v| Exact::new(v).ok().map(Into::into)),
            2 => prop::collection::vec(probe_value(), 1..5)
                .prop_map(|v| OneOf::new(v).unwrap().into()),
            3 => range().prop_map(Into::into),
            3 => pattern().prop_map(Into::into),
            3 => subpath().prop_map(Into::into),
            1 => Just(unknown_constraint()),
        ]
    }

    /// Argument names used in sets.
    pub const ARG_NAMES: &[&str] = &["path", "amount", "mode", "n"];

    /// A constraint set of 0 to 3 arguments, sometimes `allow_unknown`.
    pub fn constraint_set() -> impl Strategy<Value = ConstraintSet> {
        (
            prop::collection::btree_map(prop::sample::select(ARG_NAMES), constraint(), 0..4),
            prop::bool::weighted(0.25),
        )
            .prop_map(|(args, open)| {
                let s = ConstraintSet::from_args(args);
                if open {
                    s.allow_unknown()
                } else {
                    s
                }
            })
    }

    /// A tools map for a warrant: 1 to 4 tools.
    pub fn tools() -> impl Strategy<Value = BTreeMap<String, ConstraintSet>> {
        prop::collection::btree_map("[a-z_]{1,12}", constraint_set(), 1..5)
    }

    // ---- Narrowing-biased children and boundary probes ----

    /// `v + d`, keeping an `Int` an `Int` when `d` is integral.
    pub fn num_add(v: &Value, d: f64) -> Value {
        match v {
            Value::Int(i) if d.fract() == 0.0 => Value::Int(i.saturating_add(d as i64)),
            Value::Int(i) => Value::Float(*i as f64 + d),
            Value::Float(f) => Value::Float(f + d),
            other => other.clone(),
        }
    }

    /// The same number in the other representation (`5` <-> `5.0`), when
    /// exact.
    pub fn flip_repr(v: &Value) -> Value {
        match v {
            Value::Int(i) if (*i as f64) as i64 == *i && i.unsigned_abs() < (1 << 53) => {
                Value::Float(*i as f64)
            }
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Value::Int(*f as i64),
            other => other.clone(),
        }
    }

    /// Deltas used to move bounds (negative ones widen).
    const DELTAS: &[f64] = &[0.0, 0.0, 0.5, 1.0, 3.0, -0.5, -1.0];

    /// A child range derived from `p` by moving its bounds (mostly inward).
    pub fn range_child(p: &Range) -> BoxedStrategy<Constraint> {
        let p = p.clone();
        (
            prop::sample::select(DELTAS),
            prop::sample::select(DELTAS),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            prop::option::of((bound_num(), any::<bool>())),
            prop::option::of((bound_num(), any::<bool>())),
        )
            .prop_map(move |(dl, dh, il, ih, flip, free_lo, free_hi)| {
                let lo = match p.min() {
                    Some(b) => {
                        let mut v = num_add(b.value(), dl);
                        if flip {
                            v = flip_repr(&v);
                        }
                        Some(mk_bound(v, il))
                    }
                    None => free_lo.map(|(v, i)| mk_bound(v, i)),
                };
                let hi = match p.max() {
                    Some(b) => {
                        let mut v = num_add(b.value(), -dh);
                        if flip {
                            v = flip_repr(&v);
                        }
                        Some(mk_bound(v, ih))
                    }
                    None => free_hi.map(|(v, i)| mk_bound(v, i)),
                };
                // An empty derived range falls back to the parent itself.
                Range::new(lo, hi).map_or_else(|_| p.clone().into(), Constraint::from)
            })
            .boxed()
    }

    /// A child subpath: the parent root plus 0 to 2 components.
    pub fn subpath_child(p: &Subpath) -> BoxedStrategy<Constraint> {
        let root = p.root().to_owned();
        prop::collection::vec(prop::sample::select(COMPONENTS), 0..3)
            .prop_map(move |extra| {
                let mut r = root.clone();
                for c in extra {
                    if !r.ends_with('/') {
                        r.push('/');
                    }
                    r.push_str(c);
                }
                Subpath::new(r).unwrap().into()
            })
            .boxed()
    }

    /// A child pattern: the parent glob itself, a prefix extension of an
    /// `L**` parent, or the parent's prefix with an arbitrary tail.
    pub fn pattern_child(p: &Pattern) -> BoxedStrategy<Constraint> {
        let parent = p.clone();
        let g = p.glob().to_owned();
        let lit = g.strip_suffix("**").map(str::to_owned);
        let g2 = g.clone();
        prop_oneof![
            1 => Just(g.clone()),
            4 => (literal_glob(), prop::collection::vec(glob_piece(), 0..3)).prop_map(
                move |(ext, tail)| match &lit {
                    Some(l) => format!("{l}{ext}{}", tail.concat()),
                    None => format!("{g2}{ext}{}", tail.concat()),
                }
            ),
            1 => glob(),
        ]
        .prop_map(move |g| Pattern::new(g).map_or_else(|_| parent.clone().into(), Into::into))
        .boxed()
    }

    /// Values near every boundary of `c` (and generic traps).
    pub fn boundary_probes(c: &Constraint) -> Vec<Value> {
        let mut out = Vec::new();
        match c {
            Constraint::Range(r) => {
                for b in r.min().into_iter().chain(r.max()) {
                    let v = b.value();
                    for d in [0.0, 1.0, -1.0, 0.5, -0.5, 1e-9, -1e-9] {
                        let x = num_add(v, d);
                        out.push(flip_repr(&x));
                        out.push(x);
                    }
                    if let Value::Float(f) = v {
                        out.push(Value::Float(f.next_up()));
                        out.push(Value::Float(f.next_down()));
                    }
                    if let Value::Int(i) = v {
                        out.push(Value::Float(*i as f64));
                        out.push(Value::Float(*i as f64 + 0.5));
                        out.push(Value::Float(*i as f64 - 0.5));
                    }
                }
                out.push(Value::Float(f64::NAN));
                out.push(Value::Text("5".into()));
            }
            Constraint::Subpath(s) => {
                let r = s.root().trim_end_matches('/').to_owned();
                let last = r.rsplit('/').next().unwrap_or("").to_owned();
                for suffix in [
                    "",
                    "/",
                    "/x",
                    "x",
                    "base",
                    "/../etc",
                    "/x/..",
                    "/x/../..",
                    "/x/../../etc",
                    "//x",
                    "/./x",
                    "/.",
                    "/..",
                    "/x/../y",
                    "/\0x",
                    "/..x",
                    "/.../x",
                ] {
                    out.push(Value::Text(format!("{r}{suffix}")));
                }
                out.push(Value::Text(format!("/.{r}")));
                out.push(Value::Text(format!("//{r}/x")));
                out.push(Value::Text(format!("{r}/./..")));
                out.push(Value::Text(r.trim_start_matches('/').to_owned()));
                out.push(Value::Text(format!("{r}/../{last}/x")));
                out.push(Value::Text("/".into()));
                out.push(Value::Text(String::new()));
            }
            Constraint::Pattern(p) => {
                let g = p.glob();
                let lit: String = g
                    .chars()
                    .take_while(|c| !matches!(c, '*' | '?' | '[' | '\\'))
                    .collect();
                for s in [
                    g.to_owned(),
                    g.replace("**", "a/b").replace('*', "abc").replace('?', "q"),
                    g.replace("**", "").replace('*', "").replace('?', "/"),
                    g.replace('\\', ""),
                    lit.clone(),
                    format!("{lit}x"),
                    format!("{lit}/x"),
                    format!("{lit}x/y"),
                    format!("{lit}\n"),
                    lit.chars()
                        .rev()
                        .skip(1)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect(),
                    String::new(),
                ] {
                    out.push(Value::Text(s));
                }
            }
            Constraint::Exact(e) => {
                out.push(e.value().clone());
                out.push(flip_repr(e.value()));
                out.push(num_add(e.value(), 0.5));
            }
            Constraint::OneOf(o) => {
                for v in o.values() {
                    out.push(v.clone());
                    out.push(flip_repr(v));
                }
            }
            _ => {}
        }
        out
    }

    /// A child constraint for `p`: mostly derived to narrow (type-specific
    /// derivation, or finite children drawn from values `p` matches), with
    /// some arbitrary constraints of any type (cross-type pairs).
    pub fn child_of(p: &Constraint) -> BoxedStrategy<Constraint> {
        let derived: BoxedStrategy<Constraint> = match p {
            Constraint::Range(r) => range_child(r),
            Constraint::Subpath(s) => subpath_child(s),
            Constraint::Pattern(g) => pattern_child(g),
            _ => constraint().boxed(),
        };
        let mut allowed: Vec<Value> = boundary_probes(p)
            .into_iter()
            .filter(|v| p.matches(v) && !v.contains_nan())
            .collect();
        // For Subpath/Pattern/Range parents, add a few more matching values
        // derived from a child, so finite children are plentiful.
        if allowed.is_empty() {
            allowed.push(Value::Text("/data".into()));
        }
        let pool = allowed.clone();
        let finite = prop_oneof![
            prop::sample::select(pool.clone()).prop_map(|v| Exact::new(v).unwrap().into()),
            prop::collection::vec(prop::sample::select(pool), 1..4)
                .prop_map(|v| OneOf::new(v).unwrap().into()),
            (prop::sample::select(allowed), probe_value())
                .prop_map(|(a, b)| OneOf::new([a, b]).unwrap().into()),
        ];
        prop_oneof![
            4 => derived,
            3 => finite,
            2 => constraint(),
            1 => Just(p.clone()),
        ]
        .boxed()
    }

    /// A (parent, child) pair of constraints biased toward narrowing.
    pub fn constraint_pair() -> impl Strategy<Value = (Constraint, Constraint)> {
        constraint().prop_flat_map(|p| {
            let c = child_of(&p);
            (Just(p), c)
        })
    }

    /// Probe values for a pair: random ones (the boundary probes of both
    /// sides are added by the test).
    pub fn probes() -> impl Strategy<Value = Vec<Value>> {
        prop::collection::vec(probe_value(), 0..12)
    }

    /// A child set derived from `p`: each argument narrowed (biased), with
    /// occasional drops, extra arguments and `allow_unknown` flips.
    pub fn set_child(p: &ConstraintSet) -> BoxedStrategy<ConstraintSet> {
        let names: Vec<String> = p.args().keys().cloned().collect();
        let children: Vec<BoxedStrategy<Constraint>> = p.args().values().map(child_of).collect();
        let open = p.allows_unknown();
        let drop_pool = if names.is_empty() {
            vec!["path".to_owned()]
        } else {
            names.clone()
        };
        (
            children,
            prop::option::weighted(0.1, prop::sample::select(drop_pool)),
            prop::option::weighted(0.15, (prop::sample::select(ARG_NAMES), constraint())),
            prop::bool::weighted(if open { 0.5 } else { 0.1 }),
            prop::bool::weighted(0.05),
        )
            .prop_map(move |(cs, drop, extra, child_open, empty)| {
                if empty {
                    return ConstraintSet::new();
                }
                let mut args: BTreeMap<String, Constraint> =
                    names.iter().cloned().zip(cs).collect();
                if let Some(d) = drop {
                    args.remove(&d);
                }
                if let Some((n, c)) = extra {
                    args.entry(n.to_owned()).or_insert(c);
                }
                let s = ConstraintSet::from_args(args);
                if child_open {
                    s.allow_unknown()
                } else {
                    s
                }
            })
            .boxed()
    }

    /// Candidate values for one argument: the boundary probes (and finite
    /// values) of every constraint on it, or random probes when none.
    fn arg_pool(constraints: &[&Constraint]) -> Vec<Value> {
        let mut pool: Vec<Value> = Vec::new();
        for con in constraints {
            pool.extend(boundary_probes(con));
        }
        pool.push(Value::Int(1));
        pool.push(Value::Text("/data/in/x".into()));
        pool
    }

    /// Argument maps to probe a (parent, child) set pair with: every name
    /// of either set (present with probability 0.9) plus an `extra` name
    /// (probability 0.15); each value from that argument's boundary probes
    /// (both sides) or a random probe; rarely a non-map.
    pub fn arg_maps(p: &ConstraintSet, c: &ConstraintSet) -> BoxedStrategy<Vec<Value>> {
        let mut names: Vec<String> = p.args().keys().chain(c.args().keys()).cloned().collect();
        names.sort();
        names.dedup();
        let per_name: Vec<BoxedStrategy<Option<Value>>> = names
            .iter()
            .map(|n| {
                let cons: Vec<&Constraint> =
                    p.args().get(n).into_iter().chain(c.args().get(n)).collect();
                let pool = arg_pool(&cons);
                prop::option::weighted(
                    0.9,
                    prop_oneof![
                        4 => prop::sample::select(pool),
                        1 => probe_value(),
                    ],
                )
                .boxed()
            })
            .collect();
        let extra = prop::option::weighted(0.15, probe_value());
        let one = (per_name, extra, prop::bool::weighted(0.03)).prop_map(
            move |(vals, extra, not_map)| {
                if not_map {
                    return Value::Int(7);
                }
                let mut m: BTreeMap<String, Value> = names
                    .iter()
                    .cloned()
                    .zip(vals)
                    .filter_map(|(n, v)| v.map(|v| (n, v)))
                    .collect();
                if let Some(x) = extra {
                    m.insert("extra".into(), x);
                }
                Value::Map(m)
            },
        );
        prop::collection::vec(one, 1..8).boxed()
    }

    /// A (parent set, child set, argument maps) triple.
    pub fn set_triple() -> impl Strategy<Value = (ConstraintSet, ConstraintSet, Vec<Value>)> {
        constraint_set()
            .prop_flat_map(|p| {
                let c = set_child(&p);
                (Just(p), c)
            })
            .prop_flat_map(|(p, c)| {
                let maps = arg_maps(&p, &c);
                (Just(p), Just(c), maps)
            })
    }
}
