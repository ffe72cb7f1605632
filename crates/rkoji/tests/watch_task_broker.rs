//! `rkoji watch-task --broker` and `rkoji build --broker` end to end:
//! koji-testhub's simulated builder publishes its task messages to a real
//! RabbitMQ (koji-testenv), as a hub with protonmsg does, and rkoji follows
//! them. The builder only steps when a test tells it to, so every change
//! rkoji shows is one the test made.
//!
//! The profile's `poll_interval` is 1 s: a watch that polled would ask the
//! hub every second, so a quiet hub while the bus drives shows the polls
//! come from messages. Needs the `real-services` feature (RabbitMQ).
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::Duration;

use koji_client::{Connection, TaskState};
use koji_testenv::rabbitmq::RabbitMq;
use koji_testhub::TestHub;
use serde_json::Value;
use support::Env;

const ALICE: &str = "authtype = password\nuser = alice\npassword = pw\npoll_interval = 1\n";
const SCM: &str = "git+https://git.example.org/rpms/hello.git#0123456789abcdef";
const WAIT: Duration = Duration::from_secs(60);

/// One broker at a time: Erlang VMs booting side by side on a small
/// machine (while other tests run) made them fail to start.
static ONE_BROKER_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_broker_at_a_time() -> MutexGuard<'static, ()> {
    ONE_BROKER_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A hub whose builder publishes to `broker` and steps only when told.
fn env(broker: &RabbitMq, fail: Option<&str>) -> Env {
    let mut b = TestHub::builder()
        .password("alice", "pw")
        .broker(&broker.amqp_url());
    if let Some(p) = fail {
        b = b.fail_package(p);
    }
    Env::start_with(b, ALICE)
}

/// rkoji running in the background: its stdout lines as they come, its
/// stderr at the end.
struct Live {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Live {
    fn start(env: &Env, args: &[&str]) -> Live {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("rkoji"))
            .env_clear()
            .env("HOME", env.home.path())
            .env("TZ", "UTC")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .arg("-c")
            .arg(&env.config)
            .args(["-p", "testhub"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        Live {
            child,
            lines,
            stderr: Some(stderr),
        }
    }

    /// The next `--json` event.
    fn next(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(WAIT)
            .expect("rkoji printed nothing more");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Events until (and with) the first `pred` accepts.
    fn until(&self, events: &mut Vec<Value>, pred: impl Fn(&Value) -> bool) {
        loop {
            let ev = self.next();
            let done = pred(&ev);
            events.push(ev);
            if done {
                return;
            }
        }
    }

    /// Lines until (and with) the first `pred` accepts.
    fn until_line(&self, lines: &mut Vec<String>, pred: impl Fn(&str) -> bool) {
        loop {
            let line = self
                .lines
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("rkoji printed nothing more: {lines:#?}"));
            let done = pred(&line);
            lines.push(line);
            if done {
                return;
            }
        }
    }

    /// The rest of the lines, the exit code and stderr.
    fn finish_lines(mut self, lines: &mut Vec<String>) -> (i32, String) {
        while let Ok(line) = self.lines.recv_timeout(WAIT) {
            lines.push(line);
        }
        let _guard = support::kill_if_hung(self.child.id(), WAIT);
        let status = self.child.wait().unwrap();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status.code().unwrap_or(-1), stderr)
    }

    /// The rest of the events, the exit code and stderr.
    fn finish(mut self, events: &mut Vec<Value>) -> (i32, String) {
        while let Ok(line) = self.lines.recv_timeout(WAIT) {
            events.push(serde_json::from_str(&line).unwrap());
        }
        let _guard = support::kill_if_hung(self.child.id(), WAIT);
        let status = self.child.wait().unwrap();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status.code().unwrap_or(-1), stderr)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn is_driver(ev: &Value, driver: &str) -> bool {
    ev["event"] == "driver" && ev["driver"] == driver
}

/// Runs `f` with a connection to the hub (logged in as alice).
fn with_hub<T>(env: &Env, f: impl AsyncFnOnce(&Connection) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let koji = Connection::builder(env.hub().url())
            .no_proxy()
            .build()
            .unwrap();
        koji.login_password("alice", "pw").await.unwrap();
        f(&koji).await
    })
}

/// A build submitted as alice; its root task id.
fn submit(env: &Env) -> i64 {
    with_hub(env, async |koji| {
        koji.build(SCM, "f40-candidate")
            .send()
            .await
            .unwrap()
            .task_id
    })
}

/// The tree under `root` as the hub has it now: (task, state, start_ts,
/// completion_ts), root first.
fn hub_tree(env: &Env, root: i64) -> Vec<(i64, TaskState, Option<f64>, Option<f64>)> {
    with_hub(env, async |koji| {
        let info = koji.get_task_info(root).await.unwrap().unwrap();
        let tree = koji.get_task_descendents(root).await.unwrap();
        std::iter::once(&info)
            .chain(tree.all())
            .map(|t| {
                (
                    t.id.unwrap(),
                    t.state.clone().unwrap(),
                    t.start_ts,
                    t.completion_ts,
                )
            })
            .collect()
    })
}

/// Waits until rkoji has stopped asking the hub (one second without a
/// request), and returns the hub's request count then.
fn quiet_count(env: &Env) -> u64 {
    let mut last = env.hub().request_count();
    for _ in 0..30 {
        std::thread::sleep(Duration::from_secs(1));
        let now = env.hub().request_count();
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("the hub never went quiet: rkoji keeps polling");
}

/// Steps the builder to the end, pausing between steps so that each
/// change is seen on its own; returns the number of steps.
fn step_to_the_end(env: &Env) -> usize {
    let mut steps = 0;
    while env.hub().step_builder() {
        steps += 1;
        std::thread::sleep(Duration::from_millis(300));
    }
    steps
}

/// Messages about tasks published since `from`.
fn task_messages(env: &Env, from: usize) -> usize {
    env.hub().published()[from..]
        .iter()
        .filter(|m| m.topic.starts_with("task."))
        .count()
}

/// The final state rkoji showed for each task.
fn shown_states(events: &[Value]) -> std::collections::BTreeMap<i64, String> {
    events
        .iter()
        .filter(|e| e["event"] == "seen" || e["event"] == "changed")
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["new"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `watch-task --broker` (STOMP): the bus drives the watch, an idle hub
/// is not polled although poll_interval is 1 s, every poll after the
/// bus came up was woken by a message, and the closed tree exits 0 with
/// every task shown CLOSED.
#[test]
fn watch_task_follows_the_bus_and_polls_only_on_messages() {
    let _one = one_broker_at_a_time();
    let broker = RabbitMq::start();
    let env = env(&broker, None);
    let root = submit(&env);
    let url = format!("stomp://guest:guest@127.0.0.1:{}/%2F", broker.stomp_port);
    let id = root.to_string();
    let live = Live::start(&env, &["--json", "watch-task", &id, "--broker", &url]);
    let mut events = Vec::new();
    live.until(&mut events, |e| is_driver(e, "bus"));
    // The bus is up: no poll comes by itself now (a poll every second
    // would show in three).
    let quiet = quiet_count(&env);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        env.hub().request_count(),
        quiet,
        "rkoji polled an idle hub while following the bus"
    );
    let published_before = env.hub().published().len();
    let steps = step_to_the_end(&env);
    assert!(steps > 3, "{steps}");
    let (code, stderr) = live.finish(&mut events);
    assert_eq!(code, 0, "{stderr}\n{events:#?}");
    let done = events.last().unwrap();
    assert_eq!(done["event"], "done", "{done}");
    assert_eq!(done["success"], true);
    // the bus drove it all along
    let drivers: Vec<&Value> = events.iter().filter(|e| e["event"] == "driver").collect();
    assert_eq!(drivers.len(), 1, "{drivers:?}");
    // every task of the tree shown, in its final state
    let tree = hub_tree(&env, root);
    assert!(tree.len() >= 4, "{tree:?}");
    let shown = shown_states(&events);
    for (task, state, _, _) in &tree {
        assert_eq!(*state, TaskState::Closed);
        assert_eq!(
            shown.get(task).map(String::as_str),
            Some("CLOSED"),
            "{task}"
        );
    }
    // The polls after the quiet point were each woken by a message: at
    // most one per task message, and each is one request plus at most one
    // for lookups (failure texts, hosts, averages).
    let messages = task_messages(&env, published_before) as u64;
    let woken = done["woken_polls"].as_u64().unwrap();
    let polls = done["polls"].as_u64().unwrap();
    let requests = env.hub().request_count() - quiet;
    assert!(woken >= 1 && woken <= messages, "{woken} vs {messages}");
    assert!(
        requests <= 2 * woken,
        "{requests} requests, {woken} woken polls"
    );
    eprintln!(
        "bus-driven watch-task: {steps} builder steps, {messages} task messages, \
         {polls} polls ({woken} woken by a message), {requests} hub requests after the bus came up"
    );
}

/// `build --broker` (AMQP 1.0): submitted, watched on the bus to the end,
/// exit 0. Prints how long after the hub's change rkoji printed it (the
/// hub's task timestamps against the `time` of rkoji's `--json` events;
/// one clock, one machine); asserts only that no change was printed
/// before it happened and that each was printed.
#[test]
fn build_follows_the_bus_and_shows_changes_soon_after_the_hub() {
    let _one = one_broker_at_a_time();
    let broker = RabbitMq::start();
    let env = env(&broker, None);
    let url = format!("amqp1://guest:guest@127.0.0.1:{}", broker.amqp_port);
    let live = Live::start(
        &env,
        &["--json", "build", "f40-candidate", SCM, "--broker", &url],
    );
    let mut events = Vec::new();
    live.until(&mut events, |e| is_driver(e, "bus"));
    let root = events.iter().find(|e| e["event"] == "submitted").unwrap()["task_id"]
        .as_i64()
        .unwrap();
    quiet_count(&env);
    step_to_the_end(&env);
    let (code, stderr) = live.finish(&mut events);
    assert_eq!(code, 0, "{stderr}\n{events:#?}");
    let done = events.last().unwrap();
    assert_eq!(done["success"], true, "{done}");
    assert_eq!(
        events.iter().filter(|e| e["event"] == "driver").count(),
        1,
        "{events:#?}"
    );
    // every event carries the time it was printed
    for e in &events {
        support::ts(&e["time"]);
    }
    let tree = hub_tree(&env, root);
    let mut lags = Vec::new();
    for (task, state, start, end) in &tree {
        assert_eq!(*state, TaskState::Closed, "{task}");
        for (new, at) in [("OPEN", start), ("CLOSED", end)] {
            let hub_at = support::from_epoch(&Value::from(at.unwrap()));
            let printed = events
                .iter()
                .find(|e| e["event"] == "changed" && e["id"] == *task && e["new"] == new)
                .unwrap_or_else(|| panic!("task {task} never shown {new}: {events:#?}"));
            let printed = support::ts(&printed["time"]);
            let lag = printed.duration_since(hub_at);
            assert!(!lag.is_negative(), "task {task} shown {new} before the hub");
            lags.push(lag.as_secs_f64() * 1000.0);
        }
    }
    lags.sort_by(f64::total_cmp);
    eprintln!(
        "bus latency (hub state change -> rkoji --json line), {} changes: \
         min {:.0} ms, median {:.0} ms, max {:.0} ms",
        lags.len(),
        lags[0],
        lags[lags.len() / 2],
        lags[lags.len() - 1]
    );
}

/// `build --broker` of a package that fails, as a person sees it: the
/// driver named on stderr, koji's lines with `FAILED: <text>`, exit 1 with
/// the failure text.
#[test]
fn a_failing_build_on_the_bus_exits_1_with_the_failure_text() {
    let _one = one_broker_at_a_time();
    let broker = RabbitMq::start();
    let env = env(&broker, Some("hello"));
    let url = format!("amqp1://guest:guest@127.0.0.1:{}", broker.amqp_port);
    let live = Live::start(&env, &["build", "f40-candidate", SCM, "--broker", &url]);
    let mut lines = Vec::new();
    live.until_line(&mut lines, |l| l.starts_with("Watching tasks"));
    let root: i64 = lines
        .iter()
        .find_map(|l| l.strip_prefix("Created task: "))
        .unwrap()
        .parse()
        .unwrap();
    // the first look at the tree is printed, then the bus takes over
    live.until_line(&mut lines, |l| l.starts_with(&format!("{root} build")));
    quiet_count(&env);
    step_to_the_end(&env);
    let (code, stderr) = live.finish_lines(&mut lines);
    assert_eq!(code, 1, "{stderr}\n{lines:#?}");
    assert!(
        stderr.starts_with("Following the message bus (polling every 60s only to reconcile)\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("Polling every"), "{stderr}");
    assert!(
        stderr.contains(&format!("task {root} failed: ")),
        "{stderr}"
    );
    assert!(stderr.contains("Bad exit status"), "{stderr}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("-> FAILED: ") && l.contains("Bad exit status")),
        "{lines:#?}"
    );
    assert!(lines.last().unwrap().ends_with("failed"), "{lines:#?}");
}

/// The broker dies during a bus-driven watch: rkoji says it polls now
/// (every poll_interval), and the tree still ends correctly: every task
/// shown CLOSED, exit 0.
#[test]
fn a_broker_killed_mid_watch_hands_over_to_polling() {
    let _one = one_broker_at_a_time();
    let mut broker = RabbitMq::start();
    let env = env(&broker, None);
    let root = submit(&env);
    let url = format!("amqp1://guest:guest@127.0.0.1:{}", broker.amqp_port);
    let id = root.to_string();
    let live = Live::start(&env, &["--json", "watch-task", &id, "--broker", &url]);
    let mut events = Vec::new();
    live.until(&mut events, |e| is_driver(e, "bus"));
    quiet_count(&env);
    // a few changes on the bus, then the broker goes
    for _ in 0..3 {
        assert!(env.hub().step_builder());
        std::thread::sleep(Duration::from_millis(300));
    }
    broker.kill();
    live.until(&mut events, |e| is_driver(e, "polling"));
    step_to_the_end(&env);
    let (code, stderr) = live.finish(&mut events);
    assert_eq!(code, 0, "{stderr}\n{events:#?}");
    let done = events.last().unwrap();
    assert_eq!(done["event"], "done", "{done}");
    assert_eq!(done["success"], true);
    let tree = hub_tree(&env, root);
    let shown = shown_states(&events);
    for (task, state, _, _) in &tree {
        assert_eq!(*state, TaskState::Closed);
        assert_eq!(
            shown.get(task).map(String::as_str),
            Some("CLOSED"),
            "{task}"
        );
    }
    // after the handover the watch was driven by polling: no driver
    // change back to the bus (the broker never returned)
    let last_driver = events
        .iter()
        .rev()
        .find(|e| e["event"] == "driver")
        .unwrap();
    assert_eq!(last_driver["driver"], "polling", "{last_driver}");
}
