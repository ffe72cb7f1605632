//! Session rules through the builder options and the inspection API.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use koji_testhub::{LOGIN_AS_HEADER, TestHub};
use koji_xmlrpc::{Fault, Value};
use support::{rpc, rpc_at};

struct Sess {
    id: i64,
    key: String,
}

impl Sess {
    fn from(sinfo: &Value) -> Sess {
        assert_eq!(sinfo.get("header-auth"), Some(&Value::Bool(true)));
        Sess {
            id: sinfo.get("session-id").and_then(Value::as_i64).unwrap(),
            key: sinfo
                .get("session-key")
                .and_then(Value::as_str)
                .unwrap()
                .to_owned(),
        }
    }

    async fn call(
        &self,
        addr: SocketAddr,
        callnum: Option<i64>,
        method: &str,
        args: Vec<Value>,
        kw: &[(&str, Value)],
    ) -> Result<Value, Fault> {
        let id = self.id.to_string();
        let n = callnum.map(|n| n.to_string());
        let mut h = vec![
            ("Koji-Session-Id", id.as_str()),
            ("Koji-Session-Key", self.key.as_str()),
        ];
        if let Some(n) = &n {
            h.push(("Koji-Session-Callnum", n.as_str()));
        }
        rpc_at(addr, "/kojihub", &h, method, args, kw).await
    }
}

async fn ssl_login(addr: SocketAddr, headers: &[(&str, &str)]) -> Result<Value, Fault> {
    rpc_at(
        addr,
        "/kojihub/ssllogin",
        headers,
        "sslLogin",
        vec![],
        &[("proxyuser", Value::Nil)],
    )
    .await
}

fn name_of(user: &Value) -> &str {
    user.get("name").and_then(Value::as_str).unwrap()
}

#[tokio::test]
async fn ssl_login_needs_the_ssllogin_path_and_a_trusted_identity() {
    let hub = TestHub::builder()
        .trust_login_as("alice")
        .start()
        .await
        .unwrap();
    let a = hub.addr();
    let e = rpc(a, "sslLogin", vec![], &[("proxyuser", Value::Nil)])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string.as_str()),
        (1002, "could not verify client: None")
    );
    let s = Sess::from(&ssl_login(a, &[]).await.unwrap());
    let me = s
        .call(a, Some(0), "getLoggedInUser", vec![], &[])
        .await
        .unwrap();
    assert_eq!(name_of(&me), "alice");
    assert_eq!(me.get("authtype"), Some(&Value::Int(2)));
    // with the live session: already logged in
    let id = s.id.to_string();
    let e = ssl_login(a, &[("Koji-Session-Id", &id), ("Koji-Session-Key", &s.key)])
        .await
        .unwrap_err();
    assert_eq!(e.string, "Already logged in");
    hub.shutdown().await;

    let hub = TestHub::builder().start().await.unwrap();
    let e = ssl_login(hub.addr(), &[(LOGIN_AS_HEADER, "alice")])
        .await
        .unwrap_err();
    assert_eq!(
        e.string, "could not verify client: None",
        "the test header is off by default"
    );
    hub.shutdown().await;
}

#[tokio::test]
async fn identities_from_headers_and_proxies() {
    let hub = TestHub::builder()
        .login_header(true)
        .trusted_cert_header("X-Client-DN")
        .trusted_remote_user_header("X-Remote-User")
        .proxy_dn("CN=kojiweb,O=Test")
        .start()
        .await
        .unwrap();
    let a = hub.addr();
    let who = |sinfo: Value| async move {
        let s = Sess::from(&sinfo);
        s.call(a, None, "getLoggedInUser", vec![], &[])
            .await
            .unwrap()
    };
    let u = who(ssl_login(a, &[(LOGIN_AS_HEADER, "bob")]).await.unwrap()).await;
    assert_eq!(name_of(&u), "bob");
    let u = who(ssl_login(a, &[("X-Client-DN", "CN=carol,OU=users,O=Test")])
        .await
        .unwrap())
    .await;
    assert_eq!(name_of(&u), "carol");
    let u = who(
        ssl_login(a, &[("X-Remote-User", "compile/builder1@KOJI.TEST")])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (name_of(&u), u.get("authtype")),
        ("builder1", Some(&Value::Int(3)))
    );
    let proxied = rpc_at(
        a,
        "/kojihub/ssllogin",
        &[("X-Client-DN", "CN=kojiweb,O=Test")],
        "sslLogin",
        vec![],
        &[("proxyuser", Value::from("alice"))],
    )
    .await
    .unwrap();
    assert_eq!(name_of(&who(proxied).await), "alice");
    let e = rpc_at(
        a,
        "/kojihub/ssllogin",
        &[("X-Client-DN", "CN=bob,O=Test")],
        "sslLogin",
        vec![],
        &[("proxyuser", Value::from("alice"))],
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.string,
        "CN=bob,O=Test is not authorized to login other users"
    );
    // unknown users are created (LoginCreatesUser)
    let u = who(ssl_login(a, &[(LOGIN_AS_HEADER, "newcomer")])
        .await
        .unwrap())
    .await;
    assert_eq!(u.get("id"), Some(&Value::Int(11)));
    hub.shutdown().await;
}

#[tokio::test]
async fn password_logins() {
    let hub = TestHub::builder()
        .password("carol", "s3cret")
        .start()
        .await
        .unwrap();
    let a = hub.addr();
    let ok = rpc(
        a,
        "login",
        vec!["carol".into(), "s3cret".into()],
        &[("opts", Value::Nil)],
    )
    .await
    .unwrap();
    let s = Sess::from(&ok);
    let me = s
        .call(a, Some(0), "getLoggedInUser", vec![], &[])
        .await
        .unwrap();
    assert_eq!(me.get("authtype"), Some(&Value::Int(0)));
    for (u, p) in [("carol", "nope"), ("alice", "x")] {
        let e = rpc(a, "login", vec![u.into(), p.into()], &[])
            .await
            .unwrap_err();
        assert_eq!(
            (e.code, e.string.as_str()),
            (1002, "invalid username or password")
        );
    }
    let e = rpc(a, "login", vec!["carol".into()], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string.as_str()),
        (
            1,
            "<class 'TypeError'>: Session.login() missing 1 required positional argument: 'password'"
        )
    );
    hub.shutdown().await;
}

#[tokio::test]
async fn call_numbers_are_stored_only_by_committing_calls() {
    let hub = TestHub::builder()
        .trust_login_as("alice")
        .start()
        .await
        .unwrap();
    let a = hub.addr();
    let s = Sess::from(&ssl_login(a, &[]).await.unwrap());
    s.call(a, Some(0), "getLoggedInUser", vec![], &[])
        .await
        .unwrap();
    assert_eq!(
        hub.session_callnum(s.id),
        None,
        "a read does not store its callnum"
    );
    let tag = s
        .call(a, Some(1), "createTag", vec!["scratch-tag".into()], &[])
        .await
        .unwrap();
    assert_eq!(tag, Value::Int(11));
    assert_eq!(hub.session_callnum(s.id), Some(1));
    let e = s
        .call(a, Some(1), "getLoggedInUser", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string),
        (
            1009,
            format!(
                "unable to retry call 1 (method getLoggedInUser) for session {}",
                s.id
            )
        )
    );
    let e = s
        .call(a, Some(0), "getLoggedInUser", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string),
        (1008, format!("1 > 0 (session {})", s.id))
    );
    s.call(a, Some(7), "getLoggedInUser", vec![], &[])
        .await
        .unwrap();
    s.call(a, Some(3), "getLoggedInUser", vec![], &[])
        .await
        .unwrap();
    s.call(a, None, "getLoggedInUser", vec![], &[])
        .await
        .unwrap();
    // an edit that changes nothing does not commit either
    s.call(
        a,
        Some(4),
        "editTag2",
        vec!["scratch-tag".into()],
        &[("locked", false.into())],
    )
    .await
    .unwrap();
    assert_eq!(hub.session_callnum(s.id), Some(1));
    s.call(
        a,
        Some(5),
        "editTag2",
        vec!["scratch-tag".into()],
        &[("locked", true.into())],
    )
    .await
    .unwrap();
    assert_eq!(hub.session_callnum(s.id), Some(5));
    let calls = hub.session_calls(s.id);
    let seen: Vec<(&str, Option<i64>, Option<i64>)> = calls
        .iter()
        .map(|c| (c.method.as_str(), c.callnum, c.fault_code))
        .collect();
    assert_eq!(
        seen,
        [
            ("getLoggedInUser", Some(0), None),
            ("createTag", Some(1), None),
            ("getLoggedInUser", Some(1), Some(1009)),
            ("getLoggedInUser", Some(0), Some(1008)),
            ("getLoggedInUser", Some(7), None),
            ("getLoggedInUser", Some(3), None),
            ("getLoggedInUser", None, None),
            ("editTag2", Some(4), None),
            ("editTag2", Some(5), None),
        ]
    );
    hub.shutdown().await;
}

#[tokio::test]
async fn callnum_header_precedence_and_query_string_sessions() {
    let hub = TestHub::builder()
        .trust_login_as("alice")
        .start()
        .await
        .unwrap();
    let a = hub.addr();
    let s = Sess::from(&ssl_login(a, &[]).await.unwrap());
    s.call(a, Some(2), "createTag", vec!["t1".into()], &[])
        .await
        .unwrap();
    let id = s.id.to_string();
    let both = |sess: &str, legacy: &str| {
        vec![
            ("Koji-Session-Id", id.clone()),
            ("Koji-Session-Key", s.key.clone()),
            ("Koji-Session-Callnum", sess.to_owned()),
            ("Koji-Callnum", legacy.to_owned()),
        ]
    };
    let h = both("1", "9");
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let e = rpc_at(a, "/kojihub", &h, "getLoggedInUser", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(e.code, 1008, "Koji-Session-Callnum wins");
    let path = format!(
        "/kojihub?session-id={}&session-key={}&callnum=3",
        s.id, s.key
    );
    let me = rpc_at(a, &path, &[], "getLoggedInUser", vec![], &[])
        .await
        .unwrap();
    assert_eq!(name_of(&me), "alice");
    let path = format!(
        "/kojihub?session-id={}&session-key={}&callnum=1",
        s.id, s.key
    );
    let e = rpc_at(a, &path, &[], "getLoggedInUser", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(e.code, 1008);
    hub.shutdown().await;

    let hub = TestHub::builder()
        .trust_login_as("alice")
        .url_sessions(false)
        .start()
        .await
        .unwrap();
    let s = Sess::from(&ssl_login(hub.addr(), &[]).await.unwrap());
    let path = format!("/kojihub?session-id={}&session-key={}", s.id, s.key);
    let me = rpc_at(hub.addr(), &path, &[], "getLoggedInUser", vec![], &[])
        .await
        .unwrap();
    assert_eq!(
        me,
        Value::Nil,
        "query strings are ignored with URL sessions off"
    );
    hub.shutdown().await;
}

#[tokio::test]
async fn expiry_and_renewal() {
    let hub = TestHub::builder()
        .trust_login_as("alice")
        .session_lifetime(Duration::from_millis(1))
        .start()
        .await
        .unwrap();
    let a = hub.addr();
    let s = Sess::from(&ssl_login(a, &[]).await.unwrap());
    tokio::time::sleep(Duration::from_millis(30)).await;
    let e = s
        .call(a, Some(0), "getLoggedInUser", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string),
        (1007, format!("session \"{}\" has expired", s.id))
    );
    let id = s.id.to_string();
    let renewed = rpc_at(
        a,
        "/kojihub/ssllogin",
        &[
            ("Koji-Session-Id", &id),
            ("Koji-Session-Key", &s.key),
            ("Koji-Session-Callnum", "1"),
        ],
        "sslLogin",
        vec![],
        &[
            ("proxyuser", Value::Nil),
            ("renew", true.into()),
            ("exclusive", false.into()),
        ],
    )
    .await
    .unwrap();
    let r = Sess::from(&renewed);
    assert_eq!(r.id, s.id, "renewal keeps the session id");
    assert_ne!(r.key, s.key);
    let e = s
        .call(a, None, "getLoggedInUser", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string.as_str()),
        (1002, "Invalid session or bad credentials")
    );
    // the renewed session expires again after its lifetime
    tokio::time::sleep(Duration::from_millis(30)).await;
    let e = r
        .call(a, None, "getLoggedInUser", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(e.code, 1007);
    hub.shutdown().await;

    let hub = TestHub::builder()
        .trust_login_as("alice")
        .start()
        .await
        .unwrap();
    let a = hub.addr();
    let s = Sess::from(&ssl_login(a, &[]).await.unwrap());
    assert!(hub.expire_session(s.id));
    let e = s
        .call(a, None, "getSessionInfo", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(e.code, 1007);
    let id = s.id.to_string();
    let renewed = rpc_at(
        a,
        "/kojihub/ssllogin",
        &[("Koji-Session-Id", &id), ("Koji-Session-Key", &s.key)],
        "sslLogin",
        vec![],
        &[("renew", true.into())],
    )
    .await
    .unwrap();
    let info = Sess::from(&renewed)
        .call(a, None, "getSessionInfo", vec![], &[])
        .await
        .unwrap();
    assert!(info.get("renew_time").is_some_and(|v| !v.is_nil()));
    hub.shutdown().await;
}

#[tokio::test]
async fn logout_subsessions_and_exclusive_sessions() {
    let hub = TestHub::builder()
        .trust_login_as("alice")
        .start()
        .await
        .unwrap();
    let a = hub.addr();
    let master = Sess::from(&ssl_login(a, &[]).await.unwrap());
    master
        .call(a, Some(3), "createTag", vec!["t".into()], &[])
        .await
        .unwrap();
    let sub = Sess::from(
        &master
            .call(a, Some(4), "subsession", vec![], &[])
            .await
            .unwrap(),
    );
    // its own counter
    sub.call(a, Some(0), "getLoggedInUser", vec![], &[])
        .await
        .unwrap();
    let info = sub
        .call(a, Some(1), "getSessionInfo", vec![], &[])
        .await
        .unwrap();
    assert_eq!(info.get("master"), Some(&Value::Int(master.id)));
    let e = sub
        .call(a, Some(2), "exclusiveSession", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string.as_str()),
        (1000, "subsessions cannot become exclusive")
    );

    master
        .call(a, Some(5), "exclusiveSession", vec![], &[])
        .await
        .unwrap();
    let e = master
        .call(a, Some(6), "exclusiveSession", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(e.string, "session is already exclusive");
    let other = Sess::from(&ssl_login(a, &[]).await.unwrap());
    let e = other
        .call(a, Some(0), "getLoggedInUser", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string.as_str()),
        (1006, "User locked by another session")
    );
    let e = other
        .call(a, Some(1), "exclusiveSession", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string.as_str()),
        (1006, "Cannot get exclusive session")
    );
    // the subsession of the exclusive master is not locked out
    sub.call(a, Some(3), "getLoggedInUser", vec![], &[])
        .await
        .unwrap();
    other
        .call(
            a,
            Some(2),
            "exclusiveSession",
            vec![],
            &[("force", true.into())],
        )
        .await
        .unwrap();
    let e = master
        .call(a, Some(7), "getLoggedInUser", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(e.code, 1002, "forcing closed the old exclusive session");
    other
        .call(a, Some(3), "sharedSession", vec![], &[])
        .await
        .unwrap();
    other.call(a, Some(4), "logout", vec![], &[]).await.unwrap();
    let e = other
        .call(a, Some(5), "getLoggedInUser", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(e.code, 1002);
    hub.shutdown().await;
}

#[tokio::test]
async fn blocked_users_and_multicall_retries() {
    let hub = TestHub::builder()
        .trust_login_as("alice")
        .start()
        .await
        .unwrap();
    let a = hub.addr();
    let s = Sess::from(&ssl_login(a, &[]).await.unwrap());
    let calls = Value::Array(vec![Value::Struct(
        [
            ("methodName".to_owned(), Value::from("createTag")),
            ("params".to_owned(), Value::Array(vec!["mc-tag".into()])),
        ]
        .into_iter()
        .collect(),
    )]);
    let out = s
        .call(a, Some(1), "system.multicall", vec![calls.clone()], &[])
        .await
        .unwrap();
    assert_eq!(out, Value::Array(vec![Value::Array(vec![Value::Int(11)])]));
    let e = s
        .call(a, Some(1), "system.multicall", vec![calls], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string),
        (
            1009,
            format!(
                "unable to retry call 1 (method system.multicall) for session {}",
                s.id
            )
        )
    );
    assert!(hub.set_user_blocked("alice", true));
    let e = s
        .call(a, None, "getLoggedInUser", vec![], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.string.as_str()),
        (1002, "logins by alice are not allowed")
    );
    let e = ssl_login(a, &[]).await.unwrap_err();
    assert_eq!(e.string, "logins by alice are not allowed");
    hub.shutdown().await;
}
