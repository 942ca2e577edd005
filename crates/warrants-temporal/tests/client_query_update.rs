//! Query and update headers from the client interceptor, seen by a real
//! worker on the dev server: a workflow interceptor records the warrant
//! header of each query and update it handles, and the accepted update's
//! header is in the history; update-with-start carries it on both parts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
// The workflow macros generate public constants without doc comments.
#![allow(missing_docs)]

use std::sync::{Arc, Mutex};

use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, UntypedWorkflow, Url,
    WorkflowExecuteUpdateOptions, WorkflowFetchHistoryOptions, WorkflowIdConflictPolicy,
    WorkflowQueryOptions, WorkflowStartOptions, WorkflowUpdateWithStartOptions,
};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_sdk::workflow_interceptors::{
    HandleQueryInput, HandleQueryResult, HandleUpdateInput, HandleUpdateResult,
    SyncWorkflowInterceptorContext, WorkflowInterceptor, WorkflowInterceptorConstructor,
    WorkflowInterceptorContext, WorkflowInterceptorFuture, WorkflowNext,
};
use temporalio_sdk::workflows::{workflow, workflow_methods};
use temporalio_sdk::{
    Runtime, SyncWorkflowContext, Worker, WorkerOptions, WorkflowContext, WorkflowContextView,
    WorkflowResult,
};
use warrants_temporal::client::{with_warrant, WarrantClientInterceptor, WarrantHeaders};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::headers::{read, read_fields, X_WARRANT};

/// A workflow that runs until an update finishes it.
#[workflow]
#[derive(Default)]
pub struct Probe {
    done: bool,
}

#[workflow_methods]
impl Probe {
    /// Wait for `finish`.
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, _x: i32) -> WorkflowResult<i32> {
        ctx.wait_condition(|s| s.done).await?;
        Ok(1)
    }

    /// A query.
    #[query]
    pub fn ping(&self, _ctx: &WorkflowContextView) -> i32 {
        7
    }

    /// An update that finishes the workflow.
    #[update]
    pub fn finish(&mut self, _ctx: &mut SyncWorkflowContext<Self>, v: i32) -> i32 {
        self.done = true;
        v
    }
}

type Seen = Arc<Mutex<Vec<(String, Option<Vec<u8>>)>>>;

struct Recorder {
    seen: Seen,
}

impl WorkflowInterceptor for Recorder {
    fn handle_query(
        &self,
        _ctx: SyncWorkflowInterceptorContext,
        input: HandleQueryInput,
        next: WorkflowNext<'_, HandleQueryInput, HandleQueryResult>,
    ) -> HandleQueryResult {
        let w = read_fields(input.headers(), X_WARRANT).unwrap();
        self.seen.lock().unwrap().push(("query".into(), w));
        next.run(input)
    }

    fn handle_update<'a>(
        &'a self,
        _ctx: WorkflowInterceptorContext,
        input: HandleUpdateInput,
        next: WorkflowNext<
            'a,
            HandleUpdateInput,
            WorkflowInterceptorFuture<'a, HandleUpdateResult>,
        >,
    ) -> WorkflowInterceptorFuture<'a, HandleUpdateResult> {
        let w = read_fields(input.headers(), X_WARRANT).unwrap();
        self.seen.lock().unwrap().push(("update".into(), w));
        next.run(input)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn query_and_update_carry_the_warrant() {
    let server = DevServer::start().unwrap();
    let default = WarrantHeaders::from_bytes(vec![0xd0], "key-d");
    let scoped = WarrantHeaders::from_bytes(vec![0x5c], "key-s");
    let conn =
        Connection::connect(ConnectionOptions::new(Url::parse(&server.url()).unwrap()).build())
            .await
            .unwrap();
    let client = Client::new(
        conn,
        ClientOptions::new("default")
            .client_interceptors(vec![
                WarrantClientInterceptor::with_default(default).into_arc()
            ])
            .build(),
    )
    .unwrap();

    let seen: Seen = Arc::default();
    let sink = Arc::clone(&seen);
    let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
    let opts = WorkerOptions::new("probe-queue")
        .register_workflow::<Probe>()
        .unwrap()
        .register_workflow_interceptors(vec![WorkflowInterceptorConstructor::new(move |_view| {
            Recorder {
                seen: Arc::clone(&sink),
            }
        })])
        .build();
    let mut worker = Worker::new(&runtime, client.clone(), opts).unwrap();
    let stop = worker.shutdown_handle();

    let drive = async {
        let handle = client
            .start_workflow(
                Probe::run,
                0,
                WorkflowStartOptions::new("probe-queue", "probe-1").build(),
            )
            .await
            .unwrap();
        let q = handle
            .query(Probe::ping, (), WorkflowQueryOptions::default())
            .await
            .unwrap();
        assert_eq!(q, 7);
        let u = with_warrant(
            scoped.clone(),
            handle.execute_update(Probe::finish, 5, WorkflowExecuteUpdateOptions::default()),
        )
        .await
        .unwrap();
        assert_eq!(u, 5);
        let events = handle
            .fetch_history(WorkflowFetchHistoryOptions::default())
            .into_events()
            .await
            .unwrap();
        // Update-with-start: the scoped warrant goes on both the start and
        // the update.
        let uws = with_warrant(
            scoped.clone(),
            client.execute_update_with_start_workflow(
                Probe::run,
                0,
                Probe::finish,
                9,
                WorkflowUpdateWithStartOptions::new(
                    "probe-queue",
                    "probe-2",
                    WorkflowIdConflictPolicy::Fail,
                )
                .build(),
            ),
        )
        .await
        .unwrap();
        assert_eq!(uws, 9);
        let events2 = client
            .get_workflow_handle::<UntypedWorkflow>("probe-2")
            .fetch_history(WorkflowFetchHistoryOptions::default())
            .into_events()
            .await
            .unwrap();
        stop();
        (events, events2)
    };
    let (run, (events, events2)) = tokio::join!(worker.run(), drive);
    run.unwrap();

    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.contains(&("query".into(), Some(vec![0xd0]))),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("update".into(), Some(vec![0x5c]))),
        "{seen:?}"
    );
    let accepted = events
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::WorkflowExecutionUpdateAcceptedEventAttributes(a)) => a
                .accepted_request
                .as_ref()
                .and_then(|r| r.input.as_ref())
                .and_then(|i| i.header.clone()),
            _ => None,
        })
        .expect("accepted update in history");
    assert_eq!(read(Some(&accepted), X_WARRANT).unwrap(), Some(vec![0x5c]));

    let started2 = events2
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => a.header.clone(),
            _ => None,
        })
        .expect("update-with-start start header");
    assert_eq!(read(Some(&started2), X_WARRANT).unwrap(), Some(vec![0x5c]));
    let accepted2 = events2
        .iter()
        .find_map(|e| match &e.attributes {
            Some(Attributes::WorkflowExecutionUpdateAcceptedEventAttributes(a)) => a
                .accepted_request
                .as_ref()
                .and_then(|r| r.input.as_ref())
                .and_then(|i| i.header.clone()),
            _ => None,
        })
        .expect("update-with-start update header");
    assert_eq!(read(Some(&accepted2), X_WARRANT).unwrap(), Some(vec![0x5c]));
    assert!(
        seen.iter()
            .filter(|(k, w)| k == "update" && w == &Some(vec![0x5c]))
            .count()
            >= 2,
        "{seen:?}"
    );
}
