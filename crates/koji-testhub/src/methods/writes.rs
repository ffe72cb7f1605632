//! A few real write calls (tags and users), so that permissions, commits
//! and call-number rules can be exercised. A call that changes nothing does
//! not commit, exactly like the hub (so it stores no call number).

use koji_xmlrpc::{Struct, Value};

use super::tags::find_tag;
use super::users::{assert_perm, find_user};
use crate::args::Args;
use crate::dataset::{Tag, User};
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::py;
use crate::wire::Out;

const MAX_NAME: usize = 256;

fn verify_name_internal(name: &Value) -> HubResult<String> {
    let Value::String(name) = name else {
        return Err(Exc::generic("Name should be string"));
    };
    if name.chars().count() > MAX_NAME {
        return Err(Exc::generic(format!(
            "Name {name} is too long. Max length is {MAX_NAME} characters"
        )));
    }
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_.+-".contains(&b));
    if !ok {
        return Err(Exc::generic(format!(
            "Name {name} does not match RegexNameInternal value"
        )));
    }
    Ok(name.clone())
}

/// `koji.parse_arches(arches, strict=True, allow_none=True)`.
fn parse_arches(v: Option<&Value>) -> HubResult<String> {
    let list: Vec<String> = match v {
        None | Some(Value::Nil) => vec![],
        Some(Value::Array(items)) => items.iter().map(py::str_of).collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(other) => {
            return Err(Exc::py(
                "AttributeError",
                format!("'{}' object has no attribute 'split'", py::type_name(other)),
            ));
        }
    };
    if list.iter().any(|a| {
        !a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }) {
        return Err(Exc::generic("Architecture can be only [a-zA-Z0-9_-]"));
    }
    Ok(list.join(" "))
}

fn perm_lookup(ctx: &Ctx<'_>, v: &Value) -> HubResult<(i64, String)> {
    let found = ctx.hub.data.all_perms.iter().find(|p| match v {
        Value::Int(i) => p.get("id").and_then(Value::as_i64) == Some(*i),
        Value::String(s) => p.get("name").and_then(Value::as_str) == Some(s.as_str()),
        _ => false,
    });
    match found {
        Some(p) => Ok((
            p.get("id").and_then(Value::as_i64).unwrap_or_default(),
            p.get("name").map(py::str_of).unwrap_or_default(),
        )),
        None => Err(Exc::generic(format!(
            "No such entry in table permissions: {}",
            py::str_of(v)
        ))),
    }
}

pub(super) fn create_tag(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    assert_perm(ctx, "tag")?;
    let name = verify_name_internal(a.or("name", &Value::Nil))?;
    let arches = parse_arches(a.get("arches"))?;
    if a.truthy("maven_support", false) || a.truthy("maven_include_all", false) {
        return Err(Exc::generic("Maven support not enabled"));
    }
    let perm = a.opt("perm").map(|p| perm_lookup(ctx, p)).transpose()?;
    let extra = match a.opt("extra") {
        None => Struct::new(),
        Some(Value::Struct(s)) => s.clone(),
        Some(other) => {
            return Err(Exc::py(
                "AttributeError",
                format!("'{}' object has no attribute 'items'", py::type_name(other)),
            ));
        }
    };
    let mut cat = ctx.hub.catalog_mut();
    if cat.tag_by_name(&name).is_some() {
        return Err(Exc::generic(format!(
            "A tag with the name '{name}' already exists"
        )));
    }
    if let Some(p) = a.opt("parent") {
        if find_tag(&cat, p)?.is_none() {
            return Err(Exc::generic(format!(
                "Parent tag '{}' could not be found",
                py::str_of(p)
            )));
        }
        drop(cat);
        return Err(Exc::generic(
            "koji-testhub does not implement the parent parameter of createTag",
        ));
    }
    let id = cat.tags.iter().map(|t| t.id).max().unwrap_or(0) + 1;
    let event = cat.new_event();
    cat.tags.push(Tag {
        id,
        name,
        arches: Value::String(arches),
        locked: a.truthy("locked", false),
        maven_support: false,
        maven_include_all: false,
        perm_id: perm.as_ref().map(|p| p.0),
        perm: perm.map(|p| p.1),
        extra,
        create_event: Some(event),
    });
    ctx.commit = true;
    Ok(Value::Int(id).into())
}

pub(super) fn edit_tag(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    assert_perm(ctx, "tag")?;
    let kw = &a.extra;
    if kw.get("maven_support").is_some() || kw.get("maven_include_all").is_some() {
        return Err(Exc::generic("Maven support not enabled"));
    }
    let perm = match kw.get("perm_id").or_else(|| kw.get("perm")) {
        None => None,
        Some(Value::Nil) => Some(None),
        Some(p) => Some(Some(perm_lookup(ctx, p)?)),
    };
    let new_name = match kw.get("name").filter(|v| v.is_truthy()) {
        Some(n) => Some(verify_name_internal(n)?),
        None => None,
    };
    let arches = match kw.get("arches").filter(|v| v.is_truthy()) {
        Some(v) => Some(parse_arches(Some(v))?),
        None => None,
    };
    let info = a.or("tagInfo", &Value::Nil).clone();
    let mut cat = ctx.hub.catalog_mut();
    let Some(tag) = find_tag(&cat, &info)?.cloned() else {
        return Err(Exc::generic(format!(
            "No such tagInfo: {}",
            py::repr(&info)
        )));
    };
    let mut t = tag.clone();
    if let Some(n) = new_name.filter(|n| *n != tag.name) {
        if let Some(other) = cat.tag_by_name(&n) {
            return Err(Exc::generic(format!(
                "Name {n} already taken by tag {}",
                other.id
            )));
        }
        t.name = n;
    }
    if let Some(ar) = arches {
        t.arches = Value::String(ar);
    }
    if let Some(l) = kw.get("locked") {
        t.locked = l.is_truthy();
    }
    if let Some(p) = perm {
        t.perm_id = p.as_ref().map(|x| x.0);
        t.perm = p.map(|x| x.1);
    }
    if let Some(extra) = kw.get("extra") {
        let Value::Struct(extra) = extra else {
            return Err(Exc::py(
                "TypeError",
                format!("'{}' object is not iterable", py::type_name(extra)),
            ));
        };
        for (k, v) in extra {
            t.extra.insert(k.clone(), v.clone());
        }
    }
    for key in ["remove_extra", "block_extra"] {
        if let Some(list) = kw.get(key) {
            let Value::Array(items) = list else {
                return Err(Exc::param(format!(
                    "Invalid type for value '{}': {}, expected type <class 'list'>",
                    py::str_of(list),
                    py::type_repr(list)
                )));
            };
            for i in items {
                let k = py::str_of(i);
                if key == "remove_extra" && !tag.extra.contains_key(&k) {
                    return Err(Exc::generic(format!(
                        "Tag: {} doesn't have extra: {k}",
                        tag.name
                    )));
                }
                t.extra.shift_remove(&k);
            }
        }
    }
    if t != tag {
        cat.new_event();
        if let Some(slot) = cat.tags.iter_mut().find(|x| x.id == tag.id) {
            *slot = t;
        }
        ctx.commit = true;
    }
    Ok(Out::nil())
}

pub(super) fn delete_tag(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    assert_perm(ctx, "tag")?;
    let info = a.or("tagInfo", &Value::Nil).clone();
    let mut cat = ctx.hub.catalog_mut();
    let Some(id) = find_tag(&cat, &info)?.map(|t| t.id) else {
        return Err(Exc::generic(format!(
            "No such tagInfo: {}",
            py::repr(&info)
        )));
    };
    cat.tags.retain(|t| t.id != id);
    cat.new_event();
    ctx.commit = true;
    Ok(Out::nil())
}

pub(super) fn create_user(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    assert_perm(ctx, "admin")?;
    let name = match a.or("username", &Value::Nil) {
        Value::String(s) => s.clone(),
        v if v.is_truthy() => return Err(Exc::generic("Name should be string")),
        _ => return Err(Exc::generic("a user must have a non-empty name")),
    };
    let krb = match a.opt("krb_principal") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(Exc::generic("Kerberos principal should be string")),
    };
    let status = match a.opt("status") {
        None => 0,
        Some(v) => match super::as_py_int(v) {
            Some(s @ (0 | 1)) => s,
            _ => return Err(Exc::generic(format!("invalid status: {}", py::str_of(v)))),
        },
    };
    let mut cat = ctx.hub.catalog_mut();
    if find_user(&cat, &Value::String(name.clone()), false)?.is_some() {
        return Err(Exc::generic(format!("user already exists: {name}")));
    }
    if let Some(k) = &krb {
        if cat.user_by_principal(k).is_some() {
            return Err(Exc::generic(format!(
                "user with this Kerberos principal already exists: {k}"
            )));
        }
    }
    let id = cat.users.iter().map(|u| u.id).max().unwrap_or(0) + 1;
    cat.users.push(User {
        id,
        name,
        status,
        usertype: 0,
        krb_principals: krb.into_iter().collect(),
        groups: vec![],
        perms: vec![],
    });
    cat.new_event();
    ctx.commit = true;
    Ok(Value::Int(id).into())
}

fn set_status(ctx: &mut Ctx<'_>, a: &Args, status: i64) -> HubResult<Out> {
    let info = a.or("username", &Value::Nil).clone();
    let uid = {
        let cat = ctx.hub.catalog();
        match find_user(&cat, &info, false)? {
            Some(u) => (u.id, u.status),
            None => return Err(Exc::generic(format!("No such user: {}", py::str_of(&info)))),
        }
    };
    assert_perm(ctx, "admin")?;
    if uid.1 == status {
        return Ok(Out::nil());
    }
    let mut cat = ctx.hub.catalog_mut();
    if let Some(u) = cat.users.iter_mut().find(|u| u.id == uid.0) {
        u.status = status;
    }
    ctx.commit = true;
    Ok(Out::nil())
}

pub(super) fn enable_user(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    set_status(ctx, &a, 0)
}

pub(super) fn disable_user(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    set_status(ctx, &a, 1)
}
