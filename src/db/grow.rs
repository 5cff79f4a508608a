//! The LMDB map grows when it is full: a write that fails with
//! `MDB_MAP_FULL` is aborted, the map doubled (up to [`MAX_MAP`]) and the
//! write run again. The map is only address space: the file on disk holds
//! what was written, so a large map costs nothing until it is used.
//!
//! Resizing needs no transaction open in this process: only the DbActor's
//! one thread uses the [`Store`] once the daemon runs (the adoption of the
//! kernel's bans at start comes before it), and it resizes between transactions.
//!
//! [`MAP_SIZE_ENV`] sets the first map size (bytes), for the tests that fill it.

use super::store::{DbError, Store};

/// The map size a database opens with.
pub const INITIAL_MAP: usize = 1 << 30;
/// The map never grows past this.
pub const MAX_MAP: usize = 1 << 40;
/// Environment variable: the first map size in bytes (tests).
pub const MAP_SIZE_ENV: &str = "PORTCULLIS_DB_MAP_SIZE";

/// [`INITIAL_MAP`], or the size [`MAP_SIZE_ENV`] asks for.
pub fn initial_map_size() -> usize {
    std::env::var(MAP_SIZE_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(INITIAL_MAP)
}

impl DbError {
    /// The write failed because the map is full.
    pub fn is_map_full(&self) -> bool {
        matches!(
            self,
            DbError::Lmdb {
                source: heed::Error::Mdb(heed::MdbError::MapFull),
                ..
            }
        )
    }
}

impl Store {
    /// Runs the write `op`, growing the map as long as it is full.
    pub(super) fn growing<T>(&self, op: impl Fn() -> Result<T, DbError>) -> Result<T, DbError> {
        loop {
            match op() {
                Err(e) if e.is_map_full() => {
                    if !self.grow()? {
                        return Err(e);
                    }
                }
                other => return other,
            }
        }
    }

    /// Doubles the map; `false` when it is at [`MAX_MAP`] already.
    fn grow(&self) -> Result<bool, DbError> {
        let now = self.env.info().map_size;
        if now >= MAX_MAP {
            return Ok(false);
        }
        let new = (now * 2).min(MAX_MAP);
        // SAFETY: no transaction is open in this process (see the module
        // documentation): the op that failed aborted its own.
        unsafe { self.env.resize(new) }.map_err(|source| DbError::Lmdb {
            path: self.path.clone(),
            op: "grow the map",
            source,
        })?;
        tracing::info!(
            "database {}: map full at {} MiB, grown to {} MiB",
            self.path.display(),
            now >> 20,
            new >> 20
        );
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::store::{BanRecord, StoredBan};
    use crate::time::UnixMs;

    #[test]
    fn a_full_map_grows_and_the_write_goes_through() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // SAFETY: no transaction is open.
        unsafe { store.env.resize(64 << 10) }.unwrap();
        let bans: Vec<StoredBan> = (0..20_000u32)
            .map(|i| StoredBan {
                jail: "sshd".into(),
                addr: std::net::IpAddr::from(i.to_be_bytes()).into(),
                record: BanRecord {
                    start: UnixMs(1),
                    duration: None,
                    origin: None,
                },
            })
            .collect();
        store.record_bans(&bans).unwrap();
        assert!(store.env.info().map_size > 64 << 10);
        assert_eq!(store.active_bans(UnixMs(2)).unwrap().len(), 20_000);
    }
}
