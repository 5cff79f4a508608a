//! The ServerActor: a shell around the [`JailSet`] (which jails run, and
//! what a new configuration changes), the actors' links and the host's
//! addresses. It starts jails at start-up and on reload, restarts those
//! whose `when-missing` file appeared, and runs the answers to control
//! requests ([`super::answer`]).

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix::prelude::*;

use super::answer::answer;
use super::jails::{JailSet, Plan, ReloadSummary, restart_only_changes};
use super::launch::{JailHandle, Links, start_jail, stop_jail};
use super::own::lift_own_bans;
use super::reply::{ControlError, ReloadError, Reply, authorize};
use super::sources::WHEN_MISSING_CHECK;
use super::{Control, Reload};
use crate::actions::Setup;
use crate::config::{self, Config, JailConfig};
use crate::fleet::Jails;
use crate::hostaddr::HostAddresses;
use crate::jail::SetOwnAddresses;
use crate::notify::SetNotifications;

pub struct ServerActor {
    config_path: PathBuf,
    config: Config,
    jails: JailSet<JailHandle>,
    links: Links,
    /// The host's addresses, kept current by the address watcher.
    own: Arc<HashSet<IpAddr>>,
}

impl ServerActor {
    pub fn new(
        config_path: PathBuf,
        config: Config,
        links: Links,
        own: HashSet<IpAddr>,
    ) -> ServerActor {
        ServerActor {
            config_path,
            config,
            jails: JailSet::default(),
            links,
            own: Arc::new(own),
        }
    }

    /// Starts, stops and restarts jails so that the running ones match `new`.
    fn apply(&mut self, new: Config) -> ReloadSummary {
        (self.links.notify).do_send(SetNotifications(new.notifications()));
        let plan = self.jails.plan(&new);
        let (links, own, paused) = (&self.links, &self.own, self.jails.paused());
        let start = |c: &JailConfig| start_jail(c, links, own, paused.contains(&c.name));
        let summary = (self.jails).carry_out(&plan, start, stop_jail);
        self.config = new;
        self.tell_fleet();
        summary
    }

    /// The fleet applies remote bans through the running jails.
    fn tell_fleet(&self) {
        if let Some(fleet) = &self.links.cluster {
            let jails = (self.jails.iter())
                .map(|j| (j.config.name.clone(), j.handle.addr.clone().recipient()))
                .collect();
            fleet.do_send(Jails(jails));
        }
    }

    /// Restarts each jail whose `when-missing` path has appeared since it
    /// started, so that it reads the file and leaves the journal.
    fn follow_when_missing(&mut self) {
        let exists = |p: &Path| p.symlink_metadata().is_ok();
        for appeared in self.jails.when_missing_appeared(exists) {
            let config = appeared.config;
            tracing::info!(
                "jail {}: {} appeared: restarting the jail to read it instead of the journal",
                config.name,
                appeared.paths.join(", ")
            );
            let plan = Plan::restart(config);
            let (links, own, paused) = (&self.links, &self.own, self.jails.paused());
            let start = |c: &JailConfig| start_jail(c, links, own, paused.contains(&c.name));
            (self.jails).carry_out(&plan, start, stop_jail);
            self.tell_fleet();
        }
    }

    fn lift_own_bans(&self, addrs: Vec<IpAddr>) {
        let actions = self.links.actions.clone().recipient();
        lift_own_bans(actions, self.jails.ignoreself(), addrs);
    }
}

impl Actor for ServerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let summary = self.apply(self.config.clone());
        ctx.run_interval(WHEN_MISSING_CHECK, |act, _| act.follow_when_missing());
        self.lift_own_bans(self.own.iter().copied().collect());
        // Stored bans are back and the socket listens (start.rs): ready.
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
        tracing::info!(
            "portcullis {} running: {summary}; control socket {}",
            env!("CARGO_PKG_VERSION"),
            self.config.socket.display()
        );
    }
}

impl Handler<Reload> for ServerActor {
    type Result = ResponseActFuture<Self, Result<ReloadSummary, ReloadError>>;

    fn handle(&mut self, _: Reload, _: &mut Context<Self>) -> Self::Result {
        let new = match config::load_checked(&self.config_path) {
            Ok(c) => c,
            Err(e) => {
                let problems = match &e {
                    config::ConfigError::Problems(p) => format!("{e}\n{}", p.render()),
                    other => crate::error_chain(other),
                };
                tracing::error!("reload rejected, the running configuration stays: {problems}");
                return Box::pin(fut::ready(Err(ReloadError::Rejected { problems })));
            }
        };
        let later = restart_only_changes(&self.config, &new);
        if !later.is_empty() {
            let later = later.join(", ");
            tracing::warn!("reload: {later} changes take effect at the next restart");
        }
        let mut nft = new.nft_config();
        nft.table = self.config.table.clone();
        let setup = self.links.actions.send(Setup(nft));
        Box::pin(setup.into_actor(self).map(|res, act, _| match res {
            Ok(Ok(())) => {
                let summary = act.apply(new);
                tracing::info!("configuration reloaded: {summary}");
                Ok(summary)
            }
            Ok(Err(source)) => Err(ReloadError::Rebuild {
                table: act.config.table.clone(),
                source: Box::new(source),
            }),
            Err(e) => Err(ReloadError::ActionsGone(e)),
        }))
    }
}

impl Handler<Control> for ServerActor {
    type Result = ResponseActFuture<Self, Result<Reply, ControlError>>;

    fn handle(&mut self, msg: Control, ctx: &mut Context<Self>) -> Self::Result {
        if let Err(refused) = authorize(&msg.request, msg.uid) {
            return Box::pin(fut::ready(Err(refused)));
        }
        let reply = answer(msg.request, &mut self.jails, &self.links, ctx.address());
        Box::pin(fut::wrap_future(reply))
    }
}

impl Handler<HostAddresses> for ServerActor {
    type Result = ();

    fn handle(&mut self, msg: HostAddresses, _: &mut Context<Self>) {
        self.own = msg.own;
        for jail in self.jails.iter() {
            (jail.handle.addr).do_send(SetOwnAddresses(self.own.clone()));
        }
        // Logged after the jails were told: failures read from now on
        // queue behind the new set.
        for a in &msg.added {
            tracing::debug!("host address {a} added: jails with ignoreself never ban it");
        }
        for a in &msg.removed {
            tracing::debug!("host address {a} removed: it may be banned again");
        }
        self.lift_own_bans(msg.added);
    }
}
