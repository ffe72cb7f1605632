//! Task control: `cancelTask`, `cancelTaskFull`, `cancelTaskChildren`,
//! `resubmitTask` and `cancelBuild`, on live (simulated) and data-set tasks.

use koji_xmlrpc::Value;

use super::builds_write::{actor, lookup_build};
use super::convert_int;
use super::users::{assert_perm, has_perm};
use crate::args::Args;
use crate::dataset::model::{Task, task_state};
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::sim::build_state;
use crate::wire::Out;

fn lookup(ctx: &Ctx<'_>, id: i64) -> Option<Task> {
    ctx.hub.with_live(|l| l.task(&ctx.hub.data, id))
}

fn is_owner(ctx: &Ctx<'_>, t: &Task) -> bool {
    ctx.sess
        .user_id
        .filter(|_| ctx.sess.logged_in)
        .is_some_and(|u| u == t.owner)
}

fn cancel(ctx: &mut Ctx<'_>, id: i64, recurse: bool) {
    let prefix = ctx.hub.cfg.sim.topic_prefix.clone();
    let changed = ctx.hub.with_live(|l| {
        let before = l.published.len();
        l.cancel(&prefix, &ctx.hub.data, id, recurse);
        l.published.len() != before
    });
    if changed {
        ctx.hub.catalog_mut().new_event();
        ctx.commit = true;
    }
}

pub(super) fn cancel_task(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let id = convert_int(a.or("task_id", &Value::Nil))?;
    let t = lookup(ctx, id).ok_or_else(|| Exc::generic(format!("No such task: {id}")))?;
    if !is_owner(ctx, &t) && !has_perm(ctx, "admin") {
        return Err(Exc::not_allowed("Cannot cancel task, not owner"));
    }
    cancel(ctx, id, a.truthy("recurse", true));
    Ok(Out::nil())
}

pub(super) fn cancel_task_full(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    assert_perm(ctx, "admin")?;
    let id = convert_int(a.or("task_id", &Value::Nil))?;
    let Some(mut t) = lookup(ctx, id) else {
        if a.truthy("strict", true) {
            return Err(Exc::generic(format!("No such task: {id}")));
        }
        return Ok(Out::nil());
    };
    // from the top-level parent
    let mut guard = 0;
    while let Some(p) = t.parent {
        guard += 1;
        match lookup(ctx, p) {
            Some(pt) if guard < 1000 => t = pt,
            _ => break,
        }
    }
    cancel(ctx, t.id, true);
    Ok(Out::nil())
}

pub(super) fn cancel_task_children(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let id = convert_int(a.or("task_id", &Value::Nil))?;
    let t = lookup(ctx, id).ok_or_else(|| Exc::generic(format!("No such task: {id}")))?;
    if !is_owner(ctx, &t) && !has_perm(ctx, "admin") {
        return Err(Exc::not_allowed("Cannot cancel task, not owner"));
    }
    let kids = ctx.hub.with_live(|l| l.children(&ctx.hub.data, id));
    for k in kids {
        cancel(ctx, k.id, true);
    }
    Ok(Out::nil())
}

pub(super) fn resubmit_task(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let id = convert_int(a.or("taskID", &Value::Nil))?;
    let t = lookup(ctx, id).ok_or_else(|| Exc::generic(format!("No such task: {id}")))?;
    if t.state != task_state::CANCELED && t.state != task_state::FAILED {
        return Err(Exc::generic(
            "only canceled or failed tasks may be resubmitted",
        ));
    }
    if t.parent.is_some() {
        return Err(Exc::generic("only top-level tasks may be resubmitted"));
    }
    if !is_owner(ctx, &t) && !has_perm(ctx, "admin") {
        return Err(Exc::generic(
            "only the task owner or an admin may resubmit a task",
        ));
    }
    let owner = actor(ctx)?;
    let tags = ctx.hub.catalog().tags.clone();
    let cfg = &ctx.hub.cfg.sim;
    let new = ctx
        .hub
        .with_live(|l| l.resubmit(cfg, &ctx.hub.data, &tags, &owner, &t));
    ctx.commit = true;
    Ok(Value::Int(new).into())
}

pub(super) fn cancel_build(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let info = a.or("buildID", &Value::Nil).clone();
    let b = match lookup_build(ctx, &info) {
        Ok(b) => b,
        Err(e) if a.truthy("strict", false) => return Err(e),
        Err(_) => return Ok(Value::Bool(false).into()),
    };
    let owner = ctx
        .sess
        .user_id
        .filter(|_| ctx.sess.logged_in)
        .is_some_and(|u| u == b.owner_id);
    if !owner && !has_perm(ctx, "admin") {
        return Err(Exc::not_allowed("Cannot cancel build, not owner"));
    }
    if b.state != build_state::BUILDING {
        return Ok(Value::Bool(false).into());
    }
    match b.task_id {
        Some(task) => cancel(ctx, task, true),
        None => return Ok(Value::Bool(false).into()),
    }
    Ok(Value::Bool(true).into())
}

pub(super) fn set_task_priority(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    assert_perm(ctx, "admin")?;
    let id = convert_int(a.or("task_id", &Value::Nil))?;
    let priority = convert_int(a.or("priority", &Value::Nil))?;
    let t = lookup(ctx, id).ok_or_else(|| Exc::generic("query returned no rows"))?;
    if matches!(
        t.state,
        task_state::CLOSED | task_state::CANCELED | task_state::FAILED
    ) {
        return Err(Exc::generic("Finished task's priority can't be updated"));
    }
    let recurse = a.truthy("recurse", true);
    ctx.hub
        .with_live(|l| l.set_priority(&ctx.hub.data, id, priority, recurse));
    ctx.commit = true;
    Ok(Out::nil())
}
