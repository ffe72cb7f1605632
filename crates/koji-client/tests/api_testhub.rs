//! The typed hub methods and the model helpers against koji-testhub, which
//! serves the real hub's data set: every answer must equal the record the
//! real hub gave (dataset/*.json), member for member.
#![allow(clippy::unwrap_used)]

#[path = "fixtures_support/mod.rs"]
mod support;

use std::time::Duration;

use koji_client::api::WebItem;
use koji_client::cache::NameCache;
use koji_client::config::{Config, ConfigSources};
use koji_client::model::duration_from_secs;
use koji_client::{Build, BuildRef, BuildState, Connection, FaultKind, QueryOpts, TaskState};
use koji_testhub::{RunningHub, TestHub};
use serde::Serialize;
use serde_json::{Value, json};
use support::{by_id, dataset};

async fn hub() -> (RunningHub, Connection) {
    let hub = TestHub::builder().start().await.unwrap();
    let koji = Connection::builder(hub.url())
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    (hub, koji)
}

fn js<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

fn rows(value: &Value) -> &Vec<Value> {
    value.as_array().unwrap()
}

fn int(row: &Value, key: &str) -> i64 {
    row[key].as_i64().unwrap()
}

#[tokio::test]
async fn get_build_by_id_nvr_and_parts() {
    let (_hub, koji) = hub().await;
    let builds = dataset("builds");
    for (id, record) in by_id(&builds) {
        let build = koji.get_build(id).await.unwrap().unwrap();
        assert_eq!(&js(&build), record, "getBuild({id})");
        let nvr = record["nvr"].as_str().unwrap();
        let by_nvr = koji.get_build(nvr).await.unwrap().unwrap();
        assert_eq!(by_nvr, build, "getBuild({nvr:?})");
        let parts = BuildRef::parts(
            record["name"].as_str().unwrap(),
            record["version"].as_str().unwrap(),
            record["release"].as_str().unwrap(),
        );
        assert_eq!(koji.get_build(parts).await.unwrap().unwrap(), build);
    }
    let b17 = koji.get_build(17).await.unwrap().unwrap();
    assert_eq!(js(&b17), builds["17"]);
    assert_eq!(b17.state, Some(BuildState::Complete));

    assert_eq!(koji.get_build(9999).await.unwrap(), None);
    assert_eq!(koji.get_build("no-such-build-1.0-1").await.unwrap(), None);
    let e = koji.get_build("notanvr").await.unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::GenericError), "{e}");
    assert_eq!(e.method(), Some("getBuild"));
}

/// `listBuilds` and `listTagged` answers are decoded as they arrive, never
/// held whole: a response size limit far below the answer's size, which
/// stops a buffered call, does not stop them, and the rows are the same.
#[tokio::test]
async fn list_builds_and_list_tagged_are_decoded_as_they_arrive() {
    let (hub, koji) = hub().await;
    let small = Connection::builder(hub.url())
        .no_proxy()
        .max_response_size(1024)
        .build()
        .unwrap();
    let buffered = small.call("listBuilds", ()).await.unwrap_err();
    assert!(buffered.is_too_large(), "{buffered}");

    let all = koji.list_builds().order("build_id").send().await.unwrap();
    let streamed = small.list_builds().order("build_id").send().await.unwrap();
    assert_eq!(streamed, all);
    assert_eq!(js(&streamed), dataset("listBuilds"));
    let tagged = small.list_tagged(2).send().await.unwrap();
    assert_eq!(tagged, koji.list_tagged(2).send().await.unwrap());
    assert!(!tagged.is_empty());
}

#[tokio::test]
async fn list_builds_by_name_equals_by_id() {
    let (hub, koji) = hub().await;
    let all = dataset("listBuilds");
    let got = koji.list_builds().order("build_id").send().await.unwrap();
    assert_eq!(js(&got), all);
    assert!(got.iter().all(|b| b.id.is_none() && b.build_id().is_some()));

    let packages = dataset("packages");
    for package in rows(&packages) {
        let (id, name) = (
            int(package, "package_id"),
            package["package_name"].as_str().unwrap(),
        );
        let by_id = koji
            .list_builds()
            .package(id)
            .order("build_id")
            .send()
            .await
            .unwrap();
        let by_name = koji
            .list_builds()
            .package(name)
            .order("build_id")
            .send()
            .await
            .unwrap();
        assert_eq!(by_name, by_id, "{name}");
        let expected: Vec<&Value> = rows(&all)
            .iter()
            .filter(|b| int(b, "package_id") == id)
            .collect();
        assert_eq!(js(&by_name), js(&expected), "{name}");
        assert!(!expected.is_empty());
        let count = koji.list_builds().package(name).count().await.unwrap();
        assert_eq!(count, expected.len() as i64, "{name}");
    }

    // An unknown name is an empty result after one getPackage call.
    let before = hub.request_count();
    assert!(
        koji.list_builds()
            .package("no-such-package")
            .send()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(hub.request_count(), before + 1);
    assert_eq!(
        koji.list_builds()
            .package("no-such-package")
            .count()
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn list_builds_filters_and_query_opts() {
    let (_hub, koji) = hub().await;
    let all = dataset("listBuilds");
    let all = rows(&all);
    let ids =
        |builds: &[Build]| -> Vec<i64> { builds.iter().filter_map(Build::build_id).collect() };
    let expect = |keep: &dyn Fn(&Value) -> bool| -> Vec<i64> {
        all.iter()
            .filter(|b| keep(b))
            .map(|b| int(b, "build_id"))
            .collect()
    };

    // The brief's example: newest complete builds of a package, by name.
    let got = koji
        .list_builds()
        .package("foo-container")
        .state(BuildState::Complete)
        .query(QueryOpts::new().order("-completion_ts").limit(5))
        .send()
        .await
        .unwrap();
    let mut complete: Vec<&Value> = all
        .iter()
        .filter(|b| b["package_name"] == "foo-container" && int(b, "state") == 1)
        .collect();
    complete.sort_by(|a, b| {
        b["completion_ts"]
            .as_f64()
            .partial_cmp(&a["completion_ts"].as_f64())
            .unwrap()
    });
    let newest: Vec<i64> = complete
        .iter()
        .take(5)
        .map(|b| int(b, "build_id"))
        .collect();
    assert_eq!(ids(&got), newest);
    assert_eq!(got.len(), 5);

    // Offset and limit page through the ordered rows.
    let page = koji
        .list_builds()
        .package(7)
        .order("build_id")
        .offset(2)
        .limit(2)
        .send()
        .await
        .unwrap();
    let all7 = expect(&|b| int(b, "package_id") == 7);
    assert_eq!(ids(&page), all7[2..4]);

    let by_user = koji
        .list_builds()
        .user("bob")
        .order("build_id")
        .send()
        .await;
    assert_eq!(
        ids(&by_user.unwrap()),
        expect(&|b| b["owner_name"] == "bob")
    );
    let building = koji
        .list_builds()
        .state(BuildState::Building)
        .order("build_id")
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&building), expect(&|b| int(b, "state") == 0));
    let with_task = koji
        .list_builds()
        .any_task()
        .order("build_id")
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&with_task), expect(&|b| !b["task_id"].is_null()));
    let of_task = koji.list_builds().task_id(18).send().await.unwrap();
    assert_eq!(ids(&of_task), [20]);
    let prefixed = koji
        .list_builds()
        .prefix("lib")
        .order("build_id")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ids(&prefixed),
        expect(&|b| b["package_name"].as_str().unwrap().starts_with("lib"))
    );
    let drafts = koji.list_builds().draft(true).send().await.unwrap();
    assert_eq!(ids(&drafts), [16]);
    let pattern = koji
        .list_builds()
        .pattern("hello-1.*")
        .order("build_id")
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&pattern), expect(&|b| b["package_name"] == "hello"));

    // Times go out as epoch seconds.
    let cutoff = jiff::Timestamp::from_second(1_795_628_040).unwrap();
    let late = koji
        .list_builds()
        .created_after(cutoff)
        .order("build_id")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ids(&late),
        expect(&|b| b["creation_ts"].as_f64().unwrap() > 1_795_628_040.0)
    );
    let early = koji
        .list_builds()
        .created_before(cutoff)
        .count()
        .await
        .unwrap();
    assert_eq!(early as usize + late.len(), all.len());

    let images = koji
        .list_builds()
        .build_type("image")
        .order("build_id")
        .limit(3)
        .send()
        .await
        .unwrap();
    assert_eq!(images.len(), 3);

    // A bad order term is the hub's fault 1, passed through.
    let e = koji
        .list_builds()
        .order("no_such_field")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::HubException), "{e}");
}

#[tokio::test]
async fn list_tagged_every_tag_and_variant() {
    let (_hub, koji) = hub().await;
    let tagged = dataset("listTagged");
    for (tag, variants) in tagged.as_object().unwrap() {
        for (variant, inherit, latest) in [
            ("plain", false, false),
            ("inherit", true, false),
            ("latest", false, true),
            ("inherit_latest", true, true),
        ] {
            let mut q = koji.list_tagged(tag.as_str());
            if inherit {
                q = q.inherit(true);
            }
            if latest {
                q = q.latest(true);
            }
            let got = q.send().await.unwrap();
            assert_eq!(js(&got), variants[variant], "{tag} {variant}");
        }
    }
    // By id, and narrowed to one package or owner.
    let f40: Vec<Build> = koji.list_tagged(2).send().await.unwrap();
    assert_eq!(js(&f40), tagged["f40"]["plain"]);
    let hello = koji
        .list_tagged("f40")
        .package("hello")
        .send()
        .await
        .unwrap();
    let expected: Vec<&Value> = rows(&tagged["f40"]["plain"])
        .iter()
        .filter(|b| b["package_name"] == "hello")
        .collect();
    assert_eq!(js(&hello), js(&expected));
    assert!(!hello.is_empty());
    let bobs = koji
        .list_tagged("f40-container-candidate")
        .owner("bob")
        .send()
        .await
        .unwrap();
    assert!(!bobs.is_empty());
    assert!(bobs.iter().all(|b| b.owner_name.as_deref() == Some("bob")));
    // listTagged rows have no *_ts, and the time helpers still work.
    assert!(hello[0].start_ts.is_none());
    assert!(hello[0].started().unwrap().is_some());

    let e = koji.list_tagged("no-such-tag").send().await.unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::GenericError));
    assert_eq!(e.fault_string(), Some("No such tagInfo: 'no-such-tag'"));
    let lax = koji
        .list_tagged("no-such-tag")
        .strict(false)
        .send()
        .await
        .unwrap();
    assert!(lax.is_empty());
}

#[tokio::test]
async fn average_build_duration_known_and_unknown() {
    let (_hub, koji) = hub().await;
    let averages = dataset("average_build_duration");
    for (package, seconds) in averages.as_object().unwrap() {
        let got = koji
            .get_average_build_duration(package.as_str())
            .await
            .unwrap();
        let expected = seconds.as_f64().map(|s| duration_from_secs(s).unwrap());
        assert_eq!(got, expected, "{package}");
        // `age` in months: a century back includes every build.
        let within = koji
            .get_average_build_duration_within(package.as_str(), 1200)
            .await
            .unwrap();
        assert_eq!(within, expected, "{package} within 1200 months");
    }
    let hello = koji.get_average_build_duration("hello").await.unwrap();
    assert_eq!(hello.unwrap().as_micros(), 2_222_293);
    assert_eq!(
        koji.get_average_build_duration("no-such-package")
            .await
            .unwrap(),
        None
    );
    // By package id too.
    assert_eq!(koji.get_average_build_duration(1).await.unwrap(), hello);
}

#[tokio::test]
async fn get_package_by_id_and_name() {
    let (_hub, koji) = hub().await;
    let packages = dataset("package_by_id");
    for (id, record) in by_id(&packages) {
        let p = koji.get_package(id).await.unwrap().unwrap();
        assert_eq!(&js(&p), record);
        let by_name = koji.get_package(p.name().unwrap()).await.unwrap().unwrap();
        assert_eq!(by_name, p);
    }
    assert_eq!(koji.get_package("no-such-package").await.unwrap(), None);
}

#[tokio::test]
async fn tasks_info_children_descendents() {
    let (_hub, koji) = hub().await;
    let tasks = dataset("tasks");
    for (id, record) in by_id(&tasks) {
        let task = koji.get_task_info(id).await.unwrap().unwrap();
        assert_eq!(&js(&task), record, "getTaskInfo({id}, request=True)");
        // The request is there, so the request helpers work.
        task.params().unwrap();
    }
    assert_eq!(koji.get_task_info(9999).await.unwrap(), None);

    let children = dataset("task_children");
    for (id, record) in by_id(&children) {
        let got = koji.get_task_children(id).await.unwrap();
        assert_eq!(&js(&got), record, "getTaskChildren({id})");
    }

    let trees = dataset("task_descendents");
    for (id, record) in by_id(&trees) {
        let tree = koji.get_task_descendents(id).await.unwrap();
        assert_eq!(&js(&tree), record, "getTaskDescendents({id})");
    }
    let tree = koji.get_task_descendents(2).await.unwrap();
    let ids: Vec<i64> = tree.all().iter().map(|t| t.id.unwrap()).collect();
    assert_eq!(ids, [3, 4, 5, 6]);
    let missing = koji.get_task_descendents(9999).await.unwrap();
    assert_eq!(js(&missing), json!({"9999": []}));
}

#[tokio::test]
async fn task_results_and_faults() {
    let (_hub, koji) = hub().await;
    let results = dataset("task_results");
    for (id, record) in by_id(&results) {
        let got = koji.get_task_result(id).await;
        match record.get("faultCode") {
            // raise_fault=True (our call) re-raises what raise_fault=False
            // showed as a struct, and the hub's GenericErrors are faults too.
            Some(code) => {
                let e = got.unwrap_err();
                assert_eq!(e.fault_code(), code.as_i64(), "task {id}: {e}");
                assert_eq!(e.fault_string(), record["faultString"].as_str());
            }
            None => assert_eq!(&js(&got.unwrap()), record, "task {id}"),
        }
    }
    let e = koji.get_task_result(10).await.unwrap_err();
    assert_eq!(e.fault_kind(), Some(FaultKind::BuildError));
    let e = koji.get_task_result(9999).await.unwrap_err();
    assert_eq!(e.fault_string(), Some("No such task"));
}

#[tokio::test]
async fn list_tasks_filters_order_paging_and_count() {
    let (_hub, koji) = hub().await;
    let all = dataset("listTasks_decoded");
    let all = rows(&all);
    let got = koji.list_tasks().order("id").send().await.unwrap();
    assert_eq!(js(&got), Value::Array(all.clone()));
    // Always decoded: the request is a list and the outcome readable.
    assert!(got.iter().all(|t| t.request.as_ref().unwrap().is_array()));
    assert!(got.iter().all(|t| t.outcome().is_ok()));

    // FREE and OPEN tasks, by priority then creation, paged.
    let mut queue: Vec<&Value> = all
        .iter()
        .filter(|t| [0, 1].contains(&int(t, "state")))
        .collect();
    queue.sort_by(|a, b| {
        (int(a, "priority"), a["create_time"].as_str())
            .cmp(&(int(b, "priority"), b["create_time"].as_str()))
    });
    let queue_ids: Vec<i64> = queue.iter().map(|t| int(t, "id")).collect();
    let states = [TaskState::Free, TaskState::Open];
    let got = koji
        .list_tasks()
        .state(states.clone())
        .order("priority,create_time")
        .send()
        .await
        .unwrap();
    assert_eq!(js(&got), js(&queue));
    let page = koji
        .list_tasks()
        .state(states.clone())
        .order("priority,create_time")
        .offset(1)
        .limit(2)
        .send()
        .await
        .unwrap();
    let page_ids: Vec<i64> = page.iter().map(|t| t.id.unwrap()).collect();
    assert_eq!(page_ids, queue_ids[1..3]);
    let count = koji.list_tasks().state(states).count().await.unwrap();
    assert_eq!(count, queue.len() as i64);

    // The brief's example: the queue of one channel.
    let container = koji
        .list_tasks()
        .state([TaskState::Free, TaskState::Open])
        .channel_id(9)
        .order("priority,create_time")
        .send()
        .await
        .unwrap();
    let expected: Vec<i64> = queue
        .iter()
        .filter(|t| int(t, "channel_id") == 9)
        .map(|t| int(t, "id"))
        .collect();
    assert_eq!(
        container.iter().map(|t| t.id.unwrap()).collect::<Vec<_>>(),
        expected
    );

    let count_where = |keep: &dyn Fn(&Value) -> bool| all.iter().filter(|t| keep(t)).count() as i64;
    assert_eq!(
        koji.list_tasks().parent(None).count().await.unwrap(),
        count_where(&|t| t["parent"].is_null())
    );
    assert_eq!(
        koji.list_tasks().not_parent(None).count().await.unwrap(),
        count_where(&|t| !t["parent"].is_null())
    );
    assert_eq!(
        koji.list_tasks().parent(2).count().await.unwrap(),
        count_where(&|t| t["parent"] == 2)
    );
    assert_eq!(
        koji.list_tasks().owner([3, 4]).count().await.unwrap(),
        count_where(&|t| [3, 4].contains(&int(t, "owner")))
    );
    assert_eq!(
        koji.list_tasks()
            .not_state([TaskState::Closed])
            .count()
            .await
            .unwrap(),
        count_where(&|t| int(t, "state") != 2)
    );
    assert_eq!(
        koji.list_tasks()
            .method("buildContainer")
            .count()
            .await
            .unwrap(),
        count_where(&|t| t["method"] == "buildContainer")
    );
    assert_eq!(
        koji.list_tasks().arch(["aarch64"]).count().await.unwrap(),
        count_where(&|t| t["arch"] == "aarch64")
    );
    assert_eq!(
        koji.list_tasks().host_id(3).count().await.unwrap(),
        count_where(&|t| t["host_id"] == 3)
    );
    assert_eq!(
        koji.list_tasks().host_id(None).count().await.unwrap(),
        count_where(&|t| t["host_id"].is_null())
    );
    let cutoff = jiff::Timestamp::from_second(1_795_628_060).unwrap();
    assert_eq!(
        koji.list_tasks()
            .created_after(cutoff)
            .count()
            .await
            .unwrap(),
        count_where(&|t| t["create_ts"].as_f64().unwrap() > 1_795_628_060.0)
    );
    assert_eq!(
        koji.list_tasks()
            .completed_before(cutoff)
            .count()
            .await
            .unwrap(),
        count_where(&|t| t["completion_ts"]
            .as_f64()
            .is_some_and(|c| c < 1_795_628_060.0))
    );
}

#[tokio::test]
async fn list_tasks_empty_filters_do_not_reach_the_hub() {
    let (hub, koji) = hub().await;
    let before = hub.request_count();
    assert!(
        koji.list_tasks()
            .state(Vec::new())
            .send()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        koji.list_tasks().owner(Vec::new()).count().await.unwrap(),
        0
    );
    assert_eq!(hub.request_count(), before);
    // An empty exclusion list excludes nothing.
    let n = koji
        .list_tasks()
        .not_state(Vec::new())
        .not_owner(Vec::new())
        .count()
        .await
        .unwrap();
    assert_eq!(n, rows(&dataset("listTasks_decoded")).len() as i64);
    // A state without a Koji code is refused before sending.
    let e = koji
        .list_tasks()
        .state([TaskState::from_name("RUNNING")])
        .send()
        .await
        .unwrap_err();
    assert!(e.is_encode(), "{e}");
    assert!(e.to_string().contains("RUNNING"), "{e}");
    assert_eq!(hub.request_count(), before + 1);
}

/// txkoji's `listTasks(self, opts={}, queryOpts={})` set `decode` on the
/// shared default dict, so one call's options could reach the next. Each
/// builder here owns its options: filters set on one query (or a clone)
/// never show up in another.
#[tokio::test]
async fn list_tasks_queries_do_not_share_options() {
    let (_hub, koji) = hub().await;
    let total = rows(&dataset("listTasks_decoded")).len();
    let base = koji.list_tasks();
    let free = base.clone().state([TaskState::Free]);
    let channel = base.clone().channel_id(2);
    let free_tasks = free.send().await.unwrap();
    assert!(!free_tasks.is_empty());
    assert!(free_tasks.iter().all(|t| t.state == Some(TaskState::Free)));
    // The channel query does not inherit the state filter…
    let channel_tasks = channel.send().await.unwrap();
    assert!(channel_tasks.iter().all(|t| t.channel_id == Some(2)));
    assert!(
        channel_tasks
            .iter()
            .any(|t| t.state != Some(TaskState::Free))
    );
    // …and the base query has neither.
    assert_eq!(base.send().await.unwrap().len(), total);
    // Nor does a fresh query after a filtered one.
    let first = koji.list_tasks().owner(2).count().await.unwrap();
    let second = koji.list_tasks().count().await.unwrap();
    assert!(first < second);
    assert_eq!(second, total as i64);
}

#[tokio::test]
async fn channels_and_hosts() {
    let (hub, koji) = hub().await;
    let channels = koji.list_channels().send().await.unwrap();
    assert_eq!(js(&channels), dataset("channels"));
    let host_channels = dataset("host_channels");
    for (id, record) in by_id(&host_channels) {
        let got = koji.list_channels().host(id).send().await.unwrap();
        assert_eq!(&js(&got), record, "listChannels(hostID={id})");
    }
    let by_name = koji.list_channels().host("builder1").send().await.unwrap();
    assert_eq!(js(&by_name), host_channels["1"]);
    assert!(
        koji.list_channels()
            .enabled(false)
            .send()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        koji.list_channels().enabled(true).send().await.unwrap(),
        channels
    );

    let by_id_records = dataset("channel_by_id");
    for (id, record) in by_id(&by_id_records) {
        let channel = koji.get_channel(id).await.unwrap().unwrap();
        assert_eq!(&js(&channel), record);
        let named = koji
            .get_channel(channel.name.clone().unwrap())
            .await
            .unwrap();
        assert_eq!(named.as_ref(), Some(&channel));
    }
    assert_eq!(koji.get_channel(999).await.unwrap(), None);

    let hosts = dataset("hosts");
    assert_eq!(js(&koji.list_hosts().send().await.unwrap()), hosts);
    let channel_hosts = dataset("channel_hosts");
    for (id, record) in by_id(&channel_hosts) {
        let got = koji.list_hosts().channel_id(id).send().await.unwrap();
        assert_eq!(&js(&got), record, "listHosts(channelID={id})");
    }
    let container = koji.list_hosts().channel_id("container").send().await;
    assert_eq!(js(&container.unwrap()), channel_hosts["9"]);
    let host_ids =
        |list: Vec<koji_client::Host>| -> Vec<i64> { list.iter().map(|h| h.id.unwrap()).collect() };
    let expect = |keep: &dyn Fn(&Value) -> bool| -> Vec<i64> {
        rows(&hosts)
            .iter()
            .filter(|h| keep(h))
            .map(|h| int(h, "id"))
            .collect()
    };
    assert_eq!(
        host_ids(koji.list_hosts().enabled(true).send().await.unwrap()),
        expect(&|h| h["enabled"] == true)
    );
    assert_eq!(
        host_ids(koji.list_hosts().ready(false).send().await.unwrap()),
        expect(&|h| h["ready"] == false)
    );
    assert_eq!(
        host_ids(
            koji.list_hosts()
                .channel_id(1)
                .enabled(true)
                .ready(false)
                .send()
                .await
                .unwrap()
        ),
        [1, 2]
    );
    assert_eq!(
        host_ids(
            koji.list_hosts()
                .arches(["aarch64", "ppc64le"])
                .send()
                .await
                .unwrap()
        ),
        [2, 4]
    );
    assert_eq!(
        host_ids(koji.list_hosts().user(7).send().await.unwrap()),
        [1]
    );
    let before = hub.request_count();
    let none: Vec<&str> = Vec::new();
    assert!(
        koji.list_hosts()
            .arches(none)
            .send()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(hub.request_count(), before);

    let host_records = dataset("host_by_id");
    for (id, record) in by_id(&host_records) {
        let host = koji.get_host(id).await.unwrap().unwrap();
        assert_eq!(&js(&host), record);
        let named = koji.get_host(host.name.clone().unwrap()).await.unwrap();
        assert_eq!(named.as_ref(), Some(&host));
    }
    assert_eq!(koji.get_host(999).await.unwrap(), None);
    assert_eq!(koji.get_host("nope").await.unwrap(), None);
}

#[tokio::test]
async fn users_and_logged_in_user() {
    let (_hub, koji) = hub().await;
    let users = dataset("users");
    for (id, record) in by_id(&users) {
        let user = koji.get_user(id).await.unwrap().unwrap();
        // The data set asked with groups=True; getUser(id) has no groups.
        let mut expected = record.clone();
        expected.as_object_mut().unwrap().remove("groups");
        assert_eq!(js(&user), expected, "getUser({id})");
        let named = koji.get_user(user.name.clone().unwrap()).await.unwrap();
        assert_eq!(named.as_ref(), Some(&user));
        for principal in user.principals() {
            let by_principal = koji.get_user(principal).await.unwrap();
            assert_eq!(by_principal.as_ref(), Some(&user), "{principal}");
        }
    }
    assert_eq!(koji.get_user("nobody").await.unwrap(), None);
    assert_eq!(koji.get_logged_in_user().await.unwrap(), None);
}

#[tokio::test]
async fn logged_in_user_after_login() {
    let hub = TestHub::builder()
        .password("carol", "carol-password")
        .start()
        .await
        .unwrap();
    let koji = Connection::builder(hub.url()).no_proxy().build().unwrap();
    koji.login_password("carol", "carol-password")
        .await
        .unwrap();
    let me = koji.get_logged_in_user().await.unwrap().unwrap();
    let mut expected = user_without_groups("4");
    expected["authtype"] = json!(0);
    expected["krb_principal"] = json!("carol@KOJI.TEST");
    assert_eq!(js(&me), expected);
    assert_eq!(me.authtype, Some(koji_client::AuthType::Normal));
    // Typed calls go out on the session too.
    let session = koji.session_id().unwrap();
    let before = hub.session_calls(session).len();
    assert_eq!(
        koji.get_user(4).await.unwrap().and_then(|u| u.name),
        Some("carol".into())
    );
    assert_eq!(hub.session_calls(session).len(), before + 1);
}

#[tokio::test]
async fn tags_targets_and_repos() {
    let (_hub, koji) = hub().await;
    let tags = dataset("tag_by_id");
    for (id, record) in by_id(&tags) {
        let tag = koji.get_tag(id).await.unwrap().unwrap();
        assert_eq!(&js(&tag), record);
        let named = koji.get_tag(tag.name.clone().unwrap()).await.unwrap();
        assert_eq!(named.as_ref(), Some(&tag));
    }
    assert_eq!(koji.get_tag("no-such-tag").await.unwrap(), None);

    let all = dataset("tags");
    assert_eq!(js(&koji.list_tags().send().await.unwrap()), all);
    assert_eq!(
        koji.list_tags().count().await.unwrap(),
        rows(&all).len() as i64
    );
    let ordered = koji.list_tags().order("-id").limit(3).send().await.unwrap();
    let ids: Vec<i64> = ordered.iter().map(|t| t.id.unwrap()).collect();
    assert_eq!(ids, [10, 9, 8]);
    let build_tags = dataset("tag_build_tags");
    for (id, record) in by_id(&build_tags) {
        let got = koji.list_tags().build(id).send().await.unwrap();
        assert_eq!(&js(&got), record, "listTags(build={id})");
    }
    let by_nvr = koji.list_tags().build("libfoo-2.4-1.fc40").send().await;
    assert_eq!(js(&by_nvr.unwrap()), build_tags["7"]);
    let package_tags = dataset("package_tags");
    for (name, record) in package_tags.as_object().unwrap() {
        let got = koji
            .list_tags()
            .package(name.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(&js(&got), record, "listTags(package={name:?})");
    }

    let targets = dataset("target_by_id");
    for (id, record) in by_id(&targets) {
        let target = koji.get_build_target(id).await.unwrap().unwrap();
        assert_eq!(&js(&target), record);
        let named = koji
            .get_build_target(target.name.clone().unwrap())
            .await
            .unwrap();
        assert_eq!(named.as_ref(), Some(&target));
    }
    assert_eq!(koji.get_build_target("no-such-target").await.unwrap(), None);
    let all_targets = dataset("targets");
    assert_eq!(
        js(&koji.get_build_targets().send().await.unwrap()),
        all_targets
    );
    let into = koji.get_build_targets().dest_tag(10).send().await.unwrap();
    assert_eq!(into.len(), 1);
    assert_eq!(into[0].dest_tag, Some(10));
    let from = koji
        .get_build_targets()
        .build_tag("f40-build")
        .count()
        .await
        .unwrap();
    assert_eq!(
        from,
        rows(&all_targets)
            .iter()
            .filter(|t| t["build_tag_name"] == "f40-build")
            .count() as i64
    );
    let one = koji
        .get_build_targets()
        .info("f40-candidate")
        .send()
        .await
        .unwrap();
    assert_eq!(js(&one), json!([targets["1"]]));

    let repo = koji.repo_info(1).await.unwrap().unwrap();
    assert_eq!(js(&repo), dataset("repo_info")["1"]);
    assert_eq!(koji.repo_info(999).await.unwrap(), None);
}

#[tokio::test]
async fn build_helpers() {
    let (_hub, koji) = hub().await;
    let tasks = dataset("tasks");
    let b17 = koji.get_build(17).await.unwrap().unwrap();
    let task = b17.task(&koji).await.unwrap().unwrap();
    assert_eq!(js(&task), tasks["2"]);
    let target = b17.target(&koji).await.unwrap().unwrap();
    assert_eq!(js(&target), dataset("target_by_id")["1"]);
    assert_eq!(target.name.as_deref(), Some("f40-candidate"));
    let tags = b17.tags(&koji).await.unwrap();
    assert_eq!(js(&tags), dataset("tag_build_tags")["17"]);

    // The container fallback: no task_id, but extra.container_koji_task_id.
    let mut container = koji.get_build(20).await.unwrap().unwrap();
    container.task_id = None;
    let task = container.task(&koji).await.unwrap().unwrap();
    assert_eq!(js(&task), tasks["18"]);
    let target = container.target(&koji).await.unwrap().unwrap();
    assert_eq!(target.name.as_deref(), Some("f40-container-candidate"));

    // Imports have no task, so no target either.
    let import = koji.get_build(3).await.unwrap().unwrap();
    assert_eq!(import.task(&koji).await.unwrap(), None);
    assert_eq!(import.target(&koji).await.unwrap(), None);

    // listBuilds rows have no `id`: tags() uses build_id.
    let rows = koji.list_builds().package("libfoo").send().await.unwrap();
    let libfoo_24 = rows
        .iter()
        .find(|b| b.nvr().as_deref() == Some("libfoo-2.4-1.fc40"))
        .unwrap();
    assert_eq!(libfoo_24.id, None);
    let tags = libfoo_24.tags(&koji).await.unwrap();
    assert_eq!(js(&tags), dataset("tag_build_tags")["7"]);
    // With only an NVR, by NVR; with nothing, a clear error.
    let mut nvr_only = Build::default();
    nvr_only.nvr = Some("libfoo-2.4-1.fc40".into());
    assert_eq!(nvr_only.tags(&koji).await.unwrap(), tags);
    let e = Build::default().tags(&koji).await.unwrap_err();
    assert!(
        e.is_encode() && e.to_string().contains("neither an id nor an NVR"),
        "{e}"
    );
}

#[tokio::test]
async fn task_helpers() {
    let (_hub, koji) = hub().await;
    let build = koji.get_task_info(11).await.unwrap().unwrap();
    let all = build.descendents(&koji, None, None).await.unwrap();
    let ids: Vec<i64> = all.iter().map(|t| t.id.unwrap()).collect();
    assert_eq!(ids, [12, 13, 14]);
    let arches = build
        .descendents(&koji, Some("buildArch"), None)
        .await
        .unwrap();
    assert_eq!(
        arches.iter().map(|t| t.id.unwrap()).collect::<Vec<_>>(),
        [13, 14]
    );
    let open = build
        .descendents(&koji, Some("buildArch"), Some(TaskState::Open))
        .await
        .unwrap();
    assert_eq!(
        js(&open),
        json!([dataset("task_descendents")["11"]["11"][2]])
    );
    assert_eq!(open[0].arch().unwrap().as_deref(), Some("aarch64"));

    let children = build.children(&koji).await.unwrap();
    assert_eq!(js(&children), dataset("task_children")["11"]);

    let arch_task = koji.get_task_info(4).await.unwrap().unwrap();
    let result = arch_task.fetch_result(&koji).await.unwrap();
    assert_eq!(js(&result), dataset("task_results")["4"]);
    let e = build.fetch_result(&koji).await.unwrap_err();
    assert_eq!(e.fault_string(), Some("Task 11 is not finished"));

    let channel = arch_task.channel(&koji).await.unwrap().unwrap();
    assert_eq!(js(&channel), dataset("channel_by_id")["1"]);

    let e = koji_client::Task::default()
        .children(&koji)
        .await
        .unwrap_err();
    assert!(e.is_encode(), "{e}");
}

#[tokio::test]
async fn channel_helpers() {
    let (hub, koji) = hub().await;
    let hosts = dataset("hosts");
    let channel_hosts = dataset("channel_hosts");
    for channel in koji.list_channels().send().await.unwrap() {
        let id = channel.id.unwrap();
        let got = channel.hosts(&koji).send().await.unwrap();
        assert_eq!(js(&got), channel_hosts[id.to_string()]);
        let expected: f64 = rows(&channel_hosts[id.to_string()])
            .iter()
            .filter(|h| h["enabled"] == true)
            .map(|h| h["capacity"].as_f64().unwrap())
            .sum();
        assert_eq!(channel.total_capacity(&koji).await.unwrap(), expected);
    }
    // builder4 (disabled) is in "default" with builder1 and builder2.
    let default = koji.get_channel("default").await.unwrap().unwrap();
    assert_eq!(default.total_capacity(&koji).await.unwrap(), 8.0 + 4.0);
    assert_eq!(rows(&hosts).len(), 4);
    let ready = default.hosts(&koji).ready(true).send().await.unwrap();
    assert!(ready.is_empty());

    let container = koji.get_channel(9).await.unwrap().unwrap();
    let queue = container
        .tasks(&koji)
        .state(TaskState::ACTIVE.iter().cloned())
        .send()
        .await
        .unwrap();
    let ids: Vec<i64> = queue.iter().map(|t| t.id.unwrap()).collect();
    assert_eq!(ids, [26]);
    let all = container.tasks(&koji).send().await.unwrap();
    let tasks = dataset("listTasks_decoded");
    let mut expected: Vec<Value> = rows(&tasks)
        .iter()
        .filter(|t| int(t, "channel_id") == 9)
        .cloned()
        .collect();
    expected.sort_by_key(|t| {
        (
            int(t, "priority"),
            t["create_time"].as_str().unwrap().to_owned(),
        )
    });
    assert_eq!(js(&all), Value::Array(expected));

    // A channel without an id cannot be asked about.
    let before = hub.request_count();
    let nameless = koji_client::Channel::default();
    assert!(nameless.hosts(&koji).send().await.unwrap_err().is_encode());
    assert!(nameless.tasks(&koji).count().await.unwrap_err().is_encode());
    assert_eq!(hub.request_count(), before);
}

#[tokio::test]
async fn name_cache_reads_through_the_hub() {
    let (hub, koji) = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = NameCache::with_dir(dir.path(), "testhub").unwrap();
    assert_eq!(
        cache.user_name(&koji, 2).await.unwrap().as_deref(),
        Some("alice")
    );
    assert_eq!(
        cache.tag_name(&koji, 4).await.unwrap().as_deref(),
        Some("f40-build")
    );
    assert_eq!(cache.user_name(&koji, 999).await.unwrap(), None);
    let before = hub.request_count();
    // Cached: no hub call, also from a fresh cache on the same directory.
    assert_eq!(
        cache.user_name(&koji, 2).await.unwrap().as_deref(),
        Some("alice")
    );
    let again = NameCache::with_dir(dir.path(), "testhub").unwrap();
    assert_eq!(
        again.tag_name(&koji, 4).await.unwrap().as_deref(),
        Some("f40-build")
    );
    assert_eq!(hub.request_count(), before);
    // A miss was not cached: asked again.
    assert_eq!(cache.user_name(&koji, 999).await.unwrap(), None);
    assert_eq!(hub.request_count(), before + 1);
}

#[tokio::test]
async fn from_web_every_page_kind() {
    let (_hub, koji) = hub().await;
    let web = "https://koji.example.com/koji";
    let get = |page: &str| format!("{web}/{page}");
    let cases: Vec<(String, Value)> = vec![
        (get("buildinfo?buildID=17"), dataset("builds")["17"].clone()),
        (get("taskinfo?taskID=2"), dataset("tasks")["2"].clone()),
        (
            get("packageinfo?packageID=7"),
            dataset("package_by_id")["7"].clone(),
        ),
        (
            get("packageinfo?packageID=foo-container"),
            dataset("package_by_id")["7"].clone(),
        ),
        (get("taginfo?tagID=4"), dataset("tag_by_id")["4"].clone()),
        (
            get("taginfo?tagID=f40-build"),
            dataset("tag_by_id")["4"].clone(),
        ),
        (get("userinfo?userID=2"), user_without_groups("2")),
        (get("userinfo?userID=alice"), user_without_groups("2")),
        (
            get("userinfo?userID=alice%40KOJI.TEST"),
            user_without_groups("2"),
        ),
        (get("hostinfo?hostID=1"), dataset("host_by_id")["1"].clone()),
        (
            get("hostinfo?hostID=builder2"),
            dataset("host_by_id")["2"].clone(),
        ),
        (get("hostinfo?userID=7"), dataset("hosts")[0].clone()),
        (
            get("channelinfo?channelID=9"),
            dataset("channel_by_id")["9"].clone(),
        ),
        (
            get("buildtargetinfo?targetID=1"),
            dataset("target_by_id")["1"].clone(),
        ),
        (
            get("buildtargetinfo?name=f40-container-candidate"),
            dataset("target_by_id")["3"].clone(),
        ),
        (get("repoinfo?repoID=1"), dataset("repo_info")["1"].clone()),
    ];
    for (url, expected) in cases {
        let item = koji.fetch_from_web(&url).await.unwrap().unwrap();
        let got = match &item {
            WebItem::Build(x) => js(x),
            WebItem::Task(x) => js(x),
            WebItem::Package(x) => js(x),
            WebItem::Tag(x) => js(x),
            WebItem::User(x) => js(x),
            WebItem::Host(x) => js(x),
            WebItem::Channel(x) => js(x),
            WebItem::BuildTarget(x) => js(x),
            WebItem::Repo(x) => js(x),
            other => panic!("{url}: unexpected {other:?}"),
        };
        assert_eq!(got, expected, "{url}");
        // The item links back to a page that shows the same object.
        let back = item.url(web).unwrap();
        let again = koji.fetch_from_web(&back).await.unwrap().unwrap();
        assert_eq!(again, item, "{url} → {back}");
    }

    for nothing in [
        get("buildinfo?buildID=17 "),
        format!(" {}", get("buildinfo?buildID=17")),
        get("buildinfo?buildID=abc"),
        get("buildinfo?buildID="),
        get("buildinfo"),
        get("builds?userID=3"),
        get("index"),
        // txkoji's page name; kojiweb has buildtargetinfo.
        get("targetinfo?targetID=1"),
        "not a url".to_owned(),
        String::new(),
        // Well-formed, but no such object on the hub.
        get("buildinfo?buildID=9999"),
        get("taskinfo?taskID=9999"),
        get("taginfo?tagID=no-such-tag"),
        get("hostinfo?userID=2"),
        get("repoinfo?repoID=f40-build"),
    ] {
        assert_eq!(
            koji.fetch_from_web(&nothing).await.unwrap(),
            None,
            "{nothing:?}"
        );
    }
}

fn user_without_groups(id: &str) -> Value {
    let mut user = dataset("users")[id].clone();
    user.as_object_mut().unwrap().remove("groups");
    user
}

/// The hub spells it `getTaskDescendents` and has no `getTarget`: txkoji's
/// names are unknown methods, the typed methods use the real ones.
#[tokio::test]
async fn txkoji_method_names_are_fixed() {
    let (_hub, koji) = hub().await;
    let e = koji.call("getTaskDescendants", (2,)).await.unwrap_err();
    assert_eq!(e.fault_string(), Some("Invalid method: getTaskDescendants"));
    let tree = koji.get_task_descendents(2).await.unwrap();
    assert_eq!(tree.children(2).len(), 4);

    let e = koji.call("getTarget", (1,)).await.unwrap_err();
    assert_eq!(e.fault_string(), Some("Invalid method: getTarget"));
    let target = koji.get_build_target(1).await.unwrap().unwrap();
    assert_eq!(target.name.as_deref(), Some("f40-candidate"));
    let item = koji
        .fetch_from_web("https://k/koji/buildtargetinfo?targetID=1")
        .await
        .unwrap();
    assert_eq!(item, Some(WebItem::BuildTarget(target)));
}

#[tokio::test]
async fn connect_from_web_picks_the_profile() {
    let (_hub_guard, koji) = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let conf_d = dir.path().join("koji.conf.d");
    std::fs::create_dir(&conf_d).unwrap();
    std::fs::write(
        conf_d.join("testhub.conf"),
        format!(
            "[testhub]\nserver = {}\nweburl = https://koji.example.com/koji\n",
            koji.server_url()
        ),
    )
    .unwrap();
    let config = Config::load(&ConfigSources::new(
        &conf_d,
        dir.path().join("koji.conf"),
        None,
    ))
    .unwrap();
    let url = "https://koji.example.com/koji/taskinfo?taskID=2";
    let found = Connection::connect_from_web_in(&config, url)
        .unwrap()
        .unwrap();
    assert_eq!(found.server_url(), koji.server_url());
    let task = found.fetch_from_web(url).await.unwrap().unwrap();
    assert_eq!(
        task,
        WebItem::Task(koji.get_task_info(2).await.unwrap().unwrap())
    );
    // Other sites, or prefixes that are not the weburl's path, match nothing.
    for other in [
        "https://other.example.com/koji/taskinfo?taskID=2",
        "https://koji.example.com/kojiweb/taskinfo?taskID=2",
    ] {
        assert!(
            Connection::connect_from_web_in(&config, other)
                .unwrap()
                .is_none(),
            "{other}"
        );
    }
}
