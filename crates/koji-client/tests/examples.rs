//! Every program of `examples/` run against koji-testhub (the real hub's
//! data set), with its output checked: the examples are what a new user
//! copies, so they must keep working and keep saying the right thing.
//!
//! The example binaries come from `cargo build --examples` run by this
//! test (with this test's features, so nothing is rebuilt when `cargo
//! test` already built them); the test then reads the executables' paths
//! from Cargo's JSON messages.
#![allow(clippy::unwrap_used)]

#[path = "examples_support/mod.rs"]
mod examples_support;
#[path = "fixtures_support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use examples_support::examples;
use koji_client::estimate::{EstimateConfig, average_build_duration};
use koji_client::{Connection, HumanDuration};
use koji_testhub::{GenerateOptions, RunningHub, TestHub};
use support::dataset;

/// A hub, and a config file whose profile `testhub` points at it.
struct Setup {
    hub: RunningHub,
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Setup {
    async fn new(hub: RunningHub) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("koji.conf");
        write_config(&config, &hub.url());
        Setup { hub, dir, config }
    }

    async fn realhub() -> Setup {
        Setup::new(TestHub::builder().start().await.unwrap()).await
    }

    /// Runs example `name` with `-c CONFIG -p testhub` and `args`; returns
    /// (success, stdout, stderr).
    async fn run(&self, name: &str, args: &[&str]) -> (bool, String, String) {
        self.run_with(name, args, &[]).await
    }

    async fn run_with(
        &self,
        name: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (bool, String, String) {
        self.run_profile(name, "testhub", args, env).await
    }

    /// Runs example `name` with `-c CONFIG -p PROFILE` and `args`.
    async fn run_profile(
        &self,
        name: &str,
        profile: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (bool, String, String) {
        let key = name.to_owned();
        let exe = tokio::task::spawn_blocking(move || examples().get(&key).cloned())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("example {name} was not built"));
        let mut cmd = tokio::process::Command::new(exe);
        cmd.arg("-c")
            .arg(&self.config)
            .args(["-p", profile])
            .args(args)
            .env("HOME", self.dir.path())
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("NO_COLOR", "1");
        for var in [
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().await.unwrap();
        (
            out.status.success(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Runs an example that must succeed; its stdout.
    async fn ok(&self, name: &str, args: &[&str]) -> String {
        let (ok, out, err) = self.run(name, args).await;
        assert!(ok, "{name} {args:?} failed:\n{out}{err}");
        out
    }

    fn koji(&self) -> Connection {
        Connection::builder(self.hub.url())
            .no_proxy()
            .build()
            .unwrap()
    }
}

fn write_config(path: &Path, url: &str) {
    std::fs::write(
        path,
        format!("[testhub]\nserver = {url}\nweburl = http://127.0.0.1/koji\n"),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_name_prints_the_name_of_an_id_or_a_name() {
    let s = Setup::realhub().await;
    assert_eq!(s.ok("user_name", &["2"]).await, "alice\n");
    assert_eq!(s.ok("user_name", &["bob@KOJI.TEST"]).await, "bob\n");
    assert_eq!(s.ok("user_name", &["4242"]).await, "no user 4242\n");
    // Options come first; a missing object is a usage error.
    let (ok, _, err) = s.run("user_name", &[]).await;
    assert!(!ok && err.contains("<USER>"), "{err}");
    // A profile that does not exist: the config error, said plainly.
    let (ok, _, err) = s.run_profile("user_name", "nope", &["2"], &[]).await;
    assert!(!ok, "{err}");
    assert!(
        err.starts_with("error: no koji profile named \"nope\""),
        "{err}"
    );
}

#[cfg(feature = "blocking")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_prints_the_same_as_user_name() {
    let s = Setup::realhub().await;
    assert_eq!(s.ok("blocking", &["2"]).await, "alice\n");
    assert_eq!(s.ok("blocking", &["carol"]).await, "carol\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_info_shows_the_task_and_its_subtasks() {
    let s = Setup::realhub().await;
    let out = s.ok("task_info", &["11"]).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "task 11: build", "{out}");
    for want in [
        "state: OPEN",
        "owner: alice",
        "package: libfoo",
        "subtask 12: buildSRPMFromSCM CLOSED",
        "subtask 13: buildArch CLOSED",
        "subtask 14: buildArch OPEN",
        "url: http://127.0.0.1/koji/taskinfo?taskID=11",
    ] {
        assert!(lines.contains(&want), "{want:?} missing from:\n{out}");
    }
    assert!(
        lines.iter().any(|l| l.starts_with("running for: ")),
        "{out}"
    );
    // A closed task says how long it took, in words.
    let out = s.ok("task_info", &["4"]).await;
    assert!(
        out.lines()
            .any(|l| l.starts_with("took: ") && l.ends_with(" sec")),
        "{out}"
    );
    assert_eq!(s.ok("task_info", &["99999"]).await, "no task 99999\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_builds_are_newest_first() {
    let s = Setup::realhub().await;
    let out = s.ok("latest_builds", &["hello"]).await;
    let nvrs: Vec<&str> = out.lines().map(|l| l.split("  ").next().unwrap()).collect();
    assert_eq!(
        nvrs,
        [
            "hello-1.3-1.fc40",
            "hello-1.2-1.fc40",
            "hello-1.1-1.fc40",
            "hello-1.0-1.fc40"
        ],
        "{out}"
    );
    let out = s.ok("latest_builds", &["--limit", "2", "hello"]).await;
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.starts_with("hello-1.3-1.fc40  2026-"), "{out}");
    assert_eq!(s.ok("latest_builds", &["no-such-package"]).await, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_whoami_logs_in_with_a_password() {
    let hub = TestHub::builder()
        .password("alice", "s3cret")
        .start()
        .await
        .unwrap();
    let s = Setup::new(hub).await;
    let (ok, out, err) = s
        .run_with(
            "login_whoami",
            &["--user", "alice"],
            &[("KOJI_PASSWORD", "s3cret")],
        )
        .await;
    assert!(ok, "{out}{err}");
    assert_eq!(out, "logged in as alice (user 2, NORMAL)\n");
    let (ok, out, err) = s
        .run_with(
            "login_whoami",
            &["--user", "alice"],
            &[("KOJI_PASSWORD", "wrong")],
        )
        .await;
    assert!(!ok, "{out}");
    assert!(
        err.starts_with("error: login: fault 1002 (AuthError)"),
        "{err}"
    );
    assert!(!err.contains("wrong"), "the password leaked: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multicall_answers_each_call_and_fails_one_alone() {
    let s = Setup::realhub().await;
    let out = s.ok("multicall", &["1", "11", "99999", "26"]).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(lines[0], "task 1: newRepo CLOSED");
    assert_eq!(lines[1], "task 11: build OPEN");
    assert!(lines[2].starts_with("task 99999: failed: "), "{out}");
    assert_eq!(lines[3], "task 26: buildContainer OPEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimate_prints_the_average_and_each_open_task() {
    let s = Setup::realhub().await;
    let out = s.ok("estimate", &["foo-container"]).await;
    let lines: Vec<&str> = out.lines().collect();
    // What the library computes, said in words.
    let avg = average_build_duration(&s.koji(), "foo-container", EstimateConfig::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        lines[0],
        format!("foo-container: builds in about {}", HumanDuration(avg))
    );
    // Task 26 is the one open foo-container build (its request names it).
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[1].starts_with("task 26 (buildContainer): overdue by ")
            || lines[1].starts_with("task 26 (buildContainer): done in about "),
        "{out}"
    );
    let out = s.ok("estimate", &["libfoo"]).await;
    assert!(
        out.starts_with("libfoo: no completed build to average\n"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_cache_asks_once_and_keeps_hubs_apart() {
    let s = Setup::realhub().await;
    let cache = s.dir.path().join("names");
    let cache = cache.to_str().unwrap();
    let args = ["--cache-dir", cache, "user", "2", "6"];
    assert_eq!(
        s.ok("name_cache", &args).await,
        "user 2: alice (asked the hub)\nuser 6: packagers (asked the hub)\n"
    );
    assert_eq!(
        s.ok("name_cache", &args).await,
        "user 2: alice (cached)\nuser 6: packagers (cached)\n"
    );
    // The same profile name, now pointing at another hub (a generated data
    // set, where user 6 is dave): that hub's names, not the cached ones.
    let other = TestHub::builder()
        .generate(GenerateOptions {
            builds: 10,
            tasks: 10,
            ..GenerateOptions::default()
        })
        .start()
        .await
        .unwrap();
    write_config(&s.config, &other.url());
    assert_eq!(
        s.ok("name_cache", &["--cache-dir", cache, "user", "6"])
            .await,
        "user 6: dave (asked the hub)\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_tagged_streams_with_the_filters() {
    let s = Setup::realhub().await;
    let tagged = dataset("listTagged");
    let expect = |tag: &str, variant: &str| -> Vec<String> {
        tagged[tag][variant]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                format!(
                    "{}  {}",
                    b["nvr"].as_str().unwrap(),
                    b["tag_name"].as_str().unwrap()
                )
            })
            .collect()
    };
    for (args, tag, variant) in [
        (vec!["f40"], "f40", "plain"),
        (vec!["--inherit", "f40-build"], "f40-build", "inherit"),
        (vec!["--latest", "f40-updates"], "f40-updates", "latest"),
        (
            vec!["--inherit", "--latest", "f40-build"],
            "f40-build",
            "inherit_latest",
        ),
    ] {
        let out = s.ok("stream_tagged", &args).await;
        let mut lines: Vec<String> = out.lines().map(str::to_owned).collect();
        let total = lines.pop().unwrap();
        let want = expect(tag, variant);
        assert_eq!(lines, want, "{args:?}");
        assert_eq!(total, format!("{} builds", want.len()));
    }
    // The package filter is kept too.
    let out = s
        .ok(
            "stream_tagged",
            &["--inherit", "--package", "hello", "f40-build"],
        )
        .await;
    let want: Vec<String> = expect("f40-build", "inherit")
        .into_iter()
        .filter(|l| l.starts_with("hello-"))
        .collect();
    assert!(!want.is_empty());
    let mut lines: Vec<String> = out.lines().map(str::to_owned).collect();
    lines.pop();
    assert_eq!(lines, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_dashboard_lists_the_queue_with_etas() {
    let s = Setup::realhub().await;
    for channel in ["container", "9"] {
        let out = s.ok("channel_dashboard", &[channel]).await;
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("channel container: 1 active tasks, load "),
            "{out}"
        );
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines[1].starts_with("task 26 buildContainer OPEN: overdue by ")
                || lines[1].starts_with("task 26 buildContainer OPEN: done in "),
            "{out}"
        );
    }
    // The default channel: its open and free tasks, in queue order.
    let out = s.ok("channel_dashboard", &["default"]).await;
    let ids: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(' ').nth(1).unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, ["11", "14", "27", "28", "29"], "{out}");
    assert_eq!(
        s.ok("channel_dashboard", &["nope"]).await,
        "no channel nope\n"
    );
}
