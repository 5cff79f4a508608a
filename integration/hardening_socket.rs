//! The control socket under attack, both layers: the socket's own mode
//! (0600, root's) keeps other users out; opened to everyone (chmod 666, as
//! an admin might), SO_PEERCRED still lets them only read. 1,000 clients at
//! once are all served; oversized, truncated and malformed requests get an
//! error (or a close) and the daemon keeps serving, without buffering them.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use crate::daemon_common::{Daemon, append, sshd_failure};

const JAIL: &str =
    "jail \"sshd\" {\n    source \"$DIR/auth.log\"\n    maxretry 1\n    port 22\n}\n";

/// A system user made for the test with `useradd`, removed on drop.
pub(crate) struct TestUser {
    pub(crate) name: String,
}

impl TestUser {
    pub(crate) fn new(tag: &str) -> TestUser {
        let name = format!("pcl{tag}{}", std::process::id() % 100_000);
        let out = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(&name)
            .output()
            .expect("useradd");
        assert!(
            out.status.success(),
            "useradd {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        TestUser { name }
    }

    /// Runs `portcullis ARGS --socket SOCKET` as this user.
    fn cli(&self, socket: &Path, args: &[&str]) -> Output {
        Command::new("runuser")
            .args(["-u", &self.name, "--"])
            .arg(crate::common::portcullis_bin())
            .args(args)
            .arg("--socket")
            .arg(socket)
            .output()
            .expect("runuser")
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).output();
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn other_users_are_kept_out_by_the_mode_and_may_only_read_through_peercred() {
    let Some(mut d) = Daemon::prepare("hard-sock-user", JAIL) else {
        return;
    };
    // The directory lets others reach the socket: only its mode stops them.
    std::fs::set_permissions(d.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d.start();
    append(&d.path("auth.log"), &sshd_failure("198.51.100.40"));
    d.wait_banned("sshd-v4", "198.51.100.40");
    let socket = d.path("control.sock");
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the socket's mode");
    let user = TestUser::new("u");

    let out = user.cli(&socket, &["status"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert_eq!(
        text(&out).trim(),
        format!(
            "permission denied on {}: the control socket is root's; run this as root",
            socket.display()
        )
    );

    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = user.cli(&socket, &["status", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let uid = String::from_utf8(
        Command::new("id")
            .args(["-u", &user.name])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let denied = format!(
        "permission denied: only root may change bans and settings (you are uid {})",
        uid.trim()
    );
    for args in [
        &["ban", "sshd", "198.51.100.41"][..],
        &["unban", "sshd", "198.51.100.40"],
        &["unban", "--all"],
        &["set", "sshd", "maxretry", "9"],
        &["reload"],
    ] {
        let out = user.cli(&socket, args);
        assert_eq!(
            out.status.code(),
            Some(4),
            "{args:?} was allowed: {}",
            text(&out)
        );
        assert_eq!(text(&out).trim(), denied, "{args:?}");
    }
    // The kernel agrees: nothing changed.
    let banned: Vec<String> = d.elements("sshd-v4").into_iter().map(|e| e.0).collect();
    assert_eq!(banned, vec!["198.51.100.40".to_string()]);
    assert_eq!(d.json(&["get", "sshd", "maxretry"]), Value::from("1"));
}

/// Sends `bytes` on a new connection and reads the reply line (empty when
/// the daemon closed without one).
fn exchange(socket: &Path, bytes: &[u8], shutdown: bool) -> String {
    let mut s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(bytes).unwrap();
    if shutdown {
        s.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let mut reply = String::new();
    let _ = BufReader::new(s).read_line(&mut reply);
    reply
}

fn error_of(reply: &str) -> String {
    let v: Value = serde_json::from_str(reply).unwrap_or_else(|_| panic!("reply {reply:?}"));
    assert_eq!(v["ok"], Value::Bool(false), "{reply}");
    v["error"].as_str().unwrap().to_string()
}

#[test]
fn a_thousand_clients_at_once_are_all_served() {
    let Some(mut d) = Daemon::prepare("hard-sock-1000", JAIL) else {
        return;
    };
    d.start();
    let socket = d.path("control.sock");
    // All connected before any request is sent.
    let mut clients: Vec<UnixStream> = (0..1000)
        .map(|_| UnixStream::connect(&socket).expect("connect"))
        .collect();
    for c in &mut clients {
        c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        c.write_all(b"{\"command\":\"status\",\"jail\":\"sshd\"}\n")
            .unwrap();
    }
    let mut served = 0;
    for c in clients {
        let mut reply = String::new();
        BufReader::new(c).read_line(&mut reply).unwrap();
        let v: Value = serde_json::from_str(&reply).unwrap();
        if v["ok"] == Value::Bool(true) && v["data"][0]["jail"] == "sshd" {
            served += 1;
        }
    }
    assert_eq!(served, 1000, "clients served; log:\n{}", d.log());
    assert!(d.cli(&["status"]).status.success());
}

#[test]
fn bad_requests_get_an_error_and_the_daemon_keeps_serving() {
    let Some(mut d) = Daemon::prepare("hard-sock-bad", JAIL) else {
        return;
    };
    d.start();
    let socket = d.path("control.sock");
    assert_eq!(
        error_of(&exchange(&socket, b"{\"command\":\"shutdown\"}\n", false)),
        "invalid request: unknown variant `shutdown`, expected one of `status`, `ban`, `unban`, `unban-all`, `banned`, `reload`, `get`, `set`, `ping`, `pause`, `resume`, `ban-times`, `cluster` at line 1 column 21"
    );
    assert!(error_of(&exchange(&socket, b"hello\n", false)).starts_with("invalid request: "));
    assert!(
        error_of(&exchange(&socket, b"\xff\xfe\0\0\n", false)).starts_with("invalid request: ")
    );
    assert_eq!(
        error_of(&exchange(
            &socket,
            b"{\"command\":\"ban\",\"jail\":\"sshd\",\"addr\":\"1.2.3.999\"}\n",
            false
        )),
        "invalid request: invalid IP address syntax"
    );
    // Truncated: the client stops half-way and closes its side.
    assert_eq!(
        error_of(&exchange(&socket, b"{\"command\":\"sta", true)),
        "invalid request: EOF while parsing a string at line 1 column 15"
    );
    assert_eq!(
        error_of(&exchange(&socket, b"", true)),
        "no request: the connection closed before a JSON line came"
    );
    // A line longer than the limit, newline and all.
    let mut long = b"{\"command\":\"status\",\"jail\":\"".to_vec();
    long.extend(std::iter::repeat_n(b'x', 100_000));
    long.extend(b"\"}\n");
    assert_eq!(
        error_of(&exchange(&socket, &long, false)),
        "request refused: longer than 65536 bytes (send one JSON line)"
    );
    // Silent: answered after the request timeout.
    assert_eq!(
        error_of(&exchange(&socket, b"{", false)),
        "no request within 5 s: send one JSON line"
    );
    assert!(d.cli(&["status"]).status.success(), "{}", d.log());
}

#[test]
fn a_100_mb_request_is_refused_without_being_buffered() {
    let Some(mut d) = Daemon::prepare("hard-sock-100mb", JAIL) else {
        return;
    };
    d.start();
    let socket = d.path("control.sock");
    let before = d.rss_kib();
    let mut s = UnixStream::connect(&socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut writer = s.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let chunk = vec![b'x'; 16 << 10];
        let mut sent = 0usize;
        while sent < 100 << 20 {
            match writer.write(&chunk) {
                Ok(n) => sent += n,
                Err(_) => break,
            }
        }
        sent
    });
    let mut reply = String::new();
    let _ = BufReader::new(&mut s).read_line(&mut reply);
    let _ = s.shutdown(std::net::Shutdown::Both);
    let sent = sender.join().unwrap();
    let after = d.rss_kib();
    eprintln!("100 MB request: {sent} bytes sent before the close; RSS {before} -> {after} KiB");
    if !reply.is_empty() {
        assert_eq!(
            error_of(&reply),
            "request refused: longer than 65536 bytes (send one JSON line)"
        );
    }
    assert!(sent < 100 << 20, "the daemon read all 100 MB");
    assert!(
        after < before + 8 * 1024,
        "RSS grew from {before} to {after} KiB"
    );
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(d.cli(&["status"]).status.success(), "{}", d.log());
}
