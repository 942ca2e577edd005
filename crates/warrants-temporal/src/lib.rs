//! Temporal integration for warrants (DESIGN §5): every activity call is
//! authorized against a signed, holder-bound warrant before its code runs.
//!
//! - [`client`]: the client interceptor that puts the warrant into the
//!   headers of start, signal, query and update calls;
//! - [`workflow`]: the workflow interceptor that carries the warrant to
//!   each activity with a proof of possession signed inside the workflow;
//! - [`activity`]: the activity interceptor that verifies it;
//! - [`config`], [`registry`], [`keystore`], [`audit`], [`proofs`]: the
//!   configuration and what it refers to;
//! - [`env`](mod@env): the same configuration from `WARRANT_*` environment
//!   variables in one call, with holder keys from env, files,
//!   Vault/OpenBao or AWS KMS through `warrants-keys`;
//! - [`dev_server`]: the local Temporal dev-server harness used by tests,
//!   examples and the demo.
//!
//! ```ignore
//! let warrants = Warrants::builder()
//!     .trusted_root(root_public_key)
//!     .keys(KeyStore::from_env(["agent"])?)
//!     .activities(ActivityRegistry::new().protect(FsActs::read_file, "read_file"))
//!     .build()?;
//! let worker_opts = warrants
//!     .wire_worker(WorkerOptions::new("queue").register_activities(FsActs))
//!     .register_workflow::<Agent>()?
//!     .build();
//! ```
//! See `docs/TEMPORAL.md` for the user guide.

use std::sync::Arc;

use temporalio_sdk::worker_options_builder;
use temporalio_sdk::workflow_replayer::{
    workflow_replayer_options_builder, WorkflowReplayerOptionsBuilder,
};
use temporalio_sdk::WorkerOptionsBuilder;

pub mod activity;
pub mod audit;
pub mod client;
pub mod config;
pub mod dev_server;
pub mod env;
pub mod headers;
pub mod keystore;
pub mod messages;
pub mod proofs;
pub mod registry;
pub mod stage;
pub mod workflow;

pub use activity::WarrantActivityInterceptor;
pub use audit::{AuditEvent, AuditSink, MemorySink, TracingSink};
pub use client::{with_warrant, without_warrant, WarrantClientInterceptor, WarrantHeaders};
pub use config::{ConfigError, LocalActivityPolicy, Mode, WarrantsConfig, WarrantsConfigBuilder};
pub use keystore::KeyStore;
pub use messages::{MessageKind, MessageRegistry};
pub use proofs::{MemoryProofStore, ProofStore};
pub use registry::ActivityRegistry;
pub use stage::{delegate, under, Delegation, DelegationError, StageWarrant};
pub use warrants::authorizer::Redaction;
pub use workflow::WarrantWorkflowInterceptor;

use temporalio_common::error::{ActivityExecutionError, IncomingError};
use temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo;

/// The warrant denial code of a failed activity call, as workflow code sees
/// it (`None` when the failure is not a warrant denial). A remote activity's
/// denial is the failure's cause; a local activity's is the failure itself;
/// this reads both.
pub fn denial_code(err: &ActivityExecutionError) -> Option<&str> {
    let code = match err.cause() {
        Some(IncomingError::Application(a)) => a.type_name(),
        _ => match err.failure().and_then(|f| f.failure_info.as_ref()) {
            Some(FailureInfo::ApplicationFailureInfo(i)) => Some(i.r#type.as_str()),
            _ => None,
        },
    }?;
    warrants::Denial::CODES.contains(&code).then_some(code)
}

/// A built configuration, cheap to clone, that wires workers and
/// replayers.
#[derive(Debug, Clone)]
pub struct Warrants {
    cfg: Arc<WarrantsConfig>,
}

impl Warrants {
    /// Start configuring (same as [`WarrantsConfig::builder`]).
    pub fn builder() -> WarrantsConfigBuilder {
        WarrantsConfig::builder()
    }

    pub(crate) fn from_config(cfg: WarrantsConfig) -> Self {
        Self { cfg: Arc::new(cfg) }
    }

    /// The configuration.
    pub fn config(&self) -> &WarrantsConfig {
        &self.cfg
    }

    /// The workflow interceptor constructor.
    pub fn workflow_interceptor(
        &self,
    ) -> temporalio_sdk::workflow_interceptors::WorkflowInterceptorConstructor {
        WarrantWorkflowInterceptor::constructor(Arc::clone(&self.cfg))
    }

    /// The activity interceptor.
    pub fn activity_interceptor(&self) -> WarrantActivityInterceptor {
        WarrantActivityInterceptor::new(Arc::clone(&self.cfg))
    }

    /// Add both interceptors to a worker's options. Call it before adding
    /// other activity interceptors so that authorization runs first.
    pub fn wire_worker<S: worker_options_builder::State>(
        &self,
        options: WorkerOptionsBuilder<S>,
    ) -> WorkerOptionsBuilder<S> {
        options
            .activity_inbound_interceptor(self.activity_interceptor())
            .workflow_interceptor(self.workflow_interceptor())
    }

    /// A configuration for replaying histories of workers that ran with
    /// the defaults (`require_warrant(true)`, `Mode::Enforce`, no signal or
    /// update allow-lists, no message warrants): no trusted root, no keys,
    /// no registry, since the workflow's commands then depend on none of
    /// them. For other settings use
    /// [`WarrantsConfigBuilder::build_for_replay`]. Never run a worker
    /// with it: it trusts nothing.
    pub fn for_replay() -> Self {
        WarrantsConfig::builder().build_for_replay()
    }

    /// Add the workflow interceptor to a replayer's options, so histories
    /// replay exactly as the worker ran them. The replayer needs no holder
    /// keys: headers on commands are not compared on replay.
    pub fn wire_replayer<S: workflow_replayer_options_builder::State>(
        &self,
        options: WorkflowReplayerOptionsBuilder<S>,
    ) -> WorkflowReplayerOptionsBuilder<S> {
        options.workflow_interceptor(self.workflow_interceptor())
    }
}
