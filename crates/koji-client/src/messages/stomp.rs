//! A STOMP 1.1/1.2 subscriber for Koji's messages (cargo feature `stomp`).
//!
//! Red Hat's UMB and other ActiveMQ brokers, and RabbitMQ's STOMP adapter,
//! carry Koji's `protonmsg` messages to STOMP consumers. [`subscribe`]
//! connects (plain TCP or TLS with a client certificate), subscribes to
//! the given destinations and yields a [`Stream`] of [`KojiEvent`]s. When
//! the broker goes away it reconnects with [`Backoff`] and subscribes
//! again; a message that cannot be parsed is logged and skipped; the
//! stream only ends when it is dropped.
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
//! let events = subscribe(config)?;
//! futures_util::pin_mut!(events);
//! while let Some(event) = events.next().await {
//!     println!("{}", event.summary(Some("https://brewweb.example.com/brew")));
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use openssl::ssl::SslConnector;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

pub use super::consumer::TlsConfig;
use super::consumer::{Backoff, log_bad_message, reconnect};
use super::frame::{Decoded, FrameError, StompFrame};
use super::{KojiEvent, parse_stomp};

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

    /// The virtual host to ask for (the `host` header; default: the host
    /// name connected to).
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

/// Why a STOMP connection failed (logged; the stream reconnects).
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

async fn open(config: &StompConfig, tls: Option<&SslConnector>) -> Result<Connection, StompError> {
    let tcp = TcpStream::connect((config.host.as_str(), config.port)).await?;
    tcp.set_nodelay(true)?;
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
            Pin::new(&mut stream)
                .connect()
                .await
                .map_err(|e| StompError::Tls(format!("handshake with {name}: {e}")))?;
            Box::new(stream)
        }
    };
    let mut conn = Connection {
        io,
        buf: Vec::new(),
        version: "1.2".into(),
        tick: None,
        expect_within: None,
        max_body: config.max_body,
    };
    let beat_ms = config.heartbeat.as_millis();
    let mut connect = StompFrame::new("CONNECT")
        .with_header("accept-version", "1.1,1.2")
        .with_header(
            "host",
            config.vhost.clone().unwrap_or_else(|| config.host.clone()),
        )
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
        "ERROR" => return Err(StompError::Broker(error_text(&reply))),
        other => {
            return Err(StompError::Protocol(format!(
                "expected CONNECTED, got {other}"
            )));
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
        conn.send(&sub).await?;
    }
    Ok(conn)
}

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

struct State {
    config: Arc<StompConfig>,
    tls: Option<SslConnector>,
    conn: Option<Connection>,
    failures: u32,
}

/// Subscribes and returns the stream of events.
///
/// Fails at once only for a configuration that can never work (no
/// destination, unreadable TLS files); everything else is retried.
pub fn subscribe(config: StompConfig) -> Result<impl Stream<Item = KojiEvent> + Send, StompError> {
    if config.destinations.is_empty() {
        return Err(StompError::NoDestination);
    }
    let tls = config
        .tls
        .as_ref()
        .map(TlsConfig::connector)
        .transpose()
        .map_err(StompError::Tls)?;
    let state = State {
        config: Arc::new(config),
        tls,
        conn: None,
        failures: 0,
    };
    Ok(futures_util::stream::unfold(
        state,
        |mut state| async move {
            let event = next_event(&mut state).await;
            Some((event, state))
        },
    ))
}

async fn next_event(state: &mut State) -> KojiEvent {
    loop {
        let Some(conn) = state.conn.as_mut() else {
            let config = &state.config;
            let broker = format!("{}:{}", config.host, config.port);
            state.conn = reconnect(
                &config.backoff,
                &mut state.failures,
                config.connect_timeout,
                open(config, state.tls.as_ref()),
                StompError::Timeout("connecting"),
                "stomp",
                &broker,
            )
            .await;
            if let Some(conn) = &state.conn {
                tracing::info!(
                    host = %config.host,
                    port = config.port,
                    version = %conn.version,
                    "STOMP subscriber connected"
                );
            }
            continue;
        };
        let frame = match conn.next_frame().await {
            Ok(frame) => frame,
            Err(error) => {
                tracing::warn!(%error, "STOMP connection lost; reconnecting");
                state.conn = None;
                state.failures = 1;
                continue;
            }
        };
        match frame.command.as_str() {
            "MESSAGE" => {
                // A working connection: the next loss starts the backoff anew.
                state.failures = 0;
                let ack = ack_for(&conn.version, &frame);
                let parsed = parse_stomp(&frame);
                if let Some(ack) = ack {
                    if let Err(error) = conn.send(&ack).await {
                        tracing::warn!(%error, "STOMP ACK failed; reconnecting");
                        state.conn = None;
                        state.failures = 1;
                        // The broker redelivers the unacknowledged message.
                        continue;
                    }
                }
                match parsed {
                    Ok(event) => return event,
                    Err(error) => {
                        log_bad_message("stomp", frame.header_str("destination"), &error);
                    }
                }
            }
            "ERROR" => {
                tracing::warn!(error = %error_text(&frame), "STOMP broker sent ERROR; reconnecting");
                state.conn = None;
                state.failures = 1;
            }
            // RECEIPT and anything else a broker may send: nothing to do.
            _ => {}
        }
    }
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
