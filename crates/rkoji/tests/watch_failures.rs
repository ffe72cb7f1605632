//! `rkoji watch` against a real RabbitMQ (koji-testenv) when the broker
//! refuses what retrying cannot fix: rkoji stops at once with exit status 3
//! and a hint naming what to check, without a single retry. And a STOMP URL
//! without a virtual host works against RabbitMQ.
#![cfg(feature = "real-services")]
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use koji_testenv::bus::{publish, venv_python};
use koji_testenv::rabbitmq::{RabbitMq, TestCerts};
use serde_json::json;

/// Two Erlang VMs booting at once on a small machine are slow to start:
/// one broker at a time.
static ONE_BROKER_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_broker_at_a_time() -> MutexGuard<'static, ()> {
    ONE_BROKER_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A koji config with one profile; the hub is never reached.
fn profile() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("koji.conf"),
        "[watchtest]\nserver = http://127.0.0.1:9/kojihub\nweburl = https://koji.example.com/koji\n",
    )
    .unwrap();
    dir
}

fn rkoji(profile: &tempfile::TempDir, args: &[String]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("rkoji"));
    cmd.env("HOME", std::env::temp_dir().join("rkoji-watch-test-home"))
        .env_remove("RKOJI_LOG")
        .arg("-c")
        .arg(profile.path().join("koji.conf"))
        .args(["-p", "watchtest", "watch", "--no-resolve"])
        .args(args);
    cmd
}

/// Runs `rkoji watch` with `args`, which must end on its own. The timeout
/// is far longer than a refusal takes; a watch that retries instead exits
/// 0 when it runs out.
fn watch(profile: &tempfile::TempDir, args: &[String]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--timeout".into(), "120s".into()]);
    rkoji(profile, &all).output().unwrap()
}

fn check_refusal(out: &Output, what: &str, hint: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{what}: {stderr}");
    assert!(out.stdout.is_empty(), "{what}");
    assert!(
        stderr.contains(hint),
        "{what}: no hint {hint:?} in {stderr}"
    );
    // Each failed attempt would be logged as "…; retrying".
    assert!(!stderr.contains("retrying"), "{what} was retried: {stderr}");
}

#[test]
fn watch_stops_with_exit_3_and_a_hint_on_what_retrying_cannot_fix() {
    let _serial = one_broker_at_a_time();
    let certs = TestCerts::new();
    let other = TestCerts::new();
    let broker = RabbitMq::start_with_tls(&certs);
    let profile = profile();

    let out = watch(
        &profile,
        &[
            "--broker".into(),
            format!("stomp://guest:wrong-pw@127.0.0.1:{}/%2F", broker.stomp_port),
        ],
    );
    check_refusal(&out, "wrong password", "check the user name and password");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("wrong-pw"),
        "the password was shown"
    );

    let out = watch(
        &profile,
        &[
            "--broker".into(),
            format!(
                "amqp://guest:guest@127.0.0.1:{}/no-such-vhost",
                broker.amqp_port
            ),
        ],
    );
    check_refusal(&out, "unknown vhost", "check the virtual host");

    let out = watch(
        &profile,
        &[
            "--broker".into(),
            format!("amqp1://guest:guest@127.0.0.1:{}", broker.amqp_port),
            "--topic".into(),
            "/amq/queue/no-such-queue".into(),
        ],
    );
    check_refusal(&out, "missing queue", "check --topic");

    // The broker's certificate comes from `certs.ca`; rkoji is told to
    // trust only another CA.
    let out = watch(
        &profile,
        &[
            "--broker".into(),
            format!(
                "stomp+ssl://guest:guest@127.0.0.1:{}/%2F",
                broker.stomp_tls_port.unwrap()
            ),
            "--ca".into(),
            other.ca.display().to_string(),
            "--cert".into(),
            certs.client.display().to_string(),
        ],
    );
    check_refusal(&out, "untrusted broker", "check --ca");

    // Trusted broker, but our certificate comes from a CA it does not know.
    let out = watch(
        &profile,
        &[
            "--broker".into(),
            format!(
                "stomp+ssl://guest:guest@127.0.0.1:{}/%2F",
                broker.stomp_tls_port.unwrap()
            ),
            "--ca".into(),
            certs.ca.display().to_string(),
            "--cert".into(),
            other.client.display().to_string(),
        ],
    );
    check_refusal(&out, "refused client certificate", "check --cert");
}

#[test]
fn watch_stomp_url_without_vhost_reaches_rabbitmqs_default_vhost() {
    let _serial = one_broker_at_a_time();
    let python = venv_python();
    let broker = RabbitMq::start();
    let profile = profile();
    let port = broker.stomp_port.to_string();
    let mut child = rkoji(
        &profile,
        &[
            "--broker".into(),
            format!("stomp://guest:guest@127.0.0.1:{port}"),
            "--count".into(),
            "1".into(),
            "--timeout".into(),
            "120s".into(),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Publish probes until rkoji has printed one and exited (--count 1).
    for i in 0..240u32 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let probe = json!({"destination": "/topic/koji.probe", "headers": {"type": "Probe"},
                           "body": json!({"probe": i}).to_string()});
        publish(&python, "stomp", &port, &[probe]);
        std::thread::sleep(Duration::from_millis(500));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("koji.probe"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(!stderr.contains("access denied"), "{stderr}");
}
