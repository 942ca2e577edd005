//! End to end on a real dev server: allowed and denied activity calls,
//! the denial codes, and what lands in history.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::sync::Arc;

use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use warrants_temporal::audit::{Decision, MemorySink};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::WarrantClientInterceptor;

use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn allowed_runs_and_out_of_scope_is_denied_at_attempt_one() {
    let server = DevServer::start().unwrap();
    let client = client(
        &server,
        Some(WarrantClientInterceptor::with_default(agent_headers())),
        None,
    )
    .await;
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
