//! Authorization overhead per activity on a real dev server (a benchmark,
//! not a test; results go to docs/BENCHMARKS.md).
//!
//! ```sh
//! export TEMPORAL_CLI=$(bash scripts/install-temporal.sh | tail -1)
//! cargo bench -p warrants-temporal --bench temporal_overhead -- [--activities 200] [--rounds 3] [--parallel 8]
//! ```
//!
//! One dev server, two task queues: a plain worker (no interceptors) and a
//! worker wired with warrants, in the same process, measured in alternating
//! rounds so drift affects both the same way. Per round and queue:
//!
//! - **sequential**: one workflow runs N activities one after another;
//!   latency per activity = workflow wall time / N;
//! - **parallel**: `--parallel` workflows at once, each running N / P
//!   activities in sequence; throughput = activities / wall time;
//! - **history**: encoded bytes of the `ActivityTaskScheduled` events, per
//!   activity (the warrant and proof headers are what differs);
//! - **decision**: the activity interceptor's own time, from the audit
//!   events' latency (median and p99).

#![allow(missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prost::Message;
use serde::{Deserialize, Serialize};
use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, Url, WorkflowFetchHistoryOptions,
    WorkflowGetResultOptions, WorkflowStartOptions,
};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_sdk::activities::{activities, ActivityContext, ActivityError};
use temporalio_sdk::workflows::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult,
};
use warrants::constraint::Subpath;
use warrants::{Chain, SigningKey, Warrant};
use warrants_temporal::audit::{AuditEvent, AuditSink, Decision};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::{
    ActivityRegistry, KeyStore, WarrantClientInterceptor, WarrantHeaders, Warrants,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadArgs {
    pub path: String,
}

pub struct Acts;

#[activities]
impl Acts {
    #[activity]
    pub async fn read_file(_ctx: ActivityContext, a: ReadArgs) -> Result<usize, ActivityError> {
        Ok(a.path.len())
    }
}

#[workflow]
#[derive(Default)]
pub struct Bench;

#[workflow_methods]
impl Bench {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, n: u32) -> WorkflowResult<u32> {
        let mut ok = 0;
        for i in 0..n {
            let args = ReadArgs {
                path: format!("/data/in/file-{i}.txt"),
            };
            let opts =
                ActivityOptions::with_start_to_close_timeout(Duration::from_secs(30)).build();
            if ctx
                .execute_activity(Acts::read_file, args, opts)
                .await
                .is_ok()
            {
                ok += 1;
            }
        }
        Ok(ok)
    }
}

/// Keeps the decision latencies (and counts denials, which must be 0).
#[derive(Default)]
struct Latencies {
    micros: Mutex<Vec<f64>>,
    denied: Mutex<usize>,
}

impl AuditSink for Latencies {
    fn record(&self, e: &AuditEvent) {
        if e.decision == Decision::Deny {
            if let Ok(mut d) = self.denied.lock() {
                *d += 1;
            }
        }
        if let Ok(mut v) = self.micros.lock() {
            v.push(e.latency.as_secs_f64() * 1e6);
        }
    }
}

struct Args {
    activities: u32,
    rounds: u32,
    parallel: u32,
}

fn args() -> Args {
    let mut a = Args {
        activities: 200,
        rounds: 3,
        parallel: 8,
    };
    let argv: Vec<String> = std::env::args().collect();
    let mut it = argv.iter().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().and_then(|v| v.parse().ok());
        match (k.as_str(), v) {
            ("--activities", Some(v)) => a.activities = v,
            ("--rounds", Some(v)) => a.rounds = v,
            ("--parallel", Some(v)) => a.parallel = v,
            _ => {} // cargo bench passes `--bench`; ignore what we do not know
        }
    }
    a.parallel = a.parallel.max(1);
    a
}

#[derive(Default, Clone, Copy)]
struct Sample {
    seq_ms_per_activity: f64,
    par_activities_per_s: f64,
    history_bytes_per_activity: f64,
}

async fn run_wf(client: &Client, queue: &str, id: &str, n: u32) -> Result<(), BoxError> {
    let h = client
        .start_workflow(Bench::run, n, WorkflowStartOptions::new(queue, id).build())
        .await?;
    let ok = h.get_result(WorkflowGetResultOptions::default()).await?;
    if ok != n {
        return Err(format!("{id}: {ok} of {n} activities succeeded").into());
    }
    Ok(())
}

async fn scheduled_bytes(client: &Client, id: &str) -> Result<usize, BoxError> {
    let events = client
        .get_workflow_handle::<temporalio_client::UntypedWorkflow>(id)
        .fetch_history(WorkflowFetchHistoryOptions::default())
        .into_events()
        .await?;
    Ok(events
        .iter()
        .filter(|e| {
            matches!(
                e.attributes,
                Some(Attributes::ActivityTaskScheduledEventAttributes(_))
            )
        })
        .map(|e| e.encode_to_vec().len())
        .sum())
}

async fn measure(client: &Client, queue: &str, tag: &str, a: &Args) -> Result<Sample, BoxError> {
    let seq_id = format!("{tag}-seq");
    let t = Instant::now();
    run_wf(client, queue, &seq_id, a.activities).await?;
    let seq = t.elapsed().as_secs_f64() * 1e3 / f64::from(a.activities);
    let per = (a.activities / a.parallel).max(1);
    let t = Instant::now();
    let runs = (0..a.parallel).map(|i| {
        let id = format!("{tag}-par-{i}");
        async move { run_wf(client, queue, &id, per).await }
    });
    for r in futures::future::join_all(runs).await {
        r?;
    }
    let par = f64::from(per * a.parallel) / t.elapsed().as_secs_f64();
    let bytes = scheduled_bytes(client, &seq_id).await? as f64 / f64::from(a.activities);
    Ok(Sample {
        seq_ms_per_activity: seq,
        par_activities_per_s: par,
        history_bytes_per_activity: bytes,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn quantile(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), BoxError> {
    let a = args();
    let server = DevServer::start()?;
    let root = SigningKey::from_seed(&[1; 32]);
    let holder = SigningKey::from_seed(&[2; 32]);
    let warrant = Warrant::mint_builder()
        .holder(holder.public_key())
        .capability("read_file", [("path", Subpath::new("/data/in")?.into())])
        .ttl(Duration::from_secs(3600))
        .mint(&root)?;
    let chain = Chain::root(warrant);
    let conn =
        Connection::connect(ConnectionOptions::new(Url::parse(&server.url())?).build()).await?;
    let client = Client::new(
        conn,
        WarrantClientInterceptor::with_default(WarrantHeaders::new(&chain, "agent"))
            .wire(ClientOptions::new("default").build()),
    )?;
    let mut keys = KeyStore::new();
    keys.insert("agent", holder);
    let lat = Arc::new(Latencies::default());
    let warrants = Warrants::builder()
        .trusted_root(root.public_key())
        .keys(keys)
        .activities(ActivityRegistry::new().protect(Acts::read_file, "read_file"))
        .audit_sink(lat.clone())
        .build()?;

    let plain_opts = WorkerOptions::new("plain")
        .register_activities(Acts)
        .register_workflow::<Bench>()?
        .build();
    let authz_opts = warrants
        .wire_worker(WorkerOptions::new("authz").register_activities(Acts))
        .register_workflow::<Bench>()?
        .build();
    let runtime = Runtime::from_current_tokio(Default::default())?;
    let mut plain = Worker::new(&runtime, client.clone(), plain_opts)?;
    let mut authz = Worker::new(&runtime, client.clone(), authz_opts)?;
    let (stop_plain, stop_authz) = (plain.shutdown_handle(), authz.shutdown_handle());

    let drive = async {
        let mut base = Vec::new();
        let mut with = Vec::new();
        // Warm-up: connections, caches, the verified-chain cache.
        measure(
            &client,
            "plain",
            "warm-plain",
            &Args {
                activities: 20,
                rounds: 1,
                parallel: 2,
            },
        )
        .await?;
        measure(
            &client,
            "authz",
            "warm-authz",
            &Args {
                activities: 20,
                rounds: 1,
                parallel: 2,
            },
        )
        .await?;
        if let Ok(mut v) = lat.micros.lock() {
            v.clear();
        }
        for r in 0..a.rounds {
            base.push(measure(&client, "plain", &format!("plain-{r}"), &a).await?);
            with.push(measure(&client, "authz", &format!("authz-{r}"), &a).await?);
        }
        Ok::<_, BoxError>((base, with))
    };
    let drive = async {
        let out = drive.await;
        stop_plain();
        stop_authz();
        out
    };
    let (rp, ra, out) = tokio::join!(plain.run(), authz.run(), drive);
    rp?;
    ra?;
    let (base, with) = out?;
    let denied = lat.denied.lock().map(|d| *d).unwrap_or(usize::MAX);
    if denied != 0 {
        return Err(format!("{denied} calls were denied; the benchmark is invalid").into());
    }
    let pick = |s: &[Sample], f: fn(&Sample) -> f64| median(s.iter().map(f).collect());
    let b_seq = pick(&base, |s| s.seq_ms_per_activity);
    let w_seq = pick(&with, |s| s.seq_ms_per_activity);
    let b_par = pick(&base, |s| s.par_activities_per_s);
    let w_par = pick(&with, |s| s.par_activities_per_s);
    let b_hist = pick(&base, |s| s.history_bytes_per_activity);
    let w_hist = pick(&with, |s| s.history_bytes_per_activity);
    let micros = lat.micros.lock().map(|v| v.clone()).unwrap_or_default();
    println!(
        "activities per workflow run: {}, rounds: {}, parallel workflows: {}, chain bytes: {}",
        a.activities,
        a.rounds,
        a.parallel,
        chain.to_bytes().len()
    );
    println!();
    println!("| Measure (median of rounds) | Plain | With warrants | Ratio / difference |");
    println!("|---|---:|---:|---:|");
    println!(
        "| Sequential latency per activity (ms) | {b_seq:.2} | {w_seq:.2} | {:.3}x ({:+.2} ms) |",
        w_seq / b_seq,
        w_seq - b_seq
    );
    println!(
        "| Parallel throughput (activities/s) | {b_par:.0} | {w_par:.0} | {:.3}x |",
        w_par / b_par
    );
    println!(
        "| History bytes per ActivityTaskScheduled | {b_hist:.0} | {w_hist:.0} | {:+.0} B |",
        w_hist - b_hist
    );
    println!(
        "| Activity-side decision (µs), {} decisions | - | median {:.1}, p99 {:.1} | - |",
        micros.len(),
        median(micros.clone()),
        quantile(micros, 0.99)
    );
    Ok(())
}
