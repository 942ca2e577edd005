//! A local OpenBao dev server (`bao server -dev`), for tests and examples.
//!
//! The server runs in memory, unsealed, with a random root token, on a
//! free loopback port (OpenBao also takes the next port for its cluster
//! listener), optionally with the dev TLS certificates (`-dev-tls`). Its
//! log goes to a file in a private temporary directory, removed with the
//! handle. KV v2 is mounted at `secret/` by dev mode. The `admin` helpers
//! below do setup calls with the root token over plain `reqwest`
//! (independent of [`crate::VaultClient`], which is what tests exercise).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use super::{
    free_ports, log_tail, private_dir, require_binary, DevServerError, Supervised, INSTALL_SCRIPT,
    START_ATTEMPTS,
};

/// Variable naming the `bao` binary (else `.venv/bin/bao`, else `PATH`).
pub const OPENBAO_BIN_ENV: &str = "OPENBAO_BIN";
/// How long a start may take before it is abandoned.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Printed by `bao server` once dev mode has initialized and unsealed.
const STARTED_MARKER: &str = "OpenBao server started!";

/// A running `bao server -dev`, stopped (by PID) when dropped.
#[derive(Debug)]
pub struct OpenBaoDev {
    server: Option<Supervised>,
    port: u16,
    root_token: String,
    dir: PathBuf,
    log: PathBuf,
    ca: Option<(PathBuf, Vec<u8>)>,
    http: reqwest::Client,
}

impl OpenBaoDev {
    /// Start a plain-HTTP dev server and wait until it answers
    /// `/v1/sys/health` with 200 and its `secret/` KV v2 mount is usable.
    pub fn start() -> Result<Self, DevServerError> {
        Self::launch(None)
    }

    /// Start a dev server with TLS (`-dev-tls`): it writes a CA
    /// (`vault-ca.pem`), a certificate for `127.0.0.1`/`localhost` and its
    /// key into `cert_dir` (earlier files there are replaced).
    pub fn start_tls(cert_dir: &Path) -> Result<Self, DevServerError> {
        Self::launch(Some(cert_dir))
    }

    fn launch(cert_dir: Option<&Path>) -> Result<Self, DevServerError> {
        let bin = require_binary("bao", OPENBAO_BIN_ENV, INSTALL_SCRIPT)?;
        let dir = private_dir("warrants-openbao")?;
        let mut last = String::new();
        for attempt in 0..START_ATTEMPTS {
            match Self::try_launch(&bin, &dir, cert_dir, attempt) {
                Ok(server) => return Ok(server),
                Err(e) => last = e.to_string(),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        Err(DevServerError::NotReady(format!(
            "openbao: {START_ATTEMPTS} attempts failed; last: {last}"
        )))
    }

    fn try_launch(
        bin: &Path,
        dir: &Path,
        cert_dir: Option<&Path>,
        attempt: usize,
    ) -> Result<Self, DevServerError> {
        let port = port_pair()?;
        let root_token = format!("dev-{}", warrants::warrant::WarrantId::random().to_hex());
        let log = dir.join(format!("openbao-{attempt}.log"));
        let mut args = vec![
            "server".to_string(),
            "-dev".to_string(),
            "-dev-no-store-token".to_string(),
            format!("-dev-root-token-id={root_token}"),
            format!("-dev-listen-address=127.0.0.1:{port}"),
        ];
        let ca_path = match cert_dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                for f in ["vault-ca.pem", "vault-cert.pem", "vault-key.pem"] {
                    match std::fs::remove_file(d.join(f)) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                        _ => {}
                    }
                }
                args.push("-dev-tls".to_string());
                args.push(format!("-dev-tls-cert-dir={}", d.display()));
                Some(d.join("vault-ca.pem"))
            }
            None => None,
        };
        let mut server = Supervised::spawn(bin, &args, Some(&log))?;
        let ready = match &ca_path {
            None => server.wait_ready(&[port], READY_TIMEOUT, || {
                http_status(port, "/v1/sys/health", None) == Some(200)
                    && http_status(
                        port,
                        "/v1/secret/data/warrants-dev-ready",
                        Some(&root_token),
                    ) == Some(404)
            }),
            Some(ca) => server.wait_ready(&[port], READY_TIMEOUT, || {
                ca.is_file()
                    && std::fs::read_to_string(&log).is_ok_and(|l| l.contains(STARTED_MARKER))
            }),
        };
        if let Err(e) = ready {
            drop(server);
            return Err(DevServerError::NotReady(format!(
                "{e}; log tail: {}",
                log_tail(&log, 1500)
            )));
        }
        let mut http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30));
        let ca = match ca_path {
            Some(path) => {
                let pem = std::fs::read(&path)?;
                let cert = reqwest::Certificate::from_pem(&pem)
                    .map_err(|e| DevServerError::NotReady(format!("dev ca: {e}")))?;
                http = http.add_root_certificate(cert);
                Some((path, pem))
            }
            None => None,
        };
        let http = http
            .build()
            .map_err(|e| DevServerError::NotReady(format!("admin client: {e}")))?;
        Ok(Self {
            server: Some(server),
            port,
            root_token,
            dir: dir.to_path_buf(),
            log,
            ca,
            http,
        })
    }

    /// `http://127.0.0.1:<port>` (or `https://` with TLS).
    pub fn address(&self) -> String {
        let scheme = if self.ca.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The API port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The root token (random per server).
    pub fn root_token(&self) -> &str {
        &self.root_token
    }

    /// The dev CA certificate (PEM), with TLS.
    pub fn ca_cert_pem(&self) -> Option<&[u8]> {
        self.ca.as_ref().map(|(_, pem)| pem.as_slice())
    }

    /// Where the dev CA certificate is, with TLS.
    pub fn ca_cert_path(&self) -> Option<&Path> {
        self.ca.as_ref().map(|(p, _)| p.as_path())
    }

    /// The server's log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `max` bytes of the server's log.
    pub fn log_tail(&self, max: usize) -> String {
        log_tail(&self.log, max)
    }

    /// Stop the server now.
    pub fn stop(mut self) -> std::io::Result<()> {
        match self.server.take() {
            Some(s) => s.stop(),
            None => Ok(()),
        }
    }

    /// Call the API as root: `method /v1/<path>` with an optional JSON
    /// body, in `namespace` if given. Returns the JSON answer (`Null` for
    /// 204). Retries for a few seconds while the server answers 5xx or is
    /// still upgrading a KV mount (right after start or a mount).
    pub async fn api_in(
        &self,
        namespace: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, DevServerError> {
        let url = format!("{}/v1/{}", self.address(), path.trim_start_matches('/'));
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .header("X-Vault-Token", &self.root_token);
            if let Some(ns) = namespace {
                req = req.header("X-Vault-Namespace", ns);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let (status, text) = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    (Some(status), resp.text().await.unwrap_or_default())
                }
                Err(e) => (None, e.to_string()),
            };
            let transient = match status {
                None => true,
                Some(s) => s.is_server_error() || text.contains("Upgrading from non-versioned"),
            };
            match status {
                Some(s) if s.is_success() && !transient => {
                    return Ok(if text.trim().is_empty() {
                        Value::Null
                    } else {
                        serde_json::from_str(&text).map_err(|e| api_error(path, &e.to_string()))?
                    });
                }
                _ if transient && std::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ => {
                    let status = status.map_or_else(|| "no answer".to_string(), |s| s.to_string());
                    return Err(api_error(path, &format!("{method} {status}: {text}")));
                }
            }
        }
    }

    /// [`OpenBaoDev::api_in`] in the root namespace.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, DevServerError> {
        self.api_in(None, method, path, body).await
    }

    /// Write `data` (a JSON object of fields) as a new version of KV v2
    /// secret `<mount>/<path>`.
    pub async fn kv_put(&self, mount: &str, path: &str, data: Value) -> Result<(), DevServerError> {
        self.api(
            Method::POST,
            &format!("{mount}/data/{path}"),
            Some(json!({ "data": data })),
        )
        .await
        .map(drop)
    }

    /// Delete the latest version of KV v2 secret `<mount>/<path>`.
    pub async fn kv_delete(&self, mount: &str, path: &str) -> Result<(), DevServerError> {
        self.api(Method::DELETE, &format!("{mount}/data/{path}"), None)
            .await
            .map(drop)
    }

    /// Mount a secrets engine of `kind` at `mount` (e.g. `transit`), in
    /// `namespace` if given, with engine `options` (e.g. `{"version":"2"}`).
    pub async fn enable_secrets(
        &self,
        namespace: Option<&str>,
        mount: &str,
        kind: &str,
        options: Option<Value>,
    ) -> Result<(), DevServerError> {
        let mut body = json!({ "type": kind });
        if let (Some(o), Some(obj)) = (options, body.as_object_mut()) {
            obj.insert("options".to_string(), o);
        }
        self.api_in(
            namespace,
            Method::POST,
            &format!("sys/mounts/{mount}"),
            Some(body),
        )
        .await
        .map(drop)
    }

    /// Mount Transit at `mount`.
    pub async fn enable_transit(&self, mount: &str) -> Result<(), DevServerError> {
        self.enable_secrets(None, mount, "transit", None).await
    }

    /// Create Ed25519 key `name` in the Transit engine at `mount`.
    pub async fn create_ed25519_key(&self, mount: &str, name: &str) -> Result<(), DevServerError> {
        self.api(
            Method::POST,
            &format!("{mount}/keys/{name}"),
            Some(json!({ "type": "ed25519" })),
        )
        .await
        .map(drop)
    }

    /// Rotate Transit key `name` (adds a version); returns the new latest
    /// version.
    pub async fn rotate_key(&self, mount: &str, name: &str) -> Result<u32, DevServerError> {
        self.api(Method::POST, &format!("{mount}/keys/{name}/rotate"), None)
            .await?;
        let info = self
            .api(Method::GET, &format!("{mount}/keys/{name}"), None)
            .await?;
        info.pointer("/data/latest_version")
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| api_error(name, "no latest_version after rotate"))
    }

    /// Write ACL policy `name` (HCL text).
    pub async fn write_policy(&self, name: &str, hcl: &str) -> Result<(), DevServerError> {
        self.api(
            Method::PUT,
            &format!("sys/policies/acl/{name}"),
            Some(json!({ "policy": hcl })),
        )
        .await
        .map(drop)
    }

    /// Enable the AppRole auth method at `auth/approle` (once).
    pub async fn enable_approle(&self) -> Result<(), DevServerError> {
        self.api(
            Method::POST,
            "sys/auth/approle",
            Some(json!({ "type": "approle" })),
        )
        .await
        .map(drop)
    }

    /// Create AppRole role `role` with `policies` and token TTL
    /// `token_ttl` (e.g. `"1h"`); returns `(role_id, secret_id)`.
    pub async fn create_approle(
        &self,
        role: &str,
        policies: &[&str],
        token_ttl: &str,
    ) -> Result<(String, String), DevServerError> {
        self.api(
            Method::POST,
            &format!("auth/approle/role/{role}"),
            Some(json!({ "token_policies": policies, "token_ttl": token_ttl })),
        )
        .await?;
        let role_id = self
            .api(
                Method::GET,
                &format!("auth/approle/role/{role}/role-id"),
                None,
            )
            .await?
            .pointer("/data/role_id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| api_error(role, "no role_id"))?;
        let secret_id = self.new_secret_id(role).await?;
        Ok((role_id, secret_id))
    }

    /// A new secret id for AppRole role `role`.
    pub async fn new_secret_id(&self, role: &str) -> Result<String, DevServerError> {
        self.api(
            Method::POST,
            &format!("auth/approle/role/{role}/secret-id"),
            None,
        )
        .await?
        .pointer("/data/secret_id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| api_error(role, "no secret_id"))
    }

    /// Create namespace `name` (OpenBao supports namespaces in dev mode).
    pub async fn create_namespace(&self, name: &str) -> Result<(), DevServerError> {
        self.api(
            Method::POST,
            &format!("sys/namespaces/{name}"),
            Some(json!({})),
        )
        .await
        .map(drop)
    }

    /// Revoke `token` (e.g. an AppRole token, to test a re-login).
    pub async fn revoke_token(&self, token: &str) -> Result<(), DevServerError> {
        self.api(
            Method::POST,
            "auth/token/revoke",
            Some(json!({ "token": token })),
        )
        .await
        .map(drop)
    }
}

impl Drop for OpenBaoDev {
    fn drop(&mut self) {
        drop(self.server.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn api_error(what: &str, message: &str) -> DevServerError {
    DevServerError::Io(std::io::Error::other(format!(
        "openbao api {what}: {message}"
    )))
}

/// A free port `p` whose neighbour `p + 1` (OpenBao's cluster listener in
/// dev mode) is free too.
fn port_pair() -> Result<u16, DevServerError> {
    for _ in 0..50 {
        let [p] = free_ports::<1>()?;
        let Some(next) = p.checked_add(1) else {
            continue;
        };
        let a = TcpListener::bind(("127.0.0.1", p));
        let b = TcpListener::bind(("127.0.0.1", next));
        if a.is_ok() && b.is_ok() {
            return Ok(p);
        }
    }
    Err(DevServerError::NotReady(
        "no two adjacent free ports".into(),
    ))
}

/// The status of `GET path` on `127.0.0.1:port` over plain HTTP/1.0.
fn http_status(port: u16, path: &str, token: Option<&str>) -> Option<u16> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    let auth = token.map_or_else(String::new, |t| format!("X-Vault-Token: {t}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n"
    )
    .ok()?;
    let mut head = [0u8; 64];
    let mut n = 0;
    while n < 12 {
        let got = s.read(head.get_mut(n..)?).ok()?;
        if got == 0 {
            break;
        }
        n += got;
    }
    let line = std::str::from_utf8(head.get(..n)?).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}
