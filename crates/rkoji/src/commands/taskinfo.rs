//! `rkoji taskinfo` (alias `task`): one task, its estimate and its descendents.

use jiff::Timestamp;
use koji_client::Task;
use serde_json::{Map, json};

use super::common::{Ctx, opt, secs_json, show_duration, show_time, ts_json};
use super::estimate::{estimate_task, estimate_text};
use crate::failure::Failure;
use crate::format::{Table, fields};
use crate::output::object;

/// Task `id`, or "no such task".
pub(super) async fn fetch_task(ctx: &Ctx, id: i64) -> Result<Task, Failure> {
    let task = ctx.koji.get_task_info(id).await.map_err(|e| ctx.fail(&e))?;
    task.ok_or_else(|| Failure::not_found(format!("no such task: {id}")))
}

async fn user_name(ctx: &Ctx, id: Option<i64>) -> Option<String> {
    let id = id?;
    ctx.koji.get_user(id).await.ok()??.name
}

pub(super) fn task_derived(ctx: &Ctx, t: &Task, now: Timestamp) -> Map<String, serde_json::Value> {
    let mut d = Map::new();
    d.insert("state_name".into(), json!(t.state_name()));
    d.insert("package".into(), json!(t.package().ok().flatten()));
    d.insert("target".into(), json!(t.target().ok().flatten()));
    d.insert("arch".into(), json!(t.arch().ok().flatten()));
    d.insert("scratch".into(), json!(t.is_scratch().ok()));
    d.insert("created".into(), ts_json(t.created().ok().flatten()));
    d.insert("started".into(), ts_json(t.started().ok().flatten()));
    d.insert("completed".into(), ts_json(t.completed().ok().flatten()));
    d.insert(
        "duration_secs".into(),
        secs_json(t.duration(now).ok().flatten()),
    );
    d.insert("url".into(), json!(t.url(ctx.weburl())));
    d
}

/// Shows task `id`.
pub(crate) async fn run(ctx: &Ctx, id: i64) -> Result<(), Failure> {
    let task = fetch_task(ctx, id).await?;
    let now = Timestamp::now();
    let owner = user_name(ctx, task.owner).await;
    let descendents = ctx
        .koji
        .get_task_descendents(id)
        .await
        .map_err(|e| ctx.fail(&e))?;
    let mut subtasks: Vec<&Task> = descendents.all();
    subtasks.retain(|t| t.id != Some(id));
    subtasks.sort_by_key(|t| t.id);
    let mut derived = task_derived(ctx, &task, now);
    derived.insert("owner_name".into(), json!(owner));
    let subs: Vec<_> = subtasks
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "method": t.method,
                "arch": t.arch,
                "state_name": t.state_name(),
                "duration_secs": secs_json(t.duration(now).ok().flatten()),
                "url": t.url(ctx.weburl()),
            })
        })
        .collect();
    derived.insert("descendents".into(), json!(subs));
    let (completion, expected) = estimate_task(ctx, &task, now).await?;
    derived.insert(
        "estimated_completion".into(),
        ts_json(completion.as_ref().ok().copied()),
    );
    derived.insert(
        "estimated_duration_secs".into(),
        secs_json(expected.as_ref().ok().copied()),
    );
    derived.insert(
        "estimate_error".into(),
        json!(completion.as_ref().err().map(ToString::to_string)),
    );
    if ctx.out.json {
        let mut obj = object(&task);
        obj.insert("derived".into(), serde_json::Value::Object(derived));
        return ctx.out.json(&obj);
    }
    let p = ctx.out.paint;
    let text_of = |r: Result<Option<String>, koji_client::ModelError>| match r {
        Ok(Some(s)) => s,
        Ok(None) => "-".to_owned(),
        Err(e) => format!("(cannot tell: {e})"),
    };
    let mut text = fields(&[
        ("Task", p.bold(&id.to_string())),
        ("Method", task.method.clone().unwrap_or_default()),
        ("State", p.state(&task.state_name().unwrap_or_default())),
        ("Package", text_of(task.package())),
        ("Target", text_of(task.target())),
        ("Arch", text_of(task.arch())),
        (
            "Scratch",
            task.is_scratch().map_or_else(
                |e| format!("(cannot tell: {e})"),
                |s| if s { "yes".into() } else { "no".into() },
            ),
        ),
        ("Owner", owner.unwrap_or_else(|| opt(task.owner))),
        ("Created", show_time(task.created().ok().flatten())),
        ("Started", show_time(task.started().ok().flatten())),
        ("Completed", show_time(task.completed().ok().flatten())),
        ("Duration", show_duration(task.duration(now).ok().flatten())),
        (
            "Estimate",
            estimate_text(&task, &completion, expected.as_ref().ok().copied(), now),
        ),
        ("URL", task.url(ctx.weburl()).unwrap_or_default()),
    ]);
    if !subtasks.is_empty() {
        let mut table = Table::new(["ID", "METHOD", "ARCH", "STATE", "DURATION"]);
        for t in &subtasks {
            table.row([
                opt(t.id),
                t.method.clone().unwrap_or_default(),
                t.arch.clone().unwrap_or_default(),
                p.state(&t.state_name().unwrap_or_default()),
                show_duration(t.duration(now).ok().flatten()),
            ]);
        }
        text.push('\n');
        text.push_str(&table.render());
    }
    ctx.out.text(&text)
}
