//! The client interceptor against a real dev server: the warrant headers
//! land in the history events of start, signal and signal-with-start, the
//! per-call scope overrides the default, and `without_warrant` sends none.
//! (Query and update carry the same header through the same code; they
//! need a running worker and are covered with the worker-side tests.)

// Test helpers outside #[test] functions unwrap on purpose: a failure is a
// failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, UntypedSignal, UntypedWorkflow, Url,
    WorkflowFetchHistoryOptions, WorkflowSignalOptions, WorkflowStartOptions,
};
use temporalio_common::data_converters::RawValue;
use temporalio_common::protos::temporal::api::common::v1::Header;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use warrants_temporal::client::{
    with_warrant, without_warrant, WarrantClientInterceptor, WarrantHeaders,
};
use warrants_temporal::dev_server::DevServer;
use warrants_temporal::headers::{read, X_WARRANT, X_WARRANT_KEY_ID};

const QUEUE: &str = "no-worker";

async fn client(server: &DevServer, interceptor: WarrantClientInterceptor) -> Client {
    let conn =
        Connection::connect(ConnectionOptions::new(Url::parse(&server.url()).unwrap()).build())
            .await
            .unwrap();
    Client::new(
        conn,
        ClientOptions::new("default")
            .client_interceptors(vec![interceptor.into_arc()])
            .build(),
    )
    .unwrap()
}

/// (started header, signaled headers) of the latest run of `id`.
async fn headers_of(client: &Client, id: &str) -> (Option<Header>, Vec<Option<Header>>) {
    let events = client
        .get_workflow_handle::<UntypedWorkflow>(id)
        .fetch_history(WorkflowFetchHistoryOptions::default())
        .into_events()
        .await
        .unwrap();
    let mut started = None;
    let mut signaled = Vec::new();
    for e in events {
        match e.attributes {
            Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => started = a.header,
            Some(Attributes::WorkflowExecutionSignaledEventAttributes(a)) => {
                signaled.push(a.header)
            }
            _ => {}
        }
    }
    (started, signaled)
}

fn warrant_of(h: Option<&Header>) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    (
        read(h, X_WARRANT).unwrap(),
        read(h, X_WARRANT_KEY_ID).unwrap(),
    )
}

fn start_opts(id: &str) -> WorkflowStartOptions {
    WorkflowStartOptions::new(QUEUE, id).build()
}

#[tokio::test(flavor = "multi_thread")]
async fn headers_reach_history_with_default_scope_and_none() {
    let server = DevServer::start().unwrap();
    let a = WarrantHeaders::from_bytes(vec![0xa1, 0x01], "key-a");
    let b = WarrantHeaders::from_bytes(vec![0xb2, 0x02], "key-b");
    let c = WarrantHeaders::from_bytes(vec![0xc3, 0x03], "key-c");
    let client = client(&server, WarrantClientInterceptor::with_default(a.clone())).await;
    let wf = || UntypedWorkflow::new("AnyWorkflow");

    // Default warrant on start.
    let h1 = client
        .start_workflow(wf(), RawValue::new(vec![]), start_opts("wf-default"))
        .await
        .unwrap();
    // A scoped warrant overrides the default for this call only.
    with_warrant(
        b.clone(),
        client.start_workflow(wf(), RawValue::new(vec![]), start_opts("wf-scoped")),
    )
    .await
    .unwrap();
    // No warrant at all.
    without_warrant(client.start_workflow(wf(), RawValue::new(vec![]), start_opts("wf-none")))
        .await
        .unwrap();
    // Signal under a scoped warrant.
    with_warrant(
        c.clone(),
        h1.signal(
            UntypedSignal::<UntypedWorkflow>::new("poke"),
            RawValue::new(vec![]),
            WorkflowSignalOptions::default(),
        ),
    )
    .await
    .unwrap();
    // Signal-with-start under the default.
    client
        .signal_with_start_workflow(
            wf(),
            RawValue::new(vec![]),
            UntypedSignal::<UntypedWorkflow>::new("hello"),
            RawValue::new(vec![]),
            start_opts("wf-sws"),
        )
        .await
        .unwrap();

    let want = |w: &WarrantHeaders| {
        (
            Some(w.chain_bytes().to_vec()),
            Some(w.key_id().as_bytes().to_vec()),
        )
    };
    let (started, signaled) = headers_of(&client, "wf-default").await;
    assert_eq!(warrant_of(started.as_ref()), want(&a));
    assert_eq!(signaled.len(), 1);
    assert_eq!(warrant_of(signaled[0].as_ref()), want(&c));

    let (started, _) = headers_of(&client, "wf-scoped").await;
    assert_eq!(warrant_of(started.as_ref()), want(&b));

    let (started, _) = headers_of(&client, "wf-none").await;
    assert_eq!(warrant_of(started.as_ref()), (None, None));

    let (started, signaled) = headers_of(&client, "wf-sws").await;
    assert_eq!(warrant_of(started.as_ref()), want(&a));
    assert_eq!(signaled.len(), 1);
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn explicit_header_is_kept() {
    let server = DevServer::start().unwrap();
    let a = WarrantHeaders::from_bytes(vec![0xa1], "key-a");
    let client = client(&server, WarrantClientInterceptor::with_default(a)).await;
    let mut explicit = None;
    warrants_temporal::headers::insert_if_absent(&mut explicit, X_WARRANT, &[0xee]);
    let opts = WorkflowStartOptions::new(QUEUE, "wf-explicit")
        .maybe_header(explicit)
        .build();
    client
        .start_workflow(
            UntypedWorkflow::new("AnyWorkflow"),
            RawValue::new(vec![]),
            opts,
        )
        .await
        .unwrap();
    let (started, _) = headers_of(&client, "wf-explicit").await;
    assert_eq!(
        warrant_of(started.as_ref()),
        (Some(vec![0xee]), Some(b"key-a".to_vec()))
    );
}
