//! Blocks: a storm's decisions, many to a message.
//!
//! One message per decision keeps the stream's latest decision per origin,
//! jail and address, but a replicated JetStream stream stores a few tens of
//! thousands of messages a second at best (each is a Raft round among the
//! servers), so a storm of 100,000 bans would take seconds to publish. A
//! publish of at least [`BLOCK_MIN`] decisions therefore sends each run of
//! the same origin and jail as blocks of up to [`BLOCK_MAX`] decisions (and
//! [`MAX_BLOCK_PAYLOAD`] bytes): one message whose body is the JSON array
//! of the decisions, in order, on `PREFIX.<node>.<jail>.block-<id>`, where
//! `id` is a hash of the decisions' ids (the same block published twice
//! has the same subject and `Nats-Msg-Id`, so JetStream drops the retry).
//!
//! A block is under its node's name like a single decision, so the same
//! NATS permissions hold, and each decision in it is checked as if it came
//! alone ([`super::Intake::admit_message`]). The stream is still correct
//! for a node reading it from the start: decisions are applied in stream
//! order, and a later decision about an address (its own subject, or a
//! later block) overrides what a block said about it; a block leaves the
//! stream by its age, like every message.

use std::ops::Range;

use super::decision::{Decision, parse_target};
use super::settings::is_token;

/// A publish of fewer decisions sends each alone (one ban at a time keeps
/// its own subject and its latency).
pub const BLOCK_MIN: usize = 64;
/// Decisions in one block at most.
pub const BLOCK_MAX: usize = 1_000;
/// Largest block body, well under nats-server's default `max_payload`
/// (1 MiB; a server that takes less gets smaller blocks, [`block_bytes`]);
/// a decision is about 200 bytes.
pub const MAX_BLOCK_PAYLOAD: usize = 256 * 1024;
/// The subject token of a block starts with this; no address token does.
const BLOCK_TOKEN: &str = "block-";

/// How a publish sends `decisions[..]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// `decisions[i]` alone, on its own subject.
    One(usize),
    /// `decisions[covers]` in one message.
    Block {
        covers: Range<usize>,
        subject: String,
        id: String,
        body: Vec<u8>,
    },
}

/// The packets that send `decisions` in order under `prefix`, no block
/// body over `max_bytes` ([`block_bytes`] of the server's limit).
pub fn pack(prefix: &str, decisions: &[Decision], max_bytes: usize) -> Vec<Packet> {
    if decisions.len() < BLOCK_MIN {
        return (0..decisions.len()).map(Packet::One).collect();
    }
    let mut packets = Vec::new();
    let mut start = 0;
    while start < decisions.len() {
        let (end, body) = run(decisions, start, max_bytes);
        if end - start < 2 {
            packets.push(Packet::One(start));
            start += 1;
            continue;
        }
        let members = &decisions[start..end];
        let token = format!("{BLOCK_TOKEN}{:016x}", block_hash(members));
        let first = &members[0];
        packets.push(Packet::Block {
            subject: format!("{prefix}.{}.{}.{token}", first.origin, first.jail),
            id: format!("{}:{}:{token}", first.origin, first.jail),
            body,
            covers: start..end,
        });
        start = end;
    }
    packets
}

/// The largest block body for a server whose `max_payload` is this (0:
/// not known yet): [`MAX_BLOCK_PAYLOAD`], or less, leaving room for the
/// headers, if the server takes less.
pub fn block_bytes(max_payload: usize) -> usize {
    match max_payload {
        0 => MAX_BLOCK_PAYLOAD,
        n => MAX_BLOCK_PAYLOAD.min(n.saturating_sub(1024)),
    }
}

/// The block starting at `start`: its end and body. Same origin and
/// jail, valid targets, within [`BLOCK_MAX`] and `max_bytes`; it ends at
/// `start` when that decision cannot go in a block.
fn run(decisions: &[Decision], start: usize, max_bytes: usize) -> (usize, Vec<u8>) {
    let first = &decisions[start];
    let mut body = vec![b'['];
    let mut end = start;
    for d in &decisions[start..] {
        let fits = d.origin == first.origin
            && d.jail == first.jail
            && is_token(&d.origin)
            && is_token(&d.jail)
            && parse_target(&d.target).is_some()
            && end - start < BLOCK_MAX;
        if !fits {
            break;
        }
        let json = d.to_json();
        if body.len() + json.len() + 2 > max_bytes {
            break;
        }
        if end > start {
            body.push(b',');
        }
        body.extend_from_slice(&json);
        end += 1;
    }
    body.push(b']');
    (end, body)
}

/// FNV-1a over the decisions' ids: the same decisions, the same block.
fn block_hash(decisions: &[Decision]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in decisions.iter().flat_map(|d| d.id.bytes().chain([b'\n'])) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Whether an address token is a block's (`block-` and 16 lowercase hex
/// digits, exactly what [`pack`] writes).
pub fn is_block_token(token: &str) -> bool {
    token.strip_prefix(BLOCK_TOKEN).is_some_and(|hex| {
        hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// The decisions of a block's body; `None` unless it is a JSON array of
/// decisions, at most [`BLOCK_MAX`] of them.
pub fn parse_block(body: &[u8]) -> Option<Vec<Decision>> {
    if body.len() > MAX_BLOCK_PAYLOAD {
        return None;
    }
    let decisions: Vec<Decision> = serde_json::from_slice(body).ok()?;
    (!decisions.is_empty() && decisions.len() <= BLOCK_MAX).then_some(decisions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Expiry, Kind};

    fn decision(jail: &str, i: u32) -> Decision {
        let target = std::net::Ipv4Addr::from(0xcb00_7100 + i).to_string();
        Decision {
            origin: "gate-1".into(),
            jail: jail.into(),
            id: format!("gate-1:{jail}:{target}:ban:1"),
            target,
            kind: Kind::Ban,
            expires: Expiry::At(2),
            failures: 3,
            at: 1,
        }
    }

    fn covers(packets: &[Packet]) -> Vec<Range<usize>> {
        (packets.iter())
            .map(|p| match p {
                Packet::One(i) => *i..*i + 1,
                Packet::Block { covers, .. } => covers.clone(),
            })
            .collect()
    }

    #[test]
    fn a_few_decisions_go_one_by_one() {
        let few: Vec<Decision> = (0..BLOCK_MIN as u32 - 1)
            .map(|i| decision("sshd", i))
            .collect();
        let packets = pack("p", &few, MAX_BLOCK_PAYLOAD);
        assert_eq!(packets.len(), few.len());
        assert!(packets.iter().all(|p| matches!(p, Packet::One(_))));
    }

    #[test]
    fn a_storm_goes_in_blocks_split_by_jail_and_size_in_order() {
        let mut storm: Vec<Decision> = (0..2_500).map(|i| decision("sshd", i)).collect();
        storm.push(decision("nginx", 0));
        storm.extend((2_500..2_600).map(|i| decision("sshd", i)));
        let packets = pack("fleet", &storm, MAX_BLOCK_PAYLOAD);
        assert_eq!(
            covers(&packets),
            [0..1000, 1000..2000, 2000..2500, 2500..2501, 2501..2601]
        );
        assert_eq!(packets[3], Packet::One(2500));
        let Packet::Block {
            subject, id, body, ..
        } = &packets[0]
        else {
            panic!("not a block: {:?}", packets[0]);
        };
        let token = subject.strip_prefix("fleet.gate-1.sshd.").unwrap();
        assert!(is_block_token(token), "{subject}");
        assert_eq!(id, &format!("gate-1:sshd:{token}"));
        assert_eq!(parse_block(body).unwrap(), storm[0..1000]);
        // The same decisions make the same block; others another.
        assert_eq!(pack("fleet", &storm, MAX_BLOCK_PAYLOAD)[0], packets[0]);
        assert_ne!(covers(&packets[1..2]), covers(&packets[0..1]));
        let Packet::Block { subject: other, .. } = &packets[1] else {
            panic!()
        };
        assert_ne!(other, subject);
    }

    #[test]
    fn a_block_stays_under_its_byte_limit() {
        let mut big = decision("sshd", 0);
        big.id = "x".repeat(1_000);
        let storm = vec![big; 600];
        let packets = pack("p", &storm, MAX_BLOCK_PAYLOAD);
        assert!(packets.len() >= 3, "{:?}", covers(&packets));
        for p in &packets {
            if let Packet::Block { body, .. } = p {
                assert!(body.len() <= MAX_BLOCK_PAYLOAD, "{}", body.len());
            }
        }
        assert_eq!(covers(&packets).last().unwrap().end, 600);
        // A server that takes 64 KiB: smaller blocks; one that takes less
        // than two decisions: each alone.
        assert_eq!(block_bytes(0), MAX_BLOCK_PAYLOAD);
        assert_eq!(block_bytes(64 * 1024), 63 * 1024);
        let small = pack("p", &storm, block_bytes(64 * 1024));
        assert!(small.len() > packets.len());
        for p in &small {
            if let Packet::Block { body, .. } = p {
                assert!(body.len() <= 63 * 1024, "{}", body.len());
            }
        }
        let tiny = pack("p", &storm, block_bytes(2_000));
        assert_eq!(tiny.len(), 600);
    }

    #[test]
    fn block_tokens_and_bodies_are_checked() {
        assert!(is_block_token("block-0123456789abcdef"));
        for bad in [
            "block-0123456789ABCDEF",
            "block-0123456789abcde",
            "block-0123456789abcdef0",
            "block-",
            "203-0-113-7",
        ] {
            assert!(!is_block_token(bad), "{bad}");
        }
        assert_eq!(parse_block(b"[]"), None);
        assert_eq!(parse_block(b"{}"), None);
        assert_eq!(parse_block(b"[1]"), None);
        let too_many: Vec<Decision> = (0..=BLOCK_MAX as u32).map(|i| decision("s", i)).collect();
        assert_eq!(parse_block(&serde_json::to_vec(&too_many).unwrap()), None);
    }
}
