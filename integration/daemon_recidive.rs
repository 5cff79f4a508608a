//! The recidive jail end to end: the daemon reads its own log, where every
//! ban of another jail is a line the bundled recidive filter matches, and
//! bans an address banned again and again for longer, on every port.

use crate::common::poll_until;
use crate::daemon_common::{Daemon, SSHD, append, sshd_failure};

const JAILS: &str = r#"
jail "sshd" {
    source "$DIR/auth.log"
    maxretry 1
    findtime "10m"
    bantime "10m"
    port 22
}
jail "recidive" {
    filter "recidive"
    source "$DIR/daemon.log"
    maxretry 3
    findtime "1d"
    bantime "1w"
}
"#;

/// One sshd failure from `addr`, the ban it earns, then an unban, so that
/// the next failure bans again.
fn ban_once(d: &Daemon, addr: &str) {
    append(&d.path("auth.log"), &sshd_failure(addr));
    d.wait_banned("sshd-v4", addr);
    let out = d.cli(&["unban", "sshd", addr]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    d.wait_unbanned("sshd-v4", addr);
}

#[test]
fn an_address_banned_three_times_gets_the_recidive_ban() {
    let Some(mut d) = Daemon::prepare("daemon-recidive-e2e", JAILS) else {
        return;
    };
    d.start();
    let repeat = "203.0.113.9";
    let once = "198.51.100.4";

    ban_once(&d, once);
    ban_once(&d, repeat);
    ban_once(&d, repeat);
    d.wait_failures("recidive", 3);
    assert!(
        d.elements("recidive-v4").is_empty(),
        "two bans each are not enough: {:?}",
        d.elements("recidive-v4")
    );

    append(&d.path("auth.log"), &sshd_failure(repeat));
    d.wait_banned("sshd-v4", repeat);
    let (timeout, expires) = d.wait_banned("recidive-v4", repeat);
    assert_eq!(timeout, Some(7 * 24 * 3600), "the recidive jail's bantime");
    assert!(expires.unwrap() > 7 * 24 * 3600 - 60, "{expires:?}");
    assert!(
        d.log()
            .contains(&format!("NOTICE [recidive] Ban {repeat}\n")),
        "{}",
        d.log()
    );
    assert!(
        !d.elements("recidive-v4").iter().any(|e| e.0 == once),
        "an address banned once stays out of the recidive set"
    );

    // The recidive jail's own ban line is in the log it reads, and must
    // not count as a failure: 4 sshd bans, 4 recidive failures, still after
    // a second sshd ban of another address has been read past it.
    ban_once(&d, "192.0.2.77");
    d.wait_failures("recidive", 5);
    let settled = poll_until(std::time::Duration::from_millis(500), || {
        (d.stats("recidive")["failures_total"].as_u64() != Some(5)).then_some(())
    });
    assert!(settled.is_none(), "{}", d.stats("recidive"));

    // The recidive ban covers every port, not only sshd's.
    let rules =
        d.ns.exec(&["nft", "list", "chain", "inet", "portcullis", "input"]);
    let rules = String::from_utf8_lossy(&rules.stdout).into_owned();
    let recidive_rule = rules
        .lines()
        .find(|l| l.contains("@recidive-v4"))
        .unwrap_or_else(|| panic!("no rule for recidive-v4:\n{rules}"));
    assert!(!recidive_rule.contains("dport"), "{recidive_rule}");
}

#[test]
fn ban_lines_are_what_the_recidive_filter_reads() {
    let Some(mut d) = Daemon::prepare("daemon-recidive", SSHD) else {
        return;
    };
    d.start();
    d.cli(&["ban", "sshd", "203.0.113.66", "--for", "1h"]);
    d.wait_banned("sshd-v4", "203.0.113.66");
    d.cli(&["unban", "sshd", "203.0.113.66"]);
    d.wait_unbanned("sshd-v4", "203.0.113.66");
    let out = std::process::Command::new(crate::common::portcullis_bin())
        .args(["test-filter", "recidive", "--json"])
        .arg(d.path("daemon.log"))
        .output()
        .unwrap();
    let hosts = crate::common::failure_hosts(&out);
    assert_eq!(hosts, vec!["203.0.113.66"], "{}", d.log());
}
