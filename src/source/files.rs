//! [`FileSet`]: the files a jail's `source` patterns name, globs expanded
//! again on every rescan so that files appearing later are picked up, and
//! one poll of all of them ([`FileSet::poll`]): each file's new lines, its
//! position to save, whether one has more to read.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::LogPosition;
use super::tail::Tail;

/// What one [`FileSet::poll`] read.
#[derive(Debug, Default)]
pub struct FilesRead {
    /// Lines read, per file that had any.
    pub lines: Vec<(PathBuf, u64)>,
    /// Where to resume each file that had lines.
    pub positions: Vec<(PathBuf, LogPosition)>,
    /// Files that could not be read, and why.
    pub errors: Vec<(PathBuf, io::Error)>,
    /// A file stopped after [`super::tail::READ_STEP`] with more to read:
    /// poll again soon.
    pub more: bool,
}

#[derive(Debug, Default)]
pub struct FileSet {
    patterns: Vec<String>,
    tails: BTreeMap<PathBuf, Tail>,
}

impl FileSet {
    pub fn new(patterns: Vec<String>) -> FileSet {
        FileSet {
            patterns,
            tails: BTreeMap::new(),
        }
    }

    /// The paths to follow now: literal paths always, glob matches that exist.
    pub fn expand(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for p in &self.patterns {
            if !is_glob(p) {
                out.push(PathBuf::from(p));
                continue;
            }
            if let Ok(paths) = glob::glob(p) {
                out.extend(paths.flatten().filter(|p| p.is_file()));
            }
        }
        out
    }

    /// Directories to watch: the parent of each pattern (globs only in the
    /// file name are supported for watching; deeper globs rely on rescans).
    pub fn directories(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self
            .patterns
            .iter()
            .filter_map(|p| Path::new(p).parent().map(Path::to_path_buf))
            .filter(|d| !is_glob(&d.to_string_lossy()))
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// Adds tails for paths not followed yet; `saved` gives their positions.
    /// Returns the new paths.
    pub fn rescan(&mut self, saved: &dyn Fn(&Path) -> Option<LogPosition>) -> Vec<PathBuf> {
        let mut added = Vec::new();
        for path in self.expand() {
            if !self.tails.contains_key(&path) {
                let tail = Tail::open(&path, saved(&path).as_ref());
                self.tails.insert(path.clone(), tail);
                added.push(path);
            }
        }
        added
    }

    /// Reads every file's new lines, at most [`super::tail::READ_STEP`]
    /// each, and hands each line to `line` with the time its file's read
    /// began (for latency figures).
    pub fn poll(&mut self, line: &mut dyn FnMut(&[u8], Instant)) -> FilesRead {
        let mut read = FilesRead::default();
        for tail in self.tails.values_mut() {
            let started = Instant::now();
            match tail.poll(&mut |text| line(text, started)) {
                Ok(0) => {}
                Ok(n) => {
                    let path = tail.path().to_path_buf();
                    let position = tail.position().map(|p| (path.clone(), p));
                    read.positions.extend(position);
                    read.lines.push((path, n));
                }
                Err(e) => read.errors.push((tail.path().to_path_buf(), e)),
            }
        }
        read.more = self.tails.values().any(Tail::has_more);
        read
    }

    pub fn tails_mut(&mut self) -> impl Iterator<Item = &mut Tail> {
        self.tails.values_mut()
    }

    pub fn tails(&self) -> impl Iterator<Item = &Tail> {
        self.tails.values()
    }
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_pick_up_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let pattern = format!("{}/*.log", dir.path().display());
        let mut set = FileSet::new(vec![pattern]);
        assert!(set.rescan(&|_| None).is_empty());
        std::fs::write(dir.path().join("a.log"), "x\n").unwrap();
        std::fs::write(dir.path().join("b.txt"), "x\n").unwrap();
        assert_eq!(set.rescan(&|_| None), vec![dir.path().join("a.log")]);
        assert!(set.rescan(&|_| None).is_empty());
        assert_eq!(set.directories(), vec![dir.path().to_path_buf()]);
    }

    #[test]
    fn a_poll_reads_every_file_and_says_where_to_resume() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
        std::fs::write(&a, "one\ntwo\n").unwrap();
        std::fs::write(&b, "three\npartial").unwrap();
        let missing = dir.path().join("later.log");
        let patterns = [&a, &b, &missing].map(|p| p.display().to_string());
        let mut set = FileSet::new(patterns.to_vec());
        set.rescan(&|_| None);
        let mut lines = Vec::new();
        let read = set.poll(&mut |l, _| lines.push(String::from_utf8_lossy(l).into_owned()));
        assert_eq!(lines, ["one", "two", "three"]);
        assert_eq!(read.lines, [(a.clone(), 2), (b.clone(), 1)]);
        let offsets: Vec<(PathBuf, u64)> = (read.positions.iter())
            .map(|(p, pos)| (p.clone(), pos.offset))
            .collect();
        assert_eq!(offsets, [(a.clone(), 8), (b.clone(), 6)]);
        assert!(read.errors.is_empty() && !read.more);
        // Nothing new: nothing to save.
        let again = set.poll(&mut |_, _| panic!("no new line"));
        assert!(again.lines.is_empty() && again.positions.is_empty());
        // Resumed at a saved position: only what came after it.
        let saved = read.positions.into_iter().collect::<BTreeMap<_, _>>();
        std::fs::write(&b, "three\npartial line\n").unwrap();
        let mut resumed = FileSet::new(patterns.to_vec());
        resumed.rescan(&|p| saved.get(p).cloned());
        let mut lines = Vec::new();
        resumed.poll(&mut |l, _| lines.push(String::from_utf8_lossy(l).into_owned()));
        assert_eq!(lines, ["partial line"]);
    }
}
