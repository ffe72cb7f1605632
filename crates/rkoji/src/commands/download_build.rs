//! `rkoji download-build`: a build's RPMs or archives, chosen as koji's
//! download-build chooses them, fetched in parallel and verified.

use clap::Args;
use koji_client::download::fetch;
use koji_client::download::plan::{ArchiveChoice, BuildOptions};

use super::common::Ctx;
use super::download::{Common, fetch_failure, run_plan};
use crate::failure::Failure;

/// `download-build` options (koji's, where koji has them).
#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// NVR, build id, or an RPM's name-version-release.arch.
    #[arg(value_name = "NVR|ID")]
    pub(crate) build: String,
    /// Only RPMs of this arch (repeatable; exact match: name noarch and src
    /// to get those).
    #[arg(long, short = 'a', value_name = "ARCH")]
    pub(crate) arch: Vec<String>,
    /// What to fetch: rpm (the default), maven, image, win, another archive
    /// btype, or all (RPMs and every archive).
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) kind: Option<String>,
    /// Fetch the copies signed with this key (RPMs without a signature by
    /// it are skipped with a warning).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: Option<String>,
    /// Also fetch -debuginfo and -debugsource RPMs.
    #[arg(long)]
    pub(crate) debuginfo: bool,
    #[command(flatten)]
    pub(crate) common: Common,
}

/// `rkoji download-build`.
pub(crate) async fn run(ctx: &Ctx, args: &BuildArgs) -> Result<(), Failure> {
    let archives = match args.kind.as_deref() {
        None | Some("rpm") => ArchiveChoice::Rpms,
        Some("all") => ArchiveChoice::All,
        Some(t) => ArchiveChoice::Type(t.to_owned()),
    };
    let opts = BuildOptions {
        arches: args.arch.clone(),
        debuginfo: args.debuginfo,
        key: args.key.clone(),
        archives,
    };
    let bp = fetch::build_plan(&ctx.koji, &args.build, &opts)
        .await
        .map_err(|e| fetch_failure(e, ctx))?;
    for w in &bp.warnings {
        eprintln!("warning: {w}");
    }
    run_plan(ctx, &bp.plan, &args.common, None).await
}
