//! Every rkoji command, run as the built binary against koji-testhub
//! serving the real hub's data set: `--json` output compared member by
//! member with the data set, human output checked for its key facts.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::{Env, assert_hub_object, dataset, from_epoch, run, ts};

/// The `listBuilds` rows of `package`, newest first.
fn builds_of(package: &str) -> Vec<Value> {
    let mut rows: Vec<Value> = dataset("listBuilds")
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["package_name"] == package)
        .cloned()
        .collect();
    rows.sort_by_key(|b| std::cmp::Reverse(b["build_id"].as_i64().unwrap()));
    rows
}

#[test]
fn builds_of_hello_limit_5_the_main_job() {
    let env = Env::start();
    let expected = builds_of("hello");
    assert!(!expected.is_empty());
    let shown: Vec<&Value> = expected.iter().take(5).collect();

    let out = run(
        env.rkoji(&["--json", "builds", "hello", "--limit", "5"]),
        None,
    )
    .ok();
    let got = out.json();
    let got = got.as_array().unwrap();
    assert_eq!(got.len(), shown.len());
    for (g, e) in got.iter().zip(&shown) {
        let id = e["build_id"].as_i64().unwrap();
        assert_hub_object(g, e, &format!("build {id}"));
        let d = &g["derived"];
        assert_eq!(d["state_name"], "COMPLETE");
        assert_eq!(d["task_id"], e["task_id"]);
        assert_eq!(
            d["url"],
            json!(format!("{}/buildinfo?buildID={id}", env.weburl()))
        );
        assert_eq!(ts(&d["completed"]), from_epoch(&e["completion_ts"]));
        let secs = e["completion_ts"].as_f64().unwrap() - e["start_ts"].as_f64().unwrap();
        assert!((d["duration_secs"].as_f64().unwrap() - secs).abs() < 1e-3);
    }

    let text = run(env.rkoji(&["builds", "hello", "--limit", "5"]), None)
        .ok()
        .stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("NVR"), "{text}");
    assert_eq!(lines.len(), shown.len() + 1, "{text}");
    for (line, e) in lines[1..].iter().zip(&shown) {
        assert!(line.starts_with(e["nvr"].as_str().unwrap()), "{line}");
        assert!(
            line.contains("COMPLETE") && line.contains("alice"),
            "{line}"
        );
        assert!(line.contains(" UTC"), "times are local (TZ=UTC): {line}");
    }
    assert!(!text.contains('\x1b'), "no colour off a terminal");

    // --limit and --state.
    let got = run(
        env.rkoji(&["--json", "builds", "hello", "--limit", "2"]),
        None,
    )
    .ok()
    .json();
    assert_eq!(got.as_array().unwrap().len(), 2);
    let failed = run(
        env.rkoji(&["--json", "builds", "foo-container", "--state", "failed"]),
        None,
    )
    .ok()
    .json();
    let expected_failed: Vec<Value> = builds_of("foo-container")
        .into_iter()
        .filter(|b| b["state"] == 3)
        .collect();
    assert!(!expected_failed.is_empty());
    let ids = |v: &[Value]| v.iter().map(|b| b["build_id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(failed.as_array().unwrap()), ids(&expected_failed));
    run(env.rkoji(&["builds", "hello", "--state", "PURPLE"]), None).fails(2, "unknown build state");
}

#[test]
fn build_by_nvr_and_by_id() {
    let env = Env::start();
    let builds = dataset("builds");
    let tags = dataset("tag_build_tags");
    for (key, arg) in [("3", "hello-1.2-1.fc40"), ("17", "17")] {
        let expected = &builds[key];
        let got = run(env.rkoji(&["--json", "buildinfo", arg]), None)
            .ok()
            .json();
        assert_hub_object(&got, expected, &format!("build {arg}"));
        let tag_names: Vec<&Value> = tags[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["name"])
            .collect();
        assert_eq!(got["derived"]["tags"], json!(tag_names));
        assert_eq!(got["derived"]["state_name"], "COMPLETE");

        let text = run(env.rkoji(&["buildinfo", arg]), None).ok().stdout;
        assert!(text.contains(expected["nvr"].as_str().unwrap()), "{text}");
        assert!(
            text.contains("State:") && text.contains("COMPLETE"),
            "{text}"
        );
        assert!(text.contains(expected["owner_name"].as_str().unwrap()));
        for name in &tag_names {
            assert!(text.contains(name.as_str().unwrap()), "{text}");
        }
        assert!(
            text.contains(&format!("{}/buildinfo?buildID={key}", env.weburl())),
            "{text}"
        );
    }
    // Build 17 has a task: its kojiweb URL is shown.
    let text = run(env.rkoji(&["buildinfo", "17"]), None).ok().stdout;
    let task = builds["17"]["task_id"].as_i64().unwrap();
    assert!(text.contains(&format!("taskinfo?taskID={task}")), "{text}");

    run(env.rkoji(&["buildinfo", "nosuch-1.0-1"]), None).fails(1, "no such build: nosuch-1.0-1");
}

#[test]
fn task_with_descendents_owner_and_estimate() {
    let env = Env::start();
    let tasks = dataset("tasks");
    let users = dataset("users");
    let trees = dataset("task_descendents");

    let expected = &tasks["2"];
    let got = run(env.rkoji(&["--json", "task", "2"]), None).ok().json();
    assert_hub_object(&got, expected, "task 2");
    let d = &got["derived"];
    assert_eq!(d["state_name"], "CLOSED");
    let owner = expected["owner"].as_i64().unwrap().to_string();
    assert_eq!(d["owner_name"], users[&owner]["name"]);
    let mut sub_ids: Vec<i64> = trees["2"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|list| list.as_array().unwrap())
        .map(|t| t["id"].as_i64().unwrap())
        .filter(|&id| id != 2)
        .collect();
    sub_ids.sort_unstable();
    let got_ids: Vec<i64> = d["descendents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got_ids, sub_ids);
    for sub in d["descendents"].as_array().unwrap() {
        let e = &tasks[&sub["id"].to_string()];
        assert_eq!(sub["method"], e["method"]);
        let secs = e["completion_ts"].as_f64().unwrap() - e["start_ts"].as_f64().unwrap();
        assert!((sub["duration_secs"].as_f64().unwrap() - secs).abs() < 1e-3);
    }
    // A finished task's estimate is what happened.
    assert_eq!(
        ts(&d["estimated_completion"]),
        from_epoch(&expected["completion_ts"])
    );
    assert_eq!(d["estimate_error"], Value::Null);

    let text = run(env.rkoji(&["task", "2"]), None).ok().stdout;
    for fact in ["Method:", "build", "CLOSED", "alice", "Package:", "hello"] {
        assert!(text.contains(fact), "{fact}: {text}");
    }
    for id in &sub_ids {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{id} "))),
            "subtask {id}: {text}"
        );
    }

    // An open container build: estimated from foo-container's last builds.
    let got = run(env.rkoji(&["--json", "task", "26"]), None).ok().json();
    let start = from_epoch(&tasks["26"]["start_ts"]);
    let mean = last_complete_builds_mean("foo-container", 5);
    let when = ts(&got["derived"]["estimated_completion"]);
    let expected_when = start + jiff::SignedDuration::from_secs_f64(mean);
    assert!(
        (when.duration_since(expected_when)).abs() < jiff::SignedDuration::from_millis(5),
        "{when} vs {expected_when}"
    );
    let text = run(env.rkoji(&["task", "26"]), None).ok().stdout;
    assert!(
        text.contains("Estimate:") && text.contains("runs about"),
        "{text}"
    );

    // libfoo has no average: the task says so instead of failing.
    let got = run(env.rkoji(&["--json", "task", "11"]), None).ok().json();
    assert_eq!(got["derived"]["estimated_completion"], Value::Null);
    assert!(
        got["derived"]["estimate_error"]
            .as_str()
            .unwrap()
            .contains("libfoo")
    );

    run(env.rkoji(&["task", "999"]), None).fails(1, "no such task: 999");
}

/// The mean duration of `package`'s last `n` COMPLETE builds, from the data set.
fn last_complete_builds_mean(package: &str, n: usize) -> f64 {
    let builds = dataset("builds");
    let mut complete: Vec<&Value> = builds
        .as_object()
        .unwrap()
        .values()
        .filter(|b| b["package_name"] == package && b["state"] == 1)
        .collect();
    complete.sort_by_key(|b| std::cmp::Reverse(b["build_id"].as_i64().unwrap()));
    let durations: Vec<f64> = complete
        .iter()
        .take(n)
        .map(|b| b["completion_ts"].as_f64().unwrap() - b["start_ts"].as_f64().unwrap())
        .collect();
    assert!(!durations.is_empty());
    durations.iter().sum::<f64>() / durations.len() as f64
}

#[test]
fn estimate_of_packages_and_tasks() {
    let env = Env::start();
    let averages = dataset("average_build_duration");
    let tasks = dataset("tasks");

    let got = run(env.rkoji(&["--json", "estimate", "hello"]), None)
        .ok()
        .json();
    assert_eq!(got["package"], "hello");
    assert_eq!(got["average_duration_secs"], averages["hello"]);
    assert_eq!(got["measured_from"], "getAverageBuildDuration");
    let text = run(env.rkoji(&["estimate", "hello"]), None).ok().stdout;
    assert!(
        text.contains("hello: builds take 2 sec on average"),
        "{text}"
    );

    // A container package: its last five COMPLETE builds.
    let got = run(env.rkoji(&["--json", "estimate", "foo-container"]), None)
        .ok()
        .json();
    let mean = last_complete_builds_mean("foo-container", 5);
    assert!((got["average_duration_secs"].as_f64().unwrap() - mean).abs() < 1e-3);

    // No average: not found.
    assert_eq!(averages["libfoo"], Value::Null);
    run(env.rkoji(&["estimate", "libfoo"]), None).fails(1, "no average build duration for libfoo");
    run(env.rkoji(&["estimate", "no-such-package"]), None).fails(1, "no-such-package");

    // A finished task: its real completion and duration.
    let got = run(env.rkoji(&["--json", "estimate", "2"]), None)
        .ok()
        .json();
    assert_eq!(got["task_id"], 2);
    assert_eq!(got["finished"], true);
    assert_eq!(
        ts(&got["estimated_completion"]),
        from_epoch(&tasks["2"]["completion_ts"])
    );
    let secs =
        tasks["2"]["completion_ts"].as_f64().unwrap() - tasks["2"]["start_ts"].as_f64().unwrap();
    assert!((got["estimated_duration_secs"].as_f64().unwrap() - secs).abs() < 1e-3);

    // An open one.
    let got = run(env.rkoji(&["--json", "estimate", "26"]), None)
        .ok()
        .json();
    assert_eq!(got["finished"], false);
    assert_eq!(got["package"], "foo-container");
    assert!((got["estimated_duration_secs"].as_f64().unwrap() - mean).abs() < 1e-3);
    let text = run(env.rkoji(&["estimate", "26"]), None).ok().stdout;
    assert!(
        text.contains("Estimate:") && text.contains("foo-container"),
        "{text}"
    );

    // A free task waits for its channel: estimated from the channel's queue.
    let got = run(env.rkoji(&["--json", "estimate", "27"]), None)
        .ok()
        .json();
    let created = from_epoch(&tasks["27"]["create_ts"]);
    assert!(ts(&got["estimated_completion"]) > created);

    // No estimate for an open build whose package has no average.
    run(env.rkoji(&["estimate", "11"]), None).fails(1, "cannot estimate task 11");
    run(env.rkoji(&["estimate", "999"]), None).fails(1, "no such task: 999");
}

#[test]
fn channel_hosts_capacity_and_task_estimates() {
    let env = Env::start();
    let channels = dataset("channel_by_id");
    let hosts = dataset("channel_hosts");
    let tasks = dataset("listTasks_decoded");
    for (arg, id) in [("default", "1"), ("9", "9")] {
        let got = run(env.rkoji(&["--json", "channel", arg]), None)
            .ok()
            .json();
        assert_hub_object(&got["channel"], &channels[id], &format!("channel {arg}"));
        let expected_hosts = hosts[id].as_array().unwrap();
        let got_hosts = got["hosts"].as_array().unwrap();
        assert_eq!(got_hosts.len(), expected_hosts.len());
        for (g, e) in got_hosts.iter().zip(expected_hosts) {
            assert_hub_object(g, e, &format!("host {}", e["name"]));
        }
        let capacity: f64 = expected_hosts
            .iter()
            .filter(|h| h["enabled"] == true)
            .map(|h| h["capacity"].as_f64().unwrap())
            .sum();
        assert_eq!(got["channel"]["derived"]["total_capacity"], json!(capacity));
        let channel_id: i64 = id.parse().unwrap();
        let mut active: Vec<i64> = tasks
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["channel_id"] == channel_id)
            .filter(|t| [0, 1, 4].contains(&t["state"].as_i64().unwrap()))
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        active.sort_unstable();
        let mut got_ids: Vec<i64> = got["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        got_ids.sort_unstable();
        assert_eq!(got_ids, active, "channel {arg}");
        for t in got["tasks"].as_array().unwrap() {
            let d = &t["derived"];
            // Every task has an estimate or says why not.
            assert!(
                d["estimated_completion"].is_string() ^ d["estimate_error"].is_string(),
                "{t}"
            );
        }

        let text = run(env.rkoji(&["channel", arg]), None).ok().stdout;
        assert!(text.contains(channels[id]["name"].as_str().unwrap()));
        assert!(text.contains("ESTIMATE"), "{text}");
        for h in expected_hosts {
            assert!(text.contains(h["name"].as_str().unwrap()), "{text}");
        }
        for t in &active {
            assert!(
                text.lines().any(|l| l.starts_with(&format!("{t} "))),
                "task {t}: {text}"
            );
        }
    }
    // Task 26 (container) is estimated like `estimate 26`.
    let got = run(env.rkoji(&["--json", "channel", "container"]), None)
        .ok()
        .json();
    let single = run(env.rkoji(&["--json", "estimate", "26"]), None)
        .ok()
        .json();
    let t26 = got["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == 26)
        .unwrap();
    assert_eq!(
        t26["derived"]["estimated_completion"],
        single["estimated_completion"]
    );

    run(env.rkoji(&["channel", "nosuch"]), None).fails(1, "no such channel: nosuch");
}

#[test]
fn call_any_method_with_json_and_string_arguments() {
    let env = Env::start();
    let builds = dataset("builds");
    // A number argument, a string argument.
    let by_id = run(env.rkoji(&["call", "getBuild", "3"]), None).ok().json();
    assert_eq!(by_id, builds["3"]);
    let by_nvr = run(env.rkoji(&["call", "getBuild", "hello-1.2-1.fc40"]), None)
        .ok()
        .json();
    assert_eq!(by_nvr, builds["3"]);
    // Keyword arguments, JSON values.
    let got = run(
        env.rkoji(&[
            "call",
            "listBuilds",
            "--kwarg",
            "packageID=1",
            "--kwarg",
            r#"queryOpts={"order": "build_id"}"#,
        ]),
        None,
    )
    .ok()
    .json();
    let mut expected = builds_of("hello");
    expected.reverse();
    assert_eq!(got, json!(expected));
    // A quoted JSON string stays a string.
    let got = run(env.rkoji(&["call", "echo", "\"3\"", "[1,\"a\"]"]), None)
        .ok()
        .json();
    assert_eq!(got, json!(["3", [1, "a"]]));
}

#[test]
fn web_urls_show_their_object() {
    let env = Env::start();
    let web = env.weburl();
    let build = run(
        env.rkoji(&["--json", "web", &format!("{web}/buildinfo?buildID=3")]),
        None,
    )
    .ok()
    .json();
    assert_hub_object(&build, &dataset("builds")["3"], "web build");
    let task = run(
        env.rkoji(&["--json", "web", &format!("{web}/taskinfo?taskID=2")]),
        None,
    )
    .ok()
    .json();
    assert_hub_object(&task, &dataset("tasks")["2"], "web task");
    let package = run(
        env.rkoji(&["--json", "web", &format!("{web}/packageinfo?packageID=1")]),
        None,
    )
    .ok()
    .json();
    assert_eq!(package, dataset("package_by_id")["1"]);
    let user = run(
        env.rkoji(&["--json", "web", &format!("{web}/userinfo?userID=2")]),
        None,
    )
    .ok()
    .json();
    let expected = &dataset("users")["2"];
    for key in ["id", "name", "status", "usertype", "krb_principals"] {
        assert_eq!(user[key], expected[key], "{key}");
    }
    let text = run(
        env.rkoji(&["web", &format!("{web}/userinfo?userID=2")]),
        None,
    )
    .ok()
    .stdout;
    assert!(text.starts_with("alice\n"), "{text}");
    let text = run(
        env.rkoji(&["web", &format!("{web}/buildinfo?buildID=3")]),
        None,
    )
    .ok()
    .stdout;
    assert!(text.contains("hello-1.2-1.fc40"), "{text}");

    run(env.rkoji(&["web", "https://example.com/nothing"]), None).fails(2, "not a kojiweb URL");
    run(
        env.rkoji(&["web", &format!("{web}/packageinfo?packageID=99")]),
        None,
    )
    .fails(1, "shows nothing on this hub");
}

#[test]
fn profiles_lists_the_config_file() {
    let env = Env::start();
    env.add_profile("other", "server = http://127.0.0.1:9/kojihub");
    let got = run(env.rkoji(&["--json", "profiles"]), None).ok().json();
    let profiles = got["profiles"].as_array().unwrap();
    let find = |name: &str| {
        profiles
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name}: {got}"))
    };
    let config = env.config.display().to_string();
    assert_eq!(find("testhub")["server"], json!(env.hub().url()));
    assert_eq!(find("testhub")["from"], json!(config));
    assert_eq!(find("other")["server"], "http://127.0.0.1:9/kojihub");
    assert_eq!(find("fedora")["from"], "built-in");
    assert!(got["files"].to_string().contains(&config), "{got}");
    let text = run(env.rkoji(&["profiles"]), None).ok().stdout;
    assert!(text.starts_with("PROFILE"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("testhub") && l.contains(&env.hub().url())),
        "{text}"
    );
}
