//! Finds and loads the shared realhub fixtures.
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

use std::path::PathBuf;

use serde_json::Value;

/// `$KOJI_SHARED_DIR`, else `<workspace root>/../shared`.
pub fn shared_dir() -> PathBuf {
    let dir = match std::env::var_os("KOJI_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    assert!(
        dir.join("fixtures/realhub/dataset").is_dir(),
        "shared fixtures not found at {} (set KOJI_SHARED_DIR)",
        dir.display()
    );
    dir
}

/// The `data` member of `fixtures/realhub/dataset/<name>.json`.
pub fn dataset(name: &str) -> Value {
    let path = shared_dir().join(format!("fixtures/realhub/dataset/{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["data"].take()
}

/// The decoded JSON body of bus message `messages/amqp/<name>.json`.
pub fn message_body(name: &str) -> Value {
    let path = shared_dir().join(format!("fixtures/realhub/messages/amqp/{name}.json"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::from_str(doc["body"].as_str().unwrap()).unwrap()
}

/// Entries of a dataset object keyed by id (as a string), as (id, value).
pub fn by_id(data: &Value) -> Vec<(i64, &Value)> {
    data.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.parse().unwrap(), v))
        .collect()
}

/// Every recorded exchange: (prefix, request body, response body), except
/// the deliberately huge ones (the 4 MiB request-size tests), which hold no
/// model data.
pub fn exchanges() -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let dir = shared_dir().join("fixtures/realhub/exchanges");
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    index["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            let prefix = e["prefix"].as_str().unwrap();
            let size = std::fs::metadata(dir.join(format!("{prefix}.request.xml")))
                .unwrap()
                .len();
            size < 1 << 20
        })
        .map(|e| {
            let prefix = e["prefix"].as_str().unwrap().to_owned();
            let request = std::fs::read(dir.join(format!("{prefix}.request.xml"))).unwrap();
            let response = std::fs::read(dir.join(format!("{prefix}.response.xml"))).unwrap();
            (prefix, request, response)
        })
        .collect()
}
