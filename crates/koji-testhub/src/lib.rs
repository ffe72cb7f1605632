//! A Koji-compatible hub for tests, examples, demos and benchmarks.
//!
//! `koji-testhub` speaks the Koji 1.35.3 hub's XML-RPC dialect the way the
//! real hub does — the recorded exchanges (koji-testenv's `data/realhub/`) are the
//! reference: byte-identical response layout, the same faults with the same
//! codes and texts, HTTP 405/400 replies, `Koji-Version` on every response,
//! multicall with per-call faults, `__starstar` keyword arguments with
//! Python's argument errors, and sessions with call numbers, expiry,
//! renewal, subsessions and exclusive sessions as hub HEAD implements them.
//!
//! It serves the read API over an in-memory [`Dataset`]: the real hub's data
//! set (the default) or generated data of any size, plus a few write calls
//! (`createTag`, `editTag2`, `deleteTag`, `createUser`, `enableUser`,
//! `disableUser`) so commit-dependent rules can be exercised. Anything else
//! is answered like an unknown method (`Invalid method: X`). Parameters of a
//! served method that the test hub does not implement give a fault that
//! says so instead of a silently wrong answer.
//!
//! Fault injection ([`FaultRule`]) makes it slow, drop connections, break
//! bodies, answer like a failing proxy, stall or report being offline, for
//! chosen requests. Inspection methods tell tests what the hub received.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), koji_testhub::Error> {
//! use koji_testhub::{Action, FaultRule, TestHub};
//!
//! let hub = TestHub::builder()
//!     .trust_login_as("alice")
//!     .fault(FaultRule::method("getBuild", Action::BadGateway).times(1))
//!     .start()
//!     .await?;
//! assert!(hub.url().starts_with("http://127.0.0.1:"));
//! assert!(hub.url().ends_with("/kojihub"));
//! hub.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Logins: there is no TLS and no Kerberos. `sslLogin` (posted to
//! `…/kojihub/ssllogin`, like a real client does) logs in the identity the
//! test set-up vouches for: [`TestHubBuilder::trust_login_as`], the test
//! header `Koji-Testhub-Login-As` when [`TestHubBuilder::login_header`] is
//! on, or a header set by a fronting proxy
//! ([`TestHubBuilder::trusted_cert_header`],
//! [`TestHubBuilder::trusted_remote_user_header`]) — only headers you name
//! are trusted. `login(user, password)` checks the passwords given to
//! [`TestHubBuilder::password`].

mod args;
mod bus;
mod dataset;
mod dispatch;
mod error;
mod fault;
mod hub;
mod inject;
mod methods;
mod py;
mod query;
mod record;
mod server;
mod session;
mod sim;
mod time;
mod uploads;
mod wire;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use dataset::{Dataset, GenerateOptions, realhub};
pub use error::Error;
pub use inject::{Action, FaultRule, Match};
pub use record::RequestRecord;
pub use session::SessionCall;
pub use sim::{Prop, Published};

/// The name of the test header [`TestHubBuilder::login_header`] enables.
pub const LOGIN_AS_HEADER: &str = "Koji-Testhub-Login-As";

/// Entry point: `TestHub::builder()`.
#[derive(Debug)]
pub struct TestHub;

impl TestHub {
    /// A builder with the defaults: the real hub's data set, `127.0.0.1:0`,
    /// `MaxRequestLength` 4194304, sessions expiring after 1440 minutes,
    /// URL sessions accepted, no way to `sslLogin` until one is configured.
    pub fn builder() -> TestHubBuilder {
        TestHubBuilder::default()
    }
}

#[derive(Debug, Clone)]
enum Source {
    Realhub,
    Dir(PathBuf),
    Generate(GenerateOptions),
    Given(Box<Dataset>),
}

/// Configures and starts a hub. See [`TestHub::builder`].
#[derive(Debug, Clone)]
pub struct TestHubBuilder {
    cfg: hub::Config,
    source: Source,
    bind: SocketAddr,
    allow_non_loopback: bool,
    rules: Vec<FaultRule>,
    passwords: Vec<(String, String)>,
}

impl Default for TestHubBuilder {
    fn default() -> Self {
        TestHubBuilder {
            cfg: hub::Config::default(),
            source: Source::Realhub,
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            allow_non_loopback: false,
            rules: Vec::new(),
            passwords: Vec::new(),
        }
    }
}

impl TestHubBuilder {
    /// Serves this data set.
    pub fn dataset(mut self, ds: Dataset) -> Self {
        self.source = Source::Given(Box::new(ds));
        self
    }

    /// Serves the data set in this directory (see [`Dataset::load`]).
    pub fn dataset_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.source = Source::Dir(dir.into());
        self
    }

    /// Serves generated data (see [`Dataset::generate`]).
    pub fn generate(mut self, opts: GenerateOptions) -> Self {
        self.source = Source::Generate(opts);
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, an ephemeral port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Allows a non-loopback listening address. The test hub trusts
    /// whatever its configuration says to trust; never expose it.
    pub fn allow_non_loopback(mut self, allow: bool) -> Self {
        self.allow_non_loopback = allow;
        self
    }

    /// `MaxRequestLength`: larger bodies get HTTP 400 `Request too long`.
    pub fn max_request_length(mut self, bytes: usize) -> Self {
        self.cfg.max_request_length = bytes;
        self
    }

    /// `SessionRenewalTimeout`: sessions expire (fault 1007) this long after
    /// login or renewal. `Duration::ZERO` disables expiry.
    pub fn session_lifetime(mut self, d: Duration) -> Self {
        self.cfg.session_lifetime = d;
        self
    }

    /// Whether `?session-id=&session-key=&callnum=` is accepted (the hub's
    /// `DisableURLSessions = False`, the default).
    pub fn url_sessions(mut self, on: bool) -> Self {
        self.cfg.url_sessions = on;
        self
    }

    /// Whether sessions are bound to the client address (`CheckClientIP`, default on).
    pub fn check_client_ip(mut self, on: bool) -> Self {
        self.cfg.check_client_ip = on;
        self
    }

    /// Whether an `sslLogin` of an unknown user creates it (`LoginCreatesUser`, default on).
    pub fn login_creates_user(mut self, on: bool) -> Self {
        self.cfg.login_creates_user = on;
        self
    }

    /// Sets a user's password for `login(user, password)`.
    pub fn password(mut self, user: &str, password: &str) -> Self {
        self.passwords.push((user.to_owned(), password.to_owned()));
        self
    }

    /// Every `sslLogin` (on `…/ssllogin`) logs in this user, as if it had
    /// presented a client certificate with that CN.
    pub fn trust_login_as(mut self, user: &str) -> Self {
        self.cfg.trust_login_as = Some(user.to_owned());
        self
    }

    /// Lets each `sslLogin` request name its user in the
    /// [`LOGIN_AS_HEADER`] header (certificate-style login).
    pub fn login_header(mut self, on: bool) -> Self {
        self.cfg.login_header = on;
        self
    }

    /// Trusts this request header as the client certificate's subject DN
    /// (`CN=alice,OU=…` or just `alice`), as a TLS-terminating proxy would
    /// set it. Only the proxy in front of the hub must be able to set it.
    pub fn trusted_cert_header(mut self, name: &str) -> Self {
        self.cfg.cert_header = Some(name.to_ascii_lowercase());
        self
    }

    /// Trusts this request header as `REMOTE_USER` (a Kerberos principal,
    /// GSSAPI login), as an authenticating proxy would set it.
    pub fn trusted_remote_user_header(mut self, name: &str) -> Self {
        self.cfg.remote_user_header = Some(name.to_ascii_lowercase());
        self
    }

    /// Adds a DN allowed to log in other users (`ProxyDNs`).
    pub fn proxy_dn(mut self, dn: &str) -> Self {
        self.cfg.proxy_dns.push(dn.to_owned());
        self
    }

    /// Adds a principal allowed to log in other users (`ProxyPrincipals`).
    pub fn proxy_principal(mut self, principal: &str) -> Self {
        self.cfg.proxy_principals.push(principal.to_owned());
        self
    }

    /// Whether every request is kept for [`RunningHub::requests`] (default
    /// on; turn off for long benchmarks — the counters stay on).
    pub fn record_requests(mut self, on: bool) -> Self {
        self.cfg.record_requests = on;
        self
    }

    /// The id of the first session (default 1).
    pub fn first_session_id(mut self, id: i64) -> Self {
        self.cfg.first_session_id = id;
        self
    }

    /// Adds a fault-injection rule.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// The simulated builder's pace: one step (a task opening, closing,
    /// children appearing, …) every `delay`. `Duration::ZERO` (the default)
    /// advances only when told ([`RunningHub::step_builder`]), for
    /// deterministic tests.
    pub fn builder_step(mut self, delay: Duration) -> Self {
        self.cfg.sim.step = delay;
        self
    }

    /// Builds of this package fail (their last `buildArch` and the `build`
    /// task fail with koji's `BuildError` text, the build becomes FAILED).
    pub fn fail_package(mut self, name: &str) -> Self {
        self.cfg.sim.fail_packages.push(name.to_owned());
        self
    }

    /// Builds for this target fail (like [`TestHubBuilder::fail_package`]).
    pub fn fail_target(mut self, name: &str) -> Self {
        self.cfg.sim.fail_targets.push(name.to_owned());
        self
    }

    /// Publishes the simulated builder's messages to this AMQP 1.0 broker
    /// (`amqp://user:password@127.0.0.1:PORT`; a path is ignored), as
    /// koji's protonmsg plugin does. Every message is also kept for
    /// [`RunningHub::published`], with or without a broker.
    pub fn broker(mut self, url: &str) -> Self {
        self.cfg.sim.broker = Some(url.to_owned());
        self
    }

    /// The address prefix of published messages (protonmsg's
    /// `topic_prefix`; default `/topic/koji`, RabbitMQ's topic exchange).
    pub fn topic_prefix(mut self, prefix: &str) -> Self {
        self.cfg.sim.topic_prefix = prefix.trim_end_matches('.').to_owned();
        self
    }

    /// Loads the data and starts serving on a background task of the
    /// current tokio runtime.
    pub async fn start(self) -> Result<RunningHub, Error> {
        if !self.bind.ip().is_loopback() && !self.allow_non_loopback {
            return Err(Error::NonLoopback(self.bind));
        }
        let mut data = match self.source {
            Source::Realhub => Dataset::load_realhub()?,
            Source::Dir(d) => Dataset::load(&d)?,
            Source::Generate(o) => Dataset::generate(&o),
            Source::Given(d) => *d,
        };
        for (u, p) in &self.passwords {
            data.set_password(u, p);
        }
        let listener = TcpListener::bind(self.bind)
            .await
            .map_err(|source| Error::Bind {
                addr: self.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: self.bind,
            source,
        })?;
        let hub = Arc::new(hub::Hub::new(
            self.cfg,
            data,
            inject::Rules::new(self.rules),
        ));
        let (tx, rx) = watch::channel(false);
        hub.start_bus();
        if !hub.cfg.sim.step.is_zero() {
            tokio::spawn(drive_builder(hub.clone(), rx.clone()));
        }
        let task = tokio::spawn(server::serve(listener, hub.clone(), rx));
        Ok(RunningHub {
            addr,
            hub,
            stop: tx,
            task: Some(task),
        })
    }
}

/// Steps the simulated builder every `cfg.sim.step` until the hub stops.
async fn drive_builder(hub: Arc<hub::Hub>, mut stop: watch::Receiver<bool>) {
    let delay = hub.cfg.sim.step;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(delay) => { hub.step_builder(); }
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// A running hub. Dropping it stops it (without waiting); prefer
/// [`RunningHub::shutdown`].
#[derive(Debug)]
pub struct RunningHub {
    addr: SocketAddr,
    hub: Arc<hub::Hub>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl RunningHub {
    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The hub URL: `http://127.0.0.1:PORT/kojihub`.
    pub fn url(&self) -> String {
        format!("http://{}/kojihub", self.addr)
    }

    /// The calls made on a session (every request that presented its id
    /// with the right key), in order.
    pub fn session_calls(&self, session_id: i64) -> Vec<SessionCall> {
        self.hub
            .sessions()
            .sessions
            .get(&session_id)
            .map(|s| s.calls.clone())
            .unwrap_or_default()
    }

    /// The bytes of an uploaded file, by its path relative to `work/`
    /// (`<dir>/<name>`); `None` when nothing was uploaded there.
    pub fn uploaded(&self, path: &str) -> Option<Vec<u8>> {
        self.hub.uploads.get(path)
    }

    /// The ids of all sessions created so far.
    pub fn session_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.hub.sessions().sessions.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// The last committed call number of a session (what `getSessionInfo` shows).
    pub fn session_callnum(&self, session_id: i64) -> Option<i64> {
        self.hub
            .sessions()
            .sessions
            .get(&session_id)
            .and_then(|s| s.callnum)
    }

    /// Expires a session (and its subsessions) now, as if its renewal
    /// timeout had passed. Returns whether the session exists.
    pub fn expire_session(&self, session_id: i64) -> bool {
        self.hub.sessions().expire_tree(session_id)
    }

    /// Blocks or unblocks a user (its logins and sessions then fail with
    /// `logins by X are not allowed`). Returns whether the user exists.
    pub fn set_user_blocked(&self, user: &str, blocked: bool) -> bool {
        let mut cat = self.hub.catalog_mut();
        match cat.users.iter_mut().find(|u| u.name == user) {
            Some(u) => {
                u.status = i64::from(blocked);
                true
            }
            None => false,
        }
    }

    /// The requests received, in order (empty when recording is off).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.hub.log.records()
    }

    /// How many requests were received.
    pub fn request_count(&self) -> u64 {
        self.hub.log.request_count()
    }

    /// The largest request body received, in bytes.
    pub fn max_request_size(&self) -> usize {
        self.hub.log.max_body()
    }

    /// All request bodies together, in bytes.
    pub fn total_request_bytes(&self) -> u64 {
        self.hub.log.total_bytes()
    }

    /// Forgets recorded requests and resets the counters.
    pub fn clear_requests(&self) {
        self.hub.log.clear();
    }

    /// Adds a fault-injection rule.
    pub fn add_fault(&self, rule: FaultRule) {
        self.hub.rules.add(rule);
    }

    /// Replaces all fault-injection rules (and their counts).
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        self.hub.rules.set(rules);
    }

    /// Removes all fault-injection rules.
    pub fn clear_faults(&self) {
        self.hub.rules.set(Vec::new());
    }

    /// How many times fault rules have fired.
    pub fn faults_fired(&self) -> u64 {
        self.hub.rules.fired()
    }

    /// Runs one step of the simulated builder: every running task tree
    /// advances by one change (see [`TestHubBuilder::builder_step`]).
    /// Returns whether anything changed.
    pub fn step_builder(&self) -> bool {
        self.hub.step_builder()
    }

    /// Steps the simulated builder until every task tree it runs has
    /// finished (at most 1000 steps); returns the number of steps.
    pub fn run_builder(&self) -> usize {
        let mut n = 0;
        while n < 1000 && self.hub.step_builder() {
            n += 1;
        }
        n
    }

    /// Whether the simulated builder has nothing left to do.
    pub fn builder_idle(&self) -> bool {
        self.hub.with_live(|l| l.idle())
    }

    /// Every message the hub published (or would have, without a broker),
    /// in order.
    pub fn published(&self) -> Vec<Published> {
        self.hub.with_live(|l| l.published.clone())
    }

    /// Stops accepting connections, lets answers in flight finish (at most
    /// a few seconds), ends stalled requests, and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
