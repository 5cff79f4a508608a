//! Which destination ports of which protocols a jail's rule covers.
//!
//! Invariant kept by [`Ports::listed`]: ranges are sorted, non-empty and
//! do not overlap or touch (touching ones are merged), because a kernel
//! interval set refuses overlapping elements; protocols are unique.

use std::fmt;

/// Which traffic from a banned address the rule stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ports {
    /// Everything, whatever the protocol.
    All,
    /// These destination ports of these protocols (one rule per protocol);
    /// no ranges: every port of these protocols.
    Listed {
        protocols: Vec<Protocol>,
        ranges: Vec<PortRange>,
    },
}

/// A transport protocol with ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
}

/// Ports `first..=last`; a single port has `first == last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl Ports {
    /// TCP ports, each on its own.
    pub fn tcp(ports: &[u16]) -> Ports {
        Ports::listed(
            vec![Protocol::Tcp],
            ports.iter().map(|&p| PortRange::one(p)).collect(),
        )
    }

    /// UDP ports, each on its own.
    pub fn udp(ports: &[u16]) -> Ports {
        Ports::listed(
            vec![Protocol::Udp],
            ports.iter().map(|&p| PortRange::one(p)).collect(),
        )
    }

    /// Sorted and merged, see the module invariant.
    pub fn listed(mut protocols: Vec<Protocol>, ranges: Vec<PortRange>) -> Ports {
        protocols.sort();
        protocols.dedup();
        Ports::Listed {
            protocols,
            ranges: merge(ranges),
        }
    }
}

impl Protocol {
    /// The IPPROTO_ number.
    pub fn number(self) -> u8 {
        match self {
            Protocol::Tcp => libc::IPPROTO_TCP as u8,
            Protocol::Udp => libc::IPPROTO_UDP as u8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

impl PortRange {
    pub fn one(port: u16) -> PortRange {
        PortRange {
            first: port,
            last: port,
        }
    }

    /// `22`, `8000-8100` or fail2ban's `8000:8100`; ports 1 to 65535.
    pub fn parse(text: &str) -> Result<PortRange, String> {
        let bad = || format!("{text:?} is not a port (1-65535) or a range such as \"8000-8100\"");
        let port = |t: &str| {
            t.trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(bad)
        };
        let range = match text.split_once(['-', ':']) {
            Some((a, b)) => PortRange {
                first: port(a)?,
                last: port(b)?,
            },
            None => PortRange::one(port(text)?),
        };
        if range.first > range.last {
            return Err(format!("{text:?}: the range ends before it starts"));
        }
        Ok(range)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

/// Sorts and merges overlapping or adjacent ranges.
fn merge(mut ranges: Vec<PortRange>) -> Vec<PortRange> {
    ranges.sort();
    let mut out: Vec<PortRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(prev) if u32::from(r.first) <= u32::from(prev.last) + 1 => {
                prev.last = prev.last.max(r.last);
            }
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(first: u16, last: u16) -> PortRange {
        PortRange { first, last }
    }

    #[test]
    fn ranges_parse_in_both_spellings() {
        assert_eq!(PortRange::parse("22"), Ok(r(22, 22)));
        assert_eq!(PortRange::parse("8000-8100"), Ok(r(8000, 8100)));
        assert_eq!(PortRange::parse("8000:8100"), Ok(r(8000, 8100)));
        assert_eq!(
            PortRange::parse("0"),
            Err("\"0\" is not a port (1-65535) or a range such as \"8000-8100\"".into())
        );
        assert_eq!(
            PortRange::parse("90-80"),
            Err("\"90-80\": the range ends before it starts".into())
        );
        assert!(PortRange::parse("ssh").is_err());
        assert_eq!(r(8000, 8100).to_string(), "8000-8100");
        assert_eq!(r(22, 22).to_string(), "22");
    }

    #[test]
    fn listed_ranges_are_sorted_and_merged_protocols_deduplicated() {
        let ports = Ports::listed(
            vec![Protocol::Udp, Protocol::Tcp, Protocol::Udp],
            vec![
                r(8050, 8200),
                r(22, 22),
                r(8000, 8100),
                r(23, 23),
                r(443, 443),
            ],
        );
        assert_eq!(
            ports,
            Ports::Listed {
                protocols: vec![Protocol::Tcp, Protocol::Udp],
                ranges: vec![r(22, 23), r(443, 443), r(8000, 8200)],
            }
        );
    }
}
