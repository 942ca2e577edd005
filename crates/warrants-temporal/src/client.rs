//! Client side: put the warrant into the headers of every workflow-facing
//! call.
//!
//! [`WarrantClientInterceptor`] adds `x-warrant` (chain bytes) and
//! `x-warrant-key-id` (holder key id) to start, signal, signal-with-start,
//! query, update and update-with-start (both of its headers). The warrant
//! is chosen per call with [`with_warrant`] / [`without_warrant`] (a
//! task-scoped value, no global mutable state), falling back to the
//! interceptor's default. A header the caller set explicitly is kept.

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use temporalio_client::errors::{
    WorkflowInteractionError, WorkflowQueryError, WorkflowStartError, WorkflowUpdateError,
    WorkflowUpdateWithStartError,
};
use temporalio_client::{
    ClientInterceptor, Next, QueryWorkflowInput, QueryWorkflowOutput, SignalWithStartWorkflowInput,
    SignalWorkflowInput, StartWorkflowInput, StartWorkflowOutput, StartWorkflowUpdateInput,
    StartWorkflowUpdateOutput, UpdateWithStartWorkflowInput, UpdateWithStartWorkflowOutput,
};
use temporalio_common::protos::temporal::api::common::v1::Header;
use warrants::Chain;

use crate::headers::{insert_if_absent, X_WARRANT, X_WARRANT_KEY_ID};

/// What the client sends: the chain bytes and the id of the key that holds
/// the leaf (workers resolve the private key by this id; it never travels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarrantHeaders {
    chain: Vec<u8>,
    key_id: String,
}

impl WarrantHeaders {
    /// Headers for `chain`, held by the key named `key_id`.
    pub fn new(chain: &Chain, key_id: impl Into<String>) -> Self {
        Self {
            chain: chain.to_bytes(),
            key_id: key_id.into(),
        }
    }

    /// Headers from raw chain bytes (sent as they are; workers verify).
    pub fn from_bytes(chain: Vec<u8>, key_id: impl Into<String>) -> Self {
        Self {
            chain,
            key_id: key_id.into(),
        }
    }

    /// The chain bytes.
    pub fn chain_bytes(&self) -> &[u8] {
        &self.chain
    }

    /// The holder key id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    fn inject(&self, header: &mut Option<Header>) {
        insert_if_absent(header, X_WARRANT, &self.chain);
        insert_if_absent(header, X_WARRANT_KEY_ID, self.key_id.as_bytes());
    }
}

tokio::task_local! {
    /// The warrant chosen for calls made inside a scope (`None`: send none).
    static SCOPED: Option<Arc<WarrantHeaders>>;
}

/// Run `fut` with `warrant` as the warrant of every client call it makes
/// (in this task; a task spawned inside does not inherit it).
pub async fn with_warrant<F: Future>(warrant: WarrantHeaders, fut: F) -> F::Output {
    SCOPED.scope(Some(Arc::new(warrant)), fut).await
}

/// Run `fut` with no warrant on its client calls, whatever the default.
pub async fn without_warrant<F: Future>(fut: F) -> F::Output {
    SCOPED.scope(None, fut).await
}

/// The client interceptor. Register it with
/// `ClientOptions::new(ns).client_interceptors(vec![interceptor.into_arc()])`.
#[derive(Debug, Clone, Default)]
pub struct WarrantClientInterceptor {
    default: Option<Arc<WarrantHeaders>>,
}

impl WarrantClientInterceptor {
    /// An interceptor that sends `default` unless a scope chooses otherwise.
    pub fn with_default(default: WarrantHeaders) -> Self {
        Self {
            default: Some(Arc::new(default)),
        }
    }

    /// An interceptor with no default: only scoped calls carry a warrant.
    pub fn scoped_only() -> Self {
        Self::default()
    }

    /// As the `Arc<dyn ClientInterceptor>` the client options take.
    pub fn into_arc(self) -> Arc<dyn ClientInterceptor> {
        Arc::new(self)
    }

    /// Add this interceptor to client options, outermost (so the headers
    /// are set before any other interceptor sees the call).
    pub fn wire(
        self,
        mut options: temporalio_client::ClientOptions,
    ) -> temporalio_client::ClientOptions {
        options.client_interceptors.insert(0, self.into_arc());
        options
    }

    /// The warrant for the current call.
    fn current(&self) -> Option<Arc<WarrantHeaders>> {
        SCOPED
            .try_with(Clone::clone)
            .unwrap_or_else(|_| self.default.clone())
    }

    fn inject(&self, header: &mut Option<Header>) {
        if let Some(w) = self.current() {
            w.inject(header);
        }
    }
}

type Fut<'a, T> = BoxFuture<'a, T>;

impl ClientInterceptor for WarrantClientInterceptor {
    fn start_workflow<'a>(
        &'a self,
        mut input: StartWorkflowInput,
        next: Next<
            'a,
            StartWorkflowInput,
            Fut<'a, Result<StartWorkflowOutput, WorkflowStartError>>,
        >,
    ) -> Fut<'a, Result<StartWorkflowOutput, WorkflowStartError>> {
        self.inject(&mut input.options.header);
        next.run(input)
    }

    fn signal_with_start_workflow<'a>(
        &'a self,
        mut input: SignalWithStartWorkflowInput,
        next: Next<
            'a,
            SignalWithStartWorkflowInput,
            Fut<'a, Result<StartWorkflowOutput, WorkflowStartError>>,
        >,
    ) -> Fut<'a, Result<StartWorkflowOutput, WorkflowStartError>> {
        self.inject(&mut input.options.header);
        next.run(input)
    }

    fn signal_workflow<'a>(
        &'a self,
        mut input: SignalWorkflowInput,
        next: Next<'a, SignalWorkflowInput, Fut<'a, Result<(), WorkflowInteractionError>>>,
    ) -> Fut<'a, Result<(), WorkflowInteractionError>> {
        self.inject(&mut input.options.header);
        next.run(input)
    }

    fn query_workflow<'a>(
        &'a self,
        mut input: QueryWorkflowInput,
        next: Next<
            'a,
            QueryWorkflowInput,
            Fut<'a, Result<QueryWorkflowOutput, WorkflowQueryError>>,
        >,
    ) -> Fut<'a, Result<QueryWorkflowOutput, WorkflowQueryError>> {
        self.inject(&mut input.options.header);
        next.run(input)
    }

    fn start_workflow_update<'a>(
        &'a self,
        mut input: StartWorkflowUpdateInput,
        next: Next<
            'a,
            StartWorkflowUpdateInput,
            Fut<'a, Result<StartWorkflowUpdateOutput, WorkflowUpdateError>>,
        >,
    ) -> Fut<'a, Result<StartWorkflowUpdateOutput, WorkflowUpdateError>> {
        self.inject(&mut input.options.header);
        next.run(input)
    }

    fn update_with_start_workflow<'a>(
        &'a self,
        mut input: UpdateWithStartWorkflowInput,
        next: Next<
            'a,
            UpdateWithStartWorkflowInput,
            Fut<'a, Result<UpdateWithStartWorkflowOutput, WorkflowUpdateWithStartError>>,
        >,
    ) -> Fut<'a, Result<UpdateWithStartWorkflowOutput, WorkflowUpdateWithStartError>> {
        self.inject(&mut input.options.start_header);
        self.inject(&mut input.options.update_header);
        next.run(input)
    }
}
