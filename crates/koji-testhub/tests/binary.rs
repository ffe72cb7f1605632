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

/// A stand-in for rkoji that reports what `koji-testhub run` gave it.
fn fake_rkoji(dir: &std::path::Path, exit: i32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("rkoji");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args\"\n\
             cat \"$2\" > \"$(dirname \"$0\")/conf\"\nexit {exit}\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn run_gives_rkoji_a_testhub_profile_and_passes_its_status_through() {
    let dir = tempfile::tempdir().unwrap();
    let rkoji = fake_rkoji(dir.path(), 7);
    let out = Command::new(env!("CARGO_BIN_EXE_koji-testhub"))
        .arg("run")
        .arg("--rkoji")
        .arg(&rkoji)
        .args(["builds", "hello", "--limit", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args[0], "-c");
    assert_eq!(
        args[2..],
        ["-p", "testhub", "builds", "hello", "--limit", "5"]
    );
    let conf = std::fs::read_to_string(dir.path().join("conf")).unwrap();
    assert!(
        conf.starts_with("[testhub]\nserver = http://127.0.0.1:"),
        "{conf}"
    );
    assert!(
        conf.contains("/kojihub\nweburl = http://127.0.0.1:"),
        "{conf}"
    );
    assert!(conf.contains("/koji\nauthtype = noauth\n"), "{conf}");
    // The hub is stopped and the configuration removed afterwards.
    assert!(!std::path::Path::new(args[1]).exists(), "{}", args[1]);
}

#[test]
fn run_says_how_to_get_rkoji_when_it_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_koji-testhub"))
        .args(["run", "--rkoji"])
        .arg(dir.path().join("no-such-rkoji"))
        .args(["builds", "hello"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-rkoji"), "{err}");
}
