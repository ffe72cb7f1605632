//! rkoji: the command-line tool for Koji.
//!
//! See `rkoji --help`, or README.md for the JSON output format.

mod cli;
mod commands;
mod failure;
mod format;
mod interrupt;
mod output;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::failure::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(&Failure::io(e)),
    };
    let argv0 = std::env::args_os().next();
    match runtime.block_on(commands::run(cli, argv0)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure),
    }
}

/// Prints a failure on stderr and turns it into the documented exit code.
fn report(failure: &Failure) -> ExitCode {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "rkoji: {}", failure.message);
    if let Some(hint) = &failure.hint {
        let _ = writeln!(err, "{hint}");
    }
    ExitCode::from(failure.code)
}

/// `-v` turns on the library's tracing output on stderr; nothing otherwise
/// (warnings excepted, such as disabled TLS verification).
fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RKOJI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(verbose > 1)
        .try_init();
}
