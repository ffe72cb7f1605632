//! [`Connection`]: calls to a Koji hub, plain, typed or streamed, with
//! retries, timeouts and hub version detection.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Response, Uri};
use hyper::body::Incoming;
use koji_xmlrpc::{ArrayStreamDecoder, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;

use crate::call::{
    CallBuilder, CallStream, Endpoint, PreparedCall, args_to_values, encode_error, kwargs_to_struct,
};
use crate::config::{Config, ConfigSources, Profile};
use crate::error::{Error, Kind, Result, TimeoutKind, strip_query};
use crate::retry::{RetryPolicy, RetryState};
use crate::tls::TlsSettings;
use crate::transport::{
    BodyReader, HttpSettings, ProxySettings, Transport, content_type, status_error,
};
use crate::version::HubVersion;

/// Koji's default request timeout (`DEFAULT_REQUEST_TIMEOUT`, 12 hours).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(12 * 60 * 60);
/// Koji's default login timeout (`DEFAULT_AUTH_TIMEOUT`, 60 s).
pub const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_secs(60);
/// Default limit for opening a connection (TCP, proxy, TLS): 60 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default limit on the size of one decompressed response body: 1 GiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 1 << 30;

/// The response header of hubs ≥ 1.35 that names their version.
static KOJI_VERSION: HeaderName = HeaderName::from_static("koji-version");

/// The `User-Agent` this library sends.
pub const USER_AGENT: &str = concat!("koji-client/", env!("CARGO_PKG_VERSION"), " (rust)");

/// A connection to one Koji hub.
///
/// Cheap to clone (the clones share one keep-alive connection pool and
/// settings), `Send + Sync`, and good for many calls in flight at once.
///
/// ```no_run
/// # async fn demo() -> koji_client::Result<()> {
/// use koji_client::Connection;
///
/// let koji = Connection::new("https://koji.fedoraproject.org/kojihub")?;
/// let build = koji.call("getBuild", ("bash-5.2.26-3.fc40",)).await?;
/// println!("{:?}", build.get("build_id"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Connection {
    pub(crate) shared: Arc<Shared>,
    /// The session of this connection and its clones (a subsession is a
    /// connection with the same `shared` and its own session).
    pub(crate) session: Arc<crate::session::SessionSlot>,
}

pub(crate) struct Shared {
    url: Uri,
    /// The hub URL with `https`, used after a certificate or Kerberos login
    /// (koji switches to https for those and stays there).
    https_url: Uri,
    https_url_text: String,
    force_https: AtomicBool,
    login_url: Uri,
    https_login_url: Uri,
    pub(crate) url_text: String,
    pub(crate) auth: crate::auth::AuthSettings,
    pub(crate) has_cert: bool,
    transport: Transport,
    timeout: Duration,
    auth_timeout: Duration,
    retry: RetryPolicy,
    deadline: Duration,
    max_response_size: usize,
    logged_in: AtomicBool,
    version_header: OnceLock<String>,
    hub_version: tokio::sync::OnceCell<HubVersion>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.shared.url_text)
            .field("timeout", &self.shared.timeout)
            .field("retry", &self.shared.retry)
            .field("deadline", &self.shared.deadline)
            .field("logged_in", &self.is_logged_in())
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// Settings for a [`Connection`], named after koji's profile options.
///
/// ```no_run
/// # fn demo() -> koji_client::Result<()> {
/// use std::time::Duration;
/// use koji_client::Connection;
///
/// let koji = Connection::builder("https://koji.example.com/kojihub")
///     .serverca("/etc/pki/koji/ca.pem")
///     .timeout(Duration::from_secs(120))
///     .anon_retry(true)
///     .max_retries(5)
///     .retry_interval(Duration::from_secs(3))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ConnectionBuilder {
    server: String,
    tls: TlsSettings,
    timeout: Duration,
    auth_timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    max_response_size: usize,
    pool_idle_timeout: Duration,
    pool_max_idle_per_host: usize,
    proxy: ProxySettings,
    user_agent: Option<String>,
    auth: crate::auth::AuthSettings,
}

impl ConnectionBuilder {
    fn new(server: impl Into<String>) -> ConnectionBuilder {
        ConnectionBuilder {
            server: server.into(),
            tls: TlsSettings::default(),
            timeout: DEFAULT_TIMEOUT,
            auth_timeout: DEFAULT_AUTH_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            pool_idle_timeout: Duration::from_secs(60),
            pool_max_idle_per_host: usize::MAX,
            proxy: ProxySettings::FromEnv,
            user_agent: None,
            auth: crate::auth::AuthSettings::default(),
        }
    }

    /// A builder with every connection setting of a koji profile: `server`,
    /// `serverca`, `no_ssl_verify`, `cert`, `timeout`, `auth_timeout`,
    /// `max_retries`, `retry_interval`, `anon_retry`, `offline_retry` and
    /// `offline_retry_interval` (other settings keep their defaults and can
    /// still be changed).
    ///
    /// `cert` is taken only when the file exists: profiles often name a
    /// default certificate that only certificate login needs, and anonymous
    /// calls must keep working without it.
    ///
    /// ```
    /// use koji_client::config::{Config, ConfigSources};
    /// use koji_client::ConnectionBuilder;
    ///
    /// let config = Config::load(&ConfigSources::new("/nonexistent.d", "/nonexistent", None))?;
    /// let fedora = config.profile("fedora")?;
    /// let koji = ConnectionBuilder::from_profile(&fedora).build()?;
    /// assert_eq!(koji.server_url(), fedora.server());
    /// assert_eq!(koji.retry_policy().get_max_retries(), 30);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_profile(profile: &Profile) -> ConnectionBuilder {
        let mut b = ConnectionBuilder::new(profile.server())
            .no_ssl_verify(profile.no_ssl_verify())
            .timeout(profile.timeout())
            .auth_timeout(profile.auth_timeout())
            .max_retries(u32::try_from(profile.max_retries().max(0)).unwrap_or(u32::MAX))
            .retry_interval(profile.retry_interval())
            .anon_retry(profile.anon_retry())
            .offline_retry(profile.offline_retry())
            .offline_retry_interval(profile.offline_retry_interval());
        if let Some(ca) = profile.serverca() {
            b = b.serverca(ca);
        }
        b.auth = crate::auth::AuthSettings::from_profile(profile);
        match profile.cert() {
            Some(cert) if cert.is_file() => b = b.cert(cert),
            Some(cert) => tracing::debug!(
                profile = profile.name(),
                cert = %cert.display(),
                "the profile's client certificate does not exist; not using it"
            ),
            None => {}
        }
        b
    }

    /// A PEM file of the CA(s) that signed the hub's certificate (koji
    /// `serverca`). When set, only these CAs are trusted, not the system roots.
    pub fn serverca(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.serverca = Some(path.into());
        self
    }

    /// Do not verify the hub's TLS certificate (koji `no_ssl_verify`); ignored
    /// when [`serverca`](Self::serverca) is set. Logs a warning when used.
    pub fn no_ssl_verify(mut self, on: bool) -> Self {
        self.tls.no_ssl_verify = on;
        self
    }

    /// One PEM file holding the client certificate (and its chain) and its
    /// unencrypted private key (koji `cert`), presented when the server asks.
    pub fn cert(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.cert = Some(path.into());
        self
    }

    /// Forgets the client certificate set by [`cert`](Self::cert) or taken
    /// from a profile: for work that never logs in, as koji's anonymous
    /// commands never load the certificate (so a broken `cert` file does not
    /// stop them).
    pub fn without_cert(mut self) -> Self {
        self.tls.cert = None;
        self
    }

    /// Time limit of one attempt, from sending the request to the end of the
    /// response (koji `timeout`, default 12 h). For streamed calls it limits
    /// the wait for the response head and for each piece of the body.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time limit of one attempt of a login call (koji `auth_timeout`, default 60 s).
    pub fn auth_timeout(mut self, timeout: Duration) -> Self {
        self.auth_timeout = timeout;
        self
    }

    /// Time limit for opening a connection, proxy tunnel and TLS handshake
    /// included (default 60 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Replaces all retry settings at once.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Koji `max_retries` (default 30); see [`RetryPolicy`].
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry = self.retry.max_retries(n);
        self
    }

    /// Koji `retry_interval` (default 20 s); see [`RetryPolicy`].
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.retry = self.retry.retry_interval(interval);
        self
    }

    /// Koji `anon_retry` (default off); see [`RetryPolicy`].
    pub fn anon_retry(mut self, on: bool) -> Self {
        self.retry = self.retry.anon_retry(on);
        self
    }

    /// Koji `offline_retry` (default off); see [`RetryPolicy`].
    pub fn offline_retry(mut self, on: bool) -> Self {
        self.retry = self.retry.offline_retry(on);
        self
    }

    /// Koji `offline_retry_interval` (default 20 s); see [`RetryPolicy`].
    pub fn offline_retry_interval(mut self, interval: Duration) -> Self {
        self.retry = self.retry.offline_retry_interval(interval);
        self
    }

    /// Overall time limit of one call, retries and waits included. Default:
    /// derived from the timeout (see [`RetryPolicy::deadline`]).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.retry = self.retry.deadline(Some(deadline));
        self
    }

    /// Largest decompressed response body accepted by non-streamed calls
    /// (default 1 GiB). Use [`Connection::call_stream`] for bigger answers.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// How long an unused keep-alive connection stays in the pool (default 60 s).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// How many idle connections are kept per host (default: no limit).
    pub fn pool_max_idle_per_host(mut self, n: usize) -> Self {
        self.pool_max_idle_per_host = n;
        self
    }

    /// Never use an HTTP proxy, whatever the environment says.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxySettings::Disabled;
        self
    }

    /// Use these proxies instead of the environment's (`http://[user:pass@]host:port`
    /// URLs) and skip them for the hosts of `no_proxy` (same syntax as the
    /// `no_proxy` variable). By default the proxies come from `http_proxy`,
    /// `https_proxy`, `all_proxy` and `no_proxy`, read when building.
    pub fn proxies(
        mut self,
        http: Option<&str>,
        https: Option<&str>,
        no_proxy: Option<&str>,
    ) -> Self {
        self.proxy = ProxySettings::Explicit {
            http: http.map(str::to_owned),
            https: https.map(str::to_owned),
            no_proxy: no_proxy.map(str::to_owned),
        };
        self
    }

    /// How [`Connection::login`] logs in (koji `authtype`; by default a
    /// certificate if [`cert`](Self::cert) is set, else Kerberos).
    pub fn authtype(mut self, authtype: crate::config::AuthType) -> Self {
        self.auth.authtype = Some(authtype);
        self
    }

    /// Kerberos credentials for [`Connection::login`] (koji `principal`,
    /// `keytab`, and `ccache`); by default the default credential cache.
    pub fn kerberos(mut self, options: crate::auth::gssapi::KerberosOptions) -> Self {
        self.auth.kerberos = options;
        self
    }

    /// User name and password for [`Connection::login`] with
    /// `authtype = password` (koji `--user`/`--password`).
    pub fn password_login(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth.user = Some(user.into());
        self.auth.password = Some(crate::auth::Password::new(password));
        self
    }

    /// Log in on behalf of another user (koji's `--runas`, the hub's
    /// `proxyuser`); the certificate's DN or the Kerberos principal must be
    /// allowed to do so by the hub (`ProxyDNs` / `ProxyPrincipals`).
    pub fn proxyuser(mut self, user: impl Into<String>) -> Self {
        self.auth.login.proxyuser = Some(user.into());
        self
    }

    /// The highest TLS version to offer (default: TLS 1.3). With TLS 1.2 a
    /// server asks for the client certificate after the handshake through
    /// renegotiation instead of post-handshake authentication.
    pub fn max_tls_version(mut self, version: crate::auth::ssl::TlsVersion) -> Self {
        self.tls.max_version = Some(version);
        self
    }

    /// Replaces the `User-Agent` header (default [`USER_AGENT`]).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// Checks the settings, builds the TLS context and the connection pool.
    /// No connection is opened until the first call.
    ///
    /// Must be called within a tokio runtime context only when calls are made;
    /// building itself needs no runtime.
    pub fn build(self) -> Result<Connection> {
        let server = self.server.trim().trim_end_matches('/').to_owned();
        let url: Uri = server.parse().map_err(|e| {
            Error::builder(format!("invalid hub URL {:?}", strip_query(&server))).with_source(e)
        })?;
        match url.scheme_str() {
            Some("http") | Some("https") => {}
            _ => {
                return Err(Error::builder(format!(
                    "hub URL {:?} must start with http:// or https://",
                    strip_query(&server)
                )));
            }
        }
        if url.host().is_none_or(str::is_empty) {
            return Err(Error::builder(format!(
                "hub URL {:?} has no host",
                strip_query(&server)
            )));
        }
        if url.query().is_some() {
            // The hub reads a query string as URL session credentials.
            return Err(Error::builder(format!(
                "hub URL {:?} must not have a query string",
                strip_query(&server)
            )));
        }
        // Certificate and Kerberos logins always use https, as koji does.
        let https_url_text = match server.strip_prefix("http://") {
            Some(rest) => format!("https://{rest}"),
            None => server.clone(),
        };
        let https_url: Uri = https_url_text
            .parse()
            .map_err(|e| Error::builder("invalid https hub URL").with_source(e))?;
        let login_url: Uri = format!("{server}/ssllogin")
            .parse()
            .map_err(|e| Error::builder("invalid login URL").with_source(e))?;
        let https_login_url: Uri = format!("{https_url_text}/ssllogin")
            .parse()
            .map_err(|e| Error::builder("invalid login URL").with_source(e))?;
        let has_cert = self.tls.cert.is_some();
        let agent = self.user_agent.as_deref().unwrap_or(USER_AGENT);
        let user_agent = HeaderValue::from_str(agent)
            .map_err(|e| Error::builder(format!("invalid User-Agent {agent:?}")).with_source(e))?;
        let tls = self.tls.build()?;
        let transport = Transport::new(
            &HttpSettings {
                connect_timeout: self.connect_timeout,
                pool_idle_timeout: self.pool_idle_timeout,
                pool_max_idle_per_host: self.pool_max_idle_per_host,
                proxy: self.proxy,
                user_agent,
            },
            tls,
        );
        let deadline = self.retry.effective_deadline(self.timeout);
        Ok(Connection {
            shared: Arc::new(Shared {
                url_text: server,
                url,
                https_url,
                https_url_text,
                force_https: AtomicBool::new(false),
                login_url,
                https_login_url,
                auth: self.auth,
                has_cert,
                transport,
                timeout: self.timeout,
                auth_timeout: self.auth_timeout,
                retry: self.retry,
                deadline,
                max_response_size: self.max_response_size,
                logged_in: AtomicBool::new(false),
                version_header: OnceLock::new(),
                hub_version: tokio::sync::OnceCell::new(),
            }),
            session: Arc::default(),
        })
    }
}

/// How the response of one successful attempt is consumed.
pub(crate) trait Consume: Send {
    type Output: Send;
    fn consume(
        &mut self,
        conn: &Connection,
        resp: Response<Incoming>,
    ) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// Reads the whole body and decodes it into `T`.
pub(crate) struct Buffered<T>(pub(crate) std::marker::PhantomData<fn() -> T>);

impl<T: DeserializeOwned + Send> Consume for Buffered<T> {
    type Output = T;
    async fn consume(&mut self, conn: &Connection, resp: Response<Incoming>) -> Result<T> {
        let (parts, body) = resp.into_parts();
        let reader = BodyReader::new(&parts.headers, body, conn.shared.max_response_size)?;
        let bytes = reader.read_to_end().await?;
        tracing::debug!(bytes = bytes.len(), "response received");
        decode_body::<T>(&bytes, &parts.headers)
    }
}

/// Reads the whole body and hands it to a decoding function (multicall
/// decodes its entries itself). An error from the function counts as the
/// attempt's error, so retries apply to it as to any decode error or fault.
struct BufferedWith<F>(F);

impl<O, F> Consume for BufferedWith<F>
where
    O: Send,
    F: FnMut(&[u8], &HeaderMap) -> Result<O> + Send,
{
    type Output = O;
    async fn consume(&mut self, conn: &Connection, resp: Response<Incoming>) -> Result<O> {
        let (parts, body) = resp.into_parts();
        let reader = BodyReader::new(&parts.headers, body, conn.shared.max_response_size)?;
        let bytes = reader.read_to_end().await?;
        tracing::debug!(bytes = bytes.len(), "response received");
        (self.0)(&bytes, &parts.headers)
    }
}

/// Decodes a complete XML-RPC response body.
fn decode_body<T: DeserializeOwned>(bytes: &[u8], headers: &HeaderMap) -> Result<T> {
    match koji_xmlrpc::decode_response::<T>(bytes) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(fault)) => Err(Error::fault(fault.code, fault.string)),
        Err(e) => {
            if looks_like_xmlrpc(bytes) {
                Err(Error::decode(e))
            } else {
                Err(Error::not_xmlrpc(content_type(headers), bytes).with_source(e))
            }
        }
    }
}

/// Starts reading an array response: succeeds once the first item (or the
/// end of an empty array) has been decoded, so that faults such as
/// `ServerOffline` and early transport failures can still be retried.
struct StreamStart<T>(std::marker::PhantomData<fn() -> T>);

/// A streamed response body and its decoder.
struct StreamBody<T> {
    reader: BodyReader,
    decoder: ArrayStreamDecoder<T>,
    /// The first item, decoded while starting.
    first: Option<T>,
    /// The body has ended and the decoder was told so.
    ended: bool,
    /// The start of the body, for error messages about non-XML-RPC bodies.
    head: Vec<u8>,
    headers: HeaderMap,
}

/// How much of a streamed body is kept for error messages.
const STREAM_HEAD: usize = 1024;

impl<T: DeserializeOwned + Send> Consume for StreamStart<T> {
    type Output = StreamBody<T>;
    async fn consume(
        &mut self,
        conn: &Connection,
        resp: Response<Incoming>,
    ) -> Result<StreamBody<T>> {
        let (parts, body) = resp.into_parts();
        let reader = BodyReader::new(&parts.headers, body, usize::MAX)?;
        let mut body = StreamBody {
            reader,
            decoder: ArrayStreamDecoder::new(),
            first: None,
            ended: false,
            head: Vec::new(),
            headers: parts.headers,
        };
        // Within the attempt's timeout (see `run`).
        body.first = body.next_item(conn, None).await?;
        Ok(body)
    }
}

impl<T: DeserializeOwned> StreamBody<T> {
    /// The next item of the array; `None` at its end. Waits for more of the
    /// body as needed, each wait bounded by `idle` when given.
    async fn next_item(&mut self, _conn: &Connection, idle: Option<Duration>) -> Result<Option<T>> {
        if let Some(first) = self.first.take() {
            return Ok(Some(first));
        }
        loop {
            match self.decoder.next_item() {
                Ok(Some(item)) => return Ok(Some(item)),
                Ok(None) if self.decoder.is_done() => return Ok(None),
                Ok(None) if self.ended => {
                    return Err(Error::new(Kind::Disconnected)
                        .with_source("the response ended before the array was complete"));
                }
                Ok(None) => {}
                Err(e) => return Err(self.codec_error(e)),
            }
            let more = match idle {
                Some(limit) => tokio::time::timeout(limit, self.reader.fill())
                    .await
                    .map_err(|_| Error::timeout(TimeoutKind::Response, limit))??,
                None => self.reader.fill().await?,
            };
            // At the end of the body the decompressor may flush a last piece.
            let pending = self.reader.pending();
            if self.head.len() < STREAM_HEAD {
                let take = (STREAM_HEAD - self.head.len()).min(pending.len());
                self.head
                    .extend_from_slice(pending.get(..take).unwrap_or_default());
            }
            if !pending.is_empty() {
                self.decoder.feed(pending);
                pending.clear();
            }
            if !more {
                self.ended = true;
                self.decoder.finish().map_err(|e| self.codec_error(e))?;
            }
        }
    }

    fn codec_error(&self, e: koji_xmlrpc::Error) -> Error {
        if e.kind() == koji_xmlrpc::ErrorKind::Fault {
            return match e.into_fault() {
                Some(fault) => Error::fault(fault.code, fault.string),
                None => Error::new(Kind::Decode),
            };
        }
        if looks_like_xmlrpc(&self.head) {
            Error::decode(e)
        } else {
            Error::not_xmlrpc(content_type(&self.headers), &self.head).with_source(e)
        }
    }
}

/// Whether a body starts like an XML-RPC response (so a decode failure is
/// about its content, not about being some other document).
pub(crate) fn looks_like_xmlrpc(bytes: &[u8]) -> bool {
    let head = bytes.get(..bytes.len().min(1024)).unwrap_or_default();
    let head = String::from_utf8_lossy(head);
    head.contains("<methodResponse")
}

impl Connection {
    /// A connection to the hub at `server` (e.g. `https://koji.fedoraproject.org/kojihub`)
    /// with koji's default settings and proxies from the environment.
    pub fn new(server: impl Into<String>) -> Result<Connection> {
        Connection::builder(server).build()
    }

    /// A connection configured by the koji profile `name`, read from koji's
    /// usual config files (`/etc/koji.conf.d/*.conf`, `/etc/koji.conf`,
    /// `~/.koji/config.d/*.conf`, `~/.koji/config`), like `koji -p NAME`.
    ///
    /// ```no_run
    /// # fn demo() -> koji_client::Result<()> {
    /// let koji = koji_client::Connection::from_profile("fedora")?;
    /// # Ok(()) }
    /// ```
    pub fn from_profile(name: &str) -> Result<Connection> {
        let config = Config::load(&ConfigSources::system()).map_err(|e| {
            Error::builder("cannot read the koji configuration files").with_source(e)
        })?;
        let profile = config.profile(name).map_err(|e| {
            Error::builder(format!("cannot use koji profile {name:?}")).with_source(e)
        })?;
        Connection::from_profile_config(&profile)
    }

    /// A connection configured by an already loaded profile (see
    /// [`ConnectionBuilder::from_profile`] to change settings before building).
    pub fn from_profile_config(profile: &Profile) -> Result<Connection> {
        ConnectionBuilder::from_profile(profile).build()
    }

    /// Starts building a connection to the hub at `server`.
    pub fn builder(server: impl Into<String>) -> ConnectionBuilder {
        ConnectionBuilder::new(server)
    }

    /// The hub URL (without trailing slash).
    pub fn server_url(&self) -> &str {
        &self.shared.url_text
    }

    /// The certificate/Kerberos login URL, `<server>/ssllogin`.
    pub fn login_url(&self) -> String {
        self.shared.login_url.to_string()
    }

    /// The retry settings.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.shared.retry
    }

    /// The per-attempt timeout (koji `timeout`).
    pub fn timeout(&self) -> Duration {
        self.shared.timeout
    }

    /// The per-attempt timeout of login calls (koji `auth_timeout`).
    pub fn auth_timeout(&self) -> Duration {
        self.shared.auth_timeout
    }

    /// The overall limit of one call, retries included.
    pub fn deadline(&self) -> Duration {
        self.shared.deadline
    }

    /// Marks calls on this connection (and its clones) as made by a logged-in
    /// session: transport failures are then retried even without `anon_retry`,
    /// as koji does. The session layer sets this after login.
    pub fn set_logged_in(&self, on: bool) {
        self.shared.logged_in.store(on, Ordering::Relaxed);
    }

    /// Whether calls count as logged-in for the retry policy.
    pub fn is_logged_in(&self) -> bool {
        self.shared.logged_in.load(Ordering::Relaxed)
    }

    /// Calls `method` with positional `args` (a tuple, array, `Vec` or `()`)
    /// and returns the hub's answer as a [`Value`].
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let version = koji.call("getKojiVersion", ()).await?;
    /// let build = koji.call("getBuild", (3,)).await?;
    /// let missing = koji.call("getBuild", ("no-such-1.0-1", true)).await;
    /// assert!(missing.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn call(&self, method: &str, args: impl Serialize) -> Result<Value> {
        self.call_as(method, args).await
    }

    /// Like [`call`](Self::call), but decodes the answer straight into `T`
    /// (no [`Value`] tree in between).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// #[derive(serde::Deserialize)]
    /// struct Build { build_id: i64, nvr: String }
    ///
    /// let build: Option<Build> = koji.call_as("getBuild", (3,)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn call_as<T: DeserializeOwned + Send>(
        &self,
        method: &str,
        args: impl Serialize,
    ) -> Result<T> {
        let call = self.prepare(method, args)?;
        self.execute_as(&call).await
    }

    /// Calls `method` with positional `args` and keyword arguments `kwargs`
    /// (anything that serializes as a struct or map; sent koji's way, as a
    /// trailing struct with `__starstar`).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use std::collections::BTreeMap;
    /// use koji_client::Value;
    ///
    /// #[derive(serde::Serialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct ListBuilds { package_id: i64, query_opts: BTreeMap<&'static str, Value> }
    ///
    /// let opts = BTreeMap::from([("limit", Value::Int(5)), ("order", "-build_id".into())]);
    /// let builds = koji
    ///     .call_with("listBuilds", (), ListBuilds { package_id: 7, query_opts: opts })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn call_with(
        &self,
        method: &str,
        args: impl Serialize,
        kwargs: impl Serialize,
    ) -> Result<Value> {
        let call = self.prepare_with(method, args, kwargs)?;
        self.execute_as(&call).await
    }

    /// Starts a call built argument by argument.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use std::collections::BTreeMap;
    ///
    /// // Await it for a Value...
    /// let task = koji.request("getTaskInfo").arg(42).kwarg("request", true).await?;
    ///
    /// // ...or decode into your own type.
    /// #[derive(serde::Deserialize)]
    /// struct Task { id: i64, method: String }
    /// let tasks: Vec<Task> = koji
    ///     .request("listTasks")
    ///     .kwarg("queryOpts", BTreeMap::from([("limit", 10)]))
    ///     .typed()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn request(&self, method: &str) -> CallBuilder<'_> {
        CallBuilder::new(self, method)
    }

    /// Encodes a call without sending it (see [`PreparedCall`]).
    pub fn prepare(&self, method: &str, args: impl Serialize) -> Result<PreparedCall> {
        let body =
            koji_xmlrpc::encode_request_with(method, &args).map_err(|e| encode_error(method, e))?;
        Ok(PreparedCall::new(method, body))
    }

    /// Encodes a call with keyword arguments without sending it.
    pub fn prepare_with(
        &self,
        method: &str,
        args: impl Serialize,
        kwargs: impl Serialize,
    ) -> Result<PreparedCall> {
        let mut params =
            args_to_values(&args).map_err(|e| e.context(method, &self.shared.url_text))?;
        let kwargs =
            kwargs_to_struct(&kwargs).map_err(|e| e.context(method, &self.shared.url_text))?;
        if let Some(kw) = kwargs {
            params.push(koji_xmlrpc::kwargs_struct(kw));
        }
        let body =
            koji_xmlrpc::encode_request(method, &params).map_err(|e| encode_error(method, e))?;
        Ok(PreparedCall::new(method, body))
    }

    /// Sends a prepared call and returns the answer as a [`Value`].
    pub async fn execute(&self, call: &PreparedCall) -> Result<Value> {
        self.execute_as(call).await
    }

    /// Sends a prepared call and decodes the answer into `T`.
    pub async fn execute_as<T: DeserializeOwned + Send>(&self, call: &PreparedCall) -> Result<T> {
        self.run(call, Buffered::<T>(std::marker::PhantomData))
            .await
    }

    /// Sends a prepared call through the same path as [`execute`](Self::execute)
    /// (retries, deadline, and the session when logged in) and lets `decode`
    /// turn the whole response body into the answer.
    pub(crate) async fn execute_with<O, F>(&self, call: &PreparedCall, decode: F) -> Result<O>
    where
        O: Send,
        F: FnMut(&[u8], &HeaderMap) -> Result<O> + Send,
    {
        self.run(call, BufferedWith(decode)).await
    }

    /// Calls a method whose answer is an array and yields its items one by
    /// one as they arrive, decoded straight into `T`, in constant memory
    /// whatever the length of the array (no [`max_response_size`](ConnectionBuilder::max_response_size) applies).
    ///
    /// Retries (and the deadline) apply until the first item arrives; a
    /// failure after that ends the stream with an error. The per-attempt
    /// timeout bounds the wait for the response and for each piece of the body.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use futures_util::StreamExt;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Rpm { id: i64, name: String, arch: String }
    ///
    /// let mut rpms = koji.call_stream::<Rpm>("listRPMs", ());
    /// while let Some(rpm) = rpms.next().await {
    ///     let rpm = rpm?;
    ///     println!("{} {}", rpm.name, rpm.arch);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn call_stream<T>(&self, method: &str, args: impl Serialize) -> CallStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let call = self.prepare(method, args);
        self.stream_prepared(call)
    }

    /// Streams the items of a prepared call's array answer (see [`call_stream`](Self::call_stream)).
    pub fn execute_stream<T>(&self, call: &PreparedCall) -> CallStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.stream_prepared(Ok(call.clone()))
    }

    pub(crate) fn stream_prepared<T>(&self, call: Result<PreparedCall>) -> CallStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        enum State<T> {
            Start(Connection, Result<PreparedCall>),
            Body(Connection, PreparedCall, Box<StreamBody<T>>),
            Done,
        }
        let start = State::Start(self.clone(), call);
        let stream = futures_util::stream::unfold(start, |state| async move {
            match state {
                State::Done => None,
                State::Start(conn, call) => {
                    let call = match call {
                        Ok(call) => call,
                        Err(e) => return Some((Err(e), State::Done)),
                    };
                    match conn
                        .run(&call, StreamStart::<T>(std::marker::PhantomData))
                        .await
                    {
                        Err(e) => Some((Err(e), State::Done)),
                        Ok(mut body) => body
                            .first
                            .take()
                            .map(|item| (Ok(item), State::Body(conn, call, Box::new(body)))),
                    }
                }
                State::Body(conn, call, mut body) => {
                    let idle = call.timeout.unwrap_or(conn.shared.timeout);
                    let span = tracing::debug_span!("koji_stream", method = %call.method, call_number = call.call_number);
                    match body.next_item(&conn, Some(idle)).instrument(span).await {
                        Ok(Some(item)) => Some((Ok(item), State::Body(conn, call, body))),
                        Ok(None) => None,
                        Err(e) => {
                            let url = conn.display_url(&call);
                            Some((Err(e.context(&call.method, &url)), State::Done))
                        }
                    }
                }
            }
        });
        CallStream {
            inner: Box::pin(stream),
        }
    }

    /// Streams the items of an array answer, with keyword arguments.
    pub fn call_stream_with<T>(
        &self,
        method: &str,
        args: impl Serialize,
        kwargs: impl Serialize,
    ) -> CallStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let call = self.prepare_with(method, args, kwargs);
        self.stream_prepared(call)
    }

    /// The URL a prepared call goes to (with its query string, which must
    /// never be printed).
    fn target(&self, call: &PreparedCall) -> Result<Uri> {
        let https = call.force_https || self.shared.force_https.load(Ordering::Relaxed);
        let base = match (call.endpoint, https) {
            (Endpoint::Hub, false) => &self.shared.url,
            (Endpoint::Hub, true) => &self.shared.https_url,
            (Endpoint::SslLogin, false) => &self.shared.login_url,
            (Endpoint::SslLogin, true) => &self.shared.https_login_url,
        };
        match &call.query {
            None => Ok(base.clone()),
            Some(q) => format!("{base}?{q}")
                .parse()
                .map_err(|_| Error::builder("the call's query string is not valid in a URL")),
        }
    }

    fn display_url(&self, call: &PreparedCall) -> String {
        let https = call.force_https || self.shared.force_https.load(Ordering::Relaxed);
        let base = if https {
            &self.shared.https_url_text
        } else {
            &self.shared.url_text
        };
        match call.endpoint {
            Endpoint::Hub => base.clone(),
            Endpoint::SslLogin => format!("{base}/ssllogin"),
        }
    }

    /// Keeps calls on https from now on (after a certificate or Kerberos
    /// login, as koji does).
    pub(crate) fn force_https(&self) {
        self.shared.force_https.store(true, Ordering::Relaxed);
    }

    /// Sends a call: with the session's credentials when logged in (see
    /// `session.rs`), else as it is.
    async fn run<C: Consume>(&self, call: &PreparedCall, consume: C) -> Result<C::Output> {
        self.run_with_session(call, consume).await
    }

    /// The retry loop around attempts, for the call exactly as prepared.
    pub(crate) async fn run_raw<C: Consume>(
        &self,
        call: &PreparedCall,
        consume: &mut C,
    ) -> Result<C::Output> {
        let span = tracing::debug_span!(
            "koji_call",
            method = %call.method,
            call_number = call.call_number,
        );
        async {
            let uri = self
                .target(call)
                .map_err(|e| e.context(&call.method, &self.display_url(call)))?;
            let timeout = call.timeout.unwrap_or(self.shared.timeout);
            let started = Instant::now();
            let deadline = started + self.shared.deadline;
            let retry_transport = call.retry
                && (call.logged_in.unwrap_or_else(|| self.is_logged_in())
                    || self.shared.retry.get_anon_retry());
            let mut state = RetryState::default();
            let mut attempt: u32 = 0;
            let mut previous: Option<Error> = None;
            loop {
                attempt += 1;
                let remaining = deadline.saturating_duration_since(Instant::now());
                let limit = timeout.min(remaining);
                let result = tokio::time::timeout(limit, self.attempt(&uri, call, &mut *consume))
                    .instrument(tracing::debug_span!("attempt", n = attempt))
                    .await;
                let err = match result {
                    Ok(Ok(out)) => return Ok(out),
                    Ok(Err(e)) => e,
                    Err(_) if limit < timeout => {
                        let e = Error::timeout(TimeoutKind::Deadline, self.shared.deadline);
                        match previous.take() {
                            Some(prev) => e.with_source(prev),
                            None => e,
                        }
                    }
                    Err(_) => Error::timeout(TimeoutKind::Response, timeout),
                };
                let mut err = err.context(&call.method, &self.display_url(call));
                err.set_attempts(attempt);
                let Some(wait) = self.shared.retry.next(&err, &mut state, retry_transport) else {
                    tracing::debug!(error = %err, "call failed");
                    return Err(err);
                };
                if Instant::now() + wait >= deadline {
                    tracing::debug!(error = %err, "no time left for another attempt before the deadline");
                    return Err(err);
                }
                tracing::info!(error = %err, wait = ?wait, "retrying koji call");
                previous = Some(err);
                tokio::time::sleep(wait).await;
            }
        }
        .instrument(span)
        .await
    }

    /// One attempt: send, check the status, consume the body.
    async fn attempt<C: Consume>(
        &self,
        uri: &Uri,
        call: &PreparedCall,
        consume: &mut C,
    ) -> Result<C::Output> {
        let resp = self
            .shared
            .transport
            .post(uri, call.body.clone(), &call.headers)
            .await?;
        if let Some(v) = resp
            .headers()
            .get(&KOJI_VERSION)
            .and_then(|v| v.to_str().ok())
        {
            if self.shared.version_header.get().is_none() {
                let _ = self.shared.version_header.set(v.trim().to_owned());
            }
        }
        if !resp.status().is_success() {
            return Err(status_error(resp, self.shared.max_response_size).await);
        }
        consume.consume(self, resp).await
    }

    /// The hub's Koji version: from the `Koji-Version` header (hubs ≥ 1.35),
    /// else from `getKojiVersion` (≥ 1.23), else [`HubVersion::is_old`].
    /// Asked once per connection and cached (errors are not cached).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let v = koji.hub_version().await?;
    /// if v.at_least(1, 31, 0) {
    ///     println!("hub {} reads session headers", v.text().unwrap_or("?"));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn hub_version(&self) -> Result<HubVersion> {
        self.shared
            .hub_version
            .get_or_try_init(|| async {
                if let Some(v) = self.shared.version_header.get() {
                    return Ok(HubVersion::from_text(v));
                }
                match self.call_as::<String>("getKojiVersion", ()).await {
                    Ok(text) => {
                        // Prefer the header if this very call brought one.
                        let text = self.shared.version_header.get().cloned().unwrap_or(text);
                        Ok(HubVersion::from_text(&text))
                    }
                    Err(e)
                        if e.fault_code() == Some(1000)
                            && e.fault_string()
                                .is_some_and(|s| s.contains("Invalid method")) =>
                    {
                        Ok(HubVersion::old())
                    }
                    Err(e) => Err(e),
                }
            })
            .await
            .cloned()
    }

    /// The `Koji-Version` header seen on a response of this connection, if any.
    pub fn version_header(&self) -> Option<&str> {
        self.shared.version_header.get().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use koji_xmlrpc::Struct;

    #[test]
    fn builder_rejects_bad_urls() {
        for bad in [
            "ftp://x/kojihub",
            "not a url",
            "https:///kojihub",
            "https://h/kojihub?session-key=S",
        ] {
            let e = Connection::new(bad).unwrap_err();
            assert!(e.is_builder(), "{bad}: {e}");
            assert!(!e.to_string().contains("session-key=S"), "{e}");
        }
        let c = Connection::new("https://hub.example/kojihub/").unwrap();
        assert_eq!(c.server_url(), "https://hub.example/kojihub");
        assert_eq!(c.login_url(), "https://hub.example/kojihub/ssllogin");
    }

    #[test]
    fn prepared_calls_hide_header_values() {
        let c = Connection::new("http://127.0.0.1:1/kojihub").unwrap();
        let call = c
            .prepare("getLoggedInUser", ())
            .unwrap()
            .header("Koji-Session-Key", "1-SECRET")
            .unwrap()
            .query("session-id=1&session-key=SECRET");
        let shown = format!("{call:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("koji-session-key"), "{shown}");
    }

    #[test]
    fn kwargs_follow_koji_convention() {
        let c = Connection::new("http://127.0.0.1:1/kojihub").unwrap();
        let call = c
            .request("listBuilds")
            .arg(7)
            .kwarg(
                "queryOpts",
                Struct::from_iter([("limit".to_owned(), Value::Int(5))]),
            )
            .prepare()
            .unwrap();
        let decoded = koji_xmlrpc::decode_call(call.body()).unwrap();
        assert_eq!(decoded.method, "listBuilds");
        assert_eq!(decoded.params.len(), 2);
        let kw = decoded.params[1].as_struct().unwrap();
        assert_eq!(kw.get("__starstar"), Some(&Value::Bool(true)));
        assert_eq!(
            kw.get("queryOpts").unwrap().get("limit"),
            Some(&Value::Int(5))
        );
    }

    #[test]
    fn args_must_be_a_sequence() {
        let c = Connection::new("http://127.0.0.1:1/kojihub").unwrap();
        let e = c.prepare("getBuild", 3).unwrap_err();
        assert!(e.is_encode(), "{e}");
        let e = c.prepare_with("getBuild", 3, ()).unwrap_err();
        assert!(e.is_encode(), "{e}");
        assert!(c.prepare("getBuild", (3,)).is_ok());
        assert!(c.prepare("getKojiVersion", ()).is_ok());
    }
}
