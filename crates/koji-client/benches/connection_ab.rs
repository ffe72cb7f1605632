//! Interleaved A/B comparison of koji-client's `Connection` with a bare hyper
//! POST of the same bytes, against koji-testhub on loopback.
//!
//! On a busy machine absolute timings drift by tens of percent between
//! criterion's separate runs; here both sides run in alternating rounds
//! (A B B A …) and the median of the per-round ratios is reported, which
//! cancels most of that drift.
//!
//! Run: `cargo bench -p koji-client --bench connection_ab`
//! (numbers in BENCHMARKS.md, "koji-client: connection").
#![allow(missing_docs, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use koji_client::Connection;

type Bare = Client<HttpConnector, Full<Bytes>>;

const ROUNDS: usize = 21;
const SEQUENTIAL_CALLS: usize = 300;
const IN_FLIGHT: usize = 64;
const PER_TASK: usize = 8;

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Build {
    build_id: i64,
    nvr: String,
    state: i64,
    completion_ts: Option<f64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Bare,
    /// A bare POST whose answer is then decoded to a `Value` like `call` does.
    BareValue,
    Value,
    Typed,
}

#[derive(Clone)]
struct Setup {
    bare: Bare,
    uri: http::Uri,
    body: Bytes,
    koji: Connection,
}

impl Setup {
    async fn one(&self, side: Side) {
        match side {
            Side::Bare => {
                let req = http::Request::post(self.uri.clone())
                    .header(http::header::CONTENT_TYPE, "text/xml")
                    .header(http::header::USER_AGENT, "bench")
                    .body(Full::new(self.body.clone()))
                    .unwrap();
                let resp = self.bare.request(req).await.unwrap();
                assert!(resp.status().is_success());
                let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                std::hint::black_box(bytes);
            }
            Side::BareValue => {
                let req = http::Request::post(self.uri.clone())
                    .header(http::header::CONTENT_TYPE, "text/xml")
                    .header(http::header::USER_AGENT, "bench")
                    .body(Full::new(self.body.clone()))
                    .unwrap();
                let resp = self.bare.request(req).await.unwrap();
                assert!(resp.status().is_success());
                let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                let value = koji_xmlrpc::decode_response::<koji_client::Value>(&bytes).unwrap();
                std::hint::black_box(value.unwrap());
            }
            Side::Value => {
                std::hint::black_box(self.koji.call("getBuild", (3,)).await.unwrap());
            }
            Side::Typed => {
                std::hint::black_box(self.koji.call_as::<Build>("getBuild", (3,)).await.unwrap());
            }
        }
    }

    async fn sequential(&self, side: Side) -> Duration {
        let start = Instant::now();
        for _ in 0..SEQUENTIAL_CALLS {
            self.one(side).await;
        }
        start.elapsed()
    }

    async fn concurrent(&self, side: Side) -> Duration {
        let start = Instant::now();
        let tasks: Vec<_> = (0..IN_FLIGHT)
            .map(|_| {
                let setup = self.clone();
                tokio::spawn(async move {
                    for _ in 0..PER_TASK {
                        setup.one(side).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        start.elapsed()
    }
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.25), at(0.5), at(0.75))
}

fn main() {
    // `cargo test --benches` runs bench targets with --bench absent; only
    // measure when asked to benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let hub = rt
        .block_on(koji_testhub::TestHub::builder().start())
        .unwrap();
    let url = hub.url();
    let setup = Setup {
        bare: Client::builder(TokioExecutor::new()).build_http(),
        uri: url.parse().unwrap(),
        body: Bytes::from(koji_xmlrpc::encode_request_with("getBuild", &(3,)).unwrap()),
        koji: Connection::builder(&url).no_proxy().build().unwrap(),
    };
    // The codec's share of a call: encoding the request, decoding the answer.
    let answer = rt.block_on(async {
        let req = http::Request::post(setup.uri.clone())
            .body(Full::new(setup.body.clone()))
            .unwrap();
        let resp = setup.bare.request(req).await.unwrap();
        resp.into_body().collect().await.unwrap().to_bytes()
    });
    let n = 20_000;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(koji_xmlrpc::encode_request_with("getBuild", &(3,)).unwrap());
    }
    let encode_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    let start = Instant::now();
    for _ in 0..n {
        let v = koji_xmlrpc::decode_response::<koji_client::Value>(&answer).unwrap();
        std::hint::black_box(v.unwrap());
    }
    let value_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    let start = Instant::now();
    for _ in 0..n {
        let v = koji_xmlrpc::decode_response::<Build>(&answer).unwrap();
        std::hint::black_box(v.ok());
    }
    let typed_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!(
        "codec alone ({} byte answer): encode {encode_us:.1} µs, decode to Value {value_us:.1} µs, \
         decode to struct {typed_us:.1} µs",
        answer.len()
    );
    rt.block_on(async {
        // Warm up pools and caches.
        for side in [Side::Bare, Side::BareValue, Side::Value, Side::Typed] {
            setup.concurrent(side).await;
        }
        let pairs = [
            ("call -> Value", Side::Bare, Side::Value),
            ("call_as -> struct", Side::Bare, Side::Typed),
            ("call -> Value vs bare POST + the same Value decode", Side::BareValue, Side::Value),
        ];
        for (name, base, side) in pairs {
            let (mut seq, mut conc) = (Vec::new(), Vec::new());
            let (mut bare_us, mut ours_us) = (Vec::new(), Vec::new());
            for round in 0..ROUNDS {
                // A B B A: alternate who goes first.
                let (b, o) = if round % 2 == 0 {
                    let b = setup.sequential(base).await;
                    (b, setup.sequential(side).await)
                } else {
                    let o = setup.sequential(side).await;
                    (setup.sequential(base).await, o)
                };
                seq.push(o.as_secs_f64() / b.as_secs_f64());
                bare_us.push(b.as_secs_f64() * 1e6 / SEQUENTIAL_CALLS as f64);
                ours_us.push(o.as_secs_f64() * 1e6 / SEQUENTIAL_CALLS as f64);
                let (b, o) = if round % 2 == 0 {
                    let b = setup.concurrent(base).await;
                    (b, setup.concurrent(side).await)
                } else {
                    let o = setup.concurrent(side).await;
                    (setup.concurrent(base).await, o)
                };
                // throughput ratio = time ratio inverted
                conc.push(b.as_secs_f64() / o.as_secs_f64());
            }
            let (q1, m, q3) = median(seq);
            let (_, b_us, _) = median(bare_us);
            let (_, o_us, _) = median(ours_us);
            println!(
                "warm getBuild, one at a time: {name}: {o_us:.0} µs/call vs {b_us:.0} µs/call; \
                 time ratio median {m:.3} (IQR {q1:.3}–{q3:.3}; target ≤ 1.3)"
            );
            let (q1, m, q3) = median(conc);
            println!(
                "getBuild, {IN_FLIGHT} in flight: {name}: throughput ratio median {:.1}% of the baseline \
                 (IQR {:.1}–{:.1}%; target ≥ 80%)",
                m * 100.0,
                q1 * 100.0,
                q3 * 100.0
            );
        }
    });
    drop(hub);
}
