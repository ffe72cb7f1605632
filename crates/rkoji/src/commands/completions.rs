//! `rkoji completions SHELL`: shell completions on stdout.

use clap::CommandFactory as _;

use crate::cli::Cli;
use crate::failure::Failure;

/// Prints the completions for `shell`.
pub(crate) fn run(shell: clap_complete::Shell) -> Result<(), Failure> {
    clap_complete::generate(shell, &mut Cli::command(), "rkoji", &mut std::io::stdout());
    Ok(())
}
