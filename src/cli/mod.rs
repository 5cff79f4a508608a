//! Command-line interface: argument definitions and the subcommands that
//! work without a running daemon. Each subcommand returns an exit code or a
//! `miette::Report` that `main` prints.

pub mod check_config;
pub mod client;
pub mod daemon;
pub mod docs;
pub mod exit;
pub mod import_fail2ban;
pub mod list;
pub mod render;
pub mod test_filter;

use std::io::{self, Write};

use clap::{Parser, Subcommand};
use miette::IntoDiagnostic;

/// portcullis: bans authentication offenders in nftables sets over netlink.
#[derive(Debug, Parser)]
#[command(name = "portcullis", version, about, after_help = exit::EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a filter over a log file and report the failures it finds (fail2ban-regex's job).
    TestFilter(test_filter::Args),
    /// List the addresses banned in the kernel's sets, read over netlink (no daemon needed).
    List(list::Args),
    /// Validate the configuration file and the filters it uses, without starting anything.
    CheckConfig(check_config::Args),
    /// Print a portcullis configuration for a fail2ban installation's enabled jails.
    ImportFail2ban(import_fail2ban::Args),
    /// Run the server in the foreground (systemd Type=notify).
    Daemon(daemon::Args),
    /// Jails, counters and (for one jail) its banned addresses, from the daemon.
    Status(client::StatusArgs),
    /// Ban an address in a jail.
    Ban(client::BanArgs),
    /// Lift a ban (JAIL ADDR), or every ban ([JAIL] --all).
    Unban(client::UnbanArgs),
    /// Which jails ban an address; without one, every ban (--times: with start and end).
    Banned(client::BannedArgs),
    /// Re-read the configuration; an invalid one is rejected and the running one stays.
    Reload(client::ReloadArgs),
    /// Read a jail's setting: maxretry, findtime, bantime, ignore.
    Get(client::GetArgs),
    /// Change a jail's setting until the next reload.
    Set(client::SetArgs),
    /// Ask whether the daemon answers: prints pong, exits 0; 3 when none answers (health checks).
    Ping(client::PingArgs),
    /// Stop reading a jail's logs; its bans stay in the kernel and expire as before.
    Pause(client::JailArgs),
    /// Go on reading a paused jail's logs from where it stopped.
    Resume(client::JailArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions(docs::CompletionArgs),
    /// Print the man page, portcullis(1), in roff.
    Man,
}

/// Errors are printed by miette: wrapped to the terminal's width on a
/// terminal, unwrapped otherwise, so that logs and scripts see whole lines.
pub fn install_error_reporter() {
    use std::io::IsTerminal;
    let tty = std::io::stderr().is_terminal();
    let _ = miette::set_hook(Box::new(move |_| {
        let opts = miette::MietteHandlerOpts::new();
        let opts = if tty {
            opts
        } else {
            opts.width(usize::MAX / 4).color(false)
        };
        Box::new(opts.build())
    }));
}

/// Standard output was closed by its reader (`portcullis list | head -1`):
/// the end of the output, not a failure, as ripgrep treats it. `main`
/// exits 0 on it and prints nothing.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("standard output was closed by its reader")]
pub struct ClosedPipe;

/// Whether `report` is a [`ClosedPipe`], under any context added to it.
pub fn is_closed_pipe(report: &miette::Report) -> bool {
    report.downcast_ref::<ClosedPipe>().is_some()
}

/// The result of writing a subcommand's output: a closed pipe becomes
/// [`ClosedPipe`], any other error a report of its own.
pub trait OutputResult<T> {
    fn output(self) -> miette::Result<T>;
}

impl<T> OutputResult<T> for io::Result<T> {
    fn output(self) -> miette::Result<T> {
        match self {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(ClosedPipe.into()),
            other => other.into_diagnostic(),
        }
    }
}

/// Writes `bytes` to standard output and flushes them.
pub fn print_bytes(bytes: &[u8]) -> miette::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).output()
}

/// Writes one line to standard output.
pub fn print_line(text: &str) -> miette::Result<()> {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    print_bytes(line.as_bytes())
}
