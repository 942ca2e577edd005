//! Harness functions for the `warrants` fuzz targets. The same file is
//! replayed on stable by `crates/warrants/tests/fuzz_corpus.rs`.
#![forbid(unsafe_code)]

pub mod harness;
