//! What every example shares: which hub to talk to, given as rkoji and
//! koji take it (`-c FILE -p PROFILE`), or as a hub URL (`--hub URL`).
//! Not an example itself (Cargo only builds `examples/*.rs` and
//! `examples/*/main.rs`).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use koji_client::Connection;

/// `-c FILE`, `-p PROFILE`, `--hub URL`.
#[derive(clap::Args, Debug)]
pub(crate) struct HubArgs {
    /// A koji config file or directory (like `koji -c`); else koji's usual files.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The profile to use (like `koji -p`).
    #[arg(short = 'p', long = "profile", default_value = "koji")]
    pub(crate) profile: String,
    /// A hub URL, instead of a profile.
    #[arg(long, value_name = "URL", conflicts_with = "config")]
    pub(crate) hub: Option<String>,
}

impl HubArgs {
    /// The connection these options name.
    pub(crate) fn connect(&self) -> koji_client::Result<Connection> {
        match (&self.hub, &self.config) {
            (Some(url), _) => Connection::new(url),
            (None, Some(file)) => Connection::from_config_file(file, &self.profile),
            (None, None) => Connection::from_profile(&self.profile),
        }
    }
}

/// Prints the error the way a command-line tool should (its `Display`,
/// which names the method, the hub and what went wrong) and fails.
pub(crate) fn report(result: koji_client::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
