//! Many calls in one request: the infos of several tasks through one
//! `system.multicall`, each with its own typed result. The calls ask
//! `strict=True`, so a task that does not exist is a fault of that call
//! alone; the others are still answered.
//!
//! ```text
//! cargo run --example multicall -- -c FILE -p PROFILE 1 11 99999 26
//! ```

mod common;

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::Parser;
use koji_client::Task;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: common::HubArgs,
    /// Task ids.
    #[arg(required = true)]
    tasks: Vec<i64>,
}

async fn run(cli: Cli) -> koji_client::Result<()> {
    let koji = cli.hub.connect()?;
    let mut m = koji.multicall();
    let handles: Vec<_> = cli
        .tasks
        .iter()
        .map(|&id| {
            let kwargs = BTreeMap::from([("request", true), ("strict", true)]);
            (id, m.call_with::<Task>("getTaskInfo", (id,), kwargs))
        })
        .collect();
    // One request (or a few concurrent ones, for thousands of calls).
    m.send().await?;
    for (id, handle) in handles {
        match handle.result() {
            Ok(task) => println!(
                "task {id}: {} {}",
                task.require_method()?,
                task.state
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            ),
            // This call's own fault; the multicall as a whole succeeded.
            Err(e) => println!("task {id}: failed: {}", e.fault_string().unwrap_or("?")),
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run(Cli::parse()).await)
}
