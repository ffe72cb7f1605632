//! A huge `listTagged` (every build of a distribution tag, hundreds of
//! megabytes of XML on a big hub) in constant memory: the builds are
//! decoded one by one as the answer arrives, with every filter of the
//! typed query kept.
//!
//! ```text
//! cargo run --example stream_tagged -- -c FILE -p PROFILE f40
//! cargo run --example stream_tagged -- -c FILE -p PROFILE --inherit --latest --package hello f40-build
//! ```

mod common;

use std::process::ExitCode;

use clap::Parser;
use koji_client::TryStreamExt;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: common::HubArgs,
    /// Also builds inherited from parent tags.
    #[arg(long)]
    inherit: bool,
    /// Only the latest build of each package.
    #[arg(long)]
    latest: bool,
    /// Only builds of this package.
    #[arg(long)]
    package: Option<String>,
    /// The tag name.
    tag: String,
}

async fn run(cli: Cli) -> koji_client::Result<()> {
    let koji = cli.hub.connect()?;
    let mut query = koji
        .list_tagged(cli.tag.as_str())
        .inherit(cli.inherit)
        .latest(cli.latest);
    if let Some(package) = &cli.package {
        query = query.package(package.as_str());
    }
    let mut builds = query.stream();
    let mut count = 0u64;
    // One build in memory at a time.
    while let Some(build) = builds.try_next().await? {
        count += 1;
        println!(
            "{}  {}",
            build.require_nvr()?,
            build.tag_name.as_deref().unwrap_or_default()
        );
    }
    println!("{count} builds");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run(Cli::parse()).await)
}
