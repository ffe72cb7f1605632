//! Replay fidelity of the write calls: every recorded write exchange
//! (koji-client's `tests/fixtures/exchanges-write/`, from the real hub) is
//! sent again, in the recorded order and as the recorded user, to one
//! koji-testhub started from the same data set, and its answer must match:
//! the same fault code and text, the same task or build id, nil/bool the
//! same, a struct with the same members. Exchanges that need what the
//! test hub does not have are listed with the reason.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::path::PathBuf;

use koji_testhub::TestHub;
use koji_xmlrpc::Value;
use support::rpc_at;

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
    ("412", "rawUpload: not an XML-RPC body"),
    (
        "480",
        "cancelBuild of a build made by host.initBuild (no host calls)",
    ),
    (
        "481",
        "cancelBuild of a build made by host.initBuild (no host calls)",
    ),
    ("490", "CGImport is not implemented"),
    ("492", "CGImport is not implemented"),
    ("504", "CGImport is not implemented"),
];

/// Exchanges whose answer is a new id that the exchanges not replayed
/// shifted: only its type is compared.
const ID_SHIFTED: &[(&str, &str)] = &[(
    "512",
    "createEmptyBuild: builds 26-31 came from host.initBuild, CGImport and CGInitBuild",
)];

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
    for prefix in &prefixes {
        let seq = prefix.split('-').next().unwrap();
        if NOT_REPLAYED.iter().any(|(s, _)| *s == seq) {
            continue;
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
        let call = koji_xmlrpc::decode_call(&request).unwrap();
        let want = koji_xmlrpc::decode_response::<Value>(
            &std::fs::read(dir().join(format!("{prefix}.response.xml"))).unwrap(),
        )
        .unwrap();
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
        let got = rpc_at(a, "/kojihub", &h, &call.method, call.params.clone(), &[]).await;
        replayed += 1;
        let shifted = ID_SHIFTED.iter().any(|(s, _)| *s == seq);
        let same = match (&want, &got) {
            (Ok(Value::Int(_)), Ok(Value::Int(_))) if shifted => true,
            (Err(w), Err(g)) => w.code == g.code && w.string == g.string,
            (Ok(w @ (Value::Int(_) | Value::Nil | Value::Bool(_))), Ok(g)) => w == g,
            (Ok(w), Ok(g)) => shape(w) == shape(g),
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
    assert!(replayed >= 45, "only {replayed} exchanges replayed");
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    hub.shutdown().await;
}
