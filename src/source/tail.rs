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

use super::rotated::{rotated, rotated_since};
use super::{LogPosition, MAX_LINE};

/// Bytes read per `pread`.
const CHUNK: usize = 64 * 1024;
/// Longest a [`Tail::poll`] reads its file before it returns (and its
/// caller saves the position): a writer faster than the reader never
/// keeps a poll going, so positions are saved at least this often.
pub const READ_STEP: std::time::Duration = std::time::Duration::from_millis(100);
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
    /// The rest of a rotated file, read before this one: file and offset.
    leftover: Option<(File, u64)>,
    /// After a restart: files rotated after the leftover one, read next.
    between: Vec<File>,
    /// The last poll stopped after [`READ_STEP`] with more to read.
    more: bool,
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
            leftover: None,
            between: Vec::new(),
            more: false,
            truncated_lines: 0,
        };
        if let Ok(file) = File::open(path)
            && let Ok(meta) = file.metadata()
        {
            tail.inode = meta.ino();
            tail.first_line_hash = first_line_hash(&file);
            if let Some(pos) = saved {
                if pos.inode == meta.ino()
                    && pos.offset <= meta.len()
                    && Some(pos.first_line_hash) == tail.first_line_hash
                {
                    tail.read_pos = pos.offset;
                } else {
                    tail.leftover = rotated(path, pos.inode, pos.first_line_hash, pos.offset)
                        .map(|f| (f, pos.offset));
                    tail.between = (tail.leftover.as_ref())
                        .and_then(|(f, _)| Some((f.metadata().ok()?, meta.ino())))
                        .map(|(old, new)| {
                            let after = old.modified().unwrap_or(std::time::UNIX_EPOCH);
                            rotated_since(path, after, [old.ino(), new])
                        })
                        .unwrap_or_default();
                }
            }
            tail.file = Some(file);
        }
        tail
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the last poll stopped after [`READ_STEP`] with more to read.
    pub fn has_more(&self) -> bool {
        self.more
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
        if let Some((file, from)) = self.leftover.take() {
            count += self.drain_rest(&file, from, line)?;
        }
        for file in std::mem::take(&mut self.between) {
            count += self.drain_rest(&file, 0, line)?;
        }
        if self.file.is_some() {
            count += self.check_truncation(line)?;
            count += self.drain(line)?;
            if self.more {
                return Ok(count);
            }
        }
        match std::fs::metadata(&self.path) {
            Ok(meta) if self.file.is_none() || meta.ino() != self.inode => {
                // A new file at the path: the old one was read to its end
                // above, and files rotated since (we lagged behind more than
                // one rotation) are read now, oldest first.
                let Ok(file) = File::open(&self.path) else {
                    return Ok(count);
                };
                if let Some(old) = &self.file {
                    let after = old.metadata()?.modified()?;
                    for between in rotated_since(&self.path, after, [self.inode, meta.ino()]) {
                        count += self.drain_rest(&between, 0, line)?;
                    }
                }
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

    /// Reads `file` (a rotated one) from `from` to its end; our own file
    /// is then read from its start.
    fn drain_rest(
        &mut self,
        file: &File,
        from: u64,
        line: &mut dyn FnMut(&[u8]),
    ) -> io::Result<u64> {
        self.read_pos = from;
        self.partial.clear();
        self.skipping = false;
        let count = self.drain_file(file, false, line);
        self.restart();
        count
    }

    /// copytruncate: the file is shorter than what we read, or its first
    /// line is not the one we hashed. The copy's lines past our position
    /// are read first. Returns the lines read from the copy.
    fn check_truncation(&mut self, line: &mut dyn FnMut(&[u8])) -> io::Result<u64> {
        let file = self.file.as_ref().expect("checked by the caller");
        let len = file.metadata()?.len();
        let hash = first_line_hash(file);
        let rewritten = self.first_line_hash.is_some() && hash != self.first_line_hash;
        if len >= self.read_pos && !rewritten {
            if self.first_line_hash.is_none() {
                self.first_line_hash = hash;
            }
            return Ok(0);
        }
        let offset = self.read_pos - self.partial.len() as u64;
        tracing::debug!(
            "{}: truncated (read up to byte {offset})",
            self.path.display()
        );
        let copy =
            (self.first_line_hash).and_then(|old| rotated(&self.path, u64::MAX, old, offset));
        let count = match copy {
            Some(copy) => self.drain_copies(copy, offset, line)?,
            None => {
                let file = self.file.as_ref().expect("checked by the caller");
                self.first_line_hash = first_line_hash(file);
                0
            }
        };
        self.restart();
        Ok(count)
    }

    /// Reads `copy` from `offset`, then the copies made after it, oldest
    /// first, until none is left; then our file restarts at 0 with the
    /// first line it has. That line is hashed before each look for newer
    /// copies: a copytruncate while the copies are read (we lag behind the
    /// writer) makes one more copy, found and read by the next round,
    /// instead of a first line we would take for the one after our copies
    /// (the lines of the file between them lost).
    fn drain_copies(
        &mut self,
        copy: File,
        offset: u64,
        line: &mut dyn FnMut(&[u8]),
    ) -> io::Result<u64> {
        let mut count = self.drain_rest(&copy, offset, line)?;
        let mut last = copy;
        loop {
            let file = self.file.as_ref().expect("checked by the caller");
            let hash = first_line_hash(file);
            let meta = last.metadata()?;
            let skip = [meta.ino(), self.inode];
            let mut newer = rotated_since(&self.path, meta.modified()?, skip);
            // A copy starting with our file's first line is being made (the
            // truncate is still to come): those lines are read from our file.
            if let Some(i) =
                (newer.iter()).position(|f| hash.is_some() && first_line_hash(f) == hash)
            {
                newer.truncate(i);
            }
            let Some(newest) = newer.pop() else {
                self.first_line_hash = hash;
                return Ok(count);
            };
            for between in newer.iter().chain([&newest]) {
                count += self.drain_rest(between, 0, line)?;
            }
            last = newest;
        }
    }

    fn drain(&mut self, line: &mut dyn FnMut(&[u8])) -> io::Result<u64> {
        let file = self.file.take().expect("checked by the caller");
        let result = self.drain_file(&file, true, line);
        self.file = Some(file);
        result
    }

    /// Reads `file` from `read_pos` to its end. Our `own` file stops being
    /// read once its first line changed (truncated under us, and perhaps
    /// refilled past our position): [`Tail::check_truncation`] takes over.
    fn drain_file(
        &mut self,
        file: &File,
        own: bool,
        line: &mut dyn FnMut(&[u8]),
    ) -> io::Result<u64> {
        let mut buf = vec![0u8; CHUNK];
        let mut count = 0;
        let started = std::time::Instant::now();
        self.more = false;
        loop {
            if own && started.elapsed() >= READ_STEP {
                self.more = true;
                break;
            }
            let n = match file.read_at(&mut buf, self.read_pos) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if own
                && self.first_line_hash.is_some()
                && first_line_hash(file) != self.first_line_hash
            {
                break;
            }
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
        if own && self.first_line_hash.is_none() {
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
pub(super) fn first_line_hash(file: &File) -> Option<u64> {
    let mut buf = [0u8; FIRST_LINE_MAX];
    let n = file.read_at(&mut buf, 0).ok()?;
    let end = memchr::memchr(b'\n', &buf[..n]).or((n == FIRST_LINE_MAX).then_some(n))?;
    let mut h = DefaultHasher::new();
    buf[..end].hash(&mut h);
    Some(h.finish())
}

#[cfg(test)]
#[path = "tail_tests.rs"]
mod tests;
