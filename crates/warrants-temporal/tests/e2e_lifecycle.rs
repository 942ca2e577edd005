//! End to end on a real dev server: everything Temporal does to a workflow
//! over its life, and the warrant surviving it. Server retries that outlive
//! the proof window, parallel activities, local activities (in-process and
//! timer-backoff retries, the local retry grace), continue-as-new, a payload
//! codec, child workflows, external signals, a worker restart mid-workflow,
//! and replay of the resulting histories by a replayer that holds no keys.
//!
//! Every test starts its own dev server and uses its own task queue and
//! workflow ids (the activity run log in `support::RAN` is shared by the
//! binary and filtered by workflow id).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::FutureExt;
use serde::{Deserialize, Serialize};
use temporalio_client::WorkflowHistory;
use temporalio_client::{Client, WorkflowStartOptions};
use temporalio_common::data_converters::{
    DataConverter, DefaultFailureConverter, PayloadCodec, PayloadConversionError, PayloadConverter,
    SerializationContextData,
};
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_common::protos::temporal::api::history::v1::{History, HistoryEvent};
use temporalio_sdk::workflow_replayer::{
    WorkflowReplayFailure, WorkflowReplayer, WorkflowReplayerOptions,
};
use temporalio_sdk::workflows::{workflow, workflow_methods};
use temporalio_sdk::{
    ChildWorkflowOptions, SignalWorkflowOptions, SyncWorkflowContext, WorkerOptions,
    WorkflowContext, WorkflowResult,
};
use warrants_temporal::audit::{Decision, MemorySink};
use warrants_temporal::{KeyStore, Warrants, WarrantsConfigBuilder};

use support::*;

// ---------------------------------------------------------------------------
// Extra workflows
// ---------------------------------------------------------------------------

/// What `Parent` runs: the child's workflow id and plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChildSpec {
    pub child_id: String,
    pub plan: Plan,
}

/// Starts `Agent` as a child with a plan and returns the child's result.
#[workflow]
#[derive(Default)]
pub struct Parent;

#[workflow_methods]
impl Parent {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        spec: ChildSpec,
    ) -> WorkflowResult<Vec<String>> {
        let child = ctx
            .start_child_workflow(
                Agent::run,
                spec.plan,
                ChildWorkflowOptions::workflow_id(spec.child_id),
            )
            .await?;
        Ok(child.result().await?)
    }
}

/// Waits for one `note` signal and returns its text.
#[workflow]
#[derive(Default)]
pub struct Receiver {
    note: Option<String>,
}

#[workflow_methods]
impl Receiver {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, _name: String) -> WorkflowResult<String> {
        ctx.wait_condition(|s| s.note.is_some()).await?;
        Ok(ctx.state(|s| s.note.clone().unwrap_or_default()))
    }

    #[signal]
    pub fn note(&mut self, _ctx: &mut SyncWorkflowContext<Self>, text: String) {
        self.note = Some(text);
    }
}

/// Signals the external workflow `target` (a `Receiver`) once.
#[workflow]
#[derive(Default)]
pub struct Sender;

#[workflow_methods]
impl Sender {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, target: String) -> WorkflowResult<String> {
        ctx.external_workflow(target, None)
            .signal(
                Receiver::note,
                "hello from sender".to_owned(),
                SignalWorkflowOptions::default(),
            )
            .await?;
        Ok("sent".to_owned())
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The standard worker configuration of these tests (`support::warrants`).
fn lc_warrants(sink: Arc<MemorySink>) -> Warrants {
    warrants_with(sink, true, |b| b)
}

/// Like [`lc_warrants`], with the agent key only when `with_key`, and
/// `tune` applied to the builder.
fn warrants_with(
    sink: Arc<MemorySink>,
    with_key: bool,
    tune: impl FnOnce(WarrantsConfigBuilder) -> WarrantsConfigBuilder,
) -> Warrants {
    let mut keys = KeyStore::new();
    if with_key {
        keys.insert(AGENT, agent_key());
    }
    tune(config_with_keys(keys, sink)).build().unwrap()
}

/// Worker options with every workflow of this file registered.
fn all_workflows(queue: &str, warrants: &Warrants) -> WorkerOptions {
    warrants
        .wire_worker(WorkerOptions::new(queue).register_activities(FsActs))
        .register_workflow::<Agent>()
        .unwrap()
        .register_workflow::<Parent>()
        .unwrap()
        .register_workflow::<Receiver>()
        .unwrap()
        .register_workflow::<Sender>()
        .unwrap()
        .build()
}

fn encoding(p: &Payload) -> String {
    String::from_utf8_lossy(p.metadata.get("encoding").map_or(&[][..], Vec::as_slice)).into_owned()
}

/// (activity id, header) of every `ActivityTaskScheduled` event.
fn scheduled(events: &[HistoryEvent]) -> Vec<(String, Fields)> {
    events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::ActivityTaskScheduledEventAttributes(a)) => {
                Some((a.activity_id.clone(), fields(a.header.as_ref())))
            }
            _ => None,
        })
        .collect()
}

/// `wa-` followed by 16 lowercase hex digits.
fn is_warrant_activity_id(id: &str) -> bool {
    id.strip_prefix("wa-").is_some_and(|h| {
        h.len() == 16
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Assert that `h` carries the standard chain and key id as plain binary
/// payloads (as the client sends them).
fn assert_plain_warrant(h: &Fields, what: &str) {
    let w = h
        .get("x-warrant")
        .unwrap_or_else(|| panic!("{what}: no x-warrant in {:?}", h.keys()));
    assert_eq!(encoding(w), "binary/plain", "{what}");
    assert_eq!(w.data, agent_chain().to_bytes(), "{what}: chain bytes");
    let k = h
        .get("x-warrant-key-id")
        .unwrap_or_else(|| panic!("{what}: no x-warrant-key-id in {:?}", h.keys()));
    assert_eq!(encoding(k), "binary/plain", "{what}");
    assert_eq!(k.data, AGENT.as_bytes(), "{what}: key id");
}

/// Start `plan` as `Agent` and return the handle's first run id.
async fn start_run(client: &Client, queue: &str, id: &str, plan: Plan) -> String {
    client
        .start_workflow(
            Agent::run,
            plan,
            WorkflowStartOptions::new(queue, id).build(),
        )
        .await
        .unwrap()
        .run_id()
        .unwrap()
        .to_owned()
}

/// The replay configurations: the worker's configuration without its key
/// (roots and registry kept), and `Warrants::for_replay()` (nothing at all).
fn replay_configs() -> Vec<(&'static str, Warrants)> {
    let keyless = warrants_with(Arc::new(MemorySink::new()), false, |b| b);
    let bare = Warrants::for_replay();
    assert!(keyless.config().keys().is_empty());
    assert!(bare.config().keys().is_empty());
    vec![("keyless worker config", keyless), ("for_replay", bare)]
}

/// Replay `histories` with a replayer wired with `warrants` (or with no
/// warrant interceptor at all when `None`). One result per history.
async fn replay(
    histories: Vec<Vec<HistoryEvent>>,
    converter: Option<DataConverter>,
    warrants: Option<&Warrants>,
) -> Vec<Option<WorkflowReplayFailure>> {
    let opts = WorkflowReplayerOptions::new();
    let opts = match warrants {
        Some(w) => w.wire_replayer(opts),
        None => opts,
    };
    let opts = opts
        .register_workflow::<Agent>()
        .unwrap()
        .register_workflow::<Parent>()
        .unwrap()
        .register_workflow::<Receiver>()
        .unwrap()
        .register_workflow::<Sender>()
        .unwrap()
        .maybe_data_converter(converter)
        .build();
    let replayer = WorkflowReplayer::new(opts).unwrap();
    let results = replayer
        .replay_workflows(
            histories
                .into_iter()
                .map(|events| WorkflowHistory::from(History { events })),
        )
        .await
        .unwrap();
    results.into_iter().map(|r| r.replay_failure).collect()
}

/// Replay with each key-less configuration of [`replay_configs`] and
/// require every history to replay cleanly.
async fn assert_replays(histories: Vec<Vec<HistoryEvent>>, converter: Option<DataConverter>) {
    for (name, w) in replay_configs() {
        let failures = replay(histories.clone(), converter.clone(), Some(&w)).await;
        assert_eq!(failures.len(), histories.len());
        for (i, f) in failures.iter().enumerate() {
            assert!(f.is_none(), "{name}: history {i} did not replay: {f:?}");
        }
    }
}

/// (decision, code, attempt, is_local) of every audit event, in order.
fn decisions(sink: &MemorySink) -> Vec<(Decision, Option<&'static str>, u32, bool)> {
    sink.events()
        .into_iter()
        .map(|e| (e.decision, e.code, e.attempt, e.is_local))
        .collect()
}

/// `flaky_read` ran exactly three times for `id` (attempts 1, 2, 3), and
/// `sink` holds exactly three allowed decisions for those attempts, all
/// local (`is_local`) or all remote.
fn assert_three_allowed_flaky_attempts(sink: &MemorySink, id: &str, is_local: bool) {
    assert_eq!(
        ran(id),
        vec![
            ("FsActs::flaky_read".to_owned(), 1),
            ("FsActs::flaky_read".to_owned(), 2),
            ("FsActs::flaky_read".to_owned(), 3),
        ]
    );
    assert_eq!(
        decisions(sink),
        vec![
            (Decision::Allow, None, 1, is_local),
            (Decision::Allow, None, 2, is_local),
            (Decision::Allow, None, 3, is_local),
        ]
    );
}

/// (failure type, non-retryable) of every local-activity marker that
/// records a failure.
fn marker_failures(events: &[HistoryEvent]) -> Vec<(String, bool)> {
    events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::MarkerRecordedEventAttributes(a)) => a.failure.as_ref(),
            _ => None,
        })
        .map(|f| match &f.failure_info {
            Some(FailureInfo::ApplicationFailureInfo(i)) => (i.r#type.clone(), i.non_retryable),
            other => panic!("unexpected marker failure {other:?}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// 1. Server retries outlive the PoP window
// ---------------------------------------------------------------------------

/// A remote activity failing twice with 3 s backoff under a 2 s/1 s proof
/// window: every attempt is authorized because retries reuse the scheduled
/// headers and the reference time is the (fixed) `scheduled_time`. Were the
/// reference the current attempt's time or the clock, attempts 2 and 3
/// (≥ 3 s and ≥ 6 s after the proof) would be `POP_STALE`.
#[tokio::test(flavor = "multi_thread")]
async fn server_retries_outlive_the_pop_window() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = warrants_with(Arc::clone(&sink), true, |b| b.pop_window(2, 1));
    let (q, id) = ("lc-retry", "lc-retry-wf");
    let out = run_worker(&client, worker_options(q, &w), async {
        run_plan(
            &client,
            q,
            id,
            Plan::new(vec![Step::Flaky("/data/in/r.txt".into(), 2, 3000)]),
        )
        .await
    })
    .await
    .unwrap();
    assert_eq!(out, vec![read_ok("/data/in/r.txt")]);
    assert_three_allowed_flaky_attempts(&sink, id, false);
    // One schedule (retries are server-side), carrying the warrant.
    let events = history(&client, id).await;
    let sched = scheduled(&events);
    assert_eq!(sched.len(), 1);
    assert!(is_warrant_activity_id(&sched[0].0), "{}", sched[0].0);
    assert!(sched[0].1.contains_key("x-warrant-pop"));
    let last_attempt = events
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::ActivityTaskStartedEventAttributes(a)) => Some(a.attempt),
            _ => None,
        })
        .unwrap();
    assert_eq!(last_attempt, 3);
    assert_replays(vec![events], None).await;
}

// ---------------------------------------------------------------------------
// 2. Parallel activities
// ---------------------------------------------------------------------------

/// Five reads in parallel in one workflow task, one out of scope: each gets
/// its own activity id and proof; the out-of-scope one alone is denied, and
/// no sibling is mistaken for a replayed proof.
#[tokio::test(flavor = "multi_thread")]
async fn parallel_activities_get_distinct_ids_and_proofs() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = lc_warrants(Arc::clone(&sink));
    let (q, id) = ("lc-par", "lc-par-wf");
    let paths = [
        "/data/in/a",
        "/data/in/b",
        "/etc/shadow",
        "/data/in/c",
        "/data/in/d",
    ];
    let out = run_worker(&client, worker_options(q, &w), async {
        run_plan(
            &client,
            q,
            id,
            Plan::new(vec![Step::Parallel(
                paths.iter().map(|p| (*p).to_owned()).collect(),
            )]),
        )
        .await
    })
    .await
    .unwrap();
    let expected = paths
        .iter()
        .map(|p| {
            if p.starts_with("/data/in/") {
                read_ok(p)
            } else {
                "denied:CONSTRAINT_VIOLATED".to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(out, vec![expected]);
    let mut ran = ran(id);
    ran.sort();
    assert_eq!(ran, vec![("FsActs::read_file".to_owned(), 1); 4]);
    let t = tally(&sink);
    assert_eq!(t.get("Allow:-"), Some(&4), "{t:?}");
    assert_eq!(t.get("Deny:CONSTRAINT_VIOLATED"), Some(&1), "{t:?}");
    assert_eq!(t.len(), 2, "{t:?}");

    let events = history(&client, id).await;
    let sched = scheduled(&events);
    assert_eq!(sched.len(), paths.len());
    let mut ids: Vec<&str> = sched.iter().map(|(i, _)| i.as_str()).collect();
    for i in &ids {
        assert!(is_warrant_activity_id(i), "activity id {i}");
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), paths.len(), "activity ids not distinct");
    let mut pops = Vec::new();
    for (i, h) in &sched {
        let w = h
            .get("x-warrant")
            .unwrap_or_else(|| panic!("{i}: no x-warrant"));
        assert_eq!(w.data, agent_chain().to_bytes());
        let p = h
            .get("x-warrant-pop")
            .unwrap_or_else(|| panic!("{i}: no x-warrant-pop"));
        assert_eq!(encoding(p), "binary/plain");
        pops.push(p.data.clone());
    }
    pops.sort();
    pops.dedup();
    assert_eq!(pops.len(), paths.len(), "proofs not distinct");
    assert_replays(vec![events], None).await;
}

// ---------------------------------------------------------------------------
// 3. Local activities
// ---------------------------------------------------------------------------

/// Local reads in and out of scope, and a local read that fails twice with
/// in-process retries (300 ms backoff, below the 1 s timer threshold).
#[tokio::test(flavor = "multi_thread")]
async fn local_activities_in_scope_out_of_scope_and_in_process_retries() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = lc_warrants(Arc::clone(&sink));
    let (q, id) = ("lc-local", "lc-local-wf");
    let out = run_worker(&client, worker_options(q, &w), async {
        run_plan(
            &client,
            q,
            id,
            Plan::new(vec![
                Step::LocalRead("/data/in/l.txt".into()),
                Step::LocalRead("/etc/passwd".into()),
                Step::FlakyLocal("/data/in/f.txt".into(), 2, 300),
            ]),
        )
        .await
    })
    .await
    .unwrap();
    assert_eq!(
        out,
        vec![
            read_ok("/data/in/l.txt"),
            "denied:CONSTRAINT_VIOLATED".to_owned(),
            read_ok("/data/in/f.txt"),
        ]
    );
    assert_eq!(
        ran(id),
        vec![
            ("FsActs::read_file".to_owned(), 1),
            ("FsActs::flaky_read".to_owned(), 1),
            ("FsActs::flaky_read".to_owned(), 2),
            ("FsActs::flaky_read".to_owned(), 3),
        ]
    );
    assert_eq!(
        decisions(&sink),
        vec![
            (Decision::Allow, None, 1, true),
            (Decision::Deny, Some("CONSTRAINT_VIOLATED"), 1, true),
            (Decision::Allow, None, 1, true),
            (Decision::Allow, None, 2, true),
            (Decision::Allow, None, 3, true),
        ]
    );
    // Local activities leave markers (without headers), no schedules, and
    // in-process retries leave no timers.
    let events = history(&client, id).await;
    assert!(scheduled(&events).is_empty());
    let markers: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::MarkerRecordedEventAttributes(a)) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(markers.len(), 3);
    assert!(markers.iter().all(|m| m.header.is_none()));
    assert_eq!(
        marker_failures(&events),
        vec![("CONSTRAINT_VIOLATED".to_owned(), true)]
    );
    assert_eq!(
        count_events(&events, |a| matches!(
            a,
            Attributes::TimerStartedEventAttributes(_)
        )),
        0
    );
    assert_replays(vec![events], None).await;
}

/// Backoff of a timer-backoff local retry (above the 1 s threshold set in
/// support) and the proof window used with it: the window comfortably
/// covers attempt 1 (whose `scheduled_time` is the worker's clock at
/// dispatch, normally milliseconds after workflow time) but not a retry,
/// whose `scheduled_time` is at least one backoff later. With the seconds
/// rounding of both times, a retry is ≥ 4 s after the proof: > 2.
const LA_BACKOFF_MS: u64 = 4000;
const LA_WINDOW_BEFORE: u64 = 2;

/// A local read failing twice with timer backoff passes under a proof
/// window shorter than the backoffs, because attempts after the first get
/// the local retry grace (default 24 h). The replayer (no keys) accepts the
/// history with its backoff timers.
#[tokio::test(flavor = "multi_thread")]
async fn local_timer_backoff_retries_pass_with_the_local_retry_grace() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = warrants_with(Arc::clone(&sink), true, |b| {
        b.pop_window(LA_WINDOW_BEFORE, 1)
    });
    let (q, id) = ("lc-la-grace", "lc-la-grace-wf");
    let out = run_worker(&client, worker_options(q, &w), async {
        run_plan(
            &client,
            q,
            id,
            Plan::new(vec![Step::FlakyLocal(
                "/data/in/g.txt".into(),
                2,
                LA_BACKOFF_MS,
            )]),
        )
        .await
    })
    .await
    .unwrap();
    assert_eq!(out, vec![read_ok("/data/in/g.txt")]);
    assert_three_allowed_flaky_attempts(&sink, id, true);
    // The same activity id on every attempt (the interceptor fixed it and
    // the re-dispatch reuses the first attempt's options).
    let mut aids: Vec<String> = sink.events().into_iter().map(|e| e.activity_id).collect();
    aids.dedup();
    assert_eq!(aids.len(), 1, "{aids:?}");
    assert!(is_warrant_activity_id(&aids[0]), "{}", aids[0]);
    // Timer backoff: two backoff timers in history.
    let events = history(&client, id).await;
    assert_eq!(
        count_events(&events, |a| matches!(
            a,
            Attributes::TimerStartedEventAttributes(_)
        )),
        2
    );
    assert_replays(vec![events], None).await;
}

/// The same timer-backoff case without the grace is denied `POP_STALE` on
/// attempt 2: the grace rule, not anything else, is what lets the previous
/// test pass. Attempt 1 is allowed (it ran and failed on its own).
#[tokio::test(flavor = "multi_thread")]
async fn local_timer_backoff_retry_without_grace_is_stale() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = warrants_with(Arc::clone(&sink), true, |b| {
        b.pop_window(LA_WINDOW_BEFORE, 1).local_retry_grace(0)
    });
    let (q, id) = ("lc-la-nograce", "lc-la-nograce-wf");
    let out = run_worker(&client, worker_options(q, &w), async {
        run_plan(
            &client,
            q,
            id,
            Plan::new(vec![Step::FlakyLocal(
                "/data/in/g.txt".into(),
                2,
                LA_BACKOFF_MS,
            )]),
        )
        .await
    })
    .await
    .unwrap();
    assert_eq!(out, vec!["denied:POP_STALE".to_owned()]);
    assert_eq!(ran(id), vec![("FsActs::flaky_read".to_owned(), 1)]);
    assert_eq!(
        decisions(&sink),
        vec![
            (Decision::Allow, None, 1, true),
            (Decision::Deny, Some("POP_STALE"), 2, true),
        ],
        "attempt 1 must pass (if it is POP_STALE, attempt 1's dispatch lagged \
         workflow time by more than {LA_WINDOW_BEFORE} s)"
    );
    let events = history(&client, id).await;
    let failures = marker_failures(&events);
    assert_eq!(
        failures.last(),
        Some(&("POP_STALE".to_owned(), true)),
        "{failures:?}"
    );
    assert_replays(vec![events], None).await;
}

// ---------------------------------------------------------------------------
// 4. Continue-as-new
// ---------------------------------------------------------------------------

/// The warrant survives continue-as-new: the new run starts with the same
/// `x-warrant` and `x-warrant-key-id`, and its activities are authorized
/// and denied as before. Both runs replay without keys.
#[tokio::test(flavor = "multi_thread")]
async fn continue_as_new_keeps_the_warrant() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = lc_warrants(Arc::clone(&sink));
    let (q, id) = ("lc-can", "lc-can-wf");
    let (first_run, out) = run_worker(&client, worker_options(q, &w), async {
        let first = start_run(
            &client,
            q,
            id,
            Plan::new(vec![
                Step::Read("/data/in/1.txt".into()),
                Step::ContinueAsNew,
                Step::Read("/data/in/2.txt".into()),
                Step::Read("/etc/hosts".into()),
            ]),
        )
        .await;
        (first, result(&client, id).await)
    })
    .await;
    assert_eq!(
        out.unwrap(),
        vec![
            read_ok("/data/in/1.txt"),
            read_ok("/data/in/2.txt"),
            "denied:CONSTRAINT_VIOLATED".to_owned(),
        ]
    );
    assert_eq!(ran(id), vec![("FsActs::read_file".to_owned(), 1); 2]);

    let first = run_history(&client, id, &first_run).await;
    let can = first
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::WorkflowExecutionContinuedAsNewEventAttributes(a)) => Some(a),
            _ => None,
        })
        .expect("first run did not continue as new");
    assert_plain_warrant(&fields(can.header.as_ref()), "ContinuedAsNew header");
    let new_run = can.new_execution_run_id.clone();

    let latest = history(&client, id).await;
    assert_plain_warrant(&started_header(&latest), "new run's start header");
    assert_eq!(scheduled(&latest).len(), 2);
    assert_eq!(run_history(&client, id, &new_run).await.len(), latest.len());

    // The audit shows the decisions came from two runs.
    let events = sink.events();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].run_id.as_deref(), Some(first_run.as_str()));
    assert_eq!(events[1].run_id.as_deref(), Some(new_run.as_str()));
    assert_eq!(events[2].code, Some("CONSTRAINT_VIOLATED"));

    assert_replays(vec![first, latest], None).await;
}

// ---------------------------------------------------------------------------
// 5. Payload codec
// ---------------------------------------------------------------------------

const CODEC_ENCODING: &[u8] = b"binary/test-codec";
const CODEC_ORIGINAL: &str = "test-codec-original-encoding";
const XOR: u8 = 0x5a;

/// XORs payload data and marks it `binary/test-codec`; decodes only its own
/// encoding and passes any other payload through unchanged (headers the
/// client sent never went through it).
#[derive(Debug, Clone, Copy)]
struct XorCodec;

fn xor(data: &[u8]) -> Vec<u8> {
    data.iter().map(|b| b ^ XOR).collect()
}

impl PayloadCodec for XorCodec {
    fn encode(
        &self,
        _ctx: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let out = payloads
            .into_iter()
            .map(|mut p| {
                if let Some(orig) = p.metadata.remove("encoding") {
                    p.metadata.insert(CODEC_ORIGINAL.to_owned(), orig);
                }
                p.metadata
                    .insert("encoding".to_owned(), CODEC_ENCODING.to_vec());
                p.data = xor(&p.data);
                p
            })
            .collect();
        async move { Ok(out) }.boxed()
    }

    fn decode(
        &self,
        _ctx: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let out = payloads
            .into_iter()
            .map(|mut p| {
                if p.metadata.get("encoding").map(Vec::as_slice) != Some(CODEC_ENCODING) {
                    return p;
                }
                p.metadata.remove("encoding");
                if let Some(orig) = p.metadata.remove(CODEC_ORIGINAL) {
                    p.metadata.insert("encoding".to_owned(), orig);
                }
                p.data = xor(&p.data);
                p
            })
            .collect();
        async move { Ok(out) }.boxed()
    }
}

fn xor_converter() -> DataConverter {
    DataConverter::new(
        PayloadConverter::default(),
        DefaultFailureConverter::default(),
        XorCodec,
    )
}

/// Assert that `p` is the codec-encoded form of the binary payload `plain`.
fn assert_codec_encoded(p: &Payload, plain: &[u8], what: &str) {
    assert_eq!(encoding(p), "binary/test-codec", "{what}");
    assert_eq!(
        p.metadata.get(CODEC_ORIGINAL).map(Vec::as_slice),
        Some(&b"binary/plain"[..]),
        "{what}"
    );
    assert_eq!(xor(&p.data), plain, "{what}: decoded bytes");
}

/// With a codec on client and worker, allowed and denied calls (remote,
/// local, and after continue-as-new) behave as without it. History shows
/// the split the SDK makes: the client's start header is plain, the
/// worker's activity, continue-as-new and (so) the new run's start headers
/// are codec-encoded and still read correctly by the worker.
#[tokio::test(flavor = "multi_thread")]
async fn payload_codec_keeps_headers_readable() {
    let (_server, client) = new_server_and_client(Some(xor_converter())).await;
    let sink = Arc::new(MemorySink::new());
    let w = lc_warrants(Arc::clone(&sink));
    let (q, id) = ("lc-codec", "lc-codec-wf");
    let (first_run, out) = run_worker(&client, worker_options(q, &w), async {
        let first = start_run(
            &client,
            q,
            id,
            Plan::new(vec![
                Step::Read("/data/in/c1.txt".into()),
                Step::Read("/root/.ssh/id_ed25519".into()),
                Step::LocalRead("/data/in/c2.txt".into()),
                Step::LocalRead("/etc/passwd".into()),
                Step::Write("/data/out/c3.txt".into(), "abc".into()),
                Step::ContinueAsNew,
                Step::Read("/data/in/c4.txt".into()),
                Step::Read("/etc/hosts".into()),
            ]),
        )
        .await;
        (first, result(&client, id).await)
    })
    .await;
    assert_eq!(
        out.unwrap(),
        vec![
            read_ok("/data/in/c1.txt"),
            "denied:CONSTRAINT_VIOLATED".to_owned(),
            read_ok("/data/in/c2.txt"),
            "denied:CONSTRAINT_VIOLATED".to_owned(),
            "ok:3".to_owned(),
            read_ok("/data/in/c4.txt"),
            "denied:CONSTRAINT_VIOLATED".to_owned(),
        ]
    );
    let t = tally(&sink);
    assert_eq!(t.get("Allow:-"), Some(&4), "{t:?}");
    assert_eq!(t.get("Deny:CONSTRAINT_VIOLATED"), Some(&3), "{t:?}");
    assert_eq!(t.len(), 2, "no malformed or missing header: {t:?}");

    let chain = agent_chain().to_bytes();
    let first = run_history(&client, id, &first_run).await;
    // Client-sent: plain.
    assert_plain_warrant(&started_header(&first), "client start header");
    // Worker-sent: codec-encoded, and the activity input too.
    let sched = scheduled(&first);
    assert_eq!(sched.len(), 3);
    for (aid, h) in &sched {
        assert_codec_encoded(&h["x-warrant"], &chain, &format!("{aid} x-warrant"));
        assert_eq!(encoding(&h["x-warrant-pop"]), "binary/test-codec");
    }
    let input = first
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::ActivityTaskScheduledEventAttributes(a)) => a.input.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(encoding(&input.payloads[0]), "binary/test-codec");
    let can = first
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::WorkflowExecutionContinuedAsNewEventAttributes(a)) => {
                Some(fields(a.header.as_ref()))
            }
            _ => None,
        })
        .unwrap();
    assert_codec_encoded(&can["x-warrant"], &chain, "ContinuedAsNew x-warrant");
    assert_eq!(
        marker_failures(&first),
        vec![("CONSTRAINT_VIOLATED".to_owned(), true)]
    );
    let latest = history(&client, id).await;
    let h = started_header(&latest);
    assert_codec_encoded(&h["x-warrant"], &chain, "new run's start x-warrant");
    assert_codec_encoded(&h["x-warrant-key-id"], AGENT.as_bytes(), "new run's key id");

    assert_replays(vec![first, latest], Some(xor_converter())).await;
}

// ---------------------------------------------------------------------------
// 6. Child workflows
// ---------------------------------------------------------------------------

/// A parent starts `Agent` as a child: the child starts with the parent's
/// warrant and its activities are authorized and denied as usual.
#[tokio::test(flavor = "multi_thread")]
async fn child_workflow_carries_the_warrant() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = lc_warrants(Arc::clone(&sink));
    let (q, id, child_id) = ("lc-child", "lc-child-parent", "lc-child-child");
    let out = run_worker(&client, all_workflows(q, &w), async {
        client
            .start_workflow(
                Parent::run,
                ChildSpec {
                    child_id: child_id.to_owned(),
                    plan: Plan::new(vec![
                        Step::Read("/data/in/k.txt".into()),
                        Step::Read("/etc/shadow".into()),
                    ]),
                },
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
            read_ok("/data/in/k.txt"),
            "denied:CONSTRAINT_VIOLATED".to_owned()
        ]
    );
    assert_eq!(ran(child_id), vec![("FsActs::read_file".to_owned(), 1)]);
    let events = sink.events();
    assert_eq!(events.len(), 2);
    for e in &events {
        assert_eq!(e.workflow_id.as_deref(), Some(child_id));
        assert_eq!(e.workflow_type.as_deref(), Some("Agent"));
    }
    assert_eq!(events[0].decision, Decision::Allow);
    assert_eq!(events[1].code, Some("CONSTRAINT_VIOLATED"));

    let parent = history(&client, id).await;
    let initiated = parent
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::StartChildWorkflowExecutionInitiatedEventAttributes(a)) => {
                Some(fields(a.header.as_ref()))
            }
            _ => None,
        })
        .expect("no child initiated");
    assert_plain_warrant(&initiated, "StartChildWorkflowExecutionInitiated header");
    let child = history(&client, child_id).await;
    assert_plain_warrant(&started_header(&child), "child's start header");
    assert_eq!(scheduled(&child).len(), 2);

    assert_replays(vec![parent, child], None).await;
}

// ---------------------------------------------------------------------------
// 7. Worker restart and replay
// ---------------------------------------------------------------------------

/// Worker 1 runs the first activity and stops while the workflow sleeps;
/// worker 2 (a new `Worker`, nothing cached) rebuilds the run from history
/// and finishes it, its second activity authorized under a proof it signed
/// itself. The finished history then replays with a key-less replayer; the
/// same history does NOT replay without the warrant interceptor (its
/// activity ids differ), so the replay check has teeth.
#[tokio::test(flavor = "multi_thread")]
async fn worker_restart_then_replay_without_keys() {
    let (_server, client) = new_server_and_client(None).await;
    let sink1 = Arc::new(MemorySink::new());
    let sink2 = Arc::new(MemorySink::new());
    let w1 = lc_warrants(Arc::clone(&sink1));
    let w2 = lc_warrants(Arc::clone(&sink2));
    let (q, id) = ("lc-restart", "lc-restart-wf");
    let plan = Plan::new(vec![
        Step::Read("/data/in/before.txt".into()),
        Step::Sleep(2500),
        Step::Read("/data/in/after.txt".into()),
    ]);
    let shutdown_started = run_worker(&client, worker_options(q, &w1), async {
        start(&client, q, id, plan).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let events = history(&client, id).await;
            if count_events(&events, |a| {
                matches!(a, Attributes::ActivityTaskCompletedEventAttributes(_))
            }) > 0
            {
                break;
            }
            assert!(Instant::now() < deadline, "first activity never completed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Instant::now()
    })
    .await;
    let shutdown_took = shutdown_started.elapsed();
    eprintln!("worker 1 shutdown took {shutdown_took:?}");
    let mid = history(&client, id).await;
    assert_eq!(
        count_events(&mid, |a| matches!(
            a,
            Attributes::TimerFiredEventAttributes(_)
        )),
        0,
        "worker 1 took {shutdown_took:?} to stop; the timer fired before it did"
    );
    assert_eq!(decisions(&sink1), vec![(Decision::Allow, None, 1, false)]);

    let out = run_worker(&client, worker_options(q, &w2), result(&client, id))
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            read_ok("/data/in/before.txt"),
            "slept".to_owned(),
            read_ok("/data/in/after.txt"),
        ]
    );
    assert_eq!(
        decisions(&sink2),
        vec![(Decision::Allow, None, 1, false)],
        "worker 2 authorized the second read"
    );
    assert_eq!(ran(id), vec![("FsActs::read_file".to_owned(), 1); 2]);
    let events = history(&client, id).await;
    let sched = scheduled(&events);
    assert_eq!(sched.len(), 2);
    assert_ne!(sched[0].0, sched[1].0);
    assert!(sched.iter().all(|(i, _)| is_warrant_activity_id(i)));
    assert_eq!(sink1.events()[0].activity_id, sched[0].0);
    assert_eq!(sink2.events()[0].activity_id, sched[1].0);

    assert_replays(vec![events.clone()], None).await;
    let without = replay(vec![events], None, None).await;
    assert!(
        matches!(
            &without[0],
            Some(WorkflowReplayFailure::Nondeterminism { message })
                if message.contains("does not match activity id")
        ),
        "replay without the warrant interceptor should be nondeterministic: {:?}",
        without[0]
    );
}

// ---------------------------------------------------------------------------
// 8. Signals to an external workflow
// ---------------------------------------------------------------------------

/// A workflow signalling another one passes its warrant on: the target's
/// `WorkflowExecutionSignaled` header carries `x-warrant`.
#[tokio::test(flavor = "multi_thread")]
async fn external_signal_carries_the_warrant() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = lc_warrants(Arc::clone(&sink));
    let (q, target, sender) = ("lc-signal", "lc-signal-target", "lc-signal-sender");
    let (got, sent) = run_worker(&client, all_workflows(q, &w), async {
        let rh = client
            .start_workflow(
                Receiver::run,
                "r".to_owned(),
                WorkflowStartOptions::new(q, target).build(),
            )
            .await
            .unwrap();
        let sh = client
            .start_workflow(
                Sender::run,
                target.to_owned(),
                WorkflowStartOptions::new(q, sender).build(),
            )
            .await
            .unwrap();
        let got = rh
            .get_result(Default::default())
            .await
            .map_err(|e| format!("{e:?}"));
        let sent = sh
            .get_result(Default::default())
            .await
            .map_err(|e| format!("{e:?}"));
        (got, sent)
    })
    .await;
    assert_eq!(sent.unwrap(), "sent");
    assert_eq!(got.unwrap(), "hello from sender");

    let s = history(&client, sender).await;
    let initiated = s
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::SignalExternalWorkflowExecutionInitiatedEventAttributes(a)) => {
                Some(fields(a.header.as_ref()))
            }
            _ => None,
        })
        .expect("no external signal initiated");
    assert_plain_warrant(
        &initiated,
        "SignalExternalWorkflowExecutionInitiated header",
    );
    let r = history(&client, target).await;
    let signaled = r
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::WorkflowExecutionSignaledEventAttributes(a)) => {
                Some(fields(a.header.as_ref()))
            }
            _ => None,
        })
        .expect("target was not signalled");
    assert_plain_warrant(&signaled, "target's WorkflowExecutionSignaled header");
    assert!(sink.events().is_empty());

    assert_replays(vec![s, r], None).await;
}
