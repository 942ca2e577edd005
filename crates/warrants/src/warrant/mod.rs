//! Warrants: signed envelopes around a [`Payload`].
//!
//! Envelope wire form: CBOR array `[1, payload: bstr, signature: bstr 64]`.
//! The signature is Ed25519 by the payload's issuer over
//! `b"warrants/v1/warrant\0" || payload bytes`. The signature is always
//! checked over the payload bytes exactly as received; nothing is
//! re-encoded to verify.

mod builder;
mod payload;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub(crate) use builder::unix_now;
pub use builder::{GrantBuilder, MintBuilder, UnsignedWarrant, DEFAULT_MAX_DEPTH, DEFAULT_TTL};
pub use payload::{Header, Payload, PAYLOAD_VERSION};

use crate::cbor::{Reader, Writer};
use crate::constraint::ConstraintSet;
use crate::error::DecodeError;
use crate::keys::{PublicKey, Signature, SigningKey};
use crate::limits;

/// Domain string prefixed to warrant payloads before signing.
pub const WARRANT_DOMAIN: &[u8] = b"warrants/v1/warrant\0";
/// Envelope format version.
pub const ENVELOPE_VERSION: u64 = 1;

/// A warrant's 16-byte id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WarrantId(pub [u8; 16]);

impl WarrantId {
    /// A random id.
    pub fn random() -> Self {
        let mut b = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
        Self(b)
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parse 32 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 32 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Display for WarrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for WarrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WarrantId({})", self.to_hex())
    }
}

impl Serialize for WarrantId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for WarrantId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_hex(&s).ok_or_else(|| serde::de::Error::custom("invalid warrant id"))
    }
}

/// A signed warrant, decoded. Cheap to clone (shared). Decoding checks the
/// format, not trust: only an [`crate::Authorizer`] decides whether a chain
/// of warrants is valid.
#[derive(Clone)]
pub struct Warrant {
    inner: Arc<Inner>,
}

struct Inner {
    payload: Payload,
    envelope: Vec<u8>,
    signed_message: Vec<u8>,
    signature: Signature,
    hash: [u8; 32],
    /// Issuer and holder with decompressed points, computed once.
    keys: OnceLock<(PublicKey, PublicKey)>,
}

impl Warrant {
    /// Start minting a root warrant.
    pub fn mint_builder() -> MintBuilder {
        MintBuilder::new()
    }

    /// Start granting an attenuated child of this warrant. The child starts
    /// with no tools.
    pub fn grant_builder(&self) -> GrantBuilder<'_> {
        GrantBuilder::new(self)
    }

    /// Sign an arbitrary payload with no attenuation checks (tests, tools).
    /// Prefer the builders.
    pub fn sign_payload(payload: Payload, key: &SigningKey) -> Result<Self, DecodeError> {
        payload.check_sane()?;
        let bytes = payload.encode();
        let sig = key.sign(&signed_message(&bytes));
        Self::assemble(payload, bytes, sig)
    }

    pub(crate) fn assemble(
        payload: Payload,
        payload_bytes: Vec<u8>,
        signature: Signature,
    ) -> Result<Self, DecodeError> {
        let mut w = Writer::with_capacity(payload_bytes.len() + 80);
        w.array(3);
        w.uint(ENVELOPE_VERSION);
        w.bytes(&payload_bytes);
        w.bytes(&signature.0);
        let envelope = w.into_bytes();
        if envelope.len() > limits::MAX_ENVELOPE_BYTES {
            return Err(DecodeError::TooLarge("envelope"));
        }
        let hash = Sha256::digest(&envelope).into();
        Ok(Self {
            inner: Arc::new(Inner {
                payload,
                signed_message: signed_message(&payload_bytes),
                envelope,
                signature,
                hash,
                keys: OnceLock::new(),
            }),
        })
    }

    /// Decode one envelope (strict; no trust decision).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes, limits::MAX_NESTING);
        let w = Self::from_raw(&RawEnvelope::split(&mut r)?)?;
        r.finish()?;
        Ok(w)
    }

    /// Fully decode a split envelope.
    pub(crate) fn from_raw(raw: &RawEnvelope<'_>) -> Result<Self, DecodeError> {
        let payload = Payload::decode(raw.payload)?;
        Ok(Self {
            inner: Arc::new(Inner {
                payload,
                signed_message: signed_message(raw.payload),
                envelope: raw.envelope.to_vec(),
                signature: raw.signature,
                hash: raw.hash,
                keys: OnceLock::new(),
            }),
        })
    }

    /// The envelope bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.envelope.clone()
    }

    /// The envelope bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.inner.envelope
    }

    /// SHA-256 of the envelope bytes (what a child's `parent` names and
    /// what proofs of possession bind).
    pub fn hash(&self) -> &[u8; 32] {
        &self.inner.hash
    }

    /// The decoded payload.
    pub fn payload(&self) -> &Payload {
        &self.inner.payload
    }

    /// Id.
    pub fn id(&self) -> WarrantId {
        self.inner.payload.id
    }

    /// Issuer key.
    pub fn issuer(&self) -> &PublicKey {
        &self.inner.payload.issuer
    }

    /// Holder key.
    pub fn holder(&self) -> &PublicKey {
        &self.inner.payload.holder
    }

    /// Start of validity, unix seconds.
    pub fn issued_at(&self) -> u64 {
        self.inner.payload.issued_at
    }

    /// End of validity, unix seconds.
    pub fn expires_at(&self) -> u64 {
        self.inner.payload.expires_at
    }

    /// Position in its chain (root = 0).
    pub fn depth(&self) -> u32 {
        self.inner.payload.depth
    }

    /// Deepest position a descendant may have.
    pub fn max_depth(&self) -> u32 {
        self.inner.payload.max_depth
    }

    /// Hash of the parent envelope (None at the root).
    pub fn parent_hash(&self) -> Option<&[u8; 32]> {
        self.inner.payload.parent.as_ref()
    }

    /// Granted tools.
    pub fn tools(&self) -> &BTreeMap<String, ConstraintSet> {
        &self.inner.payload.tools
    }

    /// The constraint set of one tool, if granted.
    pub fn tool(&self, name: &str) -> Option<&ConstraintSet> {
        self.inner.payload.tools.get(name)
    }

    /// The issuer's signature.
    pub fn signature(&self) -> &Signature {
        &self.inner.signature
    }

    /// `domain || payload bytes`, the message the signature covers.
    pub fn signed_message(&self) -> &[u8] {
        &self.inner.signed_message
    }

    /// Strict single check of the issuer's signature.
    pub fn verify_signature(&self) -> bool {
        self.resolved_keys()
            .0
            .verify(&self.inner.signed_message, &self.inner.signature)
    }

    /// Issuer and holder with their points decompressed (once per decoded
    /// warrant, so a cached chain never decompresses again).
    pub(crate) fn resolved_keys(&self) -> &(PublicKey, PublicKey) {
        self.inner.keys.get_or_init(|| {
            (
                self.inner.payload.issuer.resolved(),
                self.inner.payload.holder.resolved(),
            )
        })
    }

    /// Hand over keys already decompressed for these same bytes.
    pub(crate) fn prime_keys(&self, issuer: PublicKey, holder: PublicKey) {
        if issuer == self.inner.payload.issuer && holder == self.inner.payload.holder {
            let _ = self.inner.keys.set((issuer, holder));
        }
    }
}

impl PartialEq for Warrant {
    fn eq(&self, other: &Self) -> bool {
        self.inner.envelope == other.inner.envelope
    }
}

impl Eq for Warrant {}

impl fmt::Debug for Warrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.inner.payload;
        f.debug_struct("Warrant")
            .field("id", &p.id)
            .field("issuer", &p.issuer)
            .field("holder", &p.holder)
            .field("issued_at", &p.issued_at)
            .field("expires_at", &p.expires_at)
            .field("depth", &p.depth)
            .field("max_depth", &p.max_depth)
            .field("tools", &p.tools.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// An envelope split into its parts, the payload not parsed yet.
#[derive(Debug, Clone)]
pub(crate) struct RawEnvelope<'a> {
    /// The whole envelope.
    pub(crate) envelope: &'a [u8],
    /// The payload bytes (what the signature covers, after the domain).
    pub(crate) payload: &'a [u8],
    /// The issuer's signature.
    pub(crate) signature: Signature,
    /// SHA-256 of the envelope.
    pub(crate) hash: [u8; 32],
}

impl<'a> RawEnvelope<'a> {
    /// Read `[1, payload, signature]` without parsing the payload.
    pub(crate) fn split(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let start = r.pos();
        r.array_of(3, "envelope is [version, payload, signature]")?;
        let version = r.uint()?;
        if version != ENVELOPE_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let payload = r.bytes()?;
        let signature = Signature(r.bytes_fixed::<64>()?);
        let envelope = r.slice(start, r.pos())?;
        if envelope.len() > limits::MAX_ENVELOPE_BYTES {
            return Err(DecodeError::TooLarge("envelope"));
        }
        Ok(Self {
            envelope,
            payload,
            signature,
            hash: Sha256::digest(envelope).into(),
        })
    }
}

pub(crate) fn signed_message(payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(WARRANT_DOMAIN.len() + payload.len());
    m.extend_from_slice(WARRANT_DOMAIN);
    m.extend_from_slice(payload);
    m
}
