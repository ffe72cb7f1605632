//! The session layer (pure state, no I/O): the id, the secret key, the call
//! number, and how they are sent with each authenticated call
//! (`ClientSession._prepCall` in koji's `koji/__init__.py`, and the hub's
//! `kojihub/auth.py`). It uses only the request layer: the
//! credentials of a call go into its [`PreparedCall`]. Logging in and
//! renewing are the login layer's (`auth/`); the facade runs calls with it.
//!
//! - A login answers `{session-id, session-key[, header-auth]}`.
//! - With `header-auth` (hubs ≥ 1.31) every call carries `Koji-Session-Id`,
//!   `Koji-Session-Key`, `Koji-Session-Callnum` and `Koji-Callnum` (the one
//!   hubs 1.31–1.35 actually read) with the same number; without it the
//!   credentials go in the query string, `?session-id=…&session-key=…&callnum=…`.
//! - The call number starts at 0 after a login, grows by one for every
//!   authenticated call, stays the same when a call is retried, and never
//!   goes backwards — also not when an expired session is renewed (the hub
//!   keeps the last committed number across a renewal).

use std::fmt;
use std::sync::Mutex;

use crate::error::Result;
use crate::request::PreparedCall;

/// The secret half of a session. Shown as `<redacted>` everywhere.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SessionKey(String);

impl SessionKey {
    pub(crate) fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the request only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

/// What a login answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionInfo {
    pub(crate) id: i64,
    pub(crate) key: SessionKey,
    /// The hub reads the session from headers (the reply had `header-auth`).
    pub(crate) header_auth: bool,
}

/// How credentials travel with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionMode {
    /// `Koji-Session-*` headers (hubs ≥ 1.31, which answer logins with
    /// `header-auth`).
    Headers,
    /// `?session-id=…&session-key=…&callnum=…` (older hubs).
    QueryString,
}

/// The credentials of one authenticated call: headers or a query string,
/// and the call number they carry.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) query: Option<String>,
    pub(crate) callnum: u64,
}

impl Credentials {
    /// A copy of `call` carrying these credentials: their headers
    /// (sensitive) or query string, and their call number. The call counts
    /// as authenticated.
    pub(crate) fn apply(&self, call: &PreparedCall) -> Result<PreparedCall> {
        let mut call = call.clone();
        for (name, value) in &self.headers {
            call = call.header(name, value)?;
        }
        if let Some(query) = &self.query {
            // An upload's own arguments stay in front of the credentials.
            let joined = match &call.query {
                Some(own) => format!("{own}&{query}"),
                None => query.clone(),
            };
            call = call.query(joined);
        }
        Ok(call.call_number(self.callnum).logged_in(true))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .field("query", &self.query.as_ref().map(|_| "<redacted>"))
            .field("callnum", &self.callnum)
            .finish()
    }
}

/// A logged-in session: its info and the next call number.
#[derive(Debug, Clone)]
pub(crate) struct ActiveSession {
    info: SessionInfo,
    next_callnum: u64,
}

impl ActiveSession {
    /// A session right after a login: the first call carries number 0.
    pub(crate) fn new(info: SessionInfo) -> Self {
        Self {
            info,
            next_callnum: 0,
        }
    }

    pub(crate) fn id(&self) -> i64 {
        self.info.id
    }

    #[cfg(test)]
    pub(crate) fn info(&self) -> &SessionInfo {
        &self.info
    }

    pub(crate) fn mode(&self) -> SessionMode {
        if self.info.header_auth {
            SessionMode::Headers
        } else {
            SessionMode::QueryString
        }
    }

    /// The number the next call will carry.
    #[cfg(test)]
    pub(crate) fn next_callnum(&self) -> u64 {
        self.next_callnum
    }

    /// Takes the next call number and returns the credentials to send with
    /// it. Retries of that call must reuse the returned credentials.
    pub(crate) fn next_call(&mut self) -> Credentials {
        let callnum = self.next_callnum;
        self.next_callnum = self.next_callnum.saturating_add(1);
        self.credentials(callnum)
    }

    /// The credentials that carry `callnum` (no number is taken).
    pub(crate) fn credentials(&self, callnum: u64) -> Credentials {
        let id = self.info.id.to_string();
        let key = self.info.key.expose().to_owned();
        let n = callnum.to_string();
        match self.mode() {
            SessionMode::Headers => Credentials {
                headers: vec![
                    ("Koji-Session-Id", id),
                    ("Koji-Session-Key", key),
                    ("Koji-Session-Callnum", n.clone()),
                    ("Koji-Callnum", n),
                ],
                query: None,
                callnum,
            },
            SessionMode::QueryString => Credentials {
                headers: Vec::new(),
                query: Some(format!(
                    "session-id={}&session-key={}&callnum={}",
                    form_encode(&id),
                    form_encode(&key),
                    n
                )),
                callnum,
            },
        }
    }

    /// The credentials a renewal login sends: those of the expired session,
    /// with the next call number (koji sends the old headers with
    /// `sslLogin(renew=True)`).
    pub(crate) fn renewal_credentials(&mut self) -> Credentials {
        self.next_call()
    }

    /// Takes the new key (and mode) of a renewed session. The id must be
    /// the same; the call number keeps counting.
    pub(crate) fn renewed(&mut self, info: SessionInfo) -> Result<(), i64> {
        if info.id != self.info.id {
            return Err(info.id);
        }
        self.info = info;
        Ok(())
    }
}

/// The mutable part of a session, behind the slot's lock. `L` is how the
/// session was made (the login layer's recipe, kept to renew it the same
/// way); this layer only stores it.
#[derive(Debug)]
pub(crate) struct SessionState<L> {
    pub(crate) active: Option<ActiveSession>,
    /// How the session was made, to renew it the same way.
    pub(crate) login: Option<L>,
    pub(crate) exclusive: bool,
}

impl<L> Default for SessionState<L> {
    fn default() -> Self {
        Self {
            active: None,
            login: None,
            exclusive: false,
        }
    }
}

/// The session of a connection and its clones.
///
/// Authenticated calls hold the lock from taking their call number until
/// their response has arrived, so calls on one session reach the hub one at
/// a time and in call-number order (tokio's mutex is fair, first come first
/// served): any number of concurrent callers never causes a SequenceError.
/// Work meant to run in parallel uses subsessions.
pub(crate) struct SessionSlot<L> {
    state: tokio::sync::Mutex<SessionState<L>>,
    /// The session id, readable without waiting for the lock.
    id: Mutex<Option<i64>>,
}

impl<L> Default for SessionSlot<L> {
    fn default() -> Self {
        Self {
            state: tokio::sync::Mutex::new(SessionState::default()),
            id: Mutex::new(None),
        }
    }
}

impl<L> fmt::Debug for SessionSlot<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("id", &self.id()).finish()
    }
}

impl<L> SessionSlot<L> {
    /// A slot holding a fresh session (a subsession).
    pub(crate) fn new(info: SessionInfo, login: Option<L>) -> Self {
        let id = info.id;
        Self {
            state: tokio::sync::Mutex::new(SessionState {
                active: Some(ActiveSession::new(info)),
                login,
                exclusive: false,
            }),
            id: Mutex::new(Some(id)),
        }
    }

    pub(crate) async fn lock(&self) -> tokio::sync::MutexGuard<'_, SessionState<L>> {
        self.state.lock().await
    }

    pub(crate) fn id(&self) -> Option<i64> {
        *self.id.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_id(&self, id: Option<i64>) {
        *self.id.lock().unwrap_or_else(|p| p.into_inner()) = id;
    }

    pub(crate) fn is_active(&self) -> bool {
        self.id().is_some()
    }
}

/// `application/x-www-form-urlencoded` encoding of one value, as Python's
/// `urlencode` does it (unreserved characters kept, space as `+`).
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(header_auth: bool) -> SessionInfo {
        SessionInfo {
            id: 36,
            key: SessionKey::new("2-AJJjcIAFs4mwX5GZLZN"),
            header_auth,
        }
    }

    #[test]
    fn header_mode_sends_both_callnum_headers_and_counts_from_zero() {
        let mut s = ActiveSession::new(info(true));
        assert_eq!(s.mode(), SessionMode::Headers);
        let first = s.next_call();
        assert_eq!(first.callnum, 0);
        assert_eq!(first.query, None);
        assert_eq!(
            first.headers,
            vec![
                ("Koji-Session-Id", "36".to_owned()),
                ("Koji-Session-Key", "2-AJJjcIAFs4mwX5GZLZN".to_owned()),
                ("Koji-Session-Callnum", "0".to_owned()),
                ("Koji-Callnum", "0".to_owned()),
            ]
        );
        assert_eq!(s.next_call().callnum, 1);
        assert_eq!(s.next_callnum(), 2);
    }

    #[test]
    fn query_mode_matches_the_recorded_txkoji_style_url() {
        // realhub exchange 352: ?session-id=38&session-key=2-XrFfXnEp6gIZfw9JTJG&callnum=0
        let mut s = ActiveSession::new(SessionInfo {
            id: 38,
            key: SessionKey::new("2-XrFfXnEp6gIZfw9JTJG"),
            header_auth: false,
        });
        let c = s.next_call();
        assert!(c.headers.is_empty());
        assert_eq!(
            c.query.as_deref(),
            Some("session-id=38&session-key=2-XrFfXnEp6gIZfw9JTJG&callnum=0")
        );
        assert_eq!(form_encode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn renewal_keeps_the_id_and_the_call_number_and_takes_the_new_key() {
        let mut s = ActiveSession::new(info(true));
        for _ in 0..5 {
            s.next_call();
        }
        let renewal = s.renewal_credentials();
        assert_eq!(renewal.callnum, 5);
        s.renewed(SessionInfo {
            id: 36,
            key: SessionKey::new("2-NewKeyNewKeyNewKey1"),
            header_auth: true,
        })
        .map_err(|id| format!("unexpected id {id}"))
        .unwrap_or_else(|e| panic!("{e}"));
        let next = s.next_call();
        assert_eq!(next.callnum, 6);
        assert!(
            next.headers
                .contains(&("Koji-Session-Key", "2-NewKeyNewKeyNewKey1".to_owned()))
        );
        let other = SessionInfo {
            id: 99,
            key: SessionKey::new("x"),
            header_auth: true,
        };
        assert_eq!(s.renewed(other), Err(99));
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let mut s = ActiveSession::new(info(false));
        let c = s.next_call();
        for text in [
            format!("{s:?}"),
            format!("{c:?}"),
            format!("{:?}", s.info()),
        ] {
            assert!(!text.contains("AJJjcIAFs4mwX5GZLZN"), "{text}");
            assert!(text.contains("redacted"), "{text}");
        }
    }
}
