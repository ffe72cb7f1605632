//! A content-generator import through the library (`CgImport`: uploads,
//! then `CGImport`) against koji-testhub, and the build it made as the
//! hub then shows it (`getBuild`, `listArchives`, `listBuilds`).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Duration;

use koji_client::api::{CgBuild, CgBuildroot, CgImport};
use koji_client::{Connection, FaultKind};
use koji_testhub::TestHub;
use koji_xmlrpc::Value;

/// A scratch directory for the local output files, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("koji-cg-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, data).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn import(version: &str, scratch: &Scratch) -> CgImport {
    let build = CgBuild::new(
        "wp-container",
        version,
        "1",
        "git://git.example.org/containers/wp-container#abc",
        1_796_667_695.5,
        1_796_667_755.5,
    );
    let root = CgBuildroot::new(
        1,
        ("atomic-reactor", "4.8"),
        ("Fedora 40", "x86_64"),
        ("docker", "x86_64"),
    )
    .tool("podman", "5.0");
    let image = scratch.file("docker-image-t1.x86_64.tar.gz", b"image bytes, x86_64");
    let log = scratch.file("orchestrator.log", b"built fine\n");
    CgImport::new(build)
        .buildroot(root)
        .output_file(&image, 1, "x86_64", "docker-image")
        .unwrap()
        .output_file(&log, 1, "noarch", "log")
        .unwrap()
}

async fn logged_in(hub: &koji_testhub::RunningHub, user: &str) -> Connection {
    let koji = Connection::builder(hub.url())
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    koji.login_password(user, "pw").await.unwrap();
    koji
}

fn get<'a>(v: &'a Value, k: &str) -> &'a Value {
    v.get(k).unwrap_or_else(|| panic!("no {k} in {v:?}"))
}

#[tokio::test]
async fn a_cg_import_uploads_imports_and_the_build_is_found() {
    let hub = TestHub::builder()
        .password("alice", "pw")
        .password("kojiadmin", "pw")
        .start()
        .await
        .unwrap();
    let koji = logged_in(&hub, "alice").await;
    let scratch = Scratch::new("import");
    let built = import("7.0", &scratch).send(&koji).await.unwrap();
    let id = built.id.unwrap();

    let b = koji.call("getBuild", (id,)).await.unwrap();
    assert_eq!(get(&b, "nvr"), &Value::from("wp-container-7.0-1"));
    assert_eq!(get(&b, "state"), &Value::Int(1), "COMPLETE");
    assert_eq!(get(&b, "owner_name"), &Value::from("alice"));
    assert_eq!(get(&b, "cg_name"), &Value::from("atomic-reactor"));
    assert_eq!(get(&b, "start_ts"), &Value::Double(1_796_667_695.5));
    assert_eq!(get(&b, "completion_ts"), &Value::Double(1_796_667_755.5));

    // the image is an archive of the build; the log is not
    let archives = koji.call("listArchives", (Value::Nil,)).await.unwrap();
    let mine: Vec<&Value> = archives
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a.get("build_id") == Some(&Value::Int(id)))
        .collect();
    assert_eq!(mine.len(), 1, "{archives:?}");
    let a = mine[0];
    assert_eq!(
        get(a, "filename"),
        &Value::from("docker-image-t1.x86_64.tar.gz")
    );
    assert_eq!(get(a, "size"), &Value::Int(19));
    assert_eq!(get(a, "btype"), &Value::from("image"));
    assert_eq!(get(a, "type_name"), &Value::from("tar"));
    let by_build = koji
        .call("listArchives", vec![Value::Int(id)])
        .await
        .unwrap();
    assert_eq!(by_build.as_array().unwrap().len(), 1);

    // listBuilds finds it by package and content generator
    let listed = koji
        .call(
            "listBuilds",
            vec![koji_xmlrpc::kwargs_struct(
                [
                    ("packageID".to_owned(), Value::from("wp-container")),
                    ("cgID".to_owned(), Value::from("atomic-reactor")),
                ]
                .into_iter()
                .collect(),
            )],
        )
        .await
        .unwrap();
    let nvrs: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| get(b, "nvr"))
        .collect();
    assert_eq!(nvrs, [&Value::from("wp-container-7.0-1")]);

    // the same NVR again: the hub's fault
    let e = import("7.0", &scratch).send(&koji).await.unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "Build already exists: wp-container-7.0-1 (id={id})"
        )),
        "{e}"
    );
    assert_eq!(e.fault_kind(), Some(FaultKind::GenericError));
    hub.shutdown().await;
}

#[tokio::test]
async fn a_reserved_build_is_imported_with_its_token() {
    let hub = TestHub::builder()
        .password("alice", "pw")
        .start()
        .await
        .unwrap();
    let koji = logged_in(&hub, "alice").await;
    let mut data = koji_xmlrpc::Struct::new();
    for (k, v) in [
        ("name", "wp-container"),
        ("version", "8.0"),
        ("release", "1"),
    ] {
        data.insert(k.into(), v.into());
    }
    let r = koji
        .call("CGInitBuild", ("atomic-reactor", Value::Struct(data)))
        .await
        .unwrap();
    let id = get(&r, "build_id").as_i64().unwrap();
    let token = get(&r, "token").as_str().unwrap().to_owned();
    let b = koji.call("getBuild", (id,)).await.unwrap();
    assert_eq!(get(&b, "state"), &Value::Int(0), "BUILDING while reserved");

    let scratch = Scratch::new("reserved");
    let wrong = import("8.0", &scratch)
        .reserved(id, "not-the-token")
        .send(&koji)
        .await
        .unwrap_err();
    assert!(
        wrong
            .to_string()
            .contains(&format!("Token doesn't match build ID {id}")),
        "{wrong}"
    );
    let built = import("8.0", &scratch)
        .reserved(id, token)
        .send(&koji)
        .await
        .unwrap();
    assert_eq!(built.id, Some(id));
    let b = koji.call("getBuild", (id,)).await.unwrap();
    assert_eq!(get(&b, "state"), &Value::Int(1));
    hub.shutdown().await;
}

#[tokio::test]
async fn a_cg_import_without_access_is_refused() {
    let hub = TestHub::builder()
        .password("alice", "pw")
        .start()
        .await
        .unwrap();
    let koji = logged_in(&hub, "alice").await;
    let scratch = Scratch::new("noaccess");
    let build = CgBuild::new("wp-container", "9.0", "1", "git://x#1", 1.0, 2.0);
    let root = CgBuildroot::new(
        1,
        ("realhub-cg", "1"),
        ("Fedora 40", "x86_64"),
        ("docker", "x86_64"),
    );
    let image = scratch.file("docker-image-t2.x86_64.tar.gz", b"x");
    let e = CgImport::new(build)
        .buildroot(root)
        .output_file(&image, 1, "x86_64", "docker-image")
        .unwrap()
        .send(&koji)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("Content generator access required (realhub-cg)"),
        "{e}"
    );
    assert_eq!(e.fault_kind(), Some(FaultKind::AuthError));
    hub.shutdown().await;
}

#[tokio::test]
async fn uploaded_metadata_json_is_read_and_sizes_are_checked() {
    let hub = TestHub::builder()
        .password("alice", "pw")
        .start()
        .await
        .unwrap();
    let koji = logged_in(&hub, "alice").await;
    let scratch = Scratch::new("metafile");
    let dir = "cg-test/metafile";
    let image = scratch.file("docker-image-t3.x86_64.tar.gz", b"twelve bytes");
    koji.upload(&image, dir).send().await.unwrap();
    // a wrong size, given by hand: the hub's fault, before any build
    let build = CgBuild::new("wp-container", "10.0", "1", "git://x#1", 1.0, 2.0);
    let root = CgBuildroot::new(
        1,
        ("atomic-reactor", "4.8"),
        ("Fedora 40", "x86_64"),
        ("docker", "x86_64"),
    );
    let md5 = "0123456789abcdef0123456789abcdef";
    let wrong = CgImport::new(build.clone()).buildroot(root.clone()).output(
        koji_client::api::CgOutput::new(
            "docker-image-t3.x86_64.tar.gz",
            13,
            md5,
            1,
            "x86_64",
            "docker-image",
        ),
    );
    let e = wrong.import_from(&koji, dir).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("File size mismatch for docker-image-t3.x86_64.tar.gz: 13 != 12"),
        "{e}"
    );
    assert!(
        koji.call("getBuild", ("wp-container-10.0-1",))
            .await
            .unwrap()
            .is_nil()
    );
    // the metadata as an uploaded metadata.json (the default name)
    let good = CgImport::new(build)
        .buildroot(root)
        .output_file(&image, 1, "x86_64", "docker-image")
        .unwrap();
    let meta = scratch.file(
        "metadata.json",
        serde_json::to_string(&good).unwrap().as_bytes(),
    );
    koji.upload(&meta, dir).send().await.unwrap();
    let b = koji.call("CGImport", (Value::Nil, dir)).await.unwrap();
    assert_eq!(get(&b, "nvr"), &Value::from("wp-container-10.0-1"));
    assert_eq!(get(&b, "state"), &Value::Int(1));
    // a name that is not uploaded
    let e = koji
        .call("CGImport", ("other.json", dir))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("No such file: other.json"), "{e}");
    hub.shutdown().await;
}
