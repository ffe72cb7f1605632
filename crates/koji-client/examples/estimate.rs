//! How long a package usually takes to build, and when its open builds
//! should be done. For container packages (names ending in `-container`)
//! the average is taken over their last builds, since the hub's own figure
//! does not measure content-generator imports.
//!
//! ```text
//! cargo run --example estimate -- -c FILE -p PROFILE foo-container
//! ```

mod common;

use std::process::ExitCode;

use clap::Parser;
use koji_client::estimate::{EstimateConfig, average_build_duration, estimate_task_completion};
use koji_client::{HumanDuration, TaskState, Timestamp};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: common::HubArgs,
    /// The package name.
    package: String,
}

async fn run(cli: Cli) -> koji_client::Result<()> {
    let koji = cli.hub.connect()?;
    let config = EstimateConfig::default();
    // `?` turns an EstimateError into koji_client::Error.
    match average_build_duration(&koji, &cli.package, config).await? {
        Some(avg) => println!("{}: builds in about {}", cli.package, HumanDuration(avg)),
        None => println!("{}: no completed build to average", cli.package),
    }
    let now = Timestamp::now();
    let open = koji
        .list_tasks()
        .state([TaskState::Free, TaskState::Open, TaskState::Assigned])
        .parent(None)
        .order("id")
        .send()
        .await?;
    for task in open {
        // Tasks whose request names another package (or none) are skipped.
        if task.package().ok().flatten().as_deref() != Some(cli.package.as_str()) {
            continue;
        }
        let id = task.require_id()?;
        let method = task.require_method()?;
        match estimate_task_completion(&koji, &task, now, config).await {
            Ok(done) if done >= now => println!(
                "task {id} ({method}): done in about {} (at {done})",
                HumanDuration(done.duration_since(now))
            ),
            Ok(done) => println!(
                "task {id} ({method}): overdue by {} (expected at {done})",
                HumanDuration(now.duration_since(done))
            ),
            // Not an error of the program: say why there is no estimate.
            Err(why) => println!("task {id} ({method}): no estimate: {why}"),
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run(Cli::parse()).await)
}
