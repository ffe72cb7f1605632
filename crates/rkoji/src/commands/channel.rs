//! `rkoji channel`: a channel's hosts, capacity and open tasks with their
//! estimated completions.

use jiff::Timestamp;
use koji_client::Task;
use koji_client::estimate::{self, EstimateConfig, EstimateError, EstimateInputs, TaskEstimate};
use serde_json::json;

use super::common::{Ctx, id_or_name, opt, show_duration, show_time, ts_json, yes_no};
use super::estimate::estimate_failure;
use super::taskinfo::task_derived;
use crate::failure::Failure;
use crate::format::{self, Table, fields};
use crate::output::object;

/// Shows channel `reference` (name or id).
pub(crate) async fn run(ctx: &Ctx, reference: &str) -> Result<(), Failure> {
    let channel = ctx
        .koji
        .get_channel(id_or_name(reference))
        .await
        .map_err(|e| ctx.fail(&e))?;
    let channel =
        channel.ok_or_else(|| Failure::not_found(format!("no such channel: {reference}")))?;
    let id = channel
        .id
        .ok_or_else(|| Failure::not_found("the hub's channel has no id"))?;
    let now = Timestamp::now();
    // Its active tasks and hosts in one request, then what their estimates
    // need (subtasks, package averages) in one more, rarely two.
    let spinner = format::spinner(&format!("estimating the tasks of channel {id}"));
    let fetched = async {
        let snapshot = estimate::channel_snapshot(&ctx.koji, id).await?;
        let mut inputs = EstimateInputs::new(now)
            .with_config(EstimateConfig::default())
            .with_channel(snapshot);
        estimate::complete_inputs(&ctx.koji, &mut inputs, &[], &[]).await?;
        Ok::<_, EstimateError>(inputs)
    }
    .await;
    spinner.finish_and_clear();
    let inputs = fetched.map_err(|e| {
        estimate_failure(ctx, &e).unwrap_or_else(|| Failure::not_found(e.to_string()))
    })?;
    let Some(snapshot) = inputs.channels.get(&id) else {
        return Err(Failure::not_found(format!("channel {id} has no snapshot")));
    };
    let (hosts, tasks) = (&snapshot.hosts, &snapshot.tasks);
    // One failure of the whole plan (a host with a bad capacity…) is every
    // task's answer.
    let plan = estimate::estimate_channel(&inputs, id);
    let estimate_of = |t: &Task| -> Result<&TaskEstimate, String> {
        match &plan {
            Ok(plan) => {
                t.id.and_then(|tid| plan.task(tid))
                    .ok_or_else(|| "not in the channel's plan".to_owned())
            }
            Err(e) => Err(e.to_string()),
        }
    };
    let capacity: f64 = hosts
        .iter()
        .filter(|h| h.enabled == Some(true))
        .filter_map(|h| h.capacity)
        .sum();
    let load: f64 = hosts
        .iter()
        .filter(|h| h.enabled == Some(true))
        .filter_map(|h| h.task_load)
        .sum();
    if ctx.out.json {
        let tasks: Vec<_> = tasks
            .iter()
            .map(|t| {
                let mut derived = task_derived(ctx, t, now);
                let estimate = estimate_of(t);
                let (completion, error) = match estimate.map(|e| &e.completion) {
                    Ok(Ok(when)) => (ts_json(Some(*when)), serde_json::Value::Null),
                    Ok(Err(e)) => (serde_json::Value::Null, json!(e.to_string())),
                    Err(e) => (serde_json::Value::Null, json!(e)),
                };
                derived.insert("estimated_completion".into(), completion);
                derived.insert("estimate_error".into(), error);
                derived.insert(
                    "ahead".into(),
                    json!(estimate_of(t).ok().and_then(|e| e.ahead)),
                );
                let mut obj = object(t);
                obj.insert("derived".into(), serde_json::Value::Object(derived));
                obj
            })
            .collect();
        let mut obj = object(&channel);
        obj.insert(
            "derived".into(),
            json!({"url": channel.url(ctx.weburl()), "total_capacity": capacity, "task_load": load}),
        );
        return ctx
            .out
            .json(&json!({"channel": obj, "hosts": hosts, "tasks": tasks}));
    }
    let p = ctx.out.paint;
    let mut text = fields(&[
        ("Channel", p.bold(&channel.name.clone().unwrap_or_default())),
        ("ID", id.to_string()),
        (
            "Capacity",
            format!("{capacity} (enabled hosts), load {load}"),
        ),
        ("URL", channel.url(ctx.weburl()).unwrap_or_default()),
    ]);
    let mut table = Table::new(["HOST", "ENABLED", "READY", "LOAD", "CAPACITY", "ARCHES"]);
    for h in hosts {
        table.row([
            h.name.clone().unwrap_or_default(),
            yes_no(h.enabled),
            yes_no(h.ready),
            opt(h.task_load),
            opt(h.capacity),
            h.arches.clone().unwrap_or_default(),
        ]);
    }
    text.push('\n');
    if table.is_empty() {
        text.push_str("no hosts\n");
    } else {
        text.push_str(&table.render());
    }
    let mut table = Table::new([
        "TASK",
        "STATE",
        "METHOD",
        "PACKAGE",
        "CREATED",
        "RUNNING FOR",
        "ESTIMATE",
    ]);
    for t in tasks {
        let eta = match estimate_of(t).map(|e| &e.completion) {
            Ok(Ok(when)) => {
                let left = when.duration_since(now);
                if left.is_negative() {
                    format!("overdue ({})", format::local_time(*when))
                } else {
                    format!(
                        "in {} ({})",
                        format::duration(left),
                        format::local_time(*when)
                    )
                }
            }
            Ok(Err(e)) => format!("cannot tell: {e}"),
            Err(e) => format!("cannot tell: {e}"),
        };
        table.row([
            opt(t.id),
            p.state(&t.state_name().unwrap_or_default()),
            t.method.clone().unwrap_or_default(),
            t.package().ok().flatten().unwrap_or_else(|| "-".into()),
            show_time(t.created().ok().flatten()),
            show_duration(t.duration(now).ok().flatten()),
            eta,
        ]);
    }
    text.push('\n');
    if table.is_empty() {
        text.push_str("no open or free tasks\n");
    } else {
        text.push_str(&table.render());
    }
    ctx.out.text(&text)
}
