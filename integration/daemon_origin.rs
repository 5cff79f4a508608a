//! A fleet ban's origin across restarts of the real daemon: an element
//! left in the kernel with a comment (as the daemon writes a remote ban)
//! is adopted with that origin, kept by the restore's rebuild, recorded,
//! and written back from the database alone after a reboot lost the table.

use portcullis::db::store::Store;
use portcullis::time::UnixMs;
use serde_json::Value;

use crate::common::poll_until;
use crate::daemon_common::{DEADLINE, Daemon, SSHD};

/// address -> comment of `set`, as `nft -j` shows it.
fn comment(d: &Daemon, addr: &str) -> Option<String> {
    let text =
        d.ns.sh(&["nft", "-j", "list", "set", "inet", "portcullis", "sshd-v4"]);
    let json: Value = serde_json::from_str(&text).unwrap();
    let items = json["nftables"].as_array().unwrap().iter();
    let elems = items.filter_map(|i| i["set"]["elem"].as_array()).flatten();
    let found = elems.map(|e| &e["elem"]).find(|e| e["val"] == addr);
    found
        .and_then(|e| e["comment"].as_str())
        .map(str::to_string)
}

/// The origin the database records for `addr` in sshd, once recorded.
fn recorded_origin(d: &Daemon, addr: &str) -> Option<Option<String>> {
    let store = Store::open(&d.path("db")).unwrap();
    let bans = store.active_bans(UnixMs::now()).unwrap();
    let ban = bans.into_iter().find(|b| b.addr.to_string() == addr)?;
    Some(ban.record.origin)
}

#[test]
fn a_remote_bans_origin_survives_adoption_restore_and_a_lost_table() {
    let Some(mut d) = Daemon::prepare("daemon-origin", SSHD) else {
        return;
    };
    d.start();
    d.kill9();
    // A remote ban the kernel took but whose record never reached the disk.
    d.ns.sh(&[
        "nft",
        "add element inet portcullis sshd-v4 { 192.0.2.77 timeout 1h comment \"gate-2\" }",
    ]);
    d.start();
    d.wait_banned("sshd-v4", "192.0.2.77");
    assert_eq!(comment(&d, "192.0.2.77").as_deref(), Some("gate-2"));
    d.cli(&["ban", "sshd", "192.0.2.78", "--for", "1h"]);
    d.wait_banned("sshd-v4", "192.0.2.78");
    assert_eq!(comment(&d, "192.0.2.78"), None);
    let recorded = poll_until(DEADLINE, || {
        let remote = recorded_origin(&d, "192.0.2.77")?;
        let local = recorded_origin(&d, "192.0.2.78")?;
        Some((remote, local))
    });
    assert_eq!(
        recorded,
        Some((Some("gate-2".to_string()), None)),
        "log:\n{}",
        d.log()
    );
    d.kill9();
    // As after a reboot: only the database knows.
    d.ns.sh(&["nft", "delete", "table", "inet", "portcullis"]);
    d.start();
    d.wait_banned("sshd-v4", "192.0.2.77");
    assert_eq!(comment(&d, "192.0.2.77").as_deref(), Some("gate-2"));
    assert_eq!(comment(&d, "192.0.2.78"), None);
}
