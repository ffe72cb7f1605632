//! The estimates through a real `Connection` to koji-testhub (serving the
//! realhub data set), with a fixed clock: the same answers as the pure
//! estimator gives on the same records, in the promised number of HTTP
//! requests.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use koji_client::estimate::{
    EstimateConfig, EstimateError, average_build_duration, average_build_durations,
    channel_snapshot, estimate_build_completion, estimate_channel_tasks, estimate_task_completion,
};
use koji_client::{Build, Connection, FaultKind, Task};
use koji_testhub::{Action, FaultRule, RunningHub, TestHub};

/// "Now" for the data set: 6 s after its last event.
fn now() -> Timestamp {
    Timestamp::from_second(1_795_628_080).unwrap()
}

fn micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap()
}

/// foo-container's last-5 mean (worked out in the unit tests).
const FOO_CONTAINER_MEAN: SignedDuration = SignedDuration::from_nanos(703_874_346_600);

async fn hub() -> (RunningHub, Connection) {
    let hub = TestHub::builder().start().await.unwrap();
    let koji = Connection::builder(hub.url())
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .retry_interval(Duration::from_millis(10))
        .deadline(Duration::from_secs(20))
        .build()
        .unwrap();
    (hub, koji)
}

/// The XML-RPC methods of the requests the hub received.
fn methods(hub: &RunningHub) -> Vec<String> {
    hub.requests()
        .into_iter()
        .map(|r| r.method.unwrap_or_default())
        .collect()
}

async fn task(koji: &Connection, id: i64) -> Task {
    koji.request("getTaskInfo")
        .arg(id)
        .kwarg("request", true)
        .typed()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_dashboard_takes_two_requests() {
    let (hub, koji) = hub().await;
    let plan = estimate_channel_tasks(&koji, 1, now(), EstimateConfig::default())
        .await
        .unwrap();
    assert_eq!(methods(&hub), ["system.multicall", "system.multicall"]);
    let ids: Vec<i64> = plan.tasks.iter().map(|t| t.task_id).collect();
    assert_eq!(ids, [29, 14, 11, 27, 28]);
    assert_eq!((plan.capacity, plan.load), (12.0, 1.0));
    // 27: created 1795628074.281864 + 45 s + hello's 2.222293 s.
    assert_eq!(
        plan.task(27).unwrap().completion.as_ref().unwrap(),
        &micros(1_795_628_121_504_157)
    );
    // 29 (tagBuild): created 1795628074.314621 + 45 + 60 s.
    assert_eq!(
        plan.task(29).unwrap().completion.as_ref().unwrap(),
        &micros(1_795_628_179_314_621)
    );
    for id in [11, 14, 28] {
        let err = plan.task(id).unwrap().completion.as_ref().unwrap_err();
        assert!(
            matches!(err, EstimateError::NoAverage { package } if package == "libfoo"),
            "{id}: {err}"
        );
    }
    hub.shutdown().await;
}

#[tokio::test]
async fn the_container_channel_and_its_last_builds() {
    let (hub, koji) = hub().await;
    let plan = estimate_channel_tasks(&koji, 9, now(), EstimateConfig::default())
        .await
        .unwrap();
    // The channel listing, then the one average alone.
    assert_eq!(methods(&hub), ["system.multicall", "listBuilds"]);
    let want = micros(1_795_628_073_744_598)
        .checked_add(FOO_CONTAINER_MEAN)
        .unwrap();
    assert_eq!(plan.task(26).unwrap().completion.as_ref().unwrap(), &want);
    hub.shutdown().await;
}

#[tokio::test]
async fn averages_of_a_mix_come_in_one_request() {
    let (hub, koji) = hub().await;
    let averages = average_build_durations(
        &koji,
        [
            "hello",
            "foo-container",
            "libfoo",
            "no-such-pkg",
            "bar-container",
        ],
        EstimateConfig::default(),
    )
    .await
    .unwrap();
    assert_eq!(methods(&hub), ["system.multicall"]);
    assert_eq!(
        averages["hello"],
        Some(SignedDuration::from_micros(2_222_293))
    );
    assert_eq!(averages["foo-container"], Some(FOO_CONTAINER_MEAN));
    for none in ["libfoo", "no-such-pkg", "bar-container"] {
        assert_eq!(averages[none], None, "{none}");
    }
    // A single package is a plain call.
    hub.clear_requests();
    let hello = average_build_duration(&koji, "hello", EstimateConfig::default())
        .await
        .unwrap();
    assert_eq!(hello, Some(SignedDuration::from_micros(2_222_293)));
    assert_eq!(methods(&hub), ["getAverageBuildDuration"]);
    hub.shutdown().await;
}

#[tokio::test]
async fn tasks_and_builds_one_at_a_time() {
    let (hub, koji) = hub().await;
    let config = EstimateConfig::default();
    // FREE 27: its channel, then the channel's descendents and averages.
    let t27 = task(&koji, 27).await;
    hub.clear_requests();
    let when = estimate_task_completion(&koji, &t27, now(), config)
        .await
        .unwrap();
    assert_eq!(when, micros(1_795_628_121_504_157));
    assert_eq!(methods(&hub), ["system.multicall", "system.multicall"]);
    // OPEN build 11: its descendents and libfoo's average, in one request;
    // libfoo has none.
    let t11 = task(&koji, 11).await;
    hub.clear_requests();
    let err = estimate_task_completion(&koji, &t11, now(), config)
        .await
        .unwrap_err();
    assert!(
        matches!(err, EstimateError::NoAverage { ref package } if package == "libfoo"),
        "{err}"
    );
    assert_eq!(methods(&hub), ["system.multicall"]);
    // A finished task: no request at all.
    let t2 = task(&koji, 2).await;
    hub.clear_requests();
    let when = estimate_task_completion(&koji, &t2, now(), config)
        .await
        .unwrap();
    assert_eq!(when, micros(1_795_628_041_705_001));
    assert!(methods(&hub).is_empty());
    // BUILDING container build 25.
    let b25: Build = koji.call_as("getBuild", (25,)).await.unwrap();
    let when = estimate_build_completion(&koji, &b25, now(), config)
        .await
        .unwrap();
    assert_eq!(
        when,
        micros(1_795_628_074_256_244)
            .checked_add(FOO_CONTAINER_MEAN)
            .unwrap()
    );
    hub.shutdown().await;
}

#[tokio::test]
async fn a_faulting_hub_is_a_typed_error() {
    let (hub, koji) = hub().await;
    // A fault answering the whole multicall is the connection's error.
    hub.add_fault(FaultRule::method(
        "system.multicall",
        Action::Fault {
            code: 1004,
            string: "multicall is off here".into(),
        },
    ));
    let err = channel_snapshot(&koji, 1).await.unwrap_err();
    let hub_err = err.hub_error().unwrap();
    assert_eq!(
        hub_err.fault_kind(),
        Some(FaultKind::ActionNotAllowed),
        "{err}"
    );
    // A fault answering the one call of a batch is that call's fault.
    hub.clear_faults();
    hub.add_fault(FaultRule::method(
        "getAverageBuildDuration",
        Action::Fault {
            code: 1000,
            string: "no such thing".into(),
        },
    ));
    let err = average_build_duration(&koji, "hello", EstimateConfig::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::Fault {
                method: "getAverageBuildDuration",
                code: 1000,
                ..
            }
        ),
        "{err}"
    );
    hub.shutdown().await;
}
