//! Starting and stopping one jail's actors: its JailActor on the server's
//! arbiter, its ReaderActor (reading the sources) on an arbiter of its own,
//! linked to the actors every jail shares ([`Links`]).

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use actix::prelude::*;

use super::jails::Running;
use super::sources::{describe_sources, jail_input, journal_match_count};
use crate::actions::ActionsActor;
use crate::config::JailConfig;
use crate::db::DbActor;
use crate::fleet::ClusterActor;
use crate::jail::Jail;
use crate::jail::actor::JailActor;
use crate::metrics::Metrics;
use crate::notify::SetNotifications;
use crate::observer::actor::ObserverActor;
use crate::reader::{PositionStore, ReaderActor};

/// The actors the server starts jails against and sends requests to.
pub struct Links {
    pub actions: Addr<ActionsActor>,
    pub observer: Addr<ObserverActor>,
    pub db: Addr<DbActor>,
    pub notify: Recipient<SetNotifications>,
    pub metrics: Arc<Metrics>,
    /// With a `cluster` block: the fleet, told of the running jails.
    pub cluster: Option<Addr<ClusterActor>>,
}

/// How the server reaches a running jail.
#[derive(Debug)]
pub struct JailHandle {
    pub addr: Addr<JailActor>,
    /// The ReaderActor: [`crate::reader::Pause`] and
    /// [`crate::reader::Resume`] go there.
    pub reader: Addr<ReaderActor>,
    /// The ReaderActor's thread; stopping it stops the reading.
    arbiter: Arbiter,
}

/// Starts the actors of the jail `config`, its reading `paused` or not;
/// `None` (after logging why) when its filter cannot be loaded.
pub fn start_jail(
    config: &JailConfig,
    links: &Links,
    own: &Arc<HashSet<IpAddr>>,
    paused: bool,
) -> Option<Running<JailHandle>> {
    let input = jail_input(config)?;
    let jail = JailActor::new(
        Jail::new(config.clone(), own.clone()),
        links.observer.clone().recipient(),
        links.metrics.jail(&config.name),
    )
    .start();
    let arbiter = Arbiter::new();
    let sources = describe_sources(&input);
    let journal_matches = journal_match_count(&input.journals);
    let (name, failures, db) = (
        config.name.clone(),
        jail.clone().recipient(),
        links.db.clone(),
    );
    let metrics = links.metrics.clone();
    let reader = ReaderActor::start_in_arbiter(&arbiter.handle(), move |_| {
        let store = PositionStore {
            load_positions: db.clone().recipient(),
            save_positions: db.clone().recipient(),
            load_cursors: db.clone().recipient(),
            save_cursor: db.recipient(),
        };
        ReaderActor::new(name, input, failures, store, metrics).paused(paused)
    });
    tracing::info!(
        "jail {} started: filter {}, sources {}",
        config.name,
        config.filter,
        sources.join(", "),
    );
    Some(Running {
        config: config.clone(),
        sources,
        journal_matches,
        handle: JailHandle {
            addr: jail,
            reader,
            arbiter,
        },
    })
}

/// Stops a jail's reading; its JailActor stops with the last address.
pub fn stop_jail(jail: Running<JailHandle>) {
    jail.handle.arbiter.stop();
    tracing::info!("jail {} stopped", jail.config.name);
}
