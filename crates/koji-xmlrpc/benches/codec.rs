//! Decoding and encoding speed on realistic Koji traffic. See BENCHMARKS.md.
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use koji_xmlrpc::{Value, decode_response};
use support::Build;

const BUILDS: usize = 5000;

/// CPU time of the benchmarking thread instead of wall time: the benchmark machines are
/// shared, and CPU time is far less disturbed by other processes than wall time.
struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = cpu_time::ThreadTime;
    type Value = std::time::Duration;
    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }
    fn end(&self, i: Self::Intermediate) -> Self::Value {
        i.elapsed()
    }
    fn add(&self, a: &Self::Value, b: &Self::Value) -> Self::Value {
        *a + *b
    }
    fn zero(&self) -> Self::Value {
        std::time::Duration::ZERO
    }
    fn to_f64(&self, v: &Self::Value) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        // Same unit (nanoseconds) as wall time, so the same formatting.
        WallTime.formatter()
    }
}

fn decode(c: &mut Criterion<ThreadCpuTime>) {
    let doc = support::list_builds_response(BUILDS);
    std::fs::write(support::data_dir().join("listbuilds-5000.xml"), &doc).unwrap();
    let mut g = c.benchmark_group("listBuilds-5000");
    g.throughput(Throughput::Bytes(doc.len() as u64));
    g.sample_size(20);
    g.bench_function("quick-xml bare event loop", |b| {
        b.iter(|| support::bare_quick_xml(&doc))
    });
    g.bench_function("typed Vec<Build>", |b| {
        b.iter_with_large_drop(|| decode_response::<Vec<Build>>(&doc).unwrap().unwrap())
    });
    g.bench_function("typed Vec<BuildRef> (borrowed strings)", |b| {
        b.iter_with_large_drop(|| {
            decode_response::<Vec<support::BuildRef<'_>>>(&doc)
                .unwrap()
                .unwrap()
        })
    });
    g.bench_function("validate only (IgnoredAny)", |b| {
        b.iter(|| {
            decode_response::<serde::de::IgnoredAny>(&doc)
                .unwrap()
                .unwrap()
        })
    });
    g.bench_function("Value", |b| {
        b.iter_with_large_drop(|| decode_response::<Value>(&doc).unwrap().unwrap())
    });
    g.bench_function("streaming Build (64 KiB chunks)", |b| {
        b.iter(|| support::stream_builds(&doc))
    });
    g.bench_function("reference decoder (quick-xml, Value)", |b| {
        b.iter_with_large_drop(|| {
            koji_xmlrpc::reference::decode_response(&doc, &Default::default())
                .unwrap()
                .unwrap()
        })
    });
    g.finish();
}

fn encode(c: &mut Criterion<ThreadCpuTime>) {
    let calls = support::multicall_calls(10_000);
    let body = support::encode_multicall(&calls);
    std::fs::write(support::data_dir().join("multicall-10000.xml"), &body).unwrap();
    let mut g = c.benchmark_group("multicall-10000");
    g.throughput(Throughput::Elements(calls.len() as u64));
    g.bench_function(BenchmarkId::new("MulticallWriter", calls.len()), |b| {
        b.iter(|| support::encode_multicall(&calls).len())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = decode, encode
}
criterion_main!(benches);
