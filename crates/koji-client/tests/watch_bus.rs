//! The task watcher's message-bus driver, with a scripted consumer (an
//! `EventStream` built from a channel of parsed messages and a connection
//! state the test sets) and an in-process hub whose answer is the tree's
//! current state. Messages only make the watcher look: dropped, duplicated
//! and reordered messages, messages about other tasks and a consumer that
//! fails must all end with the right summary. Intervals the test does not
//! rely on are an hour, so a watcher that waited for one would hit the
//! test's timeout instead of finishing; nothing measures time.
#![cfg(any(feature = "stomp", feature = "amqp", feature = "amqp1"))]
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use koji_client::messages::{ConnectionState, ConsumerError, EventStream, FatalKind, KojiEvent};
use koji_client::watch::{WatchDriver, WatchEvent, WatchStream, WatchSummary};
use koji_client::{Connection, TaskState};
use koji_xmlrpc::Value;
use serde_json::json;
use support::{Action, Server, xml_response};
use tokio::sync::{mpsc, watch};

const HOUR: Duration = Duration::from_secs(3600);

fn to_value(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64().unwrap()),
        },
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(to_value).collect()),
        serde_json::Value::Object(o) => {
            Value::Struct(o.iter().map(|(k, x)| (k.clone(), to_value(x))).collect())
        }
    }
}

fn build_task(state: i64) -> serde_json::Value {
    json!({"id": 43, "method": "build", "state": state, "host_id": null, "parent": null,
           "arch": "noarch", "channel_id": 1, "priority": 20,
           "create_time": "2026-12-07 18:00:00+00:00",
           "request": ["git+https://git.example.org/rpms/hello.git#0123abcd", "f40-candidate", {}]})
}

fn arch_task(state: i64) -> serde_json::Value {
    json!({"id": 44, "method": "buildArch", "state": state, "host_id": null, "parent": 43,
           "arch": "x86_64", "channel_id": 1, "priority": 19,
           "create_time": "2026-12-07 18:00:20+00:00",
           "request": ["tasks/45/45/hello-1.0-1.fc40.src.rpm", 3, "x86_64", true, {}]})
}

fn multicall(items: Vec<Result<serde_json::Value, (i64, &str)>>) -> Action {
    let arr = items
        .into_iter()
        .map(|i| match i {
            Ok(x) => Value::Array(vec![to_value(&x)]),
            Err((code, s)) => to_value(&json!({"faultCode": code, "faultString": s})),
        })
        .collect();
    Action::Respond(xml_response(
        &koji_xmlrpc::encode_response(&Value::Array(arr)).unwrap(),
    ))
}

/// The hub's answer to a poll: the build task and, once it exists, its
/// buildArch child.
fn tree(root: i64, child: Option<i64>) -> Action {
    let children: Vec<_> = child.map(arch_task).into_iter().collect();
    multicall(vec![Ok(build_task(root)), Ok(json!({"43": children}))])
}

/// A `task.state.change` message as the hub's protonmsg plugin sends it.
fn task_message(id: i64, parent: Option<i64>, old: Option<&str>, new: &str) -> KojiEvent {
    let code = |s: &str| match s {
        "FREE" => 0,
        "OPEN" => 1,
        "CLOSED" => 2,
        _ => 5,
    };
    let props = json!({"type": "TaskStateChange", "id": id, "parent": parent,
        "method": "buildArch", "attribute": "state", "old": old, "new": new});
    let body = json!({"attribute": "state", "old": old, "new": new,
        "info": {"id": id, "parent": parent, "method": "buildArch", "owner": 2,
                 "state": code(new), "arch": "x86_64"}});
    koji_client::messages::parse(
        Some(&format!("/topic/koji.task.{}", new.to_lowercase())),
        props.as_object().unwrap(),
        body.to_string().as_bytes(),
    )
    .unwrap()
}

/// A scripted consumer: what the test sends on `tx` is what the stream
/// yields; `state` is its connection state.
struct Bus {
    tx: mpsc::UnboundedSender<Result<KojiEvent, ConsumerError>>,
    state: watch::Sender<ConnectionState>,
}

impl Bus {
    fn new() -> (Bus, EventStream) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (state, state_rx) = watch::channel(ConnectionState::Connected);
        let events = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        (Bus { tx, state }, EventStream::from_parts(events, state_rx))
    }

    fn send(&self, event: KojiEvent) {
        self.tx.send(Ok(event)).unwrap();
    }
}

async fn connect(server: &Server) -> Connection {
    Connection::builder(server.url())
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .max_retries(0)
        .build()
        .unwrap()
}

/// The next event, failing the test if the watcher is stuck.
async fn next(events: &mut WatchStream) -> WatchEvent {
    tokio::time::timeout(Duration::from_secs(60), events.next())
        .await
        .expect("the watcher is stuck")
        .expect("the watch ended early")
        .unwrap()
}

/// A state change as a short line.
fn line(event: &WatchEvent) -> String {
    match event {
        WatchEvent::Seen(t) => format!("{} {:?}", t.id, t.new),
        WatchEvent::Changed(t) => format!("{} {:?} -> {:?}", t.id, t.old.clone().unwrap(), t.new),
        WatchEvent::Driver(d) => format!("driver {:?}", d.driver),
        WatchEvent::Done(s) => format!("done success={}", s.success()),
        other => panic!("unexpected {other:?}"),
    }
}

async fn expect(events: &mut WatchStream, lines: &[&str]) -> Option<WatchSummary> {
    let mut summary = None;
    for want in lines {
        let ev = next(events).await;
        assert_eq!(line(&ev), *want);
        if let WatchEvent::Done(s) = ev {
            summary = Some(s);
        }
    }
    summary
}

#[tokio::test]
async fn messages_drive_the_polls_whatever_their_order_or_number() {
    let server = Server::start(vec![]).await;
    server.set_fallback(tree(0, None));
    let koji = connect(&server).await;
    let (bus, events) = Bus::new();
    let mut watch = koji
        .watch_tasks([43])
        .poll_interval(HOUR)
        .reconcile_interval(HOUR)
        .estimates(false)
        .bus(events)
        .stream();
    // the consumer is connected from the start: no catching up to do
    expect(&mut watch, &["driver Bus", "43 Free"]).await;

    // messages about other trees cost nothing; the new child's message
    // makes the watcher look
    server.set_fallback(tree(1, Some(0)));
    bus.send(task_message(900, None, None, "FREE"));
    bus.send(task_message(901, Some(900), None, "FREE"));
    bus.send(task_message(44, Some(43), None, "FREE"));
    expect(&mut watch, &["43 Free -> Open", "44 Free"]).await;

    // duplicates arriving together share one poll
    server.set_fallback(tree(1, Some(1)));
    for _ in 0..3 {
        bus.send(task_message(44, Some(43), Some("FREE"), "OPEN"));
    }
    expect(&mut watch, &["44 Free -> Open"]).await;

    // out of order: the parent's message before the child's; the child
    // failed, and its failure text is looked up
    server.push([
        tree(2, Some(5)),
        multicall(vec![Err((1005, "mock exited with status 1"))]),
    ]);
    server.set_fallback(tree(2, Some(5)));
    bus.send(task_message(43, None, Some("OPEN"), "CLOSED"));
    let summary = expect(
        &mut watch,
        &[
            "43 Open -> Closed",
            "44 Open -> Failed",
            "done success=true",
        ],
    )
    .await
    .unwrap();
    bus.send(task_message(44, Some(43), Some("OPEN"), "FAILED"));
    assert!(watch.next().await.is_none());

    assert_eq!(summary.roots[0].state, TaskState::Closed);
    assert_eq!(summary.unsuccessful.len(), 1);
    assert_eq!(summary.unsuccessful[0].id, 44);
    assert_eq!(
        summary.unsuccessful[0].failure.as_deref(),
        Some("BuildError: mock exited with status 1")
    );
    // the first poll, and one per batch of relevant messages
    assert_eq!(summary.polls, 4);
    assert_eq!(summary.woken_polls, 3);
    assert_eq!(summary.requests, 5);
    assert_eq!(server.received().len(), 5);
}

#[tokio::test]
async fn a_missed_message_is_caught_by_the_reconciling_poll() {
    let server = Server::start(vec![]).await;
    server.set_fallback(tree(1, Some(1)));
    let koji = connect(&server).await;
    let (bus, events) = Bus::new();
    let mut watch = koji
        .watch_tasks([43])
        .poll_interval(HOUR)
        .reconcile_interval(Duration::from_millis(5))
        .estimates(false)
        .bus(events)
        .stream();
    expect(&mut watch, &["driver Bus", "43 Open", "44 Open"]).await;
    // the tree closes and its messages are lost; a message about another
    // task does not help
    server.set_fallback(tree(2, Some(2)));
    bus.send(task_message(900, None, Some("OPEN"), "CLOSED"));
    let summary = expect(
        &mut watch,
        &[
            "43 Open -> Closed",
            "44 Open -> Closed",
            "done success=true",
        ],
    )
    .await
    .unwrap();
    assert_eq!(summary.woken_polls, 0);
    assert!(summary.unsuccessful.is_empty());
}

#[tokio::test]
async fn a_lost_or_failed_consumer_falls_back_to_polling_and_a_reconnect_returns_to_the_bus() {
    let server = Server::start(vec![]).await;
    server.set_fallback(tree(1, None));
    let koji = connect(&server).await;
    let (bus, events) = Bus::new();
    let mut watch = koji
        .watch_tasks([43])
        .poll_interval(Duration::from_millis(5))
        .reconcile_interval(HOUR)
        .estimates(false)
        .bus(events)
        .stream();
    expect(&mut watch, &["driver Bus", "43 Open"]).await;

    // the broker goes away: polling takes over and sees the new child
    // although no message says so
    bus.state
        .send(ConnectionState::Lost {
            error: "connection reset by peer".into(),
        })
        .unwrap();
    let WatchEvent::Driver(change) = next(&mut watch).await else {
        panic!("expected a driver change")
    };
    assert_eq!(change.driver, WatchDriver::Polling);
    assert!(
        change.reason.contains("connection reset by peer"),
        "{change:?}"
    );
    server.set_fallback(tree(1, Some(1)));
    expect(&mut watch, &["44 Open"]).await;

    // it comes back: the bus drives again, after one poll for what
    // happened while messages could not arrive
    bus.state.send(ConnectionState::Connected).unwrap();
    expect(&mut watch, &["driver Bus"]).await;
    server.set_fallback(tree(1, Some(2)));
    expect(&mut watch, &["44 Open -> Closed"]).await;

    // the consumer fails for good: polling to the end
    server.set_fallback(tree(5, Some(2)));
    server.push([tree(5, Some(2)), multicall(vec![Err((1005, "no space"))])]);
    bus.tx
        .send(Err(ConsumerError::new(
            FatalKind::AccessRefused,
            "stomp",
            "127.0.0.1:61613",
            "access refused",
        )))
        .unwrap();
    let WatchEvent::Driver(change) = next(&mut watch).await else {
        panic!("expected a driver change")
    };
    assert_eq!(change.driver, WatchDriver::Polling);
    assert!(change.reason.contains("access refused"), "{change:?}");
    let summary = expect(&mut watch, &["43 Open -> Failed", "done success=false"])
        .await
        .unwrap();
    assert_eq!(summary.woken_polls, 0);
    assert_eq!(summary.unsuccessful.len(), 1);
    assert_eq!(
        summary.unsuccessful[0].failure.as_deref(),
        Some("BuildError: no space")
    );
}
