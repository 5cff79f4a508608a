//! Bans and unbans against the real kernel in a network namespace, with
//! `nft -j` as the oracle: timeouts and expiry, unbans, re-bans that reset
//! the expiry under each removal mode, IPv6 prefix bans.

use std::net::IpAddr;
use std::time::Duration;

use portcullis::nft::{Ban, JailSpec, NftConfig, RemovalMode, Unban};

use crate::common::{NetNs, poll_until};
use crate::nft::{ban, open_with, sshd_only};

#[test]
fn bans_appear_with_timeouts_and_vanish_at_expiry() {
    let Some(ns) = NetNs::new("expiry") else {
        return;
    };
    ns.run(|| {
        let mut nft = open_with(&sshd_only());
        let bans = [
            Ban {
                jail: "sshd".into(),
                addr: "192.0.2.10".parse().unwrap(),
                timeout: Some(Duration::from_millis(1500)),
            },
            Ban {
                jail: "sshd".into(),
                addr: "2001:db8::10".parse().unwrap(),
                timeout: Some(Duration::from_millis(1500)),
            },
            ban("sshd", "192.0.2.11", None),
        ];
        nft.ban(&bans).expect("ban");
        let listed = nft.list("portcullis", None).unwrap().unwrap();
        assert_eq!(listed.len(), 3, "{listed:?}");
        for e in &listed {
            if e.network.addr == "192.0.2.11".parse::<IpAddr>().unwrap() {
                assert_eq!((e.timeout, e.expires), (None, None));
            } else {
                assert_eq!(e.timeout, Some(Duration::from_millis(1500)), "{e:?}");
                assert!(e.expires.unwrap() <= Duration::from_millis(1500), "{e:?}");
            }
        }
        let left = poll_until(Duration::from_secs(15), || {
            let now = nft.list("portcullis", None).unwrap().unwrap();
            (now.len() == 1).then_some(now)
        })
        .expect("the timed bans expire");
        assert_eq!(left[0].network.to_string(), "192.0.2.11");
    });
}

#[test]
fn unban_removes_and_absent_addresses_are_fine() {
    let Some(ns) = NetNs::new("unban") else {
        return;
    };
    ns.run(|| {
        let mut nft = open_with(&sshd_only());
        nft.ban(&[
            ban("sshd", "192.0.2.20", Some(600)),
            ban("sshd", "192.0.2.21", Some(600)),
            ban("sshd", "2001:db8::21", None),
        ])
        .unwrap();
        let unban = |a: &str| Unban {
            jail: "sshd".into(),
            addr: a.parse().unwrap(),
        };
        nft.unban(&[
            unban("192.0.2.20"),
            unban("192.0.2.99"),
            unban("2001:db8::21"),
            unban("2001:db8::99"),
        ])
        .expect("unban with absent addresses");
        let left: Vec<String> = nft
            .list("portcullis", None)
            .unwrap()
            .unwrap()
            .iter()
            .map(|e| e.network.to_string())
            .collect();
        assert_eq!(left, ["192.0.2.21"]);
    });
}

fn reban_resets_expiry(mode: Option<RemovalMode>) {
    let Some(ns) = NetNs::new("reban") else {
        return;
    };
    ns.run(|| {
        let mut nft = open_with(&sshd_only());
        if let Some(mode) = mode {
            nft.set_removal_mode(mode);
        }
        nft.ban(&[
            ban("sshd", "192.0.2.30", Some(5)),
            ban("sshd", "2001:db8::30", Some(5)),
        ])
        .unwrap();
        nft.ban(&[
            ban("sshd", "192.0.2.30", Some(3600)),
            ban("sshd", "2001:db8::30", Some(3600)),
        ])
        .unwrap();
        let listed = nft.list("portcullis", None).unwrap().unwrap();
        assert_eq!(listed.len(), 2, "{listed:?}");
        for e in listed {
            assert_eq!(e.timeout, Some(Duration::from_secs(3600)), "{e:?}");
            assert!(e.expires.unwrap() > Duration::from_secs(3590), "{e:?}");
        }
        // Unban of absent and present elements works in this mode too.
        let unban = Unban {
            jail: "sshd".into(),
            addr: "192.0.2.30".parse().unwrap(),
        };
        nft.unban(&[
            unban.clone(),
            Unban {
                addr: "192.0.2.31".parse().unwrap(),
                ..unban
            },
        ])
        .unwrap();
        assert_eq!(nft.list("portcullis", None).unwrap().unwrap().len(), 1);
    });
}

#[test]
fn reban_resets_expiry_on_this_kernel() {
    reban_resets_expiry(None);
}

#[test]
fn reban_resets_expiry_with_destroy_then_add() {
    reban_resets_expiry(Some(RemovalMode::Destroy));
}

#[test]
fn reban_resets_expiry_with_delete_of_present_elements() {
    reban_resets_expiry(Some(RemovalMode::DeletePresent));
}

#[test]
fn ipv6_prefix_bans_use_the_interval_set() {
    let Some(ns) = NetNs::new("prefix") else {
        return;
    };
    ns.run(|| {
        let mut jail = JailSpec::tcp("sshd", &[22]);
        jail.v6_prefix = Some(64);
        let mut nft = open_with(&NftConfig {
            jails: vec![jail],
            ..NftConfig::default()
        });
        nft.ban(&[
            ban("sshd", "2001:db8:1:2::77", Some(600)),
            ban("sshd", "192.0.2.40", Some(600)),
        ])
        .unwrap();
        nft.ban(&[ban("sshd", "2001:db8:1:2::78", Some(1200))])
            .expect("re-ban of the same /64");
        let mut listed: Vec<String> = nft
            .list("portcullis", None)
            .unwrap()
            .unwrap()
            .iter()
            .map(|e| e.network.to_string())
            .collect();
        listed.sort();
        assert_eq!(listed, ["192.0.2.40", "2001:db8:1:2::/64"]);
        nft.unban(&[Unban {
            jail: "sshd".into(),
            addr: "2001:db8:1:2::1".parse().unwrap(),
        }])
        .unwrap();
        assert_eq!(nft.list("portcullis", None).unwrap().unwrap().len(), 1);
    });
    let text = ns.sh(&["nft", "list", "set", "inet", "portcullis", "sshd-v6"]);
    assert!(text.contains("flags interval,timeout"), "{text}");
}
