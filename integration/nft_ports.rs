//! Port ranges and rules for both protocols against the real kernel: what
//! our setup builds must list exactly as the ruleset `nft -f` builds from
//! the same rules written by hand (`nft -j` as the oracle).

use portcullis::nft::{Hook, JailSpec, NftConfig, PortRange, Ports, Protocol};

use crate::common::NetNs;
use crate::nft::open_with;

fn r(first: u16, last: u16) -> PortRange {
    PortRange { first, last }
}

fn config() -> NftConfig {
    let mut web = JailSpec::tcp("web", &[]);
    // Unsorted, overlapping, with a range running to the last port.
    web.ports = Ports::listed(
        vec![Protocol::Udp, Protocol::Tcp],
        vec![r(8050, 8200), r(22, 22), r(8000, 8100), r(60000, 65535)],
    );
    let mut voip = JailSpec::tcp("voip", &[]);
    voip.ports = Ports::listed(vec![Protocol::Udp], vec![r(5060, 5061)]);
    let mut dns = JailSpec::tcp("dns", &[]);
    dns.ports = Ports::listed(vec![Protocol::Udp, Protocol::Tcp], vec![]);
    NftConfig {
        table: "portcullis".into(),
        hooks: vec![Hook::Input],
        jails: vec![web, voip, dns],
    }
}

const SCRIPT: &str = "
table inet portcullis {
    set web-v4 { type ipv4_addr; flags timeout; }
    set web-v6 { type ipv6_addr; flags timeout; }
    set web-net4 { type ipv4_addr; flags interval,timeout; }
    set web-net6 { type ipv6_addr; flags interval,timeout; }
    set voip-v4 { type ipv4_addr; flags timeout; }
    set voip-v6 { type ipv6_addr; flags timeout; }
    set voip-net4 { type ipv4_addr; flags interval,timeout; }
    set voip-net6 { type ipv6_addr; flags interval,timeout; }
    set dns-v4 { type ipv4_addr; flags timeout; }
    set dns-v6 { type ipv6_addr; flags timeout; }
    set dns-net4 { type ipv4_addr; flags interval,timeout; }
    set dns-net6 { type ipv6_addr; flags interval,timeout; }
    chain input {
        type filter hook input priority filter - 1; policy accept;
        tcp dport { 22, 8000-8200, 60000-65535 } ip saddr @web-v4 drop
        udp dport { 22, 8000-8200, 60000-65535 } ip saddr @web-v4 drop
        tcp dport { 22, 8000-8200, 60000-65535 } ip6 saddr @web-v6 drop
        udp dport { 22, 8000-8200, 60000-65535 } ip6 saddr @web-v6 drop
        tcp dport { 22, 8000-8200, 60000-65535 } ip saddr @web-net4 drop
        udp dport { 22, 8000-8200, 60000-65535 } ip saddr @web-net4 drop
        tcp dport { 22, 8000-8200, 60000-65535 } ip6 saddr @web-net6 drop
        udp dport { 22, 8000-8200, 60000-65535 } ip6 saddr @web-net6 drop
        udp dport { 5060-5061 } ip saddr @voip-v4 drop
        udp dport { 5060-5061 } ip6 saddr @voip-v6 drop
        udp dport { 5060-5061 } ip saddr @voip-net4 drop
        udp dport { 5060-5061 } ip6 saddr @voip-net6 drop
        meta l4proto tcp ip saddr @dns-v4 drop
        meta l4proto udp ip saddr @dns-v4 drop
        meta l4proto tcp ip6 saddr @dns-v6 drop
        meta l4proto udp ip6 saddr @dns-v6 drop
        meta l4proto tcp ip saddr @dns-net4 drop
        meta l4proto udp ip saddr @dns-net4 drop
        meta l4proto tcp ip6 saddr @dns-net6 drop
        meta l4proto udp ip6 saddr @dns-net6 drop
    }
}
";

#[test]
fn port_ranges_and_both_protocols_list_as_nft_builds_them() {
    let (Some(ours), Some(oracle)) = (NetNs::new("ranges"), NetNs::new("ranges")) else {
        return;
    };
    let path = std::env::temp_dir().join(format!("{}.nft", oracle.name));
    std::fs::write(&path, SCRIPT).unwrap();
    oracle.sh(&["nft", "-f", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    ours.run(|| {
        open_with(&config());
    });
    assert_eq!(ours.nft_json("portcullis"), oracle.nft_json("portcullis"));
    let text = ours.sh(&["nft", "list", "table", "inet", "portcullis"]);
    assert!(
        text.contains("udp dport { 22, 8000-8200, 60000-65535 } ip saddr @web-v4 drop"),
        "{text}"
    );
}
