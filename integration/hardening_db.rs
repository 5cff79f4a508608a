//! The database full: a small tmpfs as the database directory (disk full)
//! and a tiny first LMDB map (`PORTCULLIS_DB_MAP_SIZE`, map full). Every
//! ban still reaches the kernel, the daemon keeps serving, a disk-full run
//! is logged once (not per ban), and a full map grows instead of failing.

use std::process::Command;
use std::time::Duration;

use crate::common::poll_until;
use crate::daemon_common::{Daemon, append};

const JAIL: &str = "jail \"sshd\" {\n    source \"$DIR/auth.log\"\n    maxretry 1\n    bantime \"1h\"\n    port 22\n}\n";
/// Offenders per test, each banned once.
const OFFENDERS: u32 = 20_000;

/// A tmpfs mounted on a test directory, lazily unmounted on drop.
struct SmallFs(std::path::PathBuf);

impl SmallFs {
    fn mount(path: std::path::PathBuf, size: &str) -> SmallFs {
        std::fs::create_dir_all(&path).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mount: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallFs(path)
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
    }
}

fn addr(i: u32) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

/// Appends a failure for each offender and waits until the kernel holds them all.
fn ban_all(d: &Daemon) {
    let now = jiff::Zoned::now().strftime("%b %e %H:%M:%S").to_string();
    let mut text = String::new();
    for i in 0..OFFENDERS {
        text.push_str(&format!(
            "{now} host sshd[4242]: Failed password for root from {} port 51234 ssh2\n",
            addr(i)
        ));
    }
    append(&d.path("auth.log"), &text);
    let all = poll_until(Duration::from_secs(120), || {
        let n = d.elements("sshd-v4").len();
        (n == OFFENDERS as usize).then_some(())
    });
    assert!(
        all.is_some(),
        "{} of {OFFENDERS} bans in the kernel; log:\n{}",
        d.elements("sshd-v4").len(),
        d.log()
    );
}

#[test]
fn disk_full_is_logged_once_and_bans_still_reach_the_kernel() {
    let Some(mut d) = Daemon::prepare("hard-db-disk", JAIL) else {
        return;
    };
    let _fs = SmallFs::mount(d.path("db"), "256k");
    d.start();
    ban_all(&d);
    assert!(d.cli(&["status"]).status.success(), "{}", d.log());
    let log = d.log();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "errors logged:\n{}", errors.join("\n"));
    assert!(
        errors[0].contains("the file system holding it is full (bans still reach the kernel but are not recorded; database errors are logged at most every 10 minutes)"),
        "{}",
        errors[0]
    );
    // A new offender after the run of errors: banned too, nothing more logged.
    append(
        &d.path("auth.log"),
        &crate::daemon_common::sshd_failure("198.51.100.60"),
    );
    d.wait_banned("sshd-v4", "198.51.100.60");
    assert_eq!(d.log().lines().filter(|l| l.contains("ERROR")).count(), 1);
}

#[test]
fn a_full_map_grows_and_every_ban_is_recorded() {
    let Some(mut d) = Daemon::prepare("hard-db-map", JAIL) else {
        return;
    };
    d.env
        .push(("PORTCULLIS_DB_MAP_SIZE".into(), (64 << 10).to_string()));
    d.start();
    ban_all(&d);
    assert!(d.terminate().success(), "{}", d.log());
    let log = d.log();
    assert!(!log.contains("ERROR"), "{log}");
    let grown = log.lines().filter(|l| l.contains("map full at")).count();
    // Doubling from 64 KiB: a handful of times, not once per ban.
    assert!((1..=12).contains(&grown), "grew {grown} times:\n{log}");
    let store = portcullis::db::store::Store::open(&d.path("db")).unwrap();
    let recorded = store.active_bans(portcullis::time::UnixMs::now()).unwrap();
    assert_eq!(recorded.len(), OFFENDERS as usize);
}
