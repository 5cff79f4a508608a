//! `portcullis test-filter`: fail2ban-regex's job.

use std::process::ExitCode;

/// Arguments of `portcullis test-filter`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A bundled filter name (sshd, nginx-http-auth, ...) or a path to a .kdl filter.
    pub filter: String,
    /// The log file to read.
    pub logfile: std::path::PathBuf,
}

pub fn run(_args: Args) -> miette::Result<ExitCode> {
    miette::bail!("portcullis test-filter: not implemented yet")
}
