//! Users, permissions and session introspection.

use koji_xmlrpc::{Struct, Value};

use crate::args::Args;
use crate::dataset::User;
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::hub::Catalog;
use crate::py;
use crate::query::{self, QueryOpts};
use crate::wire::Out;

/// `get_user`'s lookup (not for `None`), with its type errors.
pub(crate) fn find_user<'a>(
    cat: &'a Catalog,
    info: &Value,
    strict: bool,
) -> HubResult<Option<&'a User>> {
    let found = match info {
        Value::Int(_) | Value::Bool(_) => {
            let id = super::as_py_int(info).unwrap_or_default();
            cat.user(id)
        }
        Value::String(s) => cat
            .users
            .iter()
            .find(|u| u.name == *s || u.krb_principals.iter().any(|p| p == s)),
        Value::Struct(d) if d.get("info").is_some_and(Value::is_truthy) => {
            let s = py::str_of(d.get("info").unwrap_or(&Value::Nil));
            cat.users
                .iter()
                .find(|u| u.name == s || u.krb_principals.contains(&s))
        }
        Value::Struct(d) => {
            let id = match d.get("id").filter(|v| !v.is_nil()) {
                Some(v @ (Value::Int(_) | Value::Bool(_))) => super::as_py_int(v),
                Some(v) => {
                    return Err(Exc::generic(format!(
                        "Invalid type for userid: {}",
                        py::type_repr(v)
                    )));
                }
                None => None,
            };
            let name = match d.get("name").filter(|v| v.is_truthy()) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(v) => {
                    return Err(Exc::generic(format!(
                        "Invalid type for username: {}",
                        py::type_repr(v)
                    )));
                }
                None => None,
            };
            let krb = match d.get("krb_principal").filter(|v| v.is_truthy()) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(v) => {
                    return Err(Exc::generic(format!(
                        "Invalid type for krb_principal: {}",
                        py::type_repr(v)
                    )));
                }
                None => None,
            };
            cat.users.iter().find(|u| {
                id.is_none_or(|i| u.id == i)
                    && name.as_ref().is_none_or(|n| u.name == *n)
                    && krb
                        .as_ref()
                        .is_none_or(|k| u.krb_principals.iter().any(|p| p == k))
            })
        }
        other => {
            return Err(Exc::generic(format!(
                "Invalid type for userInfo: {}",
                py::type_repr(other)
            )));
        }
    };
    if found.is_none() && strict {
        return Err(Exc::generic(format!("No such user: {}", py::repr(info))));
    }
    Ok(found)
}

/// `get_user` with `None` meaning the logged-in user.
fn user_arg<'a>(
    ctx: &Ctx<'_>,
    cat: &'a Catalog,
    info: &Value,
    strict: bool,
) -> HubResult<Option<&'a User>> {
    if info.is_nil() {
        return match ctx.sess.user_id.filter(|_| ctx.sess.logged_in) {
            Some(uid) => find_user(cat, &Value::Int(uid), strict),
            None => Err(Exc::generic("No user provided")),
        };
    }
    find_user(cat, info, strict)
}

/// The `getUser` answer.
pub(crate) fn user_info(u: &User, krb_princs: bool, groups: bool) -> Struct {
    let mut s = Struct::new();
    s.insert("id".into(), Value::Int(u.id));
    s.insert("name".into(), Value::String(u.name.clone()));
    s.insert("status".into(), Value::Int(u.status));
    s.insert("usertype".into(), Value::Int(u.usertype));
    if krb_princs {
        s.insert(
            "krb_principals".into(),
            Value::Array(
                u.krb_principals
                    .iter()
                    .cloned()
                    .map(Value::String)
                    .collect(),
            ),
        );
    }
    if groups {
        s.insert(
            "groups".into(),
            Value::Array(
                u.groups
                    .iter()
                    .map(|(_, n)| Value::String(n.clone()))
                    .collect(),
            ),
        );
    }
    s
}

pub(super) fn get_user(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let cat = ctx.hub.catalog();
    let info = a.or("userInfo", &Value::Nil);
    let u = user_arg(ctx, &cat, info, a.truthy("strict", false))?;
    Ok(match u {
        Some(u) => Value::Struct(user_info(
            u,
            a.truthy("krb_princs", true),
            a.truthy("groups", false),
        ))
        .into(),
        None => Out::nil(),
    })
}

pub(super) fn get_user_groups(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let cat = ctx.hub.catalog();
    let u = user_arg(ctx, &cat, a.or("user", &Value::Nil), true)?;
    let groups = u
        .map(|u| {
            u.groups
                .iter()
                .map(|(id, name)| {
                    let mut s = Struct::new();
                    s.insert("id".into(), Value::Int(*id));
                    s.insert("name".into(), Value::String(name.clone()));
                    Value::Struct(s)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Value::Array(groups).into())
}

fn perms_of(cat: &Catalog, u: &User, with_groups: bool) -> Vec<String> {
    if with_groups {
        return u.perms.clone();
    }
    let from_groups: Vec<&String> = u
        .groups
        .iter()
        .filter_map(|(gid, _)| cat.user(*gid))
        .flat_map(|g| g.perms.iter())
        .collect();
    u.perms
        .iter()
        .filter(|p| !from_groups.contains(p))
        .cloned()
        .collect()
}

pub(super) fn get_user_perms(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let cat = ctx.hub.catalog();
    let u = user_arg(ctx, &cat, a.or("userID", &Value::Nil), true)?;
    let perms = u
        .map(|u| perms_of(&cat, u, a.truthy("with_groups", true)))
        .unwrap_or_default();
    Ok(Value::Array(perms.into_iter().map(Value::String).collect()).into())
}

pub(super) fn list_users(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let perm = a.get("perm").filter(|p| p.is_truthy()).map(py::str_of);
    let inherited = a.truthy("inherited_perm", false);
    if inherited && perm.is_none() {
        return Err(Exc::generic(
            "inherited_perm option must be used with perm option",
        ));
    }
    let types: Option<Vec<i64>> = match a.get("userType") {
        None => Some(vec![0]),
        Some(Value::Nil) => None,
        Some(v @ (Value::Int(_) | Value::Bool(_))) => super::as_py_int(v).map(|i| vec![i]),
        Some(Value::Array(items)) => Some(items.iter().filter_map(super::as_py_int).collect()),
        Some(_) => {
            return Err(Exc::param("userType must be integer, list, tuple or None"));
        }
    };
    let prefix = a.get("prefix").filter(|p| p.is_truthy()).map(py::str_of);
    if let Some(Value::Struct(q)) = a.get("queryOpts") {
        if q.get("group").is_some_and(Value::is_truthy) {
            return Err(Exc::generic(
                "queryOpts.group is not available for this API",
            ));
        }
    }
    let q = QueryOpts::parse(a.get("queryOpts"))?;
    let cat = ctx.hub.catalog();
    if let Some(p) = &perm {
        let known = ctx
            .hub
            .data
            .all_perms
            .iter()
            .any(|x| x.get("name").and_then(Value::as_str) == Some(p.as_str()));
        if !known {
            return Err(Exc::generic(format!(
                "No such entry in table permissions: {p}"
            )));
        }
    }
    let rows: Vec<Struct> = cat
        .users
        .iter()
        .filter(|u| types.as_ref().is_none_or(|t| t.contains(&u.usertype)))
        .filter(|u| {
            prefix
                .as_ref()
                .is_none_or(|p| u.name.to_lowercase().starts_with(&p.to_lowercase()))
        })
        .filter(|u| {
            perm.as_ref()
                .is_none_or(|p| perms_of(&cat, u, inherited).contains(p))
        })
        .map(|u| {
            let mut s = Struct::new();
            s.insert("id".into(), Value::Int(u.id));
            s.insert(
                "krb_principals".into(),
                Value::Array(
                    u.krb_principals
                        .iter()
                        .cloned()
                        .map(Value::String)
                        .collect(),
                ),
            );
            s.insert("name".into(), Value::String(u.name.clone()));
            s.insert("status".into(), Value::Int(u.status));
            s.insert("usertype".into(), Value::Int(u.usertype));
            s
        })
        .collect();
    query::finish_values(
        &q,
        rows.iter().collect(),
        &["id", "krb_principals", "name", "status", "usertype"],
    )
}

pub(super) fn get_logged_in_user(ctx: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    let Some(uid) = ctx.sess.user_id.filter(|_| ctx.sess.logged_in) else {
        return Ok(Out::nil());
    };
    let cat = ctx.hub.catalog();
    let Some(u) = cat.user(uid) else {
        return Ok(Out::nil());
    };
    let mut s = user_info(u, true, false);
    s.insert(
        "authtype".into(),
        ctx.sess.authtype.map_or(Value::Nil, Value::Int),
    );
    s.insert(
        "krb_principal".into(),
        u.krb_principals
            .first()
            .cloned()
            .map_or(Value::Nil, Value::String),
    );
    Ok(Value::Struct(s).into())
}

pub(super) fn get_perms(ctx: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    let Some(uid) = ctx.sess.user_id.filter(|_| ctx.sess.logged_in) else {
        return Ok(Value::Array(vec![]).into());
    };
    let cat = ctx.hub.catalog();
    let perms = cat.user(uid).map(|u| u.perms.clone()).unwrap_or_default();
    Ok(Value::Array(perms.into_iter().map(Value::String).collect()).into())
}

/// Whether the logged-in user has a permission (or is admin).
pub(crate) fn has_perm(ctx: &Ctx<'_>, perm: &str) -> bool {
    let Some(uid) = ctx.sess.user_id.filter(|_| ctx.sess.logged_in) else {
        return false;
    };
    ctx.hub
        .catalog()
        .user(uid)
        .is_some_and(|u| u.perms.iter().any(|p| p == perm || p == "admin"))
}

/// `assertPerm`.
pub(crate) fn assert_perm(ctx: &Ctx<'_>, perm: &str) -> HubResult<()> {
    if has_perm(ctx, perm) {
        return Ok(());
    }
    let who = match ctx.sess.user_id.filter(|_| ctx.sess.logged_in) {
        Some(uid) => format!(
            "logged in as {}",
            ctx.hub
                .catalog()
                .user(uid)
                .map(|u| u.name.clone())
                .unwrap_or_default()
        ),
        None => "user not logged in".to_owned(),
    };
    Err(Exc::not_allowed(format!(
        "{perm} permission required ({who})"
    )))
}

pub(super) fn get_session_info(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    if !ctx.sess.logged_in {
        return Ok(Out::nil());
    }
    let details = a.truthy("details", false);
    if let Some(user) = a.get("user_id").filter(|v| v.is_truthy()) {
        let uid = {
            let cat = ctx.hub.catalog();
            find_user(&cat, user, true)?
                .map(|u| u.id)
                .unwrap_or_default()
        };
        if Some(uid) != ctx.sess.user_id && !has_perm(ctx, "admin") {
            return Err(Exc::not_allowed(
                "only admins or owners may see all active sessions",
            ));
        }
        let store = ctx.hub.sessions();
        let mut recs: Vec<_> = store
            .sessions
            .values()
            .filter(|s| s.user_id == uid && !s.expired)
            .collect();
        recs.sort_by_key(|s| s.id);
        let rows = recs
            .into_iter()
            .map(|s| {
                let mut d = s.data();
                if details {
                    d.insert("hostip".into(), Value::String(s.hostip.clone()));
                    d.insert("id".into(), Value::Int(s.id));
                    d.sort_keys();
                }
                Value::Struct(d)
            })
            .collect();
        return Ok(Value::Array(rows).into());
    }
    let mut d = ctx.sess.data.clone();
    if details {
        d.insert("hostip".into(), Value::String(ctx.sess.hostip.clone()));
        d.insert("id".into(), ctx.sess.id.map_or(Value::Nil, Value::Int));
    }
    Ok(Value::Struct(d).into())
}
