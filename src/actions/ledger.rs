//! [`Ledger`]: which addresses we banned in which jail, until when, so that
//! expiries are logged and recorded when the kernel drops the element.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use foldhash::HashMap;

use crate::nft::Network;
use crate::time::UnixMs;

/// Expiry (none: permanent).
type State = Option<UnixMs>;

#[derive(Debug, Default)]
pub struct Ledger {
    /// Per jail (the name shared, not copied per ban), per address.
    jails: HashMap<Arc<str>, HashMap<IpAddr, State>>,
    by_expiry: BTreeSet<(UnixMs, Arc<str>, IpAddr)>,
}

impl Ledger {
    fn name(&mut self, jail: &str) -> Arc<str> {
        match self.jails.get_key_value(jail) {
            Some((name, _)) => name.clone(),
            None => {
                let name: Arc<str> = Arc::from(jail);
                self.jails.insert(name.clone(), HashMap::default());
                name
            }
        }
    }

    /// Records a ban (a re-ban replaces the expiry).
    pub fn ban(&mut self, jail: &str, addr: IpAddr, expires: Option<UnixMs>) {
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
    pub fn unban(&mut self, jail: &str, addr: IpAddr) -> bool {
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
    pub fn expired(&mut self, now: UnixMs) -> Vec<(String, IpAddr)> {
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
    pub fn bans(&self, jail: Option<&str>) -> Vec<(String, IpAddr)> {
        self.jails
            .iter()
            .filter(|(j, _)| jail.is_none_or(|want| want == &***j))
            .flat_map(|(j, bans)| bans.keys().map(move |a| (j.to_string(), *a)))
            .collect()
    }

    /// The bans still running at `now`: jail, address and the time left
    /// (none: permanent).
    pub fn active(&self, now: UnixMs) -> Vec<(String, IpAddr, Option<Duration>)> {
        let mut out = Vec::new();
        for (jail, bans) in &self.jails {
            for (addr, expires) in bans {
                match expires {
                    None => out.push((jail.to_string(), *addr, None)),
                    Some(t) if *t > now => out.push((jail.to_string(), *addr, Some(t.since(now)))),
                    Some(_) => {}
                }
            }
        }
        out
    }

    /// The banned addresses of `jail` that are one of `own`, or in a jail
    /// with `v6_prefix` in the same IPv6 network as one.
    pub fn holding(&self, jail: &str, v6_prefix: Option<u8>, own: &[IpAddr]) -> Vec<IpAddr> {
        let network = |a: IpAddr| Network::of(a, v6_prefix);
        let own: Vec<Network> = own.iter().map(|a| network(*a)).collect();
        let Some(bans) = self.jails.get(jail) else {
            return Vec::new();
        };
        let mut out: Vec<IpAddr> = (bans.keys())
            .filter(|a| own.contains(&network(**a)))
            .copied()
            .collect();
        out.sort();
        out
    }

    /// Whether the ledger has a ban of `addr` in `jail`, run out or not.
    pub fn holds(&self, jail: &str, addr: IpAddr) -> bool {
        self.jails
            .get(jail)
            .is_some_and(|bans| bans.contains_key(&addr))
    }

    /// The end of the ban of `addr` in `jail` (`Some(None)`: permanent),
    /// `None` without one.
    pub fn expiry(&self, jail: &str, addr: IpAddr) -> Option<Option<UnixMs>> {
        self.jails.get(jail).and_then(|bans| bans.get(&addr)).copied()
    }

    /// Whether `addr` is banned in `jail` at `now`.
    pub fn is_banned(&self, jail: &str, addr: IpAddr, now: UnixMs) -> bool {
        let state = self.jails.get(jail).and_then(|bans| bans.get(&addr));
        state.is_some_and(|expires| expires.is_none_or(|t| t > now))
    }

    pub fn count(&self, jail: &str) -> usize {
        self.jails.get(jail).map_or(0, HashMap::len)
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

    fn ip(s: &str) -> IpAddr {
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
        let own = [ip("192.0.2.7"), ip("2001:db8::99")];
        assert_eq!(l.holding("sshd", None, &own), vec![ip("192.0.2.7")]);
        assert_eq!(
            l.holding("sshd", Some(64), &own),
            vec![ip("192.0.2.7"), ip("2001:db8::1"), ip("2001:db8::2")]
        );
        assert!(l.holding("web", None, &own).is_empty());
    }
}
