//! Where each jail stopped reading: file positions ([`LogPosition`], table
//! `logpos`) and journal cursors (table `cursors`). Readers report them
//! after every read; [`Unsaved`] keeps the latest per file and per journal
//! source until the next save writes them all in one transaction (see the
//! durability rule in [`super`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::store::{DbError, LogPosition, Store, key};

/// Read positions reported and not yet written: the latest per file and
/// per journal source, so a burst of reads costs one write.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Unsaved {
    /// By jail, then path.
    files: BTreeMap<(String, PathBuf), LogPosition>,
    /// By jail, then source key.
    cursors: BTreeMap<(String, String), String>,
}

impl Unsaved {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.cursors.is_empty()
    }

    /// A jail read its files up to `positions`.
    pub fn files(&mut self, jail: &str, positions: Vec<(PathBuf, LogPosition)>) {
        for (path, pos) in positions {
            self.files.insert((jail.to_string(), path), pos);
        }
    }

    /// A jail read journal source `source` up to `cursor`.
    pub fn cursor(&mut self, jail: &str, source: &str, cursor: String) {
        self.cursors
            .insert((jail.to_string(), source.to_string()), cursor);
    }

    /// `saved` (a jail's positions on disk) with its newer unsaved ones.
    pub fn over_files(
        &self,
        jail: &str,
        mut saved: HashMap<PathBuf, LogPosition>,
    ) -> HashMap<PathBuf, LogPosition> {
        let newer = self.files.iter().filter(|((j, _), _)| j == jail);
        saved.extend(newer.map(|((_, path), pos)| (path.clone(), pos.clone())));
        saved
    }

    /// `saved` (a jail's cursors on disk) with its newer unsaved ones.
    pub fn over_cursors(
        &self,
        jail: &str,
        mut saved: HashMap<String, String>,
    ) -> HashMap<String, String> {
        let newer = self.cursors.iter().filter(|((j, _), _)| j == jail);
        saved.extend(newer.map(|((_, source), c)| (source.clone(), c.clone())));
        saved
    }
}

impl Store {
    /// Writes `unsaved` in one transaction.
    pub fn save_positions(&self, unsaved: &Unsaved) -> Result<(), DbError> {
        self.growing(|| self.save_positions_once(unsaved))
    }

    fn save_positions_once(&self, unsaved: &Unsaved) -> Result<(), DbError> {
        let mut wtxn = self.env.write_txn().map_err(self.err("begin"))?;
        for ((jail, path), pos) in &unsaved.files {
            (self.logpos)
                .put(&mut wtxn, &key(jail, &path.to_string_lossy()), pos)
                .map_err(self.err("write logpos"))?;
        }
        for ((jail, source), cursor) in &unsaved.cursors {
            (self.cursors)
                .put(&mut wtxn, &key(jail, source), cursor)
                .map_err(self.err("write cursor"))?;
        }
        wtxn.commit().map_err(self.err("commit"))
    }

    /// Where `jail` stopped reading the file at `path`.
    pub fn log_position(&self, jail: &str, path: &Path) -> Result<Option<LogPosition>, DbError> {
        let rtxn = self.env.read_txn().map_err(self.err("begin"))?;
        self.logpos
            .get(&rtxn, &key(jail, &path.to_string_lossy()))
            .map_err(self.err("read logpos"))
    }

    /// Every saved position of a jail, by path.
    pub fn log_positions(&self, jail: &str) -> Result<HashMap<PathBuf, LogPosition>, DbError> {
        let entries = self.of_jail(&self.logpos, jail, "read logpos")?;
        Ok(entries
            .into_iter()
            .map(|(path, pos)| (PathBuf::from(path), pos))
            .collect())
    }

    /// Every saved journal cursor of a jail, by source key.
    pub fn journal_cursors(&self, jail: &str) -> Result<HashMap<String, String>, DbError> {
        let entries = self.of_jail(&self.cursors, jail, "read cursors")?;
        Ok(entries.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(offset: u64) -> LogPosition {
        LogPosition {
            inode: 7,
            offset,
            first_line_hash: 9,
        }
    }

    #[test]
    fn the_latest_report_wins_and_one_save_writes_all() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let auth = PathBuf::from("/var/log/auth.log");
        let mut unsaved = Unsaved::default();
        assert!(unsaved.is_empty());
        unsaved.files("sshd", vec![(auth.clone(), pos(1))]);
        unsaved.files("sshd", vec![(auth.clone(), pos(42))]);
        unsaved.cursor("sshd", "journal:system", "s=1;i=2".into());
        unsaved.cursor("sshd", "journal:system", "s=1;i=3".into());
        unsaved.cursor("sshd2", "journal:/d", "s=9".into());
        store.save_positions(&unsaved).unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.log_position("sshd", &auth).unwrap(), Some(pos(42)));
        assert_eq!(store.log_position("web", &auth).unwrap(), None);
        let found = store.journal_cursors("sshd").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found["journal:system"], "s=1;i=3");
        assert_eq!(store.journal_cursors("sshd2").unwrap()["journal:/d"], "s=9");
    }

    #[test]
    fn unsaved_positions_override_the_saved_ones_of_their_jail_only() {
        let (auth, other) = (PathBuf::from("/a"), PathBuf::from("/b"));
        let mut unsaved = Unsaved::default();
        unsaved.files("sshd", vec![(auth.clone(), pos(2))]);
        unsaved.files("web", vec![(other.clone(), pos(3))]);
        let saved = HashMap::from([(auth.clone(), pos(1)), (other.clone(), pos(1))]);
        let merged = unsaved.over_files("sshd", saved);
        assert_eq!(merged, HashMap::from([(auth, pos(2)), (other, pos(1))]));
        unsaved.cursor("web", "journal:system", "new".into());
        let saved = HashMap::from([("journal:system".to_string(), "old".to_string())]);
        assert_eq!(unsaved.over_cursors("sshd", saved.clone()), saved);
        assert_eq!(unsaved.over_cursors("web", saved)["journal:system"], "new");
    }
}
