//! The estimates' fetching layer against two in-memory hubs: one that
//! answers from the realhub data set the way the hub's queries would (and
//! counts round trips), and one that replays the real hub's recorded
//! exchanges byte for byte.
#![allow(clippy::unwrap_used)]

#[path = "fixtures_support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};
use koji_client::estimate::{
    EstimateConfig, EstimateError, EstimateInputs, EstimateSource, HubCall, average_build_duration,
    average_build_durations, channel_snapshot, complete_inputs, estimate_build_completion,
    estimate_channel_tasks, estimate_task_completion, estimate_task_duration,
};
use koji_client::{Build, Task, TaskState};
use koji_xmlrpc::{Fault, Value};
use serde_json::Value as Json;
use support::{dataset, exchanges};

/// "Now" for the data set: 6 s after its last event.
fn now() -> Timestamp {
    Timestamp::from_second(1_795_628_080).unwrap()
}

fn micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap()
}

/// The last-5 mean of foo-container's builds, worked out in the unit
/// tests: 703.8743466 s.
const FOO_CONTAINER_MEAN: SignedDuration = SignedDuration::from_nanos(703_874_346_600);

fn json_to_value(json: &Json) -> Value {
    koji_xmlrpc::to_value(json).unwrap()
}

fn fault(code: i64, text: &str) -> Fault {
    Fault::new(code, text)
}

/// A hub answering from the data set, reading every argument from the
/// wire parameters (so a call that sends the wrong thing gets the wrong
/// answer), and recording each batch.
#[derive(Default)]
struct DatasetHub {
    batches: Mutex<Vec<Vec<HubCall>>>,
    /// Replaces `getTaskDescendents` answers, by task id.
    descendents: BTreeMap<i64, Json>,
}

impl DatasetHub {
    fn batches(&self) -> Vec<Vec<HubCall>> {
        self.batches.lock().unwrap().clone()
    }

    fn answer(&self, call: &HubCall) -> Result<Value, Fault> {
        let (args, kwargs) = koji_xmlrpc::split_kwargs(call.params());
        let kwargs = kwargs.unwrap_or_default();
        let int = |v: Option<&Value>| v.and_then(Value::as_i64);
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        match call.method() {
            "getAverageBuildDuration" => {
                let name = text(args.first()).ok_or_else(|| fault(1019, "package"))?;
                Ok(json_to_value(&dataset("average_build_duration")[&name]))
            }
            "listBuilds" => {
                let name = text(kwargs.get("packageID")).ok_or_else(|| fault(1019, "packageID"))?;
                let state = int(kwargs.get("state"));
                let Some(Value::Struct(query)) = kwargs.get("queryOpts") else {
                    return Err(fault(1019, "queryOpts"));
                };
                if text(query.get("order")).as_deref() != Some("-completion_time") {
                    return Err(fault(1, "Invalid order"));
                }
                let limit = int(query.get("limit")).unwrap_or(0);
                let mut rows: Vec<Json> = dataset("listBuilds")
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|b| b["name"] == name.as_str())
                    .filter(|b| state.is_none_or(|s| b["state"] == s))
                    .cloned()
                    .collect();
                rows.sort_by(|a, b| {
                    b["completion_time"]
                        .as_str()
                        .cmp(&a["completion_time"].as_str())
                });
                if limit > 0 {
                    rows.truncate(limit as usize);
                }
                Ok(json_to_value(&Json::Array(rows)))
            }
            "getTaskDescendents" => {
                let id = int(args.first()).ok_or_else(|| fault(1019, "task_id"))?;
                if kwargs.get("request") != Some(&Value::Bool(true)) {
                    return Err(fault(1019, "this hub only answers request=True"));
                }
                let tree = match self.descendents.get(&id) {
                    Some(tree) => tree.clone(),
                    None => dataset("task_descendents")[id.to_string()].clone(),
                };
                Ok(json_to_value(&tree))
            }
            "listTasks" => {
                let (Some(Value::Struct(opts)), Some(Value::Struct(query))) =
                    (args.first(), args.get(1))
                else {
                    return Err(fault(1019, "opts, queryOpts"));
                };
                if opts.get("decode") != Some(&Value::Bool(true)) {
                    return Err(fault(1019, "this hub only answers decode=True"));
                }
                let channel = int(opts.get("channel_id"));
                let states: Vec<i64> = match opts.get("state") {
                    Some(Value::Array(s)) => s.iter().filter_map(Value::as_i64).collect(),
                    _ => return Err(fault(1019, "state")),
                };
                let mut rows: Vec<Json> = dataset("listTasks_decoded")
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|t| channel.is_none_or(|c| t["channel_id"] == c))
                    .filter(|t| states.iter().any(|s| t["state"] == *s))
                    .cloned()
                    .collect();
                if text(query.get("order")).as_deref() != Some("priority,create_time") {
                    return Err(fault(1, "Invalid order"));
                }
                rows.sort_by(|a, b| {
                    let key = |t: &Json| (t["priority"].as_i64(), t["create_ts"].as_f64());
                    key(a).partial_cmp(&key(b)).unwrap()
                });
                Ok(json_to_value(&Json::Array(rows)))
            }
            "listHosts" => {
                let channel =
                    int(kwargs.get("channelID")).ok_or_else(|| fault(1019, "channelID"))?;
                let hosts = dataset("channel_hosts")[channel.to_string()].clone();
                Ok(json_to_value(&if hosts.is_null() {
                    Json::Array(vec![])
                } else {
                    hosts
                }))
            }
            other => Err(fault(1000, &format!("Invalid method: {other}"))),
        }
    }
}

impl EstimateSource for DatasetHub {
    type Error = std::io::Error;

    async fn call_batch(
        &self,
        calls: &[HubCall],
    ) -> Result<Vec<Result<Value, Fault>>, Self::Error> {
        self.batches.lock().unwrap().push(calls.to_vec());
        Ok(calls.iter().map(|c| self.answer(c)).collect())
    }
}

fn real_task(id: i64) -> Task {
    serde_json::from_value(dataset("tasks")[id.to_string()].clone()).unwrap()
}

fn real_build(id: i64) -> Build {
    serde_json::from_value(dataset("builds")[id.to_string()].clone()).unwrap()
}

fn avg(package: &str) -> HubCall {
    HubCall::AverageBuildDuration {
        package: package.into(),
    }
}

fn last(package: &str) -> HubCall {
    HubCall::LastBuilds {
        package: package.into(),
        limit: 5,
    }
}

#[tokio::test]
async fn averages_of_containers_and_rpms_come_in_one_round_trip() {
    let hub = DatasetHub::default();
    let packages = [
        "hello",
        "foo-container",
        "libfoo",
        "no-such-pkg",
        "bar-container",
        "hello",
    ];
    let averages = average_build_durations(&hub, packages, EstimateConfig::default())
        .await
        .unwrap();
    assert_eq!(
        hub.batches(),
        [vec![
            last("bar-container"),
            last("foo-container"),
            avg("hello"),
            avg("libfoo"),
            avg("no-such-pkg")
        ]]
    );
    assert_eq!(
        averages["hello"],
        Some(SignedDuration::from_micros(2_222_293))
    );
    assert_eq!(averages["foo-container"], Some(FOO_CONTAINER_MEAN));
    assert_eq!(averages["libfoo"], None);
    assert_eq!(averages["no-such-pkg"], None);
    // Only a BUILDING build: nothing to measure.
    assert_eq!(averages["bar-container"], None);
    assert_eq!(averages.len(), 5);
}

#[tokio::test]
async fn the_last_builds_count_is_a_parameter() {
    let hub = DatasetHub::default();
    let config = EstimateConfig {
        last_builds: 3,
        ..EstimateConfig::default()
    };
    let average = average_build_duration(&hub, "foo-container", config)
        .await
        .unwrap();
    // (5.107703 + 6.163690 + 3.100340) s / 3.
    assert_eq!(average, Some(SignedDuration::from_nanos(4_790_577_666)));
    assert_eq!(
        hub.batches(),
        [vec![HubCall::LastBuilds {
            package: "foo-container".into(),
            limit: 3
        }]]
    );
}

#[tokio::test]
async fn the_dashboard_estimates_a_channel_in_two_round_trips() {
    let hub = DatasetHub::default();
    let plan = estimate_channel_tasks(&hub, 1, now(), EstimateConfig::default())
        .await
        .unwrap();
    assert_eq!(
        hub.batches(),
        [
            vec![
                HubCall::ChannelTasks { channel_id: 1 },
                HubCall::ChannelHosts { channel_id: 1 }
            ],
            vec![
                HubCall::TaskDescendents { task_id: 11 },
                avg("hello"),
                avg("libfoo")
            ],
        ]
    );
    // In the order the hub lists them (priority, then creation; exchange
    // 126 has the same order over all channels): 29 (priority 10), 14
    // (19), 11 and 27 (20), 28 (25).
    let ids: Vec<i64> = plan.tasks.iter().map(|t| t.task_id).collect();
    assert_eq!(ids, [29, 14, 11, 27, 28]);
    assert_eq!((plan.capacity, plan.load), (12.0, 1.0));
    // 27: created 1795628074.281864 + 45 s + hello's 2.222293 s.
    let t27 = plan.task(27).unwrap();
    assert_eq!(
        t27.completion.as_ref().unwrap(),
        &micros(1_795_628_121_504_157)
    );
    assert_eq!(
        (t27.state.clone(), t27.ahead),
        (Some(TaskState::Free), Some(1))
    );
    // 29: created 1795628074.314621 + 45 + 60 s.
    assert_eq!(
        plan.task(29).unwrap().completion.as_ref().unwrap(),
        &micros(1_795_628_179_314_621)
    );
    // libfoo has no average: 11 (through its buildArch 14), 14 and 28 say so.
    for id in [11, 14, 28] {
        let err = plan.task(id).unwrap().completion.as_ref().unwrap_err();
        assert!(
            matches!(err, EstimateError::NoAverage { package } if package == "libfoo"),
            "{id}: {err}"
        );
    }
}

#[tokio::test]
async fn the_container_channel() {
    let hub = DatasetHub::default();
    let plan = estimate_channel_tasks(&hub, 9, now(), EstimateConfig::default())
        .await
        .unwrap();
    assert_eq!(hub.batches().len(), 2);
    assert_eq!(hub.batches()[1], [last("foo-container")]);
    // 26 started 1795628073.744598, + 703.8743466 s.
    let want = micros(1_795_628_073_744_598)
        .checked_add(FOO_CONTAINER_MEAN)
        .unwrap();
    assert_eq!(plan.task(26).unwrap().completion.as_ref().unwrap(), &want);
}

#[tokio::test]
async fn a_free_task_fetches_its_channel_then_what_the_channel_needs() {
    let hub = DatasetHub::default();
    let t = estimate_task_completion(&hub, &real_task(27), now(), EstimateConfig::default())
        .await
        .unwrap();
    assert_eq!(t, micros(1_795_628_121_504_157));
    assert_eq!(hub.batches().len(), 2);
    assert_eq!(hub.batches()[0][0], HubCall::ChannelTasks { channel_id: 1 });
}

#[tokio::test]
async fn a_finished_task_needs_no_round_trip() {
    let hub = DatasetHub::default();
    let t = estimate_task_completion(&hub, &real_task(2), now(), EstimateConfig::default())
        .await
        .unwrap();
    assert_eq!(t, micros(1_795_628_041_705_001));
    assert!(hub.batches().is_empty());
}

#[tokio::test]
async fn a_subtask_building_another_package_takes_a_third_round_trip() {
    // Task 11's buildArch 14, made to build `hello` instead of libfoo: the
    // first round trip fetched libfoo on 11's word; hello comes after.
    let mut tree = dataset("task_descendents")["11"].clone();
    tree["11"][2]["request"][0] = Json::from("tasks/12/12/hello-1.3-1.fc40.src.rpm");
    let hub = DatasetHub {
        descendents: BTreeMap::from([(11, tree)]),
        ..Default::default()
    };
    let t = estimate_task_completion(&hub, &real_task(11), now(), EstimateConfig::default())
        .await
        .unwrap();
    assert_eq!(
        hub.batches(),
        [
            vec![HubCall::TaskDescendents { task_id: 11 }, avg("libfoo")],
            vec![avg("hello")]
        ]
    );
    // 14 started 1795628049.107691, + 2.222293 s.
    assert_eq!(t, micros(1_795_628_051_329_984));
}

#[tokio::test]
async fn builds_and_durations_fetch_one_average_at_most() {
    let hub = DatasetHub::default();
    let config = EstimateConfig::default();
    let t = estimate_build_completion(&hub, &real_build(25), now(), config)
        .await
        .unwrap();
    assert_eq!(
        t,
        micros(1_795_628_074_256_244)
            .checked_add(FOO_CONTAINER_MEAN)
            .unwrap()
    );
    assert_eq!(hub.batches(), [vec![last("foo-container")]]);

    let hub = DatasetHub::default();
    let t = estimate_build_completion(&hub, &real_build(17), now(), config)
        .await
        .unwrap();
    assert_eq!(t, micros(1_795_628_041_106_100));
    assert!(hub.batches().is_empty());

    let hub = DatasetHub::default();
    let d = estimate_task_duration(&hub, &real_task(27), now(), config)
        .await
        .unwrap();
    assert_eq!(d, SignedDuration::from_micros(2_222_293));
    assert_eq!(hub.batches(), [vec![avg("hello")]]);
    let d = estimate_task_duration(&hub, &real_task(29), now(), config)
        .await
        .unwrap();
    assert_eq!(d, SignedDuration::from_secs(60));
    assert_eq!(hub.batches().len(), 1);
}

#[tokio::test]
async fn complete_inputs_counts_its_round_trips() {
    let hub = DatasetHub::default();
    let mut inputs = EstimateInputs::new(now());
    inputs = inputs.with_channel(channel_snapshot(&hub, 9).await.unwrap());
    assert_eq!(
        complete_inputs(&hub, &mut inputs, &[], &[]).await.unwrap(),
        1
    );
    assert_eq!(
        complete_inputs(&hub, &mut inputs, &[], &[]).await.unwrap(),
        0
    );
    assert_eq!(inputs.averages["foo-container"], Some(FOO_CONTAINER_MEAN));
}

/// Every call, encoded, is byte for byte the request koji's own client
/// sent in a recorded exchange (where one was recorded).
#[test]
fn hub_calls_are_what_koji_sends() {
    let recorded: BTreeMap<String, Vec<u8>> = exchanges()
        .into_iter()
        .map(|(prefix, request, _)| (prefix, request))
        .collect();
    for (call, prefix) in [
        (
            HubCall::ChannelHosts { channel_id: 9 },
            "190-listHosts-channel",
        ),
        (
            HubCall::TaskDescendents { task_id: 2 },
            "098-getTaskDescendents-build",
        ),
        (avg("foo-container"), "222-getAverageBuildDuration-double"),
        (avg("libfoo"), "224-getAverageBuildDuration-nil"),
    ] {
        let body = koji_xmlrpc::encode_request(call.method(), &call.params()).unwrap();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            String::from_utf8(recorded[prefix].clone()).unwrap(),
            "{prefix}"
        );
    }
}

/// Answers a call with the real hub's recorded response to the identical
/// request; a call nobody recorded is an error.
struct ReplayHub {
    exchanges: Vec<(String, Vec<u8>, Vec<u8>)>,
}

#[derive(Debug, thiserror::Error)]
#[error("no recorded exchange for {0}")]
struct NotRecorded(String);

impl EstimateSource for ReplayHub {
    type Error = NotRecorded;

    async fn call_batch(
        &self,
        calls: &[HubCall],
    ) -> Result<Vec<Result<Value, Fault>>, NotRecorded> {
        calls
            .iter()
            .map(|call| {
                let body = koji_xmlrpc::encode_request(call.method(), &call.params()).unwrap();
                let (_, _, response) = self
                    .exchanges
                    .iter()
                    .find(|(_, request, _)| *request == body)
                    .ok_or_else(|| NotRecorded(format!("{call:?}")))?;
                Ok(koji_xmlrpc::decode_response::<Value>(response).unwrap())
            })
            .collect()
    }
}

#[tokio::test]
async fn answers_as_the_real_hub_sent_them() {
    let hub = ReplayHub {
        exchanges: exchanges(),
    };
    let config = EstimateConfig::default();
    // 223, 224, 225: a double, nil, and nil for an unknown package.
    let averages = average_build_durations(&hub, ["hello", "libfoo", "no-such-pkg"], config)
        .await
        .unwrap();
    assert_eq!(
        averages["hello"],
        Some(SignedDuration::from_micros(2_222_293))
    );
    assert_eq!((averages["libfoo"], averages["no-such-pkg"]), (None, None));
    // 098 and 223: build task 2, pretended OPEN, needs its descendents
    // and hello's average; both decode from the recorded answers, and its
    // subtasks are all finished.
    let mut build2 = real_task(2);
    build2.state = Some(TaskState::Open);
    build2.completion_ts = None;
    build2.completion_time = None;
    let mut inputs = EstimateInputs::new(now());
    assert_eq!(
        complete_inputs(&hub, &mut inputs, &[build2.clone()], &[])
            .await
            .unwrap(),
        1
    );
    let ids: Vec<i64> = inputs.descendents[&2]
        .children(2)
        .iter()
        .map(|t| t.id.unwrap())
        .collect();
    assert_eq!(ids, [3, 4, 5, 6]);
    assert_eq!(
        inputs.averages["hello"],
        Some(SignedDuration::from_micros(2_222_293))
    );
    let err = build2.estimate_completion(&inputs).unwrap_err();
    assert!(
        matches!(err, EstimateError::NoOpenDescendents { task: 2, .. }),
        "{err}"
    );
    // Nobody recorded the channel listing: the source's error comes through.
    let err = channel_snapshot(&hub, 9).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("no recorded exchange for ChannelTasks"),
        "{err}"
    );
}

/// A hub that answers every call the same way.
struct Fixed(fn(&HubCall) -> Result<Value, Fault>, usize);

impl EstimateSource for Fixed {
    type Error = std::io::Error;

    async fn call_batch(
        &self,
        calls: &[HubCall],
    ) -> Result<Vec<Result<Value, Fault>>, Self::Error> {
        if self.1 == usize::MAX {
            return Err(std::io::Error::other("connection refused"));
        }
        Ok(calls.iter().map(self.0).take(self.1).collect())
    }
}

#[tokio::test]
async fn hub_trouble_is_a_typed_error() {
    let config = EstimateConfig::default();
    let faulty = Fixed(|_| Err(Fault::new(1000, "No such package")), 9);
    let err = average_build_duration(&faulty, "hello", config)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "getAverageBuildDuration: the hub answered with fault 1000: No such package"
    );
    let down = Fixed(|_| Ok(Value::Nil), usize::MAX);
    let err = average_build_duration(&down, "hello", config)
        .await
        .unwrap_err();
    assert!(matches!(err, EstimateError::Source(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "fetching estimate inputs failed: connection refused"
    );
    let short = Fixed(|_| Ok(Value::Nil), 1);
    let err = channel_snapshot(&short, 1).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "system.multicall: unexpected reply: 1 answers to 2 calls"
    );
    let garbled = Fixed(|_| Ok(Value::from("soon")), 9);
    let err = average_build_duration(&garbled, "hello", config)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::BadReply {
                method: "getAverageBuildDuration",
                ..
            }
        ),
        "{err}"
    );
    let err = average_build_duration(&garbled, "foo-container", config)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::BadReply {
                method: "listBuilds",
                ..
            }
        ),
        "{err}"
    );
    let err = channel_snapshot(&garbled, 1).await.unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::BadReply {
                method: "listTasks",
                ..
            }
        ),
        "{err}"
    );
    let nan = Fixed(|_| Ok(Value::Double(f64::NAN)), 9);
    let err = average_build_duration(&nan, "hello", config)
        .await
        .unwrap_err();
    assert!(matches!(err, EstimateError::BadAverage { .. }), "{err}");
    let whole = Fixed(|_| Ok(Value::Int(90)), 9);
    let avg = average_build_duration(&whole, "hello", config)
        .await
        .unwrap();
    assert_eq!(avg, Some(SignedDuration::from_secs(90)));
}
