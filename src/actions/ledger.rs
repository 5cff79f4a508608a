//! [`Ledger`]: which addresses and networks we banned in which jail, until
//! when, so that expiries are logged and recorded when the kernel drops the
//! element. A ban's key is what was banned ([`Network`]: an address, or a
//! network banned by hand); an address inside a banned network counts as
//! banned ([`Ledger::covering`]).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use foldhash::HashMap;

use crate::nft::Network;
use crate::time::UnixMs;

/// Expiry (none: permanent).
pub type State = Option<UnixMs>;

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

    /// Records a ban (a re-ban replaces the expiry).
    pub fn ban(&mut self, jail: &str, addr: impl Into<Network>, expires: State) {
        let addr = addr.into();
        let name = self.name(jail);
        let bans = self.jails.get_mut(jail).expect("just named");
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
        let mut out = Vec::new();
        for (jail, bans) in &self.jails {
            for (addr, expires) in &bans.bans {
                match expires {
                    None => out.push((jail.to_string(), *addr, None)),
                    Some(t) if *t > now => out.push((jail.to_string(), *addr, Some(t.since(now)))),
                    Some(_) => {}
                }
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
mod tests {
    use super::*;

    fn ip(s: &str) -> Network {
        s.parse().unwrap()
    }

    fn at(ms: u64) -> Option<UnixMs> {
        Some(UnixMs(ms))
    }

    #[test]
    fn expiry_order_rebans_and_unbans() {
        let mut l = Ledger::default();
        l.ban("sshd", ip("192.0.2.1"), at(1000));
        l.ban("sshd", ip("192.0.2.2"), at(500));
        l.ban("web", ip("192.0.2.1"), None);
        l.ban("sshd", ip("192.0.2.1"), at(3000));
        assert_eq!(
            l.expired(UnixMs(1000)),
            vec![("sshd".to_string(), ip("192.0.2.2"))]
        );
        assert_eq!(l.count("sshd"), 1);
        assert!(l.unban("sshd", ip("192.0.2.1")));
        assert!(!l.unban("sshd", ip("192.0.2.1")));
        assert!(l.expired(UnixMs(u64::MAX)).is_empty());
        assert_eq!(l.bans(None), vec![("web".to_string(), ip("192.0.2.1"))]);
        assert!(l.is_banned("web", ip("192.0.2.1"), UnixMs(u64::MAX)));
        assert!(!l.is_banned("sshd", ip("192.0.2.2"), UnixMs(0)));
        l.ban("sshd", ip("192.0.2.3"), at(2000));
        assert!(l.is_banned("sshd", ip("192.0.2.3"), UnixMs(1999)));
        assert!(!l.is_banned("sshd", ip("192.0.2.3"), UnixMs(2000)));
        l.ban("sshd", ip("192.0.2.4"), at(900));
        let mut active = l.active(UnixMs(1000));
        active.sort();
        assert_eq!(
            active,
            vec![
                (
                    "sshd".to_string(),
                    ip("192.0.2.3"),
                    Some(Duration::from_secs(1))
                ),
                ("web".to_string(), ip("192.0.2.1"), None),
            ]
        );
        l.unban("sshd", ip("192.0.2.3"));
        l.unban("sshd", ip("192.0.2.4"));
        l.retain_jails(&["sshd".to_string()]);
        assert!(l.bans(None).is_empty());
    }

    #[test]
    fn bans_holding_own_addresses_and_their_v6_networks() {
        let mut l = Ledger::default();
        for a in [
            "192.0.2.7",
            "192.0.2.8",
            "2001:db8::1",
            "2001:db8::2",
            "2001:db9::1",
        ] {
            l.ban("sshd", ip(a), None);
        }
        let own = [ip("192.0.2.7").addr, ip("2001:db8::99").addr];
        assert_eq!(l.holding("sshd", None, &own), vec![ip("192.0.2.7")]);
        assert_eq!(
            l.holding("sshd", Some(64), &own),
            vec![ip("192.0.2.7"), ip("2001:db8::1"), ip("2001:db8::2")]
        );
        assert!(l.holding("web", None, &own).is_empty());
    }

    #[test]
    fn networks_cover_the_addresses_inside_them() {
        let mut l = Ledger::default();
        l.ban("sshd", ip("192.0.2.7"), at(1000));
        l.ban("sshd", ip("198.51.100.0/24"), at(5000));
        l.ban("sshd", ip("2001:db8::/32"), None);
        l.ban("web", ip("203.0.113.0/24"), None);
        let inside = ip("198.51.100.9");
        assert!(l.is_banned("sshd", inside, UnixMs(4999)));
        assert!(!l.is_banned("sshd", inside, UnixMs(5000)));
        assert_eq!(
            l.covering("sshd", inside, UnixMs(0)),
            Some((ip("198.51.100.0/24"), at(5000)))
        );
        assert_eq!(l.covering("sshd", ip("198.51.100.0/24"), UnixMs(0)), None);
        assert!(l.is_banned("sshd", ip("2001:db8:1::/48"), UnixMs(0)));
        assert!(!l.is_banned("sshd", ip("2001:db9::1"), UnixMs(0)));
        assert!(!l.is_banned("sshd", ip("203.0.113.1"), UnixMs(0)));
        assert_eq!(
            l.covered("sshd", ip("192.0.2.0/24")),
            vec![(ip("192.0.2.7"), at(1000))]
        );
        assert!(l.covered("sshd", ip("192.0.2.7")).is_empty());
        assert!(l.covered("sshd", ip("198.51.100.0/24")).is_empty());
        assert_eq!(
            l.holding("sshd", None, &[inside.addr]),
            vec![ip("198.51.100.0/24")]
        );
        assert!(l.unban("sshd", ip("198.51.100.0/24")));
        assert_eq!(l.covering("sshd", inside, UnixMs(0)), None);
        assert_eq!(l.expiry("sshd", ip("192.0.2.7")), Some(at(1000)));
        assert_eq!(l.expiry("sshd", ip("192.0.2.8")), None);
    }
}
