//! `rkoji download-logs`: the logs of a task tree or of a build, laid out
//! as koji's download-logs lays them out (below `kojilogs/`).

use std::path::Path;

use clap::Args;
use koji_client::download::fetch;

use super::common::Ctx;
use super::download::{Common, fetch_failure, run_plan};
use crate::failure::Failure;

/// `download-logs` options.
#[derive(Debug, Args)]
pub(crate) struct LogsArgs {
    /// A task id (its logs and its descendants', under ARCH-ID/), or a
    /// build's NVR (its logs under NVR/).
    #[arg(value_name = "ID|NVR")]
    pub(crate) what: String,
    #[command(flatten)]
    pub(crate) common: Common,
}

/// `rkoji download-logs`: into `kojilogs/` (or --dir), as koji does.
pub(crate) async fn run(ctx: &Ctx, args: &LogsArgs) -> Result<(), Failure> {
    let plan = fetch::logs_plan(&ctx.koji, &args.what)
        .await
        .map_err(|e| fetch_failure(e, ctx))?;
    run_plan(ctx, &plan, &args.common, Some(Path::new("kojilogs"))).await
}
