//! Unit tests of [`super::Reader`] at a fixed time, on temporary files and
//! journal batches built in memory.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::*;
use crate::filter::compile::LogType;
use crate::filter::{FilterOptions, definition};
use crate::source::journal::EntryFields;

/// 2026-03-01T12:00:00Z.
const NOW: UnixMs = UnixMs(1_772_366_400_000);
const LINE: &str = "Mar  1 11:59:58 gate sshd[7]: Failed password for root from";

fn compile(journal: bool) -> Arc<CompiledFilter> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.kdl");
    let kdl = r##"fail #"Failed password for \S+ from <HOST> port \d+"#"##;
    std::fs::write(&path, kdl).unwrap();
    let def = definition::load(path.to_str().unwrap()).unwrap();
    let mut filter = CompiledFilter::new(&def, &FilterOptions::default()).unwrap();
    if journal {
        filter.logtype = LogType::Journal;
    }
    Arc::new(filter)
}

fn reader(files: &[&Path], journals: Vec<JournalSpec>, metrics: &Arc<Metrics>) -> Reader {
    let input = JailInput {
        files: files.iter().map(|p| p.display().to_string()).collect(),
        file_filter: compile(false),
        journal_filter: Some(compile(true)),
        journals,
    };
    Reader::new("sshd".into(), input, metrics.clone(), TimeZone::UTC, NOW)
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new();
    let mut file = file.create(true).append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// One read at [`NOW`]: the batches sent, and the outcome; every batch
/// is confirmed at once (as by a jail whose bans are all in the kernel),
/// and the positions that releases are the outcome's.
fn read(reader: &mut Reader) -> (Vec<Vec<FailureFound>>, ReadOutcome) {
    let (sent, mut outcome) = read_unconfirmed(reader);
    for (number, _) in &sent {
        for save in reader.confirmed(*number) {
            assert!(outcome.save.replace(save).is_none(), "two saves");
        }
    }
    (sent.into_iter().map(|(_, batch)| batch).collect(), outcome)
}

/// One read at [`NOW`], the batches with their numbers, none confirmed.
fn read_unconfirmed(reader: &mut Reader) -> (Vec<(u64, Vec<FailureFound>)>, ReadOutcome) {
    let mut sent = Vec::new();
    let outcome = reader.read(NOW, &mut |number, batch| sent.push((number, batch)));
    (sent, outcome)
}

fn addresses(sent: &[Vec<FailureFound>]) -> Vec<String> {
    sent.iter().flatten().map(|f| f.addr.to_string()).collect()
}

fn positions(outcome: &ReadOutcome) -> HashMap<PathBuf, LogPosition> {
    let Some(Save::Files(save)) = outcome.save.as_ref() else {
        panic!("positions to save: {:?}", outcome.save)
    };
    assert_eq!(save.jail, "sshd");
    save.positions.iter().cloned().collect()
}

#[test]
fn nothing_is_opened_before_the_saved_positions_came() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    append(
        &log,
        &format!("{LINE} 192.0.2.1 port 22 ssh2\nnot a failure\n"),
    );
    let metrics = Arc::new(Metrics::default());
    let mut reader = reader(&[&log], Vec::new(), &metrics);
    assert!(!reader.rescan());
    let (sent, outcome) = read(&mut reader);
    assert!(sent.is_empty() && outcome.save.is_none());
    reader.positions_loaded(HashMap::new());
    assert!(reader.rescan());
    let (sent, outcome) = read(&mut reader);
    assert_eq!(addresses(&sent), ["192.0.2.1"]);
    let found = &sent[0][0];
    // The line's year-less date, in the year of `now`.
    assert_eq!((found.time, found.attempts), (UnixMs(NOW.0 - 2000), 1));
    let len = std::fs::metadata(&log).unwrap().len();
    assert_eq!(positions(&outcome)[&log].offset, len);
    assert!(!outcome.more);
    assert_eq!(metrics.source(&log.display().to_string()).get(), 2);
    // Nothing new: nothing sent, nothing to save.
    let (sent, outcome) = read(&mut reader);
    assert!(sent.is_empty() && outcome.save.is_none());
}

#[test]
fn a_restart_resumes_where_the_last_read_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    append(&log, &format!("{LINE} 192.0.2.1 port 22 ssh2\n"));
    let metrics = Arc::new(Metrics::default());
    let mut first = reader(&[&log], Vec::new(), &metrics);
    first.positions_loaded(HashMap::new());
    first.rescan();
    let saved = positions(&read(&mut first).1);
    drop(first);
    append(&log, &format!("{LINE} 192.0.2.2 port 22 ssh2\n"));
    let mut again = reader(&[&log], Vec::new(), &metrics);
    again.positions_loaded(saved);
    again.rescan();
    assert_eq!(addresses(&read(&mut again).0), ["192.0.2.2"]);
}

#[test]
fn a_burst_goes_to_the_jail_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let lines: String = (0..2 * BATCH + 10)
        .map(|i| format!("{LINE} 10.0.{}.{} port 22 ssh2\n", i / 256, i % 256))
        .collect();
    append(&log, &lines);
    let mut reader = reader(&[&log], Vec::new(), &Arc::new(Metrics::default()));
    reader.positions_loaded(HashMap::new());
    reader.rescan();
    // A read stops after READ_STEP (a slow machine): read on until done.
    let mut all = Vec::new();
    loop {
        let (sent, outcome) = read(&mut reader);
        // Within one read, every batch but the last is a full one.
        let sizes: Vec<usize> = sent.iter().map(Vec::len).collect();
        if let Some((last, full)) = sizes.split_last() {
            let whole = full.iter().all(|n| *n == BATCH);
            assert!(whole && *last <= BATCH, "{sizes:?}");
        }
        all.extend(sent);
        if !outcome.more {
            break;
        }
    }
    let sent = addresses(&all);
    assert_eq!(sent.len(), 2 * BATCH + 10);
    assert_eq!(sent[BATCH], format!("10.0.{}.{}", BATCH / 256, BATCH % 256));
}

#[test]
fn host_names_are_counted_not_sent_and_cut_lines_not_matched() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    // Cut at MAX_LINE, the line still holds a match for the fake address.
    let padding = "x".repeat(MAX_LINE);
    append(
        &log,
        &format!("{LINE} 192.0.2.66 port 22 {padding} [real 198.51.100.1]\n"),
    );
    append(&log, &format!("{LINE} gate.example.org port 22 ssh2\n"));
    let mut reader = reader(&[&log], Vec::new(), &Arc::new(Metrics::default()));
    reader.positions_loaded(HashMap::new());
    reader.rescan();
    let (sent, outcome) = read(&mut reader);
    assert!(sent.is_empty(), "{sent:?}");
    assert_eq!(reader.not_addresses(), 1);
    assert!(outcome.save.is_some());
}

fn spec(dir: Option<&str>) -> JournalSpec {
    JournalSpec {
        directory: dir.map(PathBuf::from),
        matches: vec![vec!["_SYSTEMD_UNIT=sshd.service".into()]],
    }
}

fn entry(batch: &mut JournalBatch, message: &str, time_us: u64) {
    let fields = EntryFields {
        hostname: b"gate".to_vec(),
        identifier: b"sshd".to_vec(),
        pid: b"7".to_vec(),
        message: message.as_bytes().to_vec(),
        ..EntryFields::default()
    };
    batch.push(&fields, time_us);
}

#[test]
fn journal_entries_count_at_their_own_time_and_their_cursor_is_saved() {
    let metrics = Arc::new(Metrics::default());
    let mut reader = reader(&[], vec![spec(Some("/j"))], &metrics);
    let mut batch = JournalBatch::default();
    let at = 1_772_000_000_123_456;
    entry(
        &mut batch,
        "Failed password for root from 192.0.2.7 port 22 ssh2",
        at,
    );
    entry(
        &mut batch,
        "Accepted password for root from 192.0.2.8",
        at + 1,
    );
    batch.cursor = Some("s=1;i=2".into());
    let mut sent = Vec::new();
    let read_at = Instant::now();
    let send = &mut |n, b| sent.push((n, b));
    assert_eq!(reader.journal_entries(0, &batch, read_at, NOW, send), None);
    let (numbers, sent): (Vec<u64>, Vec<_>) = sent.into_iter().unzip();
    assert_eq!(numbers, [1]);
    // The cursor is saved once the jail confirmed the batch.
    let cursor = reader.confirmed(1).pop();
    let found = sent.concat();
    assert_eq!(addresses(&sent), ["192.0.2.7"]);
    assert_eq!(
        (found[0].time, found[0].read_at),
        (UnixMs(at / 1000), read_at)
    );
    let Some(Save::Cursor(cursor)) = cursor else {
        panic!("{cursor:?}")
    };
    let saved = (
        cursor.jail.as_str(),
        cursor.source.as_str(),
        cursor.cursor.as_str(),
    );
    assert_eq!(saved, ("sshd", "journal:/j", "s=1;i=2"));
    assert_eq!(metrics.source(&spec(Some("/j")).describe()).get(), 2);
    // A source the jail does not have: nothing.
    let other = reader.journal_entries(1, &batch, read_at, NOW, &mut |_, _| panic!("sent"));
    assert!(other.is_none());
}

#[test]
fn journal_threads_start_after_their_saved_cursor_or_at_the_tail() {
    let journals = vec![spec(Some("/j")), spec(None)];
    let reader = reader(&[], journals, &Arc::new(Metrics::default()));
    assert!(reader.has_journals());
    let cursors = HashMap::from([("journal:/j".to_string(), "s=9".to_string())]);
    let starts = reader.journal_starts(cursors);
    let expected = [
        (0, spec(Some("/j")), Start::Cursor("s=9".into())),
        (1, spec(None), Start::Tail),
    ]
    .map(|(source, spec, start)| JournalStart {
        source,
        spec,
        start,
    });
    assert_eq!(starts, expected);
}

#[test]
fn journal_sources_without_a_journal_filter_are_not_read() {
    let input = JailInput {
        files: Vec::new(),
        file_filter: compile(false),
        journal_filter: None,
        journals: vec![spec(None)],
    };
    let metrics = Arc::new(Metrics::default());
    let reader = Reader::new("sshd".into(), input, metrics, TimeZone::UTC, NOW);
    assert!(!reader.has_journals());
    assert!(reader.journal_starts(HashMap::new()).is_empty());
}

#[test]
fn a_paused_reader_reads_nothing_and_on_resume_reads_what_came_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    append(&log, &format!("{LINE} 192.0.2.1 port 22 ssh2\n"));
    let metrics = Arc::new(Metrics::default());
    let mut reader = reader(&[&log], Vec::new(), &metrics);
    reader.positions_loaded(HashMap::new());
    assert!(reader.rescan());
    assert_eq!(addresses(&read(&mut reader).0), ["192.0.2.1"]);
    assert!(reader.set_paused(true));
    assert!(!reader.set_paused(true), "already paused");
    assert!(reader.is_paused());
    append(&log, &format!("{LINE} 192.0.2.2 port 22 ssh2\n"));
    // Rotated by rename while paused, and a new file with a line.
    let rotated = dir.path().join("auth.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    append(&log, &format!("{LINE} 192.0.2.3 port 22 ssh2\n"));
    assert!(!reader.rescan(), "no rescan while paused");
    let (sent, outcome) = read(&mut reader);
    assert!(sent.is_empty() && outcome.save.is_none() && !outcome.more);
    assert!(reader.set_paused(false));
    assert!(!reader.set_paused(false), "already reading");
    assert!(reader.rescan());
    let mut found = Vec::new();
    for _ in 0..3 {
        found.extend(addresses(&read(&mut reader).0));
    }
    // Nothing lost across the rotation, nothing read twice.
    assert_eq!(found, ["192.0.2.2", "192.0.2.3"]);
}

#[test]
fn a_position_is_saved_only_once_the_bans_of_the_lines_before_it_are_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    append(&log, &format!("{LINE} 192.0.2.1 port 22 ssh2\n"));
    let mut reader = reader(&[&log], Vec::new(), &Arc::new(Metrics::default()));
    reader.positions_loaded(HashMap::new());
    reader.rescan();
    let (first, outcome) = read_unconfirmed(&mut reader);
    assert_eq!(first.len(), 1);
    // A kill -9 now must not find the position past 192.0.2.1's line.
    assert!(outcome.save.is_none(), "saved before its bans");
    // A later read, without failures, waits for that batch too.
    append(&log, "not a failure\n");
    let (sent, outcome) = read_unconfirmed(&mut reader);
    assert!(sent.is_empty() && outcome.save.is_none());
    assert_eq!(reader.unconfirmed(), 1);
    let released = reader.confirmed(first[0].0);
    let len = std::fs::metadata(&log).unwrap().len();
    let expected = ReadOutcome {
        save: released.into_iter().next(),
        more: false,
    };
    assert_eq!(positions(&expected)[&log].offset, len);
    // Nothing unconfirmed: the next position is saved at once.
    append(&log, "not a failure either\n");
    let (_, outcome) = read_unconfirmed(&mut reader);
    let len = std::fs::metadata(&log).unwrap().len();
    assert_eq!(positions(&outcome)[&log].offset, len);
}
