//! On a terminal (a pseudo-terminal from util-linux `script`): colour on
//! stdout unless NO_COLOR is set, and multicall's progress bar on stderr,
//! never mixed into the JSON on stdout.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::Command;

use support::{Env, dataset};

/// Runs the shell command `line` with stdin, stdout and stderr on a
/// pseudo-terminal, and returns what the terminal showed.
fn on_terminal(line: &str, home: &Path, no_color: bool) -> String {
    let mut cmd = Command::new("script");
    cmd.args(["-qec", line, "/dev/null"])
        .env_clear()
        .env("HOME", home)
        .env("TZ", "UTC")
        .env("TERM", "xterm")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run `script` ({e}): install util-linux (scripts/install-test-deps)")
    });
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn rkoji_line(env: &Env, args: &str) -> String {
    format!(
        "{} -c {} -p testhub {args}",
        assert_cmd::cargo::cargo_bin("rkoji").display(),
        env.config.display()
    )
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let env = Env::start();
    let line = rkoji_line(&env, "builds hello --limit 2");
    let coloured = on_terminal(&line, env.home.path(), false);
    assert!(
        coloured.contains("\x1b[32mCOMPLETE\x1b[0m"),
        "COMPLETE in green: {coloured:?}"
    );
    let plain = on_terminal(&line, env.home.path(), true);
    assert!(plain.contains("COMPLETE"), "{plain:?}");
    assert!(!plain.contains('\x1b'), "NO_COLOR: {plain:?}");
    // --json is never coloured.
    let json = on_terminal(
        &rkoji_line(&env, "--json buildinfo 3"),
        env.home.path(),
        false,
    );
    assert!(!json.contains('\x1b'), "{json:?}");
}

#[test]
fn multicall_progress_goes_to_the_terminal_not_into_the_output() {
    let env = Env::start();
    let builds = dataset("builds");
    let n = builds.as_object().unwrap().len();
    let input = env.home.path().join("calls.jsonl");
    let output = env.home.path().join("out.jsonl");
    let mut text = String::new();
    for id in builds.as_object().unwrap().keys() {
        text.push_str(&format!("{{\"method\": \"getBuild\", \"args\": [{id}]}}\n"));
    }
    std::fs::write(&input, text).unwrap();
    let line = format!(
        "{} < {} > {}",
        rkoji_line(&env, "multicall --batch 5"),
        input.display(),
        output.display()
    );
    let terminal = on_terminal(&line, env.home.path(), false);
    assert!(
        terminal.contains(&format!("{n}/{n} calls")),
        "the bar reaches {n}/{n}: {terminal:?}"
    );
    let out = std::fs::read_to_string(&output).unwrap();
    assert_eq!(out.lines().count(), n);
    for l in out.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v["build_id"].is_i64(), "{l}");
    }
}
