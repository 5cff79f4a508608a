//! The reader against real journal files written by systemd-journal-remote.

use std::path::Path;
use std::time::{Duration, Instant};

use super::export::{journal_remote, write_journal, write_syslog_entry};
use super::*;

/// Whether systemd-journal-remote is there; without it a test skips, or
/// fails under CI.
pub fn have_journal_remote(test: &str) -> bool {
    if journal_remote().is_some() {
        return true;
    }
    let why = format!(
        "{test}: systemd-journal-remote not found (on Debian: apt-get install systemd-journal-remote)"
    );
    assert!(std::env::var_os("CI").is_none_or(|v| v != "true"), "{why}");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIP {why}");
    false
}

const T0: u64 = 1_790_000_000_000_000;

/// Appends sshd entries `first..first+n` (one per second after T0) and one
/// cron entry to the journal file `file`.
fn write(file: &Path, first: u64, n: u64) {
    let mut stream = Vec::new();
    for i in first..first + n {
        let msg = format!("Failed password for root from 192.0.2.{i} port 22 ssh2");
        write_syslog_entry(
            &mut stream,
            T0 + i * 1_000_000,
            "sshd.service",
            "sshd",
            msg.as_bytes(),
        );
    }
    write_syslog_entry(
        &mut stream,
        T0 + (first + n) * 1_000_000,
        "cron.service",
        "CRON",
        b"(root) CMD (true)",
    );
    write_journal(file, &stream).unwrap();
}

fn spec(dir: &Path, groups: &[&[&str]]) -> JournalSpec {
    JournalSpec {
        directory: Some(dir.to_path_buf()),
        matches: groups
            .iter()
            .map(|g| g.iter().map(|s| s.to_string()).collect())
            .collect(),
    }
}

fn sshd(dir: &Path) -> JournalSpec {
    spec(dir, &[&["_SYSTEMD_UNIT=sshd.service"]])
}

fn read_all(reader: &mut JournalReader) -> (Vec<(String, u64)>, Option<String>) {
    let mut batch = JournalBatch::default();
    while reader.read(&mut batch, 2).unwrap() > 0 {}
    let lines = batch
        .iter()
        .map(|(l, t)| (String::from_utf8_lossy(l).into_owned(), t))
        .collect();
    (lines, batch.cursor)
}

/// Reads until `n` entries came, waiting on the journal in between.
fn read_n(reader: &mut JournalReader, n: usize) -> Vec<String> {
    let end = Instant::now() + Duration::from_secs(10);
    let mut lines = Vec::new();
    while lines.len() < n && Instant::now() < end {
        lines.extend(read_all(reader).0.into_iter().map(|l| l.0));
        if lines.len() < n {
            reader.wait(Duration::from_millis(100)).unwrap();
        }
    }
    lines
}

#[test]
fn entries_come_as_journal_lines_with_their_own_time() {
    if !have_journal_remote("entries_come_as_journal_lines_with_their_own_time") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.journal"), 1, 2);
    let mut reader = JournalReader::open(&sshd(dir.path()), Start::Head).unwrap();
    let (lines, cursor) = read_all(&mut reader);
    assert_eq!(
        lines,
        vec![
            (
                "gate sshd[4242]: Failed password for root from 192.0.2.1 port 22 ssh2".to_string(),
                T0 + 1_000_000
            ),
            (
                "gate sshd[4242]: Failed password for root from 192.0.2.2 port 22 ssh2".to_string(),
                T0 + 2_000_000
            ),
        ]
    );
    assert!(cursor.unwrap().starts_with("s="));
}

#[test]
fn matches_and_within_a_group_or_between_groups() {
    if !have_journal_remote("matches_and_within_a_group_or_between_groups") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.journal"), 1, 1);
    let count = |groups: &[&[&str]]| {
        let mut reader = JournalReader::open(&spec(dir.path(), groups), Start::Head).unwrap();
        read_all(&mut reader).0.len()
    };
    assert_eq!(count(&[&["_SYSTEMD_UNIT=cron.service"]]), 1);
    assert_eq!(
        count(&[&["_SYSTEMD_UNIT=sshd.service", "SYSLOG_IDENTIFIER=CRON"]]),
        0
    );
    assert_eq!(
        count(&[&["_SYSTEMD_UNIT=sshd.service"], &["SYSLOG_IDENTIFIER=CRON"]]),
        2
    );
    assert_eq!(count(&[&["_SYSTEMD_UNIT=nosuch.service"]]), 0);
    // A group without matches is every entry, also ORed with another.
    assert_eq!(count(&[&[]]), 2);
    assert_eq!(count(&[&["_SYSTEMD_UNIT=cron.service"], &[]]), 2);
    assert_eq!(count(&[&[], &["_SYSTEMD_UNIT=cron.service"]]), 2);
}

#[test]
fn a_group_without_matches_reads_every_entry() {
    let dir = Path::new("/d");
    let every = spec(dir, &[&["_SYSTEMD_UNIT=a.service"], &[]]);
    assert!(every.reads_every_entry());
    assert_eq!(every.describe(), "journal, every entry (directory /d)");
    let some = spec(dir, &[&["_SYSTEMD_UNIT=a.service"], &["_COMM=b"]]);
    assert!(!some.reads_every_entry());
    assert_eq!(
        some.describe(),
        "journal _SYSTEMD_UNIT=a.service OR _COMM=b (directory /d)"
    );
}

#[test]
fn the_tail_start_skips_history_and_reads_what_comes() {
    if !have_journal_remote("the_tail_start_skips_history_and_reads_what_comes") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.journal");
    write(&file, 1, 3);
    let mut reader = JournalReader::open(&sshd(dir.path()), Start::Tail).unwrap();
    assert!(read_all(&mut reader).0.is_empty());
    write(&file, 4, 1);
    let lines = read_n(&mut reader, 1);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].ends_with("192.0.2.4 port 22 ssh2"), "{lines:?}");
}

#[test]
fn an_empty_directory_is_followed_from_its_first_file() {
    if !have_journal_remote("an_empty_directory_is_followed_from_its_first_file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut reader = JournalReader::open(&sshd(dir.path()), Start::Tail).unwrap();
    assert!(read_all(&mut reader).0.is_empty());
    write(&dir.path().join("a.journal"), 1, 2);
    assert_eq!(read_n(&mut reader, 2).len(), 2);
}

#[test]
fn a_cursor_resumes_after_its_entry() {
    if !have_journal_remote("a_cursor_resumes_after_its_entry") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.journal");
    write(&file, 1, 2);
    let mut reader = JournalReader::open(&sshd(dir.path()), Start::Head).unwrap();
    let (lines, cursor) = read_all(&mut reader);
    assert_eq!(lines.len(), 2);
    drop(reader);
    write(&file, 3, 2);
    let mut again = JournalReader::open(&sshd(dir.path()), Start::Cursor(cursor.unwrap())).unwrap();
    let lines: Vec<String> = read_all(&mut again).0.into_iter().map(|l| l.0).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("192.0.2.3 "), "{lines:?}");
    assert!(lines[1].contains("192.0.2.4 "), "{lines:?}");
}

#[test]
fn a_vacuumed_cursor_resumes_at_the_nearest_entry() {
    if !have_journal_remote("a_vacuumed_cursor_resumes_at_the_nearest_entry") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.journal");
    write(&old, 1, 2);
    let mut reader = JournalReader::open(&sshd(dir.path()), Start::Head).unwrap();
    let cursor = read_all(&mut reader).1.unwrap();
    drop(reader);
    write(&dir.path().join("new.journal"), 10, 2);
    std::fs::remove_file(&old).unwrap();
    let mut again = JournalReader::open(&sshd(dir.path()), Start::Cursor(cursor)).unwrap();
    let lines: Vec<String> = read_all(&mut again).0.into_iter().map(|l| l.0).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("192.0.2.10 "), "{lines:?}");
}

#[test]
fn rotation_and_vacuum_while_reading() {
    if !have_journal_remote("rotation_and_vacuum_while_reading") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a.journal");
    write(&first, 1, 2);
    let mut reader = JournalReader::open(&sshd(dir.path()), Start::Head).unwrap();
    assert_eq!(read_all(&mut reader).0.len(), 2);
    // Rotation: the writer goes on in a new file.
    let second = dir.path().join("b.journal");
    write(&second, 3, 2);
    assert_eq!(read_n(&mut reader, 2).len(), 2);
    // Vacuum: the old file is deleted; what comes later is still read.
    std::fs::remove_file(&first).unwrap();
    write(&second, 5, 1);
    let lines = read_n(&mut reader, 1);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].contains("192.0.2.5 "), "{lines:?}");
    // And a third file after the vacuum.
    write(&dir.path().join("c.journal"), 6, 1);
    assert_eq!(read_n(&mut reader, 1).len(), 1);
}

#[test]
fn hostile_messages_are_read_bounded() {
    if !have_journal_remote("hostile_messages_are_read_bounded") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut stream = Vec::new();
    let mut huge = b"Failed password for root from 192.0.2.9 port 22 ssh2 ".to_vec();
    huge.resize(1 << 20, b'x');
    for (i, msg) in [&b"bad \xff\xfe utf-8\0and a NUL"[..], &huge, b"a\nb"]
        .iter()
        .enumerate()
    {
        write_syslog_entry(&mut stream, T0 + i as u64, "sshd.service", "sshd", msg);
    }
    write_journal(&dir.path().join("a.journal"), &stream).unwrap();
    let mut reader = JournalReader::open(&sshd(dir.path()), Start::Head).unwrap();
    let mut batch = JournalBatch::default();
    assert_eq!(reader.read(&mut batch, 10).unwrap(), 3);
    let lines: Vec<&[u8]> = batch.iter().map(|(l, _)| l).collect();
    assert_eq!(lines[0], b"gate sshd[4242]: bad \xff\xfe utf-8\0and a NUL");
    assert_eq!(lines[1].len(), MAX_LINE);
    assert!(lines[1].starts_with(b"gate sshd[4242]: Failed password for root from 192.0.2.9 "));
    assert_eq!(lines[2], b"gate sshd[4242]: a b");
    assert_eq!(batch.cut, 1);
}

#[test]
fn the_system_journal_opens_even_without_journald() {
    // No match holds: nothing is read, whatever this host's journal holds.
    let spec = JournalSpec {
        directory: None,
        matches: vec![vec!["_SYSTEMD_UNIT=portcullis-no-such.service".to_string()]],
    };
    let mut reader = JournalReader::open(&spec, Start::Tail).unwrap();
    assert!(read_all(&mut reader).0.is_empty());
    reader.wait(Duration::from_millis(1)).unwrap();
}

/// A sink that hands each batch's lines to the test and waits for the
/// test's go-ahead to call it processed.
struct Recording {
    batches: std::sync::mpsc::Sender<Vec<String>>,
    acks: std::sync::mpsc::Receiver<()>,
    in_flight: bool,
}

impl follow::BatchSink for Recording {
    fn send(&mut self, batch: JournalBatch, _: Instant) -> bool {
        assert!(
            !self.in_flight,
            "a batch was handed over before the last was processed"
        );
        self.in_flight = true;
        let lines = batch
            .iter()
            .map(|(l, _)| String::from_utf8_lossy(l).into_owned());
        self.batches.send(lines.collect()).is_ok()
    }

    fn processed(&mut self) -> bool {
        !std::mem::take(&mut self.in_flight) || self.acks.recv().is_ok()
    }

    fn connected(&self) -> bool {
        true
    }
}

#[test]
fn the_thread_hands_batches_over_one_at_a_time_and_ends_with_its_sink() {
    if !have_journal_remote("the_thread_hands_batches_over_one_at_a_time") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.journal");
    write(&file, 1, 2);
    let (batches, received) = std::sync::mpsc::channel();
    let (ack, acks) = std::sync::mpsc::channel();
    let sink = Recording {
        batches,
        acks,
        in_flight: false,
    };
    let spec = sshd(dir.path());
    let thread = std::thread::spawn(move || follow::follow("test", &spec, Start::Head, sink));
    let wait = Duration::from_secs(10);
    let first = received.recv_timeout(wait).unwrap();
    assert_eq!(first.len(), 2, "{first:?}");
    // Entries written before the go-ahead come in the next batch.
    write(&file, 3, 1);
    std::thread::sleep(follow::IDLE_CHECK);
    assert!(received.try_recv().is_err(), "a second batch in flight");
    ack.send(()).unwrap();
    let second = received.recv_timeout(wait).unwrap();
    assert_eq!(second.len(), 1, "{second:?}");
    assert!(second[0].contains("192.0.2.3 "), "{second:?}");
    // The sink is gone: the thread ends.
    drop(ack);
    let end = Instant::now() + wait;
    while !thread.is_finished() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(thread.is_finished(), "the thread outlived its sink");
}
