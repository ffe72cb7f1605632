//! Tasks: info, children, descendents, request, result, listTasks.

use koji_xmlrpc::{Struct, Value};

use super::{convert_int, time_arg};
use crate::args::Args;
use crate::dataset::model::{Task, TaskResult, task_state};
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::py;
use crate::query::{QueryOpts, no_get};
use crate::wire::{Cell, Out, Row};

/// The aliases of `listTasks` (valid `order` terms).
const LIST_TASK_ALIASES: &[&str] = &[
    "arch",
    "awaited",
    "channel_id",
    "completion_time",
    "completion_ts",
    "create_time",
    "create_ts",
    "host_id",
    "id",
    "label",
    "method",
    "owner",
    "owner_name",
    "owner_type",
    "parent",
    "priority",
    "request",
    "result",
    "start_time",
    "start_ts",
    "state",
    "waiting",
    "weight",
];

/// A task by id: the simulated builder's live tasks first, then the data set.
fn task(ctx: &Ctx<'_>, id: i64) -> Option<Task> {
    ctx.hub.with_live(|l| l.task(&ctx.hub.data, id))
}

/// The children of a task (live ones included), by id.
fn children_of(ctx: &Ctx<'_>, id: i64) -> Vec<Task> {
    ctx.hub.with_live(|l| l.children(&ctx.hub.data, id))
}

fn encode_row(row: &Row<'_>) -> Vec<u8> {
    let mut buf = Vec::with_capacity(1024);
    row.write(&mut buf);
    buf
}

pub(super) fn get_task_info(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let request = a.truthy("request", false);
    let strict = a.truthy("strict", false);
    let one = |v: &Value| -> HubResult<Out> {
        let id = convert_int(v)?;
        match task(ctx, id) {
            Some(t) => Ok(Out::Encoded(encode_row(&t.info_row(request)))),
            None if strict => Err(Exc::generic("query returned no rows")),
            None => Ok(Out::nil()),
        }
    };
    match a.or("task_id", &Value::Nil) {
        Value::Array(ids) => Ok(Out::Array(ids.iter().map(one).collect::<HubResult<_>>()?)),
        v => one(v),
    }
}

pub(super) fn get_task_children(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let id = convert_int(a.or("task_id", &Value::Nil))?;
    if a.truthy("strict", false) && task(ctx, id).is_none() {
        return Err(Exc::generic("query returned no rows"));
    }
    let request = a.truthy("request", false);
    let kids = children_of(ctx, id);
    let rows: Vec<Row<'_>> = kids.iter().map(|t| t.child_row(request)).collect();
    Ok(Out::Encoded(crate::query::encode_rows(&rows, false)))
}

pub(super) fn get_task_descendents(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let id = convert_int(a.or("task_id", &Value::Nil))?;
    let request = a.truthy("request", false);
    let limit = ctx.hub.data.tasks.len() + ctx.hub.with_live(|l| l.tasks.len());
    let mut buf = Vec::with_capacity(4096);
    buf.extend_from_slice(b"<value><struct>\n");
    // pre-order walk, children sorted by id (get_task_descendents)
    let mut stack = vec![id];
    let mut guard = 0usize;
    while let Some(tid) = stack.pop() {
        guard += 1;
        if guard > limit + 1 {
            break; // a cycle in the data: stop rather than loop
        }
        let mut kids: Vec<Task> = children_of(ctx, tid);
        kids.sort_by_key(|t| t.id);
        buf.extend_from_slice(b"<member>\n<name>");
        buf.extend_from_slice(tid.to_string().as_bytes());
        buf.extend_from_slice(b"</name>\n<value><array><data>\n");
        for k in &kids {
            k.child_row(request).write(&mut buf);
        }
        buf.extend_from_slice(b"</data></array></value>\n</member>\n");
        stack.extend(kids.iter().rev().map(|t| t.id));
    }
    buf.extend_from_slice(b"</struct></value>\n");
    Ok(Out::Encoded(buf))
}

pub(super) fn get_task_request(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let id = convert_int(a.or("taskId", &Value::Nil))?;
    match task(ctx, id) {
        Some(t) => Ok(t.request.clone().into()),
        None => Err(Exc::generic("query returned no rows")),
    }
}

pub(super) fn get_task_result(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let id = convert_int(a.or("taskId", &Value::Nil))?;
    let Some(t) = task(ctx, id) else {
        return Err(Exc::generic("No such task"));
    };
    if t.state == task_state::CANCELED {
        return Err(Exc::generic(format!("Task {id} is canceled")));
    }
    if t.state != task_state::CLOSED && t.state != task_state::FAILED {
        return Err(Exc::generic(format!("Task {id} is not finished")));
    }
    match &t.result {
        TaskResult::Ok(v) => Ok(v.clone().into()),
        TaskResult::Fault { code, string } => {
            if a.truthy("raise_fault", true) {
                Err(Exc::Stored {
                    code: *code,
                    string: string.clone(),
                })
            } else {
                let mut s = Struct::new();
                s.insert("faultCode".into(), Value::Int(*code));
                s.insert("faultString".into(), Value::String(string.clone()));
                Ok(Value::Struct(s).into())
            }
        }
        TaskResult::None => Ok(Out::nil()),
    }
}

/// A list filter (`state`, `arch`): `IN %(x)s` needs a list.
fn list_filter(opts: &Struct, key: &str) -> HubResult<Option<Vec<Value>>> {
    match opts.get(key) {
        None => Ok(None),
        Some(Value::Array(items)) if !items.is_empty() => Ok(Some(items.clone())),
        Some(Value::Array(_)) => Err(Exc::py(
            "psycopg2.errors.SyntaxError",
            "syntax error at or near \")\"",
        )),
        Some(other) => Err(Exc::py(
            "psycopg2.errors.SyntaxError",
            format!("syntax error at or near \"{}\"", py::str_of(other)),
        )),
    }
}

/// An int filter (`owner`, `host_id`, …): None (IS NULL), a list, or an int.
enum IntFilter {
    Null,
    In(Vec<Value>),
    Eq(i64),
}

fn int_filter(opts: &Struct, key: &str) -> HubResult<Option<IntFilter>> {
    Ok(match opts.get(key) {
        None => None,
        Some(Value::Nil) => Some(IntFilter::Null),
        Some(Value::Array(items)) => Some(IntFilter::In(items.clone())),
        Some(v) => match v {
            Value::Int(i) => Some(IntFilter::Eq(*i)),
            Value::Bool(b) => Some(IntFilter::Eq(i64::from(*b))),
            Value::Double(d) if d.is_finite() => Some(IntFilter::Eq(*d as i64)),
            other => {
                return Err(Exc::py(
                    "TypeError",
                    format!(
                        "%i format: a real number is required, not {}",
                        py::type_name(other)
                    ),
                ));
            }
        },
    })
}

fn int_matches(f: &IntFilter, v: Option<i64>) -> bool {
    match f {
        IntFilter::Null => v.is_none(),
        IntFilter::Eq(i) => v == Some(*i),
        IntFilter::In(items) => {
            v.is_some_and(|x| items.iter().any(|i| super::as_py_int(i) == Some(x)))
        }
    }
}

fn in_list(items: &[Value], cell: Cell<'_>) -> bool {
    items.iter().any(|i| match (i, cell) {
        (Value::String(s), Cell::Str(c)) => s == c,
        (v, Cell::Int(c)) => super::as_py_int(v) == Some(c),
        _ => false,
    })
}

pub(super) fn list_tasks(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let ds = &ctx.hub.data;
    let empty = Value::Struct(Struct::new());
    let opts_v = a.get("opts").filter(|v| v.is_truthy()).unwrap_or(&empty);
    let q = QueryOpts::parse(a.get("queryOpts"))?;
    let opts = match opts_v {
        Value::Struct(s) => s,
        Value::String(_) | Value::Array(_) => return Err(no_get(opts_v)),
        other => {
            return Err(Exc::py(
                "TypeError",
                format!(
                    "argument of type '{}' is not iterable",
                    py::type_name(other)
                ),
            ));
        }
    };
    let arch = list_filter(opts, "arch")?;
    let not_arch = list_filter(opts, "not_arch")?;
    let state = list_filter(opts, "state")?;
    let not_state = list_filter(opts, "not_state")?;
    let mut int_filters: Vec<(bool, &str, IntFilter)> = Vec::new();
    for f in ["owner", "host_id", "channel_id", "parent"] {
        if let Some(x) = int_filter(opts, f)? {
            int_filters.push((true, f, x));
        }
        if let Some(x) = int_filter(opts, &format!("not_{f}"))? {
            int_filters.push((false, f, x));
        }
    }
    let method = opts.get("method").map(py::str_of);
    let mut times: Vec<(&str, bool, f64)> = Vec::new();
    for (key, field, before) in [
        ("createdBefore", "create", true),
        ("createdAfter", "create", false),
        ("startedBefore", "start", true),
        ("startedAfter", "start", false),
        ("completeBefore", "completion", true),
        ("completeAfter", "completion", false),
        ("completedBefore", "completion", true),
        ("completedAfter", "completion", false),
    ] {
        if let Some(v) = opts.get(key).filter(|v| !v.is_nil()) {
            times.push((field, before, time_arg(v)?));
        }
    }
    let decode = opts.get("decode").is_some_and(Value::is_truthy) && !q.as_list;

    let keep = |t: &Task| -> bool {
        if arch
            .as_ref()
            .is_some_and(|l| !in_list(l, Cell::Str(&t.arch)))
            || not_arch
                .as_ref()
                .is_some_and(|l| in_list(l, Cell::Str(&t.arch)))
            || state
                .as_ref()
                .is_some_and(|l| !in_list(l, Cell::Int(t.state)))
            || not_state
                .as_ref()
                .is_some_and(|l| in_list(l, Cell::Int(t.state)))
        {
            return false;
        }
        for (include, field, f) in &int_filters {
            let v = match *field {
                "owner" => Some(t.owner),
                "host_id" => t.host_id,
                "channel_id" => Some(t.channel_id),
                _ => t.parent,
            };
            let hit = int_matches(f, v);
            // NOT IN / != never match NULL in SQL
            let ok = if *include {
                hit
            } else {
                match f {
                    IntFilter::Null => v.is_some(),
                    _ => v.is_some() && !hit,
                }
            };
            if !ok {
                return false;
            }
        }
        if method.as_ref().is_some_and(|m| *m != t.method) {
            return false;
        }
        for (field, before, bound) in &times {
            let v = match *field {
                "create" => Some(t.create_ts),
                "start" => t.start_ts,
                _ => t.completion_ts,
            };
            let ok = v.is_some_and(|x| if *before { x < *bound } else { x > *bound });
            if !ok {
                return false;
            }
        }
        true
    };
    // the data set's tasks (as changed since start), then the new ones
    let live = ctx.hub.with_live(|l| l.tasks.clone());
    let rows = ds
        .tasks
        .iter()
        .map(|t| live.get(&t.id).unwrap_or(t))
        .chain(live.values().filter(|t| !ds.task_by_id.contains_key(&t.id)))
        .filter(|t| keep(t))
        .map(|t| t.list_row(decode));
    q.finish_iter(rows, LIST_TASK_ALIASES)
}
