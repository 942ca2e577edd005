//! Signed revocation lists.
//!
//! Wire form: envelope `[1, payload: bstr, signature: bstr 64]`, signature
//! by the payload's issuer over `b"warrants/v1/revocation\0" || payload`.
//! Payload: canonical map `{1: version uint, 2: issuer bstr 32,
//! 3: issued_at uint, 4: [id bstr 16, ...] sorted, unique}`.
//! An [`crate::Authorizer`] installs a list only if its issuer is a trusted
//! root, its signature verifies, and its version is higher than the one
//! installed for the same issuer (rollback refused). Each trusted root has
//! its own list and version; a warrant is revoked if any list names it.

use std::collections::BTreeSet;

use crate::cbor::{Reader, Writer};
use crate::error::DecodeError;
use crate::keys::{PublicKey, Signature, SigningKey};
use crate::limits;
use crate::warrant::WarrantId;

/// Domain string prefixed to revocation payloads before signing.
pub const REVOCATION_DOMAIN: &[u8] = b"warrants/v1/revocation\0";

/// Why a revocation list was not installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The list does not decode.
    #[error("malformed revocation list: {0}")]
    Malformed(#[from] DecodeError),
    /// The issuer is not a trusted root.
    #[error("revocation list issuer is not a trusted root")]
    UntrustedIssuer,
    /// The signature does not verify.
    #[error("revocation list signature does not verify")]
    BadSignature,
    /// The version is not newer than the installed one.
    #[error("revocation list version {got} does not supersede installed version {installed}")]
    Rollback {
        /// Installed version.
        installed: u64,
        /// Offered version.
        got: u64,
    },
}

impl RevocationError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "REVOCATION_MALFORMED",
            Self::UntrustedIssuer => "REVOCATION_UNTRUSTED_ISSUER",
            Self::BadSignature => "REVOCATION_BAD_SIGNATURE",
            Self::Rollback { .. } => "REVOCATION_ROLLBACK",
        }
    }
}

/// A signed, versioned list of revoked warrant ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationList {
    version: u64,
    issuer: PublicKey,
    issued_at: u64,
    ids: BTreeSet<WarrantId>,
    signed_message: Vec<u8>,
    signature: Signature,
}

impl RevocationList {
    /// Build and sign a list with a root key.
    pub fn sign(
        issuer: &SigningKey,
        version: u64,
        issued_at: u64,
        ids: impl IntoIterator<Item = WarrantId>,
    ) -> Self {
        let ids: BTreeSet<WarrantId> = ids.into_iter().collect();
        let mut w = Writer::with_capacity(64 + ids.len() * 18);
        w.map(4);
        w.uint(1);
        w.uint(version);
        w.uint(2);
        w.bytes(issuer.public_key().as_bytes());
        w.uint(3);
        w.uint(issued_at);
        w.uint(4);
        w.array(ids.len());
        for id in &ids {
            w.bytes(&id.0);
        }
        let mut signed_message = REVOCATION_DOMAIN.to_vec();
        signed_message.extend_from_slice(&w.into_bytes());
        let signature = issuer.sign(&signed_message);
        Self {
            version,
            issuer: issuer.public_key(),
            issued_at,
            ids,
            signed_message,
            signature,
        }
    }

    /// Version (strictly increasing per issuer; the authorizer refuses rollback).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Issuer key.
    pub fn issuer(&self) -> &PublicKey {
        &self.issuer
    }

    /// Issue time, unix seconds.
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// Revoked ids.
    pub fn ids(&self) -> &BTreeSet<WarrantId> {
        &self.ids
    }

    /// Whether the issuer's signature verifies (strict).
    pub fn verify_signature(&self) -> bool {
        self.issuer.verify(&self.signed_message, &self.signature)
    }

    /// Wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = self
            .signed_message
            .get(REVOCATION_DOMAIN.len()..)
            .unwrap_or_default();
        let mut w = Writer::with_capacity(payload.len() + 80);
        w.array(3);
        w.uint(1);
        w.bytes(payload);
        w.bytes(&self.signature.0);
        w.into_bytes()
    }

    /// Strict decode (signature not checked: installing checks it).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes, 4);
        r.array_of(3, "revocation envelope is [version, payload, signature]")?;
        let v = r.uint()?;
        if v != 1 {
            return Err(DecodeError::UnsupportedVersion(v));
        }
        let payload = r.bytes()?;
        let signature = Signature(r.bytes_fixed::<64>()?);
        r.finish()?;

        let mut p = Reader::new(payload, 4);
        if p.map()? != 4 {
            return Err(DecodeError::Malformed("revocation payload has four keys"));
        }
        // The four keys are fixed, so canonical order is exactly 1, 2, 3, 4.
        let expect = |p: &mut Reader<'_>, want: u64| -> Result<(), DecodeError> {
            let k = p.uint()?;
            if k != want {
                return Err(DecodeError::UnknownKey(k));
            }
            Ok(())
        };
        expect(&mut p, 1)?;
        let version = p.uint()?;
        expect(&mut p, 2)?;
        let issuer = PublicKey::from_bytes(p.bytes()?)?;
        expect(&mut p, 3)?;
        let issued_at = p.uint()?;
        expect(&mut p, 4)?;
        let n = p.array()?;
        if n > limits::MAX_REVOKED_IDS {
            return Err(DecodeError::TooLarge("revoked ids"));
        }
        let mut ids = BTreeSet::new();
        let mut prev: Option<[u8; 16]> = None;
        for _ in 0..n {
            let id = p.bytes_fixed::<16>()?;
            if prev.is_some_and(|q| q >= id) {
                return Err(DecodeError::NonCanonical(
                    "revoked ids not sorted and unique",
                ));
            }
            prev = Some(id);
            ids.insert(WarrantId(id));
        }
        p.finish()?;
        let mut signed_message = REVOCATION_DOMAIN.to_vec();
        signed_message.extend_from_slice(payload);
        Ok(Self {
            version,
            issuer,
            issued_at,
            ids,
            signed_message,
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{key, NOW};

    #[test]
    fn round_trip_and_signature() {
        let l = RevocationList::sign(&key(1), 3, NOW, [WarrantId([2; 16]), WarrantId([1; 16])]);
        assert!(l.verify_signature());
        let back = RevocationList::from_bytes(&l.to_bytes()).unwrap();
        assert_eq!(back, l);
        assert_eq!(back.version(), 3);
        assert_eq!(back.ids().len(), 2);
        let mut b = l.to_bytes();
        let n = b.len();
        b[n - 1] ^= 1;
        assert!(!RevocationList::from_bytes(&b).unwrap().verify_signature());
    }

    #[test]
    fn rejects_unsorted_ids() {
        let l = RevocationList::sign(&key(1), 1, NOW, [WarrantId([1; 16]), WarrantId([2; 16])]);
        let mut b = l.to_bytes();
        // Swap the two ids inside the payload: find the first id and patch it.
        let pos = b.windows(16).position(|w| w == [1u8; 16]).unwrap();
        b[pos..pos + 16].copy_from_slice(&[3u8; 16]);
        assert!(RevocationList::from_bytes(&b).is_err());
    }
}
