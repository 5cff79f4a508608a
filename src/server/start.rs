//! Start-up: the actors wired together, stored bans back in the kernel,
//! the nftables and host-address watcher threads, the control socket, the
//! metrics listener when configured (bound before the server reports
//! ready), signals (SIGTERM, SIGINT: stop; SIGHUP: reload).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::MailboxError;
use actix::prelude::*;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

use super::launch::Links;
use super::{DrainReaders, Reload, ServerActor, control, fail2ban};
use crate::actions::{ActionsActor, HandOver, Restore, Watched};
use crate::config::Config;
use crate::db::store::Store;
use crate::db::{ActiveBans, DbActor, Flush};
use crate::fleet::{ClusterActor, Persist};
use crate::hostaddr::{self, AddressWatch};
use crate::metrics::{Metrics, http};
use crate::nft::{Monitor, Nft};
use crate::notify::NotifyActor;
use crate::observer::actor::ObserverActor;
use crate::observer::hostwatch::{self, OwnAddresses};
use crate::observer::watch;

/// Why the daemon could not start; nothing listens yet.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not hand back the stored bans.
    #[error("cannot read the stored bans")]
    StoredBans(#[source] crate::db::store::DbError),
    /// The kernel refused the table with the stored bans.
    #[error("cannot restore the stored bans")]
    Restore(#[source] crate::nft::NftError),
    /// An actor stopped before start-up was done.
    #[error("internal error")]
    Gone(#[from] MailboxError),
    #[error("cannot start the {what}")]
    Thread {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen on control socket {}", .socket.display())]
    Control {
        socket: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen for metrics on {addr}")]
    Metrics {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot install signal handlers")]
    Signals(#[source] std::io::Error),
}

/// The actors every jail shares, started before the jails.
struct Core {
    db: Addr<DbActor>,
    notify: Addr<NotifyActor>,
    actions: Addr<ActionsActor>,
    metrics: Arc<Metrics>,
}

/// Runs inside the actix system; `nft` is attached to the configuration
/// (the restore builds the table); `process_start` is when the daemon began, for the
/// progress lines.
pub async fn start(
    config_path: PathBuf,
    config: Config,
    store: Arc<Store>,
    nft: Nft,
    process_start: Instant,
) -> Result<(), StartError> {
    let own_port = nft.port_id();
    let core = start_core(&config, store, nft);
    // Served before the restore, so that the metrics follow the kernel from
    // the first ban put back (and before systemd hears we are ready), on a
    // thread of its own, so that a scrape never waits behind a burst.
    if let Some(m) = &config.metrics {
        serve_metrics(bind_metrics(m.listen)?, core.metrics.clone());
    }
    restore(&core, process_start).await?;
    // After the restore: bans from the fleet go into the restored table.
    // On its own thread: a storm's publishing runs beside the bans it
    // publishes, not between them.
    let cluster = (config.cluster.clone()).map(|c| {
        let (actions, db, metrics) = (core.actions.clone(), core.db.clone(), core.metrics.clone());
        ClusterActor::start_in_arbiter(&Arbiter::new().handle(), move |_| {
            ClusterActor::new(c, actions, db, metrics)
        })
    });
    let cluster_addr = cluster.clone();
    let observer = start_observer(&config, &core, own_port)?;
    let listener = control::bind(&config.socket).map_err(|source| StartError::Control {
        socket: config.socket.clone(),
        source,
    })?;
    let (watch, own) = host_addresses();
    let links = Links {
        actions: core.actions.clone(),
        observer,
        db: core.db.clone(),
        notify: core.notify.clone().recipient(),
        metrics: core.metrics.clone(),
        cluster,
    };
    let fail2ban_socket = (config.fail2ban_socket.clone()).map(|p| (p, config.log_level.clone()));
    let server = ServerActor::new(config_path, config, links, own.addresses()).start();
    if let Some(watch) = watch {
        follow_addresses(watch, own, &server, &core.metrics)?;
    }
    control::serve(listener, server.clone());
    if let Some((path, log_level)) = fail2ban_socket {
        fail2ban::start(&path, server.clone(), &log_level, core.metrics.clone());
    }
    signals(server, core.actions, cluster_addr, core.db).map_err(StartError::Signals)?;
    Ok(())
}

/// The database, notification and actions actors.
fn start_core(config: &Config, store: Arc<Store>, nft: Nft) -> Core {
    let metrics = Arc::new(Metrics::default());
    let db = DbActor::start_on_own_thread(store);
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
    Core {
        db,
        notify,
        actions,
        metrics,
    }
}

/// The stored bans back in the kernel (the restore builds the table).
async fn restore(core: &Core, process_start: Instant) -> Result<(), StartError> {
    let started = Instant::now();
    let stored = (core.db.send(ActiveBans).await?).map_err(StartError::StoredBans)?;
    tracing::info!(
        "restoring {} ban(s) from the database (read in {} ms, {} ms after start)",
        stored.len(),
        started.elapsed().as_millis(),
        process_start.elapsed().as_millis()
    );
    let sending = Instant::now();
    let restored = (core.actions.send(Restore(stored)).await?).map_err(StartError::Restore)?;
    tracing::info!(
        "restored {restored} ban(s) into the kernel in {} ms, {} ms after start",
        sending.elapsed().as_millis(),
        process_start.elapsed().as_millis()
    );
    Ok(())
}

/// The observer, and the nftables watcher thread that reports tampering to
/// it. Subscribed only now: with a listener the kernel builds one
/// notification per restored element, which slowed a big restore.
fn start_observer(
    config: &Config,
    core: &Core,
    own_port: u32,
) -> Result<Addr<ObserverActor>, StartError> {
    let table = config.table.clone();
    let monitor = subscribe(&table, own_port);
    if let Some(membership) = monitor.as_ref().and_then(|m| m.membership().ok()) {
        core.actions.do_send(Watched(membership));
    }
    let observer = ObserverActor::new(
        core.db.clone(),
        core.actions.clone().recipient(),
        core.actions.clone().recipient(),
        table,
        config.purge_after,
    )
    .start();
    if let Some(monitor) = monitor {
        let recipient = observer.clone().recipient();
        let metrics = core.metrics.clone();
        std::thread::Builder::new()
            .name("nft-watch".into())
            .spawn(move || watch::watch(monitor, recipient, metrics))
            .map_err(|source| StartError::Thread {
                what: "nftables watcher",
                source,
            })?;
    }
    Ok(observer)
}

/// The address watcher thread, reporting to the server.
fn follow_addresses(
    watch: AddressWatch,
    own: OwnAddresses,
    server: &Addr<ServerActor>,
    metrics: &Arc<Metrics>,
) -> Result<(), StartError> {
    let (server, metrics) = (server.clone().recipient(), metrics.clone());
    std::thread::Builder::new()
        .name("addr-watch".into())
        .spawn(move || hostwatch::follow(watch, own, server, metrics))
        .map_err(|source| StartError::Thread {
            what: "address watcher",
            source,
        })?;
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
fn bind_metrics(addr: SocketAddr) -> Result<std::net::TcpListener, StartError> {
    let failed = |source| StartError::Metrics { addr, source };
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

/// How long a stop waits for the readers' batches to reach the kernel.
const DRAIN_WAIT: Duration = Duration::from_secs(2);

fn signals(
    server: Addr<ServerActor>,
    actions: Addr<ActionsActor>,
    cluster: Option<Addr<ClusterActor>>,
    db: Addr<DbActor>,
) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let stopping = server.clone();
    actix_rt::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: stopping"),
            _ = int.recv() => tracing::info!("SIGINT: stopping"),
        }
        // A clean stop loses nothing: the bans taken (and those in the
        // actions' mailbox) hand their records to the database without
        // waiting for the group commit, then the database commits them with
        // the read positions, before the system (and its arbiters) stops.
        // First the readers stop and hand over the positions their
        // batches on the way to the kernel held (at most DRAIN_WAIT: a
        // position not handed over only has its lines read again). The
        // fleet's outbox after the actions: decisions the last bans made.
        let drained = stopping.send(DrainReaders);
        let _ = tokio::time::timeout(DRAIN_WAIT, drained).await;
        let _ = actions.send(HandOver).await;
        if let Some(cluster) = cluster {
            let _ = cluster.send(Persist).await;
        }
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
