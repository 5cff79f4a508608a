//! The nft module against the real kernel, each test in its own network
//! namespace, with `nft -j` as the independent oracle: the table's setup,
//! change and teardown, and its errors (bans and unbans: `nft_bans`), and
//! the helpers the other nft tests share.

use std::time::Duration;

use portcullis::nft::{Ban, BanVerdict, Hook, JailSpec, Nft, NftConfig, Ports};

use crate::common::NetNs;

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

/// Drops CAP_NET_ADMIN from this thread's effective set (capabilities are
/// per thread; the thread ends with the test).
fn drop_cap_net_admin() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    const CAP_NET_ADMIN: u32 = 12;
    let mut header = Header {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget/capset with a v3 header and two data structs.
    unsafe {
        assert_eq!(
            libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()),
            0
        );
        data[0].effective &= !(1 << CAP_NET_ADMIN);
        assert_eq!(
            libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()),
            0
        );
    }
}

#[test]
fn without_cap_net_admin_errors_say_it_is_needed() {
    let Some(ns) = NetNs::new("no-cap") else {
        return;
    };
    ns.run(|| {
        drop_cap_net_admin();
        let mut nft = Nft::open().expect("opening the socket needs no privilege");
        let err = nft.setup(&sshd_only()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot set up table inet portcullis: operation not permitted (CAP_NET_ADMIN is needed)"
        );
        let err = nft
            .ban(&[ban("sshd", "203.0.113.7", Some(60))])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot add 203.0.113.7 to set sshd-v4 in table inet portcullis: \
             operation not permitted (CAP_NET_ADMIN is needed)"
        );
        assert!(err.is_permission());
    });
}
