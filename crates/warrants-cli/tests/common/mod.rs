//! Set-up shared by the `warrant` binary tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `warrant` binary built by cargo.
pub fn warrant() -> Command {
    Command::cargo_bin("warrant").unwrap()
}

/// `warrant keygen --out DIR/NAME`: the seed file and the printed public key.
pub fn keygen_pub(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let out = warrant()
        .arg("keygen")
        .arg("--out")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "keygen {name}: {out:?}");
    let public = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    (path, public)
}

/// `warrant keygen --out DIR/NAME`: the seed file.
pub fn keygen(dir: &Path, name: &str) -> PathBuf {
    keygen_pub(dir, name).0
}

/// Run `cmd`, which must exit with `code`, and parse its stdout as JSON.
pub fn json_out(cmd: &mut Command, code: i32) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `warrant mint --issuer-key ROOT --holder seed:HOLDER ARGS... --out OUT`,
/// which must succeed.
pub fn mint_to(root: &Path, holder: &Path, args: &[&str], out: &Path) {
    warrant()
        .arg("mint")
        .arg("--issuer-key")
        .arg(root)
        .arg("--holder")
        .arg(format!("seed:{}", holder.display()))
        .args(args)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}
