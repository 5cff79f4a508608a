//! The DbActor: a shell around [`Store`], run on a SyncArbiter thread.
//! Errors are logged here: no sender can do better than that. A database
//! that keeps failing (disk full) is logged once, not at every ban: the
//! first error, then nothing until an operation succeeds again, which is
//! logged with the number that failed meanwhile ([`ErrorLog`]). Bans do not
//! wait for the database, so they still reach the kernel.
//!
//! Commits reach the page cache at once, so a killed daemon loses nothing;
//! the kernel writes them back to disk in its own time, and [`Flush`] (at
//! shutdown, and after the hourly purge) forces it. An fsync per ban batch,
//! or even once a second, capped the ban rate under a burst: each one
//! writes back every page the copy-on-write tree touched.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use actix::prelude::*;

use super::store::{LogPosition, Store};
use super::{
    ActiveBans, Flush, History, JournalCursors, LogPositions, Purge, RecordBans, RemoveBans,
    SaveCursor, SavePositions,
};

pub struct DbActor {
    store: Arc<Store>,
    /// Commits not yet forced to disk.
    dirty: bool,
    errors: ErrorLog,
}

/// Logs the first of a run of database errors, and the end of the run.
#[derive(Debug, Default)]
pub struct ErrorLog {
    /// Errors since the last success.
    failed: u64,
}

impl ErrorLog {
    /// What to log for `result`, if anything.
    pub fn message<T>(&mut self, result: &Result<T, super::store::DbError>) -> Option<String> {
        match result {
            Err(e) => {
                self.failed += 1;
                (self.failed == 1).then(|| {
                    format!(
                        "{} (bans still reach the kernel, but are not recorded; further database errors are not logged until a write succeeds again)",
                        crate::error_chain(e)
                    )
                })
            }
            Ok(_) => {
                let failed = std::mem::take(&mut self.failed);
                (failed > 0).then(|| {
                    format!("the database works again ({failed} operation(s) failed meanwhile)")
                })
            }
        }
    }
}

impl DbActor {
    pub fn new(store: Arc<Store>) -> DbActor {
        DbActor {
            store,
            dirty: false,
            errors: ErrorLog::default(),
        }
    }

    fn committed(&mut self) {
        self.dirty = true;
    }

    fn sync(&mut self) {
        if self.dirty {
            let result = self.store.sync();
            self.log(result);
            self.dirty = false;
        }
    }
}

impl Actor for DbActor {
    type Context = SyncContext<Self>;
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    jiff::Timestamp::now().as_millisecond().max(0) as u64
}

impl DbActor {
    /// Logs a run of errors once (see [`ErrorLog`]); the value on success.
    fn log<T>(&mut self, result: Result<T, super::store::DbError>) -> Option<T> {
        match self.errors.message(&result) {
            Some(m) if result.is_err() => tracing::error!("{m}"),
            Some(m) => tracing::info!("{m}"),
            None => {}
        }
        result.ok()
    }
}

impl Handler<RecordBans> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: RecordBans, _: &mut SyncContext<Self>) {
        self.log(
            self.store
                .record_bans(&msg.0)
                .and_then(|()| self.store.sync()),
        );
    }
}

impl Handler<RemoveBans> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: RemoveBans, _: &mut SyncContext<Self>) {
        self.log(
            self.store
                .remove_bans(&msg.0)
                .and_then(|()| self.store.sync()),
        );
    }
}

impl Handler<History> for DbActor {
    type Result = MessageResult<History>;

    fn handle(&mut self, msg: History, _: &mut SyncContext<Self>) -> MessageResult<History> {
        MessageResult(
            self.log(self.store.history(msg.jail.as_deref(), msg.addr))
                .unwrap_or_default(),
        )
    }
}

impl Handler<ActiveBans> for DbActor {
    type Result = MessageResult<ActiveBans>;

    fn handle(&mut self, _: ActiveBans, _: &mut SyncContext<Self>) -> MessageResult<ActiveBans> {
        MessageResult(
            self.store
                .active_bans(now_ms())
                .map_err(|e| crate::error_chain(&e)),
        )
    }
}

impl Handler<LogPositions> for DbActor {
    type Result = MessageResult<LogPositions>;

    fn handle(
        &mut self,
        msg: LogPositions,
        _: &mut SyncContext<Self>,
    ) -> MessageResult<LogPositions> {
        let found: HashMap<PathBuf, LogPosition> = self
            .log(self.store.log_positions(&msg.jail))
            .unwrap_or_default();
        MessageResult(found)
    }
}

impl Handler<SavePositions> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: SavePositions, _: &mut SyncContext<Self>) {
        if self
            .log(self.store.save_log_positions(&msg.jail, &msg.positions))
            .is_some()
        {
            self.dirty = true;
        }
    }
}

impl Handler<JournalCursors> for DbActor {
    type Result = MessageResult<JournalCursors>;

    fn handle(
        &mut self,
        msg: JournalCursors,
        _: &mut SyncContext<Self>,
    ) -> MessageResult<JournalCursors> {
        MessageResult(
            self.log(self.store.journal_cursors(&msg.jail))
                .unwrap_or_default(),
        )
    }
}

impl Handler<SaveCursor> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: SaveCursor, _: &mut SyncContext<Self>) {
        let saved = self
            .store
            .save_journal_cursor(&msg.jail, &msg.source, &msg.cursor);
        if self.log(saved).is_some() {
            self.dirty = true;
        }
    }
}

impl Handler<Purge> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: Purge, _: &mut SyncContext<Self>) {
        let before = now_ms().saturating_sub(msg.older_than.as_millis() as u64);
        if let Some(n) = self.log(self.store.purge(before)) {
            self.committed();
            self.sync();
            if n > 0 {
                tracing::info!("purged {n} old ban and history records");
            }
        }
    }
}

impl Handler<Flush> for DbActor {
    type Result = ();

    fn handle(&mut self, _: Flush, _: &mut SyncContext<Self>) {
        self.sync();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::store::DbError;

    #[test]
    fn a_run_of_errors_is_logged_once_and_its_end_once() {
        let mut errors = ErrorLog::default();
        let failed = || -> Result<(), DbError> {
            Err(DbError::Schema {
                path: "/var/lib/portcullis".into(),
                found: "9".into(),
            })
        };
        assert_eq!(
            errors.message(&failed()).unwrap(),
            "database /var/lib/portcullis has schema version 9, this portcullis knows 1: move it away to start afresh (bans still reach the kernel, but are not recorded; further database errors are not logged until a write succeeds again)"
        );
        assert_eq!(errors.message(&failed()), None);
        assert_eq!(
            errors.message(&Ok(())).unwrap(),
            "the database works again (2 operation(s) failed meanwhile)"
        );
        assert_eq!(errors.message(&Ok(())), None);
    }
}
