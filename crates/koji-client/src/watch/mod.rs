//! Following task trees until they finish: [`Connection::watch_tasks`].
//!
//! The watcher knows the tasks it was given and every descendent the hub
//! reports under them, and yields a [`WatchEvent`] for each task it first
//! sees and each state change, then a [`WatchSummary`]. Open tasks carry our
//! [estimate](crate::estimate) of their completion.
//!
//! Every poll is **one** `system.multicall` request for all the trees:
//! `getTaskInfo(root, request=True)` and `getTaskDescendents(root,
//! request=True)` per watched root (koji's CLI sends `getTaskInfo` and
//! `getTaskChildren` for every task of the tree, one request each). A
//! second request happens only when something new must be looked up: the
//! fault text of a task that just failed (`getTaskResult`), the name of a
//! host not seen before (`getHost`), and the average build duration of a
//! package not seen before (for the estimate).
//!
//! # Drivers: polling and the message bus
//!
//! Polling runs every `poll_interval` (koji's default: 6 s). With a
//! message bus — [`WatchBuilder::bus`] with a consumer's
//! [`EventStream`](crate::messages::EventStream), or
//! [`WatchBuilder::bus_signals`] / [`WatchBuilder::wake_on`] with a stream
//! of your own — a `task.state.change` message for a watched task (or for a
//! new child of one), or a build state change of a watched build task,
//! triggers a poll at once (messages arriving together share one poll);
//! polling then continues at the slow `reconcile_interval` to catch
//! anything a message missed. The messages only say *when* to look: states
//! always come from the hub, so a lost, duplicated or reordered message can
//! make the watcher late, never wrong, and messages about other tasks cost
//! nothing.
//!
//! While the consumer is not connected (connecting, connection lost,
//! reconnecting), after it failed ([`ConsumerError`](crate::messages::ConsumerError))
//! or when its stream ended, the watcher polls every `poll_interval`; when
//! the consumer connects again, it polls once at once (to see what happened
//! while no message could arrive) and goes back to the bus. Each switch is
//! a [`WatchEvent::Driver`] event saying which driver is active and why.
//!
//! ```no_run
//! # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
//! use futures_util::StreamExt;
//! use koji_client::watch::WatchEvent;
//!
//! let mut events = koji.watch_tasks([43]).stream();
//! while let Some(event) = events.next().await {
//!     match event? {
//!         WatchEvent::Seen(t) | WatchEvent::Changed(t) => {
//!             println!("{} {}: {:?} -> {:?} eta {:?}", t.id, t.label, t.old, t.new, t.eta)
//!         }
//!         WatchEvent::Driver(d) => println!("now {:?}: {}", d.driver, d.reason),
//!         WatchEvent::Done(summary) => println!("all done, success: {}", summary.success()),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```

#[cfg(test)]
mod tests;

mod bus;

pub use bus::BusSignal;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use jiff::{SignedDuration, Timestamp};

use crate::estimate::EstimateInputs;
use crate::{Connection, Error, Result, Task, TaskDescendents, TaskState};

/// koji's default `poll_interval`.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(6);

/// How often a message-driven watch still polls, to reconcile.
pub const DEFAULT_RECONCILE_INTERVAL: Duration = Duration::from_secs(60);

/// A task first seen or changed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TaskUpdate {
    /// Task id.
    pub id: i64,
    /// The watched root the task belongs to.
    pub root: i64,
    /// 0 for a root, 1 for its children, ...
    pub depth: usize,
    /// The method (`build`, `buildArch`, `tagBuild`, ...).
    pub method: String,
    /// koji's label for the task: `build (f40-candidate, hello.git:abc)`,
    /// `buildArch (hello-1.0-1.src.rpm, x86_64)`.
    pub label: String,
    /// The state before (None on first sight).
    pub old: Option<TaskState>,
    /// The state now.
    pub new: TaskState,
    /// The host's name, for a task that has one.
    pub host: Option<String>,
    /// Our estimate of completion, for open tasks (None when there is
    /// nothing to base one on).
    pub eta: Option<Timestamp>,
    /// For a FAILED task: `<FaultName>: <fault text>` from `getTaskResult`.
    pub failure: Option<String>,
    /// The task as the hub reported it.
    pub task: Task,
}

/// One item of a watch.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WatchEvent {
    /// A task seen for the first time (the roots at the start, children as
    /// they appear).
    Seen(TaskUpdate),
    /// A task whose state changed.
    Changed(TaskUpdate),
    /// The watcher switched drivers: the message bus connected, or was
    /// lost and polling took over.
    Driver(DriverChange),
    /// Every watched task has finished. Always the last item.
    Done(WatchSummary),
}

/// What decides when the watcher polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatchDriver {
    /// Polling every `poll_interval`.
    Polling,
    /// Messages from the bus, with a reconciling poll every
    /// `reconcile_interval`.
    Bus,
}

/// A switch of drivers; see [`WatchEvent::Driver`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriverChange {
    /// The driver now active.
    pub driver: WatchDriver,
    /// Why: `connected to the message bus`, or what happened to the bus.
    pub reason: String,
}

/// How a finished task ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FinishedTask {
    /// Task id.
    pub id: i64,
    /// koji's label.
    pub label: String,
    /// CLOSED, CANCELED or FAILED.
    pub state: TaskState,
    /// The failure text of a FAILED task.
    pub failure: Option<String>,
}

/// The end of a watch.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct WatchSummary {
    /// The watched roots, in the order given.
    pub roots: Vec<FinishedTask>,
    /// Every failed or canceled task, roots and descendents, by id.
    pub unsuccessful: Vec<FinishedTask>,
    /// Polls made (hub round trips for states).
    pub polls: u64,
    /// Of those, the polls a bus message triggered.
    pub woken_polls: u64,
    /// All requests sent to the hub by the watcher.
    pub requests: u64,
}

impl WatchSummary {
    /// True when every watched root CLOSED (koji's exit status 0). A failed
    /// child under a successful parent does not change it, as in koji.
    pub fn success(&self) -> bool {
        self.roots.iter().all(|t| t.state == TaskState::Closed)
    }
}

/// A watch being set up; see [`Connection::watch_tasks`].
#[must_use = "a watch does nothing until its stream is polled"]
pub struct WatchBuilder {
    koji: Connection,
    roots: Vec<i64>,
    poll_interval: Duration,
    reconcile_interval: Duration,
    estimates: bool,
    bus: Option<SignalStream>,
    bus_up: bool,
}

type SignalStream = Pin<Box<dyn Stream<Item = BusSignal> + Send>>;

impl std::fmt::Debug for WatchBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchBuilder")
            .field("roots", &self.roots)
            .field("poll_interval", &self.poll_interval)
            .field("reconcile_interval", &self.reconcile_interval)
            .field("estimates", &self.estimates)
            .field("bus", &self.bus.is_some())
            .finish()
    }
}

impl Connection {
    /// Watches these tasks and all their descendents until every one has
    /// finished. Needs no login.
    pub fn watch_tasks(&self, task_ids: impl IntoIterator<Item = i64>) -> WatchBuilder {
        WatchBuilder {
            koji: self.clone(),
            roots: task_ids.into_iter().collect(),
            poll_interval: DEFAULT_POLL_INTERVAL,
            reconcile_interval: DEFAULT_RECONCILE_INTERVAL,
            estimates: true,
            bus: None,
            bus_up: false,
        }
    }
}

impl WatchBuilder {
    /// Time between polls (the profile's `poll_interval`; koji's default 6 s).
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// Time between reconciling polls while the bus driver is active
    /// (default 60 s).
    pub fn reconcile_interval(mut self, every: Duration) -> Self {
        self.reconcile_interval = every;
        self
    }

    /// Whether to estimate completion of open tasks (default true; costs
    /// one `getAverageBuildDuration` per package, once).
    pub fn estimates(mut self, on: bool) -> Self {
        self.estimates = on;
        self
    }

    /// Polls as soon as an item arrives (a task id; finished tasks are
    /// ignored, and unknown ids are taken as possible new children), and
    /// only every `reconcile_interval` otherwise. The source counts as
    /// connected from the start; its end switches to polling. See the
    /// module docs.
    pub fn wake_on(mut self, ids: impl Stream<Item = i64> + Send + 'static) -> Self {
        self.bus = Some(Box::pin(ids.map(BusSignal::Id)));
        self.bus_up = true;
        self
    }

    /// The bus driver from a stream of [`BusSignal`]s: task messages,
    /// and the connection going up and down. The watcher starts polling at
    /// `poll_interval` and switches to the bus at the first
    /// [`BusSignal::Up`]; the stream's end switches back to polling for
    /// good. [`WatchBuilder::bus`] makes these signals from a consumer.
    pub fn bus_signals(mut self, signals: impl Stream<Item = BusSignal> + Send + 'static) -> Self {
        self.bus = Some(Box::pin(signals));
        self.bus_up = false;
        self
    }

    /// The bus driver from a message consumer (`stomp`, `amqp` or `amqp1`
    /// feature): its task and build state changes trigger polls while it
    /// is [`Connected`](crate::messages::ConnectionState::Connected);
    /// otherwise, and after it failed or ended, the watcher polls every
    /// `poll_interval`. See the module docs.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
    /// # let events: koji_client::messages::EventStream = todo!();
    /// // events: from messages::stomp::subscribe, amqp or amqp1
    /// let summary = koji.watch_tasks([43]).bus(events).wait().await?;
    /// assert!(summary.success());
    /// # Ok(()) }
    /// ```
    #[cfg(any(feature = "stomp", feature = "amqp", feature = "amqp1"))]
    pub fn bus(self, events: crate::messages::EventStream) -> Self {
        self.bus_signals(bus::signals(events))
    }

    /// The events, ending with [`WatchEvent::Done`]. An error (the hub
    /// unreachable past the connection's retries, an unknown task id) ends
    /// the stream; the tasks themselves are never touched.
    pub fn stream(self) -> WatchStream {
        let state = Watcher {
            koji: self.koji,
            roots: self.roots,
            poll_interval: self.poll_interval,
            reconcile_interval: self.reconcile_interval,
            estimates: self.estimates,
            mode: if self.bus.is_some() && self.bus_up {
                WatchDriver::Bus
            } else {
                WatchDriver::Polling
            },
            bus: self.bus,
            next_poll: tokio::time::Instant::now(),
            woken_polls: 0,
            known: BTreeMap::new(),
            hosts: HashMap::new(),
            averages: HashMap::new(),
            pending: VecDeque::new(),
            failure_texts: HashMap::new(),
            polls: 0,
            requests: 0,
            started: false,
            finished: false,
        };
        let stream = futures_util::stream::unfold(state, |mut w| async move {
            let item = w.next_event().await?;
            Some((item, w))
        });
        WatchStream {
            inner: Box::pin(stream),
        }
    }

    /// Runs the watch to its end and returns the summary (the events are
    /// dropped).
    pub async fn wait(self) -> Result<WatchSummary> {
        let mut s = self.stream();
        while let Some(ev) = s.next().await {
            if let WatchEvent::Done(summary) = ev? {
                return Ok(summary);
            }
        }
        Err(Error::builder("the watch ended without a summary"))
    }
}

/// The events of a watch; see [`WatchBuilder::stream`].
#[must_use = "streams do nothing unless polled"]
pub struct WatchStream {
    inner: Pin<Box<dyn Stream<Item = Result<WatchEvent>> + Send>>,
}

impl std::fmt::Debug for WatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WatchStream")
    }
}

impl Stream for WatchStream {
    type Item = Result<WatchEvent>;
    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// What the watcher remembers of a task.
struct Known {
    state: TaskState,
    label: String,
    failure: Option<String>,
}

struct Watcher {
    koji: Connection,
    roots: Vec<i64>,
    poll_interval: Duration,
    reconcile_interval: Duration,
    estimates: bool,
    bus: Option<SignalStream>,
    mode: WatchDriver,
    next_poll: tokio::time::Instant,
    woken_polls: u64,
    known: BTreeMap<i64, Known>,
    hosts: HashMap<i64, Option<String>>,
    averages: HashMap<String, Option<SignedDuration>>,
    pending: VecDeque<WatchEvent>,
    /// Fault texts fetched for tasks that just failed.
    failure_texts: HashMap<i64, String>,
    polls: u64,
    requests: u64,
    started: bool,
    finished: bool,
}

/// A message about an unfinished task we watch, or about a new child of
/// a task we watch (a bare id with no parent may be one).
fn is_relevant(known: &BTreeMap<i64, Known>, signal: &BusSignal) -> bool {
    let (id, parent) = match signal {
        BusSignal::Task { id, parent } => (*id, Some(*parent)),
        BusSignal::Id(id) => (*id, None),
        BusSignal::Up | BusSignal::Down(_) => return false,
    };
    match (known.get(&id), parent) {
        (Some(k), _) => !k.state.is_done(),
        (None, None) => true,
        (None, Some(parent)) => parent.is_some_and(|p| known.contains_key(&p)),
    }
}

/// How a pause ended.
enum Resume {
    /// Time to poll.
    Poll,
    /// An event to yield first (a driver switch); the pause goes on after.
    Yield,
}

/// One poll's view of a tree.
struct Snapshot {
    root: i64,
    tasks: Vec<(Task, usize)>,
    tree: TaskDescendents,
}

impl Watcher {
    async fn next_event(&mut self) -> Option<Result<WatchEvent>> {
        loop {
            if let Some(ev) = self.pending.pop_front() {
                return Some(Ok(ev));
            }
            if self.finished {
                return None;
            }
            if self.started {
                if let Resume::Yield = self.pause().await {
                    continue;
                }
            } else {
                // A consumer already connected needs no catching up: the
                // first poll is about to look.
                self.drain_ready();
            }
            self.started = true;
            if let Err(e) = self.poll().await {
                self.finished = true;
                return Some(Err(e));
            }
        }
    }

    /// Waits for the next poll: the active driver's interval, or an
    /// earlier relevant message; stops early to report a driver switch.
    async fn pause(&mut self) -> Resume {
        loop {
            let Some(bus) = self.bus.as_mut() else {
                tokio::time::sleep_until(self.next_poll).await;
                return Resume::Poll;
            };
            let signal = tokio::select! {
                () = tokio::time::sleep_until(self.next_poll) => return Resume::Poll,
                signal = bus.next() => signal,
            };
            match signal {
                None => {
                    self.bus = None;
                    if self.switch(WatchDriver::Polling, "the message stream ended".into()) {
                        return Resume::Yield;
                    }
                }
                Some(BusSignal::Up) => {
                    if self.switch(WatchDriver::Bus, "connected to the message bus".into()) {
                        // Messages sent while we were not connected are lost:
                        // look now.
                        self.next_poll = tokio::time::Instant::now();
                        return Resume::Yield;
                    }
                }
                Some(BusSignal::Down(reason)) => {
                    if self.switch(WatchDriver::Polling, reason) {
                        return Resume::Yield;
                    }
                }
                Some(signal) if is_relevant(&self.known, &signal) => {
                    // Several messages often come together: take them in one
                    // poll.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    self.drain_ready();
                    self.woken_polls += 1;
                    return Resume::Poll;
                }
                Some(_) => {}
            }
        }
    }

    /// Takes the signals already waiting (they are covered by the poll
    /// about to be made), keeping track of the connection.
    fn drain_ready(&mut self) {
        use futures_util::FutureExt;
        while let Some(bus) = self.bus.as_mut() {
            match bus.next().now_or_never() {
                None => return,
                Some(None) => {
                    self.bus = None;
                    self.switch(WatchDriver::Polling, "the message stream ended".into());
                }
                Some(Some(BusSignal::Up)) => {
                    self.switch(WatchDriver::Bus, "connected to the message bus".into());
                }
                Some(Some(BusSignal::Down(reason))) => {
                    self.switch(WatchDriver::Polling, reason);
                }
                Some(Some(_)) => {}
            }
        }
    }

    /// Makes `driver` the active one; false when it already was.
    fn switch(&mut self, driver: WatchDriver, reason: String) -> bool {
        if self.mode == driver {
            return false;
        }
        self.mode = driver;
        if driver == WatchDriver::Polling {
            tracing::info!("{reason}; polling every {:?}", self.poll_interval);
            self.next_poll = self
                .next_poll
                .min(tokio::time::Instant::now() + self.poll_interval);
        } else {
            tracing::info!(
                "{reason}; polling every {:?} to reconcile",
                self.reconcile_interval
            );
        }
        self.pending
            .push_back(WatchEvent::Driver(DriverChange { driver, reason }));
        true
    }

    async fn poll(&mut self) -> Result<()> {
        let mut m = self.koji.multicall();
        let handles: Vec<_> = self
            .roots
            .iter()
            .map(|&root| {
                let info = m.get_task_info(root);
                let tree = m.call_with::<TaskDescendents>(
                    "getTaskDescendents",
                    (root,),
                    [("request", true)].into_iter().collect::<BTreeMap<_, _>>(),
                );
                (root, info, tree)
            })
            .collect();
        m.send().await?;
        self.polls += 1;
        self.requests += 1;
        self.next_poll = tokio::time::Instant::now()
            + match self.mode {
                WatchDriver::Polling => self.poll_interval,
                WatchDriver::Bus => self.reconcile_interval,
            };
        let mut snaps = Vec::new();
        for (root, info, tree) in handles {
            let info = info
                .result()?
                .ok_or_else(|| Error::builder(format!("No such task id: {root}")))?;
            let tree = tree.result()?;
            let mut tasks = vec![(info, 0)];
            // breadth first from the root, so depth is known
            let mut queue = VecDeque::from([(root, 0usize)]);
            while let Some((id, depth)) = queue.pop_front() {
                for child in tree.children(id) {
                    queue.push_back((child.id.unwrap_or_default(), depth + 1));
                    tasks.push((child.clone(), depth + 1));
                }
            }
            snaps.push(Snapshot { root, tasks, tree });
        }
        self.lookups(&snaps).await?;
        let now = Timestamp::now();
        for snap in &snaps {
            for (task, depth) in &snap.tasks {
                self.observe(snap, task, *depth, now);
            }
        }
        let all_done = !self.known.is_empty() && self.known.values().all(|k| k.state.is_done());
        if all_done {
            self.finished = true;
            let summary = self.summary();
            self.pending.push_back(WatchEvent::Done(summary));
        }
        Ok(())
    }

    /// The second request of a poll, only when needed: failure texts of
    /// newly failed tasks, unknown hosts, unknown package averages.
    async fn lookups(&mut self, snaps: &[Snapshot]) -> Result<()> {
        let mut m = self.koji.multicall();
        let mut failures = Vec::new();
        let mut hosts = Vec::new();
        let mut averages = Vec::new();
        let mut seen_hosts = HashSet::new();
        let mut seen_pkgs = HashSet::new();
        for snap in snaps {
            for (task, _) in &snap.tasks {
                let Some(id) = task.id else { continue };
                let state = task.state.clone();
                let was = self.known.get(&id).map(|k| k.state.clone());
                if state == Some(TaskState::Failed) && was != Some(TaskState::Failed) {
                    failures.push((id, m.call::<koji_xmlrpc::Value>("getTaskResult", (id,))));
                }
                if let Some(h) = task.host_id {
                    if !self.hosts.contains_key(&h) && seen_hosts.insert(h) {
                        hosts.push((h, m.call::<Option<crate::Host>>("getHost", (h,))));
                    }
                }
                if self.estimates && state.is_some_and(|s| s.is_active()) {
                    if let Ok(Some(pkg)) = task.package() {
                        if !self.averages.contains_key(&pkg) && seen_pkgs.insert(pkg.clone()) {
                            let h =
                                m.call::<Option<f64>>("getAverageBuildDuration", (pkg.as_str(),));
                            averages.push((pkg, h));
                        }
                    }
                }
            }
        }
        if m.is_empty() {
            return Ok(());
        }
        m.send().await?;
        self.requests += 1;
        for (id, h) in failures {
            let text = match h.result() {
                Err(e) => match (e.fault_kind().and_then(|k| k.name()), e.fault_string()) {
                    (Some(name), Some(s)) => format!("{name}: {s}"),
                    (None, Some(s)) => s.to_owned(),
                    _ => e.to_string(),
                },
                Ok(v) => format!("failed ({v:?})"),
            };
            self.failure_texts.insert(id, text);
        }
        for (id, h) in hosts {
            self.hosts
                .insert(id, h.result().ok().flatten().and_then(|host| host.name));
        }
        for (pkg, h) in averages {
            let avg = h
                .result()
                .ok()
                .flatten()
                .and_then(|s| SignedDuration::try_from_secs_f64(s).ok());
            self.averages.insert(pkg, avg);
        }
        Ok(())
    }

    fn observe(&mut self, snap: &Snapshot, task: &Task, depth: usize, now: Timestamp) {
        let (Some(id), Some(state)) = (task.id, task.state.clone()) else {
            return;
        };
        let label = task_label(task);
        let old = self.known.get(&id).map(|k| k.state.clone());
        if old.as_ref() == Some(&state) {
            return;
        }
        let failure = if state == TaskState::Failed {
            self.failure_texts.remove(&id)
        } else {
            None
        };
        let host = task
            .host_id
            .and_then(|h| self.hosts.get(&h).cloned().flatten());
        let eta = if state.is_active() && self.estimates {
            let mut inputs =
                EstimateInputs::new(now).with_descendents(snap.root, snap.tree.clone());
            for (pkg, avg) in &self.averages {
                inputs = inputs.with_average(pkg.clone(), *avg);
            }
            task.estimate_completion(&inputs).ok()
        } else {
            None
        };
        let update = TaskUpdate {
            id,
            root: snap.root,
            depth,
            method: task.method.clone().unwrap_or_default(),
            label: label.clone(),
            old: old.clone(),
            new: state.clone(),
            host,
            eta,
            failure: failure.clone(),
            task: task.clone(),
        };
        self.known.insert(
            id,
            Known {
                state,
                label,
                failure,
            },
        );
        self.pending.push_back(if old.is_none() {
            WatchEvent::Seen(update)
        } else {
            WatchEvent::Changed(update)
        });
    }

    fn summary(&self) -> WatchSummary {
        let finished = |id: i64, k: &Known| FinishedTask {
            id,
            label: k.label.clone(),
            state: k.state.clone(),
            failure: k.failure.clone(),
        };
        WatchSummary {
            roots: self
                .roots
                .iter()
                .filter_map(|r| self.known.get(r).map(|k| finished(*r, k)))
                .collect(),
            unsuccessful: self
                .known
                .iter()
                .filter(|(_, k)| matches!(k.state, TaskState::Failed | TaskState::Canceled))
                .map(|(id, k)| finished(*id, k))
                .collect(),
            polls: self.polls,
            woken_polls: self.woken_polls,
            requests: self.requests,
        }
    }
}

/// koji's `taskLabel`: the method and its main arguments, e.g.
/// `build (f40-candidate, /rpms/hello.git:0123abc)` or
/// `buildArch (hello-1.0-1.src.rpm, x86_64)`.
pub fn task_label(task: &Task) -> String {
    let method = task.method.clone().unwrap_or_else(|| "?".into());
    let params = task.params().ok();
    let text = |i: usize, name: &str| {
        params
            .as_ref()
            .and_then(|p| p.get(i, name))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let detail = match method.as_str() {
        "build" => {
            let src = text(0, "src").map(|s| source_label(&s));
            let target = text(1, "target");
            match (target, src) {
                (Some(t), Some(s)) => Some(format!("{t}, {s}")),
                (None, Some(s)) => Some(s),
                _ => None,
            }
        }
        "buildArch" => {
            let srpm = text(0, "pkg").map(|s| basename(&s).to_owned());
            let arch = text(2, "arch");
            match (srpm, arch) {
                (Some(p), Some(a)) => Some(format!("{p}, {a}")),
                (p, a) => p.or(a),
            }
        }
        "buildSRPMFromSCM" | "buildNotification" => text(0, "url").map(|s| source_label(&s)),
        _ => None,
    };
    match detail {
        Some(d) => format!("{method} ({d})"),
        None => method,
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// An SCM URL as koji shows it (`<path>:<fragment>`), or a file's base name.
fn source_label(src: &str) -> String {
    match src.split_once("://") {
        Some((_, rest)) => {
            let (body, fragment) = rest.split_once('#').unwrap_or((rest, ""));
            let path = body.find('/').map_or("", |i| &body[i..]);
            let path = path.split_once('?').map_or(path, |(p, _)| p);
            format!("{path}:{fragment}")
        }
        None => basename(src).to_owned(),
    }
}
