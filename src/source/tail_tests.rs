//! Unit tests of [`super::Tail`]: rotations, truncations and restarts on real files.

use super::*;
use std::io::Write;

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

#[test]
fn partial_lines_wait_for_their_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, "one\ntw");
    let mut t = Tail::open(&path, None);
    assert_eq!(poll(&mut t), vec!["one"]);
    assert_eq!(t.position().unwrap().offset, 4);
    append(&path, "o\n");
    assert_eq!(poll(&mut t), vec!["two"]);
    assert!(poll(&mut t).is_empty());
}

#[test]
fn rename_and_create_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, "a\n");
    let mut t = Tail::open(&path, None);
    assert_eq!(poll(&mut t), vec!["a"]);
    append(&path, "b\n");
    std::fs::rename(&path, dir.path().join("log.1")).unwrap();
    append(&dir.path().join("log.1"), "c\n");
    append(&path, "d\n");
    assert_eq!(poll(&mut t), vec!["b", "c", "d"]);
}

#[test]
fn delete_and_recreate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, "a\n");
    let mut t = Tail::open(&path, None);
    poll(&mut t);
    append(&path, "b\n");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(poll(&mut t), vec!["b"]);
    append(&path, "c\n");
    assert_eq!(poll(&mut t), vec!["c"]);
}

#[test]
fn copytruncate_restarts_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, "first line\nsecond\n");
    let mut t = Tail::open(&path, None);
    assert_eq!(poll(&mut t).len(), 2);
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    append(&path, "x\n");
    assert_eq!(poll(&mut t), vec!["x"]);
    // Truncated and refilled past our position before we looked.
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    append(&path, "a much longer first line than before\n");
    assert_eq!(poll(&mut t), vec!["a much longer first line than before"]);
}

fn truncate(path: &Path) {
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .unwrap();
}

#[test]
fn copytruncate_reads_the_copy_past_our_position_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, "a\nb\n");
    let mut t = Tail::open(&path, None);
    assert_eq!(poll(&mut t), vec!["a", "b"]);
    append(&path, "c\n");
    std::fs::copy(&path, dir.path().join("log.1")).unwrap();
    truncate(&path);
    append(&path, "d\n");
    assert_eq!(poll(&mut t), vec!["c", "d"]);
    append(&path, "e\n");
    assert_eq!(poll(&mut t), vec!["e"]);
}

#[test]
fn a_restart_reads_the_rest_of_a_file_rotated_meanwhile() {
    for suffix in [".1", "-20261205"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        append(&path, "a\n");
        let mut t = Tail::open(&path, None);
        poll(&mut t);
        let pos = t.position().unwrap();
        drop(t);
        append(&path, "b\n");
        let old = dir.path().join(format!("log{suffix}"));
        std::fs::rename(&path, &old).unwrap();
        append(&path, "c\n");
        // A compressed older file with the same first line is not read.
        std::fs::write(dir.path().join("log.2.gz"), "a\nzzz\n").unwrap();
        let mut again = Tail::open(&path, Some(&pos));
        assert_eq!(poll(&mut again), vec!["b", "c"], "suffix {suffix}");
        assert_eq!(poll(&mut again), Vec::<String>::new());
    }
}

#[test]
fn a_restart_after_copytruncate_reads_the_rest_of_the_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, "a\n");
    let mut t = Tail::open(&path, None);
    poll(&mut t);
    let pos = t.position().unwrap();
    append(&path, "b\n");
    std::fs::copy(&path, dir.path().join("log-20261205")).unwrap();
    truncate(&path);
    append(&path, "c\n");
    let mut again = Tail::open(&path, Some(&pos));
    assert_eq!(poll(&mut again), vec!["b", "c"]);
}

#[test]
fn resumes_at_a_saved_position_of_the_same_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, "a\nb\n");
    let mut t = Tail::open(&path, None);
    poll(&mut t);
    let pos = t.position().unwrap();
    append(&path, "c\n");
    let mut again = Tail::open(&path, Some(&pos));
    assert_eq!(poll(&mut again), vec!["c"]);
    let other = LogPosition {
        first_line_hash: pos.first_line_hash ^ 1,
        ..pos
    };
    let mut fresh = Tail::open(&path, Some(&other));
    assert_eq!(poll(&mut fresh), vec!["a", "b", "c"]);
}

#[test]
fn a_file_that_appears_later_is_read_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let mut t = Tail::open(&path, None);
    assert!(poll(&mut t).is_empty());
    assert!(t.position().is_none());
    append(&path, "a\n");
    assert_eq!(poll(&mut t), vec!["a"]);
}

#[test]
fn long_lines_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, &format!("{}\nshort\n", "x".repeat(MAX_LINE + 10)));
    let mut t = Tail::open(&path, None);
    let lines = poll(&mut t);
    assert_eq!(lines[0].len(), MAX_LINE);
    assert_eq!(lines[1], "short");
    assert_eq!(t.truncated_lines, 1);
}

#[test]
fn a_reader_behind_by_two_rotations_reads_the_file_between() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, "a\n");
    let mut t = Tail::open(&path, None);
    assert_eq!(poll(&mut t), vec!["a"]);
    append(&path, "b\n");
    std::fs::rename(&path, dir.path().join("log-1")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    append(&path, "c\n");
    std::fs::rename(&path, dir.path().join("log-2")).unwrap();
    append(&path, "d\n");
    assert_eq!(poll(&mut t), vec!["b", "c", "d"]);
    // Once: the file between is not read again on the next rotation.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::rename(&path, dir.path().join("log-3")).unwrap();
    append(&path, "e\n");
    assert_eq!(poll(&mut t), vec!["e"]);
}

#[test]
fn copytruncate_behind_by_two_rotations_reads_both_copies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, "a\n");
    let mut t = Tail::open(&path, None);
    assert_eq!(poll(&mut t), vec!["a"]);
    append(&path, "b\n");
    std::fs::copy(&path, dir.path().join("log-1")).unwrap();
    truncate(&path);
    std::thread::sleep(std::time::Duration::from_millis(20));
    append(&path, "c\n");
    std::fs::copy(&path, dir.path().join("log-2")).unwrap();
    truncate(&path);
    append(&path, "dd\n");
    assert_eq!(poll(&mut t), vec!["b", "c", "dd"]);
}
