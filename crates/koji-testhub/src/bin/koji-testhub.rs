//! `koji-testhub`: runs the test hub as a process, for demos, manual
//! testing and benchmarks against clients in other languages.
//!
//! ```text
//! koji-testhub [--bind 127.0.0.1:PORT] [--dataset DIR | --generate N] [--latency-ms N] …
//! ```
//!
//! Prints the hub URL on the first line of stdout and serves until
//! interrupted (Ctrl-C / SIGTERM).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use koji_testhub::{Action, FaultRule, GenerateOptions, TestHub};

/// A Koji-compatible hub for tests, demos and benchmarks.
#[derive(Debug, Parser)]
#[command(name = "koji-testhub", version)]
struct Cli {
    /// Address to listen on (loopback only unless --allow-non-loopback).
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
    /// Allow a non-loopback --bind address. The test hub trusts what it is
    /// configured to trust; never expose it to a network you do not control.
    #[arg(long)]
    allow_non_loopback: bool,
    /// Serve the data set in this directory (default: the real hub's data
    /// set from the shared fixtures).
    #[arg(long, conflicts_with = "generate")]
    dataset: Option<PathBuf>,
    /// Serve a generated data set with this many builds.
    #[arg(long)]
    generate: Option<usize>,
    /// Number of tasks of a generated data set (default: 5 per build).
    #[arg(long, requires = "generate")]
    tasks: Option<usize>,
    /// Seed of a generated data set.
    #[arg(long, default_value_t = 1, requires = "generate")]
    seed: u64,
    /// Add this much latency to every response.
    #[arg(long)]
    latency_ms: Option<u64>,
    /// Answer everything with the ServerOffline fault (1014).
    #[arg(long)]
    offline: bool,
    /// Log every sslLogin (on /kojihub/ssllogin) in as this user.
    #[arg(long)]
    trust_login_as: Option<String>,
    /// Let sslLogin requests name their user in the Koji-Testhub-Login-As header.
    #[arg(long)]
    login_header: bool,
    /// A password for login(user, password), as USER:PASSWORD (repeatable).
    #[arg(long, value_name = "USER:PASSWORD")]
    password: Vec<String>,
    /// Largest accepted request body in bytes (MaxRequestLength).
    #[arg(long, default_value_t = 4_194_304)]
    max_request_length: usize,
    /// Session lifetime in seconds before AuthExpired (0: never).
    #[arg(long, default_value_t = 1440 * 60)]
    session_lifetime: u64,
    /// Do not keep a list of the requests received (counters stay on).
    #[arg(long)]
    no_record: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut b = TestHub::builder()
        .bind(cli.bind)
        .allow_non_loopback(cli.allow_non_loopback)
        .max_request_length(cli.max_request_length)
        .session_lifetime(Duration::from_secs(cli.session_lifetime))
        .login_header(cli.login_header)
        .record_requests(!cli.no_record);
    if let Some(dir) = cli.dataset {
        b = b.dataset_dir(dir);
    }
    if let Some(n) = cli.generate {
        b = b.generate(GenerateOptions {
            builds: n,
            tasks: cli.tasks.unwrap_or(n.saturating_mul(5)),
            packages: 0,
            seed: cli.seed,
        });
    }
    if let Some(ms) = cli.latency_ms {
        b = b.fault(FaultRule::any(Action::Latency(Duration::from_millis(ms))));
    }
    if cli.offline {
        b = b.fault(FaultRule::any(Action::ServerOffline(None)));
    }
    if let Some(u) = &cli.trust_login_as {
        b = b.trust_login_as(u);
    }
    for p in &cli.password {
        let Some((user, pw)) = p.split_once(':') else {
            eprintln!("koji-testhub: --password expects USER:PASSWORD");
            return ExitCode::from(2);
        };
        b = b.password(user, pw);
    }
    let hub = match b.start().await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("koji-testhub: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", hub.url());
    wait_for_signal().await;
    eprintln!(
        "koji-testhub: {} requests, largest body {} bytes",
        hub.request_count(),
        hub.max_request_size()
    );
    hub.shutdown().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
