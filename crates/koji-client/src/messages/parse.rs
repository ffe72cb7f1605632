//! The transport-agnostic parser: (topic, properties, body) → [`KojiEvent`].
//!
//! One entry point, [`parse`], takes what every transport has: a topic (or
//! address, destination, routing key), the message's properties or headers
//! as a JSON object, and the body bytes. Wire-shape adapters turn what a
//! transport hands over into those three: [`parse_amqp1`] for AMQP 1.0
//! messages (Koji's `protonmsg`), [`parse_stomp`] for STOMP frames (both the
//! ActiveMQ style, where properties become string headers, and RabbitMQ's,
//! which passes the AMQP 1.0 encoding through) and
//! [`fedora::parse_envelope`](super::fedora::parse_envelope) for
//! fedora-messaging.
//!
//! Values are read leniently by type, because bridges turn typed AMQP
//! properties into strings: an integer may arrive as `32` or `"32"`, a null
//! as `null`, `"None"` (Python's `str(None)`) or `"null"`, a boolean as
//! `false`, `"False"` or `"false"`.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::amqp_value::{self, AmqpMessage};
use super::error::MessageError;
use super::event::*;
use super::fedora;
use super::frame::StompFrame;
use super::topic::{Dialect, Topic, TopicKind};
use crate::model::{Build, BuildState, IdOrName, Package, Repo, Tag, Task, TaskState, User};

/// Parses one message into an event.
///
/// `topic` is the address, destination or routing key the message arrived
/// on, if the transport says; `properties` are its application properties
/// or headers; `body` the body bytes (JSON text).
///
/// Messages of kinds this library does not model give
/// [`KojiEvent::Unknown`]; a message of a known kind whose body is not JSON
/// or lacks what the kind needs gives an error.
///
/// ```
/// use koji_client::messages::{parse, KojiEvent};
/// use koji_client::BuildState;
///
/// let props = serde_json::json!({"type": "BuildStateChange", "new": "COMPLETE", "old": "BUILDING"});
/// let body = br#"{"attribute": "state", "old": 0, "new": 1,
///     "info": {"id": 26, "nvr": "msgdemo-1.0-1.fc40", "owner_name": "alice", "state": 1}}"#;
/// let event = parse(Some("/topic/koji.build.complete"), props.as_object().unwrap(), body).unwrap();
/// let KojiEvent::BuildStateChange(change) = event else { panic!() };
/// assert_eq!(change.new, BuildState::Complete);
/// assert_eq!(change.old, Some(BuildState::Building));
/// assert_eq!(change.build.nvr(), Some("msgdemo-1.0-1.fc40".into()));
/// ```
pub fn parse(
    topic: Option<&str>,
    properties: &Map<String, Value>,
    body: &[u8],
) -> Result<KojiEvent, MessageError> {
    let parsed_topic = topic.map(Topic::parse);
    if fedora::is_fedora(parsed_topic.as_ref(), properties) {
        return fedora::parse_fedora(topic, properties, body);
    }
    let type_prop = properties
        .get("type")
        .and_then(Value::as_str)
        .filter(|s| !is_null_text(s));
    let kind = match type_prop {
        Some(t) => protonmsg_kind(t),
        None => parsed_topic.as_ref().and_then(|t| t.kind),
    };
    let origin = Origin {
        dialect: Dialect::Protonmsg,
        topic,
        properties,
    };
    let Some(kind) = kind else {
        return Ok(origin.unknown(type_prop.map(str::to_owned), body));
    };
    let name = kind_name(kind);
    let body_value: Value = serde_json::from_slice(body).map_err(|e| MessageError::Json {
        kind: name,
        topic: topic.map(str::to_owned),
        reason: clip(e.to_string()),
    })?;
    let cx = Ctx {
        kind: name,
        topic,
        props: properties,
        body: &body_value,
        detail: parsed_topic.as_ref().and_then(|t| t.detail.as_deref()),
    };
    // Old hubs (messagebus) also announced non-state attribute changes;
    // those are not state changes.
    if matches!(
        kind,
        TopicKind::BuildStateChange | TopicKind::TaskStateChange
    ) {
        let attribute = cx.str_either("attribute")?;
        if attribute.as_deref().is_some_and(|a| a != "state") {
            return Ok(origin.unknown(
                Some(format!("{name}/{}", attribute.unwrap_or_default())),
                body,
            ));
        }
    }
    let event = match kind {
        TopicKind::BuildStateChange => KojiEvent::BuildStateChange(build_state_change(&cx)?),
        TopicKind::TaskStateChange => KojiEvent::TaskStateChange(task_state_change(&cx)?),
        TopicKind::Tag => KojiEvent::Tag(tag_change(&cx)?),
        TopicKind::Untag => KojiEvent::Untag(tag_change(&cx)?),
        TopicKind::PackageListChange => KojiEvent::PackageListChange(package_list_change(&cx)?),
        TopicKind::RepoInit => KojiEvent::RepoInit(repo_init(&cx)?),
        TopicKind::RepoDone => KojiEvent::RepoDone(repo_done(&cx)?),
        TopicKind::RpmSign => KojiEvent::RpmSign(rpm_sign(&cx)?),
        TopicKind::Import => KojiEvent::Import(import(&cx)?),
        TopicKind::BuildPromote => KojiEvent::BuildPromote(build_promote(&cx)?),
    };
    Ok(event.with_meta(origin.meta(body_value)))
}

/// Where a message came from: what its [`MessageMeta`] records, in both
/// dialects.
pub(super) struct Origin<'a> {
    pub(super) dialect: Dialect,
    pub(super) topic: Option<&'a str>,
    pub(super) properties: &'a Map<String, Value>,
}

impl Origin<'_> {
    /// The metadata of a message with this (decoded) body.
    pub(super) fn meta(&self, body: Value) -> MessageMeta {
        MessageMeta {
            dialect: self.dialect,
            topic: self.topic.map(str::to_owned),
            properties: self.properties.clone(),
            body,
        }
    }

    /// A message of a kind this library does not model: its body as JSON
    /// when it is JSON, else kept raw.
    pub(super) fn unknown(&self, kind: Option<String>, body: &[u8]) -> KojiEvent {
        let (value, raw) = match serde_json::from_slice::<Value>(body) {
            Ok(v) => (v, None),
            Err(_) => (Value::Null, Some(body.to_vec())),
        };
        KojiEvent::Unknown(UnknownMessage {
            kind,
            meta: self.meta(value),
            raw_body: raw,
        })
    }
}

/// Parses an AMQP 1.0 message (what Koji's `protonmsg` sends).
///
/// `address` is the address the message was received from (the topic is
/// not inside protonmsg's messages: a receiver knows it from its link);
/// the message's `to` is used when `address` is `None`. The body is
/// protonmsg's `amqp-value` string (a `data` section is accepted too).
pub fn parse_amqp1(
    address: Option<&str>,
    message: &AmqpMessage,
) -> Result<KojiEvent, MessageError> {
    let topic = address.or_else(|| message.to());
    let props = message.application_properties_json();
    // A body that is not text cannot be JSON: a known kind reports it as
    // an error, an unknown one keeps an empty raw body.
    let body = message.body.text_bytes().unwrap_or_default();
    parse(topic, &props, body)
}

/// Parses an encoded AMQP 1.0 message (the payload of its transfer frames).
pub fn parse_amqp1_bytes(address: Option<&str>, encoded: &[u8]) -> Result<KojiEvent, MessageError> {
    let message = amqp_value::decode_message(encoded).map_err(|source| MessageError::Amqp {
        what: "AMQP 1.0 message",
        source,
    })?;
    parse_amqp1(address, &message)
}

/// The STOMP header in which RabbitMQ passes AMQP 1.0 application properties.
pub const RABBITMQ_APP_PROPERTIES_HEADER: &str = "x-amqp-1.0-app-properties";

/// Parses a STOMP `MESSAGE` frame.
///
/// Two bridges are understood:
///
/// - ActiveMQ (and UMB) turn each AMQP property into a string header and
///   pass the JSON body as is;
/// - RabbitMQ 3.x passes the AMQP 1.0 encoding: the application properties
///   in the binary header `x-amqp-1.0-app-properties` and the body as the
///   encoded `amqp-value` section (with a `type: amqp-1.0` header).
///
/// Headers that are not UTF-8 are left out of the properties.
pub fn parse_stomp(frame: &StompFrame) -> Result<KojiEvent, MessageError> {
    let destination = frame.header_str("destination");
    let rabbit_props = frame.header(RABBITMQ_APP_PROPERTIES_HEADER);
    let amqp_body = frame.header_str("type") == Some("amqp-1.0");
    let mut props = Map::new();
    let mut body: &[u8] = &frame.body;
    let decoded;
    if let Some(encoded) = rabbit_props {
        let (value, _) =
            amqp_value::decode_value(encoded).map_err(|source| MessageError::Amqp {
                what: "STOMP header x-amqp-1.0-app-properties",
                source,
            })?;
        match value.to_json() {
            Value::Object(map) => props = map,
            Value::Null => {}
            _ => {
                return Err(MessageError::Amqp {
                    what: "STOMP header x-amqp-1.0-app-properties",
                    source: amqp_value::AmqpDecodeError {
                        offset: 0,
                        reason: "not an application-properties map".into(),
                    },
                });
            }
        }
    } else {
        for (name, value) in &frame.headers {
            if props.contains_key(name) || STOMP_TRANSPORT_HEADERS.contains(&name.as_str()) {
                continue;
            }
            if let Ok(text) = std::str::from_utf8(value) {
                props.insert(name.clone(), Value::String(text.to_owned()));
            }
        }
    }
    if amqp_body {
        let message =
            amqp_value::decode_message(&frame.body).map_err(|source| MessageError::Amqp {
                what: "STOMP body (AMQP 1.0 sections)",
                source,
            })?;
        decoded = message.body;
        body = decoded.text_bytes().unwrap_or_default();
    }
    parse(destination, &props, body)
}

/// STOMP headers that belong to the transport, not to the message.
const STOMP_TRANSPORT_HEADERS: &[&str] = &[
    "destination",
    "subscription",
    "message-id",
    "ack",
    "content-length",
    "content-type",
    "redelivered",
    "persistent",
    "receipt",
];

pub(super) fn protonmsg_kind(type_prop: &str) -> Option<TopicKind> {
    Some(match type_prop {
        "BuildStateChange" => TopicKind::BuildStateChange,
        "TaskStateChange" => TopicKind::TaskStateChange,
        "Tag" => TopicKind::Tag,
        "Untag" => TopicKind::Untag,
        "PackageListChange" => TopicKind::PackageListChange,
        "RepoInit" => TopicKind::RepoInit,
        "RepoDone" => TopicKind::RepoDone,
        "RPMSign" => TopicKind::RpmSign,
        "Import" => TopicKind::Import,
        "BuildPromote" => TopicKind::BuildPromote,
        _ => return None,
    })
}

pub(super) fn kind_name(kind: TopicKind) -> &'static str {
    match kind {
        TopicKind::BuildStateChange => "BuildStateChange",
        TopicKind::TaskStateChange => "TaskStateChange",
        TopicKind::Tag => "Tag",
        TopicKind::Untag => "Untag",
        TopicKind::PackageListChange => "PackageListChange",
        TopicKind::RepoInit => "RepoInit",
        TopicKind::RepoDone => "RepoDone",
        TopicKind::RpmSign => "RPMSign",
        TopicKind::Import => "Import",
        TopicKind::BuildPromote => "BuildPromote",
    }
}

impl KojiEvent {
    pub(super) fn with_meta(mut self, meta: MessageMeta) -> Self {
        *self.meta_mut() = meta;
        self
    }
}

impl MessageMeta {
    /// A placeholder replaced by [`KojiEvent::with_meta`] before an event
    /// leaves the parser.
    pub(super) fn pending() -> Self {
        MessageMeta {
            dialect: Dialect::Protonmsg,
            topic: None,
            properties: Map::new(),
            body: Value::Null,
        }
    }
}

/// Whether a string is how a bridge renders a null.
pub(super) fn is_null_text(s: &str) -> bool {
    matches!(s, "None" | "null" | "NULL" | "nil")
}

/// A value that is not null (nor a bridge's rendering of null).
pub(super) fn non_null(v: Option<&Value>) -> Option<&Value> {
    match v? {
        Value::Null => None,
        Value::String(s) if is_null_text(s) => None,
        other => Some(other),
    }
}

/// Reading context: the kind, topic, properties and body of one message.
pub(super) struct Ctx<'a> {
    pub(super) kind: &'static str,
    pub(super) topic: Option<&'a str>,
    pub(super) props: &'a Map<String, Value>,
    pub(super) body: &'a Value,
    /// The topic's detail (state, action, import type), if any.
    pub(super) detail: Option<&'a str>,
}

/// Where a value was read from.
#[derive(Clone, Copy)]
pub(super) enum Src {
    Props,
    Body,
}

impl<'a> Ctx<'a> {
    pub(super) fn missing(&self, field: impl Into<String>) -> MessageError {
        MessageError::Missing {
            kind: self.kind,
            topic: self.topic.map(str::to_owned),
            field: field.into(),
        }
    }

    pub(super) fn invalid(
        &self,
        path: impl Into<String>,
        reason: impl Into<String>,
    ) -> MessageError {
        MessageError::Invalid {
            kind: self.kind,
            topic: self.topic.map(str::to_owned),
            path: path.into(),
            reason: clip(reason.into()),
        }
    }

    fn get(&self, from: Src, key: &str) -> Option<&'a Value> {
        match from {
            Src::Props => non_null(self.props.get(key)),
            Src::Body => non_null(self.body.get(key)),
        }
    }

    fn path(from: Src, key: &str) -> String {
        match from {
            Src::Props => format!("properties.{key}"),
            Src::Body => key.to_owned(),
        }
    }

    /// A member of the body that must be there.
    pub(super) fn body_required(&self, key: &str) -> Result<&'a Value, MessageError> {
        self.get(Src::Body, key).ok_or_else(|| self.missing(key))
    }

    /// A string (numbers and booleans are rendered as text).
    pub(super) fn str_at(&self, from: Src, key: &str) -> Result<Option<String>, MessageError> {
        match self.get(from, key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(other) => Err(self.invalid(
                Self::path(from, key),
                format!("expected a string, got {}", json_type(other)),
            )),
        }
    }

    /// An integer, from a number or a numeric string.
    pub(super) fn i64_at(&self, from: Src, key: &str) -> Result<Option<i64>, MessageError> {
        match self.get(from, key) {
            None => Ok(None),
            Some(v) => value_i64(v).map(Some).ok_or_else(|| {
                self.invalid(
                    Self::path(from, key),
                    format!("expected an integer, got {}", short(v)),
                )
            }),
        }
    }

    /// A boolean, from a boolean or `True`/`False`/`true`/`false`/`1`/`0`.
    pub(super) fn bool_at(&self, from: Src, key: &str) -> Result<Option<bool>, MessageError> {
        match self.get(from, key) {
            None => Ok(None),
            Some(v) => value_bool(v).map(Some).ok_or_else(|| {
                self.invalid(
                    Self::path(from, key),
                    format!("expected a boolean, got {}", short(v)),
                )
            }),
        }
    }

    /// A string from the body, else from the properties.
    pub(super) fn str_either(&self, key: &str) -> Result<Option<String>, MessageError> {
        Ok(match self.str_at(Src::Body, key)? {
            Some(s) => Some(s),
            None => self.str_at(Src::Props, key)?,
        })
    }

    /// An integer from the body, else from the properties.
    pub(super) fn i64_either(&self, key: &str) -> Result<Option<i64>, MessageError> {
        Ok(match self.i64_at(Src::Body, key)? {
            Some(v) => Some(v),
            None => self.i64_at(Src::Props, key)?,
        })
    }

    /// A model decoded from a JSON value; errors name the path inside it.
    pub(super) fn model<T: DeserializeOwned>(
        &self,
        value: &Value,
        path: &str,
    ) -> Result<T, MessageError> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let inner = e.path().to_string();
            let full = if inner == "." || inner.is_empty() {
                path.to_owned()
            } else {
                format!("{path}.{inner}")
            };
            self.invalid(full, e.into_inner().to_string())
        })
    }

    /// A model from a body member that may be absent.
    pub(super) fn model_at<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, MessageError> {
        match self.get(Src::Body, key) {
            None => Ok(None),
            Some(v) => self.model(v, key).map(Some),
        }
    }

    /// A state from the body (a number or a name), else the properties
    /// (a name; a number in old messagebus headers).
    pub(super) fn state<S>(
        &self,
        key: &str,
        from_code: fn(i64) -> S,
        from_name: fn(&str) -> S,
    ) -> Result<Option<S>, MessageError> {
        for from in [Src::Body, Src::Props] {
            if let Some(v) = self.get(from, key) {
                return state_value(v, from_code, from_name)
                    .map(Some)
                    .ok_or_else(|| {
                        self.invalid(
                            Self::path(from, key),
                            format!("expected a state number or name, got {}", short(v)),
                        )
                    });
            }
        }
        Ok(None)
    }
}

pub(super) fn state_value<S>(
    v: &Value,
    from_code: fn(i64) -> S,
    from_name: fn(&str) -> S,
) -> Option<S> {
    match v {
        Value::Number(n) => n.as_i64().map(from_code),
        Value::String(s) if !s.trim().is_empty() => Some(match s.trim().parse::<i64>() {
            Ok(code) => from_code(code),
            Err(_) => from_name(s.trim()),
        }),
        _ => None,
    }
}

pub(super) fn value_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn value_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim() {
            "True" | "true" | "1" => Some(true),
            "False" | "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

pub(super) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Longest reason an error carries (serde's messages quote the bad value,
/// which may be huge).
const MAX_REASON: usize = 200;

/// Cuts an error reason to [`MAX_REASON`] characters.
pub(super) fn clip(reason: String) -> String {
    if reason.chars().count() <= MAX_REASON {
        return reason;
    }
    let cut: String = reason.chars().take(MAX_REASON).collect();
    format!("{cut}…")
}

/// A short rendering of a value for an error message (never a whole body).
pub(super) fn short(v: &Value) -> String {
    match v {
        Value::Array(_) | Value::Object(_) => json_type(v).to_owned(),
        other => {
            let s = other.to_string();
            if s.chars().count() > 60 {
                let cut: String = s.chars().take(60).collect();
                format!("{cut}…")
            } else {
                s
            }
        }
    }
}

/// A model made of a few named members (a user or tag known only by name).
pub(super) fn sparse<T: DeserializeOwned + Default>(members: Vec<(&str, Value)>) -> T {
    let map: Map<String, Value> = members
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    // Only ids (numbers) and names (strings) are put here, which every
    // model accepts; fall back to an empty model rather than fail.
    serde_json::from_value(Value::Object(map)).unwrap_or_default()
}

fn opt_str(s: Option<String>) -> Value {
    s.map_or(Value::Null, Value::String)
}

fn opt_i64(i: Option<i64>) -> Value {
    i.map_or(Value::Null, Value::from)
}

fn build_state_change(cx: &Ctx<'_>) -> Result<BuildStateChange, MessageError> {
    let info = cx.body_required("info")?;
    let build: Build = cx.model(info, "info")?;
    let new = match cx.state("new", BuildState::from_code, BuildState::from_name)? {
        Some(s) => s,
        None => cx
            .detail
            .map(BuildState::from_name)
            .or_else(|| build.state.clone())
            .ok_or_else(|| cx.missing("new (body, properties or topic)"))?,
    };
    let old = cx.state("old", BuildState::from_code, BuildState::from_name)?;
    Ok(BuildStateChange {
        build,
        old,
        new,
        task: None,
        meta: MessageMeta::pending(),
    })
}

fn task_state_change(cx: &Ctx<'_>) -> Result<TaskStateChange, MessageError> {
    let info = cx.body_required("info")?;
    let task: Task = cx.model(info, "info")?;
    let new = match cx.state("new", TaskState::from_code, TaskState::from_name)? {
        Some(s) => s,
        None => cx
            .detail
            .map(TaskState::from_name)
            .or_else(|| task.state.clone())
            .ok_or_else(|| cx.missing("new (body, properties or topic)"))?,
    };
    let old = cx.state("old", TaskState::from_code, TaskState::from_name)?;
    let owner_name = task.owner_name.clone();
    Ok(TaskStateChange::parsed(task, old, new, owner_name))
}

/// A tag from the body's `tag` dict, else from the properties' `tag` name.
fn tag_from(cx: &Ctx<'_>) -> Result<Option<Tag>, MessageError> {
    match cx.get(Src::Body, "tag") {
        Some(v @ Value::Object(_)) => cx.model(v, "tag").map(Some),
        Some(Value::String(name)) => Ok(Some(sparse(vec![("name", Value::String(name.clone()))]))),
        Some(Value::Number(n)) => Ok(Some(sparse(vec![("id", Value::Number(n.clone()))]))),
        Some(other) => Err(cx.invalid("tag", format!("expected a tag, got {}", json_type(other)))),
        None => Ok(cx
            .str_at(Src::Props, "tag")?
            .map(|name| sparse(vec![("name", Value::String(name))]))),
    }
}

/// A user from the body's `user` dict, else the properties' `user` name.
fn user_from(cx: &Ctx<'_>) -> Result<Option<User>, MessageError> {
    match cx.get(Src::Body, "user") {
        Some(v @ Value::Object(_)) => cx.model(v, "user").map(Some),
        Some(Value::String(name)) => Ok(Some(sparse(vec![("name", Value::String(name.clone()))]))),
        Some(Value::Number(n)) => Ok(Some(sparse(vec![("id", Value::Number(n.clone()))]))),
        Some(other) => {
            Err(cx.invalid("user", format!("expected a user, got {}", json_type(other))))
        }
        None => Ok(cx
            .str_at(Src::Props, "user")?
            .map(|name| sparse(vec![("name", Value::String(name))]))),
    }
}

/// A build from the body's `build` dict, else from the properties'
/// name/version/release (and `build_id`).
fn build_from(cx: &Ctx<'_>) -> Result<Option<Build>, MessageError> {
    if let Some(build) = cx.model_at::<Build>("build")? {
        return Ok(Some(build));
    }
    let name = cx.str_at(Src::Props, "name")?;
    let version = cx.str_at(Src::Props, "version")?;
    let release = cx.str_at(Src::Props, "release")?;
    let id = cx.i64_at(Src::Props, "build_id")?;
    if name.is_none() && id.is_none() {
        return Ok(None);
    }
    Ok(Some(sparse(vec![
        ("build_id", opt_i64(id)),
        ("name", opt_str(name)),
        ("version", opt_str(version)),
        ("release", opt_str(release)),
    ])))
}

fn tag_change(cx: &Ctx<'_>) -> Result<TagChange, MessageError> {
    let build = build_from(cx)?.ok_or_else(|| cx.missing("build"))?;
    let tag = tag_from(cx)?.ok_or_else(|| cx.missing("tag"))?;
    Ok(TagChange {
        build,
        tag,
        user: user_from(cx)?,
        force: cx.bool_at(Src::Body, "force")?,
        meta: MessageMeta::pending(),
    })
}

fn package_list_change(cx: &Ctx<'_>) -> Result<PackageListChange, MessageError> {
    let action = cx
        .str_either("action")?
        .or_else(|| cx.detail.map(str::to_owned))
        .ok_or_else(|| cx.missing("action"))?;
    let tag = tag_from(cx)?.ok_or_else(|| cx.missing("tag"))?;
    let package: Package = match cx.get(Src::Body, "package") {
        Some(v @ Value::Object(_)) => cx.model(v, "package")?,
        Some(Value::String(name)) => sparse(vec![("name", Value::String(name.clone()))]),
        Some(other) => {
            return Err(cx.invalid(
                "package",
                format!("expected a package, got {}", json_type(other)),
            ));
        }
        None => match cx.str_at(Src::Props, "package")? {
            Some(name) => sparse(vec![("name", Value::String(name))]),
            None => return Err(cx.missing("package")),
        },
    };
    let owner = match cx.get(Src::Body, "owner") {
        None => None,
        Some(Value::String(s)) => Some(IdOrName::Name(s.clone())),
        Some(v) => Some(IdOrName::Id(value_i64(v).ok_or_else(|| {
            cx.invalid(
                "owner",
                format!("expected a user id or name, got {}", short(v)),
            )
        })?)),
    };
    let extra_arches = match cx.get(Src::Body, "extra_arches") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Some(other) => {
            return Err(cx.invalid(
                "extra_arches",
                format!("expected a string, got {}", json_type(other)),
            ));
        }
    };
    Ok(PackageListChange {
        action: PackageListAction::from_name(&action),
        tag,
        package,
        owner,
        user: user_from(cx)?,
        block: cx.bool_at(Src::Body, "block")?,
        extra_arches,
        force: cx.bool_at(Src::Body, "force")?,
        update: cx.bool_at(Src::Body, "update")?,
        meta: MessageMeta::pending(),
    })
}

fn repo_init(cx: &Ctx<'_>) -> Result<RepoInit, MessageError> {
    let tag = tag_from(cx)?.ok_or_else(|| cx.missing("tag"))?;
    Ok(RepoInit {
        tag,
        repo_id: cx.i64_either("repo_id")?,
        task_id: cx.i64_either("task_id")?,
        event: cx.i64_at(Src::Body, "event")?,
        // Dist repos carry `dist`, `keys`, `arches`…: regular ones do not.
        dist: cx.get(Src::Body, "dist").is_some(),
        meta: MessageMeta::pending(),
    })
}

fn repo_done(cx: &Ctx<'_>) -> Result<RepoDone, MessageError> {
    let repo: Repo = cx.model_at("repo")?.unwrap_or_default();
    let tag = match tag_from(cx)? {
        Some(tag) => tag,
        None => match (&repo.tag_name, repo.tag_id) {
            (None, None) => return Err(cx.missing("tag (properties or repo.tag_name)")),
            (name, id) => sparse(vec![("id", opt_i64(id)), ("name", opt_str(name.clone()))]),
        },
    };
    // The body's task_id is null on current hubs; the properties have the
    // repo's task.
    let task_id = match cx.i64_at(Src::Props, "task_id")? {
        Some(id) => Some(id),
        None => cx.i64_at(Src::Body, "task_id")?.or(repo.task_id),
    };
    let repo_id = match cx.i64_either("repo_id")? {
        Some(id) => Some(id),
        None => repo.id,
    };
    Ok(RepoDone {
        tag,
        repo_id,
        task_id,
        expire: match cx.bool_at(Src::Body, "expire")? {
            Some(b) => Some(b),
            None => cx.bool_at(Src::Props, "expire")?,
        },
        repo,
        meta: MessageMeta::pending(),
    })
}

pub(super) fn signed_rpm(cx: &Ctx<'_>) -> Result<SignedRpm, MessageError> {
    let raw = match cx.get(Src::Body, "rpm") {
        Some(Value::Object(map)) => map.clone(),
        Some(other) => {
            return Err(cx.invalid(
                "rpm",
                format!("expected an object, got {}", json_type(other)),
            ));
        }
        None => Map::new(),
    };
    let field_str = |key: &str, prop: &str| -> Result<Option<String>, MessageError> {
        match non_null(raw.get(key)) {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(cx.invalid(
                format!("rpm.{key}"),
                format!("expected a string, got {}", json_type(other)),
            )),
            None => cx.str_at(Src::Props, prop),
        }
    };
    let field_i64 = |key: &str| -> Result<Option<i64>, MessageError> {
        match non_null(raw.get(key)) {
            Some(v) => value_i64(v).map(Some).ok_or_else(|| {
                cx.invalid(
                    format!("rpm.{key}"),
                    format!("expected an integer, got {}", short(v)),
                )
            }),
            None => Ok(None),
        }
    };
    Ok(SignedRpm {
        id: field_i64("id")?,
        name: field_str("name", "rpm_name")?,
        version: field_str("version", "rpm_version")?,
        release: field_str("release", "rpm_release")?,
        epoch: field_i64("epoch")?,
        arch: field_str("arch", "rpm_arch")?,
        build_id: field_i64("build_id")?,
        raw,
    })
}

fn rpm_sign(cx: &Ctx<'_>) -> Result<RpmSign, MessageError> {
    let sigkey = cx
        .str_either("sigkey")?
        .ok_or_else(|| cx.missing("sigkey"))?;
    Ok(RpmSign {
        sigkey,
        sighash: cx.str_at(Src::Body, "sighash")?,
        rpm: signed_rpm(cx)?,
        build: build_from(cx)?,
        meta: MessageMeta::pending(),
    })
}

fn import(cx: &Ctx<'_>) -> Result<Import, MessageError> {
    let import_type = match cx.str_at(Src::Props, "importType")? {
        Some(t) => t,
        None => cx
            .str_at(Src::Body, "type")?
            .or_else(|| cx.detail.map(str::to_owned))
            .ok_or_else(|| cx.missing("importType"))?,
    };
    Ok(Import {
        import_type: ImportType::from_name(&import_type),
        build: build_from(cx)?,
        meta: MessageMeta::pending(),
    })
}

fn build_promote(cx: &Ctx<'_>) -> Result<BuildPromote, MessageError> {
    let build = build_from(cx)?.ok_or_else(|| cx.missing("build"))?;
    Ok(BuildPromote {
        build,
        draft_release: cx.str_either("draft_release")?,
        target_release: cx.str_either("target_release")?,
        user: user_from(cx)?,
        meta: MessageMeta::pending(),
    })
}
