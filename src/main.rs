//! The `portcullis` binary: parse arguments, dispatch, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use portcullis::cli::{self, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::install_error_reporter();
    let result = match cli.command {
        Command::TestFilter(args) => cli::test_filter::run(args),
        Command::List(args) => cli::list::run(args),
        Command::CheckConfig(args) => cli::check_config::run(args),
        Command::ImportFail2ban(args) => cli::import_fail2ban::run(args),
        Command::Daemon(args) => cli::daemon::run(args),
        Command::Status(args) => cli::client::status(args),
        Command::Ban(args) => cli::client::ban(args),
        Command::Unban(args) => cli::client::unban(args),
        Command::Banned(args) => cli::client::banned(args),
        Command::Reload(args) => cli::client::reload(args),
        Command::Get(args) => cli::client::get(args),
        Command::Set(args) => cli::client::set(args),
        Command::Ping(args) => cli::client::ping(args),
        Command::Pause(args) => cli::client::pause(args),
        Command::Resume(args) => cli::client::resume(args),
        Command::Completions(args) => cli::docs::completions(args),
        Command::Man => cli::docs::man(),
    };
    match result {
        Ok(code) => code,
        Err(report) if cli::is_closed_pipe(&report) => ExitCode::SUCCESS,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::FAILURE
        }
    }
}
