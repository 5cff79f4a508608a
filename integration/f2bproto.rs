//! fail2ban's control protocol (`portcullis::f2bproto`) against the real
//! fail2ban-client of Debian's fail2ban package (unpacked, never installed)
//! and Python's own `pickle.loads`: the test server of `f2bproto_server`
//! speaks our codec, the client prints what it understood. Hostile input
//! over the socket. Property tests: `props_f2bproto.rs`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use portcullis::f2bproto::{Limits, PyError, Reply, Value, decode, encode_reply, frame};

use crate::common::fail2ban_root;
use crate::f2bproto_server::TestServer;
use crate::f2bproto_wire::{client, decode_reply, exchange, hostile_requests, pong, request};

fn python_path(root: &Path) -> std::path::PathBuf {
    root.join("usr/lib/python3/dist-packages")
}

/// stdout of a command that must succeed.
fn ok(root: &Path, socket: &Path, args: &[&str]) -> String {
    let out = client(root, socket, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn fail2ban_client_talks_to_our_codec() {
    let Some(root) = fail2ban_root("fail2ban_client_talks_to_our_codec") else {
        return;
    };
    let server = TestServer::start(Limits::default());
    let s = server.path();
    assert_eq!(ok(&root, s, &["ping"]), "Server replied: pong\n");
    assert_eq!(
        ok(&root, s, &["status"]),
        "Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n"
    );
    let status_sshd = "Status for the jail: sshd\n\
        |- Filter\n\
        |  |- Currently failed:\t2\n\
        |  |- Total failed:\t9\n\
        |  `- File list:\t/var/log/auth.log\n\
        `- Actions\n   \
           |- Currently banned:\t1\n   \
           |- Total banned:\t3\n   \
           `- Banned IP list:\t192.0.2.1\n";
    assert_eq!(ok(&root, s, &["status", "sshd"]), status_sshd);
    assert_eq!(ok(&root, s, &["set", "sshd", "banip", "192.0.2.7"]), "1\n");
    assert_eq!(
        ok(&root, s, &["get", "sshd", "banip", "--with-time"]),
        "192.0.2.1 \t2026-12-05 10:00:00 + 600 = 2026-12-05 10:10:00\n\
         192.0.2.7 \t2026-12-05 10:01:00 + 600 = 2026-12-05 10:11:00\n"
    );
    assert_eq!(ok(&root, s, &["banned", "192.0.2.7"]), "[['sshd']]\n");
    assert_eq!(
        ok(&root, s, &["set", "sshd", "unbanip", "192.0.2.7"]),
        "1\n"
    );
    assert_eq!(ok(&root, s, &["unban", "--all"]), "1\n");
    assert!(server.view.lock().unwrap().jails[0].bans.is_empty());
}

#[test]
fn fail2ban_client_prints_our_settings_as_fail2bans() {
    let Some(root) = fail2ban_root("fail2ban_client_prints_our_settings_as_fail2bans") else {
        return;
    };
    let server = TestServer::start(Limits::default());
    let s = server.path();
    assert_eq!(ok(&root, s, &["version"]), "portcullis-test\n");
    assert_eq!(ok(&root, s, &["get", "sshd", "maxretry"]), "5\n");
    assert_eq!(ok(&root, s, &["set", "sshd", "maxretry", "7"]), "7\n");
    assert_eq!(ok(&root, s, &["set", "sshd", "bantime", "1h"]), "3600\n");
    assert_eq!(
        ok(&root, s, &["get", "sshd", "logpath"]),
        "Current monitored log file(s):\n`- /var/log/auth.log\n"
    );
    assert_eq!(
        ok(&root, s, &["set", "sshd", "addignoreip", "10.0.0.0/8"]),
        "These IP addresses/networks are ignored:\n|- 127.0.0.1/8\n`- 10.0.0.0/8\n"
    );
    assert_eq!(
        ok(&root, s, &["get", "sshd", "failregex"]),
        "The following regular expression are defined:\n`- [0]: ^fail from <HOST>$\n"
    );
    assert_eq!(
        ok(&root, s, &["get", "sshd", "actions"]),
        "The jail sshd has the following actions:\nnftables\n"
    );
    assert_eq!(
        ok(&root, s, &["get", "loglevel"]),
        "Current logging level is 'INFO'\n"
    );
    assert_eq!(
        ok(&root, s, &["set", "loglevel", "debug"]),
        "Current logging level is 'DEBUG'\n"
    );
    assert_eq!(
        ok(&root, s, &["status", "sshd", "short"]).lines().count(),
        8
    );
    assert_eq!(ok(&root, s, &["flushlogs"]), "logs: flushed\n");
    assert_eq!(ok(&root, s, &["stop", "sshd"]), "Jail stopped\n");
    assert_eq!(ok(&root, s, &["start", "sshd"]), "Jail started\n");
    assert_eq!(ok(&root, s, &["echo", "a", "b"]), "a b\n");
    assert_eq!(ok(&root, s, &["stop"]), "Shutdown successful\n");
}

#[test]
fn fail2ban_client_reports_our_errors_as_fail2bans() {
    let Some(root) = fail2ban_root("fail2ban_client_reports_our_errors_as_fail2bans") else {
        return;
    };
    let server = TestServer::start(Limits::default());
    let s = server.path();
    for (args, printed) in [
        (&["frobnicate"][..], "Invalid command\n"),
        (
            &["status", "nosuch"],
            "Sorry but the jail 'nosuch' does not exist\n",
        ),
        (
            &["set", "sshd", "maxretry"],
            "Sorry but the command is invalid\n",
        ),
        (
            &["set", "sshd", "maxretry", "x"],
            "invalid literal for int() with base 10: 'x'\n",
        ),
        (
            &["add", "web", "auto"],
            "Invalid command 'add' (not supported by portcullis)\n",
        ),
        (
            &["set", "sshd", "unbanip", "--report-absent", "198.51.100.1"],
            "not banned: ['198.51.100.1']\n",
        ),
    ] {
        let out = client(&root, s, args);
        assert_eq!(out.status.code(), Some(255), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), printed, "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("NOK: "), "{args:?}: {stderr}");
    }
    // The server is still there.
    assert_eq!(ok(&root, s, &["ping"]), "Server replied: pong\n");
}

/// `repr(pickle.loads(stdin))` in Python, with fail2ban importable.
fn python_repr(root: &Path, pickle: &[u8]) -> String {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import pickle, sys; print(repr(pickle.loads(sys.stdin.buffer.read())))",
        ])
        .env("PYTHONPATH", python_path(root))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(pickle).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

#[test]
fn python_reads_what_our_encoder_writes() {
    let Some(root) = fail2ban_root("python_reads_what_our_encoder_writes") else {
        return;
    };
    let value = Value::List(vec![
        Value::None,
        Value::Bool(true),
        Value::Float(1.5),
        Value::Bytes(b"ab".to_vec()),
        Value::Dict(vec![(
            Value::str("k"),
            Value::List(
                [0, 300, 70_000, -1, i64::MAX, i64::MIN]
                    .map(Value::Int)
                    .to_vec(),
            ),
        )]),
        Value::Tuple(vec![]),
        Value::Tuple(vec![Value::str("a")]),
        Value::Tuple(["a", "b", "c", "d"].map(Value::str).to_vec()),
        Value::str("é".repeat(200)),
    ]);
    let want = format!(
        "(0, [None, True, 1.5, b'ab', {{'k': [0, 300, 70000, -1, {}, {}]}}, (), ('a',), ('a', 'b', 'c', 'd'), '{}'])",
        i64::MAX,
        i64::MIN,
        "é".repeat(200)
    );
    assert_eq!(python_repr(&root, &encode_reply(&Reply::Ok(value))), want);
    let error = encode_reply(&Reply::Err(PyError::unknown_jail("nosuch")));
    assert_eq!(
        python_repr(&root, &error),
        "(1, UnknownJailException('nosuch'))"
    );
    // A request as Go's og-rek writes it (Python 2 strings, no PROTO):
    // Python reads it as we do.
    let go = b"](U\x06statusT\x04\x00\x00\x00sshde.";
    assert_eq!(python_repr(&root, go), "['status', 'sshd']");
    assert_eq!(
        decode(go, &Limits::default()),
        Ok(Value::str_list(["status", "sshd"]))
    );
    let index = encode_reply(&Reply::Err(PyError::missing_argument()));
    assert_eq!(
        python_repr(&root, &index),
        "(1, IndexError('list index out of range'))"
    );
}

#[test]
fn hostile_requests_get_an_error_and_the_connection_goes_on() {
    let server = TestServer::start(Limits::default());
    // The ping as a Go client writes it (og-rek: no PROTO, SHORT_BINSTRING).
    let go_ping = [&b"](U\x04pinge."[..], frame::END].concat();
    let (hostile, mut answers) = hostile_requests();
    let replies = exchange(server.path(), &[hostile, go_ping].concat());
    answers.push(pong());
    assert_eq!(replies, answers);
}

#[test]
fn an_endless_frame_is_cut_at_the_limit_and_the_connection_closed() {
    let limits = Limits {
        max_frame: 64 << 10,
        ..Limits::default()
    };
    let server = TestServer::start(limits);
    let mut stream = UnixStream::connect(server.path()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let chunk = vec![b'N'; 16 << 10];
    // 100 MB would be sent if the server kept reading; it stops at 64 KiB.
    let mut sent = 0usize;
    while sent < 100 << 20 && stream.write_all(&chunk).is_ok() {
        sent += chunk.len();
    }
    assert!(sent < 100 << 20, "the server read 100 MB without a marker");
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let text = decode_reply(&reply[..reply.len() - frame::END.len()]);
    let want = "ERROR: request exceeds 65536 bytes without fail2ban's end-of-command marker";
    assert_eq!(text, Value::str(want));
}

#[test]
fn many_requests_on_one_connection_are_answered_in_order() {
    let server = TestServer::start(Limits::default());
    let stream = [
        request(&["ping"]),
        request(&["get", "sshd", "maxretry"]),
        request(&["status"]),
    ]
    .concat();
    // Requests then the close marker in one write: three replies, then the
    // server closes (exchange reads to the end).
    let replies = exchange(server.path(), &stream);
    assert_eq!(replies.len(), 3);
    assert_eq!(replies[0], pong());
    assert_eq!(replies[1], Value::Tuple(vec![Value::Int(0), Value::Int(5)]));
}
