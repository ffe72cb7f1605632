//! The task watcher's polling driver against a scripted hub: one
//! `system.multicall` per poll for the whole tree, children found as they
//! appear, host names and failure texts looked up once, estimates for open
//! tasks, and a summary at the end.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use koji_client::watch::{WatchEvent, task_label};
use koji_client::{Connection, Task, TaskState};
use koji_xmlrpc::{Struct, Value};
use serde_json::json;
use support::{Action, Server, xml_response};

fn v(j: serde_json::Value) -> Value {
    json_to_value(&j)
}

fn json_to_value(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64().unwrap()),
        },
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(json_to_value).collect()),
        serde_json::Value::Object(o) => Value::Struct(
            o.iter()
                .map(|(k, x)| (k.clone(), json_to_value(x)))
                .collect::<Struct>(),
        ),
    }
}

const SRC: &str = "git+https://git.example.org/rpms/hello.git#0123abcd";

fn build_task(state: i64, host: Option<i64>) -> serde_json::Value {
    json!({"id": 43, "method": "build", "state": state, "host_id": host, "parent": null,
           "arch": "noarch", "channel_id": 1, "priority": 20,
           "create_time": "2026-12-07 18:00:00+00:00", "start_time": if state == 0 { serde_json::Value::Null } else { json!("2026-12-07 18:00:10+00:00") },
           "request": [SRC, "f40-candidate", {}]})
}

fn arch_task(state: i64, host: Option<i64>) -> serde_json::Value {
    json!({"id": 44, "method": "buildArch", "state": state, "host_id": host, "parent": 43,
           "arch": "x86_64", "channel_id": 1, "priority": 19,
           "create_time": "2026-12-07 18:00:20+00:00", "start_time": if state == 0 { serde_json::Value::Null } else { json!("2026-12-07 18:00:30+00:00") },
           "request": ["tasks/45/45/hello-1.0-1.fc40.src.rpm", 3, "x86_64", true, {}]})
}

/// A multicall answer: each item `[value]`, or a fault struct.
fn multicall(items: Vec<Result<serde_json::Value, (i64, &str)>>) -> Action {
    let arr = items
        .into_iter()
        .map(|i| match i {
            Ok(x) => Value::Array(vec![v(x)]),
            Err((code, s)) => v(json!({"faultCode": code, "faultString": s})),
        })
        .collect();
    Action::Respond(xml_response(
        &koji_xmlrpc::encode_response(&Value::Array(arr)).unwrap(),
    ))
}

fn poll(root: serde_json::Value, children: Vec<serde_json::Value>) -> Action {
    multicall(vec![Ok(root), Ok(json!({"43": children}))])
}

async fn connect(server: &Server) -> Connection {
    Connection::builder(server.url())
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .max_retries(0)
        .build()
        .unwrap()
}

fn calls_in(body: &[u8]) -> Vec<String> {
    let call = koji_xmlrpc::decode_call(body).unwrap();
    assert_eq!(call.method, "system.multicall");
    call.params[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.get("methodName").unwrap().as_str().unwrap().to_owned())
        .collect()
}

fn script() -> Vec<Action> {
    vec![
        // poll 1: the build is free; its package's average is looked up once
        poll(build_task(0, None), vec![]),
        multicall(vec![Ok(json!(600.0))]),
        // poll 2: open on builder1, with a free buildArch child
        poll(build_task(1, Some(1)), vec![arch_task(0, None)]),
        multicall(vec![Ok(json!({"id": 1, "name": "builder1"}))]),
        // poll 3: the child opens (known host: no lookup)
        poll(build_task(1, Some(1)), vec![arch_task(1, Some(1))]),
        // poll 3b: nothing changed
        poll(build_task(1, Some(1)), vec![arch_task(1, Some(1))]),
        // poll 4: both failed; their failure texts are fetched together
        poll(build_task(5, Some(1)), vec![arch_task(5, Some(1))]),
        multicall(vec![
            Err((
                1005,
                "error building package (arch x86_64), mock exited with status 1",
            )),
            Err((
                1005,
                "error building package (arch x86_64), mock exited with status 1",
            )),
        ]),
    ]
}

#[tokio::test]
async fn polling_follows_the_tree_in_one_request_per_poll() {
    let server = Server::start(script()).await;
    let koji = connect(&server).await;
    let events: Vec<WatchEvent> = koji
        .watch_tasks([43])
        .poll_interval(Duration::from_millis(1))
        .stream()
        .map(|e| e.unwrap())
        .collect()
        .await;

    let lines: Vec<String> = events
        .iter()
        .map(|e| match e {
            WatchEvent::Seen(t) => {
                format!("{}{} {}: {:?}", "  ".repeat(t.depth), t.id, t.label, t.new)
            }
            WatchEvent::Changed(t) => format!(
                "{}{} {}: {:?} -> {:?} {}",
                "  ".repeat(t.depth),
                t.id,
                t.label,
                t.old.clone().unwrap(),
                t.new,
                t.host.clone().unwrap_or_default()
            ),
            WatchEvent::Done(s) => format!(
                "done success={} polls={} requests={}",
                s.success(),
                s.polls,
                s.requests
            ),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        lines,
        [
            "43 build (f40-candidate, /rpms/hello.git:0123abcd): Free",
            "43 build (f40-candidate, /rpms/hello.git:0123abcd): Free -> Open builder1",
            "  44 buildArch (hello-1.0-1.fc40.src.rpm, x86_64): Free",
            "  44 buildArch (hello-1.0-1.fc40.src.rpm, x86_64): Free -> Open builder1",
            "43 build (f40-candidate, /rpms/hello.git:0123abcd): Open -> Failed builder1",
            "  44 buildArch (hello-1.0-1.fc40.src.rpm, x86_64): Open -> Failed builder1",
            "done success=false polls=5 requests=8",
        ]
    );

    // the open child carries our estimate: its start + the package's average
    let WatchEvent::Changed(open) = &events[3] else {
        panic!()
    };
    assert_eq!(open.eta.unwrap().to_string(), "2026-12-07T18:10:30Z");
    // failures carry koji's text
    let WatchEvent::Changed(failed) = &events[5] else {
        panic!()
    };
    assert_eq!(
        failed.failure.as_deref(),
        Some("BuildError: error building package (arch x86_64), mock exited with status 1")
    );
    let WatchEvent::Done(summary) = events.last().unwrap() else {
        panic!()
    };
    assert_eq!(summary.roots.len(), 1);
    assert_eq!(summary.roots[0].state, TaskState::Failed);
    assert_eq!(
        summary
            .unsuccessful
            .iter()
            .map(|t| t.id)
            .collect::<Vec<_>>(),
        [43, 44]
    );

    // every poll is one multicall with two calls for the whole tree
    let got = server.received();
    assert_eq!(got.len(), 8);
    for i in [0, 2, 4, 5, 6] {
        assert_eq!(
            calls_in(&got[i].body),
            ["getTaskInfo", "getTaskDescendents"],
            "request {i}"
        );
    }
    assert_eq!(calls_in(&got[1].body), ["getAverageBuildDuration"]);
    assert_eq!(calls_in(&got[3].body), ["getHost"]);
    assert_eq!(calls_in(&got[7].body), ["getTaskResult", "getTaskResult"]);
}

#[tokio::test]
async fn an_unknown_task_ends_the_watch_with_an_error() {
    let server = Server::start(vec![multicall(vec![Ok(json!(null)), Ok(json!({}))])]).await;
    let koji = connect(&server).await;
    let mut s = koji.watch_tasks([999]).stream();
    let e = s.next().await.unwrap().unwrap_err();
    assert!(e.to_string().contains("No such task id: 999"), "{e}");
    assert!(s.next().await.is_none());
}

#[tokio::test]
async fn a_closed_tree_succeeds() {
    let server = Server::start(vec![
        poll(build_task(2, Some(1)), vec![arch_task(2, Some(1))]),
        multicall(vec![Ok(json!({"id": 1, "name": "builder1"}))]),
    ])
    .await;
    let koji = connect(&server).await;
    let summary = koji.watch_tasks([43]).wait().await.unwrap();
    assert!(summary.success());
    assert!(summary.unsuccessful.is_empty());
}

/// With a wake stream the watcher polls when told, not on the (here very
/// long) reconcile interval; when the stream ends it falls back to polling.
#[tokio::test]
async fn wake_ups_drive_the_polls_and_their_end_falls_back_to_polling() {
    let script = vec![
        poll(build_task(1, Some(1)), vec![]),
        multicall(vec![
            Ok(json!({"id": 1, "name": "builder1"})),
            Ok(json!(600.0)),
        ]),
        poll(build_task(2, Some(1)), vec![]),
    ];
    let server = Server::start(script.clone()).await;
    let koji = connect(&server).await;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<i64>();
    let wake = tokio_stream_from(rx);
    let mut events = koji
        .watch_tasks([43])
        .poll_interval(Duration::from_secs(3600))
        .reconcile_interval(Duration::from_secs(3600))
        .wake_on(wake)
        .stream();
    // the first poll
    assert!(matches!(
        events.next().await.unwrap().unwrap(),
        WatchEvent::Seen(_)
    ));
    tx.send(43).unwrap();
    let summary = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let WatchEvent::Done(s) = events.next().await.unwrap().unwrap() {
                break s;
            }
        }
    })
    .await
    .expect("the wake-up made the watcher poll");
    assert!(summary.success());
    assert_eq!(summary.woken_polls, 1);
    drop(tx);

    // the wake stream is gone from the start: plain polling at poll_interval
    let server = Server::start(script).await;
    let koji = connect(&server).await;
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        koji.watch_tasks([43])
            .poll_interval(Duration::from_millis(1))
            .reconcile_interval(Duration::from_secs(3600))
            .wake_on(futures_util::stream::empty())
            .wait(),
    )
    .await
    .expect("polling took over")
    .unwrap();
    assert!(summary.success());
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<i64>,
) -> impl futures_util::Stream<Item = i64> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[test]
fn labels_follow_koji() {
    let t: Task = serde_json::from_value(arch_task(1, Some(1))).unwrap();
    assert_eq!(
        task_label(&t),
        "buildArch (hello-1.0-1.fc40.src.rpm, x86_64)"
    );
    let t: Task =
        serde_json::from_value(json!({"id": 5, "method": "tagBuild", "request": [1, 2]})).unwrap();
    assert_eq!(task_label(&t), "tagBuild");
}

/// A 20-task tree (a root and 19 buildArch children) in one request per
/// poll: the figure BENCHMARKS.md compares with koji's watch-task (one
/// getTaskInfo per open task and one getTaskChildren per task, per poll).
#[tokio::test]
async fn twenty_tasks_one_request_per_poll() {
    let children = |state: i64| -> Vec<serde_json::Value> {
        (0..19)
            .map(|i| {
                let mut t = arch_task(state, Some(1));
                t["id"] = json!(100 + i);
                t
            })
            .collect()
    };
    let server = Server::start(vec![
        poll(build_task(1, Some(1)), children(1)),
        multicall(vec![
            Ok(json!({"id": 1, "name": "builder1"})),
            Ok(json!(600.0)),
        ]),
        poll(build_task(1, Some(1)), children(1)),
        poll(build_task(1, Some(1)), children(2)),
        poll(build_task(2, Some(1)), children(2)),
    ])
    .await;
    let koji = connect(&server).await;
    let summary = koji
        .watch_tasks([43])
        .poll_interval(Duration::from_millis(1))
        .wait()
        .await
        .unwrap();
    assert!(summary.success());
    assert_eq!(summary.polls, 4);
    // four polls, one lookup of the host and the package average
    assert_eq!(summary.requests, 5);
    assert_eq!(server.received().len(), 5);
}

/// `build(...).send()` then `wait`: the task tree to its end, then the build.
#[tokio::test]
async fn a_submitted_build_waits_for_its_tree_and_finds_its_build() {
    let server = Server::start(vec![
        Action::Respond(xml_response(&koji_xmlrpc::encode_response(&Value::Int(43)).unwrap())),
        poll(build_task(2, Some(1)), vec![arch_task(2, Some(1))]),
        multicall(vec![Ok(json!({"id": 1, "name": "builder1"}))]),
        Action::Respond(xml_response(
            &koji_xmlrpc::encode_response(&v(json!([{"build_id": 7, "id": 7, "nvr": "hello-1.0-1.fc40", "state": 1, "task_id": 43}])))
                .unwrap(),
        )),
    ])
    .await;
    let koji = connect(&server).await;
    let submitted = koji
        .build(SRC, "f40-candidate")
        .check_target(false)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.task_id, 43);
    let done = submitted
        .wait(&koji, Duration::from_millis(1))
        .await
        .unwrap();
    assert!(done.summary.success());
    assert_eq!(done.build.unwrap().nvr.as_deref(), Some("hello-1.0-1.fc40"));
    let last = server.received().last().cloned().unwrap();
    let call = koji_xmlrpc::decode_call(&last.body).unwrap();
    assert_eq!(call.method, "listBuilds");
}
