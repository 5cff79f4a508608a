//! Unit tests of the pure parts: grouping and naming bans, interval ends,
//! locating an extended-ack offset, pairing dumped interval ends, parsing
//! replies, choosing the removal mode.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use super::blame::{locate, name_networks};
use super::dump::network_to;
use super::elements::{RemovalMode, Verb, group, interval_end, push_change};
use super::types::Network;
use super::wire::{Batch, parse_error, replies};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn bans_are_grouped_per_set_and_v6_masked_to_the_jail_prefix() {
    let prefixes = HashMap::from([("web".to_string(), Some(64)), ("sshd".to_string(), None)]);
    let t = Some(Duration::from_secs(60));
    let items = [
        ("sshd", ip("192.0.2.1"), t, None),
        ("web", ip("2001:db8:1:2:3::4"), t, None),
        ("sshd", ip("2001:db8::9"), None, None),
        ("web", ip("192.0.2.2"), t, None),
        ("sshd", ip("192.0.2.3"), None, None),
    ];
    let groups = group(items.into_iter(), &prefixes);
    let summary: Vec<(String, bool, Vec<String>)> = groups
        .iter()
        .map(|g| {
            (
                g.set.clone(),
                g.interval,
                g.items.iter().map(|i| i.network.to_string()).collect(),
            )
        })
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        summary,
        [
            ("sshd-v4".into(), false, s(&["192.0.2.1", "192.0.2.3"])),
            ("web-v6".into(), true, s(&["2001:db8:1:2::/64"])),
            ("sshd-v6".into(), false, s(&["2001:db8::9"])),
            ("web-v4".into(), false, s(&["192.0.2.2"])),
        ]
    );
}

#[test]
fn interval_ends_are_the_address_after_the_network() {
    let end = |a: &str, len| interval_end(Network::new(ip(a), len));
    assert_eq!(end("2001:db8:1:2::", 64), Some(ip("2001:db8:1:3::")));
    assert_eq!(end("2001:db8::50", 128), Some(ip("2001:db8::51")));
    assert_eq!(end("ffff:ffff:ffff:ffff::", 64), None);
    assert_eq!(end("::", 0), None);
    assert_eq!(end("192.0.2.0", 24), Some(ip("192.0.3.0")));
}

#[test]
fn dumped_interval_ends_give_back_the_prefix() {
    let ends = [
        u128::from(ip6("2001:db8:1:3::")),
        u128::from(ip6("2001:db8::51")),
    ];
    let mut sorted = ends.to_vec();
    sorted.sort();
    assert_eq!(
        network_to(ip("2001:db8:1:2::"), &sorted).to_string(),
        "2001:db8:1:2::/64"
    );
    assert_eq!(
        network_to(ip("2001:db8::50"), &sorted).to_string(),
        "2001:db8::50"
    );
    // Up to the end of the address space.
    assert_eq!(
        network_to(ip("ffff:ffff:ffff:ffff::"), &sorted).to_string(),
        "ffff:ffff:ffff:ffff::/64"
    );
}

fn ip6(s: &str) -> std::net::Ipv6Addr {
    s.parse().unwrap()
}

#[test]
fn many_addresses_are_named_by_the_first_and_a_count() {
    let nets: Vec<Network> = ["192.0.2.1", "192.0.2.2", "192.0.2.2", "192.0.2.3"]
        .iter()
        .map(|a| Network::host(ip(a)))
        .collect();
    assert_eq!(name_networks(nets[..1].iter()), "192.0.2.1");
    // An interval's two entries name one network.
    assert_eq!(name_networks(nets.iter()), "192.0.2.1 and 2 more");
}

#[test]
fn an_extended_ack_offset_is_traced_to_its_element() {
    let prefixes = HashMap::new();
    let items = (1..=3u8).map(|i| ("sshd", IpAddr::from([192, 0, 2, i]), None, None));
    let change = &group(items, &prefixes)[0];
    let mut batch = Batch::new(1);
    push_change(&mut batch, &mut Vec::new(), "portcullis", change, Verb::Add);
    let sealed = batch.seal();
    let msg = sealed.command(0);
    // nlmsghdr 16 + nfgenmsg 4 + table 16 + set 12 = 48: the element list;
    // each element takes 16 bytes, so 52 + 16 + 8 is inside the second.
    assert_eq!(locate(msg, 52 + 16 + 8), (Some(3), Some(1)));
    assert_eq!(locate(msg, 20), (Some(1), None));
    assert_eq!(locate(msg, 40), (Some(2), None));
}

#[test]
fn an_error_reply_with_extended_ack_is_parsed() {
    let mut msg = Vec::new();
    let tlvs: &[u8] = &[
        8, 0, 2, 0, 52, 0, 0, 0, // NLMSGERR_ATTR_OFFS = 52
        12, 0, 1, 0, b'n', b'o', b' ', b's', b'e', b't', 0, 0, // NLMSGERR_ATTR_MSG
    ];
    let len = 16 + 4 + 16 + tlvs.len();
    msg.extend_from_slice(&(len as u32).to_ne_bytes());
    msg.extend_from_slice(&2u16.to_ne_bytes()); // NLMSG_ERROR
    msg.extend_from_slice(&(0x100u16 | 0x200).to_ne_bytes()); // NLM_F_CAPPED | NLM_F_ACK_TLVS
    msg.extend_from_slice(&9u32.to_ne_bytes());
    msg.extend_from_slice(&77u32.to_ne_bytes());
    msg.extend_from_slice(&(-2i32).to_ne_bytes());
    msg.extend_from_slice(&[0x50, 0, 0, 0, 0x0c, 0x0a, 5, 4, 9, 0, 0, 0, 0, 0, 0, 0]);
    msg.extend_from_slice(tlvs);
    // Two messages in one datagram.
    let mut datagram = msg.clone();
    datagram.extend_from_slice(&msg);
    let all: Vec<_> = replies(&datagram).collect();
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].seq, all[0].port_id), (9, 77));
    let ack = parse_error(&all[1]).unwrap();
    assert_eq!(
        (ack.errno, ack.bad_attr, ack.message.as_deref()),
        (2, Some(52), Some("no set"))
    );
}

#[test]
fn the_removal_mode_follows_the_kernel_version() {
    assert_eq!(RemovalMode::for_kernel(6, 18), RemovalMode::Update);
    assert_eq!(RemovalMode::for_kernel(7, 0), RemovalMode::Update);
    assert_eq!(RemovalMode::for_kernel(6, 11), RemovalMode::Destroy);
    assert_eq!(RemovalMode::for_kernel(6, 3), RemovalMode::Destroy);
    assert_eq!(RemovalMode::for_kernel(6, 1), RemovalMode::DeletePresent);
    assert_eq!(RemovalMode::for_kernel(5, 10), RemovalMode::DeletePresent);
}

#[test]
fn networks_are_masked_and_printed_like_nft() {
    assert_eq!(
        Network::new(ip("2001:db8:1:2:3::4"), 64).to_string(),
        "2001:db8:1:2::/64"
    );
    assert_eq!(
        Network::new(ip("192.0.2.77"), 24).to_string(),
        "192.0.2.0/24"
    );
    assert_eq!(Network::host(ip("192.0.2.77")).to_string(), "192.0.2.77");
}

#[test]
fn attributes_are_walked_aligned_and_stop_at_a_malformed_one() {
    use super::wire::attributes;
    // type 1 (3 bytes, padded), type 2 | NLA_F_NESTED (empty), then a
    // header claiming more bytes than there are.
    let buf = [
        7, 0, 1, 0, b'a', b'b', b'c', 0, 4, 0, 2, 0x80, 12, 0, 3, 0, 0, 0,
    ];
    let found: Vec<(u16, &[u8], usize, usize)> = attributes(&buf, 0)
        .map(|a| (a.kind, a.value, a.start, a.end))
        .collect();
    assert_eq!(found, [(1, &b"abc"[..], 0, 7), (2, &[][..], 8, 12)]);
    assert_eq!(attributes(&buf, 8).count(), 1);
    assert_eq!(attributes(&buf, 100).count(), 0);
    assert_eq!(attributes(&[3, 0, 1, 0], 0).count(), 0, "length below 4");
}
