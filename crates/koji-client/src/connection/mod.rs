//! The facade: [`Connection`], what applications hold. It prepares calls
//! (request layer), runs them with the session's credentials (session
//! layer) through the engine, and renews an expired session once (login
//! layer) — see `ARCHITECTURE.md`.
//!
//! - [`builder`]: [`ConnectionBuilder`], the settings;
//! - [`call`]: `call`/`call_as`/`request`/`call_stream` and friends;
//! - [`login`]: `login*`, `logout`, subsessions;
//! - this file: the connection itself and the one path every call takes,
//!   [`Connection::run`].
//!
//! Typed methods live in [`api`](crate::api), multicalls in
//! [`multicall`](crate::multicall).

mod builder;
mod call;
mod login;

use std::sync::Arc;
use std::time::Duration;

use http::header::HeaderMap;

use crate::auth::{self, AuthSettings, LoginMethod};
use crate::config::{Config, ConfigSources, Profile};
use crate::engine::retry::RetryPolicy;
use crate::engine::{BufferedWith, Consume, Engine};
use crate::error::{Error, FaultKind, Result};
use crate::request::PreparedCall;
use crate::session::SessionSlot;
use crate::version::HubVersion;

pub use builder::{
    ConnectionBuilder, DEFAULT_AUTH_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT, USER_AGENT,
};
pub use call::{CallBuilder, CallStream, JsonStream};

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
    pub(crate) session: Arc<SessionSlot<LoginMethod>>,
}

/// The parts of a profile that are not connection settings but that
/// helpers need: the profile's name, `weburl` and `topurl`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProfileUrls {
    pub(crate) profile: Option<String>,
    pub(crate) weburl: Option<String>,
    pub(crate) topurl: Option<String>,
}

/// What a connection, its clones and its subsessions share.
pub(crate) struct Shared {
    pub(crate) engine: Engine,
    /// How [`Connection::login`] logs in.
    pub(crate) auth: AuthSettings,
    /// What else of the profile helpers need: its name, `weburl`, `topurl`.
    web: ProfileUrls,
    hub_version: tokio::sync::OnceCell<HubVersion>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.server_url())
            .field("timeout", &self.timeout())
            .field("retry", self.retry_policy())
            .field("deadline", &self.deadline())
            .field("logged_in", &self.is_logged_in())
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
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

    /// A connection configured by profile `name` of the config file (or
    /// directory of `*.conf` files) at `path`, read as `koji -c PATH -p
    /// NAME` reads it: the system files (`/etc/koji.conf.d/*.conf`,
    /// `/etc/koji.conf`) and then `path`, which replaces the files in the
    /// home directory. A leading `~` in `path` is expanded.
    ///
    /// Errors (a missing file, a syntax error, no such profile, a bad
    /// value) are [`Error`]s whose [`config_error`](Error::config_error)
    /// says what and where.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let file = dir.path().join("koji.conf");
    /// std::fs::write(&file, "[stg]\nserver = https://koji.stg.example.com/kojihub\n\
    ///                        weburl = https://koji.stg.example.com/koji\n")?;
    ///
    /// let koji = koji_client::Connection::from_config_file(&file, "stg")?;
    /// assert_eq!(koji.server_url(), "https://koji.stg.example.com/kojihub");
    /// assert_eq!(koji.weburl(), Some("https://koji.stg.example.com/koji"));
    /// assert_eq!(koji.profile_name(), Some("stg"));
    ///
    /// let e = koji_client::Connection::from_config_file(&file, "prod").unwrap_err();
    /// assert!(e.config_error().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_config_file(path: impl AsRef<std::path::Path>, name: &str) -> Result<Connection> {
        let sources = ConfigSources::system().with_user_config(path.as_ref());
        let config = Config::load(&sources)?;
        let profile = config.profile(name)?;
        Connection::from_profile_config(&profile)
    }

    /// The kojiweb URL of the profile this connection was made from (koji
    /// `weburl`), or the one given to [`ConnectionBuilder::weburl`]; `None`
    /// for a connection made from a hub URL alone. For the kojiweb links of
    /// the models (`build.url(weburl)`) and bus messages.
    ///
    /// ```no_run
    /// # async fn demo() -> koji_client::Result<()> {
    /// let koji = koji_client::Connection::from_profile("fedora")?;
    /// let build = koji.get_build(17).await?.expect("exists");
    /// if let Some(weburl) = koji.weburl() {
    ///     println!("{}", build.url(weburl).unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn weburl(&self) -> Option<&str> {
        self.shared.web.weburl.as_deref()
    }

    /// The URL of the hub's file tree (koji `topurl`, where builds' files
    /// are downloaded from), from the profile or
    /// [`ConnectionBuilder::topurl`]; `None` when unknown.
    pub fn topurl(&self) -> Option<&str> {
        self.shared.web.topurl.as_deref()
    }

    /// The name of the profile this connection was made from, if any (for
    /// example to name a [`NameCache`](crate::cache::NameCache)).
    pub fn profile_name(&self) -> Option<&str> {
        self.shared.web.profile.as_deref()
    }

    /// Starts building a connection to the hub at `server`.
    pub fn builder(server: impl Into<String>) -> ConnectionBuilder {
        ConnectionBuilder::new(server)
    }

    /// The hub URL (without trailing slash).
    pub fn server_url(&self) -> &str {
        self.shared.engine.server()
    }

    /// The certificate/Kerberos login URL, `<server>/ssllogin`.
    pub fn login_url(&self) -> String {
        self.shared.engine.login_url()
    }

    /// The retry settings.
    pub fn retry_policy(&self) -> &RetryPolicy {
        self.shared.engine.retry_policy()
    }

    /// The per-attempt timeout (koji `timeout`).
    pub fn timeout(&self) -> Duration {
        self.shared.engine.timeout()
    }

    /// The per-attempt timeout of login calls (koji `auth_timeout`).
    pub fn auth_timeout(&self) -> Duration {
        self.shared.engine.auth_timeout()
    }

    /// The overall limit of one call, retries included.
    pub fn deadline(&self) -> Duration {
        self.shared.engine.deadline()
    }

    /// Whether this connection has a session: its calls carry the session's
    /// credentials and count as authenticated (transport failures are then
    /// retried even without `anon_retry`, as koji does).
    pub fn is_logged_in(&self) -> bool {
        self.session.is_active()
    }

    pub(crate) fn from_parts(engine: Engine, auth: AuthSettings, web: ProfileUrls) -> Connection {
        Connection {
            shared: Arc::new(Shared {
                engine,
                auth,
                web,
                hub_version: tokio::sync::OnceCell::new(),
            }),
            session: Arc::default(),
        }
    }

    /// A connection sharing this one's settings and pool, with `slot` as
    /// its session.
    pub(crate) fn with_session(&self, slot: SessionSlot<LoginMethod>) -> Connection {
        Connection {
            shared: Arc::clone(&self.shared),
            session: Arc::new(slot),
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.shared.engine
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

    /// The one path of every call: with the session's credentials when
    /// logged in — take the next call number under the session lock, send
    /// (the engine keeps that number for every retry), and on AuthExpired
    /// renew the session once and send again with a new number — else as
    /// it is. A call that asked to go without the session goes as it is.
    pub(crate) async fn run<C: Consume>(
        &self,
        call: &PreparedCall,
        mut consume: C,
    ) -> Result<C::Output> {
        let engine = self.engine();
        if call.bypass_session || !self.session.is_active() {
            let call = self.resolve_authenticated(call);
            return engine.send(&call, &mut consume).await;
        }
        let mut state = self.session.lock().await;
        let Some(active) = state.active.as_mut() else {
            drop(state);
            let call = self.resolve_authenticated(call);
            return engine.send(&call, &mut consume).await;
        };
        let creds = active.next_call();
        let first = engine.send(&creds.apply(call)?, &mut consume).await;
        let err = match first {
            Ok(out) => return Ok(out),
            Err(err) => err,
        };
        if err.fault_kind() != Some(FaultKind::AuthExpired) || state.login.is_none() {
            return Err(explain_retry(err, creds.callnum));
        }
        auth::renew(engine, &mut state).await.map_err(|renew_err| {
            renew_err.with_note(format!(
                "the session expired during {} and could not be renewed",
                call.method()
            ))
        })?;
        let Some(active) = state.active.as_mut() else {
            return Err(err);
        };
        let creds = active.next_call();
        engine
            .send(&creds.apply(call)?, &mut consume)
            .await
            .map_err(|e| explain_retry(e, creds.callnum))
    }

    /// A call sent without the session's credentials counts as
    /// authenticated when it says so, else when the connection is logged in
    /// (a caller that added credentials of its own).
    fn resolve_authenticated<'a>(
        &self,
        call: &'a PreparedCall,
    ) -> std::borrow::Cow<'a, PreparedCall> {
        match call.authenticated() {
            Some(_) => std::borrow::Cow::Borrowed(call),
            None => std::borrow::Cow::Owned(call.clone().logged_in(self.is_logged_in())),
        }
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
                if let Some(v) = self.shared.engine.version_header() {
                    return Ok(HubVersion::from_text(v));
                }
                match self.call_as::<String>("getKojiVersion", ()).await {
                    Ok(text) => {
                        // Prefer the header if this very call brought one.
                        let text = self
                            .shared
                            .engine
                            .version_header()
                            .map_or(text, str::to_owned);
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
        self.shared.engine.version_header()
    }
}

impl PreparedCall {
    /// Uses the connection's `auth_timeout` for this call (login calls).
    pub fn auth_timeout(self, koji: &Connection) -> Self {
        let t = koji.auth_timeout();
        self.timeout(t)
    }
}

/// A RetryError after more than one attempt means the first attempt's
/// response was lost after the hub had committed it: say so.
fn explain_retry(err: Error, callnum: u64) -> Error {
    if err.fault_kind() == Some(FaultKind::RetryError) && err.attempts() > 1 {
        let attempts = err.attempts();
        return err.with_note(retry_note(callnum, attempts));
    }
    err
}

/// The note [`explain_retry`] adds.
fn retry_note(callnum: u64, attempts: u32) -> String {
    format!(
        "call number {callnum} was sent {attempts} times because a response was lost; \
         the hub refused to run it again because an earlier attempt had already \
         committed, so it was not applied twice"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use koji_xmlrpc::{Struct, Value};

    #[test]
    fn a_retry_error_after_a_lost_response_says_so_in_one_sentence() {
        let mut err = Error::fault(1009, "RetryError: call 7 already ran")
            .context("tagBuild", "https://hub.example/kojihub");
        err.set_attempts(2);
        let shown = explain_retry(err, 7).to_string();
        assert_eq!(
            shown,
            "tagBuild: fault 1009 (RetryError): RetryError: call 7 already ran (after 2 attempts); \
             call number 7 was sent 2 times because a response was lost; \
             the hub refused to run it again because an earlier attempt had \
             already committed, so it was not applied twice"
        );
        assert!(!shown.contains("  "), "{shown}");

        // A RetryError on the first attempt is the hub's own: no note.
        let mut first = Error::fault(1009, "RetryError");
        first.set_attempts(1);
        assert_eq!(
            explain_retry(first, 3).to_string(),
            "fault 1009 (RetryError): RetryError"
        );
    }

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
