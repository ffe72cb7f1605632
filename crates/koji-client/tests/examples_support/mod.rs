//! Builds the programs of `examples/` for the tests that run them.
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The features this test was built with, for building the examples alike.
pub fn features() -> Vec<&'static str> {
    let mut on = Vec::new();
    if cfg!(feature = "blocking") {
        on.push("blocking");
    }
    if cfg!(feature = "stomp") {
        on.push("stomp");
    }
    if cfg!(feature = "amqp") {
        on.push("amqp");
    }
    if cfg!(feature = "amqp1") {
        on.push("amqp1");
    }
    on
}

/// Example name → executable, built once per test run.
pub fn examples() -> &'static HashMap<String, PathBuf> {
    static BUILT: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args([
            "build",
            "--package",
            "koji-client",
            "--examples",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
        let features = features();
        if !features.is_empty() {
            cmd.arg("--features").arg(features.join(","));
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "cargo build --examples failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut found = HashMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let is_example = msg["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "example"));
            if let (true, Some(exe)) = (is_example, msg["executable"].as_str()) {
                let name = msg["target"]["name"].as_str().unwrap().to_owned();
                found.insert(name, PathBuf::from(exe));
            }
        }
        found
    })
}
