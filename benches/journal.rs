//! How fast the journal source reads: the shared workload
//! (`../shared/bench/gen-authlog.py N`, default 1,000,000 lines) turned into
//! journal entries (host, identifier, pid, unit, message and the line's
//! date as `__REALTIME_TIMESTAMP`), written into a temporary directory by
//! systemd-journal-remote, then read back by [`JournalReader`] as the
//! daemon's journal thread reads it (batches of 4096, lines formatted,
//! cursor taken per batch):
//!
//!     cargo bench --bench journal [-- ENTRIES]
//!
//! Prints entries/s for every entry (no match), for the sshd unit's
//! entries (`_SYSTEMD_UNIT=sshd.service`), and, for scale, for the sshd
//! unit's entries through the sshd filter as well. Best of three runs each.
//! Under `cargo test --all-targets` (no --bench) it is a smoke run on
//! 2,000 entries.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use portcullis::filter::{FilterOptions, Matcher, Outcome};
use portcullis::source::MAX_LINE;
use portcullis::source::journal::export::{journal_remote, write_entry, write_journal};
use portcullis::source::journal::follow::BATCH;
use portcullis::source::journal::{JournalBatch, JournalReader, JournalSpec, Start};

/// Entries per systemd-journal-remote run (it appends to the file).
const CHUNK: usize = 200_000;

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let entries: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if bench { 1_000_000 } else { 2_000 });
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen-authlog.py");
    if journal_remote().is_none() {
        let why = "journal bench: systemd-journal-remote not found (on Debian: apt-get install systemd-journal-remote)";
        assert!(std::env::var_os("CI").is_none_or(|v| v != "true"), "{why}");
        eprintln!("SKIP {why}");
        return;
    }
    if !generator.is_file() {
        eprintln!("SKIP journal bench: {} not found", generator.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    write_workload(&generator, entries, dir.path());
    println!(
        "workload: gen-authlog.py {entries} as journal entries, written by systemd-journal-remote in {:.1} s ({} MB of journal files)",
        started.elapsed().as_secs_f64(),
        size(dir.path()) >> 20
    );
    let every = spec(dir.path(), &[]);
    let sshd = spec(dir.path(), &["_SYSTEMD_UNIT=sshd.service"]);
    report("every entry, no match", || read(&every, false));
    report("_SYSTEMD_UNIT=sshd.service", || read(&sshd, false));
    report(
        "_SYSTEMD_UNIT=sshd.service, through the sshd filter",
        || read(&sshd, true),
    );
}

fn spec(dir: &Path, matches: &[&str]) -> JournalSpec {
    JournalSpec {
        directory: Some(dir.to_path_buf()),
        matches: if matches.is_empty() {
            Vec::new()
        } else {
            vec![matches.iter().map(|m| m.to_string()).collect()]
        },
    }
}

/// Best of three: entries read and entries per second.
fn report(what: &str, run: impl Fn() -> (usize, u64)) {
    let mut best = f64::MAX;
    let mut count = (0, 0);
    for _ in 0..3 {
        let start = Instant::now();
        count = run();
        best = best.min(start.elapsed().as_secs_f64());
    }
    let failures = if count.1 > 0 {
        format!(", {} failures", count.1)
    } else {
        String::new()
    };
    println!(
        "{what}: {} entries in {best:.3} s, {:.0} entries/s{failures}",
        count.0,
        count.0 as f64 / best
    );
}

/// Reads every entry `spec` matches from the head, as the journal thread
/// does; with `filter`, through the sshd filter too. Returns the entries
/// and failures.
fn read(spec: &JournalSpec, filter: bool) -> (usize, u64) {
    let mut reader = JournalReader::open(spec, Start::Head).unwrap();
    let mut matcher = filter.then(|| {
        let f = portcullis::config::filters::load_for_journal("sshd", &FilterOptions::default())
            .unwrap();
        let mut m = Matcher::new(Arc::new(f), TimeZone::UTC, Timestamp::now());
        m.report_captures(false);
        m.lines_cut_at(MAX_LINE);
        m
    });
    let (mut entries, mut failures, mut line_no) = (0, 0, 0);
    loop {
        let mut batch = JournalBatch::default();
        let n = reader.read(&mut batch, BATCH).unwrap();
        if n == 0 {
            return (entries, failures);
        }
        entries += n;
        if let Some(m) = matcher.as_mut() {
            for (line, time) in batch.iter() {
                line_no += 1;
                let time = Timestamp::from_microsecond(time as i64).unwrap();
                if let Outcome::Failure(_) = m.process(line_no, line, time) {
                    failures += 1;
                }
            }
        }
    }
}

/// Runs the generator and writes its lines as journal entries into `dir`.
fn write_workload(generator: &Path, entries: usize, dir: &Path) {
    let out = Command::new("python3")
        .arg(generator)
        .arg(entries.to_string())
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file: PathBuf = dir.join("remote.journal");
    let mut stream = Vec::new();
    for (i, line) in out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        export_line(&mut stream, line, i as u64);
        if (i + 1) % CHUNK == 0 {
            write_journal(&file, &stream).unwrap();
            stream.clear();
        }
    }
    if !stream.is_empty() {
        write_journal(&file, &stream).unwrap();
    }
}

/// `Nov 20 14:24:00 web-1 sshd[20001]: msg` as an export entry; its
/// number `seq` keeps the times of one second apart.
fn export_line(out: &mut Vec<u8>, line: &[u8], seq: u64) {
    let text = String::from_utf8_lossy(line);
    let (date, rest) = text.split_at(15.min(text.len()));
    let mut parts = rest.trim_start().splitn(3, ' ');
    let host = parts.next().unwrap_or("");
    let tag = parts.next().unwrap_or("").trim_end_matches(':');
    let message = parts.next().unwrap_or("");
    let (ident, pid) = match tag.split_once('[') {
        Some((ident, pid)) => (ident, pid.trim_end_matches(']')),
        None => (tag, ""),
    };
    let time = jiff::fmt::strtime::parse("%Y %b %e %H:%M:%S", format!("2026 {date}"))
        .and_then(|t| t.to_datetime())
        .and_then(|d| d.to_zoned(TimeZone::UTC))
        .map(|z| z.timestamp().as_microsecond() as u64)
        .unwrap_or(0)
        + seq % 1_000_000;
    let (realtime, unit) = (time.to_string(), format!("{ident}.service"));
    write_entry(
        out,
        &[
            ("__REALTIME_TIMESTAMP", realtime.as_bytes()),
            ("__MONOTONIC_TIMESTAMP", realtime.as_bytes()),
            (
                "_BOOT_ID",
                portcullis::source::journal::export::BOOT_ID.as_bytes(),
            ),
            ("_HOSTNAME", host.as_bytes()),
            ("SYSLOG_IDENTIFIER", ident.as_bytes()),
            ("_PID", pid.as_bytes()),
            ("_SYSTEMD_UNIT", unit.as_bytes()),
            ("MESSAGE", message.as_bytes()),
        ],
    );
}

fn size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}
