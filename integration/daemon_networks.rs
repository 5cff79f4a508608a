//! Network bans and fail2ban's prolong rule through the daemon and its
//! CLI, checked against the kernel with `nft -j list` (issue 15): ban and
//! unban of IPv4 and IPv6 networks, an address inside a banned network,
//! a network taking the place of the bans inside it, the restore of a
//! network ban after a restart, and re-bans that prolong but never shorten
//! unless `--replace`.

use crate::daemon_common::{Daemon, SSHD, append, sshd_failure, stderr};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn networks_are_banned_listed_and_unbanned_for_ipv4_and_ipv6() {
    let Some(mut d) = Daemon::prepare("daemon-networks", SSHD) else {
        return;
    };
    d.start();
    let out = d.cli(&["ban", "sshd", "192.0.2.0/24", "--for", "1h"]);
    assert_eq!(
        stdout(&out),
        "banned 192.0.2.0/24 in jail sshd for 1h\n",
        "{}",
        stderr(&out)
    );
    d.cli(&["ban", "sshd", "2001:db8::/64", "--for", "permanent"]);
    assert_eq!(d.wait_banned("sshd-net4", "192.0.2.0/24").0, Some(3600));
    assert_eq!(d.wait_banned("sshd-net6", "2001:db8::/64"), (None, None));
    assert!(d.log().contains("NOTICE [sshd] Ban 192.0.2.0/24\n"));
    // An address inside a network is banned by it.
    let banned = d.cli(&["banned", "192.0.2.77"]);
    assert_eq!(stdout(&banned), "banned in: sshd\n");
    let banned = d.cli(&["banned", "2001:db8::1:2"]);
    assert_eq!(stdout(&banned), "banned in: sshd\n");
    assert_eq!(stdout(&d.cli(&["banned", "192.0.3.1"])), "not banned\n");
    let bin = crate::common::portcullis_bin();
    let listed = stdout(&d.ns.exec(&[bin.to_str().unwrap(), "list", "--json"]));
    assert!(listed.contains("\"192.0.2.0/24\""), "{listed}");
    assert!(listed.contains("\"2001:db8::/64\""), "{listed}");
    // A typo never bans a network nobody asked for.
    let out = d.cli(&["ban", "sshd", "192.0.2.7/24"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "\"192.0.2.7/24\" has bits set after its prefix: the network is 192.0.2.0/24"
        ),
        "{}",
        stderr(&out)
    );
    let out = d.cli(&["unban", "sshd", "192.0.2.0/24"]);
    assert_eq!(stdout(&out), "1 ban(s) lifted\n", "{}", stderr(&out));
    d.wait_unbanned("sshd-net4", "192.0.2.0/24");
    d.cli(&["unban", "sshd", "2001:db8::/64"]);
    d.wait_unbanned("sshd-net6", "2001:db8::/64");
    assert!(d.log().contains("NOTICE [sshd] Unban 2001:db8::/64\n"));
}

#[test]
fn a_network_takes_the_place_of_the_networks_inside_it() {
    let Some(mut d) = Daemon::prepare("daemon-net-cover", SSHD) else {
        return;
    };
    d.start();
    d.cli(&["ban", "sshd", "192.0.2.7", "--for", "2h"]);
    d.cli(&["ban", "sshd", "192.0.2.0/26", "--for", "2h"]);
    d.cli(&["ban", "sshd", "192.0.2.64/26", "--for", "10m"]);
    d.wait_banned("sshd-net4", "192.0.2.64/26");
    d.cli(&["ban", "sshd", "192.0.2.0/24", "--for", "1h"]);
    // No address inside gets out earlier: the network takes the place of
    // the networks inside it and lasts what is left of their 2h.
    let (timeout, _) = d.wait_banned("sshd-net4", "192.0.2.0/24");
    assert!((7100..=7200).contains(&timeout.unwrap()), "{timeout:?}");
    let nets = d.elements("sshd-net4");
    assert_eq!(nets.len(), 1, "{nets:?}");
    assert!(d.log().contains("NOTICE [sshd] Unban 192.0.2.0/26\n"));
    // The address keeps its own ban, in the hash set.
    assert_eq!(d.wait_banned("sshd-v4", "192.0.2.7").0, Some(7200));
    // An address inside the banned network adds nothing.
    d.cli(&["ban", "sshd", "192.0.2.100", "--for", "3h"]);
    d.cli(&["ban", "sshd", "198.51.100.1"]);
    d.wait_banned("sshd-v4", "198.51.100.1");
    let set = d.elements("sshd-v4");
    assert_eq!(set.len(), 2, "{set:?}");
    assert!(!set.iter().any(|e| e.0 == "192.0.2.100"), "{set:?}");
    assert_eq!(d.elements("sshd-net4").len(), 1);
    // Unbanning a network lifts the bans inside it too.
    d.cli(&["ban", "sshd", "198.51.100.2"]);
    d.wait_banned("sshd-v4", "198.51.100.2");
    let out = d.cli(&["unban", "sshd", "198.51.100.0/24"]);
    assert_eq!(stdout(&out), "2 ban(s) lifted\n", "{}", stderr(&out));
    d.wait_unbanned("sshd-v4", "198.51.100.1");
    d.wait_unbanned("sshd-v4", "198.51.100.2");
}

#[test]
fn a_network_ban_is_restored_after_a_restart() {
    let Some(mut d) = Daemon::prepare("daemon-net-restore", SSHD) else {
        return;
    };
    d.start();
    d.cli(&["ban", "sshd", "198.51.100.0/24", "--for", "1h"]);
    d.cli(&["ban", "sshd", "2001:db8:5::/48", "--for", "2h"]);
    d.wait_banned("sshd-net4", "198.51.100.0/24");
    d.wait_banned("sshd-net6", "2001:db8:5::/48");
    // The records (keyed by the network) reach the database after the
    // kernel took the bans (LMDB lets a second process read).
    let store = portcullis::db::store::Store::open(&d.path("db")).unwrap();
    let recorded = crate::common::poll_until(std::time::Duration::from_secs(10), || {
        let now = portcullis::time::UnixMs::now();
        let mut keys: Vec<String> = (store.active_bans(now).unwrap().into_iter())
            .map(|b| format!("{} {}", b.jail, b.addr))
            .collect();
        keys.sort();
        (keys == ["sshd 198.51.100.0/24", "sshd 2001:db8:5::/48"]).then_some(())
    });
    assert!(recorded.is_some(), "bans not recorded; log:\n{}", d.log());
    drop(store);
    assert_eq!(d.terminate().code(), Some(0));
    // Nothing left in the kernel: the bans come back from the database.
    d.ns.sh(&["nft", "flush", "ruleset"]);
    d.start();
    let (timeout, expires) = d.wait_banned("sshd-net4", "198.51.100.0/24");
    assert!(
        timeout.unwrap() <= 3600 && expires.unwrap() > 3500,
        "{timeout:?} {expires:?}"
    );
    let (timeout, _) = d.wait_banned("sshd-net6", "2001:db8:5::/48");
    assert!(timeout.unwrap() > 7100, "{timeout:?}");
    assert_eq!(
        stdout(&d.cli(&["banned", "198.51.100.9"])),
        "banned in: sshd\n"
    );
}

#[test]
fn a_re_ban_prolongs_never_shortens_and_replace_sets_the_time() {
    let Some(mut d) = Daemon::prepare("daemon-prolong", SSHD) else {
        return;
    };
    d.start();
    let timeout = |d: &Daemon, want: u64| {
        crate::common::poll_until(std::time::Duration::from_secs(10), || {
            let set = d.elements("sshd-v4");
            let t = set.iter().find(|e| e.0 == "192.0.2.7").and_then(|e| e.1);
            (t == Some(want)).then_some(())
        })
        .unwrap_or_else(|| panic!("no timeout {want}: {:?}", d.elements("sshd-v4")));
    };
    d.cli(&["ban", "sshd", "192.0.2.7", "--for", "1h"]);
    timeout(&d, 3600);
    // Shorter: the ban stays as it is (the reply still names the ban).
    d.cli(&["ban", "sshd", "192.0.2.7", "--for", "10m"]);
    // A marker ban after it: once it is in, the shorter one was handled.
    d.cli(&["ban", "sshd", "192.0.2.8"]);
    d.wait_banned("sshd-v4", "192.0.2.8");
    timeout(&d, 3600);
    let (_, expires) = d.wait_banned("sshd-v4", "192.0.2.7");
    assert!(expires.unwrap() > 3000, "{expires:?}");
    // Longer: prolonged.
    d.cli(&["ban", "sshd", "192.0.2.7", "--for", "2h"]);
    timeout(&d, 7200);
    // --replace sets exactly the time given, shorter or not.
    let out = d.cli(&["ban", "--replace", "sshd", "192.0.2.7", "--for", "10m"]);
    assert!(out.status.success(), "{}", stderr(&out));
    timeout(&d, 600);
    let (_, expires) = d.wait_banned("sshd-v4", "192.0.2.7");
    assert!(expires.unwrap() <= 600, "{expires:?}");
    // Permanent outlasts everything; a timed ban leaves it permanent.
    d.cli(&["ban", "sshd", "192.0.2.7", "--for", "permanent"]);
    crate::common::poll_until(std::time::Duration::from_secs(10), || {
        d.elements("sshd-v4")
            .iter()
            .any(|e| e == &("192.0.2.7".into(), None, None))
            .then_some(())
    })
    .expect("permanent");
    d.cli(&["ban", "sshd", "192.0.2.7", "--for", "1w"]);
    d.cli(&["ban", "sshd", "192.0.2.9"]);
    d.wait_banned("sshd-v4", "192.0.2.9");
    assert!(
        d.elements("sshd-v4")
            .contains(&("192.0.2.7".into(), None, None)),
        "{:?}",
        d.elements("sshd-v4")
    );
}

#[test]
fn the_daemon_migrates_a_table_without_network_sets_without_losing_bans() {
    let Some(mut d) = Daemon::prepare("daemon-net-migrate", SSHD) else {
        return;
    };
    // What an older portcullis left: no network sets, bans in its sets.
    d.ns.sh(&[
        "nft",
        "add table inet portcullis; \
         add set inet portcullis sshd-v4 { type ipv4_addr; flags timeout; }; \
         add set inet portcullis sshd-v6 { type ipv6_addr; flags timeout; }; \
         add element inet portcullis sshd-v4 { 192.0.2.7 timeout 1h, 192.0.2.8 }; \
         add element inet portcullis sshd-v6 { 2001:db8::7 timeout 2h }",
    ]);
    d.start();
    let set =
        d.ns.sh(&["nft", "list", "set", "inet", "portcullis", "sshd-net4"]);
    assert!(set.contains("flags interval,timeout"), "{set}");
    // Put back with the time it had left (the restore's timeout).
    let (timeout, expires) = d.wait_banned("sshd-v4", "192.0.2.7");
    assert!((3500..=3600).contains(&timeout.unwrap()), "{timeout:?}");
    assert!(expires.unwrap() > 3500, "{expires:?}");
    assert_eq!(d.wait_banned("sshd-v4", "192.0.2.8"), (None, None));
    let (timeout, _) = d.wait_banned("sshd-v6", "2001:db8::7");
    assert!((7100..=7200).contains(&timeout.unwrap()), "{timeout:?}");
    // The migrated table holds networks.
    d.cli(&["ban", "sshd", "198.51.100.0/24"]);
    d.wait_banned("sshd-net4", "198.51.100.0/24");
}

#[test]
fn bans_from_logs_never_shorten_a_ban_nor_add_inside_a_banned_network() {
    let Some(mut d) = Daemon::prepare("daemon-log-prolong", SSHD) else {
        return;
    };
    d.start();
    let log = d.path("auth.log");
    // Banned by hand for 2h; the jail's bantime is 10m.
    d.cli(&["ban", "sshd", "203.0.113.7", "--for", "2h"]);
    d.cli(&["ban", "sshd", "198.51.100.0/24", "--for", "1h"]);
    d.wait_banned("sshd-v4", "203.0.113.7");
    d.wait_banned("sshd-net4", "198.51.100.0/24");
    for addr in ["203.0.113.7", "198.51.100.9", "192.0.2.50"] {
        for _ in 0..3 {
            append(&log, &sshd_failure(addr));
        }
    }
    // The fresh offender is banned for the jail's 10m: the lines before
    // it were read by then.
    assert_eq!(d.wait_banned("sshd-v4", "192.0.2.50").0, Some(600));
    d.wait_failures("sshd", 9);
    let set = d.elements("sshd-v4");
    let kept = set.iter().find(|e| e.0 == "203.0.113.7").unwrap();
    assert_eq!(kept.1, Some(7200), "not shortened to 10m: {set:?}");
    assert!(
        !set.iter().any(|e| e.0 == "198.51.100.9"),
        "inside the banned network: {set:?}"
    );
}

#[test]
fn fail2ban_client_bans_and_unbans_a_network() {
    let Some(root) = crate::common::fail2ban_root("fail2ban_client_bans_and_unbans_a_network")
    else {
        return;
    };
    let config = format!("fail2ban-socket \"$DIR/f2b.sock\"\n{SSHD}");
    let Some(mut d) = Daemon::prepare("f2b-network", &config) else {
        return;
    };
    d.start();
    let s = d.path("f2b.sock");
    let f2b = |args: &[&str]| {
        let out = crate::f2bproto_wire::client(&root, &s, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(f2b(&["set", "sshd", "banip", "192.0.2.0/24"]), "1\n");
    assert_eq!(d.wait_banned("sshd-net4", "192.0.2.0/24").0, Some(600));
    assert_eq!(f2b(&["banned", "192.0.2.0/24"]), "[['sshd']]\n");
    assert_eq!(f2b(&["set", "sshd", "unbanip", "192.0.2.0/24"]), "1\n");
    d.wait_unbanned("sshd-net4", "192.0.2.0/24");
}
