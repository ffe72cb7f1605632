//! The latest complete builds of a package, newest first: a typed
//! `listBuilds` query with a filter, an order and a limit.
//!
//! ```text
//! cargo run --example latest_builds -- -c FILE -p PROFILE hello
//! cargo run --example latest_builds -- -c FILE -p PROFILE --limit 2 hello
//! ```

mod common;

use std::process::ExitCode;

use clap::Parser;
use koji_client::BuildState;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: common::HubArgs,
    /// How many builds to show.
    #[arg(long, default_value_t = 5)]
    limit: u64,
    /// The package name.
    package: String,
}

async fn run(cli: Cli) -> koji_client::Result<()> {
    let koji = cli.hub.connect()?;
    let builds = koji
        .list_builds()
        .package(cli.package.as_str())
        .state(BuildState::Complete)
        // Without an order the hub answers in id order: oldest first.
        .order("-build_id")
        .limit(cli.limit)
        .send()
        .await?;
    for build in &builds {
        let completed = build
            .completed()?
            .map(|t| t.to_string())
            .unwrap_or_default();
        println!("{}  {completed}", build.require_nvr()?);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run(Cli::parse()).await)
}
