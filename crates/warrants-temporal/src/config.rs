//! The worker configuration: one struct, one builder.
//!
//! ```ignore
//! let warrants = WarrantsConfig::builder()
//!     .trusted_root(issuer_public_key)
//!     .keys(KeyStore::from_env(["agent-1"])?)
//!     .activities(registry)
//!     .build()?;
//! let opts = warrants.wire_worker(WorkerOptions::new("queue").register_activities(acts)).build();
//! ```

use std::collections::HashSet;
use std::sync::Arc;

use warrants::authorizer::Redaction;
use warrants::{Authorizer, PublicKey};

use crate::audit::{AuditSink, TracingSink};
use crate::keystore::KeyStore;
use crate::messages::MessageRegistry;
use crate::proofs::{MemoryProofStore, ProofStore};
use crate::registry::ActivityRegistry;

/// Default seconds a proof may predate the activity's scheduled time.
///
/// The proof is made at workflow time (the start of the workflow task);
/// the server stamps `scheduled_time` when the task completes. A task that
/// runs long (many local activities, heavy code) widens the gap.
pub const DEFAULT_POP_BEFORE_SECS: u64 = 300;
/// Default seconds a proof may postdate the scheduled time (clock skew).
pub const DEFAULT_POP_AFTER_SECS: u64 = 30;
/// Default extra age allowed for a local activity's proof on attempts
/// after the first (see [`WarrantsConfigBuilder::local_retry_grace`]).
pub const DEFAULT_LOCAL_RETRY_GRACE_SECS: u64 = 24 * 3600;

/// What a denial does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Deny: the activity fails with a non-retryable error and its body
    /// never runs (the default).
    #[default]
    Enforce,
    /// Record and count the denial, then run the activity anyway. For
    /// rolling out warrants on existing workloads.
    Audit,
}

impl Mode {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
        }
    }
}

/// How local activities are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LocalActivityPolicy {
    /// Authorize them like any activity (the default).
    #[default]
    Authorize,
    /// Deny every local activity (`LOCAL_ACTIVITY_BLOCKED`).
    Block,
    /// Run them without a check.
    Allow,
}

/// Why the configuration is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No trusted root key was given: nothing could ever verify.
    #[error("no trusted root key configured")]
    NoTrustedRoot,
    /// The chain-depth limit is outside 1..=64.
    #[error("max chain links must be between 1 and 64, got {0}")]
    ChainDepth(usize),
    /// A revocation list was refused (bad signature, untrusted issuer, ...).
    #[error("revocation list refused: {0}")]
    Revocation(String),
}

impl ConfigError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::NoTrustedRoot => "CONFIG_NO_TRUSTED_ROOT",
            ConfigError::ChainDepth(_) => "CONFIG_CHAIN_DEPTH",
            ConfigError::Revocation(_) => "CONFIG_REVOCATION",
        }
    }
}

/// The resolved configuration, shared by the interceptors.
pub struct WarrantsConfig {
    pub(crate) authorizer: Authorizer,
    pub(crate) keys: KeyStore,
    pub(crate) require_warrant: bool,
    pub(crate) mode: Mode,
    pub(crate) local_policy: LocalActivityPolicy,
    pub(crate) registry: ActivityRegistry,
    pub(crate) redaction: Redaction,
    pub(crate) audit: Arc<dyn AuditSink>,
    pub(crate) proofs: Arc<dyn ProofStore>,
    pub(crate) pop_before: u64,
    pub(crate) pop_after: u64,
    pub(crate) local_retry_grace: u64,
    pub(crate) signals: Option<HashSet<String>>,
    pub(crate) updates: Option<HashSet<String>>,
    pub(crate) message_warrants: bool,
    pub(crate) messages: MessageRegistry,
}

impl std::fmt::Debug for WarrantsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarrantsConfig")
            .field("keys", &self.keys)
            .field("require_warrant", &self.require_warrant)
            .field("mode", &self.mode)
            .field("local_policy", &self.local_policy)
            .field("registry", &self.registry)
            .field("redaction", &self.redaction)
            .field("pop_before", &self.pop_before)
            .field("pop_after", &self.pop_after)
            .field("local_retry_grace", &self.local_retry_grace)
            .field("signals", &self.signals)
            .field("updates", &self.updates)
            .field("message_warrants", &self.message_warrants)
            .field("messages", &self.messages)
            .finish_non_exhaustive()
    }
}

impl WarrantsConfig {
    /// Start configuring.
    pub fn builder() -> WarrantsConfigBuilder {
        WarrantsConfigBuilder::default()
    }

    /// The core authorizer (e.g. to install revocation lists).
    pub fn authorizer(&self) -> &Authorizer {
        &self.authorizer
    }

    /// The holder keys.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// The activity registry.
    pub fn registry(&self) -> &ActivityRegistry {
        &self.registry
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether the signal `name` is accepted.
    pub fn signal_allowed(&self, name: &str) -> bool {
        self.signals.as_ref().is_none_or(|s| s.contains(name))
    }

    /// Whether the update `name` is accepted.
    pub fn update_allowed(&self, name: &str) -> bool {
        self.updates.as_ref().is_none_or(|s| s.contains(name))
    }
}

/// Builds a [`WarrantsConfig`] (returned inside [`crate::Warrants`]).
#[must_use]
pub struct WarrantsConfigBuilder {
    roots: Vec<PublicKey>,
    keys: KeyStore,
    require_warrant: bool,
    mode: Mode,
    max_chain_links: usize,
    clock_skew: u64,
    local_policy: LocalActivityPolicy,
    registry: ActivityRegistry,
    redaction: Redaction,
    audit: Arc<dyn AuditSink>,
    proofs: Arc<dyn ProofStore>,
    pop_before: u64,
    pop_after: u64,
    local_retry_grace: u64,
    revocations: Vec<warrants::RevocationList>,
    signals: Option<HashSet<String>>,
    updates: Option<HashSet<String>>,
    message_warrants: bool,
    messages: MessageRegistry,
}

impl Default for WarrantsConfigBuilder {
    fn default() -> Self {
        Self {
            roots: Vec::new(),
            keys: KeyStore::new(),
            require_warrant: true,
            mode: Mode::Enforce,
            max_chain_links: warrants::limits::DEFAULT_MAX_CHAIN_LINKS,
            clock_skew: warrants::authorizer::DEFAULT_CLOCK_SKEW_SECS,
            local_policy: LocalActivityPolicy::Authorize,
            registry: ActivityRegistry::new(),
            redaction: Redaction::On,
            audit: Arc::new(TracingSink),
            proofs: Arc::new(MemoryProofStore::default()),
            pop_before: DEFAULT_POP_BEFORE_SECS,
            pop_after: DEFAULT_POP_AFTER_SECS,
            local_retry_grace: DEFAULT_LOCAL_RETRY_GRACE_SECS,
            revocations: Vec::new(),
            signals: None,
            updates: None,
            message_warrants: false,
            messages: MessageRegistry::new(),
        }
    }
}

impl WarrantsConfigBuilder {
    /// Trust warrants whose root is issued by `key`.
    pub fn trusted_root(mut self, key: PublicKey) -> Self {
        self.roots.push(key);
        self
    }

    /// Trust several root keys.
    pub fn trusted_roots(mut self, keys: impl IntoIterator<Item = PublicKey>) -> Self {
        self.roots.extend(keys);
        self
    }

    /// The preloaded holder keys that workflow code signs proofs with.
    pub fn keys(mut self, keys: KeyStore) -> Self {
        self.keys = keys;
        self
    }

    /// Whether a workflow must carry a warrant (default `true`). When
    /// `false`, workflows and activity calls without any `x-warrant`
    /// header run unchecked (recorded as skipped); a warrant that is
    /// present is always verified.
    pub fn require_warrant(mut self, required: bool) -> Self {
        self.require_warrant = required;
        self
    }

    /// Enforce (default) or audit.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Most links a chain may have (default 16, at most 64).
    pub fn max_chain_links(mut self, n: usize) -> Self {
        self.max_chain_links = n;
        self
    }

    /// Clock skew tolerated on warrant validity times (default 30 s).
    pub fn clock_skew(mut self, secs: u64) -> Self {
        self.clock_skew = secs;
        self
    }

    /// The local-activity policy (default: authorize).
    pub fn local_activity_policy(mut self, policy: LocalActivityPolicy) -> Self {
        self.local_policy = policy;
        self
    }

    /// Protected activities (tool names and argument readers) and the
    /// unprotected ones.
    pub fn activities(mut self, registry: ActivityRegistry) -> Self {
        self.registry = registry;
        self
    }

    /// Whether denial reasons in logs, audit events and failures may show
    /// argument values (default: redacted).
    pub fn redaction(mut self, redaction: Redaction) -> Self {
        self.redaction = redaction;
        self
    }

    /// Where decisions are recorded (default: [`TracingSink`]).
    pub fn audit_sink(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = sink;
        self
    }

    /// Where first-attempt proofs are remembered (default: in memory,
    /// bounded).
    pub fn proof_store(mut self, store: Arc<dyn ProofStore>) -> Self {
        self.proofs = store;
        self
    }

    /// Accept proofs made up to `before` seconds before and `after`
    /// seconds after the activity's scheduled time (defaults 300 and 30).
    pub fn pop_window(mut self, before: u64, after: u64) -> Self {
        self.pop_before = before;
        self.pop_after = after;
        self
    }

    /// Extra age allowed for a local activity's proof on attempts after
    /// the first (default 24 h). Temporal re-dispatches a local activity
    /// after a timer backoff with the first attempt's headers but a new
    /// `scheduled_time` (the worker's clock), so the proof ages by the sum
    /// of the backoffs.
    pub fn local_retry_grace(mut self, secs: u64) -> Self {
        self.local_retry_grace = secs;
        self
    }

    /// Accept only these signal names (default: every signal). A signal
    /// not listed is dropped before its handler runs (the workflow task does
    /// not fail; Temporal cannot refuse a signal), audited and counted.
    /// Applies to every workflow type on the worker.
    pub fn allow_signals<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.signals
            .get_or_insert_with(HashSet::new)
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// Accept only these update names (default: every update). An update
    /// not listed is rejected by its validator when the workflow defines
    /// one (nothing reaches history), else failed in its handler (the
    /// update is recorded as accepted and failed); audited and counted.
    pub fn allow_updates<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.updates
            .get_or_insert_with(HashSet::new)
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// Require every signal and update (that passes the allow-lists) to
    /// carry its own warrant and proof granting `signal:<name>` /
    /// `update:<name>` for its arguments ([`crate::messages`]); default
    /// off. Messages failing the check are handled like unlisted ones
    /// (signals dropped, updates rejected), audited with the denial code.
    pub fn require_message_warrants(mut self, required: bool) -> Self {
        self.message_warrants = required;
        self
    }

    /// How to read signal and update arguments for warrant-gated messages.
    pub fn messages(mut self, registry: MessageRegistry) -> Self {
        self.messages = registry;
        self
    }

    /// Install a root-signed revocation list at start.
    pub fn revocation_list(mut self, list: warrants::RevocationList) -> Self {
        self.revocations.push(list);
        self
    }

    /// Build a configuration for a `WorkflowReplayer` only: keys and the
    /// activity registry may be left out, since the workflow's commands do
    /// not depend on them. What must be the worker's:
    ///
    /// - `require_warrant` and `mode`: they decide whether a run without a
    ///   usable warrant failed at start;
    /// - `allow_signals` / `allow_updates`: a dropped signal or refused
    ///   update whose handler issues commands replays nondeterministically
    ///   otherwise;
    /// - with `require_message_warrants`: also the trusted roots, the
    ///   message registry, the proof window and the revocation lists, since
    ///   each signal and update is checked again on replay (at workflow
    ///   time). A warrant revoked after the run could make a replay drop a
    ///   signal the run accepted.
    ///
    /// Never run a worker with it: without roots it trusts nothing.
    pub fn build_for_replay(self) -> crate::Warrants {
        let authorizer = self.authorizer();
        // Lists refused here leave the replay config without them; `build`
        // reports such errors for workers.
        for list in &self.revocations {
            let _ = authorizer.install_revocations(list);
        }
        self.assemble(authorizer)
    }

    /// Check and build.
    pub fn build(self) -> Result<crate::Warrants, ConfigError> {
        if self.roots.is_empty() {
            return Err(ConfigError::NoTrustedRoot);
        }
        if !(1..=warrants::limits::HARD_MAX_CHAIN_LINKS).contains(&self.max_chain_links) {
            return Err(ConfigError::ChainDepth(self.max_chain_links));
        }
        let authorizer = self.authorizer();
        for list in &self.revocations {
            authorizer
                .install_revocations(list)
                .map_err(|e| ConfigError::Revocation(e.to_string()))?;
        }
        Ok(self.assemble(authorizer))
    }

    /// The core authorizer for the trusted roots, skew and chain limit.
    fn authorizer(&self) -> Authorizer {
        Authorizer::builder()
            .trusted_roots(self.roots.iter().copied())
            .clock_skew(self.clock_skew)
            .max_chain_links(self.max_chain_links)
            .build()
    }

    /// The configuration around `authorizer`.
    fn assemble(self, authorizer: Authorizer) -> crate::Warrants {
        crate::Warrants::from_config(WarrantsConfig {
            authorizer,
            keys: self.keys,
            require_warrant: self.require_warrant,
            mode: self.mode,
            local_policy: self.local_policy,
            registry: self.registry,
            redaction: self.redaction,
            audit: self.audit,
            proofs: self.proofs,
            pop_before: self.pop_before,
            pop_after: self.pop_after,
            local_retry_grace: self.local_retry_grace,
            signals: self.signals,
            updates: self.updates,
            message_warrants: self.message_warrants,
            messages: self.messages,
        })
    }
}
