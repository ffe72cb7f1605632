//! The `koji-testhub` binary: prints its URL, serves, refuses non-loopback binds.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use koji_xmlrpc::Value;

#[tokio::test]
async fn binary_serves_generated_data_and_prints_its_url() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_koji-testhub"))
        .args(["--generate", "40", "--trust-login-as", "alice"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/kojihub"),
        "{url}"
    );
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/kojihub")
        .parse()
        .unwrap();
    let n = support::rpc(
        addr,
        "listBuilds",
        vec![],
        &[("queryOpts", {
            let mut s = koji_xmlrpc::Struct::new();
            s.insert("countOnly".into(), Value::Bool(true));
            Value::Struct(s)
        })],
    )
    .await
    .unwrap();
    assert_eq!(n, Value::Int(40));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn binary_refuses_non_loopback_binds() {
    let out = Command::new(env!("CARGO_BIN_EXE_koji-testhub"))
        .args(["--bind", "0.0.0.0:0", "--generate", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on non-loopback address"),
        "{err}"
    );
}
