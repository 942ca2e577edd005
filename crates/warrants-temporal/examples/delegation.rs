//! Warrants other than the start's, inside a workflow:
//!
//! (a) a per-stage pipeline: the workflow receives two stage warrants as
//!     input bytes, `ingest` (read_file only) and `transform` (write_file
//!     only), each held by its own key, and runs each step under its
//!     stage's warrant with `under`; a write tried under the ingest stage
//!     is denied `TOOL_NOT_GRANTED`;
//! (b) a parent workflow that mints, inside the workflow, an attenuated
//!     warrant for its child (read_file only, 60 seconds) with `delegate`
//!     and starts the child under it: the child's read is allowed, its
//!     write denied `TOOL_NOT_GRANTED`, its warrant a chain of 2 links.
//!
//! Run with `cargo run -q -p warrants-temporal --example delegation` (part
//! of `make examples`). It needs the Temporal CLI: `$TEMPORAL_CLI`,
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
    ActivityOptions, ChildWorkflowOptions, Runtime, Worker, WorkerOptions, WorkflowContext,
    WorkflowResult, WorkflowTermination,
};
use warrants::constraint::{Subpath, Wildcard};
use warrants::{Chain, SigningKey, Warrant};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::{
    delegate, denial_code, under, ActivityRegistry, Delegation, KeyStore, StageWarrant,
    WarrantClientInterceptor, WarrantHeaders, Warrants,
};

// ---- Activities: plain Temporal activities doing real file I/O ----------

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
    #[activity]
    pub async fn read_file(_ctx: ActivityContext, a: ReadArgs) -> Result<String, ActivityError> {
        Ok(std::fs::read_to_string(&a.path)?)
    }

    #[activity]
    pub async fn write_file(_ctx: ActivityContext, a: WriteArgs) -> Result<String, ActivityError> {
        std::fs::write(&a.path, &a.content)?;
        Ok(format!("{} bytes", a.content.len()))
    }
}

// ---- Workflows: the stage and delegation calls are the only warrant code

/// One line of a report: which warrant the call ran under, the call, and
/// its result or denial code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub under: String,
    pub call: String,
    pub result: Result<String, String>,
}

fn step(under: &str, call: &str, result: Result<String, ActivityExecutionError>) -> Step {
    let result = result.map_err(|e| denial_code(&e).unwrap_or("FAILED").to_owned());
    let under = under.to_owned();
    Step {
        under,
        call: call.to_owned(),
        result,
    }
}

/// (a) Input of the pipeline: the stage warrants' chain bytes, the file to
/// read and the directory to write to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PipelineJob {
    pub ingest: Vec<u8>,
    pub transform: Vec<u8>,
    pub input: String,
    pub out_dir: String,
}

#[workflow]
#[derive(Default)]
pub struct Pipeline;

#[workflow_methods]
impl Pipeline {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        job: PipelineJob,
    ) -> WorkflowResult<Vec<Step>> {
        // Each stage warrant is held by its own key (the worker holds both).
        // A bad stage warrant fails the run, typed WARRANT_MALFORMED.
        let ingest = StageWarrant::from_bytes(&job.ingest, "ingest")?;
        let transform = StageWarrant::from_bytes(&job.transform, "transform")?;
        let read = ReadArgs { path: job.input };
        let write = |name: &str, content: &str| WriteArgs {
            path: format!("{}/{name}", job.out_dir),
            content: content.into(),
        };

        // `under` makes the warrant active for what the closure's future
        // starts (the closure runs inside the scope: `execute_activity`
        // schedules and signs as soon as it is called).
        let text = under(ctx, ingest.clone(), || async {
            ctx.execute_activity(FileActs::read_file, read, opts())
                .await
        })
        .await;
        let stray = under(ctx, ingest, || async {
            ctx.execute_activity(FileActs::write_file, write("raw.txt", "raw copy"), opts())
                .await
        })
        .await;
        let upper = text.as_ref().map_or(String::new(), |t| t.to_uppercase());
        let wrote = under(ctx, transform, || async {
            ctx.execute_activity(FileActs::write_file, write("report.txt", &upper), opts())
                .await
        })
        .await;
        Ok(vec![
            step("ingest", "read_file  in/report.txt", text),
            step("ingest", "write_file out/raw.txt", stray),
            step("transform", "write_file out/report.txt", wrote),
        ])
    }
}

/// (b) What the parent reports: the code of the refused widening, the
/// child's warrant and the child's steps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParentReport {
    pub refused: Option<String>,
    pub child_warrant: String,
    pub child: Vec<Step>,
}

#[workflow]
#[derive(Default)]
pub struct Parent;

#[workflow_methods]
impl Parent {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        job: ChildJob,
    ) -> WorkflowResult<ParentReport> {
        // A delegation can only narrow: asking for a tool the parent lacks
        // is refused with a typed error, and nothing is scheduled.
        let minute = Duration::from_secs(60);
        let wider = delegate(ctx, &Delegation::new(minute).keep("delete_file"));
        let refused = wider.err().map(|e| e.code().to_owned());
        // Read only, for 60 seconds, same holder key: minted here,
        // deterministically (replay mints the same bytes).
        let narrow = Delegation::new(minute).keep("read_file");
        let warrant = delegate(ctx, &narrow)?; // a refusal fails the run, typed
        let child_warrant = describe(warrant.chain());
        let options = ChildWorkflowOptions::workflow_id(format!("{}-child", ctx.workflow_id()));
        let child = under(ctx, warrant, || async {
            let started = ctx.start_child_workflow(Child::run, job, options).await?;
            Ok::<_, WorkflowTermination>(started.result().await?)
        })
        .await?;
        Ok(ParentReport {
            refused,
            child_warrant,
            child,
        })
    }
}

/// "2 links, tools [..], 60 s": the chain length and the leaf's grant.
fn describe(chain: &Chain) -> String {
    let leaf = chain.leaf();
    let tools: Vec<&String> = leaf.map(|w| w.tools().keys().collect()).unwrap_or_default();
    let ttl = leaf.map_or(0, |w| w.expires_at() - w.issued_at());
    format!("{} links, tools {tools:?}, {ttl} s", chain.len())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildJob {
    pub input: String,
    pub output: String,
}

/// Ordinary workflow code: it runs with whatever warrant it was started
/// with. Its write is denied although the parent's warrant grants
/// write_file: the child got the delegated warrant.
#[workflow]
#[derive(Default)]
pub struct Child;

#[workflow_methods]
impl Child {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, job: ChildJob) -> WorkflowResult<Vec<Step>> {
        let read = ReadArgs { path: job.input };
        let text = ctx
            .execute_activity(FileActs::read_file, read, opts())
            .await;
        let content = "written by the child".to_owned();
        let write = WriteArgs {
            path: job.output,
            content,
        };
        let wrote = ctx
            .execute_activity(FileActs::write_file, write, opts())
            .await;
        Ok(vec![
            step("child", "read_file  in/report.txt", text),
            step("child", "write_file out/child.txt", wrote),
        ])
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
    let text = |p: &std::path::Path| p.to_str().map(str::to_owned).ok_or("non-UTF-8 path");
    let (data, inp, out) = (text(&dir)?, text(&dir.join("in"))?, text(&dir.join("out"))?);
    std::fs::create_dir_all(&inp)?;
    std::fs::create_dir_all(&out)?;
    std::fs::write(format!("{inp}/report.txt"), "quarterly numbers: all good")?;
    println!("Temporal dev server on {}", server.address());

    // Control plane: the orchestrator's warrant (the start warrant of both
    // workflows: read anywhere under the data directory, write under out/)
    // and one warrant per pipeline stage, each for its own key.
    let control_plane = SigningKey::generate();
    let key_ids = ["orchestrator", "ingest", "transform"];
    let [orchestrator, ingest, transform] = key_ids.map(|_| SigningKey::generate());
    let (under_data, under_in) = (Subpath::new(&data)?, Subpath::new(&inp)?);
    let write_out = [
        ("path", Subpath::new(&out)?.into()),
        ("content", Wildcard::new().into()),
    ];
    let ten_minutes = Duration::from_secs(600);
    let start = Warrant::mint_builder()
        .holder(orchestrator.public_key())
        .capability("read_file", [("path", under_data.into())])
        .capability("write_file", write_out.clone())
        .ttl(ten_minutes)
        .mint(&control_plane)?;
    let ingest_w = Warrant::mint_builder()
        .holder(ingest.public_key())
        .capability("read_file", [("path", under_in.into())])
        .ttl(ten_minutes)
        .mint(&control_plane)?;
    let transform_w = Warrant::mint_builder()
        .holder(transform.public_key())
        .capability("write_file", write_out)
        .ttl(ten_minutes)
        .mint(&control_plane)?;
    println!("orchestrator {}: read_file, write_file", start.id());
    println!("ingest {}: read_file under in/", ingest_w.id());
    println!("transform {}: write_file under out/", transform_w.id());

    // Worker: trusts the control plane and holds all three keys.
    let mut keys = KeyStore::new();
    for (id, key) in key_ids.into_iter().zip([orchestrator, ingest, transform]) {
        keys.insert(id, key);
    }
    let warrants = Warrants::builder()
        .trusted_root(control_plane.public_key())
        .keys(keys)
        .activities(
            ActivityRegistry::new()
                .protect(FileActs::read_file, "read_file")
                .protect(FileActs::write_file, "write_file"),
        )
        .build()?;
    let queue = "delegation";
    let worker_options = warrants
        .wire_worker(WorkerOptions::new(queue).register_activities(FileActs))
        .register_workflow::<Pipeline>()?
        .register_workflow::<Parent>()?
        .register_workflow::<Child>()?
        .build();

    // Client: both workflows start with the orchestrator's warrant.
    let url = Url::parse(&server.url())?;
    let connection = Connection::connect(ConnectionOptions::new(url).build()).await?;
    let headers = WarrantHeaders::new(&Chain::root(start), "orchestrator");
    let client_options =
        WarrantClientInterceptor::with_default(headers).wire(ClientOptions::new("default").build());
    let client = Client::new(connection, client_options)?;

    let pipeline_job = PipelineJob {
        ingest: Chain::root(ingest_w).to_bytes(),
        transform: Chain::root(transform_w).to_bytes(),
        input: format!("{inp}/report.txt"),
        out_dir: out.clone(),
    };
    let child_job = ChildJob {
        input: format!("{inp}/report.txt"),
        output: format!("{out}/child.txt"),
    };
    let runtime = Runtime::from_current_tokio(Default::default())?;
    let mut worker = Worker::new(&runtime, client.clone(), worker_options)?;
    let stop = worker.shutdown_handle();
    let run = async {
        let result = async {
            let get = WorkflowGetResultOptions::default;
            let limit = Duration::from_secs(60);
            let start = |id: &str| WorkflowStartOptions::new(queue, id).build();
            let a = client
                .start_workflow(Pipeline::run, pipeline_job, start("pipeline"))
                .await?;
            let b = client
                .start_workflow(Parent::run, child_job, start("parent"))
                .await?;
            let (a, b) = tokio::time::timeout(limit, async {
                tokio::join!(a.get_result(get()), b.get_result(get()))
            })
            .await?;
            Ok::<_, Box<dyn Error>>((a?, b?))
        };
        let result = result.await;
        stop(); // `worker.run()` returns once its tasks are done
        result
    };
    // Drive the worker and the workflows together: `Worker::run` is not `Send`.
    let (worker_result, reports) = tokio::join!(worker.run(), run);
    worker_result?;
    let (pipeline, parent) = reports?;

    // Show the outcome, then check it (a regression makes this fail).
    let show = |steps: &[Step]| {
        for s in steps {
            let (under, call) = (&s.under, &s.call);
            match &s.result {
                Ok(v) => println!("  ALLOW under {under:<9} {call:<26} -> {v:?}"),
                Err(code) => println!("  DENY  under {under:<9} {call:<26} [{code}]"),
            }
        }
    };
    println!("(a) per-stage pipeline:");
    show(&pipeline);
    println!("(b) parent -> child with a delegated warrant:");
    let refused = parent.refused.as_deref().unwrap_or("not refused");
    println!("  delegating delete_file (the parent lacks it): {refused}");
    println!("  child warrant: {}", parent.child_warrant);
    show(&parent.child);

    let written = std::fs::read_to_string(format!("{out}/report.txt")).unwrap_or_default();
    let results = |s: &[Step]| s.iter().map(|s| s.result.clone()).collect::<Vec<_>>();
    let input: Result<String, String> = Ok("quarterly numbers: all good".into());
    let denied: Result<String, String> = Err("TOOL_NOT_GRANTED".into());
    if results(&pipeline) != [input.clone(), denied.clone(), Ok("27 bytes".into())]
        || written != "QUARTERLY NUMBERS: ALL GOOD"
        || results(&parent.child) != [input, denied]
        || std::fs::read_dir(&out)?.count() != 1 // neither raw.txt nor child.txt
        || parent.refused.as_deref() != Some("DELEGATION_REFUSED")
        || parent.child_warrant != "2 links, tools [\"read_file\"], 60 s"
    {
        return Err(format!("unexpected: {pipeline:?}, {parent:?}, wrote {written:?}").into());
    }
    println!("ok: each stage and the child could do exactly what their warrant grants");
    Ok(())
}
