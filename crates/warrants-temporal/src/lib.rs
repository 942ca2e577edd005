//! Temporal integration for warrants: client, workflow and activity
//! interceptors (DESIGN §5).
//!
//! Built so far: the warrant headers ([`headers`]), the client interceptor
//! ([`client`]), the preloaded holder-key store ([`keystore`]) and the local
//! dev-server harness ([`dev_server`]) that the integration tests, examples
//! and demo run against. The workflow and activity interceptors follow.

pub mod client;
pub mod dev_server;
pub mod headers;
pub mod keystore;
