//! Holder keys stored in a Vault/OpenBao KV v2 secrets engine.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use warrants::SigningKey;
use zeroize::Zeroizing;

use super::client::check_mount;
use super::VaultClient;
use crate::{check_key_id, seed, Error, KeyResolver};

/// The placeholder replaced by the key id in a path template.
pub const KEY_ID_PLACEHOLDER: &str = "{key_id}";

/// Default field of the secret holding the seed.
pub const DEFAULT_FIELD: &str = "seed";

/// Reads seeds from KV v2: `GET /v1/<mount>/data/<path>`, where `<path>`
/// is the template with `{key_id}` replaced by the (checked) key id, and
/// the seed is the text of one field of the secret (default `seed`;
/// base64url or standard base64 of the 32-byte Ed25519 seed).
///
/// A missing secret, a deleted latest version or a secret without the
/// field is `KEY_NOT_FOUND`; a refused token `KEY_BACKEND_AUTH`; an
/// unreachable server `KEY_BACKEND_UNAVAILABLE`. Put a
/// [`crate::CachingResolver`] in front of it.
#[derive(Clone, Debug)]
pub struct VaultKvResolver {
    client: VaultClient,
    mount: String,
    template: String,
    field: String,
}

impl VaultKvResolver {
    /// Read from the KV v2 engine at `mount` (e.g. `secret`), at
    /// `path_template` (e.g. `warrants/keys/{key_id}`).
    pub fn new(
        client: VaultClient,
        mount: impl Into<String>,
        path_template: impl Into<String>,
    ) -> Result<Self, Error> {
        let mount = mount.into().trim().trim_matches('/').to_string();
        check_mount(&mount, "mount")?;
        let template = path_template.into().trim().trim_matches('/').to_string();
        if !template.contains(KEY_ID_PLACEHOLDER) {
            return Err(Error::config(
                "path_template",
                format!("{template:?} has no {KEY_ID_PLACEHOLDER} placeholder"),
            ));
        }
        check_mount(&template.replace(KEY_ID_PLACEHOLDER, "k"), "path_template")?;
        Ok(Self {
            client,
            mount,
            template,
            field: DEFAULT_FIELD.to_string(),
        })
    }

    /// Read the seed from field `name` instead of `seed`.
    pub fn field(mut self, name: impl Into<String>) -> Self {
        self.field = name.into();
        self
    }

    /// The client.
    pub fn client(&self) -> &VaultClient {
        &self.client
    }

    /// The API path read for `key_id` (after checking it), relative to
    /// `/v1/`.
    pub fn secret_path(&self, key_id: &str) -> Result<String, Error> {
        check_key_id(key_id)?;
        Ok(format!(
            "{}/data/{}",
            self.mount,
            self.template.replace(KEY_ID_PLACEHOLDER, key_id)
        ))
    }

    fn location(&self, path: &str) -> String {
        match self.client.config().namespace_name() {
            Some(ns) => format!("vault {path} field {} (namespace {ns})", self.field),
            None => format!("vault {path} field {}", self.field),
        }
    }

    /// The text of the field for `key_id`, as stored (the KMS envelope
    /// resolver keeps ciphertexts there). `KEY_NOT_FOUND` when the secret
    /// or the field does not exist.
    pub async fn read_secret_text(&self, key_id: &str) -> Result<Zeroizing<String>, Error> {
        let path = self.secret_path(key_id)?;
        self.read_field(key_id, &path).await
    }

    async fn read_field(&self, key_id: &str, path: &str) -> Result<Zeroizing<String>, Error> {
        let not_found = || Error::NotFound {
            key_id: key_id.to_string(),
            source_name: self.location(path),
        };
        let mut reply = self.client.get(path).await?;
        if reply.is_not_found() {
            // A missing secret is a 404 with no error text (or, when its
            // latest version is deleted, with metadata). A 404 with error
            // text is a routing failure, e.g. no KV engine at the mount:
            // a configuration problem, not a missing key.
            return Err(match reply.error_text() {
                Some(text) => Error::Backend {
                    backend: "vault",
                    message: format!("http 404 on GET {path}: {text} (check the kv mount)"),
                },
                None => not_found(),
            });
        }
        // data.data is null when the latest version is deleted (and the
        // answer is then a 404, handled above).
        let value = reply
            .body
            .get_mut("data")
            .and_then(|d| d.get_mut("data"))
            .and_then(|d| d.get_mut(&self.field))
            .map(Value::take);
        match value {
            None | Some(Value::Null) => Err(not_found()),
            Some(Value::String(s)) => Ok(Zeroizing::new(s)),
            Some(_) => Err(Error::Malformed {
                key_id: key_id.to_string(),
                location: self.location(path),
                reason: "the field is not a string",
            }),
        }
    }
}

#[async_trait]
impl KeyResolver for VaultKvResolver {
    fn name(&self) -> &str {
        "vault-kv"
    }

    async fn resolve(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
        let path = self.secret_path(key_id)?;
        let text = self.read_field(key_id, &path).await?;
        let key = seed::parse_seed_text(&text).map_err(|reason| Error::Malformed {
            key_id: key_id.to_string(),
            location: self.location(&path),
            reason,
        })?;
        Ok(Arc::new(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{VaultAuth, VaultConfig};

    fn client() -> VaultClient {
        VaultClient::new(
            VaultConfig::new("http://127.0.0.1:1", VaultAuth::token("t"))
                .unwrap()
                .max_attempts(1),
        )
        .unwrap()
    }

    #[test]
    fn templates_and_paths() {
        let r = VaultKvResolver::new(client(), "/secret/", "warrants/keys/{key_id}").unwrap();
        assert_eq!(
            r.secret_path("agent-7").unwrap(),
            "secret/data/warrants/keys/agent-7"
        );
        for bad in ["../x", "a/b", "", "%2e%2e", "{key_id}"] {
            assert_eq!(r.secret_path(bad).unwrap_err().code(), "KEY_ID_INVALID");
        }
        let e = VaultKvResolver::new(client(), "secret", "warrants/fixed").unwrap_err();
        assert_eq!(e.code(), "KEY_CONFIG");
        assert!(e.to_string().starts_with("path_template: "), "{e}");
        assert!(VaultKvResolver::new(client(), "", "k/{key_id}").is_err());
        assert!(VaultKvResolver::new(client(), "secret", "../{key_id}").is_err());
        assert!(VaultKvResolver::new(client(), "secret", "a?{key_id}").is_err());
    }

    #[tokio::test]
    async fn invalid_ids_never_reach_the_network() {
        let r = VaultKvResolver::new(client(), "secret", "k/{key_id}").unwrap();
        let e = r.resolve("../../sys/seal").await.unwrap_err();
        assert_eq!(e.code(), "KEY_ID_INVALID");
        assert_eq!(r.client().http_requests(), 0);
    }
}
