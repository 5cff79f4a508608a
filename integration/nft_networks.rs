//! Networks in the kernel's interval sets, through [`Nft`] directly and
//! checked with `nft -j list`: IPv4 and IPv6 networks beside hosts, read
//! back as `nft` shows them; an overlapping element refused with a message
//! that names it; [`Nft::ban_lifting`] replacing hosts by their network in
//! one transaction; a table of plain IPv4 sets from an older portcullis
//! carried into interval sets by the next setup, bans and times kept.

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

/// What we read back, in the oracle's shape.
fn ours(nft: &mut Nft, set_suffix: &str) -> BTreeMap<String, Option<u64>> {
    let listed = nft.list("portcullis", None).unwrap().unwrap();
    (listed.into_iter())
        .filter(|e| e.network.addr.is_ipv4() == (set_suffix == "v4"))
        .map(|e| (e.network.to_string(), e.timeout.map(|t| t.as_secs())))
        .collect()
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
        for (set, v) in [("sshd-v4", "v4"), ("sshd-v6", "v6")] {
            let want = oracle(&ns, set);
            assert_eq!(ours(&mut nft, v), want, "{set}");
            assert!(want.len() >= 3, "{want:?}");
        }
        assert!(oracle(&ns, "sshd-v4").contains_key("192.0.2.0/24"));
        assert_eq!(oracle(&ns, "sshd-v6")["2001:db8::/64"], Some(60));
        // An address inside a network is in the set, as the kernel's own
        // lookup (`nft get element`) answers.
        assert!(
            nft.holds("portcullis", "sshd-v4", "192.0.2.200".parse().unwrap())
                .unwrap()
        );
        assert!(
            !nft.holds("portcullis", "sshd-v4", "192.0.4.1".parse().unwrap())
                .unwrap()
        );
        let unban = |a: &str| Unban {
            jail: "sshd".into(),
            addr: a.parse().unwrap(),
        };
        nft.unban(&[unban("192.0.2.0/24"), unban("2001:db8::/64")])
            .unwrap();
        assert!(!oracle(&ns, "sshd-v4").contains_key("192.0.2.0/24"));
        assert!(!oracle(&ns, "sshd-v6").contains_key("2001:db8::/64"));
        assert_eq!(oracle(&ns, "sshd-v4").len(), 3);
    });
}

#[test]
fn an_overlap_is_refused_and_ban_lifting_replaces_hosts_by_their_network() {
    let Some(ns) = NetNs::new("nft-overlap") else {
        return;
    };
    ns.run(|| {
        let mut nft = open_with(&sshd_only());
        nft.ban(&[
            ban("sshd", "192.0.2.7", Some(600)),
            ban("sshd", "192.0.2.9", None),
        ])
        .unwrap();
        let err = nft
            .ban(&[ban("sshd", "192.0.2.0/24", Some(600))])
            .unwrap_err();
        let text = portcullis::error_chain(&err);
        assert_eq!(
            text,
            "cannot add 192.0.2.0/24 to set sshd-v4 in table inet portcullis: it overlaps an element of the set (an address inside a banned network, or a network holding a banned address): File exists (os error 17)"
        );
        // Nothing of the refused transaction applied.
        assert_eq!(oracle(&ns, "sshd-v4").len(), 2);
        let lift = |a: &str| Unban {
            jail: "sshd".into(),
            addr: a.parse().unwrap(),
        };
        nft.ban_lifting(
            &[lift("192.0.2.7"), lift("192.0.2.9")],
            &[ban("sshd", "192.0.2.0/24", Some(600))],
        )
        .unwrap();
        let set = oracle(&ns, "sshd-v4");
        assert_eq!(
            set.into_iter().collect::<Vec<_>>(),
            [("192.0.2.0/24".into(), Some(600))]
        );
    });
}

#[test]
fn a_table_of_plain_ipv4_sets_is_carried_into_interval_sets() {
    let Some(ns) = NetNs::new("nft-migrate") else {
        return;
    };
    // The layout before issue 15: IPv4 sets without the interval flag.
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
    let after = ns.sh(&["nft", "list", "set", "inet", "portcullis", "sshd-v4"]);
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
