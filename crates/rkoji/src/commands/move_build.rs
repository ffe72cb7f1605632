//! `rkoji move-build FROM TO NVR...`: one `tagBuild` task per build that
//! tags into TO and untags from FROM (`moveBuild`), watched unless `--nowait`.

use super::common::{Ctx, build_ref, id_or_name};
use super::login::login_for_calls;
use crate::failure::Failure;

/// Submits the moves, then watches them.
pub(crate) async fn run(
    ctx: &Ctx,
    from: &str,
    to: &str,
    nvrs: &[String],
    force: bool,
    nowait: bool,
) -> Result<(), Failure> {
    login_for_calls(ctx).await?;
    let mut tasks = Vec::new();
    for nvr in nvrs {
        let id = ctx
            .koji
            .move_build(id_or_name(from), id_or_name(to), build_ref(nvr), force)
            .await
            .map_err(|e| ctx.fail(&e))?;
        super::tag_build::report(ctx, "moveBuild", nvr, id)?;
        tasks.push(id);
    }
    if nowait {
        return Ok(());
    }
    super::watch_task::watch(ctx, &tasks).await
}
