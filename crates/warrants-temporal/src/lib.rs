//! Temporal integration for warrants: client, workflow and activity
//! interceptors (DESIGN §5).
//!
//! This version provides the local dev-server harness ([`dev_server`]) that
//! the integration tests, examples and demo run against; the interceptors
//! follow.

pub mod dev_server;
