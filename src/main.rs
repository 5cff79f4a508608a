//! The `portcullis` binary: parse arguments, dispatch, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use portcullis::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    portcullis::cli::install_error_reporter();
    let result = match cli.command {
        Command::TestFilter(args) => portcullis::cli::test_filter::run(args),
        Command::List(args) => portcullis::cli::list::run(args),
        Command::CheckConfig(args) => portcullis::cli::check_config::run(args),
    };
    match result {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::FAILURE
        }
    }
}
