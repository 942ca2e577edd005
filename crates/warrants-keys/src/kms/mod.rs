//! AWS KMS (feature `aws-kms`, official `aws-sdk-kms`).
//!
//! - [`KmsEnvelopeResolver`]: a holder's 32-byte Ed25519 seed is stored
//!   *encrypted* under a KMS key (in an environment variable, a file or
//!   Vault KV) and decrypted with KMS `Decrypt` when it is resolved. The
//!   ciphertext is bound to its key id by the encryption context
//!   `{"warrants:key_id": "<key id>"}`, so a ciphertext copied to another
//!   key id does not decrypt. [`encrypt_seed`] makes such a ciphertext.
//! - [`KmsSigner`]: a [`crate::Signer`] over a KMS asymmetric key of key
//!   spec `ECC_NIST_EDWARDS25519` (`Sign` with `ED25519_SHA_512`, message
//!   type `RAW`): the issuer seed never leaves KMS.
//!
//! # Credentials and network
//!
//! This module never uses the AWS default credential chain: it does not
//! read profiles and never asks the instance metadata service. A client
//! built by [`KmsConfig::client`] uses either static credentials or
//! `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`,
//! read once by this crate, and an explicit region (plus, for local
//! stand-ins, an explicit endpoint). Deployments that use IAM roles build
//! their own [`aws_sdk_kms::Client`] (for example with `aws-config`) and
//! pass it to [`KmsEnvelopeResolver::new`] or [`KmsSigner::new`].
//!
//! # Errors
//!
//! KMS errors map onto [`Error`]: access denied, unknown client or bad
//! request signature → [`Error::Auth`]; an unknown KMS key id or a KMS key
//! of the wrong kind → [`Error::Config`] naming the KMS key; a ciphertext
//! KMS refuses (corrupt, or encrypted for another key id) →
//! [`Error::Malformed`]; connection failures, timeouts, throttling and
//! KMS-side 5xx (after the SDK's retries) → [`Error::Unavailable`]; the
//! rest → [`Error::Backend`]. Messages carry the KMS error code and
//! message, never a secret key, session token, plaintext or ciphertext.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::timeout::TimeoutConfig;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::Error;

mod envelope;
mod errors;
mod signer;

pub use envelope::{encrypt_seed, CiphertextSource, KmsEnvelopeResolver, ENCRYPTION_CONTEXT_KEY};
pub use signer::{KmsSigner, ED25519_SPKI_PREFIX, MAX_RAW_MESSAGE_LEN};

/// The backend name in errors.
pub(crate) const BACKEND: &str = "aws-kms";

/// Default operation timeout of a client built by [`KmsConfig::client`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Default number of attempts (first try plus retries) per KMS call.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// The environment variables [`KmsCredentials::FromEnv`] reads.
pub const CREDENTIAL_VARS: [&str; 3] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// Where a client built by [`KmsConfig::client`] gets its AWS credentials.
///
/// There is deliberately no "default chain" variant: nothing here asks the
/// instance metadata service or reads `~/.aws`. For IAM roles, build an
/// [`aws_sdk_kms::Client`] yourself and pass it in.
#[derive(Clone)]
pub enum KmsCredentials {
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and (optional)
    /// `AWS_SESSION_TOKEN` from the process environment, read when the
    /// client is built.
    FromEnv,
    /// The same variables, read through a lookup function (tests, injected
    /// secret maps). See [`KmsCredentials::from_env_lookup`].
    FromLookup(EnvLookup),
    /// Explicit credentials.
    Static {
        /// The access key id (`AKIA...`/`ASIA...`).
        access_key_id: String,
        /// The secret access key.
        secret_access_key: SecretString,
        /// The session token of temporary credentials.
        session_token: Option<SecretString>,
    },
}

impl KmsCredentials {
    /// Read the `AWS_*` credential variables through `lookup(name)`
    /// instead of the process environment.
    pub fn from_env_lookup(
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        Self::FromLookup(EnvLookup::new(lookup))
    }

    /// Resolve to SDK credentials. Missing variables are an
    /// [`Error::Credentials`] naming them.
    fn resolve(&self) -> Result<Credentials, Error> {
        match self {
            Self::FromEnv => from_vars(&EnvLookup::process()),
            Self::FromLookup(lookup) => from_vars(lookup),
            Self::Static {
                access_key_id,
                secret_access_key,
                session_token,
            } => {
                if access_key_id.trim().is_empty() || secret_access_key.expose_secret().is_empty() {
                    return Err(Error::Credentials {
                        backend: BACKEND,
                        message: "the static access key id or secret access key is empty".into(),
                    });
                }
                Ok(Credentials::new(
                    access_key_id.trim(),
                    secret_access_key.expose_secret(),
                    session_token
                        .as_ref()
                        .map(|t| t.expose_secret().to_string())
                        .filter(|t| !t.is_empty()),
                    None,
                    "warrants-static",
                ))
            }
        }
    }
}

fn from_vars(lookup: &EnvLookup) -> Result<Credentials, Error> {
    let get = |name: &str| {
        lookup
            .get(name)
            .map(Zeroizing::new)
            .filter(|v| !v.trim().is_empty())
    };
    let [id_var, secret_var, token_var] = CREDENTIAL_VARS;
    let id = get(id_var);
    let secret = get(secret_var);
    let token = get(token_var);
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(Credentials::new(
            id.trim(),
            secret.trim(),
            token.map(|t| t.trim().to_string()),
            None,
            "warrants-env",
        )),
        (id, secret) => {
            let missing: Vec<&str> = [(id_var, id.is_none()), (secret_var, secret.is_none())]
                .into_iter()
                .filter_map(|(name, missing)| missing.then_some(name))
                .collect();
            Err(Error::Credentials {
                backend: BACKEND,
                message: format!(
                    "{} not set (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, plus AWS_SESSION_TOKEN for temporary credentials; \
                     instance roles and profiles are not read: for those pass your own aws_sdk_kms::Client)",
                    missing.join(" and ")
                ),
            })
        }
    }
}

impl fmt::Debug for KmsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FromEnv => f.write_str("FromEnv"),
            Self::FromLookup(_) => f.write_str("FromLookup"),
            Self::Static { session_token, .. } => f
                .debug_struct("Static")
                .field("access_key_id", &"<redacted>")
                .field("secret_access_key", &"<redacted>")
                .field(
                    "session_token",
                    &session_token.as_ref().map(|_| "<redacted>"),
                )
                .finish(),
        }
    }
}

/// How to build an [`aws_sdk_kms::Client`] without the AWS default
/// credential chain: explicit region, credentials and (optionally)
/// endpoint. `Debug` never shows credentials.
#[derive(Clone)]
pub struct KmsConfig {
    region: String,
    credentials: KmsCredentials,
    endpoint: Option<String>,
    timeout: Duration,
    max_attempts: u32,
}

impl KmsConfig {
    /// KMS in `region` (e.g. `us-east-1`) with `credentials`.
    pub fn new(region: impl Into<String>, credentials: KmsCredentials) -> Self {
        Self {
            region: region.into(),
            credentials,
            endpoint: None,
            timeout: DEFAULT_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// Send requests to `url` instead of the regional AWS endpoint (a VPC
    /// endpoint, or a local stand-in such as moto). `http` or `https`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Time limit of one KMS operation, retries included (default 5s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Attempts per operation, first try included (default 3, at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The endpoint override, if any.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// Build the client. [`Error::Credentials`] when the credentials are
    /// missing (naming the variables); [`Error::Config`] for an invalid
    /// region or endpoint. Makes no network request.
    pub fn client(&self) -> Result<aws_sdk_kms::Client, Error> {
        let region = self.region.trim();
        if region.is_empty()
            || !region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(Error::config(
                "aws-kms region",
                "must be a region name such as us-east-1",
            ));
        }
        let endpoint = self.endpoint.as_deref().map(check_endpoint).transpose()?;
        if self.timeout.is_zero() {
            return Err(Error::config(
                "aws-kms timeout",
                "must be greater than zero",
            ));
        }
        let credentials = self.credentials.resolve()?;
        let mut builder = aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .credentials_provider(credentials)
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(self.timeout)
                    .connect_timeout(self.timeout)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(self.max_attempts));
        if let Some(url) = endpoint {
            builder = builder.endpoint_url(url);
        }
        Ok(aws_sdk_kms::Client::from_conf(builder.build()))
    }
}

/// An endpoint must be an absolute `http`/`https` URL with a host and no
/// user info (credentials do not belong in URLs, and would end up in
/// errors).
fn check_endpoint(raw: &str) -> Result<String, Error> {
    const SETTING: &str = "aws-kms endpoint";
    let url = url::Url::parse(raw.trim())
        .map_err(|e| Error::config(SETTING, format!("not a url ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(SETTING, "must be an http or https url"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(SETTING, "must not contain user info"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::config(SETTING, "has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(SETTING, "must not have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

impl fmt::Debug for KmsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsConfig")
            .field("region", &self.region)
            .field("credentials", &self.credentials)
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// A variable lookup: `name -> value`, the process environment by
/// default. Cheap to clone; `Debug` shows nothing of the values.
#[derive(Clone)]
pub struct EnvLookup(Arc<LookupFn>);

type LookupFn = dyn Fn(&str) -> Option<String> + Send + Sync;

impl EnvLookup {
    /// Look variables up with `f`.
    pub fn new(f: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// The process environment, read at each lookup.
    pub fn process() -> Self {
        Self::new(|name| std::env::var(name).ok())
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }
}

impl fmt::Debug for EnvLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvLookup")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(vars: &'static [(&'static str, &'static str)]) -> KmsCredentials {
        KmsCredentials::from_env_lookup(move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_string())
        })
    }

    #[test]
    fn missing_variables_are_named() {
        let e = KmsConfig::new("us-east-1", lookup(&[]))
            .client()
            .unwrap_err();
        assert_eq!(e.code(), "KEY_BACKEND_CREDENTIALS");
        let m = e.to_string();
        assert!(
            m.starts_with(
                "aws-kms: no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set"
            ),
            "{m}"
        );
        let e = KmsConfig::new("us-east-1", lookup(&[("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")]))
            .client()
            .unwrap_err();
        let m = e.to_string();
        assert!(
            m.starts_with("aws-kms: no credentials: AWS_SECRET_ACCESS_KEY not set"),
            "{m}"
        );
        assert!(!m.contains("AKIDEXAMPLE"));
        // Empty counts as missing.
        let e = KmsConfig::new(
            "us-east-1",
            lookup(&[
                ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", " "),
            ]),
        )
        .client()
        .unwrap_err();
        assert_eq!(e.code(), "KEY_BACKEND_CREDENTIALS");
        assert!(KmsConfig::new(
            "us-east-1",
            lookup(&[
                ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "s3cr3t")
            ]),
        )
        .client()
        .is_ok());
    }

    #[test]
    fn bad_region_and_endpoints() {
        let creds = || KmsCredentials::Static {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SecretString::from("SECRETKEY"),
            session_token: None,
        };
        for region in ["", "US EAST", "us-east-1/x"] {
            let e = KmsConfig::new(region, creds()).client().unwrap_err();
            assert_eq!(e.code(), "KEY_CONFIG", "{region:?}");
        }
        for (url, why) in [
            ("not a url", "not a url"),
            ("ftp://127.0.0.1:1", "must be an http or https url"),
            ("http://user:pw@127.0.0.1:1", "must not contain user info"),
            (
                "http://127.0.0.1:1/?x=1",
                "must not have a query or fragment",
            ),
        ] {
            let e = KmsConfig::new("us-east-1", creds())
                .endpoint(url)
                .client()
                .unwrap_err();
            assert_eq!(e.code(), "KEY_CONFIG", "{url}");
            let m = e.to_string();
            assert!(m.starts_with("aws-kms endpoint: "), "{m}");
            assert!(m.contains(why), "{m}");
            assert!(!m.contains("pw"), "{m}");
        }
        assert_eq!(
            check_endpoint("http://127.0.0.1:5000/").unwrap(),
            "http://127.0.0.1:5000"
        );
        let e = KmsConfig::new("us-east-1", creds())
            .timeout(Duration::ZERO)
            .client()
            .unwrap_err();
        assert_eq!(e.code(), "KEY_CONFIG");
    }

    #[test]
    fn debug_redacts_credentials() {
        let cfg = KmsConfig::new(
            "us-east-1",
            KmsCredentials::Static {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: SecretString::from("SECRETKEY"),
                session_token: Some(SecretString::from("SESSIONTOKEN")),
            },
        )
        .endpoint("http://127.0.0.1:1");
        let d = format!("{cfg:?}");
        for secret in ["AKIDEXAMPLE", "SECRETKEY", "SESSIONTOKEN"] {
            assert!(!d.contains(secret), "{d}");
        }
        assert!(d.contains("us-east-1") && d.contains("127.0.0.1"), "{d}");
    }
}
