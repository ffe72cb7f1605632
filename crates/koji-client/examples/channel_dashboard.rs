//! Every active task of a channel with its expected completion, the way a
//! build dashboard shows the queue: the channel's tasks and hosts and the
//! averages the estimates need come in two round trips, then the queue is
//! planned over the channel's capacity.
//!
//! ```text
//! cargo run --example channel_dashboard -- -c FILE -p PROFILE container
//! ```

mod common;

use std::process::ExitCode;

use clap::Parser;
use koji_client::estimate::{EstimateConfig, estimate_channel_tasks};
use koji_client::{HumanDuration, Timestamp};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: common::HubArgs,
    /// The channel, by name or id.
    channel: String,
}

async fn run(cli: Cli) -> koji_client::Result<()> {
    let koji = cli.hub.connect()?;
    let channel = match cli.channel.parse::<i64>() {
        Ok(id) => koji.get_channel(id).await?,
        Err(_) => koji.get_channel(cli.channel.as_str()).await?,
    };
    let Some(channel) = channel else {
        println!("no channel {}", cli.channel);
        return Ok(());
    };
    let now = Timestamp::now();
    let plan = estimate_channel_tasks(&koji, channel.require_id()?, now, EstimateConfig::default())
        .await?;
    println!(
        "channel {}: {} active tasks, load {} of capacity {}",
        channel.require_name()?,
        plan.tasks.len(),
        plan.load,
        plan.capacity
    );
    for task in &plan.tasks {
        let state = task
            .state
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        let method = task.method.as_deref().unwrap_or("?");
        let eta = match &task.completion {
            Ok(done) if *done >= now => {
                format!("done in {}", HumanDuration(done.duration_since(now)))
            }
            Ok(done) => format!("overdue by {}", HumanDuration(now.duration_since(*done))),
            Err(why) => format!("no estimate: {why}"),
        };
        println!("task {} {method} {state}: {eta}", task.task_id);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run(Cli::parse()).await)
}
