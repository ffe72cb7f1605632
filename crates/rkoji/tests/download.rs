//! `rkoji download-build`: the hub's RPM rows choose the files, a small
//! static file server on 127.0.0.1 plays `topurl`, and what lands in the
//! directory (and the exit status) is checked.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use koji_testhub::TestHub;
use serde_json::Value;
use support::{Env, run};

const HELLO: &[u8] =
    include_bytes!("../../koji-client/tests/fixtures/files/hello-1.3-1.fc40.x86_64.rpm");
const HELLO_MD5: &str = "7be7ac12dae4fd277e6f78cccddcaff2";
const X86_PATH: &str = "packages/hello/1.3/1.fc40/x86_64/hello-1.3-1.fc40.x86_64.rpm";

/// Serves files below `root` at `/kojifiles/...` (one request per
/// connection); returns the topurl.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { continue };
            let mut reader = BufReader::new(sock.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let path = line.split(' ').nth(1).unwrap_or("/");
            let file = path
                .strip_prefix("/kojifiles/")
                .map(|p| root.join(p))
                .filter(|p| p.is_file());
            let _ = match file {
                Some(f) => {
                    let body = std::fs::read(f).unwrap();
                    sock.write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|()| sock.write_all(&body))
                }
                None => sock.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    format!("http://127.0.0.1:{port}/kojifiles")
}

/// The real hub's data set, with build 17's x86_64 RPM row describing the
/// recorded RPM file (the data set was dumped from another run).
fn dataset_with_hello() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in koji_testhub::realhub::FILES {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let p = dir.path().join("build_rpms.json");
    let mut rpms: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    for r in rpms["data"]["17"].as_array_mut().unwrap() {
        if r["arch"] == "x86_64" {
            r["size"] = HELLO.len().into();
            r["payloadhash"] = HELLO_MD5.into();
        }
    }
    std::fs::write(&p, serde_json::to_string(&rpms).unwrap()).unwrap();
    dir
}

fn tree_with_hello() -> tempfile::TempDir {
    let top = tempfile::tempdir().unwrap();
    let f = top.path().join(X86_PATH);
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    std::fs::write(&f, HELLO).unwrap();
    top
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn download_build_fetches_and_verifies_the_chosen_rpms() {
    let data = dataset_with_hello();
    let env = Env::start_with(
        TestHub::builder().dataset_dir(data.path()),
        "authtype = noauth\n",
    );
    let top = tree_with_hello();
    let topurl = serve(top.path().to_owned());
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let r = run(
        env.rkoji(&[
            "--json",
            "download-build",
            "hello-1.3-1.fc40",
            "--arch",
            "x86_64",
            "--topurl",
            &topurl,
            "--dir",
            dir,
        ]),
        None,
    )
    .ok();
    let manifest = r.json();
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{manifest}");
    assert_eq!(files[0]["verified"], true);
    assert_eq!(files[0]["size"], HELLO.len());
    assert_eq!(files[0]["checksum"], format!("sigmd5:{HELLO_MD5}"));
    assert_eq!(
        files_in(out.path()),
        ["hello-1.3-1.fc40.x86_64.rpm".to_owned()]
    );
    assert_eq!(
        std::fs::read(out.path().join("hello-1.3-1.fc40.x86_64.rpm")).unwrap(),
        HELLO
    );

    // Again: the verified file is kept, not fetched.
    let again = run(
        env.rkoji(&[
            "--json",
            "download-build",
            "hello-1.3-1.fc40",
            "--arch",
            "x86_64",
            "--topurl",
            &topurl,
            "--dir",
            dir,
        ]),
        None,
    )
    .ok()
    .json();
    assert_eq!(again["files"][0]["skipped"], true);
}

#[test]
fn missing_and_unverifiable_files_exit_1_after_the_others() {
    let data = dataset_with_hello();
    let env = Env::start_with(
        TestHub::builder().dataset_dir(data.path()),
        "authtype = noauth\n",
    );
    let top = tree_with_hello();
    // The aarch64 RPM is served, but it is not the file the hub describes.
    let wrong = top
        .path()
        .join("packages/hello/1.3/1.fc40/aarch64/hello-1.3-1.fc40.aarch64.rpm");
    std::fs::create_dir_all(wrong.parent().unwrap()).unwrap();
    std::fs::write(&wrong, HELLO).unwrap();
    let topurl = serve(top.path().to_owned());
    let out = tempfile::tempdir().unwrap();
    let r = run(
        env.rkoji(&[
            "download-build",
            "hello-1.3-1.fc40",
            "--topurl",
            &topurl,
            "--dir",
            out.path().to_str().unwrap(),
        ]),
        None,
    );
    // The good file is reported on stdout, the failures on stderr.
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("2 of 3 files failed"), "{}", r.stderr);
    assert!(
        r.stdout.contains("hello-1.3-1.fc40.x86_64.rpm"),
        "{}",
        r.stdout
    );
    // The src RPM is missing on the server; the aarch64 one is refused.
    assert!(
        r.stderr.contains("hello-1.3-1.fc40.src.rpm"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("404"), "{}", r.stderr);
    assert!(
        r.stderr.contains("hello-1.3-1.fc40.aarch64.rpm") && r.stderr.contains("size"),
        "{}",
        r.stderr
    );
    // Only the good file is there, under its name; nothing half-written.
    assert_eq!(
        files_in(out.path()),
        ["hello-1.3-1.fc40.x86_64.rpm".to_owned()]
    );
}

#[test]
fn an_unreachable_topurl_exits_3() {
    let data = dataset_with_hello();
    let env = Env::start_with(
        TestHub::builder().dataset_dir(data.path()),
        "authtype = noauth\n",
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = tempfile::tempdir().unwrap();
    run(
        env.rkoji(&[
            "download-build",
            "hello-1.3-1.fc40",
            "--arch",
            "x86_64",
            "--topurl",
            &format!("http://127.0.0.1:{port}/kojifiles"),
            "--dir",
            out.path().to_str().unwrap(),
        ]),
        None,
    )
    .fails(3, "failed");
}
