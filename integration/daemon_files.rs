//! The daemon's log sources: every rotation method loses no line and
//! counts none twice; globs pick up files that appear later.

use crate::daemon_common::{Daemon, append, sshd_failure};

fn jail(source: &str) -> String {
    format!("jail \"sshd\" {{\n    source \"{source}\"\n    maxretry 3\n    port 22\n}}\n")
}

/// Two failures, `rotate`, a third: the address is banned and exactly
/// three failures were counted.
fn rotation(test: &str, rotate: impl Fn(&std::path::Path)) {
    let Some(mut d) = Daemon::prepare(test, &jail("$DIR/auth.log")) else {
        return;
    };
    d.start();
    let log = d.path("auth.log");
    append(&log, &sshd_failure("198.51.100.20"));
    append(&log, &sshd_failure("198.51.100.20"));
    d.wait_failures("sshd", 2);
    rotate(&log);
    append(&log, &sshd_failure("198.51.100.20"));
    d.wait_banned("sshd-v4", "198.51.100.20");
    d.wait_failures("sshd", 3);
    // And the next lines of the new file are read too.
    append(&log, &sshd_failure("198.51.100.21"));
    d.wait_failures("sshd", 4);
}

#[test]
fn rotation_by_rename_and_create() {
    rotation("rot-rename", |log| {
        std::fs::rename(log, log.with_extension("log.1")).unwrap();
        std::fs::write(log, "").unwrap();
    });
}

#[test]
fn rotation_by_rename_with_a_last_line_in_the_old_file() {
    let Some(mut d) = Daemon::prepare("rot-late", &jail("$DIR/auth.log")) else {
        return;
    };
    d.start();
    let log = d.path("auth.log");
    append(&log, &sshd_failure("198.51.100.30"));
    d.wait_failures("sshd", 1);
    let old = log.with_extension("log.1");
    std::fs::rename(&log, &old).unwrap();
    append(&old, &sshd_failure("198.51.100.30"));
    append(&log, &sshd_failure("198.51.100.30"));
    d.wait_banned("sshd-v4", "198.51.100.30");
    d.wait_failures("sshd", 3);
}

#[test]
fn rotation_by_copytruncate() {
    rotation("rot-copytruncate", |log| {
        std::fs::copy(log, log.with_extension("log.1")).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(log)
            .unwrap();
    });
}

#[test]
fn rotation_by_delete_and_recreate() {
    rotation("rot-delete", |log| {
        std::fs::remove_file(log).unwrap();
        std::fs::write(log, "").unwrap();
    });
}

#[test]
fn globs_pick_up_files_that_appear_later() {
    let Some(mut d) = Daemon::prepare("glob", &jail("$DIR/logs/*.log")) else {
        return;
    };
    std::fs::create_dir(d.path("logs")).unwrap();
    d.start();
    let later = d.path("logs/late.log");
    for _ in 0..3 {
        append(&later, &sshd_failure("192.0.2.33"));
    }
    d.wait_banned("sshd-v4", "192.0.2.33");
    d.wait_failures("sshd", 3);
}

#[test]
fn at_the_first_start_failures_older_than_findtime_do_not_count() {
    let Some(mut d) = Daemon::prepare("old-lines", &jail("$DIR/auth.log")) else {
        return;
    };
    let log = d.path("auth.log");
    let old = jiff::Zoned::now()
        .checked_sub(jiff::SignedDuration::from_hours(2))
        .unwrap()
        .strftime("%b %e %H:%M:%S")
        .to_string();
    for _ in 0..5 {
        append(
            &log,
            &format!(
                "{old} host sshd[1]: Failed password for root from 198.51.100.40 port 2 ssh2\n"
            ),
        );
    }
    d.start();
    d.wait_failures("sshd", 5);
    assert!(d.elements("sshd-v4").is_empty(), "old failures banned");
    assert_eq!(d.stats("sshd")["tracked"], 0);
    // Fresh ones still count.
    for _ in 0..3 {
        append(&log, &sshd_failure("198.51.100.40"));
    }
    d.wait_banned("sshd-v4", "198.51.100.40");
}
