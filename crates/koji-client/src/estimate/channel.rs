//! The channel planner: when the queued tasks of a channel start and end.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};

use super::task::running_estimate;
use super::{ChannelSnapshot, EstimateError, EstimateInputs, MissingInput, Subject, add};
use crate::model::{Task, TaskState};

/// Slack for adding up float weights (0.1 + 0.2 fits in 0.3).
const EPSILON: f64 = 1e-9;

/// The estimate of one task in a channel (see [`estimate_channel`]).
///
/// ```
/// use jiff::Timestamp;
/// use koji_client::Task;
/// use koji_client::estimate::{estimate_channel, ChannelSnapshot, EstimateError, EstimateInputs};
///
/// // A newRepo task: running, but nothing to estimate it from.
/// let t: Task = serde_json::from_str(r#"{"id": 31, "method": "newRepo", "state": 1,
///     "weight": 1.0, "start_ts": 0.0, "request": ["f40-build"]}"#)?;
/// let inputs = EstimateInputs::new(Timestamp::UNIX_EPOCH)
///     .with_channel(ChannelSnapshot::new(2, vec![t], vec![]));
/// let plan = estimate_channel(&inputs, 2)?;
/// let e = plan.task(31).unwrap();
/// assert_eq!(e.start, Some(Timestamp::UNIX_EPOCH));
/// assert!(matches!(e.completion, Err(EstimateError::UnsupportedMethod { .. })));
/// assert_eq!(e.ahead, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TaskEstimate {
    /// The task id.
    pub task_id: i64,
    /// The task's method.
    pub method: Option<String>,
    /// The task's state in the snapshot.
    pub state: Option<TaskState>,
    /// When it started, or is expected to start; `None` when unknown.
    pub start: Option<Timestamp>,
    /// When it is expected to complete, or why that cannot be told.
    pub completion: Result<Timestamp, EstimateError>,
    /// For `FREE` tasks, how many `FREE` tasks are ahead of it in the
    /// queue.
    pub ahead: Option<usize>,
}

/// Estimates for every task of a channel snapshot (see
/// [`estimate_channel`]).
///
/// ```
/// use jiff::Timestamp;
/// use koji_client::Host;
/// use koji_client::estimate::{estimate_channel, ChannelSnapshot, EstimateInputs};
///
/// let hosts: Vec<Host> = serde_json::from_str(r#"[{"id": 1, "capacity": 8.0, "enabled": true}]"#)?;
/// let inputs = EstimateInputs::new(Timestamp::UNIX_EPOCH)
///     .with_channel(ChannelSnapshot::new(1, vec![], hosts));
/// let plan = estimate_channel(&inputs, 1)?;
/// assert_eq!((plan.capacity, plan.load), (8.0, 0.0));
/// assert!(plan.tasks.is_empty() && plan.task(27).is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ChannelEstimate {
    /// The channel id.
    pub channel_id: i64,
    /// The capacity of its enabled hosts, added up.
    pub capacity: f64,
    /// The weight of its running tasks (`OPEN` and `ASSIGNED`, except
    /// parents waiting for their subtasks) at the time of the snapshot.
    pub load: f64,
    /// One estimate per task, in the snapshot's order.
    pub tasks: Vec<TaskEstimate>,
}

impl ChannelEstimate {
    /// The estimate of task `task_id`, if it is in the channel.
    pub fn task(&self, task_id: i64) -> Option<&TaskEstimate> {
        self.tasks.iter().find(|t| t.task_id == task_id)
    }
}

/// Estimates every task of channel `channel_id` (whose snapshot `inputs`
/// must hold) in one go: the dashboard view.
///
/// `OPEN` and `ASSIGNED` tasks are estimated as [`Task::estimate_completion`]
/// does, and hold their weight in the channel until then (a parent
/// `waiting` for its subtasks holds none, as on the hub). `FREE` tasks are
/// then placed in queue order — `priority`, then creation time, as
/// `listTasks(…, {'order': 'priority,create_time'})` sorts them and the
/// hub's scheduler takes them:
///
/// - The channel's capacity is the sum of its enabled hosts' capacities.
///   A task fits while the weight of the tasks running plus its own stays
///   within that (or when nothing runs at all, so that a task heavier than
///   the whole channel still starts once it is empty).
/// - A task that fits right away is taken at the builders' next poll after
///   its creation: it starts at creation + poll interval (txkoji's rule).
/// - A task that does not fit waits until enough running tasks (including
///   queued ones placed before it) have ended by their own estimates, and
///   starts a poll interval later. Like the hub's scheduler, a task that
///   does not fit is passed over and later ones that do fit start first.
/// - Its completion is its start + [`Task::estimate_duration`].
///
/// This treats the channel as one pool of capacity (a task may in truth
/// only fit on one host, or only on hosts of its architecture), and takes
/// an overdue running task to end now. A task whose end cannot be estimated
/// holds its weight for good: the tasks that need that capacity get
/// [`EstimateError::Blocked`] naming it, instead of an invented time.
///
/// txkoji estimated a `FREE` task only when the channel had room; its
/// `estimate-container` example sketched this queue by hand.
///
/// ```
/// use jiff::{SignedDuration, Timestamp};
/// use koji_client::{Host, Task};
/// use koji_client::estimate::{estimate_channel, ChannelSnapshot, EstimateInputs};
///
/// let hosts: Vec<Host> = serde_json::from_str(r#"[{"id": 1, "capacity": 1.0, "enabled": true}]"#)?;
/// let tasks: Vec<Task> = serde_json::from_str(r#"[
///   {"id": 1, "method": "tagBuild", "state": 1, "weight": 1.0, "start_time": "2026-11-25 18:00:00+00:00"},
///   {"id": 2, "method": "tagBuild", "state": 0, "weight": 1.0, "priority": 20, "create_time": "2026-11-25 18:00:10+00:00"},
///   {"id": 3, "method": "tagBuild", "state": 0, "weight": 1.0, "priority": 10, "create_time": "2026-11-25 18:00:20+00:00"}
/// ]"#)?;
/// let inputs = EstimateInputs::new("2026-11-25T18:00:30Z".parse()?)
///     .with_channel(ChannelSnapshot::new(1, tasks, hosts));
/// let plan = estimate_channel(&inputs, 1)?;
/// // Task 1 runs 60 s (one poll + margin): 18:01:00.
/// assert_eq!(plan.task(1).unwrap().completion.as_ref().unwrap().to_string(), "2026-11-25T18:01:00Z");
/// // Task 3 has the better priority: it starts a poll after that, runs 60 s.
/// assert_eq!(plan.task(3).unwrap().ahead, Some(0));
/// assert_eq!(plan.task(3).unwrap().completion.as_ref().unwrap().to_string(), "2026-11-25T18:02:45Z");
/// // Then task 2.
/// assert_eq!(plan.task(2).unwrap().completion.as_ref().unwrap().to_string(), "2026-11-25T18:04:30Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn estimate_channel(
    inputs: &EstimateInputs,
    channel_id: i64,
) -> Result<ChannelEstimate, EstimateError> {
    let snapshot = inputs
        .channels
        .get(&channel_id)
        .ok_or(MissingInput::Channel {
            channel: channel_id,
        })?;
    plan(inputs, snapshot, None)
}

/// A task holding capacity: until `end`, or for good when that is unknown.
struct Running {
    id: i64,
    weight: f64,
    end: Option<Timestamp>,
}

/// A `FREE` task waiting in the queue.
struct Queued {
    /// Index into the result list.
    slot: usize,
    id: i64,
    weight: f64,
    priority: Option<i64>,
    created: Result<Timestamp, EstimateError>,
    duration: Result<SignedDuration, EstimateError>,
}

/// Plans `snapshot`, with `extra` added to it (or replacing its row).
pub(super) fn plan(
    inputs: &EstimateInputs,
    snapshot: &ChannelSnapshot,
    extra: Option<&Task>,
) -> Result<ChannelEstimate, EstimateError> {
    let capacity = snapshot.total_capacity()?;
    let mut seen = BTreeSet::new();
    let mut tasks: Vec<&Task> = Vec::new();
    // The caller's copy of `extra` wins over the snapshot's row.
    for task in extra.into_iter().chain(&snapshot.tasks) {
        let id = task.id.ok_or_else(|| EstimateError::BadTask {
            subject: Subject::Task(None),
            detail: "no id".into(),
        })?;
        if seen.insert(id) {
            tasks.push(task);
        }
    }

    let mut results = Vec::with_capacity(tasks.len());
    let mut running = Vec::new();
    let mut queue = Vec::new();
    for (slot, task) in tasks.iter().enumerate() {
        let id = task.id.unwrap_or_default();
        let who = Subject::Task(task.id);
        let mut result = TaskEstimate {
            task_id: id,
            method: task.method.clone(),
            state: task.state.clone(),
            start: None,
            completion: Err(EstimateError::UnknownState {
                subject: who,
                state: "(none)".into(),
            }),
            ahead: None,
        };
        match task.state {
            Some(TaskState::Free) => {
                let created = match task.created() {
                    Ok(Some(t)) => Ok(t),
                    Ok(None) => Err(EstimateError::NoCreateTime { subject: who }),
                    Err(e) => Err(who.model(e)),
                };
                queue.push(Queued {
                    slot,
                    id,
                    weight: weight(task)?,
                    priority: task.priority,
                    created,
                    duration: task.estimate_duration(inputs),
                });
            }
            Some(TaskState::Open | TaskState::Assigned) => {
                let (start, completion) = running_estimate(task, inputs);
                let held = if task.waiting == Some(true) {
                    0.0
                } else {
                    weight(task)?
                };
                running.push(Running {
                    id,
                    weight: held,
                    end: completion.as_ref().ok().copied(),
                });
                result.start = start;
                result.completion = completion;
            }
            _ => {
                result.start = task.started().ok().flatten();
                result.completion = task.estimate_completion(inputs);
            }
        }
        results.push(result);
    }
    let load = running.iter().fold(0.0, |sum, r| sum + r.weight);

    // Queue order: priority, then creation, then id (missing values last).
    queue.sort_by_key(|q| {
        (
            q.priority.unwrap_or(i64::MAX),
            // `false` (has a creation time) sorts first.
            q.created.is_err(),
            q.created.as_ref().ok().copied(),
            q.id,
        )
    });
    for (ahead, q) in queue.iter().enumerate() {
        if let Some(result) = results.get_mut(q.slot) {
            result.ahead = Some(ahead);
        }
    }

    let mut queue = Queue::new(queue);
    let mut sim = Simulation {
        capacity,
        running,
        poll: inputs.config.poll_interval,
    };
    // Room right away: taken at the first poll after creation.
    sim.place(&mut queue, &mut results, None);
    let mut now = inputs.now;
    while !queue.is_empty() {
        // Everything due by `now` has ended (overdue tasks end now).
        sim.running.retain(|r| r.end.is_none_or(|end| end > now));
        sim.place(&mut queue, &mut results, Some(now));
        if queue.is_empty() {
            break;
        }
        match sim.running.iter().filter_map(|r| r.end).min() {
            Some(next) => now = now.max(next),
            None => {
                // What is left holds capacity for good; name the tasks
                // that hold any.
                let blockers: Vec<i64> = sim
                    .running
                    .iter()
                    .filter(|r| r.weight > 0.0)
                    .map(|r| r.id)
                    .collect();
                for q in queue.drain() {
                    if let Some(result) = results.get_mut(q.slot) {
                        result.completion = Err(if capacity <= 0.0 || blockers.is_empty() {
                            EstimateError::NoCapacity {
                                channel: snapshot.channel_id,
                            }
                        } else {
                            EstimateError::Blocked {
                                blockers: blockers.clone(),
                            }
                        });
                    }
                }
            }
        }
    }

    Ok(ChannelEstimate {
        channel_id: snapshot.channel_id,
        capacity,
        load,
        tasks: results,
    })
}

/// The `FREE` tasks still waiting, in queue order.
struct Queue {
    /// `None` once placed.
    slots: Vec<Option<Queued>>,
    /// The first slot still waiting (or the end).
    head: usize,
    /// How many still wait.
    left: usize,
    /// The lightest weight in the queue (a lower bound for those left).
    lightest: f64,
}

impl Queue {
    fn new(sorted: Vec<Queued>) -> Self {
        Queue {
            left: sorted.len(),
            lightest: sorted
                .iter()
                .map(|q| q.weight)
                .fold(f64::INFINITY, f64::min),
            slots: sorted.into_iter().map(Some).collect(),
            head: 0,
        }
    }

    fn is_empty(&self) -> bool {
        self.left == 0
    }

    /// Takes every task still waiting.
    fn drain(&mut self) -> impl Iterator<Item = Queued> + '_ {
        self.left = 0;
        self.slots.drain(..).flatten()
    }
}

struct Simulation {
    capacity: f64,
    running: Vec<Running>,
    poll: SignedDuration,
}

impl Simulation {
    fn fits(&self, load: f64, weight: f64) -> bool {
        self.capacity > 0.0 && (load <= EPSILON || load + weight <= self.capacity + EPSILON)
    }

    /// Starts every queued task that fits, in queue order. `room_at` is when
    /// the capacity became free; `None` for capacity that was free all
    /// along (the task starts a poll interval after its creation).
    fn place(
        &mut self,
        queue: &mut Queue,
        results: &mut [TaskEstimate],
        room_at: Option<Timestamp>,
    ) {
        // Added up afresh each time, so that float error does not build up.
        let mut load = self.running.iter().fold(0.0, |sum, r| sum + r.weight);
        for slot in queue.slots.iter_mut().skip(queue.head) {
            if !self.fits(load, queue.lightest) {
                // Full even for the lightest task: nothing further fits.
                break;
            }
            if !slot.as_ref().is_some_and(|q| self.fits(load, q.weight)) {
                continue;
            }
            let Some(q) = slot.take() else { continue };
            queue.left -= 1;
            load += q.weight;
            let who = Subject::Task(Some(q.id));
            let start = match room_at {
                Some(at) => add(at, self.poll, who),
                None => q.created.and_then(|c| add(c, self.poll, who)),
            };
            let completion = start.clone().and_then(|s| add(s, q.duration?, who));
            self.running.push(Running {
                id: q.id,
                weight: q.weight,
                end: completion.as_ref().ok().copied(),
            });
            if let Some(result) = results.get_mut(q.slot) {
                result.start = start.ok();
                result.completion = completion;
            }
        }
        while queue.slots.get(queue.head).is_some_and(Option::is_none) {
            queue.head += 1;
        }
    }
}

/// A task's weight, which must be a non-negative number.
fn weight(task: &Task) -> Result<f64, EstimateError> {
    match task.weight {
        Some(w) if w.is_finite() && w >= 0.0 => Ok(w),
        other => Err(EstimateError::BadTask {
            subject: Subject::Task(task.id),
            detail: match other {
                Some(w) => format!("weight {w} is not a non-negative number"),
                None => "no weight".into(),
            },
        }),
    }
}
