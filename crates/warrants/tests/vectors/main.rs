//! Byte-exact test vectors (`vectors/` at the workspace root).
//!
//! This test binary is the generator (fixed inputs in `fixtures`, the cases
//! in `cases`, the JSON file format in `format`, the semantic check in
//! `check`; this file compares and writes the files). Every vector is built
//! from fixed seeds, fixed times and fixed ids (Ed25519 signing is
//! deterministic), rendered as pretty JSON and then:
//!
//! * compared byte for byte with the committed file (any difference, a
//!   missing file or a stale `.json` the generator no longer produces fails);
//! * checked semantically, using only what the JSON says: decode the bytes,
//!   run the [`Authorizer`] with the vector's trusted roots, time, clock
//!   skew, link limit, window, call, proof and revocation list, and compare
//!   the outcome with `expected` (and `expected_detail`). The informative
//!   `computed` section is recomputed from the bytes and must match too.
//!
//! Rewrite the files after an intended change with
//! `WARRANTS_BLESS=1 cargo test -p warrants --test vectors`.
//! The format is described in `vectors/README.md`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cases;
mod check;
mod fixtures;
mod format;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::check::check;
use crate::format::{generate, to_text, VectorFile};

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("workspace root")
        .join("vectors")
}

/// Every `.json` file under `dir`, as paths relative to it with `/`.
fn json_files(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else if path.extension().is_some_and(|x| x == "json") {
                let rel = path.strip_prefix(base).unwrap();
                let parts: Vec<_> = rel.iter().map(|p| p.to_string_lossy()).collect();
                out.insert(parts.join("/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Where two texts first differ: (line, byte offset).
fn first_difference(a: &str, b: &str) -> (usize, usize) {
    let offset = a
        .bytes()
        .zip(b.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let line = a.as_bytes()[..offset.min(a.len())]
        .iter()
        .filter(|c| **c == b'\n')
        .count()
        + 1;
    (line, offset)
}

fn bless_requested() -> bool {
    std::env::var("WARRANTS_BLESS").is_ok_and(|v| !v.is_empty() && v != "0")
}

const BLESS_HINT: &str =
    "if the change is intended, regenerate with: WARRANTS_BLESS=1 cargo test -p warrants --test vectors";

#[test]
fn committed_vectors_match_the_generator() {
    let dir = vectors_dir();
    let generated = generate();
    let produced: BTreeSet<String> = generated.iter().map(|(p, _, _)| p.clone()).collect();
    let stale: Vec<String> = json_files(&dir)
        .into_iter()
        .filter(|p| !produced.contains(p))
        .collect();

    if bless_requested() {
        for (rel, file, text) in &generated {
            assert!(
                check(file).is_empty(),
                "refusing to bless {rel}: it fails its semantic check"
            );
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
                std::fs::write(&path, text).unwrap();
                eprintln!("wrote vectors/{rel}");
            }
        }
        for rel in &stale {
            std::fs::remove_file(dir.join(rel)).unwrap();
            eprintln!("removed stale vectors/{rel}");
        }
        return;
    }

    let mut failures = Vec::new();
    for (rel, _, text) in &generated {
        match std::fs::read_to_string(dir.join(rel)) {
            Err(e) => failures.push(format!("vectors/{rel}: missing ({e})")),
            Ok(committed) if committed != *text => {
                let (line, offset) = first_difference(&committed, text);
                failures.push(format!(
                    "vectors/{rel}: differs from the generator (first difference at line \
                     {line}, byte {offset})"
                ));
            }
            Ok(_) => {}
        }
    }
    for rel in &stale {
        failures.push(format!(
            "vectors/{rel}: stale, the generator does not produce it"
        ));
    }
    assert!(
        failures.is_empty(),
        "test vectors out of date:\n  {}\n{BLESS_HINT}",
        failures.join("\n  ")
    );
}

#[test]
fn vectors_authorize_as_expected() {
    let mut failures = Vec::new();
    for (rel, file, text) in generate() {
        // Consume the JSON text, as another implementation would.
        let parsed: VectorFile = match serde_json::from_str(&text) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("vectors/{rel}: does not parse: {e}"));
                continue;
            }
        };
        if parsed != file || to_text(&parsed) != text {
            failures.push(format!("vectors/{rel}: does not round-trip through JSON"));
        }
        for p in check(&parsed) {
            failures.push(format!("vectors/{rel}: {p}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn committed_vectors_authorize_as_expected() {
    // The files on disk, whatever produced them, must also hold (skipped
    // while blessing: the files are being rewritten).
    if bless_requested() {
        return;
    }
    let dir = vectors_dir();
    let mut failures = Vec::new();
    for rel in json_files(&dir) {
        let text = std::fs::read_to_string(dir.join(&rel)).unwrap();
        match serde_json::from_str::<VectorFile>(&text) {
            Err(e) => failures.push(format!("vectors/{rel}: does not parse: {e}")),
            Ok(v) => {
                let expect_dir = if v.expected == "ALLOW" {
                    "valid/"
                } else {
                    "invalid/"
                };
                if rel != format!("{expect_dir}{}.json", v.name) {
                    failures.push(format!("vectors/{rel}: name or directory does not match"));
                }
                for p in check(&v) {
                    failures.push(format!("vectors/{rel}: {p}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn readme_lists_every_vector() {
    let readme = std::fs::read_to_string(vectors_dir().join("README.md")).unwrap_or_default();
    let missing: Vec<String> = generate()
        .into_iter()
        .map(|(_, f, _)| (f.name, f.expected))
        .filter(|(name, expected)| !readme.contains(&format!("| `{name}` | {expected} |")))
        .map(|(name, expected)| format!("| `{name}` | {expected} |"))
        .collect();
    assert!(
        missing.is_empty(),
        "vectors/README.md lacks table rows:\n{}",
        missing.join("\n")
    );
}
