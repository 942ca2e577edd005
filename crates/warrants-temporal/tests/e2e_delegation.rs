//! End to end on a real dev server: warrants other than the start's inside
//! a workflow (`warrants_temporal::stage`). Delegation to child workflows
//! (narrower tools, constraints and TTL; another holder), refused widening,
//! three levels of delegation, a forged link, per-stage warrants for parts
//! of one workflow, and continue-as-new with an attenuated warrant.
//!
//! Every history is replayed by a replayer holding the worker's keys, with a
//! capturing interceptor that must see the same `x-warrant`, key-id and
//! proof bytes as history: delegation and proofs are deterministic. Runs
//! that did not call `delegate` also replay with `Warrants::for_replay()`
//! (no keys); `keyless_replay_of_delegating_runs` asks the same of runs
//! that did.
//!
//! Every test starts its own dev server and uses its own task queue and
//! workflow ids (the activity run log `support::RAN` is filtered by id).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporalio_client::{Client, WorkflowHistory, WorkflowStartOptions};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_common::protos::temporal::api::history::v1::{History, HistoryEvent};
use temporalio_sdk::workflow_interceptors::{
    CancellableWorkflowOutboundFuture, ContinueAsNewInput, ContinueAsNewResult,
    ScheduleActivityInput, ScheduleActivityResult, StartChildWorkflowInput,
    StartChildWorkflowResult, SyncWorkflowInterceptorContext, WorkflowInterceptor,
    WorkflowInterceptorConstructor, WorkflowInterceptorContext, WorkflowNext,
};
use temporalio_sdk::workflow_replayer::{
    WorkflowReplayFailure, WorkflowReplayer, WorkflowReplayerOptions,
};
use temporalio_sdk::workflows::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, ChildWorkflowOptions, ContinueAsNewOptions, WorkerOptions, WorkflowContext,
    WorkflowResult,
};
use warrants::constraint::{Subpath, Wildcard};
use warrants::{BuildError, Chain, Constraint, Payload as WarrantPayload, SigningKey, Warrant};
use warrants_temporal::audit::{AuditEvent, Decision, MemorySink};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::stage::{current, ActiveWarrant};
use warrants_temporal::{
    delegate, under, Delegation, KeyStore, StageWarrant, WarrantClientInterceptor, WarrantHeaders,
    Warrants,
};

use support::*;

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

const CHILD_KEY: &str = "child-key";
const INGEST: &str = "ingest";
const TRANSFORM: &str = "transform";
const REMOTE: &str = "remote";

fn child_key() -> SigningKey {
    SigningKey::from_seed(&[7; 32])
}
fn ingest_key() -> SigningKey {
    SigningKey::from_seed(&[8; 32])
}
fn transform_key() -> SigningKey {
    SigningKey::from_seed(&[9; 32])
}
/// Held by no worker of these tests.
fn remote_key() -> SigningKey {
    SigningKey::from_seed(&[10; 32])
}
/// Neither the root nor any holder.
fn wrong_key() -> SigningKey {
    SigningKey::from_seed(&[11; 32])
}

/// The worker's key store: the agent, the child holder and both stages
/// (not `remote`).
fn worker_keys() -> KeyStore {
    let mut keys = KeyStore::new();
    keys.insert(AGENT, agent_key());
    keys.insert(CHILD_KEY, child_key());
    keys.insert(INGEST, ingest_key());
    keys.insert(TRANSFORM, transform_key());
    keys
}

fn dl_warrants(sink: Arc<MemorySink>) -> Warrants {
    config_with_keys(worker_keys(), sink).build().unwrap()
}

// ---------------------------------------------------------------------------
// Workflows
// ---------------------------------------------------------------------------

fn act_opts() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10)).build()
}

/// One tool of a delegation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Grant {
    /// `Delegation::keep(tool)`.
    Keep(String),
    /// `read_file` with `path` under this prefix.
    ReadUnder(String),
}

/// Who holds the delegated warrant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum HolderSpec {
    Same,
    /// `Delegation::holder_key_id`.
    KeyId(String),
    /// `Delegation::holder(id, public key bytes)`.
    Remote(String, Vec<u8>),
}

/// What a `Delegator` starts under the delegated warrant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum ChildKind {
    Agent(Plan),
    Delegator(Box<DelegateSpec>),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DelegateSpec {
    /// Activities run first, under the run's own (start) warrant.
    pub own: Vec<Step>,
    pub ttl_secs: u64,
    pub grants: Vec<Grant>,
    pub holder: HolderSpec,
    pub child_id: String,
    pub child: ChildKind,
}

fn delegation(spec: &DelegateSpec) -> Delegation {
    let mut d = Delegation::new(Duration::from_secs(spec.ttl_secs));
    for g in &spec.grants {
        d = match g {
            Grant::Keep(tool) => d.keep(tool.clone()),
            Grant::ReadUnder(prefix) => d.capability(
                "read_file",
                [("path", Constraint::from(Subpath::new(prefix).unwrap()))],
            ),
        };
    }
    match &spec.holder {
        HolderSpec::Same => d,
        HolderSpec::KeyId(id) => d.holder_key_id(id.clone()),
        HolderSpec::Remote(id, pk) => {
            d.holder(id.clone(), warrants::PublicKey::from_bytes(pk).unwrap())
        }
    }
}

/// `ok:..` / `denied:CODE` of a read or write (only those steps).
async fn run_step<W>(ctx: &WorkflowContext<W>, step: &Step) -> String {
    match step.clone() {
        Step::Read(path) => outcome(
            ctx.execute_activity(FsActs::read_file, ReadArgs { path }, act_opts())
                .await,
        ),
        Step::Write(path, content) => outcome(
            ctx.execute_activity(FsActs::write_file, WriteArgs { path, content }, act_opts())
                .await,
        ),
        other => panic!("unsupported step {other:?}"),
    }
}

/// Runs its own steps, delegates from its current warrant and starts a child
/// (`Agent` or another `Delegator`) under the delegated warrant. Returns its
/// own outcomes followed by the child's result, or `refused:<code>` when the
/// delegation is refused (then nothing is started).
#[workflow]
#[derive(Default)]
pub struct Delegator;

#[workflow_methods]
impl Delegator {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        spec: DelegateSpec,
    ) -> WorkflowResult<Vec<String>> {
        let ctx: &WorkflowContext<Self> = ctx;
        let mut out = Vec::new();
        for step in &spec.own {
            out.push(run_step(ctx, step).await);
        }
        let w = match delegate(ctx, &delegation(&spec)) {
            Ok(w) => w,
            Err(e) => {
                out.push(format!("refused:{}", e.code()));
                out.push(format!("error:{e}"));
                return Ok(out);
            }
        };
        let opts = ChildWorkflowOptions::workflow_id(spec.child_id.clone());
        let child_out = match spec.child {
            ChildKind::Agent(plan) => {
                // The start requested directly in the closure.
                let started =
                    under(ctx, w, || ctx.start_child_workflow(Agent::run, plan, opts)).await?;
                started.result().await?
            }
            ChildKind::Delegator(inner) => {
                let started = under(ctx, w, || async {
                    ctx.start_child_workflow(Delegator::run, *inner, opts).await
                })
                .await?;
                started.result().await?
            }
        };
        out.extend(child_out);
        Ok(out)
    }
}

/// One call of a `Pipeline`. `Option<String>`: the stage (by key id) whose
/// warrant the call runs under, `None` for the start warrant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Op {
    Read(Option<String>, String),
    Write(Option<String>, String),
    /// A write under `outer` with `inner` nested inside it.
    NestedWrite(String, String, String),
    /// `current(ctx)`'s key id and chain length, in a stage or outside.
    Current(Option<String>),
    /// A write requested directly by the closure:
    /// `under(ctx, w, || ctx.execute_activity(..))` (the SDK runs the
    /// interceptors when the call is made, not when it is polled).
    DirectWrite(String, String),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PipelineSpec {
    /// (holder key id, chain bytes) of each stage warrant.
    pub stages: Vec<(String, Vec<u8>)>,
    pub ops: Vec<Op>,
}

fn write_args(path: &str) -> WriteArgs {
    WriteArgs {
        path: path.to_owned(),
        content: "data".to_owned(),
    }
}

/// Runs each call under the stage it names (see [`Op`]).
#[workflow]
#[derive(Default)]
pub struct Pipeline;

#[workflow_methods]
impl Pipeline {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        spec: PipelineSpec,
    ) -> WorkflowResult<Vec<String>> {
        let ctx: &WorkflowContext<Self> = ctx;
        let mut stages = HashMap::new();
        for (key_id, bytes) in &spec.stages {
            match StageWarrant::from_bytes(bytes, key_id.clone()) {
                Ok(w) => {
                    stages.insert(key_id.clone(), w);
                }
                Err(e) => return Ok(vec![format!("bad stage {key_id}: {e}")]),
            }
        }
        let stage = |name: &str| stages[name].clone();
        let mut out = Vec::new();
        for op in &spec.ops {
            let r = match op {
                Op::Read(s, path) => {
                    let step = Step::Read(path.clone());
                    match s {
                        Some(s) => under(ctx, stage(s), || run_step(ctx, &step)).await,
                        None => run_step(ctx, &step).await,
                    }
                }
                Op::Write(s, path) => {
                    let step = Step::Write(path.clone(), "data".into());
                    match s {
                        Some(s) => under(ctx, stage(s), || run_step(ctx, &step)).await,
                        None => run_step(ctx, &step).await,
                    }
                }
                Op::NestedWrite(outer, inner, path) => {
                    let step = Step::Write(path.clone(), "data".into());
                    under(ctx, stage(outer), || {
                        under(ctx, stage(inner), || run_step(ctx, &step))
                    })
                    .await
                }
                Op::Current(s) => {
                    let show = || {
                        current(ctx).map_or("none".to_owned(), |w| {
                            format!("current:{}:{}", w.key_id(), w.chain().len())
                        })
                    };
                    match s {
                        Some(s) => under(ctx, stage(s), || async { show() }).await,
                        None => show(),
                    }
                }
                Op::DirectWrite(s, path) => outcome(
                    under(ctx, stage(s), || {
                        ctx.execute_activity(FsActs::write_file, write_args(path), act_opts())
                    })
                    .await,
                ),
            };
            out.push(r);
        }
        Ok(out)
    }
}

/// Three runs: run 0 reads, delegates `read_file` only and continues as
/// new under the delegated warrant; run 1 reads and writes and continues as
/// new *without* a scope; run 2 writes again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Phase {
    pub run: u32,
    pub done: Vec<String>,
}

#[workflow]
#[derive(Default)]
pub struct Narrowing;

#[workflow_methods]
impl Narrowing {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, p: Phase) -> WorkflowResult<Vec<String>> {
        let ctx: &WorkflowContext<Self> = ctx;
        let mut done = p.done.clone();
        match p.run {
            0 => {
                done.push(run_step(ctx, &Step::Read("/data/in/r0.txt".into())).await);
                let narrow = match delegate(
                    ctx,
                    &Delegation::new(Duration::from_secs(300)).keep("read_file"),
                ) {
                    Ok(w) => w,
                    Err(e) => {
                        done.push(format!("refused:{}", e.code()));
                        return Ok(done);
                    }
                };
                let next = Phase { run: 1, done };
                ctx.with_context_value_sync::<ActiveWarrant, _>(narrow, || {
                    ctx.continue_as_new(next, ContinueAsNewOptions::default())
                })?;
                unreachable!("continue_as_new returns Err")
            }
            1 => {
                done.push(run_step(ctx, &Step::Read("/data/in/r1.txt".into())).await);
                done.push(run_step(ctx, &Step::Write("/data/out/w1.txt".into(), "x".into())).await);
                let next = Phase { run: 2, done };
                ctx.continue_as_new(next, ContinueAsNewOptions::default())?;
                unreachable!("continue_as_new returns Err")
            }
            _ => {
                done.push(run_step(ctx, &Step::Write("/data/out/w2.txt".into(), "x".into())).await);
                Ok(done)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

fn all_workflows(queue: &str, warrants: &Warrants) -> WorkerOptions {
    warrants
        .wire_worker(WorkerOptions::new(queue).register_activities(FsActs))
        .register_workflow::<Agent>()
        .unwrap()
        .register_workflow::<Delegator>()
        .unwrap()
        .register_workflow::<Pipeline>()
        .unwrap()
        .register_workflow::<Narrowing>()
        .unwrap()
        .build()
}

async fn start_delegator(client: &Client, queue: &str, id: &str, spec: DelegateSpec) {
    client
        .start_workflow(
            Delegator::run,
            spec,
            WorkflowStartOptions::new(queue, id).build(),
        )
        .await
        .unwrap();
}

/// Headers of every `StartChildWorkflowExecutionInitiated` event.
fn child_initiations(events: &[HistoryEvent]) -> Vec<Fields> {
    events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::StartChildWorkflowExecutionInitiatedEventAttributes(a)) => {
                Some(fields(a.header.as_ref()))
            }
            _ => None,
        })
        .collect()
}

fn scheduled(events: &[HistoryEvent]) -> Vec<Fields> {
    events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::ActivityTaskScheduledEventAttributes(a)) => {
                Some(fields(a.header.as_ref()))
            }
            _ => None,
        })
        .collect()
}

fn bytes_of(h: &Fields, name: &str) -> Vec<u8> {
    h.get(name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", h.keys()))
        .data
        .clone()
}

fn chain_of(h: &Fields) -> Chain {
    Chain::from_bytes(&bytes_of(h, "x-warrant")).unwrap()
}

fn key_id_of(h: &Fields) -> String {
    String::from_utf8(bytes_of(h, "x-warrant-key-id")).unwrap()
}

fn tools_of(w: &Warrant) -> Vec<String> {
    w.tools().keys().cloned().collect()
}

/// Unix seconds of the first `WorkflowTaskStarted` event (the workflow time
/// of the run's first task).
fn first_task_started_secs(events: &[HistoryEvent]) -> u64 {
    events
        .iter()
        .find(|e| {
            matches!(
                e.attributes,
                Some(Attributes::WorkflowTaskStartedEventAttributes(_))
            )
        })
        .and_then(|e| e.event_time.as_ref())
        .map(|t| u64::try_from(t.seconds).unwrap())
        .expect("no WorkflowTaskStarted event time")
}

/// (decision, code, chain length) of every audit event of `workflow_id`.
fn audit_of(
    sink: &MemorySink,
    workflow_id: &str,
) -> Vec<(Decision, Option<&'static str>, Option<usize>)> {
    sink.events()
        .into_iter()
        .filter(|e: &AuditEvent| e.workflow_id.as_deref() == Some(workflow_id))
        .map(|e| (e.decision, e.code, e.chain_depth))
        .collect()
}

// ---------------------------------------------------------------------------
// Replay
// ---------------------------------------------------------------------------

/// What a capturing interceptor saw on one outbound command: its kind and
/// its `x-warrant`, `x-warrant-key-id` and `x-warrant-pop` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    kind: &'static str,
    warrant: Option<Vec<u8>>,
    key_id: Option<Vec<u8>>,
    pop: Option<Vec<u8>>,
}

impl Seen {
    fn from_fields(kind: &'static str, h: &Fields) -> Self {
        let get = |n: &str| h.get(n).map(|p| p.data.clone());
        Seen {
            kind,
            warrant: get("x-warrant"),
            key_id: get("x-warrant-key-id"),
            pop: get("x-warrant-pop"),
        }
    }
}

/// Records the final headers of activity schedules, child starts and
/// continue-as-new. Registered *before* the warrant interceptor, so on the
/// outbound path it runs inside it and sees what it set.
struct Capture {
    log: Arc<Mutex<Vec<Seen>>>,
}

impl WorkflowInterceptor for Capture {
    fn schedule_activity(
        &self,
        _ctx: WorkflowInterceptorContext,
        input: ScheduleActivityInput,
        next: WorkflowNext<
            'static,
            ScheduleActivityInput,
            CancellableWorkflowOutboundFuture<ScheduleActivityResult>,
        >,
    ) -> CancellableWorkflowOutboundFuture<ScheduleActivityResult> {
        let seen = Seen::from_fields("activity", input.headers());
        self.log.lock().unwrap().push(seen);
        next.run(input)
    }

    fn start_child_workflow(
        &self,
        _ctx: WorkflowInterceptorContext,
        input: StartChildWorkflowInput,
        next: WorkflowNext<
            'static,
            StartChildWorkflowInput,
            CancellableWorkflowOutboundFuture<StartChildWorkflowResult>,
        >,
    ) -> CancellableWorkflowOutboundFuture<StartChildWorkflowResult> {
        let seen = Seen::from_fields("child", input.headers());
        self.log.lock().unwrap().push(seen);
        next.run(input)
    }

    fn continue_as_new(
        &self,
        _ctx: SyncWorkflowInterceptorContext,
        input: ContinueAsNewInput,
        next: WorkflowNext<'static, ContinueAsNewInput, ContinueAsNewResult>,
    ) -> ContinueAsNewResult {
        let seen = Seen::from_fields("continue_as_new", input.headers());
        self.log.lock().unwrap().push(seen);
        next.run(input)
    }
}

/// The same commands' headers as recorded in history, in order.
fn seen_in_history(events: &[HistoryEvent]) -> Vec<Seen> {
    events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::ActivityTaskScheduledEventAttributes(a)) => {
                Some(Seen::from_fields("activity", &fields(a.header.as_ref())))
            }
            Some(Attributes::StartChildWorkflowExecutionInitiatedEventAttributes(a)) => {
                Some(Seen::from_fields("child", &fields(a.header.as_ref())))
            }
            Some(Attributes::WorkflowExecutionContinuedAsNewEventAttributes(a)) => Some(
                Seen::from_fields("continue_as_new", &fields(a.header.as_ref())),
            ),
            _ => None,
        })
        .collect()
}

/// Replay one history with `warrants` wired (after an optional capture).
async fn replay_one(
    events: Vec<HistoryEvent>,
    warrants: &Warrants,
    capture: Option<Arc<Mutex<Vec<Seen>>>>,
) -> Option<WorkflowReplayFailure> {
    let mut opts = WorkflowReplayerOptions::new();
    if let Some(log) = capture {
        opts =
            opts.workflow_interceptor(WorkflowInterceptorConstructor::new(move |_view| Capture {
                log: Arc::clone(&log),
            }));
    }
    let opts = warrants
        .wire_replayer(opts)
        .register_workflow::<Agent>()
        .unwrap()
        .register_workflow::<Delegator>()
        .unwrap()
        .register_workflow::<Pipeline>()
        .unwrap()
        .register_workflow::<Narrowing>()
        .unwrap()
        .build();
    let replayer = WorkflowReplayer::new(opts).unwrap();
    let mut results = replayer
        .replay_workflows([WorkflowHistory::from(History { events })])
        .await
        .unwrap();
    assert_eq!(results.len(), 1);
    results.pop().unwrap().replay_failure
}

/// A replay configuration holding the worker's keys and registry (no
/// roots: a replayer authorizes nothing), so it re-signs every proof.
fn keyed_replay_config() -> Warrants {
    Warrants::builder()
        .keys(worker_keys())
        .activities(registry())
        .build_for_replay()
}

/// Replay each history with the worker's keys and a capture, requiring a
/// clean replay whose outbound `x-warrant`, key id and proof bytes equal
/// those in history, byte for byte: what the workflow minted live
/// (delegated warrants included) it mints again on replay.
async fn assert_keyed_replays(histories: &[(&str, bool, Vec<HistoryEvent>)]) {
    let keyed = keyed_replay_config();
    for (name, _, events) in histories {
        let log = Arc::new(Mutex::new(Vec::new()));
        let f = replay_one(events.clone(), &keyed, Some(Arc::clone(&log))).await;
        assert!(f.is_none(), "{name}: keyed replay failed: {f:?}");
        let expected = seen_in_history(events);
        let got = log.lock().unwrap().clone();
        assert_eq!(
            got.len(),
            expected.len(),
            "{name}: replay issued a different number of commands"
        );
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(g, e, "{name}: command {i} headers differ on replay");
        }
    }
}

/// Replay each history with `Warrants::for_replay()` (no keys, no
/// registry); the names of those that do not replay cleanly, with why.
async fn keyless_replay_failures(histories: &[(&str, bool, Vec<HistoryEvent>)]) -> Vec<String> {
    let bare = Warrants::for_replay();
    let mut failures = Vec::new();
    for (name, _, events) in histories {
        if let Some(f) = replay_one(events.clone(), &bare, None).await {
            failures.push(format!("{name}: {f}"));
        }
    }
    failures
}

/// Every history replays with the worker's keys, byte-identically
/// ([`assert_keyed_replays`]); those of runs that did not call `delegate`
/// (flag `false`) also replay with `Warrants::for_replay()`. Key-less
/// replay of delegating runs is `keyless_replay_of_delegating_runs`.
async fn assert_replays(histories: &[(&str, bool, Vec<HistoryEvent>)]) {
    assert_keyed_replays(histories).await;
    let plain: Vec<_> = histories.iter().filter(|h| !h.1).cloned().collect();
    let failures = keyless_replay_failures(&plain).await;
    assert!(
        failures.is_empty(),
        "replay with Warrants::for_replay() (no keys) failed:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------
// 1. Child delegation
// ---------------------------------------------------------------------------

/// A parent delegates `read_file` only, for 60 s, and starts `Agent` as a
/// child under it. The child's read is allowed on a 2-link chain, its write
/// (tool dropped) is denied `TOOL_NOT_GRANTED` and never runs. The child's
/// start header carries the 2-link chain: root unchanged, leaf issued by
/// the agent to the agent at the parent's workflow time, only `read_file`
/// (with the parent's constraint), expiring 60 s after issue. Replay
/// re-mints the identical bytes.
#[tokio::test(flavor = "multi_thread")]
async fn child_delegation_drops_a_tool() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = dl_warrants(Arc::clone(&sink));
    let (q, id, child_id) = ("dl-child", "dl-child-parent", "dl-child-child");
    let out = run_worker(&client, all_workflows(q, &w), async {
        start_delegator(
            &client,
            q,
            id,
            DelegateSpec {
                own: vec![],
                ttl_secs: 60,
                grants: vec![Grant::Keep("read_file".into())],
                holder: HolderSpec::Same,
                child_id: child_id.into(),
                child: ChildKind::Agent(Plan::new(vec![
                    Step::Read("/data/in/a.txt".into()),
                    Step::Write("/data/out/b.txt".into(), "hi".into()),
                ])),
            },
        )
        .await;
        result(&client, id).await
    })
    .await
    .unwrap();
    assert_eq!(
        out,
        vec![
            read_ok("/data/in/a.txt"),
            "denied:TOOL_NOT_GRANTED".to_owned()
        ]
    );
    assert_eq!(ran(child_id), vec![("FsActs::read_file".to_owned(), 1)]);
    assert!(ran(id).is_empty());
    assert_eq!(
        audit_of(&sink, child_id),
        vec![
            (Decision::Allow, None, Some(2)),
            (Decision::Deny, Some("TOOL_NOT_GRANTED"), None),
        ]
    );

    let parent = history(&client, id).await;
    let inits = child_initiations(&parent);
    assert_eq!(inits.len(), 1);
    let chain = chain_of(&inits[0]);
    assert_eq!(key_id_of(&inits[0]), AGENT);
    assert_eq!(chain.len(), 2);
    let root = agent_chain();
    let root_w = root.leaf().unwrap();
    assert_eq!(chain.links()[0], *root_w, "root link unchanged");
    let leaf = chain.leaf().unwrap();
    assert!(chain.check_links().is_ok());
    assert!(leaf.verify_signature());
    assert_eq!(leaf.issuer(), &agent_key().public_key());
    assert_eq!(leaf.holder(), &agent_key().public_key());
    assert_eq!(leaf.parent_hash(), Some(root_w.hash()));
    assert_eq!(tools_of(leaf), vec!["read_file".to_owned()]);
    assert_eq!(leaf.tool("read_file"), root_w.tool("read_file"));
    assert!(leaf.expires_at() > leaf.issued_at());
    assert!(leaf.expires_at() - leaf.issued_at() <= 60);
    assert_eq!(leaf.expires_at() - leaf.issued_at(), 60);
    // Issued at workflow time: the parent's first task.
    assert_eq!(leaf.issued_at(), first_task_started_secs(&parent));

    // The child started with it and its activities carry it.
    let child = history(&client, child_id).await;
    let started = started_header(&child);
    assert_eq!(bytes_of(&started, "x-warrant"), chain.to_bytes());
    assert_eq!(key_id_of(&started), AGENT);
    let sched = scheduled(&child);
    assert_eq!(sched.len(), 2);
    for h in &sched {
        assert_eq!(bytes_of(h, "x-warrant"), chain.to_bytes());
    }
    // The parent scheduled nothing itself.
    assert!(scheduled(&parent).is_empty());

    assert_replays(&[("parent", true, parent), ("child", false, child)]).await;
}

// ---------------------------------------------------------------------------
// 2. Refused delegations
// ---------------------------------------------------------------------------

/// Delegations that would widen the parent are refused in the parent with
/// `DELEGATION_REFUSED` and start nothing: a wider constraint (`/` when the
/// parent has `/data/in`), a TTL beyond the parent's expiry, a tool the
/// parent lacks. A narrower constraint (`/data/in/sub`) is accepted and
/// enforced in the child.
#[tokio::test(flavor = "multi_thread")]
async fn widening_delegations_are_refused_in_the_parent() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = dl_warrants(Arc::clone(&sink));
    let q = "dl-refuse";
    let cases: Vec<(&str, u64, Vec<Grant>)> = vec![
        ("dl-refuse-wide", 60, vec![Grant::ReadUnder("/".into())]),
        (
            "dl-refuse-ttl",
            // The root expires an hour after the binary started.
            7200,
            vec![Grant::Keep("read_file".into())],
        ),
        (
            "dl-refuse-tool",
            60,
            vec![Grant::Keep("delete_file".into())],
        ),
        (
            "dl-refuse-narrow",
            60,
            vec![Grant::ReadUnder("/data/in/sub".into())],
        ),
    ];
    let plan = Plan::new(vec![
        Step::Read("/data/in/sub/x.txt".into()),
        Step::Read("/data/in/other.txt".into()),
    ]);
    let outs = run_worker(&client, all_workflows(q, &w), async {
        let mut outs = Vec::new();
        for (id, ttl, grants) in &cases {
            start_delegator(
                &client,
                q,
                id,
                DelegateSpec {
                    own: vec![],
                    ttl_secs: *ttl,
                    grants: grants.clone(),
                    holder: HolderSpec::Same,
                    child_id: format!("{id}-child"),
                    child: ChildKind::Agent(plan.clone()),
                },
            )
            .await;
        }
        for (id, _, _) in &cases {
            outs.push(result(&client, id).await.unwrap());
        }
        outs
    })
    .await;

    let refused = |out: &Vec<String>, what: &str| {
        assert_eq!(out.len(), 2, "{what}: {out:?}");
        assert_eq!(out[0], "refused:DELEGATION_REFUSED", "{what}: {out:?}");
        assert!(out[1].contains(what), "{what}: {out:?}");
    };
    refused(
        &outs[0],
        "constraints for tool `read_file` widen the parent",
    );
    refused(&outs[1], "expiry is later than the parent's");
    refused(&outs[2], "tool `delete_file` is not granted by the parent");
    assert_eq!(
        outs[3],
        vec![
            read_ok("/data/in/sub/x.txt"),
            "denied:CONSTRAINT_VIOLATED".to_owned()
        ]
    );

    let mut histories = Vec::new();
    for (i, (id, _, _)) in cases.iter().enumerate() {
        let events = history(&client, id).await;
        let inits = child_initiations(&events);
        if i < 3 {
            assert!(inits.is_empty(), "{id}: a child was started");
            assert!(scheduled(&events).is_empty(), "{id}: scheduled something");
            assert!(ran(&format!("{id}-child")).is_empty());
        } else {
            assert_eq!(inits.len(), 1, "{id}");
            let leaf = chain_of(&inits[0]).leaf().unwrap().clone();
            let want = Constraint::from(Subpath::new("/data/in/sub").unwrap());
            assert_eq!(
                leaf.tool("read_file").unwrap().args().get("path"),
                Some(&want)
            );
            let child = history(&client, &format!("{id}-child")).await;
            histories.push(("narrow child", false, child));
        }
        histories.push(("parent", true, events));
    }
    assert!(sink
        .events()
        .iter()
        .all(|e| e.workflow_id.as_deref() == Some("dl-refuse-narrow-child")));
    assert_replays(&histories).await;
}

// ---------------------------------------------------------------------------
// 3. Three levels
// ---------------------------------------------------------------------------

/// Parent → child (`read_file` + `write_file`) → grandchild (`read_file`,
/// delegated again by the child from its own start warrant). The child can
/// still write; the grandchild reads on a 3-link chain and its write is
/// denied `TOOL_NOT_GRANTED`.
#[tokio::test(flavor = "multi_thread")]
async fn three_level_delegation() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = dl_warrants(Arc::clone(&sink));
    let (q, id, mid, leaf_id) = ("dl-three", "dl-three-a", "dl-three-b", "dl-three-c");
    let spec = DelegateSpec {
        own: vec![],
        ttl_secs: 600,
        grants: vec![
            Grant::Keep("read_file".into()),
            Grant::Keep("write_file".into()),
        ],
        holder: HolderSpec::Same,
        child_id: mid.into(),
        child: ChildKind::Delegator(Box::new(DelegateSpec {
            own: vec![Step::Write("/data/out/mid.txt".into(), "m".into())],
            ttl_secs: 300,
            grants: vec![Grant::Keep("read_file".into())],
            holder: HolderSpec::Same,
            child_id: leaf_id.into(),
            child: ChildKind::Agent(Plan::new(vec![
                Step::Read("/data/in/g.txt".into()),
                Step::Write("/data/out/g.txt".into(), "g".into()),
            ])),
        })),
    };
    let out = run_worker(&client, all_workflows(q, &w), async {
        start_delegator(&client, q, id, spec).await;
        result(&client, id).await
    })
    .await
    .unwrap();
    assert_eq!(
        out,
        vec![
            "ok:1".to_owned(),
            read_ok("/data/in/g.txt"),
            "denied:TOOL_NOT_GRANTED".to_owned(),
        ]
    );
    assert_eq!(ran(mid), vec![("FsActs::write_file".to_owned(), 1)]);
    assert_eq!(ran(leaf_id), vec![("FsActs::read_file".to_owned(), 1)]);
    assert_eq!(audit_of(&sink, mid), vec![(Decision::Allow, None, Some(2))]);
    assert_eq!(
        audit_of(&sink, leaf_id),
        vec![
            (Decision::Allow, None, Some(3)),
            (Decision::Deny, Some("TOOL_NOT_GRANTED"), None),
        ]
    );

    let a = history(&client, id).await;
    let b = history(&client, mid).await;
    let c = history(&client, leaf_id).await;
    let b_chain = chain_of(&started_header(&b));
    let c_chain = chain_of(&started_header(&c));
    assert_eq!(b_chain.len(), 2);
    assert_eq!(c_chain.len(), 3);
    assert_eq!(
        &c_chain.links()[..2],
        b_chain.links(),
        "grandchild extends the child's chain"
    );
    assert!(c_chain.check_links().is_ok());
    assert_eq!(
        tools_of(b_chain.leaf().unwrap()),
        vec!["read_file".to_owned(), "write_file".to_owned()]
    );
    assert_eq!(
        tools_of(c_chain.leaf().unwrap()),
        vec!["read_file".to_owned()]
    );
    assert_eq!(c_chain.leaf().unwrap().depth(), 2);
    assert_eq!(
        bytes_of(&child_initiations(&b)[0], "x-warrant"),
        c_chain.to_bytes()
    );
    assert_replays(&[
        ("parent", true, a),
        ("child", true, b),
        ("grandchild", false, c),
    ])
    .await;
}

// ---------------------------------------------------------------------------
// 4. Forged link
// ---------------------------------------------------------------------------

/// The client presents 2-link chains whose child link was not signed by the
/// root warrant's holder (the agent): (a) issuer = the agent, signed by
/// another key; (b) issuer = another key, validly signed by it. The core
/// builders refuse to make either; crafted anyway, the first activity is
/// denied `CHAIN_INVALID` (link 1) and nothing runs.
#[tokio::test(flavor = "multi_thread")]
async fn forged_child_link_is_chain_invalid() {
    let server = DevServer::start().unwrap();
    let root = agent_chain();
    let root_w = root.leaf().unwrap().clone();
    let wrong = wrong_key();

    // The builders refuse.
    let g = root_w.grant_builder().inherit("read_file");
    assert!(matches!(
        g.clone().grant(&wrong),
        Err(BuildError::WrongKey(_))
    ));
    let unsigned = g.prepare().unwrap();
    assert_eq!(unsigned.payload().issuer, agent_key().public_key());
    let sig = wrong.sign(&unsigned.signing_message());
    assert!(matches!(
        unsigned.clone().finish(sig),
        Err(BuildError::BadSignature)
    ));

    // (a) the agent as issuer, signed by the wrong key.
    let bad_sig = Warrant::sign_payload(unsigned.payload().clone(), &wrong).unwrap();
    assert!(!bad_sig.verify_signature());
    let forged_a = root
        .push(bad_sig)
        .expect("push checks link rules, not signatures");
    // (b) the wrong key as issuer, validly self-signed.
    let payload_b = WarrantPayload {
        issuer: wrong.public_key(),
        ..unsigned.payload().clone()
    };
    let self_signed = Warrant::sign_payload(payload_b, &wrong).unwrap();
    assert!(self_signed.verify_signature());
    assert!(root.push(self_signed.clone()).is_err());
    let mut bytes_b = vec![0x82];
    bytes_b.extend_from_slice(root_w.as_bytes());
    bytes_b.extend_from_slice(self_signed.as_bytes());
    let forged_b = Chain::from_bytes(&bytes_b).unwrap();
    assert_eq!(forged_b.len(), 2);

    let sink = Arc::new(MemorySink::new());
    let w = dl_warrants(Arc::clone(&sink));
    let q = "dl-forged";
    let cases = [
        ("dl-forged-sig", forged_a, "signature does not verify"),
        (
            "dl-forged-issuer",
            forged_b,
            "issuer is not the parent's holder",
        ),
    ];
    let mut histories = Vec::new();
    for (id, chain, reason) in &cases {
        let client = client(
            &server,
            Some(WarrantClientInterceptor::with_default(WarrantHeaders::new(
                chain, AGENT,
            ))),
            None,
        )
        .await;
        let out = run_worker(&client, all_workflows(q, &w), async {
            run_plan(
                &client,
                q,
                id,
                Plan::new(vec![Step::Read("/data/in/f.txt".into())]),
            )
            .await
        })
        .await
        .unwrap();
        assert_eq!(out, vec!["denied:CHAIN_INVALID".to_owned()], "{id}");
        assert!(ran(id).is_empty(), "{id}: body ran");
        let events: Vec<AuditEvent> = sink
            .events()
            .into_iter()
            .filter(|e| e.workflow_id.as_deref() == Some(*id))
            .collect();
        assert_eq!(events.len(), 1, "{id}");
        assert_eq!(events[0].code, Some("CHAIN_INVALID"));
        let r = events[0].reason.clone().unwrap_or_default();
        assert!(r.contains("link 1") && r.contains(reason), "{id}: {r}");
        let h = history(&client, id).await;
        assert_eq!(bytes_of(&started_header(&h), "x-warrant"), chain.to_bytes());
        histories.push(("forged", false, h));
    }
    assert_replays(&histories).await;
}

// ---------------------------------------------------------------------------
// 5. Per-stage warrants
// ---------------------------------------------------------------------------

/// The ingest stage: `read_file` under `/data/in`, root-issued to `ingest`
/// (1 link).
fn ingest_chain() -> Chain {
    Chain::root(
        Warrant::mint_builder()
            .holder(ingest_key().public_key())
            .capability(
                "read_file",
                [("path", Subpath::new("/data/in").unwrap().into())],
            )
            .ttl(Duration::from_secs(3600))
            .mint(&root_key())
            .unwrap(),
    )
}

/// The transform stage: `write_file` under `/data/out`, granted by the
/// agent to `transform` (2 links).
fn transform_chain() -> Chain {
    let root = agent_chain();
    let child = root
        .leaf()
        .unwrap()
        .grant_builder()
        .holder(transform_key().public_key())
        .capability(
            "write_file",
            [
                ("path", Subpath::new("/data/out").unwrap().into()),
                ("content", Wildcard::new().into()),
            ],
        )
        .ttl(Duration::from_secs(600))
        .grant(&agent_key())
        .unwrap();
    root.push(child).unwrap()
}

/// A pipeline runs calls under stage warrants it received as input: each
/// scoped call carries exactly its stage's chain and is signed by the
/// stage's key; a write inside the ingest stage is denied
/// `TOOL_NOT_GRANTED`; calls outside any scope use the start warrant; the
/// innermost of nested scopes applies; `current` reports the stage in
/// force.
#[tokio::test(flavor = "multi_thread")]
async fn per_stage_warrants_apply_to_exactly_the_scoped_calls() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = dl_warrants(Arc::clone(&sink));
    let (q, id) = ("dl-stage", "dl-stage-wf");
    let ingest = ingest_chain();
    let transform = transform_chain();
    let s = |n: &str| Some(n.to_owned());
    let spec = PipelineSpec {
        stages: vec![
            (INGEST.into(), ingest.to_bytes()),
            (TRANSFORM.into(), transform.to_bytes()),
        ],
        ops: vec![
            Op::Current(None),
            Op::Current(s(INGEST)),
            Op::Read(s(INGEST), "/data/in/a.txt".into()),
            Op::Write(s(INGEST), "/data/out/a.txt".into()),
            Op::Write(s(TRANSFORM), "/data/out/b.txt".into()),
            Op::Read(s(TRANSFORM), "/data/in/b.txt".into()),
            Op::Read(None, "/data/in/c.txt".into()),
            Op::Write(None, "/data/out/c.txt".into()),
            Op::NestedWrite(INGEST.into(), TRANSFORM.into(), "/data/out/d.txt".into()),
            Op::Current(None),
        ],
    };
    let out = run_worker(&client, all_workflows(q, &w), async {
        client
            .start_workflow(
                Pipeline::run,
                spec,
                WorkflowStartOptions::new(q, id).build(),
            )
            .await
            .unwrap();
        result(&client, id).await
    })
    .await
    .unwrap();
    assert_eq!(
        out,
        vec![
            "current:agent:1".to_owned(),
            "current:ingest:1".to_owned(),
            read_ok("/data/in/a.txt"),
            "denied:TOOL_NOT_GRANTED".to_owned(),
            "ok:4".to_owned(),
            "denied:TOOL_NOT_GRANTED".to_owned(),
            read_ok("/data/in/c.txt"),
            "ok:4".to_owned(),
            "ok:4".to_owned(),
            "current:agent:1".to_owned(),
        ]
    );
    assert_eq!(
        ran(id),
        vec![
            ("FsActs::read_file".to_owned(), 1),
            ("FsActs::write_file".to_owned(), 1),
            ("FsActs::read_file".to_owned(), 1),
            ("FsActs::write_file".to_owned(), 1),
            ("FsActs::write_file".to_owned(), 1),
        ]
    );
    assert_eq!(
        audit_of(&sink, id),
        vec![
            (Decision::Allow, None, Some(1)),
            (Decision::Deny, Some("TOOL_NOT_GRANTED"), None),
            (Decision::Allow, None, Some(2)),
            (Decision::Deny, Some("TOOL_NOT_GRANTED"), None),
            (Decision::Allow, None, Some(1)),
            (Decision::Allow, None, Some(1)),
            (Decision::Allow, None, Some(2)),
        ]
    );
    let events = history(&client, id).await;
    let got: Vec<Vec<u8>> = scheduled(&events)
        .iter()
        .map(|h| bytes_of(h, "x-warrant"))
        .collect();
    let start = agent_chain().to_bytes();
    assert_eq!(
        got,
        vec![
            ingest.to_bytes(),
            ingest.to_bytes(),
            transform.to_bytes(),
            transform.to_bytes(),
            start.clone(),
            start,
            transform.to_bytes(),
        ],
        "x-warrant of each ActivityTaskScheduled"
    );
    // Each scheduled call carries a proof (signed by the stage's key: the
    // allowed ones verified against their leaf holders above).
    assert!(scheduled(&events)
        .iter()
        .all(|h| h.contains_key("x-warrant-pop") && !h.contains_key("x-warrant-no-key")));
    assert_replays(&[("pipeline", false, events)]).await;
}

/// `under(ctx, stage, || ctx.execute_activity(..))`: the SDK runs the
/// outbound interceptors when an activity is *requested*, not when its
/// future is first polled, so this form is only scoped because `under`
/// calls the closure inside the scope. A direct write under the ingest
/// stage (no `write_file`) is denied `TOOL_NOT_GRANTED`; the same under the
/// transform stage is allowed; each carries its stage's chain. (Before
/// `under` took a closure, `under(ctx, w, ctx.execute_activity(..))`
/// scheduled the call under the start warrant.)
#[tokio::test(flavor = "multi_thread")]
async fn under_scopes_a_call_made_directly_in_the_closure() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = dl_warrants(Arc::clone(&sink));
    let (q, id) = ("dl-direct", "dl-direct-wf");
    let ingest = ingest_chain();
    let transform = transform_chain();
    let spec = PipelineSpec {
        stages: vec![
            (INGEST.into(), ingest.to_bytes()),
            (TRANSFORM.into(), transform.to_bytes()),
        ],
        ops: vec![
            Op::DirectWrite(INGEST.into(), "/data/out/e.txt".into()),
            Op::DirectWrite(TRANSFORM.into(), "/data/out/f.txt".into()),
        ],
    };
    let out = run_worker(&client, all_workflows(q, &w), async {
        client
            .start_workflow(
                Pipeline::run,
                spec,
                WorkflowStartOptions::new(q, id).build(),
            )
            .await
            .unwrap();
        result(&client, id).await
    })
    .await
    .unwrap();
    let events = history(&client, id).await;
    let used: Vec<Vec<u8>> = scheduled(&events)
        .iter()
        .map(|h| bytes_of(h, "x-warrant"))
        .collect();
    assert_eq!(used.len(), 2);
    assert!(
        used[0] == ingest.to_bytes(),
        "the first write was scheduled under the {} chain, not the ingest stage; outcome {out:?}",
        if used[0] == agent_chain().to_bytes() {
            "start"
        } else {
            "an unexpected"
        }
    );
    assert_eq!(used[1], transform.to_bytes());
    assert_eq!(
        out,
        vec!["denied:TOOL_NOT_GRANTED".to_owned(), "ok:4".to_owned()]
    );
    assert_eq!(ran(id), vec![("FsActs::write_file".to_owned(), 1)]);
    assert_eq!(
        audit_of(&sink, id),
        vec![
            (Decision::Deny, Some("TOOL_NOT_GRANTED"), None),
            (Decision::Allow, None, Some(2)),
        ]
    );
    assert_replays(&[("pipeline", false, events)]).await;
}

// ---------------------------------------------------------------------------
// 6. Continue-as-new with a narrower warrant
// ---------------------------------------------------------------------------

/// Run 0 delegates `read_file` only and continues as new inside
/// `with_context_value_sync::<ActiveWarrant, _>`: the `ContinuedAsNew`
/// header and run 1's start header carry the 2-link chain; in run 1 a read
/// is allowed and a write denied `TOOL_NOT_GRANTED`. Run 1 continues as new
/// with no scope: run 2 keeps the narrow chain (its start warrant), and its
/// write is denied too.
#[tokio::test(flavor = "multi_thread")]
async fn continue_as_new_with_a_narrower_warrant() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = dl_warrants(Arc::clone(&sink));
    let (q, id) = ("dl-can", "dl-can-wf");
    let (first_run, out) = run_worker(&client, all_workflows(q, &w), async {
        let h = client
            .start_workflow(
                Narrowing::run,
                Phase {
                    run: 0,
                    done: vec![],
                },
                WorkflowStartOptions::new(q, id).build(),
            )
            .await
            .unwrap();
        let first = h.run_id().unwrap().to_owned();
        (first, result(&client, id).await)
    })
    .await;
    assert_eq!(
        out.unwrap(),
        vec![
            read_ok("/data/in/r0.txt"),
            read_ok("/data/in/r1.txt"),
            "denied:TOOL_NOT_GRANTED".to_owned(),
            "denied:TOOL_NOT_GRANTED".to_owned(),
        ]
    );
    assert_eq!(ran(id), vec![("FsActs::read_file".to_owned(), 1); 2]);
    assert_eq!(
        audit_of(&sink, id),
        vec![
            (Decision::Allow, None, Some(1)),
            (Decision::Allow, None, Some(2)),
            (Decision::Deny, Some("TOOL_NOT_GRANTED"), None),
            (Decision::Deny, Some("TOOL_NOT_GRANTED"), None),
        ]
    );

    let run0 = run_history(&client, id, &first_run).await;
    let can0 = run0
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::WorkflowExecutionContinuedAsNewEventAttributes(a)) => Some(a.clone()),
            _ => None,
        })
        .expect("run 0 did not continue as new");
    let narrow = chain_of(&fields(can0.header.as_ref()));
    assert_eq!(key_id_of(&fields(can0.header.as_ref())), AGENT);
    assert_eq!(narrow.len(), 2);
    assert_eq!(narrow.links()[0], *agent_chain().leaf().unwrap());
    assert_eq!(
        tools_of(narrow.leaf().unwrap()),
        vec!["read_file".to_owned()]
    );
    assert_eq!(
        narrow.leaf().unwrap().expires_at() - narrow.leaf().unwrap().issued_at(),
        300
    );
    assert_eq!(scheduled(&run0).len(), 1);
    assert_eq!(
        bytes_of(&scheduled(&run0)[0], "x-warrant"),
        agent_chain().to_bytes()
    );

    let run1 = run_history(&client, id, &can0.new_execution_run_id).await;
    assert_eq!(
        bytes_of(&started_header(&run1), "x-warrant"),
        narrow.to_bytes()
    );
    assert_eq!(key_id_of(&started_header(&run1)), AGENT);
    for h in scheduled(&run1) {
        assert_eq!(bytes_of(&h, "x-warrant"), narrow.to_bytes());
    }
    let run2 = history(&client, id).await;
    assert_eq!(
        bytes_of(&started_header(&run2), "x-warrant"),
        narrow.to_bytes()
    );
    assert_eq!(scheduled(&run2).len(), 1);

    assert_replays(&[
        ("run 0", true, run0),
        ("run 1", false, run1),
        ("run 2", false, run2),
    ])
    .await;
}

// ---------------------------------------------------------------------------
// 7. Holder change
// ---------------------------------------------------------------------------

/// `holder_key_id("child-key")` (in the key store): the child runs with key
/// id `child-key`, its leaf is held by that key and its proofs, signed with
/// it, verify. `holder("remote", pk)` (not in this worker's store): the
/// delegation is made, but the child cannot prove possession and its read
/// is denied `KEY_NOT_FOUND` without running.
#[tokio::test(flavor = "multi_thread")]
async fn holder_change() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = dl_warrants(Arc::clone(&sink));
    let q = "dl-holder";
    let cases = [
        ("dl-holder-local", HolderSpec::KeyId(CHILD_KEY.into())),
        (
            "dl-holder-remote",
            HolderSpec::Remote(REMOTE.into(), remote_key().public_key().to_bytes().to_vec()),
        ),
    ];
    let outs = run_worker(&client, all_workflows(q, &w), async {
        for (id, holder) in &cases {
            start_delegator(
                &client,
                q,
                id,
                DelegateSpec {
                    own: vec![],
                    ttl_secs: 120,
                    grants: vec![Grant::Keep("read_file".into())],
                    holder: holder.clone(),
                    child_id: format!("{id}-child"),
                    child: ChildKind::Agent(Plan::new(vec![Step::Read("/data/in/h.txt".into())])),
                },
            )
            .await;
        }
        let mut outs = Vec::new();
        for (id, _) in &cases {
            outs.push(result(&client, id).await.unwrap());
        }
        outs
    })
    .await;
    assert_eq!(outs[0], vec![read_ok("/data/in/h.txt")]);
    assert_eq!(outs[1], vec!["denied:KEY_NOT_FOUND".to_owned()]);

    let local_child = "dl-holder-local-child";
    let remote_child = "dl-holder-remote-child";
    assert_eq!(ran(local_child), vec![("FsActs::read_file".to_owned(), 1)]);
    assert!(ran(remote_child).is_empty());
    assert_eq!(
        audit_of(&sink, local_child),
        vec![(Decision::Allow, None, Some(2))]
    );
    assert_eq!(
        audit_of(&sink, remote_child),
        vec![(Decision::Deny, Some("KEY_NOT_FOUND"), None)]
    );

    let mut histories = Vec::new();
    for ((id, _), (key_id, holder)) in cases.iter().zip([
        (CHILD_KEY, child_key().public_key()),
        (REMOTE, remote_key().public_key()),
    ]) {
        let parent = history(&client, id).await;
        let child = history(&client, &format!("{id}-child")).await;
        let h = started_header(&child);
        assert_eq!(key_id_of(&h), key_id, "{id}");
        let chain = chain_of(&h);
        assert_eq!(chain.len(), 2);
        let leaf = chain.leaf().unwrap();
        assert_eq!(leaf.holder(), &holder, "{id}");
        assert_eq!(leaf.issuer(), &agent_key().public_key(), "{id}");
        let sched = scheduled(&child);
        assert_eq!(sched.len(), 1);
        if key_id == REMOTE {
            assert!(!sched[0].contains_key("x-warrant-pop"));
            assert_eq!(bytes_of(&sched[0], "x-warrant-no-key"), REMOTE.as_bytes());
        } else {
            assert!(sched[0].contains_key("x-warrant-pop"));
        }
        histories.push(("parent", true, parent));
        histories.push(("child", false, child));
    }
    assert_replays(&histories).await;
}

/// A worker without the delegating holder's key still takes the same path
/// (delegation never fails for a missing key, so replay stays
/// deterministic), but the link it mints carries a signature that does not
/// verify: the child's call is denied `CHAIN_INVALID` and never runs.
#[tokio::test(flavor = "multi_thread")]
async fn delegation_without_the_holder_key_fails_closed() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let mut keys = KeyStore::new();
    keys.insert(CHILD_KEY, child_key()); // the agent's key is missing
    let w = Warrants::builder()
        .trusted_root(root_key().public_key())
        .keys(keys)
        .activities(registry())
        .audit_sink(Arc::clone(&sink) as Arc<dyn warrants_temporal::AuditSink>)
        .build()
        .unwrap();
    let q = "dl-nokey";
    let id = "dl-nokey";
    let out = run_worker(&client, all_workflows(q, &w), async {
        start_delegator(
            &client,
            q,
            id,
            DelegateSpec {
                own: vec![],
                ttl_secs: 120,
                grants: vec![Grant::Keep("read_file".into())],
                holder: HolderSpec::KeyId(CHILD_KEY.into()),
                child_id: format!("{id}-child"),
                child: ChildKind::Agent(Plan::new(vec![Step::Read("/data/in/n.txt".into())])),
            },
        )
        .await;
        result(&client, id).await.unwrap()
    })
    .await;
    assert_eq!(out, vec!["denied:CHAIN_INVALID".to_owned()]);
    let child = format!("{id}-child");
    assert!(ran(&child).is_empty());
    assert_eq!(
        audit_of(&sink, &child),
        vec![(Decision::Deny, Some("CHAIN_INVALID"), None)]
    );
}

// ---------------------------------------------------------------------------
// 8. Key-less replay of delegating runs
// ---------------------------------------------------------------------------

/// Histories of runs that called `delegate` (a child delegation, a refused
/// widening, a narrowing continue-as-new) replay with the worker's keys
/// byte-identically, and must also replay with `Warrants::for_replay()`,
/// which holds no keys: Temporal does not compare command headers, so a
/// replayer should not need private holder keys any more than it does for
/// activity proofs.
#[tokio::test(flavor = "multi_thread")]
async fn keyless_replay_of_delegating_runs() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = dl_warrants(Arc::clone(&sink));
    let q = "dl-keyless";
    let (ok_id, refused_id, can_id) = ("dl-keyless-ok", "dl-keyless-refused", "dl-keyless-can");
    let spec = |child_id: &str, grants: Vec<Grant>| DelegateSpec {
        own: vec![],
        ttl_secs: 60,
        grants,
        holder: HolderSpec::Same,
        child_id: child_id.into(),
        child: ChildKind::Agent(Plan::new(vec![Step::Read("/data/in/k.txt".into())])),
    };
    let (ok, refused, can, can_first) = run_worker(&client, all_workflows(q, &w), async {
        start_delegator(
            &client,
            q,
            ok_id,
            spec("dl-keyless-ok-child", vec![Grant::Keep("read_file".into())]),
        )
        .await;
        start_delegator(
            &client,
            q,
            refused_id,
            spec(
                "dl-keyless-refused-child",
                vec![Grant::ReadUnder("/".into())],
            ),
        )
        .await;
        let h = client
            .start_workflow(
                Narrowing::run,
                Phase {
                    run: 0,
                    done: vec![],
                },
                WorkflowStartOptions::new(q, can_id).build(),
            )
            .await
            .unwrap();
        let can_first = h.run_id().unwrap().to_owned();
        (
            result(&client, ok_id).await.unwrap(),
            result(&client, refused_id).await.unwrap(),
            result(&client, can_id).await.unwrap(),
            can_first,
        )
    })
    .await;
    assert_eq!(ok, vec![read_ok("/data/in/k.txt")]);
    assert_eq!(refused[0], "refused:DELEGATION_REFUSED");
    assert_eq!(can.len(), 4, "{can:?}");

    let histories = vec![
        ("delegating parent", true, history(&client, ok_id).await),
        ("refusing parent", true, history(&client, refused_id).await),
        (
            "narrowing run 0",
            true,
            run_history(&client, can_id, &can_first).await,
        ),
    ];
    assert_keyed_replays(&histories).await;
    let failures = keyless_replay_failures(&histories).await;
    assert!(
        failures.is_empty(),
        "delegating runs do not replay with Warrants::for_replay() (no keys): `delegate` \
         returns KEY_NOT_FOUND on a key-less replayer where it succeeded live:\n{}",
        failures.join("\n")
    );
}
