//! Property tests of the dump reader: whatever the element encoder writes
//! (the bytes of our own NEWSETELEM batches, which is also the layout of
//! the kernel's dump replies) reads back as the same elements, in plain and
//! interval sets, with their comments, however the messages are spread over
//! datagrams; and no bytes at all make the readers panic. Fixed seed, a few hundred cases.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use netlink_packet_core::Emitable;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use super::comment::Comment;
use super::dump::{decode_elements, decode_sets};
use super::elements::{interval_end, key};
use super::encode::ElementList;
use super::types::{Element, Network};
use super::wire::{NFNL_SUBSYS_NFTABLES, NLMSG_HDRLEN, parse_error, replies};

/// NFT_MSG_NEWSETELEM, the message type of element dump replies.
const NFT_MSG_NEWSETELEM: u16 = 12;
const NFPROTO_INET: u8 = 1;
const NLM_F_MULTI: u16 = 2;

fn config() -> Config {
    Config {
        cases: 300,
        rng_seed: RngSeed::Fixed(0x706f_7274),
        failure_persistence: None,
        ..Config::default()
    }
}

/// One NEWSETELEM reply carrying `list`.
fn message(list: ElementList) -> Vec<u8> {
    let attr = list.into_attribute();
    let mut attr_bytes = vec![0; attr.buffer_len()];
    attr.emit(&mut attr_bytes);
    let len = NLMSG_HDRLEN + 4 + attr_bytes.len();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&(len as u32).to_ne_bytes());
    let ty = (u16::from(NFNL_SUBSYS_NFTABLES) << 8) | NFT_MSG_NEWSETELEM;
    out.extend_from_slice(&ty.to_ne_bytes());
    out.extend_from_slice(&NLM_F_MULTI.to_ne_bytes());
    out.extend_from_slice(&7u32.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(&[NFPROTO_INET, 0, 0, 0]);
    out.extend_from_slice(&attr_bytes);
    out
}

/// The elements encoded `per_message` to a message and `per_datagram`
/// messages to a datagram, as a dump would arrive.
fn datagrams(elements: &[Element], interval: bool, split: (usize, usize)) -> Vec<Vec<u8>> {
    let messages: Vec<Vec<u8>> = elements
        .chunks(split.0)
        .map(|chunk| {
            let mut list = ElementList::default();
            for e in chunk {
                let ms = |d: Option<Duration>| d.map(|d| d.as_millis() as u64);
                let addr = key(&e.network.addr);
                let comment = e.comment.as_ref();
                list.push_commented(addr.as_ref(), ms(e.timeout), ms(e.expires), comment);
                if let Some(end) = interval.then(|| interval_end(e.network)).flatten() {
                    list.push_interval_end(key(&end).as_ref());
                }
            }
            message(list)
        })
        .collect();
    messages.chunks(split.1).map(|c| c.concat()).collect()
}

fn addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
    ]
}

/// Timeout, expiry and comment of an element.
type Extras = (Option<Duration>, Option<Duration>, Option<Comment>);

fn extras() -> impl Strategy<Value = Extras> {
    let ms = proptest::option::of((0u64..u64::MAX / 2).prop_map(Duration::from_millis));
    let comment = proptest::option::of("[a-zA-Z0-9 .:_é-]{1,64}")
        .prop_map(|c| c.and_then(|c| Comment::truncated(&c)));
    (ms.clone(), ms, comment)
}

/// Networks of one family that do not overlap (as the kernel keeps an
/// interval set), in any order.
fn networks(v4: bool) -> impl Strategy<Value = Vec<Network>> {
    let bits: u8 = if v4 { 32 } else { 128 };
    let one = (any::<u128>(), 0..=bits).prop_map(move |(a, len)| {
        let addr = if v4 {
            IpAddr::V4(Ipv4Addr::from(a as u32))
        } else {
            IpAddr::V6(Ipv6Addr::from(a))
        };
        Network::new(addr, len)
    });
    proptest::collection::vec(one, 0..40).prop_map(|mut nets| {
        nets.sort_by_key(|n| (value(n.addr), n.prefix_len));
        let mut kept: Vec<Network> = Vec::new();
        for n in nets {
            let overlaps = kept.last().is_some_and(|last| {
                interval_end(*last).is_none_or(|end| value(end) > value(n.addr))
            });
            if !overlaps {
                kept.push(n);
            }
        }
        kept
    })
}

fn value(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn element(network: Network, (timeout, expires, comment): Extras) -> Element {
    Element {
        jail: "sshd".into(),
        network,
        timeout,
        expires,
        comment,
    }
}

fn sorted(mut elements: Vec<Element>) -> Vec<Element> {
    elements.sort_by_key(|e| (value(e.network.addr), e.network.prefix_len));
    elements
}

proptest! {
    #![proptest_config(config())]

    /// A plain set: every address, timeout, expiry and comment as encoded.
    #[test]
    fn plain_set_elements_read_back(
        items in proptest::collection::vec((addr(), extras()), 0..120),
        split in (1usize..50, 1usize..8),
    ) {
        let elements: Vec<Element> = items
            .into_iter()
            .map(|(a, t)| element(Network::host(a), t))
            .collect();
        let bytes = datagrams(&elements, false, split);
        let back = decode_elements("sshd", bytes.iter().map(Vec::as_slice), false);
        prop_assert_eq!(back, elements);
    }

    /// An interval set: each prefix recovered from its start and end.
    #[test]
    fn interval_set_prefixes_read_back(
        nets in any::<bool>().prop_flat_map(networks),
        times in proptest::collection::vec(extras(), 40),
        split in (1usize..50, 1usize..8),
    ) {
        let elements: Vec<Element> = nets
            .into_iter()
            .zip(times)
            .map(|(n, t)| element(n, t))
            .collect();
        let bytes = datagrams(&elements, true, split);
        let back = decode_elements("sshd", bytes.iter().map(Vec::as_slice), true);
        prop_assert_eq!(sorted(back), sorted(elements));
    }

    /// Arbitrary bytes, and encoded messages with bytes flipped or cut:
    /// the readers skip what they cannot read and never panic.
    #[test]
    fn damaged_dumps_never_panic(
        items in proptest::collection::vec((addr(), extras()), 1..20),
        damage in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
        noise in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let elements: Vec<Element> = items
            .into_iter()
            .map(|(a, t)| element(Network::host(a), t))
            .collect();
        let mut bytes = datagrams(&elements, false, (20, 20)).concat();
        for (at, b) in damage {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        for dgram in [&bytes[..], &noise[..]] {
            for interval in [false, true] {
                let back = decode_elements("sshd", [dgram], interval);
                prop_assert!(back.len() <= dgram.len() / 8);
            }
            let _ = decode_sets([dgram]);
            for reply in replies(dgram) {
                let _ = parse_error(&reply);
            }
        }
    }
}

/// A set as the model writes NEWSET reads back as our set; the same bytes
/// under another message type are not taken for a set.
#[test]
fn sets_read_back_from_newset_only() {
    use netlink_packet_netfilter::nftables::{NfTablesMessage, SetAttribute, SetFlags, SetMessage};
    let set = |flags| {
        super::socket::request_bytes(
            NfTablesMessage::NewSet(SetMessage {
                attributes: vec![
                    SetAttribute::Table("portcullis".into()),
                    SetAttribute::Name("sshd-v6".into()),
                    SetAttribute::Flags(flags),
                ],
            }),
            0,
            1,
        )
    };
    let interval = set(SetFlags::Interval | SetFlags::Timeout);
    let plain = set(SetFlags::Timeout);
    let sets = decode_sets([&[interval.clone(), plain].concat()[..]]);
    assert_eq!(
        sets.iter()
            .map(|s| (s.jail.as_str(), s.interval))
            .collect::<Vec<_>>(),
        [("sshd", true), ("sshd", false)]
    );
    let mut other = interval;
    other[4] = NFT_MSG_NEWSETELEM as u8;
    assert!(decode_sets([&other[..]]).is_empty());
}
