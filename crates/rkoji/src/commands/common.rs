//! What the commands share: the context they run in ([`Ctx`]: profile,
//! connection, output), the configuration and profile choice, and small
//! conversions and formatting helpers.

use std::ffi::OsString;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use koji_client::config::{Config, ConfigSources, Profile, ProfileOrigin};
use koji_client::{BuildRef, Connection, IdOrName, Value};
use serde_json::json;

use super::login::{self, Login};
use crate::cli::Global;
use crate::failure::{Failure, Limit};
use crate::format;
use crate::output::Output;

/// Everything a command needs: the profile, its connection, the output.
pub(crate) struct Ctx {
    pub(crate) profile: Profile,
    pub(crate) koji: Connection,
    pub(crate) out: Output,
    /// `--noauth`: commands that log in stay anonymous.
    pub(crate) noauth: bool,
    /// The command line as typed, for the offline hint.
    pub(crate) args: Vec<String>,
}

impl Ctx {
    /// Loads the configuration, picks the profile and connects to its hub,
    /// loading the client certificate only if the command's `login` may use
    /// it (see [`login::prepare`]).
    pub(crate) fn open(
        global: &Global,
        argv0: Option<&OsString>,
        out: Output,
        login: Login,
    ) -> Result<Ctx, Failure> {
        let config = load_config(global)?;
        let name = choose_profile(global.profile.as_deref(), argv0, &config);
        let profile = config
            .profile(&name)
            .map_err(|e| Failure::from_config(&e))?;
        let mut builder = koji_client::ConnectionBuilder::from_profile(&profile);
        if matches!(profile.origin(), ProfileOrigin::BuiltIn) {
            // The built-in profile is ours to define: an anonymous call that
            // cannot reach the hub fails at once (with the offline hint)
            // instead of retrying for minutes as koji's anon_retry default
            // would.
            builder = builder.anon_retry(false);
        }
        let builder = login::prepare(builder, &profile, login, global.noauth);
        let koji = builder
            .build()
            .map_err(|e| Failure::from_client(&e, &profile, Limit::Call))?;
        Ok(Ctx {
            profile,
            koji,
            out,
            noauth: global.noauth,
            args: std::env::args().skip(1).collect(),
        })
    }

    /// The profile's kojiweb URL.
    pub(crate) fn weburl(&self) -> &str {
        self.profile.weburl()
    }

    /// Maps a library error to a failure; when the hub cannot be reached
    /// (or is too slow), names the offline command that runs the same job
    /// against koji-testhub.
    pub(crate) fn fail(&self, e: &koji_client::Error) -> Failure {
        self.fail_within(e, Limit::Call)
    }

    /// [`Ctx::fail`] for a call that had the time limit `limit`.
    pub(crate) fn fail_within(&self, e: &koji_client::Error, limit: Limit) -> Failure {
        let failure = Failure::from_client(e, &self.profile, limit);
        if failure.code == crate::failure::EXIT_CONNECTION
            && !e.is_tls()
            && (e.is_connect() || e.is_timeout())
        {
            let hint = failure.hint.clone().unwrap_or_default();
            return failure.with_hint(format!(
                "{hint}\nTo run the same job offline against koji-testhub, which serves a copy of a real hub's data:\n    koji-testhub run {}\n(install it from a clone of koji-client with `cargo install --path crates/koji-testhub`)",
                offline_args(&self.args).join(" ")
            ));
        }
        failure
    }
}

/// The command line without the profile and config options, which
/// `koji-testhub run` supplies itself (`-p testhub` and its own config).
fn offline_args(args: &[String]) -> Vec<&str> {
    let mut out = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-p" | "--profile" | "-c" | "--config" => {
                iter.next();
            }
            a if a.starts_with("--profile=") || a.starts_with("--config=") => {}
            a if a.len() > 2 && (a.starts_with("-p") || a.starts_with("-c")) => {}
            a => out.push(a),
        }
    }
    out
}

/// Converts a command-line JSON value into a hub value.
pub(crate) fn to_value(v: serde_json::Value) -> Result<Value, Failure> {
    serde_json::from_value(v).map_err(|e| Failure::usage(format!("bad argument: {e}")))
}

/// RFC 3339 text of a timestamp, for JSON.
pub(crate) fn ts_json(ts: Option<Timestamp>) -> serde_json::Value {
    ts.map_or(serde_json::Value::Null, |t| json!(t.to_string()))
}

pub(crate) fn secs_json(d: Option<SignedDuration>) -> serde_json::Value {
    d.map_or(serde_json::Value::Null, |d| json!(d.as_secs_f64()))
}

pub(crate) fn show_time(ts: Option<Timestamp>) -> String {
    ts.map_or_else(|| "-".to_owned(), format::local_time)
}

pub(crate) fn show_duration(d: Option<SignedDuration>) -> String {
    d.map_or_else(|| "-".to_owned(), format::duration)
}

/// A build id when `text` is a number, else an NVR.
pub(crate) fn build_ref(text: &str) -> BuildRef {
    match text.parse::<i64>() {
        Ok(id) => BuildRef::Id(id),
        Err(_) => BuildRef::from(text),
    }
}

/// An id when `text` is a number, else a name.
pub(crate) fn id_or_name(text: &str) -> IdOrName {
    match text.parse::<i64>() {
        Ok(id) => IdOrName::Id(id),
        Err(_) => IdOrName::from(text),
    }
}

pub(crate) fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

pub(crate) fn yes_no(v: Option<bool>) -> String {
    match v {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => "-".into(),
    }
}

/// Loads the configuration as `koji` does, honouring `-c`.
pub(crate) fn load_config(global: &Global) -> Result<Config, Failure> {
    let mut sources = ConfigSources::system();
    if let Some(path) = &global.config {
        sources = sources.with_user_config(path);
    }
    Config::load(&sources).map_err(|e| Failure::from_config(&e))
}

/// `-p`, else the program name if it is a profile, else `koji`, else the
/// built-in `fedora` — the `koji` command's rule, plus our built-in.
pub(crate) fn choose_profile(
    explicit: Option<&str>,
    argv0: Option<&OsString>,
    config: &Config,
) -> String {
    if let Some(name) = explicit {
        return name.to_owned();
    }
    let program = argv0
        .and_then(|a| Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty());
    if let Some(program) = program {
        if config.has_profile(program) && program != "rkoji" {
            return program.to_owned();
        }
    }
    if config.has_profile("koji") {
        return "koji".to_owned();
    }
    koji_client::config::BUILTIN_PROFILE.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offline_hint_leaves_out_profile_and_config() {
        let args: Vec<String> = [
            "-c",
            "/tmp/k.conf",
            "--profile=cbs",
            "builds",
            "-pfedora",
            "hello",
            "--config",
            "x",
            "--limit",
            "5",
            "-p",
            "koji",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(offline_args(&args), ["builds", "hello", "--limit", "5"]);
    }
}
