//! `rkoji estimate`: when a task completes, or how long a package's builds
//! take; and the task estimates that `task` shows too.

use jiff::{SignedDuration, Timestamp};
use koji_client::Task;
use koji_client::estimate::{self, EstimateConfig, EstimateError};
use serde_json::json;

use super::common::{Ctx, secs_json, show_duration, show_time, ts_json};
use super::taskinfo::fetch_task;
use crate::failure::Failure;
use crate::format::{self, fields};

/// Whether a task has finished (closed, failed or canceled).
fn is_finished(task: &Task) -> bool {
    task.state.as_ref().is_some_and(|s| s.is_done())
}

/// An estimate error that is the command's failure rather than a fact about
/// the task: the hub could not be asked, or answered with a fault.
pub(super) fn estimate_failure(ctx: &Ctx, e: &EstimateError) -> Option<Failure> {
    match e {
        EstimateError::Source(source) => Some(match source.downcast_ref::<koji_client::Error>() {
            Some(err) => ctx.fail(err),
            None => Failure {
                code: crate::failure::EXIT_CONNECTION,
                message: e.to_string(),
                hint: None,
            },
        }),
        EstimateError::Fault { .. } | EstimateError::BadReply { .. } => {
            Some(Failure::not_found(e.to_string()))
        }
        _ => None,
    }
}

/// When `task` completes and how long it runs, estimated (or, once it has
/// finished, what happened), fetching what the estimates need.
pub(super) async fn estimate_task(
    ctx: &Ctx,
    task: &Task,
    now: Timestamp,
) -> Result<
    (
        Result<Timestamp, EstimateError>,
        Result<SignedDuration, EstimateError>,
    ),
    Failure,
> {
    let config = EstimateConfig::default();
    let completion = estimate::estimate_task_completion(&ctx.koji, task, now, config).await;
    let expected = estimate::estimate_task_duration(&ctx.koji, task, now, config).await;
    for e in [completion.as_ref().err(), expected.as_ref().err()]
        .into_iter()
        .flatten()
    {
        if let Some(failure) = estimate_failure(ctx, e) {
            return Err(failure);
        }
    }
    Ok((completion, expected))
}

/// `2026-11-25 18:10:00 CET (in 5 min, runs about 20 min)`, or why there
/// is no estimate; `-` for a finished task.
pub(super) fn estimate_text(
    task: &Task,
    completion: &Result<Timestamp, EstimateError>,
    expected: Option<SignedDuration>,
    now: Timestamp,
) -> String {
    if is_finished(task) {
        return "-".to_owned();
    }
    match completion {
        Ok(when) => {
            let left = when.duration_since(now);
            let relative = if left.is_negative() {
                format!("overdue by {}", format::duration(-left))
            } else {
                format!("in {}", format::duration(left))
            };
            let runs = match expected {
                Some(d) => format!(", runs about {}", format::duration(d)),
                None => String::new(),
            };
            format!("{} ({relative}{runs})", format::local_time(*when))
        }
        Err(e) => format!("cannot tell: {e}"),
    }
}

/// Estimates task `target` (a number) or package `target`.
pub(crate) async fn run(ctx: &Ctx, target: &str) -> Result<(), Failure> {
    let now = Timestamp::now();
    if let Ok(id) = target.parse::<i64>() {
        return estimate_task_cmd(ctx, id, now).await;
    }
    let package = target;
    let config = EstimateConfig::default();
    let avg = estimate::average_build_duration(&ctx.koji, package, config)
        .await
        .map_err(|e| {
            estimate_failure(ctx, &e).unwrap_or_else(|| Failure::not_found(e.to_string()))
        })?;
    let measured_from = if estimate::is_container_package(package) {
        format!("the last {} COMPLETE builds", config.last_builds)
    } else {
        "getAverageBuildDuration".to_owned()
    };
    let Some(avg) = avg else {
        return Err(Failure::not_found(format!(
            "no average build duration for {package}: no complete builds to measure, or no such package"
        ))
        .with_hint(format!(
            "`rkoji builds {package}` lists its builds"
        )));
    };
    if ctx.out.json {
        return ctx.out.json(&json!({
            "package": package,
            "average_duration_secs": avg.as_secs_f64(),
            "measured_from": measured_from,
        }));
    }
    ctx.out.text(&format!(
        "{package}: builds take {} on average (from {measured_from})\n",
        format::duration(avg)
    ))
}

async fn estimate_task_cmd(ctx: &Ctx, id: i64, now: Timestamp) -> Result<(), Failure> {
    let task = fetch_task(ctx, id).await?;
    let (completion, expected) = estimate_task(ctx, &task, now).await?;
    let finished = is_finished(&task);
    let when = match completion {
        Ok(when) => when,
        Err(e) => {
            let failure = Failure::not_found(format!("cannot estimate task {id}: {e}"));
            return Err(if e.is_transient() {
                failure.with_hint("try again in a minute or two")
            } else {
                failure
            });
        }
    };
    let expected = expected.ok();
    if ctx.out.json {
        let remaining = (!finished).then(|| when.duration_since(now));
        return ctx.out.json(&json!({
            "task_id": id,
            "method": task.method,
            "state_name": task.state_name(),
            "package": task.package().ok().flatten(),
            "finished": finished,
            "started": ts_json(task.started().ok().flatten()),
            "estimated_completion": ts_json(Some(when)),
            "estimated_duration_secs": secs_json(expected),
            "remaining_secs": secs_json(remaining),
            "url": task.url(ctx.weburl()),
        }));
    }
    let p = ctx.out.paint;
    let what = match task.package().ok().flatten() {
        Some(package) => format!(
            "{id} {} ({package})",
            task.method.clone().unwrap_or_default()
        ),
        None => format!("{id} {}", task.method.clone().unwrap_or_default()),
    };
    let mut pairs = vec![
        ("Task", p.bold(&what)),
        ("State", p.state(&task.state_name().unwrap_or_default())),
        ("Started", show_time(task.started().ok().flatten())),
    ];
    if finished {
        pairs.push(("Completed", show_time(Some(when))));
        pairs.push(("Duration", show_duration(expected)));
    } else {
        pairs.push(("Estimate", estimate_text(&task, &Ok(when), expected, now)));
    }
    pairs.push(("URL", task.url(ctx.weburl()).unwrap_or_default()));
    ctx.out.text(&fields(&pairs))
}
