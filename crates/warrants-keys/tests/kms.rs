//! The AWS KMS envelope resolver against a real local KMS stand-in: moto
//! (`moto_server` from PyPI `moto[server]`, installed by
//! `scripts/install-keyservers.sh`) on loopback. moto accepts any
//! credentials; every client here is pointed at the moto URL explicitly,
//! so nothing reaches AWS or the instance metadata service.
//!
//! moto differs from AWS in one place exercised here: `Decrypt` with a
//! `KeyId` other than the ciphertext's KMS key answers
//! `AccessDeniedException` (AWS answers `IncorrectKeyException`; that
//! mapping is covered by `kms_sign_recorded.rs`).
#![cfg(all(feature = "aws-kms", feature = "dev-servers"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_sdk_kms::primitives::Blob;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use secrecy::SecretString;
use warrants::SigningKey;
use warrants_keys::dev_servers::MotoServer;
use warrants_keys::kms::{
    encrypt_seed, CiphertextSource, KmsConfig, KmsCredentials, KmsEnvelopeResolver, KmsSigner,
    ENCRYPTION_CONTEXT_KEY,
};
use warrants_keys::{FileResolver, KeyResolver};

const SECRET: &str = "moto-secret-access-key-SENTINEL";
const TOKEN: &str = "moto-session-token-SENTINEL";

/// One moto for the whole test binary; each test makes its own KMS keys.
/// (If the process dies, the dev-server supervisor stops moto.)
fn moto() -> &'static MotoServer {
    static MOTO: OnceLock<MotoServer> = OnceLock::new();
    MOTO.get_or_init(|| {
        MotoServer::start().expect("start moto_server (run scripts/install-keyservers.sh)")
    })
}

fn config() -> KmsConfig {
    KmsConfig::new(
        "us-east-1",
        KmsCredentials::Static {
            access_key_id: "testing".into(),
            secret_access_key: SecretString::from(SECRET),
            session_token: Some(SecretString::from(TOKEN)),
        },
    )
    .endpoint(moto().url())
}

fn client() -> aws_sdk_kms::Client {
    config().client().unwrap()
}

async fn create_key(client: &aws_sdk_kms::Client) -> String {
    client
        .create_key()
        .description("warrants test")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

fn env_source(vars: HashMap<String, String>) -> CiphertextSource {
    CiphertextSource::env_with_lookup(move |name| vars.get(name).cloned())
}

fn write_file(dir: &Path, name: &str, bytes: &[u8], mode: u32) {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test]
async fn envelope_round_trip_through_env() {
    let client = client();
    let kms_key = create_key(&client).await;
    let seed = SigningKey::from_seed(&[7; 32]);
    let ct = encrypt_seed(&client, &kms_key, "agent-7", &seed)
        .await
        .unwrap();
    assert!(ct.len() > 32);
    let vars = HashMap::from([
        ("WARRANT_KEY_AGENT_7".to_string(), STANDARD.encode(&ct)),
        ("WARRANT_KEY_URL".to_string(), URL_SAFE_NO_PAD.encode(&ct)),
    ]);
    let r = KmsEnvelopeResolver::new(client.clone(), env_source(vars.clone()));
    assert_eq!(r.name(), "kms-envelope");
    let k = r.resolve("agent-7").await.unwrap();
    assert_eq!(k.public_key(), seed.public_key());
    // The ciphertext is for "agent-7"; the variable name normalization
    // maps "Agent.7" to the same variable but the encryption context
    // differs, so KMS refuses it.
    assert_eq!(
        r.resolve("Agent.7").await.unwrap_err().code(),
        "KEY_MALFORMED"
    );
    // With the expected KMS key named (id, ARN or alias), still fine.
    let arn = client
        .describe_key()
        .key_id(&kms_key)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    client
        .create_alias()
        .alias_name("alias/warrants-env-test")
        .target_key_id(&kms_key)
        .send()
        .await
        .unwrap();
    for expected in [kms_key.as_str(), arn.as_str(), "alias/warrants-env-test"] {
        let r = KmsEnvelopeResolver::new(client.clone(), env_source(vars.clone()))
            .expected_kms_key(expected);
        assert_eq!(
            r.resolve("agent-7").await.unwrap().public_key(),
            seed.public_key(),
            "{expected}"
        );
    }
    // Missing variable: KEY_NOT_FOUND, naming the variable.
    let e = r.resolve("nobody").await.unwrap_err();
    assert_eq!(e.code(), "KEY_NOT_FOUND");
    assert_eq!(
        e.to_string(),
        "key \"nobody\" not found in env WARRANT_KEY_NOBODY"
    );
    // Not base64: KEY_MALFORMED without the value.
    let r = KmsEnvelopeResolver::new(
        client.clone(),
        env_source(HashMap::from([(
            "WARRANT_KEY_BAD".to_string(),
            "SECRET-not-base64!".to_string(),
        )])),
    );
    let e = r.resolve("bad").await.unwrap_err();
    assert_eq!(e.code(), "KEY_MALFORMED");
    assert!(!e.to_string().contains("SECRET"), "{e}");
    assert_eq!(
        r.resolve("../x").await.unwrap_err().code(),
        "KEY_ID_INVALID"
    );
}

#[tokio::test]
async fn envelope_round_trip_through_files() {
    let client = client();
    let kms_key = create_key(&client).await;
    let d = tempfile::tempdir().unwrap();
    let a = SigningKey::from_seed(&[1; 32]);
    let b = SigningKey::from_seed(&[2; 32]);
    let ct_a = encrypt_seed(&client, &kms_key, "a", &a).await.unwrap();
    let ct_b = encrypt_seed(&client, &kms_key, "b", &b).await.unwrap();
    // Base64 text with a trailing newline (as `aws kms encrypt --output
    // text` writes it), and the raw binary blob.
    write_file(
        d.path(),
        "a.ct",
        format!("{}\n", STANDARD.encode(&ct_a)).as_bytes(),
        0o600,
    );
    write_file(d.path(), "b.ct", &ct_b, 0o400);
    write_file(
        d.path(),
        "open.ct",
        STANDARD.encode(&ct_a).as_bytes(),
        0o644,
    );
    let r = KmsEnvelopeResolver::new(
        client.clone(),
        CiphertextSource::File(FileResolver::new(d.path()).with_extension("ct")),
    )
    .expected_kms_key(&kms_key);
    assert_eq!(r.resolve("a").await.unwrap().public_key(), a.public_key());
    assert_eq!(r.resolve("b").await.unwrap().public_key(), b.public_key());
    assert_eq!(
        r.resolve("open").await.unwrap_err().code(),
        "KEY_FILE_PERMISSIONS"
    );
    let e = r.resolve("missing").await.unwrap_err();
    assert_eq!(e.code(), "KEY_NOT_FOUND");
    assert!(e.to_string().contains("missing.ct"), "{e}");
}

#[tokio::test]
async fn envelope_round_trip_through_vault() {
    use warrants_keys::dev_servers::OpenBaoDev;
    use warrants_keys::vault::{VaultAuth, VaultConfig};
    use warrants_keys::{VaultClient, VaultKvResolver};

    let client = client();
    let kms_key = create_key(&client).await;
    let seed = SigningKey::from_seed(&[6; 32]);
    let ct = encrypt_seed(&client, &kms_key, "agent", &seed)
        .await
        .unwrap();
    let bao = tokio::task::spawn_blocking(OpenBaoDev::start)
        .await
        .unwrap()
        .unwrap();
    bao.kv_put(
        "secret",
        "warrants/kms/agent",
        serde_json::json!({ "ciphertext": STANDARD.encode(&ct) }),
    )
    .await
    .unwrap();
    bao.kv_put(
        "secret",
        "warrants/kms/bad",
        serde_json::json!({ "ciphertext": "SECRET-not-base64!" }),
    )
    .await
    .unwrap();
    let vault = VaultClient::new(
        VaultConfig::new(&bao.address(), VaultAuth::token(bao.root_token())).unwrap(),
    )
    .unwrap();
    let kv = VaultKvResolver::new(vault, "secret", "warrants/kms/{key_id}")
        .unwrap()
        .field("ciphertext");
    let r =
        KmsEnvelopeResolver::new(client, CiphertextSource::Vault(kv)).expected_kms_key(&kms_key);
    assert_eq!(
        r.resolve("agent").await.unwrap().public_key(),
        seed.public_key()
    );
    assert_eq!(
        r.resolve("nobody").await.unwrap_err().code(),
        "KEY_NOT_FOUND"
    );
    let e = r.resolve("bad").await.unwrap_err();
    assert_eq!(e.code(), "KEY_MALFORMED");
    assert_eq!(
        e.to_string(),
        "key \"bad\" at vault secret/data/warrants/kms/bad is malformed: the kms ciphertext is not base64 or base64url"
    );
}

#[tokio::test]
async fn a_ciphertext_moved_to_another_key_id_is_refused() {
    let client = client();
    let kms_key = create_key(&client).await;
    let ct = encrypt_seed(&client, &kms_key, "alice", &SigningKey::from_seed(&[3; 32]))
        .await
        .unwrap();
    let b64 = STANDARD.encode(&ct);
    let r = KmsEnvelopeResolver::new(
        client,
        env_source(HashMap::from([
            ("WARRANT_KEY_MALLORY".to_string(), b64.clone()),
            ("WARRANT_KEY_ALICE".to_string(), b64.clone()),
        ])),
    )
    .expected_kms_key(&kms_key);
    assert!(r.resolve("alice").await.is_ok());
    let e = r.resolve("mallory").await.unwrap_err();
    assert_eq!(e.code(), "KEY_MALFORMED");
    let m = e.to_string();
    assert_eq!(
        m,
        "key \"mallory\" at env WARRANT_KEY_MALLORY is malformed: aws kms refused the ciphertext: corrupt, or encrypted for another key id (encryption context mismatch)"
    );
    assert!(!m.contains(&b64));
}

#[tokio::test]
async fn a_ciphertext_under_another_kms_key_is_refused() {
    let client = client();
    let used = create_key(&client).await;
    let other = create_key(&client).await;
    let ct = encrypt_seed(&client, &used, "agent", &SigningKey::from_seed(&[4; 32]))
        .await
        .unwrap();
    let vars = HashMap::from([("WARRANT_KEY_AGENT".to_string(), STANDARD.encode(&ct))]);
    let r =
        KmsEnvelopeResolver::new(client.clone(), env_source(vars.clone())).expected_kms_key(&other);
    let e = r.resolve("agent").await.unwrap_err();
    // moto answers AccessDeniedException here; AWS answers
    // IncorrectKeyException, which maps to KEY_MALFORMED.
    assert_eq!(e.code(), "KEY_BACKEND_AUTH", "{e}");
    assert!(
        e.to_string()
            .starts_with("aws-kms: authentication failed: Decrypt: AccessDeniedException"),
        "{e}"
    );
    // Without an expected key the same resolver decrypts it.
    let r = KmsEnvelopeResolver::new(client, env_source(vars));
    assert!(r.resolve("agent").await.is_ok());
}

#[tokio::test]
async fn an_unknown_kms_key_is_a_clear_config_error() {
    let client = client();
    let unknown = "11111111-2222-3333-4444-555555555555";
    let e = encrypt_seed(&client, unknown, "agent", &SigningKey::from_seed(&[5; 32]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_CONFIG", "{e}");
    let m = e.to_string();
    assert!(
        m.starts_with(&format!("aws-kms key \"{unknown}\": no such kms key")),
        "{m}"
    );
    assert!(m.contains("Encrypt: NotFoundException"), "{m}");

    // The resolver, expecting an unknown key.
    let kms_key = create_key(&client).await;
    let ct = encrypt_seed(&client, &kms_key, "agent", &SigningKey::from_seed(&[5; 32]))
        .await
        .unwrap();
    let r = KmsEnvelopeResolver::new(
        client.clone(),
        env_source(HashMap::from([(
            "WARRANT_KEY_AGENT".to_string(),
            STANDARD.encode(&ct),
        )])),
    )
    .expected_kms_key("alias/no-such-alias");
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_CONFIG", "{e}");
    assert!(
        e.to_string()
            .starts_with("aws-kms key \"alias/no-such-alias\": no such kms key"),
        "{e}"
    );

    // The signer, on an unknown key (moto has no Ed25519 keys, so this is
    // the one KmsSigner path moto can exercise).
    let e = warrants_keys::Signer::current_key(&KmsSigner::new(client, unknown))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_CONFIG", "{e}");
    assert!(
        e.to_string().contains("GetPublicKey: NotFoundException"),
        "{e}"
    );
}

#[tokio::test]
async fn a_plaintext_that_is_not_a_seed_is_malformed() {
    let client = client();
    let kms_key = create_key(&client).await;
    let mut vars = HashMap::new();
    for (id, len) in [("short", 31usize), ("long", 33)] {
        let ct = client
            .encrypt()
            .key_id(&kms_key)
            .plaintext(Blob::new(vec![0x5a; len]))
            .encryption_context(ENCRYPTION_CONTEXT_KEY, id)
            .send()
            .await
            .unwrap()
            .ciphertext_blob
            .unwrap()
            .into_inner();
        vars.insert(
            format!("WARRANT_KEY_{}", id.to_uppercase()),
            STANDARD.encode(ct),
        );
    }
    let r = KmsEnvelopeResolver::new(client, env_source(vars));
    for id in ["short", "long"] {
        let e = r.resolve(id).await.unwrap_err();
        assert_eq!(e.code(), "KEY_MALFORMED");
        assert_eq!(
            e.to_string(),
            format!(
                "key \"{id}\" at env WARRANT_KEY_{} is malformed: the kms plaintext is not a 32-byte seed",
                id.to_uppercase()
            )
        );
    }
}

#[tokio::test]
async fn missing_credentials_are_reported_without_a_request() {
    // An empty lookup stands in for an environment without AWS_* variables
    // (the process environment is not touched).
    let cfg = KmsConfig::new("us-east-1", KmsCredentials::from_env_lookup(|_| None))
        .endpoint(moto().url());
    let e = cfg.client().unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_CREDENTIALS");
    assert!(
        e.to_string().starts_with(
            "aws-kms: no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set"
        ),
        "{e}"
    );
    // With the variables present the client works against moto.
    let vars = HashMap::from([
        ("AWS_ACCESS_KEY_ID".to_string(), "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), SECRET.to_string()),
    ]);
    let client = KmsConfig::new(
        "us-east-1",
        KmsCredentials::from_env_lookup(move |n| vars.get(n).cloned()),
    )
    .endpoint(moto().url())
    .client()
    .unwrap();
    create_key(&client).await;
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable_after_the_retries() {
    let [port] = warrants_keys::dev_servers::free_ports::<1>().unwrap();
    let client = config()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .max_attempts(2)
        .timeout(Duration::from_secs(10))
        .client()
        .unwrap();
    let r = KmsEnvelopeResolver::new(
        client,
        env_source(HashMap::from([(
            "WARRANT_KEY_AGENT".to_string(),
            STANDARD.encode([1u8; 64]),
        )])),
    );
    let e = r.resolve("agent").await.unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_UNAVAILABLE", "{e}");
    assert!(
        e.to_string()
            .starts_with("aws-kms: unavailable after 2 attempt(s): Decrypt: "),
        "{e}"
    );
}

#[tokio::test]
async fn no_secret_in_debug_or_errors() {
    let cfg = config();
    let client = cfg.client().unwrap();
    let kms_key = create_key(&client).await;
    let seed = SigningKey::from_seed(&[9; 32]);
    let ct = encrypt_seed(&client, &kms_key, "agent", &seed)
        .await
        .unwrap();
    let ct_b64 = STANDARD.encode(&ct);
    let seed_texts = [
        STANDARD.encode(seed.to_seed().as_slice()),
        URL_SAFE_NO_PAD.encode(seed.to_seed().as_slice()),
    ];
    let r = Arc::new(
        KmsEnvelopeResolver::new(
            client.clone(),
            env_source(HashMap::from([
                ("WARRANT_KEY_AGENT".to_string(), ct_b64.clone()),
                ("WARRANT_KEY_MOVED".to_string(), ct_b64.clone()),
            ])),
        )
        .expected_kms_key(&kms_key),
    );
    let mut shown = vec![
        format!("{cfg:?}"),
        format!("{r:?}"),
        format!("{:?}", KmsSigner::new(client.clone(), &kms_key)),
        format!("{:?}", r.resolve("agent").await.unwrap()),
    ];
    for id in ["moved", "nobody"] {
        let e = r.resolve(id).await.unwrap_err();
        shown.push(e.to_string());
        shown.push(format!("{e:?}"));
    }
    for s in &shown {
        for secret in [SECRET, TOKEN, "testing", ct_b64.as_str()]
            .into_iter()
            .chain(seed_texts.iter().map(String::as_str))
        {
            assert!(!s.contains(secret), "{secret:?} shown in {s}");
        }
    }
}
