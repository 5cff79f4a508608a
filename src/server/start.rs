//! Start-up: the actors wired together, stored bans back in the kernel,
//! the nftables and host-address watcher threads, the control socket, the
//! metrics listener when configured (bound before the server reports
//! ready), signals (SIGTERM, SIGINT: stop; SIGHUP: reload).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

use super::{Reload, ServerActor, control};
use crate::actions::{ActionsActor, Restore, Watched};
use crate::config::Config;
use crate::db::store::Store;
use crate::db::{ActiveBans, DbActor, Flush};
use crate::hostaddr::{self, AddressWatch};
use crate::metrics::{Metrics, http};
use crate::nft::{Monitor, Nft};
use crate::notify::NotifyActor;
use crate::observer::actor::ObserverActor;
use crate::observer::hostwatch::{self, OwnAddresses};
use crate::observer::watch;

/// Runs inside the actix system; `nft` is attached to the configuration
/// (the restore builds the table); `process_start` is when the daemon began, for the
/// progress lines.
pub async fn start(
    config_path: PathBuf,
    config: Config,
    store: Arc<Store>,
    nft: Nft,
    process_start: Instant,
) -> Result<(), String> {
    let started = Instant::now();
    let table = config.table.clone();
    let metrics = Arc::new(Metrics::default());
    // Served before the restore, so that the metrics follow the kernel
    // from the first ban put back (and before systemd hears we are ready),
    // on a thread of its own, so that a scrape never waits behind a burst.
    if let Some(m) = &config.metrics {
        serve_metrics(bind_metrics(m.listen)?, metrics.clone());
    }
    let own_port = nft.port_id();
    let db = SyncArbiter::start(1, move || DbActor::new(store.clone()));
    // Its own thread: spawning and reaping never takes time from a ban.
    let notifications = config.notifications();
    let notify = NotifyActor::start_in_arbiter(&Arbiter::new().handle(), move |_| {
        NotifyActor::new(notifications)
    });
    let actions = ActionsActor::new(
        nft,
        config.nft_config(),
        db.clone().recipient(),
        db.clone().recipient(),
        notify.clone().recipient(),
        metrics.clone(),
    )
    .start();
    let stored = db.send(ActiveBans).await.map_err(|e| e.to_string())??;
    tracing::info!(
        "restoring {} ban(s) from the database (read in {} ms, {} ms after start)",
        stored.len(),
        started.elapsed().as_millis(),
        process_start.elapsed().as_millis()
    );
    let sending = Instant::now();
    let restored = actions
        .send(Restore(stored))
        .await
        .map_err(|e| e.to_string())??;
    tracing::info!(
        "restored {restored} ban(s) into the kernel in {} ms, {} ms after start",
        sending.elapsed().as_millis(),
        process_start.elapsed().as_millis()
    );
    // Subscribed only now: with a listener the kernel builds one
    // notification per restored element, which slowed a big restore.
    let monitor = subscribe(&table, own_port);
    if let Some(membership) = monitor.as_ref().and_then(|m| m.membership().ok()) {
        actions.do_send(Watched(membership));
    }
    let observer = ObserverActor::new(
        db.clone(),
        actions.clone().recipient(),
        actions.clone().recipient(),
        table,
        config.purge_after,
    )
    .start();
    if let Some(monitor) = monitor {
        let observer = observer.clone().recipient();
        let metrics_for_watch = metrics.clone();
        std::thread::Builder::new()
            .name("nft-watch".into())
            .spawn(move || watch::watch(monitor, observer, metrics_for_watch))
            .map_err(|e| format!("cannot start the nftables watcher: {e}"))?;
    }
    let listener = control::bind(&config.socket).map_err(|e| {
        format!(
            "cannot listen on control socket {}: {e}",
            config.socket.display()
        )
    })?;
    let (watch, own) = host_addresses();
    let server = ServerActor::new(
        config_path,
        config,
        actions,
        observer,
        db.clone(),
        notify.recipient(),
        own.addresses(),
    )
    .with_metrics(metrics.clone())
    .start();
    if let Some(watch) = watch {
        let server = server.clone().recipient();
        let metrics_for_watch = metrics.clone();
        std::thread::Builder::new()
            .name("addr-watch".into())
            .spawn(move || hostwatch::follow(watch, own, server, metrics_for_watch))
            .map_err(|e| format!("cannot start the address watcher: {e}"))?;
    }
    control::serve(listener, server.clone());
    signals(server, db).map_err(|e| format!("cannot install signal handlers: {e}"))?;
    Ok(())
}

/// The subscription to our table's notifications, our socket's own
/// transactions marked; `None` (no self-healing) if it fails.
fn subscribe(table: &str, own_port: u32) -> Option<Monitor> {
    match Monitor::subscribe(table) {
        Ok(mut monitor) => {
            monitor.add_own_port(own_port);
            Some(monitor)
        }
        Err(e) => {
            tracing::error!(
                "no self-healing of table inet {table}: {}",
                crate::error_chain(&e)
            );
            None
        }
    }
}

/// The subscription to address changes (`None`: the set stays as read
/// now) and the host's addresses, read right after subscribing.
fn host_addresses() -> (Option<AddressWatch>, OwnAddresses) {
    let watch = AddressWatch::subscribe()
        .inspect_err(|e| {
            tracing::error!(
                "cannot follow this host's address changes over rtnetlink: {e}; the addresses read now stay the ones never banned"
            )
        })
        .ok();
    let own = hostaddr::dump().unwrap_or_else(|e| {
        tracing::warn!(
            "cannot read this host's addresses over rtnetlink: {e}; only loopback is never banned"
        );
        Default::default()
    });
    (watch, OwnAddresses::new(own))
}

/// The metrics listener, its address logged (port 0 picks one).
fn bind_metrics(addr: SocketAddr) -> Result<std::net::TcpListener, String> {
    let failed = |e: std::io::Error| format!("cannot listen for metrics on {addr}: {e}");
    let listener = std::net::TcpListener::bind(addr).map_err(failed)?;
    listener.set_nonblocking(true).map_err(failed)?;
    let bound = listener.local_addr().unwrap_or(addr);
    tracing::info!("metrics on http://{bound}/metrics");
    Ok(listener)
}

/// Answers scrapes on an arbiter (thread) of its own.
fn serve_metrics(listener: std::net::TcpListener, metrics: Arc<Metrics>) {
    Arbiter::new().spawn(async move {
        match TcpListener::from_std(listener) {
            Ok(listener) => http::serve(listener, metrics),
            Err(e) => tracing::error!("cannot serve metrics: {e}"),
        }
    });
}

fn signals(server: Addr<ServerActor>, db: Addr<DbActor>) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    actix_rt::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: stopping"),
            _ = int.recv() => tracing::info!("SIGINT: stopping"),
        }
        // Log positions and records queued so far reach the database first.
        let _ = db.send(Flush).await;
        System::current().stop();
    });
    actix_rt::spawn(async move {
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the configuration");
            let _ = server.send(Reload).await;
        }
    });
    Ok(())
}
