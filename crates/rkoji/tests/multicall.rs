//! `rkoji multicall`: JSON lines in, one result or fault per line out, in
//! order, sent through the library's multicall in as many requests as
//! `--batch` asks; a malformed line fails the run before anything is sent.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::{Env, dataset, run};

#[test]
fn one_result_or_fault_per_line_in_order() {
    let env = Env::start();
    let builds = dataset("builds");
    let mut ids: Vec<i64> = builds
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.parse().unwrap())
        .collect();
    ids.sort_unstable();
    let mut input = String::new();
    let mut expected = Vec::new();
    for id in &ids {
        input.push_str(&format!("{{\"method\": \"getBuild\", \"args\": [{id}]}}\n"));
        expected.push(builds[id.to_string()].clone());
    }
    // A fault in the middle, keyword arguments, a blank line (skipped).
    input.push_str(
        "{\"method\": \"getBuild\", \"args\": [\"nosuch-1-1\"], \"kwargs\": {\"strict\": true}}\n",
    );
    input.push('\n');
    input.push_str("{\"method\": \"getBuild\", \"args\": [3], \"kwargs\": {\"strict\": true}}\n");
    input.push_str("{\"method\": \"echo\", \"args\": [1, \"two\", null, {\"a\": [true]}]}\n");

    env.hub().clear_requests();
    let out = run(env.rkoji(&["multicall", "--batch", "4"]), Some(&input)).ok();
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), ids.len() + 3, "{}", out.stdout);
    for (got, want) in lines.iter().zip(&expected) {
        assert_eq!(got, want);
    }
    let fault = &lines[ids.len()]["fault"];
    assert_eq!(fault["code"], 1000);
    assert!(
        fault["message"].as_str().unwrap().contains("nosuch-1-1"),
        "{fault}"
    );
    assert_eq!(lines[ids.len() + 1], builds["3"]);
    assert_eq!(lines[ids.len() + 2], json!([1, "two", null, {"a": [true]}]));
    // --batch 4: ceil(calls / 4) system.multicall requests.
    let calls = ids.len() + 3;
    let requests = env
        .hub()
        .requests()
        .iter()
        .filter(|r| r.method.as_deref() == Some("system.multicall"))
        .count();
    assert_eq!(requests, calls.div_ceil(4));
    // No progress bar when stderr is not a terminal.
    assert_eq!(out.stderr, "");
}

#[test]
fn a_malformed_line_exits_2_naming_it_and_sends_nothing() {
    let env = Env::start();
    for (bad, what) in [
        ("{\"method\": \"getBuild\", \"args\": 3}", "invalid type"),
        ("{\"method\": \"getBuild\", \"argz\": [3]}", "unknown field"),
        ("not json", "expected"),
        ("{\"args\": [3]}", "missing field `method`"),
        ("{\"method\": \"\"}", "the method is empty"),
    ] {
        let input = format!(
            "{{\"method\": \"getBuild\", \"args\": [1]}}\n\n{bad}\n{{\"method\": \"getBuild\", \"args\": [2]}}\n"
        );
        env.hub().clear_requests();
        run(env.rkoji(&["multicall"]), Some(&input)).fails(2, "stdin line 3");
        let r = run(env.rkoji(&["multicall"]), Some(&input));
        assert!(r.stderr.contains(what), "{bad}: {}", r.stderr);
        assert_eq!(env.hub().request_count(), 0, "{bad}: nothing is sent");
    }
    run(env.rkoji(&["multicall", "--batch", "0"]), Some("")).fails(2, "--batch");
}

#[test]
fn empty_input_prints_nothing() {
    let env = Env::start();
    let out = run(env.rkoji(&["multicall"]), Some("\n\n")).ok();
    assert_eq!(out.stdout, "");
}
