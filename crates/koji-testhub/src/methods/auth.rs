//! Logins and session management (`kojihub/auth.py`).
//!
//! There is no TLS or Kerberos here: `sslLogin` trusts an identity that the
//! test set-up vouches for — a header set by a fronting proxy (configured by
//! name, like Apache's `SSL_CLIENT_S_DN` / `REMOTE_USER`), a test header, or
//! a fixed user — and only on a path ending in `/ssllogin`, where Apache
//! would have authenticated the client.

use koji_xmlrpc::Value;

use crate::args::Args;
use crate::dataset::User;
use crate::dispatch::Ctx;
use crate::fault::{Exc, HubResult};
use crate::py;
use crate::session::authtype;
use crate::wire::Out;

/// The test header that names the user to log in as (when enabled).
pub(crate) const LOGIN_AS_HEADER: &str = "koji-testhub-login-as";

struct Identity {
    username: String,
    client_dn: String,
    authtype: i64,
}

fn cn_of(dn: &str) -> String {
    dn.split([',', '/'])
        .find_map(|part| {
            let part = part.trim();
            part.strip_prefix("CN=")
                .or_else(|| part.strip_prefix("cn="))
        })
        .unwrap_or(dn)
        .to_owned()
}

fn identity(ctx: &Ctx<'_>) -> Option<Identity> {
    if !ctx.req.path.trim_end_matches('/').ends_with("/ssllogin") {
        return None;
    }
    let cfg = &ctx.hub.cfg;
    if let Some(h) = &cfg.remote_user_header {
        if let Some(p) = ctx.req.header(h).filter(|v| !v.is_empty()) {
            return Some(Identity {
                username: p.clone(),
                client_dn: p,
                authtype: authtype::GSSAPI,
            });
        }
    }
    if let Some(h) = &cfg.cert_header {
        if let Some(dn) = ctx.req.header(h).filter(|v| !v.is_empty()) {
            return Some(Identity {
                username: cn_of(&dn),
                client_dn: dn,
                authtype: authtype::SSL,
            });
        }
    }
    let fixed = if cfg.login_header {
        ctx.req.header(LOGIN_AS_HEADER).filter(|v| !v.is_empty())
    } else {
        None
    }
    .or_else(|| cfg.trust_login_as.clone());
    fixed.map(|name| Identity {
        client_dn: format!("CN={name}"),
        username: name,
        authtype: authtype::SSL,
    })
}

fn next_user_id(users: &[User]) -> i64 {
    users.iter().map(|u| u.id).max().unwrap_or(0) + 1
}

fn new_session(
    ctx: &mut Ctx<'_>,
    user_id: i64,
    authtype: i64,
    renew: bool,
    exclusive: bool,
) -> Value {
    let renew_id = if renew { ctx.sess.id } else { None };
    let hostip = if ctx.hub.cfg.check_client_ip {
        ctx.req.remote_ip.clone()
    } else {
        "-".to_owned()
    };
    let mut store = ctx.hub.sessions();
    let sinfo = store.create(user_id, &hostip, authtype, None, renew_id);
    if exclusive {
        if let Some(id) = sinfo.get("session-id").and_then(Value::as_i64) {
            if store.exclusive_of_user(user_id, id).is_none() {
                if let Some(s) = store.sessions.get_mut(&id) {
                    s.exclusive = true;
                }
            }
        }
    }
    sinfo
}

pub(super) fn ssl_login(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    if ctx.sess.logged_in {
        return Err(Exc::auth("Already logged in"));
    }
    let Some(id) = identity(ctx) else {
        return Err(Exc::auth("could not verify client: None"));
    };
    let mut username = id.username.clone();
    let mut atype = id.authtype;
    if let Some(proxy) = a.get("proxyuser").filter(|v| v.is_truthy()) {
        let allowed = if atype == authtype::GSSAPI {
            &ctx.hub.cfg.proxy_principals
        } else {
            &ctx.hub.cfg.proxy_dns
        };
        if !allowed.contains(&id.client_dn) {
            return Err(Exc::auth(format!(
                "{} is not authorized to login other users",
                id.client_dn
            )));
        }
        username = py::str_of(proxy);
        if let Some(pat) = a.opt("proxyauthtype") {
            let pat = super::as_py_int(pat).unwrap_or(-1);
            if pat != atype {
                return Err(Exc::auth(
                    "Proxy must use same auth mechanism as hub (behaviour can be overriden via \
                     AllowProxyAuthType hub option)",
                ));
            }
            atype = pat;
        }
    }
    let (user_id, name, status) = {
        let mut cat = ctx.hub.catalog_mut();
        let krb = atype == authtype::GSSAPI && username.contains('@');
        let found = if krb {
            cat.user_by_principal(&username).map(|u| u.id)
        } else {
            cat.user_by_name(&username).map(|u| u.id)
        };
        let uid = match found {
            Some(uid) => uid,
            None if ctx.hub.cfg.login_creates_user => {
                let uid = next_user_id(&cat.users);
                let (name, princs) = if krb {
                    let n = username.split('@').next().unwrap_or(&username).to_owned();
                    (n, vec![username.clone()])
                } else {
                    (username.clone(), vec![])
                };
                if let Some(existing) = cat.users.iter_mut().find(|u| u.name == name) {
                    existing.krb_principals.extend(princs);
                    existing.id
                } else {
                    cat.users.push(User {
                        id: uid,
                        name,
                        status: 0,
                        usertype: 0,
                        krb_principals: princs,
                        groups: vec![],
                        perms: vec![],
                    });
                    cat.new_event();
                    uid
                }
            }
            None => return Err(Exc::auth(format!("Unknown user: {username}"))),
        };
        let u = cat.user(uid);
        (
            uid,
            u.map(|u| u.name.clone()).unwrap_or_default(),
            u.map_or(0, |u| u.status),
        )
    };
    if status != 0 {
        return Err(Exc::auth(format!("logins by {name} are not allowed")));
    }
    ctx.commit = true;
    let renew = a.truthy("renew", false);
    let exclusive = a.truthy("exclusive", false);
    Ok(new_session(ctx, user_id, atype, renew, exclusive).into())
}

pub(super) fn login(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let user = a.or("user", &Value::Nil);
    let password = match a.get("password") {
        Some(Value::String(p)) if !p.is_empty() => p.clone(),
        _ => return Err(Exc::auth("invalid username or password")),
    };
    if ctx.sess.logged_in {
        return Err(Exc::auth("Already logged in"));
    }
    if let Some(opts) = a.opt("opts") {
        if !matches!(opts, Value::Struct(_)) {
            return Err(crate::query::no_get(opts));
        }
    }
    let (user_id, name, status) = {
        let cat = ctx.hub.catalog();
        let uname = match user {
            Value::String(s) => s.clone(),
            other => py::str_of(other),
        };
        let ok = cat.passwords.get(&uname).is_some_and(|p| *p == password);
        let u = cat.user_by_name(&uname).filter(|_| ok);
        match u {
            Some(u) => (u.id, u.name.clone(), u.status),
            None => return Err(Exc::auth("invalid username or password")),
        }
    };
    if status != 0 {
        return Err(Exc::auth(format!("logins by {name} are not allowed")));
    }
    ctx.commit = true;
    let renew = a.truthy("renew", false);
    let exclusive = a.truthy("exclusive", false);
    Ok(new_session(ctx, user_id, authtype::NORMAL, renew, exclusive).into())
}

pub(super) fn logout(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    if !ctx.sess.logged_in {
        return Err(Exc::auth("Not logged in"));
    }
    let target = match a.get("session_id").filter(|v| v.is_truthy()) {
        Some(v) => {
            let sid = super::convert_int(v)?;
            if !super::users::has_perm(ctx, "admin") {
                let owned = ctx
                    .hub
                    .sessions()
                    .sessions
                    .get(&sid)
                    .is_some_and(|s| Some(s.user_id) == ctx.sess.user_id);
                if !owned {
                    return Err(Exc::not_allowed(
                        "only admins or owner may logout other session",
                    ));
                }
            }
            sid
        }
        None => ctx.sess.id.unwrap_or_default(),
    };
    ctx.hub.sessions().close_tree(target);
    ctx.commit = true;
    Ok(Out::nil())
}

pub(super) fn subsession(ctx: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    if !ctx.sess.logged_in {
        return Err(Exc::auth("Not logged in"));
    }
    let master = ctx.sess.master.or(ctx.sess.id);
    let (Some(uid), Some(at)) = (ctx.sess.user_id, ctx.sess.authtype) else {
        return Err(Exc::auth("Not logged in"));
    };
    let hostip = ctx.sess.hostip.clone();
    let hostip = if ctx.hub.cfg.check_client_ip {
        hostip
    } else {
        "-".into()
    };
    ctx.commit = true;
    Ok(ctx
        .hub
        .sessions()
        .create(uid, &hostip, at, master, None)
        .into())
}

pub(super) fn logout_child(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    if !ctx.sess.logged_in {
        return Err(Exc::auth("Not logged in"));
    }
    let child = super::convert_int(a.or("session_id", &Value::Nil))?;
    let mut store = ctx.hub.sessions();
    if let Some(s) = store.sessions.get_mut(&child) {
        if s.master.is_some() && s.master == ctx.sess.id {
            s.expired = true;
            s.exclusive = false;
            s.closed = true;
        }
    }
    ctx.commit = true;
    Ok(Out::nil())
}

pub(super) fn exclusive_session(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    if ctx.sess.master.is_some() {
        return Err(Exc::generic("subsessions cannot become exclusive"));
    }
    if ctx.sess.exclusive {
        return Err(Exc::generic("session is already exclusive"));
    }
    let (Some(id), Some(uid), true) = (ctx.sess.id, ctx.sess.user_id, ctx.sess.logged_in) else {
        // anonymous: the hub's queries match nothing and it returns None
        return Ok(Out::nil());
    };
    let force = a.truthy("force", false);
    let mut store = ctx.hub.sessions();
    if let Some(other) = store.exclusive_of_user(uid, id) {
        if !force {
            return Err(Exc::auth_lock("Cannot get exclusive session"));
        }
        if let Some(s) = store.sessions.get_mut(&other) {
            s.expired = true;
            s.exclusive = false;
            s.closed = true;
        }
    }
    if let Some(s) = store.sessions.get_mut(&id) {
        s.exclusive = true;
    }
    ctx.commit = true;
    Ok(Out::nil())
}

pub(super) fn shared_session(ctx: &mut Ctx<'_>, _: Args) -> HubResult<Out> {
    if let Some(id) = ctx.sess.id.filter(|_| ctx.sess.logged_in) {
        if let Some(s) = ctx.hub.sessions().sessions.get_mut(&id) {
            s.exclusive = false;
        }
        ctx.commit = true;
    }
    Ok(Out::nil())
}
