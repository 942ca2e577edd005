//! Signing with an AWS KMS Ed25519 key.

use std::fmt;

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec};
use tokio::sync::OnceCell;
use warrants::{PublicKey, Signature};

use super::errors::{map_sdk_error, AttemptCounter, Context};
use super::BACKEND;
use crate::{Error, Signer, SignerKey};

/// The DER prefix of an Ed25519 `SubjectPublicKeyInfo` (RFC 8410): a
/// `GetPublicKey` answer for an `ECC_NIST_EDWARDS25519` key is these 12
/// bytes followed by the 32-byte public key.
pub const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Longest message KMS signs with message type `RAW` (4096 bytes). Pure
/// Ed25519 (`ED25519_SHA_512`) only takes `RAW` messages, so longer
/// warrants cannot be signed by KMS.
pub const MAX_RAW_MESSAGE_LEN: usize = 4096;

/// A [`Signer`] over an AWS KMS asymmetric key of key spec
/// `ECC_NIST_EDWARDS25519` and key usage `SIGN_VERIFY`.
///
/// [`Signer::current_key`] calls `GetPublicKey` once (checking the key
/// spec, the key usage and that `ED25519_SHA_512` is offered) and caches
/// the public key; [`Signer::sign`] calls `Sign` with message type `RAW`
/// and `ED25519_SHA_512`, which returns the 64-byte RFC 8032 signature.
/// KMS keys have no versions here: [`SignerKey::version`] is `None`.
///
/// Needs `kms:GetPublicKey` and `kms:Sign` on the key. Tested against
/// KMS JSON responses written by hand from the AWS API reference (the
/// local KMS stand-in, moto, has no Ed25519 keys), not against live AWS.
pub struct KmsSigner {
    client: aws_sdk_kms::Client,
    kms_key_id: String,
    public: OnceCell<PublicKey>,
}

impl KmsSigner {
    /// Sign with the KMS key `kms_key_id` (key id, ARN, alias name or alias
    /// ARN).
    pub fn new(client: aws_sdk_kms::Client, kms_key_id: impl Into<String>) -> Self {
        Self {
            client,
            kms_key_id: kms_key_id.into(),
            public: OnceCell::new(),
        }
    }

    /// The KMS key id as configured.
    pub fn kms_key_id(&self) -> &str {
        &self.kms_key_id
    }

    fn ctx(&self, op: &'static str) -> Context<'_> {
        Context {
            op,
            kms_key: Some(&self.kms_key_id),
            envelope: None,
        }
    }

    fn wrong_key(&self, reason: String) -> Error {
        Error::Config {
            setting: format!("aws-kms key {:?}", self.kms_key_id),
            reason,
        }
    }

    async fn fetch_public_key(&self) -> Result<PublicKey, Error> {
        let attempts = AttemptCounter::default();
        let out = self
            .client
            .get_public_key()
            .key_id(&self.kms_key_id)
            .customize()
            .interceptor(attempts.clone())
            .send()
            .await
            .map_err(|e| map_sdk_error(e, self.ctx("GetPublicKey"), &attempts))?;
        match out.key_spec() {
            Some(KeySpec::EccNistEdwards25519) => {}
            Some(other) => {
                return Err(self.wrong_key(format!(
                    "has key spec {}; warrants need an Ed25519 key (ECC_NIST_EDWARDS25519)",
                    other.as_str()
                )))
            }
            None => {
                return Err(self.wrong_key(
                    "GetPublicKey named no key spec; warrants need an Ed25519 key (ECC_NIST_EDWARDS25519)".into(),
                ))
            }
        }
        if let Some(usage) = out.key_usage() {
            if *usage != KeyUsageType::SignVerify {
                return Err(self.wrong_key(format!(
                    "has key usage {}; signing needs SIGN_VERIFY",
                    usage.as_str()
                )));
            }
        }
        if !out
            .signing_algorithms()
            .contains(&SigningAlgorithmSpec::Ed25519Sha512)
        {
            return Err(
                self.wrong_key("does not offer the signing algorithm ED25519_SHA_512".into())
            );
        }
        let der = out.public_key().map(Blob::as_ref).unwrap_or_default();
        let raw = der
            .strip_prefix(ED25519_SPKI_PREFIX.as_slice())
            .filter(|raw| raw.len() == 32)
            .ok_or_else(|| Error::Backend {
                backend: BACKEND,
                message: format!(
                    "GetPublicKey: the public key is not a DER Ed25519 SubjectPublicKeyInfo ({} bytes)",
                    der.len()
                ),
            })?;
        PublicKey::from_bytes(raw).map_err(|e| Error::Backend {
            backend: BACKEND,
            message: format!("GetPublicKey: the public key is not usable: {e}"),
        })
    }
}

impl fmt::Debug for KmsSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsSigner")
            .field("kms_key_id", &self.kms_key_id)
            .field("public", &self.public.get())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Signer for KmsSigner {
    fn name(&self) -> String {
        format!("aws-kms:{}", self.kms_key_id)
    }

    async fn current_key(&self) -> Result<SignerKey, Error> {
        let public = *self
            .public
            .get_or_try_init(|| self.fetch_public_key())
            .await?;
        Ok(SignerKey {
            public,
            version: None,
        })
    }

    async fn sign(&self, key: &SignerKey, message: &[u8]) -> Result<Signature, Error> {
        let current = self.current_key().await?;
        if key.public != current.public || key.version.is_some() {
            return Err(Error::Signature {
                signer: self.name(),
                reason: "asked to sign with a key it does not hold".into(),
            });
        }
        if message.len() > MAX_RAW_MESSAGE_LEN {
            return Err(Error::Signature {
                signer: self.name(),
                reason: format!(
                    "the message is {} bytes; aws kms signs raw messages of at most {MAX_RAW_MESSAGE_LEN} bytes",
                    message.len()
                ),
            });
        }
        let attempts = AttemptCounter::default();
        let out = self
            .client
            .sign()
            .key_id(&self.kms_key_id)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::Ed25519Sha512)
            .customize()
            .interceptor(attempts.clone())
            .send()
            .await
            .map_err(|e| map_sdk_error(e, self.ctx("Sign"), &attempts))?;
        if let Some(alg) = out.signing_algorithm() {
            if *alg != SigningAlgorithmSpec::Ed25519Sha512 {
                return Err(Error::Signature {
                    signer: self.name(),
                    reason: format!(
                        "kms signed with {} instead of ED25519_SHA_512",
                        alg.as_str()
                    ),
                });
            }
        }
        let sig = out.signature().map(Blob::as_ref).unwrap_or_default();
        Signature::from_slice(sig).map_err(|_| Error::Signature {
            signer: self.name(),
            reason: format!(
                "kms returned a {}-byte signature; ed25519 signatures are 64 bytes",
                sig.len()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_prefix_matches_rfc_8410() {
        // RFC 8410 §10.1 example: the prefix is fixed for every Ed25519 key.
        let example = "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=";
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD
            .decode(example)
            .unwrap();
        assert_eq!(der.len(), 44);
        assert_eq!(der[..12], ED25519_SPKI_PREFIX);
    }
}
