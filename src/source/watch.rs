//! [`FileWatches`]: the inotify watches that wake a poll of a [`FileSet`]:
//! each file (written, moved, deleted) and the directory of each pattern
//! (files created, moved in or out). An event only says "look now": the
//! poll reads. Where a watch cannot be added, the caller's periodic rescan
//! is all there is, and that is logged once per path.

use std::collections::HashSet;
use std::io;
use std::path::PathBuf;

use inotify::{EventMask, WatchMask, Watches};

use super::files::FileSet;

/// What a directory is watched for: files that appear or go.
const DIRECTORY: WatchMask = WatchMask::CREATE
    .union(WatchMask::MOVED_TO)
    .union(WatchMask::MOVED_FROM)
    .union(WatchMask::DELETE)
    .union(WatchMask::MODIFY);
/// What a file is watched for: new lines, and its rotation.
const FILE: WatchMask = WatchMask::MODIFY
    .union(WatchMask::ATTRIB)
    .union(WatchMask::MOVE_SELF)
    .union(WatchMask::DELETE_SELF);

/// The watches of one [`FileSet`].
pub struct FileWatches {
    /// `None`: inotify is not available, the rescan does it all.
    watches: Option<Watches>,
    /// Paths watched, or whose failure to be watched was logged.
    watched: HashSet<PathBuf>,
    /// Who watches, for logs (`jail sshd`).
    what: String,
}

impl FileWatches {
    pub fn new(watches: Option<Watches>, what: String) -> FileWatches {
        FileWatches {
            watches,
            watched: HashSet::new(),
            what,
        }
    }

    /// Watches the set's directories and every file it follows now.
    pub fn follow(&mut self, files: &FileSet) {
        for dir in files.directories() {
            self.watch(dir, DIRECTORY);
        }
        for tail in files.tails() {
            self.watch(tail.path().to_path_buf(), FILE);
        }
    }

    fn watch(&mut self, path: PathBuf, mask: WatchMask) {
        let Some(watches) = self.watches.as_mut() else {
            return;
        };
        // Re-adding is cheap and follows a path to its new inode.
        match watches.add(&path, mask) {
            Ok(_) => {
                self.watched.insert(path);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                if self.watched.insert(path.clone()) {
                    tracing::warn!(
                        "{}: cannot watch {}: {e} (rescanning every second instead)",
                        self.what,
                        path.display()
                    );
                }
            }
        }
    }
}

/// Whether an event may mean new files (a rescan), not only new lines.
pub fn wants_rescan(mask: EventMask) -> bool {
    mask.intersects(
        EventMask::CREATE | EventMask::MOVED_TO | EventMask::MOVE_SELF | EventMask::DELETE_SELF,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use inotify::Inotify;

    #[test]
    fn a_new_file_and_a_new_line_wake_the_poll() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut set = FileSet::new(vec![path.display().to_string()]);
        let mut inotify = Inotify::init().unwrap();
        let mut watches = FileWatches::new(Some(inotify.watches()), "test".into());
        set.rescan(&|_| None);
        watches.follow(&set);
        std::fs::write(&path, "x\n").unwrap();
        let mut buffer = [0u8; 4096];
        let created: Vec<EventMask> = (inotify.read_events(&mut buffer).unwrap())
            .map(|e| e.mask)
            .collect();
        assert!(created.iter().any(|m| wants_rescan(*m)), "{created:?}");
        set.rescan(&|_| None);
        watches.follow(&set);
        std::fs::write(&path, "x\ny\n").unwrap();
        let written: Vec<EventMask> = (inotify.read_events(&mut buffer).unwrap())
            .map(|e| e.mask)
            .collect();
        assert!(written.contains(&EventMask::MODIFY), "{written:?}");
        assert!(!written.iter().any(|m| wants_rescan(*m)), "{written:?}");
    }
}
