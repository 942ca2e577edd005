//! End to end on a real dev server: the `metrics` counters and histogram
//! of activity authorization. Its own test binary, because the metrics
//! recorder is process-global.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::MetricKind;
use warrants::constraint::Subpath;
use warrants::{Chain, Warrant};
use warrants_temporal::audit::{
    Decision, MemorySink, Scope, METRIC_AUTHORIZED, METRIC_DENIED, METRIC_REFUSED_RUNS,
    METRIC_SECONDS,
};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::{without_warrant, WarrantClientInterceptor, WarrantHeaders};

use support::*;

/// A metric's name and labels, labels sorted, e.g.
/// `warrants_activities_denied_total{code=TOOL_NOT_GRANTED,mode=enforce}`.
fn render(name: &str, labels: &[(String, String)]) -> String {
    let mut labels = labels.to_vec();
    labels.sort();
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{name}{{{}}}", inner.join(","))
}

#[tokio::test(flavor = "multi_thread")]
async fn counters_and_latency_histogram() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder in this binary");

    let server = DevServer::start().unwrap();
    // Read under /data/in only: a write is TOOL_NOT_GRANTED, a read
    // elsewhere CONSTRAINT_VIOLATED, so the two denials carry two codes.
    let chain = Chain::root(
        Warrant::mint_builder()
            .holder(agent_key().public_key())
            .capability(
                "read_file",
                [("path", Subpath::new("/data/in").unwrap().into())],
            )
            .ttl(Duration::from_secs(3600))
            .mint(&root_key())
            .unwrap(),
    );
    let client = client(
        &server,
        Some(WarrantClientInterceptor::with_default(WarrantHeaders::new(
            &chain, AGENT,
        ))),
        None,
    )
    .await;
    let sink = Arc::new(MemorySink::new());
    let w = warrants(Arc::clone(&sink));
    let q = "metrics";
    let id = "wf-metrics";
    let (out, refused) = with_worker(&client, worker_options(q, &w), async {
        let out = run_plan(
            &client,
            q,
            id,
            Plan::new(vec![
                Step::Read("/data/in/a.txt".into()),
                Step::Read("/etc/passwd".into()),
                Step::Read("/data/in/b.txt".into()),
                Step::Write("/data/out/c.txt".into(), "x".into()),
            ]),
        )
        .await
        .unwrap();
        // A run without a warrant is refused at start and counted once.
        let refused = without_warrant(run_plan(&client, q, "wf-refused", Plan::default())).await;
        (out, refused)
    })
    .await;
    assert!(refused.unwrap_err().contains("WARRANT_MISSING"));
    assert_eq!(
        out,
        vec![
            "ok:contents of /data/in/a.txt",
            "denied:CONSTRAINT_VIOLATED",
            "ok:contents of /data/in/b.txt",
            "denied:TOOL_NOT_GRANTED",
        ]
    );
    let (decisions, starts): (Vec<_>, Vec<_>) = sink
        .events()
        .into_iter()
        .partition(|e| e.scope == Scope::Activity);
    assert_eq!(decisions.len(), 4);
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].code, Some("WARRANT_MISSING"));

    // One snapshot (it drains histograms).
    let mut counters = BTreeMap::new();
    let mut histograms: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (ck, _unit, _desc, value) in snapshotter.snapshot().into_vec() {
        let key = ck.key();
        if !key.name().starts_with("warrants_") {
            continue;
        }
        let labels: Vec<(String, String)> = key
            .labels()
            .map(|l| (l.key().to_owned(), l.value().to_owned()))
            .collect();
        let name = render(key.name(), &labels);
        match (ck.kind(), value) {
            (MetricKind::Counter, DebugValue::Counter(n)) => {
                counters.insert(name, n);
            }
            (MetricKind::Histogram, DebugValue::Histogram(v)) => {
                histograms
                    .entry(name)
                    .or_default()
                    .extend(v.into_iter().map(|f| f.0));
            }
            (kind, v) => panic!("unexpected metric {name}: {kind:?} {v:?}"),
        }
    }
    let expected_counters = BTreeMap::from([
        (
            format!("{METRIC_AUTHORIZED}{{mode=enforce,reason=warrant}}"),
            2,
        ),
        (
            format!("{METRIC_DENIED}{{code=CONSTRAINT_VIOLATED,mode=enforce}}"),
            1,
        ),
        (
            format!("{METRIC_DENIED}{{code=TOOL_NOT_GRANTED,mode=enforce}}"),
            1,
        ),
        (
            format!("{METRIC_REFUSED_RUNS}{{code=WARRANT_MISSING,mode=enforce}}"),
            1,
        ),
    ]);
    assert_eq!(counters, expected_counters);
    assert_eq!(
        METRIC_AUTHORIZED, "warrants_activities_authorized_total",
        "stable metric name"
    );
    assert_eq!(METRIC_DENIED, "warrants_activities_denied_total");
    assert_eq!(METRIC_SECONDS, "warrants_activities_authorization_seconds");
    assert_eq!(METRIC_REFUSED_RUNS, "warrants_workflows_refused_total");

    // One latency sample per decision, labelled by the decision.
    let samples: BTreeMap<String, usize> = histograms
        .iter()
        .map(|(k, v)| (k.clone(), v.len()))
        .collect();
    assert_eq!(
        samples,
        BTreeMap::from([
            (format!("{METRIC_SECONDS}{{decision=allow}}"), 2),
            (format!("{METRIC_SECONDS}{{decision=deny}}"), 2),
        ])
    );
    let total: usize = samples.values().sum();
    assert_eq!(total, decisions.len());
    assert_eq!(
        decisions
            .iter()
            .filter(|e| e.decision == Decision::Allow)
            .count(),
        2
    );
    for v in histograms.values().flatten() {
        assert!(v.is_finite() && *v >= 0.0, "latency sample {v}");
    }
}
