//! The Vault client's retry, status and header handling against a tiny
//! real HTTP server on 127.0.0.1 (tokio `TcpListener`) that answers from a
//! script and counts requests. Behaviour a real OpenBao cannot be made to
//! show on demand (503 twice, then 200; a hung server) is tested here; the
//! rest is in `tests/openbao.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use warrants::SigningKey;
use warrants_keys::vault::{VaultAuth, VaultConfig};
use warrants_keys::{Error, KeyResolver, VaultClient, VaultKvResolver};

const TOKEN: &str = "s.FAKE-TOKEN-0123456789";

/// One scripted answer: status, extra headers, body. `None` status: accept
/// the connection and never answer.
#[derive(Clone)]
struct Answer {
    status: Option<u16>,
    headers: &'static str,
    body: String,
}

fn answer(status: u16, body: impl Into<String>) -> Answer {
    Answer {
        status: Some(status),
        headers: "",
        body: body.into(),
    }
}

fn hang() -> Answer {
    Answer {
        status: None,
        headers: "",
        body: String::new(),
    }
}

struct Fake {
    address: String,
    count: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    /// Answer requests in order from `script`; the last answer repeats.
    async fn start(script: Vec<Answer>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (c, h) = (count.clone(), heads.clone());
        tokio::spawn(async move {
            loop {
                let (mut sock, _) = listener.accept().await.unwrap();
                let (c, h, script) = (c.clone(), h.clone(), script.clone());
                tokio::spawn(async move {
                    // One request per connection (we answer Connection: close).
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let i = c.fetch_add(1, Ordering::SeqCst);
                    h.lock().unwrap().push(head);
                    let a = script[i.min(script.len() - 1)].clone();
                    let Some(status) = a.status else {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return;
                    };
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n{}",
                        a.body.len(),
                        a.headers,
                        a.body
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Self {
            address,
            count,
            heads,
        }
    }

    fn requests(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

fn config(address: &str, auth: VaultAuth) -> VaultConfig {
    VaultConfig::new(address, auth)
        .unwrap()
        .backoff(Duration::from_millis(20))
        .jitter(false)
        .timeout(Duration::from_secs(2))
}

fn resolver(config: VaultConfig) -> VaultKvResolver {
    VaultKvResolver::new(
        VaultClient::new(config).unwrap(),
        "secret",
        "warrants/keys/{key_id}",
    )
    .unwrap()
}

fn seed_body(seed: &[u8; 32]) -> String {
    let text = SigningKey::from_seed(seed).to_base64url();
    format!(
        r#"{{"data":{{"data":{{"seed":"{}"}},"metadata":{{"version":1}}}}}}"#,
        &*text
    )
}

#[tokio::test]
async fn retries_5xx_with_backoff_then_succeeds() {
    let fake = Fake::start(vec![
        answer(503, r#"{"errors":["Vault is sealed"]}"#),
        answer(503, r#"{"errors":["Vault is sealed"]}"#),
        answer(200, seed_body(&[5; 32])),
    ])
    .await;
    let r = resolver(config(&fake.address, VaultAuth::token(TOKEN)));
    let t0 = Instant::now();
    let key = r.resolve("agent").await.unwrap();
    let elapsed = t0.elapsed();
    assert_eq!(
        key.public_key(),
        SigningKey::from_seed(&[5; 32]).public_key()
    );
    assert_eq!(fake.requests(), 3);
    assert_eq!(r.client().http_requests(), 3);
    // 20ms, then 40ms.
    assert!(elapsed >= Duration::from_millis(60), "{elapsed:?}");
    for head in fake.heads() {
        assert!(
            head.starts_with("GET /v1/secret/data/warrants/keys/agent HTTP/1.1"),
            "{head}"
        );
    }
}

#[tokio::test]
async fn no_retry_on_400() {
    let fake = Fake::start(vec![answer(400, r#"{"errors":["invalid request"]}"#)]).await;
    let r = resolver(config(&fake.address, VaultAuth::token(TOKEN)));
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_ERROR");
    assert_eq!(
        e.to_string(),
        "vault: request failed: http 400 on GET secret/data/warrants/keys/agent: invalid request"
    );
    assert_eq!(fake.requests(), 1);
    assert_eq!(r.client().http_requests(), 1);
}

#[tokio::test]
async fn gives_up_after_max_attempts_on_5xx() {
    let fake = Fake::start(vec![answer(500, r#"{"errors":["internal error"]}"#)]).await;
    let r = resolver(config(&fake.address, VaultAuth::token(TOKEN)).max_attempts(4));
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_UNAVAILABLE");
    assert!(matches!(e, Error::Unavailable { attempts: 4, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "vault: unavailable after 4 attempt(s): http 500 on GET secret/data/warrants/keys/agent: internal error"
    );
    assert_eq!(fake.requests(), 4);
}

#[tokio::test]
async fn too_many_requests_is_retried() {
    let fake = Fake::start(vec![
        answer(429, r#"{"errors":["rate limit quota exceeded"]}"#),
        answer(200, seed_body(&[6; 32])),
    ])
    .await;
    let r = resolver(config(&fake.address, VaultAuth::token(TOKEN)));
    r.resolve("agent").await.unwrap();
    assert_eq!(fake.requests(), 2);
}

#[tokio::test]
async fn not_found_and_forbidden_are_not_retried() {
    let fake = Fake::start(vec![answer(404, r#"{"errors":[]}"#)]).await;
    let r = resolver(config(&fake.address, VaultAuth::token(TOKEN)));
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_NOT_FOUND");
    assert_eq!(
        e.to_string(),
        "key \"agent\" not found in vault secret/data/warrants/keys/agent field seed"
    );
    assert_eq!(fake.requests(), 1);

    let fake = Fake::start(vec![answer(403, r#"{"errors":["permission denied"]}"#)]).await;
    let r = resolver(config(&fake.address, VaultAuth::token(TOKEN)));
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_AUTH");
    let m = e.to_string();
    assert!(
        m.contains("permission denied (check the token or AppRole"),
        "{m}"
    );
    assert!(
        !m.contains(TOKEN) && !format!("{e:?}").contains(TOKEN),
        "{m}"
    );
    assert_eq!(fake.requests(), 1);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let fake = Fake::start(vec![Answer {
        status: Some(307),
        headers: "Location: http://127.0.0.1:9/v1/secret/data/warrants/keys/agent\r\n",
        body: String::new(),
    }])
    .await;
    let r = resolver(config(&fake.address, VaultAuth::token(TOKEN)));
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_ERROR");
    assert!(e.to_string().contains("redirects are not followed"), "{e}");
    assert_eq!(fake.requests(), 1);
}

#[tokio::test]
async fn a_hung_server_times_out_and_is_retried() {
    let fake = Fake::start(vec![hang()]).await;
    let r = resolver(
        config(&fake.address, VaultAuth::token(TOKEN))
            .timeout(Duration::from_millis(200))
            .max_attempts(2),
    );
    let t0 = Instant::now();
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_UNAVAILABLE");
    assert!(e.to_string().contains("timed out after 200ms"), "{e}");
    assert_eq!(fake.requests(), 2);
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    // Bind then drop: nothing listens on this port now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = resolver(config(
        &format!("http://127.0.0.1:{port}"),
        VaultAuth::token(TOKEN),
    ));
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_UNAVAILABLE");
    assert!(matches!(e, Error::Unavailable { attempts: 3, .. }), "{e:?}");
    assert!(e.to_string().contains("cannot connect"), "{e}");
    assert_eq!(r.client().http_requests(), 3);
}

#[tokio::test]
async fn token_and_namespace_headers_are_sent() {
    let fake = Fake::start(vec![answer(200, seed_body(&[7; 32]))]).await;
    let r = resolver(config(&fake.address, VaultAuth::token(TOKEN)).namespace("team-a/sub"));
    r.resolve("agent").await.unwrap();
    let head = fake.heads().remove(0).to_ascii_lowercase();
    assert!(
        head.contains(&format!("x-vault-token: {}", TOKEN.to_ascii_lowercase())),
        "{head}"
    );
    assert!(head.contains("x-vault-namespace: team-a/sub"), "{head}");

    // Without a namespace, no header.
    let fake = Fake::start(vec![answer(200, seed_body(&[7; 32]))]).await;
    let r = resolver(config(&fake.address, VaultAuth::token(TOKEN)));
    r.resolve("agent").await.unwrap();
    assert!(!fake.heads()[0]
        .to_ascii_lowercase()
        .contains("x-vault-namespace"));
}

#[tokio::test]
async fn approle_logs_in_once_and_again_after_a_refusal() {
    let login = |token: &str| {
        answer(
            200,
            format!(r#"{{"auth":{{"client_token":"{token}","lease_duration":3600}}}}"#),
        )
    };
    let fake = Fake::start(vec![
        login("s.first-token"),
        answer(200, seed_body(&[8; 32])),
        answer(200, seed_body(&[8; 32])),
        answer(403, r#"{"errors":["permission denied"]}"#),
        login("s.second-token"),
        answer(200, seed_body(&[8; 32])),
        // A token just obtained and refused: no second re-login.
        answer(403, r#"{"errors":["permission denied"]}"#),
        login("s.third-token"),
        answer(403, r#"{"errors":["permission denied"]}"#),
    ])
    .await;
    let r = resolver(config(
        &fake.address,
        VaultAuth::approle("role-1", "secret-id-1"),
    ));
    r.resolve("agent").await.unwrap();
    r.resolve("agent").await.unwrap();
    assert_eq!(fake.requests(), 3, "one login, two reads");
    r.resolve("agent").await.unwrap();
    assert_eq!(fake.requests(), 6, "refused read, login, read");
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_AUTH");
    assert_eq!(fake.requests(), 9, "refused read, login, refused read");
    let heads = fake.heads();
    assert!(
        heads[0].starts_with("POST /v1/auth/approle/login "),
        "{}",
        heads[0]
    );
    assert!(heads[1].contains("s.first-token"));
    assert!(heads[5].contains("s.second-token"));
    assert_eq!(r.client().http_requests(), 9);
}

#[tokio::test]
async fn approle_logs_in_again_when_the_lease_is_nearly_over() {
    let fake = Fake::start(vec![
        answer(
            200,
            r#"{"auth":{"client_token":"s.short-lived","lease_duration":1}}"#,
        ),
        answer(200, seed_body(&[8; 32])),
        answer(
            200,
            r#"{"auth":{"client_token":"s.renewed","lease_duration":3600}}"#,
        ),
        answer(200, seed_body(&[8; 32])),
    ])
    .await;
    let r = resolver(config(
        &fake.address,
        VaultAuth::approle("role-1", "secret-id-1"),
    ));
    r.resolve("agent").await.unwrap();
    assert_eq!(fake.requests(), 2);
    // Renewal at 80% of the 1s lease.
    tokio::time::sleep(Duration::from_millis(900)).await;
    r.resolve("agent").await.unwrap();
    assert_eq!(fake.requests(), 4, "login again, then read");
    let heads = fake.heads();
    assert!(
        heads[2].starts_with("POST /v1/auth/approle/login "),
        "{}",
        heads[2]
    );
    assert!(heads[3].contains("s.renewed"));
}

#[tokio::test]
async fn approle_login_refused_is_an_auth_error() {
    let fake = Fake::start(vec![answer(
        400,
        r#"{"errors":["invalid role or secret ID"]}"#,
    )])
    .await;
    let r = resolver(config(
        &fake.address,
        VaultAuth::approle("role-1", "secret-id-SECRET"),
    ));
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_AUTH");
    assert_eq!(
        e.to_string(),
        "vault: authentication failed: approle login at auth/approle/login refused with http 400: invalid role or secret ID (check the role id and secret id)"
    );
    assert_eq!(fake.requests(), 1);
}

#[tokio::test]
async fn odd_answers_are_clear_errors() {
    // A field that is not a string; a body that is not JSON; a seed that
    // is not a seed.
    let fake = Fake::start(vec![answer(200, r#"{"data":{"data":{"seed":42}}}"#)]).await;
    let e = resolver(config(&fake.address, VaultAuth::token(TOKEN)))
        .resolve("agent")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_MALFORMED");
    assert!(e.to_string().contains("field seed"), "{e}");

    let fake = Fake::start(vec![answer(200, "<html>")]).await;
    let e = resolver(config(&fake.address, VaultAuth::token(TOKEN)))
        .resolve("agent")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_ERROR");

    let fake = Fake::start(vec![answer(
        200,
        r#"{"data":{"data":{"seed":"c2VjcmV0LWJ1dC10b28tc2hvcnQ"}}}"#,
    )])
    .await;
    let e = resolver(config(&fake.address, VaultAuth::token(TOKEN)))
        .resolve("agent")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_MALFORMED");
    assert_eq!(
        e.to_string(),
        "key \"agent\" at vault secret/data/warrants/keys/agent field seed is malformed: not a 32-byte seed"
    );
}
