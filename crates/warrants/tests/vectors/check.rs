//! Semantic check: a consumer of the JSON alone decodes the bytes, runs the
//! authorizer and compares the outcome with the vector's expectation.

use warrants::keys::from_base64url;
use warrants::{
    Authorizer, Call, Chain, Denial, Pop, PopWindow, PublicKey, RevocationList, SigningKey, Value,
};

use crate::format::*;

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
pub(crate) fn check(v: &VectorFile) -> Vec<String> {
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
