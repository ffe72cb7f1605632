//! `koji-testhub`: runs the test hub as a process, for demos, manual
//! testing and benchmarks against clients in other languages.
//!
//! ```text
//! koji-testhub [--bind 127.0.0.1:PORT] [--dataset DIR | --generate N] [--latency-ms N] …
//! koji-testhub [HUB OPTIONS] run [--rkoji PATH] RKOJI-ARGS…
//! ```
//!
//! Without a subcommand it prints the hub URL on the first line of stdout
//! and serves until interrupted (Ctrl-C / SIGTERM). With no `--dataset` or
//! `--generate` it serves the real hub's data set built into the binary.
//!
//! `run` starts the hub, writes a temporary Koji configuration with a
//! `testhub` profile pointing at it, runs `rkoji -c CONF -p testhub
//! RKOJI-ARGS…`, stops the hub and exits with rkoji's status:
//! `koji-testhub run builds hello --limit 5`.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use koji_testhub::{Action, FaultRule, GenerateOptions, RunningHub, TestHub};

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
    /// set built into this program).
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
    /// The simulated builder's pace: advance running task trees one step
    /// every N milliseconds (0: never, tasks stay as submitted).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    builder_step_ms: u64,
    /// Builds of this package fail in the simulated builder (repeatable).
    #[arg(long, value_name = "NAME")]
    fail_package: Vec<String>,
    /// Builds for this target fail in the simulated builder (repeatable).
    #[arg(long, value_name = "NAME")]
    fail_target: Vec<String>,
    /// Publish task/build/tag messages to this AMQP 1.0 broker
    /// (amqp://USER:PASSWORD@HOST:PORT), as koji's protonmsg plugin does.
    #[arg(long, value_name = "URL")]
    broker: Option<String>,
    /// Address prefix of published messages (protonmsg's topic_prefix).
    #[arg(long, value_name = "PREFIX", default_value = "/topic/koji")]
    topic_prefix: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one rkoji command against this hub, then stop it.
    ///
    /// Writes a temporary Koji configuration with a `testhub` profile for
    /// the hub and runs `rkoji -c CONF -p testhub ARGS…`; exits with
    /// rkoji's status. Example: `koji-testhub run builds hello --limit 5`.
    Run(RunArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The rkoji program (default: the one beside koji-testhub, else the
    /// first on PATH).
    #[arg(long, value_name = "PATH")]
    rkoji: Option<PathBuf>,
    /// The rkoji command and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "RKOJI-ARGS"
    )]
    args: Vec<OsString>,
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
        .record_requests(!cli.no_record)
        .builder_step(Duration::from_millis(cli.builder_step_ms))
        .topic_prefix(&cli.topic_prefix);
    for p in &cli.fail_package {
        b = b.fail_package(p);
    }
    for t in &cli.fail_target {
        b = b.fail_target(t);
    }
    if let Some(url) = &cli.broker {
        b = b.broker(url);
    }
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
    if let Some(Command::Run(run)) = cli.command {
        let status = run_rkoji(&hub, run).await;
        hub.shutdown().await;
        return status;
    }
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

/// `koji-testhub run`: rkoji against the running hub, its exit status
/// passed through.
async fn run_rkoji(hub: &RunningHub, run: RunArgs) -> ExitCode {
    let rkoji = match run.rkoji.map_or_else(find_rkoji, Ok) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("koji-testhub: {e}");
            return ExitCode::from(127);
        }
    };
    let dir = match tempfile::Builder::new()
        .prefix("koji-testhub-run")
        .tempdir()
    {
        Ok(d) => d,
        Err(e) => {
            eprintln!("koji-testhub: cannot create a temporary directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let conf = dir.path().join("koji.conf");
    if let Err(e) = std::fs::write(&conf, profile(&hub.url())) {
        eprintln!("koji-testhub: cannot write {}: {e}", conf.display());
        return ExitCode::FAILURE;
    }
    // Ctrl-C reaches rkoji too; this process waits for it to end and then
    // cleans up instead of dying first.
    tokio::spawn(async { while tokio::signal::ctrl_c().await.is_ok() {} });
    let status = tokio::process::Command::new(&rkoji)
        .arg("-c")
        .arg(&conf)
        .args(["-p", "testhub"])
        .args(&run.args)
        .status()
        .await;
    match status {
        Ok(s) => exit_code(s),
        Err(e) => {
            eprintln!("koji-testhub: cannot run {}: {e}", rkoji.display());
            ExitCode::from(126)
        }
    }
}

/// The configuration file with the `testhub` profile for the hub at `url`
/// (`http://127.0.0.1:PORT/kojihub`).
fn profile(url: &str) -> String {
    let web = format!("{}/koji", url.trim_end_matches("/kojihub"));
    format!("[testhub]\nserver = {url}\nweburl = {web}\nauthtype = noauth\n")
}

/// rkoji beside this program (as `cargo install` and `cargo build` put
/// them), else the first on PATH.
fn find_rkoji() -> Result<PathBuf, String> {
    let name = format!("rkoji{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(&name)));
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join(&name)).collect())
        .unwrap_or_default();
    beside
        .into_iter()
        .chain(on_path)
        .find(|p| is_program(p))
        .ok_or_else(|| {
            "rkoji not found beside koji-testhub or on PATH: install it with \
             `cargo install --path crates/rkoji` from a clone of koji-client, or pass --rkoji PATH"
                .to_owned()
        })
}

fn is_program(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// rkoji's exit status as ours; killed by a signal: 128 + its number, as
/// a shell reports it.
fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return ExitCode::from(u8::try_from(128 + sig).unwrap_or(1));
        }
    }
    ExitCode::FAILURE
}
