//! `portcullis daemon`: runs the server in the foreground (systemd
//! Type=notify: READY=1 once every stored ban is back in the kernel, the
//! control socket listens and the jails run).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use miette::{IntoDiagnostic, WrapErr};

use crate::config;
use crate::db::store::Store;
use crate::nft::Nft;

/// Arguments of `portcullis daemon`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration file.
    #[arg(long, default_value = config::DEFAULT_PATH)]
    pub config: PathBuf,
}

pub fn run(args: Args) -> miette::Result<ExitCode> {
    let process_start = std::time::Instant::now();
    let config = config::load_checked(&args.config)?;
    crate::logging::init(&config.log_level);
    // One daemon per configuration: a second one would rebuild the first
    // one's table under it before finding the socket taken.
    if std::os::unix::net::UnixStream::connect(&config.socket).is_ok() {
        miette::bail!(
            "another portcullis answers on {}: not starting a second daemon on its table and database",
            config.socket.display()
        );
    }
    let store = Store::open(&config.database).into_diagnostic()?;
    let mut nft = Nft::open().into_diagnostic()?;
    let nft_config = config.nft_config();
    nft_config
        .validate()
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot set up table inet {}", config.table))?;
    // The table itself is built by the restore, in one transaction with
    // every ban, these included.
    let now = crate::time::UnixMs::now();
    match crate::actions::adopt::adopt(&mut nft, &store, &nft_config, now) {
        Ok(0) => {}
        Ok(n) => tracing::info!("adopted {n} ban(s) the kernel held and the database lacked"),
        Err(e) => tracing::warn!("{}", crate::error_chain(&e)),
    }
    nft.attach(&nft_config);
    let socket = config.socket.clone();
    let system = actix::System::new();
    system
        .block_on(crate::server::start::start(
            args.config.clone(),
            config,
            Arc::new(store),
            nft,
            process_start,
        ))
        .map_err(|e| miette::miette!("{}", crate::error_chain(&e)))?;
    let result = system.run();
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    let _ = std::fs::remove_file(&socket);
    tracing::info!("stopped");
    result.into_diagnostic()?;
    Ok(ExitCode::SUCCESS)
}
