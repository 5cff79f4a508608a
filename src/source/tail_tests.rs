//! Unit tests of [`super::Tail`]: rotations, truncations and restarts on real files.

use super::*;
use std::io::Write;
use std::time::Duration;

/// A temporary directory with the followed file `log` in it.
struct Logs {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Logs {
    /// The directory; `log` not written yet.
    fn new() -> Logs {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        Logs { dir, path }
    }

    /// The directory with `log` holding `text`, followed from its start
    /// and read once: the tail and what it read.
    fn followed(text: &str) -> (Logs, Tail, Vec<String>) {
        let logs = Logs::new();
        logs.append(text);
        let mut tail = Tail::open(&logs.path, None);
        let lines = poll(&mut tail);
        (logs, tail, lines)
    }

    fn beside(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn append(&self, text: &str) {
        append(&self.path, text);
    }

    /// rename + create: `log` becomes `name`, the next append makes a new one.
    fn rotate(&self, name: &str) {
        std::fs::rename(&self.path, self.beside(name)).unwrap();
    }

    /// copytruncate: `log` is copied to `name`, then emptied.
    fn copytruncate(&self, name: &str) {
        std::fs::copy(&self.path, self.beside(name)).unwrap();
        self.truncate();
    }

    fn truncate(&self) {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).truncate(true).open(&self.path).unwrap();
    }
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn poll(tail: &mut Tail) -> Vec<String> {
    let mut out = Vec::new();
    tail.poll(&mut |l| out.push(String::from_utf8_lossy(l).into_owned()))
        .unwrap();
    out
}

/// Lets the clock move on, so that files written next are newer (the
/// files rotated since are told apart by their modification time).
fn tick() {
    std::thread::sleep(Duration::from_millis(20));
}

#[test]
fn partial_lines_wait_for_their_newline() {
    let (logs, mut t, lines) = Logs::followed("one\ntw");
    assert_eq!(lines, vec!["one"]);
    assert_eq!(t.position().unwrap().offset, 4);
    logs.append("o\n");
    assert_eq!(poll(&mut t), vec!["two"]);
    assert!(poll(&mut t).is_empty());
}

#[test]
fn rename_and_create_loses_nothing() {
    let (logs, mut t, lines) = Logs::followed("a\n");
    assert_eq!(lines, vec!["a"]);
    logs.append("b\n");
    logs.rotate("log.1");
    append(&logs.beside("log.1"), "c\n");
    logs.append("d\n");
    assert_eq!(poll(&mut t), vec!["b", "c", "d"]);
}

#[test]
fn delete_and_recreate() {
    let (logs, mut t, _) = Logs::followed("a\n");
    logs.append("b\n");
    std::fs::remove_file(&logs.path).unwrap();
    assert_eq!(poll(&mut t), vec!["b"]);
    logs.append("c\n");
    assert_eq!(poll(&mut t), vec!["c"]);
}

#[test]
fn copytruncate_restarts_at_zero() {
    let (logs, mut t, lines) = Logs::followed("first line\nsecond\n");
    assert_eq!(lines.len(), 2);
    logs.truncate();
    logs.append("x\n");
    assert_eq!(poll(&mut t), vec!["x"]);
    // Truncated and refilled past our position before we looked.
    logs.truncate();
    logs.append("a much longer first line than before\n");
    assert_eq!(poll(&mut t), vec!["a much longer first line than before"]);
}

#[test]
fn copytruncate_reads_the_copy_past_our_position_first() {
    let (logs, mut t, lines) = Logs::followed("a\nb\n");
    assert_eq!(lines, vec!["a", "b"]);
    logs.append("c\n");
    logs.copytruncate("log.1");
    logs.append("d\n");
    assert_eq!(poll(&mut t), vec!["c", "d"]);
    logs.append("e\n");
    assert_eq!(poll(&mut t), vec!["e"]);
}

#[test]
fn a_restart_reads_the_rest_of_a_file_rotated_meanwhile() {
    for suffix in [".1", "-20261205"] {
        let (logs, t, _) = Logs::followed("a\n");
        let pos = t.position().unwrap();
        drop(t);
        logs.append("b\n");
        logs.rotate(&format!("log{suffix}"));
        logs.append("c\n");
        // A compressed older file with the same first line is not read.
        std::fs::write(logs.beside("log.2.gz"), "a\nzzz\n").unwrap();
        let mut again = Tail::open(&logs.path, Some(&pos));
        assert_eq!(poll(&mut again), vec!["b", "c"], "suffix {suffix}");
        assert_eq!(poll(&mut again), Vec::<String>::new());
    }
}

#[test]
fn a_restart_after_copytruncate_reads_the_rest_of_the_copy() {
    let (logs, t, _) = Logs::followed("a\n");
    let pos = t.position().unwrap();
    logs.append("b\n");
    logs.copytruncate("log-20261205");
    logs.append("c\n");
    let mut again = Tail::open(&logs.path, Some(&pos));
    assert_eq!(poll(&mut again), vec!["b", "c"]);
}

#[test]
fn resumes_at_a_saved_position_of_the_same_file_only() {
    let (logs, t, _) = Logs::followed("a\nb\n");
    let pos = t.position().unwrap();
    logs.append("c\n");
    let mut again = Tail::open(&logs.path, Some(&pos));
    assert_eq!(poll(&mut again), vec!["c"]);
    let other = LogPosition {
        first_line_hash: pos.first_line_hash ^ 1,
        ..pos
    };
    let mut fresh = Tail::open(&logs.path, Some(&other));
    assert_eq!(poll(&mut fresh), vec!["a", "b", "c"]);
}

#[test]
fn a_file_that_appears_later_is_read_from_its_start() {
    let logs = Logs::new();
    let mut t = Tail::open(&logs.path, None);
    assert!(poll(&mut t).is_empty());
    assert!(t.position().is_none());
    logs.append("a\n");
    assert_eq!(poll(&mut t), vec!["a"]);
}

#[test]
fn long_lines_are_cut() {
    let text = format!("{}\nshort\n", "x".repeat(MAX_LINE + 10));
    let (_logs, t, lines) = Logs::followed(&text);
    assert_eq!(lines[0].len(), MAX_LINE);
    assert_eq!(lines[1], "short");
    assert_eq!(t.truncated_lines, 1);
}

#[test]
fn a_reader_behind_by_two_rotations_reads_the_file_between() {
    let (logs, mut t, lines) = Logs::followed("a\n");
    assert_eq!(lines, vec!["a"]);
    logs.append("b\n");
    logs.rotate("log-1");
    tick();
    logs.append("c\n");
    logs.rotate("log-2");
    logs.append("d\n");
    assert_eq!(poll(&mut t), vec!["b", "c", "d"]);
    // Once: the file between is not read again on the next rotation.
    tick();
    logs.rotate("log-3");
    logs.append("e\n");
    assert_eq!(poll(&mut t), vec!["e"]);
}

#[test]
fn copytruncate_behind_by_two_rotations_reads_both_copies() {
    let (logs, mut t, lines) = Logs::followed("a\n");
    assert_eq!(lines, vec!["a"]);
    logs.append("b\n");
    logs.copytruncate("log-1");
    tick();
    logs.append("c\n");
    logs.copytruncate("log-2");
    logs.append("dd\n");
    assert_eq!(poll(&mut t), vec!["b", "c", "dd"]);
}

/// Polls, calling `during(line)` after each line is handed out: a writer
/// and a logrotate acting while the tail reads (a loaded host).
fn poll_during(tail: &mut Tail, mut during: impl FnMut(&str)) -> Vec<String> {
    let mut out = Vec::new();
    let mut each = |l: &[u8]| {
        let l = String::from_utf8_lossy(l).into_owned();
        during(&l);
        out.push(l);
    };
    tail.poll(&mut each).unwrap();
    out
}

#[test]
fn copytruncate_while_the_copies_are_read_loses_no_copy() {
    // Behind by two rotations, and a third comes while the second copy is
    // read: its copy holds the lines of the file we would restart in.
    let (logs, mut t, _) = Logs::followed("a1\n");
    logs.append("a2\n");
    logs.copytruncate("log-1");
    tick();
    logs.append("b1\nb2\n");
    logs.copytruncate("log-2");
    logs.append("c1\nc2\n");
    let mut lines = poll_during(&mut t, |l| {
        if l == "b1" {
            tick();
            logs.copytruncate("log-3");
            logs.append("d1\n");
        }
    });
    lines.extend(poll(&mut t));
    assert_eq!(lines, vec!["a2", "b1", "b2", "c1", "c2", "d1"]);
}

#[test]
fn copytruncate_during_the_first_read_of_a_file_loses_nothing() {
    // Truncated to empty: no first line to hash until the next read, and
    // the file is copied and truncated again while that read goes on.
    let (logs, mut t, _) = Logs::followed("a1\n");
    logs.copytruncate("log-1");
    assert_eq!(poll(&mut t), Vec::<String>::new());
    tick();
    logs.append("b1\n");
    let mut lines = poll_during(&mut t, |l| {
        if l == "b1" {
            logs.copytruncate("log-2");
            logs.append("c1\nc2\n");
        }
    });
    lines.extend(poll(&mut t));
    assert_eq!(lines, vec!["b1", "c1", "c2"]);
}
