//! The cases: every vector before rendering, with its expected outcome.

use serde_json::json;
use sha2::{Digest, Sha256};
use warrants::{ConstraintSet, Pop, PopWindow, RevocationList, Value, Warrant, WarrantId};

use crate::fixtures::*;

/// One vector before rendering. By default: trusted root = the root key,
/// checked at `NOW` with the default skew, link limit and window, the
/// proof made by the leaf holder at `now - POP_AGE` over the call itself.
#[derive(Clone)]
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) now: u64,
    pub(crate) max_chain_links: usize,
    pub(crate) tool: &'static str,
    pub(crate) args: Value,
    pub(crate) context: Vec<u8>,
    pub(crate) chain: Option<Vec<u8>>,
    leaf_hash: [u8; 32],
    pub(crate) revocation: Option<Vec<u8>>,
    pop: bool,
    pop_signer: &'static str,
    pop_args: Option<Value>,
    pop_context: Option<Vec<u8>>,
    pop_ts: Option<u64>,
    pub(crate) expected: &'static str,
    pub(crate) detail: Option<serde_json::Value>,
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

    pub(crate) fn window(&self) -> PopWindow {
        PopWindow::around(self.now, BEFORE, AFTER)
    }

    pub(crate) fn pop_bytes(&self) -> Option<Vec<u8>> {
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

pub(crate) fn cases() -> Vec<Case> {
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
