//! [`FileSet`]: the files a jail's `source` patterns name, globs expanded
//! again on every rescan so that files appearing later are picked up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::tail::Tail;
use crate::db::store::LogPosition;

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
}
