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
        let public = PublicKey {
            inner: inner.verifying_key(),
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

/// An Ed25519 public key that is a valid, non-weak curve point.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    inner: ed25519_dalek::VerifyingKey,
}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.as_bytes().hash(state);
    }
}

impl PublicKey {
    /// Parse 32 bytes, refusing invalid and small-order points.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Length {
            expected: 32,
            got: bytes.len(),
        })?;
        let inner = ed25519_dalek::VerifyingKey::from_bytes(&arr).map_err(|_| KeyError::Invalid)?;
        if inner.is_weak() {
            return Err(KeyError::Weak);
        }
        // Refuse non-canonical encodings of a point (y >= p): one key, one
        // byte form. `from_bytes` keeps the input bytes, so re-compress.
        if inner.to_edwards().compress().to_bytes() != arr {
            return Err(KeyError::Invalid);
        }
        Ok(Self { inner })
    }

    /// Parse base64url.
    pub fn from_base64url(text: &str) -> Result<Self, KeyError> {
        Self::from_bytes(&from_base64url(text)?)
    }

    /// The 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.inner.to_bytes()
    }

    /// The 32 bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.inner.as_bytes()
    }

    /// Unpadded base64url.
    pub fn to_base64url(&self) -> String {
        to_base64url(self.inner.as_bytes())
    }

    /// Strict single verification (`verify_strict`).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.inner.verify_strict(message, &sig).is_ok()
    }

    pub(crate) fn dalek(&self) -> &ed25519_dalek::VerifyingKey {
        &self.inner
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
    fn sign_verify() {
        let k = SigningKey::from_seed(&[1u8; 32]);
        let s = k.sign(b"m");
        assert!(k.public_key().verify(b"m", &s));
        assert!(!k.public_key().verify(b"n", &s));
    }
}
