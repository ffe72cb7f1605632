//! A user's name from their id (txkoji's README example), or the user a
//! name or Kerberos principal belongs to: `getUser`, and the
//! `require_name` accessor for a member `getUser` always sends.
//!
//! ```text
//! cargo run --example user_name -- -c FILE -p PROFILE 2
//! cargo run --example user_name -- --hub https://koji.fedoraproject.org/kojihub 3595
//! ```

mod common;

use std::process::ExitCode;

use clap::Parser;
use koji_client::IdOrName;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: common::HubArgs,
    /// A user id, name or Kerberos principal.
    user: String,
}

async fn run(cli: Cli) -> koji_client::Result<()> {
    let koji = cli.hub.connect()?;
    // A number is an id; anything else a name or principal.
    let user = match cli.user.parse::<i64>() {
        Ok(id) => IdOrName::Id(id),
        Err(_) => IdOrName::Name(cli.user.clone()),
    };
    match koji.get_user(user).await? {
        Some(user) => println!("{}", user.require_name()?),
        None => println!("no user {}", cli.user),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run(Cli::parse()).await)
}
