//! An AMQP 1.0 receiver for Koji's `protonmsg` messages (cargo feature
//! `amqp1`, [fe2o3-amqp](https://docs.rs/fe2o3-amqp)).
//!
//! Koji's hub plugin sends AMQP 1.0 messages (application properties and a
//! JSON string body) to a broker: ActiveMQ/Artemis (UMB), Qpid, or
//! RabbitMQ with its AMQP 1.0 plugin. [`receive`] attaches a receiving
//! link to one source address and yields an [`EventStream`] of
//! [`KojiEvent`](super::KojiEvent)s. Messages are accepted once read; one that cannot be
//! parsed is logged and skipped; when the broker goes away the receiver
//! reconnects with [`Backoff`] and attaches again. What retrying cannot
//! fix (a refused SASL login, an untrusted broker certificate, a refused
//! client certificate, an address that does not exist or may not be read)
//! ends the stream with a [`ConsumerError`](super::ConsumerError).
//!
//! The address names what to read: on RabbitMQ 3.x `/topic/koji.#` (a
//! temporary queue bound to `amq.topic`, gone with the link) or
//! `/amq/queue/<name>` (an existing, typically durable queue that keeps
//! messages while the receiver reconnects); on ActiveMQ
//! `topic://VirtualTopic.eng.brew.>` or a consumer queue such as
//! `queue://Consumer.me.VirtualTopic.eng.brew.>`. To read several
//! addresses, merge several streams (`futures_util::stream::select_all`).
//!
//! The topic a message was published to is not inside protonmsg's
//! messages; events carry the message's `to` or RabbitMQ's
//! `x-routing-key` annotation when present, else the source address.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use koji_client::messages::TlsConfig;
//! use koji_client::messages::amqp1::{Amqp1Config, receive};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Amqp1Config::new("amqps://umb.example.com:5671", "topic://VirtualTopic.eng.brew.>")
//!     .tls(TlsConfig::new().ca_file("/etc/pki/umb-ca.crt").cert_file("/etc/pki/me.pem"));
//! let mut events = receive(config)?;
//! while let Some(event) = events.next().await {
//!     println!("{}", event?.summary(None));
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use fe2o3_amqp::connection::{ConnectionHandle, ConnectionStopReason, OpenError};
use fe2o3_amqp::link::{ReceiverAttachError, SessionStopReason};
use fe2o3_amqp::sasl_profile::SaslProfile;
use fe2o3_amqp::session::SessionHandle;
use fe2o3_amqp::types::definitions::{AmqpError, ErrorCondition};
use fe2o3_amqp::types::messaging::{Body, Message};
use fe2o3_amqp::types::primitives::Value as AmqpValue;
use fe2o3_amqp::{Connection, Receiver, Session};
use openssl::ssl::SslConnector;
use serde_json::{Map, Value};
use tokio::net::TcpStream;

use super::consumer::{Backoff, EventStream, FatalKind, LinkError, Received, TlsConfig, Transport};
use super::parse;

/// Where to connect and what to read.
#[derive(Clone)]
pub struct Amqp1Config {
    url: String,
    source: String,
    tls: Option<TlsConfig>,
    container_id: String,
    connect_timeout: Duration,
    backoff: Backoff,
}

impl fmt::Debug for Amqp1Config {
    // The URL may hold a password: show it without.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = match url::Url::parse(&self.url) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ = u.set_password(Some("<redacted>"));
                }
                u.to_string()
            }
            Err(_) => "<invalid URL>".to_owned(),
        };
        f.debug_struct("Amqp1Config")
            .field("url", &shown)
            .field("source", &self.source)
            .field("tls", &self.tls)
            .field("container_id", &self.container_id)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// Why an AMQP 1.0 receiver could not be set up (from [`receive`]), or a
/// connection failed (logged, or in the stream's
/// [`ConsumerError`](super::ConsumerError) when retrying cannot help).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Amqp1Error {
    /// The URL is not an `amqp://` or `amqps://` URL with a host.
    #[error("invalid URL: {0}")]
    Url(String),
    /// TLS setup or the TLS handshake failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// A network error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Opening the connection failed.
    #[error("opening the connection: {0}")]
    Open(String),
    /// Beginning the session failed.
    #[error("beginning the session: {0}")]
    Session(String),
    /// Attaching the receiving link failed (an unknown address…).
    #[error("attaching to {address}: {reason}")]
    Attach {
        /// The source address.
        address: String,
        /// What the broker or library said.
        reason: String,
    },
    /// Connecting took too long.
    #[error("timed out connecting")]
    Timeout,
}

impl Amqp1Config {
    /// A receiver for `source` at `url` (`amqp://[user:password@]host[:port]`
    /// or `amqps://…`; without credentials SASL ANONYMOUS is used).
    ///
    /// The URL is checked by [`receive`].
    pub fn new(url: impl Into<String>, source: impl Into<String>) -> Self {
        Amqp1Config {
            url: url.into(),
            source: source.into(),
            tls: None,
            container_id: format!("koji-client-{}", std::process::id()),
            connect_timeout: Duration::from_secs(30),
            backoff: Backoff::default(),
        }
    }

    /// TLS settings for `amqps://` URLs (the server is always verified).
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The AMQP container id to present.
    pub fn container_id(mut self, id: impl Into<String>) -> Self {
        self.container_id = id.into();
        self
    }

    /// How long connecting and attaching may take.
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

struct Endpoint {
    host: String,
    port: u16,
    tls: bool,
    sasl: SaslProfile,
}

fn endpoint(url: &str) -> Result<Endpoint, Amqp1Error> {
    let url = url::Url::parse(url).map_err(|e| Amqp1Error::Url(e.to_string()))?;
    let tls = match url.scheme() {
        "amqp" => false,
        "amqps" => true,
        other => {
            return Err(Amqp1Error::Url(format!(
                "scheme {other:?} is not amqp or amqps"
            )));
        }
    };
    let host = url
        .host_str()
        .ok_or_else(|| Amqp1Error::Url("no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = url.port().unwrap_or(if tls { 5671 } else { 5672 });
    let user = url.username();
    let sasl = if user.is_empty() {
        SaslProfile::Anonymous
    } else {
        let decode = |s: &str| {
            percent_decode(s)
                .map_err(|()| Amqp1Error::Url("bad percent-encoding in credentials".into()))
        };
        SaslProfile::Plain {
            username: decode(user)?,
            password: decode(url.password().unwrap_or(""))?,
        }
    };
    Ok(Endpoint {
        host,
        port,
        tls,
        sasl,
    })
}

fn percent_decode(s: &str) -> Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

/// JSON for an AMQP value (through its serde form: strings, numbers,
/// booleans and nulls as themselves).
fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The topic of a received message: its `to`, else RabbitMQ's
/// `x-routing-key` annotation.
fn message_topic(message: &Message<Body<AmqpValue>>) -> Option<String> {
    if let Some(to) = message.properties.as_ref().and_then(|p| p.to.clone()) {
        return Some(to);
    }
    let annotations = message.message_annotations.as_ref()?;
    annotations.0.iter().find_map(|(k, v)| {
        let key = to_json(k);
        let key = key
            .as_str()
            .or_else(|| key.get(0).and_then(Value::as_str))?;
        if key == "x-routing-key" {
            to_json(v).as_str().map(str::to_owned)
        } else {
            None
        }
    })
}

/// Properties and body bytes of a received message, ready for [`parse`].
fn message_parts(message: &Message<Body<AmqpValue>>) -> (Map<String, Value>, Vec<u8>) {
    let props: Map<String, Value> = message
        .application_properties
        .as_ref()
        .map(|ap| ap.0.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        .unwrap_or_default();
    let body = match &message.body {
        Body::Value(v) => match &v.0 {
            AmqpValue::String(s) => s.clone().into_bytes(),
            AmqpValue::Binary(b) => b.to_vec(),
            // Not protonmsg's shape: hand over its JSON rendering, which an
            // unknown kind keeps and a known kind rejects with a clear error.
            other => to_json(other).to_string().into_bytes(),
        },
        Body::Data(batch) => batch.iter().flat_map(|d| d.0.iter().copied()).collect(),
        Body::Sequence(_) | Body::Empty => Vec::new(),
    };
    (props, body)
}

struct Live {
    connection: ConnectionHandle<()>,
    session: SessionHandle<()>,
    receiver: Receiver,
}

/// What an error the broker closed with means for the consumer.
fn condition_kind(error: &fe2o3_amqp::types::definitions::Error) -> Option<FatalKind> {
    match &error.condition {
        ErrorCondition::AmqpError(AmqpError::NotFound) => Some(FatalKind::NotFound),
        ErrorCondition::AmqpError(AmqpError::UnauthorizedAccess) => Some(FatalKind::AccessRefused),
        _ => None,
    }
}

/// Shows a broker's error as its condition and description.
fn show_condition(error: &fe2o3_amqp::types::definitions::Error) -> String {
    match &error.description {
        Some(d) => format!("{:?}: {d}", error.condition),
        None => format!("{:?}", error.condition),
    }
}

fn open_error(error: OpenError) -> LinkError {
    let what = "opening the connection";
    match error {
        OpenError::SaslError { code, .. } => LinkError::fatal(
            FatalKind::Credentials,
            format!("{what}: SASL login refused ({code:?})"),
        ),
        OpenError::RemoteClosedWithError(e) => LinkError {
            fatal: condition_kind(&e),
            message: format!("{what}: {}", show_condition(&e)),
        },
        OpenError::Io(e) | OpenError::TransportError(fe2o3_amqp::transport::Error::Io(e)) => {
            LinkError::from_io(&e, what)
        }
        other => LinkError::transient(Amqp1Error::Open(other.to_string())),
    }
}

fn attach_error(address: &str, error: ReceiverAttachError) -> LinkError {
    // RabbitMQ refuses an unknown queue by ending the session with the
    // error, not just the link.
    let remote = match &error {
        ReceiverAttachError::RemoteClosedWithError(e) => Some(e),
        ReceiverAttachError::SessionStopped(reason) => match reason {
            SessionStopReason::RemoteEndedWithError(e) => Some(e),
            SessionStopReason::ConnectionStopped(ConnectionStopReason::RemoteClosedWithError(
                e,
            )) => Some(e),
            _ => None,
        },
        _ => None,
    };
    let (fatal, reason) = match remote {
        Some(e) => (condition_kind(e), show_condition(e)),
        None => (None, error.to_string()),
    };
    LinkError {
        fatal,
        message: Amqp1Error::Attach {
            address: address.to_owned(),
            reason,
        }
        .to_string(),
    }
}

async fn open(
    config: &Amqp1Config,
    tls: Option<&SslConnector>,
    link: u64,
) -> Result<Live, LinkError> {
    let ep = endpoint(&config.url).map_err(LinkError::transient)?;
    let tcp = TcpStream::connect((ep.host.as_str(), ep.port))
        .await
        .map_err(|e| LinkError::from_io(&e, "connecting"))?;
    tcp.set_nodelay(true)
        .map_err(|e| LinkError::from_io(&e, "connecting"))?;
    let builder = Connection::builder()
        .container_id(config.container_id.clone())
        .scheme("amqp")
        .hostname(Some(ep.host.as_str()))
        .sasl_profile(ep.sasl);
    let mut connection = if ep.tls {
        let connector = tls.ok_or_else(|| {
            LinkError::transient(Amqp1Error::Tls("amqps:// needs TLS settings".into()))
        })?;
        let name = config
            .tls
            .as_ref()
            .map_or_else(|| ep.host.clone(), |t| t.server_name_or(&ep.host));
        let ssl = connector
            .configure()
            .and_then(|c| c.into_ssl(&name))
            .map_err(|e| LinkError::transient(Amqp1Error::Tls(e.to_string())))?;
        let mut stream = tokio_openssl::SslStream::new(ssl, tcp)
            .map_err(|e| LinkError::transient(Amqp1Error::Tls(e.to_string())))?;
        if let Err(e) = Pin::new(&mut stream).connect().await {
            let verify = stream.ssl().verify_result();
            return Err(LinkError::handshake(&name, &e, Some(verify)));
        }
        builder.open_with_stream(stream).await
    } else {
        builder.open_with_stream(tcp).await
    }
    .map_err(open_error)?;
    let mut session = match Session::begin(&mut connection).await {
        Ok(s) => s,
        Err(e) => {
            let _ = connection.close().await;
            return Err(LinkError::transient(Amqp1Error::Session(e.to_string())));
        }
    };
    let receiver = match Receiver::attach(
        &mut session,
        format!("koji-client-{link}"),
        config.source.as_str(),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            let _ = session.end().await;
            let _ = connection.close().await;
            return Err(attach_error(&config.source, e));
        }
    };
    Ok(Live {
        connection,
        session,
        receiver,
    })
}

impl Live {
    /// Ends the link, session and connection politely (best effort).
    async fn close(self) {
        let Live {
            mut connection,
            mut session,
            receiver,
        } = self;
        let _ = receiver.close().await;
        let _ = session.end().await;
        let _ = connection.close().await;
    }
}

/// The AMQP 1.0 side of the shared consumer loop.
struct Amqp1 {
    config: Arc<Amqp1Config>,
    tls: Option<SslConnector>,
    links: u64,
}

impl Transport for Amqp1 {
    type Link = Live;
    const NAME: &'static str = "amqp1";

    fn broker(&self) -> String {
        self.config.source.clone()
    }

    fn backoff(&self) -> Backoff {
        self.config.backoff
    }

    fn connect_timeout(&self) -> Duration {
        self.config.connect_timeout
    }

    fn open(&mut self) -> impl Future<Output = Result<Live, LinkError>> + Send {
        self.links += 1;
        open(&self.config, self.tls.as_ref(), self.links)
    }

    async fn receive(&mut self, live: &mut Live) -> Result<Received, LinkError> {
        let delivery = live
            .receiver
            .recv::<Body<AmqpValue>>()
            .await
            .map_err(|e| LinkError::transient(format!("receiving: {e}")))?;
        let topic = message_topic(delivery.message()).unwrap_or_else(|| self.config.source.clone());
        let (props, body) = message_parts(delivery.message());
        let parsed = parse(Some(&topic), &props, &body);
        // Unsettled, the message comes again after the reconnect.
        live.receiver
            .accept(&delivery)
            .await
            .map_err(|e| LinkError::transient(format!("accepting: {e}")))?;
        Ok(match parsed {
            Ok(event) => Received::Event(event),
            Err(error) => Received::Unparsable {
                topic: Some(topic),
                error,
            },
        })
    }

    fn close(live: Live) -> impl Future<Output = ()> + Send {
        live.close()
    }
}

/// Starts receiving and returns the stream of events.
///
/// Fails at once for a configuration that can never work (a bad URL,
/// unreadable TLS files); the stream ends with a
/// [`ConsumerError`](super::ConsumerError) on what the broker refuses for
/// good; everything else is retried.
pub fn receive(config: Amqp1Config) -> Result<EventStream, Amqp1Error> {
    let ep = endpoint(&config.url)?;
    let tls = match (&config.tls, ep.tls) {
        (Some(t), _) => Some(t.connector().map_err(Amqp1Error::Tls)?),
        (None, true) => Some(TlsConfig::new().connector().map_err(Amqp1Error::Tls)?),
        (None, false) => None,
    };
    Ok(super::consumer::run(Amqp1 {
        config: Arc::new(config),
        tls,
        links: 0,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_give_endpoints_and_sasl() {
        let ep = endpoint("amqp://guest:gu%40st@127.0.0.1:5673").unwrap();
        assert_eq!(
            (ep.host.as_str(), ep.port, ep.tls),
            ("127.0.0.1", 5673, false)
        );
        let SaslProfile::Plain { username, password } = ep.sasl else {
            panic!()
        };
        assert_eq!((username.as_str(), password.as_str()), ("guest", "gu@st"));
        let ep = endpoint("amqps://umb.example.com").unwrap();
        assert_eq!((ep.port, ep.tls), (5671, true));
        assert!(matches!(ep.sasl, SaslProfile::Anonymous));
        assert!(matches!(endpoint("http://x"), Err(Amqp1Error::Url(_))));
    }

    #[test]
    fn bad_configs_fail_at_once_and_hide_passwords() {
        assert!(matches!(
            receive(Amqp1Config::new("not a url", "/topic/koji.#")),
            Err(Amqp1Error::Url(_))
        ));
        let c = Amqp1Config::new("amqp://me:hunter2@h", "/topic/koji.#");
        assert!(!format!("{c:?}").contains("hunter2"));
        let bad =
            Amqp1Config::new("amqps://h", "q").tls(TlsConfig::new().ca_file("/nonexistent/ca.pem"));
        let Err(Amqp1Error::Tls(text)) = receive(bad) else {
            panic!()
        };
        assert!(text.contains("/nonexistent/ca.pem"), "{text}");
    }

    #[test]
    fn messages_become_properties_and_body() {
        use fe2o3_amqp::types::messaging::{AmqpValue as Section, ApplicationProperties};
        let mut message: Message<Body<AmqpValue>> = Message::builder()
            .application_properties(
                ApplicationProperties::builder()
                    .insert("type", "Tag")
                    .insert("repo_id", 2i64)
                    .build(),
            )
            .body(Body::Value(Section(AmqpValue::String("{\"a\": 1}".into()))))
            .build();
        let (props, body) = message_parts(&message);
        assert_eq!(
            Value::Object(props),
            serde_json::json!({"type": "Tag", "repo_id": 2})
        );
        assert_eq!(body, b"{\"a\": 1}");
        assert_eq!(message_topic(&message), None);
        message.properties = Some(
            fe2o3_amqp::types::messaging::Properties::builder()
                .to("/topic/koji.build.tag")
                .build(),
        );
        assert_eq!(
            message_topic(&message).as_deref(),
            Some("/topic/koji.build.tag")
        );
    }
}
