//! Builds, their RPMs/archives/types, build durations and packages.

use koji_xmlrpc::{Struct, Value};

use super::{NameOrId, as_py_int, glob_ilike, name_or_id, time_arg, unsupported};
use crate::args::Args;
use crate::dataset::model::Build;
use crate::dataset::{Dataset, Package};
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::py;
use crate::query::{self, QueryOpts};
use crate::wire::Out;

/// The aliases of `listBuilds` (valid `order` terms).
pub(crate) const LIST_BUILD_ALIASES: &[&str] = &[
    "build_id",
    "completion_time",
    "completion_ts",
    "creation_event_id",
    "creation_time",
    "creation_ts",
    "draft",
    "epoch",
    "extra",
    "name",
    "nvr",
    "owner_id",
    "owner_name",
    "package_id",
    "package_name",
    "promoter_id",
    "promoter_name",
    "promotion_time",
    "promotion_ts",
    "release",
    "source",
    "start_time",
    "start_ts",
    "state",
    "task_id",
    "version",
    "volume_id",
    "volume_name",
];

/// `koji.parse_NVR`: (name, version, release).
pub(crate) fn parse_nvr(nvr: &str) -> HubResult<(String, String, String)> {
    let invalid = || Exc::generic(format!("invalid format: {nvr}"));
    let p2 = nvr.rfind('-').ok_or_else(invalid)?;
    if p2 == nvr.len() - 1 {
        return Err(invalid());
    }
    let head = nvr.get(..p2).ok_or_else(invalid)?;
    let p1 = head.rfind('-').ok_or_else(invalid)?;
    if p1 + 1 == p2 {
        return Err(invalid());
    }
    let release = nvr.get(p2 + 1..).ok_or_else(invalid)?;
    let version = nvr.get(p1 + 1..p2).ok_or_else(invalid)?;
    let mut name = nvr.get(..p1).ok_or_else(invalid)?;
    if let Some(i) = name.find(':') {
        name = name.get(i + 1..).ok_or_else(invalid)?;
    }
    Ok((name.to_owned(), version.to_owned(), release.to_owned()))
}

/// `get_build`'s lookup (`find_build_id` + the row query), with the hub's errors.
pub(crate) fn find_build<'a>(
    ds: &'a Dataset,
    info: &Value,
    strict: bool,
) -> HubResult<Option<&'a Build>> {
    let by_nvr = |n: String, v: String, r: String| {
        ds.build_by_nvr
            .get(&(n, v, r))
            .and_then(|i| ds.builds.get(*i))
    };
    let found = match info {
        Value::Int(_) | Value::Bool(_) => {
            let id = as_py_int(info).unwrap_or_default();
            let b = ds.build_by_id.get(&id).and_then(|i| ds.builds.get(*i));
            if b.is_none() && strict {
                return Err(Exc::generic(format!("No such build: {}", py::str_of(info))));
            }
            return Ok(b);
        }
        Value::String(s) => {
            let (n, v, r) = parse_nvr(s)?;
            by_nvr(n, v, r)
        }
        Value::Struct(d) => {
            let (Some(n), Some(v), Some(r)) = (d.get("name"), d.get("version"), d.get("release"))
            else {
                return Err(Exc::generic("did not provide name, version, and release"));
            };
            match (n, v, r) {
                (Value::String(n), Value::String(v), Value::String(r)) => {
                    by_nvr(n.clone(), v.clone(), r.clone())
                }
                _ => None,
            }
        }
        other => {
            return Err(Exc::generic(format!(
                "Invalid type for argument: {}",
                py::type_repr(other)
            )));
        }
    };
    if found.is_none() && strict {
        return Err(Exc::generic(format!("No such build: {}", py::repr(info))));
    }
    Ok(found)
}

/// `lookup_name('package', info)`.
pub(crate) fn find_package<'a>(ds: &'a Dataset, info: &Value) -> HubResult<Option<&'a Package>> {
    Ok(match name_or_id(info)? {
        NameOrId::Id(id) => ds.package_by_id.get(&id).and_then(|i| ds.packages.get(*i)),
        NameOrId::Name(n) => ds.package_by_name.get(&n).and_then(|i| ds.packages.get(*i)),
    })
}

pub(super) fn get_build(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let info = a.or("buildInfo", &Value::Nil);
    if let Some(b) = ctx.hub.with_live(|l| l.build(info).cloned()) {
        let mut buf = Vec::with_capacity(1600);
        b.info_row().write(&mut buf);
        return Ok(Out::Encoded(buf));
    }
    match find_build(&ctx.hub.data, info, a.truthy("strict", false))? {
        Some(b) => {
            let mut buf = Vec::with_capacity(1600);
            b.info_row().write(&mut buf);
            Ok(Out::Encoded(buf))
        }
        None => Ok(Out::nil()),
    }
}

pub(super) fn get_build_type(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let info = a.or("buildInfo", &Value::Nil);
    Ok(
        match find_build(&ctx.hub.data, info, a.truthy("strict", false))? {
            Some(b) => b.btype_info.clone().into(),
            None => Out::nil(),
        },
    )
}

fn user_id_of(ctx: &Ctx<'_>, info: &Value) -> HubResult<Option<i64>> {
    super::users::find_user(&ctx.hub.catalog(), info, false).map(|u| u.map(|u| u.id))
}

pub(super) fn list_builds(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let ds = &ctx.hub.data;
    let mut package_id = None;
    if let Some(p) = a.opt("packageID") {
        // a package only live builds (CGImport) have counts too
        let live_pkg = |p: &Value| {
            ctx.hub.with_live(|l| {
                l.builds
                    .iter()
                    .find(|b| match p {
                        Value::String(n) => b.package_name == *n,
                        Value::Int(i) => b.package_id == *i,
                        _ => false,
                    })
                    .map(|b| b.package_id)
            })
        };
        match find_package(ds, p)? {
            Some(p) => package_id = Some(p.id),
            None => match live_pkg(p) {
                Some(id) => package_id = Some(id),
                None => return Ok(Out::Value(Value::Array(vec![]))),
            },
        }
    }
    let mut user_id = None;
    if let Some(u) = a.opt("userID") {
        match user_id_of(ctx, u)? {
            Some(id) => user_id = Some(id),
            None => return Ok(Out::Value(Value::Array(vec![]))),
        }
    }
    let mut promoter_id = None;
    if let Some(u) = a.opt("promoter") {
        match user_id_of(ctx, u)? {
            Some(id) => promoter_id = Some(id),
            None => return Ok(Out::Value(Value::Array(vec![]))),
        }
    }
    let volume_id = a.opt("volumeID").map(super::convert_int).transpose()?;
    let task_id = a.opt("taskID").map(super::convert_int).transpose()?;
    let source = a.opt("source").map(py::str_of);
    let prefix = a.get("prefix").filter(|p| p.is_truthy()).map(py::str_of);
    let pattern = a.get("pattern").filter(|p| p.is_truthy()).map(py::str_of);
    let state = a.opt("state").map(super::convert_int).transpose()?;
    let t = |k: &str| -> HubResult<Option<f64>> {
        a.get(k).filter(|v| v.is_truthy()).map(time_arg).transpose()
    };
    let (created_before, created_after) = (t("createdBefore")?, t("createdAfter")?);
    let (complete_before, complete_after) = (t("completeBefore")?, t("completeAfter")?);
    let (promoted_before, promoted_after) = (t("promotedBefore")?, t("promotedAfter")?);
    let mut cg_id = None;
    if let Some(cg) = a.get("cgID").filter(|v| v.is_truthy()) {
        match find_cg(&ds.content_generators, cg) {
            Some(id) => cg_id = Some(id),
            None => return Ok(Out::Value(Value::Array(vec![]))),
        }
    }
    let btype = match a.opt("type") {
        None => None,
        Some(Value::String(t)) if t == "maven" || t == "win" || t == "image" => Some(t.clone()),
        Some(t) => {
            let name = py::str_of(t);
            let known = ds
                .btypes
                .iter()
                .any(|b| b.get("name").and_then(Value::as_str) == Some(name.as_str()));
            if !known {
                return Err(Exc::generic(format!("unsupported build type: {name}")));
            }
            Some(name)
        }
    };
    if a.opt("typeInfo").is_some() && matches!(btype.as_deref(), Some("maven" | "win")) {
        unsupported("listBuilds", &a, &["typeInfo"])?;
    }
    let draft = a.opt("draft").map(Value::is_truthy);
    let q = QueryOpts::parse(a.get("queryOpts"))?;

    let cmp_lt = |x: Option<f64>, bound: Option<f64>| match bound {
        None => true,
        Some(b) => x.is_some_and(|x| x < b),
    };
    let cmp_gt = |x: Option<f64>, bound: Option<f64>| match bound {
        None => true,
        Some(b) => x.is_some_and(|x| x > b),
    };
    // the data set's builds (as changed since start), then the new ones
    let live: Vec<Build> = ctx.hub.with_live(|l| l.builds.clone());
    let changed = |b: &'_ Build| live.iter().any(|l| l.id == b.id);
    let rows = ds
        .builds
        .iter()
        .filter(|b| !changed(b))
        .chain(live.iter())
        .filter(|b| package_id.is_none_or(|p| b.package_id == p))
        .filter(|b| user_id.is_none_or(|u| b.owner_id == u))
        .filter(|b| promoter_id.is_none_or(|u| b.promoter_id == Some(u)))
        .filter(|b| volume_id.is_none_or(|v| b.volume_id == v))
        .filter(|b| match task_id {
            None => true,
            Some(-1) => b.task_id.is_some(),
            Some(t) => b.task_id == Some(t),
        })
        .filter(|b| {
            source
                .as_ref()
                .is_none_or(|s| b.source.as_deref().is_some_and(|src| glob_ilike(s, src)))
        })
        .filter(|b| {
            prefix
                .as_ref()
                .is_none_or(|p| b.package_name.to_lowercase().starts_with(&p.to_lowercase()))
        })
        .filter(|b| pattern.as_ref().is_none_or(|p| glob_ilike(p, &b.nvr)))
        .filter(|b| state.is_none_or(|s| b.state == s))
        .filter(|b| {
            cmp_lt(Some(b.creation_ts), created_before)
                && cmp_gt(Some(b.creation_ts), created_after)
        })
        .filter(|b| {
            cmp_lt(b.completion_ts, complete_before) && cmp_gt(b.completion_ts, complete_after)
        })
        .filter(|b| {
            cmp_lt(b.promotion_ts, promoted_before) && cmp_gt(b.promotion_ts, promoted_after)
        })
        .filter(|b| cg_id.is_none_or(|c| b.cg_id == Some(c)))
        .filter(|b| btype.as_ref().is_none_or(|t| b.has_btype(t)))
        .filter(|b| draft.is_none_or(|d| b.draft == d))
        .map(Build::list_row);
    q.finish_iter(rows, LIST_BUILD_ALIASES)
}

fn find_cg(map: &Struct, info: &Value) -> Option<i64> {
    match info {
        Value::String(name) => map.get(name)?.get("id")?.as_i64(),
        Value::Int(id) => map
            .values()
            .filter_map(|v| v.get("id").and_then(Value::as_i64))
            .find(|i| i == id),
        _ => None,
    }
}

fn per_build_list(
    a: &Args,
    method: &str,
    table: &std::collections::HashMap<i64, Vec<Value>>,
    skip: &[&str],
    aliases: &[&str],
) -> HubResult<Out> {
    unsupported(method, a, skip)?;
    let q = QueryOpts::parse(a.get("queryOpts"))?;
    let rows: Vec<&Struct> = match a.opt("buildID") {
        Some(b) => {
            let id = super::convert_int(b)?;
            table
                .get(&id)
                .map(|l| l.iter().filter_map(Value::as_struct).collect())
                .unwrap_or_default()
        }
        None => table
            .values()
            .flat_map(|l| l.iter().filter_map(Value::as_struct))
            .collect(),
    };
    let draft = a.opt("draft").map(Value::is_truthy);
    // listRPMs(arches=[..]): the RPM's arch must be one of them;
    // listArchives(type=..): the archive's btype must be it.
    let arches: Option<Vec<&str>> = (method == "listRPMs")
        .then(|| a.opt("arches"))
        .flatten()
        .map(|v| match v.as_array() {
            Some(list) => list.iter().filter_map(Value::as_str).collect(),
            None => v.as_str().into_iter().collect(),
        });
    let btype = (method == "listArchives")
        .then(|| a.opt("type"))
        .flatten()
        .and_then(Value::as_str);
    let field = |r: &Struct, k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
    let rows = rows
        .into_iter()
        .filter(|r| draft.is_none_or(|d| r.get("draft").is_none_or(|v| v.is_truthy() == d)))
        .filter(|r| {
            arches
                .as_ref()
                .is_none_or(|l| field(r, "arch").is_some_and(|x| l.contains(&x.as_str())))
        })
        .filter(|r| btype.is_none_or(|t| field(r, "btype").as_deref() == Some(t)))
        .collect();
    query::finish_values(&q, rows, aliases)
}

pub(super) fn list_rpms(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    per_build_list(
        &a,
        "listRPMs",
        &ctx.hub.data.build_rpms,
        &["buildrootID", "imageID", "componentBuildrootID", "hostID"],
        &[
            "arch",
            "build_id",
            "buildroot_id",
            "buildtime",
            "draft",
            "epoch",
            "external_repo_id",
            "external_repo_name",
            "extra",
            "id",
            "metadata_only",
            "name",
            "nvr",
            "payloadhash",
            "release",
            "size",
            "version",
        ],
    )
}

pub(super) fn list_archives(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    // the data set's archives and those CGImport added
    let mut table = ctx.hub.data.build_archives.clone();
    ctx.hub.with_live(|l| {
        for (id, rows) in &l.archives {
            table.insert(*id, rows.clone());
        }
    });
    per_build_list(
        &a,
        "listArchives",
        &table,
        &[
            "buildrootID",
            "componentBuildrootID",
            "hostID",
            "filename",
            "size",
            "checksum",
            "checksum_type",
            "typeInfo",
            "imageID",
            "archiveID",
        ],
        &[
            "btype",
            "btype_id",
            "build_id",
            "buildroot_id",
            "checksum",
            "checksum_type",
            "compression_type",
            "extra",
            "filename",
            "id",
            "metadata_only",
            "size",
            "type_description",
            "type_extensions",
            "type_id",
            "type_name",
        ],
    )
}

fn mentions_koji_task_id(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("koji_task_id"),
        Value::Array(a) => a.iter().any(mentions_koji_task_id),
        Value::Struct(s) => s
            .iter()
            .any(|(k, v)| k.contains("koji_task_id") || mentions_koji_task_id(v)),
        _ => false,
    }
}

pub(super) fn get_average_build_duration(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let ds = &ctx.hub.data;
    let Some(pkg) = find_package(ds, a.or("package", &Value::Nil))? else {
        return Ok(Out::nil());
    };
    let cutoff = match a.opt("age") {
        None => None,
        Some(age) => {
            let months = super::to_int(age)
                .ok_or_else(|| Exc::py("ValueError", py::int_error(&py::str_of(age))))?;
            Some(crate::time::now_ts() - months as f64 * 30.0 * 86_400.0)
        }
    };
    let durations: Vec<i64> = ds
        .builds
        .iter()
        .filter(|b| b.package_id == pkg.id && b.state == 1)
        .filter(|b| b.task_id.is_some() || mentions_koji_task_id(&b.extra))
        .filter(|b| cutoff.is_none_or(|c| b.completion_ts.is_some_and(|t| t > c)))
        .filter_map(|b| {
            b.completion_ts
                .map(|c| (c * 1e6).round() as i64 - (b.creation_ts * 1e6).round() as i64)
        })
        .collect();
    if durations.is_empty() {
        return Ok(Out::nil());
    }
    let sum: i64 = durations.iter().sum();
    let avg = (sum as f64 / durations.len() as f64).round() / 1e6;
    Ok(Value::Double(avg).into())
}

pub(super) fn get_package(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let info = a.or("info", &Value::Nil);
    if a.truthy("create", false) {
        return Err(Exc::generic(
            "koji-testhub does not implement the create parameter of getPackage",
        ));
    }
    match find_package(&ctx.hub.data, info)? {
        Some(p) => {
            let mut s = Struct::new();
            s.insert("id".into(), Value::Int(p.id));
            s.insert("name".into(), Value::String(p.name.clone()));
            Ok(Value::Struct(s).into())
        }
        None if a.truthy("strict", false) => Err(Exc::generic(format!(
            "No such entry in table package: {}",
            py::str_of(info)
        ))),
        None => Ok(Out::nil()),
    }
}

pub(super) fn list_packages(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    unsupported("listPackages", &a, &["userID", "event"])?;
    let ds = &ctx.hub.data;
    let q = QueryOpts::parse(a.get("queryOpts"))?;
    let prefix = a.get("prefix").filter(|p| p.is_truthy()).map(py::str_of);
    let pkg_filter = match a.opt("pkgID") {
        Some(p) => match find_package(ds, p)? {
            Some(p) => Some(p.id),
            None => return Ok(Out::Value(Value::Array(vec![]))),
        },
        None => None,
    };
    let Some(tag) = a.opt("tagID") else {
        let rows: Vec<Struct> = ds
            .packages
            .iter()
            .filter(|p| pkg_filter.is_none_or(|id| p.id == id))
            .filter(|p| {
                prefix
                    .as_ref()
                    .is_none_or(|x| p.name.to_lowercase().starts_with(&x.to_lowercase()))
            })
            .map(|p| {
                let mut s = Struct::new();
                s.insert("package_id".into(), Value::Int(p.id));
                s.insert("package_name".into(), Value::String(p.name.clone()));
                s
            })
            .collect();
        return query::finish_values(&q, rows.iter().collect(), &["package_id", "package_name"]);
    };
    let tag_id = {
        let cat = ctx.hub.catalog();
        match super::tags::find_tag(&cat, tag)? {
            Some(t) => t.id,
            None => return Err(Exc::generic(format!("No such tagInfo: {}", py::repr(tag)))),
        }
    };
    let inherited = a.truthy("inherited", false);
    let with_blocked = a.truthy("with_blocked", true);
    let with_owners = a.truthy("with_owners", true);
    let empty = (Vec::new(), Vec::new());
    let (direct, inh) = ds.tag_packages.get(&tag_id).unwrap_or(&empty);
    let list = if inherited { inh } else { direct };
    let rows: Vec<Struct> = list
        .iter()
        .filter_map(Value::as_struct)
        .filter(|r| with_blocked || !r.get("blocked").is_some_and(Value::is_truthy))
        .filter(|r| {
            pkg_filter.is_none_or(|id| r.get("package_id").and_then(Value::as_i64) == Some(id))
        })
        .filter(|r| {
            prefix.as_ref().is_none_or(|x| {
                r.get("package_name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.to_lowercase().starts_with(&x.to_lowercase()))
            })
        })
        .map(|r| {
            let mut r = r.clone();
            if !with_owners {
                r.shift_remove("owner_id");
                r.shift_remove("owner_name");
            }
            r
        })
        .collect();
    query::finish_values(
        &q,
        rows.iter().collect(),
        &[
            "blocked",
            "extra_arches",
            "owner_id",
            "owner_name",
            "package_id",
            "package_name",
            "tag_id",
            "tag_name",
        ],
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn nvr_parsing() {
        assert_eq!(
            parse_nvr("hello-1.2-1.fc40").unwrap(),
            ("hello".into(), "1.2".into(), "1.fc40".into())
        );
        assert_eq!(
            parse_nvr("draftpkg-1.0-1.fc40,draft_16").unwrap().2,
            "1.fc40,draft_16"
        );
        assert_eq!(
            parse_nvr("notanvr").unwrap_err().fault_string(),
            "invalid format: notanvr"
        );
        assert!(parse_nvr("a-b-").is_err());
        assert!(parse_nvr("a--b").is_err());
    }
}
