//! Notification actions end to end: the program gets its arguments byte
//! for byte, a slow one never holds a ban back, and hostile log lines
//! cannot inject anything.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::common::poll_until;
use crate::daemon_common::{DEADLINE, Daemon, append, sshd_failure};

/// `record` appends its arguments, each NUL-terminated, to `$DIR/argv`;
/// `slow` sleeps 5 s on every ban.
const JAIL: &str = r#"
jail "sshd" {
    source "$DIR/auth.log"
    maxretry 1
    bantime "10m"
    port 22
    notify "slow" { exec "/bin/sleep" "5"; timeout "30s"; }
    notify "record" {
        exec "/bin/sh" "-c" "printf '%s\\0' \"$@\" >> \"$0\"" "$DIR/argv" "{event}" "{ip}" "{jail}" "{bantime}" "{failures}"
        on "ban" "unban"
    }
}
"#;

/// The records in `$DIR/argv`, as lists of 5 arguments.
fn records(d: &Daemon) -> Vec<Vec<String>> {
    let bytes = std::fs::read(d.path("argv")).unwrap_or_default();
    let args: Vec<String> = String::from_utf8(bytes)
        .unwrap()
        .split_terminator('\0')
        .map(String::from)
        .collect();
    args.chunks(5).map(<[String]>::to_vec).collect()
}

fn wait_records(d: &Daemon, n: usize) -> Vec<Vec<String>> {
    poll_until(DEADLINE, || {
        let r = records(d);
        (r.len() >= n).then_some(r)
    })
    .unwrap_or_else(|| panic!("no {n} notification(s): {:?}\n{}", records(d), d.log()))
}

/// Appends one failure and returns how long the kernel took to hold the ban.
fn ban_latency(d: &Daemon, addr: &str) -> Duration {
    let start = Instant::now();
    append(&d.path("auth.log"), &sshd_failure(addr));
    d.wait_banned("sshd-v4", addr);
    start.elapsed()
}

#[test]
fn a_slow_notification_never_delays_a_ban_and_arguments_arrive_exactly() {
    let Some(mut d) = Daemon::prepare("notify-slow", JAIL) else {
        return;
    };
    d.start();
    let first = ban_latency(&d, "203.0.113.7");
    assert_eq!(
        wait_records(&d, 1)[0],
        ["ban", "203.0.113.7", "sshd", "10m", "1"]
    );
    // The 5 s `sleep` of the first ban is running now; the next bans do not wait.
    let second = ban_latency(&d, "203.0.113.8");
    let third = ban_latency(&d, "203.0.113.9");
    for latency in [first, second, third] {
        assert!(latency < Duration::from_secs(2), "{latency:?}\n{}", d.log());
    }
    wait_records(&d, 3);
    let out = d.cli(&["unban", "sshd", "203.0.113.8"]);
    assert!(out.status.success());
    let all = wait_records(&d, 4);
    assert_eq!(all[3], ["unban", "203.0.113.8", "sshd", "", ""]);
    let expected = b"ban\x00203.0.113.7\x00sshd\x0010m\x001\x00";
    assert!(std::fs::read(d.path("argv")).unwrap().starts_with(expected));
    assert!(!d.log().contains("notification"), "{}", d.log());
}

#[test]
fn crafted_log_lines_cannot_inject_into_a_notification() {
    let Some(mut d) = Daemon::prepare("notify-inject", JAIL) else {
        return;
    };
    d.start();
    let marker = d.path("injected");
    let m = marker.display();
    let hostile = [
        format!("203.0.113.66;touch {m}"),
        format!("203.0.113.66 ; touch {m} ;"),
        format!("$(touch {m})"),
        format!("203.0.113.66$(touch {m})"),
        format!("`touch {m}`"),
        format!("\"203.0.113.66\" \"; touch {m}\""),
        format!("'203.0.113.66'; touch {m}"),
        format!("203.0.113.66\ntouch {m}"),
        format!("2001:db8::66|touch {m}"),
    ];
    for text in &hostile {
        append(&d.path("auth.log"), &sshd_failure(text));
    }
    // A plain failure last: once its notification is in, the others were read.
    append(&d.path("auth.log"), &sshd_failure("198.51.100.1"));
    d.wait_banned("sshd-v4", "198.51.100.1");
    let all = poll_until(DEADLINE, || {
        let r = records(&d);
        r.iter().any(|r| r[1] == "198.51.100.1").then_some(r)
    })
    .unwrap_or_else(|| panic!("no notification for 198.51.100.1\n{}", d.log()));
    for record in &all {
        assert_eq!(record.len(), 5, "{all:?}");
        assert_eq!(record[0], "ban");
        let addr: IpAddr = record[1]
            .parse()
            .unwrap_or_else(|_| panic!("{:?} reached {{ip}}", record[1]));
        assert_eq!(record[1], addr.to_string());
        assert_eq!(record[2..], ["sshd", "10m", "1"]);
    }
    assert!(!marker.exists(), "a crafted line ran a command");
}

#[test]
fn a_failing_notification_is_logged_with_its_jail_and_name() {
    let jail = r#"
jail "sshd" {
    source "$DIR/auth.log"
    maxretry 1
    port 22
    notify "pager" { exec "/bin/sh" "-c" "exit 7"; }
}
"#;
    let Some(mut d) = Daemon::prepare("notify-fail", jail) else {
        return;
    };
    d.start();
    ban_latency(&d, "203.0.113.7");
    let line = "jail sshd: notification pager (/bin/sh) exited with status 7";
    let logged = poll_until(DEADLINE, || d.log().contains(line).then_some(()));
    assert!(logged.is_some(), "{}", d.log());
}
