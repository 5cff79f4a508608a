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
use crate::cluster::{Applied, Expiry, Kind, Provenance};
use super::counting::ActionCounters;
use super::ledger::Ledger;
use crate::db::store::{BanRecord, StoredBan};
use crate::logging::Notices;
use crate::metrics::Metrics;
use crate::nft::{self, BanKey, Element, NftConfig};
use crate::notify::{Event, Notify};
use crate::time::UnixMs;

/// A ban (or unban) line in the stable format the recidive filter matches,
/// without the `NOTICE ` word: `[sshd] Ban 203.0.113.7`.
pub fn notice_line(jail: &str, verb: &str, addr: IpAddr) -> String {
    format!("[{jail}] {verb} {addr}")
}

/// The bans of one transaction: the tickets, and what goes to the kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub tickets: Vec<BanTicket>,
    pub bans: Vec<nft::Ban>,
}

/// What follows a change in the kernel, for the actor to hand out.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Effects {
    /// Ban and unban lines, in order ([`notice_line`]).
    pub notices: Vec<String>,
    /// One per ban or unban, for the NotifyActor.
    pub notify: Vec<Notify>,
    /// Lifted bans whose records the database drops.
    pub removed: Vec<(String, IpAddr)>,
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
    /// The origin node of each running ban taken from the fleet, so that
    /// its unban lifts only its own ban (in memory: interim, until the
    /// ledger and the records keep the origin).
    origins: std::collections::HashMap<(String, IpAddr), String>,
}

impl Banner {
    pub fn new(config: NftConfig, metrics: Arc<Metrics>) -> Banner {
        Banner {
            config,
            ledger: Ledger::default(),
            counters: ActionCounters::new(metrics),
            rebuilt: None,
            unrecorded: Vec::new(),
            origins: Default::default(),
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
    /// address stays banned as it is and is not counted twice. Manual bans
    /// (no `read_at`) always go: they may change the ban time. A ban from
    /// another node never replaces a running one.
    pub fn plan(&self, mut tickets: Vec<BanTicket>, now: UnixMs) -> Option<Batch> {
        tickets.retain(|t| {
            let again = matches!(t.provenance, Provenance::Remote { .. }) || t.read_at.is_some();
            !again || !self.ledger.is_banned(&t.jail, t.addr, now)
        });
        if tickets.is_empty() {
            return None;
        }
        let bans = tickets
            .iter()
            .map(|t| nft::Ban {
                jail: t.jail.clone(),
                addr: t.addr,
                timeout: t.bantime.timeout(),
                comment: None,
            })
            .collect();
        Some(Batch { tickets, bans })
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
            let active = self.ledger.count(jail) as u64 + new;
            self.counters.set_active(jail, active);
        }
        for t in &batch.tickets {
            notices.push(&t.jail, "Ban", t.addr);
        }
        notices
    }

    /// The rest of what follows `batch` at `now`: the ledger and the active
    /// gauge, one notification per ban, a record for the next group commit.
    pub fn banned(&mut self, batch: Batch, now: UnixMs) -> Effects {
        let mut notify = Vec::with_capacity(batch.tickets.len());
        let mut applied = Vec::with_capacity(batch.tickets.len());
        for t in batch.tickets {
            let expires = t.bantime.timeout().map(|d| now.after(d));
            self.ledger.ban(&t.jail, t.addr, expires);
            match &t.provenance {
                Provenance::Remote { origin } => {
                    self.origins.insert((t.jail.clone(), t.addr), origin.clone())
                }
                _ => self.origins.remove(&(t.jail.clone(), t.addr)),
            };
            applied.push(Applied {
                provenance: t.provenance.clone(),
                jail: t.jail.clone(),
                network: nft::Network::host(t.addr),
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
                },
            });
        }
        self.counters.active(&self.ledger, &self.config);
        Effects {
            notify,
            applied,
            ..Effects::default()
        }
    }

    /// The ban records gathered since the last group commit.
    pub fn take_records(&mut self) -> Vec<StoredBan> {
        std::mem::take(&mut self.unrecorded)
    }

    /// What a rebuild of the table at `now` holds: every ban of the ledger
    /// with its time left, and `extra` (the batch that found the table
    /// gone). The one answer for a batch, a repair, the restore and a
    /// reload.
    pub fn rebuild_bans(&self, extra: &[nft::Ban], now: UnixMs) -> Vec<nft::Ban> {
        let mut bans: Vec<nft::Ban> = (self.ledger.active(now).into_iter())
            .map(|(jail, addr, timeout)| nft::Ban {
                jail,
                addr,
                timeout,
                comment: None,
            })
            .collect();
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
            self.ledger.ban(&b.jail, b.addr, expires);
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
                network: nft::Network::host(u.addr),
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

    fn lifted(&mut self, jail: String, addr: IpAddr, now: UnixMs, effects: &mut Effects) {
        self.origins.remove(&(jail.clone(), addr));
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

    /// The node whose ban of `addr` in `jail` runs, if it came from the
    /// fleet.
    pub fn origin(&self, jail: &str, addr: IpAddr) -> Option<&str> {
        let key = (jail.to_string(), addr);
        self.origins.get(&key).map(String::as_str)
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
