//! [`Ledger`]: which addresses and networks we banned in which jail, until
//! when, so that expiries are logged and recorded when the kernel drops the
//! element. A ban's key is what was banned ([`Network`]: an address, or a
//! network banned by hand); an address inside a banned network counts as
//! banned ([`Ledger::covering`]). A ban taken from another fleet node
//! keeps that node's name (its origin), so that a rebuild writes it back
//! with its comment and that node's unban lifts only its own ban
//! ([`Ledger::unban_from`]).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use foldhash::HashMap;

use crate::nft::Network;
use crate::time::UnixMs;

/// Expiry (none: permanent).
pub type State = Option<UnixMs>;

/// A running ban: jail, address or network, time left (none: permanent),
/// origin (none: this node's ban).
pub type ActiveBan = (String, Network, Option<Duration>, Option<Arc<str>>);

#[derive(Debug, Default)]
pub struct Ledger {
    /// Per jail (the name shared, not copied per ban).
    jails: HashMap<Arc<str>, JailBans>,
    by_expiry: BTreeSet<(UnixMs, Arc<str>, Network)>,
}

/// One jail's bans.
#[derive(Debug, Default)]
struct JailBans {
    bans: HashMap<Network, State>,
    /// How many bans are networks of each (IPv4?, prefix length): where a
    /// network covering an address can be, without a scan.
    networks: BTreeMap<(bool, u8), usize>,
    /// The fleet node each ban taken from another node came from; this
    /// node's bans have no entry.
    origins: HashMap<Network, Arc<str>>,
}

impl JailBans {
    fn insert(&mut self, net: Network, state: State) -> Option<State> {
        let old = self.bans.insert(net, state);
        if old.is_none() && !net.is_host() {
            *self.networks.entry(shape(net)).or_default() += 1;
        }
        old
    }

    fn remove(&mut self, net: &Network) -> Option<State> {
        let old = self.bans.remove(net)?;
        self.origins.remove(net);
        if !net.is_host()
            && let Some(n) = self.networks.get_mut(&shape(*net))
        {
            *n -= 1;
            if *n == 0 {
                self.networks.remove(&shape(*net));
            }
        }
        Some(old)
    }
}

fn shape(net: Network) -> (bool, u8) {
    (net.addr.is_ipv4(), net.prefix_len)
}

impl Ledger {
    fn name(&mut self, jail: &str) -> Arc<str> {
        match self.jails.get_key_value(jail) {
            Some((name, _)) => name.clone(),
            None => {
                let name: Arc<str> = Arc::from(jail);
                self.jails.insert(name.clone(), JailBans::default());
                name
            }
        }
    }

    /// Records a ban of this node (a re-ban replaces the expiry and makes
    /// it this node's).
    pub fn ban(&mut self, jail: &str, addr: impl Into<Network>, expires: State) {
        self.ban_from(jail, addr, expires, None);
    }

    /// Records a ban of `origin` (none: this node); a re-ban replaces the
    /// expiry and the origin.
    pub fn ban_from(
        &mut self,
        jail: &str,
        addr: impl Into<Network>,
        expires: State,
        origin: Option<&str>,
    ) {
        let addr = addr.into();
        let name = self.name(jail);
        let bans = self.jails.get_mut(jail).expect("just named");
        match origin {
            Some(origin) => bans.origins.insert(addr, Arc::from(origin)),
            None => bans.origins.remove(&addr),
        };
        if let Some(Some(old)) = bans.insert(addr, expires) {
            self.by_expiry.remove(&(old, name.clone(), addr));
        }
        if let Some(t) = expires {
            self.by_expiry.insert((t, name, addr));
        }
    }

    /// Forgets a ban; whether it was there.
    pub fn unban(&mut self, jail: &str, addr: impl Into<Network>) -> bool {
        let addr = addr.into();
        let Some(removed) = self.jails.get_mut(jail).and_then(|b| b.remove(&addr)) else {
            return false;
        };
        if let Some(t) = removed {
            let name = self.name(jail);
            self.by_expiry.remove(&(t, name, addr));
        }
        true
    }

    /// Forgets the ban of `addr` in `jail` only if it is `origin`'s (none:
    /// this node's); whether it was. A fleet node's unban lifts its own
    /// ban, never this node's or a third node's.
    pub fn unban_from(&mut self, jail: &str, addr: Network, origin: Option<&str>) -> bool {
        self.is_from(jail, addr, origin) && self.unban(jail, addr)
    }

    /// Whether the ledger holds a ban of `addr` in `jail` of `origin`.
    pub fn is_from(&self, jail: &str, addr: Network, origin: Option<&str>) -> bool {
        self.holds(jail, addr) && self.origin(jail, addr) == origin
    }

    /// The fleet node whose ban of `addr` in `jail` the ledger holds; none
    /// for this node's ban or without one.
    pub fn origin(&self, jail: &str, addr: Network) -> Option<&str> {
        self.jails.get(jail)?.origins.get(&addr).map(|o| &**o)
    }

    /// Removes and returns the bans that expired by `now`.
    pub fn expired(&mut self, now: UnixMs) -> Vec<(String, Network)> {
        let mut out = Vec::new();
        while let Some(first) = self.by_expiry.first() {
            if first.0 > now {
                break;
            }
            let (_, jail, addr) = self.by_expiry.pop_first().expect("just seen");
            if let Some(bans) = self.jails.get_mut(&jail) {
                bans.remove(&addr);
            }
            out.push((jail.to_string(), addr));
        }
        out
    }

    /// The bans of a jail, or all.
    pub fn bans(&self, jail: Option<&str>) -> Vec<(String, Network)> {
        self.jails
            .iter()
            .filter(|(j, _)| jail.is_none_or(|want| want == &***j))
            .flat_map(|(j, bans)| bans.bans.keys().map(move |a| (j.to_string(), *a)))
            .collect()
    }

    /// The bans still running at `now`: jail, address or network and the
    /// time left (none: permanent).
    pub fn active(&self, now: UnixMs) -> Vec<(String, Network, Option<Duration>)> {
        (self.active_from(now).into_iter())
            .map(|(jail, addr, left, _)| (jail, addr, left))
            .collect()
    }

    /// [`Ledger::active`], with each ban's origin.
    pub fn active_from(&self, now: UnixMs) -> Vec<ActiveBan> {
        let mut out = Vec::new();
        for (jail, bans) in &self.jails {
            for (addr, expires) in &bans.bans {
                let left = match expires {
                    None => None,
                    Some(t) if *t > now => Some(t.since(now)),
                    Some(_) => continue,
                };
                let origin = bans.origins.get(addr).cloned();
                out.push((jail.to_string(), *addr, left, origin));
            }
        }
        out
    }

    /// The bans of `jail` that are one of `own`, or in a jail with
    /// `v6_prefix` in the same IPv6 network as one, or networks holding one.
    pub fn holding(&self, jail: &str, v6_prefix: Option<u8>, own: &[IpAddr]) -> Vec<Network> {
        let network = |a: Network| a.within(v6_prefix);
        let Some(bans) = self.jails.get(jail) else {
            return Vec::new();
        };
        let mut out: Vec<Network> = (bans.bans.keys())
            .filter(|a| own.iter().any(|o| network(**a).contains(*o)))
            .copied()
            .collect();
        out.sort();
        out
    }

    /// Whether the ledger has a ban of `addr` in `jail`, run out or not.
    pub fn holds(&self, jail: &str, addr: Network) -> bool {
        self.jails
            .get(jail)
            .is_some_and(|bans| bans.bans.contains_key(&addr))
    }

    /// The expiry of the ban of exactly `addr` in `jail`, run out or not;
    /// `None` without one.
    pub fn expiry(&self, jail: &str, addr: Network) -> Option<State> {
        self.jails.get(jail)?.bans.get(&addr).copied()
    }

    /// Whether `addr`, or a network holding it, is banned in `jail` at
    /// `now`.
    pub fn is_banned(&self, jail: &str, addr: Network, now: UnixMs) -> bool {
        let running = |s: &State| s.is_none_or(|t| t > now);
        self.expiry(jail, addr).is_some_and(|s| running(&s))
            || self.covering(jail, addr, now).is_some()
    }

    /// A ban running at `now` of a network in `jail` holding all of `addr`
    /// and more (the shortest such network): `192.0.2.0/24` for
    /// `192.0.2.7`.
    pub fn covering(&self, jail: &str, addr: Network, now: UnixMs) -> Option<(Network, State)> {
        let bans = self.jails.get(jail)?;
        let v4 = addr.addr.is_ipv4();
        let lens = bans.networks.range((v4, 0)..(v4, addr.prefix_len));
        lens.filter_map(|(&(_, len), _)| {
            let net = Network::new(addr.addr, len);
            let state = *bans.bans.get(&net)?;
            state.is_none_or(|t| t > now).then_some((net, state))
        })
        .next()
    }

    /// The bans of `jail` inside `network` and smaller than it, run out
    /// or not (a scan: a network is banned by hand, rarely).
    pub fn covered(&self, jail: &str, network: Network) -> Vec<(Network, State)> {
        let Some(bans) = self.jails.get(jail) else {
            return Vec::new();
        };
        if network.is_host() {
            return Vec::new();
        }
        let mut out: Vec<(Network, State)> = (bans.bans.iter())
            .filter(|(n, _)| **n != network && network.covers(n))
            .map(|(n, s)| (*n, *s))
            .collect();
        out.sort();
        out
    }

    pub fn count(&self, jail: &str) -> usize {
        self.jails.get(jail).map_or(0, |b| b.bans.len())
    }

    /// Drops the bans of jails not in `keep` (their sets are gone).
    pub fn retain_jails(&mut self, keep: &[String]) {
        self.jails.retain(|j, _| keep.iter().any(|k| **k == **j));
        self.by_expiry
            .retain(|(_, j, _)| keep.iter().any(|k| **k == **j));
    }
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
