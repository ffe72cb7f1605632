//! Replays the real hub's recorded login, session, call-number and expiry
//! exchanges (241–245, 269–378), in order, against the test hub and
//! compares every answer.
//!
//! The recordings used client certificates and Kerberos; here the identity
//! travels in headers the hub is configured to trust (the certificate's DN,
//! or the principal as `REMOTE_USER`). Session ids start at 24 as in the
//! recording, so only session keys need translating. Before 370 the session
//! is expired through the inspection API, where the recording back-dated it
//! with SQL. Compared after decoding, with session keys and the times of
//! sessions created during the run masked.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::time::Duration;

use koji_testhub::TestHub;
use koji_xmlrpc::{Fault, Value};
use support::{Outcome, exchange, recorded};

const CERT_HEADER: &str = "X-SSL-Client-S-DN";
const USER_HEADER: &str = "X-Remote-User";

/// Answers made by Apache before the hub is reached (no hub behaviour to compare).
const APACHE_ONLY: &[(&str, &str)] = &[
    (
        "280-login-sslLogin-stock-no-pha",
        "HTTP 403 from mod_ssl (no post-handshake auth)",
    ),
    (
        "282-login-sslLogin-no-credentials",
        "HTTP 401 from mod_auth_gssapi",
    ),
    (
        "293-login-sslLogin-gssapi-garbage",
        "HTTP 401 from mod_auth_gssapi",
    ),
];

fn dn(user: &str) -> String {
    format!("CN={user},OU=users,O=Koji realhub,ST=Test,C=US")
}

const MASKED: &[&str] = &[
    "session-key",
    "start_time",
    "start_ts",
    "update_time",
    "update_ts",
    "renew_time",
    "renew_ts",
];

fn mask(v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.into_iter().map(mask).collect()),
        Value::Struct(s) => Value::Struct(
            s.into_iter()
                .map(|(k, v)| {
                    let v = if MASKED.contains(&k.as_str()) && !v.is_nil() {
                        Value::from("<masked>")
                    } else if k == "traceback" {
                        Value::Array(
                            v.as_array()
                                .and_then(|a| a.last().cloned())
                                .into_iter()
                                .collect(),
                        )
                    } else {
                        mask(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

fn decode(body: &[u8]) -> Result<Value, Fault> {
    koji_xmlrpc::decode_response::<Value>(body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_exchanges_match_the_real_hub() {
    let hub = TestHub::builder()
        .first_session_id(24)
        .trusted_cert_header(CERT_HEADER)
        .trusted_remote_user_header(USER_HEADER)
        .proxy_dn(&dn("kojiweb"))
        .password("carol", "carol-password")
        .start()
        .await
        .unwrap();
    let users: HashMap<i64, String> = [(2, "alice@KOJI.TEST"), (7, "compile/builder1@KOJI.TEST")]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
    // recorded session key -> ours
    let mut keys: HashMap<String, String> = HashMap::new();
    let mut compared = 0;
    let mut diffs = Vec::new();
    for ex in recorded() {
        let seq: u32 = ex.prefix[..3].parse().unwrap();
        if !((241..=245).contains(&seq) || (269..=378).contains(&seq)) {
            continue;
        }
        if APACHE_ONLY.iter().any(|(p, _)| *p == ex.prefix) {
            continue;
        }
        if ex.prefix == "370-exp-expired" {
            assert!(hub.expire_session(40));
        }
        // translate the request
        let mut head = ex.request_head.clone();
        for (theirs, ours) in &keys {
            head = head.replace(theirs.as_str(), ours);
        }
        let mut extra = String::new();
        if let Some(cert) = ex.auth.strip_prefix("cert ") {
            let user = cert.split(".pem").next().unwrap();
            extra.push_str(&format!("{CERT_HEADER}: {}\r\n", dn(user)));
        }
        if head.contains("Authorization: Negotiate") {
            // whose ticket it was shows in the recorded session key
            let sinfo = decode(&ex.response_body).unwrap();
            let key = sinfo.get("session-key").and_then(Value::as_str).unwrap();
            let uid: i64 = key.split('-').next().unwrap().parse().unwrap();
            extra.push_str(&format!("{USER_HEADER}: {}\r\n", users[&uid]));
        }
        let mut req = Vec::new();
        for (i, line) in head.split("\r\n").enumerate() {
            if line.is_empty() {
                continue;
            }
            if i > 0 && line.starts_with("Host:") {
                req.extend_from_slice(b"Host: localhost\r\n");
                req.extend_from_slice(extra.as_bytes());
            } else {
                req.extend_from_slice(line.as_bytes());
                req.extend_from_slice(b"\r\n");
            }
        }
        req.extend_from_slice(b"\r\n");
        req.extend_from_slice(&ex.request_body);

        let Outcome::Complete(r) = exchange(hub.addr(), &req, Duration::from_secs(30)).await else {
            diffs.push(format!("{}: no complete response", ex.prefix));
            continue;
        };
        assert_eq!(r.status, ex.status(), "{}", ex.prefix);
        assert_eq!(r.header("koji-version"), Some("1.35.3"));
        let got = decode(&r.body);
        let want = decode(&ex.response_body);
        if let (Ok(g), Ok(w)) = (&got, &want) {
            if let (Some(Value::String(ours)), Some(Value::String(theirs))) =
                (g.get("session-key"), w.get("session-key"))
            {
                keys.insert(theirs.clone(), ours.clone());
            }
        }
        let same = match (got, want) {
            (Ok(g), Ok(w)) => mask(g) == mask(w),
            (Err(g), Err(w)) => g.code == w.code && g.string == w.string,
            (g, w) => {
                diffs.push(format!("{}: got {g:?}\n  want {w:?}", ex.prefix));
                continue;
            }
        };
        if same {
            compared += 1;
        } else {
            let g = decode(&r.body);
            let w = decode(&ex.response_body);
            diffs.push(format!("{}:\n  got  {g:?}\n  want {w:?}", ex.prefix));
        }
    }
    println!("session exchanges compared equal: {compared}");
    assert!(
        diffs.is_empty(),
        "{} differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    assert_eq!(compared, 5 + 110 - APACHE_ONLY.len());
    // the hub kept what each session was sent
    let calls = hub.session_calls(36);
    let nums: Vec<Option<i64>> = calls.iter().map(|c| c.callnum).collect();
    assert_eq!(&nums[..4], &[Some(0), Some(1), Some(1), Some(1)]);
    assert_eq!(calls[2].fault_code, Some(1009));
    hub.shutdown().await;
}
