//! `rkoji build TARGET SCMURL|SRPM`: submit a build as `koji build` does
//! (target and locked-tag checks, SRPM upload with a progress bar), then
//! watch it unless `--nowait`/`--background`.

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use koji_client::api::SubmitError;
use serde_json::json;

use super::common::Ctx;
use super::login::login_for_calls;
use crate::failure::{EXIT_FAULT, Failure};

/// What `rkoji build` was asked.
#[derive(Debug, clap::Args)]
pub(crate) struct BuildArgs {
    /// Build target.
    pub(crate) target: String,
    /// An SCM URL (with `://`) or a local SRPM, uploaded first.
    #[arg(value_name = "SCMURL|SRPM")]
    pub(crate) source: String,
    /// A scratch build.
    #[arg(long)]
    pub(crate) scratch: bool,
    /// Do not wait for the task to finish.
    #[arg(long)]
    pub(crate) nowait: bool,
    /// Build only these arches (comma or space separated; needs --scratch).
    #[arg(long, value_name = "ARCHES")]
    pub(crate) arch_override: Option<String>,
    /// Task priority relative to the default (negative needs admin).
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    pub(crate) priority: Option<i64>,
    /// Do not tag the build when it completes.
    #[arg(long)]
    pub(crate) skip_tag: bool,
    /// Fail the whole build as soon as one arch fails.
    #[arg(long)]
    pub(crate) fail_fast: bool,
    /// Low priority (5), and do not wait, as koji's --background.
    #[arg(long)]
    pub(crate) background: bool,
    /// Build against this repo id.
    #[arg(long, value_name = "ID")]
    pub(crate) repo_id: Option<i64>,
    /// Wait for a current repo first.
    #[arg(long)]
    pub(crate) wait_repo: bool,
    #[command(flatten)]
    pub(crate) bus: super::watch_task::BusArgs,
}

fn submit_failure(ctx: &Ctx, e: &SubmitError) -> Failure {
    match e {
        SubmitError::Hub(e) => ctx.fail(e),
        SubmitError::Upload(koji_client::upload::UploadError::Hub(e)) => ctx.fail(e),
        SubmitError::InvalidOptions(m) => Failure::usage(m.clone()),
        other => Failure {
            code: EXIT_FAULT,
            message: other.to_string(),
            hint: None,
        },
    }
}

/// Submits, then watches unless told not to.
pub(crate) async fn run(ctx: &Ctx, args: &BuildArgs) -> Result<(), Failure> {
    login_for_calls(ctx).await?;
    let mut req = ctx
        .koji
        .build(args.source.as_str(), args.target.as_str())
        .scratch(args.scratch)
        .skip_tag(args.skip_tag)
        .fail_fast(args.fail_fast)
        .wait_repo(args.wait_repo)
        .upload_blocksize(usize::try_from(ctx.profile.upload_blocksize()).unwrap_or(1 << 20));
    if let Some(a) = &args.arch_override {
        req = req.arch_override([a.as_str()]);
    }
    if let Some(id) = args.repo_id {
        req = req.repo_id(id);
    }
    if args.background {
        req = req.background();
    }
    if let Some(p) = args.priority {
        req = req.priority(p);
    }
    let bar = (!req.is_scm() && !ctx.out.json).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "uploading {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Arc::new(bar)
    });
    if let Some(bar) = &bar {
        let b = bar.clone();
        req = req.on_upload_progress(move |p| {
            b.set_length(p.total);
            b.set_position(p.bytes);
        });
    }
    let done = req.send().await.map_err(|e| submit_failure(ctx, &e))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if ctx.out.json {
        super::watch_task::json_event(
            ctx,
            json!({"event": "submitted", "task_id": done.task_id, "source": done.source}),
        )?;
    } else {
        ctx.out.text(&format!(
            "Created task: {}\nTask info: {}/taskinfo?taskID={}\n",
            done.task_id,
            ctx.weburl(),
            done.task_id
        ))?;
    }
    if args.nowait || args.background {
        return Ok(());
    }
    super::watch_task::watch_with(ctx, &[done.task_id], &args.bus).await
}
