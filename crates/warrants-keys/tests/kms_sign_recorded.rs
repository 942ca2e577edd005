//! `KmsSigner` (and KMS error mapping) against fixture responses.
//!
//! The local KMS stand-in (moto) has no Ed25519 keys and live AWS cannot
//! be reached here, so these tests run a tiny HTTP/1.1 server on
//! 127.0.0.1 that answers the AWS KMS JSON protocol (`X-Amz-Target:
//! TrentService.<Operation>`, `application/x-amz-json-1.1`). Its responses
//! are fixtures written by hand in the wire format of the AWS KMS API
//! reference (`GetPublicKey`, `Sign`, `Decrypt` and the `__type` error
//! shape); they were NOT captured from AWS. The `Sign` signature is
//! computed at test time by a local Ed25519 key over the `Message` the SDK
//! sent, which is what KMS does for `ED25519_SHA_512` with `RAW` messages.
//! The real `aws-sdk-kms` client does the signing of requests,
//! serialization and parsing, so what is tested is this crate's use of
//! the SDK and its checks, not AWS itself.
#![cfg(feature = "aws-kms")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use secrecy::SecretString;
use serde_json::{json, Value};
use warrants::constraint::Subpath;
use warrants::warrant::MintBuilder;
use warrants::{Constraint, SigningKey, Warrant};
use warrants_keys::kms::{
    CiphertextSource, KmsConfig, KmsCredentials, KmsEnvelopeResolver, KmsSigner,
    ED25519_SPKI_PREFIX,
};
use warrants_keys::{mint, KeyResolver, Signer};

const KEY_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/// What the fixture server answers.
#[derive(Clone)]
struct Fixture {
    /// `KeySpec` in the `GetPublicKey` answer.
    key_spec: &'static str,
    /// `SigningAlgorithms` in the `GetPublicKey` answer.
    algorithms: Vec<&'static str>,
    /// The key whose public key `GetPublicKey` returns.
    public: [u8; 32],
    /// The key `Sign` signs with (another one to simulate a wrong signer).
    signing: [u8; 32],
    /// Override the `PublicKey` DER.
    public_der: Option<Vec<u8>>,
    /// Cut the signature to this many bytes.
    signature_len: usize,
    /// Error answers per operation: (HTTP status, `__type`, message).
    errors: HashMap<&'static str, (u16, &'static str, &'static str)>,
    /// `Plaintext` of `Decrypt`.
    plaintext: Vec<u8>,
}

impl Default for Fixture {
    fn default() -> Self {
        Self {
            key_spec: "ECC_NIST_EDWARDS25519",
            algorithms: vec!["ED25519_SHA_512", "ED25519_PH_SHA_512"],
            public: [0x11; 32],
            signing: [0x11; 32],
            public_der: None,
            signature_len: 64,
            errors: HashMap::new(),
            plaintext: vec![0x42; 32],
        }
    }
}

/// One request the SDK sent: the operation (from `X-Amz-Target`), the
/// content type and the JSON body.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    content_type: String,
    authorization: bool,
    body: Value,
}

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn start(fixture: Fixture) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        let fixture = Arc::new(fixture);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let fixture = fixture.clone();
                let seen = seen2.clone();
                std::thread::spawn(move || handle(stream, &fixture, &seen));
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn client(&self) -> aws_sdk_kms::Client {
        KmsConfig::new(
            "us-east-1",
            KmsCredentials::Static {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: SecretString::from("fixture-secret"),
                session_token: None,
            },
        )
        .endpoint(&self.url)
        .timeout(Duration::from_secs(10))
        .client()
        .unwrap()
    }
}

/// Read one HTTP/1.1 request (headers, then `Content-Length` bytes of
/// body), answer it and close the connection.
fn handle(mut stream: TcpStream, fixture: &Fixture, seen: &Mutex<Vec<Seen>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body: Value = serde_json::from_slice(&buf[head_end..head_end + len]).unwrap_or(Value::Null);
    let target = header("x-amz-target").unwrap_or_default();
    seen.lock().unwrap().push(Seen {
        target: target.clone(),
        content_type: header("content-type").unwrap_or_default(),
        authorization: header("authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 ")),
        body: body.clone(),
    });
    let op = target.strip_prefix("TrentService.").unwrap_or_default();
    let (status, answer) = match fixture.errors.get(op) {
        Some((status, kind, message)) => (*status, json!({"__type": kind, "message": message})),
        None => answer(op, &body, fixture),
    };
    let text = answer.to_string();
    let reason = if status == 200 { "OK" } else { "Error" };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: 6f1c2b9e-0000-4000-8000-000000000000\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}

/// The fixture answers, in the shapes of the AWS KMS API reference.
fn answer(op: &str, body: &Value, fixture: &Fixture) -> (u16, Value) {
    match op {
        "GetPublicKey" => {
            let der = fixture.public_der.clone().unwrap_or_else(|| {
                let mut der = ED25519_SPKI_PREFIX.to_vec();
                der.extend_from_slice(
                    SigningKey::from_seed(&fixture.public)
                        .public_key()
                        .as_bytes(),
                );
                der
            });
            (
                200,
                json!({
                    "KeyId": KEY_ARN,
                    "PublicKey": STANDARD.encode(der),
                    "CustomerMasterKeySpec": fixture.key_spec,
                    "KeySpec": fixture.key_spec,
                    "KeyUsage": "SIGN_VERIFY",
                    "SigningAlgorithms": fixture.algorithms,
                }),
            )
        }
        "Sign" => {
            let message = STANDARD
                .decode(body["Message"].as_str().unwrap_or_default())
                .unwrap();
            let sig = SigningKey::from_seed(&fixture.signing)
                .sign(&message)
                .to_bytes();
            (
                200,
                json!({
                    "KeyId": KEY_ARN,
                    "Signature": STANDARD.encode(&sig[..fixture.signature_len]),
                    "SigningAlgorithm": "ED25519_SHA_512",
                }),
            )
        }
        "Decrypt" => (
            200,
            json!({
                "KeyId": KEY_ARN,
                "Plaintext": STANDARD.encode(&fixture.plaintext),
                "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
            }),
        ),
        _ => (
            400,
            json!({"__type": "UnknownOperationException", "message": "fixture server"}),
        ),
    }
}

fn builder() -> MintBuilder {
    Warrant::mint_builder()
        .holder(SigningKey::from_seed(&[0x22; 32]).public_key())
        .capability(
            "read_file",
            [("path", Constraint::from(Subpath::new("/data").unwrap()))],
        )
}

#[tokio::test]
async fn mints_a_warrant_that_verifies_offline() {
    let server = Server::start(Fixture::default());
    let signer = KmsSigner::new(server.client(), "alias/warrants-issuer");
    assert_eq!(signer.name(), "aws-kms:alias/warrants-issuer");
    let minted = mint(builder(), &signer).await.unwrap();
    assert!(minted.warrant.verify_signature());
    let issuer = SigningKey::from_seed(&[0x11; 32]).public_key();
    assert_eq!(minted.warrant.issuer(), &issuer);
    assert_eq!(minted.key.public, issuer);
    assert_eq!(minted.key.version, None);
    // Round trip through bytes, as a worker would receive it.
    let decoded = Warrant::from_bytes(&minted.warrant.to_bytes()).unwrap();
    assert!(decoded.verify_signature());

    // A second mint reuses the cached public key.
    mint(builder(), &signer).await.unwrap();
    let seen = server.seen();
    let targets: Vec<&str> = seen.iter().map(|s| s.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "TrentService.GetPublicKey",
            "TrentService.Sign",
            "TrentService.Sign"
        ]
    );
    for s in &seen {
        assert_eq!(s.content_type, "application/x-amz-json-1.1");
        assert!(s.authorization, "requests are SigV4-signed");
        assert_eq!(s.body["KeyId"], "alias/warrants-issuer");
    }
    let sign = &seen[1].body;
    assert_eq!(sign["SigningAlgorithm"], "ED25519_SHA_512");
    assert_eq!(sign["MessageType"], "RAW");
    let message = STANDARD.decode(sign["Message"].as_str().unwrap()).unwrap();
    assert!(!message.is_empty() && message.len() <= 4096);
}

#[tokio::test]
async fn a_key_that_is_not_ed25519_is_refused() {
    let server = Server::start(Fixture {
        key_spec: "ECC_NIST_P256",
        algorithms: vec!["ECDSA_SHA_256"],
        public_der: Some(vec![0x30; 91]),
        ..Fixture::default()
    });
    let signer = KmsSigner::new(server.client(), "alias/p256");
    let e = mint(builder(), &signer).await.unwrap_err();
    assert_eq!(e.code(), "KEY_CONFIG");
    assert_eq!(
        e.to_string(),
        "aws-kms key \"alias/p256\": has key spec ECC_NIST_P256; warrants need an Ed25519 key (ECC_NIST_EDWARDS25519)"
    );
    // Nothing was signed.
    assert!(server
        .seen()
        .iter()
        .all(|s| s.target != "TrentService.Sign"));

    // Ed25519 spec but without ED25519_SHA_512 offered.
    let server = Server::start(Fixture {
        algorithms: vec!["ED25519_PH_SHA_512"],
        ..Fixture::default()
    });
    let e = KmsSigner::new(server.client(), "k")
        .current_key()
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_CONFIG");
    assert!(
        e.to_string()
            .ends_with("does not offer the signing algorithm ED25519_SHA_512"),
        "{e}"
    );

    // A public key that is not an Ed25519 SubjectPublicKeyInfo.
    let server = Server::start(Fixture {
        public_der: Some(vec![0x30; 44]),
        ..Fixture::default()
    });
    let e = KmsSigner::new(server.client(), "k")
        .current_key()
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_ERROR");
    assert!(
        e.to_string()
            .contains("not a DER Ed25519 SubjectPublicKeyInfo"),
        "{e}"
    );
}

#[tokio::test]
async fn a_signature_from_another_key_is_caught_at_mint() {
    let server = Server::start(Fixture {
        signing: [0x33; 32],
        ..Fixture::default()
    });
    let e = mint(builder(), &KmsSigner::new(server.client(), "k"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_SIGNATURE");
    assert_eq!(
        e.to_string(),
        "signer aws-kms:k: signature does not verify under the signer's public key"
    );

    // A signature of the wrong length.
    let server = Server::start(Fixture {
        signature_len: 63,
        ..Fixture::default()
    });
    let e = mint(builder(), &KmsSigner::new(server.client(), "k"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_SIGNATURE");
    assert!(
        e.to_string().contains("kms returned a 63-byte signature"),
        "{e}"
    );
}

#[tokio::test]
async fn sign_refuses_other_keys_and_long_messages_without_a_request() {
    let server = Server::start(Fixture::default());
    let signer = KmsSigner::new(server.client(), "k");
    let key = signer.current_key().await.unwrap();
    let other = warrants_keys::SignerKey {
        public: SigningKey::from_seed(&[0x44; 32]).public_key(),
        version: None,
    };
    assert_eq!(
        signer.sign(&other, b"m").await.unwrap_err().code(),
        "KEY_SIGNATURE"
    );
    let e = signer.sign(&key, &[0u8; 4097]).await.unwrap_err();
    assert_eq!(e.code(), "KEY_SIGNATURE");
    assert!(e.to_string().contains("at most 4096 bytes"), "{e}");
    assert_eq!(server.seen().len(), 1, "only GetPublicKey was sent");
    let sig = signer.sign(&key, &[7u8; 4096]).await.unwrap();
    assert!(key.public.verify(&[7u8; 4096], &sig));
}

#[tokio::test]
async fn kms_errors_map_to_codes() {
    let cases: [(&str, u16, &str, &str); 4] = [
        ("Sign", 400, "AccessDeniedException", "KEY_BACKEND_AUTH"),
        ("Sign", 400, "KMSInvalidStateException", "KEY_BACKEND_ERROR"),
        (
            "GetPublicKey",
            400,
            "UnrecognizedClientException",
            "KEY_BACKEND_AUTH",
        ),
        ("GetPublicKey", 400, "NotFoundException", "KEY_CONFIG"),
    ];
    for (op, status, kind, code) in cases {
        let server = Server::start(Fixture {
            errors: HashMap::from([(op, (status, kind, "fixture message"))]),
            ..Fixture::default()
        });
        let e = mint(builder(), &KmsSigner::new(server.client(), "k"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), code, "{op} {kind}: {e}");
        assert!(
            e.to_string()
                .contains(&format!("{op}: {kind}: fixture message")),
            "{e}"
        );
    }
    // 5xx is retried by the SDK (3 attempts by default), then Unavailable.
    let server = Server::start(Fixture {
        errors: HashMap::from([(
            "GetPublicKey",
            (500, "KMSInternalException", "fixture message"),
        )]),
        ..Fixture::default()
    });
    let e = KmsSigner::new(server.client(), "k")
        .current_key()
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_BACKEND_UNAVAILABLE");
    assert_eq!(
        e.to_string(),
        "aws-kms: unavailable after 3 attempt(s): GetPublicKey: KMSInternalException: fixture message"
    );
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn decrypt_requests_and_error_mapping() {
    let ct = STANDARD.encode([0xc7u8; 100]);
    let vars = HashMap::from([("WARRANT_KEY_AGENT_7".to_string(), ct.clone())]);
    let source = || {
        let vars = vars.clone();
        CiphertextSource::env_with_lookup(move |n| vars.get(n).cloned())
    };

    // The request carries the ciphertext, the encryption context and the
    // expected KMS key.
    let server = Server::start(Fixture::default());
    let r = KmsEnvelopeResolver::new(server.client(), source()).expected_kms_key("alias/seeds");
    let k = r.resolve("agent-7").await.unwrap();
    assert_eq!(
        k.public_key(),
        SigningKey::from_seed(&[0x42; 32]).public_key()
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "TrentService.Decrypt");
    assert_eq!(
        seen[0].body,
        json!({
            "CiphertextBlob": ct,
            "EncryptionContext": {"warrants:key_id": "agent-7"},
            "KeyId": "alias/seeds",
        })
    );

    // AWS's answer to a ciphertext under another KMS key.
    let server = Server::start(Fixture {
        errors: HashMap::from([(
            "Decrypt",
            (400, "IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation."),
        )]),
        ..Fixture::default()
    });
    let e = KmsEnvelopeResolver::new(server.client(), source())
        .expected_kms_key("alias/seeds")
        .resolve("agent-7")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_MALFORMED");
    assert_eq!(
        e.to_string(),
        "key \"agent-7\" at env WARRANT_KEY_AGENT_7 is malformed: the ciphertext was encrypted under another kms key than the expected one"
    );

    // A plaintext of the wrong length.
    let server = Server::start(Fixture {
        plaintext: vec![1; 31],
        ..Fixture::default()
    });
    let e = KmsEnvelopeResolver::new(server.client(), source())
        .resolve("agent-7")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "KEY_MALFORMED");
    assert!(!e.to_string().contains(&ct));
}
