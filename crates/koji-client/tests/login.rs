//! Certificate and password logins and sessions, end to end: koji-client →
//! real Apache (mod_ssl, Koji's layout) → koji-testhub.
//! Kerberos logins are in tests/gssapi.rs (they need the test realm's
//! KRB5_CONFIG, so they run in child processes).
#![allow(clippy::unwrap_used)]

mod login_env;

use std::collections::{BTreeMap, BTreeSet};

use koji_client::AuthType as UserAuth;
use koji_client::auth::LoginOptions;
use koji_client::auth::ssl::{IdentityError, TlsFailure, TlsVersion};
use koji_client::config::AuthType;
use koji_client::{Connection, FaultKind};
use koji_testenv::pki::KeyKind;
use koji_testhub::{Action, FaultRule};
use login_env::{Env, LogBuffer, hub_builder};

fn assert_strictly_increasing(hub: &koji_testhub::RunningHub, session: i64) -> usize {
    let calls = hub.session_calls(session);
    let mut last = None;
    for call in &calls {
        assert_ne!(call.fault_code, Some(1008), "SequenceError: {call:?}");
        let n = call
            .callnum
            .unwrap_or_else(|| panic!("no call number: {call:?}"));
        if let Some(prev) = last {
            assert!(
                n > prev,
                "call number {n} after {prev} on session {session}"
            );
        }
        last = Some(n);
    }
    calls.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn certificate_login_on_both_vhosts_tls13_and_tls12_with_every_key_kind() {
    let env = Env::start().await;
    for kind in [KeyKind::RsaPkcs1, KeyKind::RsaPkcs8, KeyKind::Ec] {
        let cert = env.pki.client("alice", kind).unwrap();
        for stock in [false, true] {
            for version in [TlsVersion::Tls13, TlsVersion::Tls12] {
                let what = format!("{kind:?}, stock vhost {stock}, {version:?}");
                let koji = env
                    .builder(stock)
                    .cert(&cert)
                    .max_tls_version(version)
                    .build()
                    .unwrap();
                koji.login_ssl(&LoginOptions::default())
                    .await
                    .unwrap_or_else(|e| panic!("{what}: {e}\n{}", env.apache.error_log_tail()));
                let me = koji.whoami().await.unwrap();
                assert_eq!(me.name.as_deref(), Some("alice"), "{what}");
                assert_eq!(me.authtype, Some(UserAuth::Ssl), "{what}");
                let id = koji.session_id().unwrap();
                koji.logout().await.unwrap();
                assert_eq!(koji.session_id(), None);
                // The hub closed the session: its calls before logout were
                // numbered from 0.
                let calls = env.hub.session_calls(id);
                assert_eq!(calls.first().and_then(|c| c.callnum), Some(0), "{what}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_picks_the_method_like_the_koji_cli() {
    let env = Env::start().await;
    let cert = env.pki.client("bob", KeyKind::RsaPkcs8).unwrap();

    // authtype unset + a certificate: certificate login.
    let koji = env.builder(true).cert(&cert).build().unwrap();
    koji.login().await.unwrap();
    assert_eq!(koji.whoami().await.unwrap().name.as_deref(), Some("bob"));

    // authtype = password.
    let koji = env
        .builder(false)
        .authtype(AuthType::Password)
        .password_login("carol", "carol-password")
        .build()
        .unwrap();
    koji.login().await.unwrap();
    let me = koji.whoami().await.unwrap();
    assert_eq!(
        (me.name.as_deref(), me.authtype),
        (Some("carol"), Some(UserAuth::Normal))
    );

    // authtype = noauth: no session at all.
    let koji = env
        .builder(false)
        .cert(&cert)
        .authtype(AuthType::Noauth)
        .build()
        .unwrap();
    koji.login().await.unwrap();
    assert_eq!(koji.session_id(), None);
    assert!(koji.get_logged_in_user().await.unwrap().is_none());
    assert!(koji.whoami().await.unwrap_err().is_not_logged_in());

    // authtype = ssl without a certificate: a clear error.
    let koji = env.builder(false).authtype(AuthType::Ssl).build().unwrap();
    let err = koji.login().await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert!(err.to_string().contains("client certificate"), "{err}");

    // authtype = password without credentials.
    let koji = env
        .builder(false)
        .authtype(AuthType::Password)
        .build()
        .unwrap();
    let err = koji.login().await.unwrap_err();
    assert!(err.to_string().contains("password"), "{err}");

    // The hub's password login cannot log in other users.
    let koji = env
        .builder(false)
        .authtype(AuthType::Password)
        .password_login("carol", "carol-password")
        .proxyuser("alice")
        .build()
        .unwrap();
    let err = koji.login().await.unwrap_err();
    assert!(err.to_string().contains("proxy login"), "{err}");

    // An unknown authtype.
    let koji = env
        .builder(false)
        .authtype(AuthType::parse("magic"))
        .build()
        .unwrap();
    let err = koji.login().await.unwrap_err();
    assert!(err.to_string().contains("magic"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn certificate_failures_are_clear_typed_errors() {
    let env = Env::start().await;

    // Untrusted server certificate (serverca is another CA).
    let cert = env.pki.client("alice", KeyKind::RsaPkcs8).unwrap();
    let koji = Connection::builder(env.apache.url_stock())
        .serverca(env.pki.unknown_ca_cert())
        .cert(&cert)
        .no_proxy()
        .build()
        .unwrap();
    let err = koji.login_ssl(&LoginOptions::default()).await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert!(
        matches!(
            err.tls_failure(),
            Some(TlsFailure::ServerCertificateUntrusted { .. })
        ),
        "{err:?}"
    );

    // Client certificates the server refuses, on both vhosts and versions.
    let unknown = env.pki.unknown_ca_client("alice").unwrap();
    let expired = env.pki.expired_client("alice").unwrap();
    for stock in [false, true] {
        for version in [TlsVersion::Tls13, TlsVersion::Tls12] {
            for (cert, expected) in [
                (&unknown, TlsFailure::ClientCertificateUnknownCa),
                (&expired, TlsFailure::ClientCertificateExpired),
            ] {
                let koji = env
                    .builder(stock)
                    .cert(cert)
                    .max_tls_version(version)
                    .build()
                    .unwrap();
                let err = koji.login_ssl(&LoginOptions::default()).await.unwrap_err();
                assert!(err.is_auth(), "stock {stock} {version:?}: {err:?}");
                assert_eq!(
                    err.tls_failure(),
                    Some(&expected),
                    "stock {stock} {version:?}: {err}"
                );
                assert_eq!(koji.session_id(), None);
            }
        }
    }

    // A key that does not match, an unreadable file: refused when building.
    let mismatched = env.pki.mismatched_client("alice").unwrap();
    let err = env.builder(true).cert(&mismatched).build().unwrap_err();
    assert!(
        matches!(
            err.identity_error(),
            Some(IdentityError::KeyMismatch { .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("does not match"), "{err}");
    let missing = env.dir.path().join("missing.pem");
    let err = env.builder(true).cert(&missing).build().unwrap_err();
    assert!(
        matches!(err.identity_error(), Some(IdentityError::Unreadable { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("missing.pem"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hub_refusals_blocked_user_and_wrong_password_are_auth_faults() {
    let env = Env::start().await;
    let koji = env.cert_connection("mallory", KeyKind::Ec, true);
    let err = koji.login_ssl(&LoginOptions::default()).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::AuthError), "{err:?}");
    assert!(
        err.to_string()
            .contains("logins by mallory are not allowed"),
        "{err}"
    );

    let koji = env.builder(false).build().unwrap();
    let err = koji.login_password("carol", "nope").await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::AuthError), "{err:?}");
    assert!(
        err.to_string().contains("invalid username or password"),
        "{err}"
    );
    assert!(!format!("{err:?}{err}").contains("nope"));
    assert_eq!(koji.session_id(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn proxy_login_logs_in_another_user_when_allowed() {
    let env = Env::start().await;
    let proxy = env.cert_connection("kojiweb", KeyKind::RsaPkcs8, true);
    proxy
        .login_ssl(&LoginOptions::proxy("alice"))
        .await
        .unwrap();
    assert_eq!(proxy.whoami().await.unwrap().name.as_deref(), Some("alice"));

    let builder_proxy = env
        .builder(false)
        .cert(env.pki.client("kojiweb", KeyKind::Ec).unwrap())
        .proxyuser("bob")
        .build()
        .unwrap();
    builder_proxy.login().await.unwrap();
    assert_eq!(
        builder_proxy.whoami().await.unwrap().name.as_deref(),
        Some("bob")
    );

    let bob = env.cert_connection("bob", KeyKind::RsaPkcs8, true);
    let err = bob
        .login_ssl(&LoginOptions::proxy("alice"))
        .await
        .unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::AuthError));
    assert!(
        err.to_string()
            .contains("is not authorized to login other users"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_calls_on_one_session_and_on_subsessions() {
    let env = Env::start().await;
    let koji = env.cert_connection("alice", KeyKind::RsaPkcs8, true);
    koji.login_ssl(&LoginOptions::default()).await.unwrap();
    let session = koji.session_id().unwrap();

    // 1000 callers at once, every tenth a write that commits its number.
    let calls = (0..1000).map(|i| {
        let koji = koji.clone();
        tokio::spawn(async move {
            if i % 10 == 0 {
                koji.call("createTag", (format!("conc-tag-{i}"),))
                    .await
                    .map(|_| ())
            } else {
                koji.call("getLoggedInUser", ()).await.map(|_| ())
            }
        })
    });
    for result in futures_util::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
    assert_eq!(assert_strictly_increasing(&env.hub, session), 1000);
    // The hub stored the number of the last write.
    let last_write = env
        .hub
        .session_calls(session)
        .iter()
        .rev()
        .find(|c| c.method == "createTag")
        .and_then(|c| c.callnum);
    assert_eq!(env.hub.session_callnum(session), last_write);
    assert!(last_write.is_some());

    // The same on four subsessions working in parallel.
    let mut lanes = Vec::new();
    for _ in 0..4 {
        lanes.push(koji.subsession().await.unwrap());
    }
    let ids: BTreeSet<i64> = lanes.iter().map(|l| l.session_id().unwrap()).collect();
    assert_eq!(ids.len(), 4);
    assert!(!ids.contains(&session));
    let work = lanes.iter().enumerate().flat_map(|(lane_no, lane)| {
        (0..250).map(move |i| {
            let lane = lane.clone();
            tokio::spawn(async move {
                if i % 25 == 0 {
                    lane.call("createTag", (format!("lane-{lane_no}-{i}"),))
                        .await
                        .map(|_| ())
                } else {
                    lane.call("getLoggedInUser", ()).await.map(|_| ())
                }
            })
        })
    });
    for result in futures_util::future::join_all(work).await {
        result.unwrap().unwrap();
    }
    for id in ids {
        assert_eq!(assert_strictly_increasing(&env.hub, id), 250);
    }
    koji.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_session_is_renewed_with_the_same_id_and_growing_call_numbers() {
    let env = Env::start().await;
    for (label, koji) in [
        (
            "certificate",
            env.cert_connection("alice", KeyKind::Ec, true),
        ),
        ("password", env.builder(false).build().unwrap()),
    ] {
        if label == "password" {
            koji.login_password("carol", "carol-password")
                .await
                .unwrap();
        } else {
            koji.login_ssl(&LoginOptions::default()).await.unwrap();
        }
        let session = koji.session_id().unwrap();
        for i in 0..20 {
            if i == 10 {
                assert!(env.hub.expire_session(session));
            }
            let me = koji
                .whoami()
                .await
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            assert!(me.name.is_some());
            assert_eq!(koji.session_id(), Some(session), "{label}");
        }
        let calls = env.hub.session_calls(session);
        let expired = calls.iter().filter(|c| c.fault_code == Some(1007)).count();
        assert_eq!(expired, 1, "{label}: {calls:?}");
        let renewals = calls
            .iter()
            .filter(|c| c.method == "sslLogin" || c.method == "login")
            .count();
        assert_eq!(renewals, 1, "{label}: {calls:?}");
        // 20 calls + the expired attempt + the renewal, all numbered upwards.
        assert_eq!(assert_strictly_increasing(&env.hub, session), 22, "{label}");
        koji.logout().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_response_is_retried_with_the_same_number_and_not_applied_twice() {
    let env = Env::start_with(
        hub_builder().fault(FaultRule::method("createTag", Action::DropMidBody).times(1)),
        None,
    )
    .await;
    let koji = env.cert_connection("alice", KeyKind::RsaPkcs8, true);
    koji.login_ssl(&LoginOptions::default()).await.unwrap();
    let session = koji.session_id().unwrap();
    let err = koji.call("createTag", ("retried-tag",)).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::RetryError), "{err:?}");
    assert_eq!(err.attempts(), 2);
    let text = err.to_string();
    assert!(text.contains("not applied twice"), "{text}");
    let calls = env.hub.session_calls(session);
    let numbers: Vec<_> = calls
        .iter()
        .filter(|c| c.method == "createTag")
        .map(|c| c.callnum)
        .collect();
    assert_eq!(numbers, vec![Some(0), Some(0)], "{calls:?}");
    // The tag exists once; the next call gets the next number.
    let tag = koji.call("getTag", ("retried-tag",)).await.unwrap();
    assert!(tag.as_struct().is_some(), "{tag:?}");
    assert_eq!(
        env.hub.session_calls(session).last().unwrap().callnum,
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exclusive_sessions_and_logout() {
    let env = Env::start().await;
    let a = env.cert_connection("alice", KeyKind::RsaPkcs8, false);
    let b = env.cert_connection("alice", KeyKind::Ec, false);
    a.login_ssl(&LoginOptions::default()).await.unwrap();
    b.login_ssl(&LoginOptions::default()).await.unwrap();
    a.exclusive_session(false).await.unwrap();
    let err = b.call("getLoggedInUser", ()).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::AuthLockError), "{err:?}");
    b.exclusive_session(true).await.unwrap();
    let err = a.call("getLoggedInUser", ()).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::AuthError), "{err:?}");
    b.shared_session().await.unwrap();
    b.logout().await.unwrap();
    assert_eq!(b.session_id(), None);
    // Logging out twice is harmless.
    b.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_secret_in_logs_errors_or_debug_output() {
    let env = Env::start().await;
    let logs = LogBuffer::default();
    let _guard = logs.install();
    let cert = env.pki.client("alice", KeyKind::RsaPkcs1).unwrap();
    let koji = env.builder(true).cert(&cert).build().unwrap();
    koji.login_ssl(&LoginOptions::default()).await.unwrap();
    let mut texts = vec![format!("{koji:?}")];
    koji.call("getLoggedInUser", ()).await.unwrap();
    let sub = koji.subsession().await.unwrap();
    texts.push(format!("{sub:?}"));
    let err = koji
        .call_with(
            "getBuild",
            ("no-such-build-1-1",),
            BTreeMap::from([("strict", true)]),
        )
        .await
        .unwrap_err();
    texts.push(format!("{err:?} {err}"));

    let pw = env.builder(false).build().unwrap();
    pw.login_password("carol", "carol-password").await.unwrap();
    texts.push(format!("{pw:?}"));
    let err = pw
        .login_password("carol", "carol-password")
        .await
        .unwrap_err();
    texts.push(format!("{err:?} {err}"));
    let wrong = env.builder(false).build().unwrap();
    let err = wrong
        .login_password("carol", "wrong-secret")
        .await
        .unwrap_err();
    texts.push(format!("{err:?} {err}"));
    koji.logout().await.unwrap();
    pw.logout().await.unwrap();

    texts.push(logs.text());
    let all = texts.join("\n");
    assert!(
        all.contains("logged in"),
        "the logs were not captured: {all}"
    );
    let keys = koji_testenv::session_keys(&all);
    assert!(keys.is_empty(), "session keys in the output: {keys:?}");
    let key_file = std::fs::read_to_string(&cert).unwrap();
    for line in key_file
        .lines()
        .skip_while(|l| !l.contains("PRIVATE KEY"))
        .filter(|l| l.len() > 20)
    {
        assert!(!all.contains(line), "private key material in the output");
    }
    for secret in ["carol-password", "wrong-secret"] {
        assert!(!all.contains(secret), "{secret} in the output");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn certificate_login_switches_an_http_hub_url_to_https_and_keeps_it() {
    let env = Env::start().await;
    // The vhost only speaks TLS: plain http to it cannot work, so the login
    // and every later call must have gone over https.
    let http_url = env.apache.url_stock().replacen("https://", "http://", 1);
    let cert = env.pki.client("alice", KeyKind::RsaPkcs8).unwrap();
    let koji = Connection::builder(http_url)
        .serverca(env.pki.ca_cert())
        .cert(cert)
        .no_proxy()
        .build()
        .unwrap();
    koji.login_ssl(&LoginOptions::default()).await.unwrap();
    assert_eq!(koji.whoami().await.unwrap().name.as_deref(), Some("alice"));
    let err = koji.call("noSuchMethod", ()).await.unwrap_err();
    assert!(err.url().unwrap().starts_with("https://"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn certificate_login_on_a_connection_already_used_anonymously() {
    // The pooled keep-alive connection of an anonymous call is reused for
    // the login: Apache then asks for the certificate on that connection.
    let env = Env::start().await;
    let cert = env.pki.client("carol", KeyKind::Ec).unwrap();
    for version in [TlsVersion::Tls13, TlsVersion::Tls12] {
        let koji = env
            .builder(true)
            .cert(&cert)
            .max_tls_version(version)
            .build()
            .unwrap();
        assert!(koji.get_logged_in_user().await.unwrap().is_none());
        koji.login_ssl(&LoginOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{version:?}: {e}"));
        assert_eq!(
            koji.whoami().await.unwrap().name.as_deref(),
            Some("carol"),
            "{version:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_certificate_is_not_retried_even_with_anon_retry() {
    let env = Env::start().await;
    let logs = LogBuffer::default();
    let _guard = logs.install();
    let unknown = env.pki.unknown_ca_client("alice").unwrap();
    for stock in [false, true] {
        for version in [TlsVersion::Tls13, TlsVersion::Tls12] {
            let koji = env
                .builder(stock)
                .cert(&unknown)
                .max_tls_version(version)
                .anon_retry(true)
                .max_retries(3)
                .retry_interval(std::time::Duration::from_millis(1))
                .build()
                .unwrap();
            let err = koji.login_ssl(&LoginOptions::default()).await.unwrap_err();
            assert_eq!(
                err.tls_failure(),
                Some(&TlsFailure::ClientCertificateUnknownCa),
                "stock {stock} {version:?}: {err}"
            );
        }
    }
    let text = logs.text();
    assert!(
        !text.contains("retrying koji call"),
        "a refused certificate was sent again:\n{text}"
    );
}
