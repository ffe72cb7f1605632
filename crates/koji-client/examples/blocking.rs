//! The same as `user_name`, from a plain `fn main` with no async code at
//! all: the `blocking` API runs the calls on its own runtime thread, the
//! way `reqwest::blocking` does. For cron jobs and release scripts.
//!
//! ```text
//! cargo run --features blocking --example blocking -- -c FILE -p PROFILE 2
//! ```

mod common;

use std::process::ExitCode;

use clap::Parser;
use koji_client::IdOrName;
use koji_client::blocking::Connection;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: common::HubArgs,
    /// A user id, name or Kerberos principal.
    user: String,
}

fn run(cli: Cli) -> koji_client::Result<()> {
    let koji = match (&cli.hub.hub, &cli.hub.config) {
        (Some(url), _) => Connection::new(url)?,
        (None, Some(file)) => Connection::from_config_file(file, &cli.hub.profile)?,
        (None, None) => Connection::from_profile(&cli.hub.profile)?,
    };
    let user = match cli.user.parse::<i64>() {
        Ok(id) => IdOrName::Id(id),
        Err(_) => IdOrName::Name(cli.user.clone()),
    };
    match koji.get_user(user)? {
        Some(user) => println!("{}", user.require_name()?),
        None => println!("no user {}", cli.user),
    }
    Ok(())
}

fn main() -> ExitCode {
    common::report(run(Cli::parse()))
}
