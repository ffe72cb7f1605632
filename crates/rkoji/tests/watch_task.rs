//! `rkoji watch-task` against koji-testhub serving the real hub's data set:
//! finished trees print koji's lines and exit as koji does.
#![allow(clippy::unwrap_used)]

mod support;

use support::{Env, run};

#[test]
fn a_closed_tree_exits_0_with_kojis_lines() {
    let env = Env::start();
    let out = run(env.rkoji(&["watch-task", "2"]), None).ok().stdout;
    assert!(
        out.starts_with("Watching tasks (this may be safely interrupted)...\n"),
        "{out}"
    );
    assert!(out.contains("\n2 build (f40-candidate, "), "{out}");
    // children, indented, with koji's labels
    assert!(out.contains("\n  4 buildArch ("), "{out}");
    assert!(out.contains(": closed\n"), "{out}");
    assert!(out.trim_end().ends_with("completed successfully"), "{out}");
}

#[test]
fn a_failed_tree_exits_1_with_the_failure_text() {
    let env = Env::start();
    let r = run(env.rkoji(&["watch-task", "7"]), None);
    let out = r.stdout.clone();
    assert!(out.contains("10 buildArch ("), "{out}");
    assert!(out.contains("FAILED: "), "{out}");
    assert!(out.trim_end().ends_with("failed"), "{out}");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("task 7 failed: BuildError: "),
        "{}",
        r.stderr
    );
}

#[test]
fn json_lines_carry_every_event() {
    let env = Env::start();
    let out = run(env.rkoji(&["--json", "watch-task", "2"]), None)
        .ok()
        .stdout;
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen: Vec<i64> = lines
        .iter()
        .filter(|l| l["event"] == "seen")
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    assert_eq!(seen, [2, 3, 4, 5, 6]);
    // each event says when it was printed, in order
    let times: Vec<jiff::Timestamp> = lines.iter().map(|l| support::ts(&l["time"])).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let done = lines.last().unwrap();
    assert_eq!(done["event"], "done");
    assert_eq!(done["success"], true);
    assert_eq!(done["polls"], 1);
}

#[test]
fn an_unknown_task_is_an_error() {
    let env = Env::start();
    run(env.rkoji(&["watch-task", "99999"]), None).fails(1, "No such task id: 99999");
}

/// Ctrl-C stops the watch (task 11 is OPEN forever in the data set), leaves
/// the task alone, names what is still running and how to watch again, and
/// exits 1 as koji does.
#[test]
fn ctrl_c_stops_watching_and_says_how_to_resume() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let env = Env::start();
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("rkoji"))
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .arg("-c")
        .arg(&env.config)
        .args(["-p", "testhub", "watch-task", "11"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // the first poll has been shown once the root's line is out
    loop {
        let line = lines
            .next()
            .expect("rkoji ended before showing task 11")
            .unwrap();
        if line.starts_with("11 build") {
            break;
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _guard = support::kill_if_hung(child.id(), std::time::Duration::from_secs(120));
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Tasks still running"), "{stderr}");
    assert!(stderr.contains("'rkoji watch-task 11 14'"), "{stderr}");
    assert!(stderr.contains("Running Tasks:"), "{stderr}");
}

#[test]
fn a_broker_url_that_is_not_one_is_a_usage_error() {
    let env = Env::start();
    run(
        env.rkoji(&["watch-task", "2", "--broker", "bogus://mq.example.com"]),
        None,
    )
    .fails(2, "unknown scheme");
    // the profile's broker option is checked the same way, and named
    let env = Env::start_with(
        koji_testhub::TestHub::builder(),
        "broker = mq.example.com\n",
    );
    run(env.rkoji(&["watch-task", "2"]), None).fails(2, "profile option broker");
    // --no-bus ignores it
    run(env.rkoji(&["watch-task", "2", "--no-bus"]), None).ok();
}

/// A broker that cannot be reached never stops a watch: the hub is polled
/// and the closed tree ends it as without a broker.
#[test]
fn an_unreachable_broker_leaves_the_watch_to_polling() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = Env::start_with(
        koji_testhub::TestHub::builder(),
        &format!("broker = stomp://127.0.0.1:{port}\n"),
    );
    let out = run(env.rkoji(&["--json", "watch-task", "2"]), None)
        .ok()
        .stdout;
    let done: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(done["event"], "done");
    assert_eq!(done["success"], true);
    assert_eq!(done["woken_polls"], 0);
}
