//! `rkoji whoami` and `rkoji call` with a client certificate, end to end:
//! the binary → real Apache (mod_ssl, Koji's stock layout, the test PKI) →
//! koji-testhub, which trusts the identity Apache vouches for.
#![allow(clippy::unwrap_used)]

mod support;

use koji_testenv::apache::{Apache, ApacheConfig};
use koji_testenv::pki::{KeyKind, Pki};
use koji_testenv::session_keys;
use support::{Env, dataset, run};

struct Tls {
    env: Env,
    pki: Pki,
    apache: Apache,
    _dir: tempfile::TempDir,
}

fn start() -> Tls {
    let env = Env::start_behind_apache();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(&dir.path().join("pki")).unwrap();
    let apache = Apache::start(
        &dir.path().join("apache"),
        &pki,
        &ApacheConfig::new(env.hub().url()),
    )
    .unwrap();
    Tls {
        env,
        pki,
        apache,
        _dir: dir,
    }
}

impl Tls {
    /// A profile `name` on Apache's stock vhost with these extra options.
    fn profile(&self, name: &str, options: &str) {
        self.env.add_profile(
            name,
            &format!(
                "server = {}\nweburl = https://127.0.0.1/koji\n{options}",
                self.apache.url_stock()
            ),
        );
    }
}

#[test]
fn certificate_login_shows_the_user() {
    let tls = start();
    let cert = tls.pki.client("alice", KeyKind::RsaPkcs8).unwrap();
    tls.profile(
        "cert",
        &format!(
            "authtype = ssl\ncert = {}\nserverca = {}",
            cert.display(),
            tls.pki.ca_cert().display()
        ),
    );
    let alice = &dataset("users")["2"];
    let got = run(tls.env.rkoji_profile("cert", &["--json", "whoami"]), None)
        .ok()
        .json();
    for key in ["id", "name", "status", "usertype", "krb_principals"] {
        assert_eq!(got[key], alice[key], "{key}");
    }
    // getLoggedInUser's authtype 2: a certificate login.
    assert_eq!(got["authtype"], 2);
    assert_eq!(got["derived"]["authtype_name"], "SSL");

    let out = run(tls.env.rkoji_profile("cert", &["-vv", "whoami"]), None).ok();
    assert!(out.stdout.contains("alice"), "{}", out.stdout);
    assert!(out.stdout.contains("SSL"), "{}", out.stdout);
    assert_eq!(
        session_keys(&out.stderr),
        Vec::<String>::new(),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("PRIVATE KEY"));
}

#[test]
fn certificate_problems_exit_3_and_say_what_to_check() {
    let tls = start();
    // The hub's certificate is not signed by the serverca given.
    let cert = tls.pki.client("alice", KeyKind::RsaPkcs8).unwrap();
    tls.profile(
        "wrongca",
        &format!(
            "authtype = ssl\ncert = {}\nserverca = {}",
            cert.display(),
            tls.pki.unknown_ca_cert().display()
        ),
    );
    run(tls.env.rkoji_profile("wrongca", &["whoami"]), None).fails(3, "serverca");
    // A certificate whose key belongs to another one.
    let mismatched = tls.pki.mismatched_client("alice").unwrap();
    tls.profile(
        "mismatch",
        &format!(
            "authtype = ssl\ncert = {}\nserverca = {}",
            mismatched.display(),
            tls.pki.ca_cert().display()
        ),
    );
    let r = run(tls.env.rkoji_profile("mismatch", &["whoami"]), None)
        .fails(3, &mismatched.display().to_string());
    assert!(r.stderr.contains("does not match"), "{}", r.stderr);
    assert!(r.stderr.contains("check the profile"), "{}", r.stderr);
    // Commands that do not log in never load the certificate, as in koji.
    let r = run(
        tls.env
            .rkoji_profile("mismatch", &["--json", "builds", "hello", "--limit", "1"]),
        None,
    )
    .ok();
    assert_eq!(r.json().as_array().map(Vec::len), Some(1), "{}", r.stdout);
    // A certificate from a CA Apache does not trust: refused at once, not
    // retried like a dropped connection (koji's defaults would retry 30
    // times, 20 s apart).
    let stranger = tls.pki.unknown_ca_client("alice").unwrap();
    tls.profile(
        "stranger",
        &format!(
            "authtype = ssl\ncert = {}\nserverca = {}",
            stranger.display(),
            tls.pki.ca_cert().display()
        ),
    );
    run(tls.env.rkoji_profile("stranger", &["whoami"]), None)
        .fails(3, &stranger.display().to_string());
}

#[test]
fn call_logs_in_with_the_certificate_and_logs_out() {
    let tls = start();
    let cert = tls.pki.client("alice", KeyKind::RsaPkcs8).unwrap();
    // No authtype: an existing `cert` file means a certificate login, as
    // koji picks it.
    tls.profile(
        "cert",
        &format!(
            "cert = {}\nserverca = {}",
            cert.display(),
            tls.pki.ca_cert().display()
        ),
    );
    let r = run(
        tls.env
            .rkoji_profile("cert", &["-vv", "--json", "call", "getLoggedInUser"]),
        None,
    )
    .ok();
    let got = r.json();
    let alice = &dataset("users")["2"];
    for key in ["id", "name", "status", "usertype"] {
        assert_eq!(got[key], alice[key], "{key}");
    }
    // getLoggedInUser's authtype 2: a certificate login.
    assert_eq!(got["authtype"], 2);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    assert_eq!(
        session_keys(&r.stderr),
        Vec::<String>::new(),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("PRIVATE KEY"));
    let ids = tls.env.hub().session_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(
        tls.env.session_methods(ids[0]),
        ["getLoggedInUser", "logout"]
    );

    // A certificate that cannot be used fails the call (exit 3) instead of
    // going anonymous; with --noauth it is not even loaded.
    let mismatched = tls.pki.mismatched_client("alice").unwrap();
    tls.profile(
        "mismatch",
        &format!(
            "cert = {}\nserverca = {}",
            mismatched.display(),
            tls.pki.ca_cert().display()
        ),
    );
    run(
        tls.env
            .rkoji_profile("mismatch", &["call", "getLoggedInUser"]),
        None,
    )
    .fails(3, &mismatched.display().to_string());
    let r = run(
        tls.env.rkoji_profile(
            "mismatch",
            &["--noauth", "--json", "call", "getLoggedInUser"],
        ),
        None,
    )
    .ok();
    assert!(r.json().is_null(), "{}", r.stdout);
    assert_eq!(tls.env.hub().session_ids().len(), 1, "no new session");
}
