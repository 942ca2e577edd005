//! Fuzz harness functions, shared by the cargo-fuzz targets in
//! `fuzz/fuzz_targets/` and by the stable-toolchain replay test
//! `crates/warrants/tests/fuzz_corpus.rs` (which includes this file with
//! `#[path]`). Each function takes arbitrary bytes and panics (via
//! `assert!`) only when an invariant breaks:
//!
//! * no panic, no unbounded allocation (libFuzzer's `-rss_limit_mb` /
//!   `-malloc_limit_mb` catch the latter);
//! * garbage is denied: nothing but a validly signed chain by the fixed root
//!   key, with the proof the vector made for it, is ever authorized;
//! * decoders are strict: anything that decodes re-encodes to the same bytes;
//! * the two authorization paths (decoded chain, header bytes) and the
//!   cached and uncached authorizers agree on allow/deny;
//! * attenuation is sound: an accepted narrowing never lets the child allow
//!   a value the parent refuses;
//! * `Subpath` never lets a path out of its root (checked against an
//!   independent lexical normalizer).
//!
//! Only the `warrants` crate, `serde_json` and `std` are used, so that the
//! file compiles both in the fuzz crate and as a module of a `warrants`
//! integration test.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use warrants::constraint::{Pattern, Subpath, UrlPattern, UrlSafe};
use warrants::keys::from_base64url;
use warrants::warrant::{Header, Payload};
use warrants::{
    Authorizer, Call, Chain, Constraint, Pop, PopWindow, PublicKey, RevocationList, Value, Warrant,
};

/// The committed valid vectors: every one of them must be allowed, and
/// nothing else may be.
const VALID_VECTORS: &[&str] = &[
    include_str!("../../vectors/valid/depth1.json"),
    include_str!("../../vectors/valid/depth2.json"),
    include_str!("../../vectors/valid/depth3.json"),
    include_str!("../../vectors/valid/depth3_exact.json"),
    include_str!("../../vectors/valid/float_arg.json"),
    include_str!("../../vectors/valid/clock_skew_early.json"),
    include_str!("../../vectors/valid/clock_skew_late.json"),
    include_str!("../../vectors/valid/pop_window_edges.json"),
];

/// The committed invalid vectors: some carry genuine proofs (made by the
/// right holder, outside the window of their own vector), which another
/// vector's window may accept.
const INVALID_VECTORS: &[&str] = &[
    include_str!("../../vectors/invalid/bad_link_signature.json"),
    include_str!("../../vectors/invalid/chain_too_deep.json"),
    include_str!("../../vectors/invalid/constraint_violated.json"),
    include_str!("../../vectors/invalid/constraint_widened.json"),
    include_str!("../../vectors/invalid/depth_exceeds_max.json"),
    include_str!("../../vectors/invalid/expired.json"),
    include_str!("../../vectors/invalid/expired_parent_link.json"),
    include_str!("../../vectors/invalid/expiry_extended.json"),
    include_str!("../../vectors/invalid/issuer_not_parent_holder.json"),
    include_str!("../../vectors/invalid/malformed_depth_above_max_depth.json"),
    include_str!("../../vectors/invalid/malformed_non_canonical_int.json"),
    include_str!("../../vectors/invalid/malformed_trailing_bytes.json"),
    include_str!("../../vectors/invalid/missing_argument.json"),
    include_str!("../../vectors/invalid/missing_chain.json"),
    include_str!("../../vectors/invalid/missing_pop.json"),
    include_str!("../../vectors/invalid/not_yet_valid.json"),
    include_str!("../../vectors/invalid/parent_hash_mismatch.json"),
    include_str!("../../vectors/invalid/path_traversal.json"),
    include_str!("../../vectors/invalid/pop_from_future.json"),
    include_str!("../../vectors/invalid/pop_parent_holder.json"),
    include_str!("../../vectors/invalid/pop_stale.json"),
    include_str!("../../vectors/invalid/pop_wrong_args.json"),
    include_str!("../../vectors/invalid/pop_wrong_context.json"),
    include_str!("../../vectors/invalid/pop_wrong_key.json"),
    include_str!("../../vectors/invalid/revoked_root.json"),
    include_str!("../../vectors/invalid/tool_not_granted.json"),
    include_str!("../../vectors/invalid/tool_widened.json"),
    include_str!("../../vectors/invalid/unexpected_argument.json"),
    include_str!("../../vectors/invalid/untrusted_root.json"),
];

/// Every proof in the committed vectors. A fuzzer cannot forge a
/// signature, so any proof that verifies must be one of these.
fn known_pops() -> &'static [Vec<u8>] {
    static P: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    P.get_or_init(|| {
        VALID_VECTORS
            .iter()
            .chain(INVALID_VECTORS)
            .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .filter_map(|v| v.get("pop_b64")?.as_str().map(b64))
            .collect()
    })
}

/// One valid vector, decoded, with its authorizers.
pub struct Fixture {
    /// Vector name.
    pub name: String,
    /// Chain bytes.
    pub chain: Vec<u8>,
    /// Proof bytes.
    pub pop: Vec<u8>,
    /// Tool called.
    pub tool: String,
    /// Argument value.
    pub args: Value,
    /// Context bytes.
    pub context: Vec<u8>,
    /// Proof window.
    pub window: PopWindow,
    /// Verification time.
    pub now: u64,
    /// Leaf holder key.
    pub holder: PublicKey,
    /// Leaf envelope hash.
    pub leaf_hash: [u8; 32],
    /// Authorizer without a cache.
    pub cold: Authorizer,
    /// Authorizer with the default cache (kept across inputs).
    pub cached: Authorizer,
}

fn json_str<'a>(v: &'a serde_json::Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = cur.get(p).unwrap_or(&serde_json::Value::Null);
    }
    let s = cur.as_str();
    assert!(s.is_some(), "vector field {path:?} missing");
    s.unwrap_or_default()
}

fn json_u64(v: &serde_json::Value, path: &[&str]) -> u64 {
    let mut cur = v;
    for p in path {
        cur = cur.get(p).unwrap_or(&serde_json::Value::Null);
    }
    let n = cur.as_u64();
    assert!(n.is_some(), "vector field {path:?} missing");
    n.unwrap_or_default()
}

fn b64(s: &str) -> Vec<u8> {
    let b = from_base64url(s);
    assert!(b.is_ok(), "bad base64url in vector");
    b.unwrap_or_default()
}

fn load_fixture(text: &str) -> Option<Fixture> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let chain = b64(json_str(&v, &["chain_b64"]));
    let pop = b64(json_str(&v, &["pop_b64"]));
    let args = Value::from_cbor(&b64(json_str(&v, &["call", "args_cbor_b64"]))).ok()?;
    let context = b64(json_str(&v, &["call", "context_b64"]));
    let root = PublicKey::from_base64url(v.get("trusted_roots")?.get(0)?.as_str()?).ok()?;
    let skew = json_u64(&v, &["clock_skew"]);
    let max_links = usize::try_from(json_u64(&v, &["max_chain_links"])).ok()?;
    let decoded = Chain::from_bytes(&chain).ok()?;
    let leaf = decoded.leaf()?;
    let build = |cap: usize| {
        Authorizer::builder()
            .trusted_root(root)
            .clock_skew(skew)
            .max_chain_links(max_links)
            .cache_capacity(cap)
            .build()
    };
    Some(Fixture {
        name: json_str(&v, &["name"]).to_owned(),
        tool: json_str(&v, &["call", "tool"]).to_owned(),
        window: PopWindow::around(
            json_u64(&v, &["window", "reference"]),
            json_u64(&v, &["window", "before"]),
            json_u64(&v, &["window", "after"]),
        ),
        now: json_u64(&v, &["now"]),
        holder: *leaf.holder(),
        leaf_hash: *leaf.hash(),
        chain,
        pop,
        args,
        context,
        cold: build(0),
        cached: build(16),
    })
}

/// The valid vectors, loaded once. Each is checked to be allowed.
pub fn fixtures() -> &'static [Fixture] {
    static F: OnceLock<Vec<Fixture>> = OnceLock::new();
    F.get_or_init(|| {
        let all: Vec<Fixture> = VALID_VECTORS
            .iter()
            .filter_map(|t| load_fixture(t))
            .collect();
        assert_eq!(
            all.len(),
            VALID_VECTORS.len(),
            "a valid vector did not load"
        );
        for f in &all {
            let call = Call::new(&f.tool, &f.args, &f.context);
            let r = f
                .cold
                .authorize_bytes_at(Some(&f.chain), &call, Some(&f.pop), f.window, f.now);
            assert!(r.is_ok(), "valid vector {} denied: {r:?}", f.name);
        }
        all
    })
}

/// The vector an input is checked against: a hash of the input picks it.
fn pick(data: &[u8]) -> &'static Fixture {
    let fx = fixtures();
    let h = data.iter().fold(data.len(), |h, &b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    let i = h % fx.len().max(1);
    let f = fx.get(i);
    assert!(f.is_some(), "no fixtures");
    f.unwrap_or_else(|| unreachable!())
}

fn is_valid_chain(bytes: &[u8]) -> bool {
    fixtures().iter().any(|f| f.chain == bytes)
}

/// A genuine proof from a vector (several vectors share a chain and call,
/// so a proof may be valid for another vector's call too).
fn is_valid_pop(bytes: &[u8]) -> bool {
    known_pops().iter().any(|p| p == bytes)
}

// ---------------------------------------------------------------- chain_decode

/// Structural decoders of untrusted chain-related bytes: `Chain`, `Warrant`,
/// `Payload`, `Header`, `RevocationList`.
pub fn chain_decode(data: &[u8]) {
    if let Ok(chain) = Chain::from_bytes(data) {
        assert!((1..=64).contains(&chain.len()));
        assert_eq!(chain.as_bytes(), data);
        for link in chain.links() {
            let again = Warrant::from_bytes(link.as_bytes());
            assert!(again.as_ref().is_ok_and(|w| w == link), "link re-decode");
            check_payload_canonical(link.payload(), link.signed_message());
            let _ = link.verify_signature();
            let _ = format!("{link:?}");
        }
        let links_ok = chain.check_links().is_ok();
        let _ = format!("{chain:?}");
        // `verify_chain_at`, trusting the chain's own root issuer so that
        // it reaches the signature, revocation and time checks: it may only
        // accept a chain whose links all verify and follow the link rules.
        if let Some(root) = chain.root_warrant() {
            let authz = Authorizer::builder()
                .trusted_root(*root.issuer())
                .max_chain_links(64)
                .build();
            let leaf_time = chain.leaf().map_or(0, |l| l.issued_at());
            for now in [0, leaf_time, u64::MAX] {
                if authz.verify_chain_at(&chain, now).is_ok() {
                    assert!(links_ok, "verify_chain_at accepted broken link rules");
                    assert!(
                        chain.links().iter().all(|l| l.verify_signature()),
                        "verify_chain_at accepted a bad signature"
                    );
                }
            }
        }
    }
    if let Ok(w) = Warrant::from_bytes(data) {
        assert_eq!(w.as_bytes(), data);
        check_payload_canonical(w.payload(), w.signed_message());
    }
    let header = Header::decode(data);
    if let Ok(p) = Payload::decode(data) {
        assert_eq!(p.encode(), data, "payload decode is not canonical");
        // The header-only decode (used before signatures are checked) must
        // agree with the full decode.
        assert_eq!(
            header.ok(),
            Some(p.header()),
            "header/payload decode disagree"
        );
    }
    if let Ok(list) = RevocationList::from_bytes(data) {
        assert_eq!(
            list.to_bytes(),
            data,
            "revocation list decode is not canonical"
        );
        let _ = list.verify_signature();
    }
}

fn check_payload_canonical(p: &Payload, signed_message: &[u8]) {
    let enc = p.encode();
    assert!(
        signed_message.ends_with(&enc),
        "payload re-encoding differs"
    );
    assert_eq!(Header::decode(&enc).ok(), Some(p.header()));
}

// ------------------------------------------------------------- authorize_bytes

/// Decode + authorize with a fixed trusted root, valid calls and times. The
/// input is tried as the chain (with a vector's genuine proof) and as the
/// proof (with the vector's genuine chain); the vector is picked by a hash
/// of the input, so every vector is exercised while each input costs at
/// most a few signature checks. Only the exact vector bytes may be allowed.
pub fn authorize_bytes(data: &[u8]) {
    let f = pick(data);
    let decoded = Chain::from_bytes(data).ok();
    let call = Call::new(&f.tool, &f.args, &f.context);
    let cold = f
        .cold
        .authorize_bytes_at(Some(data), &call, Some(&f.pop), f.window, f.now);
    let warm = f
        .cached
        .authorize_bytes_at(Some(data), &call, Some(&f.pop), f.window, f.now);
    assert!(
        cold.is_err() || is_valid_chain(data),
        "garbage chain allowed: {cold:?}"
    );
    assert_eq!(cold.is_ok(), warm.is_ok(), "cache changes the decision");
    if let Ok(a) = &cold {
        assert_eq!(data, f.chain.as_slice(), "another vector's chain allowed");
        assert_eq!(a.chain_len, decoded.as_ref().map_or(0, Chain::len));
    }
    if let Some(chain) = &decoded {
        // The decoded-chain path must reach the same decision.
        if let Ok(pop) = Pop::from_bytes(&f.pop) {
            let r = f.cold.authorize_at(chain, &call, &pop, f.window, f.now);
            assert_eq!(
                r.is_ok(),
                cold.is_ok(),
                "authorize_at vs authorize_bytes_at"
            );
        }
        let _ = f.cold.why_denied_at(chain, &call, f.now);
    }
    if data.len() <= 256 {
        let r = f
            .cold
            .authorize_bytes_at(Some(&f.chain), &call, Some(data), f.window, f.now);
        assert!(r.is_err() || is_valid_pop(data), "garbage proof allowed");
    }
}

// ------------------------------------------------------------------ pop_verify

/// Proof decode + verify against one vector's call (picked by a hash of
/// the input). Input: the whole input as a proof; and
/// `[n, proof (n bytes), args CBOR]`.
pub fn pop_verify(data: &[u8]) {
    let f = pick(data);
    if let Ok(pop) = Pop::from_bytes(data) {
        assert_eq!(pop.to_bytes(), data, "proof decode is not canonical");
        let ok = pop.verify(&f.holder, &f.leaf_hash, &f.tool, &f.args, &f.context);
        assert!(!ok || is_valid_pop(data), "forged proof verifies");
        assert!(PopWindow::around(pop.ts, 0, 0).contains(pop.ts));
    }
    if let Some((&n, rest)) = data.split_first() {
        let (p, a) = rest.split_at(usize::from(n).min(rest.len()));
        if let (Ok(pop), Ok(args)) = (Pop::from_bytes(p), Value::from_cbor(a)) {
            let ok = pop.verify(&f.holder, &f.leaf_hash, &f.tool, &args, &f.context);
            // Only a genuine proof verifies, and only over the canonical
            // bytes of the arguments it signed.
            assert!(!ok || is_valid_pop(p), "forged proof verifies");
            assert!(!ok || args.to_cbor() == a, "non-canonical arguments verify");
        }
    }
}

// ----------------------------------------------------------------- value_decode

/// `Value` decode: strict, canonical, NaN-free, depth-bounded.
pub fn value_decode(data: &[u8]) {
    let Ok(v) = Value::from_cbor(data) else {
        return;
    };
    assert_eq!(v.to_cbor(), data, "value decode is not canonical");
    assert!(!v.contains_nan());
    assert!(!v.nested_deeper_than(warrants::value::MAX_VALUE_DEPTH));
    let again = Value::from_cbor(&v.to_cbor());
    assert!(again.is_ok_and(|w| w == v), "value round trip");
    let _ = (format!("{v}"), format!("{v:?}"), v.kind(), v.is_number());
    // A proof message over the value never panics.
    let _ = Pop::message(&[0; 32], "t", &v, b"", 0);
}

// -------------------------------------------------------------- constraint_set

/// Payload bytes up to (not including) the constraint set of tool `t`: a
/// valid root payload whose last field is `tools: {"t": <set>}`.
fn set_prefix() -> &'static [u8] {
    static P: OnceLock<Vec<u8>> = OnceLock::new();
    P.get_or_init(|| {
        let f = fixtures().first();
        let chain = f.and_then(|f| Chain::from_bytes(&f.chain).ok());
        let root = chain.as_ref().and_then(Chain::root_warrant);
        assert!(root.is_some(), "no root warrant for the prefix");
        let Some(root) = root else { return Vec::new() };
        let mut p = root.payload().clone();
        p.tools = BTreeMap::from([("t".to_owned(), warrants::ConstraintSet::new())]);
        p.extensions = BTreeMap::new();
        let mut bytes = p.encode();
        // Canonical empty set `[false, {}]` = 82 f4 a0 is last.
        assert!(bytes.ends_with(&[0x82, 0xf4, 0xa0]));
        bytes.truncate(bytes.len().saturating_sub(3));
        bytes
    })
}

/// Candidate argument values: derived from the input bytes and from the
/// constraints' own parameters, plus a few fixed ones.
fn candidates(raw: &[u8], constraints: &[&Constraint]) -> Vec<Value> {
    let mut out = vec![
        Value::Null,
        Value::Bool(true),
        Value::Int(0),
        Value::Int(-1),
        Value::Int(i64::MAX),
        Value::Float(0.5),
        Value::Text(String::new()),
        Value::Text("/".into()),
        Value::Text("/data/in/a".into()),
    ];
    if let Ok(v) = Value::from_cbor(raw) {
        out.push(v);
    }
    let text = String::from_utf8_lossy(raw).into_owned();
    out.push(Value::Text(text));
    out.push(Value::bytes(raw.to_vec()));
    let mut b8 = [0u8; 8];
    for (d, s) in b8.iter_mut().zip(raw) {
        *d = *s;
    }
    out.push(Value::Int(i64::from_le_bytes(b8)));
    let f = f64::from_le_bytes(b8);
    if !f.is_nan() {
        out.push(Value::Float(f));
    }
    for c in constraints {
        derived_values(c, &mut out);
    }
    out.truncate(64);
    out
}

fn derived_values(c: &Constraint, out: &mut Vec<Value>) {
    match c {
        Constraint::Exact(e) => out.push(e.value().clone()),
        Constraint::OneOf(o) => out.extend(o.values().iter().take(8).cloned()),
        Constraint::Range(r) => {
            for b in r.min().into_iter().chain(r.max()) {
                let v = b.value().clone();
                if let Value::Int(i) = v {
                    out.push(Value::Int(i.saturating_add(1)));
                    out.push(Value::Int(i.saturating_sub(1)));
                    out.push(Value::Float(i as f64 + 0.5));
                }
                if let Value::Float(x) = v {
                    out.push(Value::Float(x + 0.5));
                    out.push(Value::Float(x - 0.5));
                }
                out.push(v);
            }
        }
        Constraint::Subpath(s) => {
            let r = s.root().trim_end_matches('/');
            out.push(Value::Text(s.root().to_owned()));
            out.push(Value::Text(format!("{r}/x")));
            out.push(Value::Text(format!("{r}/x/../..")));
            out.push(Value::Text(format!("{r}x")));
        }
        Constraint::Pattern(p) => {
            let g = p.glob();
            out.push(Value::Text(g.to_owned()));
            out.push(Value::Text(g.replace(['*', '?', '[', ']', '\\'], "")));
            out.push(Value::Text(g.replace('*', "a/b").replace('?', "/")));
        }
        _ => {}
    }
}

/// Constraint-set decode (inside a valid payload prefix) + evaluation.
/// Input: `[k, set bytes..., value bytes (k bytes at the end)]`.
pub fn constraint_set(data: &[u8]) {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let (set_bytes, raw) = rest.split_at(rest.len().saturating_sub(usize::from(k)));
    // A single constraint on its own, too.
    if let Ok(c) = Constraint::from_cbor(set_bytes) {
        assert_eq!(c.to_cbor(), set_bytes, "constraint decode is not canonical");
        check_constraints(&[&c], raw);
    }
    let mut bytes = set_prefix().to_vec();
    bytes.extend_from_slice(set_bytes);
    let Ok(payload) = Payload::decode(&bytes) else {
        return;
    };
    assert_eq!(
        payload.encode(),
        bytes,
        "constraint set decode is not canonical"
    );
    let Some(set) = payload.tools.get("t") else {
        panic!("tool t vanished");
    };
    let cs: Vec<&Constraint> = set.args().values().collect();
    check_constraints(&cs, raw);
    let vals = candidates(raw, &cs);
    let mut arg_maps: Vec<Value> = vals
        .iter()
        .take(16)
        .map(|v| Value::Map(set.args().keys().map(|k| (k.clone(), v.clone())).collect()))
        .collect();
    arg_maps.push(Value::map([("zz_unknown", 1)]));
    arg_maps.extend(vals.iter().take(4).cloned());
    for args in &arg_maps {
        let first = set.check(args);
        let all = set.all_violations(args, 3);
        assert_eq!(first.is_ok(), all.is_empty(), "check vs all_violations");
        assert!(all.iter().all(|v| v.link == 3));
        if set.is_empty() {
            assert!(first.is_ok(), "empty set must allow any arguments");
        }
    }
    // Set-level attenuation: a set always narrows to itself, or refuses.
    let _ = set.narrows_to(set);
}

/// Per-constraint invariants: canonical re-encoding, self-matching of
/// finite constraints, unknown types never match, and attenuation soundness
/// over every pair (bounded).
fn check_constraints(cs: &[&Constraint], raw: &[u8]) {
    let vals = candidates(raw, cs);
    for c in cs {
        let again = Constraint::from_cbor(&c.to_cbor());
        assert!(
            again.as_ref().is_ok_and(|a| a == *c),
            "constraint round trip"
        );
        match c {
            Constraint::Exact(e) => assert!(c.matches(e.value()), "exact does not match itself"),
            Constraint::OneOf(o) => {
                assert!(o.values().iter().all(|v| c.matches(v)), "one_of own value")
            }
            Constraint::Unknown(_) => assert!(vals.iter().all(|v| !c.matches(v))),
            _ => {}
        }
        if let Ok(a) = &again {
            for v in &vals {
                assert_eq!(a.matches(v), c.matches(v), "re-decoded constraint differs");
            }
        }
        let _ = (c.type_name(), c.type_id(), format!("{c:?}"));
    }
    for p in cs.iter().take(8) {
        for c in cs.iter().take(8) {
            if p.narrows_to(c).is_ok() {
                for v in &vals {
                    assert!(
                        !c.matches(v) || p.matches(v),
                        "unsound narrowing: {p:?} -> {c:?} allows {v:?}"
                    );
                }
            }
        }
    }
}

// --------------------------------------------------------------- path_url_eval

fn fixed_path_constraints() -> &'static [Constraint] {
    static C: OnceLock<Vec<Constraint>> = OnceLock::new();
    C.get_or_init(|| {
        let mut v: Vec<Constraint> = Vec::new();
        for r in ["/", "/data", "/data/in", "/home/user/.config"] {
            if let Ok(s) = Subpath::new(r) {
                v.push(s.into());
            }
        }
        for g in [
            "**",
            "*",
            "logs-**",
            "logs-2024-*",
            "*@example.com",
            "/data/*/x?.[ch]",
            "https://*.example.com/**",
            "[!/]*",
        ] {
            if let Ok(p) = Pattern::new(g) {
                v.push(p.into());
            }
        }
        v.push(UrlSafe::new().into());
        if let Ok(u) = UrlSafe::new().allow_domains(["example.com", "*.example.org"]) {
            v.push(u.into());
        }
        if let Ok(u) = UrlPattern::new(["https"], "*.example.com", None, Some("/api/**")) {
            v.push(u.into());
        }
        if let Ok(u) = UrlPattern::new(["http", "https"], "10.0.0.1", Some(8080), None) {
            v.push(u.into());
        }
        assert_eq!(v.len(), 16, "a fixed path constraint failed to build");
        v
    })
}

/// Independent lexical model: the components of `path` after resolving
/// `.` and `..` (a `..` at the top stays at the top), or `None` when the
/// path is not absolute text without NUL.
fn normalize(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    if path.contains('\0') {
        return None;
    }
    let mut stack: Vec<&str> = Vec::new();
    for c in rest.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                stack.pop();
            }
            c => stack.push(c),
        }
    }
    Some(stack)
}

fn subpath_sound(s: &Subpath, path: &str) {
    if !s.contains(path) {
        return;
    }
    let root = normalize(s.root()).unwrap_or_default();
    let got = normalize(path);
    assert!(
        got.as_ref().is_some_and(|g| g.starts_with(&root)),
        "subpath {:?} lets {path:?} out",
        s.root()
    );
}

/// Independent check of what `UrlSafe::new()` lets through, with the `url`
/// crate: a parsable http(s) URL without userinfo whose host is a dotted
/// domain name not under `localhost`/`internal`/`local`, or a public IP.
fn url_safe_sound(cand: &str) {
    let Ok(u) = url::Url::parse(cand) else {
        panic!("UrlSafe allows an unparsable URL {cand:?}");
    };
    assert!(matches!(u.scheme(), "http" | "https"), "scheme of {cand:?}");
    assert!(
        u.username().is_empty() && u.password().is_none(),
        "userinfo in {cand:?}"
    );
    match u.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            assert!(d.contains('.'), "single-label host allowed: {cand:?}");
            for bad in ["localhost", "internal", "local", "localdomain", "home.arpa"] {
                assert!(d != bad && !d.ends_with(&format!(".{bad}")), "{cand:?}");
            }
        }
        Some(url::Host::Ipv4(ip)) => {
            assert!(!v4_internal(ip), "internal IPv4 allowed: {cand:?}");
        }
        Some(url::Host::Ipv6(ip)) => {
            let seg0 = ip.segments().first().copied().unwrap_or_default();
            assert!(
                !(ip.is_loopback()
                    || ip.is_unspecified()
                    || ip.is_multicast()
                    || seg0 & 0xfe00 == 0xfc00
                    || seg0 & 0xffc0 == 0xfe80
                    || ip.to_ipv4_mapped().is_some_and(v4_internal)),
                "internal IPv6 allowed: {cand:?}"
            );
        }
        None => panic!("UrlSafe allows a URL without host: {cand:?}"),
    }
}

fn v4_internal(ip: std::net::Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && b & 0xc0 == 64)
}

/// Percent-decode the unreserved characters of a URL path (what
/// `UrlPattern` does before matching its glob).
fn decode_unreserved(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(i) = rest.find('%') {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let hex = tail.get(1..3).and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) if b.is_ascii_alphanumeric() || b"-._~".contains(&b) => {
                out.push(char::from(b));
                rest = tail.get(3..).unwrap_or_default();
            }
            _ => {
                out.push('%');
                rest = tail.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// Independent check of the fixed `UrlPattern(https, *.example.com,
/// /api/**)`.
fn url_pattern_sound(cand: &str) {
    let Ok(u) = url::Url::parse(cand) else {
        panic!("UrlPattern allows an unparsable URL {cand:?}");
    };
    assert_eq!(u.scheme(), "https", "{cand:?}");
    let host = u
        .host_str()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    assert!(host.ends_with(".example.com"), "host of {cand:?}");
    assert!(
        decode_unreserved(u.path()).starts_with("/api/"),
        "path of {cand:?}"
    );
}

/// Arbitrary strings against `Subpath`, `Pattern`, `UrlSafe` and
/// `UrlPattern`: input
/// `spec 0xff candidate` (no `0xff`: both are the whole input). The spec
/// builds a constraint; the candidate is matched against it and against
/// fixed constraints.
pub fn path_url_eval(data: &[u8]) {
    let (a, b) = match data.iter().position(|&x| x == 0xff) {
        Some(i) => {
            let (a, b) = data.split_at(i);
            (a, b.get(1..).unwrap_or_default())
        }
        None => (data, data),
    };
    let spec = String::from_utf8_lossy(a).into_owned();
    let cand = String::from_utf8_lossy(b).into_owned();
    let cand_v = Value::Text(cand.clone());
    let mut built: Vec<Constraint> = Vec::new();

    if let Ok(s) = Subpath::new(spec.clone()) {
        assert!(s.contains(s.root()), "root not inside itself");
        let up = format!("{}/..", s.root().trim_end_matches('/'));
        assert!(!s.contains(&up), "{up:?} inside {:?}", s.root());
        subpath_sound(&s, &cand);
        let c: Constraint = s.clone().into();
        assert_eq!(c.matches(&cand_v), s.contains(&cand));
        built.push(c);
    }
    if let Ok(p) = Pattern::new(spec.clone()) {
        let c: Constraint = p.into();
        // Lazy (decoded) and eager compilation agree.
        if let Ok(d) = Constraint::from_cbor(&c.to_cbor()) {
            assert_eq!(d.matches(&cand_v), c.matches(&cand_v), "lazy vs eager glob");
        } else {
            panic!("pattern does not round-trip");
        }
        if !spec.contains(['*', '?', '[', ']', '\\']) {
            assert!(
                c.matches(&Value::Text(spec.clone())),
                "literal glob misses itself"
            );
        }
        built.push(c);
    }
    // Host pattern from the spec, URL from the candidate.
    if let Ok(u) = UrlPattern::new(["http", "https", "ws"], &spec, None, None) {
        let c: Constraint = u.clone().into();
        assert_eq!(c.matches(&cand_v), u.allows(&cand));
        built.push(c);
    }
    if let Ok(u) = UrlSafe::new().deny_domains([spec.as_str()]) {
        let c: Constraint = u.into();
        if c.matches(&cand_v) {
            url_safe_sound(&cand);
        }
        built.push(c);
    }
    for c in &built {
        if let Ok(d) = Constraint::from_cbor(&c.to_cbor()) {
            assert!(d == *c, "constraint round trip");
            assert_eq!(d.matches(&cand_v), c.matches(&cand_v), "re-decoded differs");
        } else {
            panic!("built constraint does not round-trip: {c:?}");
        }
    }
    for f in fixed_path_constraints() {
        let m = f.matches(&cand_v);
        if let Constraint::Subpath(s) = f {
            subpath_sound(s, &cand);
        }
        if let (Constraint::UrlSafe(_), true) = (f, m) {
            url_safe_sound(&cand);
        }
        if let (Constraint::UrlPattern(u), true) = (f, m) {
            if u.path() == Some("/api/**") {
                url_pattern_sound(&cand);
            }
        }
        if let Constraint::Pattern(p) = f {
            match p.glob() {
                "**" => assert!(m, "** must match everything"),
                "*" => assert_eq!(m, !cand.contains('/'), "* vs {cand:?}"),
                "[!/]*" => assert_eq!(m, !cand.is_empty() && !cand.contains('/')),
                _ => {}
            }
        }
    }
    // Attenuation soundness: pairs with an input-built constraint, and the
    // fixed pairs that narrow (computed once).
    let fixed = fixed_path_constraints();
    let sound = |p: &Constraint, c: &Constraint| {
        if c.matches(&cand_v) {
            assert!(
                p.matches(&cand_v),
                "unsound narrowing {p:?} -> {c:?} on {cand:?}"
            );
        }
    };
    for b in &built {
        for f in built.iter().chain(fixed) {
            if b.narrows_to(f).is_ok() {
                sound(b, f);
            }
            if f.narrows_to(b).is_ok() {
                sound(f, b);
            }
        }
    }
    for (p, c) in fixed_narrowing_pairs() {
        sound(p, c);
    }
}

/// The pairs of fixed constraints where the first narrows to the second.
fn fixed_narrowing_pairs() -> &'static [(&'static Constraint, &'static Constraint)] {
    static P: OnceLock<Vec<(&'static Constraint, &'static Constraint)>> = OnceLock::new();
    P.get_or_init(|| {
        let fixed = fixed_path_constraints();
        let mut v = Vec::new();
        for p in fixed {
            for c in fixed {
                if p.narrows_to(c).is_ok() {
                    v.push((p, c));
                }
            }
        }
        v
    })
}
