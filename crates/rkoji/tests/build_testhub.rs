//! `rkoji build`, `tag-build`, `cancel` and `resubmit` end to end against
//! koji-testhub with its simulated builder running (a step every 30 ms):
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
