//! Issuer keys that stay in Vault/OpenBao Transit (Ed25519).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use base64::Engine;
use serde_json::Value;
use warrants::{PublicKey, Signature};

use super::client::check_mount;
use super::VaultClient;
use crate::seed::STANDARD;
use crate::{Error, Signer, SignerKey};

/// Signs with an Ed25519 key of a Transit secrets engine.
///
/// [`Signer::current_key`] reads `GET /v1/<mount>/keys/<name>` and returns
/// the latest version (or the pinned one) with its public key;
/// [`Signer::sign`] posts the message to `/v1/<mount>/sign/<name>` with
/// that `key_version` (Ed25519 signs the raw message, no prehash), checks
/// that the answer `vault:v<N>:<base64>` names the same version and holds a
/// 64-byte signature. [`crate::mint`] then checks the signature against the
/// issuer key in the warrant, so a warrant signed here verifies offline with
/// the Transit public key of that version.
///
/// After `POST <mount>/keys/<name>/rotate`, new warrants are signed with
/// the new version and its public key; older warrants keep verifying under
/// the old public key, which [`TransitSigner::public_keys`] lists for
/// trusted-root lists during the rotation.
#[derive(Clone, Debug)]
pub struct TransitSigner {
    client: VaultClient,
    mount: String,
    key: String,
    pinned: Option<u32>,
    /// Public keys by version: versions never change once created.
    known: Arc<Mutex<BTreeMap<u32, PublicKey>>>,
}

/// What `GET keys/<name>` said.
struct KeyInfo {
    latest: u32,
    keys: BTreeMap<u32, PublicKey>,
}

impl TransitSigner {
    /// Sign with key `key_name` of the Transit engine at `mount` (e.g.
    /// `transit`). Nothing is checked until first use.
    pub fn new(client: VaultClient, mount: impl Into<String>, key_name: impl Into<String>) -> Self {
        Self {
            client,
            mount: mount.into().trim().trim_matches('/').to_string(),
            key: key_name.into().trim().to_string(),
            pinned: None,
            known: Arc::default(),
        }
    }

    /// Always sign with `version` rather than the latest.
    pub fn pin_version(mut self, version: u32) -> Self {
        self.pinned = Some(version);
        self
    }

    /// The client.
    pub fn client(&self) -> &VaultClient {
        &self.client
    }

    fn check(&self) -> Result<(), Error> {
        check_mount(&self.mount, "transit mount")?;
        if self.key.is_empty()
            || !self
                .key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            || self.key.starts_with('.')
        {
            return Err(Error::config(
                "transit key",
                "must be a name of characters [A-Za-z0-9._-]",
            ));
        }
        Ok(())
    }

    fn signature_error(&self, reason: impl Into<String>) -> Error {
        Error::Signature {
            signer: self.name(),
            reason: reason.into(),
        }
    }

    fn bad_answer(&self, what: &str) -> Error {
        Error::Backend {
            backend: "vault",
            message: format!(
                "{}/keys/{}: unexpected answer: {what}",
                self.mount, self.key
            ),
        }
    }

    async fn key_info(&self) -> Result<KeyInfo, Error> {
        self.check()?;
        let path = format!("{}/keys/{}", self.mount, self.key);
        let reply = self.client.get(&path).await?;
        if reply.is_not_found() {
            return Err(Error::NotFound {
                key_id: self.key.clone(),
                source_name: format!("vault {path}"),
            });
        }
        let data = reply
            .body
            .get("data")
            .ok_or_else(|| self.bad_answer("no data"))?;
        let kind = data.get("type").and_then(Value::as_str).unwrap_or("");
        if kind != "ed25519" {
            return Err(Error::config(
                "transit key",
                format!("{path} is a {kind:?} key; warrants need an ed25519 key"),
            ));
        }
        if data.get("derived").and_then(Value::as_bool) == Some(true) {
            return Err(Error::config(
                "transit key",
                format!("{path} is a derived key; warrants need a key without derivation"),
            ));
        }
        let latest = data
            .get("latest_version")
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| self.bad_answer("no latest_version"))?;
        let mut keys = BTreeMap::new();
        let versions = data
            .get("keys")
            .and_then(Value::as_object)
            .ok_or_else(|| self.bad_answer("no keys"))?;
        for (version, entry) in versions {
            let version: u32 = version
                .parse()
                .map_err(|_| self.bad_answer("a key version is not a number"))?;
            let b64 = entry
                .get("public_key")
                .and_then(Value::as_str)
                .ok_or_else(|| self.bad_answer("a key version has no public_key"))?;
            let bytes = STANDARD
                .decode(b64.trim())
                .map_err(|_| self.bad_answer("a public_key is not base64"))?;
            let public = PublicKey::from_bytes(&bytes)
                .map_err(|_| self.bad_answer("a public_key is not an ed25519 public key"))?;
            keys.insert(version, public);
        }
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known.extend(keys.iter().map(|(v, k)| (*v, *k)));
        Ok(KeyInfo { latest, keys })
    }

    /// The public key of every version the server still has, by version
    /// (trim with `min_available_version` removes old ones).
    pub async fn public_keys(&self) -> Result<BTreeMap<u32, PublicKey>, Error> {
        Ok(self.key_info().await?.keys)
    }

    /// The public key of `version` (from memory when already seen).
    pub async fn public_key(&self, version: u32) -> Result<PublicKey, Error> {
        if let Some(k) = self.cached(version) {
            return Ok(k);
        }
        self.key_info()
            .await?
            .keys
            .get(&version)
            .copied()
            .ok_or_else(|| self.no_version(version))
    }

    fn cached(&self, version: u32) -> Option<PublicKey> {
        self.known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&version)
            .copied()
    }

    fn no_version(&self, version: u32) -> Error {
        Error::config(
            "transit key version",
            format!("{}/keys/{} has no version {version}", self.mount, self.key),
        )
    }
}

/// `vault:v<N>:<base64>` → `(N, bytes)`.
fn split_signature(text: &str) -> Option<(u32, Vec<u8>)> {
    let rest = text.strip_prefix("vault:v")?;
    let (version, b64) = rest.split_once(':')?;
    let version = version.parse().ok()?;
    let bytes = STANDARD.decode(b64.trim()).ok()?;
    Some((version, bytes))
}

#[async_trait]
impl Signer for TransitSigner {
    fn name(&self) -> String {
        format!("vault-transit:{}", self.key)
    }

    async fn current_key(&self) -> Result<SignerKey, Error> {
        if let Some(v) = self.pinned {
            return Ok(SignerKey {
                public: self.public_key(v).await?,
                version: Some(v),
            });
        }
        let info = self.key_info().await?;
        let public = info
            .keys
            .get(&info.latest)
            .copied()
            .ok_or_else(|| self.bad_answer("no public key for latest_version"))?;
        Ok(SignerKey {
            public,
            version: Some(info.latest),
        })
    }

    async fn sign(&self, key: &SignerKey, message: &[u8]) -> Result<Signature, Error> {
        self.check()?;
        let version = key
            .version
            .ok_or_else(|| self.signature_error("asked to sign without a key version"))?;
        let path = format!("{}/sign/{}", self.mount, self.key);
        let body = serde_json::json!({
            "input": STANDARD.encode(message),
            "key_version": version,
        });
        let reply = self.client.post(&path, &body).await?;
        if reply.is_not_found() {
            return Err(Error::NotFound {
                key_id: self.key.clone(),
                source_name: format!("vault {path}"),
            });
        }
        let text = reply
            .body
            .get("data")
            .and_then(|d| d.get("signature"))
            .and_then(Value::as_str)
            .ok_or_else(|| self.signature_error("the answer has no data.signature"))?;
        let (signed_with, bytes) = split_signature(text)
            .ok_or_else(|| self.signature_error("the signature is not vault:v<N>:<base64>"))?;
        if signed_with != version {
            return Err(self.signature_error(format!(
                "asked for key version {version}, signed with version {signed_with}"
            )));
        }
        Signature::from_slice(&bytes).map_err(|_| {
            self.signature_error(format!("the signature has {} bytes, not 64", bytes.len()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_prefix() {
        let sig = STANDARD.encode([7u8; 64]);
        let (v, b) = split_signature(&format!("vault:v12:{sig}")).unwrap();
        assert_eq!(v, 12);
        assert_eq!(b, vec![7u8; 64]);
        for bad in [
            sig.clone(),
            format!("vault:vx:{sig}"),
            format!("vault:v1{sig}"),
            "vault:v1:!!".to_string(),
        ] {
            assert!(split_signature(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn names() {
        let client = VaultClient::new(
            crate::vault::VaultConfig::new(
                "http://127.0.0.1:1",
                crate::vault::VaultAuth::token("t"),
            )
            .unwrap(),
        )
        .unwrap();
        let s = TransitSigner::new(client.clone(), "transit", "issuer");
        assert_eq!(s.name(), "vault-transit:issuer");
        assert!(s.check().is_ok());
        assert!(TransitSigner::new(client.clone(), "transit", "a/b")
            .check()
            .is_err());
        assert!(TransitSigner::new(client, "../sys", "k").check().is_err());
    }
}
