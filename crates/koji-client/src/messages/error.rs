//! Why a message could not be turned into an event.

use super::amqp_value::AmqpDecodeError;
use super::frame::FrameError;

/// Why a message of a known kind could not be parsed.
///
/// Messages of unknown kinds are never errors (they become
/// [`KojiEvent::Unknown`](super::KojiEvent::Unknown)). Errors name the
/// event kind, the topic and the path of the bad value, and never include
/// the whole body.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The body of a known kind is not JSON.
    #[error("{kind} message{}: body is not valid JSON: {reason}", at(.topic))]
    Json {
        /// The event kind (`BuildStateChange`, …).
        kind: &'static str,
        /// The topic, when known.
        topic: Option<String>,
        /// What the JSON parser said (line and column included).
        reason: String,
    },
    /// A member the kind needs is missing (or null).
    #[error("{kind} message{}: missing {field}", at(.topic))]
    Missing {
        /// The event kind.
        kind: &'static str,
        /// The topic, when known.
        topic: Option<String>,
        /// The member (a path such as `info` or `body.build`), or the list
        /// of places looked at.
        field: String,
    },
    /// A member has the wrong type or an impossible value.
    #[error("{kind} message{}: {path}: {reason}", at(.topic))]
    Invalid {
        /// The event kind.
        kind: &'static str,
        /// The topic, when known.
        topic: Option<String>,
        /// Where the bad value is (`info.owner_id`, `properties.new`).
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The AMQP 1.0 encoding (of a body or of a STOMP header carrying
    /// application properties) is invalid.
    #[error("{what}: {source}")]
    Amqp {
        /// Which part was being decoded.
        what: &'static str,
        /// The decoder's error.
        source: AmqpDecodeError,
    },
    /// A STOMP frame is invalid.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A fedora-messaging envelope is not what fedora-messaging writes.
    #[error("fedora-messaging envelope: {0}")]
    Envelope(String),
}

fn at(topic: &Option<String>) -> String {
    match topic {
        Some(t) => format!(" on {t:?}"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_kind_topic_and_path() {
        let e = MessageError::Invalid {
            kind: "BuildStateChange",
            topic: Some("koji.build.complete".into()),
            path: "info.owner_id".into(),
            reason: "invalid type: string \"x\", expected i64".into(),
        };
        assert_eq!(
            e.to_string(),
            "BuildStateChange message on \"koji.build.complete\": info.owner_id: invalid type: string \"x\", expected i64"
        );
        let e = MessageError::Missing {
            kind: "Tag",
            topic: None,
            field: "build".into(),
        };
        assert_eq!(e.to_string(), "Tag message: missing build");
    }
}
