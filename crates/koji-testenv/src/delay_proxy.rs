//! An HTTP/1.1 proxy on 127.0.0.1 that adds a fixed delay to every
//! request, the way a distant server would: the request waits `delay`
//! before it is passed on; everything else (keep-alive connections, headers
//! such as `Range`, bodies) goes through unchanged.
//!
//! The delay is per request, not per packet or per connection, and nothing
//! outside the proxy is touched (no `tc` on the shared loopback). Each
//! client connection gets its own upstream connection, so a client's
//! keep-alive reuse is what the server sees.
//!
//! ```no_run
//! use std::time::Duration;
//! use koji_testenv::delay_proxy::DelayProxy;
//!
//! # fn f() -> koji_testenv::Result<()> {
//! let proxy = DelayProxy::start("127.0.0.1:8080".parse().unwrap(), Duration::from_millis(20))?;
//! println!("files at {}", proxy.url());
//! # Ok(()) }
//! ```

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{Error, Result};

/// The largest request or response head the proxy accepts.
const MAX_HEAD: usize = 64 * 1024;

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    requests: AtomicU64,
    connections: AtomicU64,
    /// Clones of the open client connections, shut down when the proxy stops.
    open: Mutex<Vec<TcpStream>>,
}

/// A running delaying proxy; dropping it stops it and closes its
/// connections.
#[derive(Debug)]
pub struct DelayProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl DelayProxy {
    /// Listens on a free port of 127.0.0.1 and forwards every request to
    /// `upstream` after `delay`.
    pub fn start(upstream: SocketAddr, delay: Duration) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::io("binding the delay proxy to 127.0.0.1:0", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the delay proxy's address", e))?;
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let accept = std::thread::Builder::new()
            .name("delay-proxy".into())
            .spawn(move || accept_loop(listener, upstream, delay, s))
            .map_err(|e| Error::io("starting the delay proxy thread", e))?;
        Ok(Self {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests forwarded so far.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Client connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        if let Ok(open) = self.shared.open.lock() {
            for s in open.iter() {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

fn accept_loop(listener: TcpListener, upstream: SocketAddr, delay: Duration, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(client) = conn else { continue };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        if let (Ok(clone), Ok(mut open)) = (client.try_clone(), shared.open.lock()) {
            open.retain(|s| s.peer_addr().is_ok());
            open.push(clone);
        }
        let s = shared.clone();
        let _ = std::thread::Builder::new()
            .name("delay-proxy-conn".into())
            .spawn(move || {
                // A connection ends when either side closes or breaks the
                // protocol; there is nobody to tell.
                let _ = serve(client, upstream, delay, &s);
            });
    }
}

/// What follows a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

struct Head {
    bytes: Vec<u8>,
    body: Body,
    close: bool,
    /// Response status (0 for requests).
    status: u16,
    /// Request method is HEAD.
    head_method: bool,
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Reads one head (up to and including the empty line); `None` at a clean
/// end of stream before any byte.
fn read_head<R: BufRead>(r: &mut R) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    loop {
        let n = r.read_until(b'\n', &mut head)?;
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(bad("connection closed inside a head"))
            };
        }
        if head.len() > MAX_HEAD {
            return Err(bad("head too large"));
        }
        if head.ends_with(b"\r\n\r\n") || head == b"\r\n" || head.ends_with(b"\n\n") {
            if head == b"\r\n" {
                // A stray empty line between messages.
                head.clear();
                continue;
            }
            return Ok(Some(head));
        }
    }
}

fn framing(headers: &[httparse::Header<'_>], http10: bool) -> io::Result<(Body, bool, bool)> {
    let mut length = None;
    let mut chunked = false;
    let mut close = http10;
    for h in headers {
        let value = String::from_utf8_lossy(h.value).to_ascii_lowercase();
        if h.name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| bad("bad Content-Length"))?,
            );
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.split(',').any(|v| v.trim() == "chunked");
        } else if h.name.eq_ignore_ascii_case("connection") {
            if value.split(',').any(|v| v.trim() == "close") {
                close = true;
            }
            if value.split(',').any(|v| v.trim() == "keep-alive") {
                close = false;
            }
        }
    }
    let body = if chunked {
        Body::Chunked
    } else if let Some(n) = length {
        Body::Length(n)
    } else {
        Body::None
    };
    Ok((body, close, chunked))
}

fn parse_request(bytes: Vec<u8>) -> io::Result<Head> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(&bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(bad("malformed request head")),
    }
    let head_method = req.method == Some("HEAD");
    let (body, close, _) = framing(req.headers, req.version == Some(0))?;
    Ok(Head {
        bytes,
        body,
        close,
        status: 0,
        head_method,
    })
}

fn parse_response(bytes: Vec<u8>, request: &Head) -> io::Result<Head> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(&bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(bad("malformed response head")),
    }
    let status = resp.code.unwrap_or(0);
    let (mut body, close, _) = framing(resp.headers, resp.version == Some(0))?;
    if request.head_method || status / 100 == 1 || status == 204 || status == 304 {
        body = Body::None;
    } else if body == Body::None
        && !resp
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("content-length"))
    {
        body = Body::UntilClose;
    }
    Ok(Head {
        bytes,
        close: close || body == Body::UntilClose,
        body,
        status,
        head_method: false,
    })
}

/// Copies one body framed as `body` from `from` to `to`.
fn copy_body<R: BufRead, W: Write>(from: &mut R, to: &mut W, body: Body) -> io::Result<()> {
    match body {
        Body::None => Ok(()),
        Body::Length(n) => {
            let copied = io::copy(&mut from.take(n), to)?;
            if copied != n {
                return Err(bad("body ended early"));
            }
            Ok(())
        }
        Body::UntilClose => io::copy(from, to).map(|_| ()),
        Body::Chunked => loop {
            let mut line = Vec::new();
            from.read_until(b'\n', &mut line)?;
            if line.is_empty() {
                return Err(bad("chunked body ended early"));
            }
            to.write_all(&line)?;
            let text = String::from_utf8_lossy(&line);
            let size_text = text.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size_text, 16).map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                // Trailers up to the empty line.
                loop {
                    let mut t = Vec::new();
                    from.read_until(b'\n', &mut t)?;
                    if t.is_empty() {
                        return Err(bad("chunked body ended early"));
                    }
                    to.write_all(&t)?;
                    if t == b"\r\n" || t == b"\n" {
                        return Ok(());
                    }
                }
            }
            // The chunk and its CRLF.
            let n = size + 2;
            if io::copy(&mut from.take(n), to)? != n {
                return Err(bad("chunk ended early"));
            }
        },
    }
}

fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    delay: Duration,
    shared: &Shared,
) -> io::Result<()> {
    client.set_nodelay(true)?;
    let mut client_w = client.try_clone()?;
    let mut client_r = BufReader::with_capacity(64 * 1024, client);
    let mut server: Option<(BufReader<TcpStream>, TcpStream)> = None;
    loop {
        let Some(bytes) = read_head(&mut client_r)? else {
            return Ok(());
        };
        let request = parse_request(bytes)?;
        std::thread::sleep(delay);
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        shared.requests.fetch_add(1, Ordering::SeqCst);
        if server.is_none() {
            let s = TcpStream::connect(upstream)?;
            s.set_nodelay(true)?;
            let w = s.try_clone()?;
            server = Some((BufReader::with_capacity(256 * 1024, s), w));
        }
        let Some((server_r, server_w)) = server.as_mut() else {
            return Ok(());
        };
        server_w.write_all(&request.bytes)?;
        copy_body(&mut client_r, server_w, request.body)?;
        server_w.flush()?;
        let response = loop {
            let Some(bytes) = read_head(server_r)? else {
                return Err(bad("the server closed the connection without answering"));
            };
            let response = parse_response(bytes, &request)?;
            client_w.write_all(&response.bytes)?;
            if response.status / 100 != 1 {
                break response;
            }
        };
        copy_body(server_r, &mut client_w, response.body)?;
        client_w.flush()?;
        if request.close || response.close {
            let _ = client_w.shutdown(Shutdown::Both);
            return Ok(());
        }
    }
}
