//! What a batch of [`BanTicket`]s does to the kernel, decided at `now`
//! from the [`Ledger`] (the [`super::banner::Banner`] calls [`plan`]):
//! - a log line behind a running ban (or read again after a crash) adds
//!   nothing: the ban stays as it is;
//! - an address inside a banned network is banned already: nothing to add;
//! - prolong, never shorten (fail2ban's rule): a ban of something banned
//!   goes to the kernel only if it ends later than the running ban; a
//!   `--replace` ticket sets exactly its time;
//! - a network takes the place of the bans inside it (an interval set
//!   refuses overlapping elements): they are lifted in the same
//!   transaction, and the network lasts at least as long as the longest
//!   of them (no banned address gets out earlier), unless `--replace`.

use super::BanTicket;
use super::ledger::{Ledger, State};
use crate::nft::{self, Network};
use crate::time::{BanTime, UnixMs};

/// The bans of one transaction: the tickets, what goes to the kernel, and
/// the bans the new networks take the place of.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub tickets: Vec<BanTicket>,
    pub bans: Vec<nft::Ban>,
    /// Lifted in the same transaction, before `bans` go in.
    pub lifted: Vec<nft::Unban>,
}

/// Whether a ban ending at `a` ends later than one ending at `b` (none:
/// never).
pub fn outlasts(a: State, b: State) -> bool {
    match (a, b) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(a), Some(b)) => a > b,
    }
}

/// When a ban of `bantime` made at `now` ends.
fn end(bantime: BanTime, now: UnixMs) -> State {
    bantime.timeout().map(|d| now.after(d))
}

/// The ban time that lasts from `now` until `until`.
fn until(until: State, now: UnixMs) -> BanTime {
    match until {
        None => BanTime::Permanent,
        Some(t) => BanTime::For(t.since(now)),
    }
}

/// The tickets that change the kernel, `None` if none (see the module doc).
pub fn plan(ledger: &Ledger, tickets: Vec<BanTicket>, now: UnixMs) -> Option<Batch> {
    let mut kept: Vec<BanTicket> = tickets
        .into_iter()
        .filter(|t| changes(ledger, t, now))
        .collect();
    let mut lifted = Vec::new();
    let mut dropped = vec![false; kept.len()];
    for i in 0..kept.len() {
        if dropped[i] || kept[i].addr.is_host() {
            continue;
        }
        let (jail, net) = (kept[i].jail.clone(), kept[i].addr);
        // Bans inside the network: those of the ledger, and tickets of
        // this batch.
        let mut ends = Vec::new();
        for (inside, state) in ledger.covered(&jail, net) {
            ends.push(state);
            lifted.push(nft::Unban {
                jail: jail.clone(),
                addr: inside,
            });
        }
        for (j, t) in kept.iter().enumerate() {
            if !dropped[j] && t.jail == jail && t.addr != net && net.covers(&t.addr) {
                dropped[j] = true;
                ends.push(end(t.bantime, now));
            }
        }
        if !kept[i].replace {
            let mut longest = end(kept[i].bantime, now);
            for e in ends.into_iter().filter(|e| e.is_none_or(|t| t > now)) {
                if outlasts(e, longest) {
                    longest = e;
                }
            }
            kept[i].bantime = until(longest, now);
        }
    }
    let mut dropped = dropped.into_iter();
    kept.retain(|_| !dropped.next().unwrap_or(false));
    if kept.is_empty() {
        return None;
    }
    let bans = kept
        .iter()
        .map(|t| nft::Ban {
            jail: t.jail.clone(),
            addr: t.addr,
            timeout: t.bantime.timeout(),
        })
        .collect();
    Some(Batch {
        tickets: kept,
        bans,
        lifted,
    })
}

/// Whether ticket `t` changes what the kernel holds at `now`.
fn changes(ledger: &Ledger, t: &BanTicket, now: UnixMs) -> bool {
    if t.read_at.is_some() && ledger.is_banned(&t.jail, t.addr, now) {
        return false;
    }
    if let Some((net, _)) = ledger.covering(&t.jail, t.addr, now) {
        tracing::info!("[{}] {} is inside {net}, banned already", t.jail, t.addr);
        return false;
    }
    match ledger.expiry(&t.jail, t.addr) {
        Some(old) if !t.replace && old.is_none_or(|o| o > now) => {
            outlasts(end(t.bantime, now), old)
        }
        _ => true,
    }
}

/// What [`plan`] keeps of the bans of a rebuild: `extra`'s networks take
/// the place of the `active` bans inside them.
pub fn without_covered(active: Vec<nft::Ban>, extra: &[nft::Ban]) -> Vec<nft::Ban> {
    let nets: Vec<(&str, Network)> = (extra.iter())
        .filter(|b| !b.addr.is_host())
        .map(|b| (b.jail.as_str(), b.addr))
        .collect();
    if nets.is_empty() {
        return active;
    }
    active
        .into_iter()
        .filter(|b| !nets.iter().any(|(j, n)| *j == b.jail && n.covers(&b.addr)))
        .collect()
}
