//! What a new user meets in their first hour, against koji-testhub (the
//! real hub's data set): streams of typed queries keep their filters,
//! "latest" is newest first, a name cache keeps two hubs' names apart and
//! resolves bus messages' ids through the hub, and the blocking API works
//! from a plain `fn main` and from inside a runtime.
#![allow(clippy::unwrap_used)]

#[path = "fixtures_support/mod.rs"]
mod support;

use std::time::Duration;

use koji_client::cache::NameCache;
use koji_client::messages::parse;
use koji_client::{BuildState, Connection, IdOrName, TaskState, TryStreamExt};
use koji_testhub::{GenerateOptions, RunningHub, TestHub};
use support::dataset;

async fn hub() -> (RunningHub, Connection) {
    let hub = TestHub::builder().start().await.unwrap();
    let koji = connect(&hub);
    (hub, koji)
}

fn connect(hub: &RunningHub) -> Connection {
    Connection::builder(hub.url())
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn nvrs(builds: &[koji_client::Build]) -> Vec<String> {
    builds.iter().map(|b| b.require_nvr().unwrap()).collect()
}

#[tokio::test]
async fn list_tagged_stream_keeps_every_filter() {
    let (_hub, koji) = hub().await;
    let tagged = dataset("listTagged");
    let want = |tag: &str, variant: &str| -> Vec<String> {
        tagged[tag][variant]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["nvr"].as_str().unwrap().to_owned())
            .collect()
    };
    let streamed: Vec<_> = koji
        .list_tagged("f40-build")
        .inherit(true)
        .latest(true)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(nvrs(&streamed), want("f40-build", "inherit_latest"));
    // Without the filters the answer differs, so the filters were sent.
    assert_ne!(
        want("f40-build", "inherit_latest"),
        want("f40-build", "plain")
    );
    let streamed: Vec<_> = koji
        .list_tagged("f40-build")
        .inherit(true)
        .package("hello")
        .stream()
        .try_collect()
        .await
        .unwrap();
    let hello: Vec<String> = want("f40-build", "inherit")
        .into_iter()
        .filter(|n| n.starts_with("hello-"))
        .collect();
    assert!(!hello.is_empty());
    assert_eq!(nvrs(&streamed), hello);
    // The same as send(), build for build.
    let sent = koji
        .list_tagged("f40-build")
        .inherit(true)
        .package("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(streamed, sent);
    // An unknown tag is the hub's fault, as from send().
    let e = koji
        .list_tagged("no-such-tag")
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(e.is_fault(), "{e}");
    let none: Vec<_> = koji
        .list_tagged("no-such-tag")
        .strict(false)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn list_builds_stream_keeps_filters_and_resolves_package_names() {
    let (_hub, koji) = hub().await;
    let query = || {
        koji.list_builds()
            .package("hello")
            .state(BuildState::Complete)
            .order("-build_id")
            .limit(3)
    };
    let streamed: Vec<_> = query().stream().try_collect().await.unwrap();
    assert_eq!(
        nvrs(&streamed),
        ["hello-1.3-1.fc40", "hello-1.2-1.fc40", "hello-1.1-1.fc40"]
    );
    assert_eq!(streamed, query().send().await.unwrap());
    // By package id, the same builds.
    let hello_id = koji
        .get_package("hello")
        .await
        .unwrap()
        .unwrap()
        .id()
        .unwrap();
    let by_id: Vec<_> = koji
        .list_builds()
        .package(hello_id)
        .state(BuildState::Complete)
        .order("-build_id")
        .limit(3)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_id, streamed);
    // No such package: empty, as send() and the hub answer.
    let none: Vec<_> = koji
        .list_builds()
        .package("no-such-package")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
    // A bad argument is the stream's one error.
    let e = koji
        .list_builds()
        .package("hello")
        .state(BuildState::UnknownName("BOGUS".into()))
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(e.is_encode(), "{e}");
    // The stream owns what it needs: it outlives the query builder and can
    // be moved into a task.
    let stream = koji.list_builds().user("bob").stream();
    let bobs: Vec<_> = tokio::spawn(stream.try_collect::<Vec<_>>())
        .await
        .unwrap()
        .unwrap();
    assert!(!bobs.is_empty());
    assert!(bobs.iter().all(|b| b.owner_name.as_deref() == Some("bob")));
}

#[tokio::test]
async fn latest_builds_come_newest_first_only_when_ordered() {
    let (_hub, koji) = hub().await;
    // The hub answers in id order: the oldest first.
    let unordered = koji
        .list_builds()
        .package("hello")
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(nvrs(&unordered), ["hello-1.0-1.fc40", "hello-1.1-1.fc40"]);
    // What the crate tour and the latest_builds example send.
    let latest = koji
        .list_builds()
        .package("hello")
        .state(BuildState::Complete)
        .order("-build_id")
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(nvrs(&latest), ["hello-1.3-1.fc40", "hello-1.2-1.fc40"]);
}

#[tokio::test]
async fn list_tasks_stream_keeps_filters() {
    let (_hub, koji) = hub().await;
    let query = || {
        koji.list_tasks()
            .state([TaskState::Open, TaskState::Free])
            .channel_id(1)
            .order("id")
    };
    let streamed: Vec<_> = query().stream().try_collect().await.unwrap();
    let ids: Vec<i64> = streamed.iter().map(|t| t.require_id().unwrap()).collect();
    assert_eq!(ids, [11, 14, 27, 28, 29]);
    assert_eq!(streamed, query().send().await.unwrap());
    // An empty include list matches nothing, without asking the hub.
    let none: Vec<_> = koji
        .list_tasks()
        .state([])
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_name_cache_keeps_two_hubs_apart() {
    let (_real, real) = hub().await;
    let generated = TestHub::builder()
        .generate(GenerateOptions {
            builds: 10,
            tasks: 10,
            ..GenerateOptions::default()
        })
        .start()
        .await
        .unwrap();
    let other = connect(&generated);
    let dir = tempfile::tempdir().unwrap();
    // One profile name for both, as when a config is pointed elsewhere.
    let cache = NameCache::with_dir(dir.path(), "koji").unwrap();
    assert_eq!(
        cache.user_name(&real, 6).await.unwrap().as_deref(),
        Some("packagers")
    );
    assert_eq!(
        cache.user_name(&other, 6).await.unwrap().as_deref(),
        Some("dave")
    );
    // A new process (a new cache object on the same directory) too.
    let again = NameCache::with_dir(dir.path(), "koji").unwrap();
    assert_eq!(
        again
            .cached_on_hub(real.server_url(), "user", 6)
            .unwrap()
            .as_deref(),
        Some("packagers")
    );
    assert_eq!(
        again
            .cached_on_hub(other.server_url(), "user", 6)
            .unwrap()
            .as_deref(),
        Some("dave")
    );
}

#[tokio::test]
async fn the_cache_resolver_names_a_messages_ids_through_the_hub() {
    let (_hub, koji) = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = NameCache::with_dir(dir.path(), "koji").unwrap();
    // A task message names its owner by id only.
    let props = serde_json::json!({"type": "TaskStateChange", "id": 14, "parent": 11,
        "method": "buildArch", "attribute": "state", "old": "FREE", "new": "OPEN"});
    let body = br#"{"attribute": "state", "old": "FREE", "new": "OPEN",
        "info": {"id": 14, "method": "buildArch", "owner": 2, "state": 1, "arch": "aarch64",
                 "request": ["tasks/12/12/libfoo-2.5-1.fc40.src.rpm", 4, "aarch64", true, {}]}}"#;
    let mut event = parse(
        Some("/topic/koji.task.open"),
        props.as_object().unwrap(),
        body,
    )
    .unwrap();
    assert!(
        event.summary(None).starts_with("user 2's "),
        "{}",
        event.summary(None)
    );
    let names = cache.resolver(&koji);
    event.resolve_names(&names).await.unwrap();
    let line = event.summary(None);
    assert!(line.starts_with("alice's libfoo buildArch"), "{line}");
    assert!(line.contains("for tag f40-build"), "{line}");
    // Now cached, for this hub.
    assert_eq!(
        cache
            .cached_on_hub(koji.server_url(), "user", 2)
            .unwrap()
            .as_deref(),
        Some("alice")
    );
    assert_eq!(
        event.user_name(&names).await.unwrap().as_deref(),
        Some("alice")
    );
    assert_eq!(event.user(), Some(IdOrName::Name("alice".into())));
}

#[tokio::test]
async fn the_tour_helpers_convert_every_error_with_question_mark() {
    let (_hub, koji) = hub().await;
    async fn tour(koji: &Connection, dir: &std::path::Path) -> koji_client::Result<String> {
        use koji_client::estimate::{EstimateConfig, estimate_task_completion};
        let cache = NameCache::with_dir(dir, "koji")?;
        let owner = cache.user_name(koji, 2).await?.unwrap_or_default();
        let task = koji.get_task_info(26).await?.unwrap();
        let when = estimate_task_completion(
            koji,
            &task,
            koji_client::Timestamp::now(),
            EstimateConfig::default(),
        )
        .await?;
        Ok(format!("{owner} {} {when}", task.require_method()?))
    }
    let dir = tempfile::tempdir().unwrap();
    let line = tour(&koji, dir.path()).await.unwrap();
    assert!(line.starts_with("alice buildContainer 2026-"), "{line}");
    // An estimate error through `?` keeps its detail: a newRepo task
    // builds no package, so it has no estimate.
    let e = async {
        let task = koji.get_task_info(31).await?.unwrap();
        koji_client::estimate::estimate_task_completion(
            &koji,
            &task,
            koji_client::Timestamp::now(),
            Default::default(),
        )
        .await?;
        Ok::<(), koji_client::Error>(())
    }
    .await
    .unwrap_err();
    assert!(
        matches!(
            e.estimate_error(),
            Some(koji_client::estimate::EstimateError::UnsupportedMethod { .. })
        ),
        "{e}"
    );
    assert!(!e.is_fault() && !e.is_decode());
}

/// The blocking API from a plain `fn main`-like test: no runtime on this
/// thread (the hub runs on one of its own).
#[cfg(feature = "blocking")]
#[test]
fn blocking_works_from_plain_code() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hub = rt
        .block_on(TestHub::builder().password("alice", "s3cret").start())
        .unwrap();
    let koji = koji_client::blocking::Connection::from_async(
        Connection::builder(hub.url()).no_proxy().build().unwrap(),
    )
    .unwrap();
    // This is what panicked with "there is no reactor running" before.
    let user = futures_executor_free_block_on(|| koji.get_user(2))
        .unwrap()
        .unwrap();
    assert_eq!(user.require_name().unwrap(), "alice");
    // Typed methods, raw calls, multicall and login, all blocking.
    let build = koji.get_build(17).unwrap().unwrap();
    assert_eq!(build.require_nvr().unwrap(), "hello-1.3-1.fc40");
    assert_eq!(
        koji.call("getAPIVersion", ()).unwrap(),
        koji_client::Value::Int(1)
    );
    let mut m = koji.multicall();
    let one = m.get_task_info(1);
    let missing = m.get_task_info(99999);
    koji.send(m).unwrap();
    assert_eq!(
        one.result().unwrap().unwrap().require_method().unwrap(),
        "newRepo"
    );
    assert!(missing.result().unwrap().is_none());
    let builds = koji
        .block_on(|koji| async move {
            koji.list_builds()
                .package("hello")
                .order("-build_id")
                .limit(1)
                .send()
                .await
        })
        .unwrap();
    assert_eq!(nvrs(&builds), ["hello-1.3-1.fc40"]);
    koji.login_password("alice", "s3cret").unwrap();
    assert_eq!(koji.whoami().unwrap().require_name().unwrap(), "alice");
    koji.logout().unwrap();
    let e = koji.whoami().unwrap_err();
    assert!(e.is_not_logged_in(), "{e}");
    // Errors are the async API's errors.
    let e = koji.login_password("alice", "wrong").unwrap_err();
    assert_eq!(e.fault_kind(), Some(koji_client::FaultKind::AuthError));
    drop(koji);
    rt.block_on(hub.shutdown());
}

/// Runs `f` on this thread, which has no runtime: what a `fn main` does.
#[cfg(feature = "blocking")]
fn futures_executor_free_block_on<T>(f: impl FnOnce() -> T) -> T {
    assert!(tokio::runtime::Handle::try_current().is_err());
    f()
}

/// Called from inside async code (a current-thread runtime, the hardest
/// case), the blocking API works rather than panicking.
#[cfg(feature = "blocking")]
#[test]
fn blocking_inside_a_runtime_works() {
    let hub_rt = tokio::runtime::Runtime::new().unwrap();
    let hub = hub_rt.block_on(TestHub::builder().start()).unwrap();
    let url = hub.url();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let name = rt.block_on(async move {
        let koji = koji_client::blocking::Connection::from_async(
            Connection::builder(url).no_proxy().build().unwrap(),
        )
        .unwrap();
        let user = koji.get_user(3).unwrap().unwrap();
        // Dropped here, inside the runtime: no panic either.
        user.require_name().unwrap().to_owned()
    });
    assert_eq!(name, "bob");
    hub_rt.block_on(hub.shutdown());
}
