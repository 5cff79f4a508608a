//! Subjects: `PREFIX.<node>.<jail>.<address>`, one per origin, jail and
//! address, so the stream (max messages per subject 1) keeps the latest
//! decision of each, and NATS permissions can let a node publish under
//! `PREFIX.<its name>.>` only.
//!
//! The address token: the address's canonical text with `.` -> `-`,
//! `:` -> `_` and a prefix length written `--LEN` (`203.0.113.0/24` ->
//! `203-0-113-0--24`, `2001:db8::1` -> `2001_db8__1`). IP text never holds
//! `-` or `_`, and v4 text never holds `--`, so the encoding is reversible;
//! decoding accepts only the canonical form (re-encoding gives the same
//! token), so one network has exactly one subject and an unban always lands
//! on the subject of the ban it lifts. A storm's blocks of decisions
//! ([`super::block`]) live on `PREFIX.<node>.<jail>.block-<16 hex digits>`.

use std::net::IpAddr;

use crate::nft::Network;

use super::block::is_block_token;
use super::settings::is_token;

/// The token of `network` in a subject.
pub fn encode_network(network: &Network) -> String {
    let mut token: String = network
        .addr
        .to_string()
        .chars()
        .map(|c| match c {
            '.' => '-',
            ':' => '_',
            c => c,
        })
        .collect();
    if !network.is_host() {
        token.push_str("--");
        token.push_str(&network.prefix_len.to_string());
    }
    token
}

/// The network an address token names; `None` unless `token` is exactly
/// what [`encode_network`] writes for it.
pub fn decode_network(token: &str) -> Option<Network> {
    let (addr, len) = match token.rsplit_once("--") {
        Some((addr, len)) if !addr.ends_with('-') => (addr, Some(len)),
        _ => (token, None),
    };
    let text: String = addr
        .chars()
        .map(|c| match c {
            '-' => '.',
            '_' => ':',
            c => c,
        })
        .collect();
    let ip: IpAddr = text.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let network = match len {
        None => Network::host(ip),
        Some(len) => {
            let len: u8 = len.parse().ok().filter(|l| *l < max)?;
            Network::new(ip, len)
        }
    };
    (encode_network(&network) == token).then_some(network)
}

/// What a subject's last token names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One decision about this address or network.
    Network(Network),
    /// A block of decisions ([`super::block`]).
    Block,
}

/// The parts of a decision's subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectParts {
    pub origin: String,
    pub jail: String,
    pub target: Target,
}

/// Why a subject is not one of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    #[error("subject is not under the cluster's prefix")]
    NotOurs,
    #[error("subject does not have the shape PREFIX.node.jail.address")]
    Shape,
    #[error("subject's node or jail is not a valid token")]
    BadToken,
    #[error("subject's address token is not an address")]
    BadAddress,
}

/// `PREFIX.<node>.<jail>.<address>`; the node and jail must be tokens
/// ([`is_token`]), which the settings and the caller check.
pub fn subject(prefix: &str, node: &str, jail: &str, network: &Network) -> String {
    format!("{prefix}.{node}.{jail}.{}", encode_network(network))
}

/// The subject filter of everything the cluster publishes: `PREFIX.>`.
pub fn wildcard(prefix: &str) -> String {
    format!("{prefix}.>")
}

/// Splits a subject received under `prefix` (`PREFIX.<node>.<jail>.` and
/// an address token or a block's).
pub fn parse_subject(prefix: &str, subject: &str) -> Result<SubjectParts, SubjectError> {
    let rest = subject
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('.'))
        .ok_or(SubjectError::NotOurs)?;
    let mut tokens = rest.split('.');
    let (Some(origin), Some(jail), Some(address), None) =
        (tokens.next(), tokens.next(), tokens.next(), tokens.next())
    else {
        return Err(SubjectError::Shape);
    };
    if !is_token(origin) || !is_token(jail) {
        return Err(SubjectError::BadToken);
    }
    let target = match decode_network(address) {
        Some(network) => Target::Network(network),
        None if is_block_token(address) => Target::Block,
        None => return Err(SubjectError::BadAddress),
    };
    Ok(SubjectParts {
        origin: origin.to_string(),
        jail: jail.to_string(),
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> Network {
        match text.split_once('/') {
            Some((a, l)) => Network::new(a.parse().unwrap(), l.parse().unwrap()),
            None => Network::host(text.parse().unwrap()),
        }
    }

    #[test]
    fn golden_tokens() {
        let cases = [
            ("203.0.113.7", "203-0-113-7"),
            ("203.0.113.0/24", "203-0-113-0--24"),
            ("2001:db8::1", "2001_db8__1"),
            ("2001:db8::/32", "2001_db8__--32"),
            ("::", "__"),
            ("::ffff:1.2.3.4", "__ffff_1-2-3-4"),
            ("fe80::1:2", "fe80__1_2"),
        ];
        for (text, token) in cases {
            assert_eq!(encode_network(&net(text)), token, "{text}");
            assert_eq!(decode_network(token), Some(net(text)), "{token}");
            assert!(is_token(token), "{token}");
        }
    }

    #[test]
    fn non_canonical_tokens_are_refused() {
        for token in [
            "203-0-113-7--32",  // host length written out
            "203-0-113-7--24",  // host bits set under the prefix
            "203-0-113-0---24", // extra dash
            "2001_0db8__1",     // leading zero
            "2001_DB8__1",      // upper case
            "203-0-113",        // too short
            "203-0-113-0--33",  // longer than the family
            "203-0-113-0--",    // empty length
            "203-0-113-0--x",   // not a number
            "1-2-3-4--0--8",    // two lengths
            "",
            "example",
        ] {
            assert_eq!(decode_network(token), None, "{token}");
        }
    }

    #[test]
    fn every_v4_and_v6_round_trips() {
        for a in [0u32, 1, 0x0a000001, 0xcb007107, u32::MAX] {
            for len in [8u8, 16, 24, 31, 32] {
                let n = Network::new(IpAddr::V4(a.into()), len);
                assert_eq!(decode_network(&encode_network(&n)), Some(n));
            }
        }
        for a in [1u128, 0x2001_0db8 << 96, u128::MAX, 0xffff_0102_0304] {
            for len in [32u8, 48, 64, 127, 128] {
                let n = Network::new(IpAddr::V6(a.into()), len);
                assert_eq!(decode_network(&encode_network(&n)), Some(n));
            }
        }
    }

    #[test]
    fn subjects_round_trip_and_refuse_other_shapes() {
        let s = subject("fleet.bans", "gate-1", "sshd", &net("203.0.113.7"));
        assert_eq!(s, "fleet.bans.gate-1.sshd.203-0-113-7");
        let parts = parse_subject("fleet.bans", &s).unwrap();
        assert_eq!(parts.origin, "gate-1");
        assert_eq!(parts.jail, "sshd");
        assert_eq!(parts.target, Target::Network(net("203.0.113.7")));
        let block = parse_subject(
            "fleet.bans",
            "fleet.bans.gate-1.sshd.block-00000000000000ff",
        );
        assert_eq!(block.unwrap().target, Target::Block);
        assert_eq!(wildcard("fleet.bans"), "fleet.bans.>");
        let err = |subject| parse_subject("fleet.bans", subject).unwrap_err();
        assert_eq!(err("fleet.bansx.a.b.1-2-3-4"), SubjectError::NotOurs);
        assert_eq!(err("other.a.b.1-2-3-4"), SubjectError::NotOurs);
        assert_eq!(err("fleet.bans.a.b"), SubjectError::Shape);
        assert_eq!(err("fleet.bans.a.b.1-2-3-4.x"), SubjectError::Shape);
        assert_eq!(err("fleet.bans.a.b ad.1-2-3-4"), SubjectError::BadToken);
        assert_eq!(err("fleet.bans.a.b.1-2-3"), SubjectError::BadAddress);
    }
}
