//! Secrets never reach logs, `Debug` output or error messages.
//!
//! Every log record of the process (this crate, reqwest, hyper, rustls,
//! through `tracing` and the `log` bridge) is captured at TRACE while the
//! Vault client logs in with AppRole, reads seeds, signs with Transit and
//! fails in the usual ways against a real OpenBao dev server; then the
//! captured text, every `Debug` and every error message are searched for
//! the root token, the AppRole secret id and role id, the client tokens
//! OpenBao hands out, and the seeds in both encodings.

#![cfg(feature = "dev-servers")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::json;
use warrants::constraint::Subpath;
use warrants::{SigningKey, Warrant};
use warrants_keys::dev_servers::OpenBaoDev;
use warrants_keys::vault::{VaultAuth, VaultConfig};
use warrants_keys::{
    mint, CacheOptions, CachingResolver, KeyResolver, TransitSigner, VaultClient, VaultKvResolver,
};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// `s.` followed by 24 alphanumerics: the shape of OpenBao service tokens.
fn find_service_token(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(26)).find_map(|i| {
        let cand = &bytes[i..i + 26];
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        (boundary
            && cand.starts_with(b"s.")
            && cand[2..].iter().all(u8::is_ascii_alphanumeric)
            && bytes.get(i + 26).is_none_or(|b| !b.is_ascii_alphanumeric()))
        .then(|| &text[i..i + 26])
    })
}

#[test]
fn service_token_shape() {
    assert_eq!(
        find_service_token("x s.ZIFAygbMp0T54qv7VRJIOLUd y"),
        Some("s.ZIFAygbMp0T54qv7VRJIOLUd")
    );
    assert_eq!(
        find_service_token("crates.io/abcdefghijklmnopqrstuvwxyz"),
        None
    );
}

#[test]
fn secrets_never_logged_nor_in_errors() {
    let captured = Captured::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .try_init()
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let bao = OpenBaoDev::start().unwrap();
    let root_token = bao.root_token().to_string();
    let seed = [0x5a; 32];
    let key = SigningKey::from_seed(&seed);
    let seed_url = key.to_base64url().to_string();
    let seed_std = base64::engine::general_purpose::STANDARD.encode(seed);
    let seed_bad = "bm90LWEtc2VlZC1idXQtYS1zZWNyZXQtdmFsdWU=";

    let mut texts: Vec<String> = Vec::new();
    let (role_id, secret_id) = rt.block_on(async {
        bao.kv_put("secret", "warrants/keys/agent", json!({ "seed": seed_url }))
            .await
            .unwrap();
        bao.kv_put(
            "secret",
            "warrants/keys/agent-std",
            json!({ "seed": seed_std }),
        )
        .await
        .unwrap();
        bao.kv_put("secret", "warrants/keys/bad", json!({ "seed": seed_bad }))
            .await
            .unwrap();
        bao.enable_approle().await.unwrap();
        bao.write_policy(
            "keys",
            r#"path "secret/data/warrants/keys/*" { capabilities = ["read"] }
path "transit/*" { capabilities = ["read", "update"] }"#,
        )
        .await
        .unwrap();
        bao.enable_transit("transit").await.unwrap();
        bao.create_ed25519_key("transit", "issuer").await.unwrap();
        bao.create_approle("worker", &["keys"], "1h").await.unwrap()
    });

    rt.block_on(async {
        let config = |auth: VaultAuth| {
            VaultConfig::new(&bao.address(), auth)
                .unwrap()
                .backoff(Duration::from_millis(10))
        };
        // AppRole: login, reads, transit signing.
        let approle = VaultClient::new(config(VaultAuth::approle(&role_id, &secret_id))).unwrap();
        let kv = VaultKvResolver::new(approle.clone(), "secret", "warrants/keys/{key_id}").unwrap();
        let cache = CachingResolver::new(kv.clone(), CacheOptions::default());
        assert_eq!(
            cache.resolve("agent").await.unwrap().public_key(),
            key.public_key()
        );
        kv.resolve("agent-std").await.unwrap();
        texts.push(format!(
            "{:?}",
            kv.read_secret_text("agent").await.unwrap().len()
        ));
        let signer = TransitSigner::new(approle.clone(), "transit", "issuer");
        let minted = mint(
            Warrant::mint_builder().holder(key.public_key()).capability(
                "read_file",
                [("path", Subpath::new("/data").unwrap().into())],
            ),
            &signer,
        )
        .await
        .unwrap();
        assert!(minted.warrant.verify_signature());
        texts.push(format!(
            "{approle:?} {kv:?} {signer:?} {minted:?} {:?}",
            config(VaultAuth::approle(&role_id, &secret_id))
        ));

        // Root token: reads, a malformed seed, a missing key.
        let root = VaultClient::new(config(VaultAuth::token(bao.root_token()))).unwrap();
        let kv_root =
            VaultKvResolver::new(root.clone(), "secret", "warrants/keys/{key_id}").unwrap();
        kv_root.resolve("agent").await.unwrap();
        for id in ["bad", "missing"] {
            let e = kv_root.resolve(id).await.unwrap_err();
            texts.push(format!("{e} {e:?}"));
        }
        texts.push(format!("{root:?} {kv_root:?}"));

        // Failures: wrong token, wrong secret id, a policy refusal after
        // a re-login, an unreachable server.
        let wrong = VaultKvResolver::new(
            VaultClient::new(config(VaultAuth::token(format!("{}-x", bao.root_token())))).unwrap(),
            "secret",
            "warrants/keys/{key_id}",
        )
        .unwrap();
        let e = wrong.resolve("agent").await.unwrap_err();
        assert_eq!(e.code(), "KEY_BACKEND_AUTH");
        texts.push(format!("{e} {e:?} {wrong:?}"));
        let bad_login = VaultKvResolver::new(
            VaultClient::new(config(VaultAuth::approle(
                &role_id,
                format!("{secret_id}0"),
            )))
            .unwrap(),
            "secret",
            "warrants/keys/{key_id}",
        )
        .unwrap();
        let e = bad_login.resolve("agent").await.unwrap_err();
        assert_eq!(e.code(), "KEY_BACKEND_AUTH");
        texts.push(format!("{e} {e:?}"));
        let outside = VaultKvResolver::new(approle.clone(), "secret", "other/{key_id}").unwrap();
        let e = outside.resolve("agent").await.unwrap_err();
        assert_eq!(e.code(), "KEY_BACKEND_AUTH");
        texts.push(format!("{e} {e:?}"));
        let down = VaultKvResolver::new(
            VaultClient::new(
                VaultConfig::new(
                    "http://127.0.0.1:1",
                    VaultAuth::approle(&role_id, &secret_id),
                )
                .unwrap()
                .max_attempts(2)
                .backoff(Duration::from_millis(1)),
            )
            .unwrap(),
            "secret",
            "warrants/keys/{key_id}",
        )
        .unwrap();
        let e = down.resolve("agent").await.unwrap_err();
        assert_eq!(e.code(), "KEY_BACKEND_UNAVAILABLE");
        texts.push(format!("{e} {e:?}"));
    });
    drop(rt);
    drop(bao);

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The capture works and includes the HTTP stack's own records.
    assert!(log.contains("warrants_keys::vault"), "no records of ours");
    assert!(
        log.contains("hyper") || log.contains("reqwest"),
        "no records of the http stack"
    );
    assert!(log.contains("approle login"));

    let all = format!("{log}\n{}", texts.join("\n"));
    let secrets = [
        ("root token", root_token.clone()),
        ("secret id", secret_id.clone()),
        ("role id", role_id.clone()),
        ("seed (base64url)", seed_url.clone()),
        ("seed (base64)", seed_std.clone()),
        (
            "seed (base64, unpadded)",
            seed_std.trim_end_matches('=').to_string(),
        ),
        (
            "malformed stored value",
            seed_bad.trim_end_matches('=').to_string(),
        ),
    ];
    for (what, secret) in &secrets {
        assert!(!secret.is_empty());
        assert!(
            !all.contains(secret.as_str()),
            "{what} found in logs or messages"
        );
    }
    assert_eq!(
        find_service_token(&all),
        None,
        "an openbao token in logs or messages"
    );
}
