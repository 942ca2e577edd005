//! `warrant inspect`: decode a chain without trusting it.
//!
//! Shows each link with its id, issuer and holder fingerprints (see
//! [`crate::output::fingerprint`]), validity window in absolute (UTC) and
//! relative time, depth, whether its signature matches its own issuer
//! field, and its tools and constraints. Expired links are marked. Nothing
//! here says the chain is trusted: use `verify` for that.

use serde_json::{json, Value as Json};
use warrants::{ConstraintSet, Warrant};

use crate::cli::InspectArgs;
use crate::constraint_doc::ConstraintDoc;
use crate::constraint_spec::render;
use crate::exit::{CliError, OK};
use crate::output::{absolute, fingerprint, now, print_json, relative};

/// Run `inspect`.
pub fn run(a: &InspectArgs, json: bool) -> Result<u8, CliError> {
    let chain = super::read_chain(&a.input)?;
    let now = now();
    let links_ok = chain
        .check_links()
        .map_err(|(i, r)| format!("link {i}: {r}"));
    if json {
        let links: Vec<Json> = chain
            .links()
            .iter()
            .enumerate()
            .map(|(i, w)| link_json(i, w, now))
            .collect();
        print_json(&json!({
            "ok": true,
            "chain_hash": hex(chain.hash()),
            "now": now,
            "links": links,
            "links_consistent": links_ok.is_ok(),
            "link_error": links_ok.as_ref().err(),
        }))?;
        return Ok(OK);
    }
    let n = chain.len();
    println!(
        "chain of {n} link{} (sha256 {}) — decoded, not verified",
        if n == 1 { "" } else { "s" },
        hex(chain.hash()).get(..16).unwrap_or("")
    );
    if let Err(e) = &links_ok {
        println!("! chain structure: {e}");
    }
    for (i, w) in chain.links().iter().enumerate() {
        print_link(i, w, now);
    }
    Ok(OK)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn print_link(i: usize, w: &Warrant, now: u64) {
    let pad = "   ".repeat(i);
    let expired = w.expires_at() <= now;
    let mark = match (expired, w.issued_at() > now) {
        (true, _) => "  [EXPIRED]",
        (_, true) => "  [NOT YET VALID]",
        _ => "",
    };
    let role = if w.depth() == 0 { "root" } else { "grant" };
    println!("{pad}└─ [{i}] {role} {}{mark}", w.id().to_hex());
    let p = format!("{pad}   ");
    println!(
        "{p}issuer   {}  {}",
        fingerprint(w.issuer()),
        w.issuer().to_base64url()
    );
    println!(
        "{p}holder   {}  {}",
        fingerprint(w.holder()),
        w.holder().to_base64url()
    );
    println!(
        "{p}issued   {} ({})",
        absolute(w.issued_at()),
        relative(w.issued_at(), now)
    );
    let rel = if expired {
        format!("expired {}", relative(w.expires_at(), now))
    } else {
        format!("expires {}", relative(w.expires_at(), now))
    };
    println!("{p}expires  {} ({rel})", absolute(w.expires_at()));
    println!("{p}depth    {} of max {}", w.depth(), w.max_depth());
    println!(
        "{p}signature {}",
        if w.verify_signature() {
            "matches the issuer field"
        } else {
            "DOES NOT MATCH the issuer field"
        }
    );
    println!("{p}tools");
    for (tool, set) in w.tools() {
        println!("{p}  {tool}{}", set_note(set));
        for (arg, c) in set.args() {
            println!(
                "{p}    {arg} = {}",
                render(&ConstraintDoc::from_constraint(c))
            );
        }
    }
}

fn set_note(set: &ConstraintSet) -> &'static str {
    if set.is_empty() {
        "  (any arguments)"
    } else if set.allows_unknown() {
        "  (other arguments allowed)"
    } else {
        ""
    }
}

fn link_json(i: usize, w: &Warrant, now: u64) -> Json {
    let tools: serde_json::Map<String, Json> = w
        .tools()
        .iter()
        .map(|(t, set)| {
            let args: serde_json::Map<String, Json> = set
                .args()
                .iter()
                .map(|(a, c)| {
                    let doc = ConstraintDoc::from_constraint(c);
                    let mut v = serde_json::to_value(&doc).unwrap_or(Json::Null);
                    if let Json::Object(m) = &mut v {
                        m.insert("spec".into(), Json::String(render(&doc)));
                    }
                    (a.clone(), v)
                })
                .collect();
            (
                t.clone(),
                json!({ "allow_unknown": set.allows_unknown(), "args": args }),
            )
        })
        .collect();
    json!({
        "index": i,
        "id": w.id().to_hex(),
        "issuer": w.issuer().to_base64url(),
        "issuer_fingerprint": fingerprint(w.issuer()),
        "holder": w.holder().to_base64url(),
        "holder_fingerprint": fingerprint(w.holder()),
        "issued_at": w.issued_at(),
        "issued_at_utc": absolute(w.issued_at()),
        "expires_at": w.expires_at(),
        "expires_at_utc": absolute(w.expires_at()),
        "expired": w.expires_at() <= now,
        "not_yet_valid": w.issued_at() > now,
        "expires_relative": relative(w.expires_at(), now),
        "depth": w.depth(),
        "max_depth": w.max_depth(),
        "parent_hash": w.parent_hash().map(|h| hex(h)),
        "signature_matches_issuer": w.verify_signature(),
        "tools": tools,
    })
}
