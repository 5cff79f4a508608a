//! The host's own addresses followed live: an address added with `ip addr
//! add` is never banned (and a ban of it is lifted), one removed can be
//! banned again; `nft -j` is the oracle. And the watcher itself: an
//! overrun is reported, and a dump afterwards has every address.

use std::time::Duration;

use portcullis::hostaddr::{self, AddressEvent, AddressWatch};

use crate::common::{NetNs, poll_until};
use crate::daemon_common::{DEADLINE, Daemon, append, sshd_failure};

const SSHD: &str = r#"
log-level "debug"
jail "sshd" {
    source "$DIR/auth.log"
    maxretry 2
    port 22
}
"#;

/// Polls until the daemon's log holds `text`.
fn wait_logged(d: &Daemon, text: &str) {
    let seen = poll_until(DEADLINE, || d.log().contains(text).then_some(()));
    assert!(seen.is_some(), "not logged: {text}; log:\n{}", d.log());
}

#[test]
fn an_address_added_live_is_never_banned_and_one_removed_is_again() {
    let Some(mut d) = Daemon::prepare("daemon-hostaddr", SSHD) else {
        return;
    };
    d.start();
    let log = d.path("auth.log");
    for (addr, set, with_len, pid) in [
        ("192.0.2.77", "sshd-v4", "192.0.2.77/32", "[101]"),
        ("2001:db8::77", "sshd-v6", "2001:db8::77/128", "[102]"),
    ] {
        // One sshd process per address: the filter merges a process's lines.
        let failure = sshd_failure(addr).replace("[4242]", pid);
        // Banned by hand first: becoming ours lifts the ban.
        assert!(d.cli(&["ban", "sshd", addr]).status.success());
        d.wait_banned(set, addr);
        d.ns.sh(&["ip", "addr", "add", with_len, "dev", "lo", "nodad"]);
        d.wait_unbanned(set, addr);
        wait_logged(
            &d,
            &format!("jail sshd: {addr} is now an address of this host: lifting its ban"),
        );
        wait_logged(&d, &format!("host address {addr} added"));
        let before = d.stats("sshd")["failures_total"].as_u64().unwrap();
        for _ in 0..3 {
            append(&log, &failure);
        }
        d.wait_failures("sshd", before + 3);
        assert!(!d.elements(set).iter().any(|e| e.0 == addr), "{}", d.log());

        d.ns.sh(&["ip", "addr", "del", with_len, "dev", "lo"]);
        wait_logged(&d, &format!("host address {addr} removed"));
        for _ in 0..2 {
            append(&log, &failure);
        }
        d.wait_banned(set, addr);
    }
    assert_eq!(d.stats("sshd")["ignored_total"], 6);
}

#[test]
fn an_overrun_is_reported_and_a_dump_has_every_address() {
    let Some(ns) = NetNs::new("hostaddr-overrun") else {
        return;
    };
    let mut watch = ns.run(|| {
        let w = AddressWatch::subscribe().unwrap();
        // The kernel's floor; a few hundred notifications overflow it.
        w.set_receive_buffer(0).unwrap();
        w
    });
    let batch: String = (0..400)
        .map(|i| format!("addr add 198.51.{}.{}/32 dev lo\n", i / 200, i % 200 + 1))
        .collect();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), batch).unwrap();
    ns.sh(&["ip", "-batch", file.path().to_str().unwrap()]);
    let mut events = Vec::new();
    while let Some(e) = watch.next_event(Some(Duration::from_millis(200))).unwrap() {
        events.push(e);
    }
    assert!(
        events.contains(&AddressEvent::Lost),
        "{} events",
        events.len()
    );
    let own = ns.run(hostaddr::own_addresses).unwrap();
    assert!(own.contains(&"198.51.1.200".parse().unwrap()));
    assert_eq!(
        own.iter()
            .filter(|a| a.to_string().starts_with("198.51."))
            .count(),
        400
    );
}

#[test]
fn a_restored_ban_of_an_address_that_became_ours_is_lifted_at_start() {
    let Some(mut d) = Daemon::prepare("daemon-hostaddr-restart", SSHD) else {
        return;
    };
    d.start();
    assert!(d.cli(&["ban", "sshd", "192.0.2.88"]).status.success());
    d.wait_banned("sshd-v4", "192.0.2.88");
    // SIGTERM: the ban is in the database; the address becomes ours while
    // the daemon is down.
    assert_eq!(d.terminate().code(), Some(0));
    d.ns.sh(&["ip", "addr", "add", "192.0.2.88/32", "dev", "lo"]);
    d.start();
    wait_logged(&d, "restored 1 ban(s) into the kernel");
    wait_logged(
        &d,
        "jail sshd: 192.0.2.88 is now an address of this host: lifting its ban",
    );
    d.wait_unbanned("sshd-v4", "192.0.2.88");
}
