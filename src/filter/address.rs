//! What a failure is pinned on: an address, a host name or another id,
//! checked after matching so that a lenient regex can never put a wrong
//! address on a failure.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The identity a failure is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FailureId {
    /// An address; IPv4-mapped IPv6 is stored as IPv4.
    Addr(IpAddr),
    /// A host name, to be resolved by whoever bans.
    Name(String),
    /// A failure id that is not an address (`<F-ID>`).
    Id(String),
}

/// Picks the failure's id from the captured groups, in order ip4, ip6,
/// dns; an `F-ID` that differs from them wins. Returns the id as written
/// in the log (IPv4-mapped addresses shown as IPv4) and its parsed form.
pub fn identify(
    ip4: Option<&str>,
    ip6: Option<&str>,
    dns: Option<&str>,
    fid: Option<&str>,
) -> Option<(String, FailureId)> {
    let found = if let Some(text) = ip4 {
        Some((
            text.to_string(),
            FailureId::Addr(IpAddr::V4(parse_ipv4(text)?)),
        ))
    } else if let Some(text) = ip6 {
        let text = text.trim_start_matches('[').trim_end_matches(']');
        let addr: Ipv6Addr = text.parse().ok()?;
        Some(match addr.to_ipv4_mapped() {
            Some(v4) => (v4.to_string(), FailureId::Addr(IpAddr::V4(v4))),
            None => (text.to_string(), FailureId::Addr(IpAddr::V6(addr))),
        })
    } else {
        dns.filter(|d| !d.is_empty())
            .map(|d| (d.to_string(), FailureId::Name(d.to_ascii_lowercase())))
    };
    match (found, fid) {
        (Some((host, _)), Some(fid)) if fid != host => {
            Some((fid.to_string(), FailureId::Id(fid.to_string())))
        }
        (None, Some(fid)) => Some((fid.to_string(), FailureId::Id(fid.to_string()))),
        (found, _) => found,
    }
}

/// A dotted quad; octets may carry leading zeros (`192.030.0.6` is read as
/// decimal 192.30.0.6, as syslog daemons print them), each at most 255.
pub fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut bytes = text.bytes();
    for (n, octet) in octets.iter_mut().enumerate() {
        let (mut value, mut digits) = (0u16, 0);
        loop {
            match bytes.next() {
                Some(b @ b'0'..=b'9') if digits < 3 => {
                    value = value * 10 + u16::from(b - b'0');
                    digits += 1;
                }
                Some(b'.') if n < 3 && digits > 0 => break,
                None if n == 3 && digits > 0 => break,
                _ => return None,
            }
        }
        *octet = u8::try_from(value).ok()?;
    }
    Some(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(
        ip4: Option<&str>,
        ip6: Option<&str>,
        dns: Option<&str>,
        fid: Option<&str>,
    ) -> Option<(String, FailureId)> {
        identify(ip4, ip6, dns, fid)
    }

    #[test]
    fn ipv4_with_leading_zeros_is_decimal() {
        assert_eq!(
            parse_ipv4("192.030.0.6"),
            Some(Ipv4Addr::new(192, 30, 0, 6))
        );
        assert_eq!(parse_ipv4("256.1.1.1"), None);
        assert_eq!(parse_ipv4("1.2.3"), None);
        assert_eq!(parse_ipv4("1.2.3.4.5"), None);
    }

    #[test]
    fn mapped_ipv6_becomes_ipv4() {
        let (host, addr) = id(None, Some("::ffff:192.0.2.7"), None, None).unwrap();
        assert_eq!(host, "192.0.2.7");
        assert_eq!(addr, FailureId::Addr("192.0.2.7".parse().unwrap()));
    }

    #[test]
    fn invalid_addresses_give_no_failure() {
        assert_eq!(id(Some("999.1.1.1"), None, None, None), None);
        assert_eq!(id(None, Some("13:55:36"), None, None), None);
    }

    #[test]
    fn failure_id_that_differs_wins() {
        let (host, kind) = id(Some("192.0.2.1"), None, None, Some("session-9")).unwrap();
        assert_eq!(
            (host.as_str(), kind),
            ("session-9", FailureId::Id("session-9".into()))
        );
        let (host, _) = id(None, None, Some("Example.COM"), None).unwrap();
        assert_eq!(host, "Example.COM");
    }
}
