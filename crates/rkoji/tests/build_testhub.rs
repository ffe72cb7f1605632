//! `rkoji build`, `tag-build`, `cancel` and `resubmit` end to end against
//! koji-testhub with its simulated builder running (a step every 30 ms, or
//! only when a test steps it):
//! exit status and output as koji's.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use koji_testhub::TestHub;
use support::{Env, run};

const ALICE: &str = "authtype = password\nuser = alice\npassword = pw\n";
const BOB: &str = "authtype = password\nuser = bob\npassword = pw\n";
const SCM: &str = "git+https://git.example.org/rpms/hello.git#0123456789abcdef";

fn env(fail: Option<&str>, profile: &str) -> Env {
    let mut b = TestHub::builder()
        .password("alice", "pw")
        .password("bob", "pw")
        .builder_step(Duration::from_millis(30));
    if let Some(p) = fail {
        b = b.fail_package(p);
    }
    Env::start_with(b, profile)
}

fn srpm(dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, vec![7u8; 50_000]).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn build_of_a_local_srpm_uploads_watches_and_exits_0() {
    let env = env(None, ALICE);
    let dir = tempfile::tempdir().unwrap();
    let path = srpm(dir.path(), "hello-2.0-1.fc40.src.rpm");
    let r = run(env.rkoji(&["build", "f40-candidate", &path]), None).ok();
    assert!(r.stdout.contains("Created task: "), "{}", r.stdout);
    assert!(r.stdout.contains("buildArch"), "{}", r.stdout);
    assert!(
        r.stdout.trim_end().ends_with("completed successfully"),
        "{}",
        r.stdout
    );
    // the SRPM reached the hub whole, and the build is COMPLETE and tagged
    let published = env.hub().published();
    assert!(published.iter().any(|m| m.topic == "build.complete"));
    assert!(published.iter().any(|m| m.topic == "build.tag"));
}

#[test]
fn a_failing_build_exits_1_with_the_failure_text() {
    let env = env(Some("hello"), ALICE);
    let r = run(env.rkoji(&["build", "f40-candidate", SCM]), None);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("Bad exit status"), "{all}");
    assert!(r.stdout.trim_end().ends_with("failed"), "{}", r.stdout);
}

#[test]
fn a_non_existent_target_is_refused_before_submitting() {
    let env = env(None, ALICE);
    run(env.rkoji(&["build", "no-such-target", SCM]), None)
        .fails(1, "such build target: no-such-target");
    assert!(env.hub().published().is_empty());
}

#[test]
fn anonymous_build_is_refused() {
    let env = env(None, "authtype = noauth\n");
    let r = run(env.rkoji(&["build", "f40-candidate", SCM]), None);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("logged in") || r.stderr.contains("login"),
        "{}",
        r.stderr
    );
    assert!(env.hub().published().is_empty());
}

#[test]
fn tag_build_into_a_locked_tag_fails_with_the_hub_fault() {
    let env = env(None, ALICE);
    run(env.rkoji(&["tag-build", "f39", "hello-1.1-1.fc40"]), None).fails(1, "tag is locked");
}

#[test]
fn cancel_and_resubmit_a_running_build() {
    // a builder that never advances by itself: the tree stays FREE
    let env = Env::start_with(TestHub::builder().password("alice", "pw"), ALICE);
    let r = run(
        env.rkoji(&["build", "--nowait", "f40-candidate", SCM]),
        None,
    )
    .ok();
    let id: String = r
        .stdout
        .split("Created task: ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    run(env.rkoji(&["cancel", &id]), None).ok();
    let canceled = env
        .hub()
        .published()
        .into_iter()
        .filter(|m| m.topic == "task.canceled")
        .count();
    assert_eq!(canceled, 1);
    let r = run(env.rkoji(&["resubmit", "--nowait", &id]), None).ok();
    assert!(r.stdout.contains("Resubmitted task "), "{}", r.stdout);
    assert_eq!(
        env.hub()
            .published()
            .iter()
            .filter(|m| m.topic == "task.free")
            .count(),
        2
    );
}

#[test]
fn bob_cannot_cancel_alices_task() {
    let env = Env::start_with(
        TestHub::builder()
            .password("alice", "pw")
            .password("bob", "pw"),
        BOB,
    );
    env.add_profile("alice", &format!("server = {}\n{ALICE}", env.hub().url()));
    let r = run(
        env.rkoji_profile("alice", &["build", "--nowait", "f40-candidate", SCM]),
        None,
    )
    .ok();
    let id: String = r
        .stdout
        .split("Created task: ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    run(env.rkoji(&["cancel", &id]), None).fails(1, "Cannot cancel task, not owner");
}

/// Runs `f` with a connection to the hub, logged in as alice.
fn with_hub<T>(env: &Env, f: impl AsyncFnOnce(&koji_client::Connection) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let koji = koji_client::Connection::builder(env.hub().url())
            .no_proxy()
            .build()
            .unwrap();
        koji.login_password("alice", "pw").await.unwrap();
        f(&koji).await
    })
}

/// Every task of the tree under `root` with its state on the hub, by id.
fn hub_states(env: &Env, root: i64) -> Vec<(i64, koji_client::TaskState)> {
    with_hub(env, async |koji| {
        let info = koji.get_task_info(root).await.unwrap().unwrap();
        let tree = koji.get_task_descendents(root).await.unwrap();
        let mut all: Vec<(i64, koji_client::TaskState)> = std::iter::once(&info)
            .chain(tree.all())
            .map(|t| (t.id.unwrap(), t.state.clone().unwrap()))
            .collect();
        all.sort_by_key(|(id, _)| *id);
        all
    })
}

/// What an interrupted run gave: its stdout lines, exit code and stderr.
struct Interrupted {
    lines: Vec<String>,
    code: Option<i32>,
    stderr: String,
}

/// Runs `rkoji ARGS` as alice, sends it SIGINT (a Ctrl-C) once `ready`
/// accepts the lines printed so far, and waits for it to end.
fn interrupt(env: &Env, args: &[&str], ready: impl Fn(&[String]) -> bool) -> Interrupted {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};

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
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut lines = Vec::new();
    while !ready(&lines) {
        let line = stdout
            .next()
            .unwrap_or_else(|| panic!("rkoji ended before it was ready: {lines:#?}"))
            .unwrap();
        lines.push(line);
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _guard = support::kill_if_hung(child.id(), std::time::Duration::from_secs(120));
    lines.extend(stdout.map(Result::unwrap));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let code = child.wait().unwrap().code();
    Interrupted {
        lines,
        code,
        stderr,
    }
}

/// Whether a line of the watch shows task `id` (`  12 buildArch (…): …`).
fn shows(lines: &[String], id: i64) -> bool {
    let prefix = format!("{id} ");
    lines
        .iter()
        .skip_while(|l| !l.starts_with("Watching tasks"))
        .any(|l| l.trim_start().starts_with(&prefix))
}

/// Ctrl-C while `rkoji build` watches its task: exit 1 with koji's
/// message naming `rkoji watch-task ID`, and the task is left alone —
/// still FREE on the hub, nothing published for it — and the builder then
/// runs the tree to CLOSED.
#[test]
fn ctrl_c_during_build_stops_watching_and_leaves_the_task_alone() {
    // a builder that steps only when told: the tree waits FREE
    let env = Env::start_with(TestHub::builder().password("alice", "pw"), ALICE);
    let id = std::cell::Cell::new(0);
    let r = interrupt(&env, &["build", "f40-candidate", SCM], |lines| {
        if let Some(l) = lines.iter().find_map(|l| l.strip_prefix("Created task: ")) {
            id.set(l.parse().unwrap());
        }
        id.get() != 0 && shows(lines, id.get())
    });
    let id = id.get();
    assert_eq!(r.code, Some(1), "{}\n{:#?}", r.stderr, r.lines);
    assert!(r.stderr.contains("Tasks still running."), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "You can continue to watch with the 'rkoji watch-task {id}' command."
        )),
        "{}",
        r.stderr
    );
    // untouched: FREE as submitted, and only its task.free published
    assert_eq!(hub_states(&env, id), [(id, koji_client::TaskState::Free)]);
    let topics: Vec<String> = env.hub().published().into_iter().map(|m| m.topic).collect();
    assert_eq!(topics, ["task.free"]);
    // and the builder takes it to its end
    assert!(env.hub().run_builder() > 3);
    let states = hub_states(&env, id);
    assert!(states.len() >= 4, "{states:?}");
    assert!(
        states
            .iter()
            .all(|(_, s)| *s == koji_client::TaskState::Closed),
        "{states:?}"
    );
}

/// Ctrl-C during `rkoji watch-task` of a tree half way through: exit 1,
/// the hint names every unfinished task, and the hub's tree is exactly as
/// it was (states, nothing published); the builder then closes it all.
#[test]
fn ctrl_c_during_watch_task_leaves_the_tree_alone() {
    let env = Env::start_with(TestHub::builder().password("alice", "pw"), ALICE);
    let root = with_hub(&env, async |koji| {
        koji.build(SCM, "f40-candidate")
            .send()
            .await
            .unwrap()
            .task_id
    });
    // a few steps: the root OPEN, children FREE/OPEN, some closed
    for _ in 0..4 {
        assert!(env.hub().step_builder());
    }
    let before = hub_states(&env, root);
    let running: Vec<String> = before
        .iter()
        .filter(|(_, s)| !s.is_done())
        .map(|(id, _)| id.to_string())
        .collect();
    assert!(running.len() >= 2, "{before:?}");
    assert!(
        before
            .iter()
            .any(|(_, s)| *s == koji_client::TaskState::Open)
    );
    let published = env.hub().published().len();
    let r = interrupt(&env, &["watch-task", &root.to_string()], |lines| {
        before.iter().all(|(id, _)| shows(lines, *id))
    });
    assert_eq!(r.code, Some(1), "{}\n{:#?}", r.stderr, r.lines);
    assert!(
        r.stderr.contains(&format!(
            "Tasks still running. You can continue to watch with the 'rkoji watch-task {}' command.",
            running.join(" ")
        )),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Running Tasks:"), "{}", r.stderr);
    assert_eq!(hub_states(&env, root), before);
    assert_eq!(env.hub().published().len(), published);
    env.hub().run_builder();
    let after = hub_states(&env, root);
    // every task of before, and any child created since, closed
    assert!(
        before
            .iter()
            .all(|(id, _)| after.iter().any(|(a, _)| a == id)),
        "{after:?}"
    );
    assert!(
        after
            .iter()
            .all(|(_, s)| *s == koji_client::TaskState::Closed),
        "{after:?}"
    );
}
