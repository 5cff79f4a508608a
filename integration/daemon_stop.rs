//! A clean stop loses nothing (the durability rule): SIGTERM right after a
//! ban by hand and a ban from log lines, the table then deleted (as a
//! reboot would, so that adopting the kernel's elements cannot save a ban),
//! and every ban is back after the next start (`nft -j list` the oracle).

use crate::daemon_common::{Daemon, SSHD, append, sshd_failure, stderr};

/// Stop + start rounds; the race is short, each round is one more chance.
const ROUNDS: u32 = 6;

#[test]
fn sigterm_right_after_bans_loses_no_ban_record() {
    let Some(mut d) = Daemon::prepare("daemon-stop", SSHD) else {
        return;
    };
    let log = d.path("auth.log");
    let mut banned = Vec::new();
    d.start();
    for round in 0..ROUNDS {
        let (by_hand, by_line) = (format!("198.51.100.{round}"), format!("203.0.113.{round}"));
        // maxretry 3: the third line bans; the ban by hand takes the few
        // milliseconds the lines need to reach the kernel.
        for _ in 0..3 {
            append(&log, &sshd_failure(&by_line));
        }
        let out = d.cli(&["ban", "sshd", &by_hand, "--for", "1h"]);
        assert!(out.status.success(), "ban: {}", stderr(&out));
        // SIGTERM at once (microseconds after the reply), as a service
        // manager stopping the daemon may.
        let status = d.terminate();
        assert!(status.success(), "stop: {status}; log:\n{}", d.log());
        d.ns.sh(&["nft", "delete", "table", "inet", "portcullis"]);
        banned.extend([by_hand, by_line]);
        d.start();
        for addr in &banned {
            d.wait_banned("sshd-v4", addr);
        }
    }
}

#[test]
fn sigterm_right_after_a_ban_from_log_lines_loses_no_ban_record() {
    let Some(mut d) = Daemon::prepare("daemon-stop-line", SSHD) else {
        return;
    };
    let log = d.path("auth.log");
    let mut banned = Vec::new();
    d.start();
    for round in 0..ROUNDS {
        let addr = format!("203.0.113.{}", 100 + round);
        append(&log, &sshd_failure(&addr).repeat(3));
        // SIGTERM within a millisecond or two of the kernel taking the ban
        // (the notice is logged right after its acknowledgement), well
        // inside the group commit's 100 ms.
        let notice = format!("[sshd] Ban {addr}\n");
        let logged = poll_every_ms(|| d.log().contains(&notice));
        assert!(logged, "no ban notice for {addr}; log:\n{}", d.log());
        let status = d.terminate();
        assert!(status.success(), "stop: {status}; log:\n{}", d.log());
        d.ns.sh(&["nft", "delete", "table", "inet", "portcullis"]);
        banned.push(addr);
        d.start();
        for addr in &banned {
            d.wait_banned("sshd-v4", addr);
        }
    }
}

/// Checks `done` every millisecond for [`crate::daemon_common::DEADLINE`].
fn poll_every_ms(mut done: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + crate::daemon_common::DEADLINE;
    while std::time::Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    false
}
