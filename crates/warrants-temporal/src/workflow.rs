//! Workflow side: carry the warrant from the start headers to every
//! activity call, with a proof of possession made inside the workflow.
//!
//! One [`WarrantWorkflowInterceptor`] exists per in-memory workflow run.
//! It reads the start headers once, when it is constructed (deterministic:
//! the same on replay and after eviction), then:
//!
//! - `execute`: fails the run at start, non-retryably, with the code as
//!   the failure type, when the warrant is required and missing, or present
//!   and unreadable (`WARRANT_MISSING`, `WARRANT_MALFORMED`,
//!   `KEY_NOT_FOUND` for a missing key-id header). The check looks at the
//!   start headers only, never at keys or clocks, so it decides the same
//!   way on every replay. The refusal is audited and counted (not again on
//!   replay); in audit mode the run goes on.
//! - `schedule_activity` / `schedule_local_activity`: in a run with a
//!   warrant, fixes every activity's id (the caller's, or `wa-<16 hex>` from
//!   a named deterministic random stream; ids do not depend on the registry,
//!   so the replayer needs none). For a protected activity it reads the
//!   typed input through the
//!   [`ActivityRegistry`](crate::registry::ActivityRegistry), signs the
//!   proof with the holder key (workflow time, tool, arguments, context =
//!   CBOR `[workflow_id, activity_id]`) and sets `x-warrant` and
//!   `x-warrant-pop`. Anything that prevents the proof (unknown key,
//!   unregistered activity, unreadable arguments) only leaves the proof out
//!   (with `x-warrant-no-key` naming a missing key): the activity side then
//!   denies with a code, and the workflow's commands stay the same on
//!   replay whatever keys the replaying worker holds.
//! - `continue_as_new`, `start_child_workflow`, `signal_workflow` (and
//!   Nexus operations with the `nexus` feature): carry the active warrant —
//!   the one of an enclosing [`under`](crate::stage::under) scope (e.g. a
//!   warrant minted by [`delegate`](crate::stage::delegate)), else the
//!   start's `x-warrant` and `x-warrant-key-id` payloads unchanged.
//! - `handle_signal`, `validate_update`, `handle_update`: the signal and
//!   update allow-lists and, when required, the message's own warrant
//!   ([`crate::messages`]); refused signals are dropped, refused updates
//!   rejected (validator) or failed (handler).

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use temporalio_common::error::ApplicationFailure;
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_sdk::workflow_interceptors::{
    CancellableWorkflowOutboundFuture, ContinueAsNewInput, ContinueAsNewResult,
    ExecuteWorkflowInput, ExecuteWorkflowResult, HandleSignalInput, HandleSignalResult,
    HandleUpdateInput, HandleUpdateResult, ScheduleActivityInput, ScheduleActivityResult,
    ScheduleLocalActivityInput, SignalWorkflowInput, SignalWorkflowResult, StartChildWorkflowInput,
    StartChildWorkflowResult, SyncWorkflowInterceptorContext, ValidateUpdateInput,
    ValidateUpdateResult, WorkflowInterceptor, WorkflowInterceptorConstructor,
    WorkflowInterceptorContext, WorkflowInterceptorFuture, WorkflowNext,
};
use temporalio_sdk::workflows::WorkflowError;
use temporalio_sdk::{WorkflowContextView, WorkflowTermination};
use warrants::authorizer::Call;
use warrants::{Chain, Denial, Pop, PopWindow, Value};

use crate::audit::{count, AuditEvent, Decision, Scope, SIGNAL_NOT_ALLOWED, UPDATE_NOT_ALLOWED};
use crate::config::{Mode, WarrantsConfig};
use crate::headers::{
    binary_payload, read_fields, read_text_fields, X_WARRANT, X_WARRANT_KEY_ID, X_WARRANT_NO_KEY,
    X_WARRANT_POP,
};
use crate::messages::{message_context, MessageInput, MessageKind};
use crate::registry::{Lookup, TypedInput};
use crate::stage::{ActiveWarrant, Runtime, RuntimeKey, StageWarrant};

/// Name of the deterministic random stream activity ids are drawn from.
pub const ACTIVITY_ID_STREAM: &str = "warrants/activity-id";

/// The proof context for one activity: CBOR `[workflow_id, activity_id]`.
pub fn pop_context(workflow_id: &str, activity_id: &str) -> Vec<u8> {
    Value::list([workflow_id, activity_id]).to_cbor()
}

/// Why a run cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartProblem {
    /// The denial code (also the failure type).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

/// The warrant a run started with, read from its start headers.
#[derive(Debug, Clone, Default)]
pub struct StartWarrant {
    /// The start's `x-warrant` and `x-warrant-key-id` payloads, passed on
    /// as received.
    payloads: Vec<(String, Payload)>,
    chain: Option<Chain>,
    key_id: Option<String>,
    problem: Option<StartProblem>,
}

impl StartWarrant {
    /// Read the start headers. `required`: whether a run without a warrant
    /// is a problem.
    pub fn capture(headers: &HashMap<String, Payload>, required: bool) -> Self {
        let mut s = StartWarrant {
            payloads: [X_WARRANT, X_WARRANT_KEY_ID]
                .iter()
                .filter_map(|n| headers.get(*n).map(|p| ((*n).to_owned(), p.clone())))
                .collect(),
            ..Default::default()
        };
        let problem = |code, message: &str| {
            Some(StartProblem {
                code,
                message: message.to_owned(),
            })
        };
        let bytes = match read_fields(headers, X_WARRANT) {
            Err(e) => {
                s.problem = problem("WARRANT_MALFORMED", &e.to_string());
                return s;
            }
            Ok(None) => {
                if required {
                    s.problem = problem(
                        "WARRANT_MISSING",
                        "the workflow was started without an x-warrant header",
                    );
                }
                return s;
            }
            Ok(Some(b)) => b,
        };
        match Chain::from_bytes(&bytes) {
            Ok(c) if !c.is_empty() => s.chain = Some(c),
            Ok(_) => {
                s.problem = problem("WARRANT_MALFORMED", "the x-warrant chain is empty");
                return s;
            }
            Err(e) => {
                s.problem = problem(
                    "WARRANT_MALFORMED",
                    &format!("the x-warrant header does not decode: {e}"),
                );
                return s;
            }
        }
        match read_text_fields(headers, X_WARRANT_KEY_ID) {
            Ok(Some(id)) if !id.is_empty() => s.key_id = Some(id),
            Ok(Some(_)) => {
                s.problem = problem("WARRANT_MALFORMED", "the x-warrant-key-id header is empty")
            }
            Ok(None) => {
                s.problem = problem(
                    "KEY_NOT_FOUND",
                    "the workflow was started without an x-warrant-key-id header",
                )
            }
            Err(e) => s.problem = problem("WARRANT_MALFORMED", &e.to_string()),
        }
        s
    }

    /// Why the run cannot start, if it cannot.
    pub fn problem(&self) -> Option<&StartProblem> {
        self.problem.as_ref()
    }

    /// The decoded chain, when present and readable.
    pub fn chain(&self) -> Option<&Chain> {
        self.chain.as_ref()
    }

    /// The holder key id.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn pass_on(&self, headers: &mut HashMap<String, Payload>) {
        for (name, p) in &self.payloads {
            headers.entry(name.clone()).or_insert_with(|| p.clone());
        }
    }
}

/// The per-run workflow interceptor; see the module docs.
pub struct WarrantWorkflowInterceptor {
    cfg: Arc<WarrantsConfig>,
    start: StartWarrant,
    /// The start warrant with its key id, when both are readable.
    start_stage: Option<Rc<StageWarrant>>,
}

impl WarrantWorkflowInterceptor {
    /// The interceptor for one run, from its start headers.
    pub fn new(cfg: Arc<WarrantsConfig>, start_headers: &HashMap<String, Payload>) -> Self {
        let start = StartWarrant::capture(start_headers, cfg.require_warrant);
        let start_stage = match (&start.chain, &start.key_id) {
            (Some(c), Some(k)) => Some(Rc::new(StageWarrant::new(c.clone(), k.clone()))),
            _ => None,
        };
        Self {
            cfg,
            start,
            start_stage,
        }
    }

    /// The warrant that applies to a call: the active one of an enclosing
    /// [`under`](crate::stage::under), else the start warrant.
    fn active(&self, scoped: Option<Rc<StageWarrant>>) -> Option<Rc<StageWarrant>> {
        scoped.or_else(|| self.start_stage.clone())
    }

    /// Headers for a child start, external signal or continue-as-new: the
    /// active warrant when one is scoped, else the start's payloads as
    /// received. Headers the caller set win.
    fn pass_on(&self, scoped: Option<Rc<StageWarrant>>, headers: &mut HashMap<String, Payload>) {
        match scoped {
            Some(w) => {
                headers
                    .entry(X_WARRANT.to_owned())
                    .or_insert_with(|| binary_payload(w.chain().to_bytes()));
                headers
                    .entry(X_WARRANT_KEY_ID.to_owned())
                    .or_insert_with(|| binary_payload(w.key_id().as_bytes().to_vec()));
            }
            None => self.start.pass_on(headers),
        }
    }

    /// The constructor to register on a worker or replayer.
    pub fn constructor(cfg: Arc<WarrantsConfig>) -> WorkflowInterceptorConstructor {
        WorkflowInterceptorConstructor::new(move |view: &WorkflowContextView| {
            Self::new(Arc::clone(&cfg), &view.raw().headers)
        })
    }

    /// The warrant this run started with.
    pub fn start_warrant(&self) -> &StartWarrant {
        &self.start
    }

    /// Give a scheduled activity (remote or local) its id, chosen
    /// deterministically when the caller set none, and, unless the activity
    /// is unprotected, the warrant headers with a proof bound to that id.
    /// Nothing is added when no warrant is active.
    fn stamp_activity(&self, ctx: &WorkflowInterceptorContext, input: &mut impl ActivitySchedule) {
        let Some(w) = self.active(ctx.context_value::<ActiveWarrant>()) else {
            return;
        };
        let id = input
            .activity_id()
            .get_or_insert_with(|| new_activity_id(ctx))
            .clone();
        let activity_type = input.activity_type().to_owned();
        if !self.cfg.registry.is_unprotected(&activity_type) {
            let pop = self.activity_proof(ctx, &w, &activity_type, &id, &input.typed());
            set_activity_headers(input.headers(), &w, pop);
        }
    }

    /// The proof for one protected activity call, or why there is none.
    fn activity_proof(
        &self,
        ctx: &WorkflowInterceptorContext,
        warrant: &StageWarrant,
        activity_type: &str,
        activity_id: &str,
        input: &TypedInput<'_>,
    ) -> Proof {
        let Some(leaf) = warrant.chain().leaf() else {
            return Proof::None;
        };
        let quiet = ctx.is_replaying();
        let call = match self.cfg.registry.lookup(activity_type, input) {
            Lookup::Protected(Ok(call)) => call,
            Lookup::Protected(Err(e)) => {
                if !quiet {
                    tracing::warn!(target: "warrants", activity_type, error = %e,
                        "activity arguments unreadable; no proof attached");
                }
                return Proof::None;
            }
            Lookup::Unregistered | Lookup::Unprotected => {
                if !quiet {
                    tracing::warn!(target: "warrants", activity_type,
                        "activity not in the warrants registry; no proof attached");
                }
                return Proof::None;
            }
        };
        let key_id = warrant.key_id();
        let Some(key) = self.cfg.keys.get(key_id) else {
            if !quiet {
                tracing::warn!(target: "warrants", key_id,
                    "holder key not in this worker's key store; no proof attached");
            }
            return Proof::NoKey(key_id.to_owned());
        };
        let Some(ts) = ctx.workflow_time().map(unix_secs) else {
            return Proof::None;
        };
        let context = pop_context(ctx.workflow_id(), activity_id);
        let pop = Pop::sign_for_leaf(&key, leaf.hash(), &call.tool, &call.args, &context, ts);
        Proof::Signed(pop.to_bytes())
    }

    /// Run the workflow with [`Runtime`] installed, so workflow code can
    /// use [`crate::stage::current`] and [`crate::stage::delegate`].
    fn run_with_runtime<'a>(
        &'a self,
        ctx: &WorkflowInterceptorContext,
        run: WorkflowInterceptorFuture<'a, ExecuteWorkflowResult>,
    ) -> WorkflowInterceptorFuture<'a, ExecuteWorkflowResult> {
        let runtime = Runtime {
            cfg: Arc::clone(&self.cfg),
            start: self.start_stage.as_deref().cloned(),
        };
        WorkflowInterceptorFuture::new(ctx.with_context_value::<RuntimeKey, _>(runtime, run))
    }

    /// Record a refused start (not on replay: it was recorded live).
    fn record_refusal(&self, ctx: &WorkflowInterceptorContext, p: &StartProblem) {
        if ctx.is_replaying() {
            return;
        }
        let ids = (ctx.workflow_id(), ctx.workflow_type(), ctx.run_id());
        self.record(Scope::WorkflowStart, p.code, p.message.clone(), "", "", ids);
    }

    /// The allow-list and, when required, the message's own warrant.
    /// Decided at workflow time, so the same on replay.
    fn check_message(
        &self,
        workflow_id: &str,
        time: Option<SystemTime>,
        m: Message<'_>,
    ) -> Result<(), (&'static str, String)> {
        let (allowed, code) = match m.kind {
            MessageKind::Signal => (self.cfg.signal_allowed(m.name), SIGNAL_NOT_ALLOWED),
            MessageKind::Update => (self.cfg.update_allowed(m.name), UPDATE_NOT_ALLOWED),
        };
        if !allowed {
            let what = if m.kind == MessageKind::Signal {
                "signal"
            } else {
                "update"
            };
            return Err((
                code,
                format!("{what} `{}` is not allowed on this worker", m.name),
            ));
        }
        if !self.cfg.message_warrants {
            return Ok(());
        }
        let tool = m.kind.tool(m.name);
        self.verify_message(workflow_id, time, &tool, &m)
            .map_err(|d| (d.code(), format!("`{tool}` refused: {d}")))
    }

    fn verify_message(
        &self,
        workflow_id: &str,
        time: Option<SystemTime>,
        tool: &str,
        m: &Message<'_>,
    ) -> Result<(), Denial> {
        let now = time
            .map(unix_secs)
            .ok_or_else(|| Denial::WarrantMalformed {
                reason: "workflow time unavailable".into(),
            })?;
        let chain = read_fields(m.headers, X_WARRANT)
            .map_err(|e| Denial::WarrantMalformed {
                reason: e.to_string(),
            })?
            .ok_or(Denial::WarrantMissing)?;
        let pop = read_fields(m.headers, X_WARRANT_POP).map_err(|_| Denial::PopInvalid)?;
        let args = match self.cfg.messages.read(m.kind, m.name, &m.input) {
            None => {
                return Err(Denial::ActivityNotRegistered {
                    activity: tool.to_owned(),
                })
            }
            Some(Err(e)) => return Err(Denial::ArgsInvalid { reason: e.0 }),
            Some(Ok(v)) => v,
        };
        let context = message_context(workflow_id, m.id);
        let window = PopWindow::around(now, self.cfg.pop_before, self.cfg.pop_after);
        let call = Call::new(tool, &args, &context);
        self.cfg
            .authorizer
            .authorize_bytes_at(Some(&chain), &call, pop.as_deref(), window, now)
            .map(|_| ())
    }

    fn record(
        &self,
        scope: Scope,
        code: &'static str,
        reason: String,
        name: &str,
        id: &str,
        (workflow_id, workflow_type, run_id): (&str, &str, &str),
    ) {
        let enforced = scope != Scope::WorkflowStart || self.cfg.mode == Mode::Enforce;
        let e = AuditEvent {
            scope,
            decision: Decision::Deny,
            skip_reason: None,
            code: Some(code),
            reason: Some(reason),
            enforced,
            tool: None,
            activity_type: name.to_owned(),
            activity_id: id.to_owned(),
            is_local: false,
            attempt: 0,
            workflow_id: Some(workflow_id.to_owned()),
            workflow_type: Some(workflow_type.to_owned()),
            run_id: Some(run_id.to_owned()),
            warrant_id: None,
            chain_depth: None,
            latency: Duration::ZERO,
        };
        self.cfg.audit.record(&e);
        count(&e, self.cfg.mode.label());
    }
}

/// A signal or update as the checks see it.
struct Message<'a> {
    kind: MessageKind,
    name: &'a str,
    /// Update id, or the signal name (what the proof context binds).
    id: &'a str,
    headers: &'a HashMap<String, Payload>,
    input: MessageInput<'a>,
}

/// What the workflow side attaches for one protected activity.
enum Proof {
    Signed(Vec<u8>),
    /// The key store lacks this holder key id.
    NoKey(String),
    None,
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A remote or local activity schedule, seen alike by
/// `WarrantWorkflowInterceptor::stamp_activity`.
trait ActivitySchedule {
    /// The activity id option.
    fn activity_id(&mut self) -> &mut Option<String>;
    /// The activity type (tool name).
    fn activity_type(&self) -> &str;
    /// The headers sent with the activity.
    fn headers(&mut self) -> &mut HashMap<String, Payload>;
    /// The typed input, for argument readers.
    fn typed(&self) -> TypedInput<'_>;
}

impl ActivitySchedule for ScheduleActivityInput {
    fn activity_id(&mut self) -> &mut Option<String> {
        &mut self.options_mut().activity_id
    }
    fn activity_type(&self) -> &str {
        ScheduleActivityInput::activity_type(self)
    }
    fn headers(&mut self) -> &mut HashMap<String, Payload> {
        self.headers_mut()
    }
    fn typed(&self) -> TypedInput<'_> {
        TypedInput::Schedule(self)
    }
}

impl ActivitySchedule for ScheduleLocalActivityInput {
    fn activity_id(&mut self) -> &mut Option<String> {
        &mut self.options_mut().activity_id
    }
    fn activity_type(&self) -> &str {
        ScheduleLocalActivityInput::activity_type(self)
    }
    fn headers(&mut self) -> &mut HashMap<String, Payload> {
        self.headers_mut()
    }
    fn typed(&self) -> TypedInput<'_> {
        TypedInput::ScheduleLocal(self)
    }
}

fn new_activity_id(ctx: &WorkflowInterceptorContext) -> String {
    let n: u64 = ctx.random_stream(ACTIVITY_ID_STREAM).random();
    format!("wa-{n:016x}")
}

fn set_activity_headers(
    headers: &mut HashMap<String, Payload>,
    warrant: &StageWarrant,
    pop: Proof,
) {
    headers.insert(
        X_WARRANT.to_owned(),
        binary_payload(warrant.chain().to_bytes()),
    );
    headers.remove(X_WARRANT_POP);
    headers.remove(X_WARRANT_NO_KEY);
    match pop {
        Proof::Signed(p) => {
            headers.insert(X_WARRANT_POP.to_owned(), binary_payload(p));
        }
        Proof::NoKey(id) => {
            headers.insert(X_WARRANT_NO_KEY.to_owned(), binary_payload(id.into_bytes()));
        }
        Proof::None => {}
    }
}

impl WorkflowInterceptor for WarrantWorkflowInterceptor {
    fn execute<'a>(
        &'a self,
        ctx: WorkflowInterceptorContext,
        input: ExecuteWorkflowInput,
        next: WorkflowNext<
            'a,
            ExecuteWorkflowInput,
            WorkflowInterceptorFuture<'a, ExecuteWorkflowResult>,
        >,
    ) -> WorkflowInterceptorFuture<'a, ExecuteWorkflowResult> {
        if let Some(p) = self.start.problem.clone() {
            self.record_refusal(&ctx, &p);
            if self.cfg.mode == Mode::Audit {
                return self.run_with_runtime(&ctx, next.run(input));
            }
            return WorkflowInterceptorFuture::new(async move {
                Err(WorkflowTermination::failed_application(
                    ApplicationFailure::builder(format!("warrant refused at start: {}", p.message))
                        .type_name(p.code.to_owned())
                        .non_retryable(true)
                        .build(),
                ))
            });
        }
        self.run_with_runtime(&ctx, next.run(input))
    }

    fn handle_signal<'a>(
        &'a self,
        ctx: WorkflowInterceptorContext,
        input: HandleSignalInput,
        next: WorkflowNext<
            'a,
            HandleSignalInput,
            WorkflowInterceptorFuture<'a, HandleSignalResult>,
        >,
    ) -> WorkflowInterceptorFuture<'a, HandleSignalResult> {
        let name = input.name().to_owned();
        let msg = Message {
            kind: MessageKind::Signal,
            name: &name,
            id: &name,
            headers: input.headers(),
            input: MessageInput::Signal(&input),
        };
        let Err((code, reason)) = self.check_message(ctx.workflow_id(), ctx.workflow_time(), msg)
        else {
            return next.run(input);
        };
        // Temporal cannot refuse a signal and an error would fail the
        // workflow task: drop it. Recorded once, not on replay.
        if !ctx.is_replaying() {
            tracing::warn!(target: "warrants", signal = %name, code, "signal refused; dropped");
            let ids = (ctx.workflow_id(), ctx.workflow_type(), ctx.run_id());
            self.record(Scope::Signal, code, reason, &name, "", ids);
        }
        WorkflowInterceptorFuture::new(async { Ok(()) })
    }

    fn validate_update(
        &self,
        ctx: SyncWorkflowInterceptorContext,
        input: ValidateUpdateInput,
        next: WorkflowNext<'_, ValidateUpdateInput, ValidateUpdateResult>,
    ) -> ValidateUpdateResult {
        let (name, id) = (input.name().to_owned(), input.id().to_owned());
        let msg = Message {
            kind: MessageKind::Update,
            name: &name,
            id: &id,
            headers: input.headers(),
            input: MessageInput::Validate(&input),
        };
        match self.check_message(ctx.workflow_id(), ctx.workflow_time(), msg) {
            Ok(()) => next.run(input),
            // Validators do not run on replay: a rejection leaves no history.
            Err((code, reason)) => {
                let ids = (ctx.workflow_id(), ctx.workflow_type(), ctx.run_id());
                self.record(Scope::Update, code, reason.clone(), &name, &id, ids);
                Err(WorkflowError::Execution(reason.into()))
            }
        }
    }

    fn handle_update<'a>(
        &'a self,
        ctx: WorkflowInterceptorContext,
        input: HandleUpdateInput,
        next: WorkflowNext<
            'a,
            HandleUpdateInput,
            WorkflowInterceptorFuture<'a, HandleUpdateResult>,
        >,
    ) -> WorkflowInterceptorFuture<'a, HandleUpdateResult> {
        let (name, id) = (input.name().to_owned(), input.id().to_owned());
        let msg = Message {
            kind: MessageKind::Update,
            name: &name,
            id: &id,
            headers: input.headers(),
            input: MessageInput::Update(&input),
        };
        let Err((code, reason)) = self.check_message(ctx.workflow_id(), ctx.workflow_time(), msg)
        else {
            return next.run(input);
        };
        // Reached when the workflow defines no validator for this update:
        // it was accepted, so fail it here (deterministic on replay).
        if !ctx.is_replaying() {
            let ids = (ctx.workflow_id(), ctx.workflow_type(), ctx.run_id());
            self.record(Scope::Update, code, reason.clone(), &name, &id, ids);
        }
        WorkflowInterceptorFuture::new(async move { Err(WorkflowError::Execution(reason.into())) })
    }

    fn schedule_activity(
        &self,
        ctx: WorkflowInterceptorContext,
        mut input: ScheduleActivityInput,
        next: WorkflowNext<
            'static,
            ScheduleActivityInput,
            CancellableWorkflowOutboundFuture<ScheduleActivityResult>,
        >,
    ) -> CancellableWorkflowOutboundFuture<ScheduleActivityResult> {
        self.stamp_activity(&ctx, &mut input);
        next.run(input)
    }

    fn schedule_local_activity(
        &self,
        ctx: WorkflowInterceptorContext,
        mut input: ScheduleLocalActivityInput,
        next: WorkflowNext<
            'static,
            ScheduleLocalActivityInput,
            CancellableWorkflowOutboundFuture<ScheduleActivityResult>,
        >,
    ) -> CancellableWorkflowOutboundFuture<ScheduleActivityResult> {
        self.stamp_activity(&ctx, &mut input);
        next.run(input)
    }

    fn start_child_workflow(
        &self,
        ctx: WorkflowInterceptorContext,
        mut input: StartChildWorkflowInput,
        next: WorkflowNext<
            'static,
            StartChildWorkflowInput,
            CancellableWorkflowOutboundFuture<StartChildWorkflowResult>,
        >,
    ) -> CancellableWorkflowOutboundFuture<StartChildWorkflowResult> {
        self.pass_on(ctx.context_value::<ActiveWarrant>(), input.headers_mut());
        next.run(input)
    }

    fn signal_workflow(
        &self,
        ctx: WorkflowInterceptorContext,
        mut input: SignalWorkflowInput,
        next: WorkflowNext<
            'static,
            SignalWorkflowInput,
            CancellableWorkflowOutboundFuture<SignalWorkflowResult>,
        >,
    ) -> CancellableWorkflowOutboundFuture<SignalWorkflowResult> {
        self.pass_on(ctx.context_value::<ActiveWarrant>(), input.headers_mut());
        next.run(input)
    }

    /// Nexus operations carry string headers only (stored in history as
    /// they are): `x-warrant` as base64url text, `x-warrant-key-id` as
    /// text. Headers the caller set win.
    #[cfg(feature = "nexus")]
    fn start_nexus_operation(
        &self,
        ctx: WorkflowInterceptorContext,
        mut input: temporalio_sdk::workflow_interceptors::StartNexusOperationInput,
        next: WorkflowNext<
            'static,
            temporalio_sdk::workflow_interceptors::StartNexusOperationInput,
            CancellableWorkflowOutboundFuture<
                temporalio_sdk::workflow_interceptors::StartNexusOperationResult,
            >,
        >,
    ) -> CancellableWorkflowOutboundFuture<
        temporalio_sdk::workflow_interceptors::StartNexusOperationResult,
    > {
        if let Some(w) = self.active(ctx.context_value::<ActiveWarrant>()) {
            let h = &mut input.options_mut().nexus_header;
            h.entry(X_WARRANT.to_owned())
                .or_insert_with(|| warrants::keys::to_base64url(w.chain().as_bytes()));
            h.entry(X_WARRANT_KEY_ID.to_owned())
                .or_insert_with(|| w.key_id().to_owned());
        }
        next.run(input)
    }

    fn continue_as_new(
        &self,
        ctx: SyncWorkflowInterceptorContext,
        mut input: ContinueAsNewInput,
        next: WorkflowNext<'static, ContinueAsNewInput, ContinueAsNewResult>,
    ) -> ContinueAsNewResult {
        self.pass_on(ctx.context_value::<ActiveWarrant>(), input.headers_mut());
        next.run(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::binary_payload;

    fn hdrs(pairs: &[(&str, Payload)]) -> HashMap<String, Payload> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn missing_warrant_is_a_problem_only_when_required() {
        let s = StartWarrant::capture(&HashMap::new(), true);
        assert_eq!(s.problem().unwrap().code, "WARRANT_MISSING");
        let s = StartWarrant::capture(&HashMap::new(), false);
        assert!(s.problem().is_none());
        assert!(s.chain().is_none());
    }

    #[test]
    fn garbage_and_bad_encoding_are_malformed_even_when_optional() {
        for required in [true, false] {
            let s = StartWarrant::capture(
                &hdrs(&[(X_WARRANT, binary_payload(vec![0xff, 0x00]))]),
                required,
            );
            assert_eq!(s.problem().unwrap().code, "WARRANT_MALFORMED");
            let mut odd = binary_payload(vec![1]);
            odd.metadata
                .insert("encoding".into(), b"binary/encrypted".to_vec());
            let s = StartWarrant::capture(&hdrs(&[(X_WARRANT, odd)]), required);
            assert_eq!(s.problem().unwrap().code, "WARRANT_MALFORMED");
        }
    }

    #[test]
    fn key_id_must_be_present_and_text() {
        let root = warrants::Warrant::mint_builder()
            .holder(warrants::SigningKey::from_seed(&[2; 32]).public_key())
            .tool_any("read_file")
            .ttl(std::time::Duration::from_secs(60))
            .mint(&warrants::SigningKey::from_seed(&[1; 32]))
            .unwrap();
        let chain = Chain::root(root);
        let w = binary_payload(chain.to_bytes());
        let s = StartWarrant::capture(&hdrs(&[(X_WARRANT, w.clone())]), true);
        assert_eq!(s.problem().unwrap().code, "KEY_NOT_FOUND");
        let s = StartWarrant::capture(
            &hdrs(&[
                (X_WARRANT, w.clone()),
                (X_WARRANT_KEY_ID, binary_payload(vec![0xff])),
            ]),
            true,
        );
        assert_eq!(s.problem().unwrap().code, "WARRANT_MALFORMED");
        let s = StartWarrant::capture(
            &hdrs(&[
                (X_WARRANT, w),
                (X_WARRANT_KEY_ID, binary_payload(b"k1".to_vec())),
            ]),
            true,
        );
        assert!(s.problem().is_none());
        assert_eq!(s.key_id(), Some("k1"));
        assert_eq!(s.chain().unwrap().to_bytes(), chain.to_bytes());
    }

    #[test]
    fn context_is_cbor_pair() {
        let c = pop_context("wf", "a1");
        assert_eq!(Value::from_cbor(&c).unwrap(), Value::list(["wf", "a1"]));
        assert_ne!(pop_context("wf", "a1"), pop_context("wfa", "1"));
    }
}
