//! Replays every anonymous recorded exchange of the real hub against the
//! test hub and compares the answers byte for byte (status and body).
//!
//! Exchanges whose answers cannot match are listed in [`EXCLUDED`] with the
//! reason. Multicall answers carrying Python tracebacks (paths and line
//! numbers of the real hub's installation) are compared after decoding, with
//! each traceback reduced to its last line (the exception line, which must
//! match).
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use koji_testhub::TestHub;
use koji_xmlrpc::Value;
use support::{Outcome, exchange, recorded};

/// Anonymous exchanges that cannot match, and why.
const EXCLUDED: &[(&str, &str)] = &[
    (
        "010-system.listMethods",
        "lists the real hub's 321 methods; the test hub lists the ones it serves",
    ),
    (
        "011-_listapi",
        "the real hub's API description with docstrings; not served",
    ),
    (
        "013-system.methodHelp",
        "the answer quotes the hub's docstring; the test hub gives the signature line only",
    ),
    (
        "148-getTag-event-before",
        "the data set has no tag creation events",
    ),
    (
        "171-getFullInheritance-event",
        "the data set has no inheritance history",
    ),
    (
        "267-http-path-ssllogin-anon-http",
        "an Apache mod_auth_gssapi 401 page, not a hub answer",
    ),
];

/// Groups replayed here (the login, session, callnum and expiry groups
/// need sessions and are covered by the session tests).
const GROUPS: &[&str] = &[
    "basics",
    "echo",
    "builds",
    "listBuilds",
    "tasks",
    "listTasks",
    "tags",
    "targets",
    "channels-hosts",
    "packages-users",
    "faults",
    "multicall",
    "http",
    "login (appended)",
];

fn mask_tracebacks(v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.into_iter().map(mask_tracebacks).collect()),
        Value::Struct(mut s) => {
            if let Some(Value::Array(tb)) = s.get("traceback") {
                let last = tb.last().cloned().unwrap_or(Value::Nil);
                s.insert("traceback".into(), Value::Array(vec![last]));
            }
            Value::Struct(
                s.into_iter()
                    .map(|(k, v)| (k, mask_tracebacks(v)))
                    .collect(),
            )
        }
        other => other,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_exchanges_match_the_real_hub() {
    let hub = TestHub::builder().start().await.unwrap();
    let (mut exact, mut masked) = (0, 0);
    let mut diffs = Vec::new();
    let mut excluded_seen = 0;
    for ex in recorded() {
        if ex.auth != "anonymous" || !GROUPS.contains(&ex.group.as_str()) {
            continue;
        }
        if EXCLUDED.iter().any(|(p, _)| *p == ex.prefix) {
            excluded_seen += 1;
            continue;
        }
        let got = exchange(hub.addr(), &ex.request_bytes(), Duration::from_secs(30)).await;
        let Outcome::Complete(r) = got else {
            diffs.push(format!("{}: no response {got:?}", ex.prefix));
            continue;
        };
        if r.status != ex.status() {
            diffs.push(format!(
                "{}: status {} instead of {}",
                ex.prefix,
                r.status,
                ex.status()
            ));
            continue;
        }
        if ex.status() == 405 || ex.prefix.ends_with("-HEAD") {
            // HEAD: no body, but the Content-Length of the GET answer
            assert_eq!(r.header("allow"), Some("POST"), "{}", ex.prefix);
        }
        if r.body == ex.response_body {
            exact += 1;
            continue;
        }
        let has_tb = String::from_utf8_lossy(&ex.response_body).contains("<name>traceback</name>");
        if has_tb {
            let a = koji_xmlrpc::decode_response::<Value>(&r.body)
                .unwrap()
                .unwrap();
            let b = koji_xmlrpc::decode_response::<Value>(&ex.response_body)
                .unwrap()
                .unwrap();
            if mask_tracebacks(a) == mask_tracebacks(b) {
                masked += 1;
                continue;
            }
        }
        let a = String::from_utf8_lossy(&r.body);
        let b = String::from_utf8_lossy(&ex.response_body);
        let pos = a
            .bytes()
            .zip(b.bytes())
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        let lo = pos.saturating_sub(60);
        diffs.push(format!(
            "{}: bodies differ at byte {pos}:\n  got  {:?}\n  want {:?}",
            ex.prefix,
            a.get(lo..(pos + 60).min(a.len())).unwrap_or(""),
            b.get(lo..(pos + 60).min(b.len())).unwrap_or("")
        ));
    }
    println!(
        "byte-identical: {exact}, identical but for traceback paths: {masked}, excluded: {excluded_seen}"
    );
    assert!(
        diffs.is_empty(),
        "{} exchanges differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    assert_eq!(
        excluded_seen,
        EXCLUDED.len(),
        "every exclusion names a replayed exchange"
    );
    assert!(
        exact + masked >= 250,
        "too few exchanges replayed: {}",
        exact + masked
    );
    hub.shutdown().await;
}
