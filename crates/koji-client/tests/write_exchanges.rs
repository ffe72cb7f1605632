//! The write calls against the real hub's recorded exchanges
//! (`tests/fixtures/exchanges-write/`, copied from the realhub recordings):
//! each typed method sends the call koji's own client sent, and reads the
//! recorded answer (or fault, with its `FaultKind`).
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use koji_client::api::{CgBuild, CgBuildroot, CgImport, CgOutput, SubmitError};
use koji_client::{Connection, FaultKind};
use support::{Action, Server};

struct Recorded {
    request: Vec<u8>,
    response: Vec<u8>,
}

fn recorded(prefix: &str) -> Recorded {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exchanges-write");
    let read = |suffix: &str| {
        let p = dir.join(format!("{prefix}.{suffix}"));
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let mut response = read("response-headers.txt");
    response.extend(read("response.xml"));
    Recorded {
        request: read("request.xml"),
        response,
    }
}

async fn setup() -> (Server, Connection) {
    let server = Server::start(Vec::new()).await;
    let koji = Connection::builder(server.url())
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .max_retries(0)
        .build()
        .unwrap();
    (server, koji)
}

/// Serves the recordings in order; after the call, checks that each request
/// carried koji's method and arguments.
async fn replay<T>(prefixes: &[&str], run: impl AsyncFnOnce(Connection) -> T) -> T {
    let (server, koji) = setup().await;
    let recs: Vec<Recorded> = prefixes.iter().map(|p| recorded(p)).collect();
    server.push(recs.iter().map(|r| Action::Respond(r.response.clone())));
    let out = run(koji).await;
    let got = server.received();
    assert_eq!(got.len(), recs.len(), "{prefixes:?}: requests sent");
    for ((rec, req), prefix) in recs.iter().zip(&got).zip(prefixes) {
        let ours = koji_xmlrpc::decode_call(&req.body).unwrap();
        let theirs = koji_xmlrpc::decode_call(&rec.request).unwrap();
        assert_eq!(ours.method, theirs.method, "{prefix}: method");
        assert_eq!(
            ours.params, theirs.params,
            "{prefix}: arguments differ from koji's"
        );
    }
    out
}

const SCM: &str =
    "git+https://git.example.org/rpms/hello.git#0123456789abcdef0123456789abcdef01234567";

#[tokio::test]
async fn build_from_scm_sends_kojis_options() {
    let t = replay(&["435-cli-build-scm-3-build"], async |k| {
        k.build(SCM, "f40-candidate")
            .check_target(false)
            .send()
            .await
            .unwrap()
    })
    .await;
    assert_eq!(t.task_id, 33);
    assert_eq!(t.source, SCM);
    let t = replay(&["436-build-scratch"], async |k| {
        k.build(SCM, "f40-candidate")
            .check_target(false)
            .scratch(true)
            .send()
            .await
            .unwrap()
    })
    .await;
    assert_eq!(t.task_id, 34);
    let t = replay(&["437-build-arch-override"], async |k| {
        k.build(SCM, "f40-candidate")
            .check_target(false)
            .scratch(true)
            .arch_override(["x86_64,aarch64"])
            .send()
            .await
            .unwrap()
    })
    .await;
    assert_eq!(t.task_id, 35);
    let t = replay(&["438-build-background"], async |k| {
        k.build(SCM, "f40-candidate")
            .check_target(false)
            .background()
            .send()
            .await
            .unwrap()
    })
    .await;
    assert_eq!(t.task_id, 36);
}

#[tokio::test]
async fn build_checks_the_target_first_like_the_cli() {
    let t = replay(
        &[
            "433-cli-build-scm-1-getBuildTarget",
            "434-cli-build-scm-2-getTag",
            "435-cli-build-scm-3-build",
        ],
        async |k| k.build(SCM, "f40-candidate").send().await,
    )
    .await;
    assert_eq!(t.unwrap().task_id, 33);
}

#[tokio::test]
async fn build_to_a_missing_target_stops_before_build() {
    let e = replay(&["440-cli-build-no-such-target"], async |k| {
        k.build(SCM, "no-such-target").send().await
    })
    .await
    .unwrap_err();
    assert!(
        matches!(e, SubmitError::NoSuchTarget(ref t) if t == "no-such-target"),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "no such build target: no-such-target");
}

#[tokio::test]
async fn anonymous_build_is_action_not_allowed() {
    // 443 was a bare API call (opts `{}`); the answer is what matters here.
    let (server, koji) = setup().await;
    server.push([Action::Respond(recorded("443-build-anonymous").response)]);
    let e = koji
        .build(SCM, "f40-candidate")
        .check_target(false)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::ActionNotAllowed), "{e}");
    assert!(e.to_string().contains("you must be logged in"), "{e}");
}

#[tokio::test]
async fn build_options_koji_refuses_are_refused_before_sending() {
    let (server, koji) = setup().await;
    let e = koji
        .build(SCM, "t")
        .arch_override(["x86_64"])
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, SubmitError::InvalidOptions(_)), "{e:?}");
    let e = koji
        .build("/no/such/file.src.rpm", "t")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, SubmitError::Upload(_)), "{e:?}");
    assert!(e.to_string().contains("/no/such/file.src.rpm"), "{e}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn tag_untag_move_and_bypass() {
    let task = replay(&["446-tagBuild"], async |k| {
        k.tag_build("f40-candidate", "hello-1.1-1.fc40")
            .await
            .unwrap()
    })
    .await;
    assert_eq!(task, 39);
    // already tagged: the hub still makes a task
    let task = replay(&["447-tagBuild-already-tagged"], async |k| {
        k.tag_build("f40", "hello-1.0-1.fc40").await.unwrap()
    })
    .await;
    assert_eq!(task, 40);
    let e = replay(&["448-tagBuild-locked-tag"], async |k| {
        k.tag_build("f39", "hello-1.1-1.fc40").await
    })
    .await
    .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::ActionNotAllowed));
    assert_eq!(e.fault_string(), Some("tag is locked"));
    let e = replay(&["450-tagBuild-no-such-build"], async |k| {
        k.tag_build("f40-candidate", "nosuch-1-1").await
    })
    .await
    .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::GenericError));

    replay(&["451-untagBuild"], async |k| {
        k.untag_build("f40", "hello-1.0-1.fc40", true, false)
            .await
            .unwrap()
    })
    .await;
    let e = replay(&["452-untagBuild-not-tagged"], async |k| {
        k.untag_build("f40", "hello-1.0-1.fc40", true, false).await
    })
    .await
    .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::TagError), "{e}");

    let e = replay(&["455-moveBuild"], async |k| {
        k.move_build(
            "f40-updates",
            "f40-updates-testing",
            "hello-1.2-1.fc40",
            false,
        )
        .await
    })
    .await
    .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::ActionNotAllowed));

    replay(&["457-tagBuildBypass"], async |k| {
        k.tag_build_bypass("f40-updates", "hello-1.3-1.fc40", false, false)
            .await
            .unwrap()
    })
    .await;
    let e = replay(&["458-tagBuildBypass-again"], async |k| {
        k.tag_build_bypass("f40-updates", "hello-1.3-1.fc40", false, false)
            .await
    })
    .await
    .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::TagError), "{e}");
    replay(&["459-tagBuildBypass-locked-force"], async |k| {
        k.tag_build_bypass("f39", "hello-1.3-1.fc40", true, false)
            .await
            .unwrap()
    })
    .await;
}

#[tokio::test]
async fn task_and_build_control() {
    replay(&["462-cancelTask"], async |k| {
        k.cancel_task(34).await.unwrap()
    })
    .await;
    let e = replay(&["464-cancelTask-not-owner"], async |k| {
        k.cancel_task(35).await
    })
    .await
    .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::ActionNotAllowed));
    let e = replay(&["466-cancelTask-no-such"], async |k| {
        k.cancel_task(99999).await
    })
    .await
    .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::GenericError));
    let e = replay(&["467-cancelTaskFull-alice"], async |k| {
        k.cancel_task_full(35).await
    })
    .await
    .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::ActionNotAllowed));
    let new = replay(&["469-resubmitTask"], async |k| {
        k.resubmit_task(34).await.unwrap()
    })
    .await;
    assert_eq!(new, 42);
    let e = replay(&["470-resubmitTask-not-owner"], async |k| {
        k.resubmit_task(35).await
    })
    .await
    .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::GenericError));
    replay(
        &["474-setTaskPriority-admin-1-setTaskPriority"],
        async |k| k.set_task_priority(36, 10, true).await.unwrap(),
    )
    .await;
    assert!(
        replay(&["480-cancelBuild"], async |k| k
            .cancel_build(26)
            .await
            .unwrap())
        .await
    );
    assert!(
        !replay(&["482-cancelBuild-complete"], async |k| k
            .cancel_build(3)
            .await
            .unwrap())
        .await
    );
    let id = replay(&["512-createEmptyBuild"], async |k| {
        k.create_empty_build("wpempty", "1.0", "1.fc40", None)
            .await
            .unwrap()
    })
    .await;
    assert_eq!(id, 32);
    let e = replay(&["513-createEmptyBuild-alice"], async |k| {
        k.create_empty_build("wpempty", "1.1", "1.fc40", None).await
    })
    .await
    .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::ActionNotAllowed));
}

fn json(v: serde_json::Value) -> BTreeMap<String, serde_json::Value> {
    serde_json::from_value(v).unwrap()
}

fn wp_import(version: &str, start: f64, with_log: bool) -> CgImport {
    let mut build = CgBuild::new(
        "wp-container",
        version,
        "1",
        "git://git.example.org/containers/wp-container#abc",
        start,
        start + 60.0,
    );
    build.extra = json(serde_json::json!({"image": {"autorebuild": false}}));
    let root = CgBuildroot::new(
        1,
        ("atomic-reactor", "4.8"),
        ("Fedora 40", "x86_64"),
        ("docker", "x86_64"),
    )
    .tool("podman", "5.0");
    let image = |arch: &str, size: u64, md5: &str| {
        CgOutput::new(format!("docker-image-wp0001.{arch}.tar.gz"), size, md5, 1, arch, "docker-image").extra(json(
            serde_json::json!({"docker": {"id": format!("sha256:{md5}{md5}")}, "image": {"arch": arch}}),
        ))
    };
    let mut imp = CgImport::new(build)
        .buildroot(root)
        .output(image("x86_64", 145, "dcbe11089ef92d24ab18f454bc900d55"))
        .output(image("aarch64", 144, "640d8c97c41f80fe8e13b82ae46fca9d"));
    if with_log {
        imp = imp.output(CgOutput::new(
            "orchestrator.log",
            13,
            "5d3cc5d657890d1bf9b98107250c09d4",
            1,
            "noarch",
            "log",
        ));
    }
    imp
}

#[tokio::test]
async fn cg_import_metadata_is_what_the_hub_got() {
    let build = replay(&["490-CGImport"], async |k| {
        wp_import("1.0", 1796667695.8702376, true)
            .import_from(&k, "cg-import/wp-1796667754882")
            .await
            .unwrap()
    })
    .await;
    assert_eq!(build.id, Some(27));
    let build = replay(&["504-CGImport-with-token-5-CGImport"], async |k| {
        wp_import("2.0", 1796667698.362298, false)
            .reserved(
                29,
                "90ff73b1ef7ebe5ea4f94195779ed7aa0d995ca05821e48fed0d3e3861d5f9be",
            )
            .import_from(&k, "cg-import/wp-1796667754882-2")
            .await
            .unwrap()
    })
    .await;
    assert_eq!(build.id, Some(29));
    let e = replay(&["492-CGImport-no-cg-access"], async |k| {
        let raw = recorded("492-CGImport-no-cg-access");
        let call = koji_xmlrpc::decode_call(&raw.request).unwrap();
        k.call("CGImport", call.params).await
    })
    .await
    .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::AuthError));
}
