//! Tiny real servers for the connection tests: a scripted HTTP/1.1 server
//! (plain or TLS) that answers each request with the next scripted action,
//! including broken ones (reset, truncated body, stall…), a small HTTP proxy,
//! a test CA made at run time, and access to the recorded realhub exchanges.
#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{Ssl, SslAcceptor, SslMethod};
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509, X509NameBuilder};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One recorded exchange of the realhub fixtures.
pub struct Exchange {
    pub request_body: Vec<u8>,
    pub response_head: Vec<u8>,
    pub response_body: Vec<u8>,
}

impl Exchange {
    pub fn load(prefix: &str) -> Exchange {
        let dir = koji_testenv::realhub::exchanges_dir();
        let read = |suffix: &str| {
            let path = dir.join(format!("{prefix}.{suffix}"));
            std::fs::read(&path)
                .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
        };
        Exchange {
            request_body: read("request.xml"),
            response_head: read("response-headers.txt"),
            response_body: read("response.xml"),
        }
    }

    /// The recorded response, head and body, as it came off the wire.
    pub fn response_bytes(&self) -> Vec<u8> {
        let mut out = self.response_head.clone();
        out.extend_from_slice(&self.response_body);
        out
    }
}

/// A complete HTTP/1.1 response with `Content-Length`.
pub fn http_response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n").into_bytes();
    for (k, v) in headers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

/// A 200 `text/xml` response with a `Koji-Version` header.
pub fn xml_response(body: &[u8]) -> Vec<u8> {
    http_response(
        "200 OK",
        &[("Koji-Version", "1.35.3"), ("Content-Type", "text/xml")],
        body,
    )
}

/// A fault response body as a hub writes it.
pub fn fault_body(code: i64, message: &str) -> Vec<u8> {
    format!(
        "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>{code}</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>{message}</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n"
    )
    .into_bytes()
}

/// A success response body carrying one string.
pub fn string_body(s: &str) -> Vec<u8> {
    format!("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><string>{s}</string></value>\n</param>\n</params>\n</methodResponse>\n").into_bytes()
}

/// What the server does with one request.
#[derive(Clone)]
pub enum Action {
    /// Write these bytes (a whole response) and keep the connection open.
    Respond(Vec<u8>),
    /// Write these bytes and then close the connection.
    RespondAndClose(Vec<u8>),
    /// Close the connection without answering.
    Close,
    /// Reset the connection (RST) without answering.
    Reset,
    /// Write the head and the first part of the body, then reset.
    ResetMidBody { bytes: Vec<u8>, keep: usize },
    /// Write a response in pieces with a pause between them.
    Slow {
        bytes: Vec<u8>,
        pieces: usize,
        pause: Duration,
    },
    /// Never answer (until the client gives up).
    Stall,
}

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which TCP connection (in accept order) carried it.
    pub connection: usize,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Action>,
    /// Used when the script is empty.
    fallback: Option<Action>,
    received: Vec<Received>,
    connections: usize,
}

/// A scripted HTTP/1.1 server on 127.0.0.1.
#[derive(Clone)]
pub struct Server {
    addr: SocketAddr,
    tls: bool,
    state: Arc<Mutex<State>>,
}

type BoxedIo = Pin<Box<dyn AsyncReadWrite>>;
trait AsyncReadWrite: AsyncRead + AsyncWrite + Send {}
impl<T: AsyncRead + AsyncWrite + Send> AsyncReadWrite for T {}

impl Server {
    /// A plain-http server answering with `script`, then `fallback` forever.
    pub async fn start(script: Vec<Action>) -> Server {
        Server::start_inner(script, None).await
    }

    /// An https server with the given certificate chain and key.
    pub async fn start_tls(script: Vec<Action>, cert: &TestCert) -> Server {
        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
        acceptor.set_certificate(&cert.cert).unwrap();
        acceptor.set_private_key(&cert.key).unwrap();
        acceptor.check_private_key().unwrap();
        Server::start_inner(script, Some(Arc::new(acceptor.build()))).await
    }

    /// An https server that demands a client certificate signed by `client_ca`
    /// during the handshake (like the realhub's :8443).
    pub async fn start_tls_client_auth(
        script: Vec<Action>,
        cert: &TestCert,
        client_ca: &TestCert,
    ) -> Server {
        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
        acceptor.set_certificate(&cert.cert).unwrap();
        acceptor.set_private_key(&cert.key).unwrap();
        let mut store = openssl::x509::store::X509StoreBuilder::new().unwrap();
        store.add_cert(client_ca.cert.clone()).unwrap();
        acceptor.set_verify_cert_store(store.build()).unwrap();
        acceptor.set_verify(
            openssl::ssl::SslVerifyMode::PEER | openssl::ssl::SslVerifyMode::FAIL_IF_NO_PEER_CERT,
        );
        Server::start_inner(script, Some(Arc::new(acceptor.build()))).await
    }

    async fn start_inner(script: Vec<Action>, tls: Option<Arc<SslAcceptor>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server {
            addr: listener.local_addr().unwrap(),
            tls: tls.is_some(),
            state: Arc::new(Mutex::new(State {
                script: script.into(),
                ..State::default()
            })),
        };
        let state = server.state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let index = {
                    let mut s = state.lock().unwrap();
                    s.connections += 1;
                    s.connections - 1
                };
                let state = state.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    // A second handle on the socket, to force an RST (linger 0)
                    // when the script says "reset".
                    let std_tcp = tcp.into_std().unwrap();
                    let handle = std_tcp.try_clone().unwrap();
                    let tcp = TcpStream::from_std(std_tcp).unwrap();
                    let io: BoxedIo = match tls {
                        None => Box::pin(tcp),
                        Some(acceptor) => {
                            let ssl = Ssl::new(acceptor.context()).unwrap();
                            let mut s = tokio_openssl::SslStream::new(ssl, tcp).unwrap();
                            if Pin::new(&mut s).accept().await.is_err() {
                                return;
                            }
                            Box::pin(s)
                        }
                    };
                    serve_connection(io, handle, index, state).await;
                });
            }
        });
        server
    }

    /// What to do once the script is used up.
    pub fn set_fallback(&self, action: Action) {
        self.state.lock().unwrap().fallback = Some(action);
    }

    /// Appends actions to the script.
    pub fn push(&self, actions: impl IntoIterator<Item = Action>) {
        self.state.lock().unwrap().script.extend(actions);
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http(s)://127.0.0.1:PORT/kojihub`
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/kojihub", self.addr.port())
    }

    /// `https://localhost:PORT/kojihub` (for certificate name checks).
    pub fn url_localhost(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://localhost:{}/kojihub", self.addr.port())
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }
}

async fn serve_connection(
    mut io: BoxedIo,
    handle: std::net::TcpStream,
    index: usize,
    state: Arc<Mutex<State>>,
) {
    let reset = |io: BoxedIo| {
        let _ = socket2::SockRef::from(&handle).set_linger(Some(Duration::ZERO));
        drop(io);
    };
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut io, &mut buf, index).await else {
            return;
        };
        let action = {
            let mut s = state.lock().unwrap();
            s.received.push(req);
            s.script.pop_front().or_else(|| s.fallback.clone())
        };
        let Some(action) = action else { return };
        match action {
            Action::Respond(bytes) => {
                if io.write_all(&bytes).await.is_err() {
                    return;
                }
                let _ = io.flush().await;
            }
            Action::RespondAndClose(bytes) => {
                let _ = io.write_all(&bytes).await;
                let _ = io.shutdown().await;
                return;
            }
            Action::Close => {
                let _ = io.shutdown().await;
                return;
            }
            Action::Reset => {
                reset(io);
                return;
            }
            Action::ResetMidBody { bytes, keep } => {
                let _ = io.write_all(&bytes[..keep.min(bytes.len())]).await;
                let _ = io.flush().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
                reset(io);
                return;
            }
            Action::Slow {
                bytes,
                pieces,
                pause,
            } => {
                let size = bytes.len().div_ceil(pieces.max(1));
                for piece in bytes.chunks(size.max(1)) {
                    if io.write_all(piece).await.is_err() {
                        return;
                    }
                    let _ = io.flush().await;
                    tokio::time::sleep(pause).await;
                }
            }
            Action::Stall => {
                // Hold the connection until the client goes away.
                let mut sink = [0u8; 1024];
                while matches!(io.read(&mut sink).await, Ok(n) if n > 0) {}
                return;
            }
        }
    }
}

/// Reads one request (head + Content-Length body); `None` at EOF.
async fn read_request(io: &mut BoxedIo, buf: &mut Vec<u8>, connection: usize) -> Option<Received> {
    let head_end = loop {
        if let Some(pos) = find(buf, b"\r\n\r\n") {
            break pos;
        }
        let mut chunk = [0u8; 8192];
        let n = io.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        let mut chunk = [0u8; 8192];
        let n = io.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[body_start..body_start + len].to_vec();
    buf.drain(..body_start + len);
    Some(Received {
        request_line,
        headers,
        body,
        connection,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// An address where nothing listens (a port just released).
pub async fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/kojihub")
}

// ---------------------------------------------------------------------------
// Test certificates

/// A certificate with its key (and the CA that signed it).
pub struct TestCert {
    pub cert: X509,
    pub key: PKey<Private>,
}

impl TestCert {
    pub fn cert_pem(&self) -> Vec<u8> {
        self.cert.to_pem().unwrap()
    }
}

fn new_key() -> PKey<Private> {
    let ec = openssl::ec::EcKey::generate(
        &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
    )
    .unwrap();
    PKey::from_ec_key(ec).unwrap()
}

/// A self-signed test CA.
pub fn test_ca(name: &str) -> TestCert {
    let key = new_key();
    let mut n = X509NameBuilder::new().unwrap();
    n.append_entry_by_text("CN", name).unwrap();
    let n = n.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&n).unwrap();
    b.set_issuer_name(&n).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    b.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()
            .unwrap(),
    )
    .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    TestCert {
        cert: b.build(),
        key,
    }
}

/// A server certificate for `localhost` / `127.0.0.1` signed by `ca`.
pub fn server_cert(ca: &TestCert) -> TestCert {
    let key = new_key();
    let mut n = X509NameBuilder::new().unwrap();
    n.append_entry_by_text("CN", "localhost").unwrap();
    let n = n.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(2).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&n).unwrap();
    b.set_issuer_name(ca.cert.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .dns("localhost")
        .ip("127.0.0.1")
        .build(&b.x509v3_context(Some(&ca.cert), None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&ca.key, MessageDigest::sha256()).unwrap();
    TestCert {
        cert: b.build(),
        key,
    }
}

/// A client certificate for `CN=name` signed by `ca`, as one PEM file's
/// content: certificate then PKCS#8 key (koji's `cert` option).
pub fn client_pem(ca: &TestCert, name: &str) -> Vec<u8> {
    let key = new_key();
    let mut n = X509NameBuilder::new().unwrap();
    n.append_entry_by_text("CN", name).unwrap();
    let n = n.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(3).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&n).unwrap();
    b.set_issuer_name(ca.cert.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    b.sign(&ca.key, MessageDigest::sha256()).unwrap();
    let mut pem = b.build().to_pem().unwrap();
    pem.extend_from_slice(&key.private_key_to_pem_pkcs8().unwrap());
    pem
}

/// Writes `pem` to a fresh file in a temporary directory that lives as long
/// as the returned guard.
pub fn write_temp(name: &str, pem: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, pem).unwrap();
    (dir, path)
}

// ---------------------------------------------------------------------------
// A small HTTP proxy: CONNECT tunnels and absolute-form forwarding.

/// A forwarding proxy on 127.0.0.1 that records the request lines it saw.
#[derive(Clone)]
pub struct Proxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            addr: listener.local_addr().unwrap(),
            seen: Arc::default(),
        };
        let seen = proxy.seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen.clone();
                tokio::spawn(async move {
                    let _ = proxy_connection(client, seen).await;
                });
            }
        });
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// Request lines (and Proxy-Authorization presence) seen, in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

async fn proxy_connection(
    mut client: TcpStream,
    seen: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(pos) = find(&buf, b"\r\n\r\n") {
            break pos;
        }
        let mut chunk = [0u8; 4096];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let has_auth = head.to_ascii_lowercase().contains("\nproxy-authorization:");
    seen.lock().unwrap().push(format!(
        "{request_line}{}",
        if has_auth { " [auth]" } else { "" }
    ));
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default().to_owned();
    if method == "CONNECT" {
        let mut upstream = TcpStream::connect(&target).await?;
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
        let rest = buf[head_end + 4..].to_vec();
        upstream.write_all(&rest).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    } else {
        // absolute-form: http://host:port/path
        let without_scheme = target.trim_start_matches("http://");
        let authority = without_scheme
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut upstream = TcpStream::connect(&authority).await?;
        upstream.write_all(&buf).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    }
    Ok(())
}
