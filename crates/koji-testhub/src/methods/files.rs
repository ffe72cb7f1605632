//! The file tree's side of the hub: what a task wrote (`listTaskOutput`), a
//! build's logs (`getBuildLogs`) and RPM signatures (`queryRPMSigs`), as
//! koji's `download-task`, `download-logs` and `download-build --key` ask.

use koji_xmlrpc::Value;

use super::builds::find_build;
use super::{convert_int, unsupported};
use crate::args::Args;
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::wire::Out;

/// `listTaskOutput(task_id, stat=False, all_volumes=False, strict=False)`:
/// the file names (of the DEFAULT volume), or with `all_volumes` a struct
/// of file name -> volumes. A task that wrote nothing (or is unknown) has
/// an empty listing, as on a real hub.
pub(super) fn list_task_output(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    unsupported("listTaskOutput", &a, &["stat"])?;
    if a.truthy("strict", false) {
        return Err(Exc::generic(
            "koji-testhub does not implement the strict parameter of listTaskOutput",
        ));
    }
    let id = convert_int(a.or("taskID", &Value::Nil))?;
    let files = ctx.hub.data.task_output.get(&id);
    if a.truthy("all_volumes", false) {
        return Ok(Out::Value(Value::Struct(
            files.cloned().unwrap_or_default(),
        )));
    }
    let names = files
        .into_iter()
        .flat_map(|f| f.iter())
        .filter(|(_, vols)| {
            vols.as_array()
                .is_some_and(|v| v.iter().any(|x| x.as_str() == Some("DEFAULT")))
        })
        .map(|(name, _)| Value::String(name.clone()))
        .collect();
    Ok(Out::Value(Value::Array(names)))
}

/// `getBuildLogs(build)`: `[{name, dir, path}]` of a build's logs; an
/// unknown build is an error, as `get_build(strict=True)` makes it.
pub(super) fn get_build_logs(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let ds = &ctx.hub.data;
    let info = a.or("build", &Value::Nil);
    let build = find_build(ds, info, true)?
        .ok_or_else(|| Exc::generic(format!("No such build: {}", crate::py::str_of(info))))?;
    let rows = ds.build_logs.get(&build.id).cloned().unwrap_or_default();
    Ok(Out::Value(Value::Array(rows)))
}

/// `queryRPMSigs(rpm_id=None, sigkey=None, queryOpts=None)`: the stored
/// signatures `[{rpm_id, sigkey, sighash}]`, filtered by RPM and key.
pub(super) fn query_rpm_sigs(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    unsupported("queryRPMSigs", &a, &["queryOpts"])?;
    let ds = &ctx.hub.data;
    let rpm_id = a.opt("rpm_id").map(convert_int).transpose()?;
    let sigkey = a
        .opt("sigkey")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    let mut ids: Vec<&i64> = ds.rpm_sigs.keys().collect();
    ids.sort();
    let rows = ids
        .into_iter()
        .filter(|id| rpm_id.is_none_or(|r| r == **id))
        .flat_map(|id| ds.rpm_sigs.get(id).into_iter().flatten())
        .filter(|row| {
            sigkey.as_deref().is_none_or(|k| {
                row.as_struct()
                    .and_then(|s| s.get("sigkey"))
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case(k))
            })
        })
        .cloned()
        .collect();
    Ok(Out::Value(Value::Array(rows)))
}
