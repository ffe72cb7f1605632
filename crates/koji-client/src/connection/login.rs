//! The facade's logins: [`Connection::login`] and the explicit methods,
//! `logout`, subsessions and exclusive sessions. The work is the login
//! layer's ([`crate::auth`]); this keeps the session slot in step.

use std::collections::BTreeMap;

use koji_xmlrpc::Value;

use super::Connection;
use crate::auth::gssapi::KerberosOptions;
use crate::auth::{self, LoginMethod, LoginOptions, Password, RawSessionInfo};
use crate::engine::Buffered;
use crate::error::{Error, FaultKind, Result};
use crate::model::User;
use crate::session::{ActiveSession, SessionSlot};

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
        match auth::choose_method(&self.shared.auth, self.engine().has_cert())? {
            Some(method) => self.login_with(method).await,
            None => Ok(()),
        }
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
        let info = auth::login_request(self.engine(), &method, None, false).await?;
        tracing::info!(session = info.id, "logged in");
        self.session.set_id(Some(info.id));
        state.active = Some(ActiveSession::new(info));
        if method.uses_https() {
            self.engine().force_https();
        }
        state.login = Some(method);
        state.exclusive = false;
        Ok(())
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
        let creds = active.next_call();
        let call = auth::logout_call(&creds)?;
        let mut consume = Buffered::<Value>(std::marker::PhantomData);
        match self.engine().send(&call, &mut consume).await {
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
        Ok(self.with_session(SessionSlot::new(info, login)))
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
