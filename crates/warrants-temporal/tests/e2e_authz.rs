//! End to end on a real dev server: allowed and denied activity calls,
//! the denial codes, and what lands in history.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use temporalio_client::errors::WorkflowGetResultError;
use temporalio_client::{
    Client, UntypedWorkflow, WorkflowGetResultOptions, WorkflowIdReusePolicy, WorkflowStartOptions,
};
use temporalio_common::error::IncomingError;
use temporalio_common::protos::temporal::api::common::v1::{Header, Payload};
use temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo;
use temporalio_common::protos::temporal::api::failure::v1::Failure;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_common::protos::temporal::api::history::v1::{
    ActivityTaskScheduledEventAttributes, HistoryEvent,
};
use temporalio_sdk::workflow_interceptors::{
    CancellableWorkflowOutboundFuture, ScheduleActivityInput, ScheduleActivityResult,
    WorkflowInterceptor, WorkflowInterceptorConstructor, WorkflowInterceptorContext, WorkflowNext,
};
use temporalio_sdk::WorkerOptions;
use warrants::{Chain, SigningKey, Warrant};
use warrants_temporal::audit::{AuditSink, Decision, MemorySink, Scope, SkipReason};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::headers::{
    binary_payload, read_fields, X_WARRANT, X_WARRANT_KEY_ID, X_WARRANT_NO_KEY, X_WARRANT_POP,
};
use warrants_temporal::{
    with_warrant, without_warrant, KeyStore, LocalActivityPolicy, Mode, WarrantClientInterceptor,
    WarrantHeaders, Warrants,
};

use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn allowed_runs_and_out_of_scope_is_denied_at_attempt_one() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = warrants(Arc::clone(&sink));
    let q = "authz-basic";
    let out = with_worker(&client, worker_options(q, &w), async {
        run_plan(
            &client,
            q,
            "wf-basic",
            Plan::new(vec![
                Step::Read("/data/in/a.txt".into()),
                Step::Read("/etc/passwd".into()),
                Step::Write("/data/out/b.txt".into(), "hello".into()),
                Step::Write("/data/in/evil.txt".into(), "x".into()),
                Step::Ping("unprotected".into()),
            ]),
        )
        .await
    })
    .await
    .unwrap();
    assert_eq!(
        out,
        vec![
            "ok:contents of /data/in/a.txt",
            "denied:CONSTRAINT_VIOLATED",
            "ok:5",
            "denied:CONSTRAINT_VIOLATED",
            "ok:unprotected",
        ]
    );
    // The denied bodies never ran; each allowed body ran once.
    let ran = ran("wf-basic");
    assert_eq!(
        ran,
        vec![
            ("FsActs::read_file".to_owned(), 1),
            ("FsActs::write_file".to_owned(), 1),
            ("FsActs::ping".to_owned(), 1),
        ]
    );
    // History: each denial is one attempt, non-retryable, typed with the
    // code, although the retry policy allows five.
    let events = history(&client, "wf-basic").await;
    let failures: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::ActivityTaskFailedEventAttributes(a)) => a.failure.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 2);
    for f in &failures {
        let info = match &f.failure_info {
            Some(temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo::ApplicationFailureInfo(i)) => i,
            other => panic!("unexpected failure info {other:?}"),
        };
        assert_eq!(info.r#type, "CONSTRAINT_VIOLATED");
        assert!(info.non_retryable);
        // Redacted by default: the path is not in the message.
        assert!(!f.message.contains("/etc/passwd"), "{}", f.message);
    }
    let started_attempts = events
        .iter()
        .filter(|e| {
            matches!(
                e.attributes,
                Some(Attributes::ActivityTaskStartedEventAttributes(_))
            )
        })
        .count();
    assert_eq!(
        started_attempts, 5,
        "one attempt per activity, denials included"
    );
    // Audit events match the decisions.
    let t = tally(&sink);
    assert_eq!(t.get("Allow:-"), Some(&2));
    assert_eq!(t.get("Deny:CONSTRAINT_VIOLATED"), Some(&2));
    assert_eq!(t.get("Skip:-"), Some(&1));
    let allow = sink
        .events()
        .into_iter()
        .find(|e| e.decision == Decision::Allow)
        .unwrap();
    assert_eq!(allow.tool.as_deref(), Some("read_file"));
    assert_eq!(allow.workflow_id.as_deref(), Some("wf-basic"));
    assert_eq!(allow.workflow_type.as_deref(), Some("Agent"));
    assert_eq!(allow.chain_depth, Some(1));
    assert_eq!(
        allow.warrant_id,
        Some(agent_chain().leaf().unwrap().id().to_string())
    );
}

// ---------------------------------------------------------------------------
// Helpers local to this file.
// ---------------------------------------------------------------------------

/// The standard capabilities (read under `/data/in`, write under
/// `/data/out`) with explicit issue time and lifetime.
fn mint_at(issuer: &SigningKey, holder: &SigningKey, issued_at: u64, ttl: Duration) -> Warrant {
    mint_standard(issuer, holder, Some(issued_at), ttl)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The failure a run ended with: (failure type, non-retryable), read
/// through the client's `get_result`.
async fn workflow_failure(client: &Client, id: &str) -> (String, bool) {
    let h = client.get_workflow_handle::<UntypedWorkflow>(id);
    match h.get_result(WorkflowGetResultOptions::default()).await {
        Err(WorkflowGetResultError::Failed(e)) => match *e {
            IncomingError::Application(a) => (
                a.type_name().unwrap_or_default().to_owned(),
                a.is_non_retryable(),
            ),
            other => panic!("workflow {id} failed without an application failure: {other:?}"),
        },
        Err(e) => panic!("workflow {id} did not fail but ended with {e:?}"),
        Ok(_) => panic!("workflow {id} completed; it should have failed at start"),
    }
}

/// (type, non_retryable) of the `WorkflowExecutionFailed` event.
fn workflow_failed_event(events: &[HistoryEvent]) -> Option<(String, bool)> {
    events.iter().find_map(|e| match &e.attributes {
        Some(Attributes::WorkflowExecutionFailedEventAttributes(a)) => {
            app_failure(a.failure.as_ref()?)
        }
        _ => None,
    })
}

/// Every `ActivityTaskScheduled` event.
fn scheduled(events: &[HistoryEvent]) -> Vec<ActivityTaskScheduledEventAttributes> {
    events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::ActivityTaskScheduledEventAttributes(a)) => Some(a.clone()),
            _ => None,
        })
        .collect()
}

/// (type, non_retryable) of `f` when it is an application failure.
fn app_failure(f: &Failure) -> Option<(String, bool)> {
    match f.failure_info.as_ref()? {
        FailureInfo::ApplicationFailureInfo(i) => Some((i.r#type.clone(), i.non_retryable)),
        _ => None,
    }
}

/// (type, non_retryable) of every `ActivityTaskFailed` event.
fn activity_failures(events: &[HistoryEvent]) -> Vec<(String, bool)> {
    events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::ActivityTaskFailedEventAttributes(a)) => {
                app_failure(a.failure.as_ref()?)
            }
            _ => None,
        })
        .collect()
}

/// (type, non_retryable) of every failed local-activity marker.
fn marker_failures(events: &[HistoryEvent]) -> Vec<(String, bool)> {
    events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::MarkerRecordedEventAttributes(m)) => app_failure(m.failure.as_ref()?),
            _ => None,
        })
        .collect()
}

/// A header field's bytes (binary or json form), panicking when absent.
fn header_bytes(header: Option<&Header>, name: &'static str) -> Vec<u8> {
    let fields = &header.expect("event has a header").fields;
    read_fields(fields, name)
        .expect("readable header")
        .unwrap_or_else(|| panic!("header {name} absent"))
}

fn json_payload(text: &str) -> Payload {
    Payload {
        metadata: HashMap::from([("encoding".to_owned(), b"json/plain".to_vec())]),
        data: serde_json::to_vec(text).unwrap(),
        ..Default::default()
    }
}

/// A run that must fail at start: the failure, the history and the
/// audit log all show `code`, and nothing was scheduled or ran.
async fn assert_fails_at_start(client: &Client, sink: &MemorySink, id: &str, code: &str) {
    let (ty, non_retryable) = workflow_failure(client, id).await;
    assert_eq!(ty, code);
    assert!(non_retryable, "start failure must be non-retryable");
    let events = history(client, id).await;
    assert_eq!(
        workflow_failed_event(&events),
        Some((code.to_owned(), true))
    );
    assert!(
        scheduled(&events).is_empty(),
        "no activity may be scheduled"
    );
    assert!(ran(id).is_empty(), "no activity body may run");
    // Exactly one audit event for this workflow: the refused start.
    let mine: Vec<_> = sink
        .events()
        .into_iter()
        .filter(|e| e.workflow_id.as_deref() == Some(id))
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0].scope, Scope::WorkflowStart);
    assert_eq!(mine[0].decision, Decision::Deny);
    assert_eq!(mine[0].code, Some(code));
    assert!(mine[0].enforced);
}

fn plan_read_and_ping() -> Plan {
    Plan::new(vec![
        Step::Read("/data/in/a.txt".into()),
        Step::Ping("p".into()),
    ])
}

// ---------------------------------------------------------------------------
// 1, 2: the workflow fails at start.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn missing_warrant_fails_the_workflow_at_start() {
    let server = DevServer::start().unwrap();
    let client = client(&server, None, None).await;
    let sink = Arc::new(MemorySink::new());
    let w = warrants(Arc::clone(&sink));
    let q = "authz-missing";
    let id = "wf-missing";
    with_worker(&client, worker_options(q, &w), async {
        start(&client, q, id, plan_read_and_ping()).await;
        assert_fails_at_start(&client, &sink, id, "WARRANT_MISSING").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_warrant_fails_the_workflow_at_start() {
    let server = DevServer::start().unwrap();
    let garbage = WarrantHeaders::from_bytes(b"\x82\x01not a warrant chain".to_vec(), AGENT);
    let client = client(
        &server,
        Some(WarrantClientInterceptor::with_default(garbage)),
        None,
    )
    .await;
    let sink = Arc::new(MemorySink::new());
    let w = warrants(Arc::clone(&sink));
    let q = "authz-garbage";
    let id = "wf-garbage";
    with_worker(&client, worker_options(q, &w), async {
        start(&client, q, id, plan_read_and_ping()).await;
        assert_fails_at_start(&client, &sink, id, "WARRANT_MALFORMED").await;
    })
    .await;
}

// ---------------------------------------------------------------------------
// 3-6: the workflow starts; the activity side refuses the chain or proof.
// ---------------------------------------------------------------------------

/// Run `plan` under `headers` with the worker config `w`; return the
/// outcomes and the history.
async fn run_with(
    server: &DevServer,
    headers: WarrantHeaders,
    w: &Warrants,
    q: &str,
    id: &str,
    plan: Plan,
) -> (Vec<String>, Vec<HistoryEvent>) {
    let client = client(
        server,
        Some(WarrantClientInterceptor::with_default(headers)),
        None,
    )
    .await;
    with_worker(&client, worker_options(q, w), async {
        let out = run_plan(&client, q, id, plan).await.unwrap();
        (out, history(&client, id).await)
    })
    .await
}

/// Every protected call of `id` was denied with `code`: outcomes, history
/// (one non-retryable attempt each), audit log, and no body ran.
fn assert_all_denied(
    out: &[String],
    events: &[HistoryEvent],
    sink: &MemorySink,
    id: &str,
    code: &str,
) {
    assert!(!out.is_empty());
    for o in out {
        assert_eq!(o, &format!("denied:{code}"));
    }
    assert_eq!(
        activity_failures(events),
        vec![(code.to_owned(), true); out.len()]
    );
    assert!(ran(id).is_empty(), "a denied body ran: {:?}", ran(id));
    let codes: Vec<_> = sink
        .events()
        .into_iter()
        .filter(|e| e.workflow_id.as_deref() == Some(id))
        .map(|e| (e.decision, e.code, e.enforced))
        .collect();
    assert_eq!(codes, vec![(Decision::Deny, Some(code), true); out.len()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_warrant_is_denied_by_the_signature_check() {
    let server = DevServer::start().unwrap();
    // Change "/data/in" into "/data/im" inside the signed payload: the
    // bytes still decode (so the workflow starts), the tampered constraint
    // would allow "/data/im/...", and only the signature can tell.
    let mut bytes = agent_chain().to_bytes();
    let at = bytes
        .windows(8)
        .position(|w| w == b"/data/in")
        .expect("path in chain bytes");
    assert_eq!(
        bytes.windows(8).filter(|w| *w == b"/data/in").count(),
        1,
        "exactly one occurrence"
    );
    bytes[at + 7] = b'm';
    let tampered = Chain::from_bytes(&bytes).expect("tampered chain still decodes");
    assert!(!tampered.leaf().unwrap().verify_signature());
    let sink = Arc::new(MemorySink::new());
    let w = warrants(Arc::clone(&sink));
    let id = "wf-tampered";
    let (out, events) = run_with(
        &server,
        WarrantHeaders::from_bytes(bytes, AGENT),
        &w,
        "authz-tampered",
        id,
        Plan::new(vec![
            Step::Read("/data/im/secret.txt".into()),
            Step::Read("/data/in/a.txt".into()),
        ]),
    )
    .await;
    // A bad link signature is CHAIN_INVALID (authorizer/checks.rs,
    // `verify_signatures`: LinkRule::BadSignature).
    assert_all_denied(&out, &events, &sink, id, "CHAIN_INVALID");
    // The workflow did sign proofs: the denial is the chain, not a
    // missing proof.
    for s in scheduled(&events) {
        assert!(s
            .header
            .as_ref()
            .unwrap()
            .fields
            .contains_key(X_WARRANT_POP));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_warrant_is_denied() {
    let server = DevServer::start().unwrap();
    // Expired an hour ago: far beyond the 30 s clock skew.
    let issued = unix_now() - 7200;
    let chain = Chain::root(mint_at(
        &root_key(),
        &agent_key(),
        issued,
        Duration::from_secs(3600),
    ));
    let sink = Arc::new(MemorySink::new());
    let w = warrants(Arc::clone(&sink));
    let id = "wf-expired";
    let (out, events) = run_with(
        &server,
        WarrantHeaders::new(&chain, AGENT),
        &w,
        "authz-expired",
        id,
        Plan::new(vec![Step::Read("/data/in/a.txt".into())]),
    )
    .await;
    assert_all_denied(&out, &events, &sink, id, "WARRANT_EXPIRED");
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_root_is_denied() {
    let server = DevServer::start().unwrap();
    let stranger = SigningKey::from_seed(&[7; 32]);
    let chain = Chain::root(root_warrant(
        &stranger,
        &agent_key(),
        Duration::from_secs(3600),
    ));
    let sink = Arc::new(MemorySink::new());
    let w = warrants(Arc::clone(&sink));
    let id = "wf-untrusted";
    let (out, events) = run_with(
        &server,
        WarrantHeaders::new(&chain, AGENT),
        &w,
        "authz-untrusted",
        id,
        Plan::new(vec![
            Step::Read("/data/in/a.txt".into()),
            Step::Write("/data/out/b.txt".into(), "x".into()),
        ]),
    )
    .await;
    assert_all_denied(&out, &events, &sink, id, "UNTRUSTED_ROOT");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_or_unknown_holder_key() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    // The worker maps the key id "agent" to a key that does not hold the
    // warrant.
    let mut keys = KeyStore::new();
    keys.insert(AGENT, SigningKey::from_seed(&[9; 32]));
    let w = agent_config(Arc::clone(&sink)).keys(keys).build().unwrap();
    let q = "authz-keys";
    let plan = || Plan::new(vec![Step::Read("/data/in/a.txt".into())]);
    let (wrong, ghost) = with_worker(&client, worker_options(q, &w), async {
        let wrong = run_plan(&client, q, "wf-wrong-key", plan()).await.unwrap();
        // A key id the worker's store does not hold: the workflow still
        // runs (deciding on keys would break replay on workers with other
        // keys), the proof is left out, the activity side denies
        // KEY_NOT_FOUND (from the x-warrant-no-key marker).
        let ghost = with_warrant(
            WarrantHeaders::new(&agent_chain(), "ghost"),
            run_plan(&client, q, "wf-ghost-key", plan()),
        )
        .await
        .unwrap();
        (wrong, ghost)
    })
    .await;
    let wrong_events = history(&client, "wf-wrong-key").await;
    assert_all_denied(&wrong, &wrong_events, &sink, "wf-wrong-key", "POP_INVALID");
    let ghost_events = history(&client, "wf-ghost-key").await;
    assert_all_denied(
        &ghost,
        &ghost_events,
        &sink,
        "wf-ghost-key",
        "KEY_NOT_FOUND",
    );
    // The chain travelled, the proof did not; the marker names the key id.
    let s = scheduled(&ghost_events);
    assert_eq!(s.len(), 1);
    let fields = &s[0].header.as_ref().unwrap().fields;
    assert!(fields.contains_key(X_WARRANT));
    assert!(!fields.contains_key(X_WARRANT_POP));
    assert_eq!(fields[X_WARRANT_NO_KEY].data, b"ghost".to_vec());
}

// ---------------------------------------------------------------------------
// 7: a proof lifted from history.
// ---------------------------------------------------------------------------

/// What an attacker copied out of a history.
#[derive(Clone)]
struct Lifted {
    pop: Vec<u8>,
    activity_id: String,
}

/// A workflow interceptor registered before the warrants one: outbound
/// calls pass interceptors in reverse registration order, so it sees each
/// activity call after the warrants interceptor signed it, and swaps in
/// the lifted proof and activity id.
struct Attacker(Lifted);

impl WorkflowInterceptor for Attacker {
    fn schedule_activity(
        &self,
        _ctx: WorkflowInterceptorContext,
        mut input: ScheduleActivityInput,
        next: WorkflowNext<
            'static,
            ScheduleActivityInput,
            CancellableWorkflowOutboundFuture<ScheduleActivityResult>,
        >,
    ) -> CancellableWorkflowOutboundFuture<ScheduleActivityResult> {
        // No assert here: a panic in workflow code fails the workflow task
        // and the run would hang. Were the order ever reversed, the
        // warrants interceptor would sign a fresh, valid proof over the
        // attacker's choices and the outcome assertions would fail.
        input.options_mut().activity_id = Some(self.0.activity_id.clone());
        input
            .headers_mut()
            .insert(X_WARRANT_POP.to_owned(), binary_payload(self.0.pop.clone()));
        next.run(input)
    }
}

fn attacker_worker(q: &str, w: &Warrants, lifted: Lifted) -> WorkerOptions {
    let ctor = WorkflowInterceptorConstructor::new(move |_view| Attacker(lifted.clone()));
    w.wire_worker(
        WorkerOptions::new(q)
            .workflow_interceptor(ctor)
            .register_activities(FsActs),
    )
    .register_workflow::<Agent>()
    .unwrap()
    .build()
}

#[tokio::test(flavor = "multi_thread")]
async fn lifted_proof_is_refused_elsewhere_and_replayed() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    // One configuration (so one proof store) for the honest and the
    // attacked worker, as for one worker process.
    let w = warrants(Arc::clone(&sink));
    let read = || Plan::new(vec![Step::Read("/data/in/a.txt".into())]);
    let honest_q = "authz-lift-honest";
    let a = "wf-lift-a";
    let out = with_worker(&client, worker_options(honest_q, &w), async {
        run_plan(&client, honest_q, a, read()).await.unwrap()
    })
    .await;
    assert_eq!(out, vec!["ok:contents of /data/in/a.txt"]);
    assert_eq!(ran(a), vec![("FsActs::read_file".to_owned(), 1)]);

    // Lift the proof, chain and activity id from A's history.
    let a_events = history(&client, a).await;
    let s = scheduled(&a_events);
    assert_eq!(s.len(), 1);
    let lifted = Lifted {
        pop: header_bytes(s[0].header.as_ref(), X_WARRANT_POP),
        activity_id: s[0].activity_id.clone(),
    };
    assert_eq!(
        header_bytes(s[0].header.as_ref(), X_WARRANT),
        agent_chain().to_bytes()
    );
    assert!(
        lifted.activity_id.starts_with("wa-"),
        "{}",
        lifted.activity_id
    );

    let attack_q = "authz-lift-attack";
    let b = "wf-lift-b";
    let (out_b, out_a2) = with_worker(
        &client,
        attacker_worker(attack_q, &w, lifted.clone()),
        async {
            // (a) Same call in another workflow: the proof's context names
            // workflow A, so the signature does not verify.
            let out_b = run_plan(&client, attack_q, b, read()).await.unwrap();
            // (b) A new run reusing A's workflow id, same arguments, same
            // activity id, inside the proof window: the proof verifies, and
            // only the replay store stops it.
            client
                .start_workflow(
                    Agent::run,
                    read(),
                    WorkflowStartOptions::new(attack_q, a)
                        .id_reuse_policy(WorkflowIdReusePolicy::AllowDuplicate)
                        .build(),
                )
                .await
                .unwrap();
            let out_a2 = result(&client, a).await.unwrap();
            (out_b, out_a2)
        },
    )
    .await;
    assert_eq!(out_b, vec!["denied:POP_INVALID"]);
    assert_eq!(out_a2, vec!["denied:POP_REPLAYED"]);
    // The attack really reached the server: both histories carry the
    // lifted proof under the lifted activity id.
    let b_events = history(&client, b).await;
    let a2_events = history(&client, a).await;
    for (events, code) in [(&b_events, "POP_INVALID"), (&a2_events, "POP_REPLAYED")] {
        let s = scheduled(events);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].activity_id, lifted.activity_id);
        assert_eq!(
            header_bytes(s[0].header.as_ref(), X_WARRANT_POP),
            lifted.pop
        );
        assert_eq!(activity_failures(events), vec![(code.to_owned(), true)]);
    }
    // No body ran for the attacks: B none, A only its honest first run.
    assert!(ran(b).is_empty());
    assert_eq!(ran(a), vec![("FsActs::read_file".to_owned(), 1)]);
    let t = tally(&sink);
    assert_eq!(t.get("Allow:-"), Some(&1));
    assert_eq!(t.get("Deny:POP_INVALID"), Some(&1));
    assert_eq!(t.get("Deny:POP_REPLAYED"), Some(&1));
}

// ---------------------------------------------------------------------------
// 8: the json/plain header form the CLI sends.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn json_plain_headers_are_accepted_like_binary() {
    let server = DevServer::start().unwrap();
    // No interceptor: the headers below are all the client sends.
    let client = client(&server, None, None).await;
    let sink = Arc::new(MemorySink::new());
    let w = warrants(Arc::clone(&sink));
    let q = "authz-json";
    let id = "wf-json";
    let chain_b64 = warrants::keys::to_base64url(&agent_chain().to_bytes());
    // The chain travels as base64url text; the key id as its own text
    // (headers::read_text_fields).
    let header = Header {
        fields: HashMap::from([
            (X_WARRANT.to_owned(), json_payload(&chain_b64)),
            (X_WARRANT_KEY_ID.to_owned(), json_payload(AGENT)),
        ]),
    };
    let out = with_worker(&client, worker_options(q, &w), async {
        client
            .start_workflow(
                Agent::run,
                Plan::new(vec![
                    Step::Read("/data/in/a.txt".into()),
                    Step::Read("/etc/passwd".into()),
                ]),
                WorkflowStartOptions::new(q, id).header(header).build(),
            )
            .await
            .unwrap();
        result(&client, id).await.unwrap()
    })
    .await;
    assert_eq!(
        out,
        vec![
            "ok:contents of /data/in/a.txt",
            "denied:CONSTRAINT_VIOLATED"
        ]
    );
    assert_eq!(ran(id), vec![("FsActs::read_file".to_owned(), 1)]);
    let events = history(&client, id).await;
    // The start really carried the json form...
    let started = events
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => a.header.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        started.fields[X_WARRANT].metadata["encoding"],
        b"json/plain".to_vec()
    );
    // ...and the workflow passed the chain on to the activity in binary.
    for s in scheduled(&events) {
        let p = &s.header.as_ref().unwrap().fields[X_WARRANT];
        assert_eq!(p.metadata["encoding"], b"binary/plain".to_vec());
        assert_eq!(p.data, agent_chain().to_bytes());
    }
    let t = tally(&sink);
    assert_eq!(t.get("Allow:-"), Some(&1));
    assert_eq!(t.get("Deny:CONSTRAINT_VIOLATED"), Some(&1));
}

// ---------------------------------------------------------------------------
// 9: no private key material in history.
// ---------------------------------------------------------------------------

fn text_forms(seed: &[u8; 32]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        STANDARD.encode(seed),
        STANDARD_NO_PAD.encode(seed),
        URL_SAFE.encode(seed),
        URL_SAFE_NO_PAD.encode(seed),
        hex.clone(),
        hex.to_uppercase(),
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread")]
async fn history_holds_no_private_key_material() {
    use prost::Message;
    let server = DevServer::start().unwrap();
    // Fresh random keys, so a hit cannot be a coincidence of constant
    // test seeds.
    let root = SigningKey::generate();
    let holder = SigningKey::generate();
    let chain = Chain::root(mint_at(
        &root,
        &holder,
        unix_now(),
        Duration::from_secs(3600),
    ));
    let client = client(
        &server,
        Some(WarrantClientInterceptor::with_default(WarrantHeaders::new(
            &chain, "holder",
        ))),
        None,
    )
    .await;
    let sink = Arc::new(MemorySink::new());
    let mut keys = KeyStore::new();
    keys.insert("holder", SigningKey::from_seed(&holder.to_seed()));
    let w = Warrants::builder()
        .trusted_root(root.public_key())
        .keys(keys)
        .activities(registry())
        .audit_sink(Arc::clone(&sink) as Arc<dyn AuditSink>)
        .build()
        .unwrap();
    let q = "authz-secrets";
    let id = "wf-secrets";
    let out = with_worker(&client, worker_options(q, &w), async {
        run_plan(
            &client,
            q,
            id,
            Plan::new(vec![
                Step::Read("/data/in/a.txt".into()),
                Step::Read("/etc/shadow".into()),
                Step::Write("/data/out/b.txt".into(), "hello".into()),
                Step::LocalRead("/data/in/c.txt".into()),
                Step::Write("/data/in/evil".into(), "x".into()),
                Step::Ping("p".into()),
            ]),
        )
        .await
        .unwrap()
    })
    .await;
    assert_eq!(
        out,
        vec![
            "ok:contents of /data/in/a.txt",
            "denied:CONSTRAINT_VIOLATED",
            "ok:5",
            "ok:contents of /data/in/c.txt",
            "denied:CONSTRAINT_VIOLATED",
            "ok:p",
        ]
    );
    let events = history(&client, id).await;
    let bytes: Vec<u8> = events.iter().flat_map(|e| e.encode_to_vec()).collect();
    // Positive control: the scan finds 32-byte keys that are meant to be
    // there (both public keys travel inside the chain).
    assert!(contains(&bytes, root.public_key().as_bytes()));
    assert!(contains(&bytes, holder.public_key().as_bytes()));
    for (name, key) in [("root", &root), ("holder", &holder)] {
        let seed = key.to_seed();
        assert!(
            !contains(&bytes, seed.as_slice()),
            "{name} seed bytes in history"
        );
        for text in text_forms(&seed) {
            assert!(
                !contains(&bytes, text.as_bytes()),
                "{name} seed text in history"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 10-12: modes and policies.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn audit_mode_records_the_denial_and_runs_the_body() {
    let (_server, client) = new_server_and_client(None).await;
    let sink = Arc::new(MemorySink::new());
    let w = agent_config(Arc::clone(&sink))
        .mode(Mode::Audit)
        .build()
        .unwrap();
    let q = "authz-audit";
    let id = "wf-audit";
    let (out, unwarranted) = with_worker(&client, worker_options(q, &w), async {
        let out = run_plan(
            &client,
            q,
            id,
            Plan::new(vec![
                Step::Read("/etc/passwd".into()),
                Step::Read("/data/in/a.txt".into()),
            ]),
        )
        .await
        .unwrap();
        // Without a warrant the run is not failed at start in audit mode:
        // the refusal and each call are recorded, and everything runs.
        let unwarranted = without_warrant(run_plan(
            &client,
            q,
            "wf-audit-none",
            Plan::new(vec![Step::Read("/data/in/z.txt".into())]),
        ))
        .await
        .unwrap();
        (out, unwarranted)
    })
    .await;
    assert_eq!(unwarranted, vec!["ok:contents of /data/in/z.txt"]);
    let none: Vec<_> = sink
        .events()
        .into_iter()
        .filter(|e| e.workflow_id.as_deref() == Some("wf-audit-none"))
        .map(|e| (e.scope, e.decision, e.code, e.enforced))
        .collect();
    assert_eq!(
        none,
        vec![
            (
                Scope::WorkflowStart,
                Decision::Deny,
                Some("WARRANT_MISSING"),
                false
            ),
            (
                Scope::Activity,
                Decision::Deny,
                Some("WARRANT_MISSING"),
                false
            ),
        ]
    );
    assert_eq!(
        out,
        vec![
            "ok:contents of /etc/passwd",
            "ok:contents of /data/in/a.txt"
        ]
    );
    assert_eq!(
        ran(id),
        vec![
            ("FsActs::read_file".to_owned(), 1),
            ("FsActs::read_file".to_owned(), 1)
        ]
    );
    let events: Vec<_> = sink
        .events()
        .into_iter()
        .filter(|e| e.workflow_id.as_deref() == Some(id))
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].decision, Decision::Deny);
    assert_eq!(events[0].code, Some("CONSTRAINT_VIOLATED"));
    assert!(!events[0].enforced);
    assert_eq!(events[1].decision, Decision::Allow);
    assert!(activity_failures(&history(&client, id).await).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn local_activity_policy_block_and_allow() {
    let (_server, client) = new_server_and_client(None).await;
    let plan = Plan::new(vec![
        Step::LocalRead("/data/in/a.txt".into()),
        Step::LocalRead("/etc/passwd".into()),
        Step::Read("/data/in/b.txt".into()),
    ]);

    let blocked_sink = Arc::new(MemorySink::new());
    let blocked = agent_config(Arc::clone(&blocked_sink))
        .local_activity_policy(LocalActivityPolicy::Block)
        .build()
        .unwrap();
    let q = "authz-la-block";
    let out = with_worker(&client, worker_options(q, &blocked), async {
        run_plan(&client, q, "wf-la-block", plan.clone())
            .await
            .unwrap()
    })
    .await;
    // A local activity's failure reaches workflow code as the bare
    // application failure (its type is in `failure()`, not `cause()`; the
    // harness's `outcome` reads both); it is also in the local-activity
    // marker of the history.
    assert_eq!(
        out,
        vec![
            "denied:LOCAL_ACTIVITY_BLOCKED",
            "denied:LOCAL_ACTIVITY_BLOCKED",
            "ok:contents of /data/in/b.txt"
        ]
    );
    assert_eq!(
        marker_failures(&history(&client, "wf-la-block").await),
        vec![("LOCAL_ACTIVITY_BLOCKED".to_owned(), true); 2]
    );
    // Only the remote read ran; each blocked local activity was tried once.
    assert_eq!(
        ran("wf-la-block"),
        vec![("FsActs::read_file".to_owned(), 1)]
    );
    let t = tally(&blocked_sink);
    assert_eq!(t.get("Deny:LOCAL_ACTIVITY_BLOCKED"), Some(&2));
    assert_eq!(t.get("Allow:-"), Some(&1));

    let allowed_sink = Arc::new(MemorySink::new());
    let allowed = agent_config(Arc::clone(&allowed_sink))
        .local_activity_policy(LocalActivityPolicy::Allow)
        .build()
        .unwrap();
    let q = "authz-la-allow";
    let out = with_worker(&client, worker_options(q, &allowed), async {
        run_plan(&client, q, "wf-la-allow", plan.clone())
            .await
            .unwrap()
    })
    .await;
    // Out of scope, but local activities are not checked under Allow.
    assert_eq!(
        out,
        vec![
            "ok:contents of /data/in/a.txt",
            "ok:contents of /etc/passwd",
            "ok:contents of /data/in/b.txt",
        ]
    );
    assert_eq!(ran("wf-la-allow").len(), 3);
    let events = allowed_sink.events();
    let skips: Vec<_> = events
        .iter()
        .filter(|e| e.decision == Decision::Skip)
        .map(|e| (e.is_local, e.skip_reason))
        .collect();
    assert_eq!(
        skips,
        vec![
            (true, Some(SkipReason::LocalPolicy)),
            (true, Some(SkipReason::LocalPolicy))
        ]
    );
    // The remote call is still authorized by its warrant.
    assert_eq!(tally(&allowed_sink).get("Allow:-"), Some(&1));
}

#[tokio::test(flavor = "multi_thread")]
async fn optional_warrant_skips_unwarranted_runs_but_checks_warranted_ones() {
    let server = DevServer::start().unwrap();
    let bare = client(&server, None, None).await;
    let warranted = agent_client(&server, None).await;
    let sink = Arc::new(MemorySink::new());
    let w = agent_config(Arc::clone(&sink))
        .require_warrant(false)
        .build()
        .unwrap();
    let q = "authz-optional";
    let plan = || {
        Plan::new(vec![
            Step::Read("/etc/passwd".into()),
            Step::Read("/data/in/a.txt".into()),
        ])
    };
    let (out_bare, out_warranted) = with_worker(&bare, worker_options(q, &w), async {
        let a = run_plan(&bare, q, "wf-optional-bare", plan())
            .await
            .unwrap();
        let b = run_plan(&warranted, q, "wf-optional-warranted", plan())
            .await
            .unwrap();
        (a, b)
    })
    .await;
    assert_eq!(
        out_bare,
        vec![
            "ok:contents of /etc/passwd",
            "ok:contents of /data/in/a.txt"
        ]
    );
    assert_eq!(ran("wf-optional-bare").len(), 2);
    assert_eq!(
        out_warranted,
        vec![
            "denied:CONSTRAINT_VIOLATED",
            "ok:contents of /data/in/a.txt"
        ]
    );
    assert_eq!(
        ran("wf-optional-warranted"),
        vec![("FsActs::read_file".to_owned(), 1)]
    );
    let by_wf = |id: &str| -> Vec<_> {
        sink.events()
            .into_iter()
            .filter(|e| e.workflow_id.as_deref() == Some(id))
            .map(|e| (e.decision, e.skip_reason, e.code))
            .collect()
    };
    assert_eq!(
        by_wf("wf-optional-bare"),
        vec![(Decision::Skip, Some(SkipReason::NoWarrant), None); 2]
    );
    assert_eq!(
        by_wf("wf-optional-warranted"),
        vec![
            (Decision::Deny, None, Some("CONSTRAINT_VIOLATED")),
            (Decision::Allow, None, None)
        ]
    );
}
