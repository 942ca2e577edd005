//! The file format: the JSON structs of a vector file, rendering a case to
//! one, and the generator of every vector.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use warrants::constraint::Bound;
use warrants::keys::to_base64url;
use warrants::{Chain, Constraint, Pop, RevocationList, Value, Warrant, WarrantId};

use crate::cases::*;
use crate::fixtures::*;

/// One vector file. Field order is the serialization order; nested maps are
/// `BTreeMap`s, so the output is stable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VectorFile {
    pub(crate) name: String,
    description: String,
    /// `"ALLOW"` or a denial code.
    pub(crate) expected: String,
    /// Fields the serialized denial must have (informative for other
    /// implementations; this one checks them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expected_detail: Option<serde_json::Value>,
    /// Trusted root public keys, base64url.
    pub(crate) trusted_roots: Vec<String>,
    /// Verification time, unix seconds.
    pub(crate) now: u64,
    /// Tolerance applied to issued_at and expires_at, seconds.
    pub(crate) clock_skew: u64,
    /// Most links the authorizer accepts.
    pub(crate) max_chain_links: usize,
    /// The proof window.
    pub(crate) window: WindowFile,
    pub(crate) call: CallFile,
    /// Chain bytes, base64url; null when no warrant is presented.
    pub(crate) chain_b64: Option<String>,
    /// Proof bytes, base64url; null when no proof is presented.
    pub(crate) pop_b64: Option<String>,
    /// Signed revocation list to install first, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) revocation_b64: Option<String>,
    /// Readable values derived from the bytes above (checked, informative).
    pub(crate) computed: Computed,
    /// The fixed test keys: seed (hex) and public key (base64url).
    pub(crate) keys: BTreeMap<String, KeyFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WindowFile {
    pub(crate) reference: u64,
    pub(crate) before: u64,
    pub(crate) after: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CallFile {
    pub(crate) tool: String,
    /// The arguments as JSON (readable; must equal the CBOR).
    pub(crate) args_json: serde_json::Value,
    /// Canonical CBOR of the argument map, base64url.
    pub(crate) args_cbor_b64: String,
    pub(crate) args_cbor_hex: String,
    /// Opaque context bytes, base64url (here CBOR `[workflow_id, activity_id]`).
    pub(crate) context_b64: String,
    pub(crate) context_hex: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyFile {
    pub(crate) seed_hex: String,
    pub(crate) public_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Computed {
    /// SHA-256 of the chain bytes; null when the chain does not decode.
    chain_hash_hex: Option<String>,
    chain_len: Option<usize>,
    /// SHA-256 of the leaf envelope (what the proof signs).
    leaf_hash_hex: Option<String>,
    pub(crate) links: Option<Vec<LinkFile>>,
    /// The proof's time; null when the proof is absent or does not decode.
    pop_ts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revocation: Option<RevocationFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkFile {
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
pub(crate) fn compute(
    chain: Option<&[u8]>,
    pop: Option<&[u8]>,
    revocation: Option<&[u8]>,
) -> Computed {
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

pub(crate) fn to_text(v: &VectorFile) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap();
    s.push('\n');
    s
}

/// Every vector: relative path (`valid/<name>.json` or
/// `invalid/<name>.json`), file, text.
pub(crate) fn generate() -> Vec<(String, VectorFile, String)> {
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
