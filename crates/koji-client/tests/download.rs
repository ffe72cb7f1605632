//! The download engine against a small in-process file server that can
//! honour or ignore Range requests, drop a connection mid-file, and serve
//! wrong or short files. (The same cases against a real Apache are in
//! download_apache.rs.)

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use koji_client::Connection;
use koji_client::download::verify::{Check, DigestKind, Expected};
use koji_client::download::{Downloader, FileKind, Plan, PlannedFile};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const HELLO: &[u8] = include_bytes!("fixtures/files/hello-1.3-1.fc40.x86_64.rpm");
const HELLO_MD5: &str = "7be7ac12dae4fd277e6f78cccddcaff2";

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    ranges: bool,
    /// Path -> body bytes after which the next response is cut off.
    drop_after: HashMap<String, usize>,
    /// (path, Range header) of every GET.
    log: Vec<(String, Option<String>)>,
}

struct Server {
    state: Arc<Mutex<State>>,
    port: u16,
}

impl Server {
    async fn start(ranges: bool) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            ranges,
            ..State::default()
        }));
        let s = state.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, s.clone()));
            }
        });
        Server { state, port }
    }

    fn put(&self, path: &str, data: &[u8]) {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(format!("/kojifiles/{path}"), data.to_vec());
    }

    fn drop_once(&self, path: &str, after: usize) {
        self.state
            .lock()
            .unwrap()
            .drop_after
            .insert(format!("/kojifiles/{path}"), after);
    }

    fn log(&self) -> Vec<(String, Option<String>)> {
        self.state.lock().unwrap().log.clone()
    }

    fn topurl(&self) -> String {
        format!("http://127.0.0.1:{}/kojifiles", self.port)
    }
}

async fn serve(mut sock: TcpStream, state: Arc<Mutex<State>>) {
    let mut buf = Vec::new();
    loop {
        // Read one request head.
        let head_end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            let mut chunk = [0u8; 4096];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        buf.drain(..head_end);
        let mut lines = head.lines();
        let request = lines.next().unwrap_or_default().to_owned();
        let path = request.split(' ').nth(1).unwrap_or("/").to_owned();
        let range = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.eq_ignore_ascii_case("range"))
            .map(|(_, v)| v.trim().to_owned());
        let (body, status, extra, cut) = {
            let mut st = state.lock().unwrap();
            st.log.push((path.clone(), range.clone()));
            let cut = st.drop_after.remove(&path);
            match st.files.get(&path) {
                None => (
                    b"<html>not found</html>".to_vec(),
                    "404 Not Found",
                    String::new(),
                    None,
                ),
                Some(data) => {
                    let start = range
                        .as_deref()
                        .filter(|_| st.ranges)
                        .and_then(|r| r.strip_prefix("bytes="))
                        .and_then(|r| r.strip_suffix('-'))
                        .and_then(|n| n.parse::<usize>().ok());
                    match start {
                        Some(s) if s >= data.len() => {
                            (Vec::new(), "416 Range Not Satisfiable", String::new(), None)
                        }
                        Some(s) => (
                            data[s..].to_vec(),
                            "206 Partial Content",
                            format!(
                                "Content-Range: bytes {s}-{}/{}\r\n",
                                data.len() - 1,
                                data.len()
                            ),
                            cut,
                        ),
                        None => (data.clone(), "200 OK", String::new(), cut),
                    }
                }
            }
        };
        let accept = if state.lock().unwrap().ranges {
            "Accept-Ranges: bytes\r\n"
        } else {
            ""
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{accept}{extra}Last-Modified: Mon, 07 Dec 2026 17:49:34 GMT\r\n\r\n",
            body.len()
        );
        if sock.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        match cut {
            Some(n) => {
                let _ = sock.write_all(&body[..n.min(body.len())]).await;
                let _ = sock.flush().await;
                return;
            }
            None => {
                if sock.write_all(&body).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Deterministic pseudo-random bytes.
fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn md5_hex(data: &[u8]) -> String {
    let d = openssl::hash::hash(openssl::hash::MessageDigest::md5(), data).unwrap();
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn rpm_file(source: &str, dest: &str, size: Option<u64>, hash: &str) -> PlannedFile {
    PlannedFile {
        source: source.into(),
        dest: dest.into(),
        expected: Expected {
            size,
            check: Check::Rpm {
                payloadhash: Some(hash.into()),
            },
        },
        kind: FileKind::Rpm,
    }
}

fn archive(source: &str, dest: &str, data: &[u8]) -> PlannedFile {
    PlannedFile {
        source: source.into(),
        dest: dest.into(),
        expected: Expected {
            size: Some(data.len() as u64),
            check: Check::Digest {
                kind: DigestKind::Md5,
                hex: md5_hex(data),
            },
        },
        kind: FileKind::Archive,
    }
}

fn downloader(server: &Server) -> Downloader {
    let koji = Connection::new("http://127.0.0.1:9/kojihub").unwrap();
    Downloader::new(&koji, &server.topurl())
        .unwrap()
        .parallel(4)
}

fn no_temp_files(dir: &Path) {
    for e in walk(dir) {
        let name = e.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.ends_with(".part"), "left behind: {}", e.display());
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn a_plan_downloads_in_parallel_and_every_file_is_verified() {
    let server = Server::start(true).await;
    let big = bytes(3 << 20, 7);
    server.put("packages/hello/1.3/1.fc40/x86_64/hello.rpm", HELLO);
    server.put("packages/hello/1.3/1.fc40/images/img.tar.gz", &big);
    server.put("work/tasks/4/4/build.log", b"log line\n");
    let plan = Plan {
        files: vec![
            rpm_file(
                "packages/hello/1.3/1.fc40/x86_64/hello.rpm",
                "hello.rpm",
                Some(HELLO.len() as u64),
                HELLO_MD5,
            ),
            archive(
                "packages/hello/1.3/1.fc40/images/img.tar.gz",
                "sub/img.tar.gz",
                &big,
            ),
            PlannedFile {
                source: "work/tasks/4/4/build.log".into(),
                dest: "build.log".into(),
                expected: Expected {
                    size: None,
                    check: Check::None,
                },
                kind: FileKind::Log,
            },
        ],
    };
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let report = downloader(&server)
        .progress(move |p| s.lock().unwrap().push(p.clone()))
        .run(&plan, dir.path())
        .await;
    assert!(report.all_ok(), "{report:?}");
    assert_eq!(std::fs::read(dir.path().join("hello.rpm")).unwrap(), HELLO);
    assert_eq!(
        std::fs::read(dir.path().join("sub/img.tar.gz")).unwrap(),
        big
    );
    assert_eq!(
        std::fs::read(dir.path().join("build.log")).unwrap(),
        b"log line\n"
    );
    let done: Vec<_> = report
        .files
        .iter()
        .map(|f| f.result.as_ref().unwrap())
        .collect();
    assert_eq!(
        done[0].checksum.as_deref(),
        Some(&*format!("sigmd5:{HELLO_MD5}"))
    );
    assert!(done[0].verified && done[1].verified && !done[2].verified);
    assert_eq!(done[1].checksum, Some(format!("md5:{}", md5_hex(&big))));
    let last = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.files_done, 3);
    assert_eq!(last.files_total, 3);
    assert_eq!(last.bytes_done, (HELLO.len() + big.len() + 9) as u64);
    no_temp_files(dir.path());

    // A second run finds every checkable file complete and fetches only
    // the log (whose size nobody knows).
    let before = server.log().len();
    let again = downloader(&server).run(&plan, dir.path()).await;
    assert!(again.all_ok());
    let skipped: Vec<bool> = again
        .files
        .iter()
        .map(|f| f.result.as_ref().unwrap().skipped)
        .collect();
    assert_eq!(skipped, [true, true, false]);
    let new: Vec<_> = server.log()[before..]
        .iter()
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(new, ["/kojifiles/work/tasks/4/4/build.log"]);
}

#[tokio::test]
async fn a_dropped_connection_continues_with_a_range_request() {
    let server = Server::start(true).await;
    let big = bytes(2 << 20, 3);
    server.put("f/a.bin", &big);
    server.drop_once("f/a.bin", 700_000);
    let plan = Plan {
        files: vec![archive("f/a.bin", "a.bin", &big)],
    };
    let dir = tempfile::tempdir().unwrap();
    let report = downloader(&server).run(&plan, dir.path()).await;
    assert!(report.all_ok(), "{report:?}");
    assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), big);
    let log = server.log();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0].1, None);
    let range = log[1].1.clone().expect("second request has a Range");
    let from: u64 = range
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .unwrap()
        .parse()
        .unwrap();
    assert!(from > 0 && from <= 700_000, "{range}");
    no_temp_files(dir.path());
}

#[tokio::test]
async fn a_server_without_range_support_restarts_the_file() {
    let server = Server::start(false).await;
    let big = bytes(1 << 20, 5);
    server.put("f/a.bin", &big);
    server.drop_once("f/a.bin", 300_000);
    let plan = Plan {
        files: vec![archive("f/a.bin", "a.bin", &big)],
    };
    let dir = tempfile::tempdir().unwrap();
    let report = downloader(&server).run(&plan, dir.path()).await;
    assert!(report.all_ok(), "{report:?}");
    assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), big);
    assert_eq!(
        report.files[0].result.as_ref().unwrap().size,
        big.len() as u64
    );
    assert_eq!(server.log().len(), 2);
}

#[tokio::test]
async fn a_leftover_partial_file_is_continued() {
    let server = Server::start(true).await;
    let big = bytes(1 << 20, 9);
    server.put("f/a.bin", &big);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".a.bin.part"), &big[..400_000]).unwrap();
    let plan = Plan {
        files: vec![archive("f/a.bin", "a.bin", &big)],
    };
    let report = downloader(&server).run(&plan, dir.path()).await;
    let done = report.files[0].result.as_ref().unwrap();
    assert_eq!(done.resumed_from, 400_000);
    assert_eq!(server.log()[0].1.as_deref(), Some("bytes=400000-"));
    assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), big);

    // A leftover that is not a prefix of the file fails the digest; the
    // file is then fetched once more from the start.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".a.bin.part"), bytes(400_000, 1)).unwrap();
    let before = server.log().len();
    let report = downloader(&server).run(&plan, dir.path()).await;
    let done = report.files[0].result.as_ref().unwrap();
    assert_eq!(done.resumed_from, 0);
    assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), big);
    let ranges: Vec<_> = server.log()[before..]
        .iter()
        .map(|(_, r)| r.clone())
        .collect();
    assert_eq!(ranges, [Some("bytes=400000-".to_owned()), None]);
    no_temp_files(dir.path());
}

#[tokio::test]
async fn wrong_short_and_missing_files_are_errors_naming_the_file() {
    let server = Server::start(true).await;
    let data = bytes(100_000, 11);
    server.put("f/wrong.bin", &data);
    server.put("f/short.bin", &data[..50_000]);
    server.put("f/hello.rpm", HELLO);
    server.put("f/ok.bin", &data);
    let mut wrong = archive("f/wrong.bin", "wrong.bin", &data);
    wrong.expected.check = Check::Digest {
        kind: DigestKind::Sha256,
        hex: "00".repeat(32),
    };
    let plan = Plan {
        files: vec![
            wrong,
            archive("f/short.bin", "short.bin", &data),
            rpm_file(
                "f/hello.rpm",
                "hello.rpm",
                Some(HELLO.len() as u64),
                "00112233445566778899aabbccddeeff",
            ),
            archive("f/missing.bin", "missing.bin", &data),
            archive("f/ok.bin", "ok.bin", &data),
        ],
    };
    let dir = tempfile::tempdir().unwrap();
    let report = downloader(&server).run(&plan, dir.path()).await;
    let errs: Vec<String> = report
        .files
        .iter()
        .map(|f| match &f.result {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.to_string(),
        })
        .collect();
    assert!(
        errs[0].contains("wrong.bin") && errs[0].contains("sha256"),
        "{errs:?}"
    );
    assert!(
        errs[1].contains("short.bin") && errs[1].contains("size 50000"),
        "{errs:?}"
    );
    assert!(
        errs[2].contains("hello.rpm") && errs[2].contains("payloadhash"),
        "{errs:?}"
    );
    assert!(
        errs[3].contains("missing.bin") && errs[3].contains("404"),
        "{errs:?}"
    );
    assert_eq!(errs[4], "ok");
    for name in ["wrong.bin", "short.bin", "hello.rpm", "missing.bin"] {
        assert!(!dir.path().join(name).exists(), "{name} written");
    }
    assert!(report.failures().all(|(_, e)| !e.is_connection()));
    no_temp_files(dir.path());
}

#[tokio::test]
async fn an_unreachable_server_is_a_connection_error() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let koji = Connection::new("http://127.0.0.1:9/kojihub").unwrap();
    let d = Downloader::new(&koji, &format!("http://127.0.0.1:{port}/kojifiles")).unwrap();
    let plan = Plan {
        files: vec![archive("f/a", "a", b"x")],
    };
    let dir = tempfile::tempdir().unwrap();
    let report = d.run(&plan, dir.path()).await;
    let (_, e) = report.failures().next().unwrap();
    assert!(e.is_connection(), "{e}");
}
