//! An authorized read → transform → write workflow on a local Temporal dev
//! server, then an out-of-scope read that is denied before its code runs.
//!
//! Run with `cargo run -q -p warrants-temporal --example authorized_workflow`
//! (part of `make demo`). It needs the Temporal CLI: `$TEMPORAL_CLI`,
//! `./.venv/bin/temporal` (`scripts/install-temporal.sh`) or `temporal` on
//! `PATH`. It exits non-zero when an outcome is not the expected one.
//!
//! With `WARRANT_KEYS_FROM` set, the worker is configured from `WARRANT_*`
//! variables instead and the root warrant is signed by Vault/OpenBao
//! Transit: `scripts/example-openbao.sh` runs it that way against a local
//! OpenBao, the agent's holder key stored in KV v2 (see `docs/KEYS.md`).

// The workflow and activity macros generate public items without docs.
#![allow(missing_docs)]

use std::error::Error;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, RetryPolicy, Url,
    WorkflowGetResultOptions, WorkflowStartOptions,
};
use temporalio_common::error::{ActivityExecutionError, IncomingError};
use temporalio_sdk::activities::{activities, ActivityContext, ActivityError};
use temporalio_sdk::workflows::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult,
};
use warrants::constraint::{Subpath, Wildcard};
use warrants::warrant::MintBuilder;
use warrants::{Chain, SigningKey, Warrant};
use warrants_keys::{settings, TransitSigner, VaultClient};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::{
    env, ActivityRegistry, KeyStore, WarrantClientInterceptor, WarrantHeaders, Warrants,
};

/// Every path a `read_file` body opened: shows that the denied read never ran.
static OPENED: Mutex<Vec<String>> = Mutex::new(Vec::new());

// ---- Activities: plain Temporal activities doing real file I/O ----------

/// One struct argument per activity: its fields are the argument names the
/// warrant's constraints refer to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadArgs {
    pub path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WriteArgs {
    pub path: String,
    pub content: String,
}

pub struct FileActs;

#[activities]
impl FileActs {
    #[activity] // activity type "FileActs::read_file"
    pub async fn read_file(_ctx: ActivityContext, a: ReadArgs) -> Result<String, ActivityError> {
        if let Ok(mut opened) = OPENED.lock() {
            opened.push(a.path.clone());
        }
        Ok(std::fs::read_to_string(&a.path)?) // small files: blocking I/O is fine here
    }

    #[activity]
    pub async fn transform(_ctx: ActivityContext, text: String) -> Result<String, ActivityError> {
        Ok(text.to_uppercase())
    }

    #[activity]
    pub async fn write_file(_ctx: ActivityContext, a: WriteArgs) -> Result<u64, ActivityError> {
        std::fs::write(&a.path, &a.content)?;
        Ok(a.content.len() as u64)
    }
}

// ---- Workflow: ordinary workflow code, no authorization code in it -----

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub input: String,
    pub output: String,
    pub other: String,
}

/// One line of the report: the call, its failure type (the denial code) if
/// it failed, and its result or error message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub call: String,
    pub code: Option<String>,
    pub detail: String,
}

#[workflow]
#[derive(Default)]
pub struct Pipeline;

#[workflow_methods]
impl Pipeline {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, job: Job) -> WorkflowResult<Vec<Step>> {
        let mut report = Vec::new();
        let read = ctx.execute_activity(FileActs::read_file, ReadArgs { path: job.input }, opts());
        if let Some(text) = step(&mut report, "read_file  in/report.txt", read.await) {
            let upper = ctx
                .execute_activity(FileActs::transform, text, opts())
                .await;
            if let Some(content) = step(&mut report, "transform", upper) {
                let args = WriteArgs {
                    path: job.output,
                    content,
                };
                let wrote = ctx.execute_activity(FileActs::write_file, args, opts());
                step(&mut report, "write_file out/report.txt", wrote.await);
            }
        }
        // A call the warrant does not cover (think: a prompt-injected agent).
        let other = ReadArgs { path: job.other };
        let read = ctx.execute_activity(FileActs::read_file, other, opts());
        step(&mut report, "read_file  secret.txt", read.await);
        Ok(report)
    }
}

/// Record one step. A denial reaches the workflow as a non-retryable
/// `ApplicationFailure` whose type is the denial code.
fn step<T: std::fmt::Debug>(
    report: &mut Vec<Step>,
    call: &str,
    result: Result<T, ActivityExecutionError>,
) -> Option<T> {
    let (code, detail, value) = match result {
        Ok(v) => (None, format!("-> {v:?}"), Some(v)),
        Err(e) => match e.cause() {
            Some(IncomingError::Application(a)) => (
                a.type_name().map(str::to_owned),
                a.source_error().to_string(),
                None,
            ),
            _ => (Some("FAILED".to_owned()), e.to_string(), None),
        },
    };
    let call = call.to_owned();
    report.push(Step { call, code, detail });
    value
}

fn opts() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(RetryPolicy::builder().maximum_attempts(3).build())
        .build()
}

// ---- Keys: in process, or from the environment (Vault/OpenBao) ----------

/// Keys made here: the control plane's root key and the agent's holder key
/// (in production the worker reads the holder key, e.g. with
/// `KeyStore::from_env(["agent"])?` from WARRANT_KEY_AGENT).
fn in_process(
    warrant: MintBuilder,
    registry: ActivityRegistry,
) -> Result<(Chain, Warrants), Box<dyn Error>> {
    let control_plane = SigningKey::generate();
    let agent = SigningKey::generate();
    let warrant = warrant.holder(agent.public_key()).mint(&control_plane)?;
    println!("minted warrant {} for key \"agent\": read_file under in/, transform, write_file under out/, 10 min", warrant.id());
    let mut keys = KeyStore::new();
    keys.insert("agent", agent);
    let warrants = Warrants::builder()
        .trusted_root(control_plane.public_key())
        .keys(keys)
        .activities(registry)
        .build()?;
    Ok((Chain::root(warrant), warrants))
}

/// Keys from the environment (`scripts/example-openbao.sh` sets it up
/// against a local OpenBao): the worker is configured in one call from
/// `WARRANT_*` variables, its holder key "agent" preloaded from the key
/// source (`WARRANT_KEYS_FROM`, e.g. Vault/OpenBao KV v2), and the root
/// warrant is signed by the Transit key `WARRANT_ISSUER_TRANSIT_KEY`, whose
/// public key is in `WARRANT_TRUSTED_ROOTS`. The issuer key never leaves
/// the vault.
async fn from_environment(
    warrant: MintBuilder,
    registry: ActivityRegistry,
) -> Result<(Chain, Warrants), Box<dyn Error>> {
    let warrants = env::worker_builder_from_env()
        .await?
        .activities(registry)
        .build()?;
    let agent = warrants
        .config()
        .keys()
        .get("agent")
        .ok_or("WARRANT_KEYS_PRELOAD must list \"agent\"")?;
    let transit_key = std::env::var("WARRANT_ISSUER_TRANSIT_KEY")
        .map_err(|_| "WARRANT_ISSUER_TRANSIT_KEY: not set")?;
    let vault = VaultClient::new(settings::vault_config_from_env()?)?;
    let signer = TransitSigner::new(vault, "transit", transit_key.as_str());
    let minted = warrants_keys::mint(warrant.holder(agent.public_key()), &signer).await?;
    println!(
        "minted warrant {} for key \"agent\" (from the key source) with Transit key {transit_key} v{}",
        minted.warrant.id(),
        minted.key.version.unwrap_or(0)
    );
    Ok((Chain::root(minted.warrant), warrants))
}

// ---- Setup: control plane, worker, client ------------------------------

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let server = DevServer::start()?; // stopped when dropped
    let tmp = tempfile::tempdir()?; // removed when dropped
    let dir = tmp.path().canonicalize()?; // Subpath roots: absolute and normalized
    let text = |p: &std::path::Path| p.to_str().map(str::to_owned).ok_or("non-UTF-8 path");
    let (inp, out) = (text(&dir.join("in"))?, text(&dir.join("out"))?);
    std::fs::create_dir_all(&inp)?;
    std::fs::create_dir_all(&out)?;
    std::fs::write(dir.join("in/report.txt"), "quarterly numbers: all good")?;
    std::fs::write(dir.join("secret.txt"), "not for the agent")?;
    println!("Temporal dev server on {}", server.address());
    println!("files under {}", dir.display());

    // Control plane: a 10-minute warrant for the agent's key. Closed world:
    // only these tools, only these arguments.
    let warrant = Warrant::mint_builder()
        .capability("read_file", [("path", Subpath::new(&inp)?.into())])
        .capability("transform", [("text", Wildcard::new().into())])
        .capability(
            "write_file",
            [
                ("path", Subpath::new(&out)?.into()),
                ("content", Wildcard::new().into()),
            ],
        )
        .ttl(Duration::from_secs(600));
    // Worker: map each activity to a tool. `transform` touches nothing
    // outside, but protecting it means only warrants that grant it can run
    // it; `.unprotected(..)` would skip the check instead.
    let registry = ActivityRegistry::new()
        .protect(FileActs::read_file, "read_file") // ReadArgs → {path}
        .protect_named(FileActs::transform, "transform", "text") // String → {text}
        .protect(FileActs::write_file, "write_file"); // → {path, content}
    let (chain, warrants) = if std::env::var_os("WARRANT_KEYS_FROM").is_some() {
        from_environment(warrant, registry).await?
    } else {
        in_process(warrant, registry)?
    };
    let queue = "authorized-workflow";
    let worker_options = warrants
        .wire_worker(WorkerOptions::new(queue).register_activities(FileActs))
        .register_workflow::<Pipeline>()?
        .build();

    // Client: every call carries the warrant and the holder's key id.
    let url = Url::parse(&server.url())?;
    let connection = Connection::connect(ConnectionOptions::new(url).build()).await?;
    let client_options =
        WarrantClientInterceptor::with_default(WarrantHeaders::new(&chain, "agent"))
            .wire(ClientOptions::new("default").build());
    let client = Client::new(connection, client_options)?;

    // Drive the worker and the workflow together: `Worker::run` is not `Send`.
    let runtime = Runtime::from_current_tokio(Default::default())?;
    let mut worker = Worker::new(&runtime, client.clone(), worker_options)?;
    let stop = worker.shutdown_handle();
    let job = Job {
        input: format!("{inp}/report.txt"),
        output: format!("{out}/report.txt"),
        other: text(&dir.join("secret.txt"))?,
    };
    let start = WorkflowStartOptions::new(queue, "report-1").build();
    let run = async {
        let result = async {
            let handle = client.start_workflow(Pipeline::run, job, start).await?;
            let result = handle.get_result(WorkflowGetResultOptions::default());
            Ok::<_, Box<dyn Error>>(tokio::time::timeout(Duration::from_secs(60), result).await??)
        };
        let result = result.await;
        stop(); // the worker finishes its tasks and `worker.run()` returns
        result
    };
    let (worker_result, report) = tokio::join!(worker.run(), run);
    worker_result?;
    let report = report?;

    // Show the outcome, then check it (a regression makes this fail in CI).
    for Step { call, code, detail } in &report {
        match code {
            None => println!("ALLOW {call:<25} {detail}"),
            Some(code) => println!("DENY  {call:<25} [{code}] {detail}"),
        }
    }
    let written = std::fs::read_to_string(format!("{out}/report.txt")).unwrap_or_default();
    println!("out/report.txt now holds {written:?}");
    let codes: Vec<Option<&str>> = report.iter().map(|s| s.code.as_deref()).collect();
    let opened = OPENED.lock().map(|v| v.clone()).unwrap_or_default();
    if codes != [None, None, None, Some("CONSTRAINT_VIOLATED")]
        || written != "QUARTERLY NUMBERS: ALL GOOD"
        || opened != [format!("{inp}/report.txt")]
    {
        return Err(format!("unexpected: {report:?}, wrote {written:?}, opened {opened:?}").into());
    }
    println!("ok: three calls allowed; the out-of-scope read was denied and its code never ran");
    Ok(())
}
