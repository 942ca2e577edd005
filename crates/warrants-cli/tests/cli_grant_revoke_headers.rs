#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! End-to-end tests of `warrant grant`, `warrant revoke` and `warrant headers`.

mod common;
use common::{json_out, keygen, mint_to, warrant};

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

struct Env {
    dir: TempDir,
    root: PathBuf,
    agent: PathBuf,
    worker: PathBuf,
    chain: PathBuf,
}

fn env() -> Env {
    let dir = TempDir::new().unwrap();
    let root = keygen(dir.path(), "root.seed");
    let agent = keygen(dir.path(), "agent.seed");
    let worker = keygen(dir.path(), "worker.seed");
    let chain = dir.path().join("chain.txt");
    mint_to(
        &root,
        &agent,
        &[
            "--tool",
            "read_file",
            "--constraint",
            "path=subpath:/data/in",
            "--tool",
            "list_dir",
        ],
        &chain,
    );
    Env {
        dir,
        root,
        agent,
        worker,
        chain,
    }
}

impl Env {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn grant(&self, parent_key: &Path, extra: &[&str]) -> Command {
        let mut c = warrant();
        c.arg("grant")
            .arg(&self.chain)
            .arg("--parent-key")
            .arg(parent_key)
            .arg("--holder")
            .arg(format!("seed:{}", self.worker.display()))
            .args(extra);
        c
    }

    fn verify(&self, chain: &Path) -> Command {
        let mut c = warrant();
        c.arg("verify")
            .arg(chain)
            .arg("--trusted-root")
            .arg(format!("seed:{}", self.root.display()));
        c
    }

    fn leaf_id(&self, chain: &Path) -> String {
        let out = warrant()
            .arg("inspect")
            .arg("--json")
            .arg(chain)
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let links = v["links"].as_array().unwrap();
        links.last().unwrap()["id"].as_str().unwrap().to_owned()
    }

    fn list_json(&self, list: &Path) -> serde_json::Value {
        // Decode through `revoke --json --list` (no new ids) on a copy: this
        // re-signs the list, so the reported version is the file's plus 1.
        let copy = self.path("copy.txt");
        std::fs::copy(list, &copy).unwrap();
        let out = warrant()
            .arg("revoke")
            .arg("--json")
            .arg("--issuer-key")
            .arg(&self.root)
            .arg("--list")
            .arg(&copy)
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

#[test]
fn help_has_examples() {
    for cmd in ["grant", "revoke", "headers"] {
        warrant()
            .args([cmd, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples"));
    }
    warrant()
        .args(["grant", "--help"])
        .assert()
        .stdout(predicate::str::contains("BUILD_CONSTRAINT_WIDENS"));
}

#[test]
fn grant_narrows_and_verifies() {
    let e = env();
    let child = e.path("child.txt");
    e.grant(
        &e.agent,
        &[
            "--tool",
            "read_file",
            "--constraint",
            "path=subpath:/data/in/reports",
            "--tool",
            "list_dir",
            "--ttl",
            "5m",
        ],
    )
    .arg("--out")
    .arg(&child)
    .assert()
    .success();
    e.verify(&child)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("2 links"));
    let out = warrant()
        .arg("inspect")
        .arg("--json")
        .arg(&child)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["links"].as_array().unwrap().len(), 2);
    assert_eq!(v["links_consistent"], true);
    warrant()
        .arg("inspect")
        .arg(&child)
        .assert()
        .success()
        .stdout(predicate::str::contains("chain of 2 links"));

    // --inherit-all to stdout also works.
    e.grant(&e.agent, &["--inherit-all"]).assert().success();
}

#[test]
fn widening_grant_is_refused() {
    let e = env();
    e.grant(
        &e.agent,
        &["--tool", "read_file", "--constraint", "path=subpath:/data"],
    )
    .assert()
    .code(1)
    .stderr(predicate::str::contains("BUILD_CONSTRAINT_WIDENS"));
    e.grant(&e.agent, &["--tool", "delete_file"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("BUILD_TOOL_NOT_IN_PARENT"));
    e.grant(&e.agent, &["--tool", "list_dir", "--ttl", "7d"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("BUILD_TTL_INVALID"));
}

#[test]
fn grant_with_wrong_parent_key_is_refused() {
    let e = env();
    e.grant(&e.root, &["--tool", "list_dir"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("BUILD_WRONG_KEY"));
    e.grant(&e.worker, &["--tool", "list_dir"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("BUILD_WRONG_KEY"));
}

#[test]
fn grant_from_capability_file() {
    let e = env();
    let caps = e.path("caps.yaml");
    std::fs::write(
        &caps,
        "tools:\n  read_file:\n    path: subpath:/data/in/x\n",
    )
    .unwrap();
    let child = e.path("child.txt");
    e.grant(&e.agent, &[])
        .arg("--capabilities")
        .arg(&caps)
        .arg("--out")
        .arg(&child)
        .assert()
        .success();
    e.verify(&child).assert().code(0);
}

#[test]
fn revoke_then_verify_fails_with_revoked() {
    let e = env();
    let id = e.leaf_id(&e.chain);
    let list = e.path("revoked.txt");
    e.verify(&e.chain).assert().code(0);
    // With --json and --out the list goes to the file and a summary to stdout.
    let summary = json_out(
        warrant()
            .args(["--json", "revoke", "--issuer-key"])
            .arg(&e.root)
            .args(["--id", &id])
            .arg("--out")
            .arg(&list),
        0,
    );
    assert_eq!(summary["version"], 1);
    assert_eq!(summary["ids"], serde_json::json!([id]));
    assert_eq!(summary["out"], list.display().to_string());
    assert_eq!(
        summary["list"].as_str().unwrap(),
        std::fs::read_to_string(&list).unwrap().trim()
    );
    e.verify(&e.chain)
        .arg("--revocation")
        .arg(&list)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REVOKED"));
    assert_eq!(e.list_json(&list)["version"], 2);
}

#[test]
fn revoke_extend_bumps_version_and_keeps_ids() {
    let e = env();
    let a = "0123456789abcdef0123456789abcdef";
    let b = "fedcba9876543210fedcba9876543210";
    let list = e.path("revoked.txt");
    let out = warrant()
        .arg("revoke")
        .arg("--json")
        .arg("--issuer-key")
        .arg(&e.root)
        .args(["--id", a])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 1);
    std::fs::write(&list, v["list"].as_str().unwrap()).unwrap();
    let list2 = e.path("revoked2.bin");
    warrant()
        .arg("revoke")
        .arg("--issuer-key")
        .arg(&e.root)
        .arg("--list")
        .arg(&list)
        .args(["--id", b, "--binary"])
        .arg("--out")
        .arg(&list2)
        .assert()
        .success();
    let v = e.list_json(&list2);
    // list_json extends once more: version 3, same ids.
    assert_eq!(v["version"], 3);
    let ids: Vec<&str> = v["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![a, b]);

    // Another issuer cannot extend the list: exit 2 naming the file.
    warrant()
        .arg("revoke")
        .arg("--issuer-key")
        .arg(&e.agent)
        .arg("--list")
        .arg(&list2)
        .args(["--id", a])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("revoked2.bin"));
    warrant()
        .args(["revoke", "--id", "nothex"])
        .arg("--issuer-key")
        .arg(&e.root)
        .assert()
        .code(2);
}

#[test]
fn headers_prints_values_and_checks_key_id() {
    let e = env();
    let chain_text = std::fs::read_to_string(&e.chain).unwrap();
    let chain_text = chain_text.trim();
    warrant()
        .arg("headers")
        .arg(&e.chain)
        .args(["--key-id", "agent"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains(format!("x-warrant: {chain_text}"))
                .and(predicate::str::contains("x-warrant-key-id: agent"))
                .and(predicate::str::contains(format!(
                    "--headers 'x-warrant=\"{chain_text}\"'"
                )))
                .and(predicate::str::contains(
                    "--headers 'x-warrant-key-id=\"agent\"'",
                )),
        );
    let out = warrant()
        .arg("headers")
        .arg("--json")
        .arg(&e.chain)
        .args(["--key-id", "agent"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["headers"]["x-warrant"], chain_text);
    assert_eq!(v["headers"]["x-warrant-key-id"], "agent");
    assert_eq!(v["temporal_args"][0], "--headers");
    assert_eq!(v["temporal_args"][3], "x-warrant-key-id=\"agent\"");
    warrant()
        .arg("headers")
        .arg(&e.chain)
        .args(["--key-id", "../x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--key-id"));
}
