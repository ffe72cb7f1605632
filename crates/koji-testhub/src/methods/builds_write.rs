//! Build submission and the tag operations: `build`, `tagBuild`,
//! `moveBuild` (tasks run by the simulated builder, `crate::sim`) and
//! `untagBuild` (immediate), with the recorded hub's checks and faults.

use koji_xmlrpc::{Struct, Value};

use super::builds::find_build;
use super::tags::find_tag;
use super::users::has_perm;
use crate::args::Args;
use crate::dataset::Tag;
use crate::dataset::model::Build;
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::py;
use crate::sim::{Actor, BuildRequest, TagRequest, build_state};
use crate::wire::Out;

/// The logged-in user as the simulation and its messages name it, or
/// 1004 `you must be logged in for this operation`.
pub(super) fn actor(ctx: &Ctx<'_>) -> HubResult<Actor> {
    let uid = ctx
        .sess
        .user_id
        .filter(|_| ctx.sess.logged_in)
        .ok_or_else(|| Exc::not_allowed("you must be logged in for this operation"))?;
    let cat = ctx.hub.catalog();
    let u = cat
        .user(uid)
        .ok_or_else(|| Exc::not_allowed("you must be logged in for this operation"))?;
    let mut user = Struct::new();
    user.insert("id".into(), Value::Int(u.id));
    user.insert("name".into(), Value::String(u.name.clone()));
    user.insert("status".into(), Value::Int(u.status));
    user.insert("usertype".into(), Value::Int(u.usertype));
    user.insert(
        "krb_principals".into(),
        Value::Array(
            u.krb_principals
                .iter()
                .map(|k| Value::String(k.clone()))
                .collect(),
        ),
    );
    Ok(Actor {
        id: u.id,
        name: u.name.clone(),
        user: Value::Struct(user),
    })
}

pub(super) fn build(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let owner = actor(ctx)?;
    let src = match a.or("src", &Value::Nil) {
        Value::String(s) => s.clone(),
        other => {
            return Err(Exc::param(format!(
                "Invalid type for value '{}': {}, expected type <class 'str'>",
                py::str_of(other),
                py::type_repr(other)
            )));
        }
    };
    let target = py::str_of(a.or("target", &Value::Nil));
    let opts = match a.opt("opts") {
        None | Some(Value::Nil) => Struct::new(),
        Some(Value::Struct(s)) => s.clone(),
        Some(other) => {
            return Err(Exc::py(
                "AttributeError",
                format!("'{}' object has no attribute 'get'", py::type_name(other)),
            ));
        }
    };
    let priority = match a.opt("priority") {
        None | Some(Value::Nil) => 20,
        Some(v) => {
            let p = super::as_py_int(v).ok_or_else(|| {
                Exc::py(
                    "TypeError",
                    format!(
                        "unsupported operand type(s) for +=: 'int' and '{}'",
                        py::type_name(v)
                    ),
                )
            })?;
            if p < 0 && !has_perm(ctx, "admin") {
                return Err(Exc::not_allowed(
                    "only admins may create high-priority tasks",
                ));
            }
            20 + p
        }
    };
    if a.opt("channel").is_some() {
        return Err(Exc::generic(
            "koji-testhub does not implement the channel parameter of build",
        ));
    }
    let tags = ctx.hub.catalog().tags.clone();
    let req = BuildRequest {
        src,
        target,
        opts,
        priority,
        channel_id: 1,
    };
    let cfg = &ctx.hub.cfg.sim;
    let id = ctx
        .hub
        .with_live(|l| l.submit_build(cfg, &ctx.hub.data, &tags, &owner, &req));
    ctx.commit = true;
    Ok(Value::Int(id).into())
}

/// A build by id/NVR (live builds included), or 1000 `No such build: X`.
pub(super) fn lookup_build(ctx: &Ctx<'_>, info: &Value) -> HubResult<Build> {
    if let Some(b) = ctx.hub.with_live(|l| l.build(info).cloned()) {
        return Ok(b);
    }
    match find_build(&ctx.hub.data, info, false)? {
        Some(b) => Ok(b.clone()),
        None => Err(Exc::generic(format!("No such build: {}", py::repr(info)))),
    }
}

fn lookup_tag(ctx: &Ctx<'_>, info: &Value) -> HubResult<Tag> {
    let cat = ctx.hub.catalog();
    find_tag(&cat, info)?
        .cloned()
        .ok_or_else(|| Exc::generic(format!("No such tagInfo: {}", py::repr(info))))
}

/// `assert_tag_access`: a locked tag needs force and admin; a tag `perm`
/// needs that permission (or force and admin).
fn assert_tag_access(ctx: &Ctx<'_>, tag: &Tag, force: bool) -> HubResult<()> {
    let admin = has_perm(ctx, "admin");
    if tag.locked && !(force && admin) {
        return Err(Exc::not_allowed("tag is locked"));
    }
    if let Some(perm) = &tag.perm {
        if !(has_perm(ctx, perm) || force && admin) {
            return Err(Exc::not_allowed(format!("tag requires {perm} permission")));
        }
    }
    Ok(())
}

fn submit_tag(
    ctx: &mut Ctx<'_>,
    tag: &Value,
    build: &Value,
    force: bool,
    from: Option<&Value>,
) -> HubResult<Out> {
    let owner = actor(ctx)?;
    let tag = lookup_tag(ctx, tag)?;
    let from = from.map(|f| lookup_tag(ctx, f)).transpose()?;
    let b = lookup_build(ctx, build)?;
    if b.state != build_state::COMPLETE {
        return Err(Exc::tag_error(format!(
            "build {} not complete: state {}",
            b.nvr,
            match b.state {
                0 => "BUILDING",
                2 => "DELETED",
                3 => "FAILED",
                4 => "CANCELED",
                _ => "UNKNOWN",
            }
        )));
    }
    assert_tag_access(ctx, &tag, force)?;
    if let Some(f) = &from {
        assert_tag_access(ctx, f, force)?;
    }
    let req = TagRequest {
        tag: tag.id,
        build: b.id,
        force,
        from: from.map(|f| f.id),
    };
    let cfg = &ctx.hub.cfg.sim;
    let id = ctx
        .hub
        .with_live(|l| l.submit_tag(cfg, &ctx.hub.data, &owner, &req));
    ctx.commit = true;
    Ok(Value::Int(id).into())
}

pub(super) fn tag_build(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let tag = a.or("tag", &Value::Nil).clone();
    let build = a.or("build", &Value::Nil).clone();
    let from = a.opt("fromtag").filter(|v| !v.is_nil()).cloned();
    submit_tag(ctx, &tag, &build, a.truthy("force", false), from.as_ref())
}

pub(super) fn move_build(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let from = a.or("tag1", &Value::Nil).clone();
    let tag = a.or("tag2", &Value::Nil).clone();
    let build = a.or("build", &Value::Nil).clone();
    submit_tag(ctx, &tag, &build, a.truthy("force", false), Some(&from))
}

pub(super) fn untag_build(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let user = actor(ctx)?;
    let force = a.truthy("force", false);
    let strict = a.truthy("strict", true);
    let tag = lookup_tag(ctx, a.or("tag", &Value::Nil))?;
    let b = lookup_build(ctx, a.or("build", &Value::Nil))?;
    assert_tag_access(ctx, &tag, force)?;
    untag(ctx, &user, &tag, &b, force, strict)
}

/// Removes `b` from `tag` (both untag calls): publishes the untagging,
/// or, when the build was not in the tag, refuses if `strict`.
fn untag(
    ctx: &mut Ctx<'_>,
    user: &Actor,
    tag: &Tag,
    b: &Build,
    force: bool,
    strict: bool,
) -> HubResult<Out> {
    let ds_listed = ctx
        .hub
        .data
        .listings
        .get(&tag.id)
        .is_some_and(|l| l.iter().any(|x| x.build_id == b.id));
    let prefix = ctx.hub.cfg.sim.topic_prefix.clone();
    let removed = ctx.hub.with_live(|l| {
        let removed = l.untag(tag.id, b.id, ds_listed);
        if removed {
            l.publish_tagging(&prefix, true, tag, b, user, force);
        }
        removed
    });
    if !removed {
        if strict {
            return Err(Exc::tag_error(format!(
                "build {} not in tag {}",
                b.nvr, tag.name
            )));
        }
        return Ok(Out::nil());
    }
    ctx.hub.catalog_mut().new_event();
    ctx.commit = true;
    Ok(Out::nil())
}

fn bypass_args(ctx: &Ctx<'_>, a: &Args) -> HubResult<(Actor, Tag, Build, bool)> {
    super::users::assert_perm(ctx, "tag")?;
    let user = actor(ctx)?;
    let tag = lookup_tag(ctx, a.or("tag", &Value::Nil))?;
    let b = lookup_build(ctx, a.or("build", &Value::Nil))?;
    Ok((user, tag, b, a.truthy("force", false)))
}

pub(super) fn tag_build_bypass(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let (user, tag, b, force) = bypass_args(ctx, &a)?;
    if ctx
        .hub
        .with_live(|l| l.is_tagged(&ctx.hub.data, tag.id, b.id))
    {
        return Err(Exc::tag_error(format!(
            "build {} already tagged ({})",
            b.nvr, tag.name
        )));
    }
    let event = ctx.hub.catalog_mut().new_event();
    let prefix = ctx.hub.cfg.sim.topic_prefix.clone();
    ctx.hub
        .with_live(|l| l.tag_now(&prefix, &tag, &b, &user, force, event));
    ctx.commit = true;
    Ok(Out::nil())
}

pub(super) fn untag_build_bypass(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let (user, tag, b, force) = bypass_args(ctx, &a)?;
    untag(ctx, &user, &tag, &b, force, a.truthy("strict", true))
}

pub(super) fn create_empty_build(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    super::users::assert_perm(ctx, "admin")?;
    let mut owner = actor(ctx)?;
    if let Some(o) = a.opt("owner").filter(|v| !v.is_nil()) {
        let cat = ctx.hub.catalog();
        let u = super::users::find_user(&cat, o, false)?
            .ok_or_else(|| Exc::generic(format!("No such user: {}", py::str_of(o))))?;
        owner.id = u.id;
        owner.name = u.name.clone();
    }
    if a.truthy("draft", false) {
        return Err(Exc::generic(
            "koji-testhub does not implement the draft parameter of createEmptyBuild",
        ));
    }
    let part = |k: &str| py::str_of(a.or(k, &Value::Nil));
    let (name, version, release) = (part("name"), part("version"), part("release"));
    let nvr = format!("{name}-{version}-{release}");
    let nvr_value = Value::String(nvr.clone());
    if let Ok(b) = lookup_build(ctx, &nvr_value) {
        return Err(Exc::generic(format!(
            "Build already exists (id={}, state={}): {nvr}",
            b.id,
            match b.state {
                0 => "BUILDING",
                1 => "COMPLETE",
                2 => "DELETED",
                3 => "FAILED",
                _ => "CANCELED",
            }
        )));
    }
    let epoch = a.opt("epoch").and_then(super::as_py_int);
    let event = ctx.hub.catalog_mut().new_event();
    let prefix = ctx.hub.cfg.sim.topic_prefix.clone();
    let id = ctx.hub.with_live(|l| {
        l.create_empty_build(
            &prefix,
            &ctx.hub.data,
            &owner,
            (&name, &version, &release),
            epoch,
            event,
        )
    });
    ctx.commit = true;
    Ok(Value::Int(id).into())
}
