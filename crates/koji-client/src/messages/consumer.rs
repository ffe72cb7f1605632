//! What the broker consumers share: the event stream they return, the one
//! loop that drives them (connect, receive, reconnect with backoff and
//! jitter, stop at once on what retrying cannot fix), the connection state
//! an application can watch, TLS settings, and the rule that a bad message
//! never ends a stream.
//!
//! Each protocol module (`stomp`, `amqp`, `amqp1`) only knows how to open a
//! connection and how to read the next message from it ([`Transport`]).

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use openssl::ssl::SslConnector;
use tokio::sync::watch;

use super::{KojiEvent, MessageError};
use crate::auth::ssl::{TlsFailure, TlsVersion};
use crate::tls::{ContextSpec, Trust};

/// How long to wait between reconnection attempts: `initial`, then
/// multiplied by `factor` after each failure, capped at `max`; reset once a
/// connection works again. The consumers wait a random part of each delay
/// (between half and all of it, see [`Backoff::jittered`]) so that many
/// consumers of one broker do not all come back at the same instant.
///
/// ```
/// use std::time::Duration;
/// use koji_client::messages::Backoff;
///
/// let b = Backoff::default();
/// assert_eq!(b.delay(0), Duration::from_millis(200));
/// assert_eq!(b.delay(1), Duration::from_millis(400));
/// assert_eq!(b.delay(30), Duration::from_secs(30));
/// let waited = b.jittered(1);
/// assert!(waited >= Duration::from_millis(200) && waited <= Duration::from_millis(400));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
    /// The growth factor (at least 1).
    pub factor: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(30),
            factor: 2.0,
        }
    }
}

impl Backoff {
    /// The delay before attempt `failures + 1` after `failures` failures in a
    /// row.
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let exp = factor.powi(i32::try_from(failures.min(64)).unwrap_or(64));
        let secs = self.initial.as_secs_f64() * exp;
        if !secs.is_finite() || secs >= self.max.as_secs_f64() {
            self.max
        } else {
            Duration::from_secs_f64(secs)
        }
    }

    /// [`Backoff::delay`] with jitter: a random duration between half of
    /// it and all of it.
    pub fn jittered(&self, failures: u32) -> Duration {
        self.delay(failures).mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

/// The state of a consumer's connection, to tell a dead broker from a
/// quiet bus. Watch it with [`EventStream::state`]; the state changes while
/// the stream is being polled.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// The first connection is being made.
    Connecting,
    /// Connected and subscribed: events flow as they are published.
    Connected,
    /// The connection was lost; reconnecting follows.
    Lost {
        /// Why.
        error: String,
    },
    /// Not connected: reconnection attempt `attempt` (1 for the first
    /// after the connection was lost or the first connection failed) is
    /// waiting for its backoff delay or under way.
    Reconnecting {
        /// The attempt's number since the consumer was last connected.
        attempt: u32,
        /// Why the connection was lost or the previous attempt failed.
        error: String,
    },
    /// The consumer stopped with an error retrying cannot fix; the stream
    /// yielded it as its last item.
    Failed,
}

/// What kind of failure stopped a consumer: one that retrying cannot fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FatalKind {
    /// The broker refused the user name or password (or the SASL login).
    Credentials,
    /// The broker refused access: an unknown virtual host, or no
    /// permission on it or on the queue or exchange.
    AccessRefused,
    /// The broker's certificate is not trusted (wrong CA, wrong name).
    UntrustedBroker,
    /// The broker refused our client certificate (or wanted one).
    CertificateRefused,
    /// The queue, exchange or address does not exist, and may not be
    /// declared.
    NotFound,
}

impl fmt::Display for FatalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FatalKind::Credentials => "the broker refused the user name or password",
            FatalKind::AccessRefused => "the broker refused access (virtual host or permissions)",
            FatalKind::UntrustedBroker => "the broker's TLS certificate is not trusted",
            FatalKind::CertificateRefused => "the broker refused our TLS client certificate",
            FatalKind::NotFound => "the queue, exchange or address does not exist",
        })
    }
}

/// Why a consumer stopped: a failure that retrying cannot fix. The stream
/// yields it once, as its last item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{transport} consumer of {broker}: {kind}: {detail}")]
pub struct ConsumerError {
    kind: FatalKind,
    transport: &'static str,
    broker: String,
    detail: String,
}

impl ConsumerError {
    /// A consumer error, for a consumer of your own given to
    /// [`EventStream::from_parts`] (and for tests). `broker` must not
    /// contain a password.
    pub fn new(
        kind: FatalKind,
        transport: &'static str,
        broker: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        ConsumerError {
            kind,
            transport,
            broker: broker.into(),
            detail: detail.into(),
        }
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> FatalKind {
        self.kind
    }

    /// The protocol: `stomp`, `amqp` or `amqp1`.
    pub fn transport(&self) -> &'static str {
        self.transport
    }

    /// The broker (or source address), without any password.
    pub fn broker(&self) -> &str {
        &self.broker
    }

    /// What the broker or the TLS library said.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

/// The events of a broker consumer: `Ok` for each message, and, if the
/// consumer meets a failure retrying cannot fix, one [`ConsumerError`] as
/// the last item. Transient failures (refused or lost connections, broker
/// restarts, timeouts) never reach the stream: the consumer reconnects with
/// [`Backoff`] and logs each attempt; [`EventStream::state`] shows them.
/// Dropping the stream closes the connection.
pub struct EventStream {
    inner: Pin<Box<dyn Stream<Item = Result<KojiEvent, ConsumerError>> + Send>>,
    state: watch::Receiver<ConnectionState>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("state", &*self.state.borrow())
            .finish_non_exhaustive()
    }
}

impl EventStream {
    /// The connection state, now and as it changes (a watch channel: it
    /// keeps the latest state; `wait_for` and `changed` wait for changes).
    ///
    /// ```no_run
    /// # async fn demo(events: koji_client::messages::EventStream) {
    /// use koji_client::messages::ConnectionState;
    ///
    /// let mut state = events.state();
    /// tokio::spawn(async move {
    ///     while state.changed().await.is_ok() {
    ///         if let ConnectionState::Reconnecting { attempt, error } = &*state.borrow() {
    ///             eprintln!("broker unreachable (attempt {attempt}): {error}");
    ///         }
    ///     }
    /// });
    /// # }
    /// ```
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// An event stream from any source: a consumer of your own, or a
    /// scripted one in tests. `state` is the receiver of the channel on
    /// which the source reports its [`ConnectionState`]; the source should
    /// end after yielding a [`ConsumerError`], as the built-in consumers do.
    ///
    /// ```
    /// use koji_client::messages::{ConnectionState, EventStream};
    ///
    /// let (_tx, state) = tokio::sync::watch::channel(ConnectionState::Connected);
    /// let events = EventStream::from_parts(futures_util::stream::empty(), state);
    /// assert_eq!(*events.state().borrow(), ConnectionState::Connected);
    /// ```
    pub fn from_parts(
        events: impl Stream<Item = Result<KojiEvent, ConsumerError>> + Send + 'static,
        state: watch::Receiver<ConnectionState>,
    ) -> Self {
        EventStream {
            inner: Box::pin(events),
            state,
        }
    }
}

impl Stream for EventStream {
    type Item = Result<KojiEvent, ConsumerError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// TLS settings: the server's certificate is always verified, against
/// `ca_file` only or else the system's roots.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    ca_file: Option<PathBuf>,
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    server_name: Option<String>,
}

impl TlsConfig {
    /// TLS with the system's CA roots and no client certificate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trust only the CA certificates in this PEM file: a broker
    /// certificate from any other CA is refused, even one the system
    /// trusts.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// The client certificate: a PEM file holding the certificate (and its
    /// chain) and, unless [`TlsConfig::key_file`] is given, the private key,
    /// like Koji's `cert` option.
    ///
    /// Connections that present a certificate use TLS 1.2, so that a
    /// broker's refusal of it arrives during the handshake and stops the
    /// consumer (under TLS 1.3 it arrives later and may be lost in a
    /// connection reset, which is indistinguishable from a network failure).
    pub fn cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.cert_file = Some(path.into());
        self
    }

    /// The client certificate's private key, when it is in its own PEM file.
    pub fn key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.key_file = Some(path.into());
        self
    }

    /// The name to verify the server's certificate against (default: the
    /// host connected to).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// The name to verify the server against.
    pub(super) fn server_name_or(&self, host: &str) -> String {
        self.server_name.clone().unwrap_or_else(|| host.to_owned())
    }

    /// The OpenSSL context, from the crate's one TLS builder.
    pub(super) fn connector(&self) -> Result<SslConnector, String> {
        let identity = match &self.cert_file {
            Some(cert) => Some(
                crate::tls::load_identity(cert, self.key_file.as_deref())
                    .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        let trust = match &self.ca_file {
            Some(path) => Trust::Only(path),
            None => Trust::System,
        };
        crate::tls::connector(&ContextSpec {
            trust,
            identity: identity.as_ref(),
            // With a client certificate, TLS 1.2: a broker that refuses the
            // certificate then says so inside the handshake. Under TLS 1.3
            // the refusal comes after it, when the client is already
            // sending, and the broker's reset of the connection can destroy
            // the alert, leaving a "connection reset" that looks like a
            // network failure and would be retried for ever.
            max_version: identity.is_some().then_some(TlsVersion::Tls12),
        })
        .map_err(|e| e.to_string())
    }
}

/// Why an attempt to connect, or a live connection, failed; `fatal` when
/// retrying cannot fix it.
#[derive(Debug)]
pub(super) struct LinkError {
    pub(super) fatal: Option<FatalKind>,
    pub(super) message: String,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl LinkError {
    /// A failure that a later attempt may not meet.
    pub(super) fn transient(message: impl fmt::Display) -> Self {
        LinkError {
            fatal: None,
            message: message.to_string(),
        }
    }

    /// A failure of this kind.
    pub(super) fn fatal(kind: FatalKind, message: impl fmt::Display) -> Self {
        LinkError {
            fatal: Some(kind),
            message: message.to_string(),
        }
    }

    /// A failure the broker described in words (a STOMP `ERROR` frame, an
    /// AMQP close reason): fatal when the words say so.
    pub(super) fn from_broker_text(message: impl fmt::Display) -> Self {
        let message = message.to_string();
        LinkError {
            fatal: classify_text(&message),
            message,
        }
    }

    /// An I/O error: fatal when it carries a TLS failure that retrying
    /// cannot fix (see [`tls_kind`]).
    pub(super) fn from_io(error: &std::io::Error, context: &str) -> Self {
        let fatal = tls_failure_in(error).and_then(|f| tls_kind(&f));
        let message = if context.is_empty() {
            error.to_string()
        } else {
            format!("{context}: {error}")
        };
        LinkError { fatal, message }
    }

    /// A failed TLS handshake with `server`.
    pub(super) fn handshake(
        server: &str,
        error: &openssl::ssl::Error,
        verify: Option<openssl::x509::X509VerifyResult>,
    ) -> Self {
        let failure = crate::auth::ssl::classify_tls_failure(error, verify);
        LinkError {
            fatal: tls_kind(&failure),
            message: format!("TLS handshake with {server}: {failure}"),
        }
    }
}

/// Whether a TLS failure is one retrying cannot fix.
pub(super) fn tls_kind(failure: &TlsFailure) -> Option<FatalKind> {
    match failure {
        TlsFailure::ServerCertificateUntrusted { .. } => Some(FatalKind::UntrustedBroker),
        TlsFailure::ClientCertificateUnknownCa
        | TlsFailure::ClientCertificateExpired
        | TlsFailure::ClientCertificateRequired
        | TlsFailure::ClientCertificateRejected { .. } => Some(FatalKind::CertificateRefused),
        _ => None,
    }
}

/// The TLS failure inside an I/O error (tokio-openssl and tcp-stream wrap
/// OpenSSL's errors in `std::io::Error`), if any.
pub(super) fn tls_failure_in(error: &std::io::Error) -> Option<TlsFailure> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = error.get_ref().map(|e| e as _);
    while let Some(e) = source {
        if let Some(ssl) = e.downcast_ref::<openssl::ssl::Error>() {
            return Some(crate::auth::ssl::classify_tls_failure(ssl, None));
        }
        if let Some(stack) = e.downcast_ref::<openssl::error::ErrorStack>() {
            let ssl = openssl::ssl::Error::from(stack.clone());
            return Some(crate::auth::ssl::classify_tls_failure(&ssl, None));
        }
        source = e.source();
    }
    None
}

/// What brokers say when retrying cannot help, read from their words:
/// RabbitMQ (`ACCESS_REFUSED - Login was refused…`, `Access refused for
/// user…`, `Virtual host '…' access denied`, `vhost … not found`,
/// `NOT_FOUND - no queue…`), ActiveMQ (`User name […] or password is
/// invalid`, `…SecurityException…`) and Artemis (`AMQ229031: Unable to
/// validate user…`, `AMQ229032: User … does not have permission…`).
pub(super) fn classify_text(text: &str) -> Option<FatalKind> {
    let t = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&[
        "login was refused",
        "access refused for user",
        "password is invalid",
        "unable to validate user",
        "authentication failed",
        "invalid credentials",
        "bad credentials",
    ]) {
        return Some(FatalKind::Credentials);
    }
    if has(&["not_found", "no queue", "no exchange", "does not exist"]) {
        return Some(FatalKind::NotFound);
    }
    if has(&[
        "virtual host",
        "vhost",
        "access denied",
        "access_refused",
        "access refused",
        "not_allowed",
        "does not have permission",
        "not authorized",
        "unauthorized",
        "securityexception",
    ]) {
        return Some(FatalKind::AccessRefused);
    }
    if has(&["not found"]) {
        return Some(FatalKind::NotFound);
    }
    None
}

/// What reading from a live connection gave.
// Moved once from the transport to the loop: boxing the event would cost
// an allocation per message for nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum Received {
    /// An event to yield.
    Event(KojiEvent),
    /// A message that could not be parsed (logged and skipped).
    Unparsable {
        topic: Option<String>,
        error: MessageError,
    },
    /// Something that is not a message (a receipt, a redelivery of a
    /// message already yielded): nothing to yield.
    Nothing,
}

/// What a protocol module gives the shared consumer loop.
pub(super) trait Transport: Send + 'static {
    /// A live connection (subscribed).
    type Link: Send;

    /// `stomp`, `amqp` or `amqp1`: for logs and errors.
    const NAME: &'static str;

    /// The broker (or source address) for logs and errors, without any
    /// password.
    fn broker(&self) -> String;

    /// The reconnection backoff.
    fn backoff(&self) -> Backoff;

    /// How long connecting and subscribing may take.
    fn connect_timeout(&self) -> Duration;

    /// Connects and subscribes.
    fn open(&mut self) -> impl Future<Output = Result<Self::Link, LinkError>> + Send;

    /// The next message of a live connection (acknowledged once read); an
    /// error means the connection is gone.
    fn receive(
        &mut self,
        link: &mut Self::Link,
    ) -> impl Future<Output = Result<Received, LinkError>> + Send;

    /// Closes a connection that is being given up (default: drop it).
    fn close(link: Self::Link) -> impl Future<Output = ()> + Send {
        async move { drop(link) }
    }
}

/// The shared consumer loop of one transport.
struct Driver<T: Transport> {
    transport: T,
    link: Option<T::Link>,
    /// Failures in a row since a message last arrived: the backoff step.
    failures: u32,
    /// Reconnection attempts since the consumer was last connected.
    attempt: u32,
    last_error: String,
    state: watch::Sender<ConnectionState>,
    done: bool,
}

/// Runs `transport` as an [`EventStream`].
pub(super) fn run<T: Transport>(transport: T) -> EventStream {
    let (state, receiver) = watch::channel(ConnectionState::Connecting);
    let driver = Driver {
        transport,
        link: None,
        failures: 0,
        attempt: 0,
        last_error: String::new(),
        state,
        done: false,
    };
    let stream = futures_util::stream::unfold(driver, |mut driver| async move {
        let item = driver.next().await?;
        Some((item, driver))
    });
    EventStream {
        inner: Box::pin(stream),
        state: receiver,
    }
}

impl<T: Transport> Driver<T> {
    fn set(&self, state: ConnectionState) {
        self.state.send_replace(state);
    }

    /// Ends the consumer with `kind`.
    fn stop(&mut self, kind: FatalKind, error: &LinkError) -> ConsumerError {
        self.done = true;
        self.set(ConnectionState::Failed);
        ConsumerError {
            kind,
            transport: T::NAME,
            broker: self.transport.broker(),
            detail: error.message.clone(),
        }
    }

    async fn next(&mut self) -> Option<Result<KojiEvent, ConsumerError>> {
        if self.done {
            return None;
        }
        loop {
            let Some(link) = self.link.as_mut() else {
                if self.failures > 0 {
                    self.attempt = self.attempt.saturating_add(1);
                    self.set(ConnectionState::Reconnecting {
                        attempt: self.attempt,
                        error: self.last_error.clone(),
                    });
                    let backoff = self.transport.backoff();
                    tokio::time::sleep(backoff.jittered(self.failures - 1)).await;
                }
                let timeout = self.transport.connect_timeout();
                let opened = tokio::time::timeout(timeout, self.transport.open())
                    .await
                    .unwrap_or_else(|_| Err(LinkError::transient("timed out connecting")));
                match opened {
                    Ok(link) => {
                        tracing::info!(
                            transport = T::NAME,
                            broker = %self.transport.broker(),
                            "connected to the broker"
                        );
                        self.link = Some(link);
                        self.attempt = 0;
                        self.set(ConnectionState::Connected);
                    }
                    Err(error) => {
                        if let Some(kind) = error.fatal {
                            return Some(Err(self.stop(kind, &error)));
                        }
                        self.failures = self.failures.saturating_add(1);
                        tracing::warn!(
                            transport = T::NAME,
                            broker = %self.transport.broker(),
                            %error,
                            failures = self.failures,
                            "connecting to the broker failed; retrying"
                        );
                        self.last_error = error.message;
                    }
                }
                continue;
            };
            match self.transport.receive(link).await {
                Ok(Received::Event(event)) => {
                    // A working connection: the next loss starts the
                    // backoff anew.
                    self.failures = 0;
                    return Some(Ok(event));
                }
                Ok(Received::Unparsable { topic, error }) => {
                    self.failures = 0;
                    log_bad_message(T::NAME, topic.as_deref(), &error);
                }
                Ok(Received::Nothing) => {}
                Err(error) => {
                    if let Some(link) = self.link.take() {
                        T::close(link).await;
                    }
                    if let Some(kind) = error.fatal {
                        return Some(Err(self.stop(kind, &error)));
                    }
                    tracing::warn!(
                        transport = T::NAME,
                        broker = %self.transport.broker(),
                        %error,
                        "connection to the broker lost; reconnecting"
                    );
                    self.failures = self.failures.saturating_add(1);
                    self.last_error = error.message.clone();
                    self.set(ConnectionState::Lost {
                        error: error.message,
                    });
                }
            }
        }
    }
}

/// Logs a message that could not be parsed; the stream goes on.
fn log_bad_message(transport: &str, topic: Option<&str>, error: &MessageError) {
    tracing::warn!(
        transport,
        topic = topic.unwrap_or(""),
        %error,
        "skipping a message that could not be parsed"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
            factor: 3.0,
        };
        let delays: Vec<u64> = (0..5).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 3, 9, 10, 10]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(10));
        let odd = Backoff {
            factor: f64::NAN,
            ..b
        };
        assert_eq!(odd.delay(7), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_delay_and_varies() {
        let b = Backoff {
            initial: Duration::from_secs(8),
            max: Duration::from_secs(8),
            factor: 1.0,
        };
        let waits: Vec<Duration> = (0..64).map(|_| b.jittered(3)).collect();
        for w in &waits {
            assert!(
                *w >= Duration::from_secs(4) && *w <= Duration::from_secs(8),
                "{w:?}"
            );
        }
        assert!(waits.iter().any(|w| *w != waits[0]), "no jitter: {waits:?}");
    }

    #[test]
    fn broker_words_that_retrying_cannot_fix_are_recognised() {
        let cases = [
            (
                "broker error: Bad CONNECT: Access refused for user 'guest'",
                Some(FatalKind::Credentials),
            ),
            (
                "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN",
                Some(FatalKind::Credentials),
            ),
            (
                "User name [me] or password is invalid.",
                Some(FatalKind::Credentials),
            ),
            (
                "broker error: Bad CONNECT: Virtual host 'localhost' access denied",
                Some(FatalKind::AccessRefused),
            ),
            (
                "NOT_ALLOWED - vhost nosuch not found",
                Some(FatalKind::AccessRefused),
            ),
            (
                "not_found: NOT_FOUND - no queue 'nosuch' in vhost '/'",
                Some(FatalKind::NotFound),
            ),
            (
                "NOT_FOUND - no exchange 'nosuch' in vhost '/'",
                Some(FatalKind::NotFound),
            ),
            ("connection_forced: broker forced connection closure", None),
            ("Processing error", None),
        ];
        for (text, want) in cases {
            assert_eq!(classify_text(text), want, "{text}");
        }
    }

    #[test]
    fn consumer_errors_say_what_where_and_why() {
        let e = ConsumerError {
            kind: FatalKind::Credentials,
            transport: "stomp",
            broker: "127.0.0.1:61613".into(),
            detail: "Access refused for user 'guest'".into(),
        };
        assert_eq!(
            e.to_string(),
            "stomp consumer of 127.0.0.1:61613: the broker refused the user name or password: \
             Access refused for user 'guest'"
        );
    }
}
