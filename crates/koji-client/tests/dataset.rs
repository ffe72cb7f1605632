//! Every record the real hub returned decodes into its model, and encodes
//! back to the very same struct: nothing lost, nothing added.
#![allow(clippy::unwrap_used)]

#[path = "fixtures_support/mod.rs"]
mod support;

use koji_client::{
    Build, BuildTarget, Channel, Host, Package, Repo, Tag, Task, TaskDescendents, User,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use support::{dataset, message_body};

/// Records of a dataset file: the file's rows, descended through the
/// listed levels ("*" = every value of an object or list).
fn records<'a>(data: &'a Value, path: &[&str]) -> Vec<&'a Value> {
    let mut level = vec![data];
    for step in path {
        level = level
            .into_iter()
            .flat_map(|v| -> Vec<&Value> {
                match (step, v) {
                    (&"*", Value::Object(map)) => map.values().collect(),
                    (&"*", Value::Array(list)) => list.iter().collect(),
                    (key, Value::Object(map)) => map.get(*key).into_iter().collect(),
                    _ => panic!("unexpected shape at {step}"),
                }
            })
            .collect();
    }
    level
}

/// Decodes every record, checks the round trip and that the model names
/// every member (nothing left in `other`). Returns how many it checked.
fn round_trip<M>(file: &str, path: &[&str], other: impl Fn(&M) -> usize) -> usize
where
    M: DeserializeOwned + Serialize,
{
    let data = dataset(file);
    let rows = records(&data, path);
    for (i, row) in rows.iter().enumerate() {
        let model: M = serde_json::from_value((*row).clone())
            .unwrap_or_else(|e| panic!("{file} record {i}: {e}\n{row}"));
        let back = serde_json::to_value(&model).unwrap();
        assert_eq!(&back, *row, "{file} record {i} changed in the round trip");
        assert_eq!(
            other(&model),
            0,
            "{file} record {i} has members without a field: {row}"
        );
    }
    rows.len()
}

#[test]
fn builds_round_trip() {
    let other = |b: &Build| b.other.len();
    assert_eq!(round_trip("builds", &["*"], other), 25);
    assert_eq!(round_trip("listBuilds", &["*"], other), 25);
    let tagged = round_trip("listTagged", &["*", "*", "*"], other);
    assert!(tagged > 50, "{tagged}");
}

#[test]
fn tasks_round_trip() {
    let other = |t: &Task| t.other.len();
    assert_eq!(round_trip("tasks", &["*"], other), 31);
    assert_eq!(round_trip("tasks_norequest", &["*"], other), 31);
    assert_eq!(round_trip("listTasks_decoded", &["*"], other), 31);
    assert_eq!(round_trip("listTasks_raw", &["*"], other), 31);
    assert_eq!(round_trip("task_children", &["*", "*"], other), 15);
}

#[test]
fn task_descendents_round_trip() {
    let other = |t: &TaskDescendents| t.map.values().flatten().map(|t| t.other.len()).sum();
    assert_eq!(round_trip("task_descendents", &["*"], other), 16);
}

#[test]
fn channels_hosts_users_round_trip() {
    let ch = |c: &Channel| c.other.len();
    assert_eq!(round_trip("channels", &["*"], ch), 10);
    assert_eq!(round_trip("channel_by_id", &["*"], ch), 10);
    assert!(round_trip("host_channels", &["*", "*"], ch) >= 4);
    let h = |h: &Host| h.other.len();
    assert_eq!(round_trip("hosts", &["*"], h), 4);
    assert_eq!(round_trip("host_by_id", &["*"], h), 4);
    assert!(round_trip("channel_hosts", &["*", "*"], h) >= 4);
    let u = |u: &User| u.other.len();
    assert_eq!(round_trip("users", &["*"], u), 10);
    assert_eq!(round_trip("listUsers", &["*", "*"], u), 10);
}

#[test]
fn tags_targets_packages_repos_round_trip() {
    let t = |t: &Tag| t.other.len();
    assert_eq!(round_trip("tags", &["*"], t), 10);
    assert_eq!(round_trip("tag_by_id", &["*"], t), 10);
    assert!(round_trip("tag_build_tags", &["*", "*"], t) > 10);
    assert!(round_trip("package_tags", &["*", "*"], t) > 5);
    let bt = |t: &BuildTarget| t.other.len();
    assert_eq!(round_trip("targets", &["*"], bt), 3);
    assert_eq!(round_trip("target_by_id", &["*"], bt), 3);
    let p = |p: &Package| p.other.len();
    assert_eq!(round_trip("packages", &["*"], p), 8);
    assert_eq!(round_trip("package_by_id", &["*"], p), 8);
    assert!(round_trip("tag_packages", &["*", "*", "*"], p) > 10);
    let r = |r: &Repo| r.other.len();
    assert_eq!(round_trip("repos", &["*"], r), 1);
    assert_eq!(round_trip("repo_info", &["*"], r), 1);
}

#[test]
fn bus_message_bodies_round_trip() {
    for (name, member) in [
        ("008-koji.task.free", "info"),
        ("009-koji.task.open", "info"),
        ("035-koji.task.failed", "info"),
    ] {
        let body = message_body(name);
        let task: Task = serde_json::from_value(body[member].clone()).unwrap();
        assert_eq!(serde_json::to_value(&task).unwrap(), body[member], "{name}");
        assert!(task.other.is_empty(), "{name}");
    }
    for (name, member) in [
        ("014-koji.build.complete", "info"),
        ("020-koji.build.tag", "build"),
        ("052-koji.build.deleted", "info"),
    ] {
        let body = message_body(name);
        let build: Build = serde_json::from_value(body[member].clone()).unwrap();
        assert_eq!(
            serde_json::to_value(&build).unwrap(),
            body[member],
            "{name}"
        );
        assert!(build.other.is_empty(), "{name}");
    }
    let tag_msg = message_body("020-koji.build.tag");
    let tag: Tag = serde_json::from_value(tag_msg["tag"].clone()).unwrap();
    assert_eq!(serde_json::to_value(&tag).unwrap(), tag_msg["tag"]);
    let user: User = serde_json::from_value(tag_msg["user"].clone()).unwrap();
    assert_eq!(serde_json::to_value(&user).unwrap(), tag_msg["user"]);
}

#[test]
fn member_sets_of_each_method_are_told_apart() {
    let get: Build = serde_json::from_value(dataset("builds")["1"].clone()).unwrap();
    let row: Build = serde_json::from_value(dataset("listBuilds")[0].clone()).unwrap();
    let tagged: Build =
        serde_json::from_value(dataset("listTagged")["f40"]["plain"][0].clone()).unwrap();
    // getBuild sends `task_id: nil`; listBuilds has no `id`; listTagged no `*_ts`.
    assert!(get.has_member("task_id") && get.task_id.is_none());
    assert!(get.has_member("id") && !row.has_member("id"));
    assert!(!tagged.has_member("start_ts") && tagged.has_member("start_time"));
    assert!(!get.has_member("no_such_member"));
    // Same build through both methods: same id through the accessor.
    assert_eq!(get.build_id(), row.build_id());
}
