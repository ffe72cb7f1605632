//! HTTP behaviour: non-POST methods, empty, malformed and too long bodies,
//! headers, keep-alive and concurrency.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use koji_testhub::{Error, TestHub};
use koji_xmlrpc::Value;
use support::{Outcome, body, call, exchange, post, read_response, rpc};
use tokio::io::AsyncWriteExt;

const TIMEOUT: Duration = Duration::from_secs(20);

fn complete(o: Outcome) -> support::Resp {
    match o {
        Outcome::Complete(r) => r,
        other => panic!("incomplete: {other:?}"),
    }
}

#[tokio::test]
async fn get_put_and_head_get_405_with_allow_post() {
    let hub = TestHub::builder().start().await.unwrap();
    let text = "Method Not Allowed\nThis is an XML-RPC server. Only POST requests are accepted.\n";
    for m in ["GET", "PUT"] {
        let req = format!("{m} /kojihub HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        let r = complete(exchange(hub.addr(), req.as_bytes(), TIMEOUT).await);
        assert_eq!(r.status, 405);
        assert_eq!(r.header("allow"), Some("POST"));
        assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
        assert_eq!(r.header("koji-version"), Some("1.35.3"));
        assert_eq!(r.text(), text);
    }
    let r = complete(
        exchange(
            hub.addr(),
            b"HEAD /kojihub HTTP/1.1\r\nHost: x\r\n\r\n",
            TIMEOUT,
        )
        .await,
    );
    assert_eq!(r.status, 405);
    assert_eq!(r.header("content-length"), Some("79"));
    assert!(r.body.is_empty());
    hub.shutdown().await;
}

#[tokio::test]
async fn bad_bodies_get_400_and_close() {
    let hub = TestHub::builder().start().await.unwrap();
    let cases: [(&[u8], &str); 4] = [
        (b"", "Invalid request: Empty request\n"),
        (b"hello world", "Invalid request: syntax error: line 1, column 0\n"),
        (
            b"<methodCall><methodName>getAPIVersion",
            "Invalid request: no element found: line 1, column 37\n",
        ),
        (
            b"<?xml version='1.0'?>\n<methodCall><methodName>echo</methodName><params><param><value><boolean>true</boolean></value></param></params></methodCall>",
            "Invalid request: bad boolean value\n",
        ),
    ];
    for (b, want) in cases {
        let r = call(hub.addr(), "/kojihub", b, &[]).await;
        assert_eq!(r.status, 400, "{want}");
        assert_eq!(r.text(), want);
        assert_eq!(r.header("connection"), Some("close"));
        assert_eq!(r.header("koji-version"), Some("1.35.3"));
    }
    hub.shutdown().await;
}

#[tokio::test]
async fn request_length_limit_is_configurable_and_inclusive() {
    let hub = TestHub::builder()
        .max_request_length(300)
        .start()
        .await
        .unwrap();
    let base = body("echo", vec![Value::from("")], &[]);
    let pad = 300 - base.len();
    let exact = body("echo", vec![Value::from("y".repeat(pad))], &[]);
    assert_eq!(exact.len(), 300);
    let r = call(hub.addr(), "/kojihub", &exact, &[]).await;
    assert_eq!(r.status, 200);
    let over = body("echo", vec![Value::from("y".repeat(pad + 1))], &[]);
    let r = call(hub.addr(), "/kojihub", &over, &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.text(), "Invalid request: Request too long\n");
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(hub.max_request_size(), over.len());
    assert_eq!(hub.request_count(), 2);
    hub.shutdown().await;
}

#[tokio::test]
async fn responses_have_the_hub_headers_and_keep_alive_works() {
    let hub = TestHub::builder().start().await.unwrap();
    let mut s = tokio::net::TcpStream::connect(hub.addr()).await.unwrap();
    for i in 0..3 {
        s.write_all(&post(
            "/kojihub",
            &body("echo", vec![Value::Int(i)], &[]),
            &[],
        ))
        .await
        .unwrap();
        let r = complete(read_response(&mut s, TIMEOUT).await);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/xml"));
        assert_eq!(r.header("koji-version"), Some("1.35.3"));
        assert_eq!(
            r.header("content-length"),
            Some(r.body.len().to_string().as_str())
        );
        let v = koji_xmlrpc::decode_response::<Value>(&r.body)
            .unwrap()
            .unwrap();
        assert_eq!(v, Value::Array(vec![Value::Int(i)]));
    }
    assert_eq!(hub.request_count(), 3);
    hub.shutdown().await;
}

#[tokio::test]
async fn unknown_methods_and_argument_errors() {
    let hub = TestHub::builder().start().await.unwrap();
    let e = rpc(hub.addr(), "noSuchMethod", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string.as_str()),
        (1000, "Invalid method: noSuchMethod")
    );
    let e = rpc(
        hub.addr(),
        "getTaskInfo",
        vec![],
        &[("bogus", Value::Int(1))],
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.code, e.string.as_str()),
        (
            1019,
            "RootExports.getTaskInfo() got an unexpected keyword argument 'bogus'"
        )
    );
    let e = rpc(
        hub.addr(),
        "listTasks",
        vec![],
        &[("queryOpts", Value::from("x"))],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, 1);
    let e = rpc(
        hub.addr(),
        "getTaskInfo",
        vec![1.into(), 2.into(), 3.into(), 4.into()],
        &[],
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.string,
        "RootExports.getTaskInfo() takes from 2 to 4 positional arguments but 5 were given"
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_connections() {
    let hub = TestHub::builder()
        .record_requests(false)
        .start()
        .await
        .unwrap();
    let addr = hub.addr();
    let mut tasks = Vec::new();
    for c in 0..64 {
        tasks.push(tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            for i in 0..10 {
                let b = body("getBuild", vec![Value::Int(1 + (c + i) % 25)], &[]);
                s.write_all(&post("/kojihub", &b, &[])).await.unwrap();
                let r = complete(read_response(&mut s, TIMEOUT).await);
                assert_eq!(r.status, 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(hub.request_count(), 640);
    assert!(hub.requests().is_empty(), "recording was off");
    hub.shutdown().await;
}

#[tokio::test]
async fn non_loopback_binds_are_refused_unless_allowed() {
    let addr = "0.0.0.0:0".parse().unwrap();
    let err = TestHub::builder().bind(addr).start().await.unwrap_err();
    assert!(matches!(err, Error::NonLoopback(_)), "{err}");
}

#[tokio::test]
async fn requests_are_recorded_without_session_keys() {
    let hub = TestHub::builder().start().await.unwrap();
    let _ = call(
        hub.addr(),
        "/kojihub?session-id=5&session-key=secret&callnum=1",
        &body("hello", vec![], &[]),
        &[("Koji-Session-Key", "secret2")],
    )
    .await;
    let recs = hub.requests();
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r.method.as_deref(), Some("hello"));
    assert_eq!(
        r.query.as_deref(),
        Some("session-id=5&session-key=XXXXX&callnum=1")
    );
    assert!(
        r.headers
            .iter()
            .any(|(k, v)| k == "koji-session-key" && v == "XXXXX")
    );
    assert!(!format!("{recs:?}").contains("secret"));
    assert_eq!(r.status, 200);
    hub.shutdown().await;
}
