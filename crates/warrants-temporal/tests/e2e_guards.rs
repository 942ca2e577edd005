//! End to end on a real dev server: the worker's signal and update
//! allow-lists (`allow_signals`, `allow_updates`).
//!
//! - An unlisted signal is dropped before its handler runs: the workflow
//!   task does not fail, the workflow completes, the signal is still in
//!   history (Temporal cannot refuse a signal), and one
//!   `SIGNAL_NOT_ALLOWED` audit event is recorded per dropped signal, not
//!   again on replay. The allow-list matches the name the SDK reports: the
//!   `#[signal]` method name, or its `name = ..` override.
//! - An unlisted update whose workflow defines a validator is rejected by
//!   the validator: the client gets the error, nothing reaches history.
//! - An unlisted update without a validator is accepted and then failed in
//!   its handler: `UpdateAccepted` + `UpdateCompleted` with a failure in
//!   history, the handler body never ran.
//!
//! Every test starts its own dev server, and every history replays with the
//! workflow interceptor wired with the same allow-lists and an audit sink of
//! its own, which must stay empty. The replayer needs those allow-lists: a
//! dropped handler that issues commands replays nondeterministically
//! without them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporalio_client::errors::WorkflowUpdateError;
use temporalio_client::{
    WorkflowExecuteUpdateOptions, WorkflowHistory, WorkflowQueryOptions, WorkflowSignalOptions,
    WorkflowStartOptions,
};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_common::protos::temporal::api::history::v1::{History, HistoryEvent};
use temporalio_common::protos::temporal::api::update::v1::outcome::Value as UpdateOutcome;
use temporalio_sdk::workflow_replayer::{
    WorkflowReplayFailure, WorkflowReplayer, WorkflowReplayerOptions,
};
use temporalio_sdk::workflows::{workflow, workflow_methods};
use temporalio_sdk::{
    SyncWorkflowContext, WorkerOptions, WorkflowContext, WorkflowContextView, WorkflowResult,
};
use warrants_temporal::audit::{AuditEvent, Decision, MemorySink, Scope};
use warrants_temporal::audit::{SIGNAL_NOT_ALLOWED, UPDATE_NOT_ALLOWED};
use warrants_temporal::{Warrants, WarrantsConfig, WarrantsConfigBuilder};

use support::*;

// ---------------------------------------------------------------------------
// The workflow
// ---------------------------------------------------------------------------

/// What `Inbox` returns and its `state` query shows.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct InboxState {
    /// Every handler body that ran, in order (`<handler>:<input>`).
    pub log: Vec<String>,
    /// Set by the `set_*` and `secret_*` updates.
    pub value: i32,
}

/// Runs until the `finish` signal or the `close` update, recording every
/// signal and update handler body that ran.
#[workflow]
#[derive(Default)]
pub struct Inbox {
    state: InboxState,
    done: bool,
}

#[workflow_methods]
impl Inbox {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        _label: String,
    ) -> WorkflowResult<InboxState> {
        ctx.wait_condition(|s| s.done).await?;
        Ok(ctx.state(|s| s.state.clone()))
    }

    /// Allowed.
    #[signal]
    pub fn allowed_note(&mut self, _ctx: &mut SyncWorkflowContext<Self>, text: String) {
        self.state.log.push(format!("allowed_note:{text}"));
    }

    /// Not allowed.
    #[signal]
    pub fn other_note(&mut self, _ctx: &mut SyncWorkflowContext<Self>, text: String) {
        self.state.log.push(format!("other_note:{text}"));
    }

    /// Allowed under its wire name `finish` (the method name is not).
    #[signal(name = "finish")]
    pub fn finish_signal(&mut self, _ctx: &mut SyncWorkflowContext<Self>, text: String) {
        self.state.log.push(format!("finish:{text}"));
        self.done = true;
    }

    /// Not allowed; async: waits on a timer (a command) before recording.
    #[signal]
    pub async fn timed_note(ctx: &mut WorkflowContext<Self>, text: String) {
        ctx.timer(Duration::from_millis(1)).await;
        ctx.state_mut(|s| s.state.log.push(format!("timed_note:{text}")));
    }

    #[query]
    pub fn state(&self, _ctx: &WorkflowContextView) -> InboxState {
        self.state.clone()
    }

    /// Rejects negative values.
    #[update_validator(set_checked)]
    fn validate_set_checked(
        &self,
        _ctx: &WorkflowContextView,
        v: &i32,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if *v < 0 {
            return Err(format!("negative value {v}").into());
        }
        Ok(())
    }

    /// Allowed, with a validator.
    #[update]
    pub fn set_checked(&mut self, _ctx: &mut SyncWorkflowContext<Self>, v: i32) -> i32 {
        self.state.log.push(format!("set_checked:{v}"));
        self.state.value = v;
        v
    }

    /// Accepts everything: only the allow-list can refuse `secret_checked`.
    #[update_validator(secret_checked)]
    fn validate_secret_checked(
        &self,
        _ctx: &WorkflowContextView,
        _v: &i32,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }

    /// Not allowed, with a validator.
    #[update]
    pub fn secret_checked(&mut self, _ctx: &mut SyncWorkflowContext<Self>, v: i32) -> i32 {
        self.state.log.push(format!("secret_checked:{v}"));
        self.state.value = v;
        v
    }

    /// Not allowed, without a validator.
    #[update]
    pub fn secret_unchecked(&mut self, _ctx: &mut SyncWorkflowContext<Self>, v: i32) -> i32 {
        self.state.log.push(format!("secret_unchecked:{v}"));
        self.state.value = v;
        v
    }

    /// Allowed, without a validator: finishes the workflow.
    #[update]
    pub fn close(&mut self, _ctx: &mut SyncWorkflowContext<Self>, text: String) -> String {
        self.state.log.push(format!("close:{text}"));
        self.done = true;
        format!("closed:{text}")
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const ALLOWED_SIGNALS: [&str; 2] = ["allowed_note", "finish"];
const ALLOWED_UPDATES: [&str; 2] = ["set_checked", "close"];

/// The allow-lists of these tests on top of `b`.
fn guarded(b: WarrantsConfigBuilder, sink: Arc<MemorySink>) -> WarrantsConfigBuilder {
    b.audit_sink(sink)
        .allow_signals(ALLOWED_SIGNALS)
        .allow_updates(ALLOWED_UPDATES)
}

/// The worker configuration: `support::warrants` plus the allow-lists.
fn worker_warrants(sink: Arc<MemorySink>) -> Warrants {
    guarded(agent_config(Arc::clone(&sink)), sink)
        .build()
        .unwrap()
}

fn guard_worker(queue: &str, warrants: &Warrants) -> WorkerOptions {
    warrants
        .wire_worker(WorkerOptions::new(queue).register_activities(FsActs))
        .register_workflow::<Inbox>()
        .unwrap()
        .build()
}

fn start_opts(queue: &str, id: &str) -> WorkflowStartOptions {
    WorkflowStartOptions::new(queue, id).build()
}

fn update_opts(update_id: &str) -> WorkflowExecuteUpdateOptions {
    WorkflowExecuteUpdateOptions::builder()
        .update_id(update_id.to_owned())
        .build()
}

fn task_failures(events: &[HistoryEvent]) -> usize {
    count_events(events, |a| {
        matches!(a, Attributes::WorkflowTaskFailedEventAttributes(_))
    })
}

fn completed(events: &[HistoryEvent]) -> bool {
    count_events(events, |a| {
        matches!(a, Attributes::WorkflowExecutionCompletedEventAttributes(_))
    }) == 1
}

/// Names of the `WorkflowExecutionSignaled` events, in order.
fn signals_in_history(events: &[HistoryEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::WorkflowExecutionSignaledEventAttributes(a)) => {
                Some(a.signal_name.clone())
            }
            _ => None,
        })
        .collect()
}

/// Every update-protocol event, as `(kind, update id, name or outcome)`:
/// `accepted`/`rejected`/`admitted` with the update name, `completed` with
/// `ok` or `failed:<message>`.
fn update_events(events: &[HistoryEvent]) -> Vec<(&'static str, String, String)> {
    let req = |r: &Option<temporalio_common::protos::temporal::api::update::v1::Request>| {
        let r = r.as_ref();
        (
            r.and_then(|r| r.meta.as_ref())
                .map(|m| m.update_id.clone())
                .unwrap_or_default(),
            r.and_then(|r| r.input.as_ref())
                .map(|i| i.name.clone())
                .unwrap_or_default(),
        )
    };
    events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::WorkflowExecutionUpdateAcceptedEventAttributes(a)) => {
                let (id, name) = req(&a.accepted_request);
                Some(("accepted", id, name))
            }
            Some(Attributes::WorkflowExecutionUpdateRejectedEventAttributes(a)) => {
                let (id, name) = req(&a.rejected_request);
                Some(("rejected", id, name))
            }
            Some(Attributes::WorkflowExecutionUpdateAdmittedEventAttributes(a)) => {
                let (id, name) = req(&a.request);
                Some(("admitted", id, name))
            }
            Some(Attributes::WorkflowExecutionUpdateCompletedEventAttributes(a)) => {
                let id = a
                    .meta
                    .as_ref()
                    .map(|m| m.update_id.clone())
                    .unwrap_or_default();
                let outcome = match a.outcome.as_ref().and_then(|o| o.value.as_ref()) {
                    Some(UpdateOutcome::Success(_)) => "ok".to_owned(),
                    Some(UpdateOutcome::Failure(f)) => format!("failed:{}", f.message),
                    None => "none".to_owned(),
                };
                Some(("completed", id, outcome))
            }
            _ => None,
        })
        .collect()
}

/// The audit events about signals and updates.
fn message_events(sink: &MemorySink) -> Vec<AuditEvent> {
    sink.events()
        .into_iter()
        .filter(|e| matches!(e.scope, Scope::Signal | Scope::Update))
        .collect()
}

/// Assert `e` is the refusal of message `name` (id `id`) of run `run_id`.
fn assert_refusal(e: &AuditEvent, scope: Scope, name: &str, id: &str, wf: &str, run_id: &str) {
    let code = if scope == Scope::Signal {
        SIGNAL_NOT_ALLOWED
    } else {
        UPDATE_NOT_ALLOWED
    };
    assert_eq!(e.scope, scope, "{e:?}");
    assert_eq!(e.decision, Decision::Deny, "{e:?}");
    assert_eq!(e.code, Some(code), "{e:?}");
    assert!(e.enforced, "{e:?}");
    assert_eq!(e.activity_type, name, "{e:?}");
    assert_eq!(e.activity_id, id, "{e:?}");
    assert_eq!(e.workflow_id.as_deref(), Some(wf), "{e:?}");
    assert_eq!(e.workflow_type.as_deref(), Some("Inbox"), "{e:?}");
    assert_eq!(e.run_id.as_deref(), Some(run_id), "{e:?}");
    assert_eq!(e.warrant_id, None, "{e:?}");
    let reason = e.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains(&format!("`{name}`")) && reason.contains("not allowed"),
        "{reason}"
    );
}

/// Replay `histories` with a replayer wired with `warrants`; one result
/// per history.
async fn replay(
    histories: Vec<Vec<HistoryEvent>>,
    warrants: &Warrants,
) -> Vec<Option<WorkflowReplayFailure>> {
    let opts = warrants
        .wire_replayer(WorkflowReplayerOptions::new())
        .register_workflow::<Inbox>()
        .unwrap()
        .build();
    let replayer = WorkflowReplayer::new(opts).unwrap();
    replayer
        .replay_workflows(
            histories
                .into_iter()
                .map(|events| WorkflowHistory::from(History { events })),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.replay_failure)
        .collect()
}

/// Replay with the worker's allow-lists (replay configuration, no keys)
/// and a fresh audit sink: every history replays cleanly and the replay
/// records nothing.
async fn assert_replays_silently(histories: Vec<Vec<HistoryEvent>>) {
    let sink = Arc::new(MemorySink::new());
    let w = guarded(WarrantsConfig::builder(), Arc::clone(&sink)).build_for_replay();
    assert!(w.config().keys().is_empty());
    let n = histories.len();
    let failures = replay(histories, &w).await;
    assert_eq!(failures.len(), n);
    for (i, f) in failures.iter().enumerate() {
        assert!(f.is_none(), "history {i} did not replay: {f:?}");
    }
    assert_eq!(sink.events(), vec![], "replay recorded audit events");
}

/// Send signal `$s` with text `$t` on handle `$h`.
macro_rules! send_signal {
    ($h:expr, $s:expr, $t:expr) => {
        $h.signal($s, $t.to_owned(), WorkflowSignalOptions::default())
            .await
            .unwrap()
    };
}

// ---------------------------------------------------------------------------
// 1. Signals
// ---------------------------------------------------------------------------

/// Two allowed and two unlisted notes, then `finish` (allowed under its
/// `name` override, so the allow-list matches the wire name). The unlisted
/// notes' handler never runs, the workflow task never fails, the workflow
/// completes; both unlisted signals are in history and audited once each,
/// and a replay records nothing more.
#[tokio::test(flavor = "multi_thread")]
async fn unlisted_signals_are_dropped_not_failed() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = worker_warrants(Arc::clone(&sink));
    assert!(w.config().signal_allowed("finish"));
    assert!(!w.config().signal_allowed("finish_signal"));
    let (q, id) = ("guards-signals", "guards-signals-wf");
    let (run_id, out) = run_worker(&client, guard_worker(q, &w), async {
        let h = client
            .start_workflow(Inbox::run, "s".to_owned(), start_opts(q, id))
            .await
            .unwrap();
        let run_id = h.run_id().unwrap().to_owned();
        send_signal!(h, Inbox::allowed_note, "a1");
        send_signal!(h, Inbox::other_note, "o1");
        // Let the worker process the first two before the next ones, so
        // drops happen in more than one workflow task.
        let seen = h
            .query(Inbox::state, (), WorkflowQueryOptions::default())
            .await
            .unwrap();
        assert_eq!(seen.log, vec!["allowed_note:a1".to_owned()]);
        send_signal!(h, Inbox::other_note, "o2");
        send_signal!(h, Inbox::allowed_note, "a2");
        send_signal!(h, Inbox::finish_signal, "f");
        let out = h
            .get_result(Default::default())
            .await
            .expect("the workflow completes");
        (run_id, out)
    })
    .await;

    assert_eq!(
        out.log,
        vec![
            "allowed_note:a1".to_owned(),
            "allowed_note:a2".to_owned(),
            "finish:f".to_owned()
        ],
        "only allowed signal handlers ran"
    );

    let events = history(&client, id).await;
    assert_eq!(
        signals_in_history(&events),
        vec![
            "allowed_note",
            "other_note",
            "other_note",
            "allowed_note",
            "finish"
        ],
        "Temporal records every signal, dropped or not"
    );
    assert_eq!(task_failures(&events), 0, "no workflow task failed");
    assert!(completed(&events));

    let refused = message_events(&sink);
    assert_eq!(refused.len(), 2, "{refused:?}");
    for e in &refused {
        assert_refusal(e, Scope::Signal, "other_note", "", id, &run_id);
    }
    assert_eq!(sink.events().len(), 2, "nothing else was audited");

    assert_replays_silently(vec![events]).await;
    assert_eq!(
        sink.events().len(),
        2,
        "replay added nothing to the worker's sink"
    );
}

/// An unlisted signal delivered with the start (signal-with-start) is
/// dropped in the run's first workflow task like any other.
#[tokio::test(flavor = "multi_thread")]
async fn unlisted_signal_with_start_is_dropped() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = worker_warrants(Arc::clone(&sink));
    let (q, id) = ("guards-sws", "guards-sws-wf");
    let (run_id, out) = run_worker(&client, guard_worker(q, &w), async {
        let h = client
            .signal_with_start_workflow(
                Inbox::run,
                "sws".to_owned(),
                Inbox::other_note,
                "with-start".to_owned(),
                start_opts(q, id),
            )
            .await
            .unwrap();
        let run_id = h.run_id().unwrap().to_owned();
        send_signal!(h, Inbox::allowed_note, "after");
        send_signal!(h, Inbox::finish_signal, "f");
        let out = h.get_result(Default::default()).await.unwrap();
        (run_id, out)
    })
    .await;
    assert_eq!(
        out.log,
        vec!["allowed_note:after".to_owned(), "finish:f".to_owned()]
    );
    let events = history(&client, id).await;
    assert_eq!(
        signals_in_history(&events),
        vec!["other_note", "allowed_note", "finish"]
    );
    assert_eq!(task_failures(&events), 0);
    assert!(completed(&events));
    let refused = message_events(&sink);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_refusal(&refused[0], Scope::Signal, "other_note", "", id, &run_id);
    assert_replays_silently(vec![events]).await;
}

// ---------------------------------------------------------------------------
// 2. Updates with a validator
// ---------------------------------------------------------------------------

/// An unlisted update whose workflow defines a validator is rejected before
/// acceptance: the client gets "not allowed", no update event reaches
/// history, the handler never runs, one `UPDATE_NOT_ALLOWED` event. A listed
/// update still goes through the workflow's own validator and runs.
#[tokio::test(flavor = "multi_thread")]
async fn unlisted_update_with_validator_is_rejected_without_history() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = worker_warrants(Arc::clone(&sink));
    let (q, id) = ("guards-upd-v", "guards-upd-v-wf");
    let (run_id, denied, own_reject, ok, out) = run_worker(&client, guard_worker(q, &w), async {
        let h = client
            .start_workflow(Inbox::run, "v".to_owned(), start_opts(q, id))
            .await
            .unwrap();
        let run_id = h.run_id().unwrap().to_owned();
        let ok = h
            .execute_update(Inbox::set_checked, 5, update_opts("u-ok"))
            .await;
        let own_reject = h
            .execute_update(Inbox::set_checked, -1, update_opts("u-negative"))
            .await;
        let denied = h
            .execute_update(Inbox::secret_checked, 42, update_opts("u-denied"))
            .await;
        let closed = h
            .execute_update(Inbox::close, "c".to_owned(), update_opts("u-close"))
            .await
            .unwrap();
        assert_eq!(closed, "closed:c");
        let out = h.get_result(Default::default()).await.unwrap();
        (run_id, denied, own_reject, ok, out)
    })
    .await;

    assert_eq!(ok.unwrap(), 5, "listed update runs and returns its result");
    match own_reject {
        Err(WorkflowUpdateError::Failed(f)) => {
            assert!(f.message.contains("negative value -1"), "{f:?}")
        }
        other => panic!("the workflow's own validator should reject: {other:?}"),
    }
    match denied {
        Err(WorkflowUpdateError::Failed(f)) => assert!(
            f.message.contains("update `secret_checked` is not allowed"),
            "{f:?}"
        ),
        other => panic!("unlisted update should be rejected: {other:?}"),
    }
    assert_eq!(
        out,
        InboxState {
            log: vec!["set_checked:5".to_owned(), "close:c".to_owned()],
            value: 5,
        },
        "the rejected update's handler never ran"
    );

    let events = history(&client, id).await;
    let updates = update_events(&events);
    assert_eq!(
        updates,
        vec![
            ("accepted", "u-ok".to_owned(), "set_checked".to_owned()),
            ("completed", "u-ok".to_owned(), "ok".to_owned()),
            ("accepted", "u-close".to_owned(), "close".to_owned()),
            ("completed", "u-close".to_owned(), "ok".to_owned()),
        ],
        "rejected updates (allow-list or validator) leave no history"
    );
    assert!(!updates.iter().any(|(_, uid, _)| uid == "u-denied"));
    assert_eq!(task_failures(&events), 0);
    assert!(completed(&events));

    let refused = message_events(&sink);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_refusal(
        &refused[0],
        Scope::Update,
        "secret_checked",
        "u-denied",
        id,
        &run_id,
    );
    assert_eq!(sink.events().len(), 1, "nothing else was audited");

    assert_replays_silently(vec![events]).await;
}

// ---------------------------------------------------------------------------
// 3. Updates without a validator
// ---------------------------------------------------------------------------

/// An unlisted update without a validator cannot be refused before
/// acceptance: it is accepted and completed with a failure, the client
/// gets the error, the handler body never ran (state unchanged), one
/// `UPDATE_NOT_ALLOWED` event, and a replay re-fails it without recording.
#[tokio::test(flavor = "multi_thread")]
async fn unlisted_update_without_validator_is_accepted_then_failed() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = worker_warrants(Arc::clone(&sink));
    let (q, id) = ("guards-upd-nv", "guards-upd-nv-wf");
    let (run_id, denied, between, out) = run_worker(&client, guard_worker(q, &w), async {
        let h = client
            .start_workflow(Inbox::run, "nv".to_owned(), start_opts(q, id))
            .await
            .unwrap();
        let run_id = h.run_id().unwrap().to_owned();
        h.execute_update(Inbox::set_checked, 3, update_opts("u-set"))
            .await
            .unwrap();
        let denied = h
            .execute_update(Inbox::secret_unchecked, 99, update_opts("u-unchecked"))
            .await;
        let between = h
            .query(Inbox::state, (), WorkflowQueryOptions::default())
            .await
            .unwrap();
        h.execute_update(Inbox::close, "c".to_owned(), update_opts("u-close"))
            .await
            .unwrap();
        let out = h.get_result(Default::default()).await.unwrap();
        (run_id, denied, between, out)
    })
    .await;

    match denied {
        Err(WorkflowUpdateError::Failed(f)) => assert!(
            f.message
                .contains("update `secret_unchecked` is not allowed"),
            "{f:?}"
        ),
        other => panic!("unlisted update should fail: {other:?}"),
    }
    let before_close = InboxState {
        log: vec!["set_checked:3".to_owned()],
        value: 3,
    };
    assert_eq!(between, before_close, "the failed update changed nothing");
    assert_eq!(
        out.log,
        vec!["set_checked:3".to_owned(), "close:c".to_owned()]
    );
    assert_eq!(out.value, 3);

    let events = history(&client, id).await;
    let updates = update_events(&events);
    let failed: Vec<_> = updates
        .iter()
        .filter(|(_, uid, _)| uid == "u-unchecked")
        .collect();
    assert_eq!(failed.len(), 2, "{updates:?}");
    assert_eq!(
        (failed[0].0, failed[0].2.as_str()),
        ("accepted", "secret_unchecked")
    );
    assert_eq!(failed[1].0, "completed");
    assert!(
        failed[1]
            .2
            .starts_with("failed:update `secret_unchecked` is not allowed"),
        "{updates:?}"
    );
    assert_eq!(updates.len(), 6, "{updates:?}");
    assert_eq!(task_failures(&events), 0);
    assert!(completed(&events));

    let refused = message_events(&sink);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_refusal(
        &refused[0],
        Scope::Update,
        "secret_unchecked",
        "u-unchecked",
        id,
        &run_id,
    );
    assert_eq!(sink.events().len(), 1, "nothing else was audited");

    // The replay runs `handle_update` again for the accepted update: the
    // interceptor fails it again, quietly.
    assert_replays_silently(vec![events]).await;
}

// ---------------------------------------------------------------------------
// Replay needs the allow-lists
// ---------------------------------------------------------------------------

/// The replayer must run with the worker's allow-lists. A dropped async
/// signal whose handler would start a timer: with the allow-lists the
/// history replays (silently); with `Warrants::for_replay()` (no lists) the
/// handler runs on replay, starts a timer the history does not have, and
/// the replay is nondeterministic.
#[tokio::test(flavor = "multi_thread")]
async fn replay_needs_the_worker_allow_lists() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = worker_warrants(Arc::clone(&sink));
    let (q, id) = ("guards-replay", "guards-replay-wf");
    let out = run_worker(&client, guard_worker(q, &w), async {
        let h = client
            .start_workflow(Inbox::run, "r".to_owned(), start_opts(q, id))
            .await
            .unwrap();
        send_signal!(h, Inbox::timed_note, "t");
        let seen = h
            .query(Inbox::state, (), WorkflowQueryOptions::default())
            .await
            .unwrap();
        assert_eq!(seen.log, Vec::<String>::new());
        send_signal!(h, Inbox::finish_signal, "f");
        h.get_result(Default::default()).await.unwrap()
    })
    .await;
    assert_eq!(out.log, vec!["finish:f".to_owned()]);
    let events = history(&client, id).await;
    assert_eq!(signals_in_history(&events), vec!["timed_note", "finish"]);
    assert_eq!(
        count_events(&events, |a| matches!(
            a,
            Attributes::TimerStartedEventAttributes(_)
        )),
        0
    );
    assert_eq!(message_events(&sink).len(), 1);
    assert_replays_silently(vec![events.clone()]).await;
    let bare = replay(vec![events], &Warrants::for_replay()).await;
    match &bare[..] {
        [Some(WorkflowReplayFailure::Nondeterminism { message })] => {
            assert!(message.contains("Timer"), "{message}")
        }
        other => panic!("replay without the allow-lists should be nondeterministic: {other:?}"),
    }
}
