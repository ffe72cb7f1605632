//! Tags, tagged builds, inheritance, targets and repos.

use std::collections::HashMap;

use koji_xmlrpc::{Struct, Value};

use super::builds::{find_build, find_package};
use super::{NameOrId, convert_int, name_or_id};
use crate::args::Args;
use crate::dataset::Tag;
use crate::dataset::model::{Build, Listing};
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::hub::Catalog;
use crate::py;
use crate::query::{self, QueryOpts};
use crate::wire::{Out, Row};

/// `name_or_id_clause('tag', info)` against the catalog.
pub(crate) fn find_tag<'a>(cat: &'a Catalog, info: &Value) -> HubResult<Option<&'a Tag>> {
    Ok(match name_or_id(info)? {
        NameOrId::Id(id) => cat.tag_by_id(id),
        NameOrId::Name(n) => cat.tag_by_name(&n),
    })
}

/// `get_tag_id(info, strict=True)`.
pub(crate) fn tag_id_strict(cat: &Catalog, info: &Value) -> HubResult<i64> {
    find_tag(cat, info)?
        .map(|t| t.id)
        .ok_or_else(|| Exc::generic(format!("No such entry in table tag: {}", py::str_of(info))))
}

fn exists_at(tag: &Tag, event: Option<i64>) -> bool {
    match (event, tag.create_event) {
        (Some(e), Some(c)) => c <= e,
        _ => true,
    }
}

/// The `getTag` answer.
pub(crate) fn tag_info(tag: &Tag, event: Option<i64>) -> Value {
    let mut s = tag_row(tag, true);
    s.insert("extra".into(), Value::Struct(tag.extra.clone()));
    if let Some(e) = event {
        s.insert("query_event".into(), Value::Int(e));
    }
    Value::Struct(s)
}

fn tag_row(tag: &Tag, perms: bool) -> Struct {
    let mut s = Struct::new();
    s.insert("arches".into(), tag.arches.clone());
    s.insert("id".into(), Value::Int(tag.id));
    s.insert("locked".into(), Value::Bool(tag.locked));
    s.insert(
        "maven_include_all".into(),
        Value::Bool(tag.maven_include_all),
    );
    s.insert("maven_support".into(), Value::Bool(tag.maven_support));
    s.insert("name".into(), Value::String(tag.name.clone()));
    if perms {
        s.insert(
            "perm".into(),
            tag.perm.clone().map_or(Value::Nil, Value::String),
        );
        s.insert("perm_id".into(), tag.perm_id.map_or(Value::Nil, Value::Int));
    }
    s
}

fn event_arg(a: &Args) -> HubResult<Option<i64>> {
    a.opt("event").map(convert_int).transpose()
}

pub(super) fn get_tag(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let info = a.or("tagInfo", &Value::Nil);
    let event = match a.opt("event") {
        Some(Value::String(s)) if s == "auto" => None,
        _ => event_arg(&a)?,
    };
    let cat = ctx.hub.catalog();
    match find_tag(&cat, info)?.filter(|t| exists_at(t, event)) {
        Some(t) => Ok(tag_info(t, event).into()),
        None if a.truthy("strict", false) => {
            Err(Exc::generic(format!("No such tagInfo: {}", py::repr(info))))
        }
        None => Ok(Out::nil()),
    }
}

pub(super) fn list_tags(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let build = a.opt("build");
    let package = a.opt("package");
    if build.is_some() && package.is_some() {
        return Err(Exc::generic(
            "only one of build and package may be specified",
        ));
    }
    let perms = a.truthy("perms", true);
    let ds = &ctx.hub.data;
    let cat = ctx.hub.catalog();
    let pattern = a.opt("pattern").map(py::str_of);
    let q = QueryOpts::parse(a.get("queryOpts"))?;
    let mut rows: Vec<Struct> = Vec::new();
    let mut aliases = vec![
        "arches",
        "id",
        "locked",
        "maven_include_all",
        "maven_support",
        "name",
    ];
    if perms {
        aliases.extend(["perm", "perm_id"]);
    }
    if let Some(b) = build {
        let Some(b) = find_build(ds, b, false)? else {
            return Err(Exc::generic(format!("No such build: {}", py::str_of(b))));
        };
        for tid in ds.build_tags.get(&b.id).into_iter().flatten() {
            if let Some(t) = cat.tag_by_id(*tid) {
                rows.push(tag_row(t, perms));
            }
        }
    } else if let Some(p) = package {
        let Some(p) = find_package(ds, p)? else {
            return Err(Exc::generic(format!("No such package: {}", py::str_of(p))));
        };
        aliases.extend(["blocked", "extra_arches", "owner_id", "owner_name"]);
        aliases.sort_unstable();
        for (tid, extra) in ds.package_tags.get(&p.id).into_iter().flatten() {
            if let Some(t) = cat.tag_by_id(*tid) {
                let mut r = tag_row(t, perms);
                for (k, v) in extra {
                    r.insert(k.clone(), v.clone());
                }
                r.sort_keys();
                rows.push(r);
            }
        }
    } else {
        rows.extend(cat.tags.iter().map(|t| tag_row(t, perms)));
    }
    if let Some(p) = pattern {
        rows.retain(|r| {
            r.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| super::glob_ilike(&p, n))
        });
    }
    query::finish_values(&q, rows.iter().collect(), &aliases)
}

pub(super) fn list_tagged(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let ds = &ctx.hub.data;
    let info = a.or("tag", &Value::Nil);
    let event = event_arg(&a)?;
    let (tag_id, tag_names, chain) = {
        let cat = ctx.hub.catalog();
        let Some(tag) = find_tag(&cat, info)?.filter(|t| exists_at(t, event)) else {
            if a.truthy("strict", true) {
                return Err(Exc::generic(format!("No such tagInfo: {}", py::repr(info))));
            }
            return Ok(Out::Value(Value::Array(vec![])));
        };
        let mut chain = vec![tag.id];
        if a.truthy("inherit", false) {
            chain.extend(parent_ids(ds.full_inheritance.get(&tag.id)));
        }
        let names: HashMap<i64, String> = cat.tags.iter().map(|t| (t.id, t.name.clone())).collect();
        (tag.id, names, chain)
    };
    // regardless of inherit, the package list is read with inheritance
    let mut allowed: HashMap<i64, bool> = HashMap::new();
    if let Some((_, inherited)) = ds.tag_packages.get(&tag_id) {
        for r in inherited {
            if let (Some(pid), Some(blocked)) = (
                r.get("package_id").and_then(Value::as_i64),
                r.get("blocked").and_then(Value::as_bool),
            ) {
                allowed.insert(pid, blocked);
            }
        }
    }
    let package = a.opt("package").map(py::str_of);
    let owner = a.opt("owner").map(py::str_of);
    let draft = a.opt("draft").map(Value::is_truthy);
    let with_extra = a.truthy("extra", false);
    let btype = match a.opt("type") {
        None => None,
        Some(t) => {
            let name = py::str_of(t);
            let builtin = matches!(name.as_str(), "maven" | "win" | "image");
            let known = builtin
                || ds
                    .btypes
                    .iter()
                    .any(|b| b.get("name").and_then(Value::as_str) == Some(name.as_str()));
            if !known {
                return Err(Exc::generic(format!("unsupported build type: {name}")));
            }
            Some(name)
        }
    };
    // latest: True (one per package) or N per package
    let latest: usize = match a.get("latest") {
        None | Some(Value::Nil) => 0,
        Some(Value::Bool(b)) => usize::from(*b),
        Some(Value::Int(i)) => usize::try_from(*i).unwrap_or(0),
        Some(Value::Double(d)) => {
            if *d > 0.0 {
                d.ceil() as usize
            } else {
                0
            }
        }
        Some(other) => usize::from(other.is_truthy()),
    };
    let prefix = a
        .get("prefix")
        .filter(|p| p.is_truthy())
        .map(|p| py::str_of(p).to_lowercase());
    // what the simulated builder and the write calls changed: their
    // taggings (newest first, before the data set's), the data-set
    // listings they removed, and their builds (new, or changed state)
    let (live_builds, live_tagged, untagged) = ctx.hub.with_live(|l| {
        let tagged: Vec<(i64, Listing)> = l
            .tagged
            .iter()
            .rev()
            .map(|t| {
                let listing = Listing {
                    build_id: t.build_id,
                    create_event: t.event,
                };
                (t.tag_id, listing)
            })
            .collect();
        (l.builds.clone(), tagged, l.untagged.clone())
    });
    let build_of = |id: i64| -> Option<&Build> {
        live_builds
            .iter()
            .find(|b| b.id == id)
            .or_else(|| ds.build_by_id.get(&id).and_then(|i| ds.builds.get(*i)))
    };
    let mut seen: HashMap<i64, usize> = HashMap::new();
    let mut rows: Vec<Row<'_>> = Vec::new();
    let empty = Vec::new();
    for tid in chain {
        let tname = tag_names.get(&tid).map_or("", String::as_str);
        let listings = live_tagged
            .iter()
            .filter(|(t, _)| *t == tid)
            .map(|(_, l)| l)
            .chain(
                ds.listings
                    .get(&tid)
                    .unwrap_or(&empty)
                    .iter()
                    .filter(|l| !untagged.contains(&(tid, l.build_id))),
            );
        for l in listings {
            let Some(b) = build_of(l.build_id) else {
                continue;
            };
            if b.state != 1
                || event.is_some_and(|e| l.create_event > e)
                || package.as_ref().is_some_and(|p| *p != b.package_name)
                || owner.as_ref().is_some_and(|o| *o != b.owner_name)
                || draft.is_some_and(|d| d != b.draft)
                || btype.as_ref().is_some_and(|t| !b.has_btype(t))
            {
                continue;
            }
            match allowed.get(&b.package_id) {
                Some(false) => {}
                _ => continue, // not on the package list, or blocked
            }
            if latest > 0 {
                let n = seen.entry(b.package_id).or_insert(0);
                if *n >= latest {
                    continue;
                }
                *n += 1;
            }
            if prefix
                .as_ref()
                .is_some_and(|p| !b.package_name.to_lowercase().starts_with(p.as_str()))
            {
                continue;
            }
            rows.push(b.tagged_row(tid, tname, l.create_event, with_extra));
        }
    }
    Ok(Out::Encoded(query::encode_rows(&rows, false)))
}

fn parent_ids(list: Option<&Vec<Value>>) -> Vec<i64> {
    list.into_iter()
        .flatten()
        .filter_map(|l| l.get("parent_id").and_then(Value::as_i64))
        .collect()
}

pub(super) fn get_full_inheritance(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    for (k, v) in &a.extra {
        if k == "stops" || k == "jumps" {
            if v.is_truthy() {
                return Err(Exc::param(format!(
                    "{k} option has been removed since 1.26"
                )));
            }
        } else {
            return Err(Exc::param(format!(
                "getFullInheritance() got an unexpected keyword argument '{k}'"
            )));
        }
    }
    if a.opt("event").is_some() {
        return Err(Exc::generic(
            "koji-testhub does not implement the event parameter of getFullInheritance",
        ));
    }
    let info = a.or("tag", &Value::Nil);
    let id = match info {
        Value::Int(i) => *i,
        other => tag_id_strict(&ctx.hub.catalog(), other)?,
    };
    let table = if a.truthy("reverse", false) {
        &ctx.hub.data.full_inheritance_reverse
    } else {
        &ctx.hub.data.full_inheritance
    };
    Ok(Value::Array(table.get(&id).cloned().unwrap_or_default()).into())
}

pub(super) fn get_inheritance_data(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    if a.opt("event").is_some() {
        return Err(Exc::generic(
            "koji-testhub does not implement the event parameter of getInheritanceData",
        ));
    }
    let id = tag_id_strict(&ctx.hub.catalog(), a.or("tag", &Value::Nil))?;
    Ok(Value::Array(
        ctx.hub
            .data
            .inheritance
            .get(&id)
            .cloned()
            .unwrap_or_default(),
    )
    .into())
}

fn matching_targets<'a>(
    ctx: &'a Ctx<'_>,
    info: Option<&Value>,
    build_tag: Option<i64>,
    dest_tag: Option<i64>,
) -> HubResult<Vec<&'a Struct>> {
    let want = info.filter(|v| v.is_truthy()).map(name_or_id).transpose()?;
    Ok(ctx
        .hub
        .data
        .targets
        .iter()
        .filter(|t| match &want {
            None => true,
            Some(NameOrId::Id(id)) => t.get("id").and_then(Value::as_i64) == Some(*id),
            Some(NameOrId::Name(n)) => t.get("name").and_then(Value::as_str) == Some(n.as_str()),
        })
        .filter(|t| build_tag.is_none_or(|b| t.get("build_tag").and_then(Value::as_i64) == Some(b)))
        .filter(|t| dest_tag.is_none_or(|d| t.get("dest_tag").and_then(Value::as_i64) == Some(d)))
        .collect())
}

fn target_tag_arg(ctx: &Ctx<'_>, v: Option<&Value>) -> HubResult<Option<Option<i64>>> {
    Ok(match v {
        None => None,
        Some(v @ (Value::String(_) | Value::Struct(_))) => {
            Some(find_tag(&ctx.hub.catalog(), v)?.map(|t| t.id))
        }
        Some(v) => Some(Some(convert_int(v)?)),
    })
}

pub(super) fn get_build_targets(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    if a.opt("event").is_some() {
        return Err(Exc::generic(
            "koji-testhub does not implement the event parameter of getBuildTargets",
        ));
    }
    let q = QueryOpts::parse(a.get("queryOpts"))?;
    let build_tag = target_tag_arg(ctx, a.opt("buildTagID"))?;
    let dest_tag = target_tag_arg(ctx, a.opt("destTagID"))?;
    // an unknown tag name matches nothing (NULL in the SQL clause)
    if matches!(build_tag, Some(None)) || matches!(dest_tag, Some(None)) {
        return Ok(Value::Array(vec![]).into());
    }
    let rows = matching_targets(ctx, a.get("info"), build_tag.flatten(), dest_tag.flatten())?;
    query::finish_values(
        &q,
        rows,
        &[
            "build_tag",
            "build_tag_name",
            "dest_tag",
            "dest_tag_name",
            "id",
            "name",
        ],
    )
}

pub(super) fn get_build_target(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    if a.opt("event").is_some() {
        return Err(Exc::generic(
            "koji-testhub does not implement the event parameter of getBuildTarget",
        ));
    }
    let info = a.or("info", &Value::Nil);
    let rows = matching_targets(ctx, Some(info), None, None)?;
    match rows.as_slice() {
        [one] if info.is_truthy() => Ok(Value::Struct((*one).clone()).into()),
        _ if a.truthy("strict", false) => Err(Exc::generic(format!(
            "No such build target: {}",
            py::str_of(info)
        ))),
        _ => Ok(Out::nil()),
    }
}

pub(super) fn get_repo(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let tag_id = tag_id_strict(&ctx.hub.catalog(), a.or("tag", &Value::Nil))?;
    let state = a.opt("state").map(convert_int).transpose()?;
    let event = a.opt("event").map(convert_int).transpose()?;
    let min_event = a.opt("min_event").map(convert_int).transpose()?;
    let dist = a.truthy("dist", false);
    let repo = ctx
        .hub
        .data
        .repos_by_tag
        .values()
        .filter(|r| r.get("tag_id").and_then(Value::as_i64) == Some(tag_id))
        .filter(|r| r.get("dist").and_then(Value::as_bool) == Some(dist))
        .filter(|r| {
            let create = r.get("create_event").and_then(Value::as_i64);
            let ok_event = match event.filter(|e| *e != 0) {
                Some(e) => create.is_some_and(|c| c <= e),
                None => r.get("state").and_then(Value::as_i64) == Some(state.unwrap_or(1)),
            };
            ok_event && min_event.is_none_or(|m| create.is_some_and(|c| c >= m))
        })
        .max_by(|x, y| {
            let cx = x.get("creation_ts").and_then(Value::as_f64).unwrap_or(0.0);
            let cy = y.get("creation_ts").and_then(Value::as_f64).unwrap_or(0.0);
            cx.total_cmp(&cy)
        });
    Ok(repo.cloned().unwrap_or(Value::Nil).into())
}

pub(super) fn repo_info(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let id = match a.opt("repo_id") {
        None => None,
        Some(v) => Some(convert_int(v)?),
    };
    match id.and_then(|i| ctx.hub.data.repo_info.get(&i)) {
        Some(r) => Ok(r.clone().into()),
        None if a.truthy("strict", false) => Err(Exc::generic("query returned no rows")),
        None => Ok(Out::nil()),
    }
}
