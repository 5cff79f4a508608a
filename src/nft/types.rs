//! The vocabulary of the nft module: what a jail looks like in the kernel,
//! what a ban is, what a listing returns.

use std::time::Duration;

pub use crate::network::{Network, NetworkError};

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
    /// Jail name; the sets are `<name>-v4` and `<name>-v6` (addresses) and
    /// `<name>-net4` and `<name>-net6` (networks).
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
    /// What a ban of `addr` (an address or a network) in `jail` puts in
    /// the kernel: itself, or its network where the jail bans IPv6 by
    /// prefix ([`Network::within`]).
    pub fn network_of(&self, jail: &str, addr: impl Into<Network>) -> Network {
        let prefix = self.jail(jail).and_then(|j| j.v6_prefix);
        addr.into().within(prefix)
    }

    /// The identity of a ban of `addr` in `jail`: one per kernel element.
    pub fn key(&self, jail: &str, addr: impl Into<Network>) -> BanKey {
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
            // "-net4" is appended and set names have at most 255 bytes.
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

/// Ban `addr` (an address or a network) in `jail` for `timeout` (none:
/// permanent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    pub jail: String,
    pub addr: Network,
    pub timeout: Option<Duration>,
    /// Written as the element's comment (a remote ban's origin node).
    pub comment: Option<Comment>,
}

/// Lift the ban of `addr` (an address or a network) in `jail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unban {
    pub jail: String,
    pub addr: Network,
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
