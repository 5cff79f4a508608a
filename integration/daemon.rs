//! `portcullis daemon` end to end: real files, the real kernel in a
//! namespace, `nft -j` as the oracle. Bans, unbans and what the control
//! socket answers; restarts and reloads are in `daemon_restart`.

use crate::daemon_common::{Daemon, SSHD, append, sshd_failure, stderr};

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
