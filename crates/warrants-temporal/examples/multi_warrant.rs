//! Multi-tenant isolation: two tenants, two holder keys, two warrants on
//! disjoint directories, two workflows running concurrently on the same
//! worker. Each reads its own file (allowed) and tries the other tenant's
//! (denied with `CONSTRAINT_VIOLATED`): the worker serves both tenants, but
//! each workflow can only do what its own warrant allows.
//!
//! Run with `cargo run -q -p warrants-temporal --example multi_warrant`
//! (part of `make examples`). It needs the Temporal CLI: `$TEMPORAL_CLI`,
//! `./.venv/bin/temporal` (`scripts/install-temporal.sh`) or `temporal` on
//! `PATH`. It exits non-zero when an outcome is not the expected one.

// The workflow and activity macros generate public items without docs.
#![allow(missing_docs)]

use std::error::Error;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, RetryPolicy, Url,
    WorkflowGetResultOptions, WorkflowStartOptions,
};
use temporalio_common::error::ActivityExecutionError;
use temporalio_sdk::activities::{activities, ActivityContext, ActivityError};
use temporalio_sdk::workflows::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult,
};
use warrants::constraint::Subpath;
use warrants::{Chain, SigningKey, Warrant};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::{
    denial_code, with_warrant, ActivityRegistry, KeyStore, WarrantClientInterceptor,
    WarrantHeaders, Warrants,
};

// ---- Activity: a plain Temporal activity doing real file I/O -----------

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadArgs {
    pub path: String,
}

pub struct FileActs;

#[activities]
impl FileActs {
    #[activity]
    pub async fn read_file(_ctx: ActivityContext, a: ReadArgs) -> Result<String, ActivityError> {
        Ok(std::fs::read_to_string(&a.path)?)
    }
}

// ---- Workflow: the same code for every tenant, no authorization in it ---

/// One line of the report: the file read, and its text or denial code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Read {
    pub path: String,
    pub result: Result<String, String>,
}

#[workflow]
#[derive(Default)]
pub struct TenantJob;

#[workflow_methods]
impl TenantJob {
    /// Read every path in order; a denial fails only that read.
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        paths: Vec<String>,
    ) -> WorkflowResult<Vec<Read>> {
        let mut report = Vec::new();
        for path in paths {
            let args = ReadArgs { path: path.clone() };
            let result = ctx
                .execute_activity(FileActs::read_file, args, opts())
                .await;
            report.push(Read {
                path,
                result: result.map_err(|e| code(&e)),
            });
        }
        Ok(report)
    }
}

/// The denial code of a failed read (the failure type of the
/// non-retryable `ApplicationFailure` a denial becomes).
fn code(e: &ActivityExecutionError) -> String {
    denial_code(e).unwrap_or("FAILED").to_owned()
}

fn opts() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(RetryPolicy::builder().maximum_attempts(3).build())
        .build()
}

// ---- Setup: control plane, one worker for both tenants, one client -----

/// What the control plane hands each tenant: its warrant chain, held by
/// its own key (known to the worker by `key_id`), and its directory.
struct Tenant {
    key_id: &'static str,
    chain: Chain,
    dir: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let server = DevServer::start()?; // stopped when dropped
    let tmp = tempfile::tempdir()?; // removed when dropped
    let root = tmp.path().canonicalize()?; // Subpath roots: absolute and normalized
    println!("Temporal dev server on {}", server.address());
    println!("files under {}", root.display());

    // Control plane: per tenant, a holder key and a 10-minute warrant for
    // read_file under that tenant's directory only. The worker holds both
    // keys (in production `KeyStore::from_env(["tenant-a", "tenant-b"])?`).
    let control_plane = SigningKey::generate();
    let mut keys = KeyStore::new();
    let mut tenants = Vec::new();
    for (key_id, text) in [
        ("tenant-a", "alpha's ledger"),
        ("tenant-b", "beta's ledger"),
    ] {
        let dir = root
            .join(key_id)
            .to_str()
            .ok_or("non-UTF-8 path")?
            .to_owned();
        std::fs::create_dir_all(&dir)?;
        std::fs::write(format!("{dir}/ledger.txt"), text)?;
        let key = SigningKey::generate();
        let warrant = Warrant::mint_builder()
            .holder(key.public_key())
            .capability("read_file", [("path", Subpath::new(&dir)?.into())])
            .ttl(Duration::from_secs(600))
            .mint(&control_plane)?;
        println!(
            "warrant {} for key {key_id:?}: read_file under {key_id}/",
            warrant.id()
        );
        keys.insert(key_id, key);
        let chain = Chain::root(warrant);
        tenants.push(Tenant { key_id, chain, dir });
    }
    let [a, b] = tenants.as_slice() else {
        return Err("expected two tenants".into());
    };

    // One worker, one task queue, both tenants.
    let warrants = Warrants::builder()
        .trusted_root(control_plane.public_key())
        .keys(keys)
        .activities(ActivityRegistry::new().protect(FileActs::read_file, "read_file"))
        .build()?;
    let queue = "multi-warrant";
    let worker_options = warrants
        .wire_worker(WorkerOptions::new(queue).register_activities(FileActs))
        .register_workflow::<TenantJob>()?
        .build();

    // One client with no default warrant: each start chooses its tenant's
    // warrant with `with_warrant` (a task-scoped value, no shared state).
    let url = Url::parse(&server.url())?;
    let connection = Connection::connect(ConnectionOptions::new(url).build()).await?;
    let client_options =
        WarrantClientInterceptor::scoped_only().wire(ClientOptions::new("default").build());
    let client = Client::new(connection, client_options)?;

    // Start one workflow per tenant, concurrently: own file, then the other's.
    let run_tenant = |me: &Tenant, other: &Tenant| {
        let paths = vec![
            format!("{}/ledger.txt", me.dir),
            format!("{}/ledger.txt", other.dir),
        ];
        let headers = WarrantHeaders::new(&me.chain, me.key_id);
        let start = WorkflowStartOptions::new(queue, format!("job-{}", me.key_id)).build();
        let client = &client;
        with_warrant(headers, async move {
            let handle = client.start_workflow(TenantJob::run, paths, start).await?;
            let result = handle.get_result(WorkflowGetResultOptions::default());
            Ok::<_, Box<dyn Error>>(tokio::time::timeout(Duration::from_secs(60), result).await??)
        })
    };
    let runtime = Runtime::from_current_tokio(Default::default())?;
    let mut worker = Worker::new(&runtime, client.clone(), worker_options)?;
    let stop = worker.shutdown_handle();
    let both = async {
        let results = tokio::join!(run_tenant(a, b), run_tenant(b, a));
        stop(); // `worker.run()` returns once its tasks are done
        results
    };
    // Drive the worker and the workflows together: `Worker::run` is not `Send`.
    let (worker_result, (report_a, report_b)) = tokio::join!(worker.run(), both);
    worker_result?;
    let reports = [(a.key_id, report_a?), (b.key_id, report_b?)];

    // Show the outcome as a table, then check it.
    println!();
    println!("{:<10} {:<20} decision", "workflow", "reads");
    let mut seen = Vec::new();
    for (tenant, report) in &reports {
        for Read { path, result } in report {
            let shown = path
                .strip_prefix(root.to_str().unwrap_or(""))
                .unwrap_or(path);
            let shown = shown.trim_start_matches('/');
            let (verdict, detail) = match result {
                Ok(text) => ("ALLOW", format!("{text:?}")),
                Err(code) => ("DENY", code.clone()),
            };
            println!("{tenant:<10} {shown:<20} {verdict:<6} {detail}");
            seen.push(result.clone());
        }
    }
    let ok = |t: &str| Ok(t.to_owned());
    let denied = || Err("CONSTRAINT_VIOLATED".to_owned());
    if seen
        != [
            ok("alpha's ledger"),
            denied(),
            ok("beta's ledger"),
            denied(),
        ]
    {
        return Err(format!("unexpected: {reports:?}").into());
    }
    println!("ok: each tenant read its own ledger; each cross-tenant read was denied");
    Ok(())
}
