//! `rkoji man`: the man page (roff) on stdout.

use clap::CommandFactory as _;

use crate::cli::Cli;
use crate::failure::Failure;

/// Prints the man page.
pub(crate) fn run() -> Result<(), Failure> {
    clap_mangen::Man::new(Cli::command())
        .render(&mut std::io::stdout())
        .map_err(Failure::io)
}
