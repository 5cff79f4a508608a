//! The vocabulary of the nft module: what a jail looks like in the kernel,
//! what a ban is, what a listing returns.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use super::comment::Comment;
use super::error::NftError;
use super::ports::Ports;

/// Our table and what goes in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NftConfig {
    /// Table name (family inet).
    pub table: String,
    /// Base chains to create; at least one.
    pub hooks: Vec<Hook>,
    pub jails: Vec<JailSpec>,
}

impl Default for NftConfig {
    fn default() -> Self {
        NftConfig {
            table: "portcullis".to_string(),
            hooks: vec![Hook::Input],
            jails: Vec::new(),
        }
    }
}

/// A netfilter hook for one of our base chains (named after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    /// Traffic to this host.
    Input,
    /// Traffic routed through this host (services in containers).
    Forward,
}

impl Hook {
    /// The chain's name, which is also the nft keyword.
    pub fn chain_name(self) -> &'static str {
        match self {
            Hook::Input => "input",
            Hook::Forward => "forward",
        }
    }
}

/// One jail's sets and rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JailSpec {
    /// Jail name; the sets are `<name>-v4` and `<name>-v6`.
    pub name: String,
    pub ports: Ports,
    pub verdict: BanVerdict,
    /// Ban whole IPv6 networks of this length (interval set), e.g. 64.
    pub v6_prefix: Option<u8>,
}

impl JailSpec {
    /// A jail dropping TCP traffic to `ports` from exact addresses.
    pub fn tcp(name: &str, ports: &[u16]) -> Self {
        JailSpec {
            name: name.to_string(),
            ports: Ports::tcp(ports),
            verdict: BanVerdict::Drop,
            v6_prefix: None,
        }
    }

    pub fn set_v4(&self) -> String {
        format!("{}-v4", self.name)
    }

    pub fn set_v6(&self) -> String {
        format!("{}-v6", self.name)
    }
}

/// What happens to the banned traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BanVerdict {
    Drop,
    /// TCP reset for TCP jails, ICMP port unreachable otherwise.
    Reject,
}

impl NftConfig {
    /// What a ban of `addr` in `jail` puts in the kernel: the address, or
    /// its network where the jail bans IPv6 by prefix ([`Network::of`]).
    pub fn network_of(&self, jail: &str, addr: IpAddr) -> Network {
        let prefix = self.jail(jail).and_then(|j| j.v6_prefix);
        Network::of(addr, prefix)
    }

    /// The identity of a ban of `addr` in `jail`: one per kernel element.
    pub fn key(&self, jail: &str, addr: IpAddr) -> BanKey {
        BanKey {
            jail: jail.to_string(),
            network: self.network_of(jail, addr),
        }
    }

    /// The jail named `name`, if configured.
    pub fn jail(&self, name: &str) -> Option<&JailSpec> {
        self.jails.iter().find(|j| j.name == name)
    }

    /// Checks what the kernel would reject less legibly.
    pub fn validate(&self) -> Result<(), NftError> {
        let invalid = |reason: String| NftError::InvalidConfig { reason };
        if self.table.is_empty() || self.table.len() > 255 {
            return Err(invalid(format!(
                "table name {:?} must have 1 to 255 bytes",
                self.table
            )));
        }
        if self.hooks.is_empty() {
            return Err(invalid(
                "at least one hook (input, forward) is needed".into(),
            ));
        }
        for jail in &self.jails {
            // "-v4" is appended and set names have at most 255 bytes.
            if jail.name.is_empty() || jail.name.len() > 250 {
                return Err(invalid(format!(
                    "jail name {:?} must have 1 to 250 bytes",
                    jail.name
                )));
            }
            if let Ports::Listed { protocols, .. } = &jail.ports
                && protocols.is_empty()
            {
                return Err(invalid(format!("jail {} lists no protocol", jail.name)));
            }
            if let Some(len) = jail.v6_prefix
                && !(1..=128).contains(&len)
            {
                return Err(invalid(format!(
                    "jail {}: IPv6 prefix length {len} is not in 1..=128",
                    jail.name
                )));
            }
        }
        Ok(())
    }
}

/// Ban `addr` in `jail` for `timeout` (none: permanent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    pub jail: String,
    pub addr: IpAddr,
    pub timeout: Option<Duration>,
    /// Written as the element's comment (a remote ban's origin node).
    pub comment: Option<Comment>,
}

/// Lift the ban of `addr` in `jail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unban {
    pub jail: String,
    pub addr: IpAddr,
}

/// An address or, in a v6 interval set, a network.
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
        match v6_prefix {
            Some(len) if addr.is_ipv6() => Network::new(addr, len),
            _ => Network::host(addr),
        }
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
        self.prefix_len == if self.addr.is_ipv4() { 32 } else { 128 }
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

/// The identity of a ban: a jail and what the kernel holds for it (the
/// address, or its IPv6 network in a jail with a prefix). Two bans with one
/// key are one kernel element. Made by [`NftConfig::key`] or
/// [`Element::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BanKey {
    pub jail: String,
    pub network: Network,
}

/// A banned address as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub jail: String,
    pub network: Network,
    /// The timeout it was added with; none for a permanent ban.
    pub timeout: Option<Duration>,
    /// Time left until the kernel removes it; none for a permanent ban.
    pub expires: Option<Duration>,
    /// Its comment, when it has a valid one (a remote ban's origin node).
    pub comment: Option<Comment>,
}

impl Element {
    /// The identity of this ban.
    pub fn key(&self) -> BanKey {
        BanKey {
            jail: self.jail.clone(),
            network: self.network,
        }
    }
}
