//! End to end on a real dev server: tenant isolation on one shared worker.
//!
//! Three tenants, each with its own holder key (all three in the worker's
//! key store) and its own root warrant that lets it read only its own
//! directory (`read_file` with `Subpath("/tenants/<name>")`). Two tenants'
//! warrants come from the shared root issuer, the third from an issuer of
//! its own; the worker trusts both. Sixty `Agent` runs start at once on ONE
//! worker, tenants alternating, each with its tenant's warrant chosen per
//! start (`with_warrant`), and each reads its own directory and the others'
//! (directly, by `..` traversal and through a look-alike prefix, serially
//! and in parallel). A few more runs present one tenant's warrant under
//! another tenant's key id.
//!
//! Every decision is checked: own reads allowed and authorized by the run's
//! own tenant warrant (audit `warrant_id`), every cross read denied
//! `CONSTRAINT_VIOLATED`, every borrowed-key read denied (own paths
//! `POP_INVALID`); no denied body
//! ran; every history carries its own tenant's warrant and replays with the
//! interceptor and no keys.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use temporalio_client::{Client, WorkflowHistory, WorkflowStartOptions};
use temporalio_common::protos::temporal::api::common::v1::Header;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_common::protos::temporal::api::history::v1::{History, HistoryEvent};
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};
use warrants::constraint::Subpath;
use warrants::{Chain, SigningKey, Warrant};
use warrants_temporal::audit::{Decision, MemorySink, Scope};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::headers::{read, X_WARRANT, X_WARRANT_KEY_ID};
use warrants_temporal::{
    with_warrant, KeyStore, WarrantClientInterceptor, WarrantHeaders, Warrants,
};

use support::*;

/// Runs with their own tenant's warrant and key.
const RUNS: usize = 60;
/// Runs presenting a tenant's warrant under another tenant's key id.
const BORROWED: usize = 6;
const CV: &str = "denied:CONSTRAINT_VIOLATED";

/// One tenant: its directory, holder key (by id) and root warrant.
struct Tenant {
    name: &'static str,
    key_id: String,
    /// Seed of the holder key (`SigningKey` is not `Clone`).
    seed: u8,
    chain: Chain,
}

impl Tenant {
    fn key(&self) -> SigningKey {
        SigningKey::from_seed(&[self.seed; 32])
    }

    fn dir(&self) -> String {
        format!("/tenants/{}", self.name)
    }

    fn warrant_id(&self) -> String {
        self.chain.leaf().unwrap().id().to_string()
    }
}

/// The third tenant's own root issuer.
fn own_issuer() -> SigningKey {
    SigningKey::from_seed(&[40; 32])
}

/// A root warrant for `holder`: `read_file` under `dir`, nothing else.
fn tenant_warrant(issuer: &SigningKey, holder: &SigningKey, dir: &str) -> Warrant {
    Warrant::mint_builder()
        .holder(holder.public_key())
        .capability("read_file", [("path", Subpath::new(dir).unwrap().into())])
        .ttl(Duration::from_secs(3600))
        .mint(issuer)
        .unwrap()
}

fn tenants() -> Vec<Tenant> {
    [
        ("acme", 11u8, root_key()),
        ("globex", 12, root_key()),
        ("initech", 13, own_issuer()),
    ]
    .into_iter()
    .map(|(name, seed, issuer)| {
        let key = SigningKey::from_seed(&[seed; 32]);
        let chain = Chain::root(tenant_warrant(&issuer, &key, &format!("/tenants/{name}")));
        Tenant {
            name,
            key_id: format!("tenant-{name}"),
            seed,
            chain,
        }
    })
    .collect()
}

/// One worker for every tenant: both issuers trusted, every tenant key.
fn tenant_warrants(ts: &[Tenant], sink: Arc<MemorySink>) -> Warrants {
    let mut keys = KeyStore::new();
    for t in ts {
        keys.insert(t.key_id.clone(), t.key());
    }
    Warrants::builder()
        .trusted_roots([root_key().public_key(), own_issuer().public_key()])
        .keys(keys)
        .activities(registry())
        .audit_sink(sink)
        .build()
        .unwrap()
}

/// One workflow run of the test.
struct Run {
    id: String,
    /// The tenant whose warrant the run carries.
    tenant: usize,
    /// The tenant whose key id the run names (== `tenant` unless borrowed).
    key_of: usize,
    plan: Plan,
    /// The expected result.
    expect: Vec<String>,
}

fn ok(path: &str) -> String {
    format!("ok:contents of {path}")
}

/// The runs: `RUNS` with their own key, tenants alternating, then
/// `BORROWED` with the next tenant's key id.
fn runs(ts: &[Tenant]) -> Vec<Run> {
    let n = ts.len();
    let mut out = Vec::new();
    for i in 0..RUNS + BORROWED {
        let t = i % n;
        let (o, p) = ((t + 1) % n, (t + 2) % n);
        let (own, other, third) = (ts[t].dir(), ts[o].dir(), ts[p].dir());
        let own_read = format!("{own}/docs/{i}.txt");
        let cross_read = format!("{other}/docs/{i}.txt");
        let parallel = vec![
            format!("{own}/p/{i}.txt"),
            format!("{own}/../{}/secret-{i}.txt", ts[o].name),
            format!("{third}/p/{i}.txt"),
            format!("{own}-shadow/{i}.txt"),
        ];
        let plan = Plan::new(vec![
            Step::Read(own_read.clone()),
            Step::Read(cross_read),
            Step::Parallel(parallel.clone()),
        ]);
        let borrowed = i >= RUNS;
        // With a borrowed key id the proof is signed by another tenant's
        // key and does not match the warrant's holder: own reads are
        // POP_INVALID. Cross reads fail the constraint check, which comes
        // first, so they stay CONSTRAINT_VIOLATED.
        let own_ok = |path: &str| {
            if borrowed {
                "denied:POP_INVALID".to_owned()
            } else {
                ok(path)
            }
        };
        let expect = vec![
            own_ok(&own_read),
            CV.to_owned(),
            [own_ok(&parallel[0]), CV.into(), CV.into(), CV.into()].join(","),
        ];
        out.push(Run {
            id: format!(
                "tenant-{}-{}{i:03}",
                ts[t].name,
                if borrowed { "borrowed-" } else { "" }
            ),
            tenant: t,
            key_of: if borrowed { o } else { t },
            plan,
            expect,
        });
    }
    out
}

fn header_field(h: Option<&Header>, name: &'static str) -> Option<Vec<u8>> {
    read(h, name).unwrap()
}

/// Start every run at once, each with its tenant's warrant (or a borrowed
/// key id), then wait for every result.
async fn start_and_wait(
    client: &Client,
    queue: &str,
    ts: &[Tenant],
    rs: &[Run],
) -> Vec<Result<Vec<String>, String>> {
    let starts = rs.iter().map(|r| {
        let headers = WarrantHeaders::new(&ts[r.tenant].chain, ts[r.key_of].key_id.clone());
        with_warrant(
            headers,
            client.start_workflow(
                Agent::run,
                r.plan.clone(),
                WorkflowStartOptions::new(queue, r.id.as_str()).build(),
            ),
        )
    });
    for s in join_all(starts).await {
        s.unwrap();
    }
    join_all(rs.iter().map(|r| result(client, &r.id))).await
}

/// The most runs open at the same time, from the histories' start and
/// close times (informational).
fn max_overlap(histories: &[Vec<HistoryEvent>]) -> usize {
    let mut edges: Vec<(i64, i32)> = Vec::new();
    for h in histories {
        let t = |e: &HistoryEvent| {
            e.event_time
                .as_ref()
                .map_or(0, |t| t.seconds * 1_000_000_000 + i64::from(t.nanos))
        };
        edges.push((t(&h[0]), 1));
        edges.push((t(h.last().unwrap()), -1));
    }
    edges.sort_unstable();
    let (mut cur, mut best) = (0i32, 0i32);
    for (_, d) in edges {
        cur += d;
        best = best.max(cur);
    }
    usize::try_from(best).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn tenants_are_isolated_on_one_worker() {
    let server = DevServer::start().unwrap();
    // No default warrant: only the scoped starts carry one.
    let client = client(&server, Some(WarrantClientInterceptor::scoped_only()), None).await;
    let ts = tenants();
    let rs = runs(&ts);
    assert!(rs.len() >= 50);
    let sink = Arc::new(MemorySink::new());
    let w = tenant_warrants(&ts, Arc::clone(&sink));
    let q = "tenants";
    let opts = worker_options(q, &w);
    let results = with_worker(&client, opts, async {
        tokio::time::timeout(
            Duration::from_secs(120),
            start_and_wait(&client, q, &ts, &rs),
        )
        .await
        .expect("runs did not finish within 120 s")
    })
    .await;

    // Outcomes: zero wrong decisions.
    let mut wrong = Vec::new();
    let mut decisions = 0;
    for (r, got) in rs.iter().zip(&results) {
        let got = got
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: workflow failed: {e}", r.id));
        let got_flat: Vec<&str> = got.iter().flat_map(|s| s.split(',')).collect();
        let want_flat: Vec<&str> = r.expect.iter().flat_map(|s| s.split(',')).collect();
        assert_eq!(got_flat.len(), want_flat.len(), "{}: {got:?}", r.id);
        for (g, x) in got_flat.iter().zip(&want_flat) {
            decisions += 1;
            if g != x {
                wrong.push(format!("{}: got {g}, want {x}", r.id));
            }
        }
    }
    assert_eq!(decisions, (RUNS + BORROWED) * 6);
    assert!(
        wrong.is_empty(),
        "{} wrong decisions: {wrong:#?}",
        wrong.len()
    );

    // Bodies: exactly the own reads of the runs with their own key ran.
    for r in &rs {
        let bodies = ran(&r.id);
        let want = if r.tenant == r.key_of { 2 } else { 0 };
        assert_eq!(bodies.len(), want, "{}: {bodies:?}", r.id);
        assert!(bodies
            .iter()
            .all(|(t, a)| t == "FsActs::read_file" && *a == 1));
    }

    // Audit: every allow authorized by the run's own tenant warrant.
    let by_id: HashMap<&str, &Run> = rs.iter().map(|r| (r.id.as_str(), r)).collect();
    let events = sink.events();
    assert_eq!(events.len(), (RUNS + BORROWED) * 6, "one event per call");
    let mut allows = 0;
    let mut denials: HashMap<&str, usize> = HashMap::new();
    for e in &events {
        assert_eq!(e.scope, Scope::Activity, "{e:?}");
        assert_eq!(e.attempt, 1, "{e:?}");
        let r = by_id[e.workflow_id.as_deref().unwrap()];
        let own_key = r.tenant == r.key_of;
        match e.decision {
            Decision::Allow => {
                allows += 1;
                assert!(own_key, "{}: allowed with a borrowed key: {e:?}", r.id);
                assert_eq!(
                    e.warrant_id.as_deref(),
                    Some(ts[r.tenant].warrant_id().as_str()),
                    "{}: allowed under another warrant",
                    r.id
                );
                assert_eq!(e.chain_depth, Some(1));
                assert_eq!(e.tool.as_deref(), Some("read_file"));
            }
            Decision::Deny => {
                *denials.entry(e.code.unwrap()).or_insert(0) += 1;
                if own_key {
                    assert_eq!(e.code, Some("CONSTRAINT_VIOLATED"), "{}: {e:?}", r.id);
                }
                assert!(e.enforced);
                assert_eq!(e.warrant_id, None);
            }
            Decision::Skip => panic!("{}: unexpected skip {e:?}", r.id),
        }
    }
    assert_eq!(allows, RUNS * 2);
    assert_eq!(
        denials,
        HashMap::from([
            ("CONSTRAINT_VIOLATED", (RUNS + BORROWED) * 4),
            ("POP_INVALID", BORROWED * 2),
        ])
    );

    // Histories: each run's start and activities carry its own tenant's
    // warrant; no workflow task failed.
    let histories = join_all(rs.iter().map(|r| history(&client, &r.id))).await;
    for (r, h) in rs.iter().zip(&histories) {
        let chain = ts[r.tenant].chain.to_bytes();
        let key_id = ts[r.key_of].key_id.as_bytes().to_vec();
        let started = h
            .iter()
            .find_map(|e| match &e.attributes {
                Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => a.header.clone(),
                _ => None,
            })
            .expect("start header");
        assert_eq!(header_field(Some(&started), X_WARRANT), Some(chain.clone()));
        assert_eq!(header_field(Some(&started), X_WARRANT_KEY_ID), Some(key_id));
        let scheduled: Vec<_> = h
            .iter()
            .filter_map(|e| match &e.attributes {
                Some(Attributes::ActivityTaskScheduledEventAttributes(a)) => Some(a.header.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(scheduled.len(), 6, "{}", r.id);
        for s in &scheduled {
            assert_eq!(
                header_field(s.as_ref(), X_WARRANT),
                Some(chain.clone()),
                "{}",
                r.id
            );
        }
        let task_failed = h.iter().any(|e| {
            matches!(
                e.attributes,
                Some(Attributes::WorkflowTaskFailedEventAttributes(_))
            )
        });
        assert!(!task_failed, "{}: a workflow task failed", r.id);
    }
    eprintln!(
        "tenants: {} runs, at most {} open at once",
        rs.len(),
        max_overlap(&histories)
    );

    // Replay every history with the interceptor and no keys.
    let opts = Warrants::for_replay()
        .wire_replayer(WorkflowReplayerOptions::new())
        .register_workflow::<Agent>()
        .unwrap()
        .build();
    let replayed = WorkflowReplayer::new(opts)
        .unwrap()
        .replay_workflows(
            histories
                .into_iter()
                .map(|events| WorkflowHistory::from(History { events })),
        )
        .await
        .unwrap();
    assert_eq!(replayed.len(), rs.len());
    for (r, res) in rs.iter().zip(&replayed) {
        assert!(
            res.replay_failure.is_none(),
            "{} did not replay: {:?}",
            r.id,
            res.replay_failure
        );
    }
    assert_eq!(
        sink.events().len(),
        (RUNS + BORROWED) * 6,
        "replay audits nothing"
    );
}
