//! The warrant headers and their payload encodings.
//!
//! Writers send binary payloads (`encoding: binary/plain`, the raw bytes).
//! Readers also accept a `json/plain` payload holding a base64url string,
//! which is what `temporal workflow start --headers 'x-warrant="<b64url>"'`
//! (CLI 1.9) and other SDKs send. Any other encoding is refused: a header
//! that cannot be read is a denial, never "no header".

use std::collections::HashMap;

use temporalio_common::protos::temporal::api::common::v1::{Header, Payload};

/// Header carrying the chain bytes.
pub const X_WARRANT: &str = "x-warrant";
/// Header carrying the holder key id.
pub const X_WARRANT_KEY_ID: &str = "x-warrant-key-id";
/// Header carrying the proof of possession of one activity call.
pub const X_WARRANT_POP: &str = "x-warrant-pop";
/// Header set on an activity, instead of a proof, when the workflow side
/// could not sign because its key store lacks the holder key; it holds the
/// key id. It only changes which denial the activity side reports
/// (`KEY_NOT_FOUND` rather than `POP_MISSING`).
pub const X_WARRANT_NO_KEY: &str = "x-warrant-no-key";

const ENCODING: &str = "encoding";
const BINARY: &[u8] = b"binary/plain";
const JSON: &[u8] = b"json/plain";

/// Why a warrant header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The payload's encoding is neither `binary/plain` nor `json/plain`.
    #[error("header `{0}` has an unsupported encoding")]
    Encoding(&'static str),
    /// A `json/plain` payload that is not a JSON string of base64url.
    #[error("header `{0}` is not a base64url json string")]
    Json(&'static str),
    /// A text header whose bytes are not UTF-8.
    #[error("header `{0}` is not utf-8 text")]
    Utf8(&'static str),
}

/// A `binary/plain` payload holding `data`.
pub fn binary_payload(data: Vec<u8>) -> Payload {
    Payload {
        metadata: HashMap::from([(ENCODING.to_owned(), BINARY.to_vec())]),
        data,
        ..Default::default()
    }
}

/// Set `name` to a binary payload unless the header already has it (an
/// explicit header set by the caller wins).
pub fn insert_if_absent(header: &mut Option<Header>, name: &str, data: &[u8]) {
    header
        .get_or_insert_with(Header::default)
        .fields
        .entry(name.to_owned())
        .or_insert_with(|| binary_payload(data.to_vec()));
}

/// The bytes of header `name`: `Ok(None)` when absent, an error when
/// present but unreadable.
pub fn read(header: Option<&Header>, name: &'static str) -> Result<Option<Vec<u8>>, HeaderError> {
    header.map_or(Ok(None), |h| read_fields(&h.fields, name))
}

/// [`read`] for the header maps that worker-side interceptor inputs carry.
pub fn read_fields(
    fields: &HashMap<String, Payload>,
    name: &'static str,
) -> Result<Option<Vec<u8>>, HeaderError> {
    let Some(p) = fields.get(name) else {
        return Ok(None);
    };
    match p.metadata.get(ENCODING).map(Vec::as_slice) {
        Some(BINARY) => Ok(Some(p.data.clone())),
        Some(JSON) => {
            let text: String =
                serde_json::from_slice(&p.data).map_err(|_| HeaderError::Json(name))?;
            warrants::keys::from_base64url(&text)
                .map(Some)
                .map_err(|_| HeaderError::Json(name))
        }
        _ => Err(HeaderError::Encoding(name)),
    }
}

/// The text of header `name` (e.g. the key id): a `binary/plain` payload
/// holds UTF-8 bytes; a `json/plain` payload is a JSON string taken as the
/// text itself (what `temporal workflow start --headers 'x-warrant-key-id="agent"'`
/// and other SDKs send), not base64url.
pub fn read_text_fields(
    fields: &HashMap<String, Payload>,
    name: &'static str,
) -> Result<Option<String>, HeaderError> {
    let Some(p) = fields.get(name) else {
        return Ok(None);
    };
    match p.metadata.get(ENCODING).map(Vec::as_slice) {
        Some(BINARY) => String::from_utf8(p.data.clone())
            .map(Some)
            .map_err(|_| HeaderError::Utf8(name)),
        Some(JSON) => serde_json::from_slice::<String>(&p.data)
            .map(Some)
            .map_err(|_| HeaderError::Json(name)),
        _ => Err(HeaderError::Encoding(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(p: Payload) -> Header {
        Header {
            fields: HashMap::from([(X_WARRANT.to_owned(), p)]),
        }
    }

    #[test]
    fn binary_and_json_forms_read_the_same() {
        let bytes = vec![0x81, 0x00, 0xff];
        let bin = header(binary_payload(bytes.clone()));
        assert_eq!(read(Some(&bin), X_WARRANT), Ok(Some(bytes.clone())));
        let json = header(Payload {
            metadata: HashMap::from([(ENCODING.to_owned(), JSON.to_vec())]),
            data: format!("\"{}\"", warrants::keys::to_base64url(&bytes)).into_bytes(),
            ..Default::default()
        });
        assert_eq!(read(Some(&json), X_WARRANT), Ok(Some(bytes)));
    }

    #[test]
    fn absent_unknown_and_garbage() {
        assert_eq!(read(None, X_WARRANT), Ok(None));
        assert_eq!(read(Some(&Header::default()), X_WARRANT), Ok(None));
        let other = header(Payload {
            metadata: HashMap::from([(ENCODING.to_owned(), b"binary/encrypted".to_vec())]),
            data: vec![1],
            ..Default::default()
        });
        assert_eq!(
            read(Some(&other), X_WARRANT),
            Err(HeaderError::Encoding(X_WARRANT))
        );
        let bad_json = header(Payload {
            metadata: HashMap::from([(ENCODING.to_owned(), JSON.to_vec())]),
            data: b"{not json".to_vec(),
            ..Default::default()
        });
        assert_eq!(
            read(Some(&bad_json), X_WARRANT),
            Err(HeaderError::Json(X_WARRANT))
        );
    }

    #[test]
    fn text_headers_read_json_strings_as_text() {
        let json = |d: &[u8]| Payload {
            metadata: HashMap::from([(ENCODING.to_owned(), JSON.to_vec())]),
            data: d.to_vec(),
            ..Default::default()
        };
        let f = |p: Payload| HashMap::from([(X_WARRANT_KEY_ID.to_owned(), p)]);
        let k = X_WARRANT_KEY_ID;
        assert_eq!(
            read_text_fields(&f(json(b"\"QUJD\"")), k),
            Ok(Some("QUJD".to_owned()))
        );
        assert_eq!(
            read_text_fields(&f(binary_payload(b"agent".to_vec())), k),
            Ok(Some("agent".to_owned()))
        );
        assert_eq!(
            read_text_fields(&f(binary_payload(vec![0xff])), k),
            Err(HeaderError::Utf8(k))
        );
        assert_eq!(
            read_text_fields(&f(json(b"7")), k),
            Err(HeaderError::Json(k))
        );
        assert_eq!(read_text_fields(&HashMap::new(), k), Ok(None));
    }

    #[test]
    fn explicit_header_wins() {
        let mut h = Some(header(binary_payload(vec![1])));
        insert_if_absent(&mut h, X_WARRANT, &[2]);
        insert_if_absent(&mut h, X_WARRANT_KEY_ID, b"k");
        let h = h.unwrap();
        assert_eq!(h.fields[X_WARRANT].data, vec![1]);
        assert_eq!(h.fields[X_WARRANT_KEY_ID].data, b"k".to_vec());
    }
}
