//! Test helpers: a raw HTTP/1.1 client (so tests see exactly what the hub
//! sends, including broken bodies and dropped connections) and the fixtures.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A parsed HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How reading a response ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A complete response.
    Complete(Resp),
    /// The connection closed before any response byte.
    Closed,
    /// Headers arrived but the body stopped short of Content-Length.
    ShortBody { resp: Resp, expected: usize },
    /// Nothing within the timeout.
    TimedOut,
}

/// Sends raw bytes on a fresh connection and reads one response.
pub(crate) async fn exchange(addr: SocketAddr, request: &[u8], timeout: Duration) -> Outcome {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let head = request.starts_with(b"HEAD ");
    read_response_to(&mut s, timeout, head).await
}

/// Reads one response from a connection.
pub(crate) async fn read_response(s: &mut TcpStream, timeout: Duration) -> Outcome {
    read_response_to(s, timeout, false).await
}

/// Reads one response (without a body for a HEAD request).
pub(crate) async fn read_response_to(
    s: &mut TcpStream,
    timeout: Duration,
    head_request: bool,
) -> Outcome {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 65536];
    let deadline = tokio::time::Instant::now() + timeout;
    // head
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Err(_) => return Outcome::TimedOut,
            Ok(Ok(0)) | Ok(Err(_)) => return Outcome::Closed,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut resp = Resp {
        status,
        headers,
        body: buf[head_end..].to_vec(),
    };
    let len: usize = if head_request {
        0
    } else {
        resp.header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    while resp.body.len() < len {
        match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Err(_) => return Outcome::TimedOut,
            Ok(Ok(0)) | Ok(Err(_)) => {
                return Outcome::ShortBody {
                    resp,
                    expected: len,
                };
            }
            Ok(Ok(n)) => resp.body.extend_from_slice(&chunk[..n]),
        }
    }
    resp.body.truncate(len);
    Outcome::Complete(resp)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A POST of an XML-RPC body with optional extra headers.
pub(crate) fn post(path: &str, body: &[u8], extra: &[(&str, &str)]) -> Vec<u8> {
    let mut r = format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: koji/1\r\n");
    for (k, v) in extra {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str(&format!(
        "Content-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ));
    let mut out = r.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Sends one call and expects a complete response.
pub(crate) async fn call(
    addr: SocketAddr,
    path: &str,
    body: &[u8],
    extra: &[(&str, &str)],
) -> Resp {
    match exchange(addr, &post(path, body, extra), Duration::from_secs(30)).await {
        Outcome::Complete(r) => r,
        other => panic!("no complete response: {other:?}"),
    }
}

/// The recorded exchanges directory (carried by koji-testenv).
pub(crate) fn exchanges() -> PathBuf {
    koji_testenv::realhub::exchanges_dir()
}

/// One recorded exchange.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) prefix: String,
    pub(crate) group: String,
    pub(crate) auth: String,
    pub(crate) endpoint: String,
    pub(crate) request_head: String,
    pub(crate) request_body: Vec<u8>,
    pub(crate) response_head: String,
    pub(crate) response_body: Vec<u8>,
}

impl Recorded {
    /// The request line's method and target.
    pub(crate) fn method_and_target(&self) -> (String, String) {
        let line = self.request_head.lines().next().unwrap_or_default();
        let mut parts = line.split(' ');
        (
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
        )
    }

    /// The recorded status code.
    pub(crate) fn status(&self) -> u16 {
        self.response_head
            .lines()
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }

    /// The request rebuilt for another host: same method, target, headers
    /// (Host replaced) and body.
    pub(crate) fn request_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, line) in self.request_head.split("\r\n").enumerate() {
            if line.is_empty() {
                continue;
            }
            if i > 0 && line.to_ascii_lowercase().starts_with("host:") {
                out.extend_from_slice(b"Host: localhost\r\n");
            } else {
                out.extend_from_slice(line.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.request_body);
        out
    }
}

/// All recorded exchanges, in recording order.
pub(crate) fn recorded() -> Vec<Recorded> {
    let dir = exchanges();
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    index["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let prefix = e["prefix"].as_str().unwrap().to_owned();
            let read = |ext: &str| std::fs::read(dir.join(format!("{prefix}.{ext}"))).unwrap();
            Recorded {
                group: e["group"].as_str().unwrap().to_owned(),
                auth: e["auth"].as_str().unwrap().to_owned(),
                endpoint: e["endpoint"].as_str().unwrap().to_owned(),
                request_head: String::from_utf8(read("request-headers.txt")).unwrap(),
                request_body: read("request.xml"),
                response_head: String::from_utf8(read("response-headers.txt")).unwrap(),
                response_body: read("response.xml"),
                prefix,
            }
        })
        .collect()
}

/// Encodes a call the way koji's client does (kwargs as a `__starstar` struct).
pub(crate) fn body(
    method: &str,
    args: Vec<koji_xmlrpc::Value>,
    kw: &[(&str, koji_xmlrpc::Value)],
) -> Vec<u8> {
    let mut params = args;
    if !kw.is_empty() {
        let s: koji_xmlrpc::Struct = kw
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        params.push(koji_xmlrpc::kwargs_struct(s));
    }
    koji_xmlrpc::encode_request(method, &params).unwrap()
}

/// Calls a method on `path` with extra headers and decodes the answer.
pub(crate) async fn rpc_at(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    method: &str,
    args: Vec<koji_xmlrpc::Value>,
    kw: &[(&str, koji_xmlrpc::Value)],
) -> Result<koji_xmlrpc::Value, koji_xmlrpc::Fault> {
    let r = call(addr, path, &body(method, args, kw), headers).await;
    assert_eq!(r.status, 200, "{method}: {}", r.text());
    koji_xmlrpc::decode_response::<koji_xmlrpc::Value>(&r.body).unwrap()
}

/// Calls a method on `/kojihub` anonymously.
pub(crate) async fn rpc(
    addr: SocketAddr,
    method: &str,
    args: Vec<koji_xmlrpc::Value>,
    kw: &[(&str, koji_xmlrpc::Value)],
) -> Result<koji_xmlrpc::Value, koji_xmlrpc::Fault> {
    rpc_at(addr, "/kojihub", &[], method, args, kw).await
}
