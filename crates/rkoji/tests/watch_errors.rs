//! `rkoji watch` where no broker is needed: bad broker URLs and a broker
//! that never answers (the tests with a real RabbitMQ are in `watch.rs`).
#![allow(clippy::unwrap_used)]

use std::process::Command;

const WEB: &str = "https://koji.example.com/koji";

/// A koji config with one profile; the hub is never reached.
struct Profile {
    dir: tempfile::TempDir,
}

impl Profile {
    fn new() -> Profile {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("koji.conf"),
            format!("[watchtest]\nserver = http://127.0.0.1:9/kojihub\nweburl = {WEB}\n"),
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

#[test]
fn watch_rejects_unknown_broker_schemes_listing_the_valid_ones() {
    let profile = Profile::new();
    let mut args = profile.args();
    args.extend([
        "watch".into(),
        "--broker".into(),
        "mqtt://127.0.0.1:1883".into(),
    ]);
    let assert = assert_cmd::Command::from_std(rkoji())
        .args(&args)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("\"mqtt\""), "{stderr}");
    for scheme in [
        "stomp://",
        "stomp+ssl://",
        "amqp://",
        "amqps://",
        "amqp1://",
        "amqp1+ssl://",
    ] {
        assert!(stderr.contains(scheme), "{scheme} missing from: {stderr}");
    }
}

#[test]
fn watch_keeps_retrying_an_unreachable_broker_and_says_so_until_the_timeout() {
    // Nothing listens on the port: each attempt is logged on stderr, and
    // with --count the timeout is a failure (exit 1) naming what came.
    let port = koji_testenv::free_port().unwrap();
    let profile = Profile::new();
    let mut args = profile.args();
    args.extend([
        "watch".into(),
        "--broker".into(),
        format!("amqp1://127.0.0.1:{port}"),
        "--count".into(),
        "1".into(),
        "--timeout".into(),
        "3s".into(),
    ]);
    let out = rkoji().args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("retrying"), "{stderr}");
    assert!(stderr.contains("0 of 1 events"), "{stderr}");
    // Without --count, the timeout just ends the watch.
    let without_count: Vec<String> = args
        .iter()
        .filter(|a| *a != "--count" && *a != "1")
        .cloned()
        .collect();
    let out = rkoji().args(&without_count).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}
