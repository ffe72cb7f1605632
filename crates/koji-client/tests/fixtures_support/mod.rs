//! Loads the realhub fixtures: the data set (built into koji-testhub) and
//! the recorded exchanges and messages (carried by koji-testenv).
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

use serde_json::Value;

/// The `data` member of the realhub data set file `<name>.json`.
pub fn dataset(name: &str) -> Value {
    let text = koji_testhub::realhub::file(&format!("{name}.json"))
        .unwrap_or_else(|| panic!("no data set file {name}.json"));
    let mut doc: Value = serde_json::from_str(text).unwrap();
    doc["data"].take()
}

/// The decoded JSON body of bus message `messages/amqp/<name>.json`.
pub fn message_body(name: &str) -> Value {
    let path = koji_testenv::realhub::messages_dir().join(format!("amqp/{name}.json"));
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
    let dir = koji_testenv::realhub::exchanges_dir();
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
