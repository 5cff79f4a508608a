//! The daemon's fail2ban socket (`fail2ban-socket`) driven by the real
//! fail2ban-client of Debian's package (unpacked, never installed), with
//! the kernel's set (`nft -j list set`) as the oracle for bans and unbans.
//! Permissions as our own socket's; a socket a live server owns is left
//! alone.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::{fail2ban_root, poll_until};
use crate::daemon_common::{DEADLINE, Daemon, SSHD, append, sshd_failure};
use crate::f2bproto_wire::client;
use crate::hardening_socket::TestUser;

fn printed(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stdout of a fail2ban-client command that must succeed.
fn ok(root: &Path, socket: &Path, args: &[&str]) -> String {
    let out = client(root, socket, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    printed(&out)
}

fn config(socket: &str) -> String {
    format!("fail2ban-socket \"{socket}\"\n{SSHD}")
}

#[test]
fn fail2ban_client_drives_the_daemon_and_the_kernel_follows() {
    let Some(root) = fail2ban_root("fail2ban_client_drives_the_daemon") else {
        return;
    };
    let Some(mut d) = Daemon::prepare("f2b-daemon", &config("$DIR/run/fail2ban.sock")) else {
        return;
    };
    d.start();
    let s = d.path("run/fail2ban.sock");
    let mode = std::fs::metadata(&s).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the fail2ban socket's mode");
    assert_eq!(ok(&root, &s, &["ping"]), "Server replied: pong\n");
    assert_eq!(
        ok(&root, &s, &["status"]),
        "Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n"
    );
    assert_eq!(ok(&root, &s, &["set", "sshd", "banip", "192.0.2.7"]), "1\n");
    let (timeout, _) = d.wait_banned("sshd-v4", "192.0.2.7");
    assert_eq!(timeout, Some(600), "the jail's bantime");
    let log = d.path("auth.log").display().to_string();
    let status = ok(&root, &s, &["status", "sshd"]);
    let expected = format!(
        "Status for the jail: sshd\n|- Filter\n|  |- Currently failed:\t0\n\
         |  |- Total failed:\t0\n|  `- File list:\t{log}\n`- Actions\n   \
         |- Currently banned:\t1\n   |- Total banned:\t1\n   \
         `- Banned IP list:\t192.0.2.7\n"
    );
    assert_eq!(status, expected);
    let with_time = ok(&root, &s, &["get", "sshd", "banip", "--with-time"]);
    assert!(
        with_time.starts_with("192.0.2.7 \t") && with_time.contains(" + 600 = "),
        "{with_time}"
    );
    assert_eq!(ok(&root, &s, &["banned", "192.0.2.7"]), "[['sshd']]\n");
    assert_eq!(ok(&root, &s, &["get", "sshd", "maxretry"]), "3\n");
    assert_eq!(ok(&root, &s, &["set", "sshd", "maxretry", "7"]), "7\n");
    assert_eq!(d.json(&["get", "sshd", "maxretry"]), serde_json::json!("7"));

    assert_eq!(
        ok(&root, &s, &["set", "sshd", "unbanip", "192.0.2.7"]),
        "1\n"
    );
    d.wait_unbanned("sshd-v4", "192.0.2.7");
    ok(
        &root,
        &s,
        &["set", "sshd", "banip", "192.0.2.8", "192.0.2.9"],
    );
    d.wait_banned("sshd-v4", "192.0.2.9");
    assert_eq!(ok(&root, &s, &["unban", "--all"]), "2\n");
    d.wait_unbanned("sshd-v4", "192.0.2.8");
    d.wait_unbanned("sshd-v4", "192.0.2.9");

    // Unknown commands: fail2ban's error, the daemon stays.
    let out = client(&root, &s, &["frobnicate"]);
    assert_eq!(out.status.code(), Some(255));
    assert_eq!(printed(&out), "Invalid command\n");
    assert_eq!(ok(&root, &s, &["ping"]), "Server replied: pong\n");
    assert!(d.cli(&["status"]).status.success());

    // `stop`: replies, then the daemon stops as on SIGTERM.
    assert_eq!(ok(&root, &s, &["stop"]), "Shutdown successful\n");
    let pid = d.pid();
    let gone = poll_until(DEADLINE, || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        (stat.is_empty() || stat.contains(") Z")).then_some(())
    });
    assert!(gone.is_some(), "the daemon still runs:\n{}", d.log());
    // The same path as SIGTERM: the signal handler stopped it, cleanly.
    assert!(d.log().contains("SIGTERM: stopping"), "{}", d.log());
    assert!(d.terminate().success(), "{}", d.log());
}

/// `stop JAIL`: the jail's bans are lifted and it is gone from `status`
/// (ours too); `start JAIL` brings it back from the configuration, reading
/// again. `set loglevel` changes what the daemon logs, at once.
#[test]
fn stop_and_start_a_jail_and_change_the_log_level() {
    let Some(root) = fail2ban_root("stop_and_start_a_jail") else {
        return;
    };
    let Some(mut d) = Daemon::prepare("f2b-stop", &config("$DIR/f2b.sock")) else {
        return;
    };
    d.start();
    let s = d.path("f2b.sock");
    ok(&root, &s, &["set", "sshd", "banip", "192.0.2.7"]);
    d.wait_banned("sshd-v4", "192.0.2.7");
    assert_eq!(ok(&root, &s, &["stop", "sshd"]), "Jail stopped\n");
    assert!(d.elements("sshd-v4").is_empty(), "the stopped jail's bans");
    assert_eq!(
        ok(&root, &s, &["status"]),
        "Status\n|- Number of jail:\t0\n`- Jail list:\t\n"
    );
    assert_eq!(d.json(&["status"]), serde_json::json!([]));
    assert!(d.log().contains("jail sshd stopped"), "{}", d.log());

    assert_eq!(ok(&root, &s, &["start", "sshd"]), "Jail started\n");
    assert_eq!(
        ok(&root, &s, &["status"]),
        "Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n"
    );
    // Reading again: three failures ban.
    let failures = sshd_failure("203.0.113.5").repeat(3);
    append(&d.path("auth.log"), &failures);
    d.wait_banned("sshd-v4", "203.0.113.5");

    // The log level: fail2ban's names, ours behind them.
    assert!(!d.log().contains("DEBUG"), "{}", d.log());
    assert_eq!(
        ok(&root, &s, &["set", "loglevel", "debug"]),
        "Current logging level is 'DEBUG'\n"
    );
    assert_eq!(
        ok(&root, &s, &["get", "loglevel"]),
        "Current logging level is 'DEBUG'\n"
    );
    ok(&root, &s, &["status", "sshd"]);
    let debug = poll_until(DEADLINE, || d.log().contains(" DEBUG ").then_some(()));
    assert!(
        debug.is_some(),
        "no debug line after set loglevel:\n{}",
        d.log()
    );
    ok(&root, &s, &["set", "loglevel", "ERROR"]);
    let quiet_from = d.log().len();
    ok(&root, &s, &["set", "sshd", "maxretry", "4"]);
    assert!(
        !d.log()[quiet_from..].contains("maxretry set to 4"),
        "an info line at level ERROR:\n{}",
        d.log()
    );
}

#[test]
fn a_stale_socket_is_replaced_and_other_users_may_read_but_not_ban() {
    let Some(root) = fail2ban_root("other_users_may_read_but_not_ban") else {
        return;
    };
    let Some(mut d) = Daemon::prepare("f2b-user", &config("$DIR/fail2ban.sock")) else {
        return;
    };
    std::fs::set_permissions(d.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let s = d.path("fail2ban.sock");
    // A stale socket file (its server gone) is replaced.
    drop(std::os::unix::net::UnixListener::bind(&s).unwrap());
    assert!(s.exists());
    d.start();
    // Opened to everyone, as an admin might: SO_PEERCRED still decides.
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o666)).unwrap();
    let user = TestUser::new("f");
    let as_user = |args: &[&str]| {
        Command::new("runuser")
            .args(["-u", &user.name, "--", "python3"])
            .arg(root.join("usr/bin/fail2ban-client"))
            .arg("-c")
            .arg(root.join("etc/fail2ban"))
            .arg("-s")
            .arg(&s)
            .args(args)
            .env("PYTHONPATH", root.join("usr/lib/python3/dist-packages"))
            .output()
            .unwrap()
    };
    let out = as_user(&["status"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        printed(&out).contains("Jail list:\tsshd"),
        "{}",
        printed(&out)
    );
    for args in [
        &["set", "sshd", "banip", "192.0.2.7"][..],
        &["stop", "sshd"],
        &["start", "sshd"],
        &["set", "loglevel", "DEBUG"],
    ] {
        let out = as_user(args);
        assert_eq!(out.status.code(), Some(255), "{args:?}");
        assert!(
            printed(&out).starts_with("permission denied: only root may change bans"),
            "{args:?}: {}",
            printed(&out)
        );
    }
    assert!(
        printed(&as_user(&["status"])).contains("Jail list:\tsshd"),
        "the jail still runs"
    );
    assert!(d.elements("sshd-v4").is_empty(), "the kernel holds no ban");
}

#[test]
fn a_socket_a_live_server_owns_is_left_alone() {
    let Some(mut d) = Daemon::prepare("f2b-live", &config("$DIR/taken.sock")) else {
        return;
    };
    let path = d.path("taken.sock");
    // A running fail2ban-server, as far as connecting can tell.
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let inode = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
    let before = inode(&path);
    d.start();
    assert_eq!(inode(&path), before, "the socket file was replaced");
    assert!(
        d.log()
            .contains("a running fail2ban-server owns it, not taking it"),
        "{}",
        d.log()
    );
    // Our own socket serves on.
    assert!(d.cli(&["status"]).status.success());
    drop(listener);
}
