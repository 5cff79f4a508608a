//! [`Database`]: what the DbActor does, as plain code: the [`Store`], the
//! read positions not yet written ([`Unsaved`]), the outbox's drop count
//! and the error log. Every
//! write error is logged here ([`ErrorLog`]): no sender can do better.

use crate::network::Network;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error_log::{ErrorLog, full_hint};
use super::outbox::Appended;
use super::positions::Unsaved;
use super::store::{DbError, HistoryRecord, LogPosition, Store, StoredBan};
use crate::time::UnixMs;

pub struct Database {
    store: Arc<Store>,
    unsaved: Unsaved,
    errors: ErrorLog,
    /// Outbox entries dropped to stay within its capacity, since start.
    outbox_dropped: u64,
}

impl Database {
    pub fn new(store: Arc<Store>) -> Database {
        Database {
            store,
            unsaved: Unsaved::default(),
            errors: ErrorLog::default(),
            outbox_dropped: 0,
        }
    }

    /// Records a group commit of bans, in one transaction.
    pub fn record_bans(&mut self, bans: &[StoredBan]) {
        let result = self.store.record_bans(bans);
        self.log(result);
    }

    /// Removes ban records (unbans), in one transaction.
    pub fn remove_bans(&mut self, bans: &[(String, Network)]) {
        let result = self.store.remove_bans(bans);
        self.log(result);
    }

    /// Earlier bans of `addr` (zero when unknown or on error).
    pub fn history(&mut self, jail: Option<&str>, addr: Network) -> HistoryRecord {
        let result = self.store.history(jail, addr);
        self.log(result).unwrap_or_default()
    }

    /// Every ban still running at `now`.
    pub fn active_bans(&self, now: UnixMs) -> Result<Vec<StoredBan>, DbError> {
        self.store.active_bans(now)
    }

    /// Where `jail` stopped reading its files, the unsaved reports included.
    pub fn log_positions(&mut self, jail: &str) -> HashMap<PathBuf, LogPosition> {
        let result = self.store.log_positions(jail);
        let saved = self.log(result).unwrap_or_default();
        self.unsaved.over_files(jail, saved)
    }

    /// Where `jail` stopped reading its journal sources, by source key.
    pub fn journal_cursors(&mut self, jail: &str) -> HashMap<String, String> {
        let result = self.store.journal_cursors(jail);
        let saved = self.log(result).unwrap_or_default();
        self.unsaved.over_cursors(jail, saved)
    }

    /// `jail` read its files up to `positions`: written by the next save.
    pub fn files_read(&mut self, jail: &str, positions: Vec<(PathBuf, LogPosition)>) {
        self.unsaved.files(jail, positions);
    }

    /// `jail` read journal source `source` up to `cursor`: written by the
    /// next save.
    pub fn journal_read(&mut self, jail: &str, source: &str, cursor: String) {
        self.unsaved.cursor(jail, source, cursor);
    }

    /// Writes the unsaved read positions in one transaction, if there are
    /// any. After an error they stay for the next save.
    pub fn save_positions(&mut self) {
        if self.unsaved.is_empty() {
            return;
        }
        let result = self.store.save_positions(&self.unsaved);
        if self.log(result).is_some() {
            self.unsaved = Unsaved::default();
        }
    }

    /// Forgets bans that ended, and histories last touched, longer than
    /// `older_than` before `now`; how many records went.
    pub fn purge(&mut self, now: UnixMs, older_than: Duration) -> Option<usize> {
        let before = UnixMs(
            now.as_millis()
                .saturating_sub(older_than.as_millis() as u64),
        );
        let result = self.store.purge(before);
        self.log(result)
    }

    /// Appends opaque `entries` to the outbox in one transaction, keeping
    /// at most `capacity`: their sequence numbers (none after an error,
    /// which is logged) and how many old entries this dropped (counted).
    pub fn outbox_append(&mut self, entries: &[Vec<u8>], capacity: usize) -> Appended {
        let result = self.store.outbox_append(entries, capacity);
        let appended = self.log(result).unwrap_or_default();
        self.outbox_dropped += appended.dropped;
        appended
    }

    /// Up to `max` outbox entries, oldest first (none after an error).
    pub fn outbox_read(&mut self, max: usize) -> Vec<(u64, Vec<u8>)> {
        let result = self.store.outbox_read(max);
        self.log(result).unwrap_or_default()
    }

    /// Removes the outbox entries `seqs` (delivered).
    pub fn outbox_remove(&mut self, seqs: &[u64]) {
        let result = self.store.outbox_remove(seqs);
        self.log(result);
    }

    /// Outbox entries dropped since start because it was full.
    pub fn outbox_dropped(&self) -> u64 {
        self.outbox_dropped
    }

    /// Logs an error (see [`ErrorLog`]); the value on success.
    fn log<T>(&mut self, result: Result<T, DbError>) -> Option<T> {
        if let Err(error) = &result {
            let hint = full_hint(self.store.path());
            let text = format!("{}{hint}", crate::error_chain(error));
            if let Some(m) = self.errors.message(&text, Instant::now()) {
                tracing::error!("{m}");
            }
        }
        result.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::store::BanRecord;

    fn database() -> (tempfile::TempDir, Arc<Store>, Database) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let db = Database::new(store.clone());
        (dir, store, db)
    }

    fn pos(offset: u64) -> LogPosition {
        LogPosition {
            inode: 1,
            offset,
            first_line_hash: 2,
        }
    }

    #[test]
    fn read_positions_reach_the_disk_at_the_save_and_are_served_before() {
        let (_dir, store, mut db) = database();
        let auth = PathBuf::from("/var/log/auth.log");
        db.files_read("sshd", vec![(auth.clone(), pos(10))]);
        db.files_read("sshd", vec![(auth.clone(), pos(20))]);
        db.journal_read("sshd", "journal:system", "c1".into());
        assert_eq!(store.log_position("sshd", &auth).unwrap(), None);
        assert_eq!(db.log_positions("sshd")[&auth], pos(20));
        assert_eq!(db.journal_cursors("sshd")["journal:system"], "c1");
        db.save_positions();
        assert_eq!(store.log_position("sshd", &auth).unwrap(), Some(pos(20)));
        assert_eq!(
            store.journal_cursors("sshd").unwrap()["journal:system"],
            "c1"
        );
        // Nothing new: nothing written, the saved ones still served.
        db.save_positions();
        assert_eq!(db.log_positions("sshd")[&auth], pos(20));
        assert!(db.log_positions("web").is_empty());
    }

    #[test]
    fn bans_recorded_counted_removed_and_purged() {
        let (_dir, _store, mut db) = database();
        let addr: Network = "192.0.2.7".parse().unwrap();
        let ban = |start, minutes: u64| StoredBan {
            jail: "sshd".into(),
            addr,
            record: BanRecord {
                start: UnixMs(start),
                duration: Some(Duration::from_secs(60 * minutes)),
                origin: None,
            },
        };
        db.record_bans(&[ban(1_000, 10)]);
        db.record_bans(&[ban(2_000, 20)]);
        assert_eq!(db.history(Some("sshd"), addr).count, 2);
        assert_eq!(db.history(None, addr).count, 2);
        assert_eq!(db.history(Some("web"), addr).count, 0);
        let active = db.active_bans(UnixMs(3_000)).unwrap();
        assert_eq!(active, vec![ban(2_000, 20)]);
        db.remove_bans(&[("sshd".into(), addr)]);
        assert_eq!(db.active_bans(UnixMs(3_000)).unwrap(), vec![]);
        // The history stays until it is older than the purge age.
        let hour = Duration::from_secs(3600);
        assert_eq!(db.purge(UnixMs(2_000 + 3_600_000), hour), Some(0));
        assert_eq!(db.purge(UnixMs(2_001 + 3_600_000), hour), Some(2));
        assert_eq!(db.history(None, addr).count, 0);
    }

    #[test]
    fn the_outbox_keeps_entries_until_removed_within_its_capacity() {
        let (dir, store, mut db) = database();
        let entry = |s: &str| s.as_bytes().to_vec();
        let first = db.outbox_append(&[entry("a"), entry("b")], 3);
        assert_eq!(first.seqs, [0, 1]);
        let second = db.outbox_append(&[entry("c"), entry("d")], 3);
        assert_eq!((second.seqs, second.dropped), (vec![2, 3], 1));
        assert_eq!(db.outbox_dropped(), 1);
        assert_eq!(db.outbox_read(2), [(1, entry("b")), (2, entry("c"))]);
        db.outbox_remove(&[2]);
        drop((db, store));
        // A restart finds what was not delivered.
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let mut db = Database::new(store);
        assert_eq!(db.outbox_read(10), [(1, entry("b")), (3, entry("d"))]);
        assert_eq!(db.outbox_dropped(), 0);
    }
}
