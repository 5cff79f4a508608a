//! `portcullis import-fail2ban [DIR]`: prints a portcullis configuration
//! equivalent to a fail2ban installation's enabled jails on stdout; each
//! setting it cannot carry over is a comment at its jail and one line on
//! stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use miette::miette;

use crate::import::jail::{ImportOptions, import};
use crate::import::to_kdl::configuration;
use crate::import::values::Services;

/// Arguments of `portcullis import-fail2ban`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// fail2ban's configuration directory (jail.conf, jail.d, filter.d).
    #[arg(default_value = "/etc/fail2ban")]
    pub dir: PathBuf,
    /// Use portcullis's bundled filter where one has the fail2ban filter's name.
    #[arg(long)]
    pub prefer_bundled: bool,
}

pub fn run(args: Args) -> miette::Result<ExitCode> {
    let options = ImportOptions {
        dir: args.dir.clone(),
        prefer_bundled: args.prefer_bundled,
        services: Services::system(),
    };
    let mut warnings = Vec::new();
    let jails = import(&options, &mut warnings).map_err(|e| {
        miette!(
            "cannot import fail2ban's configuration from {}: {}",
            args.dir.display(),
            with_causes(&e)
        )
    })?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    for jail in &jails {
        for note in &jail.notes {
            eprintln!("jail {}: {}", note.jail, note.text);
        }
    }
    if jails.is_empty() {
        eprintln!("warning: no enabled jail in {}", args.dir.display());
    }
    print!("{}", configuration(&jails, &args.dir));
    Ok(ExitCode::SUCCESS)
}

/// The error and its causes, `: `-separated.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
