//! `rkoji watch` as a user runs it: the built binary against a real
//! RabbitMQ (koji-testenv), fed the messages recorded from a real hub with
//! the publishers real deployments use (qpid-proton as Koji's protonmsg
//! plugin, stomp.py as an ActiveMQ-style STOMP bridge). Needs the
//! `real-services` and `python-oracle` features; `watch_errors.rs` has the
//! tests that need no broker.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::Duration;

use koji_client::messages::parse;
use koji_testenv::bus::{Recorded, proton_python, publish, recorded, venv_python};
use koji_testenv::rabbitmq::{RabbitMq, TestCerts};
use serde_json::{Value, json};

const WEB: &str = "https://koji.example.com/koji";
const WAIT: Duration = Duration::from_secs(60);

/// The broker tests run one at a time: four Erlang VMs booting at once
/// on a small machine (while other tests run) made one fail to start.
static ONE_BROKER_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_broker_at_a_time() -> MutexGuard<'static, ()> {
    ONE_BROKER_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A koji config with one profile whose weburl the URLs must use. The hub
/// is never reached (`--no-resolve`, or a closed port).
struct Profile {
    dir: tempfile::TempDir,
}

impl Profile {
    fn new(extra: &str) -> Profile {
        Profile::with_server("http://127.0.0.1:9/kojihub", extra)
    }

    fn with_server(server: &str, extra: &str) -> Profile {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("koji.conf"),
            format!("[watchtest]\nserver = {server}\nweburl = {WEB}\n{extra}"),
        )
        .unwrap();
        Profile { dir }
    }

    fn args(&self) -> Vec<String> {
        vec![
            "-c".into(),
            self.dir.path().join("koji.conf").display().to_string(),
            "-p".into(),
            "watchtest".into(),
        ]
    }
}

fn rkoji() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("rkoji"));
    // Keep the user's environment out (config, cache, logging).
    cmd.env("HOME", std::env::temp_dir().join("rkoji-watch-test-home"))
        .env_remove("RKOJI_LOG");
    cmd
}

/// rkoji running in the background, its stdout lines collected.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(args: &[String]) -> Running {
        let mut child = rkoji()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    fn next(&self, wait: Duration) -> Option<String> {
        self.lines.recv_timeout(wait).ok()
    }

    /// Publishes probes until rkoji prints one: it is subscribed then.
    /// Probe lines (and any still in flight) are dropped.
    fn wait_until_subscribed(&self, mut send: impl FnMut(u32)) {
        for i in 0..120 {
            send(i);
            if let Some(line) = self.next(Duration::from_millis(500)) {
                assert!(line.contains("koji.probe"), "unexpected line: {line}");
                while let Some(line) = self.next(Duration::from_millis(500)) {
                    assert!(line.contains("koji.probe"), "unexpected line: {line}");
                }
                return;
            }
        }
        panic!("rkoji watch never printed a probe");
    }

    fn take(&self, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                self.next(WAIT)
                    .unwrap_or_else(|| panic!("only {i} of {n} lines arrived"))
            })
            .collect()
    }

    /// Ctrl-C: rkoji stops and exits 0.
    fn interrupt(mut self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let _guard = support::kill_if_hung(self.child.id(), Duration::from_secs(120));
        let status = self.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "rkoji watch after Ctrl-C: {status}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `name-version-release` from the message's own properties.
fn props_nvr(m: &Recorded) -> Option<String> {
    let p = &m.properties;
    Some(format!(
        "{}-{}-{}",
        p.get("name")?.as_str()?,
        p.get("version")?.as_str()?,
        p.get("release")?.as_str()?
    ))
}

/// A build's id as the hub put it in a message body.
fn build_id(build: &Value) -> Value {
    build
        .get("id")
        .or_else(|| build.get("build_id"))
        .cloned()
        .unwrap_or(Value::Null)
}

fn body(m: &Recorded) -> Value {
    serde_json::from_str(&m.body).unwrap()
}

/// The kojiweb URL the fixture's own ids give, for the kinds that have one
/// in every message.
fn fixture_url(m: &Recorded) -> Option<String> {
    let b = body(m);
    match m.properties["type"].as_str()? {
        "BuildStateChange" => Some(format!("{WEB}/buildinfo?buildID={}", b["info"]["id"])),
        "TaskStateChange" => Some(format!("{WEB}/taskinfo?taskID={}", m.properties["id"])),
        "Tag" | "Untag" => Some(format!("{WEB}/buildinfo?buildID={}", build_id(&b["build"]))),
        _ => None,
    }
}

fn stomp_probe(i: u32) -> Value {
    json!({"destination": "/topic/koji.probe", "headers": {"type": "Probe"},
           "body": json!({"probe": i}).to_string()})
}

/// Checks a text line against the recorded message it is about.
fn check_text_line(line: &str, m: &Recorded) {
    // Exactly the library's summary of the message, with the profile's weburl…
    let event = parse(Some(&m.address), &m.properties, m.body.as_bytes()).unwrap();
    assert_eq!(line, event.summary(Some(WEB)), "message {}", m.seq);
    // …which says what the fixture says.
    if let Some(nvr) = props_nvr(m) {
        assert!(line.contains(&nvr), "message {}: {line}", m.seq);
    }
    if let Some(url) = fixture_url(m) {
        assert!(
            line.ends_with(&format!("({url})")),
            "message {}: {line}",
            m.seq
        );
    }
    let t = m.properties["type"].as_str().unwrap();
    if t == "BuildStateChange" || t == "TaskStateChange" {
        let new = m.properties["new"].as_str().unwrap().to_lowercase();
        assert!(
            line.contains(&format!(" {new} (")),
            "message {}: {line}",
            m.seq
        );
    }
    if let Some(tag) = m.properties.get("tag").and_then(Value::as_str) {
        assert!(line.contains(tag), "message {}: {line}", m.seq);
    }
}

#[test]
fn watch_stomp_prints_a_summary_line_per_protonmsg_message_and_stops_on_ctrl_c() {
    let _serial = one_broker_at_a_time();
    // Koji's protonmsg publishes over AMQP 1.0; rkoji reads the same
    // messages through RabbitMQ's STOMP adapter.
    let proton = proton_python();
    let stomp_python = venv_python();
    let messages = recorded();
    let broker = RabbitMq::start();
    let profile = Profile::new("");
    let mut args = profile.args();
    args.extend([
        "watch".into(),
        "--no-resolve".into(),
        "--broker".into(),
        format!("stomp://guest:guest@127.0.0.1:{}/%2F", broker.stomp_port),
    ]);
    let running = Running::start(&args);
    let port = broker.stomp_port.to_string();
    running.wait_until_subscribed(|i| publish(&stomp_python, "stomp", &port, &[stomp_probe(i)]));

    let url = format!("amqp://127.0.0.1:{}", broker.amqp_port);
    let batch: Vec<Value> = messages.iter().map(Recorded::as_proton).collect();
    publish(&proton, "proton", &url, &batch);
    let lines = running.take(messages.len());
    for (line, m) in lines.iter().zip(&messages) {
        check_text_line(line, m);
    }
    assert_eq!(running.next(Duration::from_secs(1)), None);
    running.interrupt();
}

/// A broker with a durable queue `queue`, bound to `koji.#`, that already
/// holds every recorded message (published as protonmsg does); and those
/// messages.
fn queue_holding_every_message(queue: &str) -> (RabbitMq, Vec<Recorded>) {
    let proton = proton_python();
    let setup = venv_python();
    let messages = recorded();
    let broker = RabbitMq::start();
    publish(
        &setup,
        "declare",
        &broker.amqp_url(),
        &[json!({"queue": queue, "bindings": ["koji.#"]})],
    );
    let url = format!("amqp://127.0.0.1:{}", broker.amqp_port);
    let batch: Vec<Value> = messages.iter().map(Recorded::as_proton).collect();
    publish(&proton, "proton", &url, &batch);
    (broker, messages)
}

#[test]
fn watch_amqp_prints_json_lines_of_the_chosen_types_then_stops_at_count() {
    let _serial = one_broker_at_a_time();
    // AMQP 0-9-1 from a durable queue that already holds every recorded
    // message (published as protonmsg does): --type keeps builds and tags,
    // --count ends the run.
    let queue = "rkoji-watch-test";
    let (broker, messages) = queue_holding_every_message(queue);

    let wanted: Vec<&Recorded> = messages
        .iter()
        .filter(|m| {
            matches!(
                m.properties["type"].as_str(),
                Some("BuildStateChange" | "Tag")
            )
        })
        .collect();
    assert!(wanted.len() > 5, "the fixture has builds and tags");
    let profile = Profile::new("");
    let mut args = profile.args();
    args.extend([
        "--json".into(),
        "watch".into(),
        "--no-resolve".into(),
        "--broker".into(),
        broker.amqp_url(),
        "--queue".into(),
        queue.into(),
        "--type".into(),
        "build,tag".into(),
        "--count".into(),
        wanted.len().to_string(),
        "--timeout".into(),
        "2m".into(),
    ]);
    let out = rkoji().args(&args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), wanted.len(), "{stdout}");
    for (line, m) in lines.iter().zip(&wanted) {
        let p = &m.properties;
        let b = body(m);
        let kind = p["type"].as_str().unwrap();
        assert_eq!(line["kind"], kind, "message {}", m.seq);
        assert_eq!(line["dialect"], "protonmsg");
        assert_eq!(line["topic"], m.address.trim_start_matches("/topic/"));
        assert_eq!(line["nvr"].as_str(), props_nvr(m).as_deref());
        assert_eq!(line["url"].as_str(), fixture_url(m).as_deref());
        assert_eq!(line["body"], b, "the whole body is kept");
        match kind {
            "BuildStateChange" => {
                assert_eq!(line["type"], "build");
                assert_eq!(line["new"], p["new"]);
                assert_eq!(line["old"], p["old"]);
                assert_eq!(line["build_id"], b["info"]["id"]);
                assert_eq!(line["package"], p["name"]);
            }
            _ => {
                assert_eq!(line["type"], "tag");
                assert_eq!(line["tag"], p["tag"]);
                assert_eq!(line["user"], p["user"]);
                assert_eq!(line["build_id"], build_id(&b["build"]));
            }
        }
        let event = parse(Some(&m.address), p, m.body.as_bytes()).unwrap();
        assert_eq!(line["summary"], event.summary(Some(WEB)));
    }
}

/// User names by id, from the data set the test hub serves.
fn dataset_user_names() -> serde_json::Map<String, Value> {
    let text = koji_testhub::realhub::file("users.json").unwrap();
    let users: Value = serde_json::from_str(text).unwrap();
    users["data"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, u)| (id.clone(), u["name"].clone()))
        .collect()
}

#[test]
fn watch_amqp1_reads_a_queue_and_names_task_owners_through_the_hub() {
    let _serial = one_broker_at_a_time();
    // AMQP 1.0 from a durable queue holding every recorded message; the
    // messages give task owners as ids, which rkoji looks up on the hub
    // (koji-testhub serving the data set the messages were recorded with).
    let queue = "rkoji-watch-amqp1-test";
    let (broker, messages) = queue_holding_every_message(queue);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let hub = runtime
        .block_on(koji_testhub::TestHub::builder().start())
        .unwrap();
    let wanted: Vec<&Recorded> = messages
        .iter()
        .filter(|m| {
            matches!(
                m.properties["type"].as_str(),
                Some("TaskStateChange" | "PackageListChange")
            )
        })
        .collect();
    let profile = Profile::with_server(&hub.url(), "");
    let mut args = profile.args();
    args.extend([
        "--json".into(),
        "watch".into(),
        "--broker".into(),
        format!("amqp1://guest:guest@127.0.0.1:{}", broker.amqp_port),
        "--topic".into(),
        format!("/amq/queue/{queue}"),
        // A second link (its own connection), on which nothing comes.
        "--topic".into(),
        "/topic/rkoji.nothing.#".into(),
        "--type".into(),
        "task".into(),
        "--type".into(),
        "package".into(),
        "--count".into(),
        wanted.len().to_string(),
        "--timeout".into(),
        "2m".into(),
    ]);
    let out = rkoji().args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("cannot look names up"), "{stderr}");
    let names = dataset_user_names();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), wanted.len());
    for (line, m) in lines.iter().zip(&wanted) {
        let p = &m.properties;
        assert_eq!(line["kind"], p["type"], "message {}", m.seq);
        // The topic of an AMQP 1.0 message is the link's source address.
        assert_eq!(line["topic"], format!("/amq/queue/{queue}"));
        if p["type"] == "TaskStateChange" {
            let owner = body(m)["info"]["owner"].clone();
            assert_eq!(line["type"], "task");
            assert_eq!(line["user_id"], owner, "message {}", m.seq);
            let name = &names[&owner.to_string()];
            assert_eq!(&line["user"], name, "message {}", m.seq);
            let summary = line["summary"].as_str().unwrap();
            assert!(
                summary.starts_with(&format!("{}'s ", name.as_str().unwrap())),
                "message {}: {summary}",
                m.seq
            );
            assert_eq!(line["task_id"], p["id"]);
            assert_eq!(line["method"], p["method"]);
            assert_eq!(line["new"], p["new"]);
            assert_eq!(line["old"], p["old"]);
            assert_eq!(line["url"].as_str(), fixture_url(m).as_deref());
        } else {
            assert_eq!(line["type"], "package");
            assert_eq!(line["tag"], p["tag"]);
            assert_eq!(line["package"], p["package"]);
            assert_eq!(line["action"], p["action"]);
            assert_eq!(line["user"], p["user"]);
        }
    }
    drop(hub);
}

#[test]
fn watch_stomp_over_tls_uses_the_profile_certificate_and_ca() {
    let _serial = one_broker_at_a_time();
    // The broker's TLS listener demands a client certificate from the test
    // CA; rkoji takes it (and the CA) from the profile's cert/serverca.
    let python = venv_python();
    let certs = TestCerts::new();
    let broker = RabbitMq::start_with_tls(&certs);
    let profile = Profile::new(&format!(
        "cert = {}\nserverca = {}\n",
        certs.client.display(),
        certs.ca.display()
    ));
    let mut args = profile.args();
    args.extend([
        "watch".into(),
        "--no-resolve".into(),
        "--broker".into(),
        format!(
            "stomp+ssl://guest:guest@127.0.0.1:{}/%2F",
            broker.stomp_tls_port.unwrap()
        ),
        "--type".into(),
        "task,other".into(),
    ]);
    let running = Running::start(&args);
    let port = broker.stomp_port.to_string();
    running.wait_until_subscribed(|i| publish(&python, "stomp", &port, &[stomp_probe(i)]));
    let messages = recorded();
    let some = &messages[..20];
    let batch: Vec<Value> = some.iter().map(Recorded::as_stomp).collect();
    publish(&python, "stomp", &port, &batch);
    let tasks: Vec<&Recorded> = some
        .iter()
        .filter(|m| m.properties["type"] == "TaskStateChange")
        .collect();
    assert!(tasks.len() > 3, "the first messages include tasks");
    let lines = running.take(tasks.len());
    for (line, m) in lines.iter().zip(tasks) {
        check_text_line(line, m);
    }
    running.interrupt();
}
