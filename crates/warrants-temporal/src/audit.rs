//! Audit events, sinks and metrics for activity authorization decisions.
//!
//! Every decision the activity interceptor takes produces one
//! [`AuditEvent`], handed to the configured [`AuditSink`], and updates the
//! `metrics` facade (exported by whatever recorder the application
//! installs, e.g. Prometheus):
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `warrants_activities_authorized_total` | counter | `mode`, `reason` (`warrant`, `unprotected`, `local_policy`, `no_warrant`) |
//! | `warrants_activities_denied_total` | counter | `code`, `mode` (`enforce` or `audit`) |
//! | `warrants_activities_authorization_seconds` | histogram | `decision` |
//! | `warrants_workflows_refused_total` | counter | `code`, `mode` |
//! | `warrants_messages_denied_total` | counter | `kind` (`signal`, `update`), `code` |
//!
//! The last one counts workflow runs refused at start (no or unreadable
//! warrant in the start headers); each also produces an [`AuditEvent`]
//! with [`Scope::WorkflowStart`]. Neither is repeated when the run is
//! replayed.
//! Events never hold argument values; the reason text shows them only
//! when redaction is turned off in the configuration.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// Counter of allowed activity calls.
pub const METRIC_AUTHORIZED: &str = "warrants_activities_authorized_total";
/// Counter of denied activity calls, labelled by `code`.
pub const METRIC_DENIED: &str = "warrants_activities_denied_total";
/// Histogram of the time spent deciding, in seconds.
pub const METRIC_SECONDS: &str = "warrants_activities_authorization_seconds";
/// Counter of workflow runs refused at start, labelled by `code`.
pub const METRIC_REFUSED_RUNS: &str = "warrants_workflows_refused_total";
/// Counter of signals dropped and updates rejected, labelled by `kind`
/// (`signal`, `update`) and `code`.
pub const METRIC_MESSAGES_DENIED: &str = "warrants_messages_denied_total";

/// Code of a signal dropped because its name is not allowed.
pub const SIGNAL_NOT_ALLOWED: &str = "SIGNAL_NOT_ALLOWED";
/// Code of an update rejected because its name is not allowed.
pub const UPDATE_NOT_ALLOWED: &str = "UPDATE_NOT_ALLOWED";

/// What a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One activity call (attempt).
    Activity,
    /// The start of a workflow run (its start headers); the activity
    /// fields of the event are empty.
    WorkflowStart,
    /// A signal; `activity_type` holds the signal name.
    Signal,
    /// An update; `activity_type` holds the update name and `activity_id`
    /// the update id.
    Update,
}

/// The outcome of one decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The call was authorized by its warrant.
    Allow,
    /// The call needs no warrant: an unprotected activity, a local
    /// activity allowed by policy, or no warrant while none is required.
    Skip,
    /// The call was denied; in enforce mode its body did not run.
    Deny,
}

/// Why a call was allowed without a warrant check ([`Decision::Skip`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Listed as unprotected.
    Unprotected,
    /// A local activity under `LocalActivityPolicy::Allow`.
    LocalPolicy,
    /// No warrant presented while the configuration does not require one.
    NoWarrant,
}

impl SkipReason {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::Unprotected => "unprotected",
            SkipReason::LocalPolicy => "local_policy",
            SkipReason::NoWarrant => "no_warrant",
        }
    }
}

/// One authorization decision, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    /// What was decided about.
    pub scope: Scope,
    /// Allow, skip or deny.
    pub decision: Decision,
    /// Why a skipped call needed no check.
    pub skip_reason: Option<SkipReason>,
    /// The denial code (`None` when allowed).
    pub code: Option<&'static str>,
    /// The denial reason (values redacted unless configured otherwise).
    pub reason: Option<String>,
    /// Whether a denial stopped the call (false in audit mode).
    pub enforced: bool,
    /// The tool the activity maps to, when known.
    pub tool: Option<String>,
    /// The activity type.
    pub activity_type: String,
    /// The activity id.
    pub activity_id: String,
    /// Whether it is a local activity.
    pub is_local: bool,
    /// The attempt number (from 1).
    pub attempt: u32,
    /// The workflow id.
    pub workflow_id: Option<String>,
    /// The workflow type.
    pub workflow_type: Option<String>,
    /// The workflow run id.
    pub run_id: Option<String>,
    /// Hex id of the leaf warrant, when the chain was verified.
    pub warrant_id: Option<String>,
    /// Number of links in the chain, when verified.
    pub chain_depth: Option<usize>,
    /// Time spent deciding.
    pub latency: Duration,
}

/// Receives every decision. Implementations must be quick and must not
/// block: they run before the activity body on the activity task.
pub trait AuditSink: Send + Sync + 'static {
    /// Record one decision.
    fn record(&self, event: &AuditEvent);
}

/// The default sink: one `tracing` event per decision (target
/// `warrants::audit`; `info` for allow and skip, `warn` for deny).
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink;

impl AuditSink for TracingSink {
    fn record(&self, e: &AuditEvent) {
        let code = e.code.unwrap_or("");
        let tool = e.tool.as_deref().unwrap_or("");
        let warrant = e.warrant_id.as_deref().unwrap_or("");
        let workflow = e.workflow_id.as_deref().unwrap_or("");
        let micros = u64::try_from(e.latency.as_micros()).unwrap_or(u64::MAX);
        match e.decision {
            Decision::Deny if matches!(e.scope, Scope::Signal | Scope::Update) => tracing::warn!(
                target: "warrants::audit",
                decision = "deny", code, name = %e.activity_type, id = %e.activity_id,
                workflow_id = workflow, "workflow message refused"
            ),
            Decision::Deny if e.scope == Scope::WorkflowStart => tracing::warn!(
                target: "warrants::audit",
                decision = "deny", code, enforced = e.enforced, workflow_id = workflow,
                workflow_type = e.workflow_type.as_deref().unwrap_or(""),
                run_id = e.run_id.as_deref().unwrap_or(""),
                reason = e.reason.as_deref().unwrap_or(""),
                "workflow run refused at start"
            ),
            Decision::Deny => tracing::warn!(
                target: "warrants::audit",
                decision = "deny", code, enforced = e.enforced, tool,
                activity_type = %e.activity_type, activity_id = %e.activity_id,
                attempt = e.attempt, workflow_id = workflow, warrant_id = warrant,
                latency_us = micros, reason = e.reason.as_deref().unwrap_or(""),
                "activity call denied"
            ),
            Decision::Allow | Decision::Skip => tracing::info!(
                target: "warrants::audit",
                decision = if e.decision == Decision::Allow { "allow" } else { "skip" },
                tool, activity_type = %e.activity_type, activity_id = %e.activity_id,
                attempt = e.attempt, workflow_id = workflow, warrant_id = warrant,
                chain_depth = e.chain_depth.unwrap_or(0), latency_us = micros,
                "activity call authorized"
            ),
        }
    }
}

/// A sink that keeps every event in memory (tests, debugging, or a
/// bridge polled by the application). Unbounded: drain it.
#[derive(Debug, Default)]
pub struct MemorySink {
    events: Mutex<Vec<AuditEvent>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the events recorded so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Take the events recorded so far.
    pub fn drain(&self) -> Vec<AuditEvent> {
        self.events
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl AuditSink for MemorySink {
    fn record(&self, event: &AuditEvent) {
        if let Ok(mut v) = self.events.lock() {
            v.push(event.clone());
        }
    }
}

/// Update the metrics for one event.
pub(crate) fn count(e: &AuditEvent, mode: &'static str) {
    let code = e.code.unwrap_or("UNKNOWN");
    match e.scope {
        Scope::WorkflowStart => {
            metrics::counter!(METRIC_REFUSED_RUNS, "code" => code, "mode" => mode).increment(1);
            return;
        }
        Scope::Signal | Scope::Update => {
            let kind = if e.scope == Scope::Signal {
                "signal"
            } else {
                "update"
            };
            metrics::counter!(METRIC_MESSAGES_DENIED, "kind" => kind, "code" => code).increment(1);
            return;
        }
        Scope::Activity => {}
    }
    match e.decision {
        Decision::Allow => {
            metrics::counter!(METRIC_AUTHORIZED, "mode" => mode, "reason" => "warrant")
                .increment(1);
        }
        Decision::Skip => {
            let reason = e.skip_reason.map_or("unprotected", SkipReason::label);
            metrics::counter!(METRIC_AUTHORIZED, "mode" => mode, "reason" => reason).increment(1);
        }
        Decision::Deny => {
            let code = e.code.unwrap_or("UNKNOWN");
            metrics::counter!(METRIC_DENIED, "code" => code, "mode" => mode).increment(1);
        }
    }
    let decision = match e.decision {
        Decision::Allow => "allow",
        Decision::Skip => "skip",
        Decision::Deny => "deny",
    };
    metrics::histogram!(METRIC_SECONDS, "decision" => decision).record(e.latency.as_secs_f64());
}
