//! Generated data sets: served like the real one, at any size.
#![allow(clippy::unwrap_used)]

mod support;

use koji_testhub::{GenerateOptions, TestHub};
use koji_xmlrpc::{Struct, Value};
use support::rpc;

fn q(pairs: &[(&str, Value)]) -> Value {
    Value::Struct(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<Struct>(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_generated_data_set_is_served_consistently() {
    let hub = TestHub::builder()
        .generate(GenerateOptions {
            builds: 6000,
            tasks: 3000,
            packages: 0,
            seed: 3,
        })
        .record_requests(false)
        .start()
        .await
        .unwrap();
    let a = hub.addr();
    let n = rpc(
        a,
        "listBuilds",
        vec![],
        &[("queryOpts", q(&[("countOnly", true.into())]))],
    )
    .await
    .unwrap();
    assert_eq!(n, Value::Int(6000));
    let body = support::body("listBuilds", vec![], &[]);
    let r = support::call(a, "/kojihub", &body, &[]).await;
    assert!(r.body.len() > 5_000_000, "{} bytes", r.body.len());
    let all = koji_xmlrpc::decode_response::<Value>(&r.body)
        .unwrap()
        .unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 6000);
    // every build's task exists and points back to it
    let with_task = all
        .iter()
        .find(|b| b.get("task_id").and_then(Value::as_i64).is_some())
        .unwrap();
    let task_id = with_task.get("task_id").cloned().unwrap();
    let info = rpc(
        a,
        "getTaskInfo",
        vec![task_id.clone()],
        &[("request", true.into())],
    )
    .await
    .unwrap();
    assert_eq!(info.get("method"), Some(&Value::from("build")));
    let kids = rpc(a, "getTaskChildren", vec![task_id], &[]).await.unwrap();
    assert!(!kids.as_array().unwrap().is_empty());
    // ordering and paging
    let page = rpc(
        a,
        "listBuilds",
        vec![],
        &[(
            "queryOpts",
            q(&[("order", "-build_id".into()), ("limit", 3.into())]),
        )],
    )
    .await
    .unwrap();
    let ids: Vec<i64> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.get("build_id").and_then(Value::as_i64).unwrap())
        .collect();
    assert_eq!(ids, [6000, 5999, 5998]);
    let tasks = rpc(
        a,
        "listTasks",
        vec![],
        &[("queryOpts", q(&[("countOnly", true.into())]))],
    )
    .await
    .unwrap();
    assert_eq!(tasks, Value::Int(3000));
    let tagged = rpc(
        a,
        "listTagged",
        vec!["f40-candidate".into()],
        &[("latest", true.into())],
    )
    .await
    .unwrap();
    assert!(!tagged.as_array().unwrap().is_empty());
    hub.shutdown().await;
}
