//! `rkoji call` with Kerberos, end to end: the binary → real Apache
//! (mod_auth_gssapi on `/kojihub/ssllogin`) → koji-testhub, with tickets
//! from a real MIT KDC. A ticket logs in; a ticket the hub refuses exits
//! 3; an expired ticket is nothing to log in with, so the call goes
//! anonymous with a warning.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::PathBuf;

use assert_cmd::Command;
use koji_testenv::apache::{Apache, ApacheConfig};
use koji_testenv::kdc::{DEFAULT_PASSWORD, Kdc};
use koji_testenv::pki::Pki;
use koji_testenv::session_keys;
use support::{Env, dataset, run};

const REALM: &str = "KOJI.TEST";

/// A realm, Apache with Kerberos in front of the hub, and a `[krb]`
/// profile (no authtype: Kerberos, since there is no `cert` and no user)
/// pointing at it.
struct Realm {
    env: Env,
    kdc: Kdc,
    _apache: Apache,
    dir: tempfile::TempDir,
}

impl Realm {
    fn start() -> Realm {
        let env = Env::start_behind_apache();
        let dir = tempfile::tempdir().unwrap();
        let kdc = Kdc::start(&dir.path().join("kdc"), REALM).unwrap();
        kdc.add_user("alice", DEFAULT_PASSWORD).unwrap();
        // A principal the hub has no user for.
        kdc.add_user("eve", DEFAULT_PASSWORD).unwrap();
        let service_keytab = dir.path().join("http.keytab");
        kdc.add_service("HTTP/localhost", &service_keytab).unwrap();
        let pki = Pki::generate(&dir.path().join("pki")).unwrap();
        let mut config = ApacheConfig::new(env.hub().url());
        config.service_keytab = Some(service_keytab);
        config.krb5_conf = Some(kdc.krb5_conf().to_owned());
        let apache = Apache::start(&dir.path().join("apache"), &pki, &config).unwrap();
        env.add_profile(
            "krb",
            &format!(
                "server = {}\nweburl = https://localhost/koji\nserverca = {}",
                apache.url_initial(),
                pki.ca_cert().display()
            ),
        );
        Realm {
            env,
            kdc,
            _apache: apache,
            dir,
        }
    }

    /// A ticket for `user` in a cache of its own; `lifetime` as kinit's -l.
    fn kinit(&self, user: &str, lifetime: Option<&str>) -> PathBuf {
        let ccache = self.dir.path().join(format!("{user}.ccache"));
        self.kdc
            .kinit_password(user, DEFAULT_PASSWORD, &ccache, lifetime)
            .unwrap();
        ccache
    }

    /// `rkoji -p krb ARGS` in the realm, with `ccache` as the default
    /// credential cache.
    fn rkoji(&self, ccache: &std::path::Path, args: &[&str]) -> Command {
        let mut cmd = self.env.rkoji_profile("krb", args);
        cmd.envs(self.kdc.env())
            .env("KRB5CCNAME", format!("FILE:{}", ccache.display()));
        cmd
    }
}

#[test]
fn call_logs_in_with_a_kerberos_ticket_and_logs_out() {
    let realm = Realm::start();
    let ccache = realm.kinit("alice", None);
    let r = run(
        realm.rkoji(&ccache, &["-vv", "--json", "call", "getLoggedInUser"]),
        None,
    )
    .ok();
    let got = r.json();
    let alice = &dataset("users")["2"];
    for key in ["id", "name", "status", "usertype", "krb_principals"] {
        assert_eq!(got[key], alice[key], "{key}");
    }
    // getLoggedInUser's authtype 3: a Kerberos (GSSAPI) login.
    assert_eq!(got["authtype"], 3);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    assert!(!r.stderr.contains("Negotiate "), "{}", r.stderr);
    assert_eq!(
        session_keys(&r.stderr),
        Vec::<String>::new(),
        "{}",
        r.stderr
    );
    let ids = realm.env.hub().session_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(
        realm.env.session_methods(ids[0]),
        ["getLoggedInUser", "logout"]
    );
}

#[test]
fn a_ticket_the_hub_refuses_exits_3() {
    let realm = Realm::start();
    let ccache = realm.kinit("eve", None);
    let r = run(realm.rkoji(&ccache, &["call", "getBuild", "3"]), None)
        .fails(3, &format!("eve@{REALM}"));
    assert!(r.stderr.contains("refused the login"), "{}", r.stderr);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    assert_eq!(realm.env.hub().session_ids(), Vec::<i64>::new());
}

#[test]
fn an_expired_ticket_warns_and_calls_anonymously() {
    let realm = Realm::start();
    let ccache = realm.kinit("alice", Some("2s"));
    // Let the two-second ticket expire.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let r = run(
        realm.rkoji(&ccache, &["--json", "call", "getLoggedInUser"]),
        None,
    )
    .ok();
    assert!(r.json().is_null(), "{}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    for needle in ["rkoji: warning:", "anonymously", "run kinit"] {
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
    assert_eq!(realm.env.hub().session_ids(), Vec::<i64>::new());
}
