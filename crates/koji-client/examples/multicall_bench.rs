//! The multicall benchmark of BENCHMARKS.md ("koji-client: multicall"):
//! a koji-testhub with a generated data set and added latency, and a client
//! that fetches builds with one multicall. Run through
//! `scripts/bench-multicall`, which also runs the official Python client.
//!
//! ```text
//! multicall_bench serve [--builds N] [--latency-ms MS]
//!     serve a hub on 127.0.0.1 (prints its URL, runs until killed)
//! multicall_bench client URL [--calls N] [--max-calls N] [--concurrency N] [--runs N]
//!     getBuild(1..=N) as Option<Build> in one Multicall; prints one JSON line per run
//! ```
#![allow(missing_docs)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use koji_client::{Build, Connection};
use koji_testhub::{Action, FaultRule, GenerateOptions, TestHub};

fn flag(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a number")),
    }
}

async fn serve(args: &[String]) -> Result<(), String> {
    let builds = flag(args, "--builds", 10_000)?;
    let latency = flag(args, "--latency-ms", 20)?;
    let hub = TestHub::builder()
        .generate(GenerateOptions {
            builds,
            tasks: 100,
            ..GenerateOptions::default()
        })
        .record_requests(false)
        .fault(FaultRule::any(Action::Latency(Duration::from_millis(
            latency as u64,
        ))))
        .start()
        .await
        .map_err(|e| e.to_string())?;
    println!("{}", hub.url());
    // Runs until the script kills it.
    std::future::pending::<()>().await;
    Ok(())
}

async fn client(args: &[String]) -> Result<(), String> {
    let url = args.first().ok_or("client needs the hub URL")?;
    let calls = flag(args, "--calls", 10_000)?;
    let max_calls = flag(
        args,
        "--max-calls",
        koji_client::multicall::DEFAULT_MAX_CALLS,
    )?;
    let concurrency = flag(
        args,
        "--concurrency",
        koji_client::multicall::DEFAULT_CONCURRENCY,
    )?;
    let runs = flag(args, "--runs", 1)?;
    let koji = Connection::builder(url)
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    for _ in 0..runs {
        let started = Instant::now();
        let mut m = koji
            .multicall()
            .max_calls(max_calls)
            .concurrency(concurrency);
        let handles: Vec<_> = (1..=calls as i64).map(|id| m.get_build(id)).collect();
        let summary = m.send().await.map_err(|e| e.to_string())?;
        let builds: Vec<Build> = handles
            .into_iter()
            .map(|h| {
                h.result()
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| "missing build".to_owned())
            })
            .collect::<Result<_, _>>()?;
        let secs = started.elapsed().as_secs_f64();
        if builds.len() != calls || summary.failed_calls != 0 {
            return Err(format!("wrong result: {summary:?}"));
        }
        println!(
            "{{\"client\": \"koji-client\", \"calls\": {calls}, \"max_calls\": {max_calls}, \"concurrency\": {concurrency}, \"requests\": {}, \"seconds\": {secs:.4}}}",
            summary.chunks
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.first().map(String::as_str) {
        Some("serve") => rt.block_on(serve(&args[1..])),
        Some("client") => rt.block_on(client(&args[1..])),
        _ => Err("usage: multicall_bench serve|client … (see the source)".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("multicall_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
