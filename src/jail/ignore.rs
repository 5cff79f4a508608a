//! The addresses a jail never bans: its `ignore` list, and with
//! `ignoreself` loopback and the host's own addresses.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use crate::nft::Network;

#[derive(Debug, Clone, Default)]
pub struct IgnoreList {
    networks: Vec<Network>,
    ignoreself: bool,
    /// Shared by every jail; replaced whole when the host's addresses change.
    own: Arc<HashSet<IpAddr>>,
}

impl IgnoreList {
    pub fn new(networks: Vec<Network>, ignoreself: bool, own: Arc<HashSet<IpAddr>>) -> IgnoreList {
        IgnoreList {
            networks,
            ignoreself,
            own,
        }
    }

    /// Replaces the host's own addresses (after they changed).
    pub fn set_own(&mut self, own: Arc<HashSet<IpAddr>>) {
        self.own = own;
    }

    pub fn networks(&self) -> &[Network] {
        &self.networks
    }

    pub fn set_networks(&mut self, networks: Vec<Network>) {
        self.networks = networks;
    }

    /// Whether `addr` must never be banned.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        if self.ignoreself && (addr.is_loopback() || self.own.contains(&addr)) {
            return true;
        }
        self.networks.iter().any(|n| {
            n.addr.is_ipv4() == addr.is_ipv4() && Network::new(addr, n.prefix_len).addr == n.addr
        })
    }
}

impl IgnoreList {
    /// Whether `network` must not be banned: it is (or covers) an address
    /// this list holds, or overlaps one of its networks.
    pub fn refuses(&self, network: &Network) -> bool {
        if network.is_host() {
            return self.contains(network.addr);
        }
        let loopback = [
            IpAddr::from([127, 0, 0, 1]),
            IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
        ];
        let own = self.own.iter().chain(&loopback);
        if self.ignoreself && own.map(|a| canonical(*a)).any(|a| network.contains(a)) {
            return true;
        }
        (self.networks.iter()).any(|n| n.covers(network) || network.covers(n))
    }
}

/// IPv4-mapped IPv6 (`::ffff:192.0.2.1`) as IPv4.
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_network_is_refused_if_it_covers_an_ignored_or_own_address() {
        let nets = vec![
            "192.0.2.8/29".parse().unwrap(),
            "2001:db8::9".parse().unwrap(),
        ];
        let own = Arc::new(HashSet::from([ip("198.51.100.7")]));
        let list = IgnoreList::new(nets, true, own);
        let refused = |n: &str| list.refuses(&n.parse().unwrap());
        for n in [
            "192.0.2.0/24",
            "192.0.2.8/30",
            "198.51.100.0/24",
            "127.0.0.0/8",
            "2001:db8::/64",
            "::/0",
        ] {
            assert!(refused(n), "{n}");
        }
        for n in [
            "203.0.113.0/24",
            "192.0.2.0/29",
            "198.51.100.8/29",
            "2001:db8:1::/64",
            "203.0.113.7",
        ] {
            assert!(!refused(n), "{n}");
        }
        assert!(refused("198.51.100.7") && refused("192.0.2.9"));
    }

    #[test]
    fn networks_loopback_and_own_addresses() {
        let nets = vec![
            Network::new(ip("192.0.2.0"), 24),
            Network::new(ip("2001:db8::"), 32),
        ];
        let own = Arc::new(HashSet::from([ip("198.51.100.7")]));
        let list = IgnoreList::new(nets.clone(), true, own.clone());
        for yes in [
            "192.0.2.200",
            "2001:db8::5",
            "127.0.0.5",
            "::1",
            "198.51.100.7",
            "::ffff:192.0.2.1",
        ] {
            assert!(list.contains(ip(yes)), "{yes}");
        }
        for no in ["192.0.3.1", "2001:db9::1", "203.0.113.7"] {
            assert!(!list.contains(ip(no)), "{no}");
        }
        let without_self = IgnoreList::new(nets, false, own);
        assert!(!without_self.contains(ip("127.0.0.1")));
        assert!(!without_self.contains(ip("198.51.100.7")));
    }
}
