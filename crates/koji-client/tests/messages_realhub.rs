//! Every bus message recorded from a real Koji 1.35.3 hub (protonmsg, seen
//! over AMQP 1.0 and over RabbitMQ's STOMP adapter) and every
//! koji-fedoramessaging example parses to the event it is.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use base64::Engine as _;
use koji_client::messages::fedora::parse_envelopes;
use koji_client::messages::frame::StompFrame;
use koji_client::messages::{Dialect, KojiEvent, parse, parse_amqp1_bytes, parse_stomp};
use koji_client::{BuildState, IdOrName, TaskState};
use serde_json::{Map, Value};

fn messages_dir() -> PathBuf {
    koji_testenv::realhub::messages_dir()
}

fn load(path: &std::path::Path) -> Value {
    let text =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap()
}

fn b64(s: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s.as_str().unwrap())
        .unwrap()
}

/// `k=v, k=v` from the index's summary column.
fn summary_pairs(summary: &str) -> Vec<(String, String)> {
    summary
        .split(", ")
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "None".to_owned(), |v| v.to_string())
}

fn id_or_name(v: Option<IdOrName>) -> String {
    opt(v)
}

/// The value of an index key, read from the event's *typed* fields (never
/// from the raw properties).
fn typed_field(event: &KojiEvent, key: &str) -> String {
    let build = event.build();
    let build_field = |k: &str| -> String {
        let b = build.unwrap();
        match k {
            "name" => opt(b.name.clone()),
            "version" => opt(b.version.clone()),
            "release" => opt(b.release.clone()),
            "build_id" => opt(b.build_id()),
            other => panic!("no build field {other}"),
        }
    };
    match (event, key) {
        (_, "attribute") => "state".to_owned(),
        (KojiEvent::BuildStateChange(e), "old") => opt(e.old.clone()),
        (KojiEvent::BuildStateChange(e), "new") => e.new.to_string(),
        (KojiEvent::TaskStateChange(e), "old") => opt(e.old.clone()),
        (KojiEvent::TaskStateChange(e), "new") => e.new.to_string(),
        (KojiEvent::TaskStateChange(e), "id") => opt(e.task.id),
        (KojiEvent::TaskStateChange(e), "parent") => opt(e.task.parent),
        (KojiEvent::TaskStateChange(e), "method") => opt(e.task.method.clone()),
        (KojiEvent::Tag(e) | KojiEvent::Untag(e), "tag") => opt(e.tag.name.clone()),
        (KojiEvent::Tag(_) | KojiEvent::Untag(_), "user") => id_or_name(event.user()),
        (KojiEvent::PackageListChange(e), "tag") => opt(e.tag.name.clone()),
        (KojiEvent::PackageListChange(e), "package") => opt(e.package.name.clone()),
        (KojiEvent::PackageListChange(e), "action") => e.action.to_string(),
        (KojiEvent::PackageListChange(_), "user") => id_or_name(event.user()),
        (KojiEvent::Import(e), "importType") => e.import_type.to_string(),
        (KojiEvent::RpmSign(e), "sigkey") => e.sigkey.clone(),
        (KojiEvent::RpmSign(e), "rpm_name") => opt(e.rpm.name.clone()),
        (KojiEvent::RpmSign(e), "rpm_version") => opt(e.rpm.version.clone()),
        (KojiEvent::RpmSign(e), "rpm_release") => opt(e.rpm.release.clone()),
        (KojiEvent::RpmSign(e), "rpm_arch") => opt(e.rpm.arch.clone()),
        (KojiEvent::RepoInit(e), "tag") => opt(e.tag.name.clone()),
        (KojiEvent::RepoInit(e), "repo_id") => opt(e.repo_id),
        (KojiEvent::RepoInit(e), "task_id") => opt(e.task_id),
        (KojiEvent::RepoDone(e), "tag") => opt(e.tag.name.clone()),
        (KojiEvent::RepoDone(e), "repo_id") => opt(e.repo_id),
        (KojiEvent::RepoDone(e), "task_id") => opt(e.task_id),
        (KojiEvent::RepoDone(e), "expire") => opt(e.expire)
            .replace("false", "False")
            .replace("true", "True"),
        (KojiEvent::BuildPromote(e), "draft_release") => opt(e.draft_release.clone()),
        (KojiEvent::BuildPromote(e), "target_release") => opt(e.target_release.clone()),
        (KojiEvent::BuildPromote(_), "user") => id_or_name(event.user()),
        (_, k @ ("name" | "version" | "release" | "build_id")) => build_field(k),
        (e, k) => panic!("no typed field {k} for {}", e.kind_name()),
    }
}

fn check_against_index(event: &KojiEvent, entry: &Value, how: &str) {
    let seq = &entry["seq"];
    assert_eq!(
        event.kind_name(),
        entry["type"].as_str().unwrap(),
        "message {seq} over {how}"
    );
    assert_eq!(event.meta().dialect, Dialect::Protonmsg);
    for (key, want) in summary_pairs(entry["summary"].as_str().unwrap()) {
        assert_eq!(
            typed_field(event, &key),
            want,
            "message {seq} over {how}: {key}"
        );
    }
    // Kind-specific facts the index does not list.
    match event {
        KojiEvent::BuildStateChange(e) => {
            // The body has the state as a number: the same state as the name.
            assert_eq!(e.build.state.as_ref(), Some(&e.new), "message {seq}");
            assert!(e.build.build_id().is_some());
            assert!(
                event
                    .url("https://k/koji")
                    .unwrap()
                    .contains("buildinfo?buildID=")
            );
        }
        KojiEvent::TaskStateChange(e) => {
            assert_eq!(e.task.state.as_ref(), Some(&e.new), "message {seq}");
            assert!(e.task.owner.is_some(), "message {seq}: owner id");
            assert_eq!(
                event.url("https://k/koji").unwrap(),
                format!("https://k/koji/taskinfo?taskID={}", e.task.id.unwrap())
            );
        }
        KojiEvent::Tag(e) | KojiEvent::Untag(e) => {
            assert!(e.tag.id.is_some(), "tag dict from the body");
            assert!(
                e.user.as_ref().unwrap().id.is_some(),
                "user dict from the body"
            );
        }
        KojiEvent::RepoDone(e) => assert_eq!(e.repo.id, e.repo_id),
        KojiEvent::RpmSign(e) => {
            assert!(e.sighash.is_some());
            assert!(e.build.is_some());
            assert_eq!(
                event.url("https://k/koji").unwrap(),
                format!("https://k/koji/rpminfo?rpmID={}", e.rpm.id.unwrap())
            );
        }
        KojiEvent::Import(e) => assert!(e.build.as_ref().unwrap().build_id().is_some()),
        _ => {}
    }
    // Every known message has a summary that names no placeholder.
    let summary = event.summary(Some("https://k/koji"));
    assert!(!summary.contains("unknown"), "message {seq}: {summary}");
}

/// A STOMP frame as an ActiveMQ-style bridge makes it: every property a
/// string header (Python's `str()`: `None`, `False`, numbers as text) and
/// the JSON body as is.
fn activemq_frame(destination: &str, props: &Map<String, Value>, body: &str) -> StompFrame {
    let mut frame = StompFrame::new("MESSAGE")
        .with_header("subscription", "1")
        .with_header("message-id", "ID:broker-1:1:1:1")
        .with_header("destination", destination);
    for (k, v) in props {
        let text = match v {
            Value::Null => "None".to_owned(),
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        frame = frame.with_header(k.clone(), text);
    }
    frame.with_body(body.as_bytes().to_vec())
}

#[test]
fn every_recorded_message_parses_over_amqp_and_stomp() {
    let dir = messages_dir();
    let index = load(&dir.join("index.json"));
    let entries = index["messages"].as_array().unwrap();
    assert_eq!(entries.len(), 56);
    let mut kinds = std::collections::BTreeSet::new();
    for entry in entries {
        let amqp = load(&dir.join(entry["amqp_file"].as_str().unwrap()));
        let stomp = load(&dir.join(entry["stomp_file"].as_str().unwrap()));
        let address = amqp["receiver_link_source_address"].as_str().unwrap();
        let props = amqp["application_properties"].as_object().unwrap();
        let body = amqp["body"].as_str().unwrap();

        // 1. The decoded rendering: properties + body string.
        let from_json = parse(Some(address), props, body.as_bytes()).unwrap();
        check_against_index(&from_json, entry, "AMQP 1.0 (decoded)");

        // 2. The raw AMQP 1.0 payload as transferred.
        let raw = b64(&amqp["raw_transfer_payload_b64"]);
        let from_raw = parse_amqp1_bytes(Some(address), &raw).unwrap();
        // The fixture's rendered bodies of the four import.rpm messages had
        // the hub's paths rewritten (/opt/realhub → /srv/kojihub, in
        // `filepath` and `fileinfo`); the raw bytes keep the original.
        // Everything else must be identical.
        let mut comparable = from_raw.clone();
        if comparable.meta().body != from_json.meta().body {
            assert_eq!(
                entry["topic"], "koji.import.rpm",
                "message {}",
                entry["seq"]
            );
            let rewritten = comparable
                .meta()
                .body
                .to_string()
                .replace("/opt/realhub/", "/srv/kojihub/");
            let rewritten: Value = serde_json::from_str(&rewritten).unwrap();
            assert_eq!(
                &rewritten,
                &from_json.meta().body,
                "message {}",
                entry["seq"]
            );
            comparable.meta_mut().body = rewritten;
        }
        assert_eq!(comparable, from_json, "message {}: raw AMQP", entry["seq"]);

        // 3. The raw STOMP frame from RabbitMQ (AMQP 1.0 encoding inside).
        let wire = b64(&stomp["raw_frame_b64"]);
        let (frame, used) = StompFrame::decode(&wire, 1 << 20).unwrap().unwrap();
        assert_eq!(used, wire.len());
        // Header bytes, once unescaped, are the recorded ones escaped.
        for h in stomp["headers"].as_array().unwrap() {
            let name = h[0].as_str().unwrap();
            let wire_value = b64(&h[2]);
            let mut escaped = Vec::new();
            for &b in frame.header(name).unwrap() {
                match b {
                    b'\n' => escaped.extend(b"\\n"),
                    b'\r' => escaped.extend(b"\\r"),
                    b':' => escaped.extend(b"\\c"),
                    b'\\' => escaped.extend(b"\\\\"),
                    other => escaped.push(other),
                }
            }
            assert_eq!(
                escaped, wire_value,
                "message {}: header {name}",
                entry["seq"]
            );
        }
        let from_stomp = parse_stomp(&frame).unwrap();
        assert_eq!(
            from_stomp.meta().topic.as_deref(),
            stomp["destination"].as_str()
        );
        assert_eq!(from_stomp, from_raw, "message {}: STOMP", entry["seq"]);

        // 4. The same message through an ActiveMQ-style bridge (string headers).
        let frame = activemq_frame(address, props, body);
        let from_strings = parse_stomp(&frame).unwrap();
        check_against_index(&from_strings, entry, "STOMP (string headers)");
        assert_eq!(from_strings.meta().body, from_json.meta().body);
        assert_eq!(
            from_strings.summary(Some("https://k/koji")),
            from_json.summary(Some("https://k/koji"))
        );

        kinds.insert(from_json.kind_name());
    }
    // All ten kinds Koji 1.35 publishes were seen.
    assert_eq!(kinds.len(), 10, "{kinds:?}");
}

#[test]
fn recorded_messages_show_the_known_quirks() {
    let dir = messages_dir();
    let read = |name: &str| -> KojiEvent {
        let amqp = load(&dir.join("amqp").join(name));
        parse(
            amqp["receiver_link_source_address"].as_str(),
            amqp["application_properties"].as_object().unwrap(),
            amqp["body"].as_str().unwrap().as_bytes(),
        )
        .unwrap()
    };
    // A new task: old is None, the request is the raw XML-RPC call.
    let KojiEvent::TaskStateChange(free) = read("008-koji.task.free.json") else {
        panic!()
    };
    assert_eq!(free.old, None);
    assert_eq!(free.new, TaskState::Free);
    assert!(
        free.task
            .request
            .as_ref()
            .unwrap()
            .as_str()
            .unwrap()
            .contains("<methodCall>")
    );
    // A later message: decoded request, and helpers that read it.
    let event = read("013-koji.task.closed.json");
    let KojiEvent::TaskStateChange(closed) = &event else {
        panic!()
    };
    assert_eq!(closed.old, Some(TaskState::Open));
    assert!(closed.task.request.as_ref().unwrap().is_array());
    assert_eq!(event.tag(), Some(IdOrName::from("f40-build")));
    // Builds: old/new are numbers in the body, names in the properties.
    let KojiEvent::BuildStateChange(b) = read("014-koji.build.complete.json") else {
        panic!()
    };
    assert_eq!(
        (b.old, b.new),
        (Some(BuildState::Building), BuildState::Complete)
    );
    assert_eq!(b.meta.body["new"], 1);
    assert_eq!(b.meta.properties["new"], "COMPLETE");
    // An empty build created complete: old is None.
    let KojiEvent::BuildStateChange(b) = read("051-koji.build.complete.json") else {
        panic!()
    };
    assert_eq!(b.old, None);
    // repo.done: task_id is null in the body but set in the properties.
    let KojiEvent::RepoDone(done) = read("048-koji.repo.done.json") else {
        panic!()
    };
    assert_eq!(done.meta.body["task_id"], Value::Null);
    assert_eq!(done.task_id, Some(39));
    assert_eq!(done.expire, Some(false));
    // Package list: owner is a user id in the body.
    let event = read("001-koji.package.add.json");
    let KojiEvent::PackageListChange(p) = &event else {
        panic!()
    };
    assert_eq!(p.owner, Some(IdOrName::Id(2)));
    assert_eq!(
        event.summary(None),
        "kojiadmin added msgdemo to f40 (owner user 2)"
    );
    // Imports keep their type-specific members in the body.
    let KojiEvent::Import(i) = read("056-koji.import.cg.json") else {
        panic!()
    };
    assert_eq!(i.meta.body["metadata"]["build"]["name"], "msgcg");
}

fn fedora_field(event: &KojiEvent, body: &Value) {
    let str_of = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let i64_of = |k: &str| body.get(k).and_then(Value::as_i64);
    match event {
        KojiEvent::BuildStateChange(e) => {
            assert_eq!(e.build.build_id(), i64_of("build_id"));
            assert_eq!(e.build.name, str_of("name"));
            assert_eq!(e.build.owner_name, str_of("owner"));
            assert_eq!(e.new.code(), i64_of("new"));
            assert_eq!(e.old.as_ref().and_then(BuildState::code), i64_of("old"));
            assert_eq!(e.task.is_some(), body["task"].is_object());
            if let Some(task) = &e.task {
                assert_eq!(task.id, body["task"]["id"].as_i64());
            }
            assert_eq!(event.user(), str_of("owner").map(IdOrName::Name));
        }
        KojiEvent::TaskStateChange(e) => {
            assert_eq!(e.task.id, i64_of("id"));
            assert_eq!(e.new.to_string(), str_of("new").unwrap());
            assert_eq!(e.old.as_ref().map(ToString::to_string), str_of("old"));
            assert_eq!(e.owner_name, str_of("owner"));
            // floats in *_time became *_ts
            assert!(e.task.completion_ts.is_some());
            assert!(e.task.completed().unwrap().is_some());
        }
        KojiEvent::Tag(e) | KojiEvent::Untag(e) => {
            assert_eq!(e.tag.name, str_of("tag"));
            assert_eq!(e.tag.id, i64_of("tag_id"));
            assert_eq!(e.build.build_id(), i64_of("build_id"));
            assert_eq!(e.build.name, str_of("name"));
            assert_eq!(e.user.as_ref().and_then(|u| u.name.clone()), str_of("user"));
        }
        KojiEvent::PackageListChange(e) => {
            assert_eq!(e.action.as_str(), str_of("action").unwrap());
            assert_eq!(e.package.name, str_of("package"));
            assert_eq!(e.tag.name, str_of("tag"));
            assert_eq!(e.owner, str_of("owner").map(IdOrName::Name));
        }
        KojiEvent::RepoInit(e) => {
            assert_eq!(e.repo_id, i64_of("repo_id"));
            assert_eq!(e.tag.name, str_of("tag"));
            assert_eq!(e.tag.id, i64_of("tag_id"));
        }
        KojiEvent::RepoDone(e) => {
            assert_eq!(e.repo_id, i64_of("repo_id"));
            assert_eq!(e.tag.name, str_of("tag"));
        }
        KojiEvent::RpmSign(e) => {
            assert_eq!(Some(e.sigkey.clone()), str_of("sigkey"));
            assert_eq!(e.rpm.name, body["rpm"]["name"].as_str().map(str::to_owned));
            assert_eq!(e.build.is_some(), body.get("build").is_some());
            if let Some(b) = &e.build {
                // epoch floats in *_time became *_ts
                assert!(b.completion_ts.is_some());
            }
        }
        other => panic!("unexpected {}", other.kind_name()),
    }
}

#[test]
fn every_fedora_messaging_example_parses() {
    let dir = messages_dir().join("fedora-messaging-examples");
    let index = load(&dir.join("index.json"));
    let entries = index.as_array().unwrap();
    assert_eq!(entries.len(), 26);
    for entry in entries {
        let file = entry["file"].as_str().unwrap();
        let example = load(&dir.join(file));
        let class = entry["class"].as_str().unwrap();
        let want = match class {
            "BuildStateChangeV1" => "BuildStateChange",
            "TaskStateChangeV1" => "TaskStateChange",
            "TagV1" => "Tag",
            "UntagV1" => "Untag",
            "ListChangeV1" => "PackageListChange",
            "InitV1" => "RepoInit",
            "DoneV1" => "RepoDone",
            "SignV1" => "RPMSign",
            other => panic!("class {other}"),
        };
        // The fedora-messaging serialisation, as a one-message list.
        let wire = serde_json::to_vec(&Value::Array(vec![example["wire"].clone()])).unwrap();
        let envelopes = parse_envelopes(&wire).unwrap();
        assert_eq!(envelopes.len(), 1);
        let event = envelopes[0].to_event().unwrap();
        assert_eq!(event.kind_name(), want, "{file}");
        assert_eq!(event.meta().dialect, Dialect::FedoraMessaging, "{file}");
        fedora_field(&event, &example["wire"]["body"]);

        // The same through the generic entry point, as an AMQP 0-9-1
        // consumer sees it: routing key, headers table, body bytes.
        let topic = example["wire"]["topic"].as_str().unwrap();
        let headers = example["wire"]["headers"].as_object().unwrap();
        let body = serde_json::to_vec(&example["wire"]["body"]).unwrap();
        let again = parse(Some(topic), headers, &body).unwrap();
        assert_eq!(again, event, "{file}");

        // Without the schema header the topic alone is enough.
        let mut bare = headers.clone();
        bare.remove("fedora_messaging_schema");
        let by_topic = parse(Some(topic), &bare, &body).unwrap();
        assert_eq!(by_topic.kind_name(), want, "{file} by topic");
    }
}

#[test]
fn fedora_summaries_name_user_package_and_state() {
    let dir = messages_dir().join("fedora-messaging-examples");
    let read = |file: &str| {
        let example = load(&dir.join(file));
        let wire = serde_json::to_vec(&example["wire"]).unwrap();
        parse_envelopes(&wire).unwrap()[0].to_event().unwrap()
    };
    assert_eq!(
        read("12-BuildStateChangeV1.json").summary(Some("https://koji.fedoraproject.org/koji")),
        "releng's Fedora-i3-Live-Rawhide-20240101.n.0 deleted \
         (https://koji.fedoraproject.org/koji/buildinfo?buildID=2339329)"
    );
    assert_eq!(
        read("18-TagV1.json").summary(None),
        "bodhi tagged http-parser-2.9.3-1.fc31 into f31-updates-pending"
    );
    assert_eq!(
        read("19-UntagV1.json").summary(None),
        "autopen untagged python-twisted-19.10.0-2.el8 from epel8-signing-pending"
    );
    assert_eq!(
        read("16-SignV1.json").summary(None),
        "wine-opencl-debuginfo-5.4-1.fc32.aarch64 signed with key 12c944d0"
    );
    assert_eq!(
        read("25-TaskStateChangeV1.json").summary(Some("https://koji.stg.fedoraproject.org/koji")),
        "koschei's libfreehand scratch build for f33 task closed \
         (https://koji.stg.fedoraproject.org/koji/taskinfo?taskID=42569071)"
    );
    assert_eq!(
        read("14-ListChangeV1.json").summary(None),
        "someone added rust-dua-cli to f31-build-side-20267 (owner releng)"
    );
    assert_eq!(
        read("15-InitV1.json").summary(None),
        "repo 1410901 for f33-build started"
    );
    assert_eq!(
        read("01-DoneV1.json").summary(None),
        "repo 1409150 for module-jmc-latest-3220200311144307-089fddd9-build is ready"
    );
}
