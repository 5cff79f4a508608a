//! [`Banner`]: the ActionsActor's decisions, without actix and without the
//! kernel. It holds the [`Ledger`] (what we banned, until when), the table's
//! layout and the counters, and decides at a given time `now`:
//! - which tickets of a batch go into the kernel ([`Banner::plan`]: a log
//!   line read again, or a line behind a running ban, adds nothing);
//! - what follows once the kernel holds them ([`Banner::acknowledged`]
//!   then [`Banner::banned`]): NOTICE lines and counters first, then the
//!   ledger, the notifications and the records for the next group commit;
//! - what a rebuild puts back ([`Banner::rebuild_bans`]: every ban of the
//!   ledger with its time left, and the batch that found the table gone);
//! - whether a repair is needed at all ([`Banner::undone`],
//!   [`Banner::intact`]);
//! - what the restore at start loads ([`Banner::restore`]), what a reload
//!   keeps ([`Banner::setup`]), what expires ([`Banner::expire`]) and what
//!   an unban lifts ([`Banner::unbanned`], [`Banner::own_bans`]).
//!
//! [`super::kernel::Kernel`] executes these plans over netlink; the
//! actor hands the [`Effects`] to its recipients.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use super::BanTicket;
use super::counting::ActionCounters;
use super::ledger::Ledger;
use crate::cluster::{Applied, Expiry, Kind, Provenance};
use crate::db::store::{BanRecord, StoredBan};
use crate::logging::Notices;
use crate::metrics::Metrics;
use crate::nft::{self, BanKey, Element, Network, NftConfig};
use crate::notify::{Event, Notify};
use crate::time::UnixMs;

/// A ban (or unban) line in the stable format the recidive filter matches,
/// without the `NOTICE ` word: `[sshd] Ban 203.0.113.7`, `[sshd] Ban
/// 192.0.2.0/24`.
pub fn notice_line(jail: &str, verb: &str, addr: Network) -> String {
    format!("[{jail}] {verb} {addr}")
}

pub use super::plan::Batch;

/// What follows a change in the kernel, for the actor to hand out.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Effects {
    /// Ban and unban lines, in order ([`notice_line`]).
    pub notices: Vec<String>,
    /// One per ban or unban, for the NotifyActor.
    pub notify: Vec<Notify>,
    /// Lifted bans whose records the database drops.
    pub removed: Vec<(String, Network)>,
    /// Bans and unbans taken, for the fleet (expiries are not: every
    /// published ban carries its end).
    pub applied: Vec<Applied>,
}

pub struct Banner {
    config: NftConfig,
    ledger: Ledger,
    counters: ActionCounters,
    /// The ruleset's generation after our last rebuild, when known: a
    /// repair of damage committed before it is done.
    rebuilt: Option<u32>,
    /// Ban records waiting for the next group commit.
    unrecorded: Vec<StoredBan>,
}

impl Banner {
    pub fn new(config: NftConfig, metrics: Arc<Metrics>) -> Banner {
        Banner {
            config,
            ledger: Ledger::default(),
            counters: ActionCounters::new(metrics),
            rebuilt: None,
            unrecorded: Vec::new(),
        }
    }

    pub fn config(&self) -> &NftConfig {
        &self.config
    }

    /// Counts a failed netlink request.
    pub fn netlink_error(&self) {
        self.counters.netlink_error();
    }

    /// The tickets of a batch that go into the kernel, `None` if none: a
    /// log line read again (after a crash, the saved read position lags
    /// behind the bans) or a line behind a running ban is no new ban; the
    /// address stays banned as it is and is not counted twice. A ban never
    /// shortens a running one, and a network takes the place of the bans
    /// inside it ([`super::plan`]).
    pub fn plan(&self, tickets: Vec<BanTicket>, now: UnixMs) -> Option<Batch> {
        super::plan::plan(&self.ledger, tickets, now)
    }

    /// The kernel holds `batch` since `acked`: its NOTICE lines (stamped
    /// now), the ban counters and latencies, and the active gauge, done
    /// before anything else so that the log and the metrics follow the
    /// kernel closely ([`Banner::banned`] books the rest).
    pub fn acknowledged(&mut self, batch: &Batch, acked: Instant) -> Notices {
        let mut notices = Notices::new(batch.tickets.len());
        // Per jail (a batch has few): the bans, and those the ledger lacks
        // (the gauge grows by them). Counted before the lines are written.
        let mut per_jail: Vec<(&str, u64, u64)> = Vec::new();
        for t in &batch.tickets {
            if let Some(read) = t.read_at {
                self.counters.latency(acked.saturating_duration_since(read));
            }
            let i = match per_jail.iter().rposition(|(jail, ..)| *jail == t.jail) {
                Some(i) => i,
                None => {
                    per_jail.push((&t.jail, 0, 0));
                    per_jail.len() - 1
                }
            };
            per_jail[i].1 += 1;
            per_jail[i].2 += u64::from(!self.ledger.holds(&t.jail, t.addr));
        }
        for (jail, bans, new) in per_jail {
            self.counters.bans(jail, bans);
            self.counters.new_bans(jail, new);
            let active = self.ledger.count(jail) as u64 + new;
            self.counters.set_active(jail, active);
        }
        for t in &batch.tickets {
            if t.addr.is_host() {
                notices.push(&t.jail, "Ban", t.addr.addr);
            } else {
                notices.push_line(&notice_line(&t.jail, "Ban", t.addr));
            }
        }
        notices
    }

    /// The rest of what follows `batch` at `now`: the ledger and the active
    /// gauge, one notification per ban, a record for the next group commit.
    /// The bans a new network took the place of are lifted first.
    pub fn banned(&mut self, batch: Batch, now: UnixMs) -> Effects {
        let mut effects = Effects::default();
        for u in batch.lifted {
            self.ledger.unban(&u.jail, u.addr);
            effects.removed.push((u.jail.clone(), u.addr));
            self.lifted(u.jail, u.addr, now, &mut effects);
        }
        let mut notify = Vec::with_capacity(batch.tickets.len());
        let mut applied = Vec::with_capacity(batch.tickets.len());
        for t in batch.tickets {
            let expires = t.bantime.timeout().map(|d| now.after(d));
            let from = super::plan::origin(&t).map(str::to_string);
            self.ledger
                .ban_from(&t.jail, t.addr, expires, from.as_deref());
            applied.push(Applied {
                provenance: t.provenance.clone(),
                jail: t.jail.clone(),
                network: t.addr,
                kind: Kind::Ban,
                expires: Expiry::of(now, t.bantime),
                failures: t.failures,
            });
            notify.push(Notify {
                event: Event::Ban,
                jail: t.jail.clone(),
                addr: t.addr,
                ban: Some((t.bantime, t.failures)),
                time: now.as_secs() as u64,
            });
            self.unrecorded.push(StoredBan {
                jail: t.jail,
                addr: t.addr,
                record: BanRecord {
                    start: now,
                    duration: t.bantime.timeout(),
                    origin: from,
                },
            });
        }
        self.counters.active(&self.ledger, &self.config);
        effects.notify.extend(notify);
        effects.applied.extend(applied);
        effects
    }

    /// The ban records gathered since the last group commit.
    pub fn take_records(&mut self) -> Vec<StoredBan> {
        std::mem::take(&mut self.unrecorded)
    }

    /// What a rebuild of the table at `now` holds: every ban of the ledger
    /// with its time left, and `extra` (the batch that found the table
    /// gone). The one answer for a batch, a repair, the restore and a
    /// reload.
    /// (`extra`'s networks take the place of the bans inside them, as in
    /// the batch.)
    pub fn rebuild_bans(&self, extra: &[nft::Ban], now: UnixMs) -> Vec<nft::Ban> {
        let active: Vec<nft::Ban> = (self.ledger.active_from(now).into_iter())
            .map(|(jail, addr, timeout, origin)| nft::Ban {
                jail,
                addr,
                timeout,
                comment: origin.as_deref().and_then(nft::Comment::truncated),
            })
            .collect();
        let mut bans = super::plan::without_covered(active, extra);
        bans.extend_from_slice(extra);
        bans
    }

    /// A rebuild committed, at `generation` when known exactly: the active
    /// gauge follows the kernel from now on.
    pub fn rebuilt(&mut self, generation: Option<u32>) {
        self.rebuilt = generation;
        self.counters.active(&self.ledger, &self.config);
    }

    /// Whether damage committed at generation `damage` was undone already
    /// by a rebuild of ours committed after it.
    pub fn undone(&self, damage: Option<u32>) -> bool {
        match (damage, self.rebuilt) {
            // Generations wrap: "after" is a positive distance.
            (Some(damage), Some(rebuilt)) => (rebuilt.wrapping_sub(damage) as i32) > 0,
            _ => false,
        }
    }

    /// Whether `present` (our table's elements; `None`: no table) holds
    /// every ban of the ledger that has more than a second left at `now`
    /// (the kernel may expire the others first).
    pub fn intact(&self, present: Option<&[Element]>, now: UnixMs) -> bool {
        let Some(present) = present else {
            return false;
        };
        let present: HashSet<BanKey> = present.iter().map(Element::key).collect();
        (self.ledger.active(now).iter())
            .filter(|b| b.2.is_none_or(|left| left.as_millis() > 1000))
            .all(|(jail, addr, _)| present.contains(&self.config.key(jail, *addr)))
    }

    /// Loads the stored bans still running at `now` of jails we have into
    /// the ledger, for the rebuild that puts them back (the active gauge
    /// counts them once it did, [`Banner::rebuilt`]).
    pub fn restore(&mut self, stored: &[StoredBan], now: UnixMs) {
        for b in stored {
            let Some(left) = b.record.remaining(now) else {
                continue;
            };
            if self.config.jail(&b.jail).is_none() {
                continue;
            }
            let expires = left.map(|d| now.after(d));
            let origin = b.record.origin.as_deref();
            self.ledger.ban_from(&b.jail, b.addr, expires, origin);
        }
    }

    /// A reload's new layout: the bans of removed jails are forgotten
    /// (their sets go with the rebuild).
    pub fn setup(&mut self, config: NftConfig) {
        let names: Vec<String> = config.jails.iter().map(|j| j.name.clone()).collect();
        self.ledger.retain_jails(&names);
        self.config = config;
        self.counters.active(&self.ledger, &self.config);
    }

    /// The bans that ran out by `now` (the kernel dropped them itself):
    /// logged, counted and notified; their records stay (history).
    pub fn expire(&mut self, now: UnixMs) -> Effects {
        let expired = self.ledger.expired(now);
        let mut effects = Effects::default();
        if expired.is_empty() {
            return effects;
        }
        for (jail, addr) in expired {
            self.lifted(jail, addr, now, &mut effects);
        }
        self.counters.active(&self.ledger, &self.config);
        effects
    }

    /// `targets` were removed from the kernel at `now`: logged, counted,
    /// notified, and their records removed; for the fleet, local unbans
    /// carrying the end of the ban they lifted.
    pub fn unbanned(&mut self, targets: Vec<nft::Unban>, now: UnixMs) -> Effects {
        let mut effects = Effects::default();
        for u in targets {
            let expires = match self.ledger.expiry(&u.jail, u.addr) {
                Some(Some(end)) => Expiry::At(end.as_millis()),
                _ => Expiry::Permanent,
            };
            effects.applied.push(Applied {
                provenance: Provenance::Local,
                jail: u.jail.clone(),
                network: u.addr,
                kind: Kind::Unban,
                expires,
                failures: 0,
            });
            self.ledger.unban(&u.jail, u.addr);
            effects.removed.push((u.jail.clone(), u.addr));
            self.lifted(u.jail, u.addr, now, &mut effects);
        }
        self.counters.active(&self.ledger, &self.config);
        effects
    }

    fn lifted(&mut self, jail: String, addr: Network, now: UnixMs, effects: &mut Effects) {
        effects.notices.push(notice_line(&jail, "Unban", addr));
        self.counters.unban(&jail);
        effects.notify.push(Notify {
            event: Event::Unban,
            jail,
            addr,
            ban: None,
            time: now.as_secs() as u64,
        });
    }

    /// What lifting the ban of `addr` (an address or network) in `jail`
    /// lifts: it, and for a network the bans inside it.
    /// (The network itself unless only bans inside it are known.)
    pub fn lift_targets(&self, jail: &str, addr: Network) -> Vec<nft::Unban> {
        let inside: Vec<Network> = (self.ledger.covered(jail, addr).into_iter())
            .map(|(n, _)| n)
            .collect();
        let itself = (inside.is_empty() || self.ledger.holds(jail, addr)).then_some(addr);
        itself
            .into_iter()
            .chain(inside)
            .map(|addr| nft::Unban {
                jail: jail.to_string(),
                addr,
            })
            .collect()
    }

    /// The node whose ban of `addr` in `jail` runs, if it came from the
    /// fleet (the ledger keeps it, restored from the ban records).
    pub fn origin(&self, jail: &str, addr: Network) -> Option<&str> {
        self.ledger.origin(jail, addr)
    }

    /// `targets` with one per kernel element: addresses of one IPv6
    /// network in a jail with ipv6-prefix are one element.
    pub fn distinct(&self, targets: &[nft::Unban]) -> Vec<nft::Unban> {
        let mut seen = HashSet::new();
        (targets.iter())
            .filter(|u| seen.insert(self.config.key(&u.jail, u.addr)))
            .cloned()
            .collect()
    }

    /// The bans of `jails` that hold one of `addrs` (or its network, in a
    /// jail with ipv6-prefix), from the ledger, which holds every ban we
    /// put in the kernel.
    pub fn own_bans(&self, jails: &[String], addrs: &[IpAddr]) -> Vec<nft::Unban> {
        let mut out = Vec::new();
        for spec in self.config.jails.iter().filter(|j| jails.contains(&j.name)) {
            for addr in self.ledger.holding(&spec.name, spec.v6_prefix, addrs) {
                out.push(nft::Unban {
                    jail: spec.name.clone(),
                    addr,
                });
            }
        }
        out
    }
}

#[cfg(test)]
#[path = "banner_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "banner_lift_tests.rs"]
mod lift_tests;

#[cfg(test)]
#[path = "banner_prolong_tests.rs"]
mod prolong_tests;

#[cfg(test)]
#[path = "banner_origin_tests.rs"]
mod origin_tests;
