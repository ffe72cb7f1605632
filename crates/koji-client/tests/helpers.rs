//! txkoji's helpers, checked on the real hub's data set.
#![allow(clippy::unwrap_used)]

#[path = "fixtures_support/mod.rs"]
mod support;

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use koji_client::web::WebObject;
use koji_client::{
    Build, BuildState, BuildTarget, Channel, Host, IdOrName, Package, Tag, Task, TaskDescendents,
    TaskOutcome, TaskState, User,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use support::{by_id, dataset};

const WEB: &str = "https://koji.example.com/koji";

fn decode<M: DeserializeOwned>(v: &Value) -> M {
    serde_json::from_value(v.clone()).unwrap()
}

fn builds() -> BTreeMap<i64, Build> {
    by_id(&dataset("builds"))
        .into_iter()
        .map(|(id, v)| (id, decode(v)))
        .collect()
}

fn tasks() -> BTreeMap<i64, Task> {
    by_id(&dataset("tasks"))
        .into_iter()
        .map(|(id, v)| (id, decode(v)))
        .collect()
}

fn now() -> Timestamp {
    // A fixed "now" after everything in the data set.
    "2026-12-01T00:00:00Z".parse().unwrap()
}

#[test]
fn build_times_from_ts_and_from_time_strings_agree() {
    let builds = builds();
    let mut checked = 0;
    for (id, b) in &builds {
        // Strip the *_ts members: what listTagged rows look like.
        let mut v = serde_json::to_value(b).unwrap();
        for ts in ["creation_ts", "start_ts", "completion_ts", "promotion_ts"] {
            v.as_object_mut().unwrap().remove(ts);
        }
        let strings_only: Build = decode(&v);
        assert_eq!(
            strings_only.started().unwrap(),
            b.started().unwrap(),
            "build {id}"
        );
        assert_eq!(
            strings_only.completed().unwrap(),
            b.completed().unwrap(),
            "build {id}"
        );
        assert_eq!(
            strings_only.created().unwrap(),
            b.created().unwrap(),
            "build {id}"
        );
        assert_eq!(
            strings_only.duration(now()).unwrap(),
            b.duration(now()).unwrap(),
            "build {id}"
        );
        checked += 1;
    }
    assert_eq!(checked, 25);
}

#[test]
fn build_duration_works_on_list_tagged_rows() {
    // txkoji's Build.duration read start_ts, which listTagged rows lack.
    let builds = builds();
    let tagged = dataset("listTagged");
    let mut checked = 0;
    for per_tag in tagged.as_object().unwrap().values() {
        for rows in per_tag.as_object().unwrap().values() {
            for row in rows.as_array().unwrap() {
                let row: Build = decode(row);
                assert!(row.start_ts.is_none() && row.start_time.is_some());
                let full = &builds[&row.build_id().unwrap()];
                assert_eq!(row.duration(now()).unwrap(), full.duration(now()).unwrap());
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "{checked}");
}

#[test]
fn build_durations_match_the_seeded_history() {
    let builds = builds();
    // hello-1.0-1.fc40: 17:47:39.189226 → 18:00:08.189226.
    let hello = &builds[&1];
    assert_eq!(
        hello.duration(now()).unwrap(),
        Some(SignedDuration::from_secs(12 * 60 + 29))
    );
    assert_eq!(
        hello.started().unwrap().unwrap().to_string(),
        "2026-09-28T17:47:39.189226Z"
    );
    // BUILDING builds run until `now`.
    let building: Vec<_> = builds
        .values()
        .filter(|b| b.state == Some(BuildState::Building))
        .collect();
    assert_eq!(building.len(), 3);
    for b in building {
        assert_eq!(b.completed().unwrap(), None);
        let start = b.started().unwrap().unwrap();
        assert_eq!(
            b.duration(now()).unwrap(),
            Some(now().duration_since(start))
        );
    }
}

#[test]
fn build_identity_helpers() {
    let builds = builds();
    for (id, b) in &builds {
        assert_eq!(b.build_id(), Some(*id));
        // nvr() rebuilt from its parts gives the hub's nvr, drafts included.
        let mut parts = b.clone();
        parts.nvr = None;
        assert_eq!(parts.nvr(), b.nvr, "build {id}");
        assert_eq!(b.url(WEB).unwrap(), format!("{WEB}/buildinfo?buildID={id}"));
        assert_eq!(
            WebObject::parse_for_weburl(WEB, &b.url(WEB).unwrap()),
            Some(WebObject::Build(*id))
        );
    }
    assert_eq!(
        builds[&1].gitbuildhash(),
        Some("6e62c4a3aaa0af777386fd9b1260a14a551ec52b")
    );
    assert_eq!(builds[&16].gitbuildhash(), None); // draft build, no source
    let containers: Vec<i64> = builds
        .iter()
        .filter(|(_, b)| b.is_container())
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(containers, [8, 9, 10, 11, 12, 13, 20, 21, 22, 23, 24, 25]);
}

#[test]
fn build_task_id_falls_back_to_the_container_task() {
    let builds = builds();
    // Build 20 (exchange 039) has both; the hub's own task_id wins.
    assert_eq!(builds[&20].task_id, Some(18));
    assert_eq!(builds[&20].task_id(), Some(18));
    // What OSBS imports look like: no task_id, only the extra member.
    let mut osbs = builds[&20].clone();
    osbs.task_id = None;
    assert_eq!(osbs.task_id(), Some(18));
    // Builds without either have none.
    assert_eq!(builds[&8].task_id(), None);
}

#[test]
fn task_helpers_on_every_seeded_task() {
    let tasks = tasks();
    // (id, method, package, target, tag, arch, build_id, scratch)
    type Row = (
        i64,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<IdOrName>,
        Option<&'static str>,
        Option<i64>,
        bool,
    );
    let id = |n| Some(IdOrName::Id(n));
    let name = |n: &str| Some(IdOrName::from(n));
    let expected: Vec<Row> = vec![
        (
            1,
            "newRepo",
            None,
            None,
            name("f40-build"),
            None,
            None,
            false,
        ),
        (
            2,
            "build",
            Some("hello"),
            Some("f40-candidate"),
            None,
            None,
            None,
            false,
        ),
        (
            3,
            "buildSRPMFromSCM",
            Some("hello"),
            None,
            id(4),
            None,
            None,
            false,
        ),
        (
            4,
            "buildArch",
            Some("hello"),
            None,
            id(4),
            Some("x86_64"),
            None,
            false,
        ),
        (
            5,
            "buildArch",
            Some("hello"),
            None,
            id(4),
            Some("aarch64"),
            None,
            false,
        ),
        (6, "tagBuild", None, None, id(5), None, Some(17), false),
        (
            15,
            "build",
            Some("python-fizzbuzz"),
            Some("f40-candidate"),
            None,
            None,
            None,
            true,
        ),
        (
            17,
            "buildArch",
            Some("python-fizzbuzz"),
            None,
            id(4),
            Some("noarch"),
            None,
            false,
        ),
        (
            18,
            "buildContainer",
            Some("foo-container"),
            Some("f40-container-candidate"),
            None,
            None,
            None,
            false,
        ),
        (19, "tagBuild", None, None, id(10), None, Some(20), false),
        (
            28,
            "build",
            Some("libfoo"),
            Some("f40-updates-candidate"),
            None,
            None,
            None,
            false,
        ),
        (29, "tagBuild", None, None, id(7), None, Some(3), false),
        (
            31,
            "newRepo",
            None,
            None,
            name("f40-container-build"),
            None,
            None,
            false,
        ),
    ];
    for (tid, method, package, target, tag, arch, build_id, scratch) in expected {
        let t = &tasks[&tid];
        assert_eq!(t.method(), Some(method), "task {tid}");
        assert_eq!(t.package().unwrap().as_deref(), package, "task {tid}");
        assert_eq!(t.target().unwrap().as_deref(), target, "task {tid}");
        assert_eq!(t.tag().unwrap(), tag, "task {tid}");
        assert_eq!(t.arch().unwrap().as_deref(), arch, "task {tid}");
        assert_eq!(
            t.arches().unwrap(),
            arch.into_iter().collect::<Vec<_>>(),
            "task {tid}"
        );
        assert_eq!(t.build_id().unwrap(), build_id, "task {tid}");
        assert_eq!(t.is_scratch().unwrap(), scratch, "task {tid}");
        assert_eq!(t.url(WEB).unwrap(), format!("{WEB}/taskinfo?taskID={tid}"));
    }
    // No helper fails on any seeded task.
    for (tid, t) in &tasks {
        t.package().unwrap_or_else(|e| panic!("task {tid}: {e}"));
        t.target().unwrap();
        t.tag().unwrap();
        t.arches().unwrap();
        t.build_id().unwrap();
        t.is_scratch().unwrap();
    }
}

#[test]
fn task_helpers_agree_with_the_rest_of_the_hub() {
    let tasks = tasks();
    let builds = builds();
    let targets: Vec<BuildTarget> = dataset("targets")
        .as_array()
        .unwrap()
        .iter()
        .map(decode)
        .collect();
    // The package a build task names is the package of the build it made.
    let mut checked = 0;
    for b in builds.values() {
        let Some(task_id) = b.task_id() else { continue };
        assert_eq!(
            tasks[&task_id].package().unwrap().as_deref(),
            b.name.as_deref(),
            "build {:?}",
            b.nvr
        );
        checked += 1;
    }
    assert!(checked >= 8, "{checked}");
    // A tagBuild subtask tags the build its parent made.
    for t in tasks.values().filter(|t| t.method() == Some("tagBuild")) {
        let (Some(parent), Some(build)) = (t.parent, t.build_id().unwrap()) else {
            continue;
        };
        assert_eq!(builds[&build].task_id(), Some(parent));
    }
    // A buildArch builds in the build tag of its parent's target.
    for t in tasks.values().filter(|t| t.method() == Some("buildArch")) {
        let parent = &tasks[&t.parent.unwrap()];
        let target_name = parent.target().unwrap().unwrap();
        let target = targets
            .iter()
            .find(|x| x.name.as_deref() == Some(&target_name))
            .unwrap();
        assert_eq!(
            t.tag().unwrap(),
            Some(IdOrName::Id(target.build_tag.unwrap()))
        );
    }
}

#[test]
fn task_times_states_and_durations() {
    let tasks = tasks();
    for (id, t) in &tasks {
        let created = t.created().unwrap().unwrap();
        assert_eq!(
            Some(created),
            t.create_ts
                .and_then(koji_client::model::timestamp_from_epoch)
        );
        match (t.started().unwrap(), t.completed().unwrap()) {
            (Some(s), Some(c)) => assert_eq!(t.duration(now()).unwrap(), Some(c.duration_since(s))),
            (Some(s), None) => {
                assert_eq!(t.duration(now()).unwrap(), Some(now().duration_since(s)))
            }
            (None, _) => assert_eq!(t.duration(now()).unwrap(), None, "task {id}"),
        }
    }
    assert_eq!(tasks[&31].state_name().as_deref(), Some("ASSIGNED"));
    assert_eq!(tasks[&27].state_name().as_deref(), Some("FREE"));
    assert_eq!(tasks[&7].state, Some(TaskState::Failed));
    // FREE tasks have not started.
    assert_eq!(tasks[&27].duration(now()).unwrap(), None);
    let mut t = tasks[&1].clone();
    t.state = Some(TaskState::from_code(9));
    assert_eq!(t.state_name().as_deref(), Some("(unknown state 9)"));
}

#[test]
fn tasks_without_request_say_so() {
    let t: Task = decode(&dataset("tasks_norequest")["4"]);
    let err = t.arch().unwrap_err();
    assert_eq!(
        err.to_string(),
        "task 4: no request (ask getTaskInfo with request=True)"
    );
}

#[test]
fn list_tasks_results_match_get_task_result() {
    let rows = dataset("listTasks_decoded");
    let results = dataset("task_results");
    let tasks = tasks();
    let mut successes = 0;
    for row in rows.as_array().unwrap() {
        let t: Task = decode(row);
        let id = t.id.unwrap();
        // The decoded request is the one getTaskInfo(request=True) sends.
        assert_eq!(t.params().unwrap(), tasks[&id].params().unwrap());
        match t.outcome().unwrap() {
            Some(TaskOutcome::Success(value)) => {
                assert_eq!(t.state, Some(TaskState::Closed));
                assert_eq!(value, results[id.to_string()], "task {id}");
                successes += 1;
            }
            Some(TaskOutcome::Fault(fault)) => {
                assert_eq!(t.state, Some(TaskState::Failed));
                assert_eq!(fault.code, 1005);
                assert_eq!(json!(fault.message), results[id.to_string()]["faultString"]);
            }
            None => assert!(
                t.state
                    .as_ref()
                    .is_some_and(|s| s.is_active() || *s == TaskState::Canceled)
            ),
        }
    }
    assert!(successes > 10, "{successes}");
}

#[test]
fn task_descendents_match_task_children() {
    let children = dataset("task_children");
    for (root, tree) in by_id(&dataset("task_descendents")) {
        let tree: TaskDescendents = decode(tree);
        for (id, kids) in &tree.map {
            // getTaskDescendents sorts each list by id; getTaskChildren
            // comes in the database's physical order.
            let ids: Vec<_> = kids.iter().map(|t| t.id).collect();
            let mut want: Vec<_> = children[id]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64())
                .collect();
            want.sort();
            assert_eq!(ids, want, "children of {id}");
        }
        assert_eq!(
            tree.children(root).len(),
            children[root.to_string()].as_array().unwrap().len()
        );
        // Every descendant's ancestry leads back to the root.
        let all = tree.all();
        let parent_of: BTreeMap<i64, i64> = all
            .iter()
            .map(|t| (t.id.unwrap(), t.parent.unwrap()))
            .collect();
        for t in &all {
            let mut up = t.parent.unwrap();
            while up != root {
                up = parent_of[&up];
            }
        }
        assert!(all.iter().all(|t| t.id != Some(root)));
    }
    let tree: TaskDescendents = decode(&dataset("task_descendents")["2"]);
    let ids: Vec<_> = tree.all().iter().map(|t| t.id.unwrap()).collect();
    assert_eq!(ids, [3, 4, 5, 6]);
    assert_eq!(tree.children(4), &[]);
}

#[test]
fn urls_of_every_object_parse_back() {
    for (id, v) in by_id(&dataset("channel_by_id")) {
        let c: Channel = decode(v);
        assert_eq!(
            WebObject::parse_for_weburl(WEB, &c.url(WEB).unwrap()),
            Some(WebObject::Channel(id))
        );
    }
    for (id, v) in by_id(&dataset("host_by_id")) {
        let h: Host = decode(v);
        assert_eq!(
            WebObject::parse(&h.url(WEB).unwrap()),
            Some(WebObject::Host(IdOrName::Id(id)))
        );
    }
    for (id, v) in by_id(&dataset("users")) {
        let u: User = decode(v);
        assert_eq!(u.url(WEB).unwrap(), format!("{WEB}/userinfo?userID={id}"));
    }
    for (id, v) in by_id(&dataset("tag_by_id")) {
        let t: Tag = decode(v);
        assert_eq!(
            WebObject::parse(&t.url(WEB).unwrap()),
            Some(WebObject::Tag(IdOrName::Id(id)))
        );
    }
    for (id, v) in by_id(&dataset("target_by_id")) {
        let t: BuildTarget = decode(v);
        assert_eq!(
            t.url(WEB).unwrap(),
            format!("{WEB}/buildtargetinfo?targetID={id}")
        );
    }
    // listPackages rows carry package_id / package_name.
    for v in dataset("packages").as_array().unwrap() {
        let p: Package = decode(v);
        let id = v["package_id"].as_i64().unwrap();
        assert_eq!(
            p.url(WEB).unwrap(),
            format!("{WEB}/packageinfo?packageID={id}")
        );
        assert_eq!(p.name(), v["package_name"].as_str());
    }
    for (id, v) in by_id(&dataset("package_by_id")) {
        let p: Package = decode(v);
        assert_eq!(p.id(), Some(id));
    }
}

#[test]
fn users_hosts_and_tags() {
    let users: BTreeMap<i64, User> = by_id(&dataset("users"))
        .into_iter()
        .map(|(i, v)| (i, decode(v)))
        .collect();
    assert_eq!(users[&2].principals(), ["alice@KOJI.TEST"]);
    assert!(users[&5].is_blocked());
    assert!(users[&5].principals().is_empty());
    assert_eq!(
        users[&6]
            .usertype
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("GROUP")
    );
    assert_eq!(
        users[&2].groups.as_deref(),
        Some(&["packagers".to_owned()][..])
    );
    let hosts: Vec<Host> = dataset("hosts")
        .as_array()
        .unwrap()
        .iter()
        .map(decode)
        .collect();
    assert_eq!(hosts[0].arch_list(), ["x86_64", "i686"]);
    assert!(hosts[0].updated().unwrap().is_some());
    let tags: Vec<Tag> = dataset("tags")
        .as_array()
        .unwrap()
        .iter()
        .map(decode)
        .collect();
    let candidate = tags
        .iter()
        .find(|t| t.name.as_deref() == Some("f40-candidate"))
        .unwrap();
    assert!(candidate.arch_list().is_empty());
}

#[test]
fn raw_list_tasks_rows_decode_like_decoded_ones() {
    let raw = dataset("listTasks_raw");
    let decoded = dataset("listTasks_decoded");
    let mut requests = 0;
    let mut results = 0;
    for (raw, decoded) in raw
        .as_array()
        .unwrap()
        .iter()
        .zip(decoded.as_array().unwrap())
    {
        let raw: Task = decode(raw);
        let decoded: Task = decode(decoded);
        assert_eq!(raw.id, decoded.id);
        assert!(matches!(raw.request, Some(Value::String(_))));
        assert_eq!(
            raw.params().unwrap(),
            decoded.params().unwrap(),
            "task {:?}",
            raw.id
        );
        assert_eq!(raw.package().unwrap(), decoded.package().unwrap());
        assert_eq!(
            raw.outcome().unwrap(),
            decoded.outcome().unwrap(),
            "task {:?}",
            raw.id
        );
        requests += 1;
        if matches!(raw.result, Some(Value::String(_))) {
            results += 1;
        }
    }
    assert_eq!(requests, 31);
    assert!(results >= 20, "{results}");
}

#[test]
fn task_free_message_carries_a_raw_request() {
    // The hub publishes task.free before decoding: `request` is XML text.
    let body = support::message_body("008-koji.task.free");
    let t: Task = decode(&body["info"]);
    assert!(matches!(t.request, Some(Value::String(_))));
    assert_eq!(t.package().unwrap().as_deref(), Some("msgdemo"));
    assert_eq!(t.target().unwrap().as_deref(), Some("f40-candidate"));
    // The task.open message of the same task has it decoded: same answers.
    let open: Task = decode(&support::message_body("009-koji.task.open")["info"]);
    assert_eq!(open.params().unwrap(), t.params().unwrap());
}
