//! The one error type of this crate, [`Error`], and the hub's fault codes ([`FaultKind`]).
//!
//! [`Error`] is opaque: ask it what happened with its predicates
//! ([`is_fault`](Error::is_fault), [`is_timeout`](Error::is_timeout),
//! [`is_retryable`](Error::is_retryable)…) and accessors
//! ([`fault_kind`](Error::fault_kind), [`status`](Error::status)…).
//! Its `Display` names the RPC method and what went wrong, and never contains
//! a secret: hub URLs are shown without their query string, and text quoted
//! from a server has `session-key=` values masked.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

mod convert;

/// A boxed error from a lower layer (hyper, OpenSSL, koji-xmlrpc…).
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest piece of a non-XML-RPC response body kept in an error, in characters.
const BODY_SNIPPET_CHARS: usize = 300;

/// What a Koji hub fault code means.
///
/// Koji maps each fault code to an exception class (`koji.GenericError` and its
/// subclasses, codes 1000–1024). Code 1 is what the hub sends when an
/// unexpected Python exception escaped a handler; codes this crate does not
/// know are kept as numbers in [`FaultKind::Unknown`].
///
/// ```
/// use koji_client::FaultKind;
///
/// assert_eq!(FaultKind::from_code(1014), FaultKind::ServerOffline);
/// assert_eq!(FaultKind::ServerOffline.code(), 1014);
/// assert_eq!(FaultKind::from_code(4242), FaultKind::Unknown(4242));
/// assert!(FaultKind::AuthExpired.is_auth_error());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FaultKind {
    /// Code 1: an unexpected exception on the hub (the fault string names its Python class).
    HubException,
    /// 1000: `GenericError`, also used for "Invalid method" and most lookups that miss.
    GenericError,
    /// 1001: `LockError`, a lock conflict.
    LockError,
    /// 1002: `AuthError`: bad session, bad credentials, blocked user.
    AuthError,
    /// 1003: `TagError`, a tagging operation failed.
    TagError,
    /// 1004: `ActionNotAllowed`: no permission, or not logged in.
    ActionNotAllowed,
    /// 1005: `BuildError`, a build failed.
    BuildError,
    /// 1006: `AuthLockError`: another exclusive session holds the lock.
    AuthLockError,
    /// 1007: `AuthExpired`: the session expired and needs renewing.
    AuthExpired,
    /// 1008: `SequenceError`: call number out of order.
    SequenceError,
    /// 1009: `RetryError`: this call number already ran; it must not be rerun.
    RetryError,
    /// 1010: `PreBuildError`, a build failed in its pre-checks.
    PreBuildError,
    /// 1011: `PostBuildError`, a build failed in its post-checks.
    PostBuildError,
    /// 1012: `BuildrootError`.
    BuildrootError,
    /// 1013: `FunctionDeprecated`.
    FunctionDeprecated,
    /// 1014: `ServerOffline`: maintenance, startup error or database outage.
    ServerOffline,
    /// 1015: `LiveCDError`.
    LiveCDError,
    /// 1016: `PluginError`.
    PluginError,
    /// 1017: `CallbackError`, a plugin callback failed.
    CallbackError,
    /// 1018: `ApplianceError`.
    ApplianceError,
    /// 1019: `ParameterError`: wrong, missing or unknown arguments.
    ParameterError,
    /// 1020: `ImportError`, an import failed.
    ImportError,
    /// 1021: `ConfigurationError`.
    ConfigurationError,
    /// 1022: `LiveMediaError`.
    LiveMediaError,
    /// 1023: `GSSAPIAuthError`.
    GSSAPIAuthError,
    /// 1024: `NameValidationError`.
    NameValidationError,
    /// A code Koji does not define (kept as sent).
    Unknown(i64),
}

/// (code, kind, Koji class name) for every known code.
const FAULT_TABLE: [(i64, FaultKind, &str); 26] = [
    (1, FaultKind::HubException, "Fault"),
    (1000, FaultKind::GenericError, "GenericError"),
    (1001, FaultKind::LockError, "LockError"),
    (1002, FaultKind::AuthError, "AuthError"),
    (1003, FaultKind::TagError, "TagError"),
    (1004, FaultKind::ActionNotAllowed, "ActionNotAllowed"),
    (1005, FaultKind::BuildError, "BuildError"),
    (1006, FaultKind::AuthLockError, "AuthLockError"),
    (1007, FaultKind::AuthExpired, "AuthExpired"),
    (1008, FaultKind::SequenceError, "SequenceError"),
    (1009, FaultKind::RetryError, "RetryError"),
    (1010, FaultKind::PreBuildError, "PreBuildError"),
    (1011, FaultKind::PostBuildError, "PostBuildError"),
    (1012, FaultKind::BuildrootError, "BuildrootError"),
    (1013, FaultKind::FunctionDeprecated, "FunctionDeprecated"),
    (1014, FaultKind::ServerOffline, "ServerOffline"),
    (1015, FaultKind::LiveCDError, "LiveCDError"),
    (1016, FaultKind::PluginError, "PluginError"),
    (1017, FaultKind::CallbackError, "CallbackError"),
    (1018, FaultKind::ApplianceError, "ApplianceError"),
    (1019, FaultKind::ParameterError, "ParameterError"),
    (1020, FaultKind::ImportError, "ImportError"),
    (1021, FaultKind::ConfigurationError, "ConfigurationError"),
    (1022, FaultKind::LiveMediaError, "LiveMediaError"),
    (1023, FaultKind::GSSAPIAuthError, "GSSAPIAuthError"),
    (1024, FaultKind::NameValidationError, "NameValidationError"),
];

impl FaultKind {
    /// The kind for a fault code; unknown codes give [`FaultKind::Unknown`].
    pub fn from_code(code: i64) -> FaultKind {
        FAULT_TABLE
            .iter()
            .find(|(c, _, _)| *c == code)
            .map_or(FaultKind::Unknown(code), |(_, kind, _)| *kind)
    }

    /// The numeric fault code.
    pub fn code(self) -> i64 {
        match self {
            FaultKind::Unknown(code) => code,
            known => FAULT_TABLE
                .iter()
                .find(|(_, k, _)| *k == known)
                .map_or(0, |(c, _, _)| *c),
        }
    }

    /// Koji's exception class name (`"GenericError"`, `"ServerOffline"`…),
    /// `"Fault"` for code 1 and `None` for unknown codes.
    pub fn name(self) -> Option<&'static str> {
        FAULT_TABLE
            .iter()
            .find(|(_, k, _)| *k == self)
            .map(|(_, _, name)| *name)
    }

    /// Whether Koji's class derives from `AuthError` (1002, 1006–1009, 1023).
    pub fn is_auth_error(self) -> bool {
        matches!(
            self,
            FaultKind::AuthError
                | FaultKind::AuthLockError
                | FaultKind::AuthExpired
                | FaultKind::SequenceError
                | FaultKind::RetryError
                | FaultKind::GSSAPIAuthError
        )
    }

    /// Whether Koji's class derives from `BuildError` (1005, 1010–1012).
    pub fn is_build_error(self) -> bool {
        matches!(
            self,
            FaultKind::BuildError
                | FaultKind::PreBuildError
                | FaultKind::PostBuildError
                | FaultKind::BuildrootError
        )
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown fault {}", self.code()),
        }
    }
}

/// Which timeout expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeoutKind {
    /// Opening the connection (TCP, proxy tunnel and TLS handshake).
    Connect,
    /// One attempt's request/response exchange.
    Response,
    /// The overall deadline of a call, retries included.
    Deadline,
}

/// What went wrong, inside [`Error`].
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// Invalid settings (bad URL, unreadable CA file…).
    Builder(String),
    /// The arguments could not be encoded as XML-RPC.
    Encode,
    /// The result of a queued call never arrived: its multicall was dropped
    /// (or its `send` cancelled) before the call's chunk was answered.
    NotSent,
    /// No connection could be opened (refused, unreachable, name lookup, proxy).
    Connect,
    /// The TLS handshake failed. `certificate` is true when the peer's
    /// certificate was rejected (never retried).
    Tls { certificate: bool, detail: String },
    /// A timeout expired.
    Timeout { which: TimeoutKind, after: Duration },
    /// The connection was closed or reset before the whole response arrived
    /// (a dropped keep-alive connection, a truncated body).
    Disconnected,
    /// Another I/O or HTTP protocol failure while exchanging the request.
    Transport,
    /// The server answered with a non-2xx HTTP status.
    Status {
        status: StatusCode,
        content_type: Option<String>,
        body: String,
    },
    /// The body was not an XML-RPC response at all (HTML, plain text…).
    NotXmlRpc {
        content_type: Option<String>,
        body: String,
    },
    /// The body is XML-RPC but could not be decoded into the asked-for type.
    Decode,
    /// The body was compressed in a way we could not undo.
    ContentEncoding(String),
    /// The response body exceeded the configured maximum size.
    TooLarge { limit: usize },
    /// The hub answered with a fault.
    Fault {
        code: i64,
        kind: FaultKind,
        message: String,
    },
    /// Logging in failed before the hub could answer: the client
    /// certificate or Kerberos credentials could not be used, or Apache
    /// refused them. The source (if any) is the [`IdentityError`](crate::auth::ssl::IdentityError),
    /// [`GssapiError`](crate::auth::gssapi::GssapiError) or transport error.
    Auth {
        detail: String,
        tls: Option<crate::auth::ssl::TlsFailure>,
    },
    /// A call that needs a session was made without one.
    NotLoggedIn,
    /// An error of another part of this crate (configuration, name cache,
    /// estimates, bus messages) turned into an [`Error`] by `?`; the
    /// original error is the source, and its text is the message.
    Component(Component),
}

/// Which part of the crate an [`Kind::Component`] error comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Component {
    /// [`ConfigError`](crate::config::ConfigError).
    Config,
    /// [`CacheError`](crate::cache::CacheError).
    Cache,
    /// [`EstimateError`](crate::estimate::EstimateError).
    Estimate,
    /// [`MessageError`](crate::messages::MessageError) and the bus
    /// consumers' errors.
    Message,
    /// The runtime thread of the blocking API.
    #[cfg_attr(not(feature = "blocking"), allow(dead_code))]
    Runtime,
}

/// Everything that can go wrong talking to a Koji hub.
///
/// One opaque type with predicates, in the style of `reqwest::Error`:
///
/// ```no_run
/// # async fn demo(koji: koji_client::Connection) {
/// use koji_client::FaultKind;
///
/// match koji.call("getBuild", ("no-such-build-1.0-1", true)).await {
///     Ok(build) => println!("{build:?}"),
///     Err(e) if e.fault_kind() == Some(FaultKind::GenericError) => {
///         println!("hub said: {}", e.fault_string().unwrap_or_default())
///     }
///     Err(e) if e.is_timeout() => println!("hub too slow: {e}"),
///     Err(e) => println!("failed: {e}"),
/// }
/// # }
/// ```
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: Kind,
    note: Option<Box<str>>,
    method: Option<Box<str>>,
    url: Option<Box<str>>,
    attempts: u32,
    /// Shared, so that one failure can be reported to many multicall handles.
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: Kind) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                note: None,
                method: None,
                url: None,
                attempts: 0,
                source: None,
            }),
        }
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Error {
        self.inner.source = Some(Arc::from(source.into()));
        self
    }

    /// A copy of this error (same kind, context and source), for reporting
    /// one failure, e.g. of a multicall chunk, to every call it concerns.
    pub(crate) fn duplicate(&self) -> Error {
        Error {
            inner: Box::new(Inner::clone(&self.inner)),
        }
    }

    pub(crate) fn not_sent() -> Error {
        Error::new(Kind::NotSent)
    }

    pub(crate) fn builder(msg: impl Into<String>) -> Error {
        Error::new(Kind::Builder(msg.into()))
    }

    pub(crate) fn fault(code: i64, message: impl Into<String>) -> Error {
        Error::new(Kind::Fault {
            code,
            kind: FaultKind::from_code(code),
            message: message.into(),
        })
    }

    pub(crate) fn timeout(which: TimeoutKind, after: Duration) -> Error {
        Error::new(Kind::Timeout { which, after })
    }

    pub(crate) fn http_status(
        status: StatusCode,
        content_type: Option<String>,
        body: &[u8],
    ) -> Error {
        Error::new(Kind::Status {
            status,
            content_type,
            body: body_snippet(body),
        })
    }

    pub(crate) fn not_xmlrpc(content_type: Option<String>, body: &[u8]) -> Error {
        Error::new(Kind::NotXmlRpc {
            content_type,
            body: body_snippet(body),
        })
    }

    pub(crate) fn decode(source: koji_xmlrpc::Error) -> Error {
        Error::new(Kind::Decode).with_source(source)
    }

    /// Names the RPC method (if not named yet) and the (query-less) URL.
    pub(crate) fn context(mut self, method: &str, url: &str) -> Error {
        if self.inner.method.is_none() {
            self.inner.method = Some(method.into());
        }
        if self.inner.url.is_none() && !url.is_empty() {
            self.inner.url = Some(strip_query(url).into());
        }
        self
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        self.inner.attempts = attempts;
    }

    /// Adds an explanation shown after the message (e.g. what a RetryError
    /// means for a retried call).
    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Error {
        self.inner.note = Some(note.into().into_boxed_str());
        self
    }

    pub(crate) fn auth(detail: impl Into<String>) -> Error {
        Error::new(Kind::Auth {
            detail: detail.into(),
            tls: None,
        })
    }

    pub(crate) fn auth_tls(detail: impl Into<String>, tls: crate::auth::ssl::TlsFailure) -> Error {
        Error::new(Kind::Auth {
            detail: detail.into(),
            tls: Some(tls),
        })
    }

    pub(crate) fn not_logged_in() -> Error {
        Error::new(Kind::NotLoggedIn)
    }

    /// Logging in failed before the hub answered: an unusable client
    /// certificate or Kerberos credentials, or Apache refused them (see
    /// [`identity_error`](Self::identity_error),
    /// [`kerberos_error`](Self::kerberos_error),
    /// [`tls_failure`](Self::tls_failure)). A login the hub itself refuses
    /// (blocked user, wrong password) is a fault with
    /// [`FaultKind::AuthError`] instead.
    pub fn is_auth(&self) -> bool {
        matches!(self.inner.kind, Kind::Auth { .. })
    }

    /// The call needs a session and the connection is not logged in.
    pub fn is_not_logged_in(&self) -> bool {
        matches!(self.inner.kind, Kind::NotLoggedIn)
    }

    /// Why the client certificate file could not be used, if that is what
    /// went wrong.
    pub fn identity_error(&self) -> Option<&crate::auth::ssl::IdentityError> {
        self.inner.source.as_ref()?.downcast_ref()
    }

    /// The Kerberos failure, if that is what went wrong.
    pub fn kerberos_error(&self) -> Option<&crate::auth::gssapi::GssapiError> {
        self.inner.source.as_ref()?.downcast_ref()
    }

    /// What a TLS failure during a login meant (untrusted server
    /// certificate, our certificate refused…).
    pub fn tls_failure(&self) -> Option<&crate::auth::ssl::TlsFailure> {
        match &self.inner.kind {
            Kind::Auth { tls, .. } => tls.as_ref(),
            _ => None,
        }
    }

    /// Walks the source chain for an OpenSSL error and says what it means.
    pub(crate) fn find_tls_failure(&self) -> Option<crate::auth::ssl::TlsFailure> {
        let mut source: Option<&(dyn std::error::Error + 'static)> = self
            .inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static));
        while let Some(s) = source {
            if let Some(e) = s.downcast_ref::<openssl::ssl::Error>() {
                return Some(crate::auth::ssl::classify_tls_failure(e, None));
            }
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                if let Some(e) = io
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<openssl::ssl::Error>())
                {
                    return Some(crate::auth::ssl::classify_tls_failure(e, None));
                }
            }
            source = s.source();
        }
        None
    }

    /// The RPC method that failed, if the error comes from a call.
    pub fn method(&self) -> Option<&str> {
        self.inner.method.as_deref()
    }

    /// The hub URL of the failed call, without any query string.
    pub fn url(&self) -> Option<&str> {
        self.inner.url.as_deref()
    }

    /// How many times the request was sent before this error was returned
    /// (0 when it failed before sending, e.g. while encoding).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The hub answered with a fault.
    pub fn is_fault(&self) -> bool {
        matches!(self.inner.kind, Kind::Fault { .. })
    }

    /// The fault's kind, if this is a fault.
    pub fn fault_kind(&self) -> Option<FaultKind> {
        match self.inner.kind {
            Kind::Fault { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// The fault's numeric code, if this is a fault.
    pub fn fault_code(&self) -> Option<i64> {
        match self.inner.kind {
            Kind::Fault { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The fault's message (`faultString`), if this is a fault.
    pub fn fault_string(&self) -> Option<&str> {
        match &self.inner.kind {
            Kind::Fault { message, .. } => Some(message),
            _ => None,
        }
    }

    /// A timeout expired: connecting, waiting for one response, or the call's
    /// overall deadline.
    pub fn is_timeout(&self) -> bool {
        matches!(self.inner.kind, Kind::Timeout { .. })
    }

    /// The call's overall deadline (retries included) expired.
    pub fn is_deadline(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::Timeout {
                which: TimeoutKind::Deadline,
                ..
            }
        )
    }

    /// Opening the connection failed (refused, unreachable, name lookup,
    /// proxy tunnel, or a timeout while connecting).
    pub fn is_connect(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::Connect
                | Kind::Tls { .. }
                | Kind::Timeout {
                    which: TimeoutKind::Connect,
                    ..
                }
        )
    }

    /// The TLS handshake failed.
    pub fn is_tls(&self) -> bool {
        matches!(self.inner.kind, Kind::Tls { .. })
    }

    /// The server's certificate was rejected (wrong CA, expired, wrong name).
    /// Such errors are never retried.
    pub fn is_certificate(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::Tls {
                certificate: true,
                ..
            }
        )
    }

    /// The connection was closed or reset before the whole response arrived.
    pub fn is_disconnected(&self) -> bool {
        matches!(self.inner.kind, Kind::Disconnected)
    }

    /// The HTTP status when the server answered with a non-2xx status.
    pub fn status(&self) -> Option<StatusCode> {
        match &self.inner.kind {
            Kind::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The start of a response body that was not XML-RPC (an HTTP error page,
    /// plain text), whitespace collapsed and cut to a few hundred characters.
    pub fn body_snippet(&self) -> Option<&str> {
        match &self.inner.kind {
            Kind::Status { body, .. } | Kind::NotXmlRpc { body, .. } => Some(body),
            _ => None,
        }
    }

    /// The response could not be decoded: not XML-RPC, malformed XML, or a
    /// value that does not fit the asked-for type (see [`decode_error`](Error::decode_error)).
    pub fn is_decode(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::Decode | Kind::NotXmlRpc { .. } | Kind::ContentEncoding(_)
        )
    }

    /// The codec's error when the response was XML-RPC but could not be
    /// decoded; its `path()` names the bad value (e.g. `params[0][3].completion_ts`).
    pub fn decode_error(&self) -> Option<&koji_xmlrpc::Error> {
        match self.inner.kind {
            Kind::Decode => self
                .inner
                .source
                .as_ref()
                .and_then(|s| s.downcast_ref::<koji_xmlrpc::Error>()),
            _ => None,
        }
    }

    /// The model error when hub data could not be read the way a helper
    /// needed (e.g. a task request of the wrong shape); such errors are
    /// also [`is_decode`](Error::is_decode).
    pub fn model_error(&self) -> Option<&crate::ModelError> {
        match self.inner.kind {
            Kind::Decode => self
                .inner
                .source
                .as_ref()
                .and_then(|s| s.downcast_ref::<crate::ModelError>()),
            _ => None,
        }
    }

    /// The arguments could not be encoded.
    pub fn is_encode(&self) -> bool {
        matches!(self.inner.kind, Kind::Encode)
    }

    /// The result of a call queued in a [`Multicall`](crate::Multicall)
    /// never arrived: the multicall was dropped, or its `send` cancelled,
    /// before the call was answered.
    pub fn is_not_sent(&self) -> bool {
        matches!(self.inner.kind, Kind::NotSent)
    }

    /// The Python traceback the hub attached to this fault. Only faults
    /// inside a multicall have one (the hub's `traceback` member, sent for
    /// every failure that is not an XML-RPC `Fault` raised as such); the
    /// paths and line numbers in it are the hub's.
    pub fn hub_traceback(&self) -> Option<&[String]> {
        match self.inner.kind {
            Kind::Fault { .. } => self
                .inner
                .source
                .as_ref()
                .and_then(|s| s.downcast_ref::<HubTraceback>())
                .map(|t| t.lines.as_slice()),
            _ => None,
        }
    }

    /// The settings given to the builder were invalid.
    pub fn is_builder(&self) -> bool {
        matches!(self.inner.kind, Kind::Builder(_))
    }

    /// The response body was larger than the configured maximum.
    pub fn is_too_large(&self) -> bool {
        matches!(self.inner.kind, Kind::TooLarge { .. })
    }

    /// Whether retrying the same request may succeed: transport failures
    /// (connect, reset, timeout of one attempt), HTTP 5xx from a proxy, and
    /// fault 1014 `ServerOffline`. Certificate errors, other faults, HTTP 4xx,
    /// decode errors and an expired deadline are not retryable.
    ///
    /// This is what the built-in retry policy looks at; whether it actually
    /// retries also depends on the settings (`anon_retry`, `offline_retry`…).
    pub fn is_retryable(&self) -> bool {
        !matches!(self.retry_class(), RetryClass::Never)
    }

    /// Whether a certificate made the TLS connection fail: ours refused by the
    /// server (an `unknown_ca`, `certificate_expired`, `bad_certificate`…
    /// alert, which TLS 1.3 delivers only after the handshake, while the
    /// request is in flight) or the server's refused by us. Sending again
    /// would fail the same way.
    fn certificate_refused(&self) -> bool {
        use crate::auth::ssl::TlsFailure;
        if let Kind::Tls {
            certificate: true, ..
        } = self.inner.kind
        {
            return true;
        }
        matches!(
            self.find_tls_failure(),
            Some(
                TlsFailure::ServerCertificateUntrusted { .. }
                    | TlsFailure::ClientCertificateUnknownCa
                    | TlsFailure::ClientCertificateExpired
                    | TlsFailure::ClientCertificateRequired
                    | TlsFailure::ClientCertificateRejected { .. }
            )
        )
    }

    pub(crate) fn retry_class(&self) -> RetryClass {
        match &self.inner.kind {
            Kind::Disconnected => RetryClass::Stale,
            Kind::Connect | Kind::Transport | Kind::Tls { .. } if self.certificate_refused() => {
                RetryClass::Never
            }
            Kind::Connect | Kind::Transport | Kind::Tls { .. } => RetryClass::Transport,
            Kind::Timeout { which, .. } => match which {
                TimeoutKind::Connect | TimeoutKind::Response => RetryClass::Transport,
                TimeoutKind::Deadline => RetryClass::Never,
            },
            Kind::Status { status, .. } if status.is_server_error() => RetryClass::Transport,
            Kind::Fault {
                kind: FaultKind::ServerOffline,
                ..
            } => RetryClass::Offline,
            _ => RetryClass::Never,
        }
    }
}

/// How the retry policy may treat an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryClass {
    /// A dropped connection: one immediate resend, even anonymous.
    Stale,
    /// A transport failure: retried when logged in or with `anon_retry`.
    Transport,
    /// Fault 1014: retried only with `offline_retry`.
    Offline,
    /// Never retried.
    Never,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(method) = &self.inner.method {
            write!(f, "{method}: ")?;
        }
        match &self.inner.kind {
            Kind::Builder(msg) => {
                write!(f, "invalid connection settings: {msg}")?;
                if let Some(src) = &self.inner.source {
                    write!(f, ": {src}")?;
                }
            }
            Kind::Encode => {
                f.write_str("could not encode the call's arguments")?;
                if let Some(src) = &self.inner.source {
                    write!(f, ": {src}")?;
                }
            }
            Kind::NotSent => {
                f.write_str("the multicall was dropped before this call was answered")?
            }
            Kind::Connect => f.write_str("could not connect to the hub")?,
            Kind::Tls {
                certificate: true,
                detail,
            } => write!(f, "the hub's TLS certificate was rejected: {detail}")?,
            Kind::Tls {
                certificate: false,
                detail,
            } => write!(f, "TLS handshake with the hub failed: {detail}")?,
            Kind::Timeout { which, after } => {
                let what = match which {
                    TimeoutKind::Connect => "connecting to the hub",
                    TimeoutKind::Response => "waiting for the hub's response",
                    TimeoutKind::Deadline => "the call's overall deadline expired",
                };
                match which {
                    // The error of the attempt before, if any, is the source.
                    TimeoutKind::Deadline => write!(f, "{what} ({after:?})")?,
                    _ => write!(f, "timed out {what} (after {after:?})")?,
                }
            }
            Kind::Disconnected => {
                f.write_str("the connection closed before the whole response arrived")?
            }
            Kind::Transport => f.write_str("HTTP exchange with the hub failed")?,
            Kind::Status {
                status,
                content_type,
                body,
            } => {
                write!(f, "hub answered HTTP {status}")?;
                if let Some(ct) = content_type {
                    write!(f, " ({ct})")?;
                }
                if !body.is_empty() {
                    write!(f, ": {body}")?;
                }
            }
            Kind::NotXmlRpc { content_type, body } => {
                f.write_str("the response is not XML-RPC")?;
                if let Some(ct) = content_type {
                    write!(f, " ({ct})")?;
                }
                if !body.is_empty() {
                    write!(f, ": {body}")?;
                }
            }
            Kind::Decode => {
                f.write_str("could not decode the response")?;
                if let Some(src) = &self.inner.source {
                    write!(f, ": {src}")?;
                }
            }
            Kind::ContentEncoding(msg) => {
                write!(f, "could not decompress the response body: {msg}")?
            }
            Kind::TooLarge { limit } => write!(
                f,
                "the response body is larger than the limit of {limit} bytes"
            )?,
            Kind::Fault {
                code,
                kind,
                message,
            } => match kind {
                FaultKind::Unknown(_) => write!(f, "fault {code}: {message}")?,
                _ => write!(f, "fault {code} ({kind}): {message}")?,
            },
            Kind::Auth { detail, tls } => {
                write!(f, "login failed: {detail}")?;
                if let Some(tls) = tls {
                    write!(f, ": {tls}")?;
                } else if let Some(src) = &self.inner.source {
                    write!(f, ": {src}")?;
                }
            }
            Kind::NotLoggedIn => f.write_str("not logged in (log in first)")?,
            Kind::Component(_) => match &self.inner.source {
                Some(src) => write!(f, "{src}")?,
                None => f.write_str("error")?,
            },
        }
        if let Some(url) = &self.inner.url {
            if !self.is_fault() {
                write!(f, " [{url}]")?;
            }
        }
        if self.inner.attempts > 1 {
            write!(f, " (after {} attempts)", self.inner.attempts)?;
        }
        if let Some(note) = &self.inner.note {
            write!(f, "; {note}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("koji_client::Error");
        d.field("kind", &self.inner.kind);
        if let Some(method) = &self.inner.method {
            d.field("method", method);
        }
        if let Some(url) = &self.inner.url {
            d.field("url", url);
        }
        if self.inner.attempts > 0 {
            d.field("attempts", &self.inner.attempts);
        }
        if let Some(note) = &self.inner.note {
            d.field("note", note);
        }
        if let Some(source) = &self.inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.inner.kind {
            // Display already includes the codec's (or config's) error text.
            Kind::Decode | Kind::Encode | Kind::Builder(_) => None,
            // Display is the wrapped error's own text: go on from its source.
            Kind::Component(_) => self.inner.source.as_deref().and_then(|s| s.source()),
            Kind::Auth { tls: None, .. } => None,
            _ => self
                .inner
                .source
                .as_ref()
                .map(|s| &**s as &(dyn std::error::Error + 'static)),
        }
    }
}

/// The `traceback` member of a multicall fault entry, kept as the fault's
/// source (see [`Error::hub_traceback`]).
#[derive(Debug, Clone)]
pub(crate) struct HubTraceback {
    pub(crate) lines: Vec<String>,
}

impl fmt::Display for HubTraceback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The last line names the exception; the whole text is available
        // through `Error::hub_traceback`.
        let last = self
            .lines
            .iter()
            .rev()
            .flat_map(|l| l.lines().rev())
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("");
        write!(f, "hub traceback ({} lines): {last}", self.lines.len())
    }
}

impl std::error::Error for HubTraceback {}

/// Hub data a model helper could not read (a task request of the wrong
/// shape, a time that is not a time): a decode error, so that `?` works on
/// model helpers inside functions returning [`Result`].
impl From<crate::ModelError> for Error {
    fn from(e: crate::ModelError) -> Error {
        Error::new(Kind::Decode).with_source(e)
    }
}

/// The URL without query string or fragment (where URL session keys would be).
pub(crate) fn strip_query(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url.get(..end).unwrap_or(url)
}

/// Masks the values of `session-key=` / `session-id=` parameters (and Koji's
/// session headers) in text that may quote a URL or a request.
pub(crate) fn scrub_secrets(text: &str) -> String {
    const MARKERS: [&str; 4] = [
        "session-key=",
        "session-id=",
        "koji-session-key:",
        "koji-session-id:",
    ];
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while pos < text.len() {
        let next = MARKERS
            .iter()
            .filter_map(|m| lower.get(pos..)?.find(m).map(|i| (pos + i, m.len())))
            .min_by_key(|(i, _)| *i);
        let Some((start, len)) = next else {
            out.push_str(text.get(pos..).unwrap_or_default());
            break;
        };
        let value_start = start + len;
        out.push_str(text.get(pos..value_start).unwrap_or_default());
        let rest = text.get(value_start..).unwrap_or_default();
        let skip_ws = rest.len() - rest.trim_start_matches(' ').len();
        let value_len = rest
            .get(skip_ws..)
            .unwrap_or_default()
            .find(|c: char| c == '&' || c == '"' || c == '\'' || c == '<' || c.is_whitespace())
            .unwrap_or(rest.len() - skip_ws);
        out.push_str(rest.get(..skip_ws).unwrap_or_default());
        out.push_str("XXXXX");
        pos = value_start + skip_ws + value_len;
    }
    out
}

/// A short, readable, secret-free rendering of a non-XML-RPC body: markup
/// removed, whitespace collapsed, cut to [`BODY_SNIPPET_CHARS`] characters.
pub(crate) fn body_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut plain = String::with_capacity(text.len().min(4096));
    let mut in_tag = false;
    let mut last_space = true;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !last_space {
                    plain.push(' ');
                    last_space = true;
                }
            }
            _ if in_tag => {}
            c if c.is_whitespace() || c.is_control() => {
                if !last_space {
                    plain.push(' ');
                    last_space = true;
                }
            }
            c => {
                plain.push(c);
                last_space = false;
            }
        }
        if plain.len() > BODY_SNIPPET_CHARS * 8 {
            break;
        }
    }
    let plain = scrub_secrets(plain.trim());
    match plain.char_indices().nth(BODY_SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", plain.get(..cut).unwrap_or_default()),
        None => plain,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_koji_code_round_trips() {
        for code in (1000..=1024).chain([1]) {
            let kind = FaultKind::from_code(code);
            assert!(!matches!(kind, FaultKind::Unknown(_)), "{code}");
            assert_eq!(kind.code(), code);
            assert!(kind.name().is_some());
        }
        assert_eq!(FaultKind::from_code(999), FaultKind::Unknown(999));
        assert_eq!(FaultKind::Unknown(999).code(), 999);
        assert_eq!(FaultKind::from_code(1014), FaultKind::ServerOffline);
        assert_eq!(FaultKind::from_code(1019), FaultKind::ParameterError);
        assert_eq!(FaultKind::from_code(1023).name(), Some("GSSAPIAuthError"));
    }

    #[test]
    fn fault_display_names_the_class() {
        let e = Error::fault(1000, "No such build: 9999").context("getBuild", "http://h/kojihub");
        assert_eq!(
            e.to_string(),
            "getBuild: fault 1000 (GenericError): No such build: 9999"
        );
        let e = Error::fault(4242, "odd");
        assert_eq!(e.to_string(), "fault 4242: odd");
        assert_eq!(e.fault_kind(), Some(FaultKind::Unknown(4242)));
    }

    #[test]
    fn urls_lose_their_query() {
        let e = Error::new(Kind::Connect).context(
            "getBuild",
            "https://hub/kojihub?session-id=1&session-key=SECRET&callnum=3",
        );
        assert_eq!(e.url(), Some("https://hub/kojihub"));
        assert!(!e.to_string().contains("SECRET"));
        assert!(!format!("{e:?}").contains("SECRET"));
    }

    #[test]
    fn scrub_masks_session_keys() {
        let s = scrub_secrets("GET /kojihub?session-id=12&session-key=abc-def&callnum=1 HTTP");
        assert_eq!(
            s,
            "GET /kojihub?session-id=XXXXX&session-key=XXXXX&callnum=1 HTTP"
        );
        assert_eq!(
            scrub_secrets("Koji-Session-Key: 1-abc\nx"),
            "Koji-Session-Key: XXXXX\nx"
        );
        assert_eq!(scrub_secrets("nothing here"), "nothing here");
        assert_eq!(scrub_secrets("session-key="), "session-key=XXXXX");
    }

    #[test]
    fn snippets_are_short_and_readable() {
        let page = b"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>502 Proxy Error</title>\n</head><body>\n<h1>Proxy Error</h1>\n<p>The proxy server received an invalid\nresponse from an upstream server.</p></body></html>\n";
        let s = body_snippet(page);
        assert_eq!(
            s,
            "502 Proxy Error Proxy Error The proxy server received an invalid response from an upstream server."
        );
        let long = "x".repeat(10_000);
        let s = body_snippet(long.as_bytes());
        assert_eq!(s.chars().count(), BODY_SNIPPET_CHARS + 1);
    }

    #[test]
    fn retry_classes() {
        assert_eq!(
            Error::new(Kind::Disconnected).retry_class(),
            RetryClass::Stale
        );
        assert_eq!(
            Error::new(Kind::Connect).retry_class(),
            RetryClass::Transport
        );
        assert_eq!(
            Error::fault(1014, "offline").retry_class(),
            RetryClass::Offline
        );
        assert_eq!(Error::fault(1000, "x").retry_class(), RetryClass::Never);
        let bad_gw = Error::http_status(StatusCode::BAD_GATEWAY, None, b"");
        assert!(bad_gw.is_retryable());
        let bad_req = Error::http_status(StatusCode::BAD_REQUEST, None, b"");
        assert!(!bad_req.is_retryable());
        let cert = Error::new(Kind::Tls {
            certificate: true,
            detail: "unable to get local issuer certificate".into(),
        });
        assert!(!cert.is_retryable());
        assert!(cert.is_tls() && cert.is_certificate() && cert.is_connect());
        let deadline = Error::timeout(TimeoutKind::Deadline, Duration::from_secs(1));
        assert!(deadline.is_timeout() && !deadline.is_retryable());
        assert!(Error::timeout(TimeoutKind::Response, Duration::from_secs(1)).is_retryable());
    }
}
