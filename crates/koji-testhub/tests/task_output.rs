//! `listTaskOutput` answers byte for byte as the real hub answered koji
//! 1.36.1's `download-logs` and `download-task` (the exchanges in
//! `data/realhub/exchanges-download/`, copied from the write-traffic
//! recording), and the test hub's other file-tree methods' shapes.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;

use koji_testhub::TestHub;
use support::call;

#[tokio::test]
async fn list_task_output_answers_as_recorded() {
    let hub = TestHub::builder().start().await.unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/realhub/exchanges-download");
    let mut compared = 0;
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".request.xml"))
        .collect();
    names.sort();
    for name in names {
        let request = std::fs::read(dir.join(&name)).unwrap();
        let response = std::fs::read(dir.join(name.replace(".request.", ".response."))).unwrap();
        let got = call(hub.addr(), "/kojihub", &request, &[]).await;
        assert_eq!(got.status, 200, "{name}");
        assert_eq!(got.text(), String::from_utf8(response).unwrap(), "{name}");
        compared += 1;
    }
    assert_eq!(compared, 6);
}

#[tokio::test]
async fn other_file_tree_methods_answer_in_the_hubs_shapes() {
    let hub = TestHub::builder().start().await.unwrap();
    let body = |m: &str, params: &str| {
        format!(
            "<?xml version='1.0'?>\n<methodCall>\n<methodName>{m}</methodName>\n<params>\n{params}</params>\n</methodCall>\n"
        )
    };
    let int = |i: i64| format!("<param>\n<value><int>{i}</int></value>\n</param>\n");
    // Without all_volumes: the names of the DEFAULT volume.
    let r = call(
        hub.addr(),
        "/kojihub",
        body("listTaskOutput", &int(4)).as_bytes(),
        &[],
    )
    .await;
    let t = r.text();
    assert!(
        t.contains("<string>hello-1.3-1.fc40.x86_64.rpm</string>"),
        "{t}"
    );
    assert!(t.contains("<string>build-4.log</string>"), "{t}");
    // A task that wrote nothing, and an unknown one: empty.
    for id in [6, 99999] {
        let r = call(
            hub.addr(),
            "/kojihub",
            body("listTaskOutput", &int(id)).as_bytes(),
            &[],
        )
        .await;
        assert!(
            r.text().contains("<array><data>\n</data></array>"),
            "{}",
            r.text()
        );
    }
    // A build without stored logs has none; an unknown build is a fault.
    let r = call(
        hub.addr(),
        "/kojihub",
        body("getBuildLogs", &int(17)).as_bytes(),
        &[],
    )
    .await;
    assert!(
        r.text().contains("<array><data>\n</data></array>"),
        "{}",
        r.text()
    );
    let r = call(
        hub.addr(),
        "/kojihub",
        body("getBuildLogs", &int(99999)).as_bytes(),
        &[],
    )
    .await;
    assert!(r.text().contains("No such build: 99999"), "{}", r.text());
    // No signatures stored: none found.
    let r = call(
        hub.addr(),
        "/kojihub",
        body("queryRPMSigs", &int(1)).as_bytes(),
        &[],
    )
    .await;
    assert!(
        r.text().contains("<array><data>\n</data></array>"),
        "{}",
        r.text()
    );
}
