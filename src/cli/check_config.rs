//! `portcullis check-config`: validates the configuration and the filters
//! of its enabled jails without starting anything. Exit status 0 when valid.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config;

/// Arguments of `portcullis check-config`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration file.
    #[arg(long, default_value = config::DEFAULT_PATH)]
    pub config: PathBuf,
}

pub fn run(args: Args) -> miette::Result<ExitCode> {
    let config = config::load_checked(&args.config)?;
    for warning in &config.warnings {
        eprintln!("warning: {warning}");
    }
    let enabled: Vec<&str> = config.enabled_jails().map(|j| j.name.as_str()).collect();
    super::print_line(&format!(
        "{}: valid; {} enabled jail(s): {}",
        args.config.display(),
        enabled.len(),
        enabled.join(", ")
    ))?;
    if let Some(c) = &config.cluster {
        let line = format!(
            "cluster: node {} in stream {} on {}",
            c.node,
            c.stream,
            c.servers.join(" ")
        );
        super::print_line(&line)?;
    }
    Ok(ExitCode::SUCCESS)
}
