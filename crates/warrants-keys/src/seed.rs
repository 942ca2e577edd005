//! Parsing stored seeds.
//!
//! A stored key is the 32-byte Ed25519 seed (RFC 8032 secret key) as text:
//! base64url or standard base64, padding optional, surrounding whitespace
//! ignored. Files may also hold the 32 raw bytes. Every intermediate buffer
//! is zeroized; errors say what is wrong, never the value.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use warrants::SigningKey;
use zeroize::Zeroizing;

const fn engine(alphabet: &'static base64::alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

/// base64url, padding optional.
pub(crate) const URL_SAFE: GeneralPurpose = engine(&base64::alphabet::URL_SAFE);
/// Standard base64, padding optional.
pub(crate) const STANDARD: GeneralPurpose = engine(&base64::alphabet::STANDARD);

/// Decode base64url or standard base64 (whitespace around it ignored).
pub(crate) fn decode_b64(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let text = text.trim();
    URL_SAFE
        .decode(text)
        .or_else(|_| STANDARD.decode(text))
        .ok()
        .map(Zeroizing::new)
}

/// Why a stored value is not a seed.
pub(crate) fn parse_seed_text(text: &str) -> Result<SigningKey, &'static str> {
    let bytes = decode_b64(text).ok_or("not base64 or base64url")?;
    SigningKey::from_seed_slice(&bytes).map_err(|_| "not a 32-byte seed")
}

/// A seed file: 32 raw bytes, or the text form.
pub(crate) fn parse_seed_bytes(bytes: &[u8]) -> Result<SigningKey, &'static str> {
    if bytes.len() == 32 {
        return SigningKey::from_seed_slice(bytes).map_err(|_| "not a 32-byte seed");
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "neither 32 raw bytes nor base64 text")?;
    parse_seed_text(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_alphabets_and_raw() {
        let k = SigningKey::from_seed(&[0xfb; 32]).public_key();
        let url = URL_SAFE.encode([0xfb; 32]);
        let std = STANDARD.encode([0xfb; 32]);
        assert_ne!(url, std);
        assert_eq!(parse_seed_text(&url).unwrap().public_key(), k);
        assert_eq!(
            parse_seed_text(&format!(" {std}\n")).unwrap().public_key(),
            k
        );
        assert_eq!(parse_seed_bytes(&[0xfb; 32]).unwrap().public_key(), k);
        assert_eq!(
            parse_seed_bytes(format!("{url}\n").as_bytes())
                .unwrap()
                .public_key(),
            k
        );
    }

    #[test]
    fn wrong_lengths_and_garbage() {
        assert_eq!(
            parse_seed_text(&URL_SAFE.encode([1; 31])).unwrap_err(),
            "not a 32-byte seed"
        );
        assert_eq!(
            parse_seed_text("!!!").unwrap_err(),
            "not base64 or base64url"
        );
        assert!(parse_seed_bytes(&[0xff; 33]).is_err());
        assert!(parse_seed_bytes(b"").is_err());
    }
}
