//! Differential test of the download planner against koji 1.36's own
//! `download-build` (PyPI `koji` in the venv of `scripts/setup-venv`).
//!
//! koji-testhub serves the real hub's data set, with one debuginfo and
//! one debugsource RPM added to build 6 so that `--debuginfo` has
//! something to choose. For each build and flag combination,
//! `tests/oracle/koji_download_choice.py` runs koji's CLI handler with its
//! download function replaced by a recorder; our plan for the same
//! arguments (`download::fetch::build_plan`) must name the same URLs
//! (below topurl) and the same local paths, in the same order.
#![cfg(feature = "python-oracle")]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use koji_client::Connection;
use koji_client::download::fetch;
use koji_client::download::plan::{ArchiveChoice, BuildOptions};
use koji_testhub::TestHub;
use serde_json::Value;

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

/// The data set with build 6 given a debuginfo and a debugsource RPM.
fn dataset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in koji_testhub::realhub::FILES {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let p = dir.path().join("build_rpms.json");
    let mut rpms: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let list = rpms["data"]["6"].as_array_mut().unwrap();
    let base = list
        .iter()
        .find(|r| r["arch"] == "x86_64" && r["name"] == "libfoo")
        .unwrap()
        .clone();
    for (i, name) in ["libfoo-debuginfo", "libfoo-debugsource"]
        .iter()
        .enumerate()
    {
        let mut r = base.clone();
        r["name"] = (*name).into();
        r["id"] = (9000 + i as i64).into();
        list.push(r);
    }
    std::fs::write(&p, serde_json::to_string(&rpms).unwrap()).unwrap();
    dir
}

fn koji_choice(hub: &str, args: &[String]) -> Result<Vec<(String, String)>, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/koji_download_choice.py");
    let out = Command::new(python())
        .arg(script)
        .arg(hub)
        .arg(TOPURL)
        .args(args)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["url"].as_str().unwrap().to_owned(),
                v["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_build_chooses_the_files_koji_chooses() {
    let data = dataset();
    let hub = TestHub::builder()
        .dataset_dir(data.path())
        .start()
        .await
        .unwrap();
    let url = hub.url();
    let koji = Connection::new(url.clone()).unwrap();
    let mut compared = 0;
    for build in [
        "hello-1.3-1.fc40",
        "1",
        "python-fizzbuzz-1.0-1.fc40",
        "6",
        "7",
        "8",
    ] {
        for flags in [
            &[][..],
            &["--arch", "x86_64"][..],
            &["--arch", "src", "--arch", "noarch"][..],
            &["--arch", "aarch64", "--arch", "x86_64"][..],
            &["--debuginfo"][..],
            &["--debuginfo", "--arch", "x86_64"][..],
            &["--type", "image"][..],
        ] {
            let mut args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
            args.push(build.to_owned());
            let arches: Vec<String> = flags
                .windows(2)
                .filter(|w| w[0] == "--arch")
                .map(|w| w[1].to_owned())
                .collect();
            let opts = BuildOptions {
                arches,
                debuginfo: flags.contains(&"--debuginfo"),
                key: None,
                archives: if flags.contains(&"--type") {
                    ArchiveChoice::Type("image".into())
                } else {
                    ArchiveChoice::Rpms
                },
            };
            let args_for_koji = args.clone();
            let hub_url = url.clone();
            let theirs = tokio::task::spawn_blocking(move || koji_choice(&hub_url, &args_for_koji))
                .await
                .unwrap();
            let ours = fetch::build_plan(&koji, build, &opts).await;
            match (theirs, ours) {
                (Ok(theirs), Ok(ours)) => {
                    let ours: Vec<(String, String)> = ours
                        .plan
                        .files
                        .iter()
                        .map(|f| (f.source.clone(), f.dest.to_string_lossy().into_owned()))
                        .collect();
                    assert_eq!(ours, theirs, "download-build {args:?}");
                    if !ours.is_empty() {
                        compared += 1;
                    }
                }
                // koji refuses (no packages / no archives of that type):
                // so must we.
                (Err(_), Err(_)) => {}
                (theirs, ours) => panic!(
                    "download-build {args:?}: koji {:?}, ours {:?}",
                    theirs,
                    ours.map(|p| p.plan.files.len())
                ),
            }
        }
    }
    assert!(compared >= 20, "only {compared} non-empty choices compared");
}
