//! Client-side costs of `Multicall` (BENCHMARKS.md, "koji-client: multicall"):
//! queueing (encoding) calls, the two ways a chunk's answer is decoded, and
//! a whole 10,000-call multicall against koji-testhub on loopback.
//!
//! Run: `cargo bench -p koji-client --bench multicall`
#![allow(missing_docs, clippy::unwrap_used)]

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use koji_client::{Build, Connection, Value};

/// A 500-entry answer of real getBuild results (the build of recorded
/// exchange 246, repeated), as the hub writes it.
fn getbuild_answer() -> Vec<u8> {
    let body = koji_testenv::realhub::exchange_file("246-system.multicall-mixed", "response.xml");
    let entries: Vec<Value> = koji_xmlrpc::decode_response(&body).unwrap().unwrap();
    let build = entries[0].clone();
    koji_xmlrpc::encode_response(&Value::Array(vec![build; 500])).unwrap()
}

fn benches(c: &mut Criterion) {
    let offline = Connection::new("http://127.0.0.1:1/kojihub").unwrap();
    let mut g = c.benchmark_group("multicall/queue");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("10k getBuild(id)", |b| {
        b.iter(|| {
            let mut m = offline.multicall();
            let handles: Vec<_> = (1..=10_000).map(|id| m.get_build(id)).collect();
            (m, handles)
        })
    });
    g.bench_function("10k getTaskInfo(id, request=True)", |b| {
        b.iter(|| {
            let mut m = offline.multicall();
            let handles: Vec<_> = (1..=10_000).map(|id| m.get_task_info(id)).collect();
            (m, handles)
        })
    });
    g.finish();

    // The two decoding paths of a chunk, on the same bytes.
    let answer = getbuild_answer();
    let mut g = c.benchmark_group("multicall/decode 500 getBuild results");
    g.throughput(Throughput::Bytes(answer.len() as u64));
    g.bench_function("one pass into Option<Build>", |b| {
        b.iter(|| {
            let v: Vec<(Option<Build>,)> = koji_xmlrpc::decode_response(&answer).unwrap().unwrap();
            v
        })
    });
    g.bench_function("Value tree, then from_value per call", |b| {
        b.iter(|| {
            let v: Vec<Value> = koji_xmlrpc::decode_response(&answer).unwrap().unwrap();
            v.into_iter()
                .map(|e| match e {
                    Value::Array(mut one) => {
                        koji_xmlrpc::from_value::<Option<Build>>(one.pop().unwrap()).unwrap()
                    }
                    _ => unreachable!(),
                })
                .collect::<Vec<_>>()
        })
    });
    g.finish();

    // End to end on loopback, no added latency.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let hub = rt
        .block_on(
            koji_testhub::TestHub::builder()
                .generate(koji_testhub::GenerateOptions {
                    builds: 10_000,
                    tasks: 100,
                    ..Default::default()
                })
                .record_requests(false)
                .start(),
        )
        .unwrap();
    let koji = Connection::builder(hub.url()).no_proxy().build().unwrap();
    let mut g = c.benchmark_group("multicall/testhub");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(10_000));
    for concurrency in [1, 4] {
        g.bench_function(format!("10k getBuild, concurrency {concurrency}"), |b| {
            b.to_async(&rt).iter(|| async {
                let mut m = koji.multicall().concurrency(concurrency);
                let handles: Vec<_> = (1..=10_000).map(|id| m.get_build(id)).collect();
                m.send().await.unwrap();
                handles
                    .into_iter()
                    .map(|h| h.result().unwrap().unwrap())
                    .collect::<Vec<Build>>()
            })
        });
    }
    g.finish();
}

criterion_group!(multicall, benches);
criterion_main!(multicall);
