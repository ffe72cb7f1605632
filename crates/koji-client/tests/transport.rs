//! The connection against tiny real servers: recorded realhub exchanges,
//! every error path, retries, TLS, proxies, compression.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write as _;
use std::time::Duration;

use koji_client::{Connection, ConnectionBuilder, FaultKind, Struct, Value};
use support::{Action, Exchange, Proxy, Server};

const MS: Duration = Duration::from_millis(1);

fn quick(url: &str) -> ConnectionBuilder {
    Connection::builder(url)
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .retry_interval(10 * MS)
        .offline_retry_interval(10 * MS)
}

fn api_version_ok() -> Action {
    Action::Respond(Exchange::load("001-getAPIVersion").response_bytes())
}

/// A follow-up call works: the connection stays usable after an error.
async fn still_usable(koji: &Connection, server: &Server) {
    server.push([api_version_ok()]);
    let v = koji.call("getAPIVersion", ()).await.unwrap();
    assert_eq!(v, Value::Int(1));
}

#[tokio::test]
async fn sends_what_koji_sends_and_reads_a_recorded_answer() {
    let ex = Exchange::load("033-getBuild-id");
    let server = Server::start(vec![Action::Respond(ex.response_bytes())]).await;
    let koji = quick(&server.url()).build().unwrap();
    let build = koji.call("getBuild", (3,)).await.unwrap();
    assert_eq!(build.get("build_id"), Some(&Value::Int(3)));
    assert_eq!(
        build.get("nvr").and_then(Value::as_str),
        Some("hello-1.2-1.fc40")
    );

    let req = &server.received()[0];
    assert_eq!(req.request_line, "POST /kojihub HTTP/1.1");
    assert_eq!(
        req.body, ex.request_body,
        "request body differs from koji's"
    );
    assert_eq!(req.header("content-type"), Some("text/xml"));
    assert_eq!(req.header("accept-encoding"), Some("gzip, deflate"));
    let agent = req.header("user-agent").unwrap();
    assert!(
        agent.starts_with("koji-client/") && agent.ends_with("(rust)"),
        "{agent}"
    );
    assert_eq!(
        req.header("content-length"),
        Some(ex.request_body.len().to_string().as_str())
    );
    assert_eq!(koji.version_header(), Some("1.35.3"));
}

#[tokio::test]
async fn typed_calls_decode_straight_into_structs() {
    #[derive(serde::Deserialize, Debug)]
    struct Build {
        build_id: i64,
        nvr: String,
        completion_ts: Option<f64>,
        task_id: Option<i64>,
    }
    let ex = Exchange::load("033-getBuild-id");
    let server = Server::start(vec![Action::Respond(ex.response_bytes())]).await;
    let koji = quick(&server.url()).build().unwrap();
    let build: Build = koji.call_as("getBuild", (3,)).await.unwrap();
    assert_eq!(build.build_id, 3);
    assert_eq!(build.nvr, "hello-1.2-1.fc40");
    assert!(build.completion_ts.unwrap() > 1.7e9);
    assert_eq!(build.task_id, None);

    // A type that does not fit gives a decode error naming the value's path.
    server.push([Action::Respond(ex.response_bytes())]);
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Wrong {
        nvr: i64,
    }
    let err = koji.call_as::<Wrong>("getBuild", (3,)).await.unwrap_err();
    assert!(err.is_decode(), "{err}");
    let path = err.decode_error().unwrap().path().to_owned();
    assert!(path.contains("nvr"), "path {path:?}");
    assert_eq!(server.received().len(), 2, "decode errors are not retried");
}

#[tokio::test]
async fn keyword_arguments_are_sent_like_koji() {
    let ex = Exchange::load("056-listBuilds-packageID-id");
    let ex2 = Exchange::load("061-listBuilds-order-limit");
    let server = Server::start(vec![
        Action::Respond(ex.response_bytes()),
        Action::Respond(ex2.response_bytes()),
        Action::Respond(ex2.response_bytes()),
    ])
    .await;
    let koji = quick(&server.url()).build().unwrap();
    let builds = koji
        .request("listBuilds")
        .kwarg("packageID", 7)
        .await
        .unwrap();
    assert_eq!(builds.as_array().unwrap().len(), 11);

    let mut opts = Struct::new();
    opts.insert("order".into(), "-build_id".into());
    opts.insert("limit".into(), Value::Int(3));
    let builds: Vec<Value> = koji
        .request("listBuilds")
        .kwarg("packageID", 7)
        .kwarg("queryOpts", &opts)
        .typed()
        .await
        .unwrap();
    assert_eq!(builds.len(), 3);

    #[derive(serde::Serialize)]
    struct Kw<'a> {
        #[serde(rename = "packageID")]
        package_id: i64,
        #[serde(rename = "queryOpts")]
        query_opts: &'a Struct,
    }
    koji.call_with(
        "listBuilds",
        (),
        Kw {
            package_id: 7,
            query_opts: &opts,
        },
    )
    .await
    .unwrap();

    let got = server.received();
    assert_eq!(got[0].body, ex.request_body);
    assert_eq!(got[1].body, ex2.request_body);
    assert_eq!(got[2].body, ex2.request_body);
}

#[tokio::test]
async fn recorded_faults_map_to_their_kind_and_are_not_retried() {
    let cases = [
        (
            "049-getBuild-strict-missing",
            1000,
            FaultKind::GenericError,
            "No such build: 'no-such-build-1.0-1'",
        ),
        (
            "025-echo-kwargs",
            1019,
            FaultKind::ParameterError,
            "unexpected keyword argument 'foo'",
        ),
        (
            "073-listBuilds-bad-order",
            1,
            FaultKind::HubException,
            "Invalid order: no_such_field",
        ),
    ];
    for (prefix, code, kind, text) in cases {
        let ex = Exchange::load(prefix);
        let server = Server::start(vec![Action::Respond(ex.response_bytes())]).await;
        let koji = quick(&server.url()).anon_retry(true).build().unwrap();
        let err = koji
            .execute(&koji.prepare("anything", ()).unwrap())
            .await
            .unwrap_err();
        assert!(err.is_fault(), "{prefix}: {err}");
        assert_eq!(err.fault_code(), Some(code), "{prefix}");
        assert_eq!(err.fault_kind(), Some(kind), "{prefix}");
        assert!(
            err.fault_string().unwrap().contains(text),
            "{prefix}: {err}"
        );
        assert!(!err.is_retryable());
        assert_eq!(
            server.received().len(),
            1,
            "{prefix}: faults are never retried"
        );
        still_usable(&koji, &server).await;
    }
}

#[tokio::test]
async fn unknown_fault_codes_are_kept() {
    let server = Server::start(vec![Action::Respond(support::xml_response(
        &support::fault_body(4242, "something new"),
    ))])
    .await;
    let koji = quick(&server.url()).build().unwrap();
    let err = koji.call("hello", ()).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::Unknown(4242)));
    assert_eq!(err.fault_code(), Some(4242));
    assert_eq!(err.to_string(), "hello: fault 4242: something new");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let url = support::closed_port_url().await;
    let koji = quick(&url).build().unwrap();
    let err = koji.call("getAPIVersion", ()).await.unwrap_err();
    assert!(err.is_connect(), "{err}");
    assert!(!err.is_timeout() && !err.is_fault() && !err.is_tls());
    assert!(err.is_retryable());
    assert_eq!(err.attempts(), 1, "anonymous calls are not retried");
    assert_eq!(err.method(), Some("getAPIVersion"));

    let koji = quick(&url).anon_retry(true).max_retries(2).build().unwrap();
    let err = koji.call("getAPIVersion", ()).await.unwrap_err();
    assert!(err.is_connect(), "{err}");
    assert_eq!(err.attempts(), 3, "anon_retry: max_retries + 1 attempts");

    let koji = quick(&url).max_retries(1).build().unwrap();
    let err = koji
        .request("getAPIVersion")
        .logged_in(true)
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 2, "logged-in calls are retried");
}

#[tokio::test]
async fn a_reset_mid_body_is_resent_once_even_anonymous() {
    let ok = Exchange::load("033-getBuild-id").response_bytes();
    let server = Server::start(vec![
        Action::ResetMidBody {
            bytes: ok.clone(),
            keep: 400,
        },
        Action::Respond(ok.clone()),
    ])
    .await;
    let koji = quick(&server.url()).build().unwrap();
    let build = koji.call("getBuild", (3,)).await.unwrap();
    assert_eq!(build.get("build_id"), Some(&Value::Int(3)));
    let got = server.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].body, got[1].body,
        "the resend carries the same bytes"
    );

    // Twice in a row: the anonymous call gives up after the one resend.
    server.push([
        Action::ResetMidBody {
            bytes: ok.clone(),
            keep: 400,
        },
        Action::ResetMidBody {
            bytes: ok.clone(),
            keep: 400,
        },
    ]);
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert!(err.is_disconnected(), "{err}");
    assert_eq!(err.attempts(), 2);
    still_usable(&koji, &server).await;
}

#[tokio::test]
async fn a_connection_closed_without_answer_is_resent() {
    let server = Server::start(vec![Action::Close, api_version_ok()]).await;
    let koji = quick(&server.url()).build().unwrap();
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));
    assert_eq!(server.received().len(), 2);

    server.push([Action::Reset, api_version_ok()]);
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));
}

#[tokio::test]
async fn truncated_xml_is_a_decode_error() {
    let ex = Exchange::load("033-getBuild-id");
    let cut = &ex.response_body[..ex.response_body.len() / 2];
    let server = Server::start(vec![Action::Respond(support::xml_response(cut))]).await;
    let koji = quick(&server.url()).anon_retry(true).build().unwrap();
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert!(err.is_decode(), "{err}");
    assert!(err.decode_error().is_some(), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(server.received().len(), 1);
    still_usable(&koji, &server).await;
}

#[tokio::test]
async fn an_apache_502_page_is_an_http_error_with_its_text() {
    let page = b"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>502 Proxy Error</title>\n</head><body>\n<h1>Proxy Error</h1>\n<p>The proxy server received an invalid\nresponse from an upstream server.<br />\n</p>\n</body></html>\n";
    let bad_gateway = support::http_response(
        "502 Proxy Error",
        &[("Content-Type", "text/html; charset=iso-8859-1")],
        page,
    );
    let server = Server::start(vec![Action::Respond(bad_gateway.clone())]).await;
    let koji = quick(&server.url()).build().unwrap();
    let err = koji.call("getAPIVersion", ()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert!(err.body_snippet().unwrap().contains("Proxy Error"), "{err}");
    assert!(
        err.to_string().contains("received an invalid response"),
        "{err}"
    );
    assert!(err.is_retryable());
    assert_eq!(server.received().len(), 1, "anonymous: not retried");
    still_usable(&koji, &server).await;

    // With anon_retry, a proxy 5xx is retried (the first retry at once).
    let koji = quick(&server.url()).anon_retry(true).build().unwrap();
    server.push([Action::Respond(bad_gateway), api_version_ok()]);
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));
}

#[tokio::test]
async fn recorded_http_400_is_not_retried() {
    let ex = Exchange::load("024-echo-control-char");
    let server = Server::start(vec![Action::Respond(ex.response_bytes())]).await;
    let koji = quick(&server.url()).anon_retry(true).build().unwrap();
    let err = koji.call("echo", ("x",)).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert!(
        err.body_snippet().unwrap().contains("not well-formed"),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_body_that_is_not_xmlrpc_is_a_decode_error() {
    let html = support::http_response(
        "200 OK",
        &[("Content-Type", "text/html")],
        b"<html><body><h1>Welcome to the captive portal</h1></body></html>",
    );
    let server = Server::start(vec![Action::Respond(html)]).await;
    let koji = quick(&server.url()).build().unwrap();
    let err = koji.call("getAPIVersion", ()).await.unwrap_err();
    assert!(err.is_decode(), "{err}");
    assert!(
        err.body_snippet().unwrap().contains("captive portal"),
        "{err}"
    );
    assert!(err.to_string().contains("not XML-RPC"), "{err}");
    still_usable(&koji, &server).await;
}

#[tokio::test]
async fn a_slow_body_runs_into_the_timeout() {
    let ok = Exchange::load("033-getBuild-id").response_bytes();
    let server = Server::start(vec![Action::Slow {
        bytes: ok,
        pieces: 40,
        pause: 50 * MS,
    }])
    .await;
    let koji = quick(&server.url()).timeout(300 * MS).build().unwrap();
    let err = koji.call("getBuild", (3,)).await.unwrap_err();
    assert!(err.is_timeout() && !err.is_deadline(), "{err}");
    assert_eq!(err.attempts(), 1);
    still_usable(&koji, &server).await;
}

#[tokio::test]
async fn a_stalled_server_is_bounded_by_the_deadline() {
    let server = Server::start(vec![]).await;
    server.set_fallback(Action::Stall);
    let koji = quick(&server.url())
        .anon_retry(true)
        .timeout(Duration::from_secs(30))
        .deadline(300 * MS)
        .build()
        .unwrap();
    let err = koji.call("getAPIVersion", ()).await.unwrap_err();
    assert!(err.is_deadline() && err.is_timeout(), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn server_offline_is_a_fault_unless_offline_retry() {
    let offline = support::xml_response(&support::fault_body(1014, "server is offline"));
    let server = Server::start(vec![Action::Respond(offline.clone())]).await;
    let koji = quick(&server.url()).anon_retry(true).build().unwrap();
    let err = koji.call("getAPIVersion", ()).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::ServerOffline));
    assert!(err.is_retryable());
    assert_eq!(server.received().len(), 1);

    let koji = quick(&server.url()).offline_retry(true).build().unwrap();
    server.push([
        Action::Respond(offline.clone()),
        Action::Respond(offline.clone()),
        api_version_ok(),
    ]);
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));
    assert_eq!(server.received().len(), 4);
}

#[tokio::test]
async fn offline_retry_never_goes_on_forever() {
    let offline = support::xml_response(&support::fault_body(1014, "database outage"));
    let server = Server::start(vec![]).await;
    server.set_fallback(Action::Respond(offline));
    let koji = quick(&server.url())
        .offline_retry(true)
        .offline_retry_interval(50 * MS)
        .deadline(Duration::from_secs(1))
        .build()
        .unwrap();
    let err = koji.call("getAPIVersion", ()).await.unwrap_err();
    assert!(err.attempts() > 1, "{err}");
    // The deadline either left no time for another wait (the last answer is
    // returned), or expired during an attempt (a deadline error naming the
    // answer before it).
    if err.is_deadline() {
        let before = std::error::Error::source(&err).unwrap().to_string();
        assert!(before.contains("fault 1014 (ServerOffline)"), "{err}");
    } else {
        assert_eq!(err.fault_kind(), Some(FaultKind::ServerOffline), "{err}");
        assert_eq!(server.received().len() as u32, err.attempts());
    }
}

#[tokio::test]
async fn gzip_and_deflate_responses_are_decoded() {
    let ex = Exchange::load("033-getBuild-id");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&ex.response_body).unwrap();
    let gz = gz.finish().unwrap();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&ex.response_body).unwrap();
    let z = z.finish().unwrap();
    let server = Server::start(vec![
        Action::Respond(support::http_response(
            "200 OK",
            &[("Content-Type", "text/xml"), ("Content-Encoding", "gzip")],
            &gz,
        )),
        Action::Respond(support::http_response(
            "200 OK",
            &[
                ("Content-Type", "text/xml"),
                ("Content-Encoding", "deflate"),
            ],
            &z,
        )),
    ])
    .await;
    let koji = quick(&server.url()).build().unwrap();
    for _ in 0..2 {
        let build = koji.call("getBuild", (3,)).await.unwrap();
        assert_eq!(build.get("build_id"), Some(&Value::Int(3)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_calls_in_flight_on_clones() {
    let ex = Exchange::load("033-getBuild-id");
    let server = Server::start(vec![]).await;
    server.set_fallback(Action::Respond(ex.response_bytes()));
    let koji = quick(&server.url()).build().unwrap();
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let koji = koji.clone();
            tokio::spawn(async move { koji.call("getBuild", (3,)).await })
        })
        .collect();
    for t in tasks {
        let build = t.await.unwrap().unwrap();
        assert_eq!(build.get("build_id"), Some(&Value::Int(3)));
    }
    assert_eq!(server.received().len(), 64);
    // Idle connections are reused by later calls.
    let before = server.connections();
    for _ in 0..10 {
        koji.call("getBuild", (3,)).await.unwrap();
    }
    assert_eq!(
        server.connections(),
        before,
        "keep-alive connections are reused"
    );
}

#[tokio::test]
async fn hub_version_from_header_call_or_old() {
    // Header seen on an earlier answer: no extra call.
    let server = Server::start(vec![api_version_ok()]).await;
    let koji = quick(&server.url()).build().unwrap();
    koji.call("getAPIVersion", ()).await.unwrap();
    let v = koji.hub_version().await.unwrap();
    assert_eq!(v.text(), Some("1.35.3"));
    assert_eq!(server.received().len(), 1);

    // No header: getKojiVersion.
    let plain =
        |body: &[u8]| support::http_response("200 OK", &[("Content-Type", "text/xml")], body);
    let server = Server::start(vec![Action::Respond(plain(&support::string_body(
        "1.30.1",
    )))])
    .await;
    let koji = quick(&server.url()).build().unwrap();
    let v = koji.hub_version().await.unwrap();
    assert_eq!(v.parts(), Some((1, 30, 1)));
    assert!(String::from_utf8_lossy(&server.received()[0].body).contains("getKojiVersion"));
    // cached
    assert_eq!(koji.hub_version().await.unwrap(), v);
    assert_eq!(server.received().len(), 1);

    // Too old to know getKojiVersion.
    let server = Server::start(vec![Action::Respond(plain(&support::fault_body(
        1000,
        "Invalid method: getKojiVersion",
    )))])
    .await;
    let koji = quick(&server.url()).build().unwrap();
    let v = koji.hub_version().await.unwrap();
    assert!(v.is_old());
}

#[tokio::test]
async fn tls_against_serverca_only() {
    let ca = support::test_ca("koji-client test CA");
    let cert = support::server_cert(&ca);
    let server = Server::start_tls(vec![], &cert).await;
    server.set_fallback(api_version_ok());
    let (_dir, ca_path) = support::write_temp("ca.pem", &ca.cert_pem());

    for url in [server.url(), server.url_localhost()] {
        let koji = quick(&url).serverca(&ca_path).build().unwrap();
        assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));
    }

    // Another CA: a certificate error, never retried.
    let other = support::test_ca("some other CA");
    let (_dir2, other_path) = support::write_temp("other.pem", &other.cert_pem());
    let before = server.connections();
    let koji = quick(&server.url())
        .serverca(&other_path)
        .anon_retry(true)
        .build()
        .unwrap();
    let err = koji.call("getAPIVersion", ()).await.unwrap_err();
    assert!(err.is_tls() && err.is_certificate(), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.connections(), before + 1);

    // The system roots do not know the test CA either.
    let koji = quick(&server.url()).build().unwrap();
    let err = koji.call("getAPIVersion", ()).await.unwrap_err();
    assert!(err.is_certificate(), "{err}");

    // no_ssl_verify accepts it (with a warning).
    let koji = quick(&server.url()).no_ssl_verify(true).build().unwrap();
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));

    // A serverca that is not a certificate is a settings error.
    let (_dir3, junk) = support::write_temp("junk.pem", b"not a certificate");
    let err = quick(&server.url()).serverca(&junk).build().unwrap_err();
    assert!(err.is_builder(), "{err}");
}

#[tokio::test]
async fn http_and_https_through_a_proxy() {
    let proxy = Proxy::start().await;
    let server = Server::start(vec![]).await;
    server.set_fallback(api_version_ok());
    let koji = Connection::builder(server.url())
        .proxies(Some(&proxy.url()), None, None)
        .build()
        .unwrap();
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));
    let seen = proxy.seen();
    assert_eq!(seen, [format!("POST {} HTTP/1.1", server.url())]);

    let ca = support::test_ca("proxy test CA");
    let tls_server = Server::start_tls(vec![], &support::server_cert(&ca)).await;
    tls_server.set_fallback(api_version_ok());
    let (_dir, ca_path) = support::write_temp("ca.pem", &ca.cert_pem());
    let with_auth = proxy.url().replace("http://", "http://user:secret@");
    let koji = Connection::builder(tls_server.url())
        .serverca(&ca_path)
        .proxies(None, Some(&with_auth), None)
        .build()
        .unwrap();
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));
    let seen = proxy.seen();
    assert_eq!(
        seen.last().unwrap(),
        &format!(
            "CONNECT 127.0.0.1:{} HTTP/1.1 [auth]",
            tls_server.addr().port()
        )
    );

    // no_proxy exceptions bypass it.
    let before = proxy.seen().len();
    let koji = Connection::builder(server.url())
        .proxies(Some(&proxy.url()), None, Some("127.0.0.1"))
        .build()
        .unwrap();
    koji.call("getAPIVersion", ()).await.unwrap();
    assert_eq!(proxy.seen().len(), before);
}

#[tokio::test]
async fn secrets_never_reach_errors() {
    let url = support::closed_port_url().await;
    let koji = quick(&url).build().unwrap();
    let call = koji
        .prepare("getLoggedInUser", ())
        .unwrap()
        .header("Koji-Session-Key", "1-TOPSECRET")
        .unwrap()
        .query("session-id=1&session-key=TOPSECRET&callnum=0");
    let err = koji.execute(&call).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("TOPSECRET"), "{shown}");
    assert_eq!(err.url(), Some(url.as_str()));
}

#[tokio::test]
async fn session_headers_and_endpoints_reach_the_server() {
    let server = Server::start(vec![]).await;
    server.set_fallback(api_version_ok());
    let koji = quick(&server.url()).build().unwrap();
    let call = koji
        .prepare("getAPIVersion", ())
        .unwrap()
        .header("Koji-Session-Id", "12")
        .unwrap()
        .header("Koji-Session-Callnum", "3")
        .unwrap()
        .call_number(3)
        .endpoint(koji_client::Endpoint::SslLogin);
    koji.execute(&call).await.unwrap();
    let req = &server.received()[0];
    assert_eq!(req.request_line, "POST /kojihub/ssllogin HTTP/1.1");
    assert_eq!(req.header("koji-session-id"), Some("12"));
    assert_eq!(req.header("koji-session-callnum"), Some("3"));

    let call = koji
        .prepare("getAPIVersion", ())
        .unwrap()
        .query("session-id=1&callnum=2");
    koji.execute(&call).await.unwrap();
    assert_eq!(
        server.received()[1].request_line,
        "POST /kojihub?session-id=1&callnum=2 HTTP/1.1"
    );
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Task {
    id: i64,
    method: String,
}

async fn collect<T>(s: koji_client::CallStream<T>) -> Vec<koji_client::Result<T>> {
    use futures_util::StreamExt;
    s.collect().await
}

#[tokio::test]
async fn streamed_items_match_the_whole_answer() {
    let ex = Exchange::load("142-listTasks-noargs");
    let server = Server::start(vec![]).await;
    server.set_fallback(Action::Respond(ex.response_bytes()));
    let koji = quick(&server.url()).build().unwrap();
    let whole: Vec<Task> = koji.call_as("listTasks", ()).await.unwrap();
    assert_eq!(whole.len(), 31);
    let streamed: Vec<Task> = collect(koji.call_stream::<Task>("listTasks", ()))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(streamed, whole);
    assert_eq!(server.received()[1].body, ex.request_body);

    // Dribbled in small gzip pieces.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&ex.response_body).unwrap();
    let gz = support::http_response(
        "200 OK",
        &[("Content-Type", "text/xml"), ("Content-Encoding", "gzip")],
        &gz.finish().unwrap(),
    );
    server.push([Action::Slow {
        bytes: gz,
        pieces: 30,
        pause: MS,
    }]);
    let items = collect(koji.request("listTasks").stream::<Task>()).await;
    assert_eq!(items.len(), 31);
    assert_eq!(
        items.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        whole
    );
}

#[tokio::test]
async fn streams_report_faults_and_retry_offline() {
    let server = Server::start(vec![Action::Respond(support::xml_response(
        &support::fault_body(1000, "No such tag"),
    ))])
    .await;
    let koji = quick(&server.url()).offline_retry(true).build().unwrap();
    let items = collect(koji.call_stream::<Value>("listTagged", ("nope",))).await;
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].as_ref().unwrap_err().fault_kind(),
        Some(FaultKind::GenericError)
    );

    let offline = support::xml_response(&support::fault_body(1014, "server is offline"));
    let ex = Exchange::load("142-listTasks-noargs");
    server.push([
        Action::Respond(offline),
        Action::Respond(ex.response_bytes()),
    ]);
    let items = collect(koji.call_stream::<Task>("listTasks", ())).await;
    assert_eq!(items.len(), 31);
    assert!(items.iter().all(Result::is_ok));
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn a_stream_cut_after_its_first_items_ends_with_an_error() {
    let ex = Exchange::load("142-listTasks-noargs");
    let bytes = ex.response_bytes();
    let keep = bytes.len() * 2 / 3;
    let server = Server::start(vec![Action::ResetMidBody { bytes, keep }]).await;
    let koji = quick(&server.url()).anon_retry(true).build().unwrap();
    let items = collect(koji.call_stream::<Task>("listTasks", ())).await;
    let (ok, err): (Vec<_>, Vec<_>) = items.into_iter().partition(Result::is_ok);
    assert!(!ok.is_empty() && ok.len() < 31, "{} items", ok.len());
    assert_eq!(err.len(), 1);
    let err = err.into_iter().next().unwrap().unwrap_err();
    assert!(err.is_disconnected(), "{err}");
    assert_eq!(err.method(), Some("listTasks"));
    assert_eq!(
        server.received().len(),
        1,
        "not resent once items were handed out"
    );
    still_usable(&koji, &server).await;
}

#[tokio::test]
async fn streams_of_empty_arrays_and_non_xmlrpc_bodies() {
    let empty = b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
    let html = support::http_response(
        "200 OK",
        &[("Content-Type", "text/html")],
        b"<html>not a hub</html>",
    );
    let server = Server::start(vec![
        Action::Respond(support::xml_response(empty)),
        Action::Respond(html),
    ])
    .await;
    let koji = quick(&server.url()).build().unwrap();
    assert!(
        collect(koji.call_stream::<Value>("listTasks", ()))
            .await
            .is_empty()
    );
    let items = collect(koji.call_stream::<Value>("listTasks", ())).await;
    assert_eq!(items.len(), 1);
    let err = items.into_iter().next().unwrap().unwrap_err();
    assert!(err.is_decode(), "{err}");
    assert!(err.body_snippet().unwrap().contains("not a hub"), "{err}");
}

#[tokio::test]
async fn a_profile_configures_the_connection() {
    use koji_client::config::{Config, ConfigSources};
    let ca = support::test_ca("profile CA");
    let server = Server::start_tls(vec![], &support::server_cert(&ca)).await;
    server.set_fallback(api_version_ok());
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca.cert_pem()).unwrap();
    let conf = dir.path().join("koji.conf");
    std::fs::write(
        &conf,
        format!(
            "[test]\nserver = {}\nserverca = {}\ntimeout = 30\nmax_retries = 4\nretry_interval = 2\nanon_retry = false\noffline_retry = true\noffline_retry_interval = 7\ncert = {}/missing.pem\n",
            server.url(),
            ca_path.display(),
            dir.path().display()
        ),
    )
    .unwrap();
    let sources = ConfigSources::new(dir.path().join("koji.conf.d"), &conf, None);
    let profile = Config::load(&sources).unwrap().profile("test").unwrap();
    let koji = Connection::from_profile_config(&profile).unwrap();
    assert_eq!(koji.timeout(), Duration::from_secs(30));
    let policy = koji.retry_policy();
    assert_eq!(policy.get_max_retries(), 4);
    assert_eq!(policy.get_retry_interval(), Duration::from_secs(2));
    assert!(!policy.get_anon_retry() && policy.get_offline_retry());
    assert_eq!(policy.get_offline_retry_interval(), Duration::from_secs(7));
    // serverca is the only trust anchor and it works.
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));
}

#[test]
fn connections_and_errors_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Connection>();
    send_sync::<koji_client::Error>();
    send_sync::<koji_client::PreparedCall>();
    fn send<T: Send + 'static>() {}
    send::<koji_client::CallStream<Value>>();
}

#[tokio::test]
async fn a_compressed_body_cannot_exceed_the_size_limit() {
    // 8 MiB of zeros compress to a few KiB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&vec![b' '; 8 << 20]).unwrap();
    let bomb = support::http_response(
        "200 OK",
        &[("Content-Type", "text/xml"), ("Content-Encoding", "gzip")],
        &gz.finish().unwrap(),
    );
    let server = Server::start(vec![Action::Respond(bomb)]).await;
    let koji = quick(&server.url())
        .max_response_size(1 << 20)
        .build()
        .unwrap();
    let err = koji.call("getAPIVersion", ()).await.unwrap_err();
    assert!(err.is_too_large(), "{err}");
    assert!(!err.is_retryable());
    still_usable(&koji, &server).await;
}

/// Proxies come from the environment by default. The environment cannot be
/// changed safely inside a running test, so the test runs itself again as a
/// child process with `http_proxy` set, against a proxy and a server living
/// in this (the parent) process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_from_the_environment() {
    const CHILD: &str = "KOJI_CLIENT_TEST_PROXY_CHILD_URL";
    if let Ok(url) = std::env::var(CHILD) {
        let koji = Connection::new(url).unwrap();
        assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));
        return;
    }
    let proxy = Proxy::start().await;
    let server = Server::start(vec![]).await;
    server.set_fallback(api_version_ok());
    let mut cmd = tokio::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "proxy_from_the_environment",
        "--test-threads",
        "1",
    ])
    .env(CHILD, server.url())
    .env("http_proxy", proxy.url());
    for var in [
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().await.unwrap();
    assert!(
        out.status.success(),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(proxy.seen(), [format!("POST {} HTTP/1.1", server.url())]);
}

#[tokio::test]
async fn chunked_and_close_delimited_bodies() {
    let ex = Exchange::load("033-getBuild-id");
    // Chunked and gzip-compressed, as Apache's mod_deflate sends it.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&ex.response_body).unwrap();
    let gz = gz.finish().unwrap();
    let mut chunked = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in gz.chunks(100) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    // No length at all: the body ends when the server closes.
    let mut until_close =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n".to_vec();
    until_close.extend_from_slice(&ex.response_body);
    let server = Server::start(vec![
        Action::Respond(chunked),
        Action::RespondAndClose(until_close),
    ])
    .await;
    let koji = quick(&server.url()).build().unwrap();
    for _ in 0..2 {
        let build = koji.call("getBuild", (3,)).await.unwrap();
        assert_eq!(build.get("build_id"), Some(&Value::Int(3)));
    }
    still_usable(&koji, &server).await;
}

#[tokio::test]
async fn the_client_certificate_is_presented_when_asked() {
    let ca = support::test_ca("hub CA");
    let users = support::test_ca("user CA");
    let server = Server::start_tls_client_auth(vec![], &support::server_cert(&ca), &users).await;
    server.set_fallback(api_version_ok());
    let (_d1, ca_path) = support::write_temp("ca.pem", &ca.cert_pem());
    let (_d2, cert_path) = support::write_temp("alice.pem", &support::client_pem(&users, "alice"));
    let koji = quick(&server.url())
        .serverca(&ca_path)
        .cert(&cert_path)
        .build()
        .unwrap();
    assert_eq!(koji.call("getAPIVersion", ()).await.unwrap(), Value::Int(1));

    // Without one the server refuses with a TLS alert and no HTTP answer.
    // With TLS 1.3 the client has finished its handshake by then, so this
    // shows as the connection dropping while the request is sent (as the
    // realhub notes for :8444 without a certificate).
    let koji = quick(&server.url()).serverca(&ca_path).build().unwrap();
    let err = koji.call("getAPIVersion", ()).await.unwrap_err();
    assert!(err.is_disconnected() || err.is_tls(), "{err}");
    assert!(err.status().is_none() && !err.is_fault(), "{err}");

    // A cert file without its key is a settings error naming the file, and
    // no key material shows.
    let (_d3, only_cert) = support::write_temp("only-cert.pem", &ca.cert_pem());
    let err = quick(&server.url()).cert(&only_cert).build().unwrap_err();
    assert!(err.is_builder(), "{err}");
    assert!(err.to_string().contains("only-cert.pem"), "{err}");
    assert!(err.to_string().contains("private key"), "{err}");
}
