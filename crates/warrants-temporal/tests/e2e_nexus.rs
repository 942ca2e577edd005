//! Warrant headers on Nexus operations (feature `nexus`, which turns on the
//! SDK's `experimental` feature): a protected workflow starts a Nexus
//! operation and its `NexusOperationScheduled` event carries the warrant as
//! string headers. The Rust SDK 1.1.1 has no Nexus handler side, so no
//! handler runs: the operation times out, which the workflow reports.

#![cfg(feature = "nexus")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_sdk::workflows::{workflow, workflow_methods};
use temporalio_sdk::{NexusOperationOptions, WorkerOptions, WorkflowContext, WorkflowResult};
use warrants_temporal::audit::MemorySink;
use warrants_temporal::dev_server::{find_cli, DevServer};
use warrants_temporal::headers::{X_WARRANT, X_WARRANT_KEY_ID};

use support::*;

#[workflow]
#[derive(Default)]
pub struct NexusCaller;

#[workflow_methods]
impl NexusCaller {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, endpoint: String) -> WorkflowResult<String> {
        let opts = NexusOperationOptions::builder()
            .endpoint(endpoint)
            .service("files")
            .operation("read")
            .schedule_to_close_timeout(Duration::from_secs(2))
            .build();
        Ok(match ctx.start_nexus_operation(opts).await {
            Ok(_) => "started".to_owned(),
            Err(f) => format!("not started: {}", f.message),
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nexus_operations_carry_the_warrant_as_string_headers() {
    let server = DevServer::start().unwrap();
    let endpoint = "warrants-e2e";
    let status = Command::new(find_cli().unwrap())
        .args(["operator", "nexus", "endpoint", "create"])
        .args(["--address", &server.address()])
        .args(["--name", endpoint])
        .args(["--target-namespace", "default"])
        .args(["--target-task-queue", "nexus-handler"])
        .status()
        .unwrap();
    assert!(status.success());
    let client = agent_client(&server, None).await;
    let w = warrants(Arc::new(MemorySink::new()));
    let q = "nexus-caller";
    let opts = w
        .wire_worker(WorkerOptions::new(q).register_activities(FsActs))
        .register_workflow::<NexusCaller>()
        .unwrap()
        .build();
    let out = with_worker(&client, opts, async {
        let h = client
            .start_workflow(
                NexusCaller::run,
                endpoint.to_owned(),
                WorkflowStartOptions::new(q, "wf-nexus").build(),
            )
            .await
            .unwrap();
        tokio::time::timeout(
            Duration::from_secs(60),
            h.get_result(WorkflowGetResultOptions::default()),
        )
        .await
        .unwrap()
        .unwrap()
    })
    .await;
    // No handler: the start times out (the workflow saw a failure, not a hang).
    assert!(out.starts_with("not started"), "{out}");
    let events = history(&client, "wf-nexus").await;
    let header = events
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::NexusOperationScheduledEventAttributes(a)) => {
                Some(a.nexus_header.clone())
            }
            _ => None,
        })
        .expect("a NexusOperationScheduled event");
    let chain = warrants::keys::from_base64url(&header[X_WARRANT]).unwrap();
    assert_eq!(chain, agent_chain().to_bytes());
    assert_eq!(header[X_WARRANT_KEY_ID], AGENT);
}
