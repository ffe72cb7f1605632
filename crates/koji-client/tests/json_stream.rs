//! `Connection::execute_json`: answers transcoded to JSON as they arrive, and
//! hostile hubs (a gzip bomb, a 50 GiB `Content-Length` with a short or a
//! stalled body) refused with a clear error instead of costing memory.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::StreamExt as _;
use koji_client::{Connection, JsonOptions, JsonStyle, Value};
use koji_xmlrpc::{Fault, JsonTranscoder, Struct, encode_fault, encode_response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the tiny server answers every request with.
#[derive(Clone)]
enum Answer {
    /// A complete body, sent in small pieces.
    Body(Vec<u8>),
    /// `<string>` and then gzip-compressed spaces for ever (a gzip bomb).
    GzipBomb,
    /// `Content-Length: 50 GiB`, the start of a body, then the connection closes.
    HugeLengthShortBody,
    /// `Content-Length: 50 GiB`, the start of a body, then nothing (the socket stays open).
    HugeLengthStalled,
}

const HEAD: &[u8] = b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><string>";

/// Writes deflate bits, least significant first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code: its bits go most significant first.
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.put((code >> i) & 1, 1);
        }
    }
}

/// A gzip stream that never ends: a gzip header, [`HEAD`] in a stored
/// block, then a fixed-Huffman block of one space and, for ever, "copy 258
/// bytes from 1 back" (13 bits each). Returns the start and the 13-byte unit
/// (8 copies) that repeats after it; 13 bytes inflate to 2064 spaces.
fn gzip_bomb() -> (Vec<u8>, Vec<u8>) {
    let mut start = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    // Stored block, not final: 3 header bits, padded to a byte.
    start.push(0);
    let len = HEAD.len() as u16;
    start.extend_from_slice(&len.to_le_bytes());
    start.extend_from_slice(&(!len).to_le_bytes());
    start.extend_from_slice(HEAD);
    let copy = |b: &mut Bits| {
        b.code(0b1100_0101, 8); // length 258 (code 285)
        b.code(0, 5); // distance 1 (code 0)
    };
    let mut b = Bits::default();
    b.put(0, 1); // not final
    b.put(1, 2); // fixed Huffman
    b.code(0x30 + u32::from(b' '), 8); // the literal ' '
    copy(&mut b); // 11 + 13 bits: byte-aligned again
    assert_eq!(b.n, 0);
    start.extend_from_slice(&b.out);
    let mut u = Bits::default();
    for _ in 0..8 {
        copy(&mut u);
    }
    assert_eq!((u.n, u.out.len()), (0, 13));
    (start, u.out)
}

/// Reads one HTTP request (head and `Content-Length` body).
async fn read_request(tcp: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = tcp.read(&mut chunk).await else {
            return false;
        };
        if n == 0 {
            return false;
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        while buf.len() < end + 4 + len {
            let Ok(n) = tcp.read(&mut chunk).await else {
                return false;
            };
            if n == 0 {
                return false;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        return true;
    }
}

async fn serve(mut tcp: TcpStream, answer: Answer) {
    if !read_request(&mut tcp).await {
        return;
    }
    match answer {
        Answer::Body(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = tcp.write_all(head.as_bytes()).await;
            for piece in body.chunks(1000) {
                if tcp.write_all(piece).await.is_err() {
                    return;
                }
            }
        }
        Answer::GzipBomb => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n";
            if tcp.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let (start, unit) = gzip_bomb();
            if tcp.write_all(&start).await.is_err() {
                return;
            }
            // 64 KiB of the repeated unit inflate to about 10 MiB; up to 4 GiB
            // of spaces: the client gives up long before.
            let block = unit.repeat((64 << 10) / unit.len());
            for _ in 0..400 {
                if tcp.write_all(&block).await.is_err() {
                    return;
                }
            }
        }
        Answer::HugeLengthShortBody | Answer::HugeLengthStalled => {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 53687091200\r\n\r\n";
            let _ = tcp.write_all(head.as_bytes()).await;
            let _ = tcp.write_all(HEAD).await;
            let _ = tcp.write_all(b"some text</string></value>\n").await;
            if let Answer::HugeLengthStalled = answer {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        }
    }
}

/// Serves `answer` to every connection on 127.0.0.1; returns the hub URL.
async fn server(answer: Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(serve(tcp, answer.clone()));
        }
    });
    format!("http://{addr}/kojihub")
}

fn connection(url: &str) -> Connection {
    Connection::builder(url)
        .no_proxy()
        .max_retries(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Collects the stream: the JSON so far, the pieces, and the error that ended it.
async fn collect(
    koji: &Connection,
    opts: JsonOptions,
) -> (Vec<u8>, usize, Option<koji_client::Error>) {
    let call = koji.prepare("listBuilds", ()).unwrap();
    let mut stream = koji.execute_json(&call, opts);
    let (mut json, mut pieces) = (Vec::new(), 0);
    while let Some(piece) = stream.next().await {
        match piece {
            Ok(p) => {
                assert!(!p.is_empty());
                json.extend_from_slice(&p);
                pieces += 1;
            }
            Err(e) => return (json, pieces, Some(e)),
        }
    }
    (json, pieces, None)
}

#[tokio::test]
async fn an_answer_arrives_as_json_in_pieces() {
    let rows: Vec<Value> = (0..3000)
        .map(|i| {
            let mut s = Struct::new();
            s.insert("build_id".into(), Value::Int(i));
            s.insert("nvr".into(), format!("pkg-1.{i}-1.fc40").into());
            Value::Struct(s)
        })
        .collect();
    let body = encode_response(&Value::Array(rows)).unwrap();
    let url = server(Answer::Body(body.clone())).await;
    let koji = connection(&url);
    for style in [JsonStyle::Koji, JsonStyle::Compact] {
        let opts = JsonOptions::new().style(style);
        let (json, pieces, err) = collect(&koji, opts.clone()).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(json, JsonTranscoder::transcode(&body, opts).unwrap());
        assert!(pieces >= 1);
    }
}

#[tokio::test]
async fn a_fault_is_a_fault_error() {
    let body = encode_fault(&Fault::new(1000, "No such build"));
    let url = server(Answer::Body(body)).await;
    let (json, _, err) = collect(&connection(&url), JsonOptions::new()).await;
    let err = err.unwrap();
    assert!(err.is_fault(), "{err}");
    assert_eq!(err.fault_code(), Some(1000));
    assert!(json.is_empty());
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_at_the_value_limit() {
    let url = server(Answer::GzipBomb).await;
    let koji = connection(&url);
    let opts = JsonOptions::new().max_value_size(4 << 20);
    let (json, _, err) = collect(&koji, opts).await;
    let err = err.expect("the bomb must be refused");
    assert!(err.is_decode(), "{err}");
    let text = format!("{err:#}");
    assert!(
        text.contains("larger than the limit of 4194304 bytes for one value"),
        "{text}"
    );
    // The JSON so far: the array and the start of the string (text without
    // markup is held until the limit, not written).
    assert_eq!(json, b"[\n  \"");
}

#[tokio::test]
async fn a_huge_content_length_with_a_short_body_is_a_disconnection() {
    let url = server(Answer::HugeLengthShortBody).await;
    let (json, _, err) = collect(&connection(&url), JsonOptions::new()).await;
    let err = err.expect("a short body must be an error");
    assert!(err.is_disconnected(), "{err:#}");
    // What arrived was transcoded.
    assert_eq!(json, b"[\n  \"some text\"");
}

#[tokio::test]
async fn a_stalled_body_times_out() {
    let url = server(Answer::HugeLengthStalled).await;
    let koji = Connection::builder(&url)
        .no_proxy()
        .max_retries(0)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let (json, _, err) = collect(&koji, JsonOptions::new()).await;
    let err = err.expect("a stalled body must end with an error");
    assert!(err.is_timeout(), "{err:#}");
    assert_eq!(json, b"[\n  \"some text\"");
}
