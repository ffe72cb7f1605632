//! Client-side cost of koji-client's `Connection` against koji-testhub on
//! loopback, compared with a bare hyper POST of the same request bytes.
//!
//! Run: `cargo bench -p koji-client --bench connection`
//! (results and the targets are in BENCHMARKS.md, "koji-client: connection").
#![allow(missing_docs, clippy::unwrap_used)]

use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use koji_client::{Connection, Value};

/// Calls per task in the concurrent benchmarks.
const PER_TASK: usize = 8;
/// Tasks in flight at once.
const IN_FLIGHT: usize = 64;

type Bare = Client<HttpConnector, Full<Bytes>>;

/// POSTs `body` and reads the whole answer, as little work as a client can do.
async fn bare_post(client: &Bare, uri: &http::Uri, body: Bytes) -> Bytes {
    let req = http::Request::post(uri.clone())
        .header(http::header::CONTENT_TYPE, "text/xml")
        .header(http::header::USER_AGENT, "bench")
        .body(Full::new(body))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    assert!(resp.status().is_success());
    resp.into_body().collect().await.unwrap().to_bytes()
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Build {
    build_id: i64,
    nvr: String,
    state: i64,
    completion_ts: Option<f64>,
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let hub = rt
        .block_on(koji_testhub::TestHub::builder().start())
        .unwrap();
    let url = hub.url();
    let uri: http::Uri = url.parse().unwrap();
    let koji = Connection::builder(&url).no_proxy().build().unwrap();
    let bare: Bare = Client::builder(TokioExecutor::new()).build_http();
    let body = Bytes::from(koji_xmlrpc::encode_request_with("getBuild", &(3,)).unwrap());

    // Warm both pools and check both get the same answer.
    let answer = rt.block_on(bare_post(&bare, &uri, body.clone()));
    let value = rt.block_on(koji.call("getBuild", (3,))).unwrap();
    assert_eq!(value.get("build_id"), Some(&Value::Int(3)));
    assert!(answer.windows(8).any(|w| w == b"build_id"));

    let mut g = c.benchmark_group("connection/getBuild warm");
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("bare hyper POST", |b| {
        b.to_async(&rt)
            .iter(|| bare_post(&bare, &uri, body.clone()))
    });
    g.bench_function("Connection::call -> Value", |b| {
        b.to_async(&rt)
            .iter(|| async { koji.call("getBuild", (3,)).await.unwrap() })
    });
    g.bench_function("Connection::call_as -> struct", |b| {
        b.to_async(&rt)
            .iter(|| async { koji.call_as::<Build>("getBuild", (3,)).await.unwrap() })
    });
    g.finish();

    let mut g = c.benchmark_group("connection/getBuild 64 in flight");
    g.measurement_time(Duration::from_secs(10));
    g.sample_size(20);
    g.throughput(Throughput::Elements((IN_FLIGHT * PER_TASK) as u64));
    g.bench_function("bare hyper POST", |b| {
        b.to_async(&rt).iter(|| async {
            let tasks: Vec<_> = (0..IN_FLIGHT)
                .map(|_| {
                    let (bare, uri, body) = (bare.clone(), uri.clone(), body.clone());
                    tokio::spawn(async move {
                        for _ in 0..PER_TASK {
                            bare_post(&bare, &uri, body.clone()).await;
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
    });
    g.bench_function("Connection::call -> Value", |b| {
        b.to_async(&rt).iter(|| async {
            let tasks: Vec<_> = (0..IN_FLIGHT)
                .map(|_| {
                    let koji = koji.clone();
                    tokio::spawn(async move {
                        for _ in 0..PER_TASK {
                            koji.call("getBuild", (3,)).await.unwrap();
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
    });
    g.bench_function("Connection::call_as -> struct", |b| {
        b.to_async(&rt).iter(|| async {
            let tasks: Vec<_> = (0..IN_FLIGHT)
                .map(|_| {
                    let koji = koji.clone();
                    tokio::spawn(async move {
                        for _ in 0..PER_TASK {
                            koji.call_as::<Build>("getBuild", (3,)).await.unwrap();
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
    });
    g.finish();
    drop(hub);
}

criterion_group!(connection, benches);
criterion_main!(connection);
