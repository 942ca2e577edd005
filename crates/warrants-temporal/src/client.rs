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
use warrants::{Chain, Pop, SigningKey};

use crate::headers::{insert_if_absent, X_WARRANT, X_WARRANT_KEY_ID, X_WARRANT_POP};
use crate::messages::{message_context, MessageInput, MessageKind, MessageRegistry};

/// What the client sends: the chain bytes and the id of the key that holds
/// the leaf (workers resolve the private key by this id; it never travels).
/// With [`WarrantHeaders::with_holder_key`] the client also signs proofs for
/// warrant-gated signals and updates ([`crate::messages`]).
#[derive(Clone)]
pub struct WarrantHeaders {
    chain: Vec<u8>,
    key_id: String,
    leaf_hash: Option<[u8; 32]>,
    holder: Option<Arc<SigningKey>>,
}

impl std::fmt::Debug for WarrantHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarrantHeaders")
            .field("chain_bytes", &self.chain.len())
            .field("key_id", &self.key_id)
            .field("holder_key", &self.holder.is_some())
            .finish()
    }
}

impl WarrantHeaders {
    /// Headers for `chain`, held by the key named `key_id`.
    pub fn new(chain: &Chain, key_id: impl Into<String>) -> Self {
        Self {
            chain: chain.to_bytes(),
            key_id: key_id.into(),
            leaf_hash: chain.leaf().map(|l| *l.hash()),
            holder: None,
        }
    }

    /// Headers from raw chain bytes (sent as they are; workers verify).
    pub fn from_bytes(chain: Vec<u8>, key_id: impl Into<String>) -> Self {
        let leaf_hash = Chain::from_bytes(&chain)
            .ok()
            .and_then(|c| c.leaf().map(|l| *l.hash()));
        Self {
            chain,
            key_id: key_id.into(),
            leaf_hash,
            holder: None,
        }
    }

    /// Also sign proofs for warrant-gated signals and updates with the
    /// leaf holder's key (kept in memory only; never sent).
    #[must_use]
    pub fn with_holder_key(mut self, key: SigningKey) -> Self {
        self.holder = Some(Arc::new(key));
        self
    }

    /// A proof for one message, when this warrant has a holder key and the
    /// registry knows the message.
    fn message_proof(
        &self,
        registry: Option<&MessageRegistry>,
        kind: MessageKind,
        name: &str,
        input: &MessageInput<'_>,
        workflow_id: &str,
        id_or_name: &str,
    ) -> Option<Vec<u8>> {
        let key = self.holder.as_ref()?;
        let leaf = self.leaf_hash.as_ref()?;
        let args = registry?.read(kind, name, input)?.ok()?;
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let context = message_context(workflow_id, id_or_name);
        let pop = Pop::sign_for_leaf(key, leaf, &kind.tool(name), &args, &context, ts);
        Some(pop.to_bytes())
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
    messages: Option<Arc<MessageRegistry>>,
}

impl WarrantClientInterceptor {
    /// An interceptor that sends `default` unless a scope chooses otherwise.
    pub fn with_default(default: WarrantHeaders) -> Self {
        Self {
            default: Some(Arc::new(default)),
            messages: None,
        }
    }

    /// Sign proofs for the signals and updates in `registry` (when the
    /// call's warrant has a holder key), for workers that require
    /// warrant-gated messages.
    #[must_use]
    pub fn messages(mut self, registry: MessageRegistry) -> Self {
        self.messages = Some(Arc::new(registry));
        self
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
        if let Some(w) = self.current() {
            w.inject(&mut input.options.header);
            let name = input.signal_name.clone();
            let pop = w.message_proof(
                self.messages.as_deref(),
                MessageKind::Signal,
                &name,
                &MessageInput::ClientSignal(&input),
                &input.workflow_id,
                &name,
            );
            if let Some(p) = pop {
                insert_if_absent(&mut input.options.header, X_WARRANT_POP, &p);
            }
        }
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
        if let Some(w) = self.current() {
            w.inject(&mut input.options.header);
            let registered = self.messages.as_deref().is_some_and(|m| {
                m.read(
                    MessageKind::Update,
                    &input.update_name,
                    &MessageInput::ClientUpdate(&input),
                )
                .is_some()
            });
            if registered && w.holder.is_some() {
                // The proof binds the update id: choose one if the caller did not.
                let id = input
                    .options
                    .update_id
                    .get_or_insert_with(|| warrants::WarrantId::random().to_hex())
                    .clone();
                let name = input.update_name.clone();
                let pop = w.message_proof(
                    self.messages.as_deref(),
                    MessageKind::Update,
                    &name,
                    &MessageInput::ClientUpdate(&input),
                    &input.workflow_id,
                    &id,
                );
                if let Some(p) = pop {
                    insert_if_absent(&mut input.options.header, X_WARRANT_POP, &p);
                }
            }
        }
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
