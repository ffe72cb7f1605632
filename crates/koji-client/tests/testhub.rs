//! The connection against koji-testhub, a Koji-compatible hub, with its
//! fault injection: every error path of a call gives the right typed error
//! (or succeeds after the right retries) within the deadline, and the
//! connection stays usable afterwards.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::StreamExt;
use koji_client::{Connection, ConnectionBuilder, FaultKind, Value};
use koji_testhub::{Action, FaultRule, RunningHub, TestHub};

const MS: Duration = Duration::from_millis(1);

async fn hub() -> RunningHub {
    TestHub::builder().start().await.unwrap()
}

fn quick(hub: &RunningHub) -> ConnectionBuilder {
    Connection::builder(hub.url())
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .retry_interval(10 * MS)
        .offline_retry_interval(10 * MS)
        .deadline(Duration::from_secs(20))
}

/// The next call succeeds once the faults are gone.
async fn still_usable(koji: &Connection, hub: &RunningHub) {
    hub.clear_faults();
    let build = koji.call("getBuild", (3,)).await.unwrap();
    assert_eq!(build.get("build_id"), Some(&Value::Int(3)));
}

#[derive(serde::Deserialize, Debug)]
struct Build {
    build_id: i64,
    nvr: String,
    state: i64,
}

#[tokio::test]
async fn plain_typed_and_keyword_calls() {
    let hub = hub().await;
    let koji = quick(&hub).build().unwrap();
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));
    let build: Build = koji
        .call_as("getBuild", ("hello-1.2-1.fc40",))
        .await
        .unwrap();
    assert_eq!(
        (build.build_id, build.nvr.as_str(), build.state),
        (3, "hello-1.2-1.fc40", 1)
    );

    let builds: Vec<Build> = koji
        .request("listBuilds")
        .kwarg("packageID", 7)
        .kwarg(
            "queryOpts",
            koji_client::Struct::from_iter([
                ("order".to_owned(), Value::from("-build_id")),
                ("limit".to_owned(), Value::Int(3)),
            ]),
        )
        .typed()
        .await
        .unwrap();
    assert_eq!(builds.len(), 3);
    assert!(builds.windows(2).all(|w| w[0].build_id > w[1].build_id));

    // An unknown keyword argument is the hub's ParameterError.
    let err = koji
        .request("getBuild")
        .arg(3)
        .kwarg("bogus", true)
        .await
        .unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::ParameterError), "{err}");

    // A strict miss is GenericError with the hub's text.
    let err = koji
        .call("getBuild", ("no-such-build-1.0-1", true))
        .await
        .unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::GenericError));
    assert_eq!(
        err.fault_string(),
        Some("No such build: 'no-such-build-1.0-1'")
    );

    let v = koji.hub_version().await.unwrap();
    assert!(v.at_least(1, 35, 0), "{v}");
}

#[tokio::test]
async fn streamed_and_whole_answers_agree() {
    let hub = hub().await;
    let koji = quick(&hub).build().unwrap();
    let whole: Vec<Value> = koji.call_as("listTasks", ()).await.unwrap();
    let streamed: Vec<Value> = koji
        .call_stream::<Value>("listTasks", ())
        .map(Result::unwrap)
        .collect()
        .await;
    assert!(!whole.is_empty());
    assert_eq!(streamed, whole);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_calls_on_clones() {
    let hub = hub().await;
    let koji = quick(&hub).build().unwrap();
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let koji = koji.clone();
            tokio::spawn(async move {
                let id = [3, 12, 17][i % 3];
                let b: Build = koji.call_as("getBuild", (id,)).await.unwrap();
                assert_eq!(b.build_id, id);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test]
async fn connection_dropped_before_the_response_is_resent_once() {
    let hub = hub().await;
    hub.add_fault(FaultRule::method("getBuild", Action::DropBeforeResponse).times(1));
    let koji = quick(&hub).build().unwrap();
    let b: Build = koji.call_as("getBuild", (3,)).await.unwrap();
    assert_eq!(b.build_id, 3);
    assert_eq!(hub.faults_fired(), 1);

    hub.add_fault(FaultRule::method("getBuild", Action::DropBeforeResponse));
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert!(err.is_disconnected(), "{err}");
    assert_eq!(err.attempts(), 2, "anonymous: one resend only");
    still_usable(&koji, &hub).await;
}

#[tokio::test]
async fn connection_dropped_mid_body() {
    let hub = hub().await;
    hub.add_fault(FaultRule::method("getBuild", Action::DropMidBody).times(1));
    let koji = quick(&hub).build().unwrap();
    assert!(koji.call("getBuild", (3,)).await.is_ok());

    hub.add_fault(FaultRule::method("getBuild", Action::DropMidBody));
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert!(err.is_disconnected(), "{err}");
    // Logged in: retried up to max_retries after the free resends.
    let koji = quick(&hub).max_retries(2).build().unwrap();
    let err = koji
        .request("getBuild")
        .arg(3)
        .logged_in(true)
        .await
        .unwrap_err();
    assert!(err.is_disconnected(), "{err}");
    assert_eq!(err.attempts(), 6, "(1 + 2 retries) × (1 + 1 resend)");
    still_usable(&koji, &hub).await;
}

#[tokio::test]
async fn truncated_xml_is_a_decode_error() {
    let hub = hub().await;
    hub.add_fault(FaultRule::method("getBuild", Action::TruncateBody));
    let koji = quick(&hub).anon_retry(true).build().unwrap();
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert!(err.is_decode(), "{err}");
    assert_eq!(err.attempts(), 1);
    still_usable(&koji, &hub).await;
}

#[tokio::test]
async fn bad_gateway_pages() {
    let hub = hub().await;
    hub.add_fault(FaultRule::method("getBuild", Action::BadGateway));
    let koji = quick(&hub).build().unwrap();
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502), "{err}");
    assert!(!err.body_snippet().unwrap().is_empty());
    assert_eq!(err.attempts(), 1);

    // anon_retry: the first retry is immediate and gets through.
    hub.set_faults(vec![
        FaultRule::method("getBuild", Action::BadGateway).times(1),
    ]);
    let koji = quick(&hub).anon_retry(true).build().unwrap();
    let b: Build = koji.call_as("getBuild", (3,)).await.unwrap();
    assert_eq!(b.build_id, 3);
    still_usable(&koji, &hub).await;
}

#[tokio::test]
async fn slow_and_stalled_answers_time_out() {
    let hub = hub().await;
    hub.add_fault(FaultRule::method(
        "getBuild",
        Action::Latency(Duration::from_secs(5)),
    ));
    let koji = quick(&hub).timeout(200 * MS).build().unwrap();
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert!(err.is_timeout() && !err.is_deadline(), "{err}");

    hub.set_faults(vec![FaultRule::method("getBuild", Action::Stall)]);
    let koji = quick(&hub)
        .anon_retry(true)
        .timeout(Duration::from_secs(60))
        .deadline(300 * MS)
        .build()
        .unwrap();
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert!(err.is_deadline(), "{err}");
    still_usable(&koji, &hub).await;
}

/// Without retries the deadline is the timeout itself; a hub that does not
/// answer in time is a response timeout then, not an expired deadline.
#[tokio::test]
async fn a_stall_without_retries_is_a_response_timeout() {
    let hub = hub().await;
    hub.add_fault(FaultRule::method("getBuild", Action::Stall));
    let koji = Connection::builder(hub.url())
        .no_proxy()
        .max_retries(0)
        .timeout(200 * MS)
        .build()
        .unwrap();
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert!(err.is_timeout() && !err.is_deadline(), "{err}");
    still_usable(&koji, &hub).await;
}

#[tokio::test]
async fn server_offline() {
    let hub = hub().await;
    hub.add_fault(FaultRule::any(Action::ServerOffline(None)).times(2));
    let koji = quick(&hub).anon_retry(true).build().unwrap();
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::ServerOffline), "{err}");
    assert_eq!(err.attempts(), 1, "not retried without offline_retry");

    let koji = quick(&hub).offline_retry(true).build().unwrap();
    let b: Build = koji.call_as("getBuild", (3,)).await.unwrap();
    assert_eq!(b.build_id, 3, "retried after the outage");
    assert_eq!(hub.faults_fired(), 2);

    hub.add_fault(FaultRule::any(Action::ServerOffline(Some(
        "database outage".into(),
    ))));
    let koji = quick(&hub)
        .offline_retry(true)
        .offline_retry_interval(50 * MS)
        .deadline(Duration::from_secs(1))
        .build()
        .unwrap();
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert!(err.attempts() > 1, "{err}");
    assert!(
        err.fault_kind() == Some(FaultKind::ServerOffline) || err.is_deadline(),
        "{err}"
    );
    still_usable(&koji, &hub).await;
}

#[tokio::test]
async fn faults_and_odd_statuses() {
    let hub = hub().await;
    hub.add_fault(
        FaultRule::method(
            "getBuild",
            Action::Fault {
                code: 4242,
                string: "brand new".into(),
            },
        )
        .times(1),
    );
    let koji = quick(&hub).anon_retry(true).build().unwrap();
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::Unknown(4242)));
    assert_eq!(err.attempts(), 1);

    hub.add_fault(
        FaultRule::method(
            "getBuild",
            Action::Status {
                status: 200,
                content_type: "text/html".into(),
                body: "<html><body>Sign in to continue</body></html>".into(),
            },
        )
        .times(1),
    );
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert!(err.is_decode(), "{err}");
    assert!(err.body_snippet().unwrap().contains("Sign in"), "{err}");
    still_usable(&koji, &hub).await;
}
