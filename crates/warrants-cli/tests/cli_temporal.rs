#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! A Temporal workflow started by the `temporal` CLI with the headers that
//! `warrant headers --json` prints, run by a worker wired with
//! warrants-temporal: the activity is authorized by the CLI-minted chain
//! (and an out-of-scope call is denied). Fails when no `temporal` CLI is
//! found (`scripts/install-temporal.sh` installs it; see
//! `warrants_temporal::dev_server::find_cli`).

mod common;
use common::{keygen, mint_to, warrant};

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, UntypedWorkflow, Url,
    WorkflowGetResultOptions,
};
use temporalio_sdk::activities::{activities, ActivityContext, ActivityError};
use temporalio_sdk::workflows::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult,
};
use warrants_temporal::audit::{Decision, MemorySink};
use warrants_temporal::dev_server::{find_cli, DevServer};
use warrants_temporal::registry::ActivityRegistry;
use warrants_temporal::{KeyStore, Warrants};

/// Paths whose activity body ran.
static RAN: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReadArgs {
    pub path: String,
}

pub struct CliActs;

#[activities]
impl CliActs {
    #[activity]
    pub async fn read_file(_ctx: ActivityContext, a: ReadArgs) -> Result<String, ActivityError> {
        RAN.lock().unwrap().push(a.path.clone());
        Ok(format!("contents of {}", a.path))
    }
}

#[workflow]
#[derive(Default)]
pub struct CliRead;

#[workflow_methods]
impl CliRead {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, a: ReadArgs) -> WorkflowResult<String> {
        let opts = ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10)).build();
        Ok(
            match ctx.execute_activity(CliActs::read_file, a, opts).await {
                Ok(v) => format!("ok:{v}"),
                Err(e) => match warrants_temporal::denial_code(&e) {
                    Some(code) => format!("denied:{code}"),
                    None => format!("failed:{e}"),
                },
            },
        )
    }
}

fn seed(path: &Path) -> warrants::SigningKey {
    warrants_keys::signing_key_from_text(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `temporal workflow start` for `CliRead` with `input`, headers from
/// `warrant headers --json`.
fn start_with_cli(cli: &Path, address: &str, queue: &str, id: &str, input: &str, args: &[String]) {
    let out = std::process::Command::new(cli)
        .args(["workflow", "start", "--address", address])
        .args(["--namespace", "default", "--task-queue", queue])
        .args(["--type", "CliRead", "--workflow-id", id, "--input", input])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "temporal workflow start failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn result(client: &Client, id: &str) -> String {
    let h = client.get_workflow_handle::<UntypedWorkflow>(id);
    let raw = tokio::time::timeout(
        Duration::from_secs(60),
        h.get_result(WorkflowGetResultOptions::default()),
    )
    .await
    .expect("workflow result timed out")
    .unwrap();
    raw.to_value::<String>(&Default::default())
}

#[tokio::test(flavor = "multi_thread")]
async fn workflow_started_by_temporal_cli_is_authorized() {
    // Like every dev-server test: no CLI is a failure, not a skip.
    let cli = find_cli().expect("temporal CLI (scripts/install-temporal.sh or TEMPORAL_CLI)");
    let dir = tempfile::TempDir::new().unwrap();
    let root = keygen(dir.path(), "root.seed");
    let agent = keygen(dir.path(), "agent.seed");
    let chain = dir.path().join("chain.txt");
    mint_to(
        &root,
        &agent,
        &[
            "--tool",
            "read_file",
            "--constraint",
            "path=subpath:/data/in",
        ],
        &chain,
    );
    let out = warrant()
        .args(["headers", "--json", "--key-id", "agent"])
        .arg(&chain)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let headers: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let temporal_args: Vec<String> = headers["temporal_args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();

    let server = DevServer::start().unwrap();
    let mut keys = KeyStore::new();
    keys.insert("agent", seed(&agent));
    let sink = Arc::new(MemorySink::new());
    let warrants = Warrants::builder()
        .trusted_root(seed(&root).public_key())
        .keys(keys)
        .activities(ActivityRegistry::new().protect(CliActs::read_file, "read_file"))
        .audit_sink(sink.clone())
        .build()
        .unwrap();
    let queue = "cli-temporal";
    let opts = warrants
        .wire_worker(WorkerOptions::new(queue).register_activities(CliActs))
        .register_workflow::<CliRead>()
        .unwrap()
        .build();
    let conn =
        Connection::connect(ConnectionOptions::new(Url::parse(&server.url()).unwrap()).build())
            .await
            .unwrap();
    let client = Client::new(conn, ClientOptions::new("default").build()).unwrap();
    let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
    let mut worker = Worker::new(&runtime, client.clone(), opts).unwrap();
    let stop = worker.shutdown_handle();
    let address = server.address();
    let body = async {
        let start = |id: &'static str, input: &'static str| {
            let (cli, address, args) = (cli.clone(), address.clone(), temporal_args.clone());
            tokio::task::spawn_blocking(move || {
                start_with_cli(&cli, &address, queue, id, input, &args);
            })
        };
        start("cli-allowed", r#"{"path": "/data/in/report.csv"}"#)
            .await
            .unwrap();
        let allowed = result(&client, "cli-allowed").await;
        start("cli-denied", r#"{"path": "/etc/passwd"}"#)
            .await
            .unwrap();
        let denied = result(&client, "cli-denied").await;
        stop();
        (allowed, denied)
    };
    let (res, (allowed, denied)) = tokio::join!(worker.run(), body);
    res.unwrap();
    assert_eq!(allowed, "ok:contents of /data/in/report.csv");
    assert_eq!(denied, "denied:CONSTRAINT_VIOLATED");
    assert_eq!(*RAN.lock().unwrap(), ["/data/in/report.csv"]);
    let events = sink.events();
    let allow = events
        .iter()
        .filter(|e| e.workflow_id.as_deref() == Some("cli-allowed"))
        .collect::<Vec<_>>();
    assert!(
        allow
            .iter()
            .any(|e| e.decision == Decision::Allow && e.tool.as_deref() == Some("read_file")),
        "{events:?}"
    );
    assert!(events
        .iter()
        .any(|e| e.workflow_id.as_deref() == Some("cli-denied")
            && e.decision == Decision::Deny
            && e.code == Some("CONSTRAINT_VIOLATED")));
    server.stop().unwrap();
}
