//! One task, the way a chat bot shows it: method, state, owner, package,
//! times (as "11 min 43 sec") and its subtasks (`getTaskInfo`,
//! `getUser`, `getTaskChildren`), with the model helpers that read the
//! task's request.
//!
//! ```text
//! cargo run --example task_info -- -c FILE -p PROFILE 11
//! ```

mod common;

use std::process::ExitCode;

use clap::Parser;
use koji_client::{HumanDuration, Timestamp};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: common::HubArgs,
    /// The task id.
    task: i64,
}

async fn run(cli: Cli) -> koji_client::Result<()> {
    let koji = cli.hub.connect()?;
    let Some(task) = koji.get_task_info(cli.task).await? else {
        println!("no task {}", cli.task);
        return Ok(());
    };
    println!("task {}: {}", task.require_id()?, task.require_method()?);
    if let Some(state) = &task.state {
        println!("state: {state}");
    }
    if let Some(owner) = task.owner {
        let name = koji.get_user(owner).await?.and_then(|u| u.name);
        println!("owner: {}", name.unwrap_or_else(|| format!("user {owner}")));
    }
    if let Some(package) = task.package()? {
        println!("package: {package}");
    }
    if let Some(created) = task.created()? {
        println!("created: {created}");
    }
    if let Some(took) = task.duration(Timestamp::now())? {
        let done = matches!(task.completed(), Ok(Some(_)));
        let verb = if done { "took" } else { "running for" };
        println!("{verb}: {}", HumanDuration(took));
    }
    // The profile's weburl, kept on the connection.
    if let Some(url) = koji.weburl().and_then(|weburl| task.url(weburl)) {
        println!("url: {url}");
    }
    for child in task.children(&koji).await? {
        println!(
            "subtask {}: {} {}",
            child.require_id()?,
            child.require_method()?,
            child
                .state
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default()
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run(Cli::parse()).await)
}
