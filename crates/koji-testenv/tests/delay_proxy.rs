//! The delay proxy forwards requests and answers unchanged: bodies byte for
//! byte (by length and chunked), several requests over one keep-alive
//! connection on both sides, request headers such as `Range` as sent.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use koji_testenv::delay_proxy::DelayProxy;

fn body(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

/// Requests seen by the upstream server: (connection number, head).
type Seen = Arc<Mutex<Vec<(usize, String)>>>;

fn read_head<R: BufRead>(r: &mut R) -> Option<String> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap() == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            return Some(head);
        }
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// An upstream that serves `/file` (1 MiB, honouring `Range: bytes=N-`) and
/// `/chunked` (the same bytes in chunks), keep-alive.
fn upstream(seen: Seen) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for (conn, stream) in listener.incoming().enumerate() {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let stream = stream.unwrap();
                let mut w = stream.try_clone().unwrap();
                let mut r = BufReader::new(stream);
                while let Some(head) = read_head(&mut r) {
                    seen.lock().unwrap().push((conn, head.clone()));
                    let data = body(1 << 20);
                    if head.starts_with("GET /chunked ") {
                        w.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                            .unwrap();
                        for part in data.chunks(100_000) {
                            write!(w, "{:x}\r\n", part.len()).unwrap();
                            w.write_all(part).unwrap();
                            w.write_all(b"\r\n").unwrap();
                        }
                        w.write_all(b"0\r\n\r\n").unwrap();
                    } else if let Some(range) = header(&head, "range") {
                        let from: usize = range
                            .strip_prefix("bytes=")
                            .unwrap()
                            .trim_end_matches('-')
                            .parse()
                            .unwrap();
                        let part = &data[from..];
                        write!(
                            w,
                            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{}/{}\r\nContent-Length: {}\r\n\r\n",
                            data.len() - 1,
                            data.len(),
                            part.len()
                        )
                        .unwrap();
                        w.write_all(part).unwrap();
                    } else {
                        write!(
                            w,
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                            data.len()
                        )
                        .unwrap();
                        w.write_all(&data).unwrap();
                    }
                    w.flush().unwrap();
                }
            });
        }
    });
    addr
}

/// Reads one response: (head, body).
fn response<R: BufRead>(r: &mut R) -> (String, Vec<u8>) {
    let head = read_head(r).unwrap();
    let mut out = Vec::new();
    if let Some(n) = header(&head, "content-length") {
        out.resize(n.parse().unwrap(), 0);
        r.read_exact(&mut out).unwrap();
    } else {
        assert_eq!(header(&head, "transfer-encoding"), Some("chunked"));
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            let n = usize::from_str_radix(line.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..n]);
        }
    }
    (head, out)
}

#[test]
fn requests_and_answers_pass_through_unchanged_on_one_connection() {
    let seen: Seen = Arc::default();
    let proxy = DelayProxy::start(upstream(seen.clone()), Duration::from_millis(20)).unwrap();
    let stream = TcpStream::connect(proxy.addr()).unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let data = body(1 << 20);

    w.write_all(b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (head, got) = response(&mut r);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(got, data);

    w.write_all(b"GET /file HTTP/1.1\r\nHost: x\r\nRange: bytes=1000-\r\n\r\n")
        .unwrap();
    let (head, got) = response(&mut r);
    assert!(head.starts_with("HTTP/1.1 206"), "{head}");
    assert_eq!(
        header(&head, "content-range"),
        Some("bytes 1000-1048575/1048576")
    );
    assert_eq!(got, &data[1000..]);

    w.write_all(b"GET /chunked HTTP/1.1\r\nHost: x\r\nX-Extra: kept\r\n\r\n")
        .unwrap();
    let (_, got) = response(&mut r);
    assert_eq!(got, data);

    // One client connection became one upstream connection, and every
    // request arrived with its headers as sent.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|(conn, _)| *conn == 0), "{seen:?}");
    assert_eq!(header(&seen[1].1, "range"), Some("bytes=1000-"));
    assert_eq!(header(&seen[2].1, "x-extra"), Some("kept"));
    assert_eq!(proxy.requests(), 3);
    assert_eq!(proxy.connections(), 1);
}

#[test]
fn a_second_client_connection_gets_its_own_upstream_connection() {
    let seen: Seen = Arc::default();
    let proxy = DelayProxy::start(upstream(seen.clone()), Duration::from_millis(1)).unwrap();
    for _ in 0..2 {
        let stream = TcpStream::connect(proxy.addr()).unwrap();
        let mut w = stream.try_clone().unwrap();
        let mut r = BufReader::new(stream);
        w.write_all(b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        assert_eq!(response(&mut r).1, body(1 << 20));
    }
    let conns: Vec<usize> = seen.lock().unwrap().iter().map(|(c, _)| *c).collect();
    assert_eq!(conns, [0, 1]);
}
