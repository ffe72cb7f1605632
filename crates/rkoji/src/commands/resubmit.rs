//! `rkoji resubmit ID`: runs a failed or canceled task again as a new task,
//! watched unless `--nowait`.

use super::common::Ctx;
use super::login::login_for_calls;
use crate::failure::Failure;

/// Resubmits, then watches the new task.
pub(crate) async fn run(ctx: &Ctx, id: i64, nowait: bool) -> Result<(), Failure> {
    login_for_calls(ctx).await?;
    let new = ctx.koji.resubmit_task(id).await.map_err(|e| ctx.fail(&e))?;
    if ctx.out.json {
        ctx.out.json_line(
            &serde_json::json!({"event": "submitted", "task_id": new, "resubmitted": id}),
        )?;
    } else {
        ctx.out
            .text(&format!("Resubmitted task {id} as new task {new}\n"))?;
    }
    if nowait {
        return Ok(());
    }
    super::watch_task::watch(ctx, &[new]).await
}
