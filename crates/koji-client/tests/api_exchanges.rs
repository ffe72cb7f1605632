//! The typed hub methods against the real hub's recorded exchanges: each
//! method sends the same call (method name, positional and keyword
//! arguments) that koji's own client sent, and reads the recorded answer
//! into the same data (or the same fault).
#![allow(clippy::unwrap_used)]

mod support;

use std::future::Future;
use std::time::Duration;

use koji_client::model::duration_from_secs;
use koji_client::{BuildRef, BuildState, Connection, Error, QueryOpts, TaskState};
use serde::Serialize;
use serde_json::Value;
use support::{Action, Exchange, Server};

type Outcome = Result<Value, Error>;

fn outcome<T: Serialize>(result: koji_client::Result<T>) -> Outcome {
    result.map(|v| serde_json::to_value(v).unwrap())
}

/// One server and one connection for many replays (building a connection
/// loads the TLS roots, which is slow enough to matter here).
struct Replayer {
    server: Server,
    koji: Connection,
}

impl Replayer {
    async fn new() -> Replayer {
        let server = Server::start(Vec::new()).await;
        let koji = Connection::builder(server.url())
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .max_retries(0)
            .build()
            .unwrap();
        Replayer { server, koji }
    }

    /// Serves exchange `prefix`, runs `call` against it and compares both
    /// the request and the decoded answer with the recording. `expected`
    /// turns the recorded answer (as JSON) into what the typed method
    /// should give.
    async fn replay<F, Fut>(&self, prefix: &str, call: F, expected: fn(Value) -> Value)
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = Outcome>,
    {
        let ex = Exchange::load(prefix);
        let before = self.server.received().len();
        self.server.push([Action::Respond(ex.response_bytes())]);
        let got = call(self.koji.clone()).await;

        let received = self.server.received();
        assert_eq!(received.len(), before + 1, "{prefix}: one request");
        let ours = koji_xmlrpc::decode_call(&received[before].body).unwrap();
        let koji_s = koji_xmlrpc::decode_call(&ex.request_body).unwrap();
        assert_eq!(ours.method, koji_s.method, "{prefix}: method");
        assert_eq!(
            ours.params, koji_s.params,
            "{prefix}: arguments differ from koji's"
        );

        match koji_xmlrpc::decode_response::<koji_xmlrpc::Value>(&ex.response_body).unwrap() {
            Ok(value) => {
                let value = expected(serde_json::to_value(value).unwrap());
                let got = got.unwrap_or_else(|e| panic!("{prefix}: {e}"));
                assert_eq!(got, value, "{prefix}: answer");
            }
            Err(fault) => {
                let e = got.unwrap_err();
                assert_eq!(e.fault_code(), Some(fault.code), "{prefix}: {e}");
                assert_eq!(e.fault_string(), Some(fault.string.as_str()), "{prefix}");
            }
        }
    }
}

fn same(v: Value) -> Value {
    v
}

/// Seconds (or nil) as the microseconds of the duration they mean.
fn micros(v: Value) -> Value {
    match v.as_f64() {
        Some(s) => Value::from(duration_from_secs(s).unwrap().as_micros() as i64),
        None => Value::Null,
    }
}

macro_rules! case {
    ($r:ident, $prefix:literal, |$koji:ident| $body:expr) => {
        case!($r, $prefix, |$koji| $body, same)
    };
    ($r:ident, $prefix:literal, |$koji:ident| $body:expr, $expected:expr) => {
        $r.replay(
            $prefix,
            |$koji: Connection| async move { outcome($body) },
            $expected,
        )
        .await
    };
}

#[tokio::test]
async fn builds_and_packages() {
    let r = Replayer::new().await;
    case!(r, "033-getBuild-id", |k| k.get_build(3).await);
    case!(r, "034-getBuild-nvr", |k| k
        .get_build("hello-1.2-1.fc40")
        .await);
    case!(r, "035-getBuild-dict", |k| k
        .get_build(BuildRef::parts("hello", "1.2", "1.fc40"))
        .await);
    case!(r, "037-getBuild-task-build", |k| k.get_build(17).await);
    case!(r, "038-getBuild-container", |k| k.get_build(12).await);
    case!(r, "045-getBuild-draft", |k| k
        .get_build("draftpkg-1.0-1.fc40,draft_16")
        .await);
    case!(r, "047-getBuild-missing-id", |k| k.get_build(9999).await);
    case!(r, "048-getBuild-missing-nvr", |k| k
        .get_build("no-such-build-1.0-1")
        .await);
    case!(r, "051-getBuild-bad-nvr", |k| k.get_build("notanvr").await);

    case!(r, "056-listBuilds-packageID-id", |k| k
        .list_builds()
        .package(7)
        .send()
        .await);
    case!(r, "059-listBuilds-state", |k| k
        .list_builds()
        .package(7)
        .state(BuildState::Complete)
        .send()
        .await);
    case!(r, "060-listBuilds-state-building", |k| k
        .list_builds()
        .state(BuildState::Building)
        .send()
        .await);
    case!(r, "061-listBuilds-order-limit", |k| k
        .list_builds()
        .package(7)
        .query(QueryOpts::new().order("-build_id").limit(3))
        .send()
        .await);
    case!(r, "062-listBuilds-order-offset", |k| k
        .list_builds()
        .package(7)
        .order("build_id")
        .offset(2)
        .limit(2)
        .send()
        .await);
    case!(r, "063-listBuilds-order-completion", |k| k
        .list_builds()
        .package(1)
        .order("-completion_ts")
        .send()
        .await);
    case!(r, "064-listBuilds-countOnly", |k| k
        .list_builds()
        .package(7)
        .count()
        .await);
    case!(r, "066-listBuilds-userID-id", |k| k
        .list_builds()
        .user(3)
        .send()
        .await);
    case!(r, "067-listBuilds-userID-name", |k| k
        .list_builds()
        .user("bob")
        .send()
        .await);
    case!(r, "068-listBuilds-taskID", |k| k
        .list_builds()
        .task_id(2)
        .send()
        .await);
    case!(r, "070-listBuilds-prefix", |k| k
        .list_builds()
        .prefix("lib")
        .send()
        .await);
    case!(r, "071-listBuilds-type-image", |k| k
        .list_builds()
        .build_type("image")
        .order("build_id")
        .limit(3)
        .send()
        .await);
    case!(r, "072-listBuilds-draft", |k| k
        .list_builds()
        .draft(true)
        .send()
        .await);
    case!(r, "073-listBuilds-bad-order", |k| k
        .list_builds()
        .package(7)
        .order("no_such_field")
        .send()
        .await);

    case!(r, "203-getPackage-id", |k| k.get_package(7).await);
    case!(r, "204-getPackage-name", |k| k.get_package("hello").await);
    case!(r, "205-getPackage-missing", |k| k
        .get_package("no-such-package")
        .await);

    case!(
        r,
        "222-getAverageBuildDuration-double",
        |k| k
            .get_average_build_duration("foo-container")
            .await
            .map(|d| d.map(|d| d.as_micros() as i64)),
        micros
    );
    case!(
        r,
        "223-getAverageBuildDuration-hello",
        |k| k
            .get_average_build_duration("hello")
            .await
            .map(|d| d.map(|d| d.as_micros() as i64)),
        micros
    );
    case!(
        r,
        "224-getAverageBuildDuration-nil",
        |k| k
            .get_average_build_duration("libfoo")
            .await
            .map(|d| d.map(|d| d.as_micros() as i64)),
        micros
    );
    case!(
        r,
        "225-getAverageBuildDuration-missing",
        |k| k
            .get_average_build_duration("no-such-pkg")
            .await
            .map(|d| d.map(|d| d.as_micros() as i64)),
        micros
    );
    case!(
        r,
        "226-getAverageBuildDuration-age",
        |k| k
            .get_average_build_duration_within("foo-container", 1)
            .await
            .map(|d| d.map(|d| d.as_micros() as i64)),
        micros
    );
}

#[tokio::test]
async fn tasks() {
    let r = Replayer::new().await;
    for (prefix, id) in [
        ("076-getTaskInfo-closed-request", 2),
        ("079-getTaskInfo-free", 27),
        ("081-getTaskInfo-open", 11),
        ("083-getTaskInfo-failed", 7),
        ("085-getTaskInfo-assigned", 31),
        ("086-getTaskInfo-canceled", 30),
        ("087-getTaskInfo-buildContainer-closed", 18),
        ("091-getTaskInfo-newRepo", 1),
        ("092-getTaskInfo-tagBuild-closed", 6),
        ("094-getTaskInfo-scratch", 15),
    ] {
        r.replay(
            prefix,
            |k| async move { outcome(k.get_task_info(id).await) },
            same,
        )
        .await;
    }
    for (prefix, id) in [
        ("098-getTaskDescendents-build", 2),
        ("100-getTaskDescendents-open", 11),
        ("101-getTaskDescendents-failed", 7),
        ("102-getTaskDescendents-container", 18),
        ("103-getTaskDescendents-leaf", 4),
        ("104-getTaskDescendents-missing", 9999),
    ] {
        r.replay(
            prefix,
            |k| async move { outcome(k.get_task_descendents(id).await) },
            same,
        )
        .await;
    }
    case!(r, "106-getTaskChildren-request", |k| k
        .get_task_children(2)
        .await);
    for (prefix, id) in [
        ("113-getTaskResult-buildArch", 4),
        ("114-getTaskResult-build", 2),
        ("115-getTaskResult-buildContainer", 18),
        ("116-getTaskResult-newRepo", 1),
        ("118-getTaskResult-failed", 10),
        ("121-getTaskResult-failed-container", 22),
        ("122-getTaskResult-open", 11),
        ("124-getTaskResult-canceled", 30),
        ("125-getTaskResult-missing", 9999),
    ] {
        r.replay(
            prefix,
            |k| async move { outcome(k.get_task_result(id).await) },
            same,
        )
        .await;
    }

    // listTasks: the recordings made with decode=True (which we always send).
    case!(r, "129-listTasks-closed-failed", |k| k
        .list_tasks()
        .state([TaskState::Closed, TaskState::Failed])
        .order("id")
        .send()
        .await);
    case!(r, "130-listTasks-canceled", |k| k
        .list_tasks()
        .state([TaskState::Canceled])
        .send()
        .await);
    case!(r, "131-listTasks-channel", |k| k
        .list_tasks()
        .channel_id(9)
        .order("id")
        .send()
        .await);
    case!(r, "132-listTasks-parent", |k| k
        .list_tasks()
        .parent(2)
        .order("id")
        .send()
        .await);
    case!(r, "134-listTasks-method", |k| k
        .list_tasks()
        .method("buildContainer")
        .order("id")
        .send()
        .await);
    case!(r, "135-listTasks-owner", |k| k
        .list_tasks()
        .owner(2)
        .state([TaskState::Free])
        .send()
        .await);
    case!(r, "136-listTasks-owner-list", |k| k
        .list_tasks()
        .owner([3, 4])
        .order("id")
        .send()
        .await);
    case!(r, "137-listTasks-host", |k| k
        .list_tasks()
        .host_id(3)
        .send()
        .await);
}

#[tokio::test]
async fn tags_targets_repos() {
    let r = Replayer::new().await;
    case!(r, "145-getTag-id", |k| k.get_tag(4).await);
    case!(r, "146-getTag-name", |k| k.get_tag("f40-build").await);
    case!(r, "150-getTag-perm", |k| k.get_tag(8).await);
    case!(r, "151-getTag-missing", |k| k.get_tag("no-such-tag").await);

    case!(r, "153-listTags", |k| k.list_tags().send().await);
    case!(r, "154-listTags-build", |k| k
        .list_tags()
        .build(17)
        .send()
        .await);
    case!(r, "155-listTags-build-nvr", |k| k
        .list_tags()
        .build("libfoo-2.4-1.fc40")
        .send()
        .await);
    case!(r, "156-listTags-package", |k| k
        .list_tags()
        .package("hello")
        .send()
        .await);
    case!(r, "157-listTags-package-id", |k| k
        .list_tags()
        .package(5)
        .send()
        .await);

    case!(r, "158-listTagged-f40", |k| k
        .list_tagged("f40")
        .send()
        .await);
    case!(r, "159-listTagged-candidate", |k| k
        .list_tagged("f40-candidate")
        .send()
        .await);
    case!(r, "160-listTagged-container", |k| k
        .list_tagged(10)
        .send()
        .await);
    case!(r, "161-listTagged-inherit", |k| k
        .list_tagged("f40-build")
        .inherit(true)
        .send()
        .await);
    case!(r, "162-listTagged-latest", |k| k
        .list_tagged("f40-container-candidate")
        .latest(true)
        .send()
        .await);
    case!(r, "163-listTagged-inherit-latest", |k| k
        .list_tagged("f40-candidate")
        .inherit(true)
        .latest(true)
        .send()
        .await);
    case!(r, "164-listTagged-package", |k| k
        .list_tagged("f40")
        .package("hello")
        .send()
        .await);
    case!(r, "165-listTagged-package-inherit", |k| k
        .list_tagged("f40-updates")
        .package("hello")
        .inherit(true)
        .send()
        .await);
    case!(r, "166-listTagged-owner", |k| k
        .list_tagged("f40-container-candidate")
        .owner("bob")
        .send()
        .await);
    case!(r, "167-listTagged-type", |k| k
        .list_tagged("f40-container-candidate")
        .build_type("image")
        .latest(true)
        .send()
        .await);
    case!(r, "168-listTagged-event", |k| k
        .list_tagged("f40-candidate")
        .event(80)
        .send()
        .await);
    case!(r, "169-listTagged-missing-tag", |k| k
        .list_tagged("no-such-tag")
        .send()
        .await);

    case!(r, "175-getBuildTargets", |k| k
        .get_build_targets()
        .send()
        .await);
    case!(r, "176-getBuildTargets-dest", |k| k
        .get_build_targets()
        .dest_tag(10)
        .send()
        .await);
    case!(r, "177-getBuildTarget-id", |k| k.get_build_target(1).await);
    case!(r, "178-getBuildTarget-name", |k| k
        .get_build_target("f40-container-candidate")
        .await);
    case!(r, "179-getBuildTarget-missing", |k| k
        .get_build_target("no-such-target")
        .await);
    case!(r, "228-repoInfo", |k| k.repo_info(1).await);
}

#[tokio::test]
async fn channels_hosts_users() {
    let r = Replayer::new().await;
    case!(r, "181-listChannels", |k| k.list_channels().send().await);
    case!(r, "182-listChannels-host", |k| k
        .list_channels()
        .host(1)
        .send()
        .await);
    case!(r, "183-listChannels-enabled", |k| k
        .list_channels()
        .enabled(true)
        .send()
        .await);
    case!(r, "184-listChannels-disabled", |k| k
        .list_channels()
        .enabled(false)
        .send()
        .await);
    case!(r, "185-getChannel-id", |k| k.get_channel(9).await);
    case!(r, "186-getChannel-name", |k| k
        .get_channel("container")
        .await);
    case!(r, "187-getChannel-missing", |k| k.get_channel(999).await);

    case!(r, "189-listHosts", |k| k.list_hosts().send().await);
    case!(r, "190-listHosts-channel", |k| k
        .list_hosts()
        .channel_id(9)
        .send()
        .await);
    case!(r, "191-listHosts-enabled", |k| k
        .list_hosts()
        .enabled(true)
        .send()
        .await);
    case!(r, "192-listHosts-disabled", |k| k
        .list_hosts()
        .enabled(false)
        .send()
        .await);
    case!(r, "193-listHosts-ready", |k| k
        .list_hosts()
        .ready(true)
        .send()
        .await);
    case!(r, "195-listHosts-arches", |k| k
        .list_hosts()
        .arches(["x86_64"])
        .send()
        .await);
    case!(r, "196-listHosts-arches-multi", |k| k
        .list_hosts()
        .arches(["aarch64", "ppc64le"])
        .send()
        .await);
    case!(r, "197-listHosts-combined", |k| k
        .list_hosts()
        .channel_id(1)
        .enabled(true)
        .ready(false)
        .send()
        .await);
    case!(r, "199-getHost-id", |k| k.get_host(1).await);
    case!(r, "200-getHost-name", |k| k.get_host("builder2").await);
    case!(r, "201-getHost-missing", |k| k.get_host(999).await);

    case!(r, "208-getUser-id", |k| k.get_user(2).await);
    case!(r, "209-getUser-name", |k| k.get_user("alice").await);
    case!(r, "210-getUser-krb", |k| k
        .get_user("alice@KOJI.TEST")
        .await);
    case!(r, "214-getUser-group", |k| k.get_user(6).await);
    case!(r, "215-getUser-host", |k| k.get_user(7).await);
    case!(r, "216-getUser-blocked", |k| k.get_user("mallory").await);
    case!(r, "217-getUser-missing", |k| k.get_user("nobody").await);

    case!(r, "006-getLoggedInUser-anonymous", |k| k
        .get_logged_in_user()
        .await);
    // The request carries no arguments; the recorded answer is a logged-in
    // session's (authtype 2: SSL certificate).
    case!(r, "270-session-getLoggedInUser", |k| k
        .get_logged_in_user()
        .await);
    case!(r, "284-session-gssapi-getLoggedInUser", |k| k
        .get_logged_in_user()
        .await);
}

#[tokio::test]
async fn logged_in_user_decodes_authtype() {
    let ex = Exchange::load("270-session-getLoggedInUser");
    let server = Server::start(vec![Action::Respond(ex.response_bytes())]).await;
    let koji = Connection::builder(server.url())
        .no_proxy()
        .build()
        .unwrap();
    let me = koji.get_logged_in_user().await.unwrap().unwrap();
    assert_eq!(me.authtype, Some(koji_client::AuthType::Ssl));
    assert_eq!(me.name.as_deref(), Some("alice"));
    assert_eq!(me.principals(), ["alice@KOJI.TEST"]);
}
