//! The HTTP client shared by the KV resolver and the Transit signer.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use zeroize::Zeroizing;

use super::{VaultAuth, VaultConfig};
use crate::Error;

const BACKEND: &str = "vault";
/// Largest response body read (Vault answers are small).
const MAX_BODY: usize = 1 << 20;
/// Longest piece of server error text kept in an error message.
const MAX_ERROR_TEXT: usize = 300;
const TOKEN_HEADER: &str = "x-vault-token";
const NAMESPACE_HEADER: &str = "x-vault-namespace";

/// A Vault/OpenBao HTTP client: address, authentication, namespace, TLS,
/// timeouts and retries (see the [module docs](super)). Cheap to clone;
/// clones share the connection pool, the AppRole token and the request
/// counter.
#[derive(Clone)]
pub struct VaultClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: VaultConfig,
    http: reqwest::Client,
    requests: AtomicU64,
    /// The AppRole token, once logged in.
    token: tokio::sync::Mutex<Option<CachedToken>>,
    /// Bumped on every login, so that a refused token is dropped once.
    generation: AtomicU64,
}

struct CachedToken {
    token: SecretString,
    generation: u64,
    /// When to log in again before using it (80% of its lease).
    renew_at: Option<Instant>,
}

/// A token to send, and whether it came from an earlier login.
struct UseToken {
    token: SecretString,
    generation: u64,
    reused: bool,
}

/// A 2xx or 404 answer.
pub(crate) struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON body (`Null` when empty).
    pub body: Value,
}

impl Reply {
    pub(crate) fn is_not_found(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
    }

    /// The server's error text, if it gave any (`errors`, joined).
    pub(crate) fn error_text(&self) -> Option<String> {
        let errors = self.body.get("errors")?.as_array()?;
        let text = errors
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("; ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        (!text.is_empty()).then(|| shorten(text, MAX_ERROR_TEXT))
    }
}

/// What one request attempt loop produced: a final status and body.
struct Raw {
    status: StatusCode,
    body: Zeroizing<Vec<u8>>,
}

impl VaultClient {
    /// A client for `config`. Fails on an unusable CA certificate or
    /// namespace; it does not contact the server.
    pub fn new(config: VaultConfig) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("warrants-keys/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &config.ca_cert_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    Error::config("ca certificate", "not one or more pem certificates")
                })?;
            builder = builder.tls_built_in_root_certs(false);
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let mut headers = HeaderMap::new();
        if let Some(ns) = &config.namespace {
            let v = HeaderValue::from_str(ns).map_err(|_| {
                Error::config("namespace", "contains characters not allowed in a header")
            })?;
            headers.insert(NAMESPACE_HEADER, v);
        }
        if let VaultAuth::Token(t) = &config.auth {
            check_header_value(t, "token")?;
        }
        if let VaultAuth::AppRole { mount, .. } = &config.auth {
            check_mount(mount, "approle mount")?;
        }
        let http = builder
            .default_headers(headers)
            .build()
            .map_err(|e| Error::config("vault client", error_chain(&e)))?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                http,
                requests: AtomicU64::new(0),
                token: tokio::sync::Mutex::new(None),
                generation: AtomicU64::new(0),
            }),
        })
    }

    /// HTTP requests sent so far, AppRole logins and retries included.
    pub fn http_requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// The configuration.
    pub fn config(&self) -> &VaultConfig {
        &self.inner.config
    }

    /// `GET /v1/<path>`: the answer if 2xx or 404.
    pub(crate) async fn get(&self, path: &str) -> Result<Reply, Error> {
        self.call(Method::GET, path, None).await
    }

    /// `POST /v1/<path>` with a JSON body: the answer if 2xx or 404.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Result<Reply, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| backend(format!("encoding the request to {path}: {e}")))?;
        self.call(Method::POST, path, Some(Zeroizing::new(bytes)))
            .await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Zeroizing<Vec<u8>>>,
    ) -> Result<Reply, Error> {
        let mut relogged = false;
        loop {
            let token = self.token().await?;
            let raw = self
                .send(
                    &method,
                    path,
                    body.as_deref().map(Vec::as_slice),
                    Some(&token.token),
                )
                .await?;
            let status = raw.status;
            if status.is_success() || status == StatusCode::NOT_FOUND {
                let body = parse_body(&raw.body, path)?;
                return Ok(Reply { status, body });
            }
            if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                let approle = matches!(self.inner.config.auth, VaultAuth::AppRole { .. });
                if approle && token.reused && !relogged {
                    // The cached AppRole token may have expired or been
                    // revoked: log in again, once.
                    tracing::debug!(target: "warrants_keys::vault", %method, path, status = status.as_u16(), "token refused, logging in again");
                    self.forget_token(token.generation).await;
                    relogged = true;
                    continue;
                }
                let text = self.error_text(&raw.body, "permission denied");
                return Err(Error::Auth {
                    backend: BACKEND,
                    message: format!(
                        "http {} on {method} {path}: {text} (check the token or AppRole and its policies)",
                        status.as_u16()
                    ),
                });
            }
            return Err(self.status_error(&method, path, &raw));
        }
    }

    fn status_error(&self, method: &Method, path: &str, raw: &Raw) -> Error {
        let status = raw.status.as_u16();
        if raw.status.is_redirection() {
            return backend(format!(
                "http {status} on {method} {path}: redirects are not followed (point the address at the active node)"
            ));
        }
        let text = self.error_text(&raw.body, "no error text");
        backend(format!("http {status} on {method} {path}: {text}"))
    }

    /// The token for the next request: the configured one, or the AppRole
    /// token (logging in when there is none or its lease is nearly over).
    async fn token(&self) -> Result<UseToken, Error> {
        let (mount, role_id, secret_id) = match &self.inner.config.auth {
            VaultAuth::Token(t) => {
                return Ok(UseToken {
                    token: t.clone(),
                    generation: 0,
                    reused: true,
                })
            }
            VaultAuth::AppRole {
                mount,
                role_id,
                secret_id,
            } => (mount, role_id, secret_id),
        };
        let mut slot = self.inner.token.lock().await;
        if let Some(cached) = slot.as_ref() {
            if cached.renew_at.is_none_or(|at| Instant::now() < at) {
                return Ok(UseToken {
                    token: cached.token.clone(),
                    generation: cached.generation,
                    reused: true,
                });
            }
        }
        let path = format!("auth/{}/login", mount.trim_matches('/'));
        let body = Zeroizing::new(
            serde_json::to_vec(&serde_json::json!({
                "role_id": role_id,
                "secret_id": secret_id.expose_secret(),
            }))
            .map_err(|e| backend(format!("encoding the approle login: {e}")))?,
        );
        tracing::debug!(target: "warrants_keys::vault", path = %path, "approle login");
        let raw = self.send(&Method::POST, &path, Some(&body), None).await?;
        drop(body);
        if !raw.status.is_success() {
            let text = self.error_text(&raw.body, "refused");
            let hint = if raw.status == StatusCode::NOT_FOUND {
                "check the approle mount"
            } else {
                "check the role id and secret id"
            };
            return Err(Error::Auth {
                backend: BACKEND,
                message: format!(
                    "approle login at {path} refused with http {}: {text} ({hint})",
                    raw.status.as_u16()
                ),
            });
        }
        let mut reply = parse_body(&raw.body, &path)?;
        let auth = reply.get_mut("auth");
        let lease = auth
            .as_ref()
            .and_then(|a| a.get("lease_duration"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let token = match auth
            .and_then(|a| a.get_mut("client_token"))
            .map(Value::take)
        {
            Some(Value::String(t)) if !t.is_empty() => SecretString::from(t),
            _ => {
                return Err(Error::Auth {
                    backend: BACKEND,
                    message: format!("approle login at {path} returned no client token"),
                })
            }
        };
        check_header_value(&token, "approle token")?;
        let generation = self.inner.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let renew_at = (lease > 0)
            .then(|| Instant::now() + std::time::Duration::from_millis(lease.saturating_mul(800)));
        *slot = Some(CachedToken {
            token: token.clone(),
            generation,
            renew_at,
        });
        Ok(UseToken {
            token,
            generation,
            reused: false,
        })
    }

    async fn forget_token(&self, generation: u64) {
        let mut slot = self.inner.token.lock().await;
        if slot.as_ref().is_some_and(|c| c.generation == generation) {
            *slot = None;
        }
    }

    /// Send one request with retries on 5xx, 429, timeouts and connection
    /// failures. Returns the first other answer.
    async fn send(
        &self,
        method: &Method,
        path: &str,
        body: Option<&[u8]>,
        token: Option<&SecretString>,
    ) -> Result<Raw, Error> {
        let config = &self.inner.config;
        let url = format!(
            "{}/v1/{}",
            config.address.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        let max = config.max_attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=max {
            let mut req = self.inner.http.request(method.clone(), &url);
            if let Some(t) = token {
                let mut v = HeaderValue::from_str(t.expose_secret()).map_err(|_| {
                    Error::config("token", "contains characters not allowed in a header")
                })?;
                v.set_sensitive(true);
                req = req.header(TOKEN_HEADER, v);
            }
            if let Some(b) = body {
                req = req
                    .header(CONTENT_TYPE, "application/json")
                    .body(b.to_vec());
            }
            self.inner.requests.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(target: "warrants_keys::vault", %method, path, attempt, "vault request");
            let outcome = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    read_body(resp).await.map(|bytes| (status, bytes))
                }
                Err(e) => Err(ReadError::Http(e)),
            };
            match outcome {
                Ok((status, bytes)) => {
                    tracing::debug!(target: "warrants_keys::vault", %method, path, attempt, status = status.as_u16(), "vault response");
                    if !(status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS) {
                        return Ok(Raw {
                            status,
                            body: bytes,
                        });
                    }
                    let text = self.error_text(&bytes, "no error text");
                    last = format!("http {} on {method} {path}: {text}", status.as_u16());
                }
                Err(ReadError::TooLarge) => {
                    return Err(backend(format!(
                        "{method} {path}: response larger than {MAX_BODY} bytes"
                    )))
                }
                Err(ReadError::Http(e)) => {
                    let text = describe(&e, config);
                    if is_tls_trust_failure(&e) {
                        // Not transient: retrying cannot make the
                        // certificate trusted. Fail closed now.
                        return Err(Error::Unavailable {
                            backend: BACKEND,
                            attempts: attempt,
                            message: format!(
                                "{method} {path}: tls: {text} (the server certificate is not trusted; configure its ca certificate)"
                            ),
                        });
                    }
                    last = format!("{method} {path}: {text}");
                }
            }
            if attempt < max {
                let delay = config.delay_after(attempt);
                tracing::warn!(target: "warrants_keys::vault", %method, path, attempt, delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), error = %last, "vault request failed, retrying");
                tokio::time::sleep(delay).await;
            }
        }
        Err(Error::Unavailable {
            backend: BACKEND,
            attempts: max,
            message: last,
        })
    }

    /// The server's error text (`errors` of the JSON body), whitespace
    /// collapsed, secrets removed, shortened.
    fn error_text(&self, body: &[u8], default: &str) -> String {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let joined = parsed
            .as_ref()
            .and_then(|v| v.get("errors"))
            .and_then(Value::as_array)
            .map(|errs| {
                errs.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_else(|| {
                // Not a Vault error document (a proxy, or plain http sent
                // to a TLS port): keep short printable text.
                std::str::from_utf8(body)
                    .ok()
                    .filter(|t| parsed.is_none() && !t.contains('<'))
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_control() || c.is_whitespace())
                    .collect()
            });
        let mut text = joined
            .replace("1 error occurred:", "")
            .split_whitespace()
            .filter(|w| *w != "*")
            .collect::<Vec<_>>()
            .join(" ");
        if text.is_empty() {
            text = default.to_string();
        }
        let text = self.scrub(text);
        shorten(text, MAX_ERROR_TEXT)
    }

    /// Remove our own secrets from text that came from elsewhere.
    fn scrub(&self, mut text: String) -> String {
        let mut secrets: Vec<&str> = Vec::new();
        match &self.inner.config.auth {
            VaultAuth::Token(t) => secrets.push(t.expose_secret()),
            VaultAuth::AppRole {
                role_id, secret_id, ..
            } => {
                secrets.push(secret_id.expose_secret());
                secrets.push(role_id);
            }
        }
        for s in secrets {
            if s.len() >= 4 && text.contains(s) {
                text = text.replace(s, "[redacted]");
            }
        }
        text
    }
}

impl fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultClient")
            .field("config", &self.inner.config)
            .field("http_requests", &self.http_requests())
            .finish()
    }
}

enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

impl From<reqwest::Error> for ReadError {
    fn from(e: reqwest::Error) -> Self {
        Self::Http(e)
    }
}

/// Read a body, at most [`MAX_BODY`] bytes, into a zeroizing buffer.
async fn read_body(mut resp: reqwest::Response) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let mut out = Zeroizing::new(Vec::new());
    while let Some(chunk) = resp.chunk().await? {
        if out.len() + chunk.len() > MAX_BODY {
            return Err(ReadError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn parse_body(body: &[u8], path: &str) -> Result<Value, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    // serde_json's error names a line and column, never the content.
    serde_json::from_slice(body).map_err(|e| backend(format!("{path}: answer is not json ({e})")))
}

fn backend(message: String) -> Error {
    Error::Backend {
        backend: BACKEND,
        message,
    }
}

fn check_header_value(t: &SecretString, what: &str) -> Result<(), Error> {
    HeaderValue::from_str(t.expose_secret())
        .map(|_| ())
        .map_err(|_| Error::config(what, "contains characters not allowed in a header"))
}

/// Check a mount or path from configuration: relative, no empty, `.` or
/// `..` segments, no characters that change a URL's meaning.
pub(crate) fn check_mount(mount: &str, setting: &str) -> Result<(), Error> {
    let m = mount.trim_matches('/');
    if m.is_empty() {
        return Err(Error::config(setting, "is empty"));
    }
    if m.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return Err(Error::config(setting, "has an empty, '.' or '..' segment"));
    }
    if !m
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'?' | b'#' | b'%' | b'\\'))
    {
        return Err(Error::config(
            setting,
            "has spaces, control characters or one of ?#%\\",
        ));
    }
    Ok(())
}

fn shorten(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

/// The causes of a reqwest error, without the URL.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

fn describe(e: &reqwest::Error, config: &VaultConfig) -> String {
    if e.is_timeout() {
        return format!("timed out after {:?}", config.timeout);
    }
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "reading the answer failed"
    } else {
        "request failed"
    };
    // Skip reqwest's own line ("error sending request for url (...)").
    let causes = std::error::Error::source(e)
        .map(error_chain)
        .unwrap_or_default();
    if causes.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {causes}")
    }
}

fn is_tls_trust_failure(e: &reqwest::Error) -> bool {
    let chain = error_chain(e).to_ascii_lowercase();
    chain.contains("certificate") || chain.contains("unknownissuer")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(auth: VaultAuth) -> VaultClient {
        VaultClient::new(VaultConfig::new("http://127.0.0.1:1", auth).unwrap()).unwrap()
    }

    #[test]
    fn error_text_is_collapsed_and_scrubbed() {
        let c = client(VaultAuth::token("s.SECRET-TOKEN"));
        let body = br#"{"errors":["1 error occurred:\n\t* bad token s.SECRET-TOKEN here\n\n"]}"#;
        assert_eq!(c.error_text(body, "x"), "bad token [redacted] here");
        assert_eq!(c.error_text(b"{\"errors\":[]}", "none"), "none");
        assert_eq!(c.error_text(b"<html>", "none"), "none");
        assert_eq!(
            c.error_text(b"Client sent an HTTP request to an HTTPS server.\n", "none"),
            "Client sent an HTTP request to an HTTPS server."
        );
        let long = format!("{{\"errors\":[\"{}\"]}}", "é".repeat(400));
        assert!(c.error_text(long.as_bytes(), "x").len() <= MAX_ERROR_TEXT + 3);
        let a = client(VaultAuth::approle("role-abcd", "sid-efgh"));
        assert_eq!(
            a.error_text(br#"{"errors":["role-abcd sid-efgh"]}"#, "x"),
            "[redacted] [redacted]"
        );
    }

    #[test]
    fn bad_settings_are_config_errors() {
        let bad_ca = VaultConfig::new("https://127.0.0.1:1", VaultAuth::token("t"))
            .unwrap()
            .ca_cert_pem(b"not a pem".to_vec());
        assert_eq!(VaultClient::new(bad_ca).unwrap_err().code(), "KEY_CONFIG");
        let bad_ns = VaultConfig::new("https://127.0.0.1:1", VaultAuth::token("t"))
            .unwrap()
            .namespace("a\nb");
        assert_eq!(VaultClient::new(bad_ns).unwrap_err().code(), "KEY_CONFIG");
        let bad_token = VaultConfig::new("https://127.0.0.1:1", VaultAuth::token("a\nb")).unwrap();
        let e = VaultClient::new(bad_token).unwrap_err();
        assert_eq!(e.code(), "KEY_CONFIG");
        assert!(!e.to_string().contains("a\nb"));
        for m in [
            "", "/", "a//b", "../x", "a/./b", "a b", "a?b", "a#b", "a%2f",
        ] {
            assert!(check_mount(m, "mount").is_err(), "{m:?}");
        }
        for m in ["secret", "kv/team-a", "/secret/"] {
            check_mount(m, "mount").unwrap();
        }
    }

    #[test]
    fn debug_has_no_secrets() {
        let c = client(VaultAuth::token("s.SECRET-TOKEN"));
        let d = format!("{c:?}");
        assert!(!d.contains("SECRET-TOKEN"), "{d}");
        assert!(d.contains("http_requests: 0"), "{d}");
    }

    #[tokio::test]
    async fn connection_refused_is_unavailable_after_retries() {
        let c = VaultClient::new(
            VaultConfig::new("http://127.0.0.1:1", VaultAuth::token("t"))
                .unwrap()
                .max_attempts(2)
                .backoff(std::time::Duration::from_millis(1)),
        )
        .unwrap();
        let e = c.get("secret/data/x").await.err().unwrap();
        assert_eq!(e.code(), "KEY_BACKEND_UNAVAILABLE");
        assert!(matches!(e, Error::Unavailable { attempts: 2, .. }), "{e}");
        assert!(e.to_string().contains("cannot connect"), "{e}");
        assert_eq!(c.http_requests(), 2);
    }
}
