//! Temporal integration for warrants: client, workflow and activity interceptors.
//!
//! This crate is filled by a later issue; see `DESIGN.md` §5.
