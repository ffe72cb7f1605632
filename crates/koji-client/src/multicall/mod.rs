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
//! [`send_json`](Multicall::send_json) streams every call's result as JSON
//! instead, in order, as the answers arrive, in bounded memory whatever
//! their size (what `rkoji multicall` prints).
//!
//! # Speed
//!
//! Each call is encoded when it is queued, straight from its arguments into
//! the request bytes (no [`Value`] tree); a chunk's body is those bytes
//! copied once between the `system.multicall` envelope. A chunk whose calls
//! all have the same result type is decoded in one pass straight into that
//! type; other chunks are decoded as [`Value`]s first and then converted
//! call by call (which also pinpoints a result that does not fit its type).

// The parts, in the order a multicall goes through them: `encode` (each
// call to bytes as it is queued), `plan` (the queue cut into chunks),
// `drive` (the chunks sent over lanes), `decode` (each answer into its
// calls' slots, one `entry` per call), `handle` (where each call's result waits).
mod decode;
mod drive;
mod encode;
mod entry;
mod handle;
mod json;
mod plan;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use koji_xmlrpc::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::api::BuildRef;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::model::{Build, IdOrName, Package, Tag, Task, User};
use crate::request::{args_to_values, kwargs_to_struct};

use drive::{Drive, drive};
use encode::{Encoded, fragment};
pub use handle::Handle;
use handle::{Slot, TypedSlot};
pub use json::{JsonItem, JsonResults, Unsendable};

/// Default largest number of calls in one chunk (one `system.multicall`
/// request): 500, the top of the 100–500 range common koji tools use.
pub const DEFAULT_MAX_CALLS: usize = 500;

/// Default largest request body of one chunk: 4 MiB, the hub's default
/// `MaxRequestLength` (4194304 bytes; a body of exactly that size is accepted).
pub const DEFAULT_MAX_REQUEST_SIZE: usize = 4 * 1024 * 1024;

/// Default number of chunks sent at once by an anonymous connection.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The method multicalls are sent as (the hub also accepts `multiCall`).
pub(crate) const METHOD: &str = "system.multicall";

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

pub(crate) type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

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
pub(crate) struct Queued {
    /// Its position among all queued calls.
    pub(crate) index: usize,
    /// Its encoded bytes in the arena.
    pub(crate) bytes: Range<usize>,
    pub(crate) slot: Box<dyn Slot>,
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
        // Plan the chunks: runs of consecutive calls within both limits.
        let queued = std::mem::take(&mut self.queued);
        let planned = plan::plan(queued, self.max_calls, self.max_request_size);
        for (q, e) in planned.too_big {
            let e = e.context(q.slot.method(), self.conn.server_url());
            self.local_failure(q.index, &e);
            let mut slot = q.slot;
            slot.set_error(e);
            slot.deliver();
        }
        let chunks = planned.chunks;

        let chunks_total = chunks.len();
        let calls_total: usize = chunks.iter().map(|c| c.slots.len()).sum();
        let lanes = self.lanes_for(chunks_total);
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

    /// Sends every queued call and streams each call's result as JSON, in
    /// queue order, as the answers arrive: memory stays bounded whatever the
    /// size of the answers (no result is held; a single value larger than
    /// [`JsonOptions::max_value_size`](koji_xmlrpc::JsonOptions::max_value_size)
    /// ends the stream with an error).
    ///
    /// Each result is one line of JSON in `opts`' style
    /// ([`JsonStyle::SerdeJson`](koji_xmlrpc::JsonStyle::SerdeJson) writes
    /// exactly what `serde_json::to_string` writes for the result decoded
    /// into a [`Value`]; the indented [`JsonStyle::Koji`](koji_xmlrpc::JsonStyle::Koji)
    /// is written as [`Compact`](koji_xmlrpc::JsonStyle::Compact)). A call
    /// that failed with a hub fault gives [`JsonItem::Fault`]. A chunk whose
    /// request fails as a whole ends the stream with its error (the results
    /// before it have been given; a fault of the whole `system.multicall`
    /// is given as each of its calls' fault, as [`send`](Self::send) does).
    ///
    /// Chunks are planned and sent as by [`send`](Self::send) (same lanes,
    /// concurrency and retries, which apply until a chunk's first result
    /// has arrived); a chunk sent ahead is read only when its turn comes,
    /// so it waits mostly in the connection, not in memory. Handles of
    /// calls queued with [`call`](Self::call) get no result
    /// ([`Error::is_not_sent`]), and [`strict`](Self::strict) does not
    /// apply. Fails at once, sending nothing, if a queued call could not be
    /// encoded or is too big for a request.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// use std::io::Write;
    /// use futures_util::StreamExt;
    /// use koji_client::{JsonItem, JsonOptions, JsonStyle};
    ///
    /// let mut m = koji.multicall();
    /// m.push("listBuilds", ());
    /// m.push("getBuild", ("no-such-1-1", true));
    /// let mut results = m
    ///     .send_json(JsonOptions::new().style(JsonStyle::SerdeJson))
    ///     .map_err(|u| u.error)?;
    /// let mut out = std::io::stdout().lock();
    /// while let Some(item) = results.next().await {
    ///     match item? {
    ///         JsonItem::Piece(json) => out.write_all(&json).ok(),
    ///         JsonItem::End => out.write_all(b"\n").ok(),
    ///         JsonItem::Fault(e) => writeln!(out, "fault: {e}").ok(),
    ///         _ => None,
    ///     };
    /// }
    /// # Ok(()) }
    /// ```
    pub fn send_json(
        mut self,
        opts: koji_xmlrpc::JsonOptions,
    ) -> std::result::Result<JsonResults, Unsendable> {
        let queued = std::mem::take(&mut self.queued);
        let planned = plan::plan(queued, self.max_calls, self.max_request_size);
        let mut first = self.first_local_failure.take();
        for (q, e) in planned.too_big {
            if first.as_ref().is_none_or(|(i, _)| q.index < *i) {
                let e = e.context(q.slot.method(), self.conn.server_url());
                first = Some((q.index, e));
            }
        }
        if let Some((index, error)) = first {
            return Err(Unsendable { index, error });
        }
        let chunks: std::collections::VecDeque<json::PendingChunk> = planned
            .chunks
            .into_iter()
            .map(|c| json::PendingChunk {
                bytes: c.bytes,
                methods: c.slots.iter().map(|s| s.method().to_owned()).collect(),
            })
            .collect();
        let lanes = self.lanes_for(chunks.len());
        Ok(json::Driver::new(
            chunks,
            lanes,
            std::mem::take(&mut self.arena),
            opts,
            self.progress.take(),
        )
        .into_stream())
    }

    /// The connections that send the chunks: the given lanes, else one
    /// (logged in) or up to `concurrency` clones of the connection.
    fn lanes_for(&mut self, chunks: usize) -> Vec<Connection> {
        if !self.lanes.is_empty() {
            std::mem::take(&mut self.lanes)
        } else if self.conn.is_logged_in() {
            vec![self.conn.clone()]
        } else {
            vec![self.conn.clone(); self.concurrency.min(chunks.max(1))]
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
