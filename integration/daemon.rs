//! `portcullis daemon` end to end: real files, the real kernel in a
//! namespace, `nft -j` as the oracle.

use crate::common::poll_until;
use crate::daemon_common::{DEADLINE, Daemon, append, sshd_failure};

const SSHD: &str = r#"
jail "sshd" {
    source "$DIR/auth.log"
    maxretry 3
    findtime "10m"
    bantime "10m"
    port 22
}
"#;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn appended_failures_ban_with_the_jails_timeout_and_unban_lifts_it() {
    let Some(mut d) = Daemon::prepare("daemon-ban", SSHD) else {
        return;
    };
    d.start();
    let log = d.path("auth.log");
    for _ in 0..2 {
        append(&log, &sshd_failure("203.0.113.7"));
    }
    d.wait_failures("sshd", 2);
    assert!(d.elements("sshd-v4").is_empty());
    append(&log, &sshd_failure("203.0.113.7"));
    let (timeout, expires) = d.wait_banned("sshd-v4", "203.0.113.7");
    assert_eq!(timeout, Some(600));
    assert!(expires.unwrap() > 590, "{expires:?}");
    assert!(
        d.log().contains("NOTICE [sshd] Ban 203.0.113.7\n"),
        "{}",
        d.log()
    );

    let banned = d.cli(&["banned", "203.0.113.7"]);
    assert_eq!(String::from_utf8_lossy(&banned.stdout), "banned in: sshd\n");

    let out = d.cli(&["unban", "sshd", "203.0.113.7"]);
    assert!(out.status.success(), "{}", stderr(&out));
    d.wait_unbanned("sshd-v4", "203.0.113.7");
    assert!(d.log().contains("NOTICE [sshd] Unban 203.0.113.7\n"));
    assert_eq!(d.terminate().code(), Some(0), "SIGTERM exits cleanly");
    assert!(!d.path("control.sock").exists());
}

#[test]
fn manual_ban_for_a_duration_and_ipv6_and_unban_all() {
    let Some(mut d) = Daemon::prepare("daemon-manual", SSHD) else {
        return;
    };
    d.start();
    let out = d.cli(&["ban", "sshd", "2001:db8::7", "--for", "1h30m"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "banned 2001:db8::7 in jail sshd for 1h30m\n"
    );
    assert_eq!(d.wait_banned("sshd-v6", "2001:db8::7").0, Some(5400));
    d.cli(&["ban", "sshd", "192.0.2.1", "--for", "permanent"]);
    assert_eq!(d.wait_banned("sshd-v4", "192.0.2.1"), (None, None));
    let all = d.json(&["banned"]);
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    let out = d.cli(&["unban", "--all"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2 ban(s) lifted\n");
    d.wait_unbanned("sshd-v6", "2001:db8::7");
    d.wait_unbanned("sshd-v4", "192.0.2.1");
    let out = d.cli(&["ban", "nosuch", "192.0.2.1"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "no jail named \"nosuch\" (jails: sshd)\n");
}

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
fn non_root_clients_may_read_but_not_ban() {
    let Some(mut d) = Daemon::prepare("daemon-perm", SSHD) else {
        return;
    };
    d.start();
    let socket = d.path("control.sock");
    let mode = std::fs::metadata(&socket).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.permissions().mode() & 0o777, 0o600);
    let as_nobody = |args: &[&str]| {
        let bin = crate::common::portcullis_bin();
        let mut all = vec![
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            bin.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--socket", socket.to_str().unwrap()]);
        d.ns.exec(&all)
    };
    // The temporary directory is root's; let nobody reach the socket.
    std::fs::set_permissions(d.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = as_nobody(&["ban", "sshd", "192.0.2.7"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).starts_with("permission denied on "),
        "{}",
        stderr(&out)
    );
    // Even past the file mode, the daemon checks the peer's credentials.
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = as_nobody(&["ban", "sshd", "192.0.2.7"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "permission denied: only root may change bans and settings (you are uid 65534)\n"
    );
    assert!(as_nobody(&["status"]).status.success());
    assert!(d.elements("sshd-v4").is_empty());
}

#[test]
fn bantime_increment_lengthens_repeat_bans_before_they_reach_the_kernel() {
    let jail = r#"
jail "sshd" {
    source "$DIR/auth.log"
    maxretry 1
    bantime "10m"
    bantime-increment { factor 1; max "30m" }
}
"#;
    let Some(mut d) = Daemon::prepare("daemon-increment", jail) else {
        return;
    };
    d.start();
    let log = d.path("auth.log");
    let mut timeouts = Vec::new();
    for round in 1..=3u64 {
        append(&log, &sshd_failure("203.0.113.77"));
        timeouts.push(d.wait_banned("sshd-v4", "203.0.113.77").0.unwrap());
        d.cli(&["unban", "sshd", "203.0.113.77"]);
        d.wait_unbanned("sshd-v4", "203.0.113.77");
        d.wait_failures("sshd", round);
    }
    assert_eq!(timeouts, vec![600, 1200, 1800]);
}

#[test]
fn get_and_set_jail_settings() {
    let Some(mut d) = Daemon::prepare("daemon-getset", SSHD) else {
        return;
    };
    d.start();
    let out = d.cli(&["get", "sshd", "maxretry"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3\n");
    let out = d.cli(&["set", "sshd", "maxretry", "1"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");
    append(&d.path("auth.log"), &sshd_failure("203.0.113.8"));
    d.wait_banned("sshd-v4", "203.0.113.8");
    let out = d.cli(&["set", "sshd", "ignore", "+203.0.113.0/24"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "203.0.113.0/24\n");
    append(&d.path("auth.log"), &sshd_failure("203.0.113.9"));
    d.wait_failures("sshd", 2);
    assert!(!d.elements("sshd-v4").iter().any(|e| e.0 == "203.0.113.9"));
}

#[test]
fn a_banned_peer_cannot_connect_until_unbanned() {
    use std::net::{SocketAddr, TcpListener};
    use std::time::Duration;
    let jail = r#"
jail "sshd" {
    source "$DIR/auth.log"
    maxretry 1
    port 2222
    action "reject"
}
"#;
    let Some(mut d) = Daemon::prepare("daemon-traffic", jail) else {
        return;
    };
    let Some(client) = crate::common::NetNs::new("daemon-traffic") else {
        return;
    };
    crate::nft_traffic::link(&d.ns, &client);
    let to: SocketAddr = "192.0.2.1:2222".parse().unwrap();
    let _listener = d.ns.run(|| TcpListener::bind(to).unwrap());
    d.start();
    let wait = Duration::from_secs(5);
    crate::nft_traffic::connects(&client, to, wait).expect("connects before the ban");
    append(&d.path("auth.log"), &sshd_failure("192.0.2.2"));
    d.wait_banned("sshd-v4", "192.0.2.2");
    let err = crate::nft_traffic::connects(&client, to, wait).expect_err("banned");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
    d.cli(&["unban", "sshd", "192.0.2.2"]);
    d.wait_unbanned("sshd-v4", "192.0.2.2");
    crate::nft_traffic::connects(&client, to, wait).expect("connects after the unban");
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
fn loopback_and_ignored_networks_are_never_banned() {
    let jail = r#"
jail "sshd" {
    source "$DIR/auth.log"
    maxretry 1
    ignore "198.51.100.0/24"
}
"#;
    let Some(mut d) = Daemon::prepare("daemon-ignore", jail) else {
        return;
    };
    d.start();
    let log = d.path("auth.log");
    for addr in ["127.0.0.1", "::1", "198.51.100.77", "203.0.113.5"] {
        append(&log, &sshd_failure(addr));
    }
    d.wait_banned("sshd-v4", "203.0.113.5");
    d.wait_failures("sshd", 4);
    assert_eq!(d.stats("sshd")["ignored_total"], 3);
    let v4: Vec<String> = d.elements("sshd-v4").into_iter().map(|e| e.0).collect();
    assert_eq!(v4, vec!["203.0.113.5"]);
    assert!(d.elements("sshd-v6").is_empty());
}

#[test]
fn the_control_socket_answers_bad_and_missing_requests() {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    let Some(mut d) = Daemon::prepare("daemon-socket", SSHD) else {
        return;
    };
    d.start();
    let socket = d.path("control.sock");
    let ask = |request: Option<&[u8]>| {
        let mut s = UnixStream::connect(&socket).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        if let Some(r) = request {
            s.write_all(r).unwrap();
        }
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    };
    let reply = ask(Some(b"{\"command\":\"explode\"}\n"));
    assert!(
        reply.starts_with("{\"ok\":false,\"error\":\"invalid request: unknown variant `explode`"),
        "{reply}"
    );
    // A client that sends nothing is answered and dropped.
    assert_eq!(
        ask(None),
        "{\"ok\":false,\"error\":\"no request within 5 s: send one JSON line\"}\n"
    );
}
