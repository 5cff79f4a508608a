//! Networks in the kernel's interval sets (`J-net4`, `J-net6`) beside the
//! addresses of the hash sets, through [`Nft`] directly and checked with
//! `nft -j list`: read back as `nft` shows them; an overlapping network
//! refused with a message that says so; [`Nft::ban_lifting`] replacing
//! networks by a wider one in one transaction; a table from before network
//! bans (no network sets) gaining them at the next setup, bans and times
//! kept.

use std::collections::BTreeMap;

use portcullis::nft::{Nft, Unban};

use crate::common::NetNs;
use crate::daemon_common::value_text;
use crate::nft::{ban, open_with, sshd_only};

/// `set` of our table as `nft -j` shows it: element -> timeout (seconds).
fn oracle(ns: &NetNs, set: &str) -> BTreeMap<String, Option<u64>> {
    let out = ns.sh(&["nft", "-j", "list", "set", "inet", "portcullis", set]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut found = BTreeMap::new();
    for item in v["nftables"].as_array().unwrap() {
        for e in item["set"]["elem"].as_array().into_iter().flatten() {
            match e.get("elem") {
                Some(o) => found.insert(value_text(&o["val"]), o["timeout"].as_u64()),
                None => found.insert(value_text(e), None),
            };
        }
    }
    found
}

/// What we read back of one family, in the oracle's shape.
fn ours(nft: &mut Nft, v4: bool) -> BTreeMap<String, Option<u64>> {
    let listed = nft.list("portcullis", None).unwrap().unwrap();
    (listed.into_iter())
        .filter(|e| e.network.addr.is_ipv4() == v4)
        .map(|e| (e.network.to_string(), e.timeout.map(|t| t.as_secs())))
        .collect()
}

/// The oracle's elements of a family: its host and network sets.
fn family(ns: &NetNs, hosts: &str, nets: &str) -> BTreeMap<String, Option<u64>> {
    let mut all = oracle(ns, hosts);
    all.extend(oracle(ns, nets));
    all
}

#[test]
fn networks_and_hosts_read_back_as_nft_shows_them() {
    let Some(ns) = NetNs::new("nft-networks") else {
        return;
    };
    ns.run(|| {
        let mut nft = open_with(&sshd_only());
        nft.ban(&[
            ban("sshd", "192.0.2.0/24", Some(600)),
            ban("sshd", "192.0.3.4", Some(900)),
            ban("sshd", "192.0.3.5", None),
            ban("sshd", "10.0.0.0/8", None),
            ban("sshd", "2001:db8::/64", Some(60)),
            ban("sshd", "2001:db8:1::7", None),
            ban("sshd", "2001:db8:2::/48", Some(60)),
        ])
        .unwrap();
        for (hosts, nets, v4) in [
            ("sshd-v4", "sshd-net4", true),
            ("sshd-v6", "sshd-net6", false),
        ] {
            let want = family(&ns, hosts, nets);
            assert_eq!(ours(&mut nft, v4), want, "{hosts}");
            assert!(want.len() >= 3, "{want:?}");
        }
        let v4 = oracle(&ns, "sshd-v4");
        assert_eq!(v4.keys().collect::<Vec<_>>(), ["192.0.3.4", "192.0.3.5"]);
        assert!(oracle(&ns, "sshd-net4").contains_key("192.0.2.0/24"));
        assert_eq!(oracle(&ns, "sshd-net6")["2001:db8::/64"], Some(60));
        // An address inside a network is in the set, as the kernel's own
        // lookup (`nft get element`) answers.
        let holds =
            |nft: &mut Nft, a: &str| nft.holds("portcullis", "sshd-net4", a.parse().unwrap());
        assert!(holds(&mut nft, "192.0.2.200").unwrap());
        assert!(!holds(&mut nft, "192.0.4.1").unwrap());
        let unban = |a: &str| Unban {
            jail: "sshd".into(),
            addr: a.parse().unwrap(),
        };
        nft.unban(&[unban("192.0.2.0/24"), unban("2001:db8::/64")])
            .unwrap();
        assert!(!oracle(&ns, "sshd-net4").contains_key("192.0.2.0/24"));
        assert!(!oracle(&ns, "sshd-net6").contains_key("2001:db8::/64"));
        assert_eq!(oracle(&ns, "sshd-net4").len(), 1);
        assert_eq!(oracle(&ns, "sshd-v4").len(), 2);
    });
}

#[test]
fn an_overlap_is_refused_and_ban_lifting_replaces_networks_by_a_wider_one() {
    let Some(ns) = NetNs::new("nft-overlap") else {
        return;
    };
    ns.run(|| {
        let mut nft = open_with(&sshd_only());
        nft.ban(&[
            ban("sshd", "192.0.2.0/25", Some(600)),
            ban("sshd", "192.0.2.128/26", None),
            // An address inside is another set's: no overlap there.
            ban("sshd", "192.0.2.7", None),
        ])
        .unwrap();
        let err = nft
            .ban(&[ban("sshd", "192.0.2.0/24", Some(600))])
            .unwrap_err();
        let text = portcullis::error_chain(&err);
        assert_eq!(
            text,
            "cannot add 192.0.2.0/24 to set sshd-net4 in table inet portcullis: it overlaps an element of the set (an address inside a banned network, or a network holding a banned address): File exists (os error 17)"
        );
        // Nothing of the refused transaction applied.
        assert_eq!(oracle(&ns, "sshd-net4").len(), 2);
        let lift = |a: &str| Unban {
            jail: "sshd".into(),
            addr: a.parse().unwrap(),
        };
        nft.ban_lifting(
            &[lift("192.0.2.0/25"), lift("192.0.2.128/26")],
            &[ban("sshd", "192.0.2.0/24", Some(600))],
        )
        .unwrap();
        let set = oracle(&ns, "sshd-net4");
        assert_eq!(
            set.into_iter().collect::<Vec<_>>(),
            [("192.0.2.0/24".into(), Some(600))]
        );
        assert_eq!(oracle(&ns, "sshd-v4").len(), 1);
    });
}

#[test]
fn a_table_without_network_sets_gains_them_and_keeps_its_bans() {
    let Some(ns) = NetNs::new("nft-migrate") else {
        return;
    };
    // The layout before network bans: no network sets.
    ns.sh(&[
        "nft",
        "add table inet portcullis; \
         add set inet portcullis sshd-v4 { type ipv4_addr; flags timeout; }; \
         add set inet portcullis sshd-v6 { type ipv6_addr; flags timeout; }; \
         add element inet portcullis sshd-v4 { 192.0.2.7 timeout 1h, 192.0.2.8 }; \
         add element inet portcullis sshd-v6 { 2001:db8::7 timeout 2h }",
    ]);
    let before = ns.sh(&["nft", "list", "set", "inet", "portcullis", "sshd-v4"]);
    assert!(!before.contains("interval"), "{before}");
    ns.run(|| {
        open_with(&sshd_only());
    });
    let after = ns.sh(&["nft", "list", "set", "inet", "portcullis", "sshd-net4"]);
    assert!(after.contains("flags interval,timeout"), "{after}");
    let v4 = oracle(&ns, "sshd-v4");
    assert_eq!(
        v4.keys().collect::<Vec<_>>(),
        ["192.0.2.7", "192.0.2.8"],
        "{v4:?}"
    );
    assert_eq!((v4["192.0.2.7"], v4["192.0.2.8"]), (Some(3600), None));
    assert_eq!(oracle(&ns, "sshd-v6")["2001:db8::7"], Some(7200));
}
