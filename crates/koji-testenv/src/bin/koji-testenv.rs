//! `koji-testenv`: koji-testenv's components as a program, for benchmarks
//! and manual testing (`bench/compare` uses it).
//!
//! ```text
//! koji-testenv delay-proxy --upstream 127.0.0.1:PORT [--delay-ms 20]
//! koji-testenv serve-files DIR [--delay-ms N]
//! koji-testenv make-rpms < SPECS.json > INFO.json
//! ```
//!
//! The serving subcommands print their URL on the first line of stdout and
//! serve until their standard input is closed (so a parent that dies takes
//! them, and Apache, along).

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use koji_testenv::apache::FileServer;
use koji_testenv::delay_proxy::DelayProxy;
use koji_testenv::rpmgen::{RpmSpec, write_rpm};
use serde_json::{Value, json};

/// koji-testenv's components as a program.
#[derive(Debug, Parser)]
#[command(name = "koji-testenv")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// An HTTP proxy on 127.0.0.1 adding a delay to every request.
    DelayProxy {
        /// Where requests go (an address of 127.0.0.1).
        #[arg(long)]
        upstream: SocketAddr,
        /// Milliseconds added to every request.
        #[arg(long, default_value_t = 20)]
        delay_ms: u64,
    },
    /// Apache serving DIR as static files on 127.0.0.1 (keep-alive, Range);
    /// with --delay-ms, behind a delay proxy (the URL printed is the
    /// proxy's; the second line is Apache's own).
    ServeFiles {
        /// The directory to serve.
        dir: PathBuf,
        /// Put a delay proxy adding this many milliseconds in front.
        #[arg(long)]
        delay_ms: Option<u64>,
    },
    /// Writes RPM files: reads a JSON array of
    /// {"path", "name", "version", "release", "arch", "epoch"?, "payload_size", "seed"?}
    /// from stdin, prints a JSON array of {"path", "size", "payloadhash"}.
    MakeRpms,
}

fn wait_for_stdin_eof() {
    let mut sink = [0u8; 256];
    let mut stdin = std::io::stdin();
    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
}

fn print_line(text: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

fn field<'a>(spec: &'a Value, i: usize, name: &str) -> Result<&'a Value, String> {
    spec.get(name)
        .ok_or_else(|| format!("make-rpms: spec [{i}] has no {name:?}"))
}

fn text(spec: &Value, i: usize, name: &str) -> Result<String, String> {
    field(spec, i, name)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("make-rpms: spec [{i}].{name} must be a string"))
}

fn make_rpms() -> Result<(), String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("make-rpms: reading stdin: {e}"))?;
    let specs: Value =
        serde_json::from_str(&input).map_err(|e| format!("make-rpms: stdin is not JSON: {e}"))?;
    let specs = specs
        .as_array()
        .ok_or("make-rpms: stdin must be a JSON array")?;
    let mut out = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let path = PathBuf::from(text(s, i, "path")?);
        let epoch = match s.get("epoch") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|e| u32::try_from(e).ok())
                    .ok_or_else(|| format!("make-rpms: spec [{i}].epoch must be a number"))?,
            ),
        };
        let spec = RpmSpec {
            name: text(s, i, "name")?,
            version: text(s, i, "version")?,
            release: text(s, i, "release")?,
            arch: text(s, i, "arch")?,
            epoch,
            payload_size: field(s, i, "payload_size")?
                .as_u64()
                .ok_or_else(|| format!("make-rpms: spec [{i}].payload_size must be a number"))?,
            seed: s.get("seed").and_then(Value::as_u64).unwrap_or(i as u64),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("make-rpms: creating {}: {e}", parent.display()))?;
        }
        let info = write_rpm(&path, &spec).map_err(|e| format!("make-rpms: {e}"))?;
        out.push(json!({
            "path": path.to_string_lossy(),
            "size": info.size,
            "payloadhash": info.payloadhash,
        }));
    }
    print_line(&Value::Array(out).to_string());
    Ok(())
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::DelayProxy { upstream, delay_ms } => {
            let proxy = DelayProxy::start(upstream, Duration::from_millis(delay_ms))
                .map_err(|e| format!("delay-proxy: {e}"))?;
            print_line(&proxy.url());
            wait_for_stdin_eof();
            Ok(())
        }
        Command::ServeFiles { dir, delay_ms } => {
            let dir = std::fs::canonicalize(&dir)
                .map_err(|e| format!("serve-files: {}: {e}", dir.display()))?;
            let state = tempfile::tempdir().map_err(|e| format!("serve-files: {e}"))?;
            let server =
                FileServer::start(state.path(), &dir).map_err(|e| format!("serve-files: {e}"))?;
            let proxy = match delay_ms {
                Some(ms) => Some(
                    DelayProxy::start(server.addr(), Duration::from_millis(ms))
                        .map_err(|e| format!("serve-files: {e}"))?,
                ),
                None => None,
            };
            match &proxy {
                Some(p) => print_line(&p.url()),
                None => print_line(&server.url()),
            }
            print_line(&server.url());
            wait_for_stdin_eof();
            drop(proxy);
            drop(server);
            Ok(())
        }
        Command::MakeRpms => make_rpms(),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("koji-testenv: {e}");
            ExitCode::FAILURE
        }
    }
}
