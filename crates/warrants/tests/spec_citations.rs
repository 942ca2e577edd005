//! Every test that `docs/SPEC.md` cites for an invariant (the I, T and K
//! tables) exists: `module::test_name` must name a `fn test_name` in a
//! source file under a path containing `module`, `module::tests::*` a
//! module of that name, and `path/to/file` a file of the repository. A
//! renamed or deleted test makes this fail instead of leaving the
//! specification pointing at nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The backticked citations in the last column of each invariant row.
fn citations(spec: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in spec.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, id, _, tests, _] = cells.as_slice() else {
            continue;
        };
        let is_invariant = id.len() >= 2
            && id.starts_with(['I', 'T', 'K'])
            && id[1..].chars().all(|c| c.is_ascii_digit());
        if !is_invariant {
            continue;
        }
        for (i, part) in tests.split('`').enumerate() {
            if i % 2 == 1 {
                out.push(((*id).to_owned(), part.to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_test_cited_by_the_spec_exists() {
    let root = repo();
    let spec = std::fs::read_to_string(root.join("docs/SPEC.md")).unwrap();
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    let sources: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    let cited = citations(&spec);
    assert!(
        cited.len() > 100,
        "only {} citations parsed: has the table format changed?",
        cited.len()
    );
    let in_module = |module: &str| -> Vec<&str> {
        sources
            .iter()
            .filter(|(rel, _)| {
                rel.split('/').any(|seg| {
                    seg == module || seg.strip_suffix(".rs").is_some_and(|s| s == module)
                })
            })
            .map(|(_, text)| text.as_str())
            .collect()
    };
    let mut missing = Vec::new();
    for (id, c) in &cited {
        if c.contains('/') && !c.contains("::") {
            if !root.join(c).is_file() {
                missing.push(format!("{id}: file {c}"));
            }
            continue;
        }
        let segs: Vec<&str> = c.split("::").collect();
        let (Some(module), Some(last)) = (segs.first(), segs.last()) else {
            continue;
        };
        if segs.len() < 2 {
            continue; // a word such as `nexus`, not a test path
        }
        let found = if *last == "*" || *last == "tests" {
            !in_module(module).is_empty()
        } else {
            let needle = format!("fn {last}(");
            in_module(module).iter().any(|text| text.contains(&needle))
        };
        if !found {
            missing.push(format!("{id}: {c}"));
        }
    }
    assert!(
        missing.is_empty(),
        "SPEC.md cites tests that do not exist:\n{}",
        missing.join("\n")
    );
}
