//! What a batch of [`BanTicket`]s does to the kernel, decided at `now`
//! from the [`Ledger`] (the [`super::banner::Banner`] calls [`plan`]):
//! - a log line behind a running ban (or read again after a crash), or a
//!   ban from another fleet node, adds nothing: the ban stays as it is;
//! - an address inside a banned network is banned already: nothing to add;
//! - prolong, never shorten (fail2ban's rule): a ban of something banned
//!   goes to the kernel only if it ends later than the running ban; a
//!   `--replace` ticket sets exactly its time;
//! - a network takes the place of the networks inside it (an interval set
//!   refuses overlapping elements): they are lifted in the same
//!   transaction, and the network lasts at least as long as the longest
//!   of them (no banned address gets out earlier), unless `--replace`.
//!   Addresses banned inside it keep their own bans (they are in the
//!   jail's hash sets, where nothing overlaps).

use super::BanTicket;
use super::ledger::{Ledger, State};
use crate::cluster::Provenance;
use crate::nft::{self, Network};
use crate::time::{BanTime, UnixMs};

/// The bans of one transaction: the tickets, what goes to the kernel, and
/// the networks the new networks take the place of.
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
        // Networks inside the network: those of the ledger, and tickets
        // of this batch.
        let mut ends = Vec::new();
        let covered = ledger.covered(&jail, net).into_iter();
        for (inside, state) in covered.filter(|(n, _)| !n.is_host()) {
            ends.push(state);
            lifted.push(nft::Unban {
                jail: jail.clone(),
                addr: inside,
            });
        }
        for (j, t) in kept.iter().enumerate() {
            let inside = !t.addr.is_host() && t.addr != net && net.covers(&t.addr);
            if !dropped[j] && t.jail == jail && inside {
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
            comment: origin(t).and_then(nft::Comment::truncated),
        })
        .collect();
    Some(Batch {
        tickets: kept,
        bans,
        lifted,
    })
}

/// The fleet node a ticket's ban comes from; none for this node's.
pub fn origin(ticket: &BanTicket) -> Option<&str> {
    match &ticket.provenance {
        Provenance::Remote { origin } => Some(origin),
        _ => None,
    }
}

/// Whether ticket `t` changes what the kernel holds at `now`.
fn changes(ledger: &Ledger, t: &BanTicket, now: UnixMs) -> bool {
    // A log line read again, or a ban from another node: never over a
    // running ban.
    let again = t.read_at.is_some() || origin(t).is_some();
    if again && ledger.is_banned(&t.jail, t.addr, now) {
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
/// the place of the `active` networks inside them.
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
        .filter(|b| {
            b.addr.is_host() || !nets.iter().any(|(j, n)| *j == b.jail && n.covers(&b.addr))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    const T0: UnixMs = UnixMs(1_800_000_000_000);
    const HOUR: Duration = Duration::from_secs(3600);

    fn net(s: &str) -> Network {
        s.parse().unwrap()
    }

    fn manual(addr: &str, bantime: BanTime) -> BanTicket {
        BanTicket {
            jail: "sshd".into(),
            addr: net(addr),
            bantime,
            failures: 0,
            read_at: None,
            provenance: crate::cluster::Provenance::Local,
            replace: false,
        }
    }

    fn from_log(addr: &str) -> BanTicket {
        BanTicket {
            read_at: Some(Instant::now()),
            ..manual(addr, BanTime::For(HOUR))
        }
    }

    fn kernel(batch: &Batch) -> Vec<(String, Option<Duration>)> {
        (batch.bans.iter())
            .map(|b| (b.addr.to_string(), b.timeout))
            .collect()
    }

    fn lifted(batch: &Batch) -> Vec<String> {
        batch.lifted.iter().map(|u| u.addr.to_string()).collect()
    }

    #[test]
    fn an_address_inside_a_banned_network_adds_nothing() {
        let mut ledger = Ledger::default();
        ledger.ban("sshd", net("192.0.2.0/24"), Some(T0.after(HOUR)));
        let inside = [
            manual("192.0.2.7", BanTime::Permanent),
            from_log("192.0.2.8"),
        ];
        assert_eq!(plan(&ledger, inside.to_vec(), T0), None);
        assert_eq!(
            plan(
                &ledger,
                vec![manual("192.0.2.0/25", BanTime::Permanent)],
                T0
            ),
            None
        );
        // Once the network's ban ran out, they ban again.
        let later = T0.after(HOUR);
        assert_eq!(plan(&ledger, inside.to_vec(), later).unwrap().bans.len(), 2);
        // Another jail is another set.
        let web = BanTicket {
            jail: "web".into(),
            ..manual("192.0.2.7", BanTime::Permanent)
        };
        assert!(plan(&ledger, vec![web], T0).is_some());
    }

    #[test]
    fn a_re_ban_goes_to_the_kernel_only_when_it_ends_later() {
        let mut ledger = Ledger::default();
        ledger.ban("sshd", net("192.0.2.7"), Some(T0.after(HOUR)));
        let at = T0.after(Duration::from_secs(600));
        // 50 minutes left: 40 minutes is shorter, 50 ends at the same time.
        let shorter = manual("192.0.2.7", BanTime::For(Duration::from_secs(2400)));
        assert_eq!(plan(&ledger, vec![shorter.clone()], at), None);
        let same = manual("192.0.2.7", BanTime::For(Duration::from_secs(3000)));
        assert_eq!(plan(&ledger, vec![same], at), None);
        let longer = manual("192.0.2.7", BanTime::For(HOUR));
        let batch = plan(&ledger, vec![longer], at).unwrap();
        assert_eq!(kernel(&batch), [("192.0.2.7".into(), Some(HOUR))]);
        let permanent = manual("192.0.2.7", BanTime::Permanent);
        assert_eq!(
            kernel(&plan(&ledger, vec![permanent], at).unwrap())[0].1,
            None
        );
        let replace = BanTicket {
            replace: true,
            ..shorter
        };
        let batch = plan(&ledger, vec![replace], at).unwrap();
        assert_eq!(kernel(&batch)[0].1, Some(Duration::from_secs(2400)));
        // A log line behind the running ban adds nothing, even if longer.
        assert_eq!(plan(&ledger, vec![from_log("192.0.2.7")], at), None);
        // A permanent ban is outlasted by nothing.
        ledger.ban("sshd", net("192.0.2.9"), None);
        let week = manual("192.0.2.9", BanTime::For(HOUR * 24 * 7));
        assert_eq!(plan(&ledger, vec![week], at), None);
    }

    #[test]
    fn a_network_lifts_the_networks_inside_it_and_lasts_as_long_as_the_longest() {
        let mut ledger = Ledger::default();
        ledger.ban("sshd", net("192.0.2.0/26"), Some(T0.after(HOUR * 3)));
        ledger.ban("sshd", net("192.0.2.64/26"), Some(T0.after(HOUR / 2)));
        ledger.ban("sshd", net("192.0.2.7"), None);
        ledger.ban("sshd", net("198.51.100.0/24"), None);
        let network = manual("192.0.2.0/24", BanTime::For(HOUR));
        let batch = plan(&ledger, vec![network.clone()], T0).unwrap();
        // The address keeps its own (permanent) ban, in the hash set.
        assert_eq!(lifted(&batch), ["192.0.2.0/26", "192.0.2.64/26"]);
        assert_eq!(kernel(&batch), [("192.0.2.0/24".into(), Some(HOUR * 3))]);
        assert_eq!(batch.tickets[0].bantime, BanTime::For(HOUR * 3));
        // --replace: exactly the time asked, the networks inside still go.
        let replace = BanTicket {
            replace: true,
            ..network
        };
        let batch = plan(&ledger, vec![replace], T0).unwrap();
        assert_eq!(lifted(&batch), ["192.0.2.0/26", "192.0.2.64/26"]);
        assert_eq!(kernel(&batch), [("192.0.2.0/24".into(), Some(HOUR))]);
    }

    #[test]
    fn a_network_takes_the_place_of_networks_inside_it_in_the_same_batch() {
        let ledger = Ledger::default();
        let tickets = vec![
            manual("192.0.2.7", BanTime::Permanent),
            manual("198.51.100.1", BanTime::For(HOUR)),
            manual("192.0.2.0/24", BanTime::Permanent),
            manual("192.0.0.0/16", BanTime::For(HOUR)),
            from_log("192.0.2.9"),
        ];
        let batch = plan(&ledger, tickets, T0).unwrap();
        assert_eq!(
            kernel(&batch),
            [
                ("192.0.2.7".into(), None),
                ("198.51.100.1".into(), Some(HOUR)),
                ("192.0.0.0/16".into(), None),
                ("192.0.2.9".into(), Some(HOUR)),
            ]
        );
        assert!(batch.lifted.is_empty());
    }

    #[test]
    fn a_rebuild_with_a_network_leaves_out_the_bans_inside_it() {
        let ban = |addr: &str| nft::Ban {
            jail: "sshd".into(),
            addr: net(addr),
            timeout: None,
            comment: None,
        };
        let active = vec![
            ban("192.0.2.7"),
            ban("192.0.2.0/28"),
            ban("198.51.100.1"),
            ban("2001:db8::1"),
        ];
        let kept = without_covered(active.clone(), &[ban("192.0.2.0/24")]);
        assert_eq!(
            kept,
            [ban("192.0.2.7"), ban("198.51.100.1"), ban("2001:db8::1")]
        );
        assert_eq!(without_covered(active.clone(), &[ban("192.0.2.7")]), active);
    }
}
