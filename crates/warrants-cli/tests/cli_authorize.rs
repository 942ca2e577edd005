#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! End-to-end tests of `warrant authorize`.

mod common;
use common::{keygen, mint_to, warrant};

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

struct Env {
    dir: TempDir,
    root: PathBuf,
    agent: PathBuf,
    chain: PathBuf,
}

fn env_with(extra: &[&str]) -> Env {
    let dir = TempDir::new().unwrap();
    let root = keygen(dir.path(), "root.seed");
    let agent = keygen(dir.path(), "agent.seed");
    let chain = dir.path().join("chain.txt");
    let args = [
        "--tool",
        "read_file",
        "--constraint",
        "path=subpath:/data/in",
        "--tool",
        "transfer",
        "--constraint",
        "amount=range:[0,100]",
        "--constraint",
        "region=one_of:eu,us",
    ];
    mint_to(&root, &agent, &[&args[..], extra].concat(), &chain);
    Env {
        dir,
        root,
        agent,
        chain,
    }
}

fn env() -> Env {
    env_with(&[])
}

impl Env {
    /// `warrant authorize CHAIN --trusted-root seed:ROOT` plus `args`.
    fn authorize(&self, args: &[&str]) -> Command {
        let mut c = warrant();
        c.arg("authorize")
            .arg(&self.chain)
            .arg("--trusted-root")
            .arg(format!("seed:{}", self.root.display()))
            .args(args);
        c
    }

    fn agent(&self) -> &str {
        self.agent.to_str().unwrap()
    }
}

#[test]
fn allowed_call_exits_0() {
    let e = env();
    e.authorize(&[
        "--tool",
        "read_file",
        "--arg",
        "path=/data/in/report.csv",
        "--holder-key",
        e.agent(),
    ])
    .assert()
    .code(0)
    .stdout("allow\n");
}

#[test]
fn out_of_scope_path_is_denied_with_arg_name_and_no_value() {
    let e = env();
    e.authorize(&[
        "--tool",
        "read_file",
        "--arg",
        "path=/etc/secret-shadow",
        "--holder-key",
        e.agent(),
    ])
    .assert()
    .code(1)
    .stdout(predicate::str::starts_with("deny CONSTRAINT_VIOLATED"))
    .stdout(predicate::str::contains("`path`"))
    .stdout(predicate::str::contains("secret-shadow").not());
}

#[test]
fn show_values_reveals_the_value() {
    let e = env();
    e.authorize(&[
        "--tool",
        "read_file",
        "--arg",
        "path=/etc/secret-shadow",
        "--holder-key",
        e.agent(),
        "--show-values",
    ])
    .assert()
    .code(1)
    .stdout(predicate::str::contains("secret-shadow"));
}

#[test]
fn json_lists_every_violated_argument() {
    let e = env();
    let out = e
        .authorize(&[
            "--json",
            "--tool",
            "transfer",
            "--arg",
            "amount=500",
            "--arg",
            "region=mars",
            "--holder-key",
            e.agent(),
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("mars"), "value leaked: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["allowed"], false);
    assert_eq!(v["code"], "CONSTRAINT_VIOLATED");
    let mut args: Vec<_> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            assert_eq!(x["link"], 0);
            assert!(x["reason"].as_str().unwrap().contains("constraint"));
            x["arg"].as_str().unwrap().to_owned()
        })
        .collect();
    args.sort();
    assert_eq!(args, ["amount", "region"]);
}

#[test]
fn args_json_inline_and_from_file() {
    let e = env();
    e.authorize(&[
        "--tool",
        "transfer",
        "--args-json",
        r#"{"amount": 50, "region": "eu"}"#,
        "--holder-key",
        e.agent(),
    ])
    .assert()
    .code(0)
    .stdout("allow\n");
    let file = e.dir.path().join("args.json");
    std::fs::write(&file, r#"{"amount": 101, "region": "eu"}"#).unwrap();
    let spec = format!("@{}", file.display());
    let out = e
        .authorize(&[
            "--json",
            "--tool",
            "transfer",
            "--args-json",
            &spec,
            "--holder-key",
            e.agent(),
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["code"], "CONSTRAINT_VIOLATED");
    assert_eq!(v["violations"][0]["arg"], "amount");
    // --arg and --args-json are exclusive; a non-object is malformed.
    e.authorize(&[
        "--tool",
        "transfer",
        "--args-json",
        "[1]",
        "--holder-key",
        e.agent(),
    ])
    .assert()
    .code(2);
    e.authorize(&[
        "--tool",
        "transfer",
        "--args-json",
        "{}",
        "--arg",
        "amount=1",
        "--holder-key",
        e.agent(),
    ])
    .assert()
    .code(2);
}

#[test]
fn unknown_tool_is_not_granted() {
    let e = env();
    e.authorize(&["--tool", "delete_file", "--holder-key", e.agent()])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("deny TOOL_NOT_GRANTED"));
}

#[test]
fn wrong_holder_key_is_pop_invalid() {
    let e = env();
    let other = keygen(e.dir.path(), "other.seed");
    e.authorize(&[
        "--tool",
        "read_file",
        "--arg",
        "path=/data/in/a",
        "--holder-key",
        other.to_str().unwrap(),
    ])
    .assert()
    .code(1)
    .stdout(predicate::str::starts_with("deny POP_INVALID"));
}

#[test]
fn expired_warrant_is_denied() {
    let issued = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 7200;
    let issued = issued.to_string();
    let e = env_with(&["--issued-at", &issued, "--ttl", "60"]);
    e.authorize(&[
        "--json",
        "--tool",
        "read_file",
        "--arg",
        "path=/data/in/a",
        "--holder-key",
        e.agent(),
    ])
    .assert()
    .code(1)
    .stdout(predicate::str::contains("\"WARRANT_EXPIRED\""));
}

/// `--at` evaluates another moment: the expired warrant was valid during
/// its hour, not before or after it, and a proof saved then is stale now
/// but valid when replayed at its own time.
#[test]
fn at_replays_a_decision_at_another_time() {
    let issued = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 7200;
    let e = env_with(&["--issued-at", &issued.to_string(), "--ttl", "1h"]);
    let call = ["--tool", "read_file", "--arg", "path=/data/in/a"];
    let during = (issued + 600).to_string();
    let before = (issued - 600).to_string();
    let pop = e.dir.path().join("old-pop.txt");
    e.authorize(&call)
        .args(["--holder-key", e.agent(), "--at", &during, "--save-pop"])
        .arg(&pop)
        .assert()
        .code(0)
        .stdout("allow\n");
    e.authorize(&call)
        .args(["--holder-key", e.agent(), "--at", &before])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("deny NOT_YET_VALID"));
    e.authorize(&call)
        .args([
            "--holder-key",
            e.agent(),
            "--at",
            &(issued + 3700).to_string(),
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("deny WARRANT_EXPIRED"));
    // The saved proof is stale now (checked before expiry), valid at its time.
    let pop = pop.to_str().unwrap();
    e.authorize(&call)
        .args(["--pop", pop])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("deny POP_STALE"));
    e.authorize(&call)
        .args(["--pop", pop, "--at", &during])
        .assert()
        .code(0);
    let verify = |at: &str, code: i32| {
        warrant()
            .arg("verify")
            .arg(&e.chain)
            .args(["--trusted-root", &format!("seed:{}", e.root.display())])
            .args(["--at", at])
            .assert()
            .code(code);
    };
    verify(&during, 0);
    verify(&before, 1);
}

#[test]
fn untrusted_root_is_denied() {
    let e = env();
    let other = keygen(e.dir.path(), "other.seed");
    warrant()
        .arg("authorize")
        .arg(&e.chain)
        .arg("--trusted-root")
        .arg(format!("seed:{}", other.display()))
        .args(["--tool", "read_file", "--arg", "path=/data/in/a"])
        .args(["--holder-key", e.agent()])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("deny UNTRUSTED_ROOT"));
}

#[test]
fn saved_pop_is_checked_with_pop() {
    let e = env();
    let pop = e.dir.path().join("pop.txt");
    let call = ["--tool", "read_file", "--arg", "path=/data/in/a.csv"];
    let mut c = e.authorize(&call);
    c.args(["--holder-key", e.agent(), "--save-pop"])
        .arg(&pop)
        .assert()
        .code(0);
    let pop_s = pop.to_str().unwrap();
    // The same call with the saved proof is allowed.
    let mut c = e.authorize(&call);
    c.args(["--pop", pop_s]).assert().code(0).stdout("allow\n");
    // Raw bytes work too.
    let text = std::fs::read_to_string(&pop).unwrap();
    let raw = e.dir.path().join("pop.bin");
    std::fs::write(&raw, decode_b64url(text.trim())).unwrap();
    e.authorize(&call)
        .args(["--pop", raw.to_str().unwrap()])
        .assert()
        .code(0);
    // The proof is bound to the arguments: a different call fails.
    e.authorize(&[
        "--tool",
        "read_file",
        "--arg",
        "path=/data/in/b.csv",
        "--pop",
        pop_s,
    ])
    .assert()
    .code(1)
    .stdout(predicate::str::starts_with("deny POP_INVALID"));
    // And to the context.
    e.authorize(&call)
        .args(["--pop", pop_s, "--context", "wf-1"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("deny POP_INVALID"));
    // Garbage is POP_INVALID too.
    let junk = e.dir.path().join("junk.txt");
    std::fs::write(&junk, "AAAA").unwrap();
    e.authorize(&call)
        .args(["--pop", junk.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("deny POP_INVALID"));
}

#[test]
fn needs_holder_key_or_pop() {
    let e = env();
    e.authorize(&["--tool", "read_file"]).assert().code(2);
}

/// Minimal base64url (no padding) decoder for the test.
fn decode_b64url(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("bad base64url"),
        }
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| *c != b'=') {
        acc = (acc << 6) | val(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
        }
    }
    out
}
