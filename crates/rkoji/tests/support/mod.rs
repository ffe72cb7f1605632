//! What the rkoji integration tests share: koji-testhub started in process
//! on 127.0.0.1:0 (serving the real hub's data set), a temporary HOME and
//! config pointing the `testhub` profile at it, the built `rkoji` binary,
//! and the data set itself to compare the output with.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use koji_testhub::{RunningHub, TestHub, TestHubBuilder};
use serde_json::Value;

/// A running test hub (on a runtime of its own, so that tests can run the
/// binary synchronously) and a temporary HOME with a config for it.
pub struct Env {
    /// Keeps the hub's runtime alive for as long as the hub.
    runtime: tokio::runtime::Runtime,
    pub hub: Option<RunningHub>,
    pub home: tempfile::TempDir,
    pub config: PathBuf,
}

impl Env {
    /// The default test hub with a `[testhub]` profile (`authtype = noauth`).
    pub fn start() -> Env {
        Env::start_with(TestHub::builder(), "authtype = noauth\n")
    }

    /// `builder`'s hub, and a `[testhub]` profile with `extra` options.
    pub fn start_with(builder: TestHubBuilder, extra: &str) -> Env {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let hub = runtime.block_on(builder.start()).unwrap();
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("koji.conf");
        let url = hub.url();
        let weburl = format!("{}/koji", url.trim_end_matches("/kojihub"));
        std::fs::write(
            &config,
            format!("[testhub]\nserver = {url}\nweburl = {weburl}\n{extra}"),
        )
        .unwrap();
        Env {
            runtime,
            hub: Some(hub),
            home,
            config,
        }
    }

    /// A hub behind koji-testenv's Apache: it trusts the identity headers
    /// Apache sets after a certificate or Kerberos login, and creates no
    /// user at login. The `[testhub]` profile (straight to the hub) is
    /// `authtype = noauth`.
    pub fn start_behind_apache() -> Env {
        let headers = koji_testenv::apache::IdentityHeaders::default();
        Env::start_with(
            TestHub::builder()
                .trusted_cert_header(&headers.client_dn)
                .trusted_remote_user_header(&headers.remote_user)
                .login_creates_user(false),
            "authtype = noauth\n",
        )
    }

    /// The methods called on hub session `id`, in order.
    pub fn session_methods(&self, id: i64) -> Vec<String> {
        self.hub()
            .session_calls(id)
            .into_iter()
            .map(|c| c.method)
            .collect()
    }

    pub fn hub(&self) -> &RunningHub {
        self.hub.as_ref().unwrap()
    }

    /// The kojiweb URL the profile has.
    pub fn weburl(&self) -> String {
        format!("{}/koji", self.hub().url().trim_end_matches("/kojihub"))
    }

    /// Adds a profile section to the config file.
    pub fn add_profile(&self, name: &str, options: &str) {
        let mut text = std::fs::read_to_string(&self.config).unwrap();
        text.push_str(&format!("\n[{name}]\n{options}\n"));
        std::fs::write(&self.config, text).unwrap();
    }

    /// `rkoji -c <config> -p testhub ARGS` with a clean environment.
    pub fn rkoji(&self, args: &[&str]) -> Command {
        self.rkoji_profile("testhub", args)
    }

    /// `rkoji -c <config> -p PROFILE ARGS` with a clean environment.
    pub fn rkoji_profile(&self, profile: &str, args: &[&str]) -> Command {
        let mut cmd = bare_rkoji(self.home.path());
        cmd.arg("-c").arg(&self.config).arg("-p").arg(profile);
        cmd.args(args);
        cmd
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.take() {
            self.runtime.block_on(hub.shutdown());
        }
    }
}

/// The built binary with HOME set to `home`, times shown in UTC, and no
/// variable from the user's environment that would change what it does.
pub fn bare_rkoji(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("rkoji").unwrap();
    cmd.env_clear()
        .env("HOME", home)
        .env("TZ", "UTC")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        // No Kerberos ticket of the user's, no proxy.
        .env("KRB5CCNAME", format!("FILE:{}/no-ccache", home.display()))
        .env("NO_COLOR", "1");
    cmd
}

/// What a run gave: exit code, stdout and stderr.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Asserts success and returns self.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts exit `code`, nothing on stdout, and `needle` on stderr.
    pub fn fails(self, code: i32, needle: &str) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        assert_eq!(self.stdout, "", "a failure printed on stdout");
        self
    }
}

/// Runs `cmd`, optionally with `stdin`.
pub fn run(mut cmd: Command, stdin: Option<&str>) -> Run {
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_owned());
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The `data` of a data set file (`builds` → `builds.json`).
pub fn dataset(name: &str) -> Value {
    let text = koji_testhub::realhub::file(&format!("{name}.json"))
        .unwrap_or_else(|| panic!("no data set file {name}.json"));
    let mut file: Value = serde_json::from_str(text).unwrap();
    file["data"].take()
}

/// Asserts that `actual` has exactly the members of the hub object
/// `expected`, with the same values, plus at most a `derived` object.
pub fn assert_hub_object(actual: &Value, expected: &Value, what: &str) {
    let (Some(actual), Some(expected)) = (actual.as_object(), expected.as_object()) else {
        panic!("{what}: not objects:\n{actual}\n{expected}");
    };
    for (key, value) in expected {
        assert_eq!(
            actual.get(key),
            Some(value),
            "{what}: member {key:?} differs"
        );
    }
    for key in actual.keys() {
        assert!(
            key == "derived" || expected.contains_key(key),
            "{what}: member {key:?} is not the hub's"
        );
    }
}

/// A JSON RFC 3339 time as a timestamp.
pub fn ts(value: &Value) -> jiff::Timestamp {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a time string: {value}"))
        .parse()
        .unwrap()
}

/// Seconds since the epoch (a data set `*_ts` double) as a timestamp.
pub fn from_epoch(secs: &Value) -> jiff::Timestamp {
    let secs = secs.as_f64().unwrap();
    jiff::Timestamp::from_microsecond((secs * 1e6).round() as i64).unwrap()
}

/// Kills the process `pid` if it is still running `after` from now, unless
/// the guard is dropped first. A test that waits for rkoji to end (after a
/// Ctrl-C, or after its last expected line) then fails with rkoji killed
/// instead of hanging the whole test run.
pub struct HangGuard(Option<std::sync::mpsc::Sender<()>>);

/// Arms a [`HangGuard`] for `pid`.
pub fn kill_if_hung(pid: u32, after: std::time::Duration) -> HangGuard {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(after) {
            eprintln!("rkoji (pid {pid}) still running after {after:?}: killing it");
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    });
    HangGuard(Some(tx))
}

impl Drop for HangGuard {
    fn drop(&mut self) {
        // the watchdog sees the channel closed and ends without killing
        self.0.take();
    }
}
