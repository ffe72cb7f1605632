//! `rkoji download-task`: a task tree's RPMs (and logs), chosen as koji's
//! download-task chooses them.

use clap::Args;
use koji_client::download::fetch;
use koji_client::download::plan::TaskOptions;

use super::common::Ctx;
use super::download::{Common, fetch_failure, run_plan};
use crate::failure::Failure;

/// `download-task` options.
#[derive(Debug, Args)]
pub(crate) struct TaskArgs {
    /// Task id (its children's outputs are included).
    pub(crate) id: i64,
    /// Only RPMs of this arch (repeatable or comma-separated).
    #[arg(long, value_name = "ARCH")]
    pub(crate) arch: Vec<String>,
    /// Also fetch the tasks' logs.
    #[arg(long)]
    pub(crate) logs: bool,
    #[command(flatten)]
    pub(crate) common: Common,
}

/// `rkoji download-task`.
pub(crate) async fn run(ctx: &Ctx, args: &TaskArgs) -> Result<(), Failure> {
    let opts = TaskOptions {
        arches: args.arch.clone(),
        logs: args.logs,
    };
    let plan = fetch::task_plan(&ctx.koji, args.id, &opts)
        .await
        .map_err(|e| fetch_failure(e, ctx))?;
    if plan.files.is_empty() && !ctx.out.json {
        println!("No files for download found.");
        return Ok(());
    }
    run_plan(ctx, &plan, &args.common, None).await
}
