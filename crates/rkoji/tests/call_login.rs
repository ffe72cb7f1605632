//! `rkoji call` and `rkoji multicall` log in the profile's way first, as
//! `koji call` does, and log out after; `--noauth` and `authtype = noauth`
//! keep them anonymous; having nothing to log in with (no Kerberos ticket)
//! is a warning, not a failure; a real login failure exits 3.
#![allow(clippy::unwrap_used)]

mod support;

use koji_testenv::session_keys;
use koji_testhub::TestHub;
use serde_json::Value;
use support::{Env, Run, dataset, run};

const PASSWORD_PROFILE: &str = "authtype = password\nuser = carol\npassword = carol-password\n";

fn password_hub() -> Env {
    Env::start_with(
        TestHub::builder().password("carol", "carol-password"),
        PASSWORD_PROFILE,
    )
}

/// Asserts that `got` is carol, logged in by password.
fn assert_carol(got: &Value) {
    let carol = &dataset("users")["4"];
    for key in ["id", "name", "status", "usertype", "krb_principals"] {
        assert_eq!(got[key], carol[key], "{key}: {got}");
    }
    // getLoggedInUser's authtype 0: a password login.
    assert_eq!(got["authtype"], 0, "{got}");
}

/// The methods of the recorded requests, in order, with the session each
/// carried.
fn requests(env: &Env) -> Vec<(String, Option<i64>)> {
    env.hub()
        .requests()
        .into_iter()
        .map(|r| (r.method.unwrap_or_default(), r.session_id))
        .collect()
}

/// Asserts that the hub has exactly one session and that it was logged
/// out; returns its id.
fn one_closed_session(env: &Env) -> i64 {
    let ids = env.hub().session_ids();
    assert_eq!(ids.len(), 1, "sessions: {ids:?}");
    let id = ids[0];
    let calls = env.hub().session_calls(id);
    assert_eq!(
        calls.last().map(|c| c.method.as_str()),
        Some("logout"),
        "session {id} not logged out: {calls:?}"
    );
    id
}

/// Asserts that nothing secret is in the output of `r`.
fn assert_no_secrets(r: &Run) {
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(!all.contains("carol-password"), "{all}");
    assert_eq!(session_keys(&all), Vec::<String>::new(), "{all}");
}

#[test]
fn call_logs_in_with_the_password_calls_on_the_session_and_logs_out() {
    let env = password_hub();
    let r = run(env.rkoji(&["--json", "call", "getLoggedInUser"]), None).ok();
    assert_carol(&r.json());
    assert_eq!(r.stderr, "", "no warning when logged in");
    let id = one_closed_session(&env);
    assert_eq!(
        requests(&env),
        [
            ("login".to_owned(), None),
            ("getLoggedInUser".to_owned(), Some(id)),
            ("logout".to_owned(), Some(id)),
        ]
    );
    // With tracing on, still nothing secret.
    let r = run(env.rkoji(&["-vvv", "call", "getLoggedInUser"]), None).ok();
    assert_carol(&r.json());
    assert!(!r.stderr.is_empty(), "-vvv logs on stderr");
    assert_no_secrets(&r);
}

#[test]
fn a_call_that_faults_still_logs_out() {
    let env = password_hub();
    run(
        env.rkoji(&["call", "getBuild", "nosuch-1-1", "--kwarg", "strict=true"]),
        None,
    )
    .fails(1, "nosuch-1-1");
    let id = one_closed_session(&env);
    let calls: Vec<(String, Option<i64>)> = env
        .hub()
        .session_calls(id)
        .into_iter()
        .map(|c| (c.method, c.fault_code))
        .collect();
    assert_eq!(
        calls,
        [
            ("getBuild".to_owned(), Some(1000)),
            ("logout".to_owned(), None)
        ]
    );
}

#[test]
fn noauth_calls_anonymously_and_opens_no_session() {
    let env = password_hub();
    let r = run(
        env.rkoji(&["--noauth", "--json", "call", "getLoggedInUser"]),
        None,
    )
    .ok();
    assert!(r.json().is_null(), "{}", r.stdout);
    assert_eq!(r.stderr, "", "no warning with --noauth");
    assert_eq!(env.hub().session_ids(), Vec::<i64>::new());
    assert_eq!(requests(&env), [("getLoggedInUser".to_owned(), None)]);
    // `authtype = noauth` in the profile does the same.
    env.add_profile(
        "anon",
        &format!(
            "server = {}\nauthtype = noauth\nuser = carol\npassword = carol-password",
            env.hub().url()
        ),
    );
    let r = run(
        env.rkoji_profile("anon", &["--json", "call", "getLoggedInUser"]),
        None,
    )
    .ok();
    assert!(r.json().is_null(), "{}", r.stdout);
    assert_eq!(r.stderr, "");
    assert_eq!(env.hub().session_ids(), Vec::<i64>::new());
}

#[test]
fn a_refused_password_exits_3_and_sends_no_call() {
    let env = Env::start_with(
        TestHub::builder().password("carol", "carol-password"),
        "authtype = password\nuser = carol\npassword = wrong-secret\n",
    );
    let r = run(env.rkoji(&["-vvv", "call", "getBuild", "3"]), None)
        .fails(3, "invalid username or password");
    assert!(r.stderr.contains("refused the login"), "{}", r.stderr);
    assert!(!r.stderr.contains("wrong-secret"), "{}", r.stderr);
    assert_eq!(session_keys(&r.stderr), Vec::<String>::new());
    assert_eq!(requests(&env), [("login".to_owned(), None)]);
    // The same for multicall.
    env.hub().clear_requests();
    let r = run(
        env.rkoji(&["multicall"]),
        Some("{\"method\": \"getBuild\", \"args\": [3]}\n"),
    )
    .fails(3, "invalid username or password");
    assert!(!r.stderr.contains("wrong-secret"), "{}", r.stderr);
    assert_eq!(requests(&env), [("login".to_owned(), None)]);
}

#[test]
fn no_credentials_warns_once_and_calls_anonymously() {
    // No authtype, a `cert` that does not exist (as in Fedora's stock
    // profile), no user or password, and no Kerberos ticket (the test
    // environment points KRB5CCNAME at a missing file).
    let env = Env::start();
    let missing_cert = env.home.path().join("no-such.cert");
    env.add_profile(
        "plain",
        &format!(
            "server = {}\ncert = {}",
            env.hub().url(),
            missing_cert.display()
        ),
    );
    let builds = dataset("builds");
    let r = run(
        env.rkoji_profile("plain", &["--json", "call", "getBuild", "3"]),
        None,
    )
    .ok();
    assert_eq!(r.json(), builds["3"]);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one warning line: {}", r.stderr);
    for needle in [
        "rkoji: warning:",
        "anonymously",
        "kinit",
        "`cert`",
        "[plain]",
        "--noauth",
    ] {
        assert!(lines[0].contains(needle), "{needle}: {}", r.stderr);
    }
    assert_eq!(env.hub().session_ids(), Vec::<i64>::new());

    // An explicit `authtype = kerberos` without a ticket: the same, and the
    // warning only says to run kinit.
    env.add_profile(
        "krb",
        &format!("server = {}\nauthtype = kerberos", env.hub().url()),
    );
    let r = run(
        env.rkoji_profile("krb", &["--json", "call", "getLoggedInUser"]),
        None,
    )
    .ok();
    assert!(r.json().is_null(), "{}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("run kinit"), "{}", r.stderr);
    assert!(!r.stderr.contains("`cert`"), "{}", r.stderr);

    // multicall warns the same way.
    let r = run(
        env.rkoji_profile("plain", &["multicall"]),
        Some("{\"method\": \"getBuild\", \"args\": [3]}\n"),
    )
    .ok();
    assert_eq!(
        serde_json::from_str::<Value>(r.stdout.trim()).unwrap(),
        builds["3"]
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("anonymously"), "{}", r.stderr);

    // --noauth: no login, so no warning.
    let r = run(
        env.rkoji_profile("plain", &["--noauth", "call", "getBuild", "3"]),
        None,
    )
    .ok();
    assert_eq!(r.stderr, "");
}

#[test]
fn a_keytab_that_cannot_log_in_exits_3() {
    // A keytab in the profile is a credential of its own: when it does not
    // work, the call fails instead of going anonymous.
    let env = Env::start();
    let keytab = env.home.path().join("no-such.keytab");
    env.add_profile(
        "robot",
        &format!(
            "server = {}\nauthtype = kerberos\nprincipal = robot@KOJI.TEST\nkeytab = {}",
            env.hub().url(),
            keytab.display()
        ),
    );
    env.hub().clear_requests();
    let r = run(env.rkoji_profile("robot", &["call", "getBuild", "3"]), None);
    assert_eq!(r.code, 3, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("Kerberos"), "{}", r.stderr);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(env.hub().request_count(), 0, "nothing sent");
}

#[test]
fn a_missing_certificate_with_authtype_ssl_exits_3() {
    let env = Env::start();
    let cert = env.home.path().join("no-such-client.pem");
    env.add_profile(
        "ssl",
        &format!(
            "server = {}\nauthtype = ssl\ncert = {}",
            env.hub().url(),
            cert.display()
        ),
    );
    env.hub().clear_requests();
    run(env.rkoji_profile("ssl", &["call", "getBuild", "3"]), None)
        .fails(3, &cert.display().to_string());
    assert_eq!(env.hub().request_count(), 0, "nothing sent");
}

#[test]
fn multicall_runs_logged_in_and_logs_out() {
    let env = password_hub();
    let input = "{\"method\": \"getLoggedInUser\"}\n\
                 {\"method\": \"getBuild\", \"args\": [3]}\n\
                 {\"method\": \"getLoggedInUser\"}\n";
    let r = run(env.rkoji(&["multicall"]), Some(input)).ok();
    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert_carol(&lines[0]);
    assert_eq!(lines[1], dataset("builds")["3"]);
    assert_carol(&lines[2]);
    assert_eq!(r.stderr, "");
    assert_no_secrets(&r);
    let id = one_closed_session(&env);
    assert_eq!(
        requests(&env),
        [
            ("login".to_owned(), None),
            ("system.multicall".to_owned(), Some(id)),
            ("logout".to_owned(), Some(id)),
        ]
    );
}

#[test]
fn bad_input_fails_before_any_login() {
    let env = password_hub();
    run(env.rkoji(&["call", "getBuild", "--kwarg", "strict"]), None)
        .fails(2, "expected NAME=VALUE");
    run(env.rkoji(&["multicall"]), Some("not json\n")).fails(2, "stdin line 1");
    // Empty input: nothing to send, so no login either.
    let r = run(env.rkoji(&["multicall"]), Some("\n")).ok();
    assert_eq!(r.stdout, "");
    assert_eq!(env.hub().request_count(), 0, "{:?}", requests(&env));
}
