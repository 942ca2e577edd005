//! One agent warrant, sequential and parallel activities: a workflow reads
//! two files one after the other, then a batch of four at once (a
//! `join_all` of activities), one of which climbs out of the allowed
//! directory and is denied with its code while the other three run.
//!
//! Run with `cargo run -q -p warrants-temporal --example demo` (part of
//! `make examples`). It needs the Temporal CLI: `$TEMPORAL_CLI`,
//! `./.venv/bin/temporal` (`scripts/install-temporal.sh`) or `temporal` on
//! `PATH`. It exits non-zero when an outcome is not the expected one.

// The workflow and activity macros generate public items without docs.
#![allow(missing_docs)]

use std::error::Error;
use std::sync::Mutex;
use std::time::Duration;

use futures::future::join_all;
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
use warrants::constraint::Subpath;
use warrants::{Chain, SigningKey, Warrant};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::{
    denial_code, ActivityRegistry, KeyStore, WarrantClientInterceptor, WarrantHeaders, Warrants,
};

/// Every path a `read_file` body opened: shows that the denied read never ran.
static OPENED: Mutex<Vec<String>> = Mutex::new(Vec::new());

// ---- Activity: a plain Temporal activity doing real file I/O -----------

/// The struct's field names are the argument names the warrant constrains.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadArgs {
    pub path: String,
}

pub struct FileActs;

#[activities]
impl FileActs {
    #[activity]
    pub async fn read_file(_ctx: ActivityContext, a: ReadArgs) -> Result<String, ActivityError> {
        if let Ok(mut opened) = OPENED.lock() {
            opened.push(a.path.clone());
        }
        Ok(std::fs::read_to_string(&a.path)?)
    }
}

// ---- Workflow: ordinary workflow code, no authorization code in it -----

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Batch {
    pub sequential: Vec<String>,
    pub parallel: Vec<String>,
}

/// One line of the report: how the read ran, the path, the denial code if
/// it was denied, and the file's text or the denial reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Read {
    pub how: String,
    pub path: String,
    pub code: Option<String>,
    pub detail: String,
}

#[workflow]
#[derive(Default)]
pub struct Reader;

#[workflow_methods]
impl Reader {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, batch: Batch) -> WorkflowResult<Vec<Read>> {
        let mut report = Vec::new();
        // One at a time: each read waits for the previous one.
        for path in batch.sequential {
            let args = ReadArgs { path: path.clone() };
            let result = ctx
                .execute_activity(FileActs::read_file, args, opts())
                .await;
            report.push(outcome("sequential", path, result));
        }
        // All at once: every read is scheduled in the same workflow task and
        // each carries its own proof; a denial fails only its own future.
        let reads = batch.parallel.iter().map(|path| {
            let args = ReadArgs { path: path.clone() };
            ctx.execute_activity(FileActs::read_file, args, opts())
        });
        let results = join_all(reads).await;
        for (path, result) in batch.parallel.into_iter().zip(results) {
            report.push(outcome("parallel", path, result));
        }
        Ok(report)
    }
}

/// A denial reaches the workflow as a non-retryable `ApplicationFailure`
/// whose type is the denial code (`denial_code` reads it) and whose
/// message says why.
fn outcome(how: &str, path: String, result: Result<String, ActivityExecutionError>) -> Read {
    let (code, detail) = match result {
        Ok(text) => (None, format!("-> {text:?}")),
        Err(e) => {
            let code = denial_code(&e).unwrap_or("FAILED").to_owned();
            let reason = match e.cause() {
                Some(IncomingError::Application(a)) => a.source_error().to_string(),
                _ => e.to_string(),
            };
            (Some(code), reason)
        }
    };
    let how = how.to_owned();
    Read {
        how,
        path,
        code,
        detail,
    }
}

fn opts() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(RetryPolicy::builder().maximum_attempts(3).build())
        .build()
}

// ---- Setup: control plane, worker, client ------------------------------

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let server = DevServer::start()?; // stopped when dropped
    let tmp = tempfile::tempdir()?; // removed when dropped
    let dir = tmp.path().canonicalize()?; // Subpath roots: absolute and normalized
    let inp = dir.join("in").to_str().ok_or("non-UTF-8 path")?.to_owned();
    std::fs::create_dir_all(&inp)?;
    for name in ["a", "b", "c", "d", "e"] {
        std::fs::write(format!("{inp}/{name}.txt"), format!("contents of {name}"))?;
    }
    std::fs::write(dir.join("secret.txt"), "not for the agent")?;
    println!(
        "Temporal dev server on {}; files under {}",
        server.address(),
        dir.display()
    );

    // Control plane: one 10-minute warrant for the agent's key, granting
    // one tool: read_file, for paths under in/ only.
    let control_plane = SigningKey::generate();
    let agent = SigningKey::generate();
    let warrant = Warrant::mint_builder()
        .holder(agent.public_key())
        .capability("read_file", [("path", Subpath::new(&inp)?.into())])
        .ttl(Duration::from_secs(600))
        .mint(&control_plane)?;
    println!(
        "warrant {} for key \"agent\": read_file under in/",
        warrant.id()
    );
    let chain = Chain::root(warrant);

    // Worker: trust the control plane, hold the agent's key, map the
    // activity to its tool.
    let mut keys = KeyStore::new();
    keys.insert("agent", agent);
    let warrants = Warrants::builder()
        .trusted_root(control_plane.public_key())
        .keys(keys)
        .activities(ActivityRegistry::new().protect(FileActs::read_file, "read_file"))
        .build()?;
    let queue = "demo";
    let worker_options = warrants
        .wire_worker(WorkerOptions::new(queue).register_activities(FileActs))
        .register_workflow::<Reader>()?
        .build();

    // Client: every start carries the warrant and the holder's key id.
    let url = Url::parse(&server.url())?;
    let connection = Connection::connect(ConnectionOptions::new(url).build()).await?;
    let client_options =
        WarrantClientInterceptor::with_default(WarrantHeaders::new(&chain, "agent"))
            .wire(ClientOptions::new("default").build());
    let client = Client::new(connection, client_options)?;

    // `in/../secret.txt` starts with in/ but climbs out of it: Subpath
    // checks paths lexically, `..` included.
    let path = |name: &str| format!("{inp}/{name}");
    let batch = Batch {
        sequential: vec![path("a.txt"), path("b.txt")],
        parallel: vec![
            path("c.txt"),
            path("../secret.txt"),
            path("d.txt"),
            path("e.txt"),
        ],
    };
    let runtime = Runtime::from_current_tokio(Default::default())?;
    let mut worker = Worker::new(&runtime, client.clone(), worker_options)?;
    let stop = worker.shutdown_handle();
    let run = async {
        let result = async {
            let start = WorkflowStartOptions::new(queue, "demo-1").build();
            let handle = client.start_workflow(Reader::run, batch, start).await?;
            let result = handle.get_result(WorkflowGetResultOptions::default());
            Ok::<_, Box<dyn Error>>(tokio::time::timeout(Duration::from_secs(60), result).await??)
        };
        let result = result.await;
        stop(); // `worker.run()` returns once its tasks are done
        result
    };
    // Drive the worker and the workflow together: `Worker::run` is not `Send`.
    let (worker_result, report) = tokio::join!(worker.run(), run);
    worker_result?;
    let report = report?;

    // Show the outcome, then check it (a regression makes this fail).
    for Read {
        how,
        path,
        code,
        detail,
    } in &report
    {
        let shown = path
            .strip_prefix(&inp)
            .map_or(path.as_str(), |p| p.trim_start_matches('/'));
        match code {
            None => println!("ALLOW {how:<10} read_file in/{shown:<16} {detail}"),
            Some(code) => println!("DENY  {how:<10} read_file in/{shown:<16} [{code}] {detail}"),
        }
    }
    let codes: Vec<Option<&str>> = report.iter().map(|r| r.code.as_deref()).collect();
    let opened = OPENED.lock().map(|v| v.clone()).unwrap_or_default();
    let expected = [None, None, None, Some("CONSTRAINT_VIOLATED"), None, None];
    if codes != expected || opened.len() != 5 || opened.iter().any(|p| p.contains("secret")) {
        return Err(format!("unexpected: {report:?}, opened {opened:?}").into());
    }
    println!("ok: 5 reads allowed (2 sequential, 3 parallel); the escaping read was denied and never ran");
    Ok(())
}
