//! The daemon's fail2ban socket under hostile input: pickles that name
//! Python objects, truncated and deeply nested ones, an endless frame, more
//! connections than it serves at once. Each gets an error or a close; the
//! daemon keeps serving and its memory stays bounded.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use portcullis::f2bproto::{Value, frame};

use crate::common::poll_until;
use crate::daemon_common::{DEADLINE, Daemon, SSHD};
use crate::f2bproto::{exchange, request};

fn daemon(test: &str) -> Option<Daemon> {
    let mut d = Daemon::prepare(test, &format!("fail2ban-socket \"$DIR/f2b.sock\"\n{SSHD}"))?;
    d.start();
    Some(d)
}

fn pong() -> Value {
    Value::Tuple(vec![Value::Int(0), Value::str("pong")])
}

#[test]
fn hostile_pickles_get_errors_and_the_connection_goes_on() {
    let Some(d) = daemon("f2b-hostile") else {
        return;
    };
    let global = [
        &b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R."[..],
        frame::END,
    ]
    .concat();
    let truncated = [&b"\x80\x04\x8c\x10abc"[..], frame::END].concat();
    let deep = [&b"\x80\x04"[..], &b"](".repeat(1000), b".", frame::END].concat();
    let stream = [global, truncated, deep, request(&["ping"])].concat();
    let replies = exchange(&d.path("f2b.sock"), &stream);
    let error = |text: &str| Value::str(format!("ERROR: {text}"));
    assert_eq!(
        replies,
        vec![
            error("pickle opcode GLOBAL at byte 2 names a Python object to load or call; refused"),
            error("pickle is truncated: 13 more bytes needed at byte 4"),
            error("pickle nests deeper than 32 levels"),
            pong(),
        ]
    );
}

#[test]
fn an_endless_frame_is_cut_and_memory_stays_bounded() {
    let Some(d) = daemon("f2b-endless") else {
        return;
    };
    let before = d.rss_kib();
    let mut s = UnixStream::connect(d.path("f2b.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let chunk = vec![b'x'; 1 << 20];
    // 100 MB offered; the daemon stops reading after its 1 MiB limit.
    let mut sent = 0usize;
    while sent < 100 << 20 && s.write_all(&chunk).is_ok() {
        sent += chunk.len();
    }
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    assert!(
        String::from_utf8_lossy(&reply).contains("ERROR"),
        "no error before the close ({sent} bytes sent)"
    );
    let grown = d.rss_kib().saturating_sub(before);
    assert!(grown < 16 * 1024, "the daemon grew by {grown} KiB");
    assert_eq!(
        exchange(&d.path("f2b.sock"), &request(&["ping"])),
        vec![pong()]
    );
}

#[test]
fn connections_beyond_64_are_closed_at_once_and_service_resumes() {
    let Some(d) = daemon("f2b-many") else {
        return;
    };
    let socket = d.path("f2b.sock");
    let held: Vec<UnixStream> = (0..64)
        .map(|_| UnixStream::connect(&socket).unwrap())
        .collect();
    // Each held connection has been served a ping, so all 64 are counted.
    for mut s in &held {
        s.write_all(&request(&["ping"])).unwrap();
        let mut buf = [0u8; 64];
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        assert!(s.read(&mut buf).unwrap() > 0);
    }
    let mut extra = UnixStream::connect(&socket).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(extra.read(&mut buf).unwrap(), 0, "the 65th was served");
    drop(held);
    let back = poll_until(DEADLINE, || answers_ping(&socket).then_some(()));
    assert!(back.is_some(), "{}", d.log());
}

/// Whether a new connection gets a ping answered (a closed or reset one
/// does not).
fn answers_ping(socket: &std::path::Path) -> bool {
    let Ok(mut s) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = [0u8; 64];
    s.write_all(&request(&["ping"])).is_ok() && s.read(&mut buf).is_ok_and(|n| n > 0)
}
