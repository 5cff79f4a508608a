//! `portcullis completions SHELL` and `portcullis man`: shell completions
//! (clap_complete) and the man page (clap_mangen), generated from the same
//! argument definitions as the parser, printed on stdout.

use std::process::ExitCode;

use clap::CommandFactory;
use miette::IntoDiagnostic;

use super::Cli;

/// Arguments of `portcullis completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

pub fn completions(args: CompletionArgs) -> miette::Result<ExitCode> {
    let mut command = Cli::command();
    let mut text = Vec::new();
    clap_complete::generate(args.shell, &mut command, "portcullis", &mut text);
    super::print_bytes(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints portcullis(1) in roff.
pub fn man() -> miette::Result<ExitCode> {
    let mut text = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut text)
        .into_diagnostic()?;
    super::print_bytes(&text)?;
    Ok(ExitCode::SUCCESS)
}
