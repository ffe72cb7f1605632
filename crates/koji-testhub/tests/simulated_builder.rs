//! The simulated builder, stepped by the test (`builder_step` zero): task
//! trees from `build`, `tagBuild` and `resubmitTask` run through their
//! states with the recorded trees' children, builds appear and are tagged,
//! cancel stops them, and every change is published in protonmsg's form.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;

use koji_testhub::{Prop, RunningHub, TestHub};
use koji_xmlrpc::{Fault, Struct, Value};
use support::{rpc, rpc_at};

const SCM: &str = "git+https://git.example.org/rpms/hello.git#0123456789abcdef";

struct User {
    addr: SocketAddr,
    id: String,
    key: String,
}

impl User {
    async fn login(hub: &RunningHub, name: &str) -> User {
        let s = rpc(
            hub.addr(),
            "login",
            vec![name.into(), "pw".into()],
            &[("opts", Value::Nil)],
        )
        .await
        .unwrap();
        User {
            addr: hub.addr(),
            id: s
                .get("session-id")
                .and_then(Value::as_i64)
                .unwrap()
                .to_string(),
            key: s
                .get("session-key")
                .and_then(Value::as_str)
                .unwrap()
                .to_owned(),
        }
    }

    async fn call(&self, method: &str, args: Vec<Value>) -> Result<Value, Fault> {
        let h = [
            ("Koji-Session-Id", self.id.as_str()),
            ("Koji-Session-Key", self.key.as_str()),
        ];
        rpc_at(self.addr, "/kojihub", &h, method, args, &[]).await
    }
}

async fn hub(b: koji_testhub::TestHubBuilder) -> RunningHub {
    b.password("alice", "pw")
        .password("bob", "pw")
        .password("kojiadmin", "pw")
        .start()
        .await
        .unwrap()
}

fn opts(pairs: &[(&str, Value)]) -> Value {
    let mut s = Struct::new();
    for (k, v) in pairs {
        s.insert((*k).to_owned(), v.clone());
    }
    Value::Struct(s)
}

async fn info(hub: &RunningHub, id: i64) -> Value {
    rpc(hub.addr(), "getTaskInfo", vec![Value::Int(id)], &[])
        .await
        .unwrap()
}

fn int(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap()
}

fn string<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap()
}

async fn children(hub: &RunningHub, id: i64) -> Vec<Value> {
    match rpc(hub.addr(), "getTaskChildren", vec![Value::Int(id)], &[])
        .await
        .unwrap()
    {
        Value::Array(v) => v,
        other => panic!("{other:?}"),
    }
}

fn prop<'a>(p: &'a [(String, Prop)], k: &str) -> &'a Prop {
    &p.iter().find(|(n, _)| n == k).unwrap().1
}

#[tokio::test]
async fn an_scm_build_runs_free_open_closed_with_the_recorded_children() {
    let hub = hub(TestHub::builder()).await;
    let alice = User::login(&hub, "alice").await;
    let root = alice
        .call("build", vec![SCM.into(), "f40-candidate".into(), opts(&[])])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    // submitted: FREE, no host, no children
    let t = info(&hub, root).await;
    assert_eq!(int(&t, "state"), 0);
    assert_eq!(t.get("host_id"), Some(&Value::Nil));
    assert_eq!(string(&t, "method"), "build");
    assert!(children(&hub, root).await.is_empty());
    // step 1: the root opens on a host, the SRPM task appears
    assert!(hub.step_builder());
    let t = info(&hub, root).await;
    assert_eq!(int(&t, "state"), 1);
    assert!(t.get("host_id").and_then(Value::as_i64).is_some());
    let kids = children(&hub, root).await;
    assert_eq!(kids.len(), 1);
    assert_eq!(string(&kids[0], "method"), "buildSRPMFromSCM");
    assert_eq!(string(&kids[0], "label"), "srpm");
    assert_eq!(int(&kids[0], "state"), 0);
    // to the end
    assert!(hub.run_builder() > 3);
    assert!(hub.builder_idle());
    assert!(!hub.step_builder());
    let t = info(&hub, root).await;
    assert_eq!(int(&t, "state"), 2, "{t:?}");
    let kids = children(&hub, root).await;
    let shape: Vec<(String, String)> = kids
        .iter()
        .map(|k| (string(k, "method").to_owned(), string(k, "arch").to_owned()))
        .collect();
    assert_eq!(
        shape,
        [
            ("buildSRPMFromSCM", "noarch"),
            ("buildArch", "x86_64"),
            ("buildArch", "aarch64"),
            ("tagBuild", "noarch"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert!(kids.iter().all(|k| int(k, "state") == 2));
    // the aarch64 task ran on a host that builds aarch64
    let host = rpc(
        hub.addr(),
        "getHost",
        vec![kids[2].get("host_id").unwrap().clone()],
        &[],
    )
    .await
    .unwrap();
    assert!(string(&host, "arches").contains("aarch64"), "{host:?}");
    // the build exists, COMPLETE, from this task
    let published = hub.published();
    let building = published
        .iter()
        .find(|m| m.topic == "build.building")
        .unwrap();
    let nvr = format!(
        "hello-1.0-{}",
        match prop(&building.properties, "release") {
            Prop::Str(s) => s.clone(),
            other => panic!("{other:?}"),
        }
    );
    let b = rpc(hub.addr(), "getBuild", vec![nvr.as_str().into()], &[])
        .await
        .unwrap();
    assert_eq!(int(&b, "state"), 1);
    assert_eq!(int(&b, "task_id"), root);
    // the messages, in order, for the root task and the build
    let root_states: Vec<&str> = published
        .iter()
        .filter(|m| m.topic.starts_with("task.") && *prop(&m.properties, "id") == Prop::Int(root))
        .map(|m| m.topic.as_str())
        .collect();
    assert_eq!(root_states, ["task.free", "task.open", "task.closed"]);
    let topics: Vec<&str> = published
        .iter()
        .filter(|m| !m.topic.starts_with("task."))
        .map(|m| m.topic.as_str())
        .collect();
    assert_eq!(topics, ["build.building", "build.complete", "build.tag"]);
    assert!(
        published
            .iter()
            .all(|m| m.address == format!("/topic/koji.{}", m.topic))
    );
    let tag = published.iter().find(|m| m.topic == "build.tag").unwrap();
    assert_eq!(
        *prop(&tag.properties, "tag"),
        Prop::Str("f40-candidate".into())
    );
    assert_eq!(*prop(&tag.properties, "user"), Prop::Str("alice".into()));
    let body: serde_json::Value = serde_json::from_str(&building.body).unwrap();
    assert_eq!(body["new"], 0);
    assert_eq!(body["info"]["nvr"], nvr.as_str());
    hub.shutdown().await;
}

#[tokio::test]
async fn a_failing_package_fails_its_build_with_koji_s_text() {
    let hub = hub(TestHub::builder().fail_package("broken-pkg")).await;
    let alice = User::login(&hub, "alice").await;
    let src = "cli-build/1.2.abcdefgh/broken-pkg-0.5-1.fc40.src.rpm";
    let root = alice
        .call("build", vec![src.into(), "f40-candidate".into(), opts(&[])])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    hub.run_builder();
    let t = info(&hub, root).await;
    assert_eq!(int(&t, "state"), 5);
    let f = rpc(hub.addr(), "getTaskResult", vec![Value::Int(root)], &[])
        .await
        .unwrap_err();
    assert_eq!(f.code, 1005);
    assert!(f.string.contains("Bad exit status"), "{}", f.string);
    // an uploaded SRPM: no buildSRPMFromSCM child
    let kids = children(&hub, root).await;
    assert!(kids.iter().all(|k| string(k, "method") == "buildArch"));
    assert_eq!(int(kids.last().unwrap(), "state"), 5);
    let b = rpc(
        hub.addr(),
        "getBuild",
        vec!["broken-pkg-0.5-1.fc40".into()],
        &[],
    )
    .await
    .unwrap();
    assert_eq!(int(&b, "state"), 3);
    let topics: Vec<String> = hub
        .published()
        .into_iter()
        .filter(|m| m.topic.starts_with("build."))
        .map(|m| m.topic)
        .collect();
    assert_eq!(topics, ["build.building", "build.failed"]);
    hub.shutdown().await;
}

#[tokio::test]
async fn scratch_and_skip_tag_builds_are_not_tagged_and_arch_override_picks_arches() {
    let hub = hub(TestHub::builder()).await;
    let alice = User::login(&hub, "alice").await;
    let scratch = alice
        .call(
            "build",
            vec![
                SCM.into(),
                "f40-candidate".into(),
                opts(&[
                    ("scratch", Value::Bool(true)),
                    ("arch_override", "aarch64".into()),
                ]),
            ],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    hub.run_builder();
    let kids = children(&hub, scratch).await;
    let methods: Vec<(&str, &str)> = kids
        .iter()
        .map(|k| (string(k, "method"), string(k, "arch")))
        .collect();
    assert_eq!(
        methods,
        [("buildSRPMFromSCM", "noarch"), ("buildArch", "aarch64")]
    );
    assert_eq!(int(&info(&hub, scratch).await, "state"), 2);
    assert!(
        hub.published()
            .iter()
            .all(|m| !m.topic.starts_with("build."))
    );
    let skip = alice
        .call(
            "build",
            vec![
                "cli-build/x/hello-2.0-1.fc40.src.rpm".into(),
                "f40-candidate".into(),
                opts(&[("skip_tag", Value::Bool(true))]),
            ],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    hub.run_builder();
    assert_eq!(int(&info(&hub, skip).await, "state"), 2);
    assert!(
        children(&hub, skip)
            .await
            .iter()
            .all(|k| string(k, "method") == "buildArch")
    );
    let topics: Vec<String> = hub
        .published()
        .into_iter()
        .filter(|m| m.topic.starts_with("build."))
        .map(|m| m.topic)
        .collect();
    assert_eq!(topics, ["build.building", "build.complete"]);
    hub.shutdown().await;
}

#[tokio::test]
async fn cancel_stops_the_tree_and_resubmit_runs_a_copy() {
    let hub = hub(TestHub::builder()).await;
    let alice = User::login(&hub, "alice").await;
    let bob = User::login(&hub, "bob").await;
    let root = alice
        .call("build", vec![SCM.into(), "f40-candidate".into(), opts(&[])])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    hub.step_builder();
    hub.step_builder();
    let f = bob
        .call("cancelTask", vec![Value::Int(root)])
        .await
        .unwrap_err();
    assert_eq!(
        (f.code, f.string.as_str()),
        (1004, "Cannot cancel task, not owner")
    );
    let f = alice
        .call("cancelTask", vec![Value::Int(999_999)])
        .await
        .unwrap_err();
    assert_eq!((f.code, f.string.as_str()), (1000, "No such task: 999999"));
    let f = alice
        .call("cancelTaskFull", vec![Value::Int(root)])
        .await
        .unwrap_err();
    assert_eq!(
        (f.code, f.string.as_str()),
        (1004, "admin permission required (logged in as alice)")
    );
    assert_eq!(
        alice
            .call("cancelTask", vec![Value::Int(root)])
            .await
            .unwrap(),
        Value::Nil
    );
    assert_eq!(int(&info(&hub, root).await, "state"), 3);
    assert!(
        children(&hub, root)
            .await
            .iter()
            .all(|k| int(k, "state") == 3)
    );
    assert!(hub.builder_idle());
    // cancelling a finished task changes nothing
    let before = hub.published().len();
    alice
        .call("cancelTask", vec![Value::Int(root)])
        .await
        .unwrap();
    assert_eq!(hub.published().len(), before);
    // resubmit: owner only (fault 1000), then a new tree that runs
    let f = bob
        .call("resubmitTask", vec![Value::Int(root)])
        .await
        .unwrap_err();
    assert_eq!(
        (f.code, f.string.as_str()),
        (1000, "only the task owner or an admin may resubmit a task")
    );
    let new = alice
        .call("resubmitTask", vec![Value::Int(root)])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert!(new > root);
    let t = info(&hub, new).await;
    assert_eq!((string(&t, "method"), int(&t, "state")), ("build", 0));
    hub.run_builder();
    assert_eq!(int(&info(&hub, new).await, "state"), 2);
    let f = alice
        .call("resubmitTask", vec![Value::Int(new)])
        .await
        .unwrap_err();
    assert_eq!(
        (f.code, f.string.as_str()),
        (1000, "only canceled or failed tasks may be resubmitted")
    );
    hub.shutdown().await;
}

#[tokio::test]
async fn build_and_tag_faults_are_the_recorded_ones() {
    let hub = hub(TestHub::builder()).await;
    let f = rpc(
        hub.addr(),
        "build",
        vec![SCM.into(), "f40-candidate".into(), opts(&[])],
        &[],
    )
    .await
    .unwrap_err();
    assert_eq!(
        (f.code, f.string.as_str()),
        (1004, "you must be logged in for this operation")
    );
    let alice = User::login(&hub, "alice").await;
    let f = alice
        .call("tagBuild", vec!["f39".into(), "hello-1.1-1.fc40".into()])
        .await
        .unwrap_err();
    assert_eq!((f.code, f.string.as_str()), (1004, "tag is locked"));
    let f = alice
        .call(
            "tagBuild",
            vec!["f40-candidate".into(), "nosuch-1-1".into()],
        )
        .await
        .unwrap_err();
    assert_eq!(
        (f.code, f.string.as_str()),
        (1000, "No such build: 'nosuch-1-1'")
    );
    let f = alice
        .call(
            "moveBuild",
            vec![
                "f40-updates".into(),
                "f40-updates-testing".into(),
                "hello-1.2-1.fc40".into(),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(
        (f.code, f.string.as_str()),
        (1004, "tag requires admin permission")
    );
    // a non-existent target: the hub takes it, the builder fails it
    let root = alice
        .call(
            "build",
            vec![SCM.into(), "no-such-target".into(), opts(&[])],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    hub.run_builder();
    assert_eq!(int(&info(&hub, root).await, "state"), 5);
    // tagBuild makes a task that tags when it runs
    let task = alice
        .call(
            "tagBuild",
            vec!["f40-updates".into(), "hello-1.1-1.fc40".into()],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert_eq!(string(&info(&hub, task).await, "method"), "tagBuild");
    assert!(!hub.published().iter().any(|m| m.topic == "build.tag"));
    hub.run_builder();
    assert_eq!(int(&info(&hub, task).await, "state"), 2);
    let tag = hub
        .published()
        .into_iter()
        .find(|m| m.topic == "build.tag")
        .unwrap();
    assert_eq!(
        *prop(&tag.properties, "tag"),
        Prop::Str("f40-updates".into())
    );
    // untagBuild acts at once; a second time it is not in the tag
    alice
        .call(
            "untagBuild",
            vec!["f40-updates".into(), "hello-1.1-1.fc40".into()],
        )
        .await
        .unwrap();
    let f = alice
        .call(
            "untagBuild",
            vec!["f40-updates".into(), "hello-1.1-1.fc40".into()],
        )
        .await
        .unwrap_err();
    assert_eq!(
        (f.code, f.string.as_str()),
        (1003, "build hello-1.1-1.fc40 not in tag f40-updates")
    );
    hub.shutdown().await;
}

fn rows(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => panic!("{other:?}"),
    }
}

fn nvrs(v: &[Value]) -> Vec<&str> {
    v.iter().map(|b| string(b, "nvr")).collect()
}

#[tokio::test]
async fn a_simulated_build_shows_in_list_builds_list_tagged_and_list_tasks() {
    let hub = hub(TestHub::builder()).await;
    let alice = User::login(&hub, "alice").await;
    let listed = |args: Vec<Value>, kw: Vec<(&'static str, Value)>| {
        let addr = hub.addr();
        async move { rows(rpc(addr, "listBuilds", args, &kw).await.unwrap()) }
    };
    let before = listed(vec![], vec![]).await.len();
    let root = alice
        .call("build", vec![SCM.into(), "f40-candidate".into(), opts(&[])])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    // submitted: the root task is listed FREE, no build yet
    let free = rows(
        rpc(
            hub.addr(),
            "listTasks",
            vec![opts(&[("state", Value::Array(vec![Value::Int(0)]))])],
            &[],
        )
        .await
        .unwrap(),
    );
    assert!(free.iter().any(|t| int(t, "id") == root), "{free:?}");
    assert_eq!(listed(vec![], vec![]).await.len(), before);
    hub.run_builder();
    let b = rpc(
        hub.addr(),
        "listBuilds",
        vec![],
        &[
            ("userID", "alice".into()),
            ("state", Value::Int(1)),
            ("taskID", Value::Int(root)),
        ],
    )
    .await
    .unwrap();
    let b = rows(b);
    assert_eq!(b.len(), 1, "{b:?}");
    let nvr = string(&b[0], "nvr").to_owned();
    assert!(nvr.starts_with("hello-1.0-"), "{nvr}");
    // every filter that should see it does; ones that should not, don't
    let newest = listed(
        vec![],
        vec![
            ("packageID", "hello".into()),
            (
                "queryOpts",
                opts(&[("order", "-build_id".into()), ("limit", Value::Int(1))]),
            ),
        ],
    )
    .await;
    assert_eq!(nvrs(&newest), [nvr.as_str()]);
    assert_eq!(listed(vec![], vec![]).await.len(), before + 1);
    let bobs = listed(vec![], vec![("userID", "bob".into())]).await;
    assert!(!nvrs(&bobs).contains(&nvr.as_str()));
    let building = listed(vec![], vec![("state", Value::Int(0))]).await;
    assert!(!nvrs(&building).contains(&nvr.as_str()));
    // the builder tagged it into the target's destination tag: the latest
    let tagged = rows(
        rpc(
            hub.addr(),
            "listTagged",
            vec!["f40-candidate".into()],
            &[("package", "hello".into()), ("latest", Value::Bool(true))],
        )
        .await
        .unwrap(),
    );
    assert_eq!(nvrs(&tagged), [nvr.as_str()]);
    assert_eq!(string(&tagged[0], "tag_name"), "f40-candidate");
    // the whole task tree is listed, CLOSED, under the root
    let kids = rows(
        rpc(
            hub.addr(),
            "listTasks",
            vec![opts(&[("parent", Value::Int(root))])],
            &[],
        )
        .await
        .unwrap(),
    );
    assert_eq!(kids.len(), 4, "{kids:?}");
    assert!(kids.iter().all(|k| int(k, "state") == 2));
    let roots = rows(
        rpc(
            hub.addr(),
            "listTasks",
            vec![opts(&[
                ("method", "build".into()),
                ("state", Value::Array(vec![Value::Int(2)])),
            ])],
            &[],
        )
        .await
        .unwrap(),
    );
    assert!(roots.iter().any(|t| int(t, "id") == root), "{roots:?}");
    hub.shutdown().await;
}

#[tokio::test]
async fn an_untagged_simulated_build_leaves_list_tagged() {
    let hub = hub(TestHub::builder()).await;
    let alice = User::login(&hub, "alice").await;
    alice
        .call("build", vec![SCM.into(), "f40-candidate".into(), opts(&[])])
        .await
        .unwrap();
    hub.run_builder();
    let tagged = |hub: &RunningHub| {
        let addr = hub.addr();
        async move {
            rows(
                rpc(
                    addr,
                    "listTagged",
                    vec!["f40-candidate".into()],
                    &[("package", "hello".into())],
                )
                .await
                .unwrap(),
            )
        }
    };
    let with = tagged(&hub).await;
    let nvr = string(&with[0], "nvr").to_owned();
    let admin = User::login(&hub, "kojiadmin").await;
    admin
        .call(
            "untagBuild",
            vec!["f40-candidate".into(), nvr.as_str().into()],
        )
        .await
        .unwrap();
    let without = tagged(&hub).await;
    assert!(!nvrs(&without).contains(&nvr.as_str()), "{without:?}");
    assert_eq!(without.len(), with.len() - 1);
    hub.shutdown().await;
}
