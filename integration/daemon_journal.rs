//! The daemon's journal sources, on real journal files that
//! systemd-journal-remote writes into the test's directory: matches,
//! entry times, resuming after a restart, rotation and vacuum, hostile
//! messages, and `when-missing`.

use std::path::{Path, PathBuf};

use portcullis::source::journal::export::{journal_remote, write_journal, write_syslog_entry};

use crate::common::{poll_until, skip};
use crate::daemon_common::{DEADLINE, Daemon, append, sshd_failure};

/// Whether systemd-journal-remote is there; without it a test skips, or
/// fails under CI.
fn have_journal_remote(test: &str) -> bool {
    if journal_remote().is_some() {
        return true;
    }
    let why = format!(
        "{test}: systemd-journal-remote not found (on Debian: apt-get install systemd-journal-remote)"
    );
    assert!(std::env::var_os("CI").is_none_or(|v| v != "true"), "{why}");
    skip(&format!("SKIP {why}"));
    false
}

/// A daemon whose jail `sshd` reads the journal files in `$DIR/journal`.
fn journal_daemon(test: &str, maxretry: u32, extra: &str) -> Option<Daemon> {
    if !have_journal_remote(test) {
        return None;
    }
    let jail = format!(
        "jail \"sshd\" {{\n    journal \"_SYSTEMD_UNIT=sshd.service\" directory=\"$DIR/journal\"\n    maxretry {maxretry}\n    port 22\n{extra}}}\n"
    );
    let d = Daemon::prepare(test, &jail)?;
    std::fs::create_dir(d.path("journal")).unwrap();
    Some(d)
}

fn now_us() -> u64 {
    jiff::Timestamp::now().as_microsecond() as u64
}

/// Appends entries (unit, message, time) to the journal file `file`.
fn write(file: &Path, entries: &[(&str, &[u8], u64)]) {
    let mut stream = Vec::new();
    for (unit, message, time) in entries {
        // sshd logs as "sshd" from ssh.service (Debian) too.
        let ident = match *unit {
            "ssh.service" => "sshd",
            other => other.trim_end_matches(".service"),
        };
        write_syslog_entry(&mut stream, *time, unit, ident, message);
    }
    write_journal(file, &stream).unwrap();
}

/// `n` sshd failures of `addr`, dated `time`.
fn failures(file: &Path, addr: &str, n: usize, time: u64) {
    let message = format!("Failed password for root from {addr} port 51234 ssh2");
    let entries = vec![("sshd.service", message.as_bytes(), time); n];
    write(file, &entries);
}

/// Starts the daemon and waits until its journal reader is open (a first
/// start reads from the tail: entries written before that are history).
fn start(d: &mut Daemon, times: usize) {
    d.start();
    wait_reading(d, times);
}

/// Waits until the daemon logged that it reads the journal `times` times.
fn wait_reading(d: &Daemon, times: usize) {
    let open = poll_until(DEADLINE, || {
        (d.log().matches("reading journal").count() >= times).then_some(())
    });
    assert!(
        open.is_some(),
        "the journal reader did not open:\n{}",
        d.log()
    );
}

fn journal_file(d: &Daemon, name: &str) -> PathBuf {
    d.path("journal").join(name)
}

#[test]
fn journal_failures_ban_with_the_entries_own_time() {
    let Some(mut d) = journal_daemon("journal-ban", 3, "") else {
        return;
    };
    let file = journal_file(&d, "remote.journal");
    // History from before the first start is not replayed.
    failures(&file, "198.51.100.50", 3, now_us());
    start(&mut d, 1);
    // Two hours old: counted, but outside findtime, so no ban. Were the
    // time read as "now", these would ban.
    let old = now_us() - 2 * 3600 * 1_000_000;
    failures(&file, "198.51.100.61", 3, old);
    d.wait_failures("sshd", 3);
    // Another unit's lines do not count, whatever they say.
    let cron = b"Failed password for root from 198.51.100.70 port 1 ssh2".as_slice();
    write(&file, &[("cron.service", cron, now_us()); 3]);
    failures(&file, "198.51.100.60", 3, now_us());
    d.wait_banned("sshd-v4", "198.51.100.60");
    d.wait_failures("sshd", 6);
    let banned: Vec<String> = d.elements("sshd-v4").into_iter().map(|e| e.0).collect();
    assert_eq!(banned, ["198.51.100.60"], "{}", d.log());
}

#[test]
fn a_restart_resumes_at_the_saved_cursor() {
    let Some(mut d) = journal_daemon("journal-restart", 100, "") else {
        return;
    };
    let file = journal_file(&d, "remote.journal");
    start(&mut d, 1);
    failures(&file, "198.51.100.1", 2, now_us());
    d.wait_failures("sshd", 2);
    assert!(d.terminate().success(), "{}", d.log());
    // Written while the daemon is down: read after the restart, once.
    failures(&file, "198.51.100.2", 3, now_us());
    start(&mut d, 2);
    assert!(d.log().contains("after the saved position"), "{}", d.log());
    let status = d.json(&["status", "sshd"]);
    let sources = status[0]["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{status}");
    assert!(
        sources[0]
            .as_str()
            .unwrap()
            .starts_with("journal _SYSTEMD_UNIT=sshd.service (directory "),
        "{status}"
    );
    d.wait_failures("sshd", 3);
    // Had anything been read twice, the count would have passed 4 first.
    failures(&file, "198.51.100.3", 1, now_us());
    d.wait_failures("sshd", 4);
}

#[test]
fn rotation_and_vacuum_lose_nothing() {
    let Some(mut d) = journal_daemon("journal-rotate", 100, "") else {
        return;
    };
    let first = journal_file(&d, "a.journal");
    start(&mut d, 1);
    failures(&first, "198.51.100.1", 1, now_us());
    d.wait_failures("sshd", 1);
    // Rotation: the writer goes on in a new file.
    let second = journal_file(&d, "b.journal");
    failures(&second, "198.51.100.2", 1, now_us());
    d.wait_failures("sshd", 2);
    // Vacuum: the old file goes; entries after that still arrive.
    std::fs::remove_file(&first).unwrap();
    failures(&second, "198.51.100.3", 1, now_us());
    d.wait_failures("sshd", 3);
    failures(&journal_file(&d, "c.journal"), "198.51.100.4", 1, now_us());
    d.wait_failures("sshd", 4);
    std::fs::remove_file(&second).unwrap();
    failures(&journal_file(&d, "c.journal"), "198.51.100.5", 1, now_us());
    d.wait_failures("sshd", 5);
}

#[test]
fn hostile_messages_do_not_stop_the_source() {
    let Some(mut d) = journal_daemon("journal-hostile", 1, "") else {
        return;
    };
    let file = journal_file(&d, "remote.journal");
    start(&mut d, 1);
    let mut huge = b"Failed password for root from 198.51.100.90 port 1 ssh2 ".to_vec();
    huge.resize(1 << 20, b'\xff');
    let now = now_us();
    write(
        &file,
        &[
            (
                "sshd.service",
                b"Failed password for \xff\xfe\0 from 198.51.100.91 port 1 ssh2",
                now,
            ),
            ("sshd.service", &huge, now),
            ("sshd.service", b"\0\0\0\n\r\n", now),
            (
                "sshd.service",
                b"Failed password for root from 198.51.100.92 port 1 ssh2",
                now,
            ),
        ],
    );
    d.wait_banned("sshd-v4", "198.51.100.92");
    assert!(d.cli(&["status"]).status.success());
    assert!(!d.log().contains("panicked"), "{}", d.log());
}

#[test]
fn when_missing_chooses_the_journal_only_without_the_file() {
    let when = "    source \"$DIR/auth.log\"\n    journal \"_SYSTEMD_UNIT=ssh.service\" directory=\"$DIR/journal\" when-missing=\"$DIR/auth.log\"\n";
    let Some(mut d) = journal_daemon("journal-when-missing", 3, when) else {
        return;
    };
    // No auth.log: both journal nodes are read (one source, ORed).
    start(&mut d, 1);
    assert!(
        d.log()
            .contains("_SYSTEMD_UNIT=sshd.service OR _SYSTEMD_UNIT=ssh.service"),
        "{}",
        d.log()
    );
    let ssh = b"Failed password for root from 198.51.100.7 port 1 ssh2".as_slice();
    write(
        &journal_file(&d, "remote.journal"),
        &[("ssh.service", ssh, now_us()); 3],
    );
    d.wait_banned("sshd-v4", "198.51.100.7");
    // With auth.log there, the when-missing node is left out at start.
    d.kill9();
    append(&d.path("auth.log"), &sshd_failure("198.51.100.8"));
    start(&mut d, 2);
    assert!(
        d.log().contains("1 journal match(es) not used"),
        "{}",
        d.log()
    );
    d.wait_failures("sshd", 1);
}

#[test]
fn a_when_missing_file_that_appears_takes_over_from_the_journal() {
    let when = "    source \"$DIR/auth.log\"\n    journal \"_SYSTEMD_UNIT=ssh.service\" directory=\"$DIR/journal\" when-missing=\"$DIR/auth.log\"\n";
    let Some(mut d) = journal_daemon("journal-switch", 3, when) else {
        return;
    };
    start(&mut d, 1);
    let ssh = b"Failed password for root from 198.51.100.7 port 1 ssh2".as_slice();
    write(
        &journal_file(&d, "remote.journal"),
        &[("ssh.service", ssh, now_us())],
    );
    d.wait_failures("sshd", 1);

    // rsyslog is installed: auth.log appears, and the jail switches to it.
    append(&d.path("auth.log"), "");
    let switched = poll_until(DEADLINE, || {
        d.log()
            .contains("auth.log appeared: restarting the jail to read it instead of the journal")
            .then_some(())
    });
    assert!(switched.is_some(), "{}", d.log());
    wait_reading(&d, 2);
    assert!(
        d.log().contains("1 journal match(es) not used"),
        "{}",
        d.log()
    );
    // What rsyslog copies from ssh.service counts once, from the file;
    // the journal's copy is no longer read. (The restarted jail starts
    // counting afresh.)
    write(
        &journal_file(&d, "remote.journal"),
        &[("ssh.service", ssh, now_us())],
    );
    append(&d.path("auth.log"), &sshd_failure("198.51.100.7"));
    d.wait_failures("sshd", 1);
    let settled = poll_until(std::time::Duration::from_millis(500), || {
        (d.stats("sshd")["failures_total"].as_u64() != Some(1)).then_some(())
    });
    assert!(settled.is_none(), "{} {}", d.stats("sshd"), d.log());
}

/// A `journal` node without matches reads every entry of its journal (as
/// fail2ban's systemd backend does for a filter without `journalmatch`):
/// the filter alone picks the lines, whichever unit wrote them.
#[test]
fn a_journal_without_matches_reads_every_entry() {
    if !have_journal_remote("journal-every-entry") {
        return;
    }
    let jail =
        "jail \"sshd\" {\n    journal directory=\"$DIR/journal\"\n    maxretry 3\n    port 22\n}\n";
    let Some(mut d) = Daemon::prepare("journal-every-entry", jail) else {
        return;
    };
    std::fs::create_dir(d.path("journal")).unwrap();
    let file = journal_file(&d, "remote.journal");
    start(&mut d, 1);
    assert!(
        d.log().contains("reading journal, every entry"),
        "{}",
        d.log()
    );
    // Debian's unit name, which no match names; and another unit's line
    // that is no sshd failure.
    let message = b"Failed password for root from 198.51.100.80 port 51234 ssh2".as_slice();
    write(
        &file,
        &[("cron.service", b"(root) CMD (true)".as_slice(), now_us())],
    );
    write(&file, &[("ssh.service", message, now_us()); 3]);
    d.wait_banned("sshd-v4", "198.51.100.80");
    d.wait_failures("sshd", 3);
}

#[test]
fn a_paused_journal_jail_reads_its_entries_on_resume_not_before() {
    let Some(mut d) = journal_daemon("journal-pause", 3, "") else {
        return;
    };
    let file = journal_file(&d, "remote.journal");
    start(&mut d, 1);
    failures(&file, "198.51.100.80", 3, now_us());
    d.wait_banned("sshd-v4", "198.51.100.80");
    let out = d.cli(&["pause", "sshd"]);
    assert!(out.status.success(), "{}", d.log());
    failures(&file, "198.51.100.81", 3, now_us());
    // Longer than the journal thread takes to see new entries.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(d.stats("sshd")["failures_total"], 3, "{}", d.log());
    let banned: Vec<String> = d.elements("sshd-v4").into_iter().map(|e| e.0).collect();
    assert_eq!(banned, ["198.51.100.80"], "read while paused");
    let out = d.cli(&["resume", "sshd"]);
    assert!(out.status.success(), "{}", d.log());
    d.wait_banned("sshd-v4", "198.51.100.81");
    d.wait_failures("sshd", 6);
}
