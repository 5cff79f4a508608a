//! The ActionsActor: a shell around [`Nft`] and the [`Ledger`].

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

mod rebuild;

use super::counting::ActionCounters;
use super::ledger::Ledger;
use super::quiet::Quiet;
use super::{BanTicket, Flush, GROUP_COMMIT, ListBans, Repair, Restore, Setup, Unban, Watched};

use crate::db::store::{BanRecord, StoredBan};
use crate::db::{RecordBans, RemoveBans};
use crate::error_chain;
use crate::metrics::Metrics;
use crate::nft::{self, Nft, NftConfig, NftError};
use crate::notify::{Event, Notify};

/// Milliseconds since the epoch: the ledger's clock.
fn now_ms() -> u64 {
    crate::time::UnixMs::now().as_millis()
}

/// Logs a ban or unban in the stable format the recidive filter matches.
fn notice(jail: &str, verb: &str, addr: impl std::fmt::Display) {
    tracing::info!(target: crate::logging::NOTICE_TARGET, "NOTICE [{jail}] {verb} {addr}");
}

pub struct ActionsActor {
    nft: Nft,
    config: NftConfig,
    ledger: Ledger,
    pending: Vec<BanTicket>,
    flush_scheduled: bool,
    record: Recipient<RecordBans>,
    remove: Recipient<RemoveBans>,
    notify: Recipient<Notify>,
    counters: ActionCounters,
    quiet: Quiet,
    /// Another process may have changed the ruleset during one of our
    /// quiet transactions: check the table once the batch is recorded.
    unsure: bool,
    /// The ruleset's generation after our last rebuild, when known: a
    /// repair of damage committed before it is done.
    rebuilt: Option<u32>,
    /// Ban records waiting for the next group commit.
    unrecorded: Vec<StoredBan>,
}

impl ActionsActor {
    /// `nft` must already be set up with `config`.
    pub fn new(
        nft: Nft,
        config: NftConfig,
        record: Recipient<RecordBans>,
        remove: Recipient<RemoveBans>,
        notify: Recipient<Notify>,
        metrics: Arc<Metrics>,
    ) -> Self {
        ActionsActor {
            nft,
            config,
            ledger: Ledger::default(),
            pending: Vec::new(),
            flush_scheduled: false,
            record,
            remove,
            notify,
            counters: ActionCounters::new(metrics),
            quiet: Quiet::default(),
            unsure: false,
            rebuilt: None,
            unrecorded: Vec::new(),
        }
    }

    /// Counts a failed netlink request; the error for the log or the reply.
    fn failed(&self, e: &NftError) -> String {
        self.counters.netlink_error();
        error_chain(e)
    }

    /// Hands the ban records gathered since the last one to the database
    /// in one group commit (every [`GROUP_COMMIT`]).
    fn record(&mut self) {
        if !self.unrecorded.is_empty() {
            self.record
                .do_send(RecordBans(std::mem::take(&mut self.unrecorded)));
        }
    }

    /// Sends every pending ban in one transaction.
    fn flush(&mut self) {
        self.flush_scheduled = false;
        let mut tickets = std::mem::take(&mut self.pending);
        // A log line read again (after a crash, the saved read position
        // lags behind the bans) or a line behind the ban is no new ban: the
        // address stays banned as it is and is not counted twice.
        let now = now_ms();
        tickets.retain(|t| t.read_at.is_none() || !self.ledger.is_banned(&t.jail, t.addr, now));
        if tickets.is_empty() {
            return;
        }
        let bans: Vec<nft::Ban> = tickets
            .iter()
            .map(|t| nft::Ban {
                jail: t.jail.clone(),
                addr: t.addr,
                timeout: t.bantime.timeout(),
            })
            .collect();
        if let Err(e) = self.send(&bans) {
            tracing::error!("{}", self.failed(&e));
            self.settle();
            return;
        }
        let acked = Instant::now();
        let now = now_ms();
        let mut notices = Vec::with_capacity(tickets.len());
        for t in tickets {
            let duration_ms = t.bantime.timeout().map(|d| d.as_millis() as u64);
            (self.ledger).ban(&t.jail, t.addr, duration_ms.map(|d| now + d));
            notices.push(format!("[{}] Ban {}", t.jail, t.addr));
            let latency = t.read_at.map(|r| acked.saturating_duration_since(r));
            self.counters.ban(&t.jail, latency);
            self.notify.do_send(Notify {
                event: Event::Ban,
                jail: t.jail.clone(),
                addr: t.addr,
                ban: Some((t.bantime, t.failures)),
                time: now / 1000,
            });
            self.unrecorded.push(StoredBan {
                jail: t.jail,
                addr: t.addr,
                record: BanRecord {
                    start: crate::time::UnixMs(now),
                    duration: t.bantime.timeout(),
                },
            });
        }
        crate::logging::notices(&notices);
        self.counters.active(&self.ledger, &self.config);
        self.settle();
    }

    fn log_expiries(&mut self) {
        let now = now_ms();
        let expired = self.ledger.expired(now);
        for (jail, addr) in &expired {
            notice(jail, "Unban", addr);
            self.counters.unban(jail);
        }
        if !expired.is_empty() {
            self.counters.active(&self.ledger, &self.config);
        }
        for (jail, addr) in expired {
            self.notify_unban(jail, addr, now);
        }
    }

    fn notify_unban(&self, jail: String, addr: IpAddr, now: u64) {
        self.notify.do_send(Notify {
            event: Event::Unban,
            jail,
            addr,
            ban: None,
            time: now / 1000,
        });
    }
}

/// `targets` with one per kernel element: addresses of one IPv6 network
/// in a jail with ipv6-prefix are one element.
fn distinct(targets: &[nft::Unban], config: &NftConfig) -> Vec<nft::Unban> {
    let mut seen = HashSet::new();
    let network = |u: &nft::Unban| {
        let prefix = config.jails.iter().find(|j| j.name == u.jail);
        match (u.addr, prefix.and_then(|j| j.v6_prefix)) {
            (IpAddr::V6(_), Some(len)) => nft::Network::new(u.addr, len),
            _ => nft::Network::host(u.addr),
        }
    };
    (targets.iter())
        .filter(|u| seen.insert((u.jail.as_str(), network(u))))
        .cloned()
        .collect()
}

impl Actor for ActionsActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(Duration::from_millis(500), |act, _| act.log_expiries());
        ctx.run_interval(GROUP_COMMIT, |act, _| act.record());
    }

    fn stopping(&mut self, _: &mut Context<Self>) -> Running {
        self.record();
        Running::Stop
    }
}

impl Handler<BanTicket> for ActionsActor {
    type Result = ();

    fn handle(&mut self, ticket: BanTicket, ctx: &mut Context<Self>) {
        self.pending.push(ticket);
        if !self.flush_scheduled {
            self.flush_scheduled = true;
            // Everything already in the mailbox joins this batch.
            ctx.notify(Flush);
        }
    }
}

impl Handler<Flush> for ActionsActor {
    type Result = ();

    fn handle(&mut self, _: Flush, _: &mut Context<Self>) {
        self.flush();
    }
}

impl Handler<Unban> for ActionsActor {
    type Result = Result<usize, String>;

    fn handle(&mut self, msg: Unban, _: &mut Context<Self>) -> Self::Result {
        let targets: Vec<nft::Unban> = match msg {
            Unban::One { jail, addr } => vec![nft::Unban { jail, addr }],
            Unban::All { jail } => self
                .listed(jail.as_deref())?
                .into_iter()
                .map(|e| nft::Unban {
                    jail: e.jail,
                    addr: e.network.addr,
                })
                .collect(),
            Unban::Own { jails, addrs } => self.own_bans(&jails, &addrs),
        };
        if targets.is_empty() {
            return Ok(0);
        }
        if let Err(e) = self.nft.unban(&distinct(&targets, &self.config)) {
            return Err(self.failed(&e));
        }
        let mut removed = Vec::new();
        for u in targets {
            self.ledger.unban(&u.jail, u.addr);
            notice(&u.jail, "Unban", u.addr);
            self.counters.unban(&u.jail);
            self.notify_unban(u.jail.clone(), u.addr, now_ms());
            removed.push((u.jail, u.addr));
        }
        let n = removed.len();
        self.counters.active(&self.ledger, &self.config);
        // Records still waiting for their group commit go first: the
        // removal must not be overtaken by the record it removes, and the
        // history a re-ban looks up must count this ban.
        self.record();
        self.remove.do_send(RemoveBans(removed));
        Ok(n)
    }
}

impl ActionsActor {
    /// The bans in the kernel now, of one jail or all.
    fn listed(&mut self, jail: Option<&str>) -> Result<Vec<nft::Element>, String> {
        let table = self.config.table.clone();
        match self.nft.list(&table, jail) {
            Ok(listed) => Ok(listed.unwrap_or_default()),
            Err(e) => Err(self.failed(&e)),
        }
    }

    /// The bans of `jails` that hold one of `addrs` (or its network, in
    /// a jail with ipv6-prefix), each logged; from the ledger, which holds
    /// every ban we put in the kernel.
    fn own_bans(&self, jails: &[String], addrs: &[IpAddr]) -> Vec<nft::Unban> {
        let mut out = Vec::new();
        for spec in self.config.jails.iter().filter(|j| jails.contains(&j.name)) {
            for addr in self.ledger.holding(&spec.name, spec.v6_prefix, addrs) {
                tracing::warn!(
                    "jail {}: {addr} is now an address of this host: lifting its ban",
                    spec.name
                );
                out.push(nft::Unban {
                    jail: spec.name.clone(),
                    addr,
                });
            }
        }
        out
    }
}

impl Handler<ListBans> for ActionsActor {
    type Result = Result<Vec<nft::Element>, String>;

    fn handle(&mut self, msg: ListBans, _: &mut Context<Self>) -> Self::Result {
        self.listed(msg.jail.as_deref())
    }
}

impl Handler<Setup> for ActionsActor {
    type Result = Result<(), String>;

    fn handle(&mut self, msg: Setup, _: &mut Context<Self>) -> Self::Result {
        let names: Vec<String> = msg.0.jails.iter().map(|j| j.name.clone()).collect();
        self.ledger.retain_jails(&names);
        self.config = msg.0;
        self.counters.active(&self.ledger, &self.config);
        let rebuilt = self.rebuild(&[]);
        self.settle();
        rebuilt.map(|_| ()).map_err(|e| self.failed(&e))
    }
}

impl Handler<Restore> for ActionsActor {
    type Result = Result<usize, String>;

    fn handle(&mut self, msg: Restore, _: &mut Context<Self>) -> Self::Result {
        let now = now_ms();
        let jails: Vec<&str> = self.config.jails.iter().map(|j| j.name.as_str()).collect();
        let mut bans = Vec::new();
        for b in &msg.0 {
            let Some(left) = b.record.remaining(crate::time::UnixMs(now)) else {
                continue;
            };
            if !jails.contains(&b.jail.as_str()) {
                continue;
            }
            bans.push(nft::Ban {
                jail: b.jail.clone(),
                addr: b.addr,
                timeout: left,
            });
        }
        for b in &bans {
            let expires = b.timeout.map(|t| now + t.as_millis() as u64);
            self.ledger.ban(&b.jail, b.addr, expires);
        }
        self.counters.active(&self.ledger, &self.config);
        let rebuilt = self.rebuild(&[]);
        self.settle();
        rebuilt.map_err(|e| self.failed(&e))
    }
}

impl Handler<Repair> for ActionsActor {
    type Result = Result<Option<usize>, String>;

    fn handle(&mut self, msg: Repair, _: &mut Context<Self>) -> Self::Result {
        let repaired = self.repair(msg.only_if_damaged, msg.generation);
        self.settle();
        repaired.map_err(|e| self.failed(&e))
    }
}

impl Handler<Watched> for ActionsActor {
    type Result = ();

    fn handle(&mut self, msg: Watched, _: &mut Context<Self>) {
        self.quiet = Quiet::new(msg.0);
    }
}
