//! Key settings from `WARRANT_*` environment variables.
//!
//! [`KeySettings::from_env`] reads the variables below; [`KeySettings::load`]
//! builds the resolver they describe, wraps it in a [`CachingResolver`] and
//! preloads the listed ids, so a worker fails at start with a clear error
//! rather than on its first activity. Every bad value is reported as
//! [`Error::Config`] naming the variable (never a secret value).
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `WARRANT_KEYS_FROM` | sources tried in order, comma separated: `env`, `file`, `vault`, `kms` | `env` |
//! | `WARRANT_KEYS_PRELOAD` | key ids resolved at start, comma separated | none |
//! | `WARRANT_KEYS_CACHE_TTL` | how long a resolved key is served | `5m` |
//! | `WARRANT_KEYS_CACHE_MAX` | most keys cached | `1024` |
//! | `WARRANT_KEYS_REFRESH` | background refresh period (`0` = off) | `0` |
//! | `WARRANT_KEY_<ID>` | `env` source: the seed (base64url/base64) | |
//! | `WARRANT_KEYS_DIR` | `file` source: directory of `<key id>` files | required for `file` |
//! | `WARRANT_KEYS_FILE_EXT` | `file` source: file extension (e.g. `key`) | none |
//! | `WARRANT_VAULT_ADDR` | Vault/OpenBao address (`https://...`) | required for `vault` |
//! | `WARRANT_VAULT_TOKEN` / `WARRANT_VAULT_TOKEN_FILE` | token auth | |
//! | `WARRANT_VAULT_ROLE_ID`, `WARRANT_VAULT_SECRET_ID` / `WARRANT_VAULT_SECRET_ID_FILE` | AppRole auth | |
//! | `WARRANT_VAULT_APPROLE_MOUNT` | AppRole auth mount | `approle` |
//! | `WARRANT_VAULT_NAMESPACE` | `X-Vault-Namespace` | none |
//! | `WARRANT_VAULT_CACERT` | PEM file of the CA to trust | system roots |
//! | `WARRANT_VAULT_TIMEOUT` | per-request timeout | `5s` |
//! | `WARRANT_VAULT_MAX_ATTEMPTS` | attempts on 5xx/connection errors | `3` |
//! | `WARRANT_VAULT_KV_MOUNT` | KV v2 mount | `secret` |
//! | `WARRANT_VAULT_KV_PATH` | path template with `{key_id}` | `warrants/keys/{key_id}` |
//! | `WARRANT_VAULT_KV_FIELD` | field holding the seed | `seed` |
//! | `WARRANT_KMS_REGION` | AWS region (feature `aws-kms`) | required for `kms` |
//! | `WARRANT_KMS_ENDPOINT` | KMS endpoint override | AWS default |
//! | `WARRANT_KMS_KEY` | the KMS key the ciphertexts must be under | any |
//! | `WARRANT_KMS_CIPHERTEXT_FROM` | where ciphertexts are: `env`, `file`, `vault` | `env` |
//!
//! Durations are whole numbers with an optional unit: `ms`, `s` (default),
//! `m`, `h`. Token and secret-id values are read into `SecretString`; the
//! `*_FILE` forms read them from a file (Kubernetes secret mounts).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::vault::{VaultAuth, VaultConfig};
use crate::{
    CacheOptions, CachingResolver, CompositeResolver, EnvResolver, Error, FileResolver,
    KeyResolver, VaultClient, VaultKvResolver,
};

/// A variable lookup: `name -> value`.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// One key source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// `WARRANT_KEY_<ID>` variables.
    Env,
    /// A directory of key files.
    File,
    /// Vault/OpenBao KV v2.
    Vault,
    /// Seeds encrypted under AWS KMS (feature `aws-kms`).
    Kms,
}

impl Source {
    fn parse(var: &str, s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "env" => Ok(Self::Env),
            "file" => Ok(Self::File),
            "vault" | "openbao" => Ok(Self::Vault),
            "kms" => Ok(Self::Kms),
            other => Err(Error::config(
                var,
                format!("unknown key source {other:?} (expected env, file, vault or kms)"),
            )),
        }
    }
}

/// The key settings read from the environment.
#[derive(Clone)]
pub struct KeySettings {
    /// Sources, in the order they are tried.
    pub sources: Vec<Source>,
    /// Ids to resolve at start.
    pub preload: Vec<String>,
    /// Cache settings.
    pub cache: CacheOptions,
    /// Background refresh period, if any.
    pub refresh: Option<Duration>,
    file: Option<FileResolver>,
    vault: Option<VaultSettings>,
    #[cfg(feature = "aws-kms")]
    kms: Option<KmsSettings>,
}

#[derive(Clone)]
struct VaultSettings {
    config: VaultConfig,
    mount: String,
    path: String,
    field: String,
}

#[cfg(feature = "aws-kms")]
#[derive(Clone)]
struct KmsSettings {
    config: crate::kms::KmsConfig,
    key: Option<String>,
    ciphertext_from: Source,
}

impl fmt::Debug for KeySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySettings")
            .field("sources", &self.sources)
            .field("preload", &self.preload)
            .field("cache", &self.cache)
            .field("refresh", &self.refresh)
            .field("file", &self.file)
            .field("vault", &self.vault.as_ref().map(|v| &v.config))
            .finish_non_exhaustive()
    }
}

/// Read a variable; empty counts as unset.
fn get(lookup: Lookup<'_>, var: &str) -> Option<String> {
    lookup(var).filter(|v| !v.trim().is_empty())
}

fn required(lookup: Lookup<'_>, var: &str, why: &str) -> Result<String, Error> {
    get(lookup, var).ok_or_else(|| Error::config(var, format!("not set ({why})")))
}

/// Parse a duration: a whole number with an optional `ms`, `s`, `m` or `h`.
pub fn parse_duration(var: &str, value: &str) -> Result<Duration, Error> {
    let v = value.trim();
    let (num, unit) = match v.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => v.split_at(i),
        None => (v, "s"),
    };
    let bad = || {
        Error::config(
            var,
            format!("{v:?} is not a duration (e.g. 30s, 5m, 1h, 250ms)"),
        )
    };
    let n: u64 = num.parse().map_err(|_| bad())?;
    let secs = |mul: u64| n.checked_mul(mul).map(Duration::from_secs).ok_or_else(bad);
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => secs(1),
        "m" => secs(60),
        "h" => secs(3600),
        _ => Err(bad()),
    }
}

/// Parse an unsigned integer variable within `min..=max`.
pub fn parse_uint(var: &str, value: &str, min: u64, max: u64) -> Result<u64, Error> {
    let n: u64 = value
        .trim()
        .parse()
        .map_err(|_| Error::config(var, format!("{:?} is not a whole number", value.trim())))?;
    if n < min || n > max {
        return Err(Error::config(var, format!("{n} is outside {min}..={max}")));
    }
    Ok(n)
}

/// Split a comma-separated list, dropping empty items.
pub fn parse_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A secret from `VAR` or the file named by `VAR_FILE` (not both).
fn secret(lookup: Lookup<'_>, var: &str) -> Result<Option<SecretString>, Error> {
    let file_var = format!("{var}_FILE");
    match (
        lookup(var).filter(|v| !v.is_empty()),
        get(lookup, &file_var),
    ) {
        (Some(_), Some(_)) => Err(Error::config(
            var,
            format!("set either {var} or {file_var}, not both"),
        )),
        (Some(v), None) => Ok(Some(SecretString::from(v.trim().to_string()))),
        (None, Some(path)) => {
            let text = Zeroizing::new(std::fs::read_to_string(path.trim()).map_err(|e| {
                Error::config(
                    &file_var,
                    format!("cannot read {}: {}", path.trim(), e.kind()),
                )
            })?);
            Ok(Some(SecretString::from(text.trim().to_string())))
        }
        (None, None) => Ok(None),
    }
}

impl KeySettings {
    /// Read the process environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(&|v| std::env::var(v).ok())
    }

    /// Read variables through `lookup`.
    pub fn from_lookup(lookup: Lookup<'_>) -> Result<Self, Error> {
        let sources = match get(lookup, "WARRANT_KEYS_FROM") {
            None => vec![Source::Env],
            Some(v) => {
                let items = parse_list(&v);
                if items.is_empty() {
                    return Err(Error::config("WARRANT_KEYS_FROM", "no source listed"));
                }
                let mut out = Vec::new();
                for s in items {
                    let src = Source::parse("WARRANT_KEYS_FROM", &s)?;
                    if out.contains(&src) {
                        return Err(Error::config(
                            "WARRANT_KEYS_FROM",
                            format!("{s:?} listed twice"),
                        ));
                    }
                    out.push(src);
                }
                out
            }
        };
        let preload = get(lookup, "WARRANT_KEYS_PRELOAD")
            .map(|v| parse_list(&v))
            .unwrap_or_default();
        for id in &preload {
            crate::check_key_id(id)
                .map_err(|e| Error::config("WARRANT_KEYS_PRELOAD", format!("{id:?}: {e}")))?;
        }
        let mut cache = CacheOptions::default();
        if let Some(v) = get(lookup, "WARRANT_KEYS_CACHE_TTL") {
            cache.ttl = parse_duration("WARRANT_KEYS_CACHE_TTL", &v)?;
        }
        if let Some(v) = get(lookup, "WARRANT_KEYS_CACHE_MAX") {
            cache.max_entries = parse_uint("WARRANT_KEYS_CACHE_MAX", &v, 1, 1 << 20)? as usize;
        }
        let refresh = match get(lookup, "WARRANT_KEYS_REFRESH") {
            Some(v) => Some(parse_duration("WARRANT_KEYS_REFRESH", &v)?).filter(|d| !d.is_zero()),
            None => None,
        };
        #[cfg(feature = "aws-kms")]
        let kms = if sources.contains(&Source::Kms) {
            Some(kms_settings(lookup)?)
        } else {
            None
        };
        #[cfg(not(feature = "aws-kms"))]
        if sources.contains(&Source::Kms) {
            return Err(Error::config(
                "WARRANT_KEYS_FROM",
                "kms needs warrants-keys built with the aws-kms feature",
            ));
        }
        #[cfg(feature = "aws-kms")]
        let kms_source = kms.as_ref().map(|k| k.ciphertext_from);
        #[cfg(not(feature = "aws-kms"))]
        let kms_source: Option<Source> = None;
        let needs = |s: Source| sources.contains(&s) || kms_source == Some(s);
        let file = if needs(Source::File) {
            let dir = required(lookup, "WARRANT_KEYS_DIR", "the file key source needs it")?;
            let mut r = FileResolver::new(dir.trim());
            if let Some(ext) = get(lookup, "WARRANT_KEYS_FILE_EXT") {
                r = r.with_extension(ext.trim().trim_start_matches('.'));
            }
            Some(r)
        } else {
            None
        };
        let vault = if needs(Source::Vault) {
            Some(vault_settings(lookup)?)
        } else {
            None
        };
        Ok(Self {
            sources,
            preload,
            cache,
            refresh,
            file,
            vault,
            #[cfg(feature = "aws-kms")]
            kms,
        })
    }

    fn vault_kv(&self) -> Result<VaultKvResolver, Error> {
        let v = self
            .vault
            .as_ref()
            .ok_or_else(|| Error::config("WARRANT_VAULT_ADDR", "vault settings missing"))?;
        let client = VaultClient::new(v.config.clone())?;
        Ok(
            VaultKvResolver::new(client, v.mount.clone(), v.path.clone())
                .map_err(|e| Error::config("WARRANT_VAULT_KV_PATH", e.to_string()))?
                .field(v.field.clone()),
        )
    }

    fn file(&self) -> Result<FileResolver, Error> {
        self.file
            .clone()
            .ok_or_else(|| Error::config("WARRANT_KEYS_DIR", "file settings missing"))
    }

    /// The resolver the settings describe (no cache, no I/O yet).
    pub fn resolver(&self) -> Result<CompositeResolver, Error> {
        let mut c = CompositeResolver::new();
        for s in &self.sources {
            let r: Box<dyn KeyResolver> = match s {
                Source::Env => Box::new(EnvResolver::new()),
                Source::File => Box::new(self.file()?),
                Source::Vault => Box::new(self.vault_kv()?),
                #[cfg(feature = "aws-kms")]
                Source::Kms => Box::new(self.kms_resolver()?),
                #[cfg(not(feature = "aws-kms"))]
                Source::Kms => {
                    return Err(Error::config(
                        "WARRANT_KEYS_FROM",
                        "kms needs the aws-kms feature",
                    ))
                }
            };
            c.push(r);
        }
        Ok(c)
    }

    #[cfg(feature = "aws-kms")]
    fn kms_resolver(&self) -> Result<crate::kms::KmsEnvelopeResolver, Error> {
        use crate::kms::{CiphertextSource, KmsEnvelopeResolver};
        let k = self
            .kms
            .as_ref()
            .ok_or_else(|| Error::config("WARRANT_KMS_REGION", "kms settings missing"))?;
        let source = match k.ciphertext_from {
            Source::Env => CiphertextSource::env(),
            Source::File => CiphertextSource::File(self.file()?),
            Source::Vault => CiphertextSource::Vault(self.vault_kv()?),
            Source::Kms => {
                return Err(Error::config(
                    "WARRANT_KMS_CIPHERTEXT_FROM",
                    "must be env, file or vault",
                ))
            }
        };
        let client = k.config.client().map_err(|e| match e {
            Error::Config { setting, reason } => {
                let var = match setting.as_str() {
                    "aws-kms region" => "WARRANT_KMS_REGION",
                    "aws-kms endpoint" => "WARRANT_KMS_ENDPOINT",
                    _ => "WARRANT_KMS_REGION",
                };
                Error::config(var, reason)
            }
            other => other,
        })?;
        let mut r = KmsEnvelopeResolver::new(client, source);
        if let Some(key) = &k.key {
            r = r.expected_kms_key(key.clone());
        }
        Ok(r)
    }

    /// Build the cached resolver, preload [`KeySettings::preload`], and
    /// start the refresher if one is set (needs a tokio runtime). Fails if
    /// any preloaded id cannot be resolved.
    pub async fn load(&self) -> Result<Arc<CachingResolver<CompositeResolver>>, Error> {
        let cache = Arc::new(CachingResolver::new(self.resolver()?, self.cache));
        cache.preload(&self.preload).await?;
        if let Some(every) = self.refresh {
            // The task ends when the last other reference is dropped.
            drop(cache.spawn_refresher(every));
        }
        Ok(cache)
    }
}

/// The Vault/OpenBao client settings alone (`WARRANT_VAULT_ADDR`, auth,
/// namespace, CA, timeout, attempts), e.g. for a [`crate::TransitSigner`].
pub fn vault_config_from_env() -> Result<VaultConfig, Error> {
    vault_config_from_lookup(&|v| std::env::var(v).ok())
}

/// [`vault_config_from_env`] through `lookup`.
pub fn vault_config_from_lookup(lookup: Lookup<'_>) -> Result<VaultConfig, Error> {
    vault_settings(lookup).map(|s| s.config)
}

fn vault_settings(lookup: Lookup<'_>) -> Result<VaultSettings, Error> {
    let addr = required(
        lookup,
        "WARRANT_VAULT_ADDR",
        "the vault key source needs it",
    )?;
    let token = secret(lookup, "WARRANT_VAULT_TOKEN")?;
    let role_id = get(lookup, "WARRANT_VAULT_ROLE_ID");
    let secret_id = secret(lookup, "WARRANT_VAULT_SECRET_ID")?;
    let auth = match (token, role_id, secret_id) {
        (Some(t), None, None) => VaultAuth::Token(t),
        (None, Some(role_id), Some(secret_id)) => VaultAuth::AppRole {
            mount: get(lookup, "WARRANT_VAULT_APPROLE_MOUNT")
                .map_or_else(|| "approle".to_string(), |m| m.trim().to_string()),
            role_id: role_id.trim().to_string(),
            secret_id,
        },
        (None, Some(_), None) => {
            return Err(Error::config(
                "WARRANT_VAULT_SECRET_ID",
                "not set (AppRole needs WARRANT_VAULT_ROLE_ID and WARRANT_VAULT_SECRET_ID)",
            ))
        }
        (None, None, Some(_)) => {
            return Err(Error::config(
                "WARRANT_VAULT_ROLE_ID",
                "not set (AppRole needs WARRANT_VAULT_ROLE_ID and WARRANT_VAULT_SECRET_ID)",
            ))
        }
        (None, None, None) => {
            return Err(Error::config(
                "WARRANT_VAULT_TOKEN",
                "not set (set WARRANT_VAULT_TOKEN, or WARRANT_VAULT_ROLE_ID and WARRANT_VAULT_SECRET_ID)",
            ))
        }
        (Some(_), _, _) => {
            return Err(Error::config(
                "WARRANT_VAULT_TOKEN",
                "set either a token or an AppRole, not both",
            ))
        }
    };
    let mut config = VaultConfig::new(addr.trim(), auth)
        .map_err(|e| Error::config("WARRANT_VAULT_ADDR", e.to_string()))?;
    if let Some(ns) = get(lookup, "WARRANT_VAULT_NAMESPACE") {
        config = config.namespace(ns.trim());
    }
    if let Some(path) = get(lookup, "WARRANT_VAULT_CACERT") {
        let pem = std::fs::read(path.trim()).map_err(|e| {
            Error::config(
                "WARRANT_VAULT_CACERT",
                format!("cannot read {}: {}", path.trim(), e.kind()),
            )
        })?;
        config = config.ca_cert_pem(pem);
    }
    if let Some(v) = get(lookup, "WARRANT_VAULT_TIMEOUT") {
        let t = parse_duration("WARRANT_VAULT_TIMEOUT", &v)?;
        if t.is_zero() {
            return Err(Error::config(
                "WARRANT_VAULT_TIMEOUT",
                "must be more than 0",
            ));
        }
        config = config.timeout(t);
    }
    if let Some(v) = get(lookup, "WARRANT_VAULT_MAX_ATTEMPTS") {
        config = config.max_attempts(parse_uint("WARRANT_VAULT_MAX_ATTEMPTS", &v, 1, 10)? as u32);
    }
    let path = get(lookup, "WARRANT_VAULT_KV_PATH").map_or_else(
        || "warrants/keys/{key_id}".to_string(),
        |p| p.trim().to_string(),
    );
    if !path.contains("{key_id}") {
        return Err(Error::config(
            "WARRANT_VAULT_KV_PATH",
            format!("{path:?} has no {{key_id}} placeholder"),
        ));
    }
    Ok(VaultSettings {
        config,
        mount: get(lookup, "WARRANT_VAULT_KV_MOUNT")
            .map_or_else(|| "secret".to_string(), |m| m.trim().to_string()),
        path,
        field: get(lookup, "WARRANT_VAULT_KV_FIELD")
            .map_or_else(|| "seed".to_string(), |f| f.trim().to_string()),
    })
}

#[cfg(feature = "aws-kms")]
fn kms_settings(lookup: Lookup<'_>) -> Result<KmsSettings, Error> {
    use crate::kms::{KmsConfig, KmsCredentials};
    let region = required(lookup, "WARRANT_KMS_REGION", "the kms key source needs it")?;
    // Static credentials from the AWS_* variables (read through the same
    // lookup); the default chain (instance metadata, ~/.aws) is never used
    // implicitly. For IAM roles, build the resolver in code with your own
    // aws_sdk_kms::Client.
    let access_key_id = required(
        lookup,
        "AWS_ACCESS_KEY_ID",
        "the kms key source needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    )?;
    let secret_access_key = secret(lookup, "AWS_SECRET_ACCESS_KEY")?.ok_or_else(|| {
        Error::config(
            "AWS_SECRET_ACCESS_KEY",
            "not set (the kms key source needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
        )
    })?;
    let credentials = KmsCredentials::Static {
        access_key_id: access_key_id.trim().to_string(),
        secret_access_key,
        session_token: secret(lookup, "AWS_SESSION_TOKEN")?,
    };
    let mut config = KmsConfig::new(region.trim(), credentials);
    if let Some(ep) = get(lookup, "WARRANT_KMS_ENDPOINT") {
        url::Url::parse(ep.trim())
            .map_err(|_| Error::config("WARRANT_KMS_ENDPOINT", "not a URL"))?;
        config = config.endpoint(ep.trim());
    }
    let ciphertext_from = match get(lookup, "WARRANT_KMS_CIPHERTEXT_FROM") {
        Some(v) => match Source::parse("WARRANT_KMS_CIPHERTEXT_FROM", &v)? {
            Source::Kms => {
                return Err(Error::config(
                    "WARRANT_KMS_CIPHERTEXT_FROM",
                    "must be env, file or vault",
                ))
            }
            s => s,
        },
        None => Source::Env,
    };
    Ok(KmsSettings {
        config,
        key: get(lookup, "WARRANT_KMS_KEY").map(|k| k.trim().to_string()),
        ciphertext_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn err(pairs: &[(&str, &str)]) -> Error {
        KeySettings::from_lookup(&lookup(pairs)).unwrap_err()
    }

    #[test]
    fn defaults_are_env_only() {
        let s = KeySettings::from_lookup(&lookup(&[])).unwrap();
        assert_eq!(s.sources, vec![Source::Env]);
        assert!(s.preload.is_empty());
        assert_eq!(s.cache, CacheOptions::default());
        assert_eq!(s.refresh, None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("X", "30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("X", "5m").unwrap(), Duration::from_secs(300));
        assert_eq!(
            parse_duration("X", "2h").unwrap(),
            Duration::from_secs(7200)
        );
        assert_eq!(
            parse_duration("X", "250ms").unwrap(),
            Duration::from_millis(250)
        );
        for bad in [
            "",
            "-1",
            "1.5s",
            "5 min",
            "x",
            "99999999999999999999h",
            "18446744073709551615h",
        ] {
            let e = parse_duration("WARRANT_X", bad).unwrap_err();
            assert_eq!(e.code(), "KEY_CONFIG");
            assert!(e.to_string().starts_with("WARRANT_X: "), "{e}");
        }
    }

    #[test]
    fn every_bad_value_names_its_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("WARRANT_KEYS_FROM", "env,ldap")], "WARRANT_KEYS_FROM"),
            (&[("WARRANT_KEYS_FROM", "env,env")], "WARRANT_KEYS_FROM"),
            (&[("WARRANT_KEYS_FROM", ",")], "WARRANT_KEYS_FROM"),
            (
                &[("WARRANT_KEYS_PRELOAD", "a,../b")],
                "WARRANT_KEYS_PRELOAD",
            ),
            (
                &[("WARRANT_KEYS_CACHE_TTL", "soon")],
                "WARRANT_KEYS_CACHE_TTL",
            ),
            (&[("WARRANT_KEYS_CACHE_MAX", "0")], "WARRANT_KEYS_CACHE_MAX"),
            (
                &[("WARRANT_KEYS_CACHE_MAX", "many")],
                "WARRANT_KEYS_CACHE_MAX",
            ),
            (&[("WARRANT_KEYS_REFRESH", "-5")], "WARRANT_KEYS_REFRESH"),
            (&[("WARRANT_KEYS_FROM", "file")], "WARRANT_KEYS_DIR"),
            (&[("WARRANT_KEYS_FROM", "vault")], "WARRANT_VAULT_ADDR"),
            (
                &[
                    ("WARRANT_KEYS_FROM", "vault"),
                    ("WARRANT_VAULT_ADDR", "http://127.0.0.1:1"),
                ],
                "WARRANT_VAULT_TOKEN",
            ),
            (
                &[
                    ("WARRANT_KEYS_FROM", "vault"),
                    ("WARRANT_VAULT_ADDR", "http://127.0.0.1:1"),
                    ("WARRANT_VAULT_ROLE_ID", "r"),
                ],
                "WARRANT_VAULT_SECRET_ID",
            ),
            (
                &[
                    ("WARRANT_KEYS_FROM", "vault"),
                    ("WARRANT_VAULT_ADDR", "http://127.0.0.1:1"),
                    ("WARRANT_VAULT_TOKEN", "t"),
                    ("WARRANT_VAULT_ROLE_ID", "r"),
                    ("WARRANT_VAULT_SECRET_ID", "s"),
                ],
                "WARRANT_VAULT_TOKEN",
            ),
            (
                &[
                    ("WARRANT_KEYS_FROM", "vault"),
                    ("WARRANT_VAULT_ADDR", "ftp://vault"),
                    ("WARRANT_VAULT_TOKEN", "t"),
                ],
                "WARRANT_VAULT_ADDR",
            ),
            (
                &[
                    ("WARRANT_KEYS_FROM", "vault"),
                    ("WARRANT_VAULT_ADDR", "http://127.0.0.1:1"),
                    ("WARRANT_VAULT_TOKEN", "t"),
                    ("WARRANT_VAULT_TIMEOUT", "0"),
                ],
                "WARRANT_VAULT_TIMEOUT",
            ),
            (
                &[
                    ("WARRANT_KEYS_FROM", "vault"),
                    ("WARRANT_VAULT_ADDR", "http://127.0.0.1:1"),
                    ("WARRANT_VAULT_TOKEN", "t"),
                    ("WARRANT_VAULT_MAX_ATTEMPTS", "50"),
                ],
                "WARRANT_VAULT_MAX_ATTEMPTS",
            ),
            (
                &[
                    ("WARRANT_KEYS_FROM", "vault"),
                    ("WARRANT_VAULT_ADDR", "http://127.0.0.1:1"),
                    ("WARRANT_VAULT_TOKEN", "t"),
                    ("WARRANT_VAULT_KV_PATH", "warrants/fixed"),
                ],
                "WARRANT_VAULT_KV_PATH",
            ),
            (
                &[
                    ("WARRANT_KEYS_FROM", "vault"),
                    ("WARRANT_VAULT_ADDR", "http://127.0.0.1:1"),
                    ("WARRANT_VAULT_TOKEN", "t"),
                    ("WARRANT_VAULT_CACERT", "/nonexistent/ca.pem"),
                ],
                "WARRANT_VAULT_CACERT",
            ),
            (
                &[
                    ("WARRANT_KEYS_FROM", "vault"),
                    ("WARRANT_VAULT_ADDR", "http://127.0.0.1:1"),
                    ("WARRANT_VAULT_TOKEN_FILE", "/nonexistent/token"),
                ],
                "WARRANT_VAULT_TOKEN_FILE",
            ),
        ];
        for (pairs, var) in cases {
            let e = err(pairs);
            assert_eq!(e.code(), "KEY_CONFIG", "{pairs:?}");
            assert!(
                e.to_string().starts_with(&format!("{var}: ")),
                "{pairs:?}: {e}"
            );
        }
    }

    #[test]
    fn secrets_never_in_errors_or_debug() {
        let token = "hvs.SUPERSECRETTOKEN";
        let pairs = [
            ("WARRANT_KEYS_FROM", "vault,env"),
            ("WARRANT_VAULT_ADDR", "http://127.0.0.1:1"),
            ("WARRANT_VAULT_TOKEN", token),
            ("WARRANT_KEYS_PRELOAD", "a, b"),
            ("WARRANT_KEYS_CACHE_TTL", "90s"),
            ("WARRANT_KEYS_REFRESH", "1m"),
        ];
        let s = KeySettings::from_lookup(&lookup(&pairs)).unwrap();
        assert_eq!(s.sources, vec![Source::Vault, Source::Env]);
        assert_eq!(s.preload, vec!["a", "b"]);
        assert_eq!(s.cache.ttl, Duration::from_secs(90));
        assert_eq!(s.refresh, Some(Duration::from_secs(60)));
        assert!(!format!("{s:?}").contains("SUPERSECRET"));
        let mut pairs = pairs.to_vec();
        pairs.push(("WARRANT_VAULT_ROLE_ID", "r"));
        let e = err(&pairs);
        assert!(!e.to_string().contains("SUPERSECRET"));
    }

    #[test]
    fn token_from_file_and_file_source() {
        let d = tempfile::tempdir().unwrap();
        let tok = d.path().join("token");
        std::fs::write(&tok, "s.tokenvalue\n").unwrap();
        let tok = tok.display().to_string();
        let dir = d.path().display().to_string();
        let s = KeySettings::from_lookup(&lookup(&[
            ("WARRANT_KEYS_FROM", "file,vault"),
            ("WARRANT_KEYS_DIR", &dir),
            ("WARRANT_KEYS_FILE_EXT", ".key"),
            ("WARRANT_VAULT_ADDR", "http://127.0.0.1:1"),
            ("WARRANT_VAULT_TOKEN_FILE", &tok),
        ]))
        .unwrap();
        assert_eq!(s.sources, vec![Source::File, Source::Vault]);
        assert_eq!(s.resolver().unwrap().len(), 2);
        let both = err(&[
            ("WARRANT_KEYS_FROM", "vault"),
            ("WARRANT_VAULT_ADDR", "http://127.0.0.1:1"),
            ("WARRANT_VAULT_TOKEN", "x"),
            ("WARRANT_VAULT_TOKEN_FILE", &tok),
        ]);
        assert!(both.to_string().starts_with("WARRANT_VAULT_TOKEN: "));
    }

    #[tokio::test]
    async fn load_preloads_and_fails_closed() {
        // The env source reads the process environment; use ids no other
        // test sets.
        let id = format!("settings-{}", std::process::id());
        let var = crate::env_var_name(&id).unwrap();
        std::env::set_var(
            &var,
            base64::Engine::encode(&crate::seed::URL_SAFE, [6; 32]),
        );
        let s = KeySettings::from_lookup(&lookup(&[("WARRANT_KEYS_PRELOAD", &id)])).unwrap();
        let cache = s.load().await;
        std::env::remove_var(&var);
        let cache = cache.unwrap();
        assert!(cache.cached(&id).is_some());
        let s =
            KeySettings::from_lookup(&lookup(&[("WARRANT_KEYS_PRELOAD", "nobody-here")])).unwrap();
        assert_eq!(s.load().await.unwrap_err().code(), "KEY_NOT_FOUND");
    }
}
