//! Logging in to a hub: client certificates ([`ssl`]), Kerberos
//! ([`gssapi`]) and passwords, the way koji's client does it
//! (`ClientSession.ssl_login`, `gssapi_login` and `login` in koji's
//! `koji/__init__.py`).
//!
//! | method | request | where |
//! |---|---|---|
//! | certificate | `sslLogin(proxyuser=…)` | `https://<server>/ssllogin`, client certificate on the TLS connection (kept for later calls) |
//! | Kerberos | `sslLogin(proxyuser=…)` with `Authorization: Negotiate <token>` | `https://<server>/ssllogin`, service `HTTP@<hub host>` |
//! | password | `login(user, password, opts=None)` | `<server>` |
//!
//! After a certificate or Kerberos login every call uses https, as koji
//! does. All three answer a session (see
//! [`Connection::session_id`](crate::Connection::session_id)); every later
//! call of the connection and its clones carries it.
//!
//! This is the login layer: it chooses the login method, sends the login
//! calls through the engine and renews an expired session; the session
//! layer keeps what a login answered. The `login*`/`logout` methods of
//! [`Connection`](crate::Connection) are the facade over it.
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

use koji_xmlrpc::Value;
use serde::Deserialize;

use crate::config::{AuthType, Profile};
use crate::engine::{Buffered, Consume, Engine};
use crate::error::{Error, Result};
use crate::request::{self, Endpoint, PreparedCall};
use crate::session::{Credentials, SessionInfo, SessionKey, SessionState};

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
    /// Certificate and Kerberos logins move the connection to https.
    pub(crate) fn uses_https(&self) -> bool {
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
        engine: &Engine,
        resp: http::Response<hyper::body::Incoming>,
    ) -> Result<T> {
        self.www_authenticate = resp
            .headers()
            .get(http::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.inner.consume(engine, resp).await
    }
}

/// The login method `Connection::login` uses, picked the way the koji CLI
/// picks it: the profile's (or builder's) `authtype`, and when it is unset,
/// the client certificate if one is configured, else a password if one was
/// given, else Kerberos. `None` for `authtype = noauth` (no login).
pub(crate) fn choose_method(auth: &AuthSettings, has_cert: bool) -> Result<Option<LoginMethod>> {
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
        Some(AuthType::Noauth) => return Ok(None),
        Some(AuthType::Ssl) => LoginMethod::Ssl(auth.login.clone()),
        Some(AuthType::Kerberos) => LoginMethod::Gssapi(auth.kerberos.clone(), auth.login.clone()),
        Some(AuthType::Password) => password()?,
        Some(AuthType::Other(other)) => {
            return Err(Error::builder(format!(
                "unknown authtype {other:?} (expected ssl, kerberos, password or noauth)"
            )));
        }
        None if has_cert => LoginMethod::Ssl(auth.login.clone()),
        None if auth.user.is_some() && auth.password.is_some() => password()?,
        None => LoginMethod::Gssapi(auth.kerberos.clone(), auth.login.clone()),
    };
    Ok(Some(method))
}

/// Renews the expired session of `state` by logging in again with
/// `renew=True` (same session id, new key; the call number keeps
/// counting).
pub(crate) async fn renew(engine: &Engine, state: &mut SessionState<LoginMethod>) -> Result<()> {
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
    let info = login_request(engine, &method, Some(&creds), exclusive).await?;
    active.renewed(info).map_err(|new_id| {
        Error::auth(format!(
            "renewing session {old_id} answered another session ({new_id})"
        ))
    })?;
    Ok(())
}

/// Sends one login call and reads the session it answers (`renewal`: the
/// expired session's credentials, to renew it).
pub(crate) async fn login_request(
    engine: &Engine,
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
            let call = request::encode_with(
                "login",
                (user.as_str(), password.0.as_str()),
                kwargs,
                engine.server(),
            )?
            .timeout(engine.auth_timeout())
            .logged_in(false)
            .without_session();
            let call = add_renewal(call, renewal)?;
            let mut consume = Buffered::<RawSessionInfo>(std::marker::PhantomData);
            let raw = engine
                .send(&call, &mut consume)
                .await
                .map_err(|e| login_error(e, "password login"))?;
            Ok(raw.into_info())
        }
        LoginMethod::Ssl(options) => {
            if !engine.has_cert() {
                return Err(Error::auth(
                    "certificate login needs a client certificate \
                     (koji `cert`, ConnectionBuilder::cert)",
                ));
            }
            let call = ssl_login_call(engine, options, renewal, exclusive, kwargs)?;
            let mut consume = Buffered::<RawSessionInfo>(std::marker::PhantomData);
            let raw = engine
                .send(&call, &mut consume)
                .await
                .map_err(|e| login_error(e, "certificate login"))?;
            Ok(raw.into_info())
        }
        LoginMethod::Gssapi(kerberos, options) => {
            let login_url = engine.login_url();
            let host = gssapi::service_host(&login_url)
                .ok_or_else(|| Error::builder("the hub URL has no host"))?
                .to_owned();
            let kerberos = kerberos.clone();
            let service = format!("HTTP@{host}");
            let client = tokio::task::spawn_blocking(move || SpnegoClient::new(&host, &kerberos))
                .await
                .map_err(|e| Error::auth("the Kerberos task failed").with_source(e))?
                .map_err(|e| Error::auth(format!("Kerberos login for {service}")).with_source(e))?;
            let call = ssl_login_call(engine, options, renewal, exclusive, kwargs)?
                .header("Authorization", &client.authorization())?
                // A retry would replay the same token, which the
                // server's replay cache refuses.
                .retry(false);
            let mut consume = WithAuthenticate {
                inner: Buffered::<RawSessionInfo>(std::marker::PhantomData),
                www_authenticate: None,
            };
            let raw = engine
                .send(&call, &mut consume)
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

/// `sslLogin(proxyuser=…[, renew, exclusive][, proxyauthtype])` on
/// `https://<server>/ssllogin`.
fn ssl_login_call(
    engine: &Engine,
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
    let call = request::encode_with("sslLogin", (), kwargs, engine.server())?
        .endpoint(Endpoint::SslLogin)
        .timeout(engine.auth_timeout())
        .logged_in(false)
        .without_session()
        .over_https();
    add_renewal(call, renewal)
}

/// The `logout` call of the session whose credentials are `creds`.
pub(crate) fn logout_call(creds: &Credentials) -> Result<PreparedCall> {
    creds.apply(&request::encode("logout", ())?.without_session())
}

fn add_renewal(call: PreparedCall, renewal: Option<&Credentials>) -> Result<PreparedCall> {
    match renewal {
        Some(creds) => creds.apply(&call).map(|c| c.logged_in(false)),
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
