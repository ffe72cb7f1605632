//! The HTTP side: hyper 1 HTTP/1.1 with keep-alive, the hub's replies for
//! non-POST methods, empty, malformed and too long bodies, the
//! `Koji-Version` header, and the fault-injection actions.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::{Frame, Incoming, SizeHint};
use koji_xmlrpc::ErrorKind;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::dispatch::{self, ReqInfo};
use crate::fault::Exc;
use crate::hub::Hub;
use crate::inject::Action;
use crate::record::{RequestRecord, redact_query};
use crate::wire;

/// The hub version every response announces.
pub(crate) const KOJI_VERSION: &str = "1.35.3";

const METHOD_NOT_ALLOWED: &str =
    "Method Not Allowed\nThis is an XML-RPC server. Only POST requests are accepted.\n";

const BAD_GATEWAY_PAGE: &str = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n\
<html><head>\n<title>502 Proxy Error</title>\n</head><body>\n<h1>Proxy Error</h1>\n\
<p>The proxy server received an invalid\r\nresponse from an upstream server.<br />\r\n\
The proxy server could not handle the request<p>Reason: <strong>Error reading from remote \
server</strong></p></p>\n</body></html>\n";

/// A response body: all at once, or cut off with an error (which makes hyper
/// drop the connection).
pub(crate) struct Body {
    chunks: std::collections::VecDeque<Bytes>,
    fail: bool,
    len: u64,
    /// Before failing, wait so that hyper flushes what was sent.
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Body {
    fn full(b: impl Into<Bytes>) -> Self {
        Body::parts(vec![b.into()])
    }

    /// A body sent as these parts (no copying into one buffer).
    fn parts(parts: Vec<Bytes>) -> Self {
        Body {
            len: parts.iter().map(|p| p.len() as u64).sum(),
            chunks: parts.into_iter().filter(|p| !p.is_empty()).collect(),
            fail: false,
            pause: None,
        }
    }

    /// All parts in one buffer.
    fn concat(self) -> Bytes {
        let mut v = Vec::with_capacity(self.len as usize);
        for c in self.chunks {
            v.extend_from_slice(&c);
        }
        Bytes::from(v)
    }

    fn cut(b: Bytes, full_len: u64) -> Self {
        let mut body = Body::parts(vec![b]);
        body.len = full_len;
        body.fail = true;
        body
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(c) = self.chunks.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(c))));
        }
        if self.fail {
            let pause = self
                .pause
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(50))));
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.fail = false;
            return Poll::Ready(Some(Err(std::io::Error::other(
                "koji-testhub: connection dropped mid-body (injected)",
            ))));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty() && !self.fail
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}

/// Why a request gets no response at all.
#[derive(Debug)]
pub(crate) struct Dropped(&'static str);

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Dropped {}

fn reply(status: StatusCode, content_type: &str, body: Vec<u8>, close: bool) -> Response<Body> {
    reply_parts(status, content_type, Body::full(body), close)
}

fn reply_parts(status: StatusCode, content_type: &str, body: Body, close: bool) -> Response<Body> {
    let len = body.len;
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        HeaderName::from_static("koji-version"),
        HeaderValue::from_static(KOJI_VERSION),
    );
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    if close {
        h.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(CONTENT_TYPE, v);
    }
    r
}

fn without_hub_header(mut r: Response<Body>) -> Response<Body> {
    r.headers_mut().remove("koji-version");
    r
}

fn xml(body: Vec<u8>) -> Response<Body> {
    reply(StatusCode::OK, "text/xml", body, false)
}

fn bad_request(msg: &str) -> Response<Body> {
    reply(
        StatusCode::BAD_REQUEST,
        "text/plain; charset=UTF-8",
        format!("Invalid request: {msg}\n").into_bytes(),
        true,
    )
}

/// Line (1-based) and column (0-based) of a byte offset, as expat reports them.
fn line_col(body: &[u8], offset: usize) -> (usize, usize) {
    let upto = body.get(..offset.min(body.len())).unwrap_or(body);
    let line = upto.iter().filter(|b| **b == b'\n').count() + 1;
    let col = match upto.iter().rposition(|b| *b == b'\n') {
        Some(nl) => upto.len() - nl - 1,
        None => upto.len(),
    };
    (line, col)
}

/// The message Python's expat-based parser gives for a bad body (as far as
/// the error kind allows), prefixed by the hub with `Invalid request: `.
fn parse_error_message(body: &[u8], e: &koji_xmlrpc::Error) -> String {
    let first = body.iter().position(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|i| body.get(i) != Some(&b'<')) {
        let (l, c) = line_col(body, first.unwrap_or(0));
        return format!("syntax error: line {l}, column {c}");
    }
    // a character XML forbids, raw in the document
    let bad = body
        .iter()
        .position(|b| *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'));
    if let Some(i) = bad {
        let (l, c) = line_col(body, i);
        return format!("not well-formed (invalid token): line {l}, column {c}");
    }
    match e.kind() {
        ErrorKind::Truncated => {
            let (l, c) = line_col(body, body.len());
            format!("no element found: line {l}, column {c}")
        }
        ErrorKind::Structure | ErrorKind::UnknownType => "ResponseError()".to_owned(),
        ErrorKind::InvalidValue if e.message().contains("boolean") => {
            "bad boolean value".to_owned()
        }
        ErrorKind::Syntax | ErrorKind::InvalidChar => {
            let (l, c) = line_col(body, e.offset().unwrap_or(0));
            format!("not well-formed (invalid token): line {l}, column {c}")
        }
        _ => e.to_string(),
    }
}

/// Serves connections until `shutdown` flips to true.
pub(crate) async fn serve(
    listener: TcpListener,
    hub: Arc<Hub>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, remote)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let hub = hub.clone();
                let stop = shutdown.clone();
                let svc = hyper::service::service_fn(move |req| {
                    let hub = hub.clone();
                    let stop = stop.clone();
                    async move { handle(hub, req, remote, stop).await }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection from {remote} ended: {e}");
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    // let answers in flight finish; stalled requests end with the shutdown signal
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}

async fn handle(
    hub: Arc<Hub>,
    req: Request<Incoming>,
    remote: SocketAddr,
    mut stop: watch::Receiver<bool>,
) -> Result<Response<Body>, Dropped> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let mut record = RequestRecord {
        http_method: parts.method.as_str().to_owned(),
        path: path.clone(),
        query: query.as_deref().map(redact_query),
        headers: if hub.log.enabled() {
            parts
                .headers
                .iter()
                .map(|(k, v)| {
                    let name = k.as_str().to_owned();
                    let value = if name == "koji-session-key" || name == "authorization" {
                        "XXXXX".to_owned()
                    } else {
                        String::from_utf8_lossy(v.as_bytes()).into_owned()
                    };
                    (name, value)
                })
                .collect()
        } else {
            Vec::new()
        },
        body_len: 0,
        method: None,
        session_id: None,
        callnum: None,
        status: 0,
        fault_code: None,
    };

    // the body, within MaxRequestLength
    let mut too_long = false;
    let bytes = if parts.method == http::Method::POST {
        match Limited::new(body, hub.cfg.max_request_length)
            .collect()
            .await
        {
            Ok(c) => c.to_bytes(),
            Err(e) => {
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    too_long = true;
                    Bytes::new()
                } else {
                    hub.log.count(0);
                    hub.log.push(record);
                    return Err(Dropped("the client went away while sending"));
                }
            }
        }
    } else {
        Bytes::new()
    };
    record.body_len = if too_long {
        // not read to the end: the announced size, else "over the limit"
        parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(hub.cfg.max_request_length + 1)
    } else {
        bytes.len()
    };
    hub.log.count(record.body_len);

    // decode first: method rules need the method
    let call = if parts.method == http::Method::POST && !too_long && !bytes.is_empty() {
        Some(koji_xmlrpc::decode_call(&bytes))
    } else {
        None
    };
    record.method = match &call {
        Some(Ok(c)) => Some(c.method.clone()),
        _ => None,
    };

    let decision = hub.rules.decide(&path, record.method.as_deref());
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let injected = match decision.action {
        Some(Action::DropBeforeResponse) => {
            hub.log.push(record);
            return Err(Dropped("injected: connection dropped before the response"));
        }
        Some(Action::Stall) => {
            // wait for shutdown (or a change of heart: never)
            while !*stop.borrow() {
                if stop.changed().await.is_err() {
                    break;
                }
            }
            hub.log.push(record);
            return Err(Dropped("injected stall ended by shutdown"));
        }
        // a proxy's answers: no Koji-Version header
        Some(Action::BadGateway) => Some(without_hub_header(reply(
            StatusCode::BAD_GATEWAY,
            "text/html; charset=iso-8859-1",
            BAD_GATEWAY_PAGE.as_bytes().to_vec(),
            false,
        ))),
        Some(Action::Status {
            status,
            content_type,
            body,
        }) => Some(without_hub_header(reply(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &content_type,
            body.into_bytes(),
            false,
        ))),
        Some(Action::ServerOffline(msg)) => {
            record.fault_code = Some(1014);
            Some(xml(wire::fault_response(
                1014,
                msg.as_deref().unwrap_or("server is offline"),
            )))
        }
        Some(Action::Fault { code, string }) => {
            record.fault_code = Some(code);
            Some(xml(wire::fault_response(code, &string)))
        }
        other => {
            // answered normally, maybe broken afterwards
            let mut resp = answer(
                &hub,
                &parts,
                &path,
                query.as_deref(),
                remote,
                &bytes,
                too_long,
                call,
                &mut record,
            );
            match other {
                Some(Action::TruncateBody) => {
                    resp = cut_body(resp, false);
                }
                Some(Action::DropMidBody) => {
                    resp = cut_body(resp, true);
                }
                _ => {}
            }
            record.status = resp.status().as_u16();
            hub.log.push(record);
            return Ok(resp);
        }
    };
    let resp = injected.unwrap_or_else(|| {
        reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            Vec::new(),
            true,
        )
    });
    record.status = resp.status().as_u16();
    hub.log.push(record);
    Ok(resp)
}

/// Halves a response body: either with a matching `Content-Length`
/// (truncated document) or keeping the full one and failing (dropped).
fn cut_body(resp: Response<Body>, drop_conn: bool) -> Response<Body> {
    let (mut parts, body) = resp.into_parts();
    let full = body.concat();
    let half = full.slice(..full.len() / 2);
    if drop_conn {
        Response::from_parts(parts, Body::cut(half, full.len() as u64))
    } else {
        parts
            .headers
            .insert(CONTENT_LENGTH, HeaderValue::from(half.len()));
        Response::from_parts(parts, Body::full(half))
    }
}

#[allow(clippy::too_many_arguments)]
fn answer(
    hub: &Hub,
    parts: &http::request::Parts,
    path: &str,
    query: Option<&str>,
    remote: SocketAddr,
    bytes: &Bytes,
    too_long: bool,
    call: Option<Result<koji_xmlrpc::MethodCall, koji_xmlrpc::Error>>,
    record: &mut RequestRecord,
) -> Response<Body> {
    if parts.method != http::Method::POST {
        let mut r = reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=UTF-8",
            METHOD_NOT_ALLOWED.as_bytes().to_vec(),
            false,
        );
        r.headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let info = ReqInfo {
        path,
        query,
        headers: &parts.headers,
        remote_ip: remote.ip().to_string(),
    };
    let is_upload = parts
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/octet-stream");
    // Uploads come first: MaxRequestLength is only for XML-RPC bodies, and
    // an empty file is an empty body.
    if is_upload {
        return upload(hub, &info, bytes, record);
    }
    if too_long {
        return bad_request("Request too long");
    }
    if bytes.is_empty() {
        return bad_request("Empty request");
    }
    let call = match call {
        Some(Ok(c)) => c,
        Some(Err(e)) if e.kind() == ErrorKind::IntegerOverflow => {
            // the hub's parser takes big ints; marshalling them back fails
            record.fault_code = Some(1);
            return xml(wire::fault_response(
                1,
                "<class 'OverflowError'>: long int exceeds XML-RPC limits",
            ));
        }
        Some(Err(e)) => return bad_request(&parse_error_message(bytes, &e)),
        None => return bad_request("Empty request"),
    };
    let handled = dispatch::handle(hub, &info, call.method, call.params);
    record.session_id = handled.session_id;
    record.callnum = handled.callnum;
    match handled.out {
        Ok(out) => reply_parts(
            StatusCode::OK,
            "text/xml",
            Body::parts(wire::response_parts(out)),
            false,
        ),
        Err(e) => {
            record.fault_code = Some(e.code());
            xml(wire::fault_response(e.code(), &e.fault_string()))
        }
    }
}

/// `handle_upload`: the session check (the chunk uses a call number like
/// any call), then the write into the `work/` tree.
fn upload(
    hub: &Hub,
    info: &ReqInfo<'_>,
    body: &Bytes,
    record: &mut RequestRecord,
) -> Response<Body> {
    let checked = dispatch::session_for(hub, info, "rawUpload");
    record.session_id = checked.session_id;
    record.callnum = checked.callnum;
    let result = match checked.state {
        Err(e) => Err(e),
        Ok(s) if !s.logged_in => Err(Exc::not_allowed("you must be logged-in to upload a file")),
        Ok(s) => {
            let out = crate::uploads::handle_upload(
                &hub.uploads,
                s.user_id.unwrap_or_default(),
                info.query,
                body,
            );
            if out.is_ok() {
                dispatch::commit_callnum(hub, &s);
            }
            out
        }
    };
    match result {
        Ok(v) => xml(wire::response(&crate::wire::Out::Value(v))),
        Err(e) => {
            record.fault_code = Some(e.code());
            xml(wire::fault_response(e.code(), &e.fault_string()))
        }
    }
}
