//! What `download-build`, `download-task` and `download-logs` share: the
//! file-tree options, running a plan with one progress bar, the report and
//! the exit status.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;
use koji_client::download::fetch::FetchError;
use koji_client::download::{Downloader, Plan, Report};
use serde_json::json;

use super::common::Ctx;
use crate::failure::{EXIT_CONNECTION, EXIT_FAULT, Failure};

/// Options every download command shares.
#[derive(Debug, Args)]
pub(crate) struct Common {
    /// URL of the file tree (default: the profile's topurl).
    #[arg(long, value_name = "URL")]
    pub(crate) topurl: Option<String>,
    /// Do not show the progress bar (it is only shown on a terminal).
    #[arg(long)]
    pub(crate) noprogress: bool,
    /// How many files to fetch at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub(crate) parallel: usize,
    /// Directory to write into (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

pub(super) fn fetch_failure(e: FetchError, ctx: &Ctx) -> Failure {
    match e {
        FetchError::Hub(e) => ctx.fail(&e),
        FetchError::NotFound(what) => Failure::not_found(format!("no such {what}")),
        other => Failure::not_found(other.to_string()),
    }
}

pub(super) async fn run_plan(
    ctx: &Ctx,
    plan: &Plan,
    common: &Common,
    default_dir: Option<&Path>,
) -> Result<(), Failure> {
    let topurl = common
        .topurl
        .as_deref()
        .or_else(|| ctx.profile.topurl())
        .ok_or_else(|| Failure::usage("no topurl: set it in the profile or pass --topurl"))?;
    let dir = common
        .dir
        .clone()
        .or_else(|| default_dir.map(Path::to_owned))
        .unwrap_or_else(|| PathBuf::from("."));
    let mut downloader = Downloader::new(&ctx.koji, topurl)
        .map_err(|e| Failure::usage(e.to_string()))?
        .parallel(common.parallel);
    let show_bar = !common.noprogress && !ctx.out.json && std::io::stderr().is_terminal();
    let bar = show_bar.then(|| {
        let bar = indicatif::ProgressBar::new(plan.known_bytes());
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    if let Some(bar) = &bar {
        let bar = bar.clone();
        downloader = downloader.progress(move |p| {
            bar.set_length(p.bytes_total);
            bar.set_position(p.bytes_done);
            bar.set_message(format!("{}/{} files", p.files_done, p.files_total));
        });
    }
    let report = downloader.run(plan, &dir).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    print_report(ctx, &report)?;
    let failed: Vec<_> = report.failures().collect();
    if failed.is_empty() {
        return Ok(());
    }
    let code = if failed.iter().any(|(_, e)| e.is_connection()) {
        EXIT_CONNECTION
    } else {
        EXIT_FAULT
    };
    Err(Failure {
        code,
        message: format!(
            "{} of {} files failed (see above)",
            failed.len(),
            report.files.len()
        ),
        hint: None,
    })
}

fn print_report(ctx: &Ctx, report: &Report) -> Result<(), Failure> {
    if ctx.out.json {
        let files: Vec<_> = report
            .files
            .iter()
            .map(|f| match &f.result {
                Ok(d) => json!({
                    "path": f.dest,
                    "url": f.url,
                    "kind": f.kind,
                    "size": d.size,
                    "checksum": d.checksum,
                    "verified": d.verified,
                    "skipped": d.skipped,
                    "resumed_from": d.resumed_from,
                }),
                Err(e) => json!({
                    "path": f.dest,
                    "url": f.url,
                    "kind": f.kind,
                    "verified": false,
                    "error": e.to_string(),
                }),
            })
            .collect();
        return ctx.out.json(&json!({ "files": files }));
    }
    let mut text = String::new();
    for f in &report.files {
        match &f.result {
            Ok(d) => {
                let how = if d.skipped {
                    "already there"
                } else if d.resumed_from > 0 {
                    "resumed"
                } else {
                    "downloaded"
                };
                let check = match (&d.checksum, d.verified) {
                    (Some(c), true) => format!("verified {c}"),
                    (Some(c), false) => format!("self-consistent {c}"),
                    (None, true) => "size verified".to_owned(),
                    (None, false) => "not verifiable".to_owned(),
                };
                text.push_str(&format!(
                    "{}: {how}, {} bytes, {check}\n",
                    f.dest.display(),
                    d.size
                ));
            }
            Err(e) => eprintln!("error: {e}"),
        }
    }
    if text.is_empty() {
        return Ok(());
    }
    ctx.out.text(text.trim_end())
}
