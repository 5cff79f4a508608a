//! `portcullis ping`, `banned --times` and the exit codes of permission
//! errors, against a real daemon in a network namespace; ban times are
//! checked against the kernel's own timeouts (`nft -j list`).

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{poll_until, portcullis_bin};
use crate::daemon_common::{DEADLINE, Daemon, SSHD, stderr};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn ping_answers_while_a_daemon_runs_and_exits_3_when_none_does() {
    let Some(mut d) = Daemon::prepare("ops-ping", SSHD) else {
        return;
    };
    d.start();
    let out = d.cli(&["ping"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("pong: portcullis {} answers", env!("CARGO_PKG_VERSION"))
    );
    let data = d.json(&["ping"]);
    assert_eq!(data["version"], env!("CARGO_PKG_VERSION"));
    // Stopped, the daemon still accepts (the kernel's backlog) but never
    // answers: ping gives up after its timeout, as for no daemon.
    d.signal(libc::SIGSTOP);
    let started = std::time::Instant::now();
    let out = d.cli(&["ping", "--timeout", "1"]);
    let waited = started.elapsed();
    d.signal(libc::SIGCONT);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "no answer on {} within 1 s: the daemon accepts connections but does not answer (stopped or hung?)\n",
            d.path("control.sock").display()
        )
    );
    assert!(waited < std::time::Duration::from_secs(5), "{waited:?}");
    assert_eq!(d.cli(&["ping"]).status.code(), Some(0));
    assert!(d.terminate().success());
    let out = d.cli(&["ping"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).starts_with("portcullis is not running (nothing answers on"),
        "{}",
        stderr(&out)
    );
}

/// `banned --times --json` until every ban has its recorded start (the
/// record follows the kernel within 100 ms).
fn ban_times(d: &Daemon, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["banned", "--times"];
    all.extend_from_slice(args);
    poll_until(DEADLINE, || {
        let bans = d.json(&all);
        let bans = bans.as_array().cloned().unwrap_or_default();
        bans.iter().all(|b| b["start_ms"].is_u64()).then_some(bans)
    })
    .unwrap_or_else(|| panic!("starts never recorded; log:\n{}", d.log()))
}

#[test]
fn ban_times_list_each_ban_with_its_start_end_and_the_kernels_time_left() {
    let jails = format!(
        "{SSHD}\njail \"web\" {{ filter \"nginx-http-auth\"; source \"$DIR/web.log\"; port 80 }}\n"
    );
    let Some(mut d) = Daemon::prepare("ops-times", &jails) else {
        return;
    };
    d.start();
    let before = now_ms();
    for args in [
        &["ban", "sshd", "192.0.2.7", "--for", "1h"][..],
        &["ban", "sshd", "2001:db8::7", "--for", "permanent"],
        &["ban", "web", "192.0.2.8", "--for", "10m"],
    ] {
        let out = d.cli(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    d.wait_banned("sshd-v4", "192.0.2.7");
    let after = now_ms();
    let bans = ban_times(&d, &["--jail", "sshd"]);
    let names: Vec<&str> = bans
        .iter()
        .map(|b| b["address"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["192.0.2.7", "2001:db8::7"], "only sshd's bans");
    let v4 = &bans[0];
    let start = v4["start_ms"].as_u64().unwrap();
    assert!((before..=after).contains(&start), "{v4}");
    let end = v4["end_ms"].as_u64().unwrap();
    assert!(end.abs_diff(start + 3_600_000) < 2_000, "{v4}");
    // The time left agrees with the kernel's (seconds).
    let (timeout, expires) = d.wait_banned("sshd-v4", "192.0.2.7");
    assert_eq!(timeout, Some(3600));
    let left = v4["remaining_ms"].as_u64().unwrap() / 1000;
    assert!(
        left.abs_diff(expires.unwrap()) <= 2,
        "{v4} vs kernel {expires:?}"
    );
    let permanent = &bans[1];
    assert!(permanent["start_ms"].as_u64().unwrap() >= before);
    assert!(permanent["end_ms"].is_null() && permanent["remaining_ms"].is_null());
    assert_eq!(ban_times(&d, &[]).len(), 3, "every jail without --jail");

    let out = d.cli(&["banned", "--times", "--jail", "sshd"]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("JAIL ") && lines[0].ends_with("LEFT"),
        "{text}"
    );
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&row[..2], ["sshd", "192.0.2.7"]);
    assert!(row[2].ends_with('Z') && row[3].ends_with('Z'), "{text}");
    assert!(row[4] == "1h" || row[4].starts_with("59m"), "{text}");
    let row: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(&row[3..], ["permanent", "permanent"]);

    let out = d.cli(&["banned", "--times", "--jail", "ssh"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "no jail named \"ssh\" (jails: sshd, web)\n");
    let out = d.cli(&["banned", "--jail", "sshd"]);
    assert_eq!(out.status.code(), Some(2), "--jail needs --times");
}

/// `portcullis ARGS --socket SOCKET` as the user `nobody`.
fn as_nobody(socket: &std::path::Path, args: &[&str]) -> Output {
    Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        .arg(portcullis_bin())
        .args(args)
        .arg("--socket")
        .arg(socket)
        .output()
        .expect("setpriv")
}

#[test]
fn permission_errors_exit_4_not_the_no_daemon_code() {
    let Some(mut d) = Daemon::prepare("ops-perm", SSHD) else {
        return;
    };
    // The directory lets others reach the socket: only its mode stops them.
    std::fs::set_permissions(d.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d.start();
    let socket = d.path("control.sock");
    let out = as_nobody(&socket, &["ping"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "permission denied on {}: the control socket is root's; run this as root\n",
            socket.display()
        )
    );
    // Opened to everyone, the daemon still lets only root change anything.
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = as_nobody(&socket, &["ping"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = as_nobody(&socket, &["banned", "--times"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for args in [&["pause", "sshd"][..], &["ban", "sshd", "192.0.2.5"]] {
        let out = as_nobody(&socket, args);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out),
            "permission denied: only root may change bans and settings (you are uid 65534)\n"
        );
    }
    let out = as_nobody(&socket, &["resume", "sshd", "--json"]);
    assert_eq!(out.status.code(), Some(4));
    let reply: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&reply["ok"], &reply["denied"]),
        (&Value::Bool(false), &Value::Bool(true))
    );
    // Nothing changed: still reading, nothing banned.
    assert_eq!(d.json(&["status", "sshd"])[0]["paused"], Value::Bool(false));
    assert!(d.elements("sshd-v4").is_empty());
}
