//! Shared harness for the end-to-end tests: a dev server per test, clients
//! with the warrant interceptor, a worker driven in the same task, the
//! test workflow `Agent` (a plan of steps) and the activities `FsActs`.
//!
//! Activities record every run of their body in [`RAN`] so tests can show
//! that a denied body never ran.

// Helpers unwrap on purpose: a failure is a failed test. The workflow and
// activity macros generate public items without docs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs,
    dead_code
)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporalio_client::RetryPolicy;
use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, UntypedWorkflow, Url,
    WorkflowFetchHistoryOptions, WorkflowGetResultOptions, WorkflowStartOptions,
};
use temporalio_common::data_converters::DataConverter;
use temporalio_common::error::{ActivityExecutionError, ApplicationFailure};
use temporalio_common::protos::temporal::api::common::v1::{Header, Payload};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;
use temporalio_sdk::activities::{activities, ActivityContext, ActivityError};
use temporalio_sdk::workflows::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, ContinueAsNewOptions, LocalActivityOptions, Runtime, Worker, WorkerOptions,
    WorkflowContext, WorkflowResult,
};
use warrants::constraint::{Subpath, Wildcard};
use warrants::{Chain, SigningKey, Warrant};
use warrants_temporal::audit::MemorySink;
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::registry::ActivityRegistry;
use warrants_temporal::{
    KeyStore, WarrantClientInterceptor, WarrantHeaders, Warrants, WarrantsConfigBuilder,
};

/// Root issuer (trusted by workers).
pub fn root_key() -> SigningKey {
    SigningKey::from_seed(&[1; 32])
}
/// The agent's holder key, id [`AGENT`].
pub fn agent_key() -> SigningKey {
    SigningKey::from_seed(&[2; 32])
}
/// Key id of [`agent_key`].
pub const AGENT: &str = "agent";

/// Every activity body run: (workflow id, activity type, attempt).
pub static RAN: Mutex<Vec<(String, String, u32)>> = Mutex::new(Vec::new());

/// Activity bodies that ran for `workflow_id`.
pub fn ran(workflow_id: &str) -> Vec<(String, u32)> {
    RAN.lock()
        .unwrap()
        .iter()
        .filter(|(w, _, _)| w == workflow_id)
        .map(|(_, t, a)| (t.clone(), *a))
        .collect()
}

fn record(ctx: &ActivityContext) {
    let i = ctx.info();
    RAN.lock().unwrap().push((
        i.workflow_id.clone().unwrap_or_default(),
        i.activity_type.clone(),
        i.attempt,
    ));
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReadArgs {
    pub path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WriteArgs {
    pub path: String,
    pub content: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FlakyArgs {
    pub path: String,
    /// Fail retryably on attempts `1..=fail_times`.
    pub fail_times: u32,
}

pub struct FsActs;

#[activities]
impl FsActs {
    #[activity]
    pub async fn read_file(ctx: ActivityContext, a: ReadArgs) -> Result<String, ActivityError> {
        record(&ctx);
        Ok(format!("contents of {}", a.path))
    }

    #[activity]
    pub async fn write_file(ctx: ActivityContext, a: WriteArgs) -> Result<u64, ActivityError> {
        record(&ctx);
        Ok(a.content.len() as u64)
    }

    #[activity]
    pub async fn flaky_read(ctx: ActivityContext, a: FlakyArgs) -> Result<String, ActivityError> {
        record(&ctx);
        if ctx.info().attempt <= a.fail_times {
            return Err(ActivityError::application(
                ApplicationFailure::builder(format!("flaky attempt {}", ctx.info().attempt))
                    .build(),
            ));
        }
        Ok(format!("contents of {}", a.path))
    }

    #[activity]
    pub async fn ping(ctx: ActivityContext, s: String) -> Result<String, ActivityError> {
        record(&ctx);
        Ok(s)
    }
}

/// The registry every test worker uses: `ping` is unprotected, and
/// `flaky_read` is the `read_file` tool with its `path` only (`fail_times`
/// is test plumbing, not an argument the warrant constrains).
pub fn registry() -> ActivityRegistry {
    ActivityRegistry::new()
        .protect(FsActs::read_file, "read_file")
        .protect(FsActs::write_file, "write_file")
        .protect_with(FsActs::flaky_read, "read_file", |a: &FlakyArgs| {
            Ok(warrants::Value::map([("path", a.path.as_str())]))
        })
        .unprotected(FsActs::ping)
}

/// One step of a plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Step {
    Read(String),
    Write(String, String),
    /// Reads in parallel.
    Parallel(Vec<String>),
    LocalRead(String),
    /// Remote read failing `n` times with `backoff_ms` between attempts.
    Flaky(String, u32, u64),
    /// Local read failing `n` times; backoff above 1 s uses timers.
    FlakyLocal(String, u32, u64),
    Ping(String),
    Sleep(u64),
    /// Continue as new with the remaining steps.
    ContinueAsNew,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Outcomes of earlier runs (continue-as-new).
    pub done: Vec<String>,
}

impl Plan {
    pub fn new(steps: Vec<Step>) -> Self {
        Self {
            steps,
            done: Vec::new(),
        }
    }
}

/// `ok:<value>`, `denied:<CODE>` (non-retryable typed failure) or
/// `failed:<message>`.
pub fn outcome<T: std::fmt::Display>(r: Result<T, ActivityExecutionError>) -> String {
    match r {
        Ok(v) => format!("ok:{v}"),
        Err(e) => match warrants_temporal::denial_code(&e) {
            Some(code) => format!("denied:{code}"),
            None => format!("failed:{e}"),
        },
    }
}

fn retry(backoff_ms: u64, attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .initial_interval(Duration::from_millis(backoff_ms))
        .backoff_coefficient(1.0)
        .maximum_attempts(attempts)
        .build()
}

fn opts() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(retry(100, 5))
        .build()
}

fn local_opts(backoff_ms: u64) -> LocalActivityOptions {
    LocalActivityOptions::builder()
        .start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(retry(backoff_ms, 5))
        .timer_backoff_threshold(Duration::from_secs(1))
        .build()
}

#[workflow]
#[derive(Default)]
pub struct Agent;

#[workflow_methods]
impl Agent {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, plan: Plan) -> WorkflowResult<Vec<String>> {
        let mut out = plan.done.clone();
        for (i, step) in plan.steps.iter().enumerate() {
            let r = match step.clone() {
                Step::Read(path) => outcome(
                    ctx.execute_activity(FsActs::read_file, ReadArgs { path }, opts())
                        .await,
                ),
                Step::Write(path, content) => outcome(
                    ctx.execute_activity(FsActs::write_file, WriteArgs { path, content }, opts())
                        .await,
                ),
                Step::Parallel(paths) => {
                    let futs = paths.into_iter().map(|path| {
                        ctx.execute_activity(FsActs::read_file, ReadArgs { path }, opts())
                    });
                    let rs = futures::future::join_all(futs).await;
                    rs.into_iter().map(outcome).collect::<Vec<_>>().join(",")
                }
                Step::LocalRead(path) => outcome(
                    ctx.execute_local_activity(
                        FsActs::read_file,
                        ReadArgs { path },
                        local_opts(100),
                    )
                    .await,
                ),
                Step::Flaky(path, fail_times, backoff) => {
                    let o = ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10))
                        .retry_policy(retry(backoff, 5))
                        .build();
                    outcome(
                        ctx.execute_activity(FsActs::flaky_read, FlakyArgs { path, fail_times }, o)
                            .await,
                    )
                }
                Step::FlakyLocal(path, fail_times, backoff) => outcome(
                    ctx.execute_local_activity(
                        FsActs::flaky_read,
                        FlakyArgs { path, fail_times },
                        local_opts(backoff),
                    )
                    .await,
                ),
                Step::Ping(s) => outcome(ctx.execute_activity(FsActs::ping, s, opts()).await),
                Step::Sleep(ms) => {
                    ctx.timer(Duration::from_millis(ms)).await;
                    "slept".to_owned()
                }
                Step::ContinueAsNew => {
                    let next = Plan {
                        steps: plan.steps[i + 1..].to_vec(),
                        done: out.clone(),
                    };
                    ctx.continue_as_new(next, ContinueAsNewOptions::default())?;
                    unreachable!("continue_as_new returns Err")
                }
            };
            out.push(r);
        }
        Ok(out)
    }
}

/// A root warrant for the agent: read under `/data/in`, write under
/// `/data/out`, valid for `ttl`.
pub fn root_warrant(issuer: &SigningKey, holder: &SigningKey, ttl: Duration) -> Warrant {
    mint_standard(issuer, holder, None, ttl)
}

/// The capabilities of [`root_warrant`] for `holder`, signed by `issuer`,
/// issued at `issued_at` (unix seconds; now when `None`), valid for `ttl`.
pub fn mint_standard(
    issuer: &SigningKey,
    holder: &SigningKey,
    issued_at: Option<u64>,
    ttl: Duration,
) -> Warrant {
    let mut b = Warrant::mint_builder()
        .holder(holder.public_key())
        .capability(
            "read_file",
            [("path", Subpath::new("/data/in").unwrap().into())],
        )
        .capability(
            "write_file",
            [
                ("path", Subpath::new("/data/out").unwrap().into()),
                ("content", Wildcard::new().into()),
            ],
        );
    if let Some(t) = issued_at {
        b = b.issued_at(t);
    }
    b.ttl(ttl).mint(issuer).unwrap()
}

/// The standard chain: root → agent, one hour (one per test binary).
pub fn agent_chain() -> Chain {
    static CHAIN: std::sync::OnceLock<Chain> = std::sync::OnceLock::new();
    CHAIN
        .get_or_init(|| {
            Chain::root(root_warrant(
                &root_key(),
                &agent_key(),
                Duration::from_secs(3600),
            ))
        })
        .clone()
}

/// Headers for the standard chain.
pub fn agent_headers() -> WarrantHeaders {
    WarrantHeaders::new(&agent_chain(), AGENT)
}

/// The builder behind [`warrants`] with the key store `keys`: trusted root
/// [`root_key`], the test [`registry`], audit events to `sink`.
pub fn config_with_keys(keys: KeyStore, sink: Arc<MemorySink>) -> WarrantsConfigBuilder {
    Warrants::builder()
        .trusted_root(root_key().public_key())
        .keys(keys)
        .activities(registry())
        .audit_sink(sink)
}

/// [`warrants`] as a builder, so a test can change one setting.
pub fn agent_config(sink: Arc<MemorySink>) -> WarrantsConfigBuilder {
    let mut keys = KeyStore::new();
    keys.insert(AGENT, agent_key());
    config_with_keys(keys, sink)
}

/// The worker configuration used by most tests, with a memory audit sink.
pub fn warrants(sink: Arc<MemorySink>) -> Warrants {
    agent_config(sink).build().unwrap()
}

/// A client on `server` with `interceptor` and optionally a data converter.
pub async fn client(
    server: &DevServer,
    interceptor: Option<WarrantClientInterceptor>,
    converter: Option<DataConverter>,
) -> Client {
    let conn =
        Connection::connect(ConnectionOptions::new(Url::parse(&server.url()).unwrap()).build())
            .await
            .unwrap();
    let mut opts = match converter {
        Some(dc) => ClientOptions::new("default").data_converter(dc).build(),
        None => ClientOptions::new("default").build(),
    };
    if let Some(i) = interceptor {
        opts = i.wire(opts);
    }
    Client::new(conn, opts).unwrap()
}

/// Worker options on `queue` with the test workflow and activities, wired
/// with `warrants`.
pub fn worker_options(queue: &str, warrants: &Warrants) -> WorkerOptions {
    warrants
        .wire_worker(WorkerOptions::new(queue).register_activities(FsActs))
        .register_workflow::<Agent>()
        .unwrap()
        .build()
}

/// Run a worker for the duration of `body` (same task: the worker future
/// is not `Send`), then shut it down.
pub async fn with_worker<F: Future>(client: &Client, opts: WorkerOptions, body: F) -> F::Output {
    let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
    let mut worker = Worker::new(&runtime, client.clone(), opts).unwrap();
    let stop = worker.shutdown_handle();
    let test = async {
        let out = body.await;
        stop();
        out
    };
    let (res, out) = tokio::join!(worker.run(), test);
    res.unwrap();
    out
}

/// How long a test body may take before it counts as hung.
pub const BODY_LIMIT: Duration = Duration::from_secs(120);

/// [`with_worker`], failing instead of hanging when the body does not
/// finish within [`BODY_LIMIT`] (a workflow whose task fails forever, or
/// that waits for a message that was dropped, never returns a result).
pub async fn run_worker<F: Future>(client: &Client, opts: WorkerOptions, body: F) -> F::Output {
    with_worker(client, opts, async {
        tokio::time::timeout(BODY_LIMIT, body)
            .await
            .unwrap_or_else(|_| panic!("no result within {BODY_LIMIT:?}: workflow stuck?"))
    })
    .await
}

/// A client on `server` that sends the standard chain ([`agent_headers`])
/// by default, optionally with a data converter.
pub async fn agent_client(server: &DevServer, converter: Option<DataConverter>) -> Client {
    client(
        server,
        Some(WarrantClientInterceptor::with_default(agent_headers())),
        converter,
    )
    .await
}

/// A fresh dev server and an [`agent_client`] on it. Keep the server
/// alive for the whole test: dropping it stops it.
pub async fn new_server_and_client(converter: Option<DataConverter>) -> (DevServer, Client) {
    let server = DevServer::start().unwrap();
    let client = agent_client(&server, converter).await;
    (server, client)
}

/// Start `Agent` with `plan` as workflow `id` on `queue`.
pub async fn start(client: &Client, queue: &str, id: &str, plan: Plan) {
    client
        .start_workflow(
            Agent::run,
            plan,
            WorkflowStartOptions::new(queue, id).build(),
        )
        .await
        .unwrap();
}

/// The result of the latest run of `id` (following continue-as-new).
pub async fn result(client: &Client, id: &str) -> Result<Vec<String>, String> {
    let h = client.get_workflow_handle::<UntypedWorkflow>(id);
    match h.get_result(WorkflowGetResultOptions::default()).await {
        Ok(raw) => Ok(raw.to_value::<Vec<String>>(&Default::default())),
        Err(e) => Err(format!("{e:?}")),
    }
}

/// Start `plan` and wait for its result.
pub async fn run_plan(
    client: &Client,
    queue: &str,
    id: &str,
    plan: Plan,
) -> Result<Vec<String>, String> {
    start(client, queue, id, plan).await;
    result(client, id).await
}

/// Every event of every run of `id` (oldest run first is not guaranteed:
/// this is the latest run).
pub async fn history(client: &Client, id: &str) -> Vec<HistoryEvent> {
    client
        .get_workflow_handle::<UntypedWorkflow>(id)
        .fetch_history(WorkflowFetchHistoryOptions::default())
        .into_events()
        .await
        .unwrap()
}

/// `ok:` outcome of a successful `read_file` of `path`.
pub fn read_ok(path: &str) -> String {
    format!("ok:contents of {path}")
}

/// Header fields by name.
pub type Fields = HashMap<String, Payload>;

/// The fields of `h` (empty when there is no header).
pub fn fields(h: Option<&Header>) -> Fields {
    h.map(|h| h.fields.clone()).unwrap_or_default()
}

/// The header of the run's `WorkflowExecutionStarted` event.
pub fn started_header(events: &[HistoryEvent]) -> Fields {
    events
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => {
                Some(fields(a.header.as_ref()))
            }
            _ => None,
        })
        .expect("no WorkflowExecutionStarted event")
}

/// How many events of `events` match `pred`.
pub fn count_events(events: &[HistoryEvent], pred: impl Fn(&Attributes) -> bool) -> usize {
    events
        .iter()
        .filter(|e| e.attributes.as_ref().is_some_and(&pred))
        .count()
}

/// The history of one given run of `id`.
pub async fn run_history(client: &Client, id: &str, run_id: &str) -> Vec<HistoryEvent> {
    let info = temporalio_client::WorkflowExecutionInfo::builder()
        .namespace("default")
        .workflow_id(id)
        .run_id(run_id)
        .build();
    info.bind_untyped(client.clone())
        .fetch_history(WorkflowFetchHistoryOptions::default())
        .into_events()
        .await
        .unwrap()
}

/// Count of audit events per (decision, code).
pub fn tally(sink: &MemorySink) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for e in sink.events() {
        let k = format!("{:?}:{}", e.decision, e.code.unwrap_or("-"));
        *m.entry(k).or_insert(0) += 1;
    }
    m
}
