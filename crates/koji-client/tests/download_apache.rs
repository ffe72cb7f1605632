//! Downloads from a real Apache httpd serving a Koji-shaped file tree
//! (`koji_testenv::apache::FileServer`), the builds described by
//! koji-testhub: the real hub's data set with one generated build added,
//! whose RPMs (`koji_testenv::rpmgen`) are well-formed and carry the SIGMD5
//! the hub gives as `payloadhash`.
//!
//! A whole `download-build` is fetched and verified; a file truncated on
//! the server and a file whose content was altered are caught and named,
//! nothing left under their names; a partial download is continued with a
//! `Range` request that Apache honours.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use koji_client::Connection;
use koji_client::download::plan::BuildOptions;
use koji_client::download::{DownloadError, Downloader, VerifyError, fetch};
use koji_testenv::apache::FileServer;
use koji_testenv::rpmgen::{RpmSpec, write_rpm};
use koji_testhub::{RunningHub, TestHub};
use serde_json::{Value, json};

const NVR: &str = "hello-9.0-1.test";
const BUILD_ID: i64 = 700001;

struct Tree {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    _apache: FileServer,
    topurl: String,
    hub: RunningHub,
    /// (name, arch, path below the root, bytes) of each RPM.
    rpms: Vec<(String, String, String)>,
}

fn edit(dir: &Path, file: &str, f: impl FnOnce(&mut serde_json::Map<String, Value>)) {
    let p = dir.join(file);
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    f(doc["data"].as_object_mut().unwrap());
    std::fs::write(&p, doc.to_string()).unwrap();
}

/// Generates the tree (RPMs of the build, one of 3 MiB), the data set
/// describing them, and starts Apache and the hub.
async fn tree() -> Tree {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kojifiles");
    let dataset = tmp.path().join("dataset");
    std::fs::create_dir_all(&dataset).unwrap();
    for (name, text) in koji_testhub::realhub::FILES {
        std::fs::write(dataset.join(name), text).unwrap();
    }
    let specs = [
        ("hello", "x86_64", 3 << 20),
        ("hello", "src", 20_000),
        ("hello-libs", "x86_64", 300_000),
        ("hello-doc", "noarch", 5_000),
        ("hello-libs", "aarch64", 290_000),
    ];
    let mut rows = Vec::new();
    let mut rpms = Vec::new();
    for (i, (name, arch, size)) in specs.iter().enumerate() {
        let rel = format!("packages/hello/9.0/1.test/{arch}/{name}-9.0-1.test.{arch}.rpm");
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let info = write_rpm(
            &path,
            &RpmSpec {
                name: (*name).into(),
                version: "9.0".into(),
                release: "1.test".into(),
                arch: (*arch).into(),
                epoch: None,
                payload_size: *size,
                seed: i as u64 + 1,
            },
        )
        .unwrap();
        rows.push(json!({
            "arch": arch, "build_id": BUILD_ID, "buildroot_id": 1, "buildtime": 1700000000,
            "draft": false, "epoch": null, "external_repo_id": 0,
            "external_repo_name": "INTERNAL", "extra": null, "id": 710001 + i as i64,
            "metadata_only": false, "name": name, "nvr": format!("{name}-9.0-1.test"),
            "payloadhash": info.payloadhash, "release": "1.test", "size": info.size,
            "version": "9.0",
        }));
        rpms.push((
            format!("{name}-9.0-1.test.{arch}.rpm"),
            (*arch).to_owned(),
            rel,
        ));
    }
    edit(&dataset, "builds.json", |data| {
        let mut b = data["1"].clone();
        b["id"] = BUILD_ID.into();
        b["build_id"] = BUILD_ID.into();
        b["version"] = "9.0".into();
        b["release"] = "1.test".into();
        b["nvr"] = NVR.into();
        b["task_id"] = Value::Null;
        data.insert(BUILD_ID.to_string(), b);
    });
    edit(&dataset, "build_rpms.json", |data| {
        data.insert(BUILD_ID.to_string(), Value::Array(rows));
    });
    edit(&dataset, "build_types.json", |data| {
        data.insert(BUILD_ID.to_string(), json!({"rpm": null}));
    });
    let state = tmp.path().join("apache");
    std::fs::create_dir_all(&state).unwrap();
    let apache = FileServer::start(&state, &root).unwrap();
    let topurl = apache.url();
    let hub = TestHub::builder()
        .dataset_dir(&dataset)
        .start()
        .await
        .unwrap();
    Tree {
        _tmp: tmp,
        root,
        _apache: apache,
        topurl,
        hub,
        rpms,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_downloads_from_apache_verified_and_faults_are_caught() {
    let t = tree().await;
    let koji = Connection::new(t.hub.url()).unwrap();
    let plan = fetch::build_plan(&koji, NVR, &BuildOptions::default())
        .await
        .unwrap();
    let mut names: Vec<String> = plan
        .plan
        .files
        .iter()
        .map(|f| f.dest.to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = t.rpms.iter().map(|r| r.0.clone()).collect();
    expected.sort();
    assert_eq!(names, expected);

    // The whole build, every file verified against the hub's data.
    let out = tempfile::tempdir().unwrap();
    let downloader = Downloader::new(&koji, &t.topurl).unwrap().parallel(3);
    let report = downloader.run(&plan.plan, out.path()).await;
    assert!(report.all_ok(), "{report:?}");
    for f in &report.files {
        let done = f.result.as_ref().unwrap();
        assert!(done.verified, "{}", f.dest.display());
        assert!(done.checksum.as_deref().unwrap().starts_with("sigmd5:"));
    }
    for (name, _, rel) in &t.rpms {
        assert_eq!(
            std::fs::read(out.path().join(name)).unwrap(),
            std::fs::read(t.root.join(rel)).unwrap(),
            "{name}"
        );
    }

    // Resume: a partial copy of the big RPM is continued from where it
    // stopped, with a Range request Apache honours.
    let (big, _, big_rel) = &t.rpms[0];
    let original = std::fs::read(t.root.join(big_rel)).unwrap();
    let out = tempfile::tempdir().unwrap();
    std::fs::write(
        out.path().join(format!(".{big}.part")),
        &original[..1_000_000],
    )
    .unwrap();
    let report = downloader.run(&plan.plan, out.path()).await;
    assert!(report.all_ok(), "{report:?}");
    let resumed = report.files.iter().find(|f| f.dest.ends_with(big)).unwrap();
    assert_eq!(resumed.result.as_ref().unwrap().resumed_from, 1_000_000);
    assert_eq!(std::fs::read(out.path().join(big)).unwrap(), original);

    // Faults on the server: one RPM truncated, another altered in its
    // payload (same size).
    let (short, _, short_rel) = &t.rpms[2];
    let (altered, _, altered_rel) = &t.rpms[3];
    let p = t.root.join(short_rel);
    let len = std::fs::metadata(&p).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(len - 1000)
        .unwrap();
    let p = t.root.join(altered_rel);
    let mut bytes = std::fs::read(&p).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    std::fs::write(&p, bytes).unwrap();

    let out = tempfile::tempdir().unwrap();
    let report = downloader.run(&plan.plan, out.path()).await;
    let mut failed: Vec<String> = Vec::new();
    for f in &report.files {
        let name = f.dest.file_name().unwrap().to_string_lossy().into_owned();
        match &f.result {
            Ok(_) => assert!(out.path().join(&name).exists()),
            Err(e) => {
                assert!(
                    e.to_string().contains(&name),
                    "the error names the file: {e}"
                );
                assert!(
                    !out.path().join(&name).exists(),
                    "{name} left under its name"
                );
                match (name == *short, e) {
                    (true, DownloadError::Verify { source, .. }) => {
                        assert!(matches!(source, VerifyError::Size { .. }), "{source}")
                    }
                    (false, DownloadError::Verify { source, .. }) => assert!(
                        matches!(
                            source,
                            VerifyError::RpmContent { .. } | VerifyError::PayloadHash { .. }
                        ),
                        "{source}"
                    ),
                    (_, other) => panic!("{name}: {other}"),
                }
                failed.push(name);
            }
        }
    }
    failed.sort();
    let mut want = vec![short.clone(), altered.clone()];
    want.sort();
    assert_eq!(failed, want);
    for e in std::fs::read_dir(out.path()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".part"), "left behind: {name}");
    }
}
