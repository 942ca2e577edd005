//! A tiny hand-written CBOR encoder (independent of the library's writer)
//! for crafting canonical and non-canonical inputs.

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
