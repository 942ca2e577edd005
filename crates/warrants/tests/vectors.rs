//! Byte-exact test vectors (`vectors/` at the workspace root).
//!
//! This file is the generator. Every vector is built from fixed seeds, fixed
//! times and fixed ids (Ed25519 signing is deterministic), rendered as pretty
//! JSON and then:
//!
//! * compared byte for byte with the committed file (any difference, a
//!   missing file or a stale `.json` the generator no longer produces fails);
//! * checked semantically, using only what the JSON says: decode the bytes,
//!   run the [`Authorizer`] with the vector's trusted roots, time, clock
//!   skew, link limit, window, call, proof and revocation list, and compare
//!   the outcome with `expected` (and `expected_detail`). The informative
//!   `computed` section is recomputed from the bytes and must match too.
//!
//! Rewrite the files after an intended change with
//! `WARRANTS_BLESS=1 cargo test -p warrants --test vectors`.
//! The format is described in `vectors/README.md`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use warrants::constraint::{Bound, Exact, OneOf, Pattern, Range, Subpath, Wildcard};
use warrants::keys::{from_base64url, to_base64url};
use warrants::{
    Authorizer, Call, Chain, Constraint, ConstraintSet, Denial, Payload, Pop, PopWindow, PublicKey,
    RevocationList, SigningKey, Value, Warrant, WarrantId,
};

// ---------------------------------------------------------------------------
// Fixed inputs
// ---------------------------------------------------------------------------

/// The fixed keys: name and the byte repeated 32 times as the Ed25519 seed.
const KEYS: [(&str, u8); 5] = [
    ("root", 1),
    ("agent", 2),
    ("sub_agent", 3),
    ("worker", 4),
    ("attacker", 9),
];

/// Issue time of the root warrant.
const T0: u64 = 1_700_000_000;
/// Root validity.
const ROOT_TTL: u64 = 3600;
/// Link 1 (agent -> sub_agent): issued at `T0 + 10`, valid 1800 s.
const LINK1_AT: u64 = T0 + 10;
const LINK1_TTL: u64 = 1800;
/// Link 2 (sub_agent -> worker): issued at `T0 + 20`, valid 900 s.
const LINK2_AT: u64 = T0 + 20;
const LINK2_TTL: u64 = 900;
/// Default verification time.
const NOW: u64 = T0 + 300;
/// Default proof time: made a little before it is checked.
const POP_AGE: u64 = 3;
/// Default proof window around the reference time.
const BEFORE: u64 = 60;
const AFTER: u64 = 5;
/// Default clock skew and link limit (the library defaults, stated
/// explicitly so other implementations need not know them).
const SKEW: u64 = 30;
const MAX_LINKS: usize = 16;

fn key(name: &str) -> SigningKey {
    let seed = KEYS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("no key named {name}"));
    SigningKey::from_seed(&[seed; 32])
}

fn pk(name: &str) -> PublicKey {
    key(name).public_key()
}

/// Temporal-style proof context: CBOR `[workflow_id, activity_id]`.
fn context(activity: &str) -> Vec<u8> {
    Value::list(["wf-42", activity]).to_cbor()
}

fn sub(root: &str) -> Constraint {
    Subpath::new(root).unwrap().into()
}

fn pat(glob: &str) -> Constraint {
    Pattern::new(glob).unwrap().into()
}

fn range(min: i64, max: i64) -> Constraint {
    Range::between(min, max).unwrap().into()
}

fn one_of(values: &[&str]) -> Constraint {
    OneOf::new(values.iter().copied()).unwrap().into()
}

fn exact(v: impl Into<Value>) -> Constraint {
    Exact::new(v).unwrap().into()
}

fn any() -> Constraint {
    Wildcard::new().into()
}

/// The root warrant's builder (root key -> agent). Variants change the id
/// or the max depth.
fn root_builder(id: u8) -> warrants::warrant::MintBuilder {
    Warrant::mint_builder()
        .id(WarrantId([id; 16]))
        .holder(pk("agent"))
        .issued_at(T0)
        .ttl(Duration::from_secs(ROOT_TTL))
        .max_depth(4)
        .capability("read_file", [("path", sub("/data"))])
        .capability(
            "transfer",
            [
                ("amount", range(0, 10_000)),
                ("currency", one_of(&["USD", "EUR", "GBP"])),
            ],
        )
        .capability("search", [("index", pat("logs-**")), ("query", any())])
        .capability(
            "send_email",
            [("to", pat("*@example.com")), ("body", any())],
        )
}

/// The three links of the reference chain, each built with the builders
/// (so each narrowing is accepted by the attenuation rules).
struct Fixture {
    /// Root warrant: root key -> agent, depth 0.
    w0: Warrant,
    /// agent -> sub_agent, depth 1.
    w1: Warrant,
    /// sub_agent -> worker, depth 2.
    w2: Warrant,
}

impl Fixture {
    fn new() -> Self {
        let w0 = root_builder(0x10).mint(&key("root")).unwrap();
        let w1 = w0
            .grant_builder()
            .id(WarrantId([0x20; 16]))
            .holder(pk("sub_agent"))
            .issued_at(LINK1_AT)
            .ttl(Duration::from_secs(LINK1_TTL))
            .capability("read_file", [("path", sub("/data/in"))])
            .capability(
                "transfer",
                [
                    ("amount", range(0, 500)),
                    ("currency", one_of(&["USD", "EUR"])),
                ],
            )
            .capability("search", [("index", pat("logs-2024-*")), ("query", any())])
            .grant(&key("agent"))
            .unwrap();
        let w2 = w1
            .grant_builder()
            .id(WarrantId([0x30; 16]))
            .holder(pk("worker"))
            .issued_at(LINK2_AT)
            .ttl(Duration::from_secs(LINK2_TTL))
            .capability("read_file", [("path", exact("/data/in/report.csv"))])
            .capability(
                "transfer",
                [("amount", range(1, 250)), ("currency", exact("USD"))],
            )
            .capability(
                "search",
                [
                    ("index", one_of(&["logs-2024-06", "logs-2024-07"])),
                    ("query", pat("status:*")),
                ],
            )
            .grant(&key("sub_agent"))
            .unwrap();
        // The library's own chain encoding agrees with the hand encoding.
        let built = Chain::root(w0.clone())
            .push(w1.clone())
            .unwrap()
            .push(w2.clone())
            .unwrap();
        assert_eq!(
            built.as_bytes(),
            encode_chain(&[w0.clone(), w1.clone(), w2.clone()])
        );
        Self { w0, w1, w2 }
    }
}

/// Chain wire form: CBOR array of envelopes (small arrays only).
fn encode_chain(links: &[Warrant]) -> Vec<u8> {
    assert!(links.len() < 24);
    let mut out = vec![0x80 | u8::try_from(links.len()).unwrap()];
    for l in links {
        out.extend_from_slice(l.as_bytes());
    }
    out
}

/// A CBOR byte string head plus bytes (lengths below 64 KiB).
fn cbor_bstr(out: &mut Vec<u8>, b: &[u8]) {
    match b.len() {
        n if n < 24 => out.push(0x40 | u8::try_from(n).unwrap()),
        n if n < 256 => out.extend_from_slice(&[0x58, u8::try_from(n).unwrap()]),
        n => {
            let n = u16::try_from(n).unwrap();
            out.push(0x59);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
    out.extend_from_slice(b);
}

/// Sign a payload exactly as given, bypassing every sanity check (to make
/// warrants the library refuses to build), and wrap it in an envelope.
fn raw_envelope(payload: &Payload, signer: &SigningKey) -> Vec<u8> {
    let bytes = payload.encode();
    let mut msg = warrants::warrant::WARRANT_DOMAIN.to_vec();
    msg.extend_from_slice(&bytes);
    let sig = signer.sign(&msg);
    let mut out = vec![0x83, 0x01];
    cbor_bstr(&mut out, &bytes);
    cbor_bstr(&mut out, &sig.0);
    out
}

/// Make a link the builders refuse to make: `base`'s payload with a new id,
/// edited, signed by `signer` (the payload's sanity rules still apply).
fn forged(base: &Warrant, id: u8, signer: &str, edit: impl FnOnce(&mut Payload)) -> Warrant {
    let mut p = base.payload().clone();
    p.id = WarrantId([id; 16]);
    edit(&mut p);
    Warrant::sign_payload(p, &key(signer)).unwrap()
}

/// The name of a fixed key.
fn name_of(key: &PublicKey) -> &'static str {
    KEYS.iter()
        .map(|(n, _)| *n)
        .find(|n| pk(n) == *key)
        .expect("a fixed key")
}

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

/// One vector before rendering. By default: trusted root = the root key,
/// checked at `NOW` with the default skew, link limit and window, the
/// proof made by the leaf holder at `now - POP_AGE` over the call itself.
#[derive(Clone)]
struct Case {
    name: &'static str,
    description: &'static str,
    now: u64,
    max_chain_links: usize,
    tool: &'static str,
    args: Value,
    context: Vec<u8>,
    chain: Option<Vec<u8>>,
    leaf_hash: [u8; 32],
    revocation: Option<Vec<u8>>,
    pop: bool,
    pop_signer: &'static str,
    pop_args: Option<Value>,
    pop_context: Option<Vec<u8>>,
    pop_ts: Option<u64>,
    expected: &'static str,
    detail: Option<serde_json::Value>,
}

impl Case {
    fn new(name: &'static str, links: &[Warrant], tool: &'static str, args: Value) -> Self {
        let leaf = links.last().unwrap();
        Self {
            name,
            description: "",
            now: NOW,
            max_chain_links: MAX_LINKS,
            tool,
            args,
            context: context("activity-7"),
            chain: Some(encode_chain(links)),
            leaf_hash: *leaf.hash(),
            revocation: None,
            pop: true,
            pop_signer: name_of(leaf.holder()),
            pop_args: None,
            pop_context: None,
            pop_ts: None,
            expected: "ALLOW",
            detail: None,
        }
    }

    fn about(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    fn at(mut self, now: u64) -> Self {
        self.now = now;
        self
    }

    fn deny(mut self, code: &'static str, detail: Option<serde_json::Value>) -> Self {
        self.expected = code;
        self.detail = detail;
        self
    }

    fn pop_by(mut self, signer: &'static str) -> Self {
        self.pop_signer = signer;
        self
    }

    fn pop_ts(mut self, ts: u64) -> Self {
        self.pop_ts = Some(ts);
        self
    }

    fn window(&self) -> PopWindow {
        PopWindow::around(self.now, BEFORE, AFTER)
    }

    fn pop_bytes(&self) -> Option<Vec<u8>> {
        self.pop.then(|| {
            Pop::sign_for_leaf(
                &key(self.pop_signer),
                &self.leaf_hash,
                self.tool,
                self.pop_args.as_ref().unwrap_or(&self.args),
                self.pop_context.as_deref().unwrap_or(&self.context),
                self.pop_ts.unwrap_or(self.now - POP_AGE),
            )
            .to_bytes()
        })
    }
}

/// Denial detail of a broken link rule.
fn rule(link: usize, rule: &str) -> Option<serde_json::Value> {
    Some(json!({"link": link, "rule": rule}))
}

/// Denial detail of a constraint violation.
fn violation(
    tool: &str,
    link: usize,
    arg: &str,
    kind: serde_json::Value,
) -> Option<serde_json::Value> {
    Some(json!({"tool": tool, "violation": {"arg": arg, "kind": kind, "link": link}}))
}

fn mismatch(constraint: &str) -> serde_json::Value {
    json!({"mismatch": {"constraint": constraint}})
}

fn transfer(amount: impl Into<Value>, currency: &str) -> Value {
    Value::map([
        ("amount", amount.into()),
        ("currency", Value::from(currency)),
    ])
}

fn read(path: &str) -> Value {
    Value::map([("path", path)])
}

fn cases() -> Vec<Case> {
    let f = Fixture::new();
    let (w0, w1) = (f.w0.clone(), f.w1.clone());
    let d1 = [w0.clone()];
    let d2 = [w0.clone(), w1.clone()];
    let d3 = [w0.clone(), w1.clone(), f.w2.clone()];
    let q3 = || read("/data/reports/q3.csv");
    let pay = || transfer(250, "EUR");
    let search = || Value::map([("index", "logs-2024-06"), ("query", "status:500")]);

    // Links the builders refuse to make.
    let untrusted = root_builder(0x1a).mint(&key("attacker")).unwrap();
    let bad_sig = Warrant::sign_payload(w1.payload().clone(), &key("attacker")).unwrap();
    let foreign_issuer = forged(&w1, 0x21, "attacker", |p| p.issuer = pk("attacker"));
    let other_root = root_builder(0x1b).mint(&key("root")).unwrap();
    let spliced = forged(&w1, 0x22, "agent", |p| p.parent = Some(*other_root.hash()));
    let no_delegation = root_builder(0x13).max_depth(0).mint(&key("root")).unwrap();
    let too_deep = forged(&w1, 0x23, "agent", |p| {
        p.parent = Some(*no_delegation.hash());
        p.max_depth = 1;
    });
    let extra_tool = forged(&w1, 0x24, "agent", |p| {
        let set = ConstraintSet::from_args([("path", sub("/data/in"))]);
        p.tools.insert("delete_file".into(), set);
    });
    let longer = forged(&w1, 0x25, "agent", |p| p.expires_at = T0 + ROOT_TTL + 3600);
    let wider = forged(&w1, 0x26, "agent", |p| {
        let set = ConstraintSet::from_args([("path", sub("/"))]);
        p.tools.insert("read_file".into(), set);
    });
    // depth 1 > max_depth 0 inside one payload: the decoder refuses it, so
    // it is signed and wrapped by hand.
    let mut p = w1.payload().clone();
    p.id = WarrantId([0x27; 16]);
    p.max_depth = 0;
    let inconsistent_leaf = raw_envelope(&p, &key("agent"));
    let mut self_inconsistent = vec![0x82];
    self_inconsistent.extend_from_slice(w0.as_bytes());
    self_inconsistent.extend_from_slice(&inconsistent_leaf);
    let revocation = RevocationList::sign(&key("root"), 1, NOW - 60, [w0.id()]).to_bytes();
    let mut trailing = encode_chain(&d1);
    trailing.push(0x00);
    let mut long_int = encode_chain(&d1);
    // [0x81 (chain of 1), 0x83 (envelope of 3), 0x01 (version 1)]
    assert_eq!(long_int[..3], [0x81, 0x83, 0x01]);
    long_int.insert(2, 0x18);
    // Proofs over these leaves sign the envelope bytes as they stand, so
    // the decoding rule is the only thing wrong with them.
    let long_int_leaf: [u8; 32] = Sha256::digest(&long_int[1..]).into();
    let inconsistent_leaf: [u8; 32] = Sha256::digest(&inconsistent_leaf).into();

    vec![
        // ---- valid -----------------------------------------------------
        Case::new("depth1", &d1, "read_file", q3()).about(
            "One link: the root key grants `read_file` under Subpath /data to the agent; \
             the agent reads a file inside /data.",
        ),
        Case::new("depth2", &d2, "transfer", pay()).about(
            "Two links: the agent narrows `transfer` to Range [0, 500] and OneOf [USD, EUR] \
             for the sub-agent, which transfers 250 EUR.",
        ),
        Case::new("depth3", &d3, "search", search()).about(
            "Three links: Pattern logs-** -> Pattern logs-2024-* -> OneOf for `index`, \
             Wildcard -> Wildcard -> Pattern status:* for `query`; the worker searches.",
        ),
        Case::new(
            "depth3_exact",
            &d3,
            "read_file",
            read("/data/in/report.csv"),
        )
        .about(
            "Three links: Subpath /data -> Subpath /data/in -> Exact /data/in/report.csv; \
             the worker reads exactly that file.",
        ),
        Case::new("float_arg", &d2, "transfer", transfer(99.5, "USD")).about(
            "A non-integral float argument (99.5) is encoded as the shortest CBOR float \
             (half precision here) and compares exactly against integer Range bounds.",
        ),
        Case::new("clock_skew_early", &d1, "read_file", q3())
            .at(T0 - SKEW)
            .about(
                "now = issued_at - clock_skew: the earliest instant the root is accepted \
                 (a link is not yet valid while now + clock_skew < issued_at).",
            ),
        Case::new("clock_skew_late", &d1, "read_file", q3())
            .at(T0 + ROOT_TTL + SKEW - 1)
            .about(
                "now = expires_at + clock_skew - 1: the last instant the root is accepted \
                 (a link is expired once now >= expires_at + clock_skew).",
            ),
        Case::new("pop_window_edges", &d2, "transfer", pay())
            .pop_ts(NOW - BEFORE)
            .about(
                "Proof time exactly reference - before: the oldest proof the window accepts \
                 (reference - before <= ts <= reference + after).",
            ),
        // ---- invalid: time ---------------------------------------------
        Case::new("expired", &d1, "read_file", q3())
            .at(T0 + ROOT_TTL + SKEW)
            .deny(
                "WARRANT_EXPIRED",
                Some(json!({"expires_at": T0 + ROOT_TTL, "link": 0, "now": T0 + ROOT_TTL + SKEW})),
            )
            .about("now = expires_at + clock_skew: the first instant the root is expired."),
        Case::new("expired_parent_link", &d3, "search", search())
            .at(LINK1_AT + LINK1_TTL + SKEW)
            .deny(
                "WARRANT_EXPIRED",
                Some(json!({"expires_at": LINK1_AT + LINK1_TTL, "link": 1})),
            )
            .about(
                "Three links checked once link 1 (and link 2, which expires earlier) has \
                 expired: the first expired link in chain order is reported.",
            ),
        Case::new("not_yet_valid", &d1, "read_file", q3())
            .at(T0 - SKEW - 1)
            .deny(
                "NOT_YET_VALID",
                Some(json!({"issued_at": T0, "link": 0, "now": T0 - SKEW - 1})),
            )
            .about("now = issued_at - clock_skew - 1: one second before the root becomes valid."),
        // ---- invalid: trust and chain structure ------------------------
        Case::new("untrusted_root", &[untrusted], "read_file", q3())
            .deny("UNTRUSTED_ROOT", None)
            .about(
                "A well-formed root warrant issued by the attacker key, which is not a \
                 trusted root.",
            ),
        Case::new(
            "bad_link_signature",
            &[w0.clone(), bad_sig],
            "transfer",
            pay(),
        )
        .deny("CHAIN_INVALID", rule(1, "bad_signature"))
        .about(
            "Link 1 carries link 1's genuine payload (issuer = agent) but a signature \
                 made by the attacker key; every other rule holds.",
        ),
        Case::new(
            "issuer_not_parent_holder",
            &[w0.clone(), foreign_issuer],
            "transfer",
            pay(),
        )
        .deny("CHAIN_INVALID", rule(1, "issuer_not_parent_holder"))
        .about(
            "Link 1 is issued (and validly signed) by the attacker, not by the root \
                 warrant's holder (agent).",
        ),
        Case::new(
            "parent_hash_mismatch",
            &[w0.clone(), spliced],
            "transfer",
            pay(),
        )
        .deny("CHAIN_INVALID", rule(1, "parent_hash_mismatch"))
        .about(
            "Link 1 is a genuine agent-signed child of another root warrant (same \
                 issuer and holder, other id), spliced under this root.",
        ),
        Case::new(
            "depth_exceeds_max",
            &[no_delegation, too_deep],
            "transfer",
            pay(),
        )
        .deny("CHAIN_INVALID", rule(1, "depth_exceeds_max"))
        .about(
            "The root has max_depth 0 (no delegation); link 1 (depth 1, max_depth 1) \
                 delegates anyway. Each payload is self-consistent, so the chain decodes; \
                 the link rule child.depth <= parent.max_depth fails.",
        ),
        Case::new(
            "tool_widened",
            &[w0.clone(), extra_tool],
            "delete_file",
            read("/data/in/old.csv"),
        )
        .deny("CHAIN_INVALID", rule(1, "tool_not_in_parent"))
        .about(
            "Link 1 adds `delete_file`, which the root does not grant, and the sub-agent \
                 calls it.",
        ),
        Case::new("expiry_extended", &[w0.clone(), longer], "transfer", pay())
            .deny("CHAIN_INVALID", rule(1, "expires_after_parent"))
            .about("Link 1 expires an hour after the root; checked while both are valid."),
        Case {
            max_chain_links: 2,
            ..Case::new("chain_too_deep", &d3, "search", search())
        }
        .deny("CHAIN_TOO_DEEP", Some(json!({"links": 3, "max": 2})))
        .about(
            "A valid three-link chain presented to an authorizer that accepts at most two \
             links (max_chain_links = 2).",
        ),
        Case {
            revocation: Some(revocation),
            ..Case::new("revoked_root", &d2, "transfer", pay())
        }
        .deny("REVOKED", Some(json!({"id": w0.id().to_hex(), "link": 0})))
        .about(
            "The root warrant's id is on a revocation list (version 1, signed by the \
             trusted root key); revoking the root revokes the whole chain.",
        ),
        // ---- invalid: tools and arguments ------------------------------
        Case::new(
            "tool_not_granted",
            &d2,
            "send_email",
            Value::map([("body", "hi"), ("to", "ops@example.com")]),
        )
        .deny(
            "TOOL_NOT_GRANTED",
            Some(json!({"link": 1, "tool": "send_email"})),
        )
        .about("The root grants `send_email` but link 1 does not; the sub-agent calls it."),
        Case::new(
            "constraint_violated",
            &d2,
            "transfer",
            transfer(5000, "USD"),
        )
        .deny(
            "CONSTRAINT_VIOLATED",
            violation("transfer", 1, "amount", mismatch("range")),
        )
        .about(
            "amount 5000 is inside the root's Range [0, 10000] but outside link 1's \
                 Range [0, 500].",
        ),
        Case::new(
            "path_traversal",
            &d2,
            "read_file",
            read("/data/in/../../etc/passwd"),
        )
        .deny(
            "CONSTRAINT_VIOLATED",
            violation("read_file", 0, "path", mismatch("subpath")),
        )
        .about(
            "/data/in/../../etc/passwd starts with /data/in but climbs out of /data: \
                 Subpath is lexical, and the root link already refuses it.",
        ),
        Case::new(
            "constraint_widened",
            &[w0.clone(), wider],
            "read_file",
            read("/etc/passwd"),
        )
        .deny(
            "CONSTRAINT_VIOLATED",
            violation("read_file", 0, "path", mismatch("subpath")),
        )
        .about(
            "Link 1 widens read_file's Subpath /data to Subpath / (the builders refuse \
                 this; the link rules do not look inside constraints). The conjunction over \
                 every link still denies /etc/passwd, at the root.",
        ),
        Case::new(
            "unexpected_argument",
            &d1,
            "read_file",
            Value::map([("mode", "w"), ("path", "/data/reports/q3.csv")]),
        )
        .deny(
            "CONSTRAINT_VIOLATED",
            violation("read_file", 0, "mode", json!("unexpected")),
        )
        .about(
            "Closed world: the call passes `mode`, which read_file's constraint set does \
             not name.",
        ),
        Case::new(
            "missing_argument",
            &d2,
            "transfer",
            Value::map([("amount", 100)]),
        )
        .deny(
            "CONSTRAINT_VIOLATED",
            violation("transfer", 0, "currency", json!("missing")),
        )
        .about("Every named argument is required: the call omits `currency`."),
        // ---- invalid: proof of possession ------------------------------
        Case::new("pop_wrong_key", &d2, "transfer", pay())
            .pop_by("attacker")
            .deny("POP_INVALID", None)
            .about("The proof is signed by the attacker key instead of the leaf holder."),
        Case::new("pop_parent_holder", &d2, "transfer", pay())
            .pop_by("agent")
            .deny("POP_INVALID", None)
            .about(
                "The proof is signed by the agent, which holds the root warrant but not the \
                 leaf: a delegator cannot use what it delegated.",
            ),
        Case {
            pop_args: Some(pay()),
            ..Case::new("pop_wrong_args", &d2, "transfer", transfer(25, "EUR"))
        }
        .deny("POP_INVALID", None)
        .about("The proof signs amount 250; the call (also allowed by the chain) passes 25."),
        Case {
            pop_context: Some(context("activity-8")),
            ..Case::new("pop_wrong_context", &d2, "transfer", pay())
        }
        .deny("POP_INVALID", None)
        .about("The proof is bound to activity-8; the call runs as activity-7."),
        Case::new("pop_stale", &d2, "transfer", pay())
            .pop_ts(NOW - BEFORE - 1)
            .deny(
                "POP_STALE",
                Some(json!({"from": NOW - BEFORE, "to": NOW + AFTER, "ts": NOW - BEFORE - 1})),
            )
            .about("Proof time reference - before - 1: one second older than the window allows."),
        Case::new("pop_from_future", &d2, "transfer", pay())
            .pop_ts(NOW + AFTER + 1)
            .deny(
                "POP_STALE",
                Some(json!({"from": NOW - BEFORE, "to": NOW + AFTER, "ts": NOW + AFTER + 1})),
            )
            .about("Proof time reference + after + 1: one second later than the window allows."),
        // ---- invalid: wire form and presence ---------------------------
        Case {
            chain: Some(trailing),
            ..Case::new("malformed_trailing_bytes", &d1, "read_file", q3())
        }
        .deny("WARRANT_MALFORMED", None)
        .about("The depth1 chain followed by one extra byte (0x00)."),
        Case {
            chain: Some(long_int),
            leaf_hash: long_int_leaf,
            ..Case::new("malformed_non_canonical_int", &d1, "read_file", q3())
        }
        .deny("WARRANT_MALFORMED", None)
        .about(
            "The depth1 chain with the envelope version 1 written in two bytes (0x18 0x01) \
             instead of one (0x01). The payload and its signature are untouched and the \
             proof signs the leaf envelope as it stands, so only the canonical-form rule \
             rejects it.",
        ),
        Case {
            chain: Some(self_inconsistent),
            leaf_hash: inconsistent_leaf,
            ..Case::new("malformed_depth_above_max_depth", &d2, "transfer", pay())
        }
        .deny("WARRANT_MALFORMED", None)
        .about(
            "Link 1 (validly signed by the agent) has depth 1 but max_depth 0; every \
             payload must have depth <= max_depth, so the chain does not decode.",
        ),
        Case {
            pop: false,
            ..Case::new("missing_pop", &d1, "read_file", q3())
        }
        .deny("POP_MISSING", None)
        .about("A valid chain but no proof of possession (pop_b64 is null: header absent)."),
        Case {
            chain: None,
            ..Case::new("missing_chain", &d1, "read_file", q3())
        }
        .deny("WARRANT_MISSING", None)
        .about("No warrant chain (chain_b64 is null: header absent); the proof is present."),
    ]
}

// ---------------------------------------------------------------------------
// File format
// ---------------------------------------------------------------------------

/// One vector file. Field order is the serialization order; nested maps are
/// `BTreeMap`s, so the output is stable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VectorFile {
    name: String,
    description: String,
    /// `"ALLOW"` or a denial code.
    expected: String,
    /// Fields the serialized denial must have (informative for other
    /// implementations; this one checks them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected_detail: Option<serde_json::Value>,
    /// Trusted root public keys, base64url.
    trusted_roots: Vec<String>,
    /// Verification time, unix seconds.
    now: u64,
    /// Tolerance applied to issued_at and expires_at, seconds.
    clock_skew: u64,
    /// Most links the authorizer accepts.
    max_chain_links: usize,
    /// The proof window.
    window: WindowFile,
    call: CallFile,
    /// Chain bytes, base64url; null when no warrant is presented.
    chain_b64: Option<String>,
    /// Proof bytes, base64url; null when no proof is presented.
    pop_b64: Option<String>,
    /// Signed revocation list to install first, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revocation_b64: Option<String>,
    /// Readable values derived from the bytes above (checked, informative).
    computed: Computed,
    /// The fixed test keys: seed (hex) and public key (base64url).
    keys: BTreeMap<String, KeyFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowFile {
    reference: u64,
    before: u64,
    after: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallFile {
    tool: String,
    /// The arguments as JSON (readable; must equal the CBOR).
    args_json: serde_json::Value,
    /// Canonical CBOR of the argument map, base64url.
    args_cbor_b64: String,
    args_cbor_hex: String,
    /// Opaque context bytes, base64url (here CBOR `[workflow_id, activity_id]`).
    context_b64: String,
    context_hex: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    seed_hex: String,
    public_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Computed {
    /// SHA-256 of the chain bytes; null when the chain does not decode.
    chain_hash_hex: Option<String>,
    chain_len: Option<usize>,
    /// SHA-256 of the leaf envelope (what the proof signs).
    leaf_hash_hex: Option<String>,
    links: Option<Vec<LinkFile>>,
    /// The proof's time; null when the proof is absent or does not decode.
    pop_ts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revocation: Option<RevocationFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkFile {
    index: usize,
    id_hex: String,
    /// SHA-256 of the envelope bytes.
    hash_hex: String,
    issuer: String,
    holder: String,
    issued_at: u64,
    expires_at: u64,
    depth: u32,
    max_depth: u32,
    parent_hex: Option<String>,
    tools: BTreeMap<String, ToolFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolFile {
    allow_unknown: bool,
    args: BTreeMap<String, ConstraintFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConstraintFile {
    #[serde(rename = "type")]
    kind: String,
    /// Canonical CBOR `[type_id, params...]`.
    cbor_hex: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    root: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    glob: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<BoundFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<BoundFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoundFile {
    value: serde_json::Value,
    inclusive: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationFile {
    version: u64,
    issuer: String,
    issued_at: u64,
    ids_hex: Vec<String>,
}

fn json_of(v: &Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

fn bound(b: Option<&Bound>) -> Option<BoundFile> {
    b.map(|b| BoundFile {
        value: json_of(b.value()),
        inclusive: b.is_inclusive(),
    })
}

fn constraint_file(c: &Constraint) -> ConstraintFile {
    let mut f = ConstraintFile {
        kind: c.type_name().to_owned(),
        cbor_hex: hex::encode(c.to_cbor()),
        root: None,
        glob: None,
        value: None,
        values: None,
        min: None,
        max: None,
    };
    match c {
        Constraint::Subpath(s) => f.root = Some(s.root().to_owned()),
        Constraint::Pattern(p) => f.glob = Some(p.glob().to_owned()),
        Constraint::Exact(e) => f.value = Some(json_of(e.value())),
        Constraint::OneOf(o) => f.values = Some(o.values().iter().map(json_of).collect()),
        Constraint::Range(r) => {
            f.min = bound(r.min());
            f.max = bound(r.max());
        }
        _ => {}
    }
    f
}

fn link_file(index: usize, w: &Warrant) -> LinkFile {
    LinkFile {
        index,
        id_hex: w.id().to_hex(),
        hash_hex: hex::encode(w.hash()),
        issuer: w.issuer().to_base64url(),
        holder: w.holder().to_base64url(),
        issued_at: w.issued_at(),
        expires_at: w.expires_at(),
        depth: w.depth(),
        max_depth: w.max_depth(),
        parent_hex: w.parent_hash().map(hex::encode),
        tools: w
            .tools()
            .iter()
            .map(|(name, set)| {
                let tool = ToolFile {
                    allow_unknown: set.allows_unknown(),
                    args: set
                        .args()
                        .iter()
                        .map(|(a, c)| (a.clone(), constraint_file(c)))
                        .collect(),
                };
                (name.clone(), tool)
            })
            .collect(),
    }
}

/// The `computed` section, derived from the bytes alone.
fn compute(chain: Option<&[u8]>, pop: Option<&[u8]>, revocation: Option<&[u8]>) -> Computed {
    let decoded = chain.and_then(|b| Chain::from_bytes(b).ok());
    Computed {
        chain_hash_hex: decoded.as_ref().map(|c| hex::encode(c.hash())),
        chain_len: decoded.as_ref().map(Chain::len),
        leaf_hash_hex: decoded
            .as_ref()
            .and_then(|c| c.leaf())
            .map(|l| hex::encode(l.hash())),
        links: decoded.as_ref().map(|c| {
            c.links()
                .iter()
                .enumerate()
                .map(|(i, w)| link_file(i, w))
                .collect()
        }),
        pop_ts: pop.and_then(|b| Pop::from_bytes(b).ok()).map(|p| p.ts),
        revocation: revocation
            .and_then(|b| RevocationList::from_bytes(b).ok())
            .map(|r| RevocationFile {
                version: r.version(),
                issuer: r.issuer().to_base64url(),
                issued_at: r.issued_at(),
                ids_hex: r.ids().iter().map(WarrantId::to_hex).collect(),
            }),
    }
}

fn keys_file() -> BTreeMap<String, KeyFile> {
    KEYS.iter()
        .map(|(name, seed)| {
            let file = KeyFile {
                seed_hex: hex::encode([*seed; 32]),
                public_key: pk(name).to_base64url(),
            };
            ((*name).to_owned(), file)
        })
        .collect()
}

fn render(c: &Case) -> VectorFile {
    let args_cbor = c.args.to_cbor();
    let window = c.window();
    let pop = c.pop_bytes();
    VectorFile {
        name: c.name.to_owned(),
        description: c.description.to_owned(),
        expected: c.expected.to_owned(),
        expected_detail: c.detail.clone(),
        trusted_roots: vec![pk("root").to_base64url()],
        now: c.now,
        clock_skew: SKEW,
        max_chain_links: c.max_chain_links,
        window: WindowFile {
            reference: window.reference,
            before: window.before,
            after: window.after,
        },
        call: CallFile {
            tool: c.tool.to_owned(),
            args_json: json_of(&c.args),
            args_cbor_b64: to_base64url(&args_cbor),
            args_cbor_hex: hex::encode(&args_cbor),
            context_b64: to_base64url(&c.context),
            context_hex: hex::encode(&c.context),
        },
        chain_b64: c.chain.as_deref().map(to_base64url),
        pop_b64: pop.as_deref().map(to_base64url),
        revocation_b64: c.revocation.as_deref().map(to_base64url),
        computed: compute(c.chain.as_deref(), pop.as_deref(), c.revocation.as_deref()),
        keys: keys_file(),
    }
}

fn to_text(v: &VectorFile) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap();
    s.push('\n');
    s
}

/// Every vector: relative path (`valid/<name>.json` or
/// `invalid/<name>.json`), file, text.
fn generate() -> Vec<(String, VectorFile, String)> {
    let mut seen = BTreeSet::new();
    cases()
        .iter()
        .map(|c| {
            assert!(seen.insert(c.name), "duplicate vector name {}", c.name);
            let dir = if c.expected == "ALLOW" {
                "valid"
            } else {
                "invalid"
            };
            let file = render(c);
            let text = to_text(&file);
            (format!("{dir}/{}.json", c.name), file, text)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Semantic check: a consumer of the JSON alone
// ---------------------------------------------------------------------------

fn b64(field: &str, text: &str) -> Result<Vec<u8>, String> {
    from_base64url(text).map_err(|e| format!("{field}: not base64url: {e}"))
}

fn outcome(r: &Result<warrants::Authorized, Denial>) -> String {
    match r {
        Ok(_) => "ALLOW".to_owned(),
        Err(d) => d.code().to_owned(),
    }
}

fn authorizer_for(v: &VectorFile) -> Result<Authorizer, String> {
    let roots = v
        .trusted_roots
        .iter()
        .map(|r| PublicKey::from_base64url(r).map_err(|e| format!("trusted root {r}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let auth = Authorizer::builder()
        .trusted_roots(roots)
        .clock_skew(v.clock_skew)
        .max_chain_links(v.max_chain_links)
        .build();
    if let Some(rev) = &v.revocation_b64 {
        let list = RevocationList::from_bytes(&b64("revocation_b64", rev)?)
            .map_err(|e| format!("revocation list does not decode: {e}"))?;
        auth.install_revocations(&list)
            .map_err(|e| format!("revocation list not installed: {e}"))?;
    }
    Ok(auth)
}

/// Check one vector using only its JSON. Returns every problem found.
fn check(v: &VectorFile) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = check_inner(v, &mut problems) {
        problems.push(e);
    }
    problems
}

fn check_inner(v: &VectorFile, problems: &mut Vec<String>) -> Result<(), String> {
    for (name, k) in &v.keys {
        let seed: [u8; 32] = hex::decode(&k.seed_hex)
            .map_err(|e| format!("key {name}: seed hex: {e}"))?
            .try_into()
            .map_err(|_| format!("key {name}: seed is not 32 bytes"))?;
        if SigningKey::from_seed(&seed).public_key().to_base64url() != k.public_key {
            problems.push(format!("key {name}: public key does not match its seed"));
        }
    }

    // The call.
    let args_cbor = b64("call.args_cbor_b64", &v.call.args_cbor_b64)?;
    if hex::encode(&args_cbor) != v.call.args_cbor_hex {
        problems.push("call.args_cbor_hex differs from call.args_cbor_b64".into());
    }
    let args = Value::from_cbor(&args_cbor)
        .map_err(|e| format!("call.args_cbor_b64 is not canonical CBOR: {e}"))?;
    if args.to_cbor() != args_cbor {
        problems.push("call.args_cbor_b64 does not re-encode to itself".into());
    }
    let from_json = Value::try_from(&v.call.args_json)
        .map_err(|e| format!("call.args_json is not a value: {e}"))?;
    if from_json != args {
        problems.push(format!(
            "call.args_json {from_json} differs from the CBOR arguments {args}"
        ));
    }
    let ctx = b64("call.context_b64", &v.call.context_b64)?;
    if hex::encode(&ctx) != v.call.context_hex {
        problems.push("call.context_hex differs from call.context_b64".into());
    }
    let call = Call::new(&v.call.tool, &args, &ctx);

    let chain = v
        .chain_b64
        .as_deref()
        .map(|s| b64("chain_b64", s))
        .transpose()?;
    let pop = v
        .pop_b64
        .as_deref()
        .map(|s| b64("pop_b64", s))
        .transpose()?;
    let rev = v
        .revocation_b64
        .as_deref()
        .map(|s| b64("revocation_b64", s))
        .transpose()?;
    let window = PopWindow::around(v.window.reference, v.window.before, v.window.after);

    // The decision, from the header bytes.
    let auth = authorizer_for(v)?;
    let first = auth.authorize_bytes_at(chain.as_deref(), &call, pop.as_deref(), window, v.now);
    let got = outcome(&first);
    if got != v.expected {
        problems.push(format!(
            "expected {} but the authorizer says {got} ({:?})",
            v.expected, first
        ));
    }
    if let (Some(detail), Err(denial)) = (&v.expected_detail, &first) {
        let actual = serde_json::to_value(denial).unwrap();
        let want = detail
            .as_object()
            .ok_or("expected_detail must be an object")?;
        for (k, w) in want {
            if actual.get(k) != Some(w) {
                problems.push(format!(
                    "expected_detail.{k} = {w}, but the denial has {:?}",
                    actual.get(k)
                ));
            }
        }
    }
    if v.expected_detail.is_some() && first.is_ok() {
        problems.push("expected_detail on an allowed call".into());
    }
    if let Ok(ok) = &first {
        let links = v.computed.links.as_ref().map_or(0, Vec::len);
        if ok.chain_len != links {
            problems.push(format!(
                "allowed with {} links, file lists {links}",
                ok.chain_len
            ));
        }
    }
    // Same decision again (the verified-chain cache may answer now).
    let second = auth.authorize_bytes_at(chain.as_deref(), &call, pop.as_deref(), window, v.now);
    if outcome(&second) != got {
        problems.push(format!(
            "second decision differs: {} then {}",
            got,
            outcome(&second)
        ));
    }
    // Same decision through the decoded API, on a fresh authorizer.
    let decoded_chain = chain.as_deref().and_then(|b| Chain::from_bytes(b).ok());
    let decoded_pop = pop.as_deref().and_then(|b| Pop::from_bytes(b).ok());
    if let (Some(c), Some(p)) = (&decoded_chain, &decoded_pop) {
        let fresh = authorizer_for(v)?;
        let r = fresh.authorize_at(c, &call, p, window, v.now);
        if outcome(&r) != got {
            problems.push(format!(
                "authorize_at says {} but authorize_bytes_at says {got}",
                outcome(&r)
            ));
        }
    }

    // The readable fields agree with the bytes.
    let computed = compute(chain.as_deref(), pop.as_deref(), rev.as_deref());
    if computed != v.computed {
        problems.push(format!(
            "computed section does not match the bytes; recomputed:\n{}",
            serde_json::to_string_pretty(&computed).unwrap()
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("workspace root")
        .join("vectors")
}

/// Every `.json` file under `dir`, as paths relative to it with `/`.
fn json_files(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else if path.extension().is_some_and(|x| x == "json") {
                let rel = path.strip_prefix(base).unwrap();
                let parts: Vec<_> = rel.iter().map(|p| p.to_string_lossy()).collect();
                out.insert(parts.join("/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Where two texts first differ: (line, byte offset).
fn first_difference(a: &str, b: &str) -> (usize, usize) {
    let offset = a
        .bytes()
        .zip(b.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let line = a.as_bytes()[..offset.min(a.len())]
        .iter()
        .filter(|c| **c == b'\n')
        .count()
        + 1;
    (line, offset)
}

fn bless_requested() -> bool {
    std::env::var("WARRANTS_BLESS").is_ok_and(|v| !v.is_empty() && v != "0")
}

const BLESS_HINT: &str =
    "if the change is intended, regenerate with: WARRANTS_BLESS=1 cargo test -p warrants --test vectors";

#[test]
fn committed_vectors_match_the_generator() {
    let dir = vectors_dir();
    let generated = generate();
    let produced: BTreeSet<String> = generated.iter().map(|(p, _, _)| p.clone()).collect();
    let stale: Vec<String> = json_files(&dir)
        .into_iter()
        .filter(|p| !produced.contains(p))
        .collect();

    if bless_requested() {
        for (rel, file, text) in &generated {
            assert!(
                check(file).is_empty(),
                "refusing to bless {rel}: it fails its semantic check"
            );
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
                std::fs::write(&path, text).unwrap();
                eprintln!("wrote vectors/{rel}");
            }
        }
        for rel in &stale {
            std::fs::remove_file(dir.join(rel)).unwrap();
            eprintln!("removed stale vectors/{rel}");
        }
        return;
    }

    let mut failures = Vec::new();
    for (rel, _, text) in &generated {
        match std::fs::read_to_string(dir.join(rel)) {
            Err(e) => failures.push(format!("vectors/{rel}: missing ({e})")),
            Ok(committed) if committed != *text => {
                let (line, offset) = first_difference(&committed, text);
                failures.push(format!(
                    "vectors/{rel}: differs from the generator (first difference at line \
                     {line}, byte {offset})"
                ));
            }
            Ok(_) => {}
        }
    }
    for rel in &stale {
        failures.push(format!(
            "vectors/{rel}: stale, the generator does not produce it"
        ));
    }
    assert!(
        failures.is_empty(),
        "test vectors out of date:\n  {}\n{BLESS_HINT}",
        failures.join("\n  ")
    );
}

#[test]
fn vectors_authorize_as_expected() {
    let mut failures = Vec::new();
    for (rel, file, text) in generate() {
        // Consume the JSON text, as another implementation would.
        let parsed: VectorFile = match serde_json::from_str(&text) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("vectors/{rel}: does not parse: {e}"));
                continue;
            }
        };
        if parsed != file || to_text(&parsed) != text {
            failures.push(format!("vectors/{rel}: does not round-trip through JSON"));
        }
        for p in check(&parsed) {
            failures.push(format!("vectors/{rel}: {p}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn committed_vectors_authorize_as_expected() {
    // The files on disk, whatever produced them, must also hold (skipped
    // while blessing: the files are being rewritten).
    if bless_requested() {
        return;
    }
    let dir = vectors_dir();
    let mut failures = Vec::new();
    for rel in json_files(&dir) {
        let text = std::fs::read_to_string(dir.join(&rel)).unwrap();
        match serde_json::from_str::<VectorFile>(&text) {
            Err(e) => failures.push(format!("vectors/{rel}: does not parse: {e}")),
            Ok(v) => {
                let expect_dir = if v.expected == "ALLOW" {
                    "valid/"
                } else {
                    "invalid/"
                };
                if rel != format!("{expect_dir}{}.json", v.name) {
                    failures.push(format!("vectors/{rel}: name or directory does not match"));
                }
                for p in check(&v) {
                    failures.push(format!("vectors/{rel}: {p}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn readme_lists_every_vector() {
    let readme = std::fs::read_to_string(vectors_dir().join("README.md")).unwrap_or_default();
    let missing: Vec<String> = generate()
        .into_iter()
        .map(|(_, f, _)| (f.name, f.expected))
        .filter(|(name, expected)| !readme.contains(&format!("| `{name}` | {expected} |")))
        .map(|(name, expected)| format!("| `{name}` | {expected} |"))
        .collect();
    assert!(
        missing.is_empty(),
        "vectors/README.md lacks table rows:\n{}",
        missing.join("\n")
    );
}
