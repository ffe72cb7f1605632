//! Bad input and failures give the documented exit code (1 hub fault or
//! not found, 2 usage error, 3 connection/TLS/login failure) and a message
//! on stderr that says what went wrong and what to try.
#![allow(clippy::unwrap_used)]

mod support;

use koji_testhub::{Action, FaultRule, TestHub};
use support::{Env, bare_rkoji, run};

#[test]
fn usage_errors_exit_2() {
    let env = Env::start();
    // An unknown command (clap's own usage error).
    run(env.rkoji(&["frobnicate"]), None).fails(2, "frobnicate");
    // A missing argument.
    run(env.rkoji(&["buildinfo"]), None).fails(2, "NVR|ID");
    // A task id that is not a number.
    run(env.rkoji(&["task", "abc"]), None).fails(2, "abc");
    // A --kwarg without a value.
    run(env.rkoji(&["call", "getBuild", "--kwarg", "strict"]), None)
        .fails(2, "expected NAME=VALUE");
    // A JSON argument the hub protocol cannot carry (beyond 64 bits).
    run(env.rkoji(&["call", "echo", "18446744073709551615"]), None).fails(2, "bad argument");
    // An unknown profile.
    run(env.rkoji_profile("nosuch", &["buildinfo", "3"]), None).fails(2, "nosuch");
    // A config file that does not exist.
    let home = tempfile::tempdir().unwrap();
    let mut cmd = bare_rkoji(home.path());
    cmd.args(["-c", "/nonexistent/koji.conf", "profiles"]);
    run(cmd, None).fails(2, "/nonexistent/koji.conf");
}

#[test]
fn hub_faults_exit_1_with_a_hint() {
    let env = Env::start();
    let r = run(
        env.rkoji(&["call", "getBuild", "3", "--kwarg", "bogus=true"]),
        None,
    )
    .fails(1, "bogus");
    assert!(r.stderr.contains("system.methodHelp"), "{}", r.stderr);
    run(env.rkoji(&["call", "noSuchMethod"]), None).fails(1, "noSuchMethod");
    // A fault injected by the hub on a typed command.
    env.hub().add_fault(FaultRule::method(
        "getBuild",
        Action::Fault {
            code: 1000,
            string: "the database is on fire".into(),
        },
    ));
    run(env.rkoji(&["buildinfo", "3"]), None).fails(1, "the database is on fire");
    // A permission fault (ActionNotAllowed, an auth error) points at the login.
    env.hub().add_fault(FaultRule::method(
        "createTag",
        Action::Fault {
            code: 1004,
            string: "admin permission required".into(),
        },
    ));
    let r =
        run(env.rkoji(&["call", "createTag", "f99"]), None).fails(1, "admin permission required");
    assert!(r.stderr.contains("rkoji whoami"), "{}", r.stderr);
}

#[test]
fn an_unreachable_hub_exits_3_and_names_the_offline_command() {
    // A port that was free a moment ago: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("koji.conf");
    // Retries are the profile's business (koji retries anonymous calls 30
    // times, 20 s apart, by default); this one turns them off, as the
    // built-in profile does.
    std::fs::write(
        &config,
        format!("[closed]\nserver = http://127.0.0.1:{port}/kojihub\nanon_retry = false\n"),
    )
    .unwrap();
    let mut cmd = bare_rkoji(home.path());
    cmd.arg("-c")
        .arg(&config)
        .args(["-p", "closed", "builds", "hello", "--limit", "5"]);
    let r = run(cmd, None).fails(3, &format!("127.0.0.1:{port}"));
    // Something an installed rkoji's user can run, not a repository script.
    assert!(
        r.stderr.contains("koji-testhub run builds hello --limit 5"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("cargo install --path crates/koji-testhub"),
        "the hint says how to get koji-testhub: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("scripts/"), "{}", r.stderr);
    assert!(
        r.stderr.contains("builds hello --limit 5"),
        "the hint repeats the command: {}",
        r.stderr
    );
}

#[test]
fn a_hub_that_drops_the_connection_exits_3() {
    let env = Env::start_with(
        TestHub::builder().fault(FaultRule::method("getBuild", Action::DropBeforeResponse)),
        "authtype = noauth\nmax_retries = 0\nanon_retry = false\n",
    );
    run(env.rkoji(&["buildinfo", "3"]), None).fails(3, "rkoji:");
}

#[test]
fn a_hub_that_answers_too_slowly_times_out_and_names_the_timeout_setting() {
    // The hub accepts the connection and reads the request, but never
    // answers: it was reached, so the hint is about the time limit (the
    // profile's `timeout`), not about the network.
    let env = Env::start_with(
        TestHub::builder().fault(FaultRule::method("getBuild", Action::Stall)),
        "authtype = noauth\nmax_retries = 0\nanon_retry = false\ntimeout = 1\n",
    );
    let r = run(env.rkoji(&["buildinfo", "3"]), None).fails(3, "timed out");
    assert!(r.stderr.contains("`timeout`"), "{}", r.stderr);
    assert!(r.stderr.contains("[testhub]"), "{}", r.stderr);
    assert!(!r.stderr.contains("cannot reach"), "{}", r.stderr);
    assert!(!r.stderr.contains("check the network"), "{}", r.stderr);
}

#[test]
fn a_login_that_gets_no_answer_names_the_auth_timeout_setting() {
    // Logins have their own limit, `auth_timeout`.
    let env = Env::start_with(
        TestHub::builder().fault(FaultRule::method("login", Action::Stall)),
        "authtype = password\nuser = kojiadmin\npassword = secret\n\
         max_retries = 0\nanon_retry = false\nauth_timeout = 1\n",
    );
    let r = run(env.rkoji(&["call", "getBuild", "3"]), None).fails(3, "timed out");
    assert!(r.stderr.contains("`auth_timeout`"), "{}", r.stderr);
    assert!(!r.stderr.contains("cannot reach"), "{}", r.stderr);
}

#[test]
fn a_hub_that_cannot_be_reached_is_not_called_slow() {
    // Nothing listens on a port that was free a moment ago.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("koji.conf");
    std::fs::write(
        &config,
        format!("[closed]\nserver = http://127.0.0.1:{port}/kojihub\nanon_retry = false\n"),
    )
    .unwrap();
    let mut cmd = bare_rkoji(home.path());
    cmd.arg("-c")
        .arg(&config)
        .args(["-p", "closed", "buildinfo", "3"]);
    let r = run(cmd, None).fails(3, "cannot reach");
    assert!(!r.stderr.contains("timed out"), "{}", r.stderr);
    assert!(!r.stderr.contains("`timeout`"), "{}", r.stderr);
}
