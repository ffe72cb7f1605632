//! Completion estimates for builds and tasks (txkoji's `estimates` module
//! and the `estimate_*` methods of its `Build` and `Task`), split in two:
//!
//! 1. **A pure estimator** over plain data. [`EstimateInputs`] holds what an
//!    estimate needs — the clock (`now`), the builder poll interval,
//!    average build durations by package, `getTaskDescendents` replies and
//!    [`ChannelSnapshot`]s (a channel's active tasks and its hosts) — and
//!    [`Task::estimate_completion`], [`Task::estimate_duration`],
//!    [`Build::estimate_completion`] and [`estimate_channel`] read only
//!    that. Nothing here talks to a hub or reads the system clock.
//! 2. **Thin async functions** ([`average_build_durations`],
//!    [`channel_snapshot`], [`complete_inputs`], [`estimate_channel_tasks`],
//!    [`estimate_task_completion`], …) that fetch those inputs through an
//!    [`EstimateSource`] in as few round trips as the data allows. A
//!    [`Connection`](crate::Connection) is one: each batch of calls is one
//!    `system.multicall` request.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use koji_client::Connection;
//! use koji_client::estimate::{estimate_channel_tasks, EstimateConfig};
//!
//! let koji = Connection::from_profile("fedora")?;
//! // Every active task of the container channel, in two requests.
//! let plan = estimate_channel_tasks(&koji, 9, jiff::Timestamp::now(), EstimateConfig::default()).await?;
//! for task in &plan.tasks {
//!     match &task.completion {
//!         Ok(when) => println!("{} {}: done by {when}", task.task_id, task.method.as_deref().unwrap_or("?")),
//!         Err(why) => println!("{}: {why}", task.task_id),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # How an estimate is made
//!
//! | what | estimate |
//! |---|---|
//! | a finished build or task | its actual completion time (and duration) |
//! | a `BUILDING` build | start + the package's average build duration |
//! | an `OPEN` `build` / `image` task | the estimate of its `OPEN` `buildArch` / `createImage` subtask that started last; [`EstimateError::NoOpenDescendents`] when none is open yet |
//! | a `tagBuild` task | start + the poll interval + a margin (15 s) |
//! | another `OPEN` task | start + the average build duration of its package |
//! | an `ASSIGNED` task | creation + poll interval + duration (the builder opens it at its next poll) |
//! | a `FREE` task, room in the channel | creation + poll interval + duration |
//! | a `FREE` task, channel full | when enough capacity frees up (see [`estimate_channel`]) + poll interval + duration |
//!
//! Average build durations come from the hub's `getAverageBuildDuration`,
//! except for container packages (names ending in `-container`), whose
//! builds are content-generator imports that the hub's figure does not
//! measure: for those it is the mean duration of the last
//! [`EstimateConfig::last_builds`] `COMPLETE` builds. See
//! [`average_build_durations`].
//!
//! # Example: everything from data
//!
//! ```
//! use jiff::{SignedDuration, Timestamp};
//! use koji_client::estimate::{estimate_channel, ChannelSnapshot, EstimateInputs};
//! use koji_client::{Host, Task};
//!
//! let now: Timestamp = "2026-11-25T18:00:00Z".parse()?;
//! // One builder with room for two tasks; one container build running.
//! let host: Host = serde_json::from_str(r#"{"id": 1, "capacity": 2.0, "enabled": true}"#)?;
//! let running: Task = serde_json::from_str(r#"{"id": 26, "method": "buildContainer",
//!     "state": 1, "weight": 2.0, "channel_id": 9,
//!     "start_time": "2026-11-25 17:50:00+00:00",
//!     "request": ["git+https://src.example.com/containers/foo.git#0ef71eb", "f40", {}]}"#)?;
//! let queued: Task = serde_json::from_str(r#"{"id": 27, "method": "buildContainer",
//!     "state": 0, "weight": 2.0, "priority": 20, "channel_id": 9,
//!     "create_time": "2026-11-25 17:55:00+00:00",
//!     "request": ["git+https://src.example.com/containers/bar.git#1d2c3b4", "f40", {}]}"#)?;
//!
//! let inputs = EstimateInputs::new(now)
//!     .with_average("foo-container", Some(SignedDuration::from_mins(20)))
//!     .with_average("bar-container", Some(SignedDuration::from_mins(10)))
//!     .with_channel(ChannelSnapshot::new(9, vec![running.clone(), queued.clone()], vec![host]));
//!
//! // The running build ends at 17:50 + 20 min.
//! assert_eq!(running.estimate_completion(&inputs)?.to_string(), "2026-11-25T18:10:00Z");
//! // The channel is full, so the queued one starts a poll interval (45 s)
//! // after that, and takes its own 10 minutes.
//! assert_eq!(queued.estimate_completion(&inputs)?.to_string(), "2026-11-25T18:20:45Z");
//! // The dashboard view: every active task of the channel at once.
//! let plan = estimate_channel(&inputs, 9)?;
//! assert_eq!(plan.tasks.len(), 2);
//! assert_eq!(plan.tasks[1].ahead, Some(0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod channel;
mod fetch;
mod hub;
mod inputs;
mod task;

use std::fmt;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

#[cfg(doc)]
use crate::model::Task;
use crate::model::{Build, ModelError};

pub use channel::{ChannelEstimate, TaskEstimate, estimate_channel};
pub use fetch::{
    EstimateSource, HubCall, average_build_duration, average_build_durations, channel_snapshot,
    complete_inputs, estimate_build_completion, estimate_channel_tasks, estimate_task_completion,
    estimate_task_duration,
};
pub use inputs::{ChannelSnapshot, EstimateInputs, Needs};

/// The builder poll interval txkoji assumes (its `SLEEPTIME`): how long a
/// builder may take to notice a task it can run.
///
/// ```
/// use koji_client::estimate::{EstimateConfig, DEFAULT_POLL_INTERVAL};
///
/// assert_eq!(EstimateConfig::default().poll_interval, DEFAULT_POLL_INTERVAL);
/// assert_eq!(DEFAULT_POLL_INTERVAL.as_secs(), 45);
/// ```
pub const DEFAULT_POLL_INTERVAL: SignedDuration = SignedDuration::from_secs(45);

/// What a `tagBuild` task takes beyond one poll interval (txkoji's guess).
///
/// ```
/// use koji_client::estimate::{EstimateConfig, DEFAULT_TAG_BUILD_MARGIN};
///
/// assert_eq!(EstimateConfig::default().tag_build_margin, DEFAULT_TAG_BUILD_MARGIN);
/// ```
pub const DEFAULT_TAG_BUILD_MARGIN: SignedDuration = SignedDuration::from_secs(15);

/// How many recent builds a container package's average is taken over.
///
/// ```
/// use koji_client::estimate::{EstimateConfig, DEFAULT_LAST_BUILDS};
///
/// assert_eq!(EstimateConfig::default().last_builds, DEFAULT_LAST_BUILDS);
/// ```
pub const DEFAULT_LAST_BUILDS: u32 = 5;

/// Tunables of the estimates.
///
/// ```
/// use jiff::SignedDuration;
/// use koji_client::estimate::EstimateConfig;
///
/// let config = EstimateConfig {
///     poll_interval: SignedDuration::from_secs(20),
///     ..EstimateConfig::default()
/// };
/// assert_eq!(config.last_builds, 5);
/// assert_eq!(config.tag_build_duration().unwrap().as_secs(), 35);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EstimateConfig {
    /// How long a builder may take to notice a task it can run (kojid's
    /// `sleeptime`; txkoji's `SLEEPTIME`). Default: 45 s.
    pub poll_interval: SignedDuration,
    /// What a `tagBuild` task takes beyond one poll interval. Default: 15 s.
    pub tag_build_margin: SignedDuration,
    /// How many of a container package's most recent `COMPLETE` builds its
    /// average is taken over. Default: 5.
    pub last_builds: u32,
}

impl Default for EstimateConfig {
    fn default() -> Self {
        EstimateConfig {
            poll_interval: DEFAULT_POLL_INTERVAL,
            tag_build_margin: DEFAULT_TAG_BUILD_MARGIN,
            last_builds: DEFAULT_LAST_BUILDS,
        }
    }
}

impl EstimateConfig {
    /// How long a `tagBuild` task is expected to run: the poll interval
    /// plus the margin. `None` if that overflows.
    pub fn tag_build_duration(&self) -> Option<SignedDuration> {
        self.poll_interval.checked_add(self.tag_build_margin)
    }
}

/// Whether `package` is estimated from its last builds rather than the
/// hub's average: container packages, named `…-container` by convention
/// (OSBS), as txkoji decides.
///
/// ```
/// use koji_client::estimate::is_container_package;
///
/// assert!(is_container_package("foo-container"));
/// assert!(!is_container_package("hello"));
/// ```
pub fn is_container_package(package: &str) -> bool {
    package.ends_with("-container")
}

/// The mean duration (start to completion) of `builds`, as txkoji's
/// `average_last_builds` takes it over a package's last `COMPLETE` builds.
///
/// Builds without both a start and a completion time are left out; `None`
/// when none is left. Exact to the nanosecond (the sum is not rounded
/// before dividing).
///
/// ```
/// use koji_client::Build;
/// use koji_client::estimate::average_of_builds;
///
/// let builds: Vec<Build> = serde_json::from_str(r#"[
///     {"build_id": 1, "state": 1, "start_ts": 1000.0, "completion_ts": 1600.0},
///     {"build_id": 2, "state": 1, "start_ts": 2000.0, "completion_ts": 2900.0},
///     {"build_id": 3, "state": 0, "start_ts": 3000.0, "completion_ts": null}
/// ]"#)?;
/// let mean = average_of_builds(&builds)?.unwrap();
/// assert_eq!(mean.as_secs(), 750);
/// assert_eq!(average_of_builds(&[])?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn average_of_builds(builds: &[Build]) -> Result<Option<SignedDuration>, EstimateError> {
    let mut total: i128 = 0;
    let mut count: i128 = 0;
    for build in builds {
        let subject = Subject::Build(build.build_id());
        let start = build.started().map_err(|e| subject.model(e))?;
        let end = build.completed().map_err(|e| subject.model(e))?;
        if let (Some(start), Some(end)) = (start, end) {
            total += end.duration_since(start).as_nanos();
            count += 1;
        }
    }
    if count == 0 {
        return Ok(None);
    }
    let mean = i64::try_from(total / count).map_err(|_| EstimateError::OutOfRange {
        subject: Subject::Build(None),
    })?;
    Ok(Some(SignedDuration::from_nanos(mean)))
}

/// What an estimate error is about.
///
/// ```
/// use koji_client::estimate::Subject;
///
/// assert_eq!(Subject::Task(Some(14)).to_string(), "task 14");
/// assert_eq!(Subject::Build(None).to_string(), "build ?");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A task (by id, when it has one).
    Task(Option<i64>),
    /// A build (by id, when it has one).
    Build(Option<i64>),
}

impl Subject {
    fn model(self, source: ModelError) -> EstimateError {
        EstimateError::Model {
            subject: self,
            source,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (noun, id) = match self {
            Subject::Task(id) => ("task", id),
            Subject::Build(id) => ("build", id),
        };
        match id {
            Some(id) => write!(f, "{noun} {id}"),
            None => write!(f, "{noun} ?"),
        }
    }
}

/// Data an estimate needs that its [`EstimateInputs`] do not hold (fetch it,
/// or let [`complete_inputs`] do so).
///
/// ```
/// use koji_client::estimate::MissingInput;
///
/// let m = MissingInput::Descendents { task: 11 };
/// assert_eq!(m.to_string(), "the descendents of task 11 (getTaskDescendents)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissingInput {
    /// `getTaskDescendents` of a `build` or `image` task.
    Descendents {
        /// The task.
        task: i64,
    },
    /// The average build duration of a package.
    Average {
        /// The package.
        package: String,
    },
    /// The snapshot (active tasks and hosts) of a channel.
    Channel {
        /// The channel id.
        channel: i64,
    },
}

impl fmt::Display for MissingInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MissingInput::Descendents { task } => {
                write!(f, "the descendents of task {task} (getTaskDescendents)")
            }
            MissingInput::Average { package } => {
                write!(f, "the average build duration of package {package:?}")
            }
            MissingInput::Channel { channel } => {
                write!(f, "the active tasks and hosts of channel {channel}")
            }
        }
    }
}

/// Why an estimate could not be made.
///
/// ```
/// use koji_client::estimate::EstimateError;
///
/// let e = EstimateError::NoOpenDescendents { task: 11, child_method: "buildArch" };
/// assert_eq!(e.to_string(),
///     "task 11 has no OPEN buildArch subtask yet (its SRPM may still be building, \
///      or its subtasks wait for a builder); try again later");
/// assert!(e.is_transient());
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum EstimateError {
    /// A running or finished task or build has no start time.
    #[error("{subject} has no start time")]
    NoStartTime {
        /// Which one.
        subject: Subject,
    },
    /// A task that has not started has no creation time to count from.
    #[error("{subject} has no creation time")]
    NoCreateTime {
        /// Which one.
        subject: Subject,
    },
    /// A finished task or build has no completion time.
    #[error("{subject} is {state} but has no completion time")]
    NoCompletionTime {
        /// Which one.
        subject: Subject,
        /// Its state's name.
        state: String,
    },
    /// An `OPEN` `build` or `image` task has no `OPEN` subtask doing the
    /// work yet (txkoji's `NoDescendentsError`): its SRPM is still being
    /// made, its subtasks wait for a builder, or it is tagging. Try again
    /// later.
    #[error(
        "task {task} has no OPEN {child_method} subtask yet (its SRPM may still be building, \
         or its subtasks wait for a builder); try again later"
    )]
    NoOpenDescendents {
        /// The `build` or `image` task.
        task: i64,
        /// The subtask method looked for (`buildArch`, `createImage`).
        child_method: &'static str,
    },
    /// The package has no average build duration: it has never completed a
    /// build the hub (or the last-builds average) can measure.
    #[error("no average build duration for package {package:?}: no completed build to measure")]
    NoAverage {
        /// The package.
        package: String,
    },
    /// The hub's average build duration is not a usable number.
    #[error("the average build duration of package {package:?} is not usable: {value}")]
    BadAverage {
        /// The package.
        package: String,
        /// The value sent (seconds).
        value: f64,
    },
    /// The task's method has no package to average over and no fixed
    /// estimate (`newRepo`, `createrepo`, `waitrepo`, …).
    #[error("cannot estimate {subject} ({method}): the method builds no package")]
    UnsupportedMethod {
        /// The task.
        subject: Subject,
        /// Its method (`"(none)"` when it has none).
        method: String,
    },
    /// The task or build is in a state that has no estimate (a state this
    /// library does not know, or none at all).
    #[error("{subject} is in state {state}, which has no estimate")]
    UnknownState {
        /// Which one.
        subject: Subject,
        /// The state's name.
        state: String,
    },
    /// A `FREE` task has no channel to be scheduled in.
    #[error("{subject} has no channel_id")]
    NoChannel {
        /// The task.
        subject: Subject,
    },
    /// A build has no package name.
    #[error("{subject} has no package name")]
    NoPackage {
        /// The build.
        subject: Subject,
    },
    /// The channel has no enabled host with any capacity, so its `FREE`
    /// tasks never start.
    #[error("channel {channel} has no enabled host with capacity")]
    NoCapacity {
        /// The channel id.
        channel: i64,
    },
    /// The task waits for capacity that tasks whose completion cannot be
    /// estimated hold.
    #[error("waits for capacity held by tasks {blockers:?}, whose completion cannot be estimated")]
    Blocked {
        /// The tasks holding the capacity (by id).
        blockers: Vec<i64>,
    },
    /// A task in a channel snapshot that the planner cannot use (no id, a
    /// weight that is not a non-negative number).
    #[error("{subject}: {detail}")]
    BadTask {
        /// Which task.
        subject: Subject,
        /// What is wrong.
        detail: String,
    },
    /// A host in a channel snapshot with a capacity that is not a
    /// non-negative number.
    #[error("host {}: capacity {capacity} is not a non-negative number", host.map(|h| h.to_string()).unwrap_or_else(|| "?".into()))]
    BadHost {
        /// The host id, when known.
        host: Option<i64>,
        /// The capacity sent.
        capacity: f64,
    },
    /// The inputs lack data the estimate needs.
    #[error("the estimate inputs lack {0}")]
    MissingInput(MissingInput),
    /// An estimated time falls outside the representable range.
    #[error("the estimate for {subject} is out of range")]
    OutOfRange {
        /// Which one.
        subject: Subject,
    },
    /// A model's data could not be read (a bad time string, a misshapen
    /// request).
    #[error("{subject}: {source}")]
    Model {
        /// Which one.
        subject: Subject,
        /// What was wrong.
        source: ModelError,
    },
    /// The hub answered a call with a fault.
    #[error("{method}: the hub answered with fault {code}: {message}")]
    Fault {
        /// The hub method.
        method: &'static str,
        /// The fault code.
        code: i64,
        /// The fault string.
        message: String,
    },
    /// The hub's answer does not have the shape the call implies.
    #[error("{method}: unexpected reply: {detail}")]
    BadReply {
        /// The hub method.
        method: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The [`EstimateSource`] failed to make the calls (transport, login,
    /// …).
    #[error("fetching estimate inputs failed: {0}")]
    Source(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl EstimateError {
    /// Whether trying again later may succeed without anything changing
    /// but time: no open subtask yet, or waiting on tasks that cannot be
    /// estimated.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            EstimateError::NoOpenDescendents { .. } | EstimateError::Blocked { .. }
        )
    }
}

impl From<MissingInput> for EstimateError {
    fn from(missing: MissingInput) -> Self {
        EstimateError::MissingInput(missing)
    }
}

/// `start + duration`, as an estimate error when out of range.
fn add(
    start: Timestamp,
    duration: SignedDuration,
    subject: Subject,
) -> Result<Timestamp, EstimateError> {
    start
        .checked_add(duration)
        .map_err(|_| EstimateError::OutOfRange { subject })
}

#[cfg(test)]
mod tests;
