//! [`Multicall`]: many calls boxed into few `system.multicall` requests.
//!
//! Queue calls on a [`Multicall`], each giving back a typed [`Handle`]; send
//! them all with [`Multicall::send`]; then read each handle's own result.
//! A hub fault in one call is that call's error only, and it is the same
//! [`Error`] (same [`FaultKind`](crate::FaultKind), code and message) that
//! the call made on its own would give; a successful result decodes into
//! the same type as the single typed call (`getTaskInfo` gives the same
//! [`Task`]).
//!
//! ```no_run
//! # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
//! use koji_client::{Build, Task};
//!
//! let mut m = koji.multicall();
//! let build = m.call::<Option<Build>>("getBuild", ("hello-1.2-1.fc40",));
//! let task = m.get_task_info(10);
//! let missing = m.call::<Build>("getBuild", ("no-such-1.0-1", true));
//! m.send().await?;
//!
//! println!("{:?}", build.result()?.map(|b| b.nvr));
//! println!("{:?}", task.result()?.map(|t| t.method));
//! assert!(missing.result().unwrap_err().is_fault());
//! # Ok(()) }
//! ```
//!
//! # Chunks
//!
//! Large batches are split automatically into chunks of at most
//! [`max_calls`](Multicall::max_calls) calls (default
//! [`DEFAULT_MAX_CALLS`]) whose request body is at most
//! [`max_request_size`](Multicall::max_request_size) bytes (default
//! [`DEFAULT_MAX_REQUEST_SIZE`], the hub's default `MaxRequestLength`;
//! bigger requests get HTTP 400). Calls keep their order: a chunk holds
//! consecutive calls.
//!
//! **Each chunk is one hub transaction.** The hub runs the calls of one
//! `system.multicall` in a single database transaction with a savepoint per
//! call: a failing call is rolled back alone, and the writes of the others
//! in the chunk are committed together at the end. Different chunks are
//! different transactions, and anonymous chunks may run at the same time, so
//! queue calls that must see each other's writes in one chunk (or send them
//! in separate multicalls).
//!
//! A chunk whose request fails as a whole (the connection dropped, a proxy
//! answered 502, the hub said `ServerOffline`…) is retried like any call
//! (see [`RetryPolicy`](crate::RetryPolicy)); if it still fails, every call
//! of that chunk — and only those — gets that error.
//!
//! # Concurrency and sessions
//!
//! - Anonymous connections send up to [`concurrency`](Multicall::concurrency)
//!   chunks at once (default [`DEFAULT_CONCURRENCY`]).
//! - A logged-in connection ([`Connection::is_logged_in`]) sends its chunks
//!   one after another, through the same path as single calls: each chunk
//!   is one HTTP request with one call number, and calls on one session are
//!   never sent in parallel (the hub would reject an older call number).
//! - For parallel authenticated work, give [`lanes`](Multicall::lanes):
//!   connections with sessions of their own — subsessions of the logged-in
//!   connection ([`Connection::subsession`]), as koji does for parallel
//!   work — each sending its share of the chunks one at a time, all lanes
//!   at once. Nothing is parallelised over one session unless you ask for
//!   it this way.
//!
//! # Strict mode and dynamic results
//!
//! With [`strict`](Multicall::strict), [`send`](Multicall::send) still sends
//! every chunk and fills every handle, then fails with the error of the
//! first call (in queue order) that failed — as koji's `multicall(strict=True)`
//! raises the first fault after all batches ran.
//!
//! [`push`](Multicall::push) queues a call without a handle, and
//! [`send_values`](Multicall::send_values) returns their results as
//! [`Value`]s, in order (txkoji's `results = yield m()`).
//!
//! # Speed
//!
//! Each call is encoded when it is queued, straight from its arguments into
//! the request bytes (no [`Value`] tree); a chunk's body is those bytes
//! copied once between the `system.multicall` envelope. A chunk whose calls
//! all have the same result type is decoded in one pass straight into that
//! type; other chunks are decoded as [`Value`]s first and then converted
//! call by call (which also pinpoints a result that does not fit its type).

use std::any::{Any, TypeId};
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::ops::Range;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use http::HeaderMap;
use koji_xmlrpc::{MulticallWriter, Value};
use serde::Serialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::Connection;
use crate::api::BuildRef;
use crate::call::{PreparedCall, args_to_values, kwargs_to_struct};
use crate::connection::looks_like_xmlrpc;
use crate::error::{Error, HubTraceback, Kind, Result};
use crate::model::{Build, IdOrName, Package, Tag, Task, User};
use crate::transport::content_type;

/// Default largest number of calls in one chunk (one `system.multicall`
/// request): 500, the top of the 100–500 range common koji tools use.
pub const DEFAULT_MAX_CALLS: usize = 500;

/// Default largest request body of one chunk: 4 MiB, the hub's default
/// `MaxRequestLength` (4194304 bytes; a body of exactly that size is accepted).
pub const DEFAULT_MAX_REQUEST_SIZE: usize = 4 * 1024 * 1024;

/// Default number of chunks sent at once by an anonymous connection.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The method multicalls are sent as (the hub also accepts `multiCall`).
const METHOD: &str = "system.multicall";

/// How far a [`Multicall`] has got, given to the
/// [`on_progress`](Multicall::on_progress) hook: once before the first
/// chunk is sent, then after each chunk is answered (or has failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Calls whose chunk has been answered or has failed.
    pub calls_done: usize,
    /// Calls to send (queued calls that could be encoded).
    pub calls_total: usize,
    /// Chunks answered or failed.
    pub chunks_done: usize,
    /// Chunks to send.
    pub chunks_total: usize,
}

/// What [`Multicall::send`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Calls queued.
    pub calls: usize,
    /// Requests (chunks) sent.
    pub chunks: usize,
    /// Calls whose result is an error (fault, encoding error, failed chunk…).
    pub failed_calls: usize,
    /// Chunks whose request failed as a whole.
    pub failed_chunks: usize,
}

type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Many calls sent as few `system.multicall` requests (see the
/// [module documentation](self) for chunking, transactions, concurrency
/// and sessions). Made by [`Connection::multicall`].
///
/// ```no_run
/// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
/// let mut m = koji
///     .multicall()
///     .max_calls(200)
///     .on_progress(|p| eprintln!("{}/{} calls", p.calls_done, p.calls_total));
/// let builds: Vec<_> = (1..=10_000).map(|id| m.get_build(id)).collect();
/// let summary = m.send().await?;
/// eprintln!("{} requests, {} failed calls", summary.chunks, summary.failed_calls);
/// for handle in builds {
///     match handle.result() {
///         Ok(Some(build)) => println!("{}", build.nvr.unwrap_or_default()),
///         Ok(None) => {}
///         Err(e) => eprintln!("{e}"),
///     }
/// }
/// # Ok(()) }
/// ```
#[must_use = "a multicall does nothing until it is sent"]
pub struct Multicall {
    conn: Connection,
    /// The encoded calls (`<value><struct>…</struct></value>` each), in order.
    arena: Vec<u8>,
    queued: Vec<Queued>,
    /// Calls queued, including those that failed to encode.
    calls: usize,
    /// Calls that failed before sending (encoding, too large).
    local_failures: usize,
    /// The first of those, with its queue position (for strict mode).
    first_local_failure: Option<(usize, Error)>,
    /// Handles of the calls queued with `push`.
    pushed: Vec<Handle<Value>>,
    max_calls: usize,
    max_request_size: usize,
    concurrency: usize,
    strict: bool,
    lanes: Vec<Connection>,
    progress: Option<ProgressFn>,
}

/// A call waiting to be sent.
struct Queued {
    /// Its position among all queued calls.
    index: usize,
    /// Its encoded bytes in the arena.
    bytes: Range<usize>,
    slot: Box<dyn Slot>,
}

impl fmt::Debug for Multicall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Multicall")
            .field("calls", &self.calls)
            .field("encoded_bytes", &self.arena.len())
            .field("max_calls", &self.max_calls)
            .field("max_request_size", &self.max_request_size)
            .field("concurrency", &self.concurrency)
            .field("strict", &self.strict)
            .field("lanes", &self.lanes.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Starts a multicall on this connection (see [`Multicall`]).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let mut m = koji.multicall();
    /// let version = m.call::<String>("getKojiVersion", ());
    /// let hello = m.call::<String>("hello", ());
    /// m.send().await?;
    /// println!("{} says {}", version.result()?, hello.result()?);
    /// # Ok(()) }
    /// ```
    pub fn multicall(&self) -> Multicall {
        Multicall::new(self.clone())
    }

    /// Builds by id, NVR or `(name, version, release)` — the many-builds
    /// form of [`get_build`](Connection::get_build) — in the order given
    /// (`None` where the hub has no such build), fetched with multicalls of
    /// the default size and concurrency. Fails with the first failed call's
    /// error; use [`Multicall::get_build`] for other settings or partial
    /// results.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use koji_client::BuildRef;
    ///
    /// let builds = koji.load_builds([BuildRef::Id(3), "bash-5.2.26-3.fc40".into()]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn load_builds<I>(&self, builds: I) -> Result<Vec<Option<Build>>>
    where
        I: IntoIterator,
        I::Item: Into<BuildRef>,
    {
        let mut m = self.multicall().strict(true);
        let handles: Vec<_> = builds.into_iter().map(|b| m.get_build(b)).collect();
        collect(m, handles).await
    }

    /// Tasks by id with their `request` (`getTaskInfo(id, request=True)`,
    /// as [`get_task_info`](Connection::get_task_info)), in the order given
    /// (`None` for unknown ids). See [`load_builds`](Self::load_builds).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// for task in koji.load_tasks([2, 3, 4]).await?.into_iter().flatten() {
    ///     println!("{:?} {:?}", task.id, task.method);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn load_tasks<I>(&self, ids: I) -> Result<Vec<Option<Task>>>
    where
        I: IntoIterator<Item = i64>,
    {
        let mut m = self.multicall().strict(true);
        let handles: Vec<_> = ids.into_iter().map(|id| m.get_task_info(id)).collect();
        collect(m, handles).await
    }

    /// Users by id (or name), in the order given (`None` for unknown ones).
    /// See [`load_builds`](Self::load_builds).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let users = koji.load_users([1, 2, 3]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn load_users<I>(&self, users: I) -> Result<Vec<Option<User>>>
    where
        I: IntoIterator,
        I::Item: Into<IdOrName>,
    {
        let mut m = self.multicall().strict(true);
        let handles: Vec<_> = users.into_iter().map(|u| m.get_user(u)).collect();
        collect(m, handles).await
    }

    /// Tags by id (or name), in the order given (`None` for unknown ones).
    /// See [`load_builds`](Self::load_builds).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let tags = koji.load_tags([4, 5]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn load_tags<I>(&self, tags: I) -> Result<Vec<Option<Tag>>>
    where
        I: IntoIterator,
        I::Item: Into<IdOrName>,
    {
        let mut m = self.multicall().strict(true);
        let handles: Vec<_> = tags.into_iter().map(|t| m.get_tag(t)).collect();
        collect(m, handles).await
    }

    /// Packages by name (or id), in the order given (`None` for unknown
    /// ones). See [`load_builds`](Self::load_builds).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let packages = koji.load_packages(["hello", "libfoo"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn load_packages<I>(&self, packages: I) -> Result<Vec<Option<Package>>>
    where
        I: IntoIterator,
        I::Item: Into<IdOrName>,
    {
        let mut m = self.multicall().strict(true);
        let handles: Vec<_> = packages.into_iter().map(|p| m.get_package(p)).collect();
        collect(m, handles).await
    }
}

/// Sends a strict multicall and gathers its handles' results.
async fn collect<T>(m: Multicall, handles: Vec<Handle<T>>) -> Result<Vec<T>> {
    m.send().await?;
    handles.into_iter().map(Handle::result).collect()
}

/// `getTaskInfo`'s keyword argument, encoded as koji does (`__starstar` last).
#[derive(Serialize)]
struct WithRequest {
    request: bool,
    #[serde(rename = "__starstar")]
    starstar: bool,
}

impl Multicall {
    fn new(conn: Connection) -> Multicall {
        Multicall {
            conn,
            arena: Vec::new(),
            queued: Vec::new(),
            calls: 0,
            local_failures: 0,
            first_local_failure: None,
            pushed: Vec::new(),
            max_calls: DEFAULT_MAX_CALLS,
            max_request_size: DEFAULT_MAX_REQUEST_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            strict: false,
            lanes: Vec::new(),
            progress: None,
        }
    }

    /// At most this many calls per chunk (default [`DEFAULT_MAX_CALLS`];
    /// at least 1).
    pub fn max_calls(mut self, n: usize) -> Self {
        self.max_calls = n.max(1);
        self
    }

    /// At most this many bytes per chunk's request body (default
    /// [`DEFAULT_MAX_REQUEST_SIZE`]; set it to the hub's `MaxRequestLength`
    /// if that differs). A call too big to fit alone fails with an
    /// encoding error and is not sent.
    pub fn max_request_size(mut self, bytes: usize) -> Self {
        self.max_request_size = bytes;
        self
    }

    /// How many chunks an anonymous connection sends at once (default
    /// [`DEFAULT_CONCURRENCY`]; at least 1). A logged-in connection always
    /// sends one at a time (see [`lanes`](Self::lanes)).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Makes [`send`](Self::send) fail with the error of the first call (in
    /// queue order) that failed, after all chunks have been sent and every
    /// handle has its result (default off: `send` succeeds once every
    /// chunk is done, and each handle holds its own result).
    pub fn strict(mut self, on: bool) -> Self {
        self.strict = on;
        self
    }

    /// Sends the chunks over these connections instead: each lane sends
    /// its share one chunk at a time, all lanes at once (whatever
    /// [`concurrency`](Self::concurrency) says).
    ///
    /// Meant for logged-in work: give subsessions of the logged-in
    /// connection ([`Connection::subsession`]; each has its own session and
    /// call numbers), so chunks can run in parallel without breaking the
    /// session rule of one call in flight at a time. Without lanes a
    /// logged-in connection sends its chunks one after another. The
    /// subsessions stay open for reuse; logging out of the main session
    /// closes them.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// koji.login().await?;
    /// let lanes = vec![koji.subsession().await?, koji.subsession().await?];
    /// let mut m = koji.multicall().lanes(lanes);
    /// let tasks: Vec<_> = (1..=5000).map(|id| m.get_task_info(id)).collect();
    /// m.send().await?;
    /// # Ok(()) }
    /// ```
    pub fn lanes(mut self, lanes: impl IntoIterator<Item = Connection>) -> Self {
        self.lanes = lanes.into_iter().collect();
        self
    }

    /// Calls `hook` with the [`Progress`] before the first chunk and after
    /// each chunk (from the task awaiting [`send`](Self::send), never
    /// concurrently): enough for a progress bar.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) {
    /// let m = koji.multicall().on_progress(|p| {
    ///     eprint!("\r{}/{} calls ({}/{} requests)", p.calls_done, p.calls_total, p.chunks_done, p.chunks_total);
    /// });
    /// # }
    /// ```
    pub fn on_progress(mut self, hook: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(hook));
        self
    }

    /// How many calls are queued.
    pub fn len(&self) -> usize {
        self.calls
    }

    /// Whether no call is queued.
    pub fn is_empty(&self) -> bool {
        self.calls == 0
    }

    /// Queues `method` with positional `args` (a tuple, array, `Vec` or
    /// `()`); after [`send`](Self::send) the handle gives the result decoded
    /// into `T`, or the call's own error.
    ///
    /// Arguments are encoded right away; if that fails the handle holds the
    /// encoding error and the call is not sent.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let mut m = koji.multicall();
    /// let tag = m.call::<Option<koji_client::Tag>>("getTag", ("f40-build",));
    /// let echo = m.call::<Vec<koji_client::Value>>("echo", (1, "two", ()));
    /// m.send().await?;
    /// # Ok(()) }
    /// ```
    pub fn call<T>(&mut self, method: &str, args: impl Serialize) -> Handle<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let (slot, handle) = TypedSlot::<T>::new(method);
        let encoded = fragment(method, &args);
        self.enqueue(Box::new(slot), encoded);
        handle
    }

    /// Queues `method` with positional `args` and keyword arguments
    /// `kwargs` (a struct or map, sent koji's way as a trailing struct with
    /// `__starstar`).
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use std::collections::BTreeMap;
    ///
    /// let mut m = koji.multicall();
    /// let task = m.call_with::<Option<koji_client::Task>>(
    ///     "getTaskInfo", (10,), BTreeMap::from([("request", true)]));
    /// m.send().await?;
    /// # Ok(()) }
    /// ```
    pub fn call_with<T>(
        &mut self,
        method: &str,
        args: impl Serialize,
        kwargs: impl Serialize,
    ) -> Handle<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let (slot, handle) = TypedSlot::<T>::new(method);
        let encoded = (|| {
            let mut params = args_to_values(&args)?;
            if let Some(kw) = kwargs_to_struct(&kwargs)? {
                params.push(koji_xmlrpc::kwargs_struct(kw));
            }
            fragment(method, &params)
        })();
        self.enqueue(Box::new(slot), encoded);
        handle
    }

    /// Queues a call whose result [`send_values`](Self::send_values) returns
    /// as a [`Value`]. Returns its position in that list.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// let mut m = koji.multicall();
    /// m.push("getAPIVersion", ());
    /// m.push("getBuild", (3,));
    /// for result in m.send_values().await? {
    ///     println!("{:?}", result);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn push(&mut self, method: &str, args: impl Serialize) -> usize {
        let handle = self.call::<Value>(method, args);
        self.pushed.push(handle);
        self.pushed.len() - 1
    }

    /// Like [`push`](Self::push), with keyword arguments.
    pub fn push_with(
        &mut self,
        method: &str,
        args: impl Serialize,
        kwargs: impl Serialize,
    ) -> usize {
        let handle = self.call_with::<Value>(method, args, kwargs);
        self.pushed.push(handle);
        self.pushed.len() - 1
    }

    /// Queues `getBuild(build)` (an id, an NVR or name, version and
    /// release): `None` when there is no such build. The multicall form of
    /// [`Connection::get_build`].
    pub fn get_build(&mut self, build: impl Into<BuildRef>) -> Handle<Option<Build>> {
        self.call("getBuild", (build.into(),))
    }

    /// Queues `getTaskInfo(id, request=True)` (like txkoji's multicall,
    /// which always asks for the request, and [`Connection::get_task_info`]):
    /// `None` when there is no such task.
    pub fn get_task_info(&mut self, id: i64) -> Handle<Option<Task>> {
        self.call(
            "getTaskInfo",
            (
                id,
                WithRequest {
                    request: true,
                    starstar: true,
                },
            ),
        )
    }

    /// Queues `getUser(user)` (an id or a name): `None` when there is no
    /// such user.
    pub fn get_user(&mut self, user: impl Into<IdOrName>) -> Handle<Option<User>> {
        self.call("getUser", (user.into(),))
    }

    /// Queues `getTag(tag)` (an id or a name): `None` when there is no such tag.
    pub fn get_tag(&mut self, tag: impl Into<IdOrName>) -> Handle<Option<Tag>> {
        self.call("getTag", (tag.into(),))
    }

    /// Queues `getPackage(package)` (a name or an id): `None` when there is
    /// no such package.
    pub fn get_package(&mut self, package: impl Into<IdOrName>) -> Handle<Option<Package>> {
        self.call("getPackage", (package.into(),))
    }

    fn enqueue(&mut self, mut slot: Box<dyn Slot>, encoded: Result<Encoded>) {
        let index = self.calls;
        self.calls += 1;
        match encoded {
            Ok(encoded) => {
                let start = self.arena.len();
                self.arena.extend_from_slice(encoded.call());
                self.queued.push(Queued {
                    index,
                    bytes: start..self.arena.len(),
                    slot,
                });
            }
            Err(e) => {
                let e = e.context(slot.method(), self.conn.server_url());
                self.local_failure(index, &e);
                slot.set_error(e);
                slot.deliver();
            }
        }
    }

    fn local_failure(&mut self, index: usize, e: &Error) {
        self.local_failures += 1;
        if self.first_local_failure.is_none() {
            self.first_local_failure = Some((index, e.duplicate()));
        }
    }

    /// Sends every queued call, in chunks, and waits until each call's
    /// handle has its result.
    ///
    /// Fails only in [`strict`](Self::strict) mode (with the first failed
    /// call's error); otherwise failures are in the handles and counted in
    /// the [`Summary`]. Dropping the future before it completes leaves the
    /// unanswered calls' handles with an error ([`Error::is_not_sent`]).
    pub async fn send(mut self) -> Result<Summary> {
        let env = envelope();
        let room = self
            .max_request_size
            .saturating_sub(env.head.len() + env.foot.len());
        // Plan the chunks: runs of consecutive calls within both limits.
        let queued = std::mem::take(&mut self.queued);
        let mut chunks: VecDeque<Chunk> = VecDeque::new();
        let mut current: Option<Chunk> = None;
        for q in queued {
            let size = q.bytes.len();
            if size > room {
                let e = Error::new(Kind::Encode)
                    .with_source(format!(
                        "the call is {} bytes encoded, too big for a multicall request of at most {} bytes",
                        size + env.head.len() + env.foot.len(),
                        self.max_request_size
                    ))
                    .context(q.slot.method(), self.conn.server_url());
                self.local_failure(q.index, &e);
                let mut slot = q.slot;
                slot.set_error(e);
                slot.deliver();
                if let Some(c) = current.take() {
                    chunks.push_back(c);
                }
                continue;
            }
            if let Some(c) = current.as_ref() {
                if c.slots.len() >= self.max_calls || c.bytes.len() + size > room {
                    chunks.extend(current.take());
                }
            }
            let c = current.get_or_insert_with(|| Chunk {
                number: 0,
                bytes: q.bytes.start..q.bytes.start,
                slots: Vec::new(),
                indexes: Vec::new(),
            });
            c.bytes.end = q.bytes.end;
            c.slots.push(q.slot);
            c.indexes.push(q.index);
        }
        chunks.extend(current.take());
        for (n, c) in chunks.iter_mut().enumerate() {
            c.number = n;
        }

        let chunks_total = chunks.len();
        let calls_total: usize = chunks.iter().map(|c| c.slots.len()).sum();
        let lanes: Vec<Connection> = if !self.lanes.is_empty() {
            std::mem::take(&mut self.lanes)
        } else if self.conn.is_logged_in() || self.conn.session_id().is_some() {
            vec![self.conn.clone()]
        } else {
            vec![self.conn.clone(); self.concurrency.min(chunks_total.max(1))]
        };
        let span = tracing::debug_span!(
            "koji_multicall",
            calls = self.calls,
            chunks = chunks_total,
            lanes = lanes.len()
        );
        let driven = drive(Drive {
            chunks,
            lanes,
            arena: std::mem::take(&mut self.arena),
            strict: self.strict,
            hook: self.progress.take(),
            progress: Progress {
                calls_done: 0,
                calls_total,
                chunks_done: 0,
                chunks_total,
            },
        })
        .instrument(span)
        .await;
        let summary = Summary {
            calls: self.calls,
            chunks: chunks_total,
            failed_calls: self.local_failures + driven.failed_calls,
            failed_chunks: driven.failed_chunks,
        };
        let first_failure = match (self.first_local_failure.take(), driven.first_error) {
            (Some((a, ea)), Some((b, eb))) => Some(if a < b { ea } else { eb }),
            (a, b) => a.or(b).map(|(_, e)| e),
        };
        match first_failure {
            Some(e) if self.strict => Err(e),
            _ => Ok(summary),
        }
    }

    /// Sends every queued call (see [`send`](Self::send)) and returns the
    /// results of the calls queued with [`push`](Self::push) /
    /// [`push_with`](Self::push_with), in order: each the hub's answer as a
    /// [`Value`], or that call's error. Calls queued with a handle get their
    /// results through their handles as usual.
    pub async fn send_values(mut self) -> Result<Vec<Result<Value>>> {
        let pushed = std::mem::take(&mut self.pushed);
        self.send().await?;
        Ok(pushed.into_iter().map(Handle::result).collect())
    }
}

/// A run of consecutive calls sent as one request.
struct Chunk {
    number: usize,
    /// The calls' bytes in the arena.
    bytes: Range<usize>,
    slots: Vec<Box<dyn Slot>>,
    /// The calls' queue positions.
    indexes: Vec<usize>,
}

/// Everything the chunk scheduler needs, owned (so that the future of
/// [`Multicall::send`] is `Send`).
struct Drive {
    chunks: VecDeque<Chunk>,
    /// Connections that send one chunk at a time each.
    lanes: Vec<Connection>,
    arena: Vec<u8>,
    strict: bool,
    hook: Option<ProgressFn>,
    progress: Progress,
}

/// What the scheduler saw.
struct Driven {
    failed_calls: usize,
    failed_chunks: usize,
    /// The first failed call in queue order (strict mode only).
    first_error: Option<(usize, Error)>,
}

/// Sends the chunks, each on a free lane, and gathers their reports.
async fn drive(d: Drive) -> Driven {
    let Drive {
        mut chunks,
        lanes: mut free,
        arena,
        strict,
        hook,
        mut progress,
    } = d;
    let report = |p: Progress| {
        if let Some(hook) = &hook {
            hook(p);
        }
    };
    report(progress);
    let env = envelope();
    // Lanes are taken from the end: reverse so the first lane starts first.
    free.reverse();
    let mut out = Driven {
        failed_calls: 0,
        failed_chunks: 0,
        first_error: None,
    };
    let mut running: JoinSet<(Connection, ChunkReport)> = JoinSet::new();
    loop {
        while !chunks.is_empty() {
            let Some(lane) = free.pop() else { break };
            let Some(chunk) = chunks.pop_front() else {
                free.push(lane);
                break;
            };
            let body = chunk_body(env, &arena, chunk.bytes.clone());
            let span = tracing::debug_span!("koji_multicall_chunk", chunk = chunk.number);
            running
                .spawn(run_chunk(lane, body, chunk.slots, chunk.indexes, strict).instrument(span));
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (lane, chunk) = match joined {
            Ok(done) => done,
            // A panic in a chunk (e.g. in a caller's Deserialize impl) is
            // the caller's panic.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => continue,
        };
        free.push(lane);
        out.failed_calls += chunk.failed;
        out.failed_chunks += usize::from(chunk.chunk_failed);
        if let Some((index, e)) = chunk.first_error {
            if out.first_error.as_ref().is_none_or(|(i, _)| index < *i) {
                out.first_error = Some((index, e));
            }
        }
        progress.calls_done += chunk.calls;
        progress.chunks_done += 1;
        report(progress);
    }
    out
}

/// What became of one chunk.
struct ChunkReport {
    calls: usize,
    failed: usize,
    chunk_failed: bool,
    /// The first failed call (strict mode only).
    first_error: Option<(usize, Error)>,
}

/// The request body of a chunk: the envelope around its calls' bytes.
fn chunk_body(env: &Envelope, arena: &[u8], bytes: Range<usize>) -> Vec<u8> {
    let calls = arena.get(bytes).unwrap_or_default();
    let mut body = Vec::with_capacity(env.head.len() + calls.len() + env.foot.len());
    body.extend_from_slice(&env.head);
    body.extend_from_slice(calls);
    body.extend_from_slice(&env.foot);
    body
}

/// Sends one chunk, with the connection's retries (and session, when
/// logged in), and delivers each call's result to its handle.
async fn run_chunk(
    conn: Connection,
    body: Vec<u8>,
    mut slots: Vec<Box<dyn Slot>>,
    indexes: Vec<usize>,
    strict: bool,
) -> (Connection, ChunkReport) {
    let calls = slots.len();
    tracing::debug!(calls, bytes = body.len(), "sending multicall chunk");
    let call = PreparedCall::new(METHOD, body);
    let url = conn.server_url().to_owned();
    let outcome = conn
        .execute_with(&call, |bytes, headers| {
            decode_chunk(bytes, headers, &mut slots, &url)
        })
        .await;
    let chunk_failed = match outcome {
        Ok(()) => false,
        Err(e) => {
            tracing::debug!(error = %e, "multicall chunk failed");
            for slot in &mut slots {
                slot.set_error(e.duplicate());
            }
            true
        }
    };
    let mut report = ChunkReport {
        calls,
        failed: 0,
        chunk_failed,
        first_error: None,
    };
    for (index, slot) in indexes.into_iter().zip(slots) {
        if let Some(e) = slot.error() {
            report.failed += 1;
            if strict && report.first_error.is_none() {
                report.first_error = Some((index, e.duplicate()));
            }
        }
        slot.deliver();
    }
    (conn, report)
}

/// Decodes a chunk's response into its slots. An error here is the whole
/// chunk's (a fault of the multicall itself, a body that is not the answer).
fn decode_chunk(
    body: &[u8],
    headers: &HeaderMap,
    slots: &mut [Box<dyn Slot>],
    url: &str,
) -> Result<()> {
    if let Some(first) = slots.first() {
        let ty = first.result_type();
        if slots.iter().all(|s| s.result_type() == ty) {
            match first.decode_all(body) {
                Ok(Ok((mut entries, count))) => {
                    check_count(count, slots.len())?;
                    for slot in slots.iter_mut() {
                        slot.take_entry(&mut *entries, url);
                    }
                    return Ok(());
                }
                Ok(Err(fault)) => return Err(Error::fault(fault.code, fault.string)),
                // A result that does not fit its type, or a broken body: the
                // slower path below says which call, or what is wrong.
                Err(_) => {}
            }
        }
    }
    let entries = match koji_xmlrpc::decode_response::<Vec<Value>>(body) {
        Ok(Ok(entries)) => entries,
        Ok(Err(fault)) => return Err(Error::fault(fault.code, fault.string)),
        Err(e) if looks_like_xmlrpc(body) => return Err(Error::decode(e)),
        Err(e) => return Err(Error::not_xmlrpc(content_type(headers), body).with_source(e)),
    };
    check_count(entries.len(), slots.len())?;
    for (slot, entry) in slots.iter_mut().zip(entries) {
        match split_entry(entry) {
            Ok(value) => slot.set_value(value, url),
            Err(e) => {
                let e = e.context(slot.method(), url);
                slot.set_error(e);
            }
        }
    }
    Ok(())
}

fn check_count(got: usize, want: usize) -> Result<()> {
    if got == want {
        return Ok(());
    }
    Err(Error::new(Kind::Decode).with_source(format!(
        "the hub answered {got} results to a multicall of {want} calls"
    )))
}

/// One entry of a multicall answer, decoded as a [`Value`]: the call's
/// result, or its fault.
fn split_entry(entry: Value) -> Result<Value> {
    match entry {
        Value::Array(mut items) if items.len() == 1 => Ok(items.pop().unwrap_or(Value::Nil)),
        Value::Array(items) => Err(malformed(format!(
            "a result entry must hold one value, this one holds {}",
            items.len()
        ))),
        Value::Struct(mut s) => {
            let code = s.shift_remove("faultCode");
            let string = s.shift_remove("faultString");
            match (code, string) {
                (Some(Value::Int(code)), Some(Value::String(string))) => {
                    let traceback = s.shift_remove("traceback").and_then(traceback_lines);
                    Err(fault_error(code, string, traceback))
                }
                _ => Err(malformed(
                    "a fault entry needs an integer faultCode and a string faultString".into(),
                )),
            }
        }
        other => Err(malformed(format!(
            "an entry must be an array or a fault struct, not {}",
            value_kind(&other)
        ))),
    }
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Double(_) => "a double",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Struct(_) => "a struct",
        _ => "another type",
    }
}

fn malformed(detail: String) -> Error {
    Error::new(Kind::Decode).with_source(format!("malformed multicall entry: {detail}"))
}

fn traceback_lines(v: Value) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// A call's fault, as the single call would report it (plus the hub's
/// traceback, when the entry had one).
fn fault_error(code: i64, string: String, traceback: Option<Vec<String>>) -> Error {
    let mut e = Error::fault(code, string);
    if let Some(lines) = traceback {
        e = e.with_source(HubTraceback { lines });
    }
    e.set_attempts(1);
    e
}

// ---------------------------------------------------------------------------
// Encoding

/// The `system.multicall` request around the calls.
struct Envelope {
    head: Vec<u8>,
    foot: Vec<u8>,
}

/// The envelope koji-xmlrpc's `MulticallWriter` writes, split where the
/// calls go.
fn envelope() -> &'static Envelope {
    static ENVELOPE: OnceLock<Envelope> = OnceLock::new();
    ENVELOPE.get_or_init(|| {
        let empty = MulticallWriter::new().finish();
        let marker = b"<array><data>\n";
        let split = empty
            .windows(marker.len())
            .position(|w| w == marker)
            .map_or(empty.len(), |p| p + marker.len());
        let (head, foot) = empty.split_at(split);
        Envelope {
            head: head.to_vec(),
            foot: foot.to_vec(),
        }
    })
}

/// One call encoded as a multicall entry (`<value><struct>…</struct></value>\n`),
/// byte for byte as koji's client writes it: the writer's whole document and
/// where the call is in it (saves copying it before it goes to the arena).
fn fragment<P: Serialize + ?Sized>(method: &str, params: &P) -> Result<Encoded> {
    let mut w = MulticallWriter::new();
    w.call(method, params)
        .map_err(|e| Error::new(Kind::Encode).with_source(e))?;
    let doc = w.finish();
    let env = envelope();
    let call = env.head.len()..doc.len().saturating_sub(env.foot.len());
    if call.start <= call.end && doc.starts_with(&env.head) && doc.ends_with(&env.foot) {
        Ok(Encoded { doc, call })
    } else {
        Err(Error::new(Kind::Encode)
            .with_source("the multicall writer's output has an unexpected layout"))
    }
}

/// A call encoded by [`fragment`].
struct Encoded {
    doc: Vec<u8>,
    call: Range<usize>,
}

impl Encoded {
    fn call(&self) -> &[u8] {
        self.doc.get(self.call.clone()).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------
// Results

/// The result of one queued call: available after [`Multicall::send`]
/// with [`result`](Handle::result), or awaited (it resolves as soon as the
/// call's chunk has been answered, so a task can process early results
/// while `send` is still running elsewhere).
///
/// ```no_run
/// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
/// let mut m = koji.multicall();
/// let first = m.get_build(3);
/// let sending = tokio::spawn(m.send());
/// let build = first.await?; // as soon as its chunk is answered
/// sending.await.expect("send panicked")?;
/// # Ok(()) }
/// ```
#[must_use = "a handle is how a queued call's result is read"]
pub struct Handle<T> {
    /// Results travel boxed: a queued call then costs a few small
    /// allocations, not room for a `T` (a `Build` is over a kilobyte).
    rx: oneshot::Receiver<Box<Result<T>>>,
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("type", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

impl<T> Handle<T> {
    /// The call's result: its answer decoded into `T`, or its own error (a
    /// fault exactly as the single call would give it, an encoding error,
    /// or the error of its failed chunk). An error with
    /// [`Error::is_not_sent`] if the multicall was not sent (or not yet
    /// answered this call).
    pub fn result(mut self) -> Result<T> {
        match self.rx.try_recv() {
            Ok(result) => *result,
            Err(_) => Err(Error::not_sent()),
        }
    }
}

impl<T: Send + 'static> IntoFuture for Handle<T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            match self.rx.await {
                Ok(result) => *result,
                Err(_) => Err(Error::not_sent()),
            }
        })
    }
}

/// Where one call's result goes, whatever its type.
trait Slot: Send {
    fn method(&self) -> &str;
    /// The result type, to recognise chunks decodable in one pass.
    fn result_type(&self) -> TypeId;
    /// Decodes a whole chunk answer as entries of this slot's type: an
    /// iterator over them (for [`take_entry`](Self::take_entry)) and their number.
    #[allow(clippy::type_complexity)]
    fn decode_all(
        &self,
        body: &[u8],
    ) -> std::result::Result<
        std::result::Result<(Box<dyn Any + Send>, usize), koji_xmlrpc::Fault>,
        koji_xmlrpc::Error,
    >;
    /// Takes the next entry from what [`decode_all`](Self::decode_all) of a
    /// slot of the same type returned.
    fn take_entry(&mut self, entries: &mut (dyn Any + Send), url: &str);
    /// Takes the result as a decoded [`Value`].
    fn set_value(&mut self, value: Value, url: &str);
    fn set_error(&mut self, e: Error);
    fn error(&self) -> Option<&Error>;
    /// Hands the result to the handle.
    fn deliver(self: Box<Self>);
}

struct TypedSlot<T> {
    method: Box<str>,
    tx: oneshot::Sender<Box<Result<T>>>,
    pending: Option<Box<Result<T>>>,
}

impl<T: DeserializeOwned + Send + 'static> TypedSlot<T> {
    fn new(method: &str) -> (TypedSlot<T>, Handle<T>) {
        let (tx, rx) = oneshot::channel();
        (
            TypedSlot {
                method: method.into(),
                tx,
                pending: None,
            },
            Handle { rx },
        )
    }
}

type Entries<T> = std::vec::IntoIter<Entry<T>>;

impl<T: DeserializeOwned + Send + 'static> Slot for TypedSlot<T> {
    fn method(&self) -> &str {
        &self.method
    }

    fn result_type(&self) -> TypeId {
        TypeId::of::<T>()
    }

    fn decode_all(
        &self,
        body: &[u8],
    ) -> std::result::Result<
        std::result::Result<(Box<dyn Any + Send>, usize), koji_xmlrpc::Fault>,
        koji_xmlrpc::Error,
    > {
        Ok(
            koji_xmlrpc::decode_response::<Vec<Entry<T>>>(body)?.map(|entries| {
                let n = entries.len();
                (Box::new(entries.into_iter()) as Box<dyn Any + Send>, n)
            }),
        )
    }

    fn take_entry(&mut self, entries: &mut (dyn Any + Send), url: &str) {
        let entry = entries
            .downcast_mut::<Entries<T>>()
            .and_then(Iterator::next);
        self.pending = Some(Box::new(match entry {
            Some(Entry::Ok(v)) => Ok(v),
            Some(Entry::Fault(f)) => {
                Err(fault_error(f.code, f.string, f.traceback).context(&self.method, url))
            }
            // Not reached: the caller checked the types and the count.
            None => Err(check_count(0, 1)
                .err()
                .unwrap_or_else(|| Error::new(Kind::Decode))
                .context(&self.method, url)),
        }));
    }

    fn set_value(&mut self, value: Value, url: &str) {
        // A `Value` is taken as it is; other types are decoded from it.
        let any: Box<dyn Any> = Box::new(value);
        let result = match any.downcast::<T>() {
            Ok(v) => Ok(*v),
            Err(any) => match any.downcast::<Value>() {
                Ok(value) => koji_xmlrpc::from_value::<T>(*value)
                    .map_err(|e| Error::decode(e).context(&self.method, url)),
                Err(_) => Err(Error::new(Kind::Decode).context(&self.method, url)),
            },
        };
        self.pending = Some(Box::new(result));
    }

    fn set_error(&mut self, e: Error) {
        self.pending = Some(Box::new(Err(e)));
    }

    fn error(&self) -> Option<&Error> {
        match self.pending.as_deref() {
            Some(Err(e)) => Some(e),
            _ => None,
        }
    }

    fn deliver(self: Box<Self>) {
        let result = self
            .pending
            .unwrap_or_else(|| Box::new(Err(Error::not_sent())));
        // The handle may have been dropped: nobody wants the result then.
        let _ = self.tx.send(result);
    }
}

/// A multicall entry decoded straight into the call's type.
enum Entry<T> {
    Ok(T),
    Fault(EntryFault),
}

struct EntryFault {
    code: i64,
    string: String,
    traceback: Option<Vec<String>>,
}

impl<'de, T: de::Deserialize<'de>> de::Deserialize<'de> for Entry<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(EntryVisitor(PhantomData))
    }
}

struct EntryVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: de::Deserialize<'de>> Visitor<'de> for EntryVisitor<T> {
    type Value = Entry<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a multicall entry: a one-value array or a fault struct")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Entry<T>, A::Error> {
        let Some(value) = seq.next_element::<T>()? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(2, &self));
        }
        Ok(Entry::Ok(value))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Entry<T>, A::Error> {
        let mut code = None;
        let mut string = None;
        let mut traceback = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "faultCode" => code = Some(map.next_value::<i64>()?),
                "faultString" => string = Some(map.next_value::<String>()?),
                "traceback" => traceback = traceback_lines(map.next_value::<Value>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match (code, string) {
            (Some(code), Some(string)) => Ok(Entry::Fault(EntryFault {
                code,
                string,
                traceback,
            })),
            (None, _) => Err(de::Error::missing_field("faultCode")),
            (_, None) => Err(de::Error::missing_field("faultString")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn envelope_and_fragments_rebuild_the_writers_document() {
        let mut w = MulticallWriter::new();
        w.call("getBuild", &(3,)).unwrap();
        w.call("echo", &(1, "a<b", ())).unwrap();
        let whole = w.finish();
        let env = envelope();
        let mut mine = env.head.clone();
        mine.extend(fragment("getBuild", &(3,)).unwrap().call());
        mine.extend(fragment("echo", &(1, "a<b", ())).unwrap().call());
        mine.extend(&env.foot);
        assert_eq!(
            String::from_utf8(mine).unwrap(),
            String::from_utf8(whole).unwrap()
        );
        assert!(env.head.ends_with(b"<value><array><data>\n"));
        assert!(env.foot.starts_with(b"</data></array></value>\n</param>"));
    }

    #[test]
    fn entries_split_into_results_and_faults() {
        assert_eq!(
            split_entry(Value::Array(vec![Value::Int(1)])).unwrap(),
            Value::Int(1)
        );
        assert_eq!(
            split_entry(Value::Array(vec![Value::Nil])).unwrap(),
            Value::Nil
        );
        let mut s = koji_xmlrpc::Struct::new();
        s.insert("faultCode".into(), Value::Int(1000));
        s.insert("faultString".into(), "No such build".into());
        s.insert(
            "traceback".into(),
            Value::Array(vec![
                "Traceback\n".into(),
                "koji.GenericError: No such build\n".into(),
            ]),
        );
        let e = split_entry(Value::Struct(s)).unwrap_err();
        assert_eq!(e.fault_code(), Some(1000));
        assert_eq!(e.fault_string(), Some("No such build"));
        assert_eq!(e.hub_traceback().unwrap().len(), 2);
        let shown = std::error::Error::source(&e).unwrap().to_string();
        assert!(
            shown.ends_with("koji.GenericError: No such build"),
            "{shown}"
        );
        for bad in [
            Value::Array(vec![]),
            Value::Array(vec![Value::Int(1), Value::Int(2)]),
            Value::Int(3),
            Value::Struct(koji_xmlrpc::Struct::new()),
        ] {
            let e = split_entry(bad).unwrap_err();
            assert!(e.is_decode() && !e.is_fault(), "{e}");
            assert!(e.to_string().contains("malformed multicall entry"), "{e}");
        }
    }

    #[test]
    fn handles_of_unsent_calls_say_so() {
        let koji = Connection::new("http://127.0.0.1:1/kojihub").unwrap();
        let mut m = koji.multicall();
        let h = m.call::<i64>("getAPIVersion", ());
        assert_eq!(m.len(), 1);
        drop(m);
        assert!(h.result().unwrap_err().is_not_sent());
    }

    #[test]
    fn encoding_errors_stay_with_their_call() {
        let koji = Connection::new("http://127.0.0.1:1/kojihub").unwrap();
        let mut m = koji.multicall();
        let bad = m.call::<Value>("echo", (f64::NAN,));
        let not_a_sequence = m.call::<Value>("echo", 5);
        let good = m.call::<Value>("echo", (1,));
        assert_eq!(m.len(), 3);
        assert_eq!(m.queued.len(), 1);
        let e = bad.result().unwrap_err();
        assert!(e.is_encode(), "{e}");
        assert_eq!(e.method(), Some("echo"));
        assert!(not_a_sequence.result().unwrap_err().is_encode());
        drop(m);
        assert!(good.result().unwrap_err().is_not_sent());
    }
}
