//! A tiny blocking HTTP/1.1 client over any stream (a `TcpStream` or an
//! OpenSSL `SslStream`), for tests of the set-up itself. One request per
//! connection (`Connection: close`).

use std::io::{Read, Write};

use crate::{Error, Result};

/// A response: status code, headers and body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code, e.g. 200.
    pub status: u16,
    /// Header names (as sent) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends a POST of `body` to `path` with extra `headers` and reads the
/// response.
pub fn post<S: Read + Write>(
    stream: &mut S,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.write_all(body))
        .and_then(|()| stream.flush())
        .map_err(|e| Error::io("sending the request", e))?;
    read_response(stream)
}

fn read_response<S: Read>(stream: &mut S) -> Result<Response> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let mut head_end = None;
    let mut expected = None;
    loop {
        if let (Some(end), Some(len)) = (head_end, expected) {
            if data.len() >= end + len {
                break;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => data.extend_from_slice(buf.get(..n).unwrap_or_default()),
            // An abrupt close after the response is complete is fine.
            Err(_) if head_end.is_some() && expected.is_none() => break,
            Err(e) => return Err(Error::io("reading the response", e)),
        }
        if head_end.is_none() {
            if let Some(pos) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                head_end = Some(pos + 4);
                let head = String::from_utf8_lossy(data.get(..pos).unwrap_or_default());
                expected = head.lines().find_map(|l| {
                    let (n, v) = l.split_once(':')?;
                    n.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())
                        .flatten()
                });
            }
        }
    }
    let end = head_end.ok_or_else(|| {
        Error::new(format!(
            "incomplete response ({} bytes, no end of headers)",
            data.len()
        ))
    })?;
    let head = String::from_utf8_lossy(data.get(..end).unwrap_or_default()).into_owned();
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::new(format!("bad status line {status_line:?}")))?;
    let headers = lines
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some((n.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    let mut body = data.get(end..).unwrap_or_default().to_vec();
    if let Some(len) = expected {
        body.truncate(len);
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}
