//! Warrant-gated signals and updates (`require_message_warrants`): the
//! client signs a proof for `update:<name>` / `signal:<name>` over the
//! message's arguments; the worker verifies it at workflow time. Updates
//! that fail are rejected in the validator (no history) and signals are
//! dropped; the histories replay.

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

use temporalio_client::{
    WorkflowExecuteUpdateOptions, WorkflowGetResultOptions, WorkflowSignalOptions,
    WorkflowStartOptions,
};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};
use temporalio_sdk::workflows::{workflow, workflow_methods};
use temporalio_sdk::{
    SyncWorkflowContext, WorkerOptions, WorkflowContext, WorkflowContextView, WorkflowResult,
};
use warrants::constraint::Range;
use warrants::{Chain, Value, Warrant};
use warrants_temporal::audit::{Decision, MemorySink, Scope};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::{
    with_warrant, MessageRegistry, WarrantClientInterceptor, WarrantHeaders, Warrants,
};

use support::*;

#[workflow]
#[derive(Default)]
pub struct Ledger {
    limit: u64,
    total: u64,
    done: bool,
}

#[workflow_methods]
impl Ledger {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, _x: u32) -> WorkflowResult<(u64, u64)> {
        ctx.wait_condition(|s| s.done).await?;
        Ok(ctx.state(|s| (s.limit, s.total)))
    }

    #[signal]
    pub fn bump(&mut self, _ctx: &mut SyncWorkflowContext<Self>, amount: u64) {
        self.total += amount;
    }

    #[signal]
    pub fn finish(&mut self, _ctx: &mut SyncWorkflowContext<Self>, _x: u32) {
        self.done = true;
    }

    #[update_validator(set_limit)]
    pub fn validate_set_limit(
        &self,
        _ctx: &WorkflowContextView,
        _limit: &u64,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }

    #[update]
    pub fn set_limit(&mut self, _ctx: &mut SyncWorkflowContext<Self>, limit: u64) -> u64 {
        self.limit = limit;
        limit
    }
}

fn messages() -> MessageRegistry {
    MessageRegistry::new()
        .update::<u64, _>("set_limit", |v| {
            Ok(Value::map([(
                "limit",
                i64::try_from(*v).unwrap_or(i64::MAX),
            )]))
        })
        .signal::<u64, _>("bump", |v| {
            Ok(Value::map([(
                "amount",
                i64::try_from(*v).unwrap_or(i64::MAX),
            )]))
        })
        .signal::<u32, _>("finish", |_| Ok(Value::map::<&str, Value, _>([])))
}

/// limit ≤ 100 by update, amount ≤ 10 by signal, finish with any args.
fn message_chain() -> Chain {
    Chain::root(
        Warrant::mint_builder()
            .holder(agent_key().public_key())
            .capability(
                "update:set_limit",
                [("limit", Range::at_most(100).unwrap().into())],
            )
            .capability(
                "signal:bump",
                [("amount", Range::at_most(10).unwrap().into())],
            )
            .tool_any("signal:finish")
            .ttl(Duration::from_secs(600))
            .mint(&root_key())
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn gated_updates_and_signals() {
    let server = DevServer::start().unwrap();
    let signed = WarrantHeaders::new(&message_chain(), AGENT).with_holder_key(agent_key());
    let client = client(
        &server,
        Some(WarrantClientInterceptor::with_default(signed).messages(messages())),
        None,
    )
    .await;
    let sink = Arc::new(MemorySink::new());
    let w = agent_config(sink.clone())
        .messages(messages())
        .require_message_warrants(true)
        .build()
        .unwrap();
    let q = "gated";
    let opts = w
        .wire_worker(WorkerOptions::new(q).register_activities(FsActs))
        .register_workflow::<Ledger>()
        .unwrap()
        .build();
    // A warrant without the update tool, and one without a holder key
    // (nothing signed).
    let other = Chain::root(root_warrant(
        &root_key(),
        &agent_key(),
        Duration::from_secs(600),
    ));
    let (results, out) = with_worker(&client, opts, async {
        let h = client
            .start_workflow(
                Ledger::run,
                0,
                WorkflowStartOptions::new(q, "wf-gated").build(),
            )
            .await
            .unwrap();
        let upd = WorkflowExecuteUpdateOptions::default;
        let ok = h.execute_update(Ledger::set_limit, 50, upd()).await;
        let too_big = h.execute_update(Ledger::set_limit, 500, upd()).await;
        let wrong = with_warrant(
            WarrantHeaders::new(&other, AGENT).with_holder_key(agent_key()),
            h.execute_update(Ledger::set_limit, 7, upd()),
        )
        .await;
        let unsigned = with_warrant(
            WarrantHeaders::new(&message_chain(), AGENT),
            h.execute_update(Ledger::set_limit, 8, upd()),
        )
        .await;
        let sig = WorkflowSignalOptions::default;
        h.signal(Ledger::bump, 5, sig()).await.unwrap();
        h.signal(Ledger::bump, 50, sig()).await.unwrap(); // over the limit: dropped
        h.signal(Ledger::finish, 0, sig()).await.unwrap();
        let out = tokio::time::timeout(
            Duration::from_secs(60),
            h.get_result(WorkflowGetResultOptions::default()),
        )
        .await
        .unwrap()
        .unwrap();
        (
            vec![ok.is_ok(), too_big.is_ok(), wrong.is_ok(), unsigned.is_ok()],
            out,
        )
    })
    .await;
    assert_eq!(results, vec![true, false, false, false]);
    // Only the allowed update and the allowed signal took effect.
    assert_eq!(out, (50, 5));
    let refused: Vec<_> = sink
        .events()
        .into_iter()
        .filter(|e| matches!(e.scope, Scope::Signal | Scope::Update))
        .map(|e| {
            assert_eq!(e.decision, Decision::Deny);
            (e.scope, e.activity_type.clone(), e.code.unwrap())
        })
        .collect();
    assert_eq!(
        refused,
        vec![
            (Scope::Update, "set_limit".to_owned(), "CONSTRAINT_VIOLATED"),
            (Scope::Update, "set_limit".to_owned(), "TOOL_NOT_GRANTED"),
            (Scope::Update, "set_limit".to_owned(), "POP_MISSING"),
            (Scope::Signal, "bump".to_owned(), "CONSTRAINT_VIOLATED"),
        ]
    );
    // Rejected updates leave no trace in history: one update accepted.
    let events = history(&client, "wf-gated").await;
    let accepted = events
        .iter()
        .filter(|e| {
            matches!(
                e.attributes,
                Some(Attributes::WorkflowExecutionUpdateAcceptedEventAttributes(
                    _
                ))
            )
        })
        .count();
    assert_eq!(accepted, 1);
    let signaled = events
        .iter()
        .filter(|e| {
            matches!(
                e.attributes,
                Some(Attributes::WorkflowExecutionSignaledEventAttributes(_))
            )
        })
        .count();
    assert_eq!(
        signaled, 3,
        "a dropped signal is still recorded by Temporal"
    );
    // Replay with the interceptor (it re-checks the dropped signal and the
    // accepted update at workflow time and decides the same).
    let replay_cfg = Warrants::builder()
        .trusted_root(root_key().public_key())
        .messages(messages())
        .require_message_warrants(true)
        .build_for_replay();
    let replayer = WorkflowReplayer::new(
        replay_cfg
            .wire_replayer(WorkflowReplayerOptions::new())
            .register_workflow::<Ledger>()
            .unwrap()
            .build(),
    )
    .unwrap();
    let h = client.get_workflow_handle::<temporalio_client::UntypedWorkflow>("wf-gated");
    replayer
        .replay_workflow(h.fetch_history(Default::default()))
        .await
        .unwrap();
}
