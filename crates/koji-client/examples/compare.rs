//! koji-client's side of `bench/compare` (BENCHMARKS.md, "Side by side with
//! the Python peers"): each workload as a user of the library would write
//! it, against a hub URL. Prints one JSON line with the time the workload
//! took inside the process (start-up excluded) and what it got.
//!
//! ```text
//! compare decode URL            listBuilds() → Vec<Build> (whole answer in memory)
//! compare stream URL            listBuilds() streamed: one Build at a time
//! compare sequential URL N      getBuild(1..=N), one call after another
//! compare many URL N            getBuild(1..=N) in one Multicall (default chunking)
//! compare dashboard URL CHANNEL estimate_channel_tasks: every active task of a channel
//! compare login URL USER PASSWORD N
//!                               password login, then N getLoggedInUser calls
//! compare upload URL USER PASSWORD FILE BLOCKSIZE
//!                               password login, then fastUpload of FILE in
//!                               BLOCKSIZE chunks (one at a time: the hub
//!                               refuses overlapping chunks of one file)
//! ```
#![allow(missing_docs)]

use std::process::ExitCode;
use std::time::Instant;

use futures_util::StreamExt;
use koji_client::estimate::{EstimateConfig, estimate_channel_tasks};
use koji_client::{Build, Connection};

type Res<T> = Result<T, String>;

fn arg<'a>(args: &'a [String], i: usize, what: &str) -> Res<&'a str> {
    args.get(i)
        .map(String::as_str)
        .ok_or_else(|| format!("missing {what}"))
}

fn num(args: &[String], i: usize, what: &str) -> Res<i64> {
    arg(args, i, what)?
        .parse()
        .map_err(|e| format!("{what}: {e}"))
}

fn connect(url: &str) -> Res<Connection> {
    Connection::builder(url)
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())
}

fn report(workload: &str, started: Instant, items: usize, extra: &str) {
    println!(
        "{{\"client\": \"koji-client\", \"workload\": \"{workload}\", \"seconds\": {:.6}, \"items\": {items}{extra}}}",
        started.elapsed().as_secs_f64()
    );
}

/// Workload 1: the whole `listBuilds` answer as typed rows.
async fn decode(args: &[String]) -> Res<()> {
    let koji = connect(arg(args, 0, "URL")?)?;
    let started = Instant::now();
    let builds = koji.list_builds().send().await.map_err(|e| e.to_string())?;
    report("decode", started, builds.len(), "");
    Ok(())
}

/// Workload 1, streaming: the same rows, one at a time, each dropped once
/// looked at (here: the NVRs' total length, so the rows are really read).
async fn stream(args: &[String]) -> Res<()> {
    let koji = connect(arg(args, 0, "URL")?)?;
    let started = Instant::now();
    let mut rows = koji.call_stream::<Build>("listBuilds", ());
    let (mut n, mut nvr_bytes) = (0usize, 0usize);
    while let Some(build) = rows.next().await {
        let build = build.map_err(|e| e.to_string())?;
        nvr_bytes += build.nvr.as_deref().map_or(0, str::len);
        n += 1;
    }
    report(
        "stream",
        started,
        n,
        &format!(", \"nvr_bytes\": {nvr_bytes}"),
    );
    Ok(())
}

/// Workload 2: small anonymous calls, one after another.
async fn sequential(args: &[String]) -> Res<()> {
    let koji = connect(arg(args, 0, "URL")?)?;
    let n = num(args, 1, "N")?;
    let started = Instant::now();
    let mut found = 0;
    for id in 1..=n {
        if koji
            .get_build(id)
            .await
            .map_err(|e| e.to_string())?
            .is_some()
        {
            found += 1;
        }
    }
    report("sequential", started, found, "");
    Ok(())
}

/// Workload 3: as many `getBuild` calls as fast as possible (multicall).
async fn many(args: &[String]) -> Res<()> {
    let koji = connect(arg(args, 0, "URL")?)?;
    let n = num(args, 1, "N")?;
    let started = Instant::now();
    let mut m = koji.multicall();
    let handles: Vec<_> = (1..=n).map(|id| m.get_build(id)).collect();
    let summary = m.send().await.map_err(|e| e.to_string())?;
    let mut found = 0;
    for h in handles {
        if h.result().map_err(|e| e.to_string())?.is_some() {
            found += 1;
        }
    }
    report(
        "many",
        started,
        found,
        &format!(", \"requests\": {}", summary.chunks),
    );
    Ok(())
}

/// Workload 4: completion estimates for every active task of a channel.
async fn dashboard(args: &[String]) -> Res<()> {
    let koji = connect(arg(args, 0, "URL")?)?;
    let channel = num(args, 1, "CHANNEL")?;
    let started = Instant::now();
    let plan = estimate_channel_tasks(
        &koji,
        channel,
        jiff::Timestamp::now(),
        EstimateConfig::default(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let estimated = plan.tasks.iter().filter(|t| t.completion.is_ok()).count();
    report(
        "dashboard",
        started,
        plan.tasks.len(),
        &format!(", \"estimated\": {estimated}"),
    );
    Ok(())
}

/// Workload 5: authenticated calls over a password session.
async fn login(args: &[String]) -> Res<()> {
    let koji = connect(arg(args, 0, "URL")?)?;
    let user = arg(args, 1, "USER")?;
    let password = arg(args, 2, "PASSWORD")?;
    let n = num(args, 3, "N")?;
    let started = Instant::now();
    koji.login_password(user, password)
        .await
        .map_err(|e| e.to_string())?;
    let mut ok = 0;
    for _ in 0..n {
        let me = koji.whoami().await.map_err(|e| e.to_string())?;
        if me.name.as_deref() == Some(user) {
            ok += 1;
        }
    }
    koji.logout().await.map_err(|e| e.to_string())?;
    report("login", started, ok, "");
    Ok(())
}

async fn upload(args: &[String]) -> Res<()> {
    let koji = connect(arg(args, 0, "URL")?)?;
    let user = arg(args, 1, "USER")?;
    let password = arg(args, 2, "PASSWORD")?;
    let file = arg(args, 3, "FILE")?;
    let blocksize = usize::try_from(num(args, 4, "BLOCKSIZE")?).map_err(|e| e.to_string())?;
    let started = Instant::now();
    koji.login_password(user, password)
        .await
        .map_err(|e| e.to_string())?;
    let dir = koji_client::upload::unique_path("bench-upload");
    let done = koji
        .upload(file, dir)
        .blocksize(blocksize)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    report(
        "upload",
        started,
        usize::try_from(done.size).unwrap_or(0),
        "",
    );
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
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("decode") => rt.block_on(decode(rest)),
        Some("stream") => rt.block_on(stream(rest)),
        Some("sequential") => rt.block_on(sequential(rest)),
        Some("many") => rt.block_on(many(rest)),
        Some("dashboard") => rt.block_on(dashboard(rest)),
        Some("login") => rt.block_on(login(rest)),
        Some("upload") => rt.block_on(upload(rest)),
        _ => Err(
            "usage: compare decode|stream|sequential|many|dashboard|login … (see the source)"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}
