//! Estimates of one task or build.

use jiff::{SignedDuration, Timestamp};

use super::channel::plan;
use super::{EstimateError, EstimateInputs, MissingInput, Subject, add};
use crate::model::{Build, BuildState, Task, TaskDescendents, TaskState};

/// The subtask method that does a `build` or `image` task's work.
pub(super) fn child_method(method: Option<&str>) -> Option<&'static str> {
    match method? {
        "build" => Some("buildArch"),
        "image" => Some("createImage"),
        _ => None,
    }
}

/// The `OPEN` `child` subtask in `tree` that started last (ties: the one
/// with the highest id); `None` when none is open.
pub(super) fn latest_open_child<'a>(
    tree: &'a TaskDescendents,
    child: &str,
) -> Result<Option<&'a Task>, EstimateError> {
    let mut best: Option<(Option<Timestamp>, &Task)> = None;
    for sub in tree.all() {
        if sub.method() != Some(child) || sub.state != Some(TaskState::Open) {
            continue;
        }
        let started = sub.started().map_err(|e| Subject::Task(sub.id).model(e))?;
        if best.is_none_or(|(b, _)| started >= b) {
            best = Some((started, sub));
        }
    }
    Ok(best.map(|(_, sub)| sub))
}

fn subject(task: &Task) -> Subject {
    Subject::Task(task.id)
}

fn state_name(state: Option<&TaskState>) -> String {
    state.map_or_else(|| "(none)".to_owned(), ToString::to_string)
}

/// The expected start and completion of an `OPEN` or `ASSIGNED` task.
pub(super) fn running_estimate(
    task: &Task,
    inputs: &EstimateInputs,
) -> (Option<Timestamp>, Result<Timestamp, EstimateError>) {
    let who = subject(task);
    match task.state {
        Some(TaskState::Assigned) => {
            // The builder it was given to opens it at its next poll.
            let start = match task.created() {
                Ok(Some(created)) => add(created, inputs.config.poll_interval, who),
                Ok(None) => Err(EstimateError::NoCreateTime { subject: who }),
                Err(e) => Err(who.model(e)),
            };
            let completion = start.clone().and_then(|start| {
                let duration = task.estimate_duration(inputs)?;
                add(start, duration, who)
            });
            (start.ok(), completion)
        }
        Some(TaskState::Open) => {
            let started = task.started().map_err(|e| who.model(e));
            let start = started.clone().ok().flatten();
            if let Some(child) = child_method(task.method()) {
                return (start, from_descendents(task, child, inputs));
            }
            let completion = started.and_then(|s| {
                let start = s.ok_or(EstimateError::NoStartTime { subject: who })?;
                add(start, task.estimate_duration(inputs)?, who)
            });
            (start, completion)
        }
        ref other => (
            None,
            Err(EstimateError::UnknownState {
                subject: who,
                state: state_name(other.as_ref()),
            }),
        ),
    }
}

/// The completion of a `build`/`image` task: that of its `OPEN` subtask
/// that started last.
fn from_descendents(
    task: &Task,
    child: &'static str,
    inputs: &EstimateInputs,
) -> Result<Timestamp, EstimateError> {
    let id = task.id.ok_or_else(|| EstimateError::BadTask {
        subject: subject(task),
        detail: "no id to look its descendents up by".into(),
    })?;
    let tree = inputs
        .descendents
        .get(&id)
        .ok_or(MissingInput::Descendents { task: id })?;
    let sub = latest_open_child(tree, child)?.ok_or(EstimateError::NoOpenDescendents {
        task: id,
        child_method: child,
    })?;
    let (_, completion) = running_estimate(sub, inputs);
    completion
}

impl Task {
    /// How long this task is expected to run, from its start to its
    /// completion (txkoji's `estimate_duration`).
    ///
    /// - Finished: the actual duration.
    /// - `tagBuild`: the poll interval plus the margin (txkoji meant to do
    ///   this, but its check came after "no package → no estimate", which
    ///   every `tagBuild` task hits).
    /// - Otherwise the average build duration of the package the task
    ///   builds ([`Task::package`]); [`EstimateError::UnsupportedMethod`]
    ///   for methods without one.
    ///
    /// ```
    /// use jiff::{SignedDuration, Timestamp};
    /// use koji_client::Task;
    /// use koji_client::estimate::EstimateInputs;
    ///
    /// let inputs = EstimateInputs::new(Timestamp::UNIX_EPOCH)
    ///     .with_average("hello", Some(SignedDuration::from_secs(300)));
    /// let t: Task = serde_json::from_str(r#"{"id": 27, "method": "build", "state": 0,
    ///     "request": ["git+https://src.example.com/rpms/hello.git#fff", "f40-candidate", {}]}"#)?;
    /// assert_eq!(t.estimate_duration(&inputs)?.as_secs(), 300);
    /// let tag: Task = serde_json::from_str(r#"{"id": 29, "method": "tagBuild", "state": 0}"#)?;
    /// assert_eq!(tag.estimate_duration(&inputs)?.as_secs(), 45 + 15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn estimate_duration(
        &self,
        inputs: &EstimateInputs,
    ) -> Result<SignedDuration, EstimateError> {
        let who = subject(self);
        if let Some(end) = self.completed().map_err(|e| who.model(e))? {
            let start = self
                .started()
                .map_err(|e| who.model(e))?
                .ok_or(EstimateError::NoStartTime { subject: who })?;
            return Ok(end.duration_since(start));
        }
        if self.method() == Some("tagBuild") {
            return inputs
                .config
                .tag_build_duration()
                .ok_or(EstimateError::OutOfRange { subject: who });
        }
        let package = self.package().map_err(|e| who.model(e))?.ok_or_else(|| {
            EstimateError::UnsupportedMethod {
                subject: who,
                method: self.method().unwrap_or("(none)").to_owned(),
            }
        })?;
        inputs.average(&package)
    }

    /// When this task is expected to finish (txkoji's
    /// `estimate_completion`), or when it did.
    ///
    /// - Finished: its completion time.
    /// - `FREE`: from its channel's snapshot in `inputs`, see
    ///   [`super::estimate_channel`] (the task need not be in the snapshot).
    /// - `ASSIGNED`: creation + poll interval + [`Task::estimate_duration`].
    /// - `OPEN` `build` or `image`: the estimate of its `OPEN` `buildArch`
    ///   or `createImage` subtask that started last (from
    ///   `inputs.descendents`); [`EstimateError::NoOpenDescendents`] when
    ///   there is none yet.
    /// - Other `OPEN` tasks: start + [`Task::estimate_duration`].
    ///
    /// ```
    /// use jiff::{SignedDuration, Timestamp};
    /// use koji_client::{Task, TaskDescendents};
    /// use koji_client::estimate::EstimateInputs;
    ///
    /// let build: Task = serde_json::from_str(r#"{"id": 11, "method": "build", "state": 1,
    ///     "start_time": "2026-11-25 17:34:05+00:00",
    ///     "request": ["git+https://src.example.com/rpms/libfoo.git#8d6bdc6", "f40-candidate", {}]}"#)?;
    /// let tree: TaskDescendents = serde_json::from_str(r#"{"11": [
    ///     {"id": 14, "method": "buildArch", "state": 1, "parent": 11,
    ///      "start_time": "2026-11-25 17:34:09+00:00",
    ///      "request": ["tasks/12/12/libfoo-2.5-1.fc40.src.rpm", 4, "aarch64", true, {}]}],
    ///     "14": []}"#)?;
    /// let inputs = EstimateInputs::new("2026-11-25T17:40:00Z".parse()?)
    ///     .with_descendents(11, tree)
    ///     .with_average("libfoo", Some(SignedDuration::from_mins(40)));
    /// assert_eq!(build.estimate_completion(&inputs)?.to_string(), "2026-11-25T18:14:09Z");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn estimate_completion(&self, inputs: &EstimateInputs) -> Result<Timestamp, EstimateError> {
        let who = subject(self);
        if let Some(end) = self.completed().map_err(|e| who.model(e))? {
            return Ok(end);
        }
        match self.state {
            Some(ref state) if state.is_done() => Err(EstimateError::NoCompletionTime {
                subject: who,
                state: state.to_string(),
            }),
            Some(TaskState::Free) => {
                let channel = self
                    .channel_id
                    .ok_or(EstimateError::NoChannel { subject: who })?;
                let snapshot = inputs
                    .channels
                    .get(&channel)
                    .ok_or(MissingInput::Channel { channel })?;
                let estimate = plan(inputs, snapshot, Some(self))?;
                let mine = estimate
                    .tasks
                    .into_iter()
                    .find(|t| Some(t.task_id) == self.id)
                    .ok_or_else(|| EstimateError::BadTask {
                        subject: who,
                        detail: "no id to find it in its channel by".into(),
                    })?;
                mine.completion
            }
            _ => running_estimate(self, inputs).1,
        }
    }
}

impl Build {
    /// When this build is expected to complete (txkoji's
    /// `Build.estimate_completion`), or when it did: the completion time
    /// once it has one, otherwise start + the average build duration of its
    /// package (from `inputs.averages`).
    ///
    /// ```
    /// use jiff::{SignedDuration, Timestamp};
    /// use koji_client::Build;
    /// use koji_client::estimate::EstimateInputs;
    ///
    /// let inputs = EstimateInputs::new(Timestamp::UNIX_EPOCH)
    ///     .with_average("foo-container", Some(SignedDuration::from_mins(30)));
    /// let building: Build = serde_json::from_str(r#"{"build_id": 25, "name": "foo-container",
    ///     "state": 0, "start_time": "2026-11-25 17:34:34+00:00"}"#)?;
    /// assert_eq!(building.estimate_completion(&inputs)?.to_string(), "2026-11-25T18:04:34Z");
    /// let done: Build = serde_json::from_str(r#"{"build_id": 17, "state": 1,
    ///     "completion_time": "2026-11-25 17:34:01.106100+00:00"}"#)?;
    /// assert_eq!(done.estimate_completion(&inputs)?.to_string(), "2026-11-25T17:34:01.1061Z");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn estimate_completion(&self, inputs: &EstimateInputs) -> Result<Timestamp, EstimateError> {
        let who = Subject::Build(self.build_id());
        if let Some(end) = self.completed().map_err(|e| who.model(e))? {
            return Ok(end);
        }
        match &self.state {
            Some(BuildState::Building) | None => {}
            Some(state) if state.is_known() => {
                return Err(EstimateError::NoCompletionTime {
                    subject: who,
                    state: state.to_string(),
                });
            }
            Some(state) => {
                return Err(EstimateError::UnknownState {
                    subject: who,
                    state: state.to_string(),
                });
            }
        }
        let start = self
            .started()
            .map_err(|e| who.model(e))?
            .ok_or(EstimateError::NoStartTime { subject: who })?;
        let package = self
            .name
            .as_deref()
            .or(self.package_name.as_deref())
            .ok_or(EstimateError::NoPackage { subject: who })?;
        add(start, inputs.average(package)?, who)
    }
}
