//! The daemon's fail2ban socket under hostile input: pickles that name
//! Python objects, truncated and deeply nested ones, an endless frame,
//! 1,000 clients at once. Each gets an error, its answer or a close; the
//! daemon keeps serving (its own control socket too) and its memory stays
//! bounded.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use portcullis::f2bproto::{FrameReader, Value, frame};

use crate::common::poll_until;
use crate::daemon_common::{DEADLINE, Daemon, SSHD};
use crate::f2bproto_wire::{answers_ping, decode_reply, exchange, hostile_requests, pong, request};

fn daemon(test: &str) -> Option<Daemon> {
    let mut d = Daemon::prepare(test, &format!("fail2ban-socket \"$DIR/f2b.sock\"\n{SSHD}"))?;
    d.start();
    Some(d)
}

#[test]
fn hostile_pickles_get_errors_and_the_connection_goes_on() {
    let Some(d) = daemon("f2b-hostile") else {
        return;
    };
    let (hostile, mut answers) = hostile_requests();
    let replies = exchange(&d.path("f2b.sock"), &[hostile, request(&["ping"])].concat());
    answers.push(pong());
    assert_eq!(replies, answers);
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

/// 1,000 clients connected at once, before any is answered: 300 silent,
/// 400 asking (`ping`, `status`), 300 silent. Past the 256 served at once
/// they wait in the listen backlog; silent connections give their slots
/// up after 2 s while others wait. Every asking client gets its answer,
/// long before a silent one would time out (60 s); our control socket
/// answers meanwhile; the memory the daemon grew by is bounded.
#[test]
fn a_thousand_clients_at_once_get_their_answers_or_a_close() {
    let Some(d) = daemon("f2b-1000") else {
        return;
    };
    let socket = d.path("f2b.sock");
    let before = d.rss_kib();
    let start = Instant::now();
    let mut silent = Vec::new();
    let mut asking = Vec::new();
    for i in 0..1000 {
        let mut s = UnixStream::connect(&socket).unwrap();
        if (300..700).contains(&i) {
            let word = if i % 2 == 0 { "ping" } else { "status" };
            s.write_all(&request(&[word])).unwrap();
            asking.push((s, word));
        } else {
            silent.push(s);
        }
    }
    let control = Instant::now();
    assert!(d.cli(&["status"]).status.success(), "{}", d.log());
    let control = control.elapsed();
    let answered: usize = std::thread::scope(|scope| {
        let readers: Vec<_> = (asking.chunks(50))
            .map(|chunk| scope.spawn(|| chunk.iter().filter(|(s, w)| answers(s, w)).count()))
            .collect();
        readers.into_iter().map(|r| r.join().unwrap()).sum()
    });
    let all_answered = start.elapsed();
    assert_eq!(answered, 400, "asking clients answered; log:\n{}", d.log());
    assert!(all_answered < Duration::from_secs(45), "{all_answered:?}");
    // Some silent connections were closed by the daemon to serve the rest.
    let closed = silent.iter().filter(|s| closed_by_peer(s)).count();
    assert!(closed > 0, "no silent connection gave its slot up");
    drop(silent);
    drop(asking);
    assert!(poll_until(DEADLINE, || answers_ping(&socket).then_some(())).is_some());
    let grown = d.rss_kib().saturating_sub(before);
    println!(
        "1,000 clients: 400 answered in {all_answered:?}, {closed} of 600 silent ones \
         closed by the daemon, control socket answered in {control:?}; RSS {before} KiB, \
         grew by {grown} KiB (load: {})",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    assert!(grown < 32 * 1024, "the daemon grew by {grown} KiB");
}

/// Whether `s` gets the answer to `word`: `pong`, or `status`'s list.
fn answers(mut s: &UnixStream, word: &str) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut frames = FrameReader::new(1 << 20);
    let mut buf = [0u8; 4096];
    loop {
        let n = match s.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let Some(frame::Frame::Request(pickle)) = frames.feed(&buf[..n]).unwrap().pop() else {
            continue;
        };
        return match (word, decode_reply(&pickle)) {
            ("ping", reply) => reply == pong(),
            (_, Value::Tuple(reply)) => {
                reply[0] == Value::Int(0) && matches!(reply[1], Value::List(_))
            }
            _ => false,
        };
    }
}

/// Whether the daemon closed `s` (a read gives end of file at once).
fn closed_by_peer(mut s: &UnixStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 64];
    matches!(s.read(&mut buf), Ok(0))
}
