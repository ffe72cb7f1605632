//! Multicall against the recorded real-hub exchanges (byte-exact requests,
//! real answers) and against koji-testhub (chunking, limits, faults per
//! call, failed chunks, strict mode, progress, lanes, typed bulk loads).
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use koji_client::multicall::Progress;
use koji_client::{
    Build, BuildRef, Connection, ConnectionBuilder, FaultKind, Package, Tag, Task, User, Value,
};
use koji_testhub::{Action as HubAction, FaultRule, RunningHub, TestHub};
use support::{Action, Exchange, Server};

const MS: Duration = Duration::from_millis(1);

fn quick(url: &str) -> ConnectionBuilder {
    Connection::builder(url)
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .retry_interval(10 * MS)
        .offline_retry_interval(10 * MS)
        .deadline(Duration::from_secs(60))
}

async fn hub() -> RunningHub {
    TestHub::builder().start().await.unwrap()
}

fn kwargs(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Exchange 246: nine calls of different methods mixing a success, koji
/// faults with the hub's `traceback` member, a stored task fault without
/// one, a Python exception (fault 1), a write refused, and an echo with nil.
#[tokio::test]
async fn recorded_mixed_multicall_is_sent_byte_for_byte_and_read_call_by_call() {
    let ex = Exchange::load("246-system.multicall-mixed");
    let server = Server::start(vec![Action::Respond(ex.response_bytes())]).await;
    let koji = quick(&server.url()).build().unwrap();

    let mut m = koji.multicall();
    let build = m.call::<Option<Build>>("getBuild", ("hello-1.2-1.fc40",));
    let strict_miss = m.call_with::<Option<Build>>(
        "getBuild",
        ("no-such-build-1.0-1",),
        kwargs(&[("strict", Value::Bool(true))]),
    );
    let task_result = m.call::<Value>("getTaskResult", (10,));
    let exception = m.call::<Value>("fault", ());
    let no_method = m.call::<Value>("noSuchMethod", ());
    let bad_type = m.call::<Option<Task>>("getTaskInfo", ("abc",));
    let api = m.call::<i64>("getAPIVersion", ());
    let create = m.call::<Value>("createTag", ("x",));
    let echo = m.call::<(i64, String, Option<i64>)>("echo", (1, "two", ()));
    let summary = m.send().await.unwrap();
    assert_eq!((summary.calls, summary.chunks), (9, 1));
    assert_eq!((summary.failed_calls, summary.failed_chunks), (6, 0));

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        String::from_utf8_lossy(&received[0].body),
        String::from_utf8_lossy(&ex.request_body)
    );

    // The success decodes as the recorded single call getBuild('hello-1.2-1.fc40') does.
    let single = Exchange::load("034-getBuild-nvr");
    let single: Option<Build> = koji_xmlrpc::decode_response(&single.response_body)
        .unwrap()
        .unwrap();
    let build = build.result().unwrap().unwrap();
    assert_eq!(Some(&build), single.as_ref());
    assert_eq!(build.nvr.as_deref(), Some("hello-1.2-1.fc40"));

    let e = strict_miss.result().unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::GenericError));
    assert_eq!(
        e.fault_string(),
        Some("No such build: 'no-such-build-1.0-1'")
    );
    assert_eq!(e.method(), Some("getBuild"));
    let tb = e.hub_traceback().unwrap();
    assert!(tb[0].starts_with("Traceback"), "{tb:?}");
    assert!(tb.iter().any(|l| l.contains("No such build")), "{tb:?}");

    // A stored task fault comes without a traceback.
    let e = task_result.result().unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::BuildError));
    assert!(e.hub_traceback().is_none());
    assert!(
        e.fault_string()
            .unwrap()
            .starts_with("error: Bad exit status")
    );

    let e = exception.result().unwrap_err();
    assert_eq!(
        (e.fault_kind(), e.fault_string()),
        (Some(FaultKind::HubException), Some("test exception"))
    );
    let e = no_method.result().unwrap_err();
    assert_eq!(e.fault_string(), Some("Invalid method: noSuchMethod"));
    let e = bad_type.result().unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::ParameterError));
    assert_eq!(api.result().unwrap(), 1);
    let e = create.result().unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::ActionNotAllowed));
    assert_eq!(echo.result().unwrap(), (1, "two".to_owned(), None));
}

/// Exchange 249: 1000 calls of four methods in one request.
#[tokio::test]
async fn recorded_thousand_call_multicall_in_order() {
    let ex = Exchange::load("249-system.multicall-1000");
    let server = Server::start(vec![Action::Respond(ex.response_bytes())]).await;
    let koji = quick(&server.url()).build().unwrap();
    let mut m = koji.multicall().max_calls(1000);
    for k in 0..1000_i64 {
        match k % 4 {
            0 => m.push("getAPIVersion", ()),
            1 => m.push("echo", (k,)),
            2 => m.push("hello", ()),
            _ => m.push("getLastEvent", ()),
        };
    }
    let results = m.send_values().await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&server.received()[0].body),
        String::from_utf8_lossy(&ex.request_body)
    );
    assert_eq!(results.len(), 1000);
    for (k, r) in results.into_iter().enumerate() {
        let v = r.unwrap();
        match k % 4 {
            0 => assert_eq!(v, Value::Int(1)),
            1 => assert_eq!(v, Value::Array(vec![Value::Int(k as i64)])),
            2 => assert_eq!(v, Value::from("Hello World")),
            _ => assert_eq!(v.get("id"), Some(&Value::Int(130))),
        }
    }
}

/// Exchange 367: the hub refusing the multicall as a whole (RetryError for
/// a reused call number) fails every call of it with that fault.
#[tokio::test]
async fn a_fault_of_the_whole_multicall_is_every_calls_error() {
    let ex = Exchange::load("367-cn-multicall-repeat");
    let server = Server::start(vec![Action::Respond(ex.response_bytes())]).await;
    let koji = quick(&server.url()).build().unwrap();
    let mut m = koji.multicall();
    let a = m.call::<i64>("getAPIVersion", ());
    let summary = m.send().await.unwrap();
    assert_eq!((summary.failed_calls, summary.failed_chunks), (1, 1));
    let e = a.result().unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::RetryError), "{e}");
    assert_eq!(e.method(), Some("system.multicall"));
}

#[tokio::test]
async fn results_match_the_single_typed_calls() {
    let hub = hub().await;
    let koji = quick(&hub.url()).build().unwrap();
    let mut m = koji.multicall();
    let b3 = m.call::<Option<Build>>("getBuild", (3,));
    let nvr = m.get_build("libfoo-2.4-1.fc40");
    let nil = m.get_build("no-such-build-1.0-1");
    let strict = m.call_with::<Option<Build>>(
        "getBuild",
        ("no-such-build-1.0-1",),
        kwargs(&[("strict", Value::Bool(true))]),
    );
    let task = m.get_task_info(2);
    let task_plain = m.call::<Option<Task>>("getTaskInfo", (7,));
    let user = m.get_user("alice");
    let tag = m.get_tag("f40-build");
    let package = m.get_package("hello");
    let unknown_kwarg =
        m.call_with::<Value>("getBuild", (3,), kwargs(&[("bogus", Value::Bool(true))]));
    let version = m.call::<String>("getKojiVersion", ());
    m.send().await.unwrap();

    assert_eq!(
        b3.result().unwrap(),
        koji.call_as::<Option<Build>>("getBuild", (3,))
            .await
            .unwrap()
    );
    assert_eq!(
        nvr.result().unwrap(),
        koji.call_as::<Option<Build>>("getBuild", ("libfoo-2.4-1.fc40",))
            .await
            .unwrap()
    );
    assert_eq!(nil.result().unwrap(), None);
    let single = koji
        .call_with(
            "getBuild",
            ("no-such-build-1.0-1",),
            kwargs(&[("strict", true.into())]),
        )
        .await
        .unwrap_err();
    let multi = strict.result().unwrap_err();
    assert_eq!(multi.fault_kind(), single.fault_kind());
    assert_eq!(multi.fault_code(), single.fault_code());
    assert_eq!(multi.fault_string(), single.fault_string());
    assert_eq!(multi.method(), single.method());
    assert!(multi.hub_traceback().is_some());

    let single_task: Option<Task> = koji
        .request("getTaskInfo")
        .arg(2)
        .kwarg("request", true)
        .typed()
        .await
        .unwrap();
    let task = task.result().unwrap();
    assert_eq!(task, single_task);
    assert!(task.unwrap().request.is_some());
    let task_plain = task_plain.result().unwrap().unwrap();
    assert!(task_plain.request.is_none());
    assert_eq!(
        Some(task_plain),
        koji.call_as::<Option<Task>>("getTaskInfo", (7,))
            .await
            .unwrap()
    );
    assert_eq!(
        user.result().unwrap(),
        koji.call_as::<Option<User>>("getUser", ("alice",))
            .await
            .unwrap()
    );
    assert_eq!(
        tag.result().unwrap(),
        koji.call_as::<Option<Tag>>("getTag", ("f40-build",))
            .await
            .unwrap()
    );
    assert_eq!(
        package.result().unwrap(),
        koji.call_as::<Option<Package>>("getPackage", ("hello",))
            .await
            .unwrap()
    );
    let e = unknown_kwarg.result().unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::ParameterError));
    assert_eq!(version.result().unwrap(), "1.35.3");
}

#[tokio::test]
async fn a_fault_in_call_k_affects_only_handle_k() {
    let hub = hub().await;
    let koji = quick(&hub.url()).build().unwrap();
    for k in [0, 1, 7, 19] {
        let mut m = koji.multicall().max_calls(8);
        let handles: Vec<_> = (0..20)
            .map(|i| {
                if i == k {
                    m.call_with::<Option<Build>>(
                        "getBuild",
                        ("no-such-build-1.0-1",),
                        kwargs(&[("strict", true.into())]),
                    )
                } else {
                    m.call::<Option<Build>>("getBuild", (3,))
                }
            })
            .collect();
        let summary = m.send().await.unwrap();
        assert_eq!((summary.chunks, summary.failed_calls), (3, 1));
        for (i, h) in handles.into_iter().enumerate() {
            match h.result() {
                Ok(b) => {
                    assert_ne!(i, k);
                    assert_eq!(b.unwrap().build_id, Some(3));
                }
                Err(e) => {
                    assert_eq!(i, k, "{e}");
                    assert_eq!(e.fault_kind(), Some(FaultKind::GenericError));
                }
            }
        }
    }
}

#[tokio::test]
async fn a_result_that_does_not_fit_its_type_fails_alone() {
    let hub = hub().await;
    let koji = quick(&hub.url()).build().unwrap();
    let mut m = koji.multicall();
    let before = m.call::<i64>("getAPIVersion", ());
    let wrong = m.call::<i64>("getKojiVersion", ());
    let after = m.call::<i64>("getAPIVersion", ());
    m.send().await.unwrap();
    assert_eq!(before.result().unwrap(), 1);
    assert_eq!(after.result().unwrap(), 1);
    let e = wrong.result().unwrap_err();
    assert!(e.is_decode() && !e.is_fault(), "{e}");
    assert_eq!(e.method(), Some("getKojiVersion"));
}

#[tokio::test]
async fn strict_fails_the_send_with_the_first_failed_call() {
    let hub = hub().await;
    let koji = quick(&hub.url()).build().unwrap();
    let mut m = koji.multicall().strict(true).max_calls(2);
    let ok = m.call::<i64>("getAPIVersion", ());
    let _ok2 = m.call::<i64>("getAPIVersion", ());
    let first = m.call::<Value>("noSuchMethod", ());
    let later = m.call::<Value>("getTaskResult", (10,));
    let last = m.call::<String>("hello", ());
    let e = m.send().await.unwrap_err();
    assert_eq!(e.fault_string(), Some("Invalid method: noSuchMethod"));
    assert_eq!(e.method(), Some("noSuchMethod"));
    // Every chunk was sent and every handle holds its own result.
    assert_eq!(hub.request_count(), 3);
    assert_eq!(ok.result().unwrap(), 1);
    assert!(first.result().unwrap_err().is_fault());
    assert_eq!(
        later.result().unwrap_err().fault_kind(),
        Some(FaultKind::BuildError)
    );
    assert_eq!(last.result().unwrap(), "Hello World");

    // Without failures strict mode succeeds.
    let mut m = koji.multicall().strict(true);
    let a = m.call::<i64>("getAPIVersion", ());
    m.send().await.unwrap();
    assert_eq!(a.result().unwrap(), 1);
}

#[tokio::test]
async fn ten_thousand_calls_are_split_within_both_limits() {
    const LIMIT: usize = 64 * 1024;
    const MAX_CALLS: usize = 100;
    let hub = TestHub::builder()
        .max_request_length(LIMIT)
        .record_requests(true)
        .start()
        .await
        .unwrap();
    let koji = quick(&hub.url()).build().unwrap();
    let progress: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let seen = progress.clone();
    let mut m = koji
        .multicall()
        .max_calls(MAX_CALLS)
        .max_request_size(LIMIT)
        .on_progress(move |p| seen.lock().unwrap().push(p));
    // Runs of small calls (the call count binds) and of big ones (the size
    // binds), and a few faults.
    let pad = |i: usize| {
        "x".repeat(if (i / 1000).is_multiple_of(2) {
            5
        } else {
            1200
        })
    };
    let handles: Vec<_> = (0..10_000)
        .map(|i| {
            if i % 997 == 0 {
                m.call::<(i64, String)>("noSuchMethod", ())
            } else {
                m.call::<(i64, String)>("echo", (i, pad(i)))
            }
        })
        .collect();
    assert_eq!(m.len(), 10_000);
    let summary = m.send().await.unwrap();

    assert_eq!(summary.calls, 10_000);
    assert_eq!(summary.failed_chunks, 0);
    assert_eq!(
        summary.failed_calls,
        (0..10_000).filter(|i| i % 997 == 0).count()
    );
    // Small calls: 100 per chunk; big ones: far fewer per 64 KiB.
    assert!(summary.chunks > 10_000 / MAX_CALLS + 20, "{summary:?}");
    assert_eq!(hub.request_count(), summary.chunks as u64);
    assert!(
        hub.max_request_size() <= LIMIT,
        "{}",
        hub.max_request_size()
    );
    assert!(
        hub.max_request_size() > LIMIT - 2 * 1300,
        "size limit never reached"
    );
    for r in hub.requests() {
        assert_eq!(r.status, 200);
        assert!(r.body_len <= LIMIT);
        assert_eq!(r.method.as_deref(), Some("system.multicall"));
    }
    for (i, h) in handles.into_iter().enumerate() {
        match h.result() {
            Ok((n, p)) => assert_eq!((n, p), (i as i64, pad(i))),
            Err(e) => {
                assert_eq!(i % 997, 0, "{i}: {e}");
                assert_eq!(e.fault_string(), Some("Invalid method: noSuchMethod"));
            }
        }
    }

    let progress = progress.lock().unwrap();
    assert_eq!(progress.len(), summary.chunks + 1);
    assert_eq!(progress[0].calls_done, 0);
    let last = progress.last().unwrap();
    assert_eq!(
        (
            last.calls_done,
            last.calls_total,
            last.chunks_done,
            last.chunks_total
        ),
        (10_000, 10_000, summary.chunks, summary.chunks)
    );
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].calls_done < w[1].calls_done && w[1].chunks_done == w[0].chunks_done + 1)
    );
}

#[tokio::test]
async fn a_call_too_big_for_any_request_fails_alone_and_is_never_sent() {
    const LIMIT: usize = 16 * 1024;
    let hub = TestHub::builder()
        .max_request_length(LIMIT)
        .start()
        .await
        .unwrap();
    let koji = quick(&hub.url()).build().unwrap();
    let mut m = koji.multicall().max_request_size(LIMIT);
    let small = m.call::<Vec<String>>("echo", ("a",));
    let huge = m.call::<Vec<String>>("echo", ("x".repeat(LIMIT),));
    let small2 = m.call::<Vec<String>>("echo", ("b",));
    let summary = m.send().await.unwrap();
    assert_eq!((summary.chunks, summary.failed_calls), (2, 1));
    assert_eq!(small.result().unwrap(), ["a"]);
    assert_eq!(small2.result().unwrap(), ["b"]);
    let e = huge.result().unwrap_err();
    assert!(e.is_encode(), "{e}");
    assert!(e.to_string().contains("too big"), "{e}");
    assert!(hub.max_request_size() < 1024);
}

#[tokio::test]
async fn a_dropped_connection_fails_only_that_chunks_calls() {
    let hub = hub().await;
    // Chunks go one at a time here, so the third request is chunk 2 and the
    // fourth its immediate resend (koji resends a dropped connection once).
    hub.add_fault(
        FaultRule::method("system.multicall", HubAction::DropBeforeResponse)
            .after(2)
            .times(2),
    );
    let koji = quick(&hub.url()).build().unwrap();
    let mut m = koji.multicall().max_calls(10).concurrency(1);
    let handles: Vec<_> = (0..50).map(|i| m.call::<Vec<i64>>("echo", (i,))).collect();
    let summary = m.send().await.unwrap();
    assert_eq!((summary.chunks, summary.failed_chunks), (5, 1));
    assert_eq!(summary.failed_calls, 10);
    for (i, h) in handles.into_iter().enumerate() {
        match h.result() {
            Ok(v) => {
                assert!(!(20..30).contains(&i), "{i}");
                assert_eq!(v, [i as i64]);
            }
            Err(e) => {
                assert!((20..30).contains(&i), "{i}: {e}");
                assert!(e.is_disconnected(), "{e}");
                assert_eq!(e.attempts(), 2, "{e}");
                assert_eq!(e.method(), Some("system.multicall"));
            }
        }
    }
    assert_eq!(hub.request_count(), 6);
}

#[tokio::test]
async fn failed_chunks_follow_the_retry_rules() {
    // One drop: resent at once, nothing fails.
    let hub = hub().await;
    hub.add_fault(
        FaultRule::method("system.multicall", HubAction::DropBeforeResponse)
            .after(1)
            .times(1),
    );
    let koji = quick(&hub.url()).build().unwrap();
    let mut m = koji.multicall().max_calls(5);
    let handles: Vec<_> = (0..20).map(|i| m.call::<Vec<i64>>("echo", (i,))).collect();
    let summary = m.send().await.unwrap();
    assert_eq!((summary.failed_chunks, summary.failed_calls), (0, 0));
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.result().unwrap(), [i as i64]);
    }

    // A 502 is retried only with anon_retry; concurrent chunks keep going.
    let hub = hub_with(FaultRule::method("system.multicall", HubAction::BadGateway).times(1)).await;
    let koji = quick(&hub.url()).build().unwrap();
    let mut m = koji.multicall().max_calls(5);
    let handles: Vec<_> = (0..20).map(|i| m.call::<Vec<i64>>("echo", (i,))).collect();
    let summary = m.send().await.unwrap();
    assert_eq!((summary.failed_chunks, summary.failed_calls), (1, 5));
    let failed: Vec<_> = handles
        .into_iter()
        .enumerate()
        .filter_map(|(i, h)| h.result().err().map(|e| (i, e)))
        .collect();
    assert_eq!(failed.len(), 5);
    let first = failed[0].0;
    assert_eq!(first % 5, 0, "a whole chunk fails");
    for (n, (i, e)) in failed.iter().enumerate() {
        assert_eq!(*i, first + n);
        assert_eq!(e.status().map(|s| s.as_u16()), Some(502), "{e}");
    }

    let hub = hub_with(FaultRule::method("system.multicall", HubAction::BadGateway).times(1)).await;
    let koji = quick(&hub.url()).anon_retry(true).build().unwrap();
    let mut m = koji.multicall().max_calls(5);
    let handles: Vec<_> = (0..20).map(|i| m.call::<Vec<i64>>("echo", (i,))).collect();
    let summary = m.send().await.unwrap();
    assert_eq!(summary.failed_calls, 0);
    assert!(handles.into_iter().all(|h| h.result().is_ok()));

    // ServerOffline for the whole multicall, retried with offline_retry.
    let hub =
        hub_with(FaultRule::method("system.multicall", HubAction::ServerOffline(None)).times(2))
            .await;
    let koji = quick(&hub.url()).offline_retry(true).build().unwrap();
    let mut m = koji.multicall().concurrency(1);
    let a = m.call::<i64>("getAPIVersion", ());
    m.send().await.unwrap();
    assert_eq!(a.result().unwrap(), 1);
    assert_eq!(hub.request_count(), 3);
}

async fn hub_with(rule: FaultRule) -> RunningHub {
    TestHub::builder().fault(rule).start().await.unwrap()
}

#[tokio::test]
async fn logged_in_connections_send_chunks_one_at_a_time_in_order() {
    // A scripted server answers each chunk with the echo of its calls; a
    // logged-in connection must use one connection, in chunk order.
    let server = Server::start(Vec::new()).await;
    // A password login, answered with a session.
    let session = koji_xmlrpc::encode_response(&Value::Struct(koji_client::Struct::from_iter([
        ("session-id".to_owned(), Value::Int(1)),
        ("session-key".to_owned(), Value::String("1-key".into())),
        ("header-auth".to_owned(), Value::Bool(true)),
    ])))
    .unwrap();
    server.push([Action::Respond(support::xml_response(&session))]);
    for chunk in 0..4 {
        let values: Vec<Value> = (0..3)
            .map(|i| Value::Array(vec![Value::Int(chunk * 3 + i)]))
            .collect();
        let body = koji_xmlrpc::encode_response(&Value::Array(values)).unwrap();
        server.push([Action::Respond(support::xml_response(&body))]);
    }
    let koji = quick(&server.url()).build().unwrap();
    koji.login_password("alice", "alice-password")
        .await
        .unwrap();
    let mut m = koji.multicall().max_calls(3).concurrency(8);
    let handles: Vec<_> = (0..12).map(|i| m.call::<i64>("echo", (i,))).collect();
    m.send().await.unwrap();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.result().unwrap(), i as i64);
    }
    let received = server.received();
    assert_eq!(received.len(), 5, "the login and 4 chunks");
    assert_eq!(server.connections(), 1, "chunks were sent in parallel");
    for (n, r) in received[1..].iter().enumerate() {
        let call = koji_xmlrpc::decode_call(&r.body).unwrap();
        let first = &call.params[0].as_array().unwrap()[0];
        assert_eq!(
            first.get("params"),
            Some(&Value::Array(vec![Value::Int(n as i64 * 3)]))
        );
    }
}

#[tokio::test]
async fn logged_in_multicall_keeps_call_numbers_increasing() {
    let hub = TestHub::builder()
        .password("alice", "alice-password")
        .start()
        .await
        .unwrap();
    let koji = quick(&hub.url()).build().unwrap();
    koji.login_password("alice", "alice-password")
        .await
        .unwrap();
    let session = koji.session_id().unwrap();
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));

    let mut m = koji.multicall().max_calls(10).concurrency(8);
    let handles: Vec<_> = (0..50)
        .map(|i| {
            if i % 10 == 3 {
                m.call::<Option<User>>("getLoggedInUser", ())
            } else {
                m.get_user(i64::from(i % 5 + 1))
            }
        })
        .collect();
    let summary = m.send().await.unwrap();
    assert_eq!(summary.chunks, 5);
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));
    for (i, h) in handles.into_iter().enumerate() {
        let user = h.result().unwrap().unwrap();
        if i % 10 == 3 {
            // Each chunk ran in the session.
            assert_eq!(user.name.as_deref(), Some("alice"));
        } else {
            assert_eq!(user.id, Some((i % 5 + 1) as i64));
        }
    }

    let calls = hub.session_calls(session);
    let methods: Vec<&str> = calls.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "getAPIVersion",
            "system.multicall",
            "system.multicall",
            "system.multicall",
            "system.multicall",
            "system.multicall",
            "getAPIVersion"
        ]
    );
    let numbers: Vec<i64> = calls.iter().map(|c| c.callnum.unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    assert!(calls.iter().all(|c| c.fault_code.is_none()), "{calls:?}");
}

#[tokio::test]
async fn subsession_lanes_send_in_parallel_each_on_its_own_session() {
    let hub = TestHub::builder()
        .password("alice", "alice-password")
        .start()
        .await
        .unwrap();
    let koji = quick(&hub.url()).build().unwrap();
    koji.login_password("alice", "alice-password")
        .await
        .unwrap();
    let lanes = vec![
        koji.subsession().await.unwrap(),
        koji.subsession().await.unwrap(),
    ];
    let ids: Vec<i64> = lanes.iter().map(|l| l.session_id().unwrap()).collect();
    let mut m = koji.multicall().max_calls(4).lanes(lanes);
    let handles: Vec<_> = (0..40)
        .map(|_| m.call::<Option<User>>("getLoggedInUser", ()))
        .collect();
    assert_eq!(m.send().await.unwrap().chunks, 10);
    for h in handles {
        assert_eq!(h.result().unwrap().unwrap().name.as_deref(), Some("alice"));
    }
    let main_calls = hub.session_calls(koji.session_id().unwrap());
    assert!(
        main_calls.iter().all(|c| c.method == "subsession"),
        "{main_calls:?}"
    );
    let mut chunks = 0;
    for id in ids {
        let calls = hub.session_calls(id);
        assert!(!calls.is_empty(), "lane {id} sent nothing");
        assert!(calls.iter().all(|c| c.method == "system.multicall"));
        let numbers: Vec<i64> = calls.iter().map(|c| c.callnum.unwrap()).collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
        chunks += calls.len();
    }
    assert_eq!(chunks, 10);
}

#[tokio::test]
async fn lanes_share_the_chunks() {
    let a = hub().await;
    let b = hub().await;
    let koji = quick(&a.url()).build().unwrap();
    let lane_b = quick(&b.url()).build().unwrap();
    let mut m = koji.multicall().max_calls(10).lanes([koji.clone(), lane_b]);
    let handles: Vec<_> = (0..200).map(|i| m.call::<Vec<i64>>("echo", (i,))).collect();
    let summary = m.send().await.unwrap();
    assert_eq!(summary.chunks, 20);
    assert_eq!(a.request_count() + b.request_count(), 20);
    assert!(a.request_count() > 0 && b.request_count() > 0);
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.result().unwrap(), [i as i64]);
    }
}

#[tokio::test]
async fn bulk_loads_match_single_calls() {
    let hub = hub().await;
    let koji = quick(&hub.url()).build().unwrap();

    let builds = koji
        .load_builds([
            BuildRef::Id(3),
            "libfoo-2.4-1.fc40".into(),
            BuildRef::Id(9999),
            BuildRef::parts("hello", "1.2", "1.fc40"),
        ])
        .await
        .unwrap();
    assert_eq!(builds.len(), 4);
    assert!(builds[2].is_none());
    for (b, key) in builds.iter().zip([
        BuildRef::Id(3),
        "libfoo-2.4-1.fc40".into(),
        BuildRef::Id(9999),
        BuildRef::parts("hello", "1.2", "1.fc40"),
    ]) {
        assert_eq!(*b, koji.get_build(key).await.unwrap());
    }
    assert_eq!(builds[3].as_ref().unwrap().build_id, Some(3));

    let tasks = koji.load_tasks([2, 9999, 10]).await.unwrap();
    assert!(tasks[1].is_none());
    for (t, id) in tasks.iter().zip([2, 9999, 10]) {
        assert_eq!(*t, koji.get_task_info(id).await.unwrap());
    }
    assert!(tasks[0].as_ref().unwrap().request.is_some());

    let users = koji.load_users([1, 2, 9999]).await.unwrap();
    assert_eq!(users[1].as_ref().unwrap().name.as_deref(), Some("alice"));
    assert!(users[2].is_none());
    assert_eq!(
        users[0],
        koji.call_as::<Option<User>>("getUser", (1,)).await.unwrap()
    );

    let tags = koji.load_tags([4, 9999]).await.unwrap();
    assert_eq!(
        tags[0],
        koji.call_as::<Option<Tag>>("getTag", (4,)).await.unwrap()
    );
    assert!(tags[1].is_none());

    let packages = koji
        .load_packages(["hello", "no-such-package"])
        .await
        .unwrap();
    assert_eq!(packages[0].as_ref().unwrap().name.as_deref(), Some("hello"));
    assert!(packages[1].is_none());

    // A failed call fails the bulk load.
    let hub2 = hub_with(FaultRule::method("system.multicall", HubAction::BadGateway)).await;
    let koji2 = quick(&hub2.url()).build().unwrap();
    let e = koji2.load_builds([3]).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(502), "{e}");
}

#[tokio::test]
async fn send_values_returns_pushed_calls_in_order() {
    let hub = hub().await;
    let koji = quick(&hub.url()).build().unwrap();
    let mut m = koji.multicall().max_calls(2);
    assert_eq!(m.push("getAPIVersion", ()), 0);
    let typed = m.call::<String>("hello", ());
    assert_eq!(m.push("getBuild", ("no-such-build-1.0-1",)), 1);
    assert_eq!(
        m.push_with("getBuild", ("x",), kwargs(&[("strict", true.into())])),
        2
    );
    assert_eq!(m.push("echo", (1, "two", ())), 3);
    let values = m.send_values().await.unwrap();
    assert_eq!(values.len(), 4);
    assert_eq!(values[0].as_ref().unwrap(), &Value::Int(1));
    assert_eq!(values[1].as_ref().unwrap(), &Value::Nil);
    assert_eq!(
        values[2].as_ref().unwrap_err().fault_kind(),
        Some(FaultKind::GenericError)
    );
    assert_eq!(
        values[3].as_ref().unwrap(),
        &Value::Array(vec![Value::Int(1), "two".into(), Value::Nil])
    );
    assert_eq!(typed.result().unwrap(), "Hello World");
}

#[tokio::test]
async fn handles_resolve_when_awaited_and_fail_when_the_send_is_dropped() {
    let hub = hub().await;
    let koji = quick(&hub.url()).build().unwrap();
    let mut m = koji.multicall();
    let a = m.call::<i64>("getAPIVersion", ());
    let sending = tokio::spawn(m.send());
    assert_eq!(a.await.unwrap(), 1);
    sending.await.unwrap().unwrap();

    // A send that never finishes: its handles say the call was not answered.
    hub.add_fault(FaultRule::any(HubAction::Stall));
    let mut m = koji.multicall();
    let b = m.call::<i64>("getAPIVersion", ());
    let sending = tokio::spawn(m.send());
    tokio::task::yield_now().await;
    sending.abort();
    let _ = sending.await;
    assert!(b.await.unwrap_err().is_not_sent());
}

#[tokio::test]
async fn an_empty_multicall_sends_nothing() {
    let hub = hub().await;
    let koji = quick(&hub.url()).build().unwrap();
    let m = koji.multicall();
    assert!(m.is_empty());
    let summary = m.send().await.unwrap();
    assert_eq!((summary.calls, summary.chunks), (0, 0));
    assert_eq!(hub.request_count(), 0);
}
