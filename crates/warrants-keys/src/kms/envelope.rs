//! Envelope decryption: a seed stored encrypted under a KMS key.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use warrants::SigningKey;
use zeroize::Zeroizing;

use super::errors::{map_sdk_error, AttemptCounter, Context};
use super::{EnvLookup, BACKEND};
use crate::seed::decode_b64;
use crate::{check_key_id, env_var_name, Error, FileResolver, KeyResolver, VaultKvResolver};

/// The encryption context key that binds a ciphertext to its warrant key
/// id: every `Encrypt`/`Decrypt` sends `{"warrants:key_id": "<key id>"}`.
pub const ENCRYPTION_CONTEXT_KEY: &str = "warrants:key_id";

/// Where the encrypted seed of a key id is stored.
///
/// - [`CiphertextSource::Env`]: `WARRANT_KEY_<ID>` (see
///   [`crate::env_var_name`]) holds the ciphertext blob in base64 or
///   base64url, as `aws kms encrypt --output text --query CiphertextBlob`
///   prints it.
/// - [`CiphertextSource::File`]: the key file (with the same permission
///   checks as [`FileResolver`]) holds either that base64 text or the raw
///   binary ciphertext blob (`... | base64 -d > file`). Text that decodes
///   as base64 is taken as base64; anything else as the raw blob.
/// - [`CiphertextSource::Vault`]: the Vault/OpenBao KV v2 secret of the key
///   id holds the base64 text in the resolver's field.
#[derive(Clone)]
pub enum CiphertextSource {
    /// `WARRANT_KEY_<ID>`, read through a lookup.
    Env(EnvLookup),
    /// A key file per id.
    File(FileResolver),
    /// A Vault/OpenBao KV v2 secret per id.
    Vault(VaultKvResolver),
}

impl CiphertextSource {
    /// `WARRANT_KEY_<ID>` from the process environment, read at resolve
    /// time.
    pub fn env() -> Self {
        Self::Env(EnvLookup::process())
    }

    /// `WARRANT_KEY_<ID>` through `lookup(name)`.
    pub fn env_with_lookup(
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        Self::Env(EnvLookup::new(lookup))
    }

    /// The ciphertext blob of `key_id` and a description of where it came
    /// from (for errors).
    async fn read(&self, key_id: &str) -> Result<(Zeroizing<Vec<u8>>, String), Error> {
        match self {
            Self::Env(lookup) => {
                let var = env_var_name(key_id)?;
                let location = format!("env {var}");
                let text = Zeroizing::new(lookup.get(&var).ok_or_else(|| Error::NotFound {
                    key_id: key_id.to_string(),
                    source_name: location.clone(),
                })?);
                let blob = decode_b64(&text).ok_or_else(|| Error::Malformed {
                    key_id: key_id.to_string(),
                    location: location.clone(),
                    reason: "the kms ciphertext is not base64 or base64url",
                })?;
                Ok((blob, location))
            }
            Self::File(files) => {
                let location = format!("file {}", files.path_for(key_id)?.display());
                let files = files.clone();
                let id = key_id.to_string();
                let raw = tokio::task::spawn_blocking(move || files.read_blob(&id))
                    .await
                    .map_err(|_| Error::Backend {
                        backend: "file",
                        message: "read task failed".into(),
                    })??;
                let blob = std::str::from_utf8(&raw)
                    .ok()
                    .and_then(decode_b64)
                    .unwrap_or(raw);
                Ok((blob, location))
            }
            Self::Vault(vault) => {
                let location = format!("vault {}", vault.secret_path(key_id)?);
                let text = vault.read_secret_text(key_id).await?;
                let blob = decode_b64(&text).ok_or_else(|| Error::Malformed {
                    key_id: key_id.to_string(),
                    location: location.clone(),
                    reason: "the kms ciphertext is not base64 or base64url",
                })?;
                Ok((blob, location))
            }
        }
    }
}

impl fmt::Debug for CiphertextSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(_) => f.write_str("Env(WARRANT_KEY_<ID>)"),
            Self::File(files) => f.debug_tuple("File").field(files).finish(),
            Self::Vault(vault) => f.debug_tuple("Vault").field(vault).finish(),
        }
    }
}

/// Resolves keys whose seed is stored encrypted under a KMS key (see the
/// [module docs](super)).
///
/// `resolve(key_id)` reads the ciphertext from its [`CiphertextSource`]
/// and calls KMS `Decrypt` with the encryption context
/// `{"warrants:key_id": key_id}` (and, if set, the expected KMS key id).
/// The plaintext must be exactly 32 bytes; it is moved into a zeroizing
/// buffer as soon as the SDK hands it over. (The SDK's own response
/// buffers are outside this crate's control.)
#[derive(Clone)]
pub struct KmsEnvelopeResolver {
    client: aws_sdk_kms::Client,
    source: CiphertextSource,
    expected_kms_key: Option<String>,
}

impl KmsEnvelopeResolver {
    /// Decrypt with `client` ciphertexts read from `source`.
    pub fn new(client: aws_sdk_kms::Client, source: CiphertextSource) -> Self {
        Self {
            client,
            source,
            expected_kms_key: None,
        }
    }

    /// Only accept ciphertexts made under this KMS key (key id, ARN, alias
    /// name or alias ARN): it is passed as `KeyId` to `Decrypt`, which then
    /// refuses a ciphertext under any other KMS key. Recommended.
    pub fn expected_kms_key(mut self, kms_key_id: impl Into<String>) -> Self {
        self.expected_kms_key = Some(kms_key_id.into());
        self
    }

    /// The source of ciphertexts.
    pub fn source(&self) -> &CiphertextSource {
        &self.source
    }
}

impl fmt::Debug for KmsEnvelopeResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsEnvelopeResolver")
            .field("source", &self.source)
            .field("expected_kms_key", &self.expected_kms_key)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl KeyResolver for KmsEnvelopeResolver {
    fn name(&self) -> &str {
        "kms-envelope"
    }

    async fn resolve(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
        check_key_id(key_id)?;
        let (ciphertext, location) = self.source.read(key_id).await?;
        let malformed = |reason| Error::Malformed {
            key_id: key_id.to_string(),
            location: location.clone(),
            reason,
        };
        if ciphertext.is_empty() {
            return Err(malformed("the kms ciphertext is empty"));
        }
        let attempts = AttemptCounter::default();
        let ctx = Context {
            op: "Decrypt",
            kms_key: self.expected_kms_key.as_deref(),
            envelope: Some((key_id, &location)),
        };
        let mut out = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(ciphertext.to_vec()))
            .encryption_context(ENCRYPTION_CONTEXT_KEY, key_id)
            .set_key_id(self.expected_kms_key.clone())
            .customize()
            .interceptor(attempts.clone())
            .send()
            .await
            .map_err(|e| map_sdk_error(e, ctx, &attempts))?;
        let plaintext =
            Zeroizing::new(out.plaintext.take().map(Blob::into_inner).ok_or_else(|| {
                Error::Backend {
                    backend: BACKEND,
                    message: "Decrypt: the response has no plaintext".into(),
                }
            })?);
        if plaintext.len() != 32 {
            return Err(malformed("the kms plaintext is not a 32-byte seed"));
        }
        SigningKey::from_seed_slice(&plaintext)
            .map(Arc::new)
            .map_err(|_| malformed("the kms plaintext is not a 32-byte seed"))
    }
}

/// Provisioning helper: encrypt `seed` under the KMS key `kms_key_id` for
/// the warrant key id `key_id` (KMS `Encrypt` with the encryption context
/// `{"warrants:key_id": key_id}`). Returns the ciphertext blob; store it
/// (raw, or base64 for env and Vault) where a [`CiphertextSource`] reads
/// it.
///
/// The seed passes through the SDK's request buffers, which this crate
/// cannot zeroize: run provisioning in a short-lived process.
pub async fn encrypt_seed(
    client: &aws_sdk_kms::Client,
    kms_key_id: &str,
    key_id: &str,
    seed: &SigningKey,
) -> Result<Vec<u8>, Error> {
    check_key_id(key_id)?;
    let attempts = AttemptCounter::default();
    let ctx = Context {
        op: "Encrypt",
        kms_key: Some(kms_key_id),
        envelope: None,
    };
    let seed_bytes = seed.to_seed();
    let mut out = client
        .encrypt()
        .key_id(kms_key_id)
        .plaintext(Blob::new(seed_bytes.to_vec()))
        .encryption_context(ENCRYPTION_CONTEXT_KEY, key_id)
        .customize()
        .interceptor(attempts.clone())
        .send()
        .await
        .map_err(|e| map_sdk_error(e, ctx, &attempts))?;
    out.ciphertext_blob
        .take()
        .map(Blob::into_inner)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::Backend {
            backend: BACKEND,
            message: "Encrypt: the response has no ciphertext".into(),
        })
}
