//! Channels, hosts and the builder side (`host.*`).

use koji_xmlrpc::{Struct, Value};

use super::{NameOrId, name_or_id};
use crate::args::Args;
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::py;
use crate::wire::Out;

fn channel_by<'a>(ctx: &'a Ctx<'_>, info: &NameOrId) -> Option<&'a Struct> {
    ctx.hub.data.channels.iter().find(|c| match info {
        NameOrId::Id(id) => c.get("id").and_then(Value::as_i64) == Some(*id),
        NameOrId::Name(n) => c.get("name").and_then(Value::as_str) == Some(n.as_str()),
    })
}

fn host_by<'a>(ctx: &'a Ctx<'_>, info: &NameOrId) -> Option<&'a Struct> {
    ctx.hub.data.hosts.iter().find(|h| match info {
        NameOrId::Id(id) => h.get("id").and_then(Value::as_i64) == Some(*id),
        NameOrId::Name(n) => h.get("name").and_then(Value::as_str) == Some(n.as_str()),
    })
}

fn id_of(s: &Struct) -> Option<i64> {
    s.get("id").and_then(Value::as_i64)
}

pub(super) fn list_channels(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let enabled = a.opt("enabled").map(Value::is_truthy);
    let keep =
        |c: &&Struct| enabled.is_none_or(|e| c.get("enabled").and_then(Value::as_bool) == Some(e));
    let host = a.get("hostID").filter(|h| h.is_truthy());
    let rows: Vec<Value> = if let Some(h) = host {
        if a.opt("event").is_some() {
            return Err(Exc::generic(
                "koji-testhub does not implement the event parameter of listChannels",
            ));
        }
        let host_id = match h {
            Value::String(name) => host_by(ctx, &NameOrId::Name(name.clone()))
                .and_then(id_of)
                .ok_or_else(|| Exc::generic(format!("Invalid hostInfo: {name}")))?,
            other => super::convert_int(other)?,
        };
        ctx.hub
            .data
            .host_channels
            .get(&host_id)
            .into_iter()
            .flatten()
            .filter_map(|cid| channel_by(ctx, &NameOrId::Id(*cid)))
            .filter(keep)
            .map(|c| Value::Struct(c.clone()))
            .collect()
    } else if a.get("event").is_some_and(Value::is_truthy) {
        return Err(Exc::generic(
            "list_channels with event and not host is not allowed.",
        ));
    } else {
        ctx.hub
            .data
            .channels
            .iter()
            .filter(keep)
            .map(|c| Value::Struct(c.clone()))
            .collect()
    };
    Ok(Value::Array(rows).into())
}

pub(super) fn get_channel(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let info = name_or_id(a.or("channelInfo", &Value::Nil))?;
    match channel_by(ctx, &info) {
        Some(c) => Ok(Value::Struct(c.clone()).into()),
        None if a.truthy("strict", false) => Err(Exc::generic("query returned no rows")),
        None => Ok(Out::nil()),
    }
}

pub(super) fn list_hosts(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let arches: Option<Vec<String>> = match a.opt("arches") {
        None => None,
        Some(v) if !v.is_truthy() => {
            return Err(Exc::generic("arches option cannot be empty"));
        }
        Some(Value::Array(items)) => Some(items.iter().map(py::str_of).collect()),
        Some(other) => Some(vec![py::str_of(other)]),
    };
    let channel_hosts = match a.opt("channelID") {
        None => None,
        Some(c) => {
            let info = name_or_id(c)?;
            let ch = channel_by(ctx, &info).and_then(id_of).ok_or_else(|| {
                Exc::generic(format!(
                    "No such entry in table channels: {}",
                    py::str_of(c)
                ))
            })?;
            Some(
                ctx.hub
                    .data
                    .channel_hosts
                    .get(&ch)
                    .cloned()
                    .unwrap_or_default(),
            )
        }
    };
    let ready = a.opt("ready").map(Value::is_truthy);
    let enabled = a.opt("enabled").map(Value::is_truthy);
    let user = match a.opt("userID") {
        None => None,
        Some(u) => {
            let cat = ctx.hub.catalog();
            let found = super::users::find_user(&cat, u, false)?;
            Some(
                found
                    .map(|u| u.id)
                    .ok_or_else(|| Exc::generic(format!("No such user: {}", py::repr(u))))?,
            )
        }
    };
    let rows: Vec<Value> = ctx
        .hub
        .data
        .hosts
        .iter()
        .filter(|h| {
            arches.as_ref().is_none_or(|want| {
                let have = h.get("arches").and_then(Value::as_str).unwrap_or("");
                have.split_whitespace().any(|x| want.iter().any(|w| w == x))
            })
        })
        .filter(|h| {
            channel_hosts
                .as_ref()
                .is_none_or(|ids| id_of(h).is_some_and(|id| ids.contains(&id)))
        })
        .filter(|h| ready.is_none_or(|r| h.get("ready").and_then(Value::as_bool) == Some(r)))
        .filter(|h| enabled.is_none_or(|e| h.get("enabled").and_then(Value::as_bool) == Some(e)))
        .filter(|h| user.is_none_or(|u| h.get("user_id").and_then(Value::as_i64) == Some(u)))
        .map(|h| Value::Struct(h.clone()))
        .collect();
    Ok(Value::Array(rows).into())
}

pub(super) fn get_host(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    if a.opt("event").is_some() {
        return Err(Exc::generic(
            "koji-testhub does not implement the event parameter of getHost",
        ));
    }
    let raw = a.or("hostInfo", &Value::Nil);
    let info = name_or_id(raw)?;
    match host_by(ctx, &info) {
        Some(h) => Ok(Value::Struct(h.clone()).into()),
        None if a.truthy("strict", false) => Err(Exc::generic(format!(
            "Invalid hostInfo: {}",
            py::str_of(raw)
        ))),
        None => Ok(Out::nil()),
    }
}

/// `Host()` + `verify()`: the host of the logged-in user, with an exclusive session.
fn this_host<'a>(ctx: &'a Ctx<'_>) -> HubResult<&'a Struct> {
    let host = ctx.sess.user_id.and_then(|uid| {
        ctx.hub
            .data
            .hosts
            .iter()
            .find(|h| h.get("user_id").and_then(Value::as_i64) == Some(uid))
    });
    let Some(host) = host else {
        return Err(match ctx.sess.user_id.filter(|_| ctx.sess.logged_in) {
            Some(uid) => Exc::auth(format!("User {uid} is not a host")),
            None => Exc::auth("Not logged-in"),
        });
    };
    if !ctx.sess.exclusive {
        return Err(Exc::auth("This method requires an exclusive session"));
    }
    Ok(host)
}

pub(super) fn host_get_id(ctx: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    let h = this_host(ctx)?;
    Ok(h.get("id").cloned().unwrap_or(Value::Nil).into())
}

pub(super) fn host_get_host(ctx: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    let h = this_host(ctx)?;
    Ok(Value::Struct(h.clone()).into())
}
