//! Counterparts of txkoji's `from_frame` cases (`txkoji/messages.py`):
//! `BuildStateChange`, `TaskStateChange` and `TagUntag` built from STOMP
//! frames as a UMB/ActiveMQ bridge delivers them (every property a string
//! header, JSON body), with their `event`, `url`, `user()` and `tag()`.
#![allow(clippy::unwrap_used)]

use koji_client::cache::{NameCache, TAG, USER};
use koji_client::messages::frame::StompFrame;
use koji_client::messages::{KojiEvent, NoNames, parse_stomp};
use koji_client::{BuildState, IdOrName, TaskState};

const WEB: &str = "https://brewweb.example.com/brew";

fn frame(destination: &str, headers: &[(&str, &str)], body: &str) -> StompFrame {
    let mut f = StompFrame::new("MESSAGE")
        .with_header("destination", destination)
        .with_header("message-id", "ID:umb-1-2-3")
        .with_header("subscription", "0");
    for (k, v) in headers {
        f = f.with_header(*k, *v);
    }
    // Through the wire and back, as a consumer would get it.
    let wire = f.with_body(body.as_bytes().to_vec()).encode();
    StompFrame::decode(&wire, 1 << 20).unwrap().unwrap().0
}

fn names() -> (tempfile::TempDir, NameCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = NameCache::with_dir(dir.path(), "brew").unwrap();
    cache.insert(USER, 3595, "kdreyer").unwrap();
    cache.insert(TAG, 197, "ceph-3.0-rhel-7-candidate").unwrap();
    (dir, cache)
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn build_state_change_from_frame() {
    // txkoji: event = frame.headers['new']; build = Build.fromDict(json['info'])
    let f = frame(
        "/topic/VirtualTopic.eng.brew.build.complete",
        &[
            ("type", "BuildStateChange"),
            ("name", "ceph"),
            ("version", "12.2.1"),
            ("release", "1.el7cp"),
            ("attribute", "state"),
            ("old", "BUILDING"),
            ("new", "COMPLETE"),
        ],
        r#"{"attribute": "state", "old": 0, "new": 1, "info": {"id": 602504,
            "build_id": 602504, "name": "ceph", "version": "12.2.1", "release": "1.el7cp",
            "nvr": "ceph-12.2.1-1.el7cp", "owner_id": 3595, "owner_name": "kdreyer",
            "state": 1, "task_id": 14329012, "epoch": 2}}"#,
    );
    let event = parse_stomp(&f).unwrap();
    let KojiEvent::BuildStateChange(change) = &event else {
        panic!("{event:?}")
    };
    // `event` is the new state's name.
    assert_eq!(change.new, BuildState::Complete);
    assert_eq!(change.new.to_string(), "COMPLETE");
    assert_eq!(change.old, Some(BuildState::Building));
    assert_eq!(change.build.nvr().as_deref(), Some("ceph-12.2.1-1.el7cp"));
    assert_eq!(change.build.epoch, Some(2));
    // url: the build's url.
    assert_eq!(
        event.url(WEB).unwrap(),
        "https://brewweb.example.com/brew/buildinfo?buildID=602504"
    );
    // user(): the build's owner_name, no lookup.
    assert_eq!(event.user(), Some(IdOrName::from("kdreyer")));
    assert_eq!(
        run(event.user_name(&NoNames)).unwrap().as_deref(),
        Some("kdreyer")
    );
    assert_eq!(
        event.summary(Some(WEB)),
        "kdreyer's ceph-12.2.1-1.el7cp complete \
         (https://brewweb.example.com/brew/buildinfo?buildID=602504)"
    );
}

#[test]
fn build_state_change_from_frame_uses_body_state_when_headers_lack_it() {
    // A bridge that dropped the properties: the body's numbers still say.
    let f = frame(
        "/topic/VirtualTopic.eng.brew.build.failed",
        &[],
        r#"{"attribute": "state", "old": 0, "new": 3, "info": {"id": 5, "state": 3}}"#,
    );
    let KojiEvent::BuildStateChange(change) = parse_stomp(&f).unwrap() else {
        panic!()
    };
    assert_eq!(
        (change.old, change.new),
        (Some(BuildState::Building), BuildState::Failed)
    );
}

const TASK_BODY: &str = r#"{"attribute": "state", "old": "OPEN", "new": "CLOSED",
    "info": {"id": 14329101, "method": "tagBuild", "owner": 3595, "state": 2,
             "arch": "noarch", "parent": 14329012, "channel_id": 1,
             "request": [197, 602504, false, null, true]}}"#;

#[test]
fn task_state_change_from_frame() {
    // txkoji: event = frame.headers['new']; task = Task.fromDict(json['info'])
    let f = frame(
        "/topic/VirtualTopic.eng.brew.task.closed",
        &[
            ("type", "TaskStateChange"),
            ("id", "14329101"),
            ("parent", "14329012"),
            ("method", "tagBuild"),
            ("attribute", "state"),
            ("old", "OPEN"),
            ("new", "CLOSED"),
        ],
        TASK_BODY,
    );
    let mut event = parse_stomp(&f).unwrap();
    let KojiEvent::TaskStateChange(change) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(change.new, TaskState::Closed);
    assert_eq!(change.old, Some(TaskState::Open));
    assert_eq!(change.task.id, Some(14329101));
    assert_eq!(change.task.parent, Some(14329012));
    assert_eq!(
        event.url(WEB).unwrap(),
        "https://brewweb.example.com/brew/taskinfo?taskID=14329101"
    );
    // user(): the owner is an id, looked up through the name cache.
    assert_eq!(event.user(), Some(IdOrName::Id(3595)));
    let (_dir, cache) = names();
    assert_eq!(
        run(event.user_name(&cache)).unwrap().as_deref(),
        Some("kdreyer")
    );
    // tag(): a tagBuild task names its tag by id; the cache has the name.
    assert_eq!(event.tag(), Some(IdOrName::Id(197)));
    assert_eq!(
        run(event.tag_name(&cache)).unwrap().as_deref(),
        Some("ceph-3.0-rhel-7-candidate")
    );
    // Without names, the summary shows ids; after resolving, names.
    assert_eq!(
        event.summary(None),
        "user 3595's tagBuild for tag 197 task closed"
    );
    run(event.resolve_names(&cache)).unwrap();
    assert_eq!(
        event.summary(None),
        "kdreyer's tagBuild for tag ceph-3.0-rhel-7-candidate task closed"
    );
}

#[test]
fn task_state_change_from_frame_with_unknown_ids() {
    let f = frame(
        "/topic/VirtualTopic.eng.brew.task.closed",
        &[
            ("type", "TaskStateChange"),
            ("old", "OPEN"),
            ("new", "CLOSED"),
            ("parent", "None"),
        ],
        TASK_BODY,
    );
    let event = parse_stomp(&f).unwrap();
    // No names known: the lookups answer None, not an error.
    assert_eq!(run(event.user_name(&NoNames)).unwrap(), None);
    assert_eq!(run(event.tag_name(&NoNames)).unwrap(), None);
    // "None" headers are nulls.
    assert_eq!(event.meta().properties["parent"], "None");
}

#[test]
fn task_state_change_from_frame_tag_by_name_and_none() {
    // tag() is a name for newRepo tasks…
    let f = frame(
        "/topic/VirtualTopic.eng.brew.task.open",
        &[
            ("type", "TaskStateChange"),
            ("old", "FREE"),
            ("new", "OPEN"),
        ],
        r#"{"attribute": "state", "old": "FREE", "new": "OPEN",
            "info": {"id": 9, "method": "newRepo", "owner": 1, "state": 1,
                     "request": ["f40-build"]}}"#,
    );
    let event = parse_stomp(&f).unwrap();
    assert_eq!(event.tag(), Some(IdOrName::from("f40-build")));
    assert_eq!(
        run(event.tag_name(&NoNames)).unwrap().as_deref(),
        Some("f40-build")
    );
    // …and None for methods without a tag.
    let f = frame(
        "/topic/VirtualTopic.eng.brew.task.open",
        &[
            ("type", "TaskStateChange"),
            ("old", "FREE"),
            ("new", "OPEN"),
        ],
        r#"{"attribute": "state", "old": "FREE", "new": "OPEN",
            "info": {"id": 10, "method": "buildArch", "owner": 1, "state": 1,
                     "request": ["tasks/10/10/ceph-12.2.1-1.el7cp.src.rpm", 2, "x86_64", true, {}]}}"#,
    );
    let event = parse_stomp(&f).unwrap();
    assert_eq!(event.tag(), Some(IdOrName::Id(2)));
    let f = frame(
        "/topic/VirtualTopic.eng.brew.task.open",
        &[
            ("type", "TaskStateChange"),
            ("old", "FREE"),
            ("new", "OPEN"),
        ],
        r#"{"attribute": "state", "old": "FREE", "new": "OPEN",
            "info": {"id": 11, "method": "createrepo", "owner": 1, "state": 1,
                     "request": [7, "x86_64", null]}}"#,
    );
    assert_eq!(parse_stomp(&f).unwrap().tag(), None);
}

#[test]
fn tag_untag_from_frame() {
    // txkoji: event = headers['type']; tag = headers['tag']; user =
    // headers['user']; build = Build.fromDict(json['build'])
    for (kind, verb) in [("Tag", "tagged"), ("Untag", "untagged")] {
        let f = frame(
            &format!("/topic/VirtualTopic.eng.brew.build.{}", kind.to_lowercase()),
            &[
                ("type", kind),
                ("tag", "ceph-3.0-rhel-7-candidate"),
                ("name", "ceph"),
                ("version", "12.2.1"),
                ("release", "1.el7cp"),
                ("user", "kdreyer"),
            ],
            r#"{"build": {"id": 602504, "build_id": 602504, "nvr": "ceph-12.2.1-1.el7cp",
                          "owner_name": "someoneelse", "state": 1}}"#,
        );
        let event = parse_stomp(&f).unwrap();
        assert_eq!(event.kind_name(), kind);
        let (KojiEvent::Tag(change) | KojiEvent::Untag(change)) = &event else {
            panic!("{event:?}")
        };
        assert_eq!(
            change.tag.name.as_deref(),
            Some("ceph-3.0-rhel-7-candidate")
        );
        assert_eq!(change.build.build_id(), Some(602504));
        // user(): the header's user, not the build's owner.
        assert_eq!(event.user(), Some(IdOrName::from("kdreyer")));
        assert_eq!(
            event.tag(),
            Some(IdOrName::from("ceph-3.0-rhel-7-candidate"))
        );
        assert_eq!(
            event.url(WEB).unwrap(),
            "https://brewweb.example.com/brew/buildinfo?buildID=602504"
        );
        let prep = if kind == "Tag" { "into" } else { "from" };
        assert_eq!(
            event.summary(None),
            format!("kdreyer {verb} ceph-12.2.1-1.el7cp {prep} ceph-3.0-rhel-7-candidate")
        );
    }
}
