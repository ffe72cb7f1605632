//! The typed `list_builds().send()` against `call_stream::<Build>("listBuilds")`
//! collected by hand, on one large answer (BENCHMARKS.md, "koji-client:
//! list_builds"): koji-testhub in process serving `--generate 40000` (a 90 MB
//! answer), on a runtime of its own; the client on another.
//!
//! Run: `cargo bench -p koji-client --bench list_builds` (`KOJI_BENCH_BUILDS`
//! sets the number of builds).
#![allow(missing_docs, clippy::unwrap_used)]

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::StreamExt as _;
use koji_client::{Build, Connection};
use koji_testhub::{GenerateOptions, TestHub};

fn benches(c: &mut Criterion) {
    let builds: usize = std::env::var("KOJI_BENCH_BUILDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40_000);
    let hub_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let hub = hub_rt
        .block_on(
            TestHub::builder()
                .generate(GenerateOptions {
                    builds,
                    tasks: 100,
                    ..GenerateOptions::default()
                })
                .start(),
        )
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let koji = Connection::new(hub.url()).unwrap();

    let send = || async { koji.list_builds().send().await.unwrap() };
    let by_hand = || async {
        let mut stream = koji.call_stream::<Build>("listBuilds", ());
        let mut rows = Vec::new();
        while let Some(row) = stream.next().await {
            rows.push(row.unwrap());
        }
        rows
    };
    // The same rows both ways.
    let (a, b) = rt.block_on(async { (send().await, by_hand().await) });
    assert_eq!(a.len(), builds);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));

    let mut g = c.benchmark_group(format!("listBuilds, {builds} builds"));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Elements(builds as u64));
    g.bench_function("list_builds().send()", |bench| {
        bench
            .to_async(&rt)
            .iter_with_large_drop(|| async { send().await })
    });
    g.bench_function("call_stream::<Build> collected by hand", |bench| {
        bench
            .to_async(&rt)
            .iter_with_large_drop(|| async { by_hand().await })
    });
    g.finish();
    hub_rt.block_on(hub.shutdown());
}

criterion_group!(benches_group, benches);
criterion_main!(benches_group);
