//! Logging in and asking who we are (`getLoggedInUser`): the way the
//! profile says (`authtype`: a client certificate, Kerberos), or with a
//! user name and a password taken from the `KOJI_PASSWORD` environment
//! variable (never from the command line, where other users can read it).
//!
//! ```text
//! cargo run --example login_whoami -- -c FILE -p PROFILE
//! KOJI_PASSWORD=… cargo run --example login_whoami -- -c FILE -p PROFILE --user alice
//! ```

mod common;

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: common::HubArgs,
    /// Log in with this user name and the password in $KOJI_PASSWORD.
    #[arg(long)]
    user: Option<String>,
}

async fn run(cli: Cli) -> koji_client::Result<()> {
    let koji = cli.hub.connect()?;
    match &cli.user {
        Some(user) => {
            let password = std::env::var("KOJI_PASSWORD").unwrap_or_default();
            koji.login_password(user, &password).await?;
        }
        None => koji.login().await?,
    }
    let me = koji.whoami().await?;
    let how = me
        .authtype
        .as_ref()
        .map(|a| a.to_string())
        .unwrap_or_default();
    println!(
        "logged in as {} (user {}, {how})",
        me.require_name()?,
        me.require_id()?
    );
    koji.logout().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run(Cli::parse()).await)
}
