//! Fuzz target `filter`: the bytes are a log, read the way `test-filter`
//! reads one and matched by one of the bundled filters.
//!
//! Input: the first byte picks the filter (modulo their number), the rest
//! is the log. Checked, line by line: nothing panics; no line handed to the
//! filter is longer than the line length cap; every failure's address (or
//! host name, or id) occurs in the log lines read so far, as read (so never
//! past the cap); each line takes less than [`LINE_BUDGET`].

use std::io::BufReader;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use portcullis::filter::{
    CompiledFilter, Failure, FailureId, FilterOptions, Matcher, Outcome, address, bundled,
};
use portcullis::source::MAX_LINE;
use portcullis::source::lines::LineReader;

/// Longest a line may take, in any build: matching is linear in the line,
/// which is at most [`MAX_LINE`] bytes.
pub const LINE_BUDGET: Duration = Duration::from_secs(1);

/// Every bundled filter, compiled once.
pub fn filters() -> &'static [(String, Arc<CompiledFilter>)] {
    static FILTERS: OnceLock<Vec<(String, Arc<CompiledFilter>)>> = OnceLock::new();
    FILTERS.get_or_init(|| {
        bundled::names()
            .map(|name| {
                let filter = portcullis::config::filters::load(name, &FilterOptions::default())
                    .unwrap_or_else(|e| panic!("bundled filter {name}: {e}"));
                (name.to_string(), Arc::new(filter))
            })
            .collect()
    })
}

pub fn run(data: &[u8]) {
    let Some((&first, log)) = data.split_first() else {
        return;
    };
    let all = filters();
    let (_, filter) = &all[usize::from(first) % all.len()];
    run_filter(filter, log);
}

/// Runs `log` through `filter` and checks every line's outcome; returns
/// the number of failures found.
pub fn run_filter(filter: &Arc<CompiledFilter>, log: &[u8]) -> usize {
    let now: Timestamp = "2026-03-01T12:00:00Z".parse().expect("a timestamp");
    let mut matcher = Matcher::new(Arc::clone(filter), TimeZone::UTC, now);
    matcher.lines_cut_at(MAX_LINE);
    let mut reader = LineReader::new(BufReader::with_capacity(4096, log));
    let mut seen: Vec<String> = Vec::new();
    let mut number = 0;
    let mut failures = 0;
    while let Some(line) = reader.next_line().expect("reading from memory") {
        assert!(line.len() <= MAX_LINE, "a line of {} bytes", line.len());
        number += 1;
        seen.push(String::from_utf8_lossy(line).into_owned());
        let started = Instant::now();
        let outcome = matcher.process(number, line, now);
        let took = started.elapsed();
        assert!(
            took < LINE_BUDGET,
            "line {number} ({} bytes) took {took:?}",
            line.len()
        );
        if let Outcome::Failure(failure) = outcome {
            check_failure(&failure, &seen);
            failures += 1;
        }
    }
    failures
}

/// The failure names something that the log lines read so far contain.
pub fn check_failure(failure: &Failure, seen: &[String]) {
    let found = seen.iter().any(|line| match &failure.id {
        _ if line.contains(&failure.host) => true,
        FailureId::Addr(addr) => address_occurs(*addr, line),
        FailureId::Name(_) | FailureId::Id(_) => false,
    });
    assert!(
        found,
        "line {}: failure for {} ({:?}), which no line read contains",
        failure.line, failure.host, failure.id
    );
}

/// Whether `addr` is written in `text` (IPv4 with leading zeros, IPv6 in
/// any form, IPv4-mapped IPv6 as its IPv4 address), not as part of a longer
/// run of hex digits.
pub fn address_occurs(addr: IpAddr, text: &str) -> bool {
    let bytes = text.as_bytes();
    let is_addr_byte = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
    let mut start = 0;
    while start < bytes.len() {
        if !is_addr_byte(bytes[start]) {
            start += 1;
            continue;
        }
        let end = (start..bytes.len())
            .find(|&i| !is_addr_byte(bytes[i]))
            .unwrap_or(bytes.len());
        if run_holds(addr, &text[start..end]) {
            return true;
        }
        start = end;
    }
    false
}

/// Whether a piece of `run` bounded by non-hex characters parses as `addr`.
fn run_holds(addr: IpAddr, run: &str) -> bool {
    let b = run.as_bytes();
    let edge = |i: usize| {
        i == 0 || i == b.len() || !b[i - 1].is_ascii_hexdigit() || !b[i].is_ascii_hexdigit()
    };
    (0..b.len()).filter(|&s| edge(s)).any(|s| {
        (s + 1..=b.len().min(s + 45))
            .filter(|&e| edge(e))
            .any(|e| parses_as(&run[s..e], addr))
    })
}

fn parses_as(text: &str, addr: IpAddr) -> bool {
    if let Some(v4) = address::parse_ipv4(text) {
        return IpAddr::V4(v4) == addr;
    }
    match text.parse::<Ipv6Addr>() {
        Ok(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4) == addr,
            None => IpAddr::V6(v6) == addr,
        },
        Err(_) => false,
    }
}
