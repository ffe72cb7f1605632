//! An AMQP 0-9-1 consumer for fedora-messaging (cargo feature `amqp`).
//!
//! Fedora's Koji publishes through fedora-messaging: AMQP 0-9-1 to the
//! `amq.topic` exchange, routing keys `org.fedoraproject.<env>.buildsys.*`,
//! fedora-messaging headers and JSON bodies. [`consume`] declares a queue,
//! binds it to the routing keys asked for, and yields a [`Stream`](futures_util::Stream) of
//! [`KojiEvent`]s, using [lapin](https://docs.rs/lapin) on tokio. Koji's
//! own `protonmsg` messages reach 0-9-1 consumers too when the broker is
//! RabbitMQ, which hands them over still AMQP 1.0-encoded (basic `type`
//! `amqp-1.0`, encoded body sections, application properties in the
//! binary header `x-amqp-1.0-app-properties`); they are decoded and parsed
//! like any other.
//!
//! A named queue ([`AmqpConfig::queue`]) is durable, as fedora-messaging's
//! consumers declare theirs: it keeps what is published while the consumer
//! reconnects. Without a name the broker makes an exclusive, auto-deleted
//! queue that lives as long as the connection. Each message is
//! acknowledged after it was read; one that cannot be parsed is logged and
//! skipped; when the broker goes away the consumer reconnects with
//! [`Backoff`]. What retrying cannot fix (refused credentials or virtual
//! host, an untrusted broker certificate, a refused client certificate, an
//! exchange that does not exist) ends the stream with a
//! [`ConsumerError`](super::ConsumerError).
//!
//! TLS (`amqps://`) uses the crate's one TLS builder, as the hub
//! connection does: with [`TlsConfig::ca_file`] only that file's CAs are
//! trusted.
//!
//! AMQP 0-9-1 delivers at least once: a message whose acknowledgement was
//! lost with the connection comes again after the reconnect. Such a
//! redelivery (flagged so by the broker) of a message whose `message-id`
//! was among the last 1024 yielded is dropped; messages without an id
//! (Koji's protonmsg sets none) may still repeat.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use koji_client::messages::TlsConfig;
//! use koji_client::messages::amqp::{AmqpConfig, consume};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // Fedora's public broker (its documentation gives the certificates).
//! let config = AmqpConfig::new("amqps://fedora:@rabbitmq.fedoraproject.org/%2Fpublic_pubsub")
//!     .tls(TlsConfig::new()
//!         .ca_file("/etc/fedora-messaging/cacert.pem")
//!         .cert_file("/etc/fedora-messaging/fedora-cert.pem")
//!         .key_file("/etc/fedora-messaging/fedora-key.pem"))
//!     .queue("00000000-0000-0000-0000-000000000000")
//!     .bind("org.fedoraproject.prod.buildsys.#");
//! let mut events = consume(config)?;
//! while let Some(event) = events.next().await {
//!     println!("{}", event?.summary(Some("https://koji.fedoraproject.org/koji")));
//! }
//! # Ok(()) }
//! ```

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicQosOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::protocol::{AMQPErrorKind, AMQPHardError, AMQPSoftError};
use lapin::tcp::{HandshakeError, HandshakeResult, TcpStream};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::uri::{AMQPScheme, AMQPUri};
use lapin::{Connection, ConnectionProperties, Consumer};
use openssl::ssl::SslConnector;
use serde_json::{Map, Number, Value};

use super::consumer::{Backoff, EventStream, FatalKind, LinkError, Received, TlsConfig, Transport};
use super::{KojiEvent, MessageError, RABBITMQ_APP_PROPERTIES_HEADER, amqp_value, parse};

/// Where to connect, and what to consume.
#[derive(Clone)]
pub struct AmqpConfig {
    url: String,
    tls: Option<TlsConfig>,
    exchange: String,
    queue: Option<String>,
    bindings: Vec<String>,
    prefetch: u16,
    connect_timeout: Duration,
    backoff: Backoff,
}

impl fmt::Debug for AmqpConfig {
    // The URL may hold a password: show it without.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpConfig")
            .field("url", &redact_url(&self.url))
            .field("tls", &self.tls)
            .field("exchange", &self.exchange)
            .field("queue", &self.queue)
            .field("bindings", &self.bindings)
            .field("prefetch", &self.prefetch)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// `amqp://user:secret@host/vhost` → `amqp://user:<redacted>@host/vhost`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:<redacted>@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    match path {
        Some(p) => format!("{scheme}://{authority}/{p}"),
        None => format!("{scheme}://{authority}"),
    }
}

impl AmqpConfig {
    /// A consumer of the broker at `url` (`amqp://…` or `amqps://…`, with
    /// the virtual host URL-encoded as its path: `%2F` for `/`), on
    /// exchange `amq.topic`, with no binding yet.
    pub fn new(url: impl Into<String>) -> Self {
        AmqpConfig {
            url: url.into(),
            tls: None,
            exchange: "amq.topic".into(),
            queue: None,
            bindings: Vec::new(),
            prefetch: 100,
            connect_timeout: Duration::from_secs(30),
            backoff: Backoff::default(),
        }
    }

    /// TLS settings for `amqps://` URLs (CA, client certificate and key).
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The exchange to bind to (default `amq.topic`).
    pub fn exchange(mut self, exchange: impl Into<String>) -> Self {
        self.exchange = exchange.into();
        self
    }

    /// Consume from this durable queue (declared if missing), which keeps
    /// messages while the consumer is away.
    pub fn queue(mut self, name: impl Into<String>) -> Self {
        self.queue = Some(name.into());
        self
    }

    /// Bind the queue to a routing key pattern
    /// (`org.fedoraproject.prod.buildsys.#`, `koji.#`…). May be repeated.
    pub fn bind(mut self, routing_key: impl Into<String>) -> Self {
        self.bindings.push(routing_key.into());
        self
    }

    /// How many unacknowledged messages the broker may send ahead.
    pub fn prefetch(mut self, count: u16) -> Self {
        self.prefetch = count;
        self
    }

    /// How long connecting and setting the queue up may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The reconnection backoff.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }
}

/// Why an AMQP 0-9-1 consumer could not be set up (from [`consume`]), or a
/// connection failed (logged, or in the stream's
/// [`ConsumerError`](super::ConsumerError) when retrying cannot help).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AmqpError {
    /// The consumer has nothing bound.
    #[error("no routing key to bind")]
    NoBinding,
    /// The URL is not an `amqp://` or `amqps://` URL.
    #[error("invalid URL: {0}")]
    Url(String),
    /// The TLS files could not be used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The client library or the broker reported an error.
    #[error("{0}")]
    Lapin(#[from] lapin::Error),
    /// Connecting took too long.
    #[error("timed out connecting")]
    Timeout,
}

/// Converts an AMQP 0-9-1 field value to JSON.
pub fn field_to_json(value: &AMQPValue) -> Value {
    match value {
        AMQPValue::Boolean(b) => Value::Bool(*b),
        AMQPValue::ShortShortInt(i) => Value::from(*i),
        AMQPValue::ShortShortUInt(i) => Value::from(*i),
        AMQPValue::ShortInt(i) => Value::from(*i),
        AMQPValue::ShortUInt(i) => Value::from(*i),
        AMQPValue::LongInt(i) => Value::from(*i),
        AMQPValue::LongUInt(i) => Value::from(*i),
        AMQPValue::LongLongInt(i) => Value::from(*i),
        AMQPValue::Float(f) => Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number),
        AMQPValue::Double(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        AMQPValue::DecimalValue(d) => {
            let scaled = f64::from(d.value) / 10f64.powi(i32::from(d.scale));
            Number::from_f64(scaled).map_or(Value::Null, Value::Number)
        }
        AMQPValue::ShortString(s) => Value::String(s.as_str().to_owned()),
        AMQPValue::LongString(s) => {
            Value::String(String::from_utf8_lossy(s.as_bytes()).into_owned())
        }
        AMQPValue::FieldArray(items) => {
            Value::Array(items.as_slice().iter().map(field_to_json).collect())
        }
        AMQPValue::Timestamp(t) => Value::from(*t),
        AMQPValue::FieldTable(table) => Value::Object(table_to_json(table)),
        AMQPValue::ByteArray(b) => {
            Value::Array(b.as_slice().iter().map(|x| Value::from(*x)).collect())
        }
        AMQPValue::Void => Value::Null,
    }
}

/// Converts an AMQP 0-9-1 headers table to a JSON object.
pub fn table_to_json(table: &FieldTable) -> Map<String, Value> {
    table
        .inner()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), field_to_json(v)))
        .collect()
}

/// Parses one delivery. RabbitMQ hands messages that were published over
/// AMQP 1.0 (Koji's protonmsg) to 0-9-1 consumers still AMQP 1.0-encoded,
/// as it does to STOMP subscribers: the basic `type` property is
/// `amqp-1.0`, the body is the encoded sections, and the application
/// properties are the binary header `x-amqp-1.0-app-properties`.
fn parse_delivery(
    topic: &str,
    headers: Option<&FieldTable>,
    amqp1: bool,
    data: &[u8],
) -> Result<KojiEvent, MessageError> {
    let raw_props = headers
        .and_then(|t| t.inner().get(RABBITMQ_APP_PROPERTIES_HEADER))
        .and_then(|v| match v {
            AMQPValue::LongString(s) => Some(s.as_bytes()),
            AMQPValue::ByteArray(b) => Some(b.as_slice()),
            _ => None,
        });
    let props = match raw_props {
        Some(encoded) => {
            let what = "AMQP header x-amqp-1.0-app-properties";
            let (value, _) = amqp_value::decode_value(encoded)
                .map_err(|source| MessageError::Amqp { what, source })?;
            match value.to_json() {
                Value::Object(map) => map,
                Value::Null => Map::new(),
                _ => {
                    return Err(MessageError::Amqp {
                        what,
                        source: amqp_value::AmqpDecodeError {
                            offset: 0,
                            reason: "not an application-properties map".into(),
                        },
                    });
                }
            }
        }
        None => headers.map(table_to_json).unwrap_or_default(),
    };
    if !amqp1 {
        return parse(Some(topic), &props, data);
    }
    let message = amqp_value::decode_message(data).map_err(|source| MessageError::Amqp {
        what: "AMQP body (AMQP 1.0 sections)",
        source,
    })?;
    let props = if raw_props.is_none() && !message.application_properties.is_empty() {
        message.application_properties_json()
    } else {
        props
    };
    parse(
        Some(topic),
        &props,
        message.body.text_bytes().unwrap_or_default(),
    )
}

struct Live {
    // Kept so the connection stays open while the consumer runs.
    _connection: Connection,
    consumer: Consumer,
}

/// How many message ids [`SeenIds`] remembers.
const SEEN_IDS: usize = 1024;

/// The ids of the last messages yielded, to drop redeliveries of messages
/// already seen. AMQP 0-9-1 delivers at least once: when a connection dies
/// between the consumer reading a message and the broker getting its ack,
/// the broker delivers the message again (flagged `redelivered`) after the
/// reconnect. A message is dropped only when the broker flags it as a
/// redelivery *and* its `message-id` (fedora-messaging sets a UUID) is one
/// of the last [`SEEN_IDS`] yielded; messages without an id (protonmsg's)
/// are never dropped.
#[derive(Default)]
struct SeenIds {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl SeenIds {
    /// Records `id`; true when the message is a redelivery of one already
    /// seen (and should be skipped).
    fn is_repeat(&mut self, id: Option<&str>, redelivered: bool) -> bool {
        let Some(id) = id.filter(|id| !id.is_empty()) else {
            return false;
        };
        if self.set.contains(id) {
            return redelivered;
        }
        if self.order.len() >= SEEN_IDS {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.order.push_back(id.to_owned());
        self.set.insert(id.to_owned());
        false
    }
}

/// The TLS failure of the last handshake, kept by the connect function
/// lapin calls (lapin hands back only an I/O error).
type LastTls = Arc<Mutex<Option<LinkError>>>;

/// The function lapin calls to open the socket: TCP, then TLS for
/// `amqps://` with the context of the crate's one TLS builder.
fn connect_fn(
    tls: Option<SslConnector>,
    server_name: Option<String>,
    last_tls: LastTls,
) -> Box<dyn Fn(&AMQPUri) -> HandshakeResult + Send + Sync> {
    Box::new(move |uri: &AMQPUri| {
        let address = (uri.authority.host.as_str(), uri.authority.port);
        let stream = match uri.query.connection_timeout {
            Some(ms) => TcpStream::connect_timeout(address, Duration::from_millis(ms)),
            None => TcpStream::connect(address),
        }?;
        let stream = match uri.scheme {
            AMQPScheme::AMQP => stream,
            AMQPScheme::AMQPS => {
                let connector = tls
                    .as_ref()
                    .ok_or_else(|| std::io::Error::other("amqps:// without a TLS context"))?;
                let name = server_name.as_deref().unwrap_or(&uri.authority.host);
                match stream.into_openssl(connector, name) {
                    Ok(stream) => stream,
                    Err(HandshakeError::Failure(e)) => {
                        let failure = super::consumer::tls_failure_in(&e);
                        if let Ok(mut slot) = last_tls.lock() {
                            *slot = Some(match failure {
                                Some(f) => LinkError {
                                    fatal: super::consumer::tls_kind(&f),
                                    message: format!("TLS handshake with {name}: {f}"),
                                },
                                None => {
                                    LinkError::transient(format!("TLS handshake with {name}: {e}"))
                                }
                            });
                        }
                        return Err(HandshakeError::Failure(e));
                    }
                    Err(other) => return Err(other),
                }
            }
        };
        stream.set_nonblocking(true)?;
        Ok(stream)
    })
}

/// What a lapin error means for the consumer.
fn link_error(error: &lapin::Error) -> LinkError {
    match error.kind() {
        lapin::ErrorKind::ProtocolError(amqp) => {
            let text = amqp.to_string();
            let fatal = match amqp.kind() {
                AMQPErrorKind::Soft(AMQPSoftError::ACCESSREFUSED) => {
                    Some(if text.to_ascii_lowercase().contains("login") {
                        FatalKind::Credentials
                    } else {
                        FatalKind::AccessRefused
                    })
                }
                AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND) => Some(FatalKind::NotFound),
                AMQPErrorKind::Hard(AMQPHardError::NOTALLOWED) => Some(FatalKind::AccessRefused),
                _ => None,
            };
            LinkError {
                fatal,
                message: text,
            }
        }
        lapin::ErrorKind::IOError(io) => LinkError::from_io(io, ""),
        _ => LinkError::transient(error),
    }
}

/// The AMQP 0-9-1 side of the shared consumer loop.
struct Amqp {
    config: Arc<AmqpConfig>,
    uri: AMQPUri,
    tls: Option<SslConnector>,
    last_tls: LastTls,
    seen: SeenIds,
}

impl Amqp {
    async fn connect(&self) -> Result<Live, LinkError> {
        let config = &self.config;
        if let Ok(mut slot) = self.last_tls.lock() {
            *slot = None;
        }
        let props = ConnectionProperties::default()
            .with_executor(tokio_executor_trait::Tokio::current())
            .with_reactor(tokio_reactor_trait::Tokio::current())
            .with_connection_name("koji-client".into());
        let server_name = config
            .tls
            .as_ref()
            .map(|t| t.server_name_or(&self.uri.authority.host));
        let connect = connect_fn(self.tls.clone(), server_name, self.last_tls.clone());
        let fail = |e: lapin::Error| {
            let handshake = self.last_tls.lock().ok().and_then(|mut slot| slot.take());
            handshake.unwrap_or_else(|| link_error(&e))
        };
        let connection = Connection::connector(self.uri.clone(), connect, props)
            .await
            .map_err(fail)?;
        let channel = connection.create_channel().await.map_err(fail)?;
        channel
            .basic_qos(config.prefetch, BasicQosOptions::default())
            .await
            .map_err(fail)?;
        let (name, options) = match &config.queue {
            Some(name) => (
                name.as_str(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
            ),
            None => (
                "",
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
            ),
        };
        let queue = channel
            .queue_declare(name, options, FieldTable::default())
            .await
            .map_err(fail)?;
        for key in &config.bindings {
            channel
                .queue_bind(
                    queue.name().as_str(),
                    config.exchange.as_str(),
                    key.as_str(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(fail)?;
        }
        let consumer = channel
            .basic_consume(
                queue.name().as_str(),
                "koji-client",
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(fail)?;
        Ok(Live {
            _connection: connection,
            consumer,
        })
    }
}

impl Transport for Amqp {
    type Link = Live;
    const NAME: &'static str = "amqp";

    fn broker(&self) -> String {
        redact_url(&self.config.url)
    }

    fn backoff(&self) -> Backoff {
        self.config.backoff
    }

    fn connect_timeout(&self) -> Duration {
        self.config.connect_timeout
    }

    fn open(&mut self) -> impl Future<Output = Result<Live, LinkError>> + Send {
        self.connect()
    }

    async fn receive(&mut self, live: &mut Live) -> Result<Received, LinkError> {
        let delivery = match live.consumer.next().await {
            Some(Ok(delivery)) => delivery,
            Some(Err(error)) => return Err(link_error(&error)),
            None => return Err(LinkError::transient("the broker cancelled the consumer")),
        };
        let topic = delivery.routing_key.as_str().to_owned();
        let amqp1 =
            delivery.properties.kind().as_ref().map(ShortString::as_str) == Some("amqp-1.0");
        let parsed = parse_delivery(
            &topic,
            delivery.properties.headers().as_ref(),
            amqp1,
            &delivery.data,
        );
        // Unacknowledged, the message comes again after the reconnect.
        delivery
            .ack(BasicAckOptions::default())
            .await
            .map_err(|e| link_error(&e))?;
        let message_id = delivery.properties.message_id().as_ref();
        if self
            .seen
            .is_repeat(message_id.map(ShortString::as_str), delivery.redelivered)
        {
            tracing::debug!(topic, "skipping a redelivered message already yielded");
            return Ok(Received::Nothing);
        }
        Ok(match parsed {
            Ok(event) => Received::Event(event),
            Err(error) => Received::Unparsable {
                topic: Some(topic),
                error,
            },
        })
    }
}

/// Starts consuming and returns the stream of events.
///
/// Fails at once for a configuration that can never work (no binding, a
/// bad URL, unreadable TLS files); the stream ends with a
/// [`ConsumerError`](super::ConsumerError) on what the broker refuses for
/// good; everything else is retried.
pub fn consume(config: AmqpConfig) -> Result<EventStream, AmqpError> {
    if config.bindings.is_empty() {
        return Err(AmqpError::NoBinding);
    }
    let uri: AMQPUri = config
        .url
        .parse()
        .map_err(|e: String| AmqpError::Url(format!("{}: {e}", redact_url(&config.url))))?;
    let tls = match (&config.tls, &uri.scheme) {
        (Some(t), _) => Some(t.connector().map_err(AmqpError::Tls)?),
        (None, AMQPScheme::AMQPS) => Some(TlsConfig::new().connector().map_err(AmqpError::Tls)?),
        (None, AMQPScheme::AMQP) => None,
    };
    Ok(super::consumer::run(Amqp {
        config: Arc::new(config),
        uri,
        tls,
        last_tls: LastTls::default(),
        seen: SeenIds::default(),
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use lapin::types::{FieldArray, LongString, ShortString};

    #[test]
    fn headers_become_json() {
        let mut table = FieldTable::default();
        table.insert(
            ShortString::from("fedora_messaging_schema"),
            AMQPValue::LongString(LongString::from("koji_fedoramessaging.tag.TagV1")),
        );
        table.insert(
            ShortString::from("fedora_messaging_severity"),
            AMQPValue::LongLongInt(20),
        );
        table.insert(
            ShortString::from("fedora_messaging_user_bodhi"),
            AMQPValue::Boolean(true),
        );
        table.insert(
            ShortString::from("list"),
            AMQPValue::FieldArray(FieldArray::from(vec![AMQPValue::Void])),
        );
        let json = Value::Object(table_to_json(&table));
        assert_eq!(
            json,
            serde_json::json!({
                "fedora_messaging_schema": "koji_fedoramessaging.tag.TagV1",
                "fedora_messaging_severity": 20,
                "fedora_messaging_user_bodhi": true,
                "list": [null],
            })
        );
    }

    #[test]
    fn rabbitmq_amqp1_passthrough_is_decoded() {
        // What RabbitMQ 3.10 delivers to a 0-9-1 consumer for a protonmsg
        // message: app properties {"type": "Tag"} as an encoded map in a
        // header, the body as an encoded amqp-value string section.
        let props_map = [
            0xc1, 0x0c, 0x02, 0xa1, 0x04, b't', b'y', b'p', b'e', 0xa1, 0x03, b'T', b'a', b'g',
        ];
        let json_body = br#"{"tag": {"id": 5, "name": "f40-candidate"}, "build": {"id": 26, "nvr": "msgdemo-1.0-1.fc40"}, "user": {"id": 2, "name": "alice"}}"#;
        let mut body = vec![
            0x00,
            0x53,
            0x77,
            0xa1,
            u8::try_from(json_body.len()).unwrap(),
        ];
        body.extend_from_slice(json_body);
        let mut headers = FieldTable::default();
        headers.insert(
            ShortString::from(RABBITMQ_APP_PROPERTIES_HEADER),
            AMQPValue::LongString(LongString::from(props_map.to_vec())),
        );
        let event = parse_delivery("koji.build.tag", Some(&headers), true, &body).unwrap();
        assert!(matches!(event, KojiEvent::Tag(_)), "{event:?}");
        assert_eq!(event.meta().properties["type"], "Tag");
        assert_eq!(
            event.summary(None),
            "alice tagged msgdemo-1.0-1.fc40 into f40-candidate"
        );
        // A broken encoding is a typed error, not a panic.
        let err = parse_delivery("koji.build.tag", Some(&headers), true, &body[..7]).unwrap_err();
        assert!(err.to_string().contains("AMQP body"), "{err}");
    }

    #[test]
    fn only_redeliveries_of_seen_ids_are_repeats() {
        let mut seen = SeenIds::default();
        assert!(!seen.is_repeat(Some("a"), false));
        assert!(
            !seen.is_repeat(Some("b"), true),
            "first sight, even if redelivered"
        );
        assert!(seen.is_repeat(Some("a"), true));
        // The same id without the broker's redelivered flag is a new
        // message from a publisher that reuses ids: kept.
        assert!(!seen.is_repeat(Some("a"), false));
        // No id (protonmsg), or an empty one: never a repeat.
        assert!(!seen.is_repeat(None, true));
        assert!(!seen.is_repeat(None, true));
        assert!(!seen.is_repeat(Some(""), true));
        assert!(!seen.is_repeat(Some(""), true));
        // The window forgets the oldest ids.
        for i in 0..SEEN_IDS {
            assert!(!seen.is_repeat(Some(&format!("id-{i}")), false));
        }
        assert!(!seen.is_repeat(Some("a"), true), "forgotten");
        assert!(seen.is_repeat(Some(&format!("id-{}", SEEN_IDS - 1)), true));
        assert_eq!(seen.order.len(), SEEN_IDS);
        assert_eq!(seen.set.len(), SEEN_IDS);
    }

    #[test]
    fn urls_are_shown_without_passwords() {
        assert_eq!(
            redact_url("amqps://fedora:s3cret@rabbitmq.example.org/%2Fpublic"),
            "amqps://fedora:<redacted>@rabbitmq.example.org/%2Fpublic"
        );
        assert_eq!(redact_url("amqp://127.0.0.1:5672"), "amqp://127.0.0.1:5672");
        let c = AmqpConfig::new("amqp://u:hunter2@h/%2F");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn unusable_configs_fail_at_once() {
        assert!(matches!(
            consume(AmqpConfig::new("amqp://h")),
            Err(AmqpError::NoBinding)
        ));
        let bad = AmqpConfig::new("amqps://h")
            .bind("#")
            .tls(TlsConfig::new().ca_file("/nonexistent/ca.pem"));
        let Err(AmqpError::Tls(text)) = consume(bad) else {
            panic!()
        };
        assert!(text.contains("/nonexistent/ca.pem"), "{text}");
    }
}
