//! Calling hub methods: lookup, the session check, `__starstar` keyword
//! arguments, argument binding, multicall, and storing the call number of
//! calls that commit. The order of the checks is the real hub's
//! (`kojixmlrpc._dispatch`): unknown method, then session, then arguments.

use std::collections::HashMap;
use std::sync::OnceLock;

use koji_xmlrpc::{Struct, Value};

use crate::args::{Args, Sig, bind};
use crate::fault::{Exc, HubResult};
use crate::hub::Hub;
use crate::methods;
use crate::session::{self, SessionCall, SessionState};
use crate::wire::Out;

/// The parts of the HTTP request methods may look at.
#[derive(Debug)]
pub(crate) struct ReqInfo<'a> {
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a http::HeaderMap,
    pub(crate) remote_ip: String,
}

impl ReqInfo<'_> {
    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }
}

/// What a handler sees.
pub(crate) struct Ctx<'a> {
    pub(crate) hub: &'a Hub,
    pub(crate) req: &'a ReqInfo<'a>,
    pub(crate) sess: SessionState,
    /// Set by handlers that change data (the real hub then commits, which
    /// also stores the call number).
    pub(crate) commit: bool,
}

/// A hub method handler.
pub(crate) type Handler = fn(&mut Ctx<'_>, Args) -> HubResult<Out>;

/// One exported method.
pub(crate) struct Method {
    pub(crate) name: &'static str,
    pub(crate) sig: Sig,
    pub(crate) func: Handler,
    /// Argument errors are a plain TypeError (fault 1) because the hub's
    /// exported function forwards `*args, **kwargs` to another one
    /// (`login`, `sslLogin`, `exclusiveSession`).
    pub(crate) forwards: bool,
}

fn table() -> &'static HashMap<&'static str, &'static Method> {
    static TABLE: OnceLock<HashMap<&'static str, &'static Method>> = OnceLock::new();
    TABLE.get_or_init(|| methods::ALL.iter().map(|m| (m.name, m)).collect())
}

/// The method of that name, as `HandlerRegistry.get` finds it.
pub(crate) fn lookup(name: &str) -> HubResult<&'static Method> {
    table()
        .get(name)
        .copied()
        .ok_or_else(|| Exc::generic(format!("Invalid method: {name}")))
}

/// `koji.decode_args`: a trailing struct with a truthy `__starstar` is kwargs.
pub(crate) fn decode_args(mut params: Vec<Value>) -> (Vec<Value>, Option<Struct>) {
    let is_kw = matches!(params.last(), Some(Value::Struct(s)) if s.get("__starstar").is_some_and(Value::is_truthy));
    if is_kw {
        if let Some(Value::Struct(mut s)) = params.pop() {
            s.shift_remove("__starstar");
            return (params, Some(s));
        }
    }
    (params, None)
}

/// Runs a method with its raw params (no session check).
pub(crate) fn run(ctx: &mut Ctx<'_>, m: &Method, params: Vec<Value>) -> HubResult<Out> {
    let (args, kwargs) = decode_args(params);
    let bound = match bind(&m.sig, args, kwargs) {
        Ok(b) => b,
        Err(Exc::Koji { msg, .. }) if m.forwards => return Err(Exc::py("TypeError", msg)),
        Err(e) => return Err(e),
    };
    (m.func)(ctx, bound)
}

/// The outcome of one XML-RPC request.
#[derive(Debug)]
pub(crate) struct Handled {
    pub(crate) out: HubResult<Out>,
    /// The session the request presented (with a valid key), if any.
    pub(crate) session_id: Option<i64>,
    pub(crate) callnum: Option<i64>,
}

/// Handles one decoded call.
pub(crate) fn handle(hub: &Hub, req: &ReqInfo<'_>, method: String, params: Vec<Value>) -> Handled {
    let mut handled = Handled {
        out: Ok(Out::nil()),
        session_id: None,
        callnum: None,
    };
    let m = match lookup(&method) {
        Ok(m) => m,
        Err(e) => {
            handled.out = Err(e);
            return handled;
        }
    };
    // check_session
    let sess = match check_session(hub, req, &method, &mut handled) {
        Ok(s) => s,
        Err(e) => {
            handled.out = Err(e);
            record_call(hub, &handled, &method);
            return handled;
        }
    };
    let mut ctx = Ctx {
        hub,
        req,
        sess,
        commit: false,
    };
    let out = run(&mut ctx, m, params);
    if out.is_ok() && ctx.commit {
        commit_callnum(hub, &ctx.sess);
    }
    handled.out = out;
    record_call(hub, &handled, &method);
    handled
}

/// Stores the call number of a request that committed.
pub(crate) fn commit_callnum(hub: &Hub, sess: &SessionState) {
    if let (Some(id), Some(n), true) = (sess.id, sess.callnum, sess.logged_in) {
        if let Some(s) = hub.sessions().sessions.get_mut(&id) {
            s.callnum = Some(n);
        }
    }
}

/// The session check alone (for uploads, which are not XML-RPC).
pub(crate) struct Checked {
    pub(crate) state: HubResult<SessionState>,
    pub(crate) session_id: Option<i64>,
    pub(crate) callnum: Option<i64>,
}

/// Runs `check_session` for a request that is not a call.
pub(crate) fn session_for(hub: &Hub, req: &ReqInfo<'_>, method: &str) -> Checked {
    let mut handled = Handled {
        out: Ok(Out::nil()),
        session_id: None,
        callnum: None,
    };
    let state = check_session(hub, req, method, &mut handled);
    Checked {
        state,
        session_id: handled.session_id,
        callnum: handled.callnum,
    }
}

fn record_call(hub: &Hub, handled: &Handled, method: &str) {
    if let Some(id) = handled.session_id {
        let fault_code = handled.out.as_ref().err().map(Exc::code);
        if let Some(s) = hub.sessions().sessions.get_mut(&id) {
            s.calls.push(SessionCall {
                method: method.to_owned(),
                callnum: handled.callnum,
                fault_code,
            });
        }
    }
}

fn check_session(
    hub: &Hub,
    req: &ReqInfo<'_>,
    method: &str,
    handled: &mut Handled,
) -> HubResult<SessionState> {
    let creds =
        session::read_credentials(|name| req.header(name), req.query, hub.cfg.url_sessions)?;
    let Some(creds) = creds else {
        return Ok(SessionState {
            hostip: req.remote_ip.clone(),
            ..SessionState::default()
        });
    };
    let hostip = if hub.cfg.check_client_ip {
        req.remote_ip.clone()
    } else {
        "-".to_owned()
    };
    let users = hub.catalog();
    let mut store = hub.sessions();
    if store
        .sessions
        .get(&creds.id)
        .is_some_and(|s| s.key == creds.key && !s.closed)
    {
        handled.session_id = Some(creds.id);
        handled.callnum = match &creds.callnum {
            Some(session::CallnumText::Int(i)) => Some(*i),
            Some(session::CallnumText::Text(t)) => crate::py::parse_int(t),
            None => None,
        };
    }
    let st = session::check(&mut store, &creds, &hostip, method, |uid| {
        users.user(uid).map(|u| (u.name.clone(), u.status))
    })?;
    if let Some(msg) = &st.lockerror {
        if !matches!(method, "exclusiveSession" | "login" | "logout") {
            return Err(Exc::auth_lock(msg.clone()));
        }
    }
    Ok(st)
}

/// `ModXMLRPCRequestHandler.multiCall(calls)`.
pub(crate) fn multicall(ctx: &mut Ctx<'_>, a: Args) -> HubResult<Out> {
    let calls = a.get("calls").cloned().unwrap_or(Value::Nil);
    let entries: Vec<Value> = match calls {
        Value::Array(items) => items,
        // iterating a str gives its characters, a dict its keys
        Value::String(s) => s.chars().map(|c| Value::String(c.to_string())).collect(),
        Value::Struct(s) => s.keys().map(|k| Value::String(k.clone())).collect(),
        other => {
            return Err(Exc::py(
                "TypeError",
                format!("'{}' object is not iterable", crate::py::type_name(&other)),
            ));
        }
    };
    let mut results = Vec::with_capacity(entries.len());
    for call in entries {
        let outcome = multicall_one(ctx, call);
        results.push(match outcome {
            Ok(out) => Out::Array(vec![out]),
            Err((e, name)) => Out::Value(e.multicall_entry(&name)),
        });
    }
    Ok(Out::Array(results))
}

fn subscript_error(v: &Value) -> Exc {
    let msg = match v {
        Value::String(_) => "string indices must be integers, not 'str'".to_owned(),
        Value::Array(_) => "list indices must be integers or slices, not str".to_owned(),
        other => format!(
            "'{}' object is not subscriptable",
            crate::py::type_name(other)
        ),
    };
    Exc::py("TypeError", msg)
}

fn multicall_one(ctx: &mut Ctx<'_>, call: Value) -> Result<Out, (Exc, String)> {
    let s = match call {
        Value::Struct(s) => s,
        other => return Err((subscript_error(&other), "multiCall".into())),
    };
    let name = match s.get("methodName") {
        Some(v) => crate::py::str_of(v),
        None => return Err((Exc::key_error("methodName"), "multiCall".into())),
    };
    let params = match s.get("params") {
        Some(Value::Array(p)) => p.clone(),
        Some(Value::String(p)) => p.chars().map(|c| Value::String(c.to_string())).collect(),
        Some(Value::Struct(p)) => p.keys().map(|k| Value::String(k.clone())).collect(),
        Some(other) => {
            return Err((
                Exc::py(
                    "TypeError",
                    format!(
                        "decode_args() argument after * must be an iterable, not {}",
                        crate::py::type_name(other)
                    ),
                ),
                name,
            ));
        }
        None => return Err((Exc::key_error("params"), "multiCall".into())),
    };
    let m = lookup(&name).map_err(|e| (e, name.clone()))?;
    run(ctx, m, params).map_err(|e| (e, name))
}
