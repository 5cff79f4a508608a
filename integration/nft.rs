//! The nft module against the real kernel, each test in its own network
//! namespace, with `nft -j` as the independent oracle.

use std::net::IpAddr;
use std::time::Duration;

use portcullis::nft::{Ban, BanVerdict, Hook, JailSpec, Nft, NftConfig, Ports, RemovalMode, Unban};

use crate::common::{NetNs, poll_until};

fn config() -> NftConfig {
    let mut dns = JailSpec::tcp("dns", &[]);
    dns.ports = Ports::udp(&[53]);
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

pub(crate) fn open_with(config: &NftConfig) -> Nft {
    let mut nft = Nft::open().expect("open netlink");
    nft.setup(config).expect("setup");
    nft
}

pub(crate) fn sshd_only() -> NftConfig {
    NftConfig {
        jails: vec![JailSpec::tcp("sshd", &[22])],
        ..NftConfig::default()
    }
}

pub(crate) fn ban(jail: &str, addr: &str, secs: Option<u64>) -> Ban {
    Ban {
        jail: jail.into(),
        addr: addr.parse().unwrap(),
        timeout: secs.map(Duration::from_secs),
        comment: None,
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
fn changing_the_jails_replaces_our_table_and_keeps_the_bans_of_remaining_jails() {
    let Some(ns) = NetNs::new("replace") else {
        return;
    };
    ns.run(|| {
        let mut nft = open_with(&config());
        nft.ban(&[
            ban("sshd", "192.0.2.50", Some(600)),
            ban("sshd", "2001:db8::50", None),
            ban("web", "192.0.2.51", Some(600)),
        ])
        .unwrap();
        let before = nft.list("portcullis", Some("sshd")).unwrap().unwrap();
        // sshd now bans IPv6 /64s: its exact v6 ban becomes a one-address interval.
        let mut config = sshd_only();
        config.jails[0].v6_prefix = Some(64);
        nft.setup(&config).expect("replace");
        let mut after = nft.list("portcullis", None).unwrap().unwrap();
        after.sort_by_key(|e| e.network);
        let names: Vec<String> = after.iter().map(|e| e.network.to_string()).collect();
        assert_eq!(names, ["192.0.2.50", "2001:db8::50"]);
        let old = before
            .iter()
            .find(|e| e.network.to_string() == "192.0.2.50")
            .unwrap();
        assert_eq!(after[0].timeout, Some(Duration::from_secs(600)));
        assert!(
            after[0].expires <= old.expires && after[0].expires > Some(Duration::from_secs(590)),
            "{after:?}"
        );
        assert_eq!((after[1].timeout, after[1].expires), (None, None));
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
                comment: None,
            },
            Ban {
                jail: "sshd".into(),
                addr: "2001:db8::10".parse().unwrap(),
                timeout: Some(Duration::from_millis(1500)),
                comment: None,
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

#[test]
fn teardown_removes_only_our_table_and_is_idempotent() {
    let Some(ns) = NetNs::new("teardown") else {
        return;
    };
    ns.sh(&["nft", "add", "table", "inet", "other"]);
    ns.run(|| {
        let mut nft = open_with(&sshd_only());
        nft.teardown().expect("teardown");
        nft.teardown().expect("teardown of an absent table");
        assert_eq!(nft.list("portcullis", None).unwrap(), None);
    });
    let text = ns.sh(&["nft", "list", "tables"]);
    assert_eq!(text.trim(), "table inet other");
}
