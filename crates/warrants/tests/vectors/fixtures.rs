//! Fixed inputs: keys, times, constraint shorthands, the standard chain
//! fixture and helpers to forge links and encode chains by hand.

use std::time::Duration;

use warrants::constraint::{Exact, OneOf, Pattern, Range, Subpath, Wildcard};
use warrants::{Chain, Constraint, Payload, PublicKey, SigningKey, Value, Warrant, WarrantId};

/// The fixed keys: name and the byte repeated 32 times as the Ed25519 seed.
pub(crate) const KEYS: [(&str, u8); 5] = [
    ("root", 1),
    ("agent", 2),
    ("sub_agent", 3),
    ("worker", 4),
    ("attacker", 9),
];

/// Issue time of the root warrant.
pub(crate) const T0: u64 = 1_700_000_000;
/// Root validity.
pub(crate) const ROOT_TTL: u64 = 3600;
/// Link 1 (agent -> sub_agent): issued at `T0 + 10`, valid 1800 s.
pub(crate) const LINK1_AT: u64 = T0 + 10;
pub(crate) const LINK1_TTL: u64 = 1800;
/// Link 2 (sub_agent -> worker): issued at `T0 + 20`, valid 900 s.
const LINK2_AT: u64 = T0 + 20;
const LINK2_TTL: u64 = 900;
/// Default verification time.
pub(crate) const NOW: u64 = T0 + 300;
/// Default proof time: made a little before it is checked.
pub(crate) const POP_AGE: u64 = 3;
/// Default proof window around the reference time.
pub(crate) const BEFORE: u64 = 60;
pub(crate) const AFTER: u64 = 5;
/// Default clock skew and link limit (the library defaults, stated
/// explicitly so other implementations need not know them).
pub(crate) const SKEW: u64 = 30;
pub(crate) const MAX_LINKS: usize = 16;

pub(crate) fn key(name: &str) -> SigningKey {
    let seed = KEYS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("no key named {name}"));
    SigningKey::from_seed(&[seed; 32])
}

pub(crate) fn pk(name: &str) -> PublicKey {
    key(name).public_key()
}

/// Temporal-style proof context: CBOR `[workflow_id, activity_id]`.
pub(crate) fn context(activity: &str) -> Vec<u8> {
    Value::list(["wf-42", activity]).to_cbor()
}

pub(crate) fn sub(root: &str) -> Constraint {
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
pub(crate) fn root_builder(id: u8) -> warrants::warrant::MintBuilder {
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
pub(crate) struct Fixture {
    /// Root warrant: root key -> agent, depth 0.
    pub(crate) w0: Warrant,
    /// agent -> sub_agent, depth 1.
    pub(crate) w1: Warrant,
    /// sub_agent -> worker, depth 2.
    pub(crate) w2: Warrant,
}

impl Fixture {
    pub(crate) fn new() -> Self {
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
pub(crate) fn encode_chain(links: &[Warrant]) -> Vec<u8> {
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
pub(crate) fn raw_envelope(payload: &Payload, signer: &SigningKey) -> Vec<u8> {
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
pub(crate) fn forged(
    base: &Warrant,
    id: u8,
    signer: &str,
    edit: impl FnOnce(&mut Payload),
) -> Warrant {
    let mut p = base.payload().clone();
    p.id = WarrantId([id; 16]);
    edit(&mut p);
    Warrant::sign_payload(p, &key(signer)).unwrap()
}

/// The name of a fixed key.
pub(crate) fn name_of(key: &PublicKey) -> &'static str {
    KEYS.iter()
        .map(|(n, _)| *n)
        .find(|n| pk(n) == *key)
        .expect("a fixed key")
}
