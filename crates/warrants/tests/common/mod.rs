//! Shared fixtures for the `invariants` and `props` integration tests.
//!
//! Everything is deterministic: keys come from fixed seeds, ids are fixed,
//! and [`NOW`] is the one "current time". [`raw`] is a tiny hand-written
//! CBOR encoder used to craft canonical *and* non-canonical bytes without
//! going through the library's own writer, and [`strat`] holds the proptest
//! strategies (values, constraints, narrowing-biased parent/child pairs and
//! boundary probes).
#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod fixtures;
pub mod raw;
pub mod strat;

pub use fixtures::*;
