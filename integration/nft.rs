//! The nft module against the real kernel, each test in its own network
//! namespace, with `nft -j` as the independent oracle.

use std::net::IpAddr;
use std::time::Duration;

use portcullis::nft::{
    Ban, BanVerdict, ElementRemoval, Hook, JailSpec, Nft, NftConfig, Ports, Unban,
};
use serde_json::Value;

use crate::common::{NetNs, poll_until};

fn config() -> NftConfig {
    let mut dns = JailSpec::tcp("dns", &[]);
    dns.ports = Ports::Udp(vec![53]);
    dns.verdict = BanVerdict::Reject;
    dns.v6_prefix = Some(64);
    let mut web = JailSpec::tcp("web", &[80, 443]);
    web.verdict = BanVerdict::Reject;
    let mut recidive = JailSpec::tcp("recidive", &[]);
    recidive.ports = Ports::All;
    NftConfig {
        table: "portcullis".into(),
        hooks: vec![Hook::Input, Hook::Forward],
        jails: vec![JailSpec::tcp("sshd", &[22]), web, dns, recidive],
    }
}

/// The same ruleset as `config()`, written the way an operator would.
const SCRIPT: &str = "
table inet portcullis {
    set sshd-v4 { type ipv4_addr; flags timeout; }
    set sshd-v6 { type ipv6_addr; flags timeout; }
    set web-v4 { type ipv4_addr; flags timeout; }
    set web-v6 { type ipv6_addr; flags timeout; }
    set dns-v4 { type ipv4_addr; flags timeout; }
    set dns-v6 { type ipv6_addr; flags interval,timeout; }
    set recidive-v4 { type ipv4_addr; flags timeout; }
    set recidive-v6 { type ipv6_addr; flags timeout; }
    chain input {
        type filter hook input priority filter - 1; policy accept;
        RULES
    }
    chain forward {
        type filter hook forward priority filter - 1; policy accept;
        RULES
    }
}
";

const RULES: &str = "
        tcp dport { 22 } ip saddr @sshd-v4 drop
        tcp dport { 22 } ip6 saddr @sshd-v6 drop
        tcp dport { 80, 443 } ip saddr @web-v4 reject with tcp reset
        tcp dport { 80, 443 } ip6 saddr @web-v6 reject with tcp reset
        udp dport { 53 } ip saddr @dns-v4 reject
        udp dport { 53 } ip6 saddr @dns-v6 reject
        ip saddr @recidive-v4 drop
        ip6 saddr @recidive-v6 drop
";

fn open_with(config: &NftConfig) -> Nft {
    let mut nft = Nft::open().expect("open netlink");
    nft.setup(config).expect("setup");
    nft
}

fn sshd_only() -> NftConfig {
    NftConfig {
        jails: vec![JailSpec::tcp("sshd", &[22])],
        ..NftConfig::default()
    }
}

fn ban(jail: &str, addr: &str, secs: Option<u64>) -> Ban {
    Ban {
        jail: jail.into(),
        addr: addr.parse().unwrap(),
        timeout: secs.map(Duration::from_secs),
    }
}

#[test]
fn setup_yields_exactly_the_ruleset_nft_builds_from_the_script() {
    let (Some(ours), Some(oracle)) = (NetNs::new("setup"), NetNs::new("setup")) else {
        return;
    };
    let script = SCRIPT.replace("RULES", RULES.trim());
    let path = std::env::temp_dir().join(format!("{}.nft", oracle.name));
    std::fs::write(&path, script).unwrap();
    oracle.sh(&["nft", "-f", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);

    ours.sh(&["nft", "add table inet other; add chain inet other keep"]);
    ours.run(|| {
        let mut nft = open_with(&config());
        // Idempotent: the second setup leaves the same ruleset.
        nft.setup(&config()).expect("second setup");
    });
    assert_eq!(ours.nft_json("portcullis"), oracle.nft_json("portcullis"));
    // Another table is left alone.
    assert!(
        ours.sh(&["nft", "list", "table", "inet", "other"])
            .contains("chain keep")
    );
}

#[test]
fn changing_the_jails_replaces_only_our_table() {
    let Some(ns) = NetNs::new("replace") else {
        return;
    };
    ns.run(|| {
        let mut nft = open_with(&config());
        nft.setup(&sshd_only()).expect("replace");
    });
    let text = ns.sh(&["nft", "list", "ruleset"]);
    assert!(
        text.contains("set sshd-v4") && !text.contains("web-v4"),
        "{text}"
    );
    assert!(!text.contains("chain forward"), "{text}");
}

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

fn reban_resets_expiry(mode: Option<ElementRemoval>) {
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
    reban_resets_expiry(Some(ElementRemoval::Destroy));
}

#[test]
fn reban_resets_expiry_with_delete_of_present_elements() {
    reban_resets_expiry(Some(ElementRemoval::DeletePresent));
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

/// The elements of one set as `nft -j` shows them: address -> (timeout s, expires s).
fn nft_elements(ns: &NetNs, set: &str) -> Vec<(String, Option<u64>, Option<u64>)> {
    let json: Value =
        serde_json::from_str(&ns.sh(&["nft", "-j", "list", "set", "inet", "portcullis", set]))
            .unwrap();
    let set = json["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|i| i.get("set"))
        .unwrap()
        .clone();
    let mut out = Vec::new();
    for item in set["elem"].as_array().cloned().unwrap_or_default() {
        match item {
            Value::String(a) => out.push((a, None, None)),
            Value::Object(o) => {
                let e = &o["elem"];
                out.push((
                    e["val"].as_str().unwrap().into(),
                    e["timeout"].as_u64(),
                    e["expires"].as_u64(),
                ))
            }
            other => panic!("unexpected element {other}"),
        }
    }
    out.sort();
    out
}

#[test]
fn the_dump_matches_nft_json() {
    let Some(ns) = NetNs::new("dump") else { return };
    let (listed, read_at) = ns.run(|| {
        let mut nft = open_with(&sshd_only());
        let mut bans = Vec::new();
        for i in 0..3000u32 {
            let v4 = IpAddr::from((0xc633_6400u32 + i).to_be_bytes()); // 198.51.100.0 on
            let v6: IpAddr = format!("2001:db8::{:x}", i + 1).parse().unwrap();
            let timeout = (i % 3 != 0).then(|| Duration::from_secs(600 + u64::from(i)));
            bans.push(Ban {
                jail: "sshd".into(),
                addr: v4,
                timeout,
            });
            bans.push(Ban {
                jail: "sshd".into(),
                addr: v6,
                timeout,
            });
        }
        nft.ban(&bans).unwrap();
        (
            nft.list("portcullis", Some("sshd")).unwrap().unwrap(),
            std::time::Instant::now(),
        )
    });
    assert_eq!(listed.len(), 6000);
    for (set, v4) in [("sshd-v4", true), ("sshd-v6", false)] {
        let oracle = nft_elements(&ns, set);
        let lag = read_at.elapsed().as_secs() + 2;
        let mut ours: Vec<(String, Option<u64>, Option<u64>)> = listed
            .iter()
            .filter(|e| e.network.addr.is_ipv4() == v4)
            .map(|e| {
                (
                    e.network.to_string(),
                    e.timeout.map(|t| t.as_secs()),
                    e.expires.map(|t| t.as_secs()),
                )
            })
            .collect();
        ours.sort();
        assert_eq!(ours.len(), oracle.len());
        for (a, b) in ours.iter().zip(&oracle) {
            assert_eq!((&a.0, a.1), (&b.0, b.1));
            // Time left is read at two moments: allow for the time between.
            assert!(
                a.2.unwrap_or(0).abs_diff(b.2.unwrap_or(0)) <= lag,
                "{a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn a_hundred_thousand_bans_in_one_transaction_split_under_64_kib() {
    let Some(ns) = NetNs::new("bulk") else { return };
    ns.run(|| {
        let mut nft = open_with(&sshd_only());
        let bans: Vec<Ban> = (0..100_000u32)
            .map(|i| Ban {
                jail: "sshd".into(),
                addr: IpAddr::from((0x0a00_0000u32 + i).to_be_bytes()),
                timeout: Some(Duration::from_secs(3600)),
            })
            .collect();
        nft.ban(&bans).expect("one big transaction");
        assert_eq!(
            nft.list("portcullis", None).unwrap().unwrap().len(),
            100_000
        );
    });
}

#[test]
fn errors_name_the_address_the_set_and_the_cause() {
    let Some(ns) = NetNs::new("errors") else {
        return;
    };
    ns.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.attach(&sshd_only());
        let err = nft.ban(&[ban("sshd", "203.0.113.7", Some(60))]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot add 203.0.113.7 to set sshd-v4 in table inet portcullis: no such table (was the ruleset flushed?)"
        );
        nft.setup(&sshd_only()).unwrap();
        let err = nft
            .ban(&[ban("sshd", "203.0.113.8", Some(60)), ban("ghost", "203.0.113.7", Some(60))])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot add 203.0.113.7 to set ghost-v4 in table inet portcullis: no such set (was the ruleset flushed?)"
        );
        // The transaction is atomic: the valid ban did not go in either.
        assert!(nft.list("portcullis", None).unwrap().unwrap().is_empty());
        assert_eq!(nft.list("absent", None).unwrap(), None);
    });
}
