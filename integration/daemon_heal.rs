//! Self-healing end to end: another process flushes the ruleset or deletes
//! our table, and the daemon puts every ban back with its time left.

use std::time::Instant;

use crate::common::poll_until;
use crate::daemon_common::{DEADLINE, Daemon};

const SSHD: &str = r#"
jail "sshd" {
    source "$DIR/auth.log"
    maxretry 3
    bantime "10m"
    port 22
}
"#;

/// Polls until `addr` is back in `set` with a timeout under `below`
/// seconds; that timeout.
fn wait_back(d: &Daemon, set: &str, addr: &str, below: u64) -> u64 {
    poll_until(DEADLINE, || {
        d.elements(set)
            .into_iter()
            .find(|e| e.0 == addr)
            .and_then(|e| e.1.filter(|t| *t < below))
    })
    .unwrap_or_else(|| panic!("{addr} not back in {set}; log:\n{}", d.log()))
}

/// Polls until the daemon logged `n` repairs; the last one's line.
fn wait_repairs(d: &Daemon, n: usize) -> String {
    poll_until(DEADLINE, || {
        let log = d.log();
        let lines: Vec<&str> = log.lines().filter(|l| l.contains("rebuilt it")).collect();
        (lines.len() == n).then(|| lines[n - 1].to_string())
    })
    .unwrap_or_else(|| panic!("expected {n} repair(s); log:\n{}", d.log()))
}

#[test]
fn flushed_ruleset_and_deleted_table_come_back_with_the_time_left() {
    let Some(mut d) = Daemon::prepare("daemon-heal", SSHD) else {
        return;
    };
    d.start();
    d.cli(&["ban", "sshd", "192.0.2.1", "--for", "1h"]);
    d.cli(&["ban", "sshd", "2001:db8::7", "--for", "1h"]);
    assert_eq!(d.wait_banned("sshd-v4", "192.0.2.1").0, Some(3600));
    assert_eq!(d.wait_banned("sshd-v6", "2001:db8::7").0, Some(3600));

    let out = d.ns.exec(&["nft", "flush", "ruleset"]);
    assert!(out.status.success());
    let flushed = Instant::now();
    let v4 = wait_back(&d, "sshd-v4", "192.0.2.1", 3600);
    let v6 = wait_back(&d, "sshd-v6", "2001:db8::7", 3600);
    eprintln!(
        "back {} ms after `nft flush ruleset`",
        flushed.elapsed().as_millis()
    );
    assert!(v4 > 3500 && v6 > 3500, "{v4} {v6}");
    let line = wait_repairs(&d, 1);
    assert!(
        line.contains("table inet portcullis: table deleted by pid ")
            && line.contains(" (nft); rebuilt it and put 2 ban(s) back in "),
        "{line}"
    );
    // The chain is back too: the rules that use the sets.
    let chain =
        d.ns.exec(&["nft", "list", "chain", "inet", "portcullis", "input"]);
    assert!(
        String::from_utf8_lossy(&chain.stdout).contains("@sshd-v4 drop"),
        "{}",
        String::from_utf8_lossy(&chain.stdout)
    );

    let out = d.ns.exec(&["nft", "delete", "table", "inet", "portcullis"]);
    assert!(out.status.success());
    wait_back(&d, "sshd-v4", "192.0.2.1", 3600);
    wait_back(&d, "sshd-v6", "2001:db8::7", 3600);
    assert!(wait_repairs(&d, 2).contains("table deleted by pid "));

    let out =
        d.ns.exec(&["nft", "flush", "set", "inet", "portcullis", "sshd-v4"]);
    assert!(out.status.success());
    wait_back(&d, "sshd-v4", "192.0.2.1", 3600);
    assert!(wait_repairs(&d, 3).contains("bans removed from set sshd-v4 by pid "));

    // Our own changes (ban, unban, reload: a table rebuilt in place) repair
    // nothing: the next repair is the fourth, for the next flush.
    d.cli(&["ban", "sshd", "192.0.2.9"]);
    d.wait_banned("sshd-v4", "192.0.2.9");
    d.cli(&["unban", "sshd", "192.0.2.9"]);
    d.wait_unbanned("sshd-v4", "192.0.2.9");
    assert!(d.cli(&["reload"]).status.success(), "{}", d.log());
    d.ns.exec(&["nft", "flush", "set", "inet", "portcullis", "sshd-v6"]);
    wait_back(&d, "sshd-v6", "2001:db8::7", 3600);
    let line = wait_repairs(&d, 4);
    assert!(
        line.contains("bans removed from set sshd-v6 by pid "),
        "{line}"
    );

    // What `systemctl restart nftables` runs on Debian: `nft -f` of a file
    // that flushes the ruleset and loads the host's own tables, in one
    // transaction. Ours comes back beside theirs.
    let conf = d.path("nftables.conf");
    std::fs::write(
        &conf,
        "flush ruleset\ntable inet filter {\n  chain input {\n    type filter hook input priority filter;\n  }\n}\n",
    )
    .unwrap();
    let out = d.ns.exec(&["nft", "-f", conf.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_back(&d, "sshd-v4", "192.0.2.1", 3600);
    wait_back(&d, "sshd-v6", "2001:db8::7", 3600);
    assert!(wait_repairs(&d, 5).contains("table deleted by pid "));
    let tables = d.ns.sh(&["nft", "list", "tables"]);
    assert!(tables.contains("table inet filter"), "{tables}");
}
