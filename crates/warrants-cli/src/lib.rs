//! The `warrant` command line tool: keygen, mint, grant, inspect, verify, authorize, revoke.
//!
//! This crate is filled by a later issue; see `DESIGN.md` §7.
