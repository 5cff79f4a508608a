//! [`Network`]: what a ban holds, an address or a network
//! (`192.0.2.7`, `192.0.2.0/24`, `2001:db8::/64`), with its text form
//! (parsed strictly: no bits after the prefix) and its serde form (that
//! text). A leaf: the kernel's sets (`nft`), the ledger, the database's
//! keys and the control protocol all name bans with it.

use std::fmt;
use std::net::IpAddr;

/// An address (a host: 32 or 128 bits of prefix) or a network. Written and
/// parsed as `192.0.2.7`, `192.0.2.0/24`, `2001:db8::/64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Network {
    pub addr: IpAddr,
    pub prefix_len: u8,
}

impl Network {
    /// What a ban of `addr` covers in a jail banning IPv6 networks of
    /// `v6_prefix` bits (none: exact addresses): the one place of the rule
    /// that IPv4 addresses are always exact and IPv6 ones are masked.
    pub fn of(addr: IpAddr, v6_prefix: Option<u8>) -> Network {
        Network::host(addr).within(v6_prefix)
    }

    /// What a ban of this address or network puts in the set of a jail
    /// banning IPv6 networks of `v6_prefix` bits: an IPv6 network longer
    /// than that is widened to it; anything else stays as it is.
    pub fn within(self, v6_prefix: Option<u8>) -> Network {
        match v6_prefix {
            Some(len) if self.addr.is_ipv6() && self.prefix_len > len => {
                Network::new(self.addr, len)
            }
            _ => self,
        }
    }

    /// Whether `addr` is in this network.
    pub fn contains(&self, addr: IpAddr) -> bool {
        addr.is_ipv4() == self.addr.is_ipv4() && Network::new(addr, self.prefix_len) == *self
    }

    /// Whether every address of `other` is in this network.
    pub fn covers(&self, other: &Network) -> bool {
        other.prefix_len >= self.prefix_len && self.contains(other.addr)
    }

    /// The longest prefix of this family: 32 or 128.
    pub fn host_len(&self) -> u8 {
        if self.addr.is_ipv4() { 32 } else { 128 }
    }

    /// `addr` masked to `prefix_len` bits (the host length keeps it exact).
    pub fn new(addr: IpAddr, prefix_len: u8) -> Self {
        let addr = match addr {
            IpAddr::V4(a) => {
                let len = prefix_len.min(32) as u32;
                let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                IpAddr::V4((u32::from(a) & mask).into())
            }
            IpAddr::V6(a) => {
                let len = prefix_len.min(128) as u32;
                let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
                IpAddr::V6((u128::from(a) & mask).into())
            }
        };
        Network { addr, prefix_len }
    }

    /// One host.
    pub fn host(addr: IpAddr) -> Self {
        let len = if addr.is_ipv4() { 32 } else { 128 };
        Network {
            addr,
            prefix_len: len,
        }
    }

    pub fn is_host(&self) -> bool {
        self.prefix_len == self.host_len()
    }
}

impl From<IpAddr> for Network {
    fn from(addr: IpAddr) -> Network {
        Network::host(addr)
    }
}

/// Why text is not an address or network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    #[error(
        "{0:?} is not an IP address or network (examples: 192.0.2.7, 192.0.2.0/24, 2001:db8::/64)"
    )]
    Syntax(String),
    #[error("{text:?}: a prefix length of {len} is more than the {max} bits of the address")]
    Length { text: String, len: u8, max: u8 },
    #[error("{text:?} has bits set after its prefix: the network is {network}")]
    HostBits { text: String, network: Network },
}

impl std::str::FromStr for Network {
    type Err = NetworkError;

    /// `ADDR` or `ADDR/LEN`; the address must be the network's first one
    /// (`192.0.2.7/24` is refused, naming `192.0.2.0/24`), so that a typo
    /// never bans a network nobody asked for.
    fn from_str(text: &str) -> Result<Network, NetworkError> {
        let syntax = || NetworkError::Syntax(text.to_string());
        let (addr, len) = match text.split_once('/') {
            Some((a, l)) if !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) => {
                (a, Some(l.parse::<u8>().map_err(|_| syntax())?))
            }
            Some(_) => return Err(syntax()),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| syntax())?;
        let host = Network::host(addr);
        let Some(len) = len else {
            return Ok(host);
        };
        if len > host.host_len() {
            let max = host.host_len();
            return Err(NetworkError::Length {
                text: text.to_string(),
                len,
                max,
            });
        }
        let network = Network::new(addr, len);
        if network.addr != addr {
            return Err(NetworkError::HostBits {
                text: text.to_string(),
                network,
            });
        }
        Ok(network)
    }
}

impl serde::Serialize for Network {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Network {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Network, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_host() {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix_len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Network, NetworkError> {
        s.parse()
    }

    #[test]
    fn text_round_trips_and_typos_are_refused_with_the_reason() {
        for text in [
            "192.0.2.7",
            "192.0.2.0/24",
            "2001:db8::/64",
            "::/0",
            "2001:db8::1",
        ] {
            assert_eq!(parse(text).unwrap().to_string(), text);
        }
        assert_eq!(parse("192.0.2.7/32").unwrap(), parse("192.0.2.7").unwrap());
        assert_eq!(
            parse("192.0.2.7/24").unwrap_err().to_string(),
            "\"192.0.2.7/24\" has bits set after its prefix: the network is 192.0.2.0/24"
        );
        assert_eq!(
            parse("192.0.2.0/33").unwrap_err().to_string(),
            "\"192.0.2.0/33\": a prefix length of 33 is more than the 32 bits of the address"
        );
        for bad in [
            "192.0.2.0/",
            "192.0.2.0/-1",
            "192.0.2/24",
            "host",
            "1.2.3.4/1/2",
            "::/999",
        ] {
            assert!(
                matches!(parse(bad), Err(NetworkError::Syntax(_))),
                "{bad}: {:?}",
                parse(bad)
            );
        }
        assert_eq!(
            parse("x").unwrap_err().to_string(),
            "\"x\" is not an IP address or network (examples: 192.0.2.7, 192.0.2.0/24, 2001:db8::/64)"
        );
        let json = serde_json::to_string(&parse("2001:db8::/64").unwrap()).unwrap();
        assert_eq!(json, "\"2001:db8::/64\"");
        assert!(serde_json::from_str::<Network>("\"10.0.0.1/8\"").is_err());
    }

    #[test]
    fn containment_and_the_jails_v6_prefix() {
        let n = |s: &str| s.parse::<Network>().unwrap();
        assert!(n("192.0.2.0/24").contains("192.0.2.255".parse().unwrap()));
        assert!(!n("192.0.2.0/24").contains("192.0.3.0".parse().unwrap()));
        assert!(!n("::/0").contains("192.0.2.1".parse().unwrap()));
        assert!(n("0.0.0.0/0").covers(&n("192.0.2.0/24")));
        assert!(n("192.0.2.0/24").covers(&n("192.0.2.0/24")));
        assert!(!n("192.0.2.0/25").covers(&n("192.0.2.0/24")));
        assert_eq!(n("2001:db8::7").within(Some(64)), n("2001:db8::/64"));
        assert_eq!(n("2001:db8::/48").within(Some(64)), n("2001:db8::/48"));
        assert_eq!(n("192.0.2.7").within(Some(24)), n("192.0.2.7"));
        assert_eq!(n("2001:db8::7").within(None), n("2001:db8::7"));
    }
}
