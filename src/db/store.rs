//! [`Store`]: the LMDB environment (heed) and its tables, opened at the
//! current schema (older ones are migrated, `migrate.rs`); the ban
//! records and histories. Plain code, no actix; every time is passed in by
//! the caller. The key layout and its version are in [`super`]'s doc.
//!
//! A ban record stays after its ban expired (restoring skips it) until
//! [`Store::purge`] removes records that ended longer ago than the
//! configured age.

use crate::network::Network;
use std::path::{Path, PathBuf};

use heed::types::{Bytes, SerdeJson, Str};
use heed::{Database, Env, EnvOpenOptions, RwTxn};
use serde::{Deserialize, Serialize};

pub use super::records::{BanRecord, HistoryRecord, StoredBan};
use crate::time::UnixMs;

/// The version of the key layout this portcullis writes.
pub const SCHEMA_VERSION: &str = "3";
/// The key prefix of history counted across jails.
const ALL_JAILS: &str = "*";

pub use crate::source::LogPosition;

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
    #[error("database {}: cannot migrate the ban record {key:?} from schema 1: move the database away to start afresh", path.display())]
    Migrate {
        path: PathBuf,
        key: String,
        #[source]
        source: serde_json::Error,
    },
}

type Json<T> = SerdeJson<T>;

pub struct Store {
    pub(super) path: PathBuf,
    pub(super) env: Env,
    bans: Database<Str, Json<BanRecord>>,
    history: Database<Str, Json<HistoryRecord>>,
    pub(super) logpos: Database<Str, Json<LogPosition>>,
    pub(super) cursors: Database<Str, Json<String>>,
    /// Opaque entries by sequence (`outbox.rs`).
    pub(super) outbox: Database<Str, Bytes>,
    /// `schema`, and the outbox's next sequence.
    pub(super) meta: Database<Str, Str>,
}

/// The key of `b` under `a`: `<a>\0<b>`.
pub(super) fn key(a: &str, b: &str) -> String {
    format!("{a}\0{b}")
}

/// Opens table `name`, creating it if needed.
fn create<T: 'static>(
    env: &Env,
    wtxn: &mut RwTxn,
    name: &str,
    path: &Path,
) -> Result<Database<Str, Json<T>>, DbError> {
    (env.create_database(wtxn, Some(name))).map_err(|source| DbError::Lmdb {
        path: path.to_path_buf(),
        op: "create a table",
        source,
    })
}

impl Store {
    /// Opens (creating if needed) the environment in directory `path`,
    /// migrating an older schema.
    pub fn open(path: &Path) -> Result<Store, DbError> {
        std::fs::create_dir_all(path).map_err(|source| DbError::CreateDir {
            path: path.to_path_buf(),
            source,
        })?;
        let lmdb = |op| {
            let path = path.to_path_buf();
            move |source| DbError::Lmdb { path, op, source }
        };
        // SAFETY: one process writes this environment (the daemon); the
        // file is not modified while mapped except through LMDB.
        let env = unsafe {
            EnvOpenOptions::new()
                .map_size(super::grow::initial_map_size())
                .max_dbs(8)
                .open(path)
        }
        .map_err(lmdb("open"))?;
        let mut wtxn = env.write_txn().map_err(lmdb("begin"))?;
        let bans = create(&env, &mut wtxn, "bans", path)?;
        let history = create(&env, &mut wtxn, "history", path)?;
        let logpos = create(&env, &mut wtxn, "logpos", path)?;
        let cursors = create(&env, &mut wtxn, "cursors", path)?;
        let outbox =
            (env.create_database(&mut wtxn, Some("outbox"))).map_err(lmdb("create outbox"))?;
        let meta = (env.create_database(&mut wtxn, Some("meta"))).map_err(lmdb("create meta"))?;
        super::migrate::to_current(&env, &mut wtxn, path)?;
        wtxn.commit().map_err(lmdb("commit"))?;
        Ok(Store {
            path: path.to_path_buf(),
            env,
            bans,
            history,
            logpos,
            cursors,
            outbox,
            meta,
        })
    }

    /// The environment's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn err(&self, op: &'static str) -> impl FnOnce(heed::Error) -> DbError + '_ {
        move |source| DbError::Lmdb {
            path: self.path.clone(),
            op,
            source,
        }
    }

    /// Earlier bans of `addr`, in `jail` or (`None`) across jails.
    pub fn history(&self, jail: Option<&str>, addr: Network) -> Result<HistoryRecord, DbError> {
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
                h.last = ban.record.start;
                self.history
                    .put(&mut wtxn, &k, &h)
                    .map_err(self.err("write history"))?;
            }
        }
        wtxn.commit().map_err(self.err("commit"))
    }

    /// Removes ban records (the history stays).
    pub fn remove_bans(&self, bans: &[(String, Network)]) -> Result<(), DbError> {
        self.growing(|| self.remove_bans_once(bans))
    }

    fn remove_bans_once(&self, bans: &[(String, Network)]) -> Result<(), DbError> {
        let mut wtxn = self.env.write_txn().map_err(self.err("begin"))?;
        for (jail, addr) in bans {
            self.bans
                .delete(&mut wtxn, &key(jail, &addr.to_string()))
                .map_err(self.err("delete ban"))?;
        }
        wtxn.commit().map_err(self.err("commit"))
    }

    /// Every ban still running at `now`.
    pub fn active_bans(&self, now: UnixMs) -> Result<Vec<StoredBan>, DbError> {
        let rtxn = self.env.read_txn().map_err(self.err("begin"))?;
        let mut out = Vec::new();
        for item in self.bans.iter(&rtxn).map_err(self.err("read bans"))? {
            let (k, record) = item.map_err(self.err("read bans"))?;
            let Some((jail, addr)) = k.split_once('\0') else {
                continue;
            };
            let Ok(addr) = addr.parse() else { continue };
            if record.remaining(now).is_some() {
                out.push(StoredBan {
                    jail: jail.to_string(),
                    addr,
                    record,
                });
            }
        }
        Ok(out)
    }

    /// The entries of `db` keyed `<jail>\0...`, with the part after the jail.
    pub(super) fn of_jail<T>(
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

    /// Removes ban records that ended before `before`, and histories whose
    /// last ban is older. Returns how many records went.
    pub fn purge(&self, before: UnixMs) -> Result<usize, DbError> {
        self.growing(|| self.purge_once(before))
    }

    fn purge_once(&self, before: UnixMs) -> Result<usize, DbError> {
        let mut wtxn = self.env.write_txn().map_err(self.err("begin"))?;
        let mut old = Vec::new();
        for item in self.bans.iter(&wtxn).map_err(self.err("read bans"))? {
            let (k, r) = item.map_err(self.err("read bans"))?;
            if r.ended_before(before) {
                old.push(k.to_string());
            }
        }
        let mut old_history = Vec::new();
        for item in self.history.iter(&wtxn).map_err(self.err("read history"))? {
            let (k, h) = item.map_err(self.err("read history"))?;
            if h.last < before {
                old_history.push(k.to_string());
            }
        }
        for k in &old {
            (self.bans)
                .delete(&mut wtxn, k)
                .map_err(self.err("purge bans"))?;
        }
        for k in &old_history {
            (self.history)
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
    use std::time::Duration;

    fn ban(jail: &str, addr: &str, start: u64, dur: Option<u64>) -> StoredBan {
        StoredBan {
            jail: jail.into(),
            addr: addr.parse().unwrap(),
            record: BanRecord {
                start: UnixMs(start),
                duration: dur.map(Duration::from_millis),
                origin: None,
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
        let a: Network = "203.0.113.7".parse().unwrap();
        assert_eq!(store.history(Some("sshd"), a).unwrap().count, 1);
        assert_eq!(
            store.history(None, a).unwrap(),
            HistoryRecord {
                count: 2,
                last: UnixMs(2000)
            }
        );
        let now = UnixMs(5000);
        let mut active = store.active_bans(now).unwrap();
        active.sort_by(|x, y| x.jail.cmp(&y.jail));
        assert_eq!(active.len(), 2);
        let left = Duration::from_millis(596_000);
        assert_eq!(active[0].record.remaining(now), Some(Some(left)));
        assert_eq!(active[1].record.remaining(now), Some(None));
        store.remove_bans(&[("web".into(), a)]).unwrap();
        assert_eq!(store.active_bans(now).unwrap().len(), 1);
        drop(store);
        // Reopening finds the same data and the schema version.
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.active_bans(now).unwrap().len(), 1);
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
        assert_eq!(store.purge(UnixMs(50_000)).unwrap(), 3);
        let kept = store.history(None, "192.0.2.2".parse().unwrap());
        assert_eq!(kept.unwrap().count, 1);
    }
}
