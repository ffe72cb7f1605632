//! Sessions as the hub keeps them (`kojihub/auth.py` at HEAD): credentials
//! from headers or the query string, call numbers, expiry and renewal,
//! subsessions and exclusive sessions.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use koji_xmlrpc::{Struct, Value};

use crate::fault::{Exc, HubResult};
use crate::py;
use crate::time::{format_ts, now_ts};

/// Methods a repeated call number is accepted for (`RetryWhitelist`).
const RETRY_WHITELIST: [&str; 8] = [
    "host.taskWait",
    "host.taskUnwait",
    "host.taskSetWait",
    "host.updateHost",
    "host.setBuildRootState",
    "repoExpire",
    "repoDelete",
    "repoProblem",
];

/// Auth types (`koji.AUTHTYPES`).
pub(crate) mod authtype {
    /// Password.
    pub(crate) const NORMAL: i64 = 0;
    /// Client certificate.
    pub(crate) const SSL: i64 = 2;
    /// GSSAPI / Kerberos.
    pub(crate) const GSSAPI: i64 = 3;
}

/// One call made on a session, for test inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCall {
    /// The XML-RPC method (`system.multicall` for a multicall).
    pub method: String,
    /// The call number the client sent, if any.
    pub callnum: Option<i64>,
    /// The fault code of the answer, if it was a fault.
    pub fault_code: Option<i64>,
}

/// A stored session row.
#[derive(Debug, Clone)]
pub(crate) struct SessionRec {
    pub(crate) id: i64,
    pub(crate) key: String,
    pub(crate) user_id: i64,
    pub(crate) authtype: i64,
    pub(crate) master: Option<i64>,
    pub(crate) hostip: String,
    /// Last committed call number.
    pub(crate) callnum: Option<i64>,
    pub(crate) exclusive: bool,
    pub(crate) expired: bool,
    pub(crate) closed: bool,
    pub(crate) start_ts: f64,
    pub(crate) update_ts: f64,
    pub(crate) renew_ts: Option<f64>,
    /// When the renewal timeout started (login or last renewal).
    pub(crate) since: Instant,
    pub(crate) calls: Vec<SessionCall>,
}

impl SessionRec {
    /// `session_data` as `Session.__init__` reads it.
    pub(crate) fn data(&self) -> Struct {
        let mut s = Struct::new();
        s.insert("authtype".into(), Value::Int(self.authtype));
        s.insert(
            "callnum".into(),
            self.callnum.map_or(Value::Nil, Value::Int),
        );
        s.insert(
            "exclusive".into(),
            if self.exclusive {
                Value::Bool(true)
            } else {
                Value::Nil
            },
        );
        s.insert("expired".into(), Value::Bool(self.expired));
        s.insert("master".into(), self.master.map_or(Value::Nil, Value::Int));
        s.insert(
            "renew_time".into(),
            self.renew_ts
                .map_or(Value::Nil, |t| Value::String(format_ts(t))),
        );
        s.insert(
            "renew_ts".into(),
            self.renew_ts.map_or(Value::Nil, Value::Double),
        );
        s.insert("start_time".into(), Value::String(format_ts(self.start_ts)));
        s.insert("start_ts".into(), Value::Double(self.start_ts));
        s.insert(
            "update_time".into(),
            Value::String(format_ts(self.update_ts)),
        );
        s.insert("update_ts".into(), Value::Double(self.update_ts));
        s.insert("user_id".into(), Value::Int(self.user_id));
        s
    }
}

/// All sessions of a hub.
#[derive(Debug)]
pub(crate) struct SessionStore {
    pub(crate) sessions: HashMap<i64, SessionRec>,
    next_id: i64,
    rng: u64,
    pub(crate) lifetime: Duration,
}

impl SessionStore {
    /// An empty store; ids start at `first_id`.
    pub(crate) fn new(first_id: i64, lifetime: Duration, seed: u64) -> Self {
        SessionStore {
            sessions: HashMap::new(),
            next_id: first_id,
            rng: seed | 1,
            lifetime,
        }
    }

    fn random_key(&mut self, user_id: i64) -> String {
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let mut s = format!("{user_id}-");
        for _ in 0..19 {
            // xorshift64*
            self.rng ^= self.rng >> 12;
            self.rng ^= self.rng << 25;
            self.rng ^= self.rng >> 27;
            let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d);
            let idx = (r >> 32) as usize % ALNUM.len();
            s.push(char::from(ALNUM.get(idx).copied().unwrap_or(b'x')));
        }
        s
    }

    /// `createSession`: a new session, or the same id with a new key when renewing.
    pub(crate) fn create(
        &mut self,
        user_id: i64,
        hostip: &str,
        authtype: i64,
        master: Option<i64>,
        renew: Option<i64>,
    ) -> Value {
        let key = self.random_key(user_id);
        let now = now_ts();
        let id = match renew.and_then(|id| self.sessions.get_mut(&id).map(|s| (id, s))) {
            Some((id, s)) => {
                s.key = key.clone();
                s.expired = false;
                s.update_ts = now;
                s.renew_ts = Some(now);
                s.since = Instant::now();
                id
            }
            None => {
                let id = self.next_id;
                self.next_id += 1;
                self.sessions.insert(
                    id,
                    SessionRec {
                        id,
                        key: key.clone(),
                        user_id,
                        authtype,
                        master,
                        hostip: hostip.to_owned(),
                        callnum: None,
                        exclusive: false,
                        expired: false,
                        closed: false,
                        start_ts: now,
                        update_ts: now,
                        renew_ts: None,
                        since: Instant::now(),
                        calls: Vec::new(),
                    },
                );
                id
            }
        };
        let mut s = Struct::new();
        s.insert("session-id".into(), Value::Int(id));
        s.insert("session-key".into(), Value::String(key));
        s.insert("header-auth".into(), Value::Bool(true));
        Value::Struct(s)
    }

    /// Closes a session and its subsessions.
    pub(crate) fn close_tree(&mut self, id: i64) {
        for s in self.sessions.values_mut() {
            if s.id == id || s.master == Some(id) {
                s.expired = true;
                s.exclusive = false;
                s.closed = true;
            }
        }
    }

    /// Marks a session (and its subsessions) expired, as the renewal timeout does.
    pub(crate) fn expire_tree(&mut self, id: i64) -> bool {
        let mut found = false;
        for s in self.sessions.values_mut() {
            if s.id == id || s.master == Some(id) {
                found |= s.id == id;
                s.expired = true;
            }
        }
        found
    }

    /// The id of another open exclusive session of the user.
    pub(crate) fn exclusive_of_user(&self, user_id: i64, except: i64) -> Option<i64> {
        self.sessions
            .values()
            .filter(|s| s.user_id == user_id && s.exclusive && !s.closed && s.id != except)
            .map(|s| s.id)
            .min()
    }
}

/// Where the credentials of a request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) id: i64,
    pub(crate) key: String,
    /// The callnum as sent (query strings carry text, checked later).
    pub(crate) callnum: Option<CallnumText>,
}

/// A callnum from a header (already an int) or the query string (text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallnumText {
    /// From a header.
    Int(i64),
    /// From the query string.
    Text(String),
}

/// Reads the session credentials of a request the way `Session.__init__` does.
/// `Ok(None)` is anonymous.
pub(crate) fn read_credentials(
    header: impl Fn(&str) -> Option<String>,
    query: Option<&str>,
    url_sessions: bool,
) -> HubResult<Option<Credentials>> {
    if let Some(id) = header("koji-session-id") {
        let id = py::parse_int(&id).ok_or_else(|| Exc::py("ValueError", py::int_error(&id)))?;
        let key =
            header("koji-session-key").ok_or_else(|| Exc::key_error("HTTP_KOJI_SESSION_KEY"))?;
        let callnum = match header("koji-session-callnum").or_else(|| header("koji-callnum")) {
            Some(c) => Some(CallnumText::Int(
                py::parse_int(&c).ok_or_else(|| Exc::py("ValueError", py::int_error(&c)))?,
            )),
            None => None,
        };
        return Ok(Some(Credentials { id, key, callnum }));
    }
    if !url_sessions {
        return Ok(None);
    }
    let Some(q) = query.filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    let fields = parse_qs_strict(q)?;
    let first = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let id_text = first("session-id")
        .ok_or_else(|| Exc::auth("'session-id' not specified in session args"))?;
    let key = first("session-key")
        .ok_or_else(|| Exc::auth("'session-key' not specified in session args"))?;
    let id =
        py::parse_int(&id_text).ok_or_else(|| Exc::py("ValueError", py::int_error(&id_text)))?;
    Ok(Some(Credentials {
        id,
        key,
        callnum: first("callnum").map(CallnumText::Text),
    }))
}

/// `urllib.parse.parse_qs(q, strict_parsing=True)` (blank values dropped).
fn parse_qs_strict(q: &str) -> HubResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for field in q.split('&') {
        let Some((k, v)) = field.split_once('=') else {
            return Err(Exc::py(
                "ValueError",
                format!("bad query field: {}", py::repr_str(field)),
            ));
        };
        if v.is_empty() {
            continue;
        }
        out.push((unquote_plus(k), unquote_plus(v)));
    }
    Ok(out)
}

fn unquote_plus(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The session state of one request after `Session.__init__`.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionState {
    /// The session id presented with a valid key (also for expired sessions).
    pub(crate) id: Option<i64>,
    pub(crate) logged_in: bool,
    pub(crate) user_id: Option<i64>,
    pub(crate) authtype: Option<i64>,
    pub(crate) master: Option<i64>,
    pub(crate) exclusive: bool,
    pub(crate) hostip: String,
    /// The call number of this request (stored if the call commits).
    pub(crate) callnum: Option<i64>,
    /// `session_data` at the start of the request.
    pub(crate) data: Struct,
    pub(crate) lockerror: Option<String>,
}

/// `Session.__init__`: validates the credentials against the store.
/// `user_status` answers (name, status) for a user id.
pub(crate) fn check(
    store: &mut SessionStore,
    creds: &Credentials,
    hostip: &str,
    method: &str,
    user_status: impl Fn(i64) -> Option<(String, i64)>,
) -> HubResult<SessionState> {
    let lifetime = store.lifetime;
    let rec = match store.sessions.get(&creds.id) {
        Some(s) if s.key == creds.key && s.hostip == hostip && !s.closed => s.clone(),
        _ => return Err(Exc::auth("Invalid session or bad credentials")),
    };
    let mut expired = rec.expired;
    if !expired && !lifetime.is_zero() && rec.since.elapsed() > lifetime {
        expired = true;
        store.expire_tree(rec.id);
    }
    if expired && method != "login" && method != "sslLogin" {
        return Err(Exc::auth_expired(format!(
            "session \"{}\" has expired",
            rec.id
        )));
    }
    let callnum = match &creds.callnum {
        None => None,
        Some(CallnumText::Int(i)) => Some(*i),
        Some(CallnumText::Text(t)) => Some(
            py::parse_int(t)
                .ok_or_else(|| Exc::auth(format!("Invalid callnum: {}", py::repr_str(t))))?,
        ),
    };
    if let (Some(n), Some(last)) = (callnum, rec.callnum) {
        if last > n {
            return Err(Exc::sequence(format!("{last} > {n} (session {})", rec.id)));
        } else if last == n && !RETRY_WHITELIST.contains(&method) {
            return Err(Exc::retry(format!(
                "unable to retry call {n} (method {method}) for session {}",
                rec.id
            )));
        }
    }
    let mut st = SessionState {
        id: Some(rec.id),
        hostip: hostip.to_owned(),
        ..SessionState::default()
    };
    if expired {
        return Ok(st);
    }
    match user_status(rec.user_id) {
        Some((name, status)) if status != 0 => {
            return Err(Exc::auth(format!("logins by {name} are not allowed")));
        }
        _ => {}
    }
    let mut exclusive = rec.exclusive;
    let mut lockerror = None;
    if !exclusive {
        if let Some(excl) = store.exclusive_of_user(rec.user_id, rec.id) {
            if Some(excl) == rec.master {
                exclusive = true;
            } else {
                lockerror = Some("User locked by another session".to_owned());
            }
        }
    }
    let data = rec.data();
    if let Some(s) = store.sessions.get_mut(&rec.id) {
        s.update_ts = now_ts();
    }
    st.logged_in = true;
    st.user_id = Some(rec.user_id);
    st.authtype = Some(rec.authtype);
    st.master = rec.master;
    st.exclusive = exclusive;
    st.callnum = callnum;
    st.data = data;
    st.lockerror = lockerror;
    Ok(st)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn hdrs<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn credentials_from_headers_and_query() {
        let c = read_credentials(
            hdrs(&[
                ("Koji-Session-Id", "7"),
                ("Koji-Session-Key", "k"),
                ("Koji-Session-Callnum", "1"),
                ("Koji-Callnum", "9"),
            ]),
            Some("session-id=8&session-key=x"),
            true,
        )
        .unwrap()
        .unwrap();
        assert_eq!((c.id, c.callnum), (7, Some(CallnumText::Int(1))));
        let c = read_credentials(
            hdrs(&[]),
            Some("session-id=8&session-key=a%2Bb&callnum=3"),
            true,
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.key, "a+b");
        assert_eq!(c.callnum, Some(CallnumText::Text("3".into())));
        assert_eq!(
            read_credentials(hdrs(&[]), Some("session-id=8"), false).unwrap(),
            None
        );
    }

    #[test]
    fn credential_errors_match_the_hub() {
        let e = |h: &[(&str, &str)], q: Option<&str>| {
            read_credentials(hdrs(h), q, true)
                .unwrap_err()
                .fault_string()
        };
        assert_eq!(
            e(&[("Koji-Session-Id", "abc")], None),
            "<class 'ValueError'>: invalid literal for int() with base 10: 'abc'"
        );
        assert_eq!(
            e(&[("Koji-Session-Id", "1")], None),
            "<class 'KeyError'>: 'HTTP_KOJI_SESSION_KEY'"
        );
        assert_eq!(
            e(&[], Some("session-id=1")),
            "'session-key' not specified in session args"
        );
        assert_eq!(
            e(&[], Some("foo")),
            "<class 'ValueError'>: bad query field: 'foo'"
        );
    }

    #[test]
    fn callnum_rules() {
        let mut store = SessionStore::new(1, Duration::from_secs(3600), 42);
        let sinfo = store.create(2, "127.0.0.1", authtype::SSL, None, None);
        let key = sinfo
            .get("session-key")
            .and_then(Value::as_str)
            .unwrap()
            .to_owned();
        let creds = |n: Option<i64>| Credentials {
            id: 1,
            key: key.clone(),
            callnum: n.map(CallnumText::Int),
        };
        let ok = |_: i64| Some(("alice".to_owned(), 0));
        check(
            &mut store,
            &creds(Some(0)),
            "127.0.0.1",
            "getLoggedInUser",
            ok,
        )
        .unwrap();
        store.sessions.get_mut(&1).unwrap().callnum = Some(1);
        let msg = |r: HubResult<SessionState>| r.unwrap_err().fault_string();
        assert_eq!(
            msg(check(
                &mut store,
                &creds(Some(1)),
                "127.0.0.1",
                "editTag2",
                ok
            )),
            "unable to retry call 1 (method editTag2) for session 1"
        );
        assert!(
            check(
                &mut store,
                &creds(Some(1)),
                "127.0.0.1",
                "host.updateHost",
                ok
            )
            .is_ok()
        );
        assert_eq!(
            msg(check(
                &mut store,
                &creds(Some(0)),
                "127.0.0.1",
                "getLoggedInUser",
                ok
            )),
            "1 > 0 (session 1)"
        );
        assert!(check(&mut store, &creds(Some(7)), "127.0.0.1", "x", ok).is_ok());
        assert!(check(&mut store, &creds(None), "127.0.0.1", "x", ok).is_ok());
        assert_eq!(
            msg(check(&mut store, &creds(None), "10.0.0.1", "x", ok)),
            "Invalid session or bad credentials"
        );
        store.expire_tree(1);
        assert_eq!(
            msg(check(&mut store, &creds(None), "127.0.0.1", "x", ok)),
            "session \"1\" has expired"
        );
        let st = check(&mut store, &creds(None), "127.0.0.1", "sslLogin", ok).unwrap();
        assert!(!st.logged_in);
        assert_eq!(st.id, Some(1));
    }
}
