//! Every branch of the estimator, with expected times worked out by hand
//! (in the comments) from the realhub data set where its records fit and
//! from hand-made records where they do not.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::*;
use crate::model::{Build, Host, Task, TaskDescendents, TaskState};

// ---------------------------------------------------------------- helpers

/// The `data` member of a realhub data set file (built into koji-testhub).
fn dataset(name: &str) -> Value {
    let text = koji_testhub::realhub::file(&format!("{name}.json"))
        .unwrap_or_else(|| panic!("no data set file {name}.json"));
    let mut doc: Value = serde_json::from_str(text).unwrap();
    doc["data"].take()
}

/// `getTaskInfo(id, request=True)` from the data set.
fn real_task(id: i64) -> Task {
    serde_json::from_value(dataset("tasks")[id.to_string()].clone()).unwrap()
}

/// `getBuild(id)` from the data set.
fn real_build(id: i64) -> Build {
    serde_json::from_value(dataset("builds")[id.to_string()].clone()).unwrap()
}

/// `getTaskDescendents(id, request=True)` from the data set.
fn real_descendents(id: i64) -> TaskDescendents {
    serde_json::from_value(dataset("task_descendents")[id.to_string()].clone()).unwrap()
}

/// What the hub answers for channel `id`: the `listTasks` rows of its
/// active tasks and `listHosts(channelID=id)`.
fn real_channel(id: i64) -> ChannelSnapshot {
    let tasks: Vec<Task> = serde_json::from_value(dataset("listTasks_decoded")).unwrap();
    let tasks = tasks
        .into_iter()
        .filter(|t| t.channel_id == Some(id) && t.state.as_ref().is_some_and(|s| s.is_active()))
        .collect();
    let hosts: Vec<Host> =
        serde_json::from_value(dataset("channel_hosts")[id.to_string()].clone()).unwrap();
    ChannelSnapshot::new(id, tasks, hosts)
}

/// The last `n` COMPLETE builds of `package`, as `listBuilds(packageID=…,
/// state=1, queryOpts={'limit': n, 'order': '-completion_time'})` returns
/// them.
fn last_builds(package: &str, n: usize) -> Vec<Build> {
    let mut builds: Vec<Build> = serde_json::from_value(dataset("listBuilds")).unwrap();
    builds.retain(|b| {
        b.name.as_deref() == Some(package) && b.state == Some(crate::model::BuildState::Complete)
    });
    builds.sort_by_key(|b| std::cmp::Reverse(b.completion_time.clone()));
    builds.truncate(n);
    builds
}

/// The averages the fetching layer gives for the data set: the hub's
/// figure for RPM packages, the last-5 average for containers.
fn real_averages() -> BTreeMap<String, Option<SignedDuration>> {
    let hub = dataset("average_build_duration");
    hub.as_object()
        .unwrap()
        .iter()
        .map(|(name, secs)| {
            let average = if is_container_package(name) {
                average_of_builds(&last_builds(name, 5)).unwrap()
            } else {
                secs.as_f64()
                    .map(|s| crate::model::duration_from_secs(s).unwrap())
            };
            (name.clone(), average)
        })
        .collect()
}

fn micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap()
}

fn secs(s: i64) -> SignedDuration {
    SignedDuration::from_secs(s)
}

fn plus(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap()
}

/// "Now" for the data set: 6 s after its last event (1795628074.26).
fn now() -> Timestamp {
    Timestamp::from_second(1_795_628_080).unwrap()
}

fn real_inputs() -> EstimateInputs {
    let mut inputs = EstimateInputs::new(now());
    inputs.averages = real_averages();
    inputs
}

fn task(v: Value) -> Task {
    serde_json::from_value(v).unwrap()
}

fn host(id: i64, capacity: f64, enabled: bool) -> Host {
    serde_json::from_value(json!({"id": id, "capacity": capacity, "enabled": enabled})).unwrap()
}

/// A hand-made `tagBuild` task (60 s with the default config): state,
/// weight, priority, creation and start as epoch seconds.
fn tag_task(
    id: i64,
    state: u8,
    weight: f64,
    priority: i64,
    created: i64,
    started: Option<i64>,
) -> Task {
    task(
        json!({"id": id, "method": "tagBuild", "state": state, "weight": weight,
        "priority": priority, "channel_id": 5, "create_ts": created as f64,
        "start_ts": started.map(|s| s as f64), "request": [1, 2, false, null, true]}),
    )
}

fn at(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap()
}

fn completion(plan: &ChannelEstimate, id: i64) -> &Result<Timestamp, EstimateError> {
    &plan.task(id).unwrap().completion
}

// ------------------------------------------------------- averages

/// The last five COMPLETE foo-container builds, newest first (from
/// listBuilds.json, completion − start, in µs):
///   23: 071.017447 − 065.909744 = 5.107703 s
///   21: 062.623019 − 056.459329 = 6.163690 s
///   20: 055.789139 − 052.688799 = 3.100340 s
///   12: 1795545570.189226 − 1795543939.189226 = 1631 s
///   11: 1795114449.189226 − 1795112575.189226 = 1874 s
/// sum 3519.371733 s, mean 703.8743466 s = 703 874 346 600 ns.
const FOO_CONTAINER_MEAN_NS: i64 = 703_874_346_600;

#[test]
fn container_average_is_the_mean_of_the_last_complete_builds() {
    let builds = last_builds("foo-container", 5);
    let ids: Vec<i64> = builds.iter().map(|b| b.build_id().unwrap()).collect();
    assert_eq!(ids, [23, 21, 20, 12, 11]);
    let mean = average_of_builds(&builds).unwrap().unwrap();
    assert_eq!(mean, SignedDuration::from_nanos(FOO_CONTAINER_MEAN_NS));
    // Over the last three: 14.371733 s / 3 = 4.790577666… s, truncated to the ns.
    let mean3 = average_of_builds(&last_builds("foo-container", 3))
        .unwrap()
        .unwrap();
    assert_eq!(mean3, SignedDuration::from_nanos(4_790_577_666));
    // The hub's own figure for the package is meaningless for these (4.79 s).
    assert_eq!(dataset("average_build_duration")["foo-container"], 4.786324);
}

#[test]
fn average_of_builds_skips_unfinished_builds_and_is_none_without_any() {
    // bar-container has only a BUILDING build (13).
    assert!(last_builds("bar-container", 5).is_empty());
    let building = real_build(13);
    assert_eq!(average_of_builds(&[building]).unwrap(), None);
}

#[test]
fn bad_build_times_are_model_errors_naming_the_build() {
    let b: Build =
        serde_json::from_value(json!({"build_id": 8, "start_time": "soon", "completion_ts": 5.0}))
            .unwrap();
    let err = average_of_builds(&[b]).unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::Model {
                subject: Subject::Build(Some(8)),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("build 8: start_time: "),
        "{err}"
    );
}

#[test]
fn container_packages_go_by_name() {
    assert!(is_container_package("bar-container"));
    assert!(!is_container_package("container-selinux"));
    assert!(!is_container_package("hello"));
}

// ------------------------------------------------- Task::estimate_duration

#[test]
fn duration_of_a_finished_task_is_its_actual_duration() {
    // Task 2 (CLOSED build): 1795628041.705001 − 1795628037.004629 = 4.700372 s.
    let d = real_task(2).estimate_duration(&real_inputs()).unwrap();
    assert_eq!(d, SignedDuration::from_micros(4_700_372));
}

#[test]
fn duration_of_a_task_that_ended_without_starting_is_no_start_time() {
    // Task 30: FREE build canceled before any builder took it.
    let err = real_task(30).estimate_duration(&real_inputs()).unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::NoStartTime {
                subject: Subject::Task(Some(30))
            }
        ),
        "{err}"
    );
}

#[test]
fn duration_of_tag_build_is_the_poll_interval_plus_a_margin() {
    let t = real_task(29); // FREE tagBuild: no package
    assert_eq!(t.estimate_duration(&real_inputs()).unwrap(), secs(45 + 15));
    let config = EstimateConfig {
        poll_interval: secs(20),
        tag_build_margin: secs(5),
        ..EstimateConfig::default()
    };
    let inputs = real_inputs().with_config(config);
    assert_eq!(t.estimate_duration(&inputs).unwrap(), secs(20 + 5));
}

#[test]
fn duration_of_a_build_task_is_its_package_average() {
    // Task 27 builds hello; the hub's average is 2.222293 s.
    let d = real_task(27).estimate_duration(&real_inputs()).unwrap();
    assert_eq!(d, SignedDuration::from_micros(2_222_293));
}

#[test]
fn duration_without_a_package_is_an_unsupported_method() {
    let err = real_task(31).estimate_duration(&real_inputs()).unwrap_err(); // newRepo
    match err {
        EstimateError::UnsupportedMethod {
            subject,
            ref method,
        } => {
            assert_eq!(
                (subject, method.as_str()),
                (Subject::Task(Some(31)), "newRepo")
            );
        }
        other => panic!("{other}"),
    }
}

#[test]
fn duration_of_a_package_without_hub_average_is_no_average() {
    // Task 28 builds libfoo, which has no measurable build (the hub says nil).
    let err = real_task(28).estimate_duration(&real_inputs()).unwrap_err();
    assert!(
        matches!(err, EstimateError::NoAverage { ref package } if package == "libfoo"),
        "{err}"
    );
}

#[test]
fn an_average_absent_from_the_inputs_is_a_missing_input() {
    let err = real_task(27)
        .estimate_duration(&EstimateInputs::new(now()))
        .unwrap_err();
    assert!(
        matches!(err, EstimateError::MissingInput(MissingInput::Average { ref package }) if package == "hello"),
        "{err}"
    );
}

#[test]
fn a_misshapen_request_is_a_model_error() {
    let t =
        task(json!({"id": 50, "method": "build", "state": 1, "start_ts": 1.0, "request": [42]}));
    let err = t.estimate_duration(&real_inputs()).unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::Model {
                subject: Subject::Task(Some(50)),
                ..
            }
        ),
        "{err}"
    );
}

// ----------------------------------------------- Task::estimate_completion

#[test]
fn completion_of_a_finished_task_is_when_it_finished() {
    let inputs = real_inputs();
    // CLOSED, FAILED and CANCELED tasks, as the hub recorded them.
    for (id, us) in [
        (2, 1_795_628_041_705_001),
        (7, 1_795_628_045_900_652),
        (30, 1_795_628_074_369_255),
    ] {
        assert_eq!(
            real_task(id).estimate_completion(&inputs).unwrap(),
            micros(us),
            "task {id}"
        );
    }
}

#[test]
fn a_finished_state_without_completion_time_is_an_error() {
    let t = task(json!({"id": 51, "method": "buildArch", "state": 2}));
    let err = t.estimate_completion(&real_inputs()).unwrap_err();
    assert!(
        matches!(err, EstimateError::NoCompletionTime { ref state, .. } if state == "CLOSED"),
        "{err}"
    );
}

#[test]
fn open_build_task_follows_its_open_buildarch() {
    // Task 11 (OPEN build of libfoo): of its subtasks only buildArch 14
    // (aarch64) is OPEN; it started at 1795628049.107691. With libfoo
    // averaging 2331.5 s (its two builds: (2149 + 2514) / 2), it ends at
    // 1795628049.107691 + 2331.5 = 1795630380.607691.
    let inputs = real_inputs()
        .with_descendents(11, real_descendents(11))
        .with_average("libfoo", Some(SignedDuration::from_millis(2_331_500)));
    let t = real_task(11).estimate_completion(&inputs).unwrap();
    assert_eq!(t, micros(1_795_630_380_607_691));
    // The hub's real answer for libfoo is nil: no estimate, said so.
    let inputs = real_inputs().with_descendents(11, real_descendents(11));
    let err = real_task(11).estimate_completion(&inputs).unwrap_err();
    assert!(
        matches!(err, EstimateError::NoAverage { ref package } if package == "libfoo"),
        "{err}"
    );
}

/// A hand-made tree under task 11: buildArch 40 (OPEN, started 1000),
/// 41 (OPEN, started 2000, builds `other`), 42 (CLOSED, started 3000) and
/// a buildSRPMFromSCM 43 (OPEN, started 4000).
fn hand_tree() -> TaskDescendents {
    let sub = |id: i64, method: &str, state: u8, start: i64, srpm: &str| {
        json!({"id": id, "parent": 11, "method": method, "state": state, "start_ts": start as f64,
               "request": [format!("tasks/12/12/{srpm}-1.0-1.src.rpm"), 4, "x86_64", true, {}]})
    };
    serde_json::from_value(json!({
        "11": [sub(40, "buildArch", 1, 1000, "libfoo"), sub(41, "buildArch", 1, 2000, "other"),
               sub(42, "buildArch", 2, 3000, "libfoo"), sub(43, "buildSRPMFromSCM", 1, 4000, "libfoo")],
        "40": [], "41": [], "42": [], "43": []
    }))
    .unwrap()
}

#[test]
fn open_build_task_picks_the_open_buildarch_that_started_last() {
    // 41 started after 40; 42 is closed and 43 is not a buildArch, so 41
    // counts: 2000 + 300 s (the average of `other`) = 2300.
    let inputs = real_inputs()
        .with_descendents(11, hand_tree())
        .with_average("other", Some(secs(300)));
    assert_eq!(
        real_task(11).estimate_completion(&inputs).unwrap(),
        at(2300)
    );
    // And the planner asks for exactly that subtask's package.
    let needs = inputs.needs_for_tasks([&real_task(11)]);
    assert!(needs.is_empty(), "{needs:?}");
    let needs = real_inputs()
        .with_descendents(11, hand_tree())
        .needs_for_tasks([&real_task(11)]);
    assert_eq!(needs.packages.into_iter().collect::<Vec<_>>(), ["other"]);
}

#[test]
fn open_build_task_without_open_buildarch_has_no_open_descendents() {
    // Task 11's real tree with buildArch 14 closed: the SRPM is done,
    // nothing builds. Like txkoji's NoDescendentsError, but typed.
    let mut tree = real_descendents(11);
    for sub in tree.map.values_mut().flatten() {
        sub.state = Some(TaskState::Closed);
    }
    let inputs = real_inputs().with_descendents(11, tree);
    let err = real_task(11).estimate_completion(&inputs).unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::NoOpenDescendents {
                task: 11,
                child_method: "buildArch"
            }
        ),
        "{err}"
    );
    assert!(err.is_transient());
}

#[test]
fn open_build_task_without_its_descendents_is_a_missing_input() {
    let err = real_task(11)
        .estimate_completion(&real_inputs())
        .unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::MissingInput(MissingInput::Descendents { task: 11 })
        ),
        "{err}"
    );
}

#[test]
fn open_image_task_follows_its_open_createimage() {
    // An image task with two createImage subtasks: 61 (OPEN, started 500)
    // and 62 (OPEN, started 700) for the image "fedora-cloud", which
    // averages 1200 s: 700 + 1200 = 1900.
    let image = task(
        json!({"id": 60, "method": "image", "state": 1, "start_ts": 100.0,
        "request": ["fedora-cloud", "40", ["x86_64", "aarch64"], "f40-image", "http://x/tree", {}]}),
    );
    let create = |id: i64, start: i64, arch: &str| {
        json!({"id": id, "parent": 60, "method": "createImage", "state": 1, "start_ts": start as f64,
               "request": ["fedora-cloud", "40", "1", arch, {"name": "f40-image"}, {}, {}, "http://x", {}]})
    };
    let tree: TaskDescendents = serde_json::from_value(json!({
        "60": [create(61, 500, "x86_64"), create(62, 700, "aarch64")], "61": [], "62": []
    }))
    .unwrap();
    let inputs = real_inputs()
        .with_descendents(60, tree)
        .with_average("fedora-cloud", Some(secs(1200)));
    assert_eq!(image.estimate_completion(&inputs).unwrap(), at(1900));
}

#[test]
fn open_container_task_ends_at_start_plus_its_last_builds_average() {
    // Task 26 (OPEN buildContainer of foo-container) started at
    // 1795628073.744598: + 703.8743466 s = 1795628777.6189446.
    let t = real_task(26).estimate_completion(&real_inputs()).unwrap();
    let want = plus(
        micros(1_795_628_073_744_598),
        SignedDuration::from_nanos(FOO_CONTAINER_MEAN_NS),
    );
    assert_eq!(t, want);
    assert_eq!(t.to_string(), "2026-11-25T17:46:17.6189446Z");
}

#[test]
fn open_task_without_start_time_is_no_start_time() {
    let t = task(json!({"id": 52, "method": "buildArch", "state": 1,
        "request": ["tasks/3/3/hello-1.3-1.fc40.src.rpm", 4, "x86_64", true, {}]}));
    let err = t.estimate_completion(&real_inputs()).unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::NoStartTime {
                subject: Subject::Task(Some(52))
            }
        ),
        "{err}"
    );
}

#[test]
fn assigned_task_starts_a_poll_interval_after_creation() {
    // A hello buildArch assigned to a builder, created at 1000 s:
    // 1000 + 45 + 2.222293 = 1047.222293.
    let t = task(
        json!({"id": 53, "method": "buildArch", "state": 4, "create_ts": 1000.0,
        "request": ["tasks/3/3/hello-1.3-1.fc40.src.rpm", 4, "x86_64", true, {}]}),
    );
    assert_eq!(
        t.estimate_completion(&real_inputs()).unwrap(),
        micros(1_047_222_293)
    );
    // The real ASSIGNED task 31 is a newRepo: nothing to average.
    let err = real_task(31)
        .estimate_completion(&real_inputs())
        .unwrap_err();
    assert!(
        matches!(err, EstimateError::UnsupportedMethod { .. }),
        "{err}"
    );
}

#[test]
fn unknown_or_missing_states_have_no_estimate() {
    let t = task(json!({"id": 54, "method": "buildArch", "state": 9}));
    let err = t.estimate_completion(&real_inputs()).unwrap_err();
    assert!(
        matches!(err, EstimateError::UnknownState { ref state, .. } if state == "(unknown state 9)"),
        "{err}"
    );
    let t = task(json!({"id": 55, "method": "buildArch"}));
    let err = t.estimate_completion(&real_inputs()).unwrap_err();
    assert!(
        matches!(err, EstimateError::UnknownState { ref state, .. } if state == "(none)"),
        "{err}"
    );
}

#[test]
fn free_task_needs_its_channel() {
    let err = real_task(27)
        .estimate_completion(&real_inputs())
        .unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::MissingInput(MissingInput::Channel { channel: 1 })
        ),
        "{err}"
    );
    let mut t = real_task(27);
    t.channel_id = None;
    let err = t.estimate_completion(&real_inputs()).unwrap_err();
    assert!(matches!(err, EstimateError::NoChannel { .. }), "{err}");
}

// ------------------------------------------------------------- channels

#[test]
fn free_tasks_with_room_start_a_poll_interval_after_creation() {
    // Channel 1 (default): builder1 (8) + builder2 (4); builder4 (2) is
    // disabled. Capacity 12. Running: build 11 (waiting for its
    // subtasks: holds nothing) and buildArch 14 (1.0). Queue by priority:
    // 29 (10), 27 (20), 28 (25); all fit.
    let inputs = real_inputs().with_channel(real_channel(1));
    let plan = estimate_channel(&inputs, 1).unwrap();
    assert_eq!(plan.capacity, 12.0);
    assert_eq!(plan.load, 1.0);
    let order: Vec<i64> = plan.tasks.iter().map(|t| t.task_id).collect();
    assert_eq!(order, [11, 14, 27, 28, 29]);
    // 29 tagBuild: 1795628074.314621 + 45 + 60 s.
    assert_eq!(
        completion(&plan, 29).as_ref().unwrap(),
        &micros(1_795_628_179_314_621)
    );
    assert_eq!(
        plan.task(29).unwrap().start,
        Some(micros(1_795_628_119_314_621))
    );
    assert_eq!(plan.task(29).unwrap().ahead, Some(0));
    // 27 hello: 1795628074.281864 + 45 + 2.222293 s.
    assert_eq!(
        completion(&plan, 27).as_ref().unwrap(),
        &micros(1_795_628_121_504_157)
    );
    assert_eq!(plan.task(27).unwrap().ahead, Some(1));
    // 28 libfoo: no average, said so.
    assert!(matches!(
        completion(&plan, 28),
        Err(EstimateError::NoAverage { .. })
    ));
    assert_eq!(plan.task(28).unwrap().ahead, Some(2));
    // The running ones: libfoo again.
    assert!(matches!(
        completion(&plan, 14),
        Err(EstimateError::NoAverage { .. })
    ));
    assert!(matches!(
        completion(&plan, 11),
        Err(EstimateError::MissingInput(_))
    ));
    // One task's estimate equals the dashboard's.
    assert_eq!(
        real_task(27).estimate_completion(&inputs).unwrap(),
        *completion(&plan, 27).as_ref().unwrap()
    );
}

#[test]
fn the_poll_interval_is_a_parameter() {
    let config = EstimateConfig {
        poll_interval: secs(10),
        ..EstimateConfig::default()
    };
    let inputs = real_inputs()
        .with_config(config)
        .with_channel(real_channel(1));
    // 27: 1795628074.281864 + 10 + 2.222293 s.
    assert_eq!(
        real_task(27).estimate_completion(&inputs).unwrap(),
        micros(1_795_628_086_504_157)
    );
    // 29: + 10 + (10 + 15) s.
    assert_eq!(
        real_task(29).estimate_completion(&inputs).unwrap(),
        micros(1_795_628_109_314_621)
    );
}

#[test]
fn free_task_in_a_full_channel_waits_for_the_open_task_to_end() {
    // txkoji's estimate-container case. Channel 9 as recorded (buildContainer
    // 26 OPEN), but one builder of capacity 1, and another foo-container
    // build queued (40, created at 17:34:35).
    // 26 ends at 1795628777.6189446 (see above); 40 starts a poll later,
    // 1795628822.6189446, and takes 703.8743466 s: 1795629526.4932912.
    let mut snapshot = real_channel(9);
    snapshot.hosts = vec![host(1, 1.0, true)];
    let mut queued = real_task(26);
    queued.id = Some(40);
    queued.state = Some(TaskState::Free);
    queued.start_ts = None;
    queued.start_time = None;
    queued.create_ts = Some(1_795_628_075.0);
    let inputs = real_inputs().with_channel(snapshot);
    let end_26 = plus(
        micros(1_795_628_073_744_598),
        SignedDuration::from_nanos(FOO_CONTAINER_MEAN_NS),
    );
    let start_40 = plus(end_26, secs(45));
    let end_40 = plus(start_40, SignedDuration::from_nanos(FOO_CONTAINER_MEAN_NS));
    assert_eq!(end_40.to_string(), "2026-11-25T17:58:46.4932912Z");
    // Not in the snapshot: planned with it all the same.
    assert_eq!(queued.estimate_completion(&inputs).unwrap(), end_40);
    // In it: the dashboard shows the same.
    let mut inputs = inputs;
    inputs.channels.get_mut(&9).unwrap().tasks.push(queued);
    let plan = estimate_channel(&inputs, 9).unwrap();
    assert_eq!(plan.task(40).unwrap().start, Some(start_40));
    assert_eq!(completion(&plan, 40).as_ref().unwrap(), &end_40);
}

#[test]
fn queue_order_is_priority_then_creation() {
    // Capacity 1, busy until 160 (task 1, started 100, 60 s). Queue:
    // 2 (prio 20, created 110), 3 (prio 10, created 120), 4 (prio 10,
    // created 115). Order 4, 3, 2; each starts 45 s after the one before
    // ends and runs 60 s: 4: 205–265, 3: 310–370, 2: 415–475.
    let tasks = vec![
        tag_task(1, 1, 1.0, 20, 90, Some(100)),
        tag_task(2, 0, 1.0, 20, 110, None),
        tag_task(3, 0, 1.0, 10, 120, None),
        tag_task(4, 0, 1.0, 10, 115, None),
    ];
    let inputs = EstimateInputs::new(at(130)).with_channel(ChannelSnapshot::new(
        5,
        tasks,
        vec![host(1, 1.0, true)],
    ));
    let plan = estimate_channel(&inputs, 5).unwrap();
    assert_eq!(completion(&plan, 1).as_ref().unwrap(), &at(160));
    assert_eq!(plan.task(4).unwrap().ahead, Some(0));
    assert_eq!(plan.task(3).unwrap().ahead, Some(1));
    assert_eq!(plan.task(2).unwrap().ahead, Some(2));
    assert_eq!(completion(&plan, 4).as_ref().unwrap(), &at(265));
    assert_eq!(completion(&plan, 3).as_ref().unwrap(), &at(370));
    assert_eq!(completion(&plan, 2).as_ref().unwrap(), &at(475));
    assert_eq!(plan.task(2).unwrap().start, Some(at(415)));
}

#[test]
fn queued_tasks_ahead_take_the_freed_capacity_first() {
    // Capacity 2; OPEN 1 (started 0, ends 60) and 2 (started 30, ends 90).
    // Queue 3, 4, 5 (equal priority, created 10, 11, 12).
    // t=60: 1 ends → 3 starts 105, ends 165.
    // t=90: 2 ends → 4 starts 135, ends 195.
    // t=165: 3 ends → 5 starts 210, ends 270.
    let tasks = vec![
        tag_task(1, 1, 1.0, 20, 0, Some(0)),
        tag_task(2, 1, 1.0, 20, 0, Some(30)),
        tag_task(3, 0, 1.0, 20, 10, None),
        tag_task(4, 0, 1.0, 20, 11, None),
        tag_task(5, 0, 1.0, 20, 12, None),
    ];
    let inputs = EstimateInputs::new(at(40)).with_channel(ChannelSnapshot::new(
        5,
        tasks,
        vec![host(1, 2.0, true)],
    ));
    let plan = estimate_channel(&inputs, 5).unwrap();
    assert_eq!(completion(&plan, 3).as_ref().unwrap(), &at(165));
    assert_eq!(completion(&plan, 4).as_ref().unwrap(), &at(195));
    assert_eq!(completion(&plan, 5).as_ref().unwrap(), &at(270));
    assert_eq!(plan.task(5).unwrap().start, Some(at(210)));
}

#[test]
fn a_task_that_does_not_fit_is_passed_over() {
    // Capacity 4 (two hosts), load 3 (task 1, ends 60). Queue: 2 (weight
    // 2, prio 10) does not fit; 3 (weight 1, prio 20, created 5) does and
    // starts at 5 + 45 = 50, ends 110. At 60 task 1 ends: load 1, task 2
    // fits, starts 105, ends 165.
    let tasks = vec![
        tag_task(1, 1, 3.0, 20, 0, Some(0)),
        tag_task(2, 0, 2.0, 10, 1, None),
        tag_task(3, 0, 1.0, 20, 5, None),
    ];
    let hosts = vec![host(1, 3.0, true), host(2, 1.0, true)];
    let inputs = EstimateInputs::new(at(20)).with_channel(ChannelSnapshot::new(5, tasks, hosts));
    let plan = estimate_channel(&inputs, 5).unwrap();
    assert_eq!(plan.capacity, 4.0);
    assert_eq!(completion(&plan, 3).as_ref().unwrap(), &at(110));
    assert_eq!(completion(&plan, 2).as_ref().unwrap(), &at(165));
}

#[test]
fn parents_waiting_for_subtasks_hold_no_capacity() {
    // Capacity 1. An OPEN tagBuild marked waiting (holds nothing) and a
    // queued one created at 10: room now, 10 + 45 + 60 = 115.
    let mut parent = tag_task(1, 1, 1.0, 20, 0, Some(0));
    parent.waiting = Some(true);
    let queued = tag_task(2, 0, 1.0, 20, 10, None);
    let snapshot = |parent: Task| {
        ChannelSnapshot::new(5, vec![parent, queued.clone()], vec![host(1, 1.0, true)])
    };
    let inputs = EstimateInputs::new(at(20)).with_channel(snapshot(parent.clone()));
    let plan = estimate_channel(&inputs, 5).unwrap();
    assert_eq!(plan.load, 0.0);
    assert_eq!(completion(&plan, 2).as_ref().unwrap(), &at(115));
    // Not waiting: it holds its weight until 60; 2 starts 105, ends 165.
    parent.waiting = Some(false);
    let inputs = EstimateInputs::new(at(20)).with_channel(snapshot(parent));
    let plan = estimate_channel(&inputs, 5).unwrap();
    assert_eq!(plan.load, 1.0);
    assert_eq!(completion(&plan, 2).as_ref().unwrap(), &at(165));
}

#[test]
fn an_overdue_task_frees_its_capacity_now() {
    // Capacity 1; task 1 should have ended at 60, but it is 500 and it is
    // still OPEN. Task 2 waits for it: it starts 500 + 45, ends 605.
    let tasks = vec![
        tag_task(1, 1, 1.0, 20, 0, Some(0)),
        tag_task(2, 0, 1.0, 20, 10, None),
    ];
    let inputs = EstimateInputs::new(at(500)).with_channel(ChannelSnapshot::new(
        5,
        tasks,
        vec![host(1, 1.0, true)],
    ));
    let plan = estimate_channel(&inputs, 5).unwrap();
    assert_eq!(completion(&plan, 1).as_ref().unwrap(), &at(60));
    assert_eq!(completion(&plan, 2).as_ref().unwrap(), &at(605));
}

#[test]
fn capacity_held_by_a_task_that_cannot_be_estimated_blocks_the_queue() {
    // Channel 2 (createrepo) as recorded: builder3 (capacity 2) runs the
    // ASSIGNED newRepo 31 (weight 1), which cannot be estimated. Two more
    // newRepo tasks of weight 1 queue up: the first fits beside it (and
    // has no estimate of its own), the second waits for capacity nobody
    // can say when frees up.
    let mut snapshot = real_channel(2);
    assert_eq!(snapshot.tasks.len(), 1);
    for id in [70, 71] {
        let mut t = real_task(31);
        t.id = Some(id);
        t.state = Some(TaskState::Free);
        t.create_ts = Some(1_795_628_075.0 + id as f64);
        snapshot.tasks.push(t);
    }
    // A parent waiting for subtasks, itself without estimate, holds nothing
    // and is not named.
    let mut parent = real_task(31);
    parent.id = Some(72);
    parent.state = Some(TaskState::Open);
    parent.waiting = Some(true);
    parent.start_ts = Some(1_795_628_070.0);
    snapshot.tasks.push(parent);
    let inputs = real_inputs().with_channel(snapshot);
    let plan = estimate_channel(&inputs, 2).unwrap();
    assert!(matches!(
        completion(&plan, 72),
        Err(EstimateError::UnsupportedMethod { .. })
    ));
    assert!(matches!(
        completion(&plan, 31),
        Err(EstimateError::UnsupportedMethod { .. })
    ));
    assert!(matches!(
        completion(&plan, 70),
        Err(EstimateError::UnsupportedMethod { .. })
    ));
    match completion(&plan, 71) {
        Err(e @ EstimateError::Blocked { blockers }) => {
            assert_eq!(blockers, &[31, 70]);
            assert!(e.is_transient());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_channel_without_enabled_hosts_has_no_capacity() {
    // Channel 3 (maven) has no hosts at all; a disabled host adds nothing.
    let mut snapshot = real_channel(3);
    assert!(snapshot.hosts.is_empty());
    snapshot.hosts.push(host(4, 2.0, false));
    let mut t = real_task(27);
    t.channel_id = Some(3);
    snapshot.tasks.push(t.clone());
    let inputs = real_inputs().with_channel(snapshot);
    let err = t.estimate_completion(&inputs).unwrap_err();
    assert!(
        matches!(err, EstimateError::NoCapacity { channel: 3 }),
        "{err}"
    );
}

#[test]
fn a_task_heavier_than_the_channel_starts_once_it_is_empty() {
    // Capacity 2, task 1 (weight 1) ends at 60; task 2 weighs 3: it waits
    // until nothing runs, starts 105, ends 165.
    let tasks = vec![
        tag_task(1, 1, 1.0, 20, 0, Some(0)),
        tag_task(2, 0, 3.0, 20, 10, None),
    ];
    let inputs = EstimateInputs::new(at(20)).with_channel(ChannelSnapshot::new(
        5,
        tasks,
        vec![host(1, 2.0, true)],
    ));
    let plan = estimate_channel(&inputs, 5).unwrap();
    assert_eq!(completion(&plan, 2).as_ref().unwrap(), &at(165));
}

#[test]
fn fractional_weights_add_up_without_float_drift() {
    // Capacity 0.3 with 0.1 running: a 0.2 task fits (0.1 + 0.2 > 0.3 in
    // floats), so it starts at 10 + 45 and ends 115.
    let tasks = vec![
        tag_task(1, 1, 0.1, 20, 0, Some(0)),
        tag_task(2, 0, 0.2, 20, 10, None),
    ];
    let inputs = EstimateInputs::new(at(20)).with_channel(ChannelSnapshot::new(
        5,
        tasks,
        vec![host(1, 0.3, true)],
    ));
    let plan = estimate_channel(&inputs, 5).unwrap();
    assert_eq!(completion(&plan, 2).as_ref().unwrap(), &at(115));
}

#[test]
fn finished_tasks_in_a_snapshot_hold_no_capacity() {
    // Capacity 1: task 1 is CLOSED (a stale row), so 2 has room.
    let mut done = tag_task(1, 2, 1.0, 20, 0, Some(0));
    done.completion_ts = Some(30.0);
    let tasks = vec![done, tag_task(2, 0, 1.0, 20, 10, None)];
    let inputs = EstimateInputs::new(at(20)).with_channel(ChannelSnapshot::new(
        5,
        tasks,
        vec![host(1, 1.0, true)],
    ));
    let plan = estimate_channel(&inputs, 5).unwrap();
    assert!(plan.load == 0.0 && plan.load.is_sign_positive());
    assert_eq!(completion(&plan, 1).as_ref().unwrap(), &at(30));
    assert_eq!(completion(&plan, 2).as_ref().unwrap(), &at(115));
}

#[test]
fn bad_weights_and_capacities_are_errors() {
    let bad = tag_task(2, 0, -1.0, 20, 10, None);
    let inputs = EstimateInputs::new(at(20)).with_channel(ChannelSnapshot::new(
        5,
        vec![bad],
        vec![host(1, 1.0, true)],
    ));
    let err = estimate_channel(&inputs, 5).unwrap_err();
    assert_eq!(
        err.to_string(),
        "task 2: weight -1 is not a non-negative number"
    );
    let mut no_weight = tag_task(3, 1, 1.0, 20, 10, Some(10));
    no_weight.weight = None;
    let inputs = EstimateInputs::new(at(20)).with_channel(ChannelSnapshot::new(
        5,
        vec![no_weight],
        vec![host(1, 1.0, true)],
    ));
    assert_eq!(
        estimate_channel(&inputs, 5).unwrap_err().to_string(),
        "task 3: no weight"
    );
    let mut nan = host(7, 1.0, true);
    nan.capacity = Some(f64::NAN);
    let inputs =
        EstimateInputs::new(at(20)).with_channel(ChannelSnapshot::new(5, vec![], vec![nan]));
    let err = estimate_channel(&inputs, 5).unwrap_err();
    assert!(
        matches!(err, EstimateError::BadHost { host: Some(7), .. }),
        "{err}"
    );
    let err = estimate_channel(&inputs, 6).unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::MissingInput(MissingInput::Channel { channel: 6 })
        ),
        "{err}"
    );
}

#[test]
fn times_out_of_range_are_errors_not_panics() {
    let t = tag_task(1, 1, 1.0, 20, 0, Some(0));
    let inputs = EstimateInputs::new(at(20)).with_config(EstimateConfig {
        poll_interval: SignedDuration::MAX,
        ..EstimateConfig::default()
    });
    let err = t.estimate_completion(&inputs).unwrap_err();
    assert!(matches!(err, EstimateError::OutOfRange { .. }), "{err}");
    let b: Build = serde_json::from_value(
        json!({"build_id": 9, "name": "hello", "state": 0, "start_ts": 0.0}),
    )
    .unwrap();
    let inputs = EstimateInputs::new(at(20)).with_average("hello", Some(SignedDuration::MAX));
    assert!(matches!(
        b.estimate_completion(&inputs),
        Err(EstimateError::OutOfRange { .. })
    ));
}

// ----------------------------------------------- Build::estimate_completion

#[test]
fn finished_builds_complete_when_they_did() {
    let inputs = real_inputs();
    // COMPLETE 17, FAILED 18, CANCELED 24, DELETED 14.
    for (id, us) in [
        (17, 1_795_628_041_106_100),
        (18, 1_795_628_045_887_621),
        (24, 1_795_628_073_701_658),
        (14, 1_795_628_035_685_350),
    ] {
        assert_eq!(
            real_build(id).estimate_completion(&inputs).unwrap(),
            micros(us),
            "build {id}"
        );
    }
}

#[test]
fn a_building_build_ends_at_start_plus_its_average() {
    // Build 25 (foo-container, BUILDING) started at 1795628074.256244:
    // + 703.8743466 s.
    let t = real_build(25).estimate_completion(&real_inputs()).unwrap();
    let want = plus(
        micros(1_795_628_074_256_244),
        SignedDuration::from_nanos(FOO_CONTAINER_MEAN_NS),
    );
    assert_eq!(t, want);
    // Build 19 (libfoo, BUILDING): the hub has no average.
    let err = real_build(19)
        .estimate_completion(&real_inputs())
        .unwrap_err();
    assert!(
        matches!(err, EstimateError::NoAverage { ref package } if package == "libfoo"),
        "{err}"
    );
    // A listBuilds row works the same (no `id`, `name` present).
    let rows: Vec<Build> = serde_json::from_value(dataset("listBuilds")).unwrap();
    let row = rows.iter().find(|b| b.build_id() == Some(25)).unwrap();
    assert_eq!(row.estimate_completion(&real_inputs()).unwrap(), want);
}

#[test]
fn build_estimate_errors() {
    let b = |v: Value| -> Build { serde_json::from_value(v).unwrap() };
    let inputs = real_inputs();
    let err = b(json!({"build_id": 1, "name": "hello", "state": 0}))
        .estimate_completion(&inputs)
        .unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::NoStartTime {
                subject: Subject::Build(Some(1))
            }
        ),
        "{err}"
    );
    let err = b(json!({"build_id": 2, "name": "hello", "state": 3}))
        .estimate_completion(&inputs)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "build 2 is FAILED but has no completion time"
    );
    let err = b(json!({"build_id": 3, "state": 7}))
        .estimate_completion(&inputs)
        .unwrap_err();
    assert!(matches!(err, EstimateError::UnknownState { .. }), "{err}");
    let err = b(json!({"build_id": 4, "state": 0, "start_ts": 1.0}))
        .estimate_completion(&inputs)
        .unwrap_err();
    assert!(matches!(err, EstimateError::NoPackage { .. }), "{err}");
}

// ----------------------------------------------------------- needs

#[test]
fn needs_list_descendents_and_packages_to_fetch() {
    // Channel 1 with nothing fetched: 11's descendents, and the averages of
    // hello (27) and libfoo (11's own package standing in for its
    // buildArch, 14 and 28). tagBuild 29 needs nothing.
    let inputs = EstimateInputs::new(now()).with_channel(real_channel(1));
    let needs = inputs.needs_for_channel(1);
    assert_eq!(needs.descendents.iter().copied().collect::<Vec<_>>(), [11]);
    assert_eq!(
        needs
            .packages
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["hello", "libfoo"]
    );
    // Finished tasks and builds need nothing.
    assert!(
        inputs
            .needs_for_tasks([&real_task(2), &real_task(30)])
            .is_empty()
    );
    assert!(inputs.needs_for_build(&real_build(17)).is_empty());
    assert_eq!(
        inputs
            .needs_for_build(&real_build(25))
            .packages
            .into_iter()
            .collect::<Vec<_>>(),
        ["foo-container"]
    );
    // Once everything is there, nothing more.
    let mut full = inputs.with_descendents(11, real_descendents(11));
    full.averages = real_averages();
    assert!(full.needs_for_channel(1).is_empty());
    assert!(full.needs_for_channel(99).is_empty());
}

#[test]
fn errors_read_well() {
    let cases: Vec<(EstimateError, &str)> = vec![
        (
            EstimateError::NoAverage {
                package: "libfoo".into(),
            },
            "no average build duration for package \"libfoo\": no completed build to measure",
        ),
        (
            EstimateError::UnsupportedMethod {
                subject: Subject::Task(Some(31)),
                method: "newRepo".into(),
            },
            "cannot estimate task 31 (newRepo): the method builds no package",
        ),
        (
            EstimateError::NoCapacity { channel: 3 },
            "channel 3 has no enabled host with capacity",
        ),
        (
            EstimateError::Blocked { blockers: vec![31] },
            "waits for capacity held by tasks [31], whose completion cannot be estimated",
        ),
        (
            EstimateError::MissingInput(MissingInput::Channel { channel: 9 }),
            "the estimate inputs lack the active tasks and hosts of channel 9",
        ),
        (
            EstimateError::Fault {
                method: "listBuilds",
                code: 1,
                message: "boom".into(),
            },
            "listBuilds: the hub answered with fault 1: boom",
        ),
    ];
    for (err, text) in cases {
        assert_eq!(err.to_string(), text);
        assert!(!matches!(err, EstimateError::NoOpenDescendents { .. }) || err.is_transient());
    }
    assert!(!EstimateError::NoCapacity { channel: 3 }.is_transient());
}
