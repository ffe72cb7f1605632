//! `rkoji call` against `koji call --json-output` (the official client, from
//! the venv of scripts/setup-venv): the same bytes for the same answers of
//! koji-testhub serving the real hub's data set. Python oracle tier.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{Env, run};

/// The `koji` command of the venv with the official client.
fn koji_cli() -> PathBuf {
    let python = match std::env::var_os("KOJI_TEST_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
    };
    let koji = python.with_file_name("koji");
    assert!(
        koji.exists(),
        "{} not found: run scripts/setup-venv (or set KOJI_TEST_PYTHON)",
        koji.display()
    );
    koji
}

#[test]
fn rkoji_call_prints_what_koji_call_json_output_prints() {
    let env = Env::start();
    let koji = koji_cli();
    let cases: &[&[&str]] = &[
        &["listBuilds"],
        &["getBuild", "3"],
        &["listTasks"],
        &["getTaskInfo", "2"],
        &["listPackages"],
        &["getLoggedInUser"],
        &[
            "echo",
            "\"Zoë 😀 \\\\ \\\"q\\\" \\t\"",
            "1e16",
            "0.00001",
            "[]",
            "{}",
            "null",
            "[-0.0, 1.5e-7, 123456789.125]",
        ],
    ];
    for args in cases {
        let ours = run(env.rkoji(&[&["call"], *args].concat()), None).ok();
        let mut theirs = Command::new(&koji);
        theirs
            .env_clear()
            .env("HOME", env.home.path())
            .arg("-c")
            .arg(&env.config)
            .arg("-p")
            .arg("testhub")
            .arg("--noauth")
            .args(["call", "--json-output", "--json-input"])
            .args(*args);
        let out = theirs.output().unwrap();
        assert!(
            out.status.success(),
            "koji call {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = String::from_utf8(out.stdout).unwrap();
        assert!(theirs.len() > 2, "{args:?}: {theirs}");
        assert_eq!(ours.stdout, theirs, "rkoji call {args:?}");
    }
}
