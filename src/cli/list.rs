//! `portcullis list`: reads the kernel's sets directly.

use std::process::ExitCode;

/// Arguments of `portcullis list`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this jail.
    pub jail: Option<String>,
    /// One JSON array of {"jail", "address", "timeout_ms", "expires_ms"}.
    #[arg(long)]
    pub json: bool,
    /// The nftables table (family inet) portcullis owns.
    #[arg(long, default_value = "portcullis")]
    pub table: String,
}

pub fn run(_args: Args) -> miette::Result<ExitCode> {
    miette::bail!("portcullis list: not implemented yet")
}
