//! `rkoji builds`: the latest builds of a package.

use jiff::Timestamp;
use koji_client::BuildState;

use super::buildinfo::build_derived;
use super::common::{Ctx, id_or_name, show_duration, show_time};
use crate::failure::Failure;
use crate::format::Table;
use crate::output::object;

/// Lists the latest `limit` builds of `package`, newest first.
pub(crate) async fn run(
    ctx: &Ctx,
    package: &str,
    state: Option<&str>,
    limit: u32,
) -> Result<(), Failure> {
    let mut query = ctx
        .koji
        .list_builds()
        .package(id_or_name(package))
        .order("-build_id")
        .limit(u64::from(limit));
    if let Some(state) = state {
        let s = state
            .to_ascii_uppercase()
            .parse::<BuildState>()
            .ok()
            .filter(BuildState::is_known)
            .ok_or_else(|| {
                Failure::usage(format!(
                    "unknown build state {state:?}: use BUILDING, COMPLETE, DELETED, FAILED or CANCELED"
                ))
            })?;
        query = query.state(s);
    }
    let list = query.send().await.map_err(|e| ctx.fail(&e))?;
    let now = Timestamp::now();
    if ctx.out.json {
        let items: Vec<_> = list
            .iter()
            .map(|b| {
                let mut obj = object(b);
                obj.insert(
                    "derived".into(),
                    serde_json::Value::Object(build_derived(ctx, b, now)),
                );
                obj
            })
            .collect();
        return ctx.out.json(&items);
    }
    if list.is_empty() {
        return ctx.out.text(&format!("no builds of {package}\n"));
    }
    let p = ctx.out.paint;
    let mut table = Table::new(["NVR", "STATE", "OWNER", "FINISHED", "DURATION"]);
    for b in &list {
        table.row([
            b.nvr().unwrap_or_default(),
            p.state(&b.state_name().unwrap_or_default()),
            b.owner_name.clone().unwrap_or_default(),
            show_time(b.completed().ok().flatten()),
            show_duration(b.duration(now).ok().flatten()),
        ]);
    }
    ctx.out.text(&table.render())
}
