//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) and the
//! minimized crash regressions (`fuzz/regressions/<target>/`) through the
//! same harness functions the cargo-fuzz targets call, on the stable
//! toolchain. The harness (`fuzz/src/harness.rs`) panics when an invariant
//! breaks: a panic in the library, a garbage chain or proof allowed, a
//! non-canonical decode, an unsound narrowing, a path let out of its root.

// Helpers outside `#[test]` fns are not covered by clippy.toml's
// allow-*-in-tests settings; test code may unwrap, panic and index.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../../fuzz/src/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Every file of `fuzz/<kind>/<target>/`, sorted (an absent directory is
/// empty).
fn inputs(kind: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = fuzz_dir().join(kind).join(target);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect()
}

fn replay(target: &str, f: fn(&[u8])) {
    let corpus = inputs("corpus", target);
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target}/ is empty or missing"
    );
    let regressions = inputs("regressions", target);
    for (path, bytes) in corpus.iter().chain(&regressions) {
        let r = std::panic::catch_unwind(|| f(bytes));
        assert!(
            r.is_ok(),
            "fuzz input {} breaks an invariant",
            path.display()
        );
    }
    // Edge inputs, whatever the corpus holds.
    for edge in [&[][..], &[0x00], &[0xff], &[0x80], &[0xa0], &[0x9f; 64]] {
        f(edge);
    }
}

#[test]
fn chain_decode_corpus() {
    replay("chain_decode", harness::chain_decode);
}

#[test]
fn authorize_bytes_corpus() {
    replay("authorize_bytes", harness::authorize_bytes);
}

#[test]
fn pop_verify_corpus() {
    replay("pop_verify", harness::pop_verify);
}

#[test]
fn constraint_set_corpus() {
    replay("constraint_set", harness::constraint_set);
}

#[test]
fn value_decode_corpus() {
    replay("value_decode", harness::value_decode);
}

#[test]
fn path_url_eval_corpus() {
    replay("path_url_eval", harness::path_url_eval);
}

/// The harness's notion of "valid" is not vacuous: every valid vector is
/// allowed (checked when the fixtures load) and a one-byte change to its
/// chain or its proof is denied.
#[test]
fn harness_fixtures_are_live() {
    let fx = harness::fixtures();
    assert_eq!(fx.len(), 8);
    for f in fx {
        assert!(!f.name.is_empty());
        let call = warrants::Call::new(&f.tool, &f.args, &f.context);
        let mut bad_chain = f.chain.clone();
        let mid = bad_chain.len() / 2;
        bad_chain[mid] ^= 1;
        let mut bad_pop = f.pop.clone();
        let last = bad_pop.len() - 1;
        bad_pop[last] ^= 1;
        for (chain, pop) in [(&bad_chain, &f.pop), (&f.chain, &bad_pop)] {
            let r = f
                .cold
                .authorize_bytes_at(Some(chain), &call, Some(pop), f.window, f.now);
            assert!(r.is_err(), "{}: a flipped byte is allowed", f.name);
        }
    }
}
