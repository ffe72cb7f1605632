//! Differential test of the task and log download planners against koji
//! 1.36's own `download-task` and `download-logs` (PyPI `koji` in the venv
//! of `scripts/setup-venv`).
//!
//! koji-testhub serves the real hub's data set, whose `listTaskOutput`
//! answers are the recorded ones of the build task tree 2 (tasks 2-6), with
//! build logs added to the complete build of that task (`getBuildLogs`,
//! which the recording lacks). For each command and arguments,
//! `tests/oracle/koji_task_choice.py` runs koji's CLI handler with nothing
//! fetched; our plan (`download::fetch::task_plan` / `logs_plan`) must name
//! the same files below topurl and the same local paths (download-logs: below
//! `kojilogs/`, where both write by default).
#![cfg(feature = "python-oracle")]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use koji_client::Connection;
use koji_client::download::fetch;
use koji_client::download::plan::TaskOptions;
use koji_testhub::TestHub;
use serde_json::{Value, json};

const TOPURL: &str = "http://files.invalid/kojifiles";

fn python() -> PathBuf {
    let python = std::env::var_os("KOJI_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"));
    assert!(
        python.exists(),
        "the koji oracle interpreter {} is missing: run scripts/setup-venv",
        python.display()
    );
    python
}

/// The data set with logs for build 17 (hello-1.3-1.fc40, from task 2).
fn dataset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in koji_testhub::realhub::FILES {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let logs = |arch: &str, names: &[&str]| -> Vec<Value> {
        names
            .iter()
            .map(|n| {
                json!({
                    "name": n,
                    "dir": arch,
                    "path": format!("packages/hello/1.3/1.fc40/data/logs/{arch}/{n}"),
                })
            })
            .collect()
    };
    let mut rows = logs("x86_64", &["build.log", "root.log", "state.log"]);
    rows.extend(logs("noarch", &["build.log", "hw_info.log"]));
    rows.extend(logs("aarch64", &["build.log", "mock_output.txt"]));
    let doc = json!({"_about": "getBuildLogs rows per build id", "data": {"17": rows}});
    std::fs::write(dir.path().join("build_logs.json"), doc.to_string()).unwrap();
    dir
}

fn koji_choice(hub: &str, args: &[&str]) -> Result<Vec<(String, String)>, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/koji_task_choice.py");
    let cwd = tempfile::tempdir().unwrap();
    let out = Command::new(python())
        .arg(script)
        .arg(hub)
        .arg(TOPURL)
        .args(args)
        .current_dir(cwd.path())
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let mut files: Vec<(String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["url"].as_str().unwrap().to_owned(),
                v["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    files.sort();
    Ok(files)
}

fn ours(plan: &koji_client::download::Plan, under: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = plan
        .files
        .iter()
        .map(|f| {
            (
                f.source.clone(),
                Path::new(under)
                    .join(&f.dest)
                    .to_string_lossy()
                    .into_owned(),
            )
        })
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_task_and_logs_choose_the_files_koji_chooses() {
    let data = dataset();
    let hub = TestHub::builder()
        .dataset_dir(data.path())
        .start()
        .await
        .unwrap();
    let url = hub.url();
    let koji = Connection::new(url.clone()).unwrap();
    let mut compared = 0;

    for task in ["2", "4", "3", "5"] {
        for flags in [
            &[][..],
            &["--arch", "x86_64"][..],
            &["--arch", "src", "--arch", "aarch64"][..],
            &["--arch", "aarch64,x86_64"][..],
            &["--logs"][..],
            &["--logs", "--arch", "noarch"][..],
        ] {
            let mut args = vec!["download-task"];
            args.extend_from_slice(flags);
            args.push(task);
            let opts = TaskOptions {
                arches: flags
                    .windows(2)
                    .filter(|w| w[0] == "--arch")
                    .map(|w| w[1].to_owned())
                    .collect(),
                logs: flags.contains(&"--logs"),
            };
            let hub_url = url.clone();
            let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            let theirs = tokio::task::spawn_blocking(move || {
                let a: Vec<&str> = a.iter().map(String::as_str).collect();
                koji_choice(&hub_url, &a)
            })
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("koji {args:?}: {e}"));
            let plan = fetch::task_plan(&koji, task.parse().unwrap(), &opts)
                .await
                .unwrap();
            assert_eq!(ours(&plan, ""), theirs, "{args:?}");
            if !theirs.is_empty() {
                compared += 1;
            }
        }
    }

    for (what, koji_args) in [
        ("2", &["-r", "2"][..]),
        ("4", &["-r", "4"][..]),
        ("5", &["-r", "5"][..]),
        ("6", &["-r", "6"][..]),
        ("hello-1.3-1.fc40", &["--nvr", "hello-1.3-1.fc40"][..]),
    ] {
        let mut args = vec!["download-logs"];
        args.extend_from_slice(koji_args);
        let hub_url = url.clone();
        let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let theirs = tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            koji_choice(&hub_url, &a)
        })
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("koji {args:?}: {e}"));
        let plan = fetch::logs_plan(&koji, what).await.unwrap();
        assert_eq!(ours(&plan, "kojilogs"), theirs, "{args:?}");
        if !theirs.is_empty() {
            compared += 1;
        }
    }
    assert!(compared >= 15, "only {compared} non-empty choices compared");
}
