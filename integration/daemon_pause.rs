//! `portcullis pause JAIL` and `resume JAIL` against a real daemon in a
//! network namespace, with the kernel (`nft -j list`) as the oracle: a
//! paused jail reads nothing (lines appended meanwhile ban nobody), keeps
//! its bans and lets them expire, stays paused across reloads (also one
//! that restarts it), and on resume reads what was written meanwhile.

use std::time::Duration;

use serde_json::Value;

use crate::daemon_common::{Daemon, SSHD, append, sshd_failure, stderr};

/// Longer than the reader's rescan (1 s): a jail that reads would have
/// read the lines by then.
const READ_WOULD_HAVE_HAPPENED: Duration = Duration::from_millis(2500);

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

fn fail(d: &Daemon, addr: &str, times: usize) {
    append(&d.path("auth.log"), &sshd_failure(addr).repeat(times));
}

fn banned(d: &Daemon) -> Vec<String> {
    let mut v: Vec<String> = (d.elements("sshd-v4").into_iter()).map(|e| e.0).collect();
    v.sort();
    v
}

/// The jail reads nothing for a while: failures and bans unchanged.
fn reads_nothing(d: &Daemon, failures: u64, bans: &[&str]) {
    std::thread::sleep(READ_WOULD_HAVE_HAPPENED);
    assert_eq!(d.stats("sshd")["failures_total"], failures, "{}", d.log());
    assert_eq!(banned(d), bans, "{}", d.log());
}

#[test]
fn a_paused_jail_bans_nobody_until_resumed_and_keeps_its_bans() {
    let Some(mut d) = Daemon::prepare("ops-pause", SSHD) else {
        return;
    };
    d.start();
    fail(&d, "192.0.2.1", 3);
    d.wait_banned("sshd-v4", "192.0.2.1");

    let out = d.cli(&["pause", "sshd"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "jail sshd: reading paused; its bans stay and expire as before"
    );
    let again = d.cli(&["pause", "sshd"]);
    assert_eq!(stdout(&again), "jail sshd: reading was already paused");
    assert_eq!(d.json(&["status", "sshd"])[0]["paused"], Value::Bool(true));
    let status = stdout(&d.cli(&["status"]));
    assert!(
        status.starts_with("sshd (reading paused): 1 banned"),
        "{status}"
    );

    fail(&d, "192.0.2.2", 3);
    reads_nothing(&d, 3, &["192.0.2.1"]);
    // Bans go on expiring while paused; a ban by hand still works.
    let out = d.cli(&["ban", "sshd", "192.0.2.9", "--for", "2s"]);
    assert!(out.status.success(), "{}", stderr(&out));
    d.wait_banned("sshd-v4", "192.0.2.9");
    d.wait_unbanned("sshd-v4", "192.0.2.9");

    // A reload that changes nothing, then one that restarts the jail:
    // it stays paused.
    let out = d.cli(&["reload"]);
    assert!(out.status.success(), "{}", stderr(&out));
    d.write_config(&SSHD.replace("maxretry 3", "maxretry 4"));
    let out = d.cli(&["reload"]);
    assert_eq!(
        stdout(&out),
        "1 jail(s) running; (re)started: sshd; stopped: none"
    );
    assert_eq!(d.json(&["status", "sshd"])[0]["paused"], Value::Bool(true));
    fail(&d, "192.0.2.2", 1);
    let failures = d.stats("sshd")["failures_total"].as_u64().unwrap();
    reads_nothing(&d, failures, &["192.0.2.1"]);

    let out = d.cli(&["resume", "sshd"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "jail sshd: reading resumed from where it stopped"
    );
    // The 4 failures of the pause are read now: maxretry 4 bans.
    d.wait_banned("sshd-v4", "192.0.2.2");
    assert_eq!(banned(&d), ["192.0.2.1", "192.0.2.2"]);
    assert_eq!(d.json(&["status", "sshd"])[0]["paused"], Value::Bool(false));
    let out = d.cli(&["resume", "sshd"]);
    assert_eq!(stdout(&out), "jail sshd: reading was not paused");
    // Reading goes on as before.
    fail(&d, "192.0.2.3", 4);
    d.wait_banned("sshd-v4", "192.0.2.3");

    let out = d.cli(&["pause", "ssh"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "no jail named \"ssh\" (jails: sshd)\n");
}

#[test]
fn a_pause_outlives_no_restart_of_the_daemon() {
    let Some(mut d) = Daemon::prepare("ops-pause-restart", SSHD) else {
        return;
    };
    d.start();
    let out = d.cli(&["pause", "sshd"]);
    assert!(out.status.success(), "{}", stderr(&out));
    fail(&d, "192.0.2.4", 3);
    reads_nothing(&d, 0, &[]);
    d.terminate();
    // Documented: the daemon starts every jail reading, from where it
    // stopped, so the lines of the pause are read then.
    d.start();
    d.wait_banned("sshd-v4", "192.0.2.4");
    assert_eq!(d.json(&["status", "sshd"])[0]["paused"], Value::Bool(false));
}
