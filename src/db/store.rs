//! [`Store`]: the LMDB environment (heed) and its databases. Plain code,
//! no actix; all times are unix milliseconds passed in by the caller.
//!
//! Layout, schema version 1 (`meta` key `schema` = `"1"`); keys are UTF-8
//! text, values JSON:
//!
//! | database  | key                       | value                              |
//! |-----------|---------------------------|------------------------------------|
//! | `bans`    | `<jail>\0<address>`       | [`BanRecord`]                      |
//! | `history` | `<jail>\0<address>`, and `*\0<address>` across jails | [`HistoryRecord`] |
//! | `logpos`  | `<jail>\0<path>`          | [`LogPosition`]                    |
//! | `cursors` | `<jail>\0journal:<directory or system>` | journal cursor (a JSON string) |
//! | `meta`    | `schema`                  | `"1"`                              |
//!
//! `cursors` came after version 1 was first written; it is created when
//! missing, which older readers ignore, so the version stays 1.
//!
//! A ban record stays after its ban expired (restoring skips it) until
//! [`Store::purge`] removes records that ended longer ago than the
//! configured age.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use heed::types::{SerdeJson, Str};
use heed::{Database, Env, EnvOpenOptions};
use serde::{Deserialize, Serialize};

use crate::source::LogPosition;

pub const SCHEMA_VERSION: &str = "1";
/// The key prefix of history counted across jails.
const ALL_JAILS: &str = "*";

/// One ban as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanRecord {
    pub start_ms: u64,
    /// None: permanent.
    pub duration_ms: Option<u64>,
    /// How many times this address was banned (this one included).
    pub count: u32,
}

impl BanRecord {
    /// Time left at `now_ms`: `Some(None)` for permanent, `None` if expired.
    pub fn remaining_ms(&self, now_ms: u64) -> Option<Option<u64>> {
        match self.duration_ms {
            None => Some(None),
            Some(d) => (self.start_ms + d)
                .checked_sub(now_ms)
                .filter(|l| *l > 0)
                .map(Some),
        }
    }
}

/// How often an address was banned, and when last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HistoryRecord {
    pub count: u32,
    pub last_ms: u64,
}

/// A stored ban, with its key fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBan {
    pub jail: String,
    pub addr: IpAddr,
    pub record: BanRecord,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the database directory {}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database {}: {op} failed", path.display())]
    Lmdb {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: heed::Error,
    },
    #[error("database {} has schema version {found}, this portcullis knows {SCHEMA_VERSION}: move it away to start afresh", path.display())]
    Schema { path: PathBuf, found: String },
}

type Json<T> = SerdeJson<T>;

pub struct Store {
    pub(super) path: PathBuf,
    pub(super) env: Env,
    bans: Database<Str, Json<BanRecord>>,
    history: Database<Str, Json<HistoryRecord>>,
    logpos: Database<Str, Json<LogPosition>>,
    cursors: Database<Str, Json<String>>,
}

fn key(a: &str, b: &str) -> String {
    format!("{a}\0{b}")
}

impl Store {
    /// Opens (creating if needed) the environment in directory `path`.
    pub fn open(path: &Path) -> Result<Store, DbError> {
        std::fs::create_dir_all(path).map_err(|source| DbError::CreateDir {
            path: path.to_path_buf(),
            source,
        })?;
        let lmdb = |op| {
            let path = path.to_path_buf();
            move |source| DbError::Lmdb { path, op, source }
        };
        // SAFETY: one process opens this environment (the daemon); the
        // file is not modified while mapped except through LMDB.
        let env = unsafe {
            EnvOpenOptions::new()
                .map_size(super::grow::initial_map_size())
                .max_dbs(8)
                .open(path)
        }
        .map_err(lmdb("open"))?;
        let mut wtxn = env.write_txn().map_err(lmdb("begin"))?;
        let bans = env
            .create_database(&mut wtxn, Some("bans"))
            .map_err(lmdb("create bans"))?;
        let history = env
            .create_database(&mut wtxn, Some("history"))
            .map_err(lmdb("create history"))?;
        let logpos = env
            .create_database(&mut wtxn, Some("logpos"))
            .map_err(lmdb("create logpos"))?;
        let cursors = env
            .create_database(&mut wtxn, Some("cursors"))
            .map_err(lmdb("create cursors"))?;
        let meta: Database<Str, Str> = env
            .create_database(&mut wtxn, Some("meta"))
            .map_err(lmdb("create meta"))?;
        match meta.get(&wtxn, "schema").map_err(lmdb("read meta"))? {
            None => meta
                .put(&mut wtxn, "schema", SCHEMA_VERSION)
                .map_err(lmdb("write meta"))?,
            Some(SCHEMA_VERSION) => {}
            Some(found) => {
                return Err(DbError::Schema {
                    path: path.to_path_buf(),
                    found: found.to_string(),
                });
            }
        }
        wtxn.commit().map_err(lmdb("commit"))?;
        Ok(Store {
            path: path.to_path_buf(),
            env,
            bans,
            history,
            logpos,
            cursors,
        })
    }

    /// The environment's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, op: &'static str) -> impl FnOnce(heed::Error) -> DbError + '_ {
        move |source| DbError::Lmdb {
            path: self.path.clone(),
            op,
            source,
        }
    }

    /// Flushes committed transactions to disk (fsync).
    pub fn sync(&self) -> Result<(), DbError> {
        self.env.force_sync().map_err(self.err("sync"))
    }

    /// Earlier bans of `addr`, in `jail` or (`None`) across jails.
    pub fn history(&self, jail: Option<&str>, addr: IpAddr) -> Result<HistoryRecord, DbError> {
        let rtxn = self.env.read_txn().map_err(self.err("begin"))?;
        let k = key(jail.unwrap_or(ALL_JAILS), &addr.to_string());
        Ok(self
            .history
            .get(&rtxn, &k)
            .map_err(self.err("read history"))?
            .unwrap_or_default())
    }

    /// Records bans (one transaction): ban records and both histories. On
    /// disk when it returns (LMDB's synchronous commit).
    pub fn record_bans(&self, bans: &[StoredBan]) -> Result<(), DbError> {
        self.growing(|| self.record_bans_once(bans))
    }

    fn record_bans_once(&self, bans: &[StoredBan]) -> Result<(), DbError> {
        let mut wtxn = self.env.write_txn().map_err(self.err("begin"))?;
        for ban in bans {
            let addr = ban.addr.to_string();
            self.bans
                .put(&mut wtxn, &key(&ban.jail, &addr), &ban.record)
                .map_err(self.err("write ban"))?;
            for scope in [ban.jail.as_str(), ALL_JAILS] {
                let k = key(scope, &addr);
                let mut h = self
                    .history
                    .get(&wtxn, &k)
                    .map_err(self.err("read history"))?
                    .unwrap_or_default();
                h.count += 1;
                h.last_ms = ban.record.start_ms;
                self.history
                    .put(&mut wtxn, &k, &h)
                    .map_err(self.err("write history"))?;
            }
        }
        wtxn.commit().map_err(self.err("commit"))
    }

    /// Removes ban records (the history stays).
    pub fn remove_bans(&self, bans: &[(String, IpAddr)]) -> Result<(), DbError> {
        self.growing(|| self.remove_bans_once(bans))
    }

    fn remove_bans_once(&self, bans: &[(String, IpAddr)]) -> Result<(), DbError> {
        let mut wtxn = self.env.write_txn().map_err(self.err("begin"))?;
        for (jail, addr) in bans {
            self.bans
                .delete(&mut wtxn, &key(jail, &addr.to_string()))
                .map_err(self.err("delete ban"))?;
        }
        wtxn.commit().map_err(self.err("commit"))
    }

    /// Every ban still running at `now_ms`.
    pub fn active_bans(&self, now_ms: u64) -> Result<Vec<StoredBan>, DbError> {
        let rtxn = self.env.read_txn().map_err(self.err("begin"))?;
        let mut out = Vec::new();
        for item in self.bans.iter(&rtxn).map_err(self.err("read bans"))? {
            let (k, record) = item.map_err(self.err("read bans"))?;
            let Some((jail, addr)) = k.split_once('\0') else {
                continue;
            };
            let Ok(addr) = addr.parse() else { continue };
            if record.remaining_ms(now_ms).is_some() {
                out.push(StoredBan {
                    jail: jail.to_string(),
                    addr,
                    record,
                });
            }
        }
        Ok(out)
    }

    pub fn log_position(&self, jail: &str, path: &Path) -> Result<Option<LogPosition>, DbError> {
        let rtxn = self.env.read_txn().map_err(self.err("begin"))?;
        self.logpos
            .get(&rtxn, &key(jail, &path.to_string_lossy()))
            .map_err(self.err("read logpos"))
    }

    /// Every saved position of a jail, by path.
    pub fn log_positions(
        &self,
        jail: &str,
    ) -> Result<std::collections::HashMap<PathBuf, LogPosition>, DbError> {
        let entries = self.of_jail(&self.logpos, jail, "read logpos")?;
        Ok(entries
            .into_iter()
            .map(|(path, pos)| (PathBuf::from(path), pos))
            .collect())
    }

    pub fn save_log_positions(
        &self,
        jail: &str,
        positions: &[(PathBuf, LogPosition)],
    ) -> Result<(), DbError> {
        self.growing(|| self.save_log_positions_once(jail, positions))
    }

    fn save_log_positions_once(
        &self,
        jail: &str,
        positions: &[(PathBuf, LogPosition)],
    ) -> Result<(), DbError> {
        let mut wtxn = self.env.write_txn().map_err(self.err("begin"))?;
        for (path, pos) in positions {
            self.logpos
                .put(&mut wtxn, &key(jail, &path.to_string_lossy()), pos)
                .map_err(self.err("write logpos"))?;
        }
        wtxn.commit().map_err(self.err("commit"))
    }

    /// Every saved journal cursor of a jail, by source key.
    pub fn journal_cursors(
        &self,
        jail: &str,
    ) -> Result<std::collections::HashMap<String, String>, DbError> {
        let entries = self.of_jail(&self.cursors, jail, "read cursors")?;
        Ok(entries.into_iter().collect())
    }

    /// The entries of `db` keyed `jail/...`, with the part after the jail.
    fn of_jail<T>(
        &self,
        db: &Database<Str, Json<T>>,
        jail: &str,
        op: &'static str,
    ) -> Result<Vec<(String, T)>, DbError>
    where
        T: Serialize + for<'a> Deserialize<'a> + 'static,
    {
        let rtxn = self.env.read_txn().map_err(self.err("begin"))?;
        let prefix = key(jail, "");
        let mut out = Vec::new();
        for item in db.prefix_iter(&rtxn, &prefix).map_err(self.err(op))? {
            let (k, value) = item.map_err(self.err(op))?;
            out.push((k[prefix.len()..].to_string(), value));
        }
        Ok(out)
    }

    pub fn save_journal_cursor(
        &self,
        jail: &str,
        source: &str,
        cursor: &str,
    ) -> Result<(), DbError> {
        self.growing(|| self.save_journal_cursor_once(jail, source, cursor))
    }

    fn save_journal_cursor_once(
        &self,
        jail: &str,
        source: &str,
        cursor: &str,
    ) -> Result<(), DbError> {
        let mut wtxn = self.env.write_txn().map_err(self.err("begin"))?;
        self.cursors
            .put(&mut wtxn, &key(jail, source), &cursor.to_string())
            .map_err(self.err("write cursor"))?;
        wtxn.commit().map_err(self.err("commit"))
    }

    /// Removes ban records that ended before `before_ms`, and histories whose
    /// last ban is older. Returns how many records went.
    pub fn purge(&self, before_ms: u64) -> Result<usize, DbError> {
        self.growing(|| self.purge_once(before_ms))
    }

    fn purge_once(&self, before_ms: u64) -> Result<usize, DbError> {
        let mut wtxn = self.env.write_txn().map_err(self.err("begin"))?;
        let mut old = Vec::new();
        for item in self.bans.iter(&wtxn).map_err(self.err("read bans"))? {
            let (k, r) = item.map_err(self.err("read bans"))?;
            if r.duration_ms.is_some_and(|d| r.start_ms + d < before_ms) {
                old.push(k.to_string());
            }
        }
        let mut old_history = Vec::new();
        for item in self.history.iter(&wtxn).map_err(self.err("read history"))? {
            let (k, h) = item.map_err(self.err("read history"))?;
            if h.last_ms < before_ms {
                old_history.push(k.to_string());
            }
        }
        for k in &old {
            self.bans
                .delete(&mut wtxn, k)
                .map_err(self.err("purge bans"))?;
        }
        for k in &old_history {
            self.history
                .delete(&mut wtxn, k)
                .map_err(self.err("purge history"))?;
        }
        wtxn.commit().map_err(self.err("commit"))?;
        Ok(old.len() + old_history.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ban(jail: &str, addr: &str, start: u64, dur: Option<u64>) -> StoredBan {
        StoredBan {
            jail: jail.into(),
            addr: addr.parse().unwrap(),
            record: BanRecord {
                start_ms: start,
                duration_ms: dur,
                count: 1,
            },
        }
    }

    #[test]
    fn bans_history_and_restore() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .record_bans(&[
                ban("sshd", "203.0.113.7", 1000, Some(600_000)),
                ban("web", "203.0.113.7", 2000, None),
                ban("sshd", "198.51.100.1", 1000, Some(10)),
            ])
            .unwrap();
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(store.history(Some("sshd"), a).unwrap().count, 1);
        assert_eq!(
            store.history(None, a).unwrap(),
            HistoryRecord {
                count: 2,
                last_ms: 2000
            }
        );
        let mut active = store.active_bans(5000).unwrap();
        active.sort_by(|x, y| x.jail.cmp(&y.jail));
        assert_eq!(active.len(), 2);
        assert_eq!(active[0].record.remaining_ms(5000), Some(Some(596_000)));
        assert_eq!(active[1].record.remaining_ms(5000), Some(None));
        store.remove_bans(&[("web".into(), a)]).unwrap();
        assert_eq!(store.active_bans(5000).unwrap().len(), 1);
        drop(store);
        // Reopening finds the same data and the schema version.
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.active_bans(5000).unwrap().len(), 1);
    }

    #[test]
    fn purge_removes_old_records_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .record_bans(&[
                ban("j", "192.0.2.1", 0, Some(10)),
                ban("j", "192.0.2.2", 100_000, Some(10)),
            ])
            .unwrap();
        // 192.0.2.1: ban record and two histories.
        assert_eq!(store.purge(50_000).unwrap(), 3);
        assert_eq!(
            store
                .history(None, "192.0.2.2".parse().unwrap())
                .unwrap()
                .count,
            1
        );
    }

    #[test]
    fn log_positions_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let pos = LogPosition {
            inode: 7,
            offset: 42,
            first_line_hash: 9,
        };
        store
            .save_log_positions("sshd", &[(PathBuf::from("/var/log/auth.log"), pos.clone())])
            .unwrap();
        assert_eq!(
            store
                .log_position("sshd", Path::new("/var/log/auth.log"))
                .unwrap(),
            Some(pos)
        );
        assert_eq!(
            store
                .log_position("web", Path::new("/var/log/auth.log"))
                .unwrap(),
            None
        );
    }

    #[test]
    fn journal_cursors_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .save_journal_cursor("sshd", "journal:system", "s=1;i=2")
            .unwrap();
        store
            .save_journal_cursor("sshd", "journal:system", "s=1;i=3")
            .unwrap();
        store
            .save_journal_cursor("sshd2", "journal:/d", "s=9")
            .unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        let found = store.journal_cursors("sshd").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found["journal:system"], "s=1;i=3");
        assert_eq!(store.journal_cursors("sshd2").unwrap()["journal:/d"], "s=9");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let env = unsafe { EnvOpenOptions::new().max_dbs(8).open(dir.path()) }.unwrap();
        let mut w = env.write_txn().unwrap();
        let meta: Database<Str, Str> = env.create_database(&mut w, Some("meta")).unwrap();
        meta.put(&mut w, "schema", "99").unwrap();
        w.commit().unwrap();
        drop(env);
        let err = Store::open(dir.path()).err().unwrap();
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }
}
