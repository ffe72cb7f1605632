//! `rkoji whoami` logs in the way the profile says and shows the user;
//! login failures exit 3 with what to do; the session key never shows.
#![allow(clippy::unwrap_used)]

mod support;

use koji_testenv::session_keys;
use koji_testhub::TestHub;
use support::{Env, dataset, run};

fn password_hub() -> Env {
    Env::start_with(
        TestHub::builder().password("carol", "carol-password"),
        "authtype = password\nuser = carol\npassword = carol-password\n",
    )
}

#[test]
fn password_login_shows_the_user_and_closes_the_session() {
    let env = password_hub();
    let carol = &dataset("users")["4"];
    let got = run(env.rkoji(&["--json", "whoami"]), None).ok().json();
    for key in ["id", "name", "status", "usertype", "krb_principals"] {
        assert_eq!(got[key], carol[key], "{key}");
    }
    let d = &got["derived"];
    assert_eq!(d["status_name"], "NORMAL");
    assert_eq!(d["usertype_name"], "NORMAL");
    // getLoggedInUser's authtype 0: a password login.
    assert_eq!(got["authtype"], 0);
    assert_eq!(d["authtype_name"], "NORMAL");
    assert_eq!(d["principals"], carol["krb_principals"]);
    assert_eq!(
        d["url"],
        serde_json::json!(format!("{}/userinfo?userID=4", env.weburl()))
    );

    let out = run(env.rkoji(&["-vvv", "whoami"]), None).ok();
    for fact in ["carol", "NORMAL", "carol@KOJI.TEST", "userinfo?userID=4"] {
        assert!(out.stdout.contains(fact), "{fact}: {}", out.stdout);
    }
    // Tracing is on, and says nothing secret.
    assert!(!out.stderr.is_empty(), "-vvv logs on stderr");
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(!all.contains("carol-password"), "{all}");
    assert_eq!(session_keys(&all), Vec::<String>::new(), "{all}");

    // Every session the runs opened was logged out.
    for id in env.hub().session_ids() {
        let calls = env.hub().session_calls(id);
        assert!(
            calls.iter().any(|c| c.method == "logout"),
            "session {id} left open: {calls:?}"
        );
    }
}

#[test]
fn a_refused_password_exits_3() {
    let env = Env::start_with(
        TestHub::builder().password("carol", "carol-password"),
        "authtype = password\nuser = carol\npassword = wrong\n",
    );
    let r = run(env.rkoji(&["whoami"]), None).fails(3, "invalid username or password");
    assert!(!r.stderr.contains("wrong\n") && !r.stderr.contains("= wrong"));
}

#[test]
fn noauth_shows_the_anonymous_answer() {
    let env = password_hub();
    let out = run(env.rkoji(&["--noauth", "whoami"]), None).ok();
    assert_eq!(out.stdout, "not logged in (anonymous: --noauth)\n");
    let got = run(env.rkoji(&["--noauth", "--json", "whoami"]), None)
        .ok()
        .json();
    assert!(got.is_null());
    // Nothing logged in.
    assert_eq!(env.hub().session_ids(), Vec::<i64>::new());
    // authtype = noauth in the profile does the same.
    let env = Env::start();
    let out = run(env.rkoji(&["whoami"]), None).ok();
    assert!(out.stdout.contains("authtype is noauth"), "{}", out.stdout);
}

#[test]
fn a_missing_certificate_file_is_named() {
    let env = Env::start_with(TestHub::builder(), "authtype = ssl\n");
    let cert = env.home.path().join("no-such-client.pem");
    env.add_profile(
        "ssl",
        &format!(
            "server = {}\nauthtype = ssl\ncert = {}",
            env.hub().url(),
            cert.display()
        ),
    );
    let r = run(env.rkoji_profile("ssl", &["whoami"]), None).fails(3, &cert.display().to_string());
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
    assert!(r.stderr.contains("cert"), "{}", r.stderr);
    // No cert option at all.
    env.add_profile(
        "nocert",
        &format!("server = {}\nauthtype = ssl", env.hub().url()),
    );
    run(env.rkoji_profile("nocert", &["whoami"]), None).fails(3, "no `cert`");
}

#[test]
fn no_kerberos_ticket_says_run_kinit() {
    let env = Env::start_with(TestHub::builder(), "authtype = kerberos\n");
    // The environment points KRB5CCNAME at a file that does not exist.
    run(env.rkoji(&["whoami"]), None).fails(3, "run kinit");
}
