//! Ed25519 keys and signatures.
//!
//! [`PublicKey`] refuses weak (small-order) and non-canonical points when
//! parsed, so every key inside a decoded warrant is safe to batch-verify.
//! [`SigningKey`] never prints its secret (`Debug` is redacted) and its
//! bytes are zeroized on drop (ed25519-dalek's `ZeroizeOnDrop`).
//! Text forms are unpadded base64url; parsers also accept padding.

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use ed25519_dalek::Signer as _;
use zeroize::Zeroizing;

use crate::error::KeyError;

/// Unpadded base64url for output; accepts padded and unpadded input.
pub(crate) const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encode bytes as unpadded base64url.
pub fn to_base64url(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// Decode base64url (padding optional).
pub fn from_base64url(text: &str) -> Result<Vec<u8>, KeyError> {
    B64.decode(text.trim()).map_err(|_| KeyError::Base64)
}

/// An Ed25519 signing (secret) key.
pub struct SigningKey {
    inner: ed25519_dalek::SigningKey,
    public: PublicKey,
}

impl SigningKey {
    /// A fresh key from the operating system's RNG.
    pub fn generate() -> Self {
        let inner = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
        Self::from_dalek(inner)
    }

    /// The key for a 32-byte seed (RFC 8032 secret key).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self::from_dalek(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The key for a seed given as a byte slice of length 32.
    pub fn from_seed_slice(seed: &[u8]) -> Result<Self, KeyError> {
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(seed.try_into().map_err(|_| KeyError::Length {
                expected: 32,
                got: seed.len(),
            })?);
        Ok(Self::from_seed(&seed))
    }

    /// Parse a base64url seed.
    pub fn from_base64url(text: &str) -> Result<Self, KeyError> {
        let bytes = Zeroizing::new(from_base64url(text)?);
        Self::from_seed_slice(&bytes)
    }

    /// The seed as base64url. The returned string zeroizes on drop; keep it
    /// out of logs.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        let seed = Zeroizing::new(self.inner.to_bytes());
        Zeroizing::new(to_base64url(seed.as_slice()))
    }

    /// The seed bytes. Zeroized on drop.
    pub fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.inner.to_bytes())
    }

    fn from_dalek(inner: ed25519_dalek::SigningKey) -> Self {
        let point = inner.verifying_key();
        let public = PublicKey {
            bytes: point.to_bytes(),
            point: Some(point),
        };
        Self { inner, public }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// Sign a raw message (deterministic, RFC 8032). Builders and
    /// [`crate::Pop::sign`] add the domain strings; call this directly only
    /// for messages that carry their own domain separation.
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.inner.sign(message).to_bytes())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("secret", &"<redacted>")
            .field("public", &self.public)
            .finish()
    }
}

/// An Ed25519 public key: 32 bytes in canonical form that are not one of
/// the small-order (weak) points.
///
/// [`PublicKey::from_bytes`] also decompresses the point (refusing bytes
/// that are not on the curve). Keys read from warrants are checked by bytes
/// only (canonical, not weak: no field arithmetic, so decoding stays
/// cheap); their point is decompressed once, when a signature is first
/// verified, and a key that is not on the curve verifies nothing.
#[derive(Clone, Copy)]
pub struct PublicKey {
    bytes: [u8; 32],
    point: Option<ed25519_dalek::VerifyingKey>,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

/// The y coordinates (sign bit cleared) of the eight small-order points,
/// as in libsodium's `has_small_order` list (its non-canonical entries `p`
/// and `p + 1` are refused earlier by the canonical check). Compared with
/// the sign bit masked, this covers both signs of each.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    // y = 0 (order 4)
    [0; 32],
    // y = 1 (order 1)
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    // order 8
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // order 8
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // y = p - 1 (order 2)
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Byte-level checks: canonical y (< p) and not a small-order point.
fn check_encoding(b: &[u8; 32]) -> Result<(), KeyError> {
    // y >= p = 2^255 - 19 exactly when bytes 1..31 are 0xff, the top byte
    // (sign bit cleared) is 0x7f and the low byte is >= 0xed.
    let top = b[31] & 0x7f;
    if top == 0x7f && b[0] >= 0xed && b[1..31].iter().all(|x| *x == 0xff) {
        return Err(KeyError::Invalid);
    }
    let mut y = *b;
    y[31] = top;
    if SMALL_ORDER_Y.contains(&y) {
        return Err(KeyError::Weak);
    }
    Ok(())
}

impl PublicKey {
    /// Parse 32 bytes: canonical, not weak, and on the curve.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let k = Self::from_wire(bytes)?;
        let point =
            ed25519_dalek::VerifyingKey::from_bytes(&k.bytes).map_err(|_| KeyError::Invalid)?;
        if point.is_weak() {
            return Err(KeyError::Weak);
        }
        Ok(Self {
            bytes: k.bytes,
            point: Some(point),
        })
    }

    /// Parse 32 bytes with the byte-level checks only (canonical, not
    /// weak); the point is decompressed when first needed.
    pub(crate) fn from_wire(bytes: &[u8]) -> Result<Self, KeyError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Length {
            expected: 32,
            got: bytes.len(),
        })?;
        check_encoding(&arr)?;
        Ok(Self {
            bytes: arr,
            point: None,
        })
    }

    /// Parse base64url.
    pub fn from_base64url(text: &str) -> Result<Self, KeyError> {
        Self::from_bytes(&from_base64url(text)?)
    }

    /// The 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.bytes
    }

    /// The 32 bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Unpadded base64url.
    pub fn to_base64url(&self) -> String {
        to_base64url(&self.bytes)
    }

    /// The decompressed point, if the bytes are a valid, non-weak point.
    pub(crate) fn point(&self) -> Option<ed25519_dalek::VerifyingKey> {
        self.point.or_else(|| {
            ed25519_dalek::VerifyingKey::from_bytes(&self.bytes)
                .ok()
                .filter(|p| !p.is_weak())
        })
    }

    /// This key with its point decompressed (once), for repeated use.
    pub(crate) fn resolved(self) -> Self {
        Self {
            bytes: self.bytes,
            point: self.point(),
        }
    }

    /// Strict single verification (`verify_strict`). False for a key that
    /// is not on the curve.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.point()
            .is_some_and(|p| p.verify_strict(message, &sig).is_ok())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_base64url())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64url())
    }
}

impl std::str::FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_base64url(s)
    }
}

/// A 64-byte Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    /// Parse 64 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        Ok(Self(bytes.try_into().map_err(|_| KeyError::Length {
            expected: 64,
            got: bytes.len(),
        })?))
    }

    /// The 64 bytes.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0
    }

    pub(crate) fn dalek(&self) -> ed25519_dalek::Signature {
        ed25519_dalek::Signature::from_bytes(&self.0)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", to_base64url(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secret() {
        let k = SigningKey::from_seed(&[7u8; 32]);
        let dbg = format!("{k:?}");
        assert!(dbg.contains("<redacted>"));
        assert!(!dbg.contains(&*k.to_base64url()));
    }

    #[test]
    fn base64_round_trip() {
        let k = SigningKey::generate();
        let k2 = SigningKey::from_base64url(&k.to_base64url()).unwrap();
        assert_eq!(k.public_key(), k2.public_key());
        let pk = PublicKey::from_base64url(&k.public_key().to_base64url()).unwrap();
        assert_eq!(pk, k.public_key());
    }

    #[test]
    fn rejects_weak_and_bad_keys() {
        // The identity point (small order).
        let mut id = [0u8; 32];
        id[0] = 1;
        assert_eq!(PublicKey::from_bytes(&id), Err(KeyError::Weak));
        assert!(matches!(
            PublicKey::from_bytes(&[1u8; 31]),
            Err(KeyError::Length { .. })
        ));
        assert!(matches!(
            SigningKey::from_base64url("!!"),
            Err(KeyError::Base64)
        ));
    }

    #[test]
    fn rejects_non_canonical_point_encodings() {
        // y = p + k for small k (p = 2^255 - 19), both sign bits: these
        // decode to valid points under a non-canonical encoding.
        for k in 0u8..19 {
            for sign in [0u8, 0x80] {
                let mut b = [0xffu8; 32];
                b[0] = 0xed + k; // low byte of p is 0xed; no carry for k < 19
                b[31] = 0x7f | sign;
                assert!(PublicKey::from_bytes(&b).is_err(), "k={k} sign={sign}");
            }
        }
    }

    #[test]
    fn every_small_order_point_is_weak_by_bytes() {
        use curve25519_dalek::constants::EIGHT_TORSION;
        for p in EIGHT_TORSION {
            let b = p.compress().to_bytes();
            assert_eq!(PublicKey::from_wire(&b), Err(KeyError::Weak), "{b:02x?}");
            // The other sign of x is weak (or non-canonical) as well.
            let mut flipped = b;
            flipped[31] ^= 0x80;
            assert!(PublicKey::from_wire(&flipped).is_err());
        }
        // Every blacklisted y, both signs, is refused by the full parse too.
        for y in SMALL_ORDER_Y {
            for sign in [0u8, 0x80] {
                let mut b = y;
                b[31] |= sign;
                assert!(PublicKey::from_bytes(&b).is_err());
            }
        }
    }

    #[test]
    fn byte_checks_agree_with_full_parse_on_random_keys() {
        for i in 0..64u8 {
            let pk = SigningKey::from_seed(&[i; 32]).public_key();
            let wire = PublicKey::from_wire(pk.as_bytes()).unwrap();
            assert_eq!(wire, pk);
            assert!(wire.point().is_some());
        }
    }

    #[test]
    fn off_curve_key_verifies_nothing() {
        // Find bytes that pass the byte checks but are not a curve point.
        let off = crate::test_support::off_curve_bytes();
        let k = PublicKey::from_wire(&off).unwrap();
        assert!(PublicKey::from_bytes(&off).is_err());
        let sig = SigningKey::from_seed(&[1; 32]).sign(b"m");
        assert!(!k.verify(b"m", &sig));
        assert!(k.point().is_none());
    }

    #[test]
    fn sign_verify() {
        let k = SigningKey::from_seed(&[1u8; 32]);
        let s = k.sign(b"m");
        assert!(k.public_key().verify(b"m", &s));
        assert!(!k.public_key().verify(b"n", &s));
    }
}
