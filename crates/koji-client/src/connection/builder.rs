//! [`ConnectionBuilder`]: a connection's settings, named after koji's
//! profile options, and the engine built from them.

use std::path::PathBuf;
use std::time::Duration;

use http::header::HeaderValue;

use super::{Connection, ProfileUrls};
use crate::auth::AuthSettings;
use crate::config::Profile;
use crate::engine::retry::RetryPolicy;
use crate::engine::transport::{HttpSettings, ProxySettings};
use crate::engine::urls::HubUrls;
use crate::engine::{Engine, EngineSettings};
use crate::error::{Error, Result};
use crate::tls::TlsSettings;

/// Koji's default request timeout (`DEFAULT_REQUEST_TIMEOUT`, 12 hours).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(12 * 60 * 60);
/// Koji's default login timeout (`DEFAULT_AUTH_TIMEOUT`, 60 s).
pub const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_secs(60);
/// Default limit for opening a connection (TCP, proxy, TLS): 60 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default limit on the size of one decompressed response body: 1 GiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 1 << 30;

/// The `User-Agent` this library sends.
pub const USER_AGENT: &str = concat!("koji-client/", env!("CARGO_PKG_VERSION"), " (rust)");

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
    auth: AuthSettings,
    web: ProfileUrls,
}

impl ConnectionBuilder {
    pub(super) fn new(server: impl Into<String>) -> ConnectionBuilder {
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
            auth: AuthSettings::default(),
            web: ProfileUrls::default(),
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
        b.auth = AuthSettings::from_profile(profile);
        b.web = ProfileUrls {
            profile: Some(profile.name().to_owned()),
            weburl: Some(profile.weburl().to_owned()),
            topurl: profile.topurl().map(str::to_owned),
        };
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

    /// The kojiweb URL (koji `weburl`), kept on the connection for helpers
    /// that make kojiweb links ([`Connection::weburl`]); taken from the
    /// profile by [`from_profile`](Self::from_profile).
    pub fn weburl(mut self, url: impl Into<String>) -> Self {
        self.web.weburl = Some(url.into());
        self
    }

    /// The URL of the hub's file tree (koji `topurl`), kept on the
    /// connection for downloads ([`Connection::topurl`]); taken from the
    /// profile by [`from_profile`](Self::from_profile).
    pub fn topurl(mut self, url: impl Into<String>) -> Self {
        self.web.topurl = Some(url.into());
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
        let urls = HubUrls::parse(&self.server)?;
        let has_cert = self.tls.cert.is_some();
        let agent = self.user_agent.as_deref().unwrap_or(USER_AGENT);
        let user_agent = HeaderValue::from_str(agent)
            .map_err(|e| Error::builder(format!("invalid User-Agent {agent:?}")).with_source(e))?;
        let tls = self.tls.build()?;
        let engine = Engine::new(EngineSettings {
            urls,
            http: HttpSettings {
                connect_timeout: self.connect_timeout,
                pool_idle_timeout: self.pool_idle_timeout,
                pool_max_idle_per_host: self.pool_max_idle_per_host,
                proxy: self.proxy,
                user_agent,
            },
            tls,
            has_cert,
            timeout: self.timeout,
            auth_timeout: self.auth_timeout,
            retry: self.retry,
            max_response_size: self.max_response_size,
        });
        Ok(Connection::from_parts(engine, self.auth, self.web))
    }
}
