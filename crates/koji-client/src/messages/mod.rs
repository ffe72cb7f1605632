//! Koji's message bus: parsing what the hub publishes into typed events and
//! (behind cargo features) consuming it from brokers.
//!
//! # Parsing (always available, no I/O)
//!
//! [`parse`] turns one message — topic, properties/headers, body — into a
//! [`KojiEvent`]: a build or task state change, a tag or untag, a package
//! list change, a repo init or done, an RPM signature, an import, a build
//! promotion, or [`KojiEvent::Unknown`] for anything else (never an error).
//! Events carry the typed [`Build`](crate::Build), [`Task`](crate::Task),
//! [`Tag`](crate::Tag), [`User`](crate::User) and the old and new states as
//! [`BuildState`](crate::BuildState) / [`TaskState`](crate::TaskState), from
//! the numbers build message bodies have or the names their properties and
//! task messages have.
//!
//! Three wire shapes are understood:
//!
//! - Koji's `protonmsg` hub plugin over AMQP 1.0: application properties
//!   plus a JSON body string ([`parse_amqp1`], [`parse_amqp1_bytes`]);
//! - the same through a STOMP bridge ([`parse_stomp`]): ActiveMQ/UMB
//!   destinations such as `/topic/VirtualTopic.eng.brew.build.complete`
//!   with every property as a string header, or RabbitMQ's STOMP adapter,
//!   which passes the AMQP 1.0 encoding through (decoded by
//!   [`amqp_value`]);
//! - Fedora's `koji-fedoramessaging` messages
//!   (`org.fedoraproject.*.buildsys.*`, see [`fedora`]).
//!
//! Events have txkoji's helpers: [`KojiEvent::url`],
//! [`KojiEvent::user`]/[`KojiEvent::user_name`] and
//! [`KojiEvent::tag`]/[`KojiEvent::tag_name`] (ids resolved through a
//! [`NameResolver`] such as the [`NameCache`](crate::cache::NameCache)),
//! and [`KojiEvent::summary`], a one-line description for chat bots and
//! `rkoji watch`.
//!
//! | txkoji (`txkoji.messages`) | here |
//! |---|---|
//! | `BuildStateChange.from_frame(frame, conn)` | [`parse_stomp`] → [`KojiEvent::BuildStateChange`] |
//! | `TaskStateChange.from_frame` | [`parse_stomp`] → [`KojiEvent::TaskStateChange`] |
//! | `TagUntag.from_frame` (`event` = `"Tag"`/`"Untag"`) | [`KojiEvent::Tag`] / [`KojiEvent::Untag`] |
//! | `.event` (new state name) | `.new` ([`BuildState`](crate::BuildState) / [`TaskState`](crate::TaskState)), plus `.old` |
//! | `.url` | [`KojiEvent::url`]`(weburl)` |
//! | `.user()` (deferred) | [`KojiEvent::user`], [`KojiEvent::user_name`]`(&resolver).await` |
//! | `TaskStateChange.tag()` | [`KojiEvent::tag`], [`KojiEvent::tag_name`]`(&resolver).await` |
//! | — | the other seven kinds, `Unknown`, typed errors, [`KojiEvent::summary`] |
//!
//! # Consuming (cargo features)
//!
//! Each consumer returns an `EventStream`: a `Stream` of
//! `Result<KojiEvent, ConsumerError>`. It reconnects with `Backoff` (with
//! jitter) when the broker goes away or cannot be reached, and logs and
//! skips a message it cannot parse (the stream never dies of it). What
//! retrying cannot fix — refused credentials, virtual host or permissions,
//! a broker certificate we do not trust, our certificate refused, a queue,
//! exchange or address that does not exist — ends the stream at once with
//! a typed `ConsumerError` (its `FatalKind` says what to check).
//! `EventStream::state` shows the `ConnectionState` (connected, lost,
//! reconnecting with the attempt's number), so that an application can
//! tell a dead broker from a quiet bus. TLS goes through the crate's one
//! TLS builder, as hub connections do: a `TlsConfig::ca_file` is the only
//! trust, not an addition to the system's roots.
//!
//! | feature | module | for |
//! |---|---|---|
//! | `stomp` | `stomp` | STOMP 1.1/1.2 (UMB/ActiveMQ, RabbitMQ), TLS client certificates, durable subscriptions |
//! | `amqp` | `amqp` | AMQP 0-9-1 (fedora-messaging on RabbitMQ), through lapin |
//! | `amqp1` | `amqp1` | AMQP 1.0 (what protonmsg publishes to), through fe2o3-amqp |
//!
//! ```
//! use koji_client::messages::{parse, KojiEvent};
//!
//! // A task message as Koji's protonmsg plugin sends it.
//! let props = serde_json::json!({"type": "TaskStateChange", "id": 33, "parent": 32,
//!     "method": "buildArch", "attribute": "state", "old": "OPEN", "new": "CLOSED"});
//! let body = br#"{"attribute": "state", "old": "OPEN", "new": "CLOSED",
//!     "info": {"id": 33, "method": "buildArch", "owner": 2, "state": 2, "arch": "x86_64",
//!              "request": ["tasks/32/32/msgdemo-1.0-1.fc40.src.rpm", "f40-build", "x86_64", true, {"repo_id": 1}]}}"#;
//! let event = parse(Some("/topic/koji.task.closed"), props.as_object().unwrap(), body).unwrap();
//! assert!(matches!(event, KojiEvent::TaskStateChange(_)));
//! assert_eq!(event.summary(Some("https://koji.example.com/koji")),
//!     "user 2's msgdemo buildArch for x86_64 for tag f40-build task closed \
//!      (https://koji.example.com/koji/taskinfo?taskID=33)");
//! ```

#[cfg(feature = "amqp")]
pub mod amqp;
#[cfg(feature = "amqp1")]
pub mod amqp1;
pub mod amqp_value;
#[cfg(any(feature = "stomp", feature = "amqp", feature = "amqp1"))]
mod consumer;
mod describe;
mod error;
mod event;
pub mod fedora;
pub mod frame;
mod parse;
#[cfg(feature = "stomp")]
pub mod stomp;
pub mod topic;

#[cfg(any(feature = "stomp", feature = "amqp", feature = "amqp1"))]
pub use consumer::{Backoff, ConnectionState, ConsumerError, EventStream, FatalKind, TlsConfig};
pub use describe::{NameKind, NameResolver, NoNames, ResolverFn};
pub use error::MessageError;
pub use event::{
    BuildPromote, BuildStateChange, Import, ImportType, KojiEvent, MessageMeta, PackageListAction,
    PackageListChange, RepoDone, RepoInit, RpmSign, SignedRpm, TagChange, TaskStateChange,
    UnknownMessage,
};
pub use parse::{
    RABBITMQ_APP_PROPERTIES_HEADER, parse, parse_amqp1, parse_amqp1_bytes, parse_stomp,
};
pub use topic::{Dialect, Topic, TopicKind};
