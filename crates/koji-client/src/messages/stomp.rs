//! A STOMP 1.1/1.2 subscriber for Koji's messages (cargo feature `stomp`).
//!
//! Red Hat's UMB and other ActiveMQ brokers, and RabbitMQ's STOMP adapter,
//! carry Koji's `protonmsg` messages to STOMP consumers. [`subscribe`]
//! connects (plain TCP or TLS with a client certificate), subscribes to
//! the given destinations and yields an [`EventStream`] of [`KojiEvent`](super::KojiEvent)s.
//! When the broker goes away it reconnects with [`Backoff`] and subscribes
//! again; a message that cannot be parsed is logged and skipped. What
//! retrying cannot fix (a refused login or virtual host, an untrusted
//! broker certificate, a refused client certificate, a destination that
//! does not exist) ends the stream with a
//! [`ConsumerError`](super::ConsumerError).
//!
//! The STOMP `host` header names the virtual host. Without
//! [`StompConfig::vhost`] it is `/`: RabbitMQ's default virtual host, and
//! a value ActiveMQ and Artemis ignore (they have no virtual hosts).
//!
//! This is our own small client on top of [`frame`](super::frame) rather
//! than a crate: the STOMP crates on crates.io keep header values as
//! `String` (RabbitMQ sends a binary `x-amqp-1.0-app-properties` header
//! that is not UTF-8), have no TLS client-certificate support, no
//! reconnection, and the maintained fork is EUPL-licensed.
//!
//! Messages are acknowledged one by one (`ack:client-individual`) after
//! they were read, so a broker redelivers what a crashed consumer had not
//! seen. With [`StompConfig::durable`] the subscription outlives the
//! connection (RabbitMQ keeps a durable queue, ActiveMQ a durable
//! subscriber), so nothing published while the consumer reconnects is
//! lost.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use koji_client::messages::stomp::{StompConfig, TlsConfig, subscribe};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = StompConfig::new("umb.example.com", 61612)
//!     .tls(TlsConfig::new().ca_file("/etc/pki/umb-ca.crt").cert_file("/etc/pki/me.pem"))
//!     .destination("/topic/VirtualTopic.eng.brew.>");
//! let mut events = subscribe(config)?;
//! while let Some(event) = events.next().await {
//!     println!("{}", event?.summary(Some("https://brewweb.example.com/brew")));
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use openssl::ssl::SslConnector;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

pub use super::consumer::TlsConfig;
use super::consumer::{Backoff, EventStream, LinkError, Received, Transport};
use super::frame::{Decoded, FrameError, StompFrame};
use super::parse_stomp;

/// The virtual host asked for when none is configured: RabbitMQ's default,
/// ignored by ActiveMQ and Artemis.
pub const DEFAULT_VHOST: &str = "/";

/// A password that never shows in `Debug` output.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where and how to subscribe.
#[derive(Debug, Clone)]
pub struct StompConfig {
    host: String,
    port: u16,
    tls: Option<TlsConfig>,
    login: Option<String>,
    passcode: Option<Secret>,
    vhost: Option<String>,
    destinations: Vec<String>,
    durable: Option<String>,
    heartbeat: Duration,
    connect_timeout: Duration,
    backoff: Backoff,
    max_body: usize,
}

impl StompConfig {
    /// A plain-TCP subscriber for `host:port` with no destinations yet.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        StompConfig {
            host: host.into(),
            port,
            tls: None,
            login: None,
            passcode: None,
            vhost: None,
            destinations: Vec::new(),
            durable: None,
            heartbeat: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(30),
            backoff: Backoff::default(),
            max_body: 64 << 20,
        }
    }

    /// Use TLS.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Log in with a user name and password.
    pub fn credentials(mut self, login: impl Into<String>, passcode: impl Into<String>) -> Self {
        self.login = Some(login.into());
        self.passcode = Some(Secret(passcode.into()));
        self
    }

    /// The virtual host to ask for (the `host` header). Default
    /// [`DEFAULT_VHOST`], `/`: RabbitMQ's default virtual host, and ignored
    /// by ActiveMQ and Artemis. (The STOMP specification suggests the
    /// server's host name, but RabbitMQ takes the header as a virtual host
    /// name and refuses a host name it does not know.)
    pub fn vhost(mut self, vhost: impl Into<String>) -> Self {
        self.vhost = Some(vhost.into());
        self
    }

    /// Subscribe to a destination (`/topic/koji.#` on RabbitMQ,
    /// `/topic/VirtualTopic.eng.brew.>` on ActiveMQ…). May be repeated.
    pub fn destination(mut self, destination: impl Into<String>) -> Self {
        self.destinations.push(destination.into());
        self
    }

    /// Make the subscriptions durable under this name, so that messages
    /// published while the consumer is away are kept for it (RabbitMQ: a
    /// durable queue `<name>` per destination, `<name>-2`… for the others;
    /// ActiveMQ: a durable subscriber with this client id).
    pub fn durable(mut self, name: impl Into<String>) -> Self {
        self.durable = Some(name.into());
        self
    }

    /// The heart-beat interval to offer (0 disables heart-beats).
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// How long connecting and the STOMP handshake may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The reconnection backoff.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The largest message body accepted (default 64 MiB); a bigger frame
    /// ends the connection, which is then re-established.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }
}

/// Why a STOMP subscriber could not be set up (from [`subscribe`]), or a
/// connection failed (logged, or in the stream's
/// [`ConsumerError`](super::ConsumerError) when retrying cannot help).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StompError {
    /// The subscriber has nothing to subscribe to.
    #[error("no destination to subscribe to")]
    NoDestination,
    /// Setting TLS up or the TLS handshake failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// A network error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The broker sent an invalid frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The broker sent an `ERROR` frame.
    #[error("broker error: {0}")]
    Broker(String),
    /// The broker did something the protocol does not allow.
    #[error("protocol: {0}")]
    Protocol(String),
    /// Nothing arrived for longer than the negotiated heart-beat allows,
    /// or the handshake took too long.
    #[error("timed out: {0}")]
    Timeout(&'static str),
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Connection {
    io: Box<dyn Io>,
    buf: Vec<u8>,
    /// Frames read while waiting for the subscriptions' receipt.
    pending: std::collections::VecDeque<StompFrame>,
    version: String,
    tick: Option<tokio::time::Interval>,
    expect_within: Option<Duration>,
    max_body: usize,
}

impl Connection {
    async fn send(&mut self, frame: &StompFrame) -> Result<(), StompError> {
        self.io.write_all(&frame.encode()).await?;
        self.io.flush().await?;
        Ok(())
    }

    /// The next frame, answering the broker's heart-beat expectations and
    /// checking its own.
    async fn next_frame(&mut self) -> Result<StompFrame, StompError> {
        enum Wake {
            Read(std::io::Result<usize>),
            Silent,
            Beat,
        }
        if let Some(frame) = self.pending.pop_front() {
            return Ok(frame);
        }
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            while let Some(decoded) = StompFrame::decode_step(&self.buf, self.max_body)? {
                match decoded {
                    Decoded::HeartBeat(n) => {
                        self.buf.drain(..n);
                    }
                    Decoded::Frame(frame, n) => {
                        self.buf.drain(..n);
                        return Ok(frame);
                    }
                }
            }
            let Connection {
                io,
                tick,
                expect_within,
                ..
            } = self;
            let expect = *expect_within;
            // Reads are cancel-safe: a heart-beat or timeout never loses data.
            let wake = tokio::select! {
                n = io.read(&mut chunk) => Wake::Read(n),
                () = async {
                    match expect {
                        Some(d) => tokio::time::sleep(d).await,
                        None => std::future::pending::<()>().await,
                    }
                } => Wake::Silent,
                () = async {
                    match tick.as_mut() {
                        Some(t) => {
                            t.tick().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                } => Wake::Beat,
            };
            match wake {
                Wake::Read(n) => {
                    let n = n?;
                    if n == 0 {
                        return Err(StompError::Io(std::io::ErrorKind::UnexpectedEof.into()));
                    }
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                Wake::Silent => {
                    return Err(StompError::Timeout("no data or heart-beat from the broker"));
                }
                Wake::Beat => {
                    self.io.write_all(b"\n").await?;
                    self.io.flush().await?;
                }
            }
        }
    }
}

impl From<StompError> for LinkError {
    fn from(error: StompError) -> Self {
        match error {
            StompError::Io(e) => LinkError::from_io(&e, ""),
            StompError::Broker(text) => {
                LinkError::from_broker_text(format!("broker error: {text}"))
            }
            other => LinkError::transient(other),
        }
    }
}

async fn open(config: &StompConfig, tls: Option<&SslConnector>) -> Result<Connection, LinkError> {
    let tcp = TcpStream::connect((config.host.as_str(), config.port))
        .await
        .map_err(StompError::Io)?;
    tcp.set_nodelay(true).map_err(StompError::Io)?;
    let io: Box<dyn Io> = match tls {
        None => Box::new(tcp),
        Some(connector) => {
            let name = config
                .tls
                .as_ref()
                .map_or_else(|| config.host.clone(), |t| t.server_name_or(&config.host));
            let ssl = connector
                .configure()
                .and_then(|c| c.into_ssl(&name))
                .map_err(|e| StompError::Tls(e.to_string()))?;
            let mut stream = tokio_openssl::SslStream::new(ssl, tcp)
                .map_err(|e| StompError::Tls(e.to_string()))?;
            if let Err(e) = Pin::new(&mut stream).connect().await {
                let verify = stream.ssl().verify_result();
                return Err(LinkError::handshake(&name, &e, Some(verify)));
            }
            Box::new(stream)
        }
    };
    let mut conn = Connection {
        io,
        buf: Vec::new(),
        pending: std::collections::VecDeque::new(),
        version: "1.2".into(),
        tick: None,
        expect_within: None,
        max_body: config.max_body,
    };
    let beat_ms = config.heartbeat.as_millis();
    let mut connect = StompFrame::new("CONNECT")
        .with_header("accept-version", "1.1,1.2")
        .with_header("host", config.vhost.as_deref().unwrap_or(DEFAULT_VHOST))
        .with_header("heart-beat", format!("{beat_ms},{beat_ms}"));
    if let Some(login) = &config.login {
        connect = connect.with_header("login", login);
    }
    if let Some(passcode) = &config.passcode {
        connect = connect.with_header("passcode", &passcode.0);
    }
    if let Some(name) = &config.durable {
        connect = connect.with_header("client-id", name);
    }
    conn.send(&connect).await?;
    let reply = conn.next_frame().await?;
    match reply.command.as_str() {
        "CONNECTED" => {}
        "ERROR" => return Err(StompError::Broker(error_text(&reply)).into()),
        other => {
            return Err(StompError::Protocol(format!("expected CONNECTED, got {other}")).into());
        }
    }
    conn.version = reply.header_str("version").unwrap_or("1.0").to_owned();
    if let Some((sx, sy)) = reply.header_str("heart-beat").and_then(parse_heartbeat) {
        let ours = config.heartbeat;
        if !ours.is_zero() && sy > 0 {
            let every = ours.max(Duration::from_millis(sy));
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            conn.tick = Some(tick);
        }
        if !ours.is_zero() && sx > 0 {
            // Allow for delays: three missed beats before giving up.
            conn.expect_within = Some(ours.max(Duration::from_millis(sx)) * 3);
        }
    }
    for (i, destination) in config.destinations.iter().enumerate() {
        let id = format!("koji-{i}");
        let mut sub = StompFrame::new("SUBSCRIBE")
            .with_header("id", &id)
            .with_header("destination", destination)
            .with_header("ack", "client-individual");
        if let Some(name) = &config.durable {
            let queue = if i == 0 {
                name.clone()
            } else {
                format!("{name}-{}", i + 1)
            };
            sub = sub
                .with_header("durable", "true")
                .with_header("auto-delete", "false")
                .with_header("x-queue-name", &queue)
                .with_header("activemq.subscriptionName", &queue);
        }
        if i + 1 == config.destinations.len() {
            // The broker answers SUBSCRIBEs in order: once the last one's
            // receipt is back, every subscription stands (a refused one
            // gives an ERROR first).
            sub = sub.with_header("receipt", SUBSCRIBED_RECEIPT);
        }
        conn.send(&sub).await?;
    }
    loop {
        let frame = conn.next_frame().await?;
        match frame.command.as_str() {
            "RECEIPT" if frame.header_str("receipt-id") == Some(SUBSCRIBED_RECEIPT) => break,
            "ERROR" => return Err(StompError::Broker(error_text(&frame)).into()),
            // Messages may come before the receipt: keep them.
            "MESSAGE" => conn.pending.push_back(frame),
            _ => {}
        }
    }
    Ok(conn)
}

/// The receipt asked for with the last SUBSCRIBE.
const SUBSCRIBED_RECEIPT: &str = "koji-subscribed";

fn error_text(frame: &StompFrame) -> String {
    let message = frame.header_str("message").unwrap_or("").to_owned();
    let body = String::from_utf8_lossy(&frame.body);
    let body = body.trim();
    let text = match (message.is_empty(), body.is_empty()) {
        (false, false) => format!("{message}: {body}"),
        (false, true) => message,
        (true, _) => body.to_owned(),
    };
    text.chars().take(500).collect()
}

fn parse_heartbeat(value: &str) -> Option<(u64, u64)> {
    let (a, b) = value.split_once(',')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// The acknowledgement for a `MESSAGE` frame, as the negotiated version
/// wants it.
fn ack_for(version: &str, message: &StompFrame) -> Option<StompFrame> {
    if version == "1.2" {
        let id = message.header("ack")?;
        Some(StompFrame::new("ACK").with_header("id", id))
    } else {
        Some(
            StompFrame::new("ACK")
                .with_header("message-id", message.header("message-id")?)
                .with_header("subscription", message.header("subscription")?),
        )
    }
}

/// The STOMP side of the shared consumer loop.
struct Stomp {
    config: Arc<StompConfig>,
    tls: Option<SslConnector>,
}

impl Transport for Stomp {
    type Link = Connection;
    const NAME: &'static str = "stomp";

    fn broker(&self) -> String {
        format!("{}:{}", self.config.host, self.config.port)
    }

    fn backoff(&self) -> Backoff {
        self.config.backoff
    }

    fn connect_timeout(&self) -> Duration {
        self.config.connect_timeout
    }

    fn open(&mut self) -> impl Future<Output = Result<Connection, LinkError>> + Send {
        open(&self.config, self.tls.as_ref())
    }

    async fn receive(&mut self, conn: &mut Connection) -> Result<Received, LinkError> {
        let frame = conn.next_frame().await?;
        match frame.command.as_str() {
            "MESSAGE" => {
                let parsed = parse_stomp(&frame);
                if let Some(ack) = ack_for(&conn.version, &frame) {
                    // Unacknowledged, the message comes again after
                    // the reconnect.
                    conn.send(&ack).await?;
                }
                Ok(match parsed {
                    Ok(event) => Received::Event(event),
                    Err(error) => Received::Unparsable {
                        topic: frame.header_str("destination").map(str::to_owned),
                        error,
                    },
                })
            }
            "ERROR" => Err(StompError::Broker(error_text(&frame)).into()),
            // RECEIPT and anything else a broker may send: nothing to do.
            _ => Ok(Received::Nothing),
        }
    }
}

/// Subscribes and returns the stream of events.
///
/// Fails at once for a configuration that can never work (no destination,
/// unreadable TLS files); the stream ends with a
/// [`ConsumerError`](super::ConsumerError) on what the broker refuses for
/// good; everything else is retried.
pub fn subscribe(config: StompConfig) -> Result<EventStream, StompError> {
    if config.destinations.is_empty() {
        return Err(StompError::NoDestination);
    }
    let tls = config
        .tls
        .as_ref()
        .map(TlsConfig::connector)
        .transpose()
        .map_err(StompError::Tls)?;
    Ok(super::consumer::run(Stomp {
        config: Arc::new(config),
        tls,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn acks_follow_the_negotiated_version() {
        let msg = StompFrame::new("MESSAGE")
            .with_header("ack", "a-1")
            .with_header("message-id", "m-1")
            .with_header("subscription", "koji-0");
        let v12 = ack_for("1.2", &msg).unwrap();
        assert_eq!(v12.headers, vec![("id".to_owned(), b"a-1".to_vec())]);
        let v11 = ack_for("1.1", &msg).unwrap();
        assert_eq!(v11.header_str("message-id"), Some("m-1"));
        assert_eq!(v11.header_str("subscription"), Some("koji-0"));
    }

    #[test]
    fn heartbeat_header_parses() {
        assert_eq!(parse_heartbeat("0,10000"), Some((0, 10000)));
        assert_eq!(parse_heartbeat("x,1"), None);
    }

    #[test]
    fn config_debug_hides_the_passcode() {
        let c = StompConfig::new("h", 1).credentials("me", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn unusable_configs_fail_at_once() {
        assert!(matches!(
            subscribe(StompConfig::new("h", 1)),
            Err(StompError::NoDestination)
        ));
        let missing = StompConfig::new("h", 1)
            .destination("/topic/koji.#")
            .tls(TlsConfig::new().cert_file("/nonexistent/cert.pem"));
        let Err(StompError::Tls(text)) = subscribe(missing) else {
            panic!()
        };
        assert!(text.contains("/nonexistent/cert.pem"), "{text}");
    }
}
