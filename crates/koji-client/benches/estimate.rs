//! The channel planner on large synthetic channels (the dashboard case):
//! `estimate_channel` over R running and Q queued `buildArch` tasks of 50
//! packages, on R/5 builders of capacity 8.
//!
//! Run: `cargo bench -p koji-client --bench estimate`
//!
//! Measured on the shared 2-core dev machine (median): 100+1000 tasks
//! 3.0 ms, 500+5000 23 ms, 1000+20000 87 ms (174 ms with mixed weights).
//! Before the planner stopped scanning a full queue, 1000+20000 took
//! about 2.4 s.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use koji_client::estimate::{ChannelSnapshot, EstimateInputs, estimate_channel};
use koji_client::{Host, Task};
use serde_json::json;

/// Inputs for one channel: `running` OPEN tasks, `queued` FREE ones, with
/// weights 1.5 or, when `mixed`, cycling through 0.2, 1.5 and 3.0.
fn inputs(running: usize, queued: usize, mixed: bool) -> EstimateInputs {
    let weight = |i: usize| if mixed { [0.2, 1.5, 3.0][i % 3] } else { 1.5 };
    let request = |i: usize| {
        json!([
            format!("tasks/1/1/pkg{}-1-1.src.rpm", i % 50),
            4,
            "x86_64",
            true,
            {}
        ])
    };
    let mut tasks: Vec<Task> = Vec::with_capacity(running + queued);
    for i in 0..running {
        let t = json!({"id": i, "method": "buildArch", "state": 1, "weight": weight(i),
                       "start_ts": 1000.0 + i as f64, "request": request(i)});
        tasks.push(serde_json::from_value(t).unwrap());
    }
    for j in 0..queued {
        let i = running + j;
        let t = json!({"id": i, "method": "buildArch", "state": 0, "weight": weight(i),
                       "priority": 20 + j % 3, "create_ts": 2000.0 + j as f64, "request": request(i)});
        tasks.push(serde_json::from_value(t).unwrap());
    }
    let hosts: Vec<Host> = (0..running / 5)
        .map(|h| {
            serde_json::from_value(json!({"id": h, "capacity": 8.0, "enabled": true})).unwrap()
        })
        .collect();
    let mut inputs = EstimateInputs::new(Timestamp::from_second(3000).unwrap());
    for p in 0..50 {
        inputs = inputs.with_average(format!("pkg{p}"), Some(SignedDuration::from_secs(600 + p)));
    }
    inputs.with_channel(ChannelSnapshot::new(1, tasks, hosts))
}

fn planner(c: &mut Criterion) {
    let mut group = c.benchmark_group("estimate_channel");
    group.sample_size(10);
    for (running, queued, mixed) in [
        (100, 1_000, false),
        (500, 5_000, false),
        (1_000, 20_000, false),
        (1_000, 20_000, true),
    ] {
        let inputs = inputs(running, queued, mixed);
        let name = format!("{running}+{queued}{}", if mixed { " mixed" } else { "" });
        group.throughput(Throughput::Elements((running + queued) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &inputs, |b, inputs| {
            b.iter(|| {
                let plan = estimate_channel(inputs, 1).unwrap();
                assert!(plan.tasks.iter().all(|t| t.completion.is_ok()));
                plan
            })
        });
    }
    group.finish();
}

criterion_group!(benches, planner);
criterion_main!(benches);
