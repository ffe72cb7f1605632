//! Fetching estimate inputs from a hub, in as few round trips as the data
//! allows.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use koji_xmlrpc::{Fault, Struct, Value, kwargs_struct};
use serde::de::DeserializeOwned;

use super::{
    ChannelEstimate, ChannelSnapshot, EstimateConfig, EstimateError, EstimateInputs,
    average_of_builds, estimate_channel, is_container_package,
};
use crate::model::{Build, BuildState, Host, Task, TaskDescendents, TaskState, duration_from_secs};

/// One hub call the estimates make, with the exact arguments sent.
///
/// [`HubCall::method`] and [`HubCall::params`] give the XML-RPC method
/// name and parameters (keyword arguments already in the trailing
/// `__starstar` struct), ready for a request or a multicall entry.
///
/// ```
/// use koji_client::estimate::HubCall;
///
/// let call = HubCall::TaskDescendents { task_id: 2 };
/// assert_eq!(call.method(), "getTaskDescendents");
/// let body = koji_xmlrpc::encode_request(call.method(), &call.params()).unwrap();
/// assert!(std::str::from_utf8(&body).unwrap().contains("<name>request</name>"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HubCall {
    /// `getAverageBuildDuration(package)`: seconds as a double, or nil.
    AverageBuildDuration {
        /// The package name.
        package: String,
    },
    /// `listBuilds(packageID=package, state=COMPLETE, queryOpts={'limit':
    /// limit, 'order': '-completion_time'})`: the last `COMPLETE` builds
    /// (`limit` 0 means all of them).
    LastBuilds {
        /// The package name (the hub accepts a name for `packageID`).
        package: String,
        /// How many builds.
        limit: u32,
    },
    /// `getTaskDescendents(task_id, request=True)`.
    TaskDescendents {
        /// The task asked about.
        task_id: i64,
    },
    /// `listTasks({'channel_id': ID, 'state': [FREE, OPEN, ASSIGNED],
    /// 'decode': True}, {'order': 'priority,create_time'})`: the channel's
    /// active tasks, with their decoded requests, in queue order.
    ChannelTasks {
        /// The channel id.
        channel_id: i64,
    },
    /// `listHosts(channelID=ID)`: the channel's hosts, enabled or not.
    ChannelHosts {
        /// The channel id.
        channel_id: i64,
    },
}

fn kwargs<const N: usize>(members: [(&str, Value); N]) -> Value {
    kwargs_struct(
        members
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

impl HubCall {
    /// The hub method name.
    pub fn method(&self) -> &'static str {
        match self {
            HubCall::AverageBuildDuration { .. } => "getAverageBuildDuration",
            HubCall::LastBuilds { .. } => "listBuilds",
            HubCall::TaskDescendents { .. } => "getTaskDescendents",
            HubCall::ChannelTasks { .. } => "listTasks",
            HubCall::ChannelHosts { .. } => "listHosts",
        }
    }

    /// The XML-RPC parameters, as koji's `ClientSession` would send them.
    ///
    /// ```
    /// use koji_client::estimate::HubCall;
    /// use koji_xmlrpc::Value;
    ///
    /// let params = HubCall::AverageBuildDuration { package: "hello".into() }.params();
    /// assert_eq!(params, [Value::from("hello")]);
    /// ```
    pub fn params(&self) -> Vec<Value> {
        match self {
            HubCall::AverageBuildDuration { package } => vec![Value::from(package.as_str())],
            HubCall::LastBuilds { package, limit } => {
                let mut query = Struct::new();
                query.insert("limit".into(), Value::Int(i64::from(*limit)));
                query.insert("order".into(), Value::from("-completion_time"));
                vec![kwargs([
                    ("packageID", Value::from(package.as_str())),
                    (
                        "state",
                        Value::Int(BuildState::Complete.code().unwrap_or(1)),
                    ),
                    ("queryOpts", Value::Struct(query)),
                ])]
            }
            HubCall::TaskDescendents { task_id } => {
                vec![
                    Value::Int(*task_id),
                    kwargs([("request", Value::Bool(true))]),
                ]
            }
            HubCall::ChannelTasks { channel_id } => {
                let states = TaskState::ACTIVE
                    .iter()
                    .filter_map(TaskState::code)
                    .map(Value::Int)
                    .collect();
                let mut opts = Struct::new();
                opts.insert("channel_id".into(), Value::Int(*channel_id));
                opts.insert("state".into(), Value::Array(states));
                opts.insert("decode".into(), Value::Bool(true));
                let mut query = Struct::new();
                query.insert("order".into(), Value::from("priority,create_time"));
                vec![Value::Struct(opts), Value::Struct(query)]
            }
            HubCall::ChannelHosts { channel_id } => {
                vec![kwargs([("channelID", Value::Int(*channel_id))])]
            }
        }
    }
}

/// Where the estimates get their hub data: anything that can make a batch
/// of [`HubCall`]s in one round trip.
///
/// A connection implements it with one `system.multicall` per batch; a
/// test can answer from memory. Each call of `call_batch` is one round
/// trip, which is what the functions of this module keep few.
///
/// ```
/// use koji_client::estimate::{EstimateSource, HubCall};
/// use koji_xmlrpc::{Fault, Value};
///
/// /// A hub that knows one average and nothing else.
/// struct OneAverage;
///
/// impl EstimateSource for OneAverage {
///     type Error = std::convert::Infallible;
///
///     async fn call_batch(&self, calls: &[HubCall]) -> Result<Vec<Result<Value, Fault>>, Self::Error> {
///         Ok(calls.iter().map(|call| match call {
///             HubCall::AverageBuildDuration { package } if package == "hello" => Ok(Value::Double(90.0)),
///             HubCall::AverageBuildDuration { .. } => Ok(Value::Nil),
///             _ => Err(Fault::new(1000, "not here")),
///         }).collect())
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let config = Default::default();
/// let avg = koji_client::estimate::average_build_duration(&OneAverage, "hello", config).await?;
/// assert_eq!(avg.unwrap().as_secs(), 90);
/// # Ok::<(), koji_client::estimate::EstimateError>(()) }).unwrap();
/// ```
pub trait EstimateSource: Sync {
    /// What can go wrong making the calls (transport, login, …); faults the
    /// hub answers single calls with are not errors here but answers.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Makes `calls` in one round trip and answers each, in order: the
    /// hub's value, or the fault it answered that call with.
    fn call_batch(
        &self,
        calls: &[HubCall],
    ) -> impl Future<Output = Result<Vec<Result<Value, Fault>>, Self::Error>> + Send;
}

/// One round trip; faults become errors naming the call.
async fn round_trip<S: EstimateSource>(
    source: &S,
    calls: &[HubCall],
) -> Result<Vec<Value>, EstimateError> {
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let answers = source
        .call_batch(calls)
        .await
        .map_err(|e| EstimateError::Source(Arc::new(e)))?;
    if answers.len() != calls.len() {
        return Err(EstimateError::BadReply {
            method: "system.multicall",
            detail: format!("{} answers to {} calls", answers.len(), calls.len()),
        });
    }
    calls
        .iter()
        .zip(answers)
        .map(|(call, answer)| {
            answer.map_err(|fault| EstimateError::Fault {
                method: call.method(),
                code: fault.code,
                message: fault.string,
            })
        })
        .collect()
}

fn decode<T: DeserializeOwned>(call: &HubCall, value: Value) -> Result<T, EstimateError> {
    koji_xmlrpc::from_value(value).map_err(|e| EstimateError::BadReply {
        method: call.method(),
        detail: e.to_string(),
    })
}

/// The call that gives `package`'s average under `config`.
fn averaging_call(package: &str, config: EstimateConfig) -> HubCall {
    if is_container_package(package) {
        HubCall::LastBuilds {
            package: package.to_owned(),
            limit: config.last_builds,
        }
    } else {
        HubCall::AverageBuildDuration {
            package: package.to_owned(),
        }
    }
}

/// Reads the answer to an [`averaging_call`].
fn average_from(call: &HubCall, value: Value) -> Result<Option<SignedDuration>, EstimateError> {
    match call {
        HubCall::AverageBuildDuration { package } => {
            let secs = match value {
                Value::Nil => return Ok(None),
                Value::Double(secs) => secs,
                // Exact for any plausible number of seconds.
                Value::Int(secs) => secs as f64,
                other => {
                    return Err(EstimateError::BadReply {
                        method: call.method(),
                        detail: format!("expected seconds or nil, got {other:?}"),
                    });
                }
            };
            duration_from_secs(secs)
                .map(Some)
                .ok_or_else(|| EstimateError::BadAverage {
                    package: package.clone(),
                    value: secs,
                })
        }
        _ => {
            let builds: Vec<Build> = decode(call, value)?;
            average_of_builds(&builds)
        }
    }
}

/// The average build duration of `package` (txkoji's
/// `average_build_duration`): the hub's `getAverageBuildDuration`, or for a
/// container package the mean duration of its last
/// [`EstimateConfig::last_builds`] `COMPLETE` builds. `None` when there is
/// nothing to measure. One round trip.
///
///
/// ```
/// # use koji_client::estimate::{EstimateSource, HubCall};
/// # use koji_xmlrpc::{Fault, Value};
/// # /// Every package averages 10 minutes; channels are empty.
/// # struct Hub;
/// # impl EstimateSource for Hub {
/// #     type Error = std::convert::Infallible;
/// #     async fn call_batch(&self, calls: &[HubCall]) -> Result<Vec<Result<Value, Fault>>, Self::Error> {
/// #         Ok(calls.iter().map(|call| Ok(match call {
/// #             HubCall::AverageBuildDuration { .. } => Value::Double(600.0),
/// #             _ => Value::Array(vec![]),
/// #         })).collect())
/// #     }
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use koji_client::estimate::average_build_duration;
///
/// let avg = average_build_duration(&Hub, "hello", Default::default()).await?;
/// assert_eq!(avg.unwrap().as_mins(), 10);
/// // A container package is averaged over its last builds (none here).
/// assert_eq!(average_build_duration(&Hub, "foo-container", Default::default()).await?, None);
/// # Ok::<(), koji_client::estimate::EstimateError>(()) }).unwrap();
/// ```
pub async fn average_build_duration<S: EstimateSource>(
    source: &S,
    package: &str,
    config: EstimateConfig,
) -> Result<Option<SignedDuration>, EstimateError> {
    let mut all = average_build_durations(source, [package], config).await?;
    Ok(all.remove(package).flatten())
}

/// The average build durations of `packages`, by name, in one round trip
/// (one multicall), whatever the mix of container and other packages
/// (txkoji refused mixes). Duplicates are asked once.
///
/// ```
/// use koji_client::estimate::{average_build_durations, EstimateSource, HubCall};
/// use koji_xmlrpc::{Fault, Value};
///
/// struct Hub;
/// impl EstimateSource for Hub {
///     type Error = std::convert::Infallible;
///     async fn call_batch(&self, calls: &[HubCall]) -> Result<Vec<Result<Value, Fault>>, Self::Error> {
///         assert_eq!(calls.len(), 2);
///         Ok(calls.iter().map(|call| Ok(match call {
///             HubCall::AverageBuildDuration { .. } => Value::Double(120.0),
///             // No container builds yet.
///             _ => Value::Array(vec![]),
///         })).collect())
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let averages = average_build_durations(&Hub, ["hello", "foo-container", "hello"], Default::default()).await?;
/// assert_eq!(averages["hello"].unwrap().as_secs(), 120);
/// assert_eq!(averages["foo-container"], None);
/// # Ok::<(), koji_client::estimate::EstimateError>(()) }).unwrap();
/// ```
pub async fn average_build_durations<S, I, P>(
    source: &S,
    packages: I,
    config: EstimateConfig,
) -> Result<BTreeMap<String, Option<SignedDuration>>, EstimateError>
where
    S: EstimateSource,
    I: IntoIterator<Item = P>,
    P: AsRef<str>,
{
    let names: BTreeSet<String> = packages
        .into_iter()
        .map(|p| p.as_ref().to_owned())
        .collect();
    let calls: Vec<HubCall> = names.iter().map(|p| averaging_call(p, config)).collect();
    let values = round_trip(source, &calls).await?;
    names
        .into_iter()
        .zip(calls.iter().zip(values))
        .map(|(name, (call, value))| Ok((name, average_from(call, value)?)))
        .collect()
}

/// The snapshot of channel `channel_id`: its active tasks (with decoded
/// requests, in queue order) and its hosts. One round trip.
///
/// ```
/// use koji_client::estimate::{channel_snapshot, EstimateSource, HubCall};
/// use koji_xmlrpc::{Fault, Value};
///
/// struct EmptyHub;
/// impl EstimateSource for EmptyHub {
///     type Error = std::convert::Infallible;
///     async fn call_batch(&self, calls: &[HubCall]) -> Result<Vec<Result<Value, Fault>>, Self::Error> {
///         Ok(calls.iter().map(|_| Ok(Value::Array(vec![]))).collect())
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let snapshot = channel_snapshot(&EmptyHub, 9).await?;
/// assert_eq!(snapshot.channel_id, 9);
/// assert!(snapshot.tasks.is_empty() && snapshot.hosts.is_empty());
/// # Ok::<(), koji_client::estimate::EstimateError>(()) }).unwrap();
/// ```
pub async fn channel_snapshot<S: EstimateSource>(
    source: &S,
    channel_id: i64,
) -> Result<ChannelSnapshot, EstimateError> {
    let calls = [
        HubCall::ChannelTasks { channel_id },
        HubCall::ChannelHosts { channel_id },
    ];
    let mut values = round_trip(source, &calls).await?.into_iter();
    let (Some(tasks), Some(hosts)) = (values.next(), values.next()) else {
        return Err(EstimateError::BadReply {
            method: "system.multicall",
            detail: "missing answers".into(),
        });
    };
    let [tasks_call, hosts_call] = &calls;
    let tasks: Vec<Task> = decode(tasks_call, tasks)?;
    let hosts: Vec<Host> = decode(hosts_call, hosts)?;
    Ok(ChannelSnapshot::new(channel_id, tasks, hosts))
}

/// Fetches what `inputs` lack to estimate `tasks`, `builds` and every task
/// of the channel snapshots `inputs` holds: descendents of `OPEN`
/// `build`/`image` tasks and package averages (see
/// [`EstimateInputs::needs_for_tasks`]). Returns how many round trips that
/// took.
///
/// The first round trip fetches the descendents together with every
/// average known to be needed (a `build` task's own package standing in for
/// its subtasks'); a second one is made only when a subtask turns out to
/// build another package. Channel snapshots are not fetched here (see
/// [`channel_snapshot`]).
///
/// ```
/// use jiff::Timestamp;
/// use koji_client::Task;
/// use koji_client::estimate::{complete_inputs, EstimateInputs, EstimateSource, HubCall};
/// use koji_xmlrpc::{Fault, Value};
///
/// struct Hub;
/// impl EstimateSource for Hub {
///     type Error = std::convert::Infallible;
///     async fn call_batch(&self, calls: &[HubCall]) -> Result<Vec<Result<Value, Fault>>, Self::Error> {
///         Ok(calls.iter().map(|_| Ok(Value::Double(600.0))).collect())
///     }
/// }
///
/// let task: Task = serde_json::from_str(r#"{"id": 5, "method": "buildArch", "state": 1,
///     "start_time": "2026-11-25 18:00:00+00:00",
///     "request": ["tasks/3/3/hello-1.3-1.fc40.src.rpm", 4, "x86_64", true, {}]}"#).unwrap();
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut inputs = EstimateInputs::new("2026-11-25T18:01:00Z".parse().unwrap());
/// assert_eq!(complete_inputs(&Hub, &mut inputs, &[task.clone()], &[]).await?, 1);
/// assert_eq!(task.estimate_completion(&inputs)?.to_string(), "2026-11-25T18:10:00Z");
/// // Nothing is missing any more: no round trip.
/// assert_eq!(complete_inputs(&Hub, &mut inputs, &[task], &[]).await?, 0);
/// # Ok::<(), koji_client::estimate::EstimateError>(()) }).unwrap();
/// ```
pub async fn complete_inputs<S: EstimateSource>(
    source: &S,
    inputs: &mut EstimateInputs,
    tasks: &[Task],
    builds: &[Build],
) -> Result<usize, EstimateError> {
    // Each round trip answers everything asked; only subtasks' packages
    // can appear after the first, so two suffice. The bound is a guard.
    const MAX_ROUND_TRIPS: usize = 3;
    let mut trips = 0;
    while trips < MAX_ROUND_TRIPS {
        let mut needs = inputs.needs_for_tasks(tasks);
        for channel in inputs.channels.keys() {
            needs.merge(inputs.needs_for_channel(*channel));
        }
        for build in builds {
            needs.merge(inputs.needs_for_build(build));
        }
        if needs.is_empty() {
            break;
        }
        let calls: Vec<HubCall> = needs
            .descendents
            .iter()
            .map(|&task_id| HubCall::TaskDescendents { task_id })
            .chain(
                needs
                    .packages
                    .iter()
                    .map(|p| averaging_call(p, inputs.config)),
            )
            .collect();
        let values = round_trip(source, &calls).await?;
        trips += 1;
        for (call, value) in calls.iter().zip(values) {
            match call {
                HubCall::TaskDescendents { task_id } => {
                    let tree: TaskDescendents = decode(call, value)?;
                    inputs.descendents.insert(*task_id, tree);
                }
                HubCall::AverageBuildDuration { package } | HubCall::LastBuilds { package, .. } => {
                    let average = average_from(call, value)?;
                    inputs.averages.insert(package.clone(), average);
                }
                HubCall::ChannelTasks { .. } | HubCall::ChannelHosts { .. } => {}
            }
        }
    }
    Ok(trips)
}

/// Estimates every active task of channel `channel_id` (the dashboard
/// case; see [`estimate_channel`]): one round trip for the channel's tasks
/// and hosts, one for descendents and averages (rarely a third, see
/// [`complete_inputs`]).
///
/// `now` is the clock; pass `jiff::Timestamp::now()` outside tests.
///
/// ```
/// # use koji_client::estimate::{EstimateSource, HubCall};
/// # use koji_xmlrpc::{Fault, Value};
/// # /// Every package averages 10 minutes; channels are empty.
/// # struct Hub;
/// # impl EstimateSource for Hub {
/// #     type Error = std::convert::Infallible;
/// #     async fn call_batch(&self, calls: &[HubCall]) -> Result<Vec<Result<Value, Fault>>, Self::Error> {
/// #         Ok(calls.iter().map(|call| Ok(match call {
/// #             HubCall::AverageBuildDuration { .. } => Value::Double(600.0),
/// #             _ => Value::Array(vec![]),
/// #         })).collect())
/// #     }
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use koji_client::estimate::estimate_channel_tasks;
///
/// let plan = estimate_channel_tasks(&Hub, 9, jiff::Timestamp::now(), Default::default()).await?;
/// for task in &plan.tasks {
///     match &task.completion {
///         Ok(when) => println!("task {}: done by {when}", task.task_id),
///         Err(why) => println!("task {}: {why}", task.task_id),
///     }
/// }
/// # Ok::<(), koji_client::estimate::EstimateError>(()) }).unwrap();
/// ```
pub async fn estimate_channel_tasks<S: EstimateSource>(
    source: &S,
    channel_id: i64,
    now: Timestamp,
    config: EstimateConfig,
) -> Result<ChannelEstimate, EstimateError> {
    let snapshot = channel_snapshot(source, channel_id).await?;
    let mut inputs = EstimateInputs::new(now)
        .with_config(config)
        .with_channel(snapshot);
    complete_inputs(source, &mut inputs, &[], &[]).await?;
    estimate_channel(&inputs, channel_id)
}

/// Estimates when `task` completes ([`Task::estimate_completion`]),
/// fetching what that needs: nothing for a finished task, its channel's
/// snapshot for a `FREE` one, then descendents and averages.
///
/// `task` needs its `request` (`getTaskInfo(id, request=True)` or a
/// `listTasks` row). `now` is the clock.
///
/// ```
/// # use koji_client::estimate::{EstimateSource, HubCall};
/// # use koji_xmlrpc::{Fault, Value};
/// # /// Every package averages 10 minutes; channels are empty.
/// # struct Hub;
/// # impl EstimateSource for Hub {
/// #     type Error = std::convert::Infallible;
/// #     async fn call_batch(&self, calls: &[HubCall]) -> Result<Vec<Result<Value, Fault>>, Self::Error> {
/// #         Ok(calls.iter().map(|call| Ok(match call {
/// #             HubCall::AverageBuildDuration { .. } => Value::Double(600.0),
/// #             _ => Value::Array(vec![]),
/// #         })).collect())
/// #     }
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use koji_client::Task;
/// use koji_client::estimate::estimate_task_completion;
///
/// let task: Task = serde_json::from_str(r#"{"id": 14, "method": "buildArch", "state": 1,
///     "start_time": "2026-11-25 17:34:09+00:00",
///     "request": ["tasks/12/12/libfoo-2.5-1.fc40.src.rpm", 4, "aarch64", true, {}]}"#).unwrap();
/// let now = "2026-11-25T17:40:00Z".parse().unwrap();
/// let when = estimate_task_completion(&Hub, &task, now, Default::default()).await?;
/// assert_eq!(when.to_string(), "2026-11-25T17:44:09Z");
/// # Ok::<(), koji_client::estimate::EstimateError>(()) }).unwrap();
/// ```
pub async fn estimate_task_completion<S: EstimateSource>(
    source: &S,
    task: &Task,
    now: Timestamp,
    config: EstimateConfig,
) -> Result<Timestamp, EstimateError> {
    let mut inputs = EstimateInputs::new(now).with_config(config);
    let finished = matches!(task.completed(), Ok(Some(_)));
    if !finished && task.state == Some(TaskState::Free) {
        if let Some(channel) = task.channel_id {
            inputs = inputs.with_channel(channel_snapshot(source, channel).await?);
        }
    }
    complete_inputs(source, &mut inputs, std::slice::from_ref(task), &[]).await?;
    task.estimate_completion(&inputs)
}

/// Estimates how long `task` runs ([`Task::estimate_duration`]), fetching
/// its package's average if it needs one (one round trip at most).
///
/// ```
/// # use koji_client::estimate::{EstimateSource, HubCall};
/// # use koji_xmlrpc::{Fault, Value};
/// # /// Every package averages 10 minutes; channels are empty.
/// # struct Hub;
/// # impl EstimateSource for Hub {
/// #     type Error = std::convert::Infallible;
/// #     async fn call_batch(&self, calls: &[HubCall]) -> Result<Vec<Result<Value, Fault>>, Self::Error> {
/// #         Ok(calls.iter().map(|call| Ok(match call {
/// #             HubCall::AverageBuildDuration { .. } => Value::Double(600.0),
/// #             _ => Value::Array(vec![]),
/// #         })).collect())
/// #     }
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use koji_client::Task;
/// use koji_client::estimate::estimate_task_duration;
///
/// let task: Task = serde_json::from_str(r#"{"id": 27, "method": "build", "state": 0,
///     "request": ["git+https://src.example.com/rpms/hello.git#fff", "f40-candidate", {}]}"#).unwrap();
/// let took = estimate_task_duration(&Hub, &task, jiff::Timestamp::now(), Default::default()).await?;
/// assert_eq!(took.as_mins(), 10);
/// # Ok::<(), koji_client::estimate::EstimateError>(()) }).unwrap();
/// ```
pub async fn estimate_task_duration<S: EstimateSource>(
    source: &S,
    task: &Task,
    now: Timestamp,
    config: EstimateConfig,
) -> Result<SignedDuration, EstimateError> {
    let mut inputs = EstimateInputs::new(now).with_config(config);
    let needs_average =
        !matches!(task.completed(), Ok(Some(_))) && task.method() != Some("tagBuild");
    if needs_average {
        if let Ok(Some(package)) = task.package() {
            inputs.averages = average_build_durations(source, [package], config).await?;
        }
    }
    task.estimate_duration(&inputs)
}

/// Estimates when `build` completes ([`Build::estimate_completion`]),
/// fetching its package's average while it is building (one round trip at
/// most).
///
/// ```
/// # use koji_client::estimate::{EstimateSource, HubCall};
/// # use koji_xmlrpc::{Fault, Value};
/// # /// Every package averages 10 minutes; channels are empty.
/// # struct Hub;
/// # impl EstimateSource for Hub {
/// #     type Error = std::convert::Infallible;
/// #     async fn call_batch(&self, calls: &[HubCall]) -> Result<Vec<Result<Value, Fault>>, Self::Error> {
/// #         Ok(calls.iter().map(|call| Ok(match call {
/// #             HubCall::AverageBuildDuration { .. } => Value::Double(600.0),
/// #             _ => Value::Array(vec![]),
/// #         })).collect())
/// #     }
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use koji_client::Build;
/// use koji_client::estimate::estimate_build_completion;
///
/// let build: Build = serde_json::from_str(r#"{"build_id": 19, "name": "libfoo", "state": 0,
///     "start_time": "2026-11-25 17:34:07+00:00"}"#).unwrap();
/// let when = estimate_build_completion(&Hub, &build, jiff::Timestamp::now(), Default::default()).await?;
/// assert_eq!(when.to_string(), "2026-11-25T17:44:07Z");
/// # Ok::<(), koji_client::estimate::EstimateError>(()) }).unwrap();
/// ```
pub async fn estimate_build_completion<S: EstimateSource>(
    source: &S,
    build: &Build,
    now: Timestamp,
    config: EstimateConfig,
) -> Result<Timestamp, EstimateError> {
    let mut inputs = EstimateInputs::new(now).with_config(config);
    complete_inputs(source, &mut inputs, &[], std::slice::from_ref(build)).await?;
    build.estimate_completion(&inputs)
}
