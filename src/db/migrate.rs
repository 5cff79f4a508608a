//! Bringing a database written by an earlier portcullis to the current
//! schema ([`SCHEMA_VERSION`]), inside the transaction that opens it, so a
//! crash during the migration leaves the old database as it was.
//!
//! - none: a new database; the current version is written.
//! - `"1"` (up to cc2e0d7): ban records also held `count`, which nothing
//!   read; every record is rewritten without it. The other tables are
//!   unchanged. Then as `"2"`.
//! - `"2"` (up to fcd964f): ban records have no `origin`, which reads as
//!   this node's ban, so none is rewritten; the `outbox` table is created
//!   empty by the opening. Only the version changes: an older portcullis
//!   then refuses the database instead of misreading records with an
//!   origin.
//! - a version above the current one: refused ([`DbError::Schema`]): an
//!   older portcullis cannot know what a newer one stored.

use std::path::Path;

use heed::types::{Bytes, Str};
use heed::{Database, Env, RwTxn};
use serde::Deserialize;

use super::records::BanRecord;
use super::store::{DbError, SCHEMA_VERSION};
use crate::time::UnixMs;

/// Migrates the database in `wtxn` (at `path`, for errors) to
/// [`SCHEMA_VERSION`] and records that version.
pub(super) fn to_current(env: &Env, wtxn: &mut RwTxn, path: &Path) -> Result<(), DbError> {
    let lmdb = |op| {
        let path = path.to_path_buf();
        move |source| DbError::Lmdb { path, op, source }
    };
    let meta: Database<Str, Str> = env
        .create_database(wtxn, Some("meta"))
        .map_err(lmdb("create meta"))?;
    let found = meta.get(wtxn, "schema").map_err(lmdb("read meta"))?;
    match found.map(str::to_string).as_deref() {
        None => {}
        Some(SCHEMA_VERSION) => return Ok(()),
        Some("1") => {
            from_1(env, wtxn, path)?;
            from_2(path);
        }
        Some("2") => from_2(path),
        Some(found) => {
            return Err(DbError::Schema {
                path: path.to_path_buf(),
                found: found.to_string(),
            });
        }
    }
    (meta.put(wtxn, "schema", SCHEMA_VERSION)).map_err(lmdb("write meta"))
}

/// Schema 2 to 3: nothing to rewrite (see the module doc).
fn from_2(path: &Path) {
    tracing::info!(
        "database {}: migrated from schema 2 to {SCHEMA_VERSION} (ban records may now name their fleet origin)",
        path.display()
    );
}

/// A ban record as schema 1 stored it.
#[derive(Deserialize)]
struct BanRecord1 {
    start_ms: u64,
    duration_ms: Option<u64>,
    #[allow(dead_code)]
    count: u32,
}

/// Schema 1 to 2: every ban record loses its `count`.
fn from_1(env: &Env, wtxn: &mut RwTxn, path: &Path) -> Result<(), DbError> {
    let lmdb = |op| {
        let path = path.to_path_buf();
        move |source| DbError::Lmdb { path, op, source }
    };
    let bans: Database<Str, Bytes> = env
        .create_database(wtxn, Some("bans"))
        .map_err(lmdb("create bans"))?;
    let mut records = Vec::new();
    for item in bans.iter(wtxn).map_err(lmdb("read bans"))? {
        let (key, bytes) = item.map_err(lmdb("read bans"))?;
        let old: BanRecord1 = serde_json::from_slice(bytes).map_err(|source| DbError::Migrate {
            path: path.to_path_buf(),
            key: key.to_string(),
            source,
        })?;
        let new = BanRecord {
            start: UnixMs(old.start_ms),
            duration: old.duration_ms.map(std::time::Duration::from_millis),
            origin: None,
        };
        let json = serde_json::to_vec(&new).expect("a ban record serializes");
        records.push((key.to_string(), json));
    }
    for (key, json) in &records {
        (bans.put(wtxn, key, json)).map_err(lmdb("migrate bans"))?;
    }
    tracing::info!(
        "database {}: migrated {} ban record(s) from schema 1 to 2",
        path.display(),
        records.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::store::{HistoryRecord, Store};
    use crate::network::Network;
    use heed::EnvOpenOptions;
    use std::path::PathBuf;
    use std::time::Duration;

    /// `data.mdb` as portcullis cc2e0d7 (schema 1) wrote it: bans of
    /// 203.0.113.7 in sshd (permanent, banned twice) and web (100 years
    /// from 2023), of 2001:db8::1 in sshd (100 years), of 198.51.100.9 in
    /// sshd (10 minutes in 2020); a position of /var/log/auth.log and a
    /// cursor of sshd's journal.
    const SCHEMA_1: &[u8] = include_bytes!("testdata/schema1/data.mdb");

    fn schema_1_database() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.mdb"), SCHEMA_1).unwrap();
        dir
    }

    fn raw(dir: &Path, table: &str, key: &str) -> Option<String> {
        let env = unsafe { EnvOpenOptions::new().max_dbs(8).open(dir) }.unwrap();
        let rtxn = env.read_txn().unwrap();
        let db: Database<Str, Str> = env.open_database(&rtxn, Some(table)).unwrap()?;
        db.get(&rtxn, key).unwrap().map(str::to_string)
    }

    #[test]
    fn a_schema_1_database_opens_with_its_bans_histories_and_positions() {
        let dir = schema_1_database();
        let store = Store::open(dir.path()).unwrap();
        let now = UnixMs(1_750_000_000_000);
        let mut active: Vec<(String, String, Option<Duration>)> = (store.active_bans(now))
            .unwrap()
            .into_iter()
            .map(|b| (b.jail, b.addr.to_string(), b.record.duration))
            .collect();
        active.sort();
        let century = Some(Duration::from_millis(3_153_600_000_000));
        let expected = [
            ("sshd", "2001:db8::1", century),
            ("sshd", "203.0.113.7", None),
            ("web", "203.0.113.7", century),
        ];
        let expected: Vec<_> = (expected.iter())
            .map(|(j, a, d)| (j.to_string(), a.to_string(), *d))
            .collect();
        assert_eq!(active, expected);
        let addr: Network = "203.0.113.7".parse().unwrap();
        let last = UnixMs(1_700_000_200_000);
        let sshd = HistoryRecord { count: 2, last };
        assert_eq!(store.history(Some("sshd"), addr).unwrap(), sshd);
        assert_eq!(store.history(None, addr).unwrap().count, 3);
        let auth = store.log_position("sshd", &PathBuf::from("/var/log/auth.log"));
        assert_eq!(auth.unwrap().unwrap().offset, 5678);
        assert_eq!(
            store.journal_cursors("sshd").unwrap()["journal:system"],
            "s=abc;i=1"
        );
        drop(store);
        assert_eq!(raw(dir.path(), "meta", "schema").as_deref(), Some("3"));
        assert_eq!(
            raw(dir.path(), "bans", "sshd\x00203.0.113.7").as_deref(),
            Some(r#"{"start_ms":1700000200000,"duration_ms":null}"#)
        );
        // Opening again finds schema 3 and changes nothing.
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.active_bans(now).unwrap().len(), 3);
    }

    /// `data.mdb` as portcullis fcd964f (schema 2) wrote it, through its
    /// `Store`: the same bans, histories, position and cursor as
    /// [`SCHEMA_1`].
    const SCHEMA_2: &[u8] = include_bytes!("testdata/schema2/data.mdb");

    #[test]
    fn a_schema_2_database_opens_with_its_bans_as_this_nodes_and_takes_origins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.mdb"), SCHEMA_2).unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = UnixMs(1_750_000_000_000);
        let mut active: Vec<(String, String, Option<String>)> = (store.active_bans(now))
            .unwrap()
            .into_iter()
            .map(|b| (b.jail, b.addr.to_string(), b.record.origin))
            .collect();
        active.sort();
        let expected: Vec<_> = [
            ("sshd", "2001:db8::1"),
            ("sshd", "203.0.113.7"),
            ("web", "203.0.113.7"),
        ]
        .iter()
        .map(|(j, a)| (j.to_string(), a.to_string(), None))
        .collect();
        assert_eq!(active, expected);
        let addr: crate::network::Network = "203.0.113.7".parse().unwrap();
        assert_eq!(store.history(Some("sshd"), addr).unwrap().count, 2);
        let auth = store.log_position("sshd", &PathBuf::from("/var/log/auth.log"));
        assert_eq!(auth.unwrap().unwrap().offset, 5678);
        assert_eq!(
            store.journal_cursors("sshd").unwrap()["journal:system"],
            "s=abc;i=1"
        );
        let mut remote = store.active_bans(now).unwrap().remove(0);
        remote.record.origin = Some("gate-2".into());
        store.record_bans(std::slice::from_ref(&remote)).unwrap();
        drop(store);
        assert_eq!(raw(dir.path(), "meta", "schema").as_deref(), Some("3"));
        assert_eq!(
            raw(dir.path(), "bans", "sshd\x00203.0.113.7").as_deref(),
            Some(r#"{"start_ms":1700000200000,"duration_ms":null}"#)
        );
        let store = Store::open(dir.path()).unwrap();
        let back = store.active_bans(now).unwrap();
        let found = back
            .iter()
            .find(|b| b.jail == remote.jail && b.addr == remote.addr);
        assert_eq!(found.unwrap().record.origin.as_deref(), Some("gate-2"));
    }

    fn with_meta_and_ban(schema: &str, ban: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let env = unsafe { EnvOpenOptions::new().max_dbs(8).open(dir.path()) }.unwrap();
        let mut w = env.write_txn().unwrap();
        let meta: Database<Str, Str> = env.create_database(&mut w, Some("meta")).unwrap();
        meta.put(&mut w, "schema", schema).unwrap();
        let bans: Database<Str, Str> = env.create_database(&mut w, Some("bans")).unwrap();
        bans.put(&mut w, "sshd\x00192.0.2.1", ban).unwrap();
        w.commit().unwrap();
        dir
    }

    #[test]
    fn a_schema_1_record_that_does_not_parse_stops_the_opening_untouched() {
        let dir = with_meta_and_ban("1", r#"{"start_ms":"soon"}"#);
        let err = Store::open(dir.path()).err().unwrap();
        assert_eq!(
            err.to_string(),
            format!(
                "database {}: cannot migrate the ban record \"sshd\\0192.0.2.1\" from schema 1: move the database away to start afresh",
                dir.path().display()
            )
        );
        assert_eq!(raw(dir.path(), "meta", "schema").as_deref(), Some("1"));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = with_meta_and_ban("99", "{}");
        let err = Store::open(dir.path()).err().unwrap();
        assert_eq!(
            err.to_string(),
            format!(
                "database {} has schema version 99, this portcullis knows 3: move it away to start afresh",
                dir.path().display()
            )
        );
    }
}
