//! The ActionsActor: a shell around [`Nft`] and the [`Ledger`].

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::counting::ActionCounters;
use super::ledger::Ledger;
use super::quiet::Quiet;
use super::{BanTicket, Flush, GROUP_COMMIT, ListBans, Repair, Restore, Setup, Unban, Watched};

use crate::db::actor::now_ms;
use crate::db::store::{BanRecord, StoredBan};
use crate::db::{RecordBans, RemoveBans};
use crate::error_chain;
use crate::metrics::Metrics;
use crate::nft::{self, Nft, NftConfig, NftError};
use crate::notify::{Event, Notify};

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

    /// Adds `bans` in one transaction; when our table was removed under
    /// us, rebuilds it with every active ban and these instead.
    fn send(&mut self, bans: &[nft::Ban]) -> Result<(), NftError> {
        let sent = self
            .quiet
            .run(&mut self.nft, bans.len(), |nft| nft.ban(bans));
        self.unsure |= sent.unsure;
        match sent.result {
            Err(e) if e.is_missing_table() => {
                tracing::warn!(
                    "table inet {} is gone (was the ruleset flushed?): rebuilding it",
                    self.config.table
                );
                self.rebuild(bans).map(|_| ())
            }
            other => other,
        }
    }

    /// The one rebuild path: our table replaced, in one transaction, by one
    /// holding every active ban of the ledger and `extra`, and what the
    /// kernel's old table held (an element another process added stays;
    /// a missing table is read in no time). How many bans of ours.
    fn rebuild(&mut self, extra: &[nft::Ban]) -> Result<usize, NftError> {
        let mut bans = active_bans(&self.ledger, now_ms());
        bans.extend_from_slice(extra);
        let Self {
            quiet, nft, config, ..
        } = self;
        let done = quiet.run(nft, bans.len(), |nft| nft.setup_with(config, &bans));
        self.unsure |= done.unsure;
        if done.result.is_ok() {
            self.rebuilt = done.generation;
        }
        done.result.map(|()| bans.len())
    }

    /// After a quiet transaction during which another process committed:
    /// checks our table and rebuilds it if it lacks a ban (a few times, if
    /// others keep committing during our rebuilds).
    fn settle(&mut self) {
        for _ in 0..3 {
            if !std::mem::take(&mut self.unsure) {
                return;
            }
            let started = Instant::now();
            match self.repair(true, None) {
                Ok(Some(n)) => tracing::warn!(
                    "table inet {}: changed by another process during our transaction; rebuilt it and put {n} ban(s) back in {} ms",
                    self.config.table,
                    started.elapsed().as_millis()
                ),
                Ok(None) => {}
                Err(e) => tracing::error!("{}", self.failed(&e)),
            }
        }
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
            let count = self
                .ledger
                .ban(&t.jail, t.addr, duration_ms.map(|d| now + d));
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
                    start_ms: now,
                    duration_ms,
                    count,
                },
            });
        }
        crate::logging::notices(&notices);
        self.counters.active(&self.ledger, &self.config);
        self.settle();
    }

    /// Rebuilds the table and puts the ledger's bans back; `None` when
    /// the damage was committed before our last rebuild (it undid it), or
    /// when `only_if_damaged` and the table holds every ban that has more
    /// than a second left (the kernel may expire the others first).
    fn repair(
        &mut self,
        only_if_damaged: bool,
        damage: Option<u32>,
    ) -> Result<Option<usize>, NftError> {
        if let (Some(damage), Some(rebuilt)) = (damage, self.rebuilt) {
            // Generations wrap: "after" is a positive distance.
            if (rebuilt.wrapping_sub(damage) as i32) > 0 {
                return Ok(None);
            }
        }
        if only_if_damaged && self.intact()? {
            return Ok(None);
        }
        self.rebuild(&[]).map(Some)
    }

    /// Whether our table exists and holds every ban of the ledger that has
    /// more than a second left.
    fn intact(&mut self) -> Result<bool, NftError> {
        let table = self.config.table.clone();
        let Some(present) = self.nft.list(&table, None)? else {
            return Ok(false);
        };
        let present: HashSet<(&str, nft::Network)> = present
            .iter()
            .map(|e| (e.jail.as_str(), e.network))
            .collect();
        Ok(self
            .ledger
            .active(now_ms())
            .iter()
            .filter(|b| b.2.is_none_or(|left| left > 1000))
            .all(|(jail, addr, _)| {
                present.contains(&(jail.as_str(), self.config.network_of(jail, *addr)))
            }))
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

/// Every active ban of `ledger` at `now`, with its time left.
fn active_bans(ledger: &Ledger, now: u64) -> Vec<nft::Ban> {
    (ledger.active(now).into_iter())
        .map(|(jail, addr, left)| nft::Ban {
            jail,
            addr,
            timeout: left.map(Duration::from_millis),
        })
        .collect()
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
            let Some(left) = b.record.remaining_ms(now) else {
                continue;
            };
            if !jails.contains(&b.jail.as_str()) {
                continue;
            }
            bans.push(nft::Ban {
                jail: b.jail.clone(),
                addr: b.addr,
                timeout: left.map(Duration::from_millis),
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
