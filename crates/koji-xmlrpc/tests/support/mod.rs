//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

/// The recorded realhub exchanges (carried by koji-testenv).
pub(crate) fn exchanges_dir() -> PathBuf {
    koji_testenv::realhub::exchanges_dir()
}

/// One entry of `exchanges/index.json`.
pub(crate) struct Exchange {
    pub(crate) prefix: String,
    pub(crate) xml_response: bool,
    pub(crate) request_wellformed: bool,
    pub(crate) response_wellformed: bool,
    pub(crate) shows: String,
}

pub(crate) fn exchanges() -> Vec<Exchange> {
    let path = exchanges_dir().join("index.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| Exchange {
            prefix: e["prefix"].as_str().unwrap().to_string(),
            xml_response: e["xml_response"].as_bool().unwrap(),
            request_wellformed: e["request_wellformed_xml"].as_bool().unwrap(),
            response_wellformed: e["response_wellformed_xml"].as_bool().unwrap(),
            shows: e["shows"].as_str().unwrap_or("").to_string(),
        })
        .collect()
}

pub(crate) fn read(prefix: &str, suffix: &str) -> Vec<u8> {
    std::fs::read(exchanges_dir().join(format!("{prefix}.{suffix}"))).unwrap()
}

/// The Python interpreter of the venv with the official koji client.
pub(crate) fn python() -> PathBuf {
    let p = match std::env::var_os("KOJI_TEST_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
    };
    assert!(
        p.exists(),
        "Python oracle {} not found: run scripts/setup-venv (or set KOJI_TEST_PYTHON)",
        p.display()
    );
    p
}
