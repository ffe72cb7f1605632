//! The parser's contract: unknown kinds are `Unknown`, never errors; bad
//! bodies of known kinds are typed errors that say what and where; bridges'
//! stringified properties read like typed ones.
#![allow(clippy::unwrap_used)]

use koji_client::messages::frame::StompFrame;
use koji_client::messages::{
    Dialect, ImportType, KojiEvent, MessageError, PackageListAction, ResolverFn, parse,
    parse_amqp1_bytes, parse_stomp,
};
use koji_client::{BuildState, IdOrName, TaskState};
use serde_json::{Map, Value, json};

fn props(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn unknown_types_and_topics_are_unknown_events() {
    // A type this library does not model (another plugin, a future Koji).
    let e = parse(
        Some("/topic/koji.host.update"),
        &props(json!({"type": "HostUpdate", "host": "builder1"})),
        br#"{"host": {"id": 1}}"#,
    )
    .unwrap();
    let KojiEvent::Unknown(u) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(u.kind.as_deref(), Some("HostUpdate"));
    assert_eq!(u.meta.body["host"]["id"], 1);
    assert_eq!(u.raw_body, None);
    assert_eq!(e.kind_name(), "Unknown");
    assert_eq!(
        e.summary(None),
        "unknown message HostUpdate on /topic/koji.host.update"
    );
    assert_eq!(e.url("https://k/koji"), None);

    // No type and an unknown topic; a body that is not even JSON.
    let e = parse(
        Some("/topic/other.thing"),
        &Map::new(),
        b"\xff\x00 not json",
    )
    .unwrap();
    let KojiEvent::Unknown(u) = e else { panic!() };
    assert_eq!(u.kind, None);
    assert_eq!(u.meta.body, Value::Null);
    assert_eq!(u.raw_body.as_deref(), Some(&b"\xff\x00 not json"[..]));

    // Nothing at all.
    assert!(matches!(
        parse(None, &Map::new(), b"").unwrap(),
        KojiEvent::Unknown(_)
    ));

    // A non-state attribute change (old messagebus hubs sent those).
    let e = parse(
        None,
        &props(json!({"type": "TaskStateChange", "attribute": "weight"})),
        br#"{"attribute": "weight", "old": 1.0, "new": 2.0, "info": {"id": 3}}"#,
    )
    .unwrap();
    let KojiEvent::Unknown(u) = e else { panic!() };
    assert_eq!(u.kind.as_deref(), Some("TaskStateChange/weight"));

    // Another application's fedora-messaging schema.
    let e = parse(
        Some("org.fedoraproject.prod.bodhi.update.comment"),
        &props(json!({"fedora_messaging_schema": "bodhi.update.comment.v1"})),
        br#"{"comment": {}}"#,
    )
    .unwrap();
    let KojiEvent::Unknown(u) = e else { panic!() };
    assert_eq!(u.kind.as_deref(), Some("bodhi.update.comment.v1"));
    assert_eq!(u.meta.dialect, Dialect::FedoraMessaging);
}

#[test]
fn malformed_bodies_of_known_kinds_are_typed_errors() {
    let p = props(json!({"type": "BuildStateChange", "new": "COMPLETE"}));
    let topic = Some("/topic/koji.build.complete");

    let err = parse(topic, &p, br#"{"info": {"id": 1,"#).unwrap_err();
    let MessageError::Json {
        kind,
        topic: t,
        reason,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*kind, "BuildStateChange");
    assert_eq!(t.as_deref(), topic);
    assert!(reason.contains("line 1"), "{reason}");
    assert!(err.to_string().starts_with(
        "BuildStateChange message on \"/topic/koji.build.complete\": body is not valid JSON"
    ));

    // Missing the build.
    let err = parse(topic, &p, br#"{"attribute": "state", "new": 1}"#).unwrap_err();
    assert_eq!(
        err,
        MessageError::Missing {
            kind: "BuildStateChange",
            topic: topic.map(str::to_owned),
            field: "info".into()
        }
    );

    // A member of the wrong type: the error names its path.
    let err = parse(
        topic,
        &p,
        br#"{"new": 1, "info": {"id": 1, "owner_id": "alice"}}"#,
    )
    .unwrap_err();
    let MessageError::Invalid { path, reason, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, "info.owner_id");
    assert!(reason.contains("invalid type"), "{reason}");

    // A state that is neither a number nor a name.
    let err = parse(topic, &Map::new(), br#"{"new": [1], "info": {"id": 1}}"#).unwrap_err();
    let MessageError::Invalid { path, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, "new");

    // A stringified property that is not an integer where one is needed.
    let err = parse(
        None,
        &props(json!({"type": "RepoInit", "tag": "f40-build", "repo_id": "two"})),
        br#"{"event": null}"#,
    )
    .unwrap_err();
    let MessageError::Invalid { path, reason, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, "properties.repo_id");
    assert_eq!(reason, "expected an integer, got \"two\"");

    // Errors never carry the whole body.
    let big = format!(
        r#"{{"new": 1, "info": {{"id": "{}"}}}}"#,
        "x".repeat(10_000)
    );
    let err = parse(topic, &p, big.as_bytes()).unwrap_err();
    assert!(err.to_string().len() < 400, "{}", err.to_string().len());

    // Fedora bodies too.
    let err = parse(
        Some("org.fedoraproject.prod.buildsys.tag"),
        &Map::new(),
        b"[1, 2",
    )
    .unwrap_err();
    assert!(
        matches!(err, MessageError::Json { kind: "Tag", .. }),
        "{err:?}"
    );
}

#[test]
fn stringified_properties_read_like_typed_ones() {
    // What an ActiveMQ STOMP bridge makes of protonmsg's properties.
    let body =
        br#"{"repo": {"id": 2, "tag_id": 4, "tag_name": "f40-build", "task_id": 39, "state": 1},
                    "data": {}, "expire": false, "task_id": null}"#;
    let typed = parse(
        Some("topic://koji.repo.done"),
        &props(json!({"type": "RepoDone", "tag": "f40-build", "repo_id": 2, "task_id": 39, "expire": false})),
        body,
    )
    .unwrap();
    let stringly = parse(
        Some("/topic/VirtualTopic.koji.repo.done"),
        &props(json!({"type": "RepoDone", "tag": "f40-build", "repo_id": "2", "task_id": "39", "expire": "False"})),
        body,
    )
    .unwrap();
    for e in [&typed, &stringly] {
        let KojiEvent::RepoDone(d) = e else { panic!() };
        assert_eq!(d.repo_id, Some(2));
        assert_eq!(d.task_id, Some(39));
        assert_eq!(d.expire, Some(false));
        assert_eq!(d.tag.name.as_deref(), Some("f40-build"));
    }
    // "None" is a null: a new task has no old state.
    let e = parse(
        None,
        &props(json!({"type": "TaskStateChange", "old": "None", "new": "FREE", "parent": "None"})),
        br#"{"info": {"id": 5, "state": 0, "method": "build", "owner": 2}}"#,
    )
    .unwrap();
    let KojiEvent::TaskStateChange(t) = e else {
        panic!()
    };
    assert_eq!(t.old, None);
    assert_eq!(t.new, TaskState::Free);
}

#[test]
fn states_are_kept_even_when_unknown() {
    let e = parse(
        Some("koji.build.complete"),
        &props(json!({"type": "BuildStateChange", "old": "BUILDING", "new": "FROZEN"})),
        br#"{"info": {"id": 1}}"#,
    )
    .unwrap();
    let KojiEvent::BuildStateChange(b) = e else {
        panic!()
    };
    assert_eq!(b.new, BuildState::from_name("FROZEN"));
    assert!(!b.new.is_known());
    let e = parse(
        None,
        &props(json!({"type": "BuildStateChange"})),
        br#"{"old": 1, "new": 9, "info": {"id": 1}}"#,
    )
    .unwrap();
    let KojiEvent::BuildStateChange(b) = e else {
        panic!()
    };
    assert_eq!(b.new, BuildState::Unknown(9));
    assert_eq!(b.old, Some(BuildState::Complete));
}

#[test]
fn the_topic_alone_identifies_protonmsg_kinds() {
    // No properties at all (a transport that lost them): the topic and body say.
    let e = parse(
        Some("/topic/koji.build.canceled"),
        &Map::new(),
        br#"{"attribute": "state", "old": 0, "new": 4, "info": {"id": 28, "state": 4}}"#,
    )
    .unwrap();
    let KojiEvent::BuildStateChange(b) = e else {
        panic!()
    };
    assert_eq!(b.new, BuildState::Canceled);
    let e = parse(
        Some("koji.package.block"),
        &Map::new(),
        br#"{"action": "block", "tag": {"id": 9, "name": "f40-updates"}, "package": {"id": 9, "name": "msgdemo"},
             "owner": 2, "block": true, "extra_arches": null, "force": false, "update": false,
             "user": {"id": 1, "name": "kojiadmin"}}"#,
    )
    .unwrap();
    let KojiEvent::PackageListChange(p) = &e else {
        panic!()
    };
    assert_eq!(p.action, PackageListAction::Block);
    assert_eq!(p.block, Some(true));
    assert_eq!(e.user(), Some(IdOrName::from("kojiadmin")));
    let e = parse(
        Some("koji.import.archive"),
        &Map::new(),
        br#"{"type": "archive", "build": {"id": 3}}"#,
    )
    .unwrap();
    let KojiEvent::Import(i) = e else { panic!() };
    assert_eq!(i.import_type, ImportType::Archive);
}

#[test]
fn resolver_functions_fill_in_names() {
    let e = parse(
        None,
        &props(json!({"type": "PackageListChange", "tag": "f40", "package": "msgdemo", "action": "add", "user": "kojiadmin"})),
        br#"{"action": "add", "tag": {"id": 2, "name": "f40"}, "package": {"id": 9, "name": "msgdemo"}, "owner": 2}"#,
    )
    .unwrap();
    let names = ResolverFn(|_kind, id: i64| async move {
        Ok::<_, std::io::Error>((id == 2).then(|| "alice".to_owned()))
    });
    let mut e = e;
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(e.resolve_names(&names))
        .unwrap();
    assert_eq!(
        e.summary(None),
        "kojiadmin added msgdemo to f40 (owner alice)"
    );
}

#[test]
fn bad_wire_encodings_are_errors() {
    // A truncated AMQP 1.0 payload.
    let err = parse_amqp1_bytes(None, &[0x00, 0x53, 0x77, 0xa1, 0x09, b'{']).unwrap_err();
    assert!(matches!(err, MessageError::Amqp { .. }), "{err:?}");
    assert!(err.to_string().contains("needs 9 more bytes"), "{err}");
    // A RabbitMQ-style STOMP frame whose properties header is garbage.
    let frame = StompFrame::new("MESSAGE")
        .with_header("destination", "/topic/koji.build.tag")
        .with_header("x-amqp-1.0-app-properties", [0x00, 0x53, 0x74, 0xc1, 0x40])
        .with_header("type", "amqp-1.0");
    let err = parse_stomp(&frame).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("STOMP header x-amqp-1.0-app-properties"),
        "{err}"
    );
}
