//! The daemon across restarts and reloads: kill -9 and a lost table,
//! resuming where reading stopped, reloads (good, broken, SIGHUP), a
//! second daemon on the same configuration, and a database written by the
//! previous release.

use crate::common::poll_until;
use crate::daemon_common::{DEADLINE, Daemon, SSHD, append, sshd_failure, stderr};

#[test]
fn kill_9_and_restart_keep_bans_with_their_remaining_time() {
    let Some(mut d) = Daemon::prepare("daemon-restart", SSHD) else {
        return;
    };
    d.start();
    d.cli(&["ban", "sshd", "198.51.100.4", "--for", "1h"]);
    d.cli(&["ban", "sshd", "198.51.100.5", "--for", "permanent"]);
    d.wait_banned("sshd-v4", "198.51.100.4");
    d.wait_banned("sshd-v4", "198.51.100.5");
    // The DbActor records after the kernel has the ban: wait for the
    // records (LMDB allows a second process to read).
    let store = portcullis::db::store::Store::open(&d.path("db")).unwrap();
    let recorded = poll_until(DEADLINE, || {
        let now = portcullis::time::UnixMs::now();
        (store.active_bans(now).unwrap().len() == 2).then_some(())
    });
    assert!(recorded.is_some(), "bans not recorded; log:\n{}", d.log());
    drop(store);
    d.kill9();
    // As after a reboot: the kernel forgot everything.
    d.ns.sh(&["nft", "delete", "table", "inet", "portcullis"]);
    d.start();
    let (timeout, expires) = d.wait_banned("sshd-v4", "198.51.100.4");
    let left = expires.unwrap();
    assert!(
        (3500..=3600).contains(&left),
        "time left {left}, timeout {timeout:?}"
    );
    assert_eq!(d.wait_banned("sshd-v4", "198.51.100.5"), (None, None));
    assert!(
        d.log().contains("restored 2 ban(s) into the kernel"),
        "{}",
        d.log()
    );
}

#[test]
fn restart_resumes_reading_where_it_stopped() {
    let Some(mut d) = Daemon::prepare("daemon-resume", SSHD) else {
        return;
    };
    d.start();
    let log = d.path("auth.log");
    append(&log, &sshd_failure("203.0.113.9"));
    append(&log, &sshd_failure("203.0.113.9"));
    d.wait_failures("sshd", 2);
    d.terminate();
    append(&log, &sshd_failure("203.0.113.10"));
    d.start();
    // Only the new line is read: the first two are not counted twice.
    d.wait_failures("sshd", 1);
    assert!(d.elements("sshd-v4").is_empty());
}

#[test]
fn reload_with_a_broken_configuration_keeps_the_running_one() {
    let Some(mut d) = Daemon::prepare("daemon-reload", SSHD) else {
        return;
    };
    d.start();
    d.cli(&["ban", "sshd", "192.0.2.50", "--for", "1h"]);
    d.wait_banned("sshd-v4", "192.0.2.50");
    d.write_config(&format!(
        "{SSHD}\njail \"web\" {{ filter \"nginx-http-auth\"; source \"$DIR/web.log\"; bantime \"soon\" }}\n"
    ));
    let out = d.cli(&["reload"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("configuration rejected, the running one stays"),
        "{err}"
    );
    assert!(err.contains("config.kdl:12:"), "{err}");
    assert_eq!(d.json(&["status"]).as_array().unwrap().len(), 1);
    assert!(d.elements("sshd-v4").iter().any(|e| e.0 == "192.0.2.50"));

    // A valid new jail: the sshd jail and its bans are untouched.
    d.write_config(&format!(
        "{SSHD}\njail \"web\" {{ filter \"nginx-http-auth\"; source \"$DIR/web.log\" }}\n"
    ));
    let out = d.cli(&["reload"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2 jail(s) running; (re)started: web; stopped: none\n"
    );
    assert!(d.elements("sshd-v4").iter().any(|e| e.0 == "192.0.2.50"));
    assert!(d.elements("web-v4").is_empty());
}

#[test]
fn a_second_daemon_on_the_same_configuration_refuses_and_leaves_the_table_alone() {
    let Some(mut d) = Daemon::prepare("daemon-twice", SSHD) else {
        return;
    };
    d.start();
    d.cli(&["ban", "sshd", "192.0.2.44", "--for", "1h"]);
    d.wait_banned("sshd-v4", "192.0.2.44");
    let bin = crate::common::portcullis_bin();
    let config = d.path("config.kdl");
    let second = d.ns.exec(&[
        bin.to_str().unwrap(),
        "daemon",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr).replace("\n  │ ", " ");
    assert!(
        stderr.contains("another portcullis answers on")
            && stderr.contains("not starting a second daemon on its table and database"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The first one's table was never touched: no repair was needed.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!d.log().contains("table deleted by"), "{}", d.log());
    d.wait_banned("sshd-v4", "192.0.2.44");
}

#[test]
fn sighup_reloads_the_configuration() {
    let Some(mut d) = Daemon::prepare("daemon-hup", SSHD) else {
        return;
    };
    d.start();
    d.write_config(&format!(
        "{SSHD}\njail \"web\" {{ filter \"nginx-http-auth\"; source \"$DIR/web.log\" }}\n"
    ));
    d.hup();
    let reloaded = poll_until(DEADLINE, || {
        (d.json(&["status"]).as_array()?.len() == 2).then_some(())
    });
    assert!(reloaded.is_some(), "{}", d.log());
    assert!(d.log().contains("SIGHUP: reloading the configuration"));
}

#[test]
fn a_database_of_the_previous_schema_is_migrated_and_its_bans_restored() {
    let Some(mut d) = Daemon::prepare("daemon-schema1", SSHD) else {
        return;
    };
    // data.mdb as portcullis cc2e0d7 (schema 1) wrote it: in sshd,
    // 203.0.113.7 for ever, 2001:db8::1 for a century from 2023,
    // 198.51.100.9 for 10 minutes in 2020; 203.0.113.7 in web too.
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/db/testdata/schema1/data.mdb"
    );
    std::fs::create_dir_all(d.path("db")).unwrap();
    std::fs::copy(fixture, d.path("db").join("data.mdb")).unwrap();
    d.start();
    assert_eq!(d.wait_banned("sshd-v4", "203.0.113.7"), (None, None));
    let (timeout, _) = d.wait_banned("sshd-v6", "2001:db8::1");
    assert!(timeout.unwrap() > 70 * 365 * 86_400, "{timeout:?}");
    let v4: Vec<String> = d.elements("sshd-v4").into_iter().map(|e| e.0).collect();
    assert_eq!(v4, vec!["203.0.113.7"], "the expired ban stays out");
    let log = d.log();
    assert!(
        log.contains("migrated 4 ban record(s) from schema 1 to 2")
            && log.contains("restored 2 ban(s) into the kernel"),
        "{log}"
    );
    // The running records were kept, web's too (its jail is not
    // configured now), and read back at schema 2.
    d.terminate();
    let store = portcullis::db::store::Store::open(&d.path("db")).unwrap();
    let now = portcullis::time::UnixMs::now();
    let mut kept: Vec<String> = (store.active_bans(now).unwrap().into_iter())
        .map(|b| format!("{} {}", b.jail, b.addr))
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        ["sshd 2001:db8::1", "sshd 203.0.113.7", "web 203.0.113.7"]
    );
}
