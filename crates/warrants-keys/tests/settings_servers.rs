//! `WARRANT_KEYS_*` settings against real servers: a worker's holder keys
//! from OpenBao (AppRole) and from AWS KMS envelopes (moto), configured
//! only through variables.
#![cfg(all(feature = "dev-servers", feature = "aws-kms"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;

use base64::Engine;
use serde_json::json;
use warrants::SigningKey;
use warrants_keys::dev_servers::{MotoServer, OpenBaoDev};
use warrants_keys::kms::{encrypt_seed, KmsConfig, KmsCredentials};
use warrants_keys::settings::KeySettings;

fn lookup(pairs: Vec<(&str, String)>) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    move |k| m.get(k).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_approle_from_variables() {
    let bao = OpenBaoDev::start().unwrap();
    let seed = warrants::keys::to_base64url(&[41; 32]);
    bao.kv_put("secret", "warrants/keys/agent-9", json!({ "seed": seed }))
        .await
        .unwrap();
    bao.write_policy(
        "worker",
        r#"path "secret/data/warrants/keys/*" { capabilities = ["read"] }"#,
    )
    .await
    .unwrap();
    bao.enable_approle().await.unwrap();
    let (role_id, secret_id) = bao
        .create_approle("worker", &["worker"], "10m")
        .await
        .unwrap();
    let vars = lookup(vec![
        ("WARRANT_KEYS_FROM", "vault,env".into()),
        ("WARRANT_KEYS_PRELOAD", "agent-9".into()),
        ("WARRANT_VAULT_ADDR", bao.address()),
        ("WARRANT_VAULT_ROLE_ID", role_id.clone()),
        ("WARRANT_VAULT_SECRET_ID", secret_id.clone()),
    ]);
    let settings = KeySettings::from_lookup(&vars).unwrap();
    let cache = settings.load().await.unwrap();
    assert_eq!(
        cache.cached("agent-9").unwrap().public_key(),
        SigningKey::from_seed(&[41; 32]).public_key()
    );
    // A preloaded id that exists nowhere stops the worker with the reason
    // from every source.
    let vars = lookup(vec![
        ("WARRANT_KEYS_FROM", "vault,env".into()),
        ("WARRANT_KEYS_PRELOAD", "agent-9,ghost-key".into()),
        ("WARRANT_VAULT_ADDR", bao.address()),
        ("WARRANT_VAULT_ROLE_ID", role_id),
        ("WARRANT_VAULT_SECRET_ID", secret_id),
    ]);
    let e = KeySettings::from_lookup(&vars)
        .unwrap()
        .load()
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_NOT_FOUND");
    let msg = e.to_string();
    assert!(msg.contains("vault-kv: ") && msg.contains("env: "), "{msg}");
    // A wrong secret id is an auth error, not "not found".
    let vars = lookup(vec![
        ("WARRANT_KEYS_FROM", "vault".into()),
        ("WARRANT_KEYS_PRELOAD", "agent-9".into()),
        ("WARRANT_VAULT_ADDR", bao.address()),
        ("WARRANT_VAULT_ROLE_ID", "nobody".into()),
        ("WARRANT_VAULT_SECRET_ID", "wrong-secret-id".into()),
    ]);
    let e = KeySettings::from_lookup(&vars)
        .unwrap()
        .load()
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_RESOLVE_FAILED");
    assert!(e.to_string().contains("authentication failed"), "{e}");
    assert!(!e.to_string().contains("wrong-secret-id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kms_envelope_from_variables() {
    let moto = MotoServer::start().unwrap();
    let admin = KmsConfig::new(
        "us-east-1",
        KmsCredentials::from_env_lookup(|v| match v {
            "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("testing".into()),
            _ => None,
        }),
    )
    .endpoint(moto.url())
    .client()
    .unwrap();
    let kms_key = admin
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    // The ciphertext lives in WARRANT_KEY_<ID> of the process environment
    // (the env ciphertext source); the id is unique to this test.
    let id = format!("kms-settings-{}", std::process::id());
    let holder = SigningKey::from_seed(&[42; 32]);
    let blob = encrypt_seed(&admin, &kms_key, &id, &holder).await.unwrap();
    let var = warrants_keys::env_var_name(&id).unwrap();
    std::env::set_var(
        &var,
        base64::engine::general_purpose::STANDARD.encode(&blob),
    );
    let base = vec![
        ("WARRANT_KEYS_FROM", "kms".to_string()),
        ("WARRANT_KEYS_PRELOAD", id.clone()),
        ("WARRANT_KMS_REGION", "us-east-1".into()),
        ("WARRANT_KMS_ENDPOINT", moto.url()),
        ("WARRANT_KMS_KEY", kms_key.clone()),
    ];
    let mut with_creds = base.clone();
    with_creds.push(("AWS_ACCESS_KEY_ID", "testing".into()));
    with_creds.push(("AWS_SECRET_ACCESS_KEY", "testing-secret".into()));
    let loaded = KeySettings::from_lookup(&lookup(with_creds))
        .unwrap()
        .load()
        .await;
    let no_creds = KeySettings::from_lookup(&lookup(base));
    std::env::remove_var(&var);
    assert_eq!(
        loaded.unwrap().cached(&id).unwrap().public_key(),
        holder.public_key()
    );
    let e = no_creds.unwrap_err();
    assert_eq!(e.code(), "KEY_CONFIG");
    assert!(e.to_string().starts_with("AWS_ACCESS_KEY_ID: "), "{e}");
}
