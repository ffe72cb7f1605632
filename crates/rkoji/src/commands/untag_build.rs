//! `rkoji untag-build TAG NVR...`: untags at once (`untagBuild`, no task).

use super::common::{Ctx, build_ref, id_or_name};
use super::login::login_for_calls;
use crate::failure::Failure;

/// Untags each build.
pub(crate) async fn run(ctx: &Ctx, tag: &str, nvrs: &[String], force: bool) -> Result<(), Failure> {
    login_for_calls(ctx).await?;
    for nvr in nvrs {
        ctx.koji
            .untag_build(id_or_name(tag), build_ref(nvr), true, force)
            .await
            .map_err(|e| ctx.fail(&e))?;
        if !ctx.out.json {
            ctx.out.text(&format!("untagged {nvr} from {tag}\n"))?;
        } else {
            ctx.out
                .json_line(&serde_json::json!({"event": "untagged", "build": nvr, "tag": tag}))?;
        }
    }
    Ok(())
}
