//! `rkoji cancel ID|NVR...`: a number cancels that task (and its children),
//! anything else the build with that NVR (`cancelBuild`), as `koji cancel`.

use super::common::{Ctx, build_ref};
use super::login::login_for_calls;
use crate::failure::Failure;

/// Cancels each task or build; `--full` cancels whole task trees (admin).
pub(crate) async fn run(ctx: &Ctx, items: &[String], full: bool) -> Result<(), Failure> {
    login_for_calls(ctx).await?;
    for item in items {
        match item.parse::<i64>() {
            Ok(id) if full => ctx.koji.cancel_task_full(id).await,
            Ok(id) => ctx.koji.cancel_task(id).await,
            Err(_) => ctx.koji.cancel_build(build_ref(item)).await.map(|changed| {
                if !changed {
                    tracing::warn!("build {item} was not building; nothing to cancel");
                }
            }),
        }
        .map_err(|e| ctx.fail(&e))?;
    }
    Ok(())
}
