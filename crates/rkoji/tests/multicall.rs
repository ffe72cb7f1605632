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

/// The output format, pinned byte for byte: `multicall-format.out` is what
/// `rkoji multicall` printed for `multicall-format.in` when it collected every
/// result into a `Value` and wrote it with `serde_json::to_string` (commit
/// 616b481), before results were streamed. Results, faults in the middle and
/// at the end, doubles in every form serde_json writes, non-ASCII and control
/// characters, nested values; in one request, and across several (the order
/// of the lines does not depend on how the calls were cut into requests).
#[test]
fn output_is_byte_for_byte_what_collecting_printed() {
    let env = Env::start();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let input = std::fs::read_to_string(data.join("multicall-format.in")).unwrap();
    let want = std::fs::read_to_string(data.join("multicall-format.out")).unwrap();
    assert_eq!(want.lines().count(), 10, "one line per call");
    for batch in ["500", "1", "3"] {
        let out = run(env.rkoji(&["multicall", "--batch", batch]), Some(&input)).ok();
        assert_eq!(out.stdout, want, "--batch {batch}");
    }
}

/// A request that fails as a whole ends the run with its error, after the
/// lines of the calls before it.
#[test]
fn a_failed_request_ends_the_output_after_the_earlier_results() {
    // The second request is too long for the hub (HTTP 400), the first is not.
    let env = Env::start_with(
        koji_testhub::TestHub::builder().max_request_length(4000),
        "authtype = noauth\n",
    );
    let mut input = "{\"method\": \"echo\", \"args\": [1]}\n".repeat(2);
    input.push_str(&format!(
        "{{\"method\": \"echo\", \"args\": [\"{}\"]}}\n",
        "x".repeat(5000)
    ));
    let r = run(env.rkoji(&["multicall", "--batch", "2"]), Some(&input));
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "[1]\n[1]\n", "{}", r.stderr);
    assert!(r.stderr.contains("400"), "{}", r.stderr);
}

/// A call that cannot be encoded (a control character XML cannot carry)
/// fails the run naming its line, before anything is sent or printed.
#[test]
fn a_call_that_cannot_be_encoded_exits_2_and_sends_nothing() {
    let env = Env::start();
    let input =
        "{\"method\": \"echo\", \"args\": [1]}\n{\"method\": \"echo\", \"args\": [\"a\\u0001\"]}\n";
    env.hub().clear_requests();
    run(env.rkoji(&["multicall"]), Some(input)).fails(2, "stdin line 2");
    assert_eq!(env.hub().request_count(), 0);
}

/// Large generated answers, over two requests: every line complete, in order.
#[test]
fn large_answers_print_whole_lines_in_order() {
    let env = Env::start_with(
        koji_testhub::TestHub::builder().generate(koji_testhub::GenerateOptions {
            builds: 2000,
            tasks: 10,
            ..koji_testhub::GenerateOptions::default()
        }),
        "authtype = noauth\n",
    );
    let input = "{\"method\": \"listBuilds\"}\n{\"method\": \"getBuild\", \"args\": [7]}\n{\"method\": \"listBuilds\"}\n";
    let out = run(env.rkoji(&["multicall", "--batch", "2"]), Some(input)).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3);
    let builds: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(builds.as_array().unwrap().len(), 2000);
    assert_eq!(lines[0], lines[2]);
    let seven: Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(seven["id"], 7);
}
