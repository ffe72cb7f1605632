//! Replay fidelity of the write calls: every recorded write exchange
//! (koji-client's `tests/fixtures/exchanges-write/`, from the real hub) is
//! sent again, in the recorded order and as the recorded user, to one
//! koji-testhub started from the same data set, and its answer must match:
//! the same fault code and text, the same task or build id, nil/bool the
//! same, a struct with the same members (and, for a build, the same id,
//! NVR, state, owner and content generator). Recorded `rawUpload` chunks
//! are sent again as raw bodies; the reservation tokens `CGInitBuild`
//! handed out are swapped for the test hub's in later calls. Exchanges
//! that need what the test hub does not have are listed with the reason.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::path::PathBuf;

use koji_testhub::TestHub;
use koji_xmlrpc::Value;
use std::time::Duration;
use support::{Outcome, exchange, rpc_at};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../koji-client/tests/fixtures/exchanges-write")
}

/// Recorded exchanges the test hub cannot replay, and why.
const NOT_REPLAYED: &[(&str, &str)] = &[
    (
        "389",
        "fastUpload: the chunks before it are not in the fixtures",
    ),
    ("392", "checkUpload: covered by the upload tests"),
    ("393", "fastUpload: covered by the upload tests"),
    (
        "480",
        "cancelBuild of a build made by host.initBuild (no host calls)",
    ),
    (
        "481",
        "cancelBuild of a build made by host.initBuild (no host calls)",
    ),
];

/// The recorded hub's build 26 came from `host.initBuild` (exchanges
/// 477-478, host calls that are not replayed); an empty build made as
/// the admin before the first later exchange takes its id, so the build
/// ids of the content-generator exchanges (and their fault texts) line up.
const FILLER_BUILD_BEFORE: u32 = 479;

/// A recorded `rawUpload` (its body is the file chunk, its arguments are
/// in the query string) sent again with the replaying session.
fn raw_upload(target: &str, body: &[u8], session: Option<&(String, String)>) -> Vec<u8> {
    let mut r = format!("POST {target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: koji/1\r\n");
    if let Some((id, key)) = session {
        r.push_str(&format!(
            "Koji-Session-Id: {id}\r\nKoji-Session-Key: {key}\r\n"
        ));
    }
    r.push_str(&format!(
        "Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ));
    let mut out = r.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Replaces, deep in a value, each recorded reservation token with the
/// one the test hub handed out for the same `CGInitBuild`.
fn swap_tokens(v: &mut Value, tokens: &HashMap<String, String>) {
    match v {
        Value::String(s) => {
            if let Some(t) = tokens.get(s.as_str()) {
                *s = t.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| swap_tokens(x, tokens)),
        Value::Struct(m) => m.values_mut().for_each(|x| swap_tokens(x, tokens)),
        _ => {}
    }
}

/// The recorded sessions' users.
fn user_of(session: &str) -> Option<&'static str> {
    match session {
        "8" => Some("alice"),
        "9" => Some("bob"),
        "10" => Some("kojiadmin"),
        _ => None,
    }
}

fn shape(v: &Value) -> String {
    match v {
        Value::Struct(s) => {
            let mut keys: Vec<&String> = s.keys().collect();
            keys.sort();
            format!("struct{keys:?}")
        }
        Value::Array(a) => format!("array[{}]", a.len()),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn recorded_write_exchanges_replay_with_the_same_answers() {
    let hub = TestHub::builder()
        .password("alice", "pw")
        .password("bob", "pw")
        .password("kojiadmin", "pw")
        .start()
        .await
        .unwrap();
    let a = hub.addr();
    let mut sessions: HashMap<&str, (String, String)> = HashMap::new();
    for user in ["alice", "bob", "kojiadmin"] {
        let s = rpc_at(
            a,
            "/kojihub",
            &[],
            "login",
            vec![user.into(), "pw".into()],
            &[("opts", Value::Nil)],
        )
        .await
        .unwrap();
        sessions.insert(
            user,
            (
                s.get("session-id")
                    .and_then(Value::as_i64)
                    .unwrap()
                    .to_string(),
                s.get("session-key")
                    .and_then(Value::as_str)
                    .unwrap()
                    .to_owned(),
            ),
        );
    }
    let mut prefixes: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".response.xml").map(str::to_owned)
        })
        .collect();
    prefixes.sort_by_key(|p| p.split('-').next().unwrap().parse::<u32>().unwrap());
    let mut replayed = 0;
    let mut differ = Vec::new();
    let mut filler_made = false;
    // recorded CGInitBuild token -> the test hub's
    let mut tokens: HashMap<String, String> = HashMap::new();
    for prefix in &prefixes {
        let seq = prefix.split('-').next().unwrap();
        if NOT_REPLAYED.iter().any(|(s, _)| *s == seq) {
            continue;
        }
        if !filler_made && seq.parse::<u32>().unwrap() >= FILLER_BUILD_BEFORE {
            let (id, key) = &sessions["kojiadmin"];
            let h = [
                ("Koji-Session-Id", id.as_str()),
                ("Koji-Session-Key", key.as_str()),
            ];
            let args = vec!["replay-filler".into(), "1".into(), "1".into(), Value::Nil];
            let filler = rpc_at(a, "/kojihub", &h, "createEmptyBuild", args, &[]).await;
            assert_eq!(filler, Ok(Value::Int(26)), "the filler build takes id 26");
            filler_made = true;
        }
        let Ok(request) = std::fs::read(dir().join(format!("{prefix}.request.xml"))) else {
            continue;
        };
        let headers = std::fs::read_to_string(dir().join(format!("{prefix}.request-headers.txt")))
            .unwrap_or_default();
        let session = headers
            .lines()
            .find_map(|l| l.strip_prefix("Koji-Session-Id: "))
            .map(str::trim);
        let user = session.and_then(user_of);
        let want = koji_xmlrpc::decode_response::<Value>(
            &std::fs::read(dir().join(format!("{prefix}.response.xml"))).unwrap(),
        )
        .unwrap();
        let target = headers
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("POST "))
            .and_then(|l| l.strip_suffix(" HTTP/1.1"))
            .unwrap_or("/kojihub");
        let got = if target.starts_with("/kojihub?") {
            // rawUpload: the body is the chunk
            let raw = raw_upload(target, &request, user.map(|u| &sessions[u]));
            match exchange(a, &raw, Duration::from_secs(30)).await {
                Outcome::Complete(r) => koji_xmlrpc::decode_response::<Value>(&r.body).unwrap(),
                other => panic!("{prefix}: no complete response: {other:?}"),
            }
        } else {
            let mut call = koji_xmlrpc::decode_call(&request).unwrap();
            call.params.iter_mut().for_each(|p| swap_tokens(p, &tokens));
            let h: Vec<(&str, &str)> = match user {
                Some(u) => {
                    let (id, key) = &sessions[u];
                    vec![
                        ("Koji-Session-Id", id.as_str()),
                        ("Koji-Session-Key", key.as_str()),
                    ]
                }
                None => vec![],
            };
            // the params as recorded (keyword arguments stay a __starstar struct)
            rpc_at(a, "/kojihub", &h, &call.method, call.params, &[]).await
        };
        replayed += 1;
        let token_of = |v: &Value| v.get("token").and_then(Value::as_str).map(str::to_owned);
        if let (Ok(w), Ok(g)) = (&want, &got) {
            if let (Some(wt), Some(gt)) = (token_of(w), token_of(g)) {
                tokens.insert(wt, gt);
            }
        }
        let same = match (&want, &got) {
            (Err(w), Err(g)) => w.code == g.code && w.string == g.string,
            (Ok(w @ (Value::Int(_) | Value::Nil | Value::Bool(_))), Ok(g)) => w == g,
            (Ok(w), Ok(g)) => {
                // a build's id and NVR, where the recorded answer has them
                let key = |v: &Value, k: &str| v.get(k).cloned();
                shape(w) == shape(g)
                    && ["build_id", "nvr", "state", "owner_name", "cg_name"]
                        .iter()
                        .all(|k| key(w, k) == key(g, k))
            }
            _ => false,
        };
        if !same {
            differ.push(format!(
                "{prefix}: recorded {:?}, testhub {:?}",
                want.as_ref().map(shape),
                got.as_ref().map(shape)
            ));
        }
    }
    assert!(replayed >= 75, "only {replayed} exchanges replayed");
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    hub.shutdown().await;
}
