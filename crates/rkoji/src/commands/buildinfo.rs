//! `rkoji buildinfo`: one build, with its tags and kojiweb URL.

use jiff::Timestamp;
use koji_client::Build;
use serde_json::{Map, json};

use super::common::{Ctx, build_ref, opt, secs_json, show_duration, show_time, ts_json};
use crate::failure::Failure;
use crate::format::fields;
use crate::output::object;

/// `NVR` or id → the build.
async fn fetch_build(ctx: &Ctx, reference: &str) -> Result<Build, Failure> {
    let build = ctx
        .koji
        .get_build(build_ref(reference))
        .await
        .map_err(|e| ctx.fail(&e))?;
    build.ok_or_else(|| Failure::not_found(format!("no such build: {reference}")))
}

pub(super) fn build_derived(
    ctx: &Ctx,
    b: &Build,
    now: Timestamp,
) -> Map<String, serde_json::Value> {
    let mut d = Map::new();
    d.insert("state_name".into(), json!(b.state_name()));
    d.insert("started".into(), ts_json(b.started().ok().flatten()));
    d.insert("completed".into(), ts_json(b.completed().ok().flatten()));
    d.insert(
        "duration_secs".into(),
        secs_json(b.duration(now).ok().flatten()),
    );
    d.insert("task_id".into(), json!(b.task_id()));
    d.insert("url".into(), json!(b.url(ctx.weburl())));
    d
}

/// Shows the build `reference` (NVR or id).
pub(crate) async fn run(ctx: &Ctx, reference: &str) -> Result<(), Failure> {
    let build = fetch_build(ctx, reference).await?;
    let now = Timestamp::now();
    let tags = match build.build_id() {
        Some(id) => ctx
            .koji
            .list_tags()
            .build(id)
            .send()
            .await
            .map_err(|e| ctx.fail(&e))?,
        None => Vec::new(),
    };
    let tag_names: Vec<String> = tags.iter().filter_map(|t| t.name.clone()).collect();
    let mut derived = build_derived(ctx, &build, now);
    derived.insert("tags".into(), json!(tag_names));
    if ctx.out.json {
        let mut obj = object(&build);
        obj.insert("derived".into(), serde_json::Value::Object(derived));
        return ctx.out.json(&obj);
    }
    let p = ctx.out.paint;
    let state = build.state_name().unwrap_or_else(|| "-".into());
    let task = match build.task_id() {
        Some(id) => format!(
            "{id} {}",
            koji_client::web::join(ctx.weburl(), &format!("taskinfo?taskID={id}"))
        ),
        None => "-".to_owned(),
    };
    let text = fields(&[
        ("Build", p.bold(&build.nvr().unwrap_or_default())),
        ("ID", opt(build.build_id())),
        ("State", p.state(&state)),
        (
            "Owner",
            build.owner_name.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Started", show_time(build.started().ok().flatten())),
        ("Completed", show_time(build.completed().ok().flatten())),
        (
            "Duration",
            show_duration(build.duration(now).ok().flatten()),
        ),
        ("Task", task),
        ("Source", build.source.clone().unwrap_or_else(|| "-".into())),
        (
            "Tags",
            if tag_names.is_empty() {
                "-".into()
            } else {
                tag_names.join(", ")
            },
        ),
        ("URL", build.url(ctx.weburl()).unwrap_or_default()),
    ]);
    ctx.out.text(&text)
}
