//! Warrants other than the start's, inside a workflow: stage warrants and
//! delegation.
//!
//! A workflow starts with the warrant of its start headers. Workflow code
//! can run part of its work under another warrant it holds:
//!
//! - a **stage warrant** it received (e.g. as workflow input), with the id
//!   of the key that holds it: [`StageWarrant::from_bytes`];
//! - a **delegated** warrant minted in the workflow by attenuating the
//!   current one: [`delegate`] (fewer tools, narrower constraints, a
//!   shorter TTL, optionally another holder). Minting is deterministic: the
//!   id comes from the named random stream `warrants/warrant-id`, the issue
//!   time is workflow time and Ed25519 signatures are deterministic, so a
//!   replay produces byte-identical warrants. A request that would widen
//!   anything returns a typed [`DelegationError`] and schedules nothing.
//!
//! [`under`] runs a future with such a warrant as the *active* warrant (a
//! workflow-scoped context value, no global state): every activity, child
//! workflow, external signal and continue-as-new started inside it carries
//! that warrant, with proofs signed by its holder key. Outside, the start
//! warrant applies again.
//!
//! ```ignore
//! let child = delegate(ctx, &Delegation::new(Duration::from_secs(60)).keep("read_file"))?;
//! let out = under(ctx, child, || async {
//!     let started = ctx.start_child_workflow(Reader::run, input, opts).await?;
//!     Ok::<_, WorkflowTermination>(started.result().await?)
//! })
//! .await?;
//! ```
//!
//! [`DelegationError`] converts into a non-retryable workflow failure
//! typed with its code, so `?` works in a `#[run]` method.

use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use temporalio_common::error::ApplicationFailure;
use temporalio_sdk::{
    SyncWorkflowContext, WorkflowContext, WorkflowContextKey, WorkflowTermination,
};
use temporalio_workflow::WorkflowContextFuture;
use warrants::{
    BuildError, Chain, Constraint, ConstraintSet, DecodeError, LinkRule, PublicKey, SigningKey,
    Warrant, WarrantId,
};

use crate::config::WarrantsConfig;

/// A warrant chain and the id of the key that holds its leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageWarrant {
    chain: Chain,
    key_id: String,
}

impl StageWarrant {
    /// A stage warrant from a decoded chain.
    pub fn new(chain: Chain, key_id: impl Into<String>) -> Self {
        Self {
            chain,
            key_id: key_id.into(),
        }
    }

    /// A stage warrant from chain bytes (e.g. workflow input).
    pub fn from_bytes(bytes: &[u8], key_id: impl Into<String>) -> Result<Self, DelegationError> {
        let chain = Chain::from_bytes(bytes).map_err(DelegationError::Malformed)?;
        if chain.is_empty() {
            return Err(DelegationError::NoWarrant);
        }
        Ok(Self::new(chain, key_id))
    }

    /// The chain.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The holder key id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

/// Context key of the active warrant (set by [`under`]).
#[derive(Debug)]
pub struct ActiveWarrant;

impl WorkflowContextKey for ActiveWarrant {
    type Value = StageWarrant;
}

/// What the workflow interceptor makes available to workflow code.
pub(crate) struct Runtime {
    pub(crate) cfg: Arc<WarrantsConfig>,
    pub(crate) start: Option<StageWarrant>,
}

/// Context key of [`Runtime`] (set by the interceptor around the run).
pub(crate) struct RuntimeKey;

impl WorkflowContextKey for RuntimeKey {
    type Value = Runtime;
}

/// Workflow contexts the helpers accept (`WorkflowContext` in the run
/// method, `SyncWorkflowContext` in handlers).
pub trait WarrantContext {
    /// See `WorkflowContext::context_value`.
    fn value<K: WorkflowContextKey>(&self) -> Option<Rc<K::Value>>;
    /// The next `u64` of the named deterministic random stream.
    fn random_u64(&self, stream: &str) -> u64;
    /// Workflow time.
    fn time(&self) -> Option<SystemTime>;
    /// Whether the workflow is replaying.
    fn replaying(&self) -> bool;
}

impl<W> WarrantContext for WorkflowContext<W> {
    fn value<K: WorkflowContextKey>(&self) -> Option<Rc<K::Value>> {
        self.context_value::<K>()
    }
    fn random_u64(&self, stream: &str) -> u64 {
        self.random_stream(stream).random()
    }
    fn time(&self) -> Option<SystemTime> {
        self.workflow_time()
    }
    fn replaying(&self) -> bool {
        self.is_replaying()
    }
}

impl<W> WarrantContext for SyncWorkflowContext<W> {
    fn value<K: WorkflowContextKey>(&self) -> Option<Rc<K::Value>> {
        self.context_value::<K>()
    }
    fn random_u64(&self, stream: &str) -> u64 {
        self.random_stream(stream).random()
    }
    fn time(&self) -> Option<SystemTime> {
        self.workflow_time()
    }
    fn replaying(&self) -> bool {
        self.is_replaying()
    }
}

/// Run the future that `make` builds with `warrant` as the active warrant
/// of everything it starts.
///
/// `make` is called inside the scope: Temporal runs the workflow
/// interceptor when an activity or child workflow is *requested* (when
/// `execute_activity(..)` is called), not when its future is first polled,
/// so a call made before the scope would carry the outer warrant. Write
/// `under(ctx, w, || ctx.execute_activity(..))` or
/// `under(ctx, w, || async { .. })`.
pub fn under<W, F: Future>(
    ctx: &WorkflowContext<W>,
    warrant: StageWarrant,
    make: impl FnOnce() -> F,
) -> WorkflowContextFuture<F> {
    let fut = ctx.with_context_value_sync::<ActiveWarrant, _>(warrant.clone(), make);
    ctx.with_context_value::<ActiveWarrant, F>(warrant, fut)
}

/// The warrant that applies here: the innermost [`under`], else the start
/// warrant (`None` when the run has none or the interceptor is not wired).
pub fn current(ctx: &impl WarrantContext) -> Option<StageWarrant> {
    if let Some(w) = ctx.value::<ActiveWarrant>() {
        return Some((*w).clone());
    }
    ctx.value::<RuntimeKey>().and_then(|r| r.start.clone())
}

/// Name of the deterministic random stream delegated warrant ids come from.
pub const WARRANT_ID_STREAM: &str = "warrants/warrant-id";

#[derive(Debug, Clone)]
enum Holder {
    Same,
    KeyId(String),
    Key(String, Box<PublicKey>),
}

/// What a delegated warrant grants; see [`delegate`]. Starts empty: every
/// tool must be named.
#[derive(Debug, Clone)]
#[must_use]
pub struct Delegation {
    ttl: Duration,
    tools: Vec<(String, Grant)>,
    holder: Holder,
    max_depth: Option<u32>,
}

#[derive(Debug, Clone)]
enum Grant {
    Keep,
    Set(ConstraintSet),
}

impl Delegation {
    /// A delegation valid for `ttl` from workflow time (it must end no later
    /// than the parent).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            tools: Vec::new(),
            holder: Holder::Same,
            max_depth: None,
        }
    }

    /// Grant `tool` with the parent's constraints unchanged.
    pub fn keep(mut self, tool: impl Into<String>) -> Self {
        self.tools.push((tool.into(), Grant::Keep));
        self
    }

    /// Grant `tool` with these argument constraints (closed world); each
    /// must be at least as narrow as the parent's.
    pub fn capability<K: Into<String>>(
        mut self,
        tool: impl Into<String>,
        args: impl IntoIterator<Item = (K, Constraint)>,
    ) -> Self {
        self.tools
            .push((tool.into(), Grant::Set(ConstraintSet::from_args(args))));
        self
    }

    /// Hold the new warrant with the worker's key `key_id` (its public key
    /// is taken from the key store). Default: the current holder.
    pub fn holder_key_id(mut self, key_id: impl Into<String>) -> Self {
        self.holder = Holder::KeyId(key_id.into());
        self
    }

    /// Hold the new warrant with `key`, known to other workers as `key_id`
    /// (this worker need not hold it).
    pub fn holder(mut self, key_id: impl Into<String>, key: PublicKey) -> Self {
        self.holder = Holder::Key(key_id.into(), Box::new(key));
        self
    }

    /// Cap the new warrant's delegation depth.
    pub fn max_depth(mut self, depth: u32) -> Self {
        self.max_depth = Some(depth);
        self
    }
}

/// Why a delegated warrant could not be minted. Nothing was scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DelegationError {
    /// The run has no warrant (or the interceptor is not wired).
    #[error("no warrant to delegate from")]
    NoWarrant,
    /// Workflow time is not available.
    #[error("workflow time unavailable")]
    NoTime,
    /// The grant would widen the parent or is otherwise invalid.
    #[error("delegation refused: {0}")]
    Refused(BuildError),
    /// The new link does not attach to the chain.
    #[error("delegation refused: {0}")]
    Link(LinkRule),
    /// Stage warrant bytes that do not decode.
    #[error("stage warrant does not decode: {0}")]
    Malformed(DecodeError),
}

impl From<DelegationError> for WorkflowTermination {
    /// A non-retryable application failure typed with the code.
    fn from(e: DelegationError) -> Self {
        WorkflowTermination::failed_application(
            ApplicationFailure::builder(e.to_string())
                .type_name(e.code().to_owned())
                .non_retryable(true)
                .build(),
        )
    }
}

impl DelegationError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            DelegationError::NoWarrant => "WARRANT_MISSING",
            DelegationError::NoTime => "DELEGATION_NO_TIME",
            DelegationError::Refused(_) | DelegationError::Link(_) => "DELEGATION_REFUSED",
            DelegationError::Malformed(_) => "WARRANT_MALFORMED",
        }
    }
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Mint a delegated warrant from the [`current`] one, inside the workflow,
/// signed by the current holder key from the worker's key store.
///
/// Whether it succeeds depends only on the parent warrant, the request and
/// workflow time — never on the worker's keys — so a replayer without keys
/// takes the same path as the live run. Keys decide only the bytes (which
/// replay does not compare): without the current holder's key the new link
/// carries a signature that does not verify (every use is denied
/// `CHAIN_INVALID`, and a warning is logged); a
/// [`Delegation::holder_key_id`] missing from the store leaves the current
/// holder as the link's holder, so the new key id's calls are denied
/// `KEY_NOT_FOUND`.
pub fn delegate(
    ctx: &impl WarrantContext,
    d: &Delegation,
) -> Result<StageWarrant, DelegationError> {
    let parent = current(ctx).ok_or(DelegationError::NoWarrant)?;
    let runtime = ctx
        .value::<RuntimeKey>()
        .ok_or(DelegationError::NoWarrant)?;
    // Whether delegation succeeds must not depend on the key store: a
    // replayer holds no keys, and the workflow's commands must not change
    // with it. Keys only decide the bytes (headers are not compared on
    // replay); a missing key fails closed where the warrant is used.
    let keys = &runtime.cfg.keys;
    let leaf = parent.chain.leaf().ok_or(DelegationError::NoWarrant)?;
    let (key_id, holder) = match &d.holder {
        Holder::Same => (parent.key_id.clone(), *leaf.holder()),
        // Key not in this store: the current holder stands in (no
        // widening; the real holder's proofs will not verify against it).
        Holder::KeyId(id) => (
            id.clone(),
            keys.get(id).map_or(*leaf.holder(), |k| k.public_key()),
        ),
        Holder::Key(id, pk) => (id.clone(), **pk),
    };
    let now = ctx.time().map(unix_secs).ok_or(DelegationError::NoTime)?;
    let mut id = [0u8; 16];
    let (a, b) = id.split_at_mut(8);
    a.copy_from_slice(&ctx.random_u64(WARRANT_ID_STREAM).to_be_bytes());
    b.copy_from_slice(&ctx.random_u64(WARRANT_ID_STREAM).to_be_bytes());
    let mut g = leaf
        .grant_builder()
        .holder(holder)
        .ttl(d.ttl)
        .issued_at(now)
        .id(WarrantId(id));
    if let Some(m) = d.max_depth {
        g = g.max_depth(m);
    }
    for (tool, grant) in &d.tools {
        g = match grant {
            Grant::Keep => g.inherit(tool.clone()),
            Grant::Set(set) => g.capability_set(tool.clone(), set.clone()),
        };
    }
    let unsigned = g.prepare().map_err(DelegationError::Refused)?;
    // Without the current holder's key, the new link gets a signature that
    // does not verify: the authorizer denies it CHAIN_INVALID.
    let placeholder;
    let signer = keys.get(&parent.key_id);
    let key = match signer.as_deref() {
        Some(k) if k.public_key() == *leaf.holder() => k,
        _ => {
            if !ctx.replaying() {
                tracing::warn!(target: "warrants", key_id = %parent.key_id,
                    "holder key not in this worker's key store; the delegated link will not verify");
            }
            placeholder = SigningKey::from_seed(&[0; 32]);
            &placeholder
        }
    };
    let child = Warrant::sign_payload(unsigned.payload().clone(), key)
        .map_err(|e| DelegationError::Refused(BuildError::Encoding(e)))?;
    let chain = parent.chain.push(child).map_err(DelegationError::Link)?;
    Ok(StageWarrant::new(chain, key_id))
}
