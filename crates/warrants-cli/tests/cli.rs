#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! End-to-end tests of the `warrant` binary.

mod common;
use common::{keygen_pub as keygen, warrant};

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

struct Env {
    dir: TempDir,
    root: PathBuf,
    root_pub: String,
    agent: PathBuf,
}

fn env() -> Env {
    let dir = TempDir::new().unwrap();
    let (root, root_pub) = keygen(dir.path(), "root.seed");
    let (agent, _) = keygen(dir.path(), "agent.seed");
    Env {
        dir,
        root,
        root_pub,
        agent,
    }
}

impl Env {
    fn mint(&self, extra: &[&str]) -> Command {
        let mut c = warrant();
        c.arg("mint")
            .arg("--issuer-key")
            .arg(&self.root)
            .arg("--holder")
            .arg(format!("seed:{}", self.agent.display()))
            .args(extra);
        c
    }

    fn mint_to(&self, name: &str, extra: &[&str]) -> PathBuf {
        let path = self.dir.path().join(name);
        self.mint(extra).arg("--out").arg(&path).assert().success();
        path
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn inspect_json(&self, chain: &Path) -> serde_json::Value {
        let out = warrant()
            .arg("inspect")
            .arg("--json")
            .arg(chain)
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

#[test]
fn help_lists_commands_and_exit_codes() {
    warrant()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("keygen").and(predicate::str::contains("Exit codes")));
    warrant()
        .args(["mint", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("url_pattern:").and(predicate::str::contains("Examples")));
    warrant().arg("frobnicate").assert().code(2);
}

#[cfg(unix)]
#[test]
fn keygen_writes_0600_and_refuses_overwrite() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("k.seed");
    let out = warrant()
        .arg("keygen")
        .arg("--out")
        .arg(&path)
        .args(["--id", "root-1"])
        .assert()
        .success()
        .stderr(predicate::str::contains("root-1"));
    let public = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(public.trim().len(), 43);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let seed = std::fs::read_to_string(&path).unwrap();
    assert!(!public.contains(seed.trim()), "seed printed");
    warrant()
        .arg("keygen")
        .arg("--out")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exists").and(predicate::str::contains("--force")));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), seed);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    warrant()
        .arg("keygen")
        .arg("--out")
        .arg(&path)
        .arg("--force")
        .assert()
        .success();
    assert_ne!(std::fs::read_to_string(&path).unwrap(), seed);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// A base64url public key may start with `-` (1 in 64 keys): it is the
/// value of `--holder`/`--trusted-root`, not an unknown flag.
#[test]
fn public_keys_starting_with_a_hyphen_are_values() {
    let e = env();
    let (seed, public) = (0u8..=255)
        .map(|i| {
            let k = warrants::SigningKey::from_seed(&[i; 32]);
            (k.to_base64url(), k.public_key().to_base64url())
        })
        .find(|(_, p)| p.starts_with('-'))
        .unwrap();
    let seed_file = e.write("hyphen.seed", &seed);
    let chain = e.dir.path().join("hyphen.txt");
    warrant()
        .args(["mint", "--issuer-key"])
        .arg(&seed_file)
        .args(["--holder", &public, "--tool", "t", "--out"])
        .arg(&chain)
        .assert()
        .code(0);
    warrant()
        .arg("verify")
        .arg(&chain)
        .args(["--trusted-root", &public])
        .assert()
        .code(0);
}

#[test]
fn pubkey_from_file_stdin_and_env() {
    let e = env();
    warrant()
        .arg("pubkey")
        .arg(&e.root)
        .assert()
        .success()
        .stdout(format!("{}\n", e.root_pub));
    let seed = std::fs::read_to_string(&e.root).unwrap();
    warrant()
        .args(["pubkey", "-"])
        .write_stdin(seed.clone())
        .assert()
        .success()
        .stdout(format!("{}\n", e.root_pub));
    warrant()
        .args(["pubkey", "env:WARRANT_TEST_SEED"])
        .env("WARRANT_TEST_SEED", seed.trim())
        .assert()
        .success()
        .stdout(format!("{}\n", e.root_pub));
}

#[test]
fn missing_and_bad_key_files_name_the_input() {
    let e = env();
    warrant()
        .args(["pubkey", "/nonexistent/nope.seed"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/nope.seed"));
    let bad = e.write("bad.seed", "not base64 !!!\n");
    warrant()
        .arg("pubkey")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.seed").and(predicate::str::contains("seed")));
    e.mint(&["--tool", "x"])
        .args(["--holder", "%%%notbase64"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--holder"));
    warrant()
        .args([
            "mint",
            "--issuer-key",
            "/nonexistent/issuer.seed",
            "--holder",
        ])
        .arg(&e.root_pub)
        .args(["--tool", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/issuer.seed"));
    warrant()
        .args(["inspect", "/nonexistent/chain.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/chain.txt"));
}

#[test]
fn mint_via_flags_inspect_and_verify() {
    let e = env();
    let chain = e.mint_to(
        "chain.txt",
        &[
            "--tool",
            "read_file",
            "--constraint",
            "path=subpath:/data/in",
            "--tool",
            "transfer",
            "--constraint",
            "amount=range:[0,100]",
            "--constraint",
            "currency=one_of:EUR,USD",
            "--ttl",
            "10m",
            "--max-depth",
            "3",
        ],
    );
    let text = std::fs::read_to_string(&chain).unwrap();
    assert!(text
        .trim()
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    warrant()
        .arg("inspect")
        .arg(&chain)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("path = subpath:/data/in")
                .and(predicate::str::contains("amount = range:[0,100]"))
                .and(predicate::str::contains("expires in 10m"))
                .and(predicate::str::contains("EXPIRED").not()),
        );
    let j = e.inspect_json(&chain);
    let link = &j["links"][0];
    assert_eq!(link["max_depth"], 3);
    assert_eq!(link["expired"], false);
    assert_eq!(link["issuer"], e.root_pub.as_str());
    assert_eq!(link["issuer_fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(
        link["expires_at"].as_u64().unwrap() - link["issued_at"].as_u64().unwrap(),
        600
    );
    assert_eq!(
        link["tools"]["read_file"]["args"]["path"]["kind"],
        "subpath"
    );
    assert_eq!(
        link["tools"]["read_file"]["args"]["path"]["root"],
        "/data/in"
    );
    assert_eq!(
        link["tools"]["transfer"]["args"]["currency"]["values"],
        serde_json::json!(["EUR", "USD"])
    );

    warrant()
        .arg("verify")
        .arg(&chain)
        .arg("--trusted-root")
        .arg(&e.root_pub)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("valid"));
    warrant()
        .arg("verify")
        .arg(&chain)
        .arg("--trusted-root")
        .arg(format!("seed:{}", e.agent.display()))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("UNTRUSTED_ROOT"));
    let out = warrant()
        .args(["verify", "--json"])
        .arg(&chain)
        .arg("--trusted-root")
        .arg(format!("seed:{}", e.agent.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "UNTRUSTED_ROOT");
}

#[test]
fn constraint_before_tool_and_bad_spec_are_usage_errors() {
    let e = env();
    e.mint(&["--constraint", "path=subpath:/x", "--tool", "t"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("before any --tool"));
    e.mint(&["--tool", "t", "--constraint", "path=bogus:1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown constraint kind `bogus`"));
    e.mint(&["--tool", "t", "--ttl", "5x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--ttl"));
}

#[test]
fn binary_output_and_stdin_input() {
    let e = env();
    let bin = e.dir.path().join("chain.bin");
    e.mint(&["--tool", "t", "--binary", "--out"])
        .arg(&bin)
        .assert()
        .success();
    let bytes = std::fs::read(&bin).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err() || bytes[0] >= 0x80);
    warrant()
        .args(["inspect", "-"])
        .write_stdin(bytes)
        .assert()
        .success()
        .stdout(predicate::str::contains("(any arguments)"));
    let text = e.mint(&["--tool", "t"]).output().unwrap().stdout;
    warrant()
        .args(["verify", "-", "--trusted-root"])
        .arg(&e.root_pub)
        .write_stdin(text)
        .assert()
        .code(0);
}

#[test]
fn tampered_and_undecodable_chains_are_invalid() {
    let e = env();
    let bin = e.dir.path().join("chain.bin");
    e.mint(&[
        "--tool",
        "read_file",
        "--constraint",
        "path=subpath:/data/in",
        "--binary",
        "--out",
    ])
    .arg(&bin)
    .assert()
    .success();
    let mut bytes = std::fs::read(&bin).unwrap();
    let pos = bytes
        .windows(8)
        .position(|w| w == b"/data/in")
        .expect("path in payload");
    bytes[pos + 6] = b'X';
    let tampered = e.dir.path().join("tampered.bin");
    std::fs::write(&tampered, &bytes).unwrap();
    warrant()
        .arg("verify")
        .arg(&tampered)
        .arg("--trusted-root")
        .arg(&e.root_pub)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("signature"));
    let garbage = e.write("garbage.txt", "AAAA\n");
    warrant()
        .arg("verify")
        .arg(&garbage)
        .arg("--trusted-root")
        .arg(&e.root_pub)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("WARRANT_MALFORMED"));
    let not_b64 = e.write("bad.txt", "abc$%^\n");
    warrant()
        .arg("inspect")
        .arg(&not_b64)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.txt"));
}

#[test]
fn expired_warrant_is_marked_and_fails_verify() {
    let e = env();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let chain = e.mint_to(
        "old.txt",
        &[
            "--tool",
            "t",
            "--ttl",
            "1h",
            "--issued-at",
            &(now - 3 * 3600).to_string(),
        ],
    );
    warrant()
        .arg("inspect")
        .arg(&chain)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("[EXPIRED]").and(predicate::str::contains("expired 2h ago")),
        );
    assert_eq!(e.inspect_json(&chain)["links"][0]["expired"], true);
    warrant()
        .arg("verify")
        .arg(&chain)
        .arg("--trusted-root")
        .arg(&e.root_pub)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("WARRANT_EXPIRED"));
}

const ALL_KINDS_YAML: &str = r#"
ttl: 15m
max_depth: 2
allow_unknown: [search]
tools:
  everything:
    a_wild: wildcard
    b_exact: {kind: exact, value: 42}
    c_one_of: {kind: one_of, values: [dev, staging]}
    d_not_one_of: "not_one_of:root,admin"
    e_range: {kind: range, min: 0, max: 100, max_exclusive: true}
    f_pattern: {kind: pattern, glob: "*.csv"}
    g_subpath: subpath:/data/in
    h_regex: {kind: regex, pattern: "[a-z]+-[0-9]+"}
    i_contains: {kind: contains, values: [public]}
    j_subset: {kind: subset, values: [a, b, c]}
    k_cidr: {kind: cidr, networks: [10.0.0.0/8, "fd00::/8"]}
    l_url_safe: {kind: url_safe, allow_domains: ["*.example.com"]}
    m_url_pattern: {kind: url_pattern, schemes: [https], host: api.example.com, path: "/v1/*"}
    n_all: {kind: all, of: [subpath:/data, {kind: pattern, glob: "*.csv"}]}
    o_any: {kind: any, of: ["exact:0", "range:[10,20]"]}
    p_not: {kind: not, of: "pattern:*.key"}
  search:
    q: wildcard
  list: {}
"#;

fn check_all_kinds(e: &Env, chain: &Path) {
    let j = e.inspect_json(chain);
    let link = &j["links"][0];
    assert_eq!(link["max_depth"], 2);
    assert_eq!(
        link["expires_at"].as_u64().unwrap() - link["issued_at"].as_u64().unwrap(),
        900
    );
    let args = link["tools"]["everything"]["args"].as_object().unwrap();
    let kinds: Vec<&str> = args.values().map(|v| v["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "wildcard",
            "exact",
            "one_of",
            "not_one_of",
            "range",
            "pattern",
            "subpath",
            "regex",
            "contains",
            "subset",
            "cidr",
            "url_safe",
            "url_pattern",
            "all",
            "any",
            "not"
        ]
    );
    assert_eq!(args["b_exact"]["value"], 42);
    assert_eq!(args["e_range"]["max_exclusive"], true);
    assert_eq!(args["m_url_pattern"]["host"], "api.example.com");
    assert_eq!(link["tools"]["search"]["allow_unknown"], true);
    assert_eq!(link["tools"]["list"]["args"], serde_json::json!({}));
}

#[test]
fn mint_from_yaml_capability_file_with_every_kind() {
    let e = env();
    let caps = e.write("caps.yaml", ALL_KINDS_YAML);
    let chain = e.mint_to("chain.txt", &["--capabilities", caps.to_str().unwrap()]);
    check_all_kinds(&e, &chain);
}

#[test]
fn mint_from_json_capability_file_with_every_kind() {
    let e = env();
    let doc: serde_json::Value = all_kinds_json();
    let caps = e.write("caps.json", &serde_json::to_string_pretty(&doc).unwrap());
    let chain = e.mint_to("chain.txt", &["--capabilities", caps.to_str().unwrap()]);
    check_all_kinds(&e, &chain);
    // The JSON emitted by inspect for each constraint is itself valid input.
    let j = e.inspect_json(&chain);
    let mut tools = j["links"][0]["tools"]["everything"]["args"].clone();
    for v in tools.as_object_mut().unwrap().values_mut() {
        v.as_object_mut().unwrap().remove("spec");
    }
    let again = e.write(
        "again.json",
        &serde_json::json!({"tools": {"everything": tools}}).to_string(),
    );
    e.mint_to("again.txt", &["--capabilities", again.to_str().unwrap()]);
}

/// The test's JSON twin of the YAML document, written out by hand so the
/// test does not depend on a YAML parser.
fn all_kinds_json() -> serde_json::Value {
    serde_json::json!({
        "ttl": "15m",
        "max_depth": 2,
        "allow_unknown": ["search"],
        "tools": {
            "everything": {
                "a_wild": "wildcard",
                "b_exact": {"kind": "exact", "value": 42},
                "c_one_of": {"kind": "one_of", "values": ["dev", "staging"]},
                "d_not_one_of": "not_one_of:root,admin",
                "e_range": {"kind": "range", "min": 0, "max": 100, "max_exclusive": true},
                "f_pattern": {"kind": "pattern", "glob": "*.csv"},
                "g_subpath": "subpath:/data/in",
                "h_regex": {"kind": "regex", "pattern": "[a-z]+-[0-9]+"},
                "i_contains": {"kind": "contains", "values": ["public"]},
                "j_subset": {"kind": "subset", "values": ["a", "b", "c"]},
                "k_cidr": {"kind": "cidr", "networks": ["10.0.0.0/8", "fd00::/8"]},
                "l_url_safe": {"kind": "url_safe", "allow_domains": ["*.example.com"]},
                "m_url_pattern": {"kind": "url_pattern", "schemes": ["https"], "host": "api.example.com", "path": "/v1/*"},
                "n_all": {"kind": "all", "of": ["subpath:/data", {"kind": "pattern", "glob": "*.csv"}]},
                "o_any": {"kind": "any", "of": ["exact:0", "range:[10,20]"]},
                "p_not": {"kind": "not", "of": "pattern:*.key"}
            },
            "search": {"q": "wildcard"},
            "list": {}
        }
    })
}

#[test]
fn malformed_capability_files_name_line_and_field() {
    let e = env();
    let yaml = e.write(
        "bad.yaml",
        "tools:\n  read_file:\n    path: {kind: subpath, rot: /data}\n",
    );
    warrant()
        .args(["mint", "--issuer-key"])
        .arg(&e.root)
        .arg("--holder")
        .arg(&e.root_pub)
        .arg("--capabilities")
        .arg(&yaml)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bad.yaml")
                .and(predicate::str::contains("tools.read_file.path"))
                .and(predicate::str::contains("line 3")),
        );
    let json = e.write(
        "bad.json",
        "{\n  \"tools\": {\n    \"t\": {\"n\": \"range:5\"}\n  }\n}\n",
    );
    warrant()
        .args(["mint", "--issuer-key"])
        .arg(&e.root)
        .arg("--holder")
        .arg(&e.root_pub)
        .arg("--capabilities")
        .arg(&json)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bad.json")
                .and(predicate::str::contains("tools.t.n"))
                .and(predicate::str::contains("line 3")),
        );
    let invalid = e.write(
        "invalid.yaml",
        "tools:\n  t:\n    p: {kind: cidr, networks: [10.0.0.1/8]}\n",
    );
    warrant()
        .args(["mint", "--issuer-key"])
        .arg(&e.root)
        .arg("--holder")
        .arg(&e.root_pub)
        .arg("--capabilities")
        .arg(&invalid)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("invalid.yaml").and(predicate::str::contains("tools.t.p")),
        );
}

#[test]
fn transit_issuer_without_vault_settings_is_a_config_error() {
    let e = env();
    warrant()
        .env_remove("WARRANT_VAULT_ADDR")
        .args(["mint", "--issuer-key", "transit:root", "--holder"])
        .arg(&e.root_pub)
        .args(["--tool", "t"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains("--issuer-key: KEY_CONFIG")
                .and(predicate::str::contains("WARRANT_VAULT_ADDR")),
        );
    warrant()
        .args(["mint", "--issuer-key", "transit:", "--holder"])
        .arg(&e.root_pub)
        .args(["--tool", "t"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected transit:NAME"));
}
