//! HTTP/1.1 to the hub: hyper 1 with hyper-util's pooled client, our own
//! connector (TCP, proxies from the environment, OpenSSL TLS), and response
//! bodies decompressed as they arrive.
//!
//! Why not reqwest: certificate login needs TLS 1.3 post-handshake
//! authentication and TLS 1.2 renegotiation, which none of reqwest's TLS
//! backends can be configured for. Owning the connector keeps the OpenSSL
//! context in our hands (see [`crate::tls`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use crate::error::{BoxError, Error, Kind, Result, TimeoutKind};
use crate::tls::TlsContext;

/// Where HTTP proxies come from.
#[derive(Clone, Default)]
pub(crate) enum ProxySettings {
    /// `http_proxy`, `https_proxy`, `all_proxy` and `no_proxy` (either case),
    /// read when the connection is built.
    #[default]
    FromEnv,
    /// Never use a proxy.
    Disabled,
    /// Explicit proxy URLs and a `no_proxy`-style exception list.
    Explicit {
        http: Option<String>,
        https: Option<String>,
        no_proxy: Option<String>,
    },
}

/// Shows proxy URLs without their credentials.
impl std::fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxySettings::FromEnv => f.write_str("FromEnv"),
            ProxySettings::Disabled => f.write_str("Disabled"),
            ProxySettings::Explicit {
                http,
                https,
                no_proxy,
            } => f
                .debug_struct("Explicit")
                .field("http", &http.as_deref().map(without_userinfo))
                .field("https", &https.as_deref().map(without_userinfo))
                .field("no_proxy", no_proxy)
                .finish(),
        }
    }
}

/// A URL with any `user:password@` part replaced by `***@`.
fn without_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = rest.get(..authority_end).unwrap_or(rest);
    match authority.rfind('@') {
        Some(at) => format!("{scheme}***@{}", rest.get(at + 1..).unwrap_or_default()),
        None => url.to_owned(),
    }
}

impl ProxySettings {
    fn matcher(&self) -> Option<Matcher> {
        match self {
            ProxySettings::FromEnv => Some(Matcher::from_env()),
            ProxySettings::Disabled => None,
            ProxySettings::Explicit {
                http,
                https,
                no_proxy,
            } => {
                let mut b = Matcher::builder();
                if let Some(p) = http {
                    b = b.http(p.clone());
                }
                if let Some(p) = https {
                    b = b.https(p.clone());
                }
                if let Some(n) = no_proxy {
                    b = b.no(n.clone());
                }
                Some(b.build())
            }
        }
    }
}

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    pub(crate) connect_timeout: Duration,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) pool_max_idle_per_host: usize,
    pub(crate) proxy: ProxySettings,
    pub(crate) user_agent: HeaderValue,
}

/// The shared HTTP client (cheap to clone: the pool is shared).
#[derive(Clone)]
pub(crate) struct Transport {
    client: Client<Connector, Full<Bytes>>,
    proxy: Option<Arc<Matcher>>,
    user_agent: HeaderValue,
}

impl Transport {
    pub(crate) fn new(settings: &HttpSettings, tls: TlsContext) -> Transport {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(settings.connect_timeout));
        let proxy = settings.proxy.matcher().map(Arc::new);
        let connector = Connector {
            http,
            tls,
            proxy: proxy.clone(),
            connect_timeout: settings.connect_timeout,
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(settings.pool_idle_timeout)
            .pool_max_idle_per_host(settings.pool_max_idle_per_host)
            .build(connector);
        Transport {
            client,
            proxy,
            user_agent: settings.user_agent.clone(),
        }
    }

    /// POSTs `body` as `text/xml` and waits for the response head.
    pub(crate) async fn post(
        &self,
        uri: &Uri,
        body: Bytes,
        extra: &HeaderMap,
    ) -> Result<Response<Incoming>> {
        let mut req = Request::post(uri.clone())
            .body(Full::new(body))
            .map_err(|e| Error::builder("invalid request").with_source(e))?;
        req.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        self.send(req, "gzip, deflate", extra).await
    }

    /// Sends a GET (or HEAD) for a file under `topurl` and waits for the
    /// response head. The body is left to the caller, undecoded: Range
    /// offsets count the bytes as stored, so no compression is asked for.
    pub(crate) async fn get_file(
        &self,
        method: http::Method,
        uri: &Uri,
        extra: &HeaderMap,
    ) -> Result<Response<Incoming>> {
        let req = Request::builder()
            .method(method)
            .uri(uri.clone())
            .body(Full::new(Bytes::new()))
            .map_err(|e| Error::builder("invalid request").with_source(e))?;
        self.send(req, "identity", extra).await
    }

    /// Adds the headers every request carries (user agent, accepted
    /// encodings, `extra`, an HTTP proxy's credentials) and sends `req`.
    async fn send(
        &self,
        mut req: Request<Full<Bytes>>,
        accept_encoding: &'static str,
        extra: &HeaderMap,
    ) -> Result<Response<Incoming>> {
        let uri = req.uri().clone();
        let headers = req.headers_mut();
        headers.insert(header::USER_AGENT, self.user_agent.clone());
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static(accept_encoding),
        );
        for (name, value) in extra {
            if name == header::CONTENT_TYPE {
                // the caller's own type (rawUpload chunks) replaces text/xml
                headers.remove(header::CONTENT_TYPE);
            }
            headers.append(name, value.clone());
        }
        // A plain-http request through an HTTP proxy carries the proxy's
        // credentials itself (https goes through a CONNECT tunnel instead).
        if uri.scheme() == Some(&http::uri::Scheme::HTTP) {
            if let Some(auth) = self
                .proxy
                .as_ref()
                .and_then(|m| m.intercept(&uri))
                .and_then(|i| i.basic_auth().cloned())
            {
                let mut auth = auth;
                auth.set_sensitive(true);
                headers.insert(header::PROXY_AUTHORIZATION, auth);
            }
        }
        self.client
            .request(req)
            .await
            .map_err(classify_client_error)
    }
}

/// Maps a hyper-util client error to our error kinds.
fn classify_client_error(err: hyper_util::client::legacy::Error) -> Error {
    if err.is_connect() {
        let mut source: Option<&(dyn std::error::Error + 'static)> =
            std::error::Error::source(&err);
        while let Some(s) = source {
            if let Some(ce) = s.downcast_ref::<ConnectError>() {
                let kind = match &ce.kind {
                    ConnectFailure::Timeout(after) => Kind::Timeout {
                        which: TimeoutKind::Connect,
                        after: *after,
                    },
                    ConnectFailure::Tls {
                        certificate,
                        detail,
                    } => Kind::Tls {
                        certificate: *certificate,
                        detail: detail.clone(),
                    },
                    ConnectFailure::Tcp | ConnectFailure::Proxy => Kind::Connect,
                };
                return Error::new(kind).with_source(err);
            }
            source = s.source();
        }
        return Error::new(Kind::Connect).with_source(err);
    }
    let kind = classify_exchange_error(&err);
    Error::new(kind).with_source(err)
}

/// Whether a failure during the exchange means the connection dropped
/// (koji's `is_conn_error`: reset, aborted, broken pipe, closed before the
/// response, incomplete read) or something else went wrong.
pub(crate) fn classify_exchange_error(err: &(dyn std::error::Error + 'static)) -> Kind {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() || h.is_canceled() || h.is_closed() {
                return Kind::Disconnected;
            }
        }
        if let Some(io) = s.downcast_ref::<io::Error>() {
            use io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            ) {
                return Kind::Disconnected;
            }
        }
        source = s.source();
    }
    Kind::Transport
}

// ---------------------------------------------------------------------------
// Connector

/// Opens connections: direct, through an HTTP proxy (plain http) or a
/// CONNECT tunnel (https), with TLS on top for https.
#[derive(Clone)]
struct Connector {
    http: HttpConnector,
    tls: TlsContext,
    proxy: Option<Arc<Matcher>>,
    connect_timeout: Duration,
}

/// Why a connection could not be opened (the source of hyper-util's
/// connect error).
#[derive(Debug)]
struct ConnectError {
    kind: ConnectFailure,
    source: Option<BoxError>,
}

#[derive(Debug)]
enum ConnectFailure {
    Tcp,
    Proxy,
    Tls { certificate: bool, detail: String },
    Timeout(Duration),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            ConnectFailure::Tcp => f.write_str("TCP connect failed"),
            ConnectFailure::Proxy => f.write_str("connecting through the proxy failed"),
            ConnectFailure::Tls { detail, .. } => write!(f, "TLS handshake failed: {detail}"),
            ConnectFailure::Timeout(after) => write!(f, "connect timed out after {after:?}"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| &**s as &(dyn std::error::Error + 'static))
    }
}

impl ConnectError {
    fn new(kind: ConnectFailure, source: impl Into<BoxError>) -> ConnectError {
        ConnectError {
            kind,
            source: Some(source.into()),
        }
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = HubStream;
    type Error = ConnectError;
    type Future =
        Pin<Box<dyn Future<Output = std::result::Result<HubStream, ConnectError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<std::result::Result<(), ConnectError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let limit = this.connect_timeout;
            match tokio::time::timeout(limit, this.connect(dst)).await {
                Ok(result) => result,
                Err(_) => Err(ConnectError {
                    kind: ConnectFailure::Timeout(limit),
                    source: None,
                }),
            }
        })
    }
}

impl Connector {
    async fn connect(mut self, dst: Uri) -> std::result::Result<HubStream, ConnectError> {
        use tower_service::Service;
        let https = dst.scheme() == Some(&http::uri::Scheme::HTTPS);
        let intercept = self.proxy.as_ref().and_then(|m| m.intercept(&dst));
        let (tcp, proxied) = match intercept {
            None => {
                let io = self
                    .http
                    .call(dst.clone())
                    .await
                    .map_err(|e| ConnectError::new(ConnectFailure::Tcp, e))?;
                (io.into_inner(), false)
            }
            Some(proxy) => {
                if proxy.uri().scheme() == Some(&http::uri::Scheme::HTTPS) {
                    return Err(ConnectError::new(
                        ConnectFailure::Proxy,
                        "HTTPS proxies are not supported; use an http:// proxy URL",
                    ));
                }
                tracing::debug!(proxy = %proxy_display(proxy.uri()), "connecting through proxy");
                if https {
                    let mut tunnel = Tunnel::new(proxy.uri().clone(), self.http.clone());
                    if let Some(auth) = proxy.basic_auth() {
                        tunnel = tunnel.with_auth(auth.clone());
                    }
                    let io = tunnel
                        .call(dst.clone())
                        .await
                        .map_err(|e| ConnectError::new(ConnectFailure::Proxy, e))?;
                    (io.into_inner(), false)
                } else {
                    let io = self
                        .http
                        .call(proxy.uri().clone())
                        .await
                        .map_err(|e| ConnectError::new(ConnectFailure::Proxy, e))?;
                    (io.into_inner(), true)
                }
            }
        };
        if !https {
            return Ok(HubStream::Plain { io: tcp, proxied });
        }
        let host = dst.host().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let tls_err = |detail: String, e: BoxError| {
            ConnectError::new(
                ConnectFailure::Tls {
                    certificate: false,
                    detail,
                },
                e,
            )
        };
        let mut config = self
            .tls
            .connector
            .configure()
            .map_err(|e| tls_err("cannot configure TLS".into(), e.into()))?;
        if !self.tls.verify {
            config.set_verify_hostname(false);
        }
        let ssl = config
            .into_ssl(host)
            .map_err(|e| tls_err("cannot configure TLS".into(), e.into()))?;
        let mut stream =
            SslStream::new(ssl, tcp).map_err(|e| tls_err("cannot start TLS".into(), e.into()))?;
        if let Err(e) = Pin::new(&mut stream).connect().await {
            let verify = stream.ssl().verify_result();
            if verify != openssl::x509::X509VerifyResult::OK {
                return Err(ConnectError::new(
                    ConnectFailure::Tls {
                        certificate: true,
                        detail: format!("certificate verify failed: {}", verify.error_string()),
                    },
                    e,
                ));
            }
            let detail = e.to_string();
            // An early EOF or reset during the handshake is a network problem.
            if let Some(io) = e.io_error() {
                let kind = io.kind();
                return Err(ConnectError::new(
                    ConnectFailure::Tls {
                        certificate: false,
                        detail: format!("{kind}: {detail}"),
                    },
                    e,
                ));
            }
            return Err(tls_err(detail, e.into()));
        }
        Ok(HubStream::Tls(Box::new(TokioIo::new(stream))))
    }
}

/// A proxy URL without credentials, for logs.
fn proxy_display(uri: &Uri) -> String {
    format!(
        "{}://{}{}",
        uri.scheme_str().unwrap_or("http"),
        uri.host().unwrap_or_default(),
        uri.port().map(|p| format!(":{p}")).unwrap_or_default()
    )
}

/// A connection to the hub (or its proxy).
enum HubStream {
    Plain { io: TcpStream, proxied: bool },
    Tls(Box<TokioIo<SslStream<TcpStream>>>),
}

impl Connection for HubStream {
    fn connected(&self) -> Connected {
        match self {
            HubStream::Plain { proxied, .. } => Connected::new().proxy(*proxied),
            HubStream::Tls(_) => Connected::new(),
        }
    }
}

impl Read for HubStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            HubStream::Plain { io, .. } => {
                // Same adapter as TokioIo, without keeping a wrapper around.
                let mut wrapped = TokioIo::new(io);
                Pin::new(&mut wrapped).poll_read(cx, buf)
            }
            HubStream::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
        }
    }
}

impl Write for HubStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            HubStream::Plain { io, .. } => tokio::io::AsyncWrite::poll_write(Pin::new(io), cx, buf),
            HubStream::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            HubStream::Plain { io, .. } => tokio::io::AsyncWrite::poll_flush(Pin::new(io), cx),
            HubStream::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            HubStream::Plain { io, .. } => tokio::io::AsyncWrite::poll_shutdown(Pin::new(io), cx),
            HubStream::Tls(s) => Pin::new(&mut **s).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            HubStream::Plain { io, .. } => tokio::io::AsyncWrite::is_write_vectored(io),
            HubStream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            HubStream::Plain { io, .. } => {
                tokio::io::AsyncWrite::poll_write_vectored(Pin::new(io), cx, bufs)
            }
            HubStream::Tls(s) => Pin::new(&mut **s).poll_write_vectored(cx, bufs),
        }
    }
}

// ---------------------------------------------------------------------------
// Response bodies

/// Largest piece of (compressed) input decoded between two size checks.
const DECODE_SLICE: usize = 8 * 1024;

/// [`BodyReader::fill`] returns once this much decoded output is pending, the
/// rest of the frame kept for the next call: a streaming consumer that takes
/// the output after each call holds at most this plus one slice's inflation
/// (a compressed frame can inflate a thousandfold).
const FILL_CAP: usize = 1 << 20;

/// A response body being read and decompressed frame by frame.
pub(crate) struct BodyReader {
    body: Incoming,
    decoder: Decoder,
    /// Decoded bytes produced so far (taken or not).
    produced: usize,
    limit: usize,
    done: bool,
    /// The part of a frame not decoded yet (see [`FILL_CAP`]).
    rest: bytes::Bytes,
}

impl BodyReader {
    /// Prepares to read `body` whole (at most `limit` bytes), decoding the
    /// `Content-Encoding` in `headers`.
    pub(crate) fn new(headers: &HeaderMap, body: Incoming, limit: usize) -> Result<BodyReader> {
        Self::open(headers, body, limit, 16 << 20)
    }

    /// Prepares to read `body` piece by piece (see [`fill`](Self::fill)),
    /// of any size: the pending buffer starts small instead of at the
    /// `Content-Length` (each piece is consumed before the next is read).
    pub(crate) fn streaming(headers: &HeaderMap, body: Incoming) -> Result<BodyReader> {
        Self::open(headers, body, usize::MAX, 64 << 10)
    }

    fn open(
        headers: &HeaderMap,
        body: Incoming,
        limit: usize,
        max_capacity: usize,
    ) -> Result<BodyReader> {
        let encoding = headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_ascii_lowercase());
        let capacity = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(8192)
            .min(limit)
            .min(max_capacity);
        let decoder = match encoding.as_deref() {
            None | Some("") | Some("identity") => Decoder::Identity(Vec::with_capacity(capacity)),
            Some("gzip") | Some("x-gzip") => {
                Decoder::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new())))
            }
            Some("deflate") => Decoder::DeflateUndecided(Vec::new()),
            Some(other) => {
                return Err(Error::new(Kind::ContentEncoding(format!(
                    "unsupported Content-Encoding {other:?}"
                ))));
            }
        };
        Ok(BodyReader {
            body,
            decoder,
            produced: 0,
            limit,
            done: false,
            rest: bytes::Bytes::new(),
        })
    }

    /// Reads the next frame and decodes it into the pending output.
    /// Returns `false` once the body has ended (and the decoder finished).
    pub(crate) async fn fill(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        if !self.rest.is_empty() {
            let rest = std::mem::take(&mut self.rest);
            self.decode(rest)?;
            return Ok(true);
        }
        loop {
            match self.body.frame().await {
                None => {
                    self.decoder.finish()?;
                    self.done = true;
                    self.check_size()?;
                    return Ok(false);
                }
                Some(Err(e)) => {
                    let kind = classify_exchange_error(&e);
                    return Err(Error::new(kind).with_source(e));
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers
                    };
                    if data.is_empty() {
                        continue;
                    }
                    self.decode(data)?;
                    return Ok(true);
                }
            }
        }
    }

    /// Decodes `data` in slices, so that a compressed body cannot inflate far
    /// past the limit before it is checked; stops early (keeping the rest)
    /// once [`FILL_CAP`] bytes are pending.
    fn decode(&mut self, mut data: bytes::Bytes) -> Result<()> {
        while !data.is_empty() {
            let slice = data.split_to(DECODE_SLICE.min(data.len()));
            let before = self.decoder.output().len();
            self.decoder.push(&slice)?;
            self.produced += self.decoder.output().len().saturating_sub(before);
            self.check_size()?;
            if self.decoder.output().len() >= FILL_CAP {
                break;
            }
        }
        self.rest = data;
        Ok(())
    }

    fn check_size(&self) -> Result<()> {
        if self.produced > self.limit {
            return Err(Error::new(Kind::TooLarge { limit: self.limit }));
        }
        Ok(())
    }

    /// The decoded bytes not taken yet.
    pub(crate) fn pending(&mut self) -> &mut Vec<u8> {
        self.decoder.output()
    }

    /// Reads the whole remaining body into one buffer.
    pub(crate) async fn read_to_end(mut self) -> Result<Vec<u8>> {
        while self.fill().await? {}
        Ok(std::mem::take(self.decoder.output()))
    }

    /// Reads at most about `max` decoded bytes (for error pages), ignoring
    /// errors after the first bytes.
    pub(crate) async fn read_prefix(mut self, max: usize) -> Vec<u8> {
        while self.decoder.output().len() < max {
            match self.fill().await {
                Ok(true) => {}
                Ok(false) | Err(_) => break,
            }
        }
        let out = self.decoder.output();
        out.truncate(max);
        std::mem::take(out)
    }
}

/// Undoes a `Content-Encoding`, writing into its own output buffer.
enum Decoder {
    Identity(Vec<u8>),
    Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
    Zlib(Box<flate2::write::ZlibDecoder<Vec<u8>>>),
    Deflate(Box<flate2::write::DeflateDecoder<Vec<u8>>>),
    /// "deflate" is zlib-wrapped by the standard but raw in some servers:
    /// decided once the first two bytes are in.
    DeflateUndecided(Vec<u8>),
}

impl Decoder {
    fn output(&mut self) -> &mut Vec<u8> {
        match self {
            Decoder::Identity(v) | Decoder::DeflateUndecided(v) => v,
            Decoder::Gzip(d) => d.get_mut(),
            Decoder::Zlib(d) => d.get_mut(),
            Decoder::Deflate(d) => d.get_mut(),
        }
    }

    fn push(&mut self, data: &[u8]) -> Result<()> {
        use std::io::Write as _;
        let err = |e: io::Error| Error::new(Kind::ContentEncoding(e.to_string()));
        match self {
            Decoder::Identity(v) => {
                v.extend_from_slice(data);
                Ok(())
            }
            Decoder::Gzip(d) => d.write_all(data).map_err(err),
            Decoder::Zlib(d) => d.write_all(data).map_err(err),
            Decoder::Deflate(d) => d.write_all(data).map_err(err),
            Decoder::DeflateUndecided(head) => {
                head.extend_from_slice(data);
                if head.len() < 2 {
                    return Ok(());
                }
                let head = std::mem::take(head);
                *self = Decoder::for_deflate(&head);
                self.push(&head)
            }
        }
    }

    fn for_deflate(head: &[u8]) -> Decoder {
        let zlib = match head {
            [cmf, flg, ..] => cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
            _ => true,
        };
        if zlib {
            Decoder::Zlib(Box::new(flate2::write::ZlibDecoder::new(Vec::new())))
        } else {
            Decoder::Deflate(Box::new(flate2::write::DeflateDecoder::new(Vec::new())))
        }
    }

    /// Checks that the compressed stream ended properly and flushes the rest.
    fn finish(&mut self) -> Result<()> {
        let err = |e: io::Error| {
            Error::new(Kind::ContentEncoding(format!(
                "compressed body ended early or is corrupt: {e}"
            )))
        };
        match self {
            Decoder::Identity(_) => Ok(()),
            Decoder::Gzip(d) => d.try_finish().map_err(err),
            Decoder::Zlib(d) => d.try_finish().map_err(err),
            Decoder::Deflate(d) => d.try_finish().map_err(err),
            Decoder::DeflateUndecided(head) => {
                if head.is_empty() {
                    return Ok(());
                }
                let head = std::mem::take(head);
                *self = Decoder::for_deflate(&head);
                self.push(&head)?;
                self.finish()
            }
        }
    }
}

/// The `Content-Type` of a response, for error messages.
pub(crate) fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Turns a non-2xx response into an error quoting the start of its body.
pub(crate) async fn status_error(resp: Response<Incoming>, limit: usize) -> Error {
    let status: StatusCode = resp.status();
    let ct = content_type(resp.headers());
    let (parts, body) = resp.into_parts();
    let prefix = match BodyReader::new(&parts.headers, body, limit) {
        Ok(reader) => reader.read_prefix(4096).await,
        Err(_) => Vec::new(),
    };
    Error::http_status(status, ct, &prefix)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write as _;

    fn run(mut d: Decoder, chunks: &[&[u8]]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for c in chunks {
            d.push(c)?;
            out.append(d.output());
        }
        d.finish()?;
        out.append(d.output());
        Ok(out)
    }

    fn split(data: &[u8]) -> Vec<&[u8]> {
        data.chunks(7).collect()
    }

    #[test]
    fn gzip_zlib_and_raw_deflate_decode_in_pieces() {
        let text = b"<?xml version='1.0'?>\n<methodResponse>".repeat(50);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&text).unwrap();
        let gz = gz.finish().unwrap();
        let d = Decoder::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new())));
        assert_eq!(run(d, &split(&gz)).unwrap(), text);

        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&text).unwrap();
        let z = z.finish().unwrap();
        assert_eq!(
            run(Decoder::DeflateUndecided(Vec::new()), &split(&z)).unwrap(),
            text
        );

        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(&text).unwrap();
        let raw = raw.finish().unwrap();
        assert_eq!(
            run(Decoder::DeflateUndecided(Vec::new()), &split(&raw)).unwrap(),
            text
        );
    }

    #[test]
    fn proxy_credentials_stay_out_of_debug() {
        let p = ProxySettings::Explicit {
            http: Some("http://user:s3cret@proxy:3128".into()),
            https: Some("http://proxy:3128/".into()),
            no_proxy: None,
        };
        let shown = format!("{p:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("user"),
            "{shown}"
        );
        assert!(shown.contains("http://***@proxy:3128"), "{shown}");
        assert!(shown.contains("http://proxy:3128/"), "{shown}");
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&b"hello world ".repeat(100)).unwrap();
        let gz = gz.finish().unwrap();
        let cut = &gz[..gz.len() / 2];
        let d = Decoder::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new())));
        let err = run(d, &[cut]).unwrap_err();
        assert!(err.is_decode(), "{err}");
        assert!(err.to_string().contains("decompress"), "{err}");
    }
}
