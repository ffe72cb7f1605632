//! Fedora's koji-fedoramessaging messages.
//!
//! Fedora's hub does not run `protonmsg` but the `koji-fedoramessaging`
//! plugin, which publishes through fedora-messaging (AMQP 0-9-1, topic
//! exchange `amq.topic`) on `org.fedoraproject.<env>.buildsys.*` with
//! bodies defined by the PyPI package `koji-fedoramessaging-messages`.
//! Those bodies are flattened, not the hub's structs: a build message has
//! `build_id`, `name`, `owner` (a name), `old`/`new` state numbers and an
//! optional `task` whose times are floats in `*_time` members; tag messages
//! have `tag` and `user` names; repo messages have `tag`, `tag_id`,
//! `repo_id`. This module maps them onto the same [`KojiEvent`]s as Koji's
//! own messages.
//!
//! fedora-messaging marks each message with headers:
//! `fedora_messaging_schema` (`koji_fedoramessaging.build.BuildStateChangeV1`),
//! `fedora_messaging_severity`, `sent-at`, and one
//! `fedora_messaging_user_<name>` / `fedora_messaging_rpm_<name>` flag per
//! user and package involved.

use serde_json::{Map, Value};

use super::error::MessageError;
use super::event::*;
use super::parse::{Ctx, Origin, Src, clip, kind_name, non_null, short, sparse, state_value};
use super::topic::{Dialect, Topic, TopicKind};
use crate::model::{Build, BuildState, IdOrName, Package, Repo, Tag, Task, TaskState, User};

/// The header naming a fedora-messaging message's schema class.
pub const SCHEMA_HEADER: &str = "fedora_messaging_schema";

/// The schema package whose classes describe Koji's messages.
pub const KOJI_SCHEMA_PREFIX: &str = "koji_fedoramessaging.";

/// Whether a message is in fedora-messaging's format: it has a schema
/// header, or (without Koji's `type` property) a `buildsys.*` topic.
pub(super) fn is_fedora(topic: Option<&Topic>, props: &Map<String, Value>) -> bool {
    if props.contains_key(SCHEMA_HEADER) {
        return true;
    }
    let has_type = props
        .get("type")
        .and_then(Value::as_str)
        .and_then(super::parse::protonmsg_kind)
        .is_some();
    !has_type && topic.is_some_and(|t| t.dialect == Some(Dialect::FedoraMessaging))
}

/// The event kind of a koji-fedoramessaging schema class name.
fn schema_kind(schema: &str) -> Option<TopicKind> {
    let class = schema.strip_prefix(KOJI_SCHEMA_PREFIX)?;
    let class = class.rsplit('.').next()?;
    // Strip the version suffix (`V1`, `V2`…).
    let base = class
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .strip_suffix('V')?;
    Some(match base {
        "BuildStateChange" => TopicKind::BuildStateChange,
        "TaskStateChange" => TopicKind::TaskStateChange,
        "Tag" => TopicKind::Tag,
        "Untag" => TopicKind::Untag,
        "ListChange" => TopicKind::PackageListChange,
        "Init" => TopicKind::RepoInit,
        "Done" => TopicKind::RepoDone,
        "Sign" => TopicKind::RpmSign,
        _ => return None,
    })
}

/// Parses a message already known to be fedora-messaging-shaped.
pub(super) fn parse_fedora(
    topic: Option<&str>,
    props: &Map<String, Value>,
    body: &[u8],
) -> Result<KojiEvent, MessageError> {
    let parsed = topic.map(Topic::parse);
    let schema = props.get(SCHEMA_HEADER).and_then(Value::as_str);
    let kind = match schema {
        Some(s) if s.starts_with(KOJI_SCHEMA_PREFIX) => {
            schema_kind(s).or_else(|| parsed.as_ref().and_then(|t| t.kind))
        }
        // Another application's schema: not Koji's.
        Some(_) => None,
        None => parsed.as_ref().and_then(|t| t.kind),
    };
    let origin = Origin {
        dialect: Dialect::FedoraMessaging,
        topic,
        properties: props,
    };
    let Some(kind) = kind else {
        return Ok(origin.unknown(schema.map(str::to_owned), body));
    };
    let name = kind_name(kind);
    let value: Value = serde_json::from_slice(body).map_err(|e| MessageError::Json {
        kind: name,
        topic: topic.map(str::to_owned),
        reason: clip(e.to_string()),
    })?;
    if !value.is_object() {
        return Err(MessageError::Invalid {
            kind: name,
            topic: topic.map(str::to_owned),
            path: "body".into(),
            reason: format!("expected an object, got {}", short(&value)),
        });
    }
    let cx = Ctx {
        kind: name,
        topic,
        props,
        body: &value,
        detail: None,
    };
    let event = match kind {
        TopicKind::BuildStateChange => KojiEvent::BuildStateChange(build_state_change(&cx)?),
        TopicKind::TaskStateChange => KojiEvent::TaskStateChange(task_state_change(&cx)?),
        TopicKind::Tag => KojiEvent::Tag(tag_change(&cx)?),
        TopicKind::Untag => KojiEvent::Untag(tag_change(&cx)?),
        TopicKind::PackageListChange => KojiEvent::PackageListChange(package_list_change(&cx)?),
        TopicKind::RepoInit => KojiEvent::RepoInit(repo_init(&cx)?),
        TopicKind::RepoDone => KojiEvent::RepoDone(repo_done(&cx)?),
        TopicKind::RpmSign => KojiEvent::RpmSign(rpm_sign(&cx)?),
        // koji-fedoramessaging has no import or promote messages; a topic
        // that says so is someone else's.
        TopicKind::Import | TopicKind::BuildPromote => {
            return Ok(origin.unknown(schema.map(str::to_owned), body));
        }
    };
    Ok(event.with_meta(origin.meta(value)))
}

/// Turns a hub-like dict from a fedora-messaging body into the hub's own
/// shape: `*_time` members holding epoch floats become `*_ts`, and a task
/// `owner` given as a name becomes `owner_name`.
fn hubify(value: &Value) -> Value {
    let Value::Object(map) = value else {
        return value.clone();
    };
    let mut out = Map::new();
    for (key, v) in map {
        if let (Some(stem), Value::Number(_)) = (key.strip_suffix("_time"), v) {
            let ts = format!("{stem}_ts");
            if !map.contains_key(&ts) {
                out.insert(ts, v.clone());
            }
            continue;
        }
        if key == "owner" && v.is_string() {
            if !map.contains_key("owner_name") {
                out.insert("owner_name".into(), v.clone());
            }
            continue;
        }
        out.insert(key.clone(), v.clone());
    }
    Value::Object(out)
}

fn str_value(s: Option<String>) -> Value {
    s.map_or(Value::Null, Value::String)
}

fn i64_value(i: Option<i64>) -> Value {
    i.map_or(Value::Null, Value::from)
}

fn task_from(cx: &Ctx<'_>, key: &str) -> Result<Option<Task>, MessageError> {
    match non_null(cx.body.get(key)) {
        None => Ok(None),
        Some(v @ Value::Object(_)) => cx.model(&hubify(v), key).map(Some),
        Some(other) => Err(cx.invalid(key, format!("expected a task, got {}", short(other)))),
    }
}

fn build_state_change(cx: &Ctx<'_>) -> Result<BuildStateChange, MessageError> {
    let new_value = non_null(cx.body.get("new")).ok_or_else(|| cx.missing("new"))?;
    let new =
        state_value(new_value, BuildState::from_code, BuildState::from_name).ok_or_else(|| {
            cx.invalid(
                "new",
                format!("expected a build state, got {}", short(new_value)),
            )
        })?;
    let old = match non_null(cx.body.get("old")) {
        None => None,
        Some(v) => Some(
            state_value(v, BuildState::from_code, BuildState::from_name).ok_or_else(|| {
                cx.invalid("old", format!("expected a build state, got {}", short(v)))
            })?,
        ),
    };
    let build_id = cx.i64_at(Src::Body, "build_id")?;
    let name = cx.str_at(Src::Body, "name")?;
    let mut members = vec![
        ("id", i64_value(build_id)),
        ("build_id", i64_value(build_id)),
        ("package_name", str_value(name.clone())),
        ("name", str_value(name)),
        ("version", str_value(cx.str_at(Src::Body, "version")?)),
        ("release", str_value(cx.str_at(Src::Body, "release")?)),
        ("epoch", i64_value(cx.i64_at(Src::Body, "epoch")?)),
        ("owner_name", str_value(cx.str_at(Src::Body, "owner")?)),
        ("task_id", i64_value(cx.i64_at(Src::Body, "task_id")?)),
        ("state", new_value.clone()),
    ];
    for key in ["creation_time", "start_time", "completion_time"] {
        match non_null(cx.body.get(key)) {
            Some(Value::String(s)) => members.push((key, Value::String(s.clone()))),
            Some(n @ Value::Number(_)) => members.push(match key {
                "creation_time" => ("creation_ts", n.clone()),
                "start_time" => ("start_ts", n.clone()),
                _ => ("completion_ts", n.clone()),
            }),
            _ => {}
        }
    }
    let build: Build = cx.model(
        &Value::Object(
            members
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        ),
        "body",
    )?;
    Ok(BuildStateChange {
        build,
        old,
        new,
        task: task_from(cx, "task")?,
        meta: MessageMeta::pending(),
    })
}

fn task_state_change(cx: &Ctx<'_>) -> Result<TaskStateChange, MessageError> {
    let state = |key: &str| -> Result<Option<TaskState>, MessageError> {
        match non_null(cx.body.get(key)) {
            None => Ok(None),
            Some(v) => state_value(v, TaskState::from_code, TaskState::from_name)
                .map(Some)
                .ok_or_else(|| cx.invalid(key, format!("expected a task state, got {}", short(v)))),
        }
    };
    let new = state("new")?.ok_or_else(|| cx.missing("new"))?;
    let old = state("old")?;
    let task = match task_from(cx, "info")? {
        Some(task) => task,
        None => sparse(vec![
            ("id", i64_value(cx.i64_at(Src::Body, "id")?)),
            ("method", str_value(cx.str_at(Src::Body, "method")?)),
        ]),
    };
    let owner_name = match cx.body.get("owner") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => task.owner_name.clone(),
    };
    Ok(TaskStateChange::parsed(task, old, new, owner_name))
}

fn tag_of(cx: &Ctx<'_>) -> Result<Tag, MessageError> {
    Ok(sparse(vec![
        ("id", i64_value(cx.i64_at(Src::Body, "tag_id")?)),
        ("name", str_value(cx.str_at(Src::Body, "tag")?)),
    ]))
}

fn tag_change(cx: &Ctx<'_>) -> Result<TagChange, MessageError> {
    let build_id = cx.i64_at(Src::Body, "build_id")?;
    let name = cx.str_at(Src::Body, "name")?;
    let build: Build = sparse(vec![
        ("id", i64_value(build_id)),
        ("build_id", i64_value(build_id)),
        ("package_name", str_value(name.clone())),
        ("name", str_value(name)),
        ("version", str_value(cx.str_at(Src::Body, "version")?)),
        ("release", str_value(cx.str_at(Src::Body, "release")?)),
        ("owner_name", str_value(cx.str_at(Src::Body, "owner")?)),
    ]);
    let user: Option<User> = cx
        .str_at(Src::Body, "user")?
        .map(|name| sparse(vec![("name", Value::String(name))]));
    Ok(TagChange {
        build,
        tag: tag_of(cx)?,
        user,
        force: None,
        meta: MessageMeta::pending(),
    })
}

fn package_list_change(cx: &Ctx<'_>) -> Result<PackageListChange, MessageError> {
    let action = cx
        .str_at(Src::Body, "action")?
        .ok_or_else(|| cx.missing("action"))?;
    let package: Package = sparse(vec![("name", str_value(cx.str_at(Src::Body, "package")?))]);
    let tag: Tag = sparse(vec![("name", str_value(cx.str_at(Src::Body, "tag")?))]);
    let owner = match non_null(cx.body.get("owner")) {
        None => None,
        Some(Value::String(s)) => Some(IdOrName::Name(s.clone())),
        Some(v) => Some(IdOrName::Id(super::parse::value_i64(v).ok_or_else(
            || cx.invalid("owner", format!("expected a user, got {}", short(v))),
        )?)),
    };
    Ok(PackageListChange {
        action: PackageListAction::from_name(&action),
        tag,
        package,
        owner,
        user: None,
        block: cx.bool_at(Src::Body, "block")?,
        extra_arches: cx.str_at(Src::Body, "extra_arches")?,
        force: cx.bool_at(Src::Body, "force")?,
        update: cx.bool_at(Src::Body, "update")?,
        meta: MessageMeta::pending(),
    })
}

fn repo_init(cx: &Ctx<'_>) -> Result<RepoInit, MessageError> {
    Ok(RepoInit {
        tag: tag_of(cx)?,
        repo_id: cx.i64_at(Src::Body, "repo_id")?,
        task_id: cx.i64_at(Src::Body, "task_id")?,
        event: None,
        dist: false,
        meta: MessageMeta::pending(),
    })
}

fn repo_done(cx: &Ctx<'_>) -> Result<RepoDone, MessageError> {
    let tag = tag_of(cx)?;
    let repo_id = cx.i64_at(Src::Body, "repo_id")?;
    let repo: Repo = sparse(vec![
        ("id", i64_value(repo_id)),
        ("tag_id", i64_value(tag.id)),
        ("tag_name", str_value(tag.name.clone())),
    ]);
    Ok(RepoDone {
        repo,
        tag,
        repo_id,
        task_id: cx.i64_at(Src::Body, "task_id")?,
        expire: None,
        meta: MessageMeta::pending(),
    })
}

fn rpm_sign(cx: &Ctx<'_>) -> Result<RpmSign, MessageError> {
    let sigkey = cx
        .str_at(Src::Body, "sigkey")?
        .ok_or_else(|| cx.missing("sigkey"))?;
    let build = match non_null(cx.body.get("build")) {
        None => None,
        Some(v @ Value::Object(_)) => Some(cx.model::<Build>(&hubify(v), "build")?),
        Some(other) => {
            return Err(cx.invalid("build", format!("expected a build, got {}", short(other))));
        }
    };
    Ok(RpmSign {
        sigkey,
        sighash: cx.str_at(Src::Body, "sighash")?,
        rpm: super::parse::signed_rpm(cx)?,
        build,
        meta: MessageMeta::pending(),
    })
}

/// One message as fedora-messaging serialises it (`fedora_messaging.message.dumps`,
/// `fedora-messaging` CLI output, or what `Message._dump()` gives):
/// `{"topic", "headers", "id", "body", "priority", "queue"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct FedoraEnvelope {
    /// The topic (routing key), e.g. `org.fedoraproject.prod.buildsys.tag`.
    pub topic: String,
    /// The AMQP headers.
    pub headers: Map<String, Value>,
    /// The message id (a UUID), if present.
    pub id: Option<String>,
    /// The body (a JSON value).
    pub body: Value,
    /// The AMQP priority, if present.
    pub priority: Option<i64>,
}

impl FedoraEnvelope {
    /// Turns the envelope into an event.
    pub fn to_event(&self) -> Result<KojiEvent, MessageError> {
        // The body is already decoded; re-encoding it keeps one parsing path.
        let body = serde_json::to_vec(&self.body)
            .map_err(|e| MessageError::Envelope(format!("body cannot be re-encoded: {e}")))?;
        parse_fedora(Some(&self.topic), &self.headers, &body)
    }
}

fn envelope_from(value: &Value, index: usize) -> Result<FedoraEnvelope, MessageError> {
    let where_ = |what: &str| MessageError::Envelope(format!("message {index}: {what}"));
    let obj = value.as_object().ok_or_else(|| where_("not an object"))?;
    let topic = obj
        .get("topic")
        .and_then(Value::as_str)
        .ok_or_else(|| where_("no \"topic\" string"))?
        .to_owned();
    let headers = match obj.get("headers") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(h)) => h.clone(),
        Some(_) => return Err(where_("\"headers\" is not an object")),
    };
    let body = obj
        .get("body")
        .cloned()
        .ok_or_else(|| where_("no \"body\""))?;
    Ok(FedoraEnvelope {
        topic,
        headers,
        id: obj.get("id").and_then(Value::as_str).map(str::to_owned),
        body,
        priority: obj.get("priority").and_then(Value::as_i64),
    })
}

/// Reads fedora-messaging's JSON serialisation of messages: one JSON
/// object per line (what `fedora_messaging.message.dumps` and the
/// `fedora-messaging` CLI write since 3.0), a single object, or a JSON list
/// of objects (older releases).
///
/// ```
/// use koji_client::messages::fedora::parse_envelopes;
/// use koji_client::messages::KojiEvent;
///
/// let json = br#"{"topic": "org.fedoraproject.prod.buildsys.tag", "headers": {"fedora_messaging_schema": "koji_fedoramessaging.tag.TagV1"}, "id": "d63a4767-7958-4a99-9c11-d110663c48b0", "priority": 2, "queue": null, "body": {"build_id": 1457909, "name": "http-parser", "version": "2.9.3", "release": "1.fc31", "owner": "sgallagh", "tag": "f31-updates-pending", "tag_id": 6446, "user": "bodhi", "instance": "primary"}}
/// {"topic": "org.fedoraproject.prod.buildsys.repo.init", "headers": {}, "body": {"repo_id": 1410901, "tag": "f33-build", "tag_id": 18677}}
/// "#;
/// let envelopes = parse_envelopes(json).unwrap();
/// assert_eq!(envelopes.len(), 2);
/// let KojiEvent::Tag(tag) = envelopes[0].to_event().unwrap() else { panic!() };
/// assert_eq!(tag.tag.name.as_deref(), Some("f31-updates-pending"));
/// assert_eq!(tag.build.nvr().as_deref(), Some("http-parser-2.9.3-1.fc31"));
/// assert!(matches!(envelopes[1].to_event().unwrap(), KojiEvent::RepoInit(_)));
/// ```
pub fn parse_envelopes(json: &[u8]) -> Result<Vec<FedoraEnvelope>, MessageError> {
    match serde_json::from_slice::<Value>(json) {
        Ok(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| envelope_from(v, i))
            .collect(),
        Ok(value @ Value::Object(_)) => Ok(vec![envelope_from(&value, 0)?]),
        Ok(other) => Err(MessageError::Envelope(format!(
            "expected a message object or a list of them, got {}",
            short(&other)
        ))),
        // Not one JSON document: one object per line.
        Err(whole) => {
            let text = std::str::from_utf8(json)
                .map_err(|e| MessageError::Envelope(format!("not UTF-8: {e}")))?;
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            if lines.len() < 2 {
                return Err(MessageError::Envelope(format!("not JSON: {whole}")));
            }
            lines
                .iter()
                .enumerate()
                .map(|(i, line)| {
                    let value: Value = serde_json::from_str(line).map_err(|e| {
                        MessageError::Envelope(format!("line {}: not JSON: {e}", i + 1))
                    })?;
                    envelope_from(&value, i)
                })
                .collect()
        }
    }
}
