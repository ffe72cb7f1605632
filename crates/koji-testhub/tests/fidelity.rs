//! The official Python client (koji 1.36.1 from the test venv) against the
//! test hub: for every recorded anonymous exchange it can replay, it must
//! get what the recorded real-hub answer decodes to. See
//! `tests/fidelity/replay.py` for how requests are sent and compared.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use koji_testhub::TestHub;

fn python() -> PathBuf {
    match std::env::var_os("KOJI_TEST_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_gets_the_real_hubs_answers() {
    let py = python();
    assert!(
        py.exists(),
        "the Python oracle {} is missing: run scripts/setup-venv (or set KOJI_TEST_PYTHON)",
        py.display()
    );
    let hub = TestHub::builder().start().await.unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fidelity/replay.py");
    let url = hub.url();
    let dir = support::exchanges();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(py)
            .arg(script)
            .arg(url)
            .arg(dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.is_empty(),
        "replay.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let compared = report["compared"].as_u64().unwrap();
    let through_client = report["through_client"].as_u64().unwrap();
    println!("compared {compared} exchanges ({through_client} through koji.ClientSession)");
    for e in report["excluded"].as_array().unwrap() {
        println!("excluded {}: {}", e["prefix"], e["reason"]);
    }
    let diffs = report["diffs"].as_array().unwrap();
    assert!(
        diffs.is_empty(),
        "{} differ:\n{}",
        diffs.len(),
        serde_json::to_string_pretty(diffs).unwrap()
    );
    assert!(out.status.success());
    assert!(compared >= 250, "only {compared} compared");
    assert!(
        through_client >= 200,
        "only {through_client} went through the client"
    );
    hub.shutdown().await;
}
