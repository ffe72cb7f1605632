//! The plain data an estimate reads, and what is still missing from it.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};

use super::task::{child_method, latest_open_child};
use super::{EstimateConfig, EstimateError, MissingInput};
use crate::model::{Build, Host, Task, TaskDescendents, TaskState};

/// Everything the estimator reads: the clock, the tunables, and the hub
/// data gathered for the tasks and builds at hand.
///
/// Build it by hand (the `with_*` methods) or let [`super::complete_inputs`]
/// fill it from a hub. An estimate that needs something absent fails with
/// [`EstimateError::MissingInput`]; [`EstimateInputs::needs_for_tasks`]
/// and friends say what to fetch.
///
/// ```
/// use jiff::{SignedDuration, Timestamp};
/// use koji_client::Build;
/// use koji_client::estimate::EstimateInputs;
///
/// let now: Timestamp = "2026-11-25T18:00:00Z".parse()?;
/// let inputs = EstimateInputs::new(now).with_average("hello", Some(SignedDuration::from_mins(12)));
/// let build: Build = serde_json::from_str(r#"{"build_id": 30, "name": "hello", "state": 0,
///     "start_time": "2026-11-25 17:55:00+00:00"}"#)?;
/// assert_eq!(build.estimate_completion(&inputs)?.to_string(), "2026-11-25T18:07:00Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateInputs {
    /// "Now": where waiting for capacity starts, and the earliest time an
    /// overdue task can free its capacity.
    pub now: Timestamp,
    /// Poll interval, `tagBuild` margin, last-builds count.
    pub config: EstimateConfig,
    /// Average build duration by package name; `None` when the hub has
    /// none (the package never completed a measurable build).
    pub averages: BTreeMap<String, Option<SignedDuration>>,
    /// `getTaskDescendents(id, request=True)` replies, by the id asked
    /// about (the `build` and `image` tasks being estimated).
    pub descendents: BTreeMap<i64, TaskDescendents>,
    /// Channel snapshots by channel id (needed for `FREE` tasks).
    pub channels: BTreeMap<i64, ChannelSnapshot>,
}

impl EstimateInputs {
    /// Empty inputs with the default [`EstimateConfig`].
    pub fn new(now: Timestamp) -> Self {
        EstimateInputs {
            now,
            config: EstimateConfig::default(),
            averages: BTreeMap::new(),
            descendents: BTreeMap::new(),
            channels: BTreeMap::new(),
        }
    }

    /// Replaces the tunables.
    ///
    /// ```
    /// use jiff::{SignedDuration, Timestamp};
    /// use koji_client::estimate::{EstimateConfig, EstimateInputs};
    ///
    /// let config = EstimateConfig { poll_interval: SignedDuration::from_secs(10), ..Default::default() };
    /// let inputs = EstimateInputs::new(Timestamp::UNIX_EPOCH).with_config(config);
    /// assert_eq!(inputs.config.poll_interval.as_secs(), 10);
    /// ```
    pub fn with_config(mut self, config: EstimateConfig) -> Self {
        self.config = config;
        self
    }

    /// Adds a package's average build duration (`None`: the hub has none).
    ///
    /// ```
    /// use jiff::{SignedDuration, Timestamp};
    /// use koji_client::estimate::EstimateInputs;
    ///
    /// let inputs = EstimateInputs::new(Timestamp::UNIX_EPOCH)
    ///     .with_average("hello", Some(SignedDuration::from_secs(90)))
    ///     .with_average("libfoo", None);
    /// assert_eq!(inputs.average("hello").unwrap().as_secs(), 90);
    /// assert!(inputs.average("libfoo").is_err());
    /// ```
    pub fn with_average(
        mut self,
        package: impl Into<String>,
        average: Option<SignedDuration>,
    ) -> Self {
        self.averages.insert(package.into(), average);
        self
    }

    /// Adds the `getTaskDescendents` reply for task `task_id`.
    ///
    /// ```
    /// use jiff::Timestamp;
    /// use koji_client::TaskDescendents;
    /// use koji_client::estimate::EstimateInputs;
    ///
    /// let tree: TaskDescendents = serde_json::from_str(r#"{"11": [], "12": []}"#).unwrap();
    /// let inputs = EstimateInputs::new(Timestamp::UNIX_EPOCH).with_descendents(11, tree);
    /// assert!(inputs.descendents.contains_key(&11));
    /// ```
    pub fn with_descendents(mut self, task_id: i64, tree: TaskDescendents) -> Self {
        self.descendents.insert(task_id, tree);
        self
    }

    /// Adds (or replaces) a channel snapshot.
    ///
    /// ```
    /// use jiff::Timestamp;
    /// use koji_client::estimate::{ChannelSnapshot, EstimateInputs};
    ///
    /// let inputs = EstimateInputs::new(Timestamp::UNIX_EPOCH)
    ///     .with_channel(ChannelSnapshot::new(9, vec![], vec![]));
    /// assert!(inputs.channels.contains_key(&9));
    /// ```
    pub fn with_channel(mut self, snapshot: ChannelSnapshot) -> Self {
        self.channels.insert(snapshot.channel_id, snapshot);
        self
    }

    /// The average build duration of `package`: an error when the hub has
    /// none ([`EstimateError::NoAverage`]) or the inputs lack it
    /// ([`EstimateError::MissingInput`]).
    ///
    /// ```
    /// use jiff::Timestamp;
    /// use koji_client::estimate::{EstimateError, EstimateInputs};
    ///
    /// let inputs = EstimateInputs::new(Timestamp::UNIX_EPOCH);
    /// assert!(matches!(inputs.average("hello"), Err(EstimateError::MissingInput(_))));
    /// ```
    pub fn average(&self, package: &str) -> Result<SignedDuration, EstimateError> {
        match self.averages.get(package) {
            Some(Some(average)) => Ok(*average),
            Some(None) => Err(EstimateError::NoAverage {
                package: package.to_owned(),
            }),
            None => Err(MissingInput::Average {
                package: package.to_owned(),
            }
            .into()),
        }
    }

    /// What the estimates of `tasks` need that these inputs lack:
    /// descendents of `OPEN` `build`/`image` tasks, and the averages of the
    /// packages involved. Channel snapshots are not listed: a `FREE` task's
    /// channel must be added first (then use
    /// [`EstimateInputs::needs_for_channel`]).
    ///
    /// While a task's descendents are missing, its own package is listed
    /// too: its `buildArch` subtasks almost always build the same package,
    /// so one round trip usually fetches both.
    ///
    /// ```
    /// use jiff::Timestamp;
    /// use koji_client::Task;
    /// use koji_client::estimate::EstimateInputs;
    ///
    /// let build: Task = serde_json::from_str(r#"{"id": 11, "method": "build", "state": 1,
    ///     "request": ["git+https://src.example.com/rpms/libfoo.git#8d6bdc6", "f40-candidate", {}]}"#).unwrap();
    /// let needs = EstimateInputs::new(Timestamp::UNIX_EPOCH).needs_for_tasks([&build]);
    /// assert_eq!(needs.descendents.into_iter().collect::<Vec<_>>(), [11]);
    /// assert_eq!(needs.packages.into_iter().collect::<Vec<_>>(), ["libfoo"]);
    /// ```
    pub fn needs_for_tasks<'a>(&self, tasks: impl IntoIterator<Item = &'a Task>) -> Needs {
        let mut needs = Needs::default();
        for task in tasks {
            self.task_needs(task, &mut needs);
        }
        needs
    }

    /// What the estimates of every task in channel `channel_id`'s snapshot
    /// need (empty when the inputs have no such snapshot).
    ///
    /// ```
    /// use jiff::Timestamp;
    /// use koji_client::Task;
    /// use koji_client::estimate::{ChannelSnapshot, EstimateInputs};
    ///
    /// let queued: Task = serde_json::from_str(r#"{"id": 27, "method": "build", "state": 0,
    ///     "request": ["git+https://src.example.com/rpms/hello.git#fff", "f40-candidate", {}]}"#).unwrap();
    /// let inputs = EstimateInputs::new(Timestamp::UNIX_EPOCH)
    ///     .with_channel(ChannelSnapshot::new(1, vec![queued], vec![]));
    /// assert!(inputs.needs_for_channel(1).packages.contains("hello"));
    /// assert!(inputs.needs_for_channel(2).is_empty());
    /// ```
    pub fn needs_for_channel(&self, channel_id: i64) -> Needs {
        match self.channels.get(&channel_id) {
            Some(snapshot) => self.needs_for_tasks(&snapshot.tasks),
            None => Needs::default(),
        }
    }

    /// What the estimate of `build` needs: its package's average while it
    /// is building.
    ///
    /// ```
    /// use jiff::Timestamp;
    /// use koji_client::Build;
    /// use koji_client::estimate::EstimateInputs;
    ///
    /// let b: Build = serde_json::from_str(r#"{"name": "hello", "state": 0}"#).unwrap();
    /// let needs = EstimateInputs::new(Timestamp::UNIX_EPOCH).needs_for_build(&b);
    /// assert!(needs.packages.contains("hello"));
    /// ```
    pub fn needs_for_build(&self, build: &Build) -> Needs {
        let mut needs = Needs::default();
        let done = matches!(build.completed(), Ok(Some(_)));
        if !done {
            if let Some(name) = build.name.as_ref().or(build.package_name.as_ref()) {
                self.need_package(name, &mut needs);
            }
        }
        needs
    }

    fn need_package(&self, package: &str, needs: &mut Needs) {
        if !self.averages.contains_key(package) {
            needs.packages.insert(package.to_owned());
        }
    }

    fn task_needs(&self, task: &Task, needs: &mut Needs) {
        if matches!(task.completed(), Ok(Some(_)))
            || task.state.as_ref().is_some_and(TaskState::is_done)
            || task.method() == Some("tagBuild")
        {
            return;
        }
        let own_package = task.package().ok().flatten();
        let open = task.state == Some(TaskState::Open);
        if let (true, Some(child), Some(id)) = (open, child_method(task.method()), task.id) {
            match self.descendents.get(&id) {
                None => {
                    needs.descendents.insert(id);
                    if let Some(package) = &own_package {
                        self.need_package(package, needs);
                    }
                }
                Some(tree) => {
                    if let Ok(Some(sub)) = latest_open_child(tree, child) {
                        if let Ok(Some(package)) = sub.package() {
                            self.need_package(&package, needs);
                        }
                    }
                }
            }
            return;
        }
        if let Some(package) = own_package {
            self.need_package(&package, needs);
        }
    }
}

/// Hub data an [`EstimateInputs`] still lacks.
///
/// ```
/// use koji_client::estimate::Needs;
///
/// assert!(Needs::default().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Tasks whose `getTaskDescendents` reply is needed.
    pub descendents: BTreeSet<i64>,
    /// Packages whose average build duration is needed.
    pub packages: BTreeSet<String>,
}

impl Needs {
    /// Whether nothing is needed.
    pub fn is_empty(&self) -> bool {
        self.descendents.is_empty() && self.packages.is_empty()
    }

    /// Adds what `other` needs.
    ///
    /// ```
    /// use koji_client::estimate::Needs;
    ///
    /// let mut a = Needs::default();
    /// a.packages.insert("hello".into());
    /// let mut b = Needs::default();
    /// b.descendents.insert(11);
    /// a.merge(b);
    /// assert!(a.packages.contains("hello") && a.descendents.contains(&11));
    /// ```
    pub fn merge(&mut self, other: Needs) {
        self.descendents.extend(other.descendents);
        self.packages.extend(other.packages);
    }
}

/// A channel as the estimator sees it: its active (`FREE`, `OPEN`,
/// `ASSIGNED`) tasks and its hosts.
///
/// `tasks` is what `listTasks(opts={'channel_id': ID, 'state': [0, 1, 4],
/// 'decode': True})` returns (the order does not matter: the planner sorts
/// the queue itself); `hosts` what `listHosts(channelID=ID)` returns.
///
/// ```
/// use koji_client::Host;
/// use koji_client::estimate::ChannelSnapshot;
///
/// let hosts: Vec<Host> = serde_json::from_str(r#"[
///     {"id": 1, "capacity": 8.0, "enabled": true},
///     {"id": 4, "capacity": 2.0, "enabled": false}]"#).unwrap();
/// let channel = ChannelSnapshot::new(1, vec![], hosts);
/// assert_eq!(channel.total_capacity().unwrap(), 8.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelSnapshot {
    /// The channel id.
    pub channel_id: i64,
    /// Its active tasks.
    pub tasks: Vec<Task>,
    /// Its hosts (enabled or not).
    pub hosts: Vec<Host>,
}

impl ChannelSnapshot {
    /// A snapshot from its parts.
    pub fn new(channel_id: i64, tasks: Vec<Task>, hosts: Vec<Host>) -> Self {
        ChannelSnapshot {
            channel_id,
            tasks,
            hosts,
        }
    }

    /// The task weight the channel can run at once: the capacities of its
    /// enabled hosts added up (txkoji's `Channel.total_capacity`).
    ///
    /// A host whose `enabled` member is absent counts as enabled. Hosts
    /// that are not `ready` count too: a builder reports itself not ready
    /// when it is full, which is exactly the capacity that frees up later.
    pub fn total_capacity(&self) -> Result<f64, EstimateError> {
        let mut total = 0.0;
        for host in &self.hosts {
            if host.enabled == Some(false) {
                continue;
            }
            let capacity = host.capacity.unwrap_or(0.0);
            if !capacity.is_finite() || capacity < 0.0 {
                return Err(EstimateError::BadHost {
                    host: host.id,
                    capacity,
                });
            }
            total += capacity;
        }
        Ok(total)
    }
}
