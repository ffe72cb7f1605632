//! Fault injection: every action, matching by method and path, counts,
//! and changing the rules while the hub runs.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use koji_testhub::{Action, FaultRule, Match, TestHub};
use koji_xmlrpc::Value;
use support::{Outcome, body, exchange, post, rpc};

const T: Duration = Duration::from_secs(20);

fn get_build(id: i64) -> Vec<u8> {
    post(
        "/kojihub",
        &body("getBuild", vec![Value::Int(id)], &[]),
        &[],
    )
}

#[tokio::test]
async fn drop_before_response_for_the_first_calls_only() {
    let hub = TestHub::builder()
        .fault(FaultRule::method("getBuild", Action::DropBeforeResponse).times(2))
        .start()
        .await
        .unwrap();
    for _ in 0..2 {
        assert!(matches!(
            exchange(hub.addr(), &get_build(3), T).await,
            Outcome::Closed
        ));
    }
    let Outcome::Complete(r) = exchange(hub.addr(), &get_build(3), T).await else {
        panic!("the third call is answered");
    };
    assert_eq!(r.status, 200);
    // other methods were never affected
    assert_eq!(
        rpc(hub.addr(), "hello", vec![], &[]).await.unwrap(),
        Value::from("Hello World")
    );
    assert_eq!(hub.faults_fired(), 2);
    hub.shutdown().await;
}

#[tokio::test]
async fn broken_bodies() {
    let hub = TestHub::builder().start().await.unwrap();
    let Outcome::Complete(full) = exchange(hub.addr(), &get_build(3), T).await else {
        panic!()
    };
    hub.add_fault(FaultRule::any(Action::DropMidBody).times(1));
    match exchange(hub.addr(), &get_build(3), T).await {
        Outcome::ShortBody { resp, expected } => {
            assert_eq!(expected, full.body.len());
            assert!(resp.body.len() < expected);
            assert_eq!(resp.body[..], full.body[..resp.body.len()]);
        }
        other => panic!("expected a short body: {other:?}"),
    }
    hub.add_fault(FaultRule::any(Action::TruncateBody).times(1));
    let Outcome::Complete(cut) = exchange(hub.addr(), &get_build(3), T).await else {
        panic!()
    };
    assert_eq!(cut.body.len(), full.body.len() / 2);
    assert_eq!(
        cut.header("content-length"),
        Some(cut.body.len().to_string().as_str())
    );
    assert!(koji_xmlrpc::decode_response::<Value>(&cut.body).is_err());
    hub.shutdown().await;
}

#[tokio::test]
async fn proxy_errors_offline_replies_and_faults() {
    let hub = TestHub::builder()
        .fault(FaultRule::method("getBuild", Action::BadGateway).times(1))
        .fault(FaultRule::method("getTaskInfo", Action::ServerOffline(None)).times(1))
        .fault(FaultRule::method(
            "hello",
            Action::Fault {
                code: 1001,
                string: "locked".into(),
            },
        ))
        .start()
        .await
        .unwrap();
    let Outcome::Complete(r) = exchange(hub.addr(), &get_build(3), T).await else {
        panic!()
    };
    assert_eq!(r.status, 502);
    assert_eq!(
        r.header("koji-version"),
        None,
        "made by a proxy, not the hub"
    );
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("Proxy Error"));
    let e = rpc(hub.addr(), "getTaskInfo", vec![1.into()], &[])
        .await
        .unwrap_err();
    assert_eq!((e.code, e.string.as_str()), (1014, "server is offline"));
    assert!(
        rpc(hub.addr(), "getTaskInfo", vec![1.into()], &[])
            .await
            .is_ok()
    );
    let e = rpc(hub.addr(), "hello", vec![], &[]).await.unwrap_err();
    assert_eq!(e.code, 1001);
    hub.shutdown().await;
}

#[tokio::test]
async fn stalls_until_the_client_gives_up_and_shutdown_ends_them() {
    let hub = TestHub::builder()
        .fault(FaultRule::path("/kojihub/slow", Action::Stall))
        .start()
        .await
        .unwrap();
    let req = post("/kojihub/slow", &body("hello", vec![], &[]), &[]);
    let out = exchange(hub.addr(), &req, Duration::from_millis(300)).await;
    assert!(matches!(out, Outcome::TimedOut), "{out:?}");
    // another path is not affected
    assert!(rpc(hub.addr(), "hello", vec![], &[]).await.is_ok());
    // a stalled request in flight does not keep shutdown waiting
    let addr = hub.addr();
    let pending = tokio::spawn(async move { exchange(addr, &req, Duration::from_secs(60)).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    hub.shutdown().await;
    let out = pending.await.unwrap();
    assert!(matches!(out, Outcome::Closed), "{out:?}");
}

#[tokio::test]
async fn rules_skip_count_and_change_at_runtime() {
    let hub = TestHub::builder().start().await.unwrap();
    hub.set_faults(vec![
        FaultRule::new(
            Match::PathPrefix("/kojihub".into()),
            Action::Latency(Duration::from_millis(1)),
        ),
        FaultRule::method("getBuild", Action::BadGateway)
            .after(1)
            .times(1),
    ]);
    let status = |o: Outcome| match o {
        Outcome::Complete(r) => r.status,
        other => panic!("{other:?}"),
    };
    assert_eq!(status(exchange(hub.addr(), &get_build(3), T).await), 200);
    assert_eq!(status(exchange(hub.addr(), &get_build(3), T).await), 502);
    assert_eq!(status(exchange(hub.addr(), &get_build(3), T).await), 200);
    assert_eq!(hub.faults_fired(), 3 + 1, "three latencies and one 502");
    hub.clear_faults();
    assert_eq!(status(exchange(hub.addr(), &get_build(3), T).await), 200);
    assert_eq!(hub.faults_fired(), 4);
    hub.add_fault(FaultRule::any(Action::Status {
        status: 503,
        content_type: "text/plain".into(),
        body: "maintenance".into(),
    }));
    let Outcome::Complete(r) = exchange(hub.addr(), &get_build(3), T).await else {
        panic!()
    };
    assert_eq!((r.status, r.text().as_str()), (503, "maintenance"));
    hub.shutdown().await;
}
