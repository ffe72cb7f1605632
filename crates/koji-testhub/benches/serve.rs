//! How fast the test hub answers over HTTP/1.1 keep-alive: a small call,
//! a multicall, and a ~50 MB `listBuilds` answer over generated data.
//!
//! `cargo bench -p koji-testhub --bench serve`
#![allow(missing_docs, clippy::unwrap_used)]

use std::net::SocketAddr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use koji_testhub::{GenerateOptions, TestHub};
use koji_xmlrpc::{Struct, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request on a kept-alive connection; returns the body length.
async fn round_trip(s: &mut TcpStream, body: &[u8], buf: &mut Vec<u8>) -> usize {
    let head = format!(
        "POST /kojihub HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut req = head.into_bytes();
    req.extend_from_slice(body);
    s.write_all(&req).await.unwrap();
    buf.clear();
    let mut chunk = vec![0u8; 1 << 16];
    let (head_end, len) = loop {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
            let len: usize = head
                .split("\r\n")
                .find_map(|l| l.strip_prefix("content-length: "))
                .unwrap()
                .parse()
                .unwrap();
            break (i + 4, len);
        }
    };
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
    len
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let hub = rt.block_on(async {
        TestHub::builder()
            .generate(GenerateOptions {
                builds: 20_000,
                tasks: 10_000,
                packages: 0,
                seed: 1,
            })
            .record_requests(false)
            .start()
            .await
            .unwrap()
    });
    let addr: SocketAddr = hub.addr();
    let mut conn = rt.block_on(TcpStream::connect(addr)).unwrap();
    conn.set_nodelay(true).unwrap();
    let mut buf = Vec::new();

    let get_build = koji_xmlrpc::encode_request("getBuild", &[Value::Int(1234)]).unwrap();
    c.bench_function("getBuild round trip", |b| {
        b.iter(|| rt.block_on(round_trip(&mut conn, &get_build, &mut buf)))
    });

    let calls: Vec<Value> = (1..=100)
        .map(|i| {
            let mut s = Struct::new();
            s.insert("methodName".into(), Value::from("getTaskInfo"));
            s.insert("params".into(), Value::Array(vec![Value::Int(i * 7)]));
            Value::Struct(s)
        })
        .collect();
    let multicall = koji_xmlrpc::encode_request("multiCall", &[Value::Array(calls)]).unwrap();
    c.bench_function("multiCall of 100 getTaskInfo", |b| {
        b.iter(|| rt.block_on(round_trip(&mut conn, &multicall, &mut buf)))
    });

    let list = koji_xmlrpc::encode_request("listBuilds", &[]).unwrap();
    let size = rt.block_on(round_trip(&mut conn, &list, &mut buf));
    eprintln!("listBuilds() answer: {size} bytes");
    let mut g = c.benchmark_group("large");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(size as u64));
    g.bench_function("listBuilds() of 20000 builds", |b| {
        b.iter(|| rt.block_on(round_trip(&mut conn, &list, &mut buf)))
    });
    g.finish();
    rt.block_on(hub.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
