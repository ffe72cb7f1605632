//! The commands: one module per command, each with a `run` function from
//! parsed arguments to output, and [`run`], the one place that maps a
//! [`Command`] to its module.
//!
//! To add a command: a variant of [`Command`] (in `cli.rs`), a module here
//! with its `run`, and an arm in [`run`]. A command that talks to the hub
//! gets a [`Ctx`] from [`Ctx::open`], saying whether it logs in
//! ([`Login`], see the `login` module).

pub(crate) mod build;
mod buildinfo;
mod builds;
mod call;
mod cancel;
mod channel;
mod common;
mod completions;
mod download;
pub(crate) mod download_build;
pub(crate) mod download_logs;
pub(crate) mod download_task;
mod estimate;
mod login;
mod man;
mod move_build;
mod multicall;
mod profiles;
mod resubmit;
mod tag_build;
mod taskinfo;
mod untag_build;
pub(crate) mod watch;
pub(crate) mod watch_task;
mod web;
mod whoami;

use std::ffi::OsString;

pub(crate) use common::Ctx;
use login::Login;

use crate::cli::{Cli, Command};
use crate::failure::Failure;
use crate::format::{self, Painter};
use crate::output::Output;

/// Runs one command.
pub(crate) async fn run(cli: Cli, argv0: Option<OsString>) -> Result<(), Failure> {
    let Cli { global, command } = cli;
    let out = Output {
        json: global.json,
        paint: Painter {
            enabled: !global.json && format::colour_stdout(),
        },
    };
    let argv0 = argv0.as_ref();
    let hub = |login| Ctx::open(&global, argv0, out.clone(), login);
    match command {
        Command::Call {
            method,
            args,
            kwargs,
        } => call::run(&hub(Login::Profile)?, &method, &args, &kwargs).await,
        Command::Multicall { batch } => multicall::run(&hub(Login::Profile)?, batch).await,
        Command::Build(args) => build::run(&hub(Login::Profile)?, &args).await,
        Command::Buildinfo { build } => buildinfo::run(&hub(Login::Never)?, &build).await,
        Command::WatchTask { ids, bus } => watch_task::run(&hub(Login::Never)?, &ids, &bus).await,
        Command::TagBuild {
            tag,
            nvrs,
            force,
            nowait,
        } => tag_build::run(&hub(Login::Profile)?, &tag, &nvrs, force, nowait).await,
        Command::UntagBuild { tag, nvrs, force } => {
            untag_build::run(&hub(Login::Profile)?, &tag, &nvrs, force).await
        }
        Command::MoveBuild {
            from,
            to,
            nvrs,
            force,
            nowait,
        } => move_build::run(&hub(Login::Profile)?, &from, &to, &nvrs, force, nowait).await,
        Command::Cancel { items, full } => cancel::run(&hub(Login::Profile)?, &items, full).await,
        Command::Resubmit { id, nowait } => resubmit::run(&hub(Login::Profile)?, id, nowait).await,
        Command::Builds {
            package,
            state,
            limit,
        } => builds::run(&hub(Login::Never)?, &package, state.as_deref(), limit).await,
        Command::Taskinfo { id } => taskinfo::run(&hub(Login::Never)?, id).await,
        Command::Estimate { target } => estimate::run(&hub(Login::Never)?, &target).await,
        Command::Channel { channel } => channel::run(&hub(Login::Never)?, &channel).await,
        Command::Web { url } => web::run(&hub(Login::Never)?, &url).await,
        Command::Whoami => whoami::run(&hub(Login::Profile)?).await,
        Command::Watch(args) => watch::run(&hub(Login::Never)?, &args).await,
        Command::DownloadBuild(args) => download_build::run(&hub(Login::Never)?, &args).await,
        Command::DownloadTask(args) => download_task::run(&hub(Login::Never)?, &args).await,
        Command::DownloadLogs(args) => download_logs::run(&hub(Login::Never)?, &args).await,
        Command::Profiles => profiles::run(&common::load_config(&global)?, &out),
        Command::Completions { shell } => completions::run(shell),
        Command::Man => man::run(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::common::choose_profile;
    use super::*;
    use koji_client::config::{Config, ConfigSources};

    fn config_with(profiles: &[&str]) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        for p in profiles {
            text.push_str(&format!("[{p}]\nserver = https://{p}.example/kojihub\n"));
        }
        let file = dir.path().join("koji.conf");
        std::fs::write(&file, text).unwrap();
        let sources = ConfigSources::new(dir.path().join("none.d"), file, None);
        let config = Config::load(&sources).unwrap();
        (dir, config)
    }

    #[test]
    fn profile_choice_follows_koji() {
        let (_d, config) = config_with(&["koji", "cbs"]);
        let argv0 = |s: &str| Some(OsString::from(s));
        assert_eq!(
            choose_profile(Some("x"), argv0("cbs").as_ref(), &config),
            "x"
        );
        assert_eq!(
            choose_profile(None, argv0("/usr/bin/cbs").as_ref(), &config),
            "cbs"
        );
        assert_eq!(
            choose_profile(None, argv0("rkoji").as_ref(), &config),
            "koji"
        );
        let (_d, config) = config_with(&["other"]);
        assert_eq!(
            choose_profile(None, argv0("rkoji").as_ref(), &config),
            "fedora"
        );
    }
}
