//! Version, echo, events, introspection and small static tables.

use koji_xmlrpc::{Struct, Value};

use crate::args::Args;
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::py;
use crate::query::QueryOpts;
use crate::wire::Out;

pub(super) fn get_api_version(ctx: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    Ok(Value::Int(ctx.hub.data.api_version).into())
}

pub(super) fn get_koji_version(ctx: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    Ok(Value::String(ctx.hub.data.koji_version.clone()).into())
}

pub(super) fn hello(_: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    Ok(Value::from("Hello World").into())
}

pub(super) fn echo(_: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    Ok(Value::Array(a.rest).into())
}

pub(super) fn fault(_: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    Err(Exc::py("Exception", "test exception"))
}

pub(super) fn error(_: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    Err(Exc::generic("test error"))
}

fn event(id: i64, ts: f64) -> Value {
    let mut s = Struct::new();
    s.insert("id".into(), Value::Int(id));
    s.insert("ts".into(), Value::Double(ts));
    Value::Struct(s)
}

pub(super) fn get_last_event(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let strict = a.truthy("strict", true);
    let (id, ts) = ctx.hub.catalog().last_event;
    let Some(before) = a.opt("before") else {
        return Ok(event(id, ts).into());
    };
    let before = match before {
        Value::Int(i) => *i as f64,
        Value::Double(d) => *d,
        Value::Bool(b) => f64::from(u8::from(*b)),
        other => {
            return Err(Exc::generic(format!(
                "Invalid type for before: {}",
                py::type_repr(other)
            )));
        }
    };
    if ts < before {
        return Ok(event(id, ts).into());
    }
    // the data set only knows the events that created builds
    let best = ctx
        .hub
        .data
        .builds
        .iter()
        .filter(|b| b.creation_ts < before)
        .max_by_key(|b| b.creation_event_id)
        .map(|b| event(b.creation_event_id, b.creation_ts));
    match best {
        Some(e) => Ok(e.into()),
        None if strict => Err(Exc::generic("query returned no rows")),
        None => Ok(Out::nil()),
    }
}

pub(super) fn get_all_perms(ctx: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    Ok(Value::Array(ctx.hub.data.all_perms.clone()).into())
}

pub(super) fn get_archive_types(ctx: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    Ok(Value::Array(ctx.hub.data.archive_types.clone()).into())
}

pub(super) fn list_btypes(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let q = QueryOpts::parse(a.get("queryOpts"))?;
    let filter = match a.opt("query") {
        None => None,
        Some(Value::Struct(s)) => Some(s.clone()),
        Some(other) => return Err(crate::query::no_get(other)),
    };
    let rows: Vec<&Struct> = ctx
        .hub
        .data
        .btypes
        .iter()
        .filter_map(Value::as_struct)
        .filter(|b| match &filter {
            None => true,
            Some(f) => {
                f.get("name").is_none_or(|n| b.get("name") == Some(n))
                    && f.get("id").is_none_or(|i| b.get("id") == Some(i))
            }
        })
        .collect();
    crate::query::finish_values(&q, rows, &["id", "name"])
}

pub(super) fn list_cgs(ctx: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    Ok(Value::Struct(ctx.hub.data.content_generators.clone()).into())
}

pub(super) fn list_methods(_: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    Ok(Value::Array(
        super::ALL
            .iter()
            .map(|m| Value::String(m.name.to_owned()))
            .collect(),
    )
    .into())
}

pub(super) fn method_signature(_: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    Ok(Value::from("signatures not supported").into())
}

pub(super) fn method_help(_: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let name = a.get("method").map(py::str_of).unwrap_or_default();
    // the real hub adds the docstring after "description: "
    let text = super::ALL
        .iter()
        .find(|m| m.name == name)
        .map(|m| format!("{name}{}", m.sig.argdesc()))
        .unwrap_or_default();
    Ok(Value::String(text).into())
}
