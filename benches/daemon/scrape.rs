//! Asking the daemon's Prometheus endpoint (`metrics "127.0.0.1:9617"`),
//! the way a monitoring system does: one `GET /metrics` per look, polled
//! until a sample reaches a value, to compare with when the kernel showed
//! the same.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

pub const LISTEN: &str = "127.0.0.1:9617";

/// The value of the sample `series` (name and labels, as rendered:
/// `portcullis_bans_total{jail="sshd"}`); none while the endpoint is not
/// up or lacks it.
pub fn sample(series: &str) -> Option<f64> {
    let mut stream = TcpStream::connect(LISTEN).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Polls (every millisecond) until every `(series, at least)` holds; the
/// instant they first all did.
pub fn wait(wanted: &[(String, f64)], limit: Duration) -> Instant {
    let end = Instant::now() + limit;
    loop {
        let done = (wanted.iter()).all(|(series, min)| sample(series).is_some_and(|v| v >= *min));
        if done {
            return Instant::now();
        }
        assert!(Instant::now() < end, "metrics never showed {wanted:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// [`wait`] on a thread of its own, started now.
pub fn watch(wanted: Vec<(String, f64)>, limit: Duration) -> std::thread::JoinHandle<Instant> {
    std::thread::spawn(move || wait(&wanted, limit))
}

/// `portcullis_bans_total` and `portcullis_active_bans` of `jail`.
pub fn bans(jail: &str) -> String {
    format!("portcullis_bans_total{{jail=\"{jail}\"}}")
}

pub fn active(jail: &str) -> String {
    format!("portcullis_active_bans{{jail=\"{jail}\"}}")
}
