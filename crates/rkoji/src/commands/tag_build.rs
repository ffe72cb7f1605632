//! `rkoji tag-build TAG NVR...`: one `tagBuild` task per build (as `koji
//! tag-build`), watched unless `--nowait`.

use serde_json::json;

use super::common::{Ctx, build_ref, id_or_name};
use super::login::login_for_calls;
use crate::failure::Failure;

/// Submits the tasks, then watches them.
pub(crate) async fn run(
    ctx: &Ctx,
    tag: &str,
    nvrs: &[String],
    force: bool,
    nowait: bool,
) -> Result<(), Failure> {
    login_for_calls(ctx).await?;
    let mut tasks = Vec::new();
    for nvr in nvrs {
        let id = ctx
            .koji
            .tag_build_with(id_or_name(tag), build_ref(nvr), force, None)
            .await
            .map_err(|e| ctx.fail(&e))?;
        report(ctx, "tagBuild", nvr, id)?;
        tasks.push(id);
    }
    if nowait {
        return Ok(());
    }
    super::watch_task::watch(ctx, &tasks).await
}

/// One line (or JSON line) per created task.
pub(crate) fn report(ctx: &Ctx, what: &str, nvr: &str, id: i64) -> Result<(), Failure> {
    if ctx.out.json {
        ctx.out
            .json_line(&json!({"event": "submitted", "method": what, "build": nvr, "task_id": id}))
    } else {
        ctx.out.text(&format!("Created task {id} ({what} {nvr})\n"))
    }
}
