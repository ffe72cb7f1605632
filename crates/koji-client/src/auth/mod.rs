//! Logging in to a hub: client certificates ([`ssl`]), Kerberos
//! ([`gssapi`]) and passwords, the way koji's client does it
//! (koji-protocol.md §2.1 and §5.2).
//!
//! | method | request | where |
//! |---|---|---|
//! | certificate | `sslLogin(proxyuser=…)` | `https://<server>/ssllogin`, client certificate on the TLS connection (kept for later calls) |
//! | Kerberos | `sslLogin(proxyuser=…)` with `Authorization: Negotiate <token>` | `https://<server>/ssllogin`, service `HTTP@<hub host>` |
//! | password | `login(user, password, opts=None)` | `<server>` |
//!
//! After a certificate or Kerberos login every call uses https, as koji
//! does. All three answer a session (see [`Connection::session_id`]); every
//! later call of the connection and its clones carries it.
//!
//! ```no_run
//! # async fn demo() -> koji_client::Result<()> {
//! use koji_client::Connection;
//!
//! let koji = Connection::from_profile("fedora")?;
//! koji.login().await?; // authtype from the profile, as the koji CLI picks it
//! let me = koji.whoami().await?;
//! println!("logged in as {:?} (session {:?})", me.name, koji.session_id());
//! koji.logout().await?;
//! # Ok(()) }
//! ```

pub mod gssapi;
pub mod ssl;

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::call::{Endpoint, PreparedCall};
use crate::config::{AuthType, Profile};
use crate::connection::{Buffered, Connection, Consume};
use crate::error::{Error, Result};
use crate::session::{ActiveSession, Credentials, SessionInfo, SessionKey, SessionState};
use crate::{FaultKind, User, Value};

use gssapi::{KerberosOptions, SpnegoClient};
use ssl::TlsFailure;

/// A password that never shows in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Which kind of credentials a proxy login used (the hub's
/// `proxyauthtype`; by default the proxy's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyAuthType {
    /// A client certificate (`AUTHTYPES['SSL']`, 2).
    Ssl,
    /// Kerberos (`AUTHTYPES['GSSAPI']`, 3).
    Gssapi,
}

impl ProxyAuthType {
    fn code(self) -> i64 {
        match self {
            Self::Ssl => 2,
            Self::Gssapi => 3,
        }
    }
}

/// Options of a certificate or Kerberos login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginOptions {
    /// Log in as this user instead (koji's `--runas`); the certificate's DN
    /// must be in the hub's `ProxyDNs`, or the principal in
    /// `ProxyPrincipals`.
    pub proxyuser: Option<String>,
    /// The authentication type to record for the proxied user.
    pub proxyauthtype: Option<ProxyAuthType>,
}

impl LoginOptions {
    /// Options that log in as `user` through a proxy login.
    pub fn proxy(user: impl Into<String>) -> Self {
        Self {
            proxyuser: Some(user.into()),
            proxyauthtype: None,
        }
    }
}

/// How `Connection::login` logs in, from the builder or the profile.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuthSettings {
    pub(crate) authtype: Option<AuthType>,
    pub(crate) kerberos: KerberosOptions,
    pub(crate) user: Option<String>,
    pub(crate) password: Option<Password>,
    pub(crate) login: LoginOptions,
}

impl AuthSettings {
    pub(crate) fn from_profile(profile: &Profile) -> Self {
        Self {
            authtype: profile.authtype().cloned(),
            kerberos: KerberosOptions {
                principal: profile.principal().map(str::to_owned),
                keytab: profile.keytab().map(Into::into),
                ..KerberosOptions::default()
            },
            ..Self::default()
        }
    }
}

/// How a session was obtained, so that it can be renewed the same way.
#[derive(Debug, Clone)]
pub(crate) enum LoginMethod {
    Ssl(LoginOptions),
    Gssapi(KerberosOptions, LoginOptions),
    Password { user: String, password: Password },
}

impl LoginMethod {
    fn uses_https(&self) -> bool {
        !matches!(self, LoginMethod::Password { .. })
    }
}

/// The session a login answers (`{session-id, session-key[, header-auth]}`).
#[derive(Deserialize)]
pub(crate) struct RawSessionInfo {
    #[serde(rename = "session-id")]
    id: i64,
    #[serde(rename = "session-key")]
    key: String,
    #[serde(rename = "header-auth", default)]
    header_auth: bool,
}

impl RawSessionInfo {
    pub(crate) fn into_info(self) -> SessionInfo {
        SessionInfo {
            id: self.id,
            key: SessionKey::new(self.key),
            header_auth: self.header_auth,
        }
    }
}

impl fmt::Debug for RawSessionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawSessionInfo")
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .field("header_auth", &self.header_auth)
            .finish()
    }
}

/// Reads the whole body into `T` and keeps the `WWW-Authenticate` header
/// (the Kerberos mutual-authentication token).
struct WithAuthenticate<T> {
    inner: Buffered<T>,
    www_authenticate: Option<String>,
}

impl<T: serde::de::DeserializeOwned + Send> Consume for WithAuthenticate<T> {
    type Output = T;
    async fn consume(
        &mut self,
        conn: &Connection,
        resp: http::Response<hyper::body::Incoming>,
    ) -> Result<T> {
        self.www_authenticate = resp
            .headers()
            .get(http::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.inner.consume(conn, resp).await
    }
}

impl Connection {
    /// Logs in the way the koji CLI picks the method: the profile's (or
    /// builder's) `authtype` — `ssl`, `kerberos`, `password` or `noauth`
    /// (no login) — and when it is unset, the client certificate if one is
    /// configured, else a password if one was given, else Kerberos. Uses
    /// `auth_timeout` for the login call.
    ///
    /// ```no_run
    /// # async fn demo() -> koji_client::Result<()> {
    /// let koji = koji_client::Connection::from_profile("stream")?;
    /// koji.login().await?;
    /// # Ok(()) }
    /// ```
    pub async fn login(&self) -> Result<()> {
        let auth = &self.shared.auth;
        let password = || match (&auth.user, &auth.password) {
            _ if auth.login.proxyuser.is_some() => Err(Error::builder(
                "a proxy login (proxyuser) needs a certificate or Kerberos: \
                 the hub's password login cannot log in other users",
            )),
            (Some(user), Some(password)) => Ok(LoginMethod::Password {
                user: user.clone(),
                password: password.clone(),
            }),
            _ => Err(Error::builder(
                "authtype = password needs a user name and password \
                 (ConnectionBuilder::password_login)",
            )),
        };
        let method = match &auth.authtype {
            Some(AuthType::Noauth) => return Ok(()),
            Some(AuthType::Ssl) => LoginMethod::Ssl(auth.login.clone()),
            Some(AuthType::Kerberos) => {
                LoginMethod::Gssapi(auth.kerberos.clone(), auth.login.clone())
            }
            Some(AuthType::Password) => password()?,
            Some(AuthType::Other(other)) => {
                return Err(Error::builder(format!(
                    "unknown authtype {other:?} (expected ssl, kerberos, password or noauth)"
                )));
            }
            None if self.shared.has_cert => LoginMethod::Ssl(auth.login.clone()),
            None if auth.user.is_some() && auth.password.is_some() => password()?,
            None => LoginMethod::Gssapi(auth.kerberos.clone(), auth.login.clone()),
        };
        self.login_with(method).await
    }

    /// Logs in with the connection's client certificate
    /// ([`ConnectionBuilder::cert`](crate::ConnectionBuilder::cert)), on
    /// `https://<server>/ssllogin`. Works whether Apache asks for the
    /// certificate in the handshake or only on `/ssllogin` (TLS 1.3
    /// post-handshake authentication or TLS 1.2 renegotiation).
    ///
    /// ```no_run
    /// # async fn demo() -> koji_client::Result<()> {
    /// use koji_client::{Connection, auth::LoginOptions};
    ///
    /// let koji = Connection::builder("https://koji.example.com/kojihub")
    ///     .cert("/home/me/.koji/client.crt")
    ///     .serverca("/home/me/.koji/serverca.crt")
    ///     .build()?;
    /// koji.login_ssl(&LoginOptions::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn login_ssl(&self, options: &LoginOptions) -> Result<()> {
        self.login_with(LoginMethod::Ssl(options.clone())).await
    }

    /// Logs in with Kerberos (SPNEGO) on `https://<server>/ssllogin`, for the
    /// service `HTTP@<hub host>`, with credentials from `kerberos` (the
    /// default ccache, an explicit ccache, or a principal and keytab).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::auth::{LoginOptions, gssapi::KerberosOptions};
    ///
    /// let kerberos = KerberosOptions {
    ///     principal: Some("builder@EXAMPLE.COM".into()),
    ///     keytab: Some("/etc/koji/builder.keytab".into()),
    ///     ..KerberosOptions::default()
    /// };
    /// koji.login_gssapi(&kerberos, &LoginOptions::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn login_gssapi(
        &self,
        kerberos: &KerberosOptions,
        options: &LoginOptions,
    ) -> Result<()> {
        self.login_with(LoginMethod::Gssapi(kerberos.clone(), options.clone()))
            .await
    }

    /// Logs in with a user name and password (the hub's `login` call, for
    /// hubs that allow it). The hub has no proxy login for passwords.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// koji.login_password("carol", "carol-password").await?;
    /// # Ok(()) }
    /// ```
    pub async fn login_password(&self, user: &str, password: &str) -> Result<()> {
        self.login_with(LoginMethod::Password {
            user: user.to_owned(),
            password: Password::new(password),
        })
        .await
    }

    async fn login_with(&self, method: LoginMethod) -> Result<()> {
        let mut state = self.session.lock().await;
        if let Some(active) = &state.active {
            return Err(Error::auth(format!(
                "already logged in (session {}); log out first",
                active.id()
            )));
        }
        let info = self.login_request(&method, None, false).await?;
        tracing::info!(session = info.id, "logged in");
        self.session.set_id(Some(info.id));
        state.active = Some(ActiveSession::new(info));
        if method.uses_https() {
            self.force_https();
        }
        state.login = Some(method);
        state.exclusive = false;
        self.set_logged_in(true);
        Ok(())
    }

    /// Renews the expired session of `state` by logging in again with
    /// `renew=True` (same session id, new key; the call number keeps
    /// counting).
    pub(crate) async fn renew(&self, state: &mut SessionState) -> Result<()> {
        let Some(method) = state.login.clone() else {
            return Err(Error::auth(
                "the session expired and cannot be renewed: it was not made by a login",
            ));
        };
        let exclusive = state.exclusive;
        let Some(active) = state.active.as_mut() else {
            return Err(Error::not_logged_in());
        };
        let creds = active.renewal_credentials();
        let old_id = active.id();
        tracing::info!(
            session = old_id,
            "session expired; logging in again to renew it"
        );
        let info = self.login_request(&method, Some(&creds), exclusive).await?;
        active.renewed(info).map_err(|new_id| {
            Error::auth(format!(
                "renewing session {old_id} answered another session ({new_id})"
            ))
        })?;
        Ok(())
    }

    /// Sends one login call and reads the session it answers.
    async fn login_request(
        &self,
        method: &LoginMethod,
        renewal: Option<&Credentials>,
        exclusive: bool,
    ) -> Result<SessionInfo> {
        let mut kwargs: BTreeMap<&str, Value> = BTreeMap::new();
        match method {
            LoginMethod::Password { user, password } => {
                kwargs.insert("opts", Value::Nil);
                if renewal.is_some() {
                    kwargs.insert("renew", Value::Bool(true));
                    kwargs.insert("exclusive", Value::Bool(exclusive));
                }
                let call = self
                    .prepare_with("login", (user.as_str(), password.0.as_str()), kwargs)?
                    .auth_timeout(self)
                    .logged_in(false)
                    .without_session();
                let call = add_renewal(call, renewal)?;
                let mut consume = Buffered::<RawSessionInfo>(std::marker::PhantomData);
                let raw = self
                    .run_raw(&call, &mut consume)
                    .await
                    .map_err(|e| login_error(e, "password login"))?;
                Ok(raw.into_info())
            }
            LoginMethod::Ssl(options) => {
                if !self.shared.has_cert {
                    return Err(Error::auth(
                        "certificate login needs a client certificate \
                         (koji `cert`, ConnectionBuilder::cert)",
                    ));
                }
                let call = self.ssl_login_call(options, renewal, exclusive, kwargs)?;
                let mut consume = Buffered::<RawSessionInfo>(std::marker::PhantomData);
                let raw = self
                    .run_raw(&call, &mut consume)
                    .await
                    .map_err(|e| login_error(e, "certificate login"))?;
                Ok(raw.into_info())
            }
            LoginMethod::Gssapi(kerberos, options) => {
                let login_url = self.login_url();
                let host = gssapi::service_host(&login_url)
                    .ok_or_else(|| Error::builder("the hub URL has no host"))?
                    .to_owned();
                let kerberos = kerberos.clone();
                let service = format!("HTTP@{host}");
                let client =
                    tokio::task::spawn_blocking(move || SpnegoClient::new(&host, &kerberos))
                        .await
                        .map_err(|e| Error::auth("the Kerberos task failed").with_source(e))?
                        .map_err(|e| {
                            Error::auth(format!("Kerberos login for {service}")).with_source(e)
                        })?;
                let call = self
                    .ssl_login_call(options, renewal, exclusive, kwargs)?
                    .header("Authorization", &client.authorization())?
                    // A retry would replay the same token, which the
                    // server's replay cache refuses.
                    .retry(false);
                let mut consume = WithAuthenticate {
                    inner: Buffered::<RawSessionInfo>(std::marker::PhantomData),
                    www_authenticate: None,
                };
                let raw = self
                    .run_raw(&call, &mut consume)
                    .await
                    .map_err(|e| login_error(e, "Kerberos login"))?;
                let reply = consume.www_authenticate;
                let mut client = client;
                let verified = tokio::task::spawn_blocking(move || {
                    client
                        .verify_reply(reply.as_deref())
                        .map(|()| client.is_mutually_authenticated())
                })
                .await
                .map_err(|e| Error::auth("the Kerberos task failed").with_source(e))?
                .map_err(|e| {
                    Error::auth(format!(
                        "the hub's answer to the Kerberos login could not be verified ({service})"
                    ))
                    .with_source(e)
                })?;
                tracing::debug!(mutual = verified, "Kerberos login answered");
                Ok(raw.into_info())
            }
        }
    }

    fn ssl_login_call(
        &self,
        options: &LoginOptions,
        renewal: Option<&Credentials>,
        exclusive: bool,
        mut kwargs: BTreeMap<&str, Value>,
    ) -> Result<PreparedCall> {
        kwargs.insert(
            "proxyuser",
            options.proxyuser.as_deref().map_or(Value::Nil, Value::from),
        );
        if renewal.is_some() {
            kwargs.insert("renew", Value::Bool(true));
            kwargs.insert("exclusive", Value::Bool(exclusive));
        }
        if let Some(kind) = options.proxyauthtype {
            kwargs.insert("proxyauthtype", Value::Int(kind.code()));
        }
        let mut call = self
            .prepare_with("sslLogin", (), kwargs)?
            .endpoint(Endpoint::SslLogin)
            .auth_timeout(self)
            .logged_in(false)
            .without_session();
        call.force_https = true;
        add_renewal(call, renewal)
    }

    /// Ends the session (`logout`), which also closes its subsessions.
    /// Does nothing when not logged in; an already expired session is
    /// simply forgotten.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// koji.logout().await?;
    /// assert_eq!(koji.session_id(), None);
    /// # Ok(()) }
    /// ```
    pub async fn logout(&self) -> Result<()> {
        let mut state = self.session.lock().await;
        let Some(mut active) = state.active.take() else {
            return Ok(());
        };
        state.login = None;
        state.exclusive = false;
        self.session.set_id(None);
        self.set_logged_in(false);
        let creds = active.next_call();
        let call = self
            .prepare("logout", ())?
            .without_session()
            .with_credentials(&creds)?;
        let mut consume = Buffered::<Value>(std::marker::PhantomData);
        match self.run_raw(&call, &mut consume).await {
            Ok(_) => {
                tracing::info!(session = active.id(), "logged out");
                Ok(())
            }
            Err(e) if e.fault_kind() == Some(FaultKind::AuthExpired) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Asks the hub for a subsession (`subsession`) and returns a connection
    /// that uses it: same settings and connection pool, its own session and
    /// call numbers, so that it can work in parallel with this one without
    /// waiting for it. Logging out of this session closes the subsession.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let lane = koji.subsession().await?;
    /// let (a, b) = tokio::join!(
    ///     koji.call("getLoggedInUser", ()),
    ///     lane.call("getLoggedInUser", ()),
    /// );
    /// # Ok(()) }
    /// ```
    pub async fn subsession(&self) -> Result<Connection> {
        if !self.session.is_active() {
            return Err(Error::not_logged_in().context("subsession", self.server_url()));
        }
        let raw: RawSessionInfo = self.call_as("subsession", ()).await?;
        let login = self.session.lock().await.login.clone();
        let info = raw.into_info();
        tracing::info!(session = info.id, "subsession created");
        Ok(self.with_session(crate::session::SessionSlot::new(info, login)))
    }

    /// Makes this session the user's only usable one (`exclusiveSession`);
    /// with `force`, other exclusive sessions of the user are closed.
    pub async fn exclusive_session(&self, force: bool) -> Result<()> {
        if !self.session.is_active() {
            return Err(Error::not_logged_in().context("exclusiveSession", self.server_url()));
        }
        if force {
            self.call_with("exclusiveSession", (), BTreeMap::from([("force", true)]))
                .await?;
        } else {
            self.call("exclusiveSession", ()).await?;
        }
        self.session.lock().await.exclusive = true;
        Ok(())
    }

    /// Gives up an exclusive session (`sharedSession`).
    pub async fn shared_session(&self) -> Result<()> {
        self.call("sharedSession", ()).await?;
        self.session.lock().await.exclusive = false;
        Ok(())
    }

    /// The id of the current session, if logged in. (The session key is
    /// never shown.)
    pub fn session_id(&self) -> Option<i64> {
        self.session.id()
    }

    /// Like koji's `whoami`: the logged-in user, or an error
    /// ([`Error::is_not_logged_in`]) when the hub sees an anonymous caller
    /// ([`get_logged_in_user`](Self::get_logged_in_user) gives `None`
    /// instead).
    pub async fn whoami(&self) -> Result<User> {
        self.get_logged_in_user()
            .await?
            .ok_or_else(|| Error::not_logged_in().context("getLoggedInUser", self.server_url()))
    }
}

fn add_renewal(call: PreparedCall, renewal: Option<&Credentials>) -> Result<PreparedCall> {
    match renewal {
        Some(creds) => call.with_credentials(creds).map(|c| c.logged_in(false)),
        None => Ok(call),
    }
}

/// Makes login failures that happen before the hub answers clear: Apache's
/// 401/403 and TLS failures. Faults (blocked user, wrong password) stay
/// faults.
fn login_error(err: Error, what: &str) -> Error {
    if err.is_fault() {
        return err;
    }
    if let Some(status) = err.status() {
        let hint = match status.as_u16() {
            401 => " (the server wants Kerberos or a client certificate and accepted neither)",
            403 => {
                " (the client certificate was not accepted or not presented; \
                 Koji's Apache asks for it after the handshake)"
            }
            _ => "",
        };
        if matches!(status.as_u16(), 401 | 403) {
            return Error::auth(format!(
                "{what}: the server refused it with HTTP {status}{hint}"
            ))
            .with_source(err);
        }
        return err;
    }
    if err.is_certificate() {
        let reason = err.to_string();
        return Error::auth_tls(what, TlsFailure::ServerCertificateUntrusted { reason })
            .with_source(err);
    }
    if let Some(failure) = err.find_tls_failure() {
        if !matches!(failure, TlsFailure::Other { .. }) {
            return Error::auth_tls(what, failure).with_source(err);
        }
    }
    err
}
