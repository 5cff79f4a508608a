//! [`Tail`]: follows one log file across rotations, handing out each
//! complete line exactly once.
//!
//! - Only newline-terminated lines are handed out; a partial last line
//!   waits for its end. Lines longer than [`MAX_LINE`] are cut there.
//! - rename + create: the old file (still open) is read to its end, then
//!   the new one from its start.
//! - delete + recreate: the same (the deleted file stays readable while open).
//! - copytruncate: the file shrinking below our position, or its first line
//!   changing, means it was truncated: reading restarts at 0.
//! - [`Tail::position`] says where to resume after a restart: inode, offset
//!   of the first unread byte, hash of the first line.

use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::db::store::LogPosition;
use crate::filter::lines::MAX_LINE;

/// Bytes read per `pread`.
const CHUNK: usize = 64 * 1024;
/// The first line is hashed over at most this many bytes.
const FIRST_LINE_MAX: usize = 1024;

#[derive(Debug)]
pub struct Tail {
    path: PathBuf,
    file: Option<File>,
    inode: u64,
    /// Where the next read starts.
    read_pos: u64,
    /// Bytes of a line whose newline has not come yet.
    partial: Vec<u8>,
    /// The current line passed MAX_LINE: drop bytes until its newline.
    skipping: bool,
    first_line_hash: Option<u64>,
    /// Lines cut at MAX_LINE so far.
    pub truncated_lines: u64,
}

impl Tail {
    /// A tail of `path` that resumes at `saved` if it is the same file, else
    /// starts at its beginning. The file need not exist yet.
    pub fn open(path: &Path, saved: Option<&LogPosition>) -> Tail {
        let mut tail = Tail {
            path: path.to_path_buf(),
            file: None,
            inode: 0,
            read_pos: 0,
            partial: Vec::new(),
            skipping: false,
            first_line_hash: None,
            truncated_lines: 0,
        };
        if let Ok(file) = File::open(path) {
            if let Ok(meta) = file.metadata() {
                tail.inode = meta.ino();
                tail.first_line_hash = first_line_hash(&file);
                if let Some(pos) = saved {
                    if pos.inode == meta.ino()
                        && pos.offset <= meta.len()
                        && Some(pos.first_line_hash) == tail.first_line_hash
                    {
                        tail.read_pos = pos.offset;
                    }
                }
                tail.file = Some(file);
            }
        }
        tail
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where to resume after a restart; `None` before the file was seen.
    pub fn position(&self) -> Option<LogPosition> {
        self.file.as_ref()?;
        Some(LogPosition {
            inode: self.inode,
            offset: self.read_pos - self.partial.len() as u64,
            first_line_hash: self.first_line_hash.unwrap_or(0),
        })
    }

    /// Reads everything new, following a rotation, and hands each complete
    /// line to `line`. Returns the number of lines handed out.
    pub fn poll(&mut self, line: &mut dyn FnMut(&[u8])) -> io::Result<u64> {
        let mut count = 0;
        if self.file.is_some() {
            self.check_truncation()?;
            count += self.drain(line)?;
        }
        match std::fs::metadata(&self.path) {
            Ok(meta) if self.file.is_none() || meta.ino() != self.inode => {
                // A new file at the path: the old one was read to its end above.
                let Ok(file) = File::open(&self.path) else {
                    return Ok(count);
                };
                self.inode = file.metadata()?.ino();
                self.first_line_hash = first_line_hash(&file);
                self.file = Some(file);
                self.restart();
                count += self.drain(line)?;
            }
            _ => {}
        }
        Ok(count)
    }

    fn restart(&mut self) {
        self.read_pos = 0;
        self.partial.clear();
        self.skipping = false;
    }

    /// copytruncate: the file is shorter than what we read, or its first
    /// line is not the one we hashed.
    fn check_truncation(&mut self) -> io::Result<()> {
        let file = self.file.as_ref().expect("checked by the caller");
        let len = file.metadata()?.len();
        let hash = first_line_hash(file);
        let rewritten = self.first_line_hash.is_some() && hash != self.first_line_hash;
        if len < self.read_pos || rewritten {
            self.restart();
        }
        if self.first_line_hash.is_none() || rewritten || len < self.read_pos {
            self.first_line_hash = hash;
        }
        Ok(())
    }

    fn drain(&mut self, line: &mut dyn FnMut(&[u8])) -> io::Result<u64> {
        let file = self.file.take().expect("checked by the caller");
        let result = self.drain_file(&file, line);
        self.file = Some(file);
        result
    }

    fn drain_file(&mut self, file: &File, line: &mut dyn FnMut(&[u8])) -> io::Result<u64> {
        let mut buf = vec![0u8; CHUNK];
        let mut count = 0;
        loop {
            let n = match file.read_at(&mut buf, self.read_pos) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.read_pos += n as u64;
            let mut rest = &buf[..n];
            while let Some(i) = memchr::memchr(b'\n', rest) {
                self.push(&rest[..i]);
                line(&self.partial);
                count += 1;
                self.partial.clear();
                self.skipping = false;
                rest = &rest[i + 1..];
            }
            self.push(rest);
        }
        if self.first_line_hash.is_none() {
            self.first_line_hash = first_line_hash(file);
        }
        Ok(count)
    }

    /// Appends to the partial line, up to MAX_LINE.
    fn push(&mut self, bytes: &[u8]) {
        if self.skipping {
            return;
        }
        let room = MAX_LINE - self.partial.len();
        if bytes.len() > room {
            self.partial.extend_from_slice(&bytes[..room]);
            self.skipping = true;
            self.truncated_lines += 1;
        } else {
            self.partial.extend_from_slice(bytes);
        }
    }
}

/// Hash of the file's first complete line; `None` while it has none.
fn first_line_hash(file: &File) -> Option<u64> {
    let mut buf = [0u8; FIRST_LINE_MAX];
    let n = file.read_at(&mut buf, 0).ok()?;
    let end = memchr::memchr(b'\n', &buf[..n]).or((n == FIRST_LINE_MAX).then_some(n))?;
    let mut h = DefaultHasher::new();
    buf[..end].hash(&mut h);
    Some(h.finish())
}

#[cfg(test)]
mod tests {
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
}
