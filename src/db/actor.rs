//! The DbActor: a shell around [`Store`], run on a SyncArbiter thread.
//! Errors are logged here: no sender can do better than that. A database
//! that keeps failing (disk full) is logged once, not at every ban: at most
//! one message per [`ERROR_LOG_INTERVAL`], with the count of the errors in
//! between ([`ErrorLog`]). Bans do not wait for the database, so they still
//! reach the kernel.
//!
//! Durability: LMDB is opened in its default, synchronous mode, so every
//! commit is on disk when it returns. Ban records come in group commits,
//! one per [`crate::actions::GROUP_COMMIT`] (100 ms) at most, sent by the
//! ActionsActor after the kernel took the bans: this thread never stands
//! between a log line and the kernel. What a crash can lose:
//! - kill -9 of the daemon with our table intact: nothing. The records of
//!   the last group commit may be missing, but the kernel still holds
//!   those bans, and the next start adopts every element of our sets into
//!   the database ([`crate::actions::adopt`]) before the restore.
//! - kill -9 together with the loss of the table (a reboot, a power cut):
//!   the bans of the last group commit not yet written, that is bans taken
//!   by the kernel at most 100 ms (plus one commit's duration) earlier.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::store::Store;
use super::{
    ActiveBans, Flush, History, JournalCursors, LogPositions, Purge, RecordBans, RemoveBans,
    SaveCursor, SavePositions,
};
use crate::source::LogPosition;

pub struct DbActor {
    store: Arc<Store>,
    /// Commits not yet forced to disk.
    dirty: bool,
    errors: ErrorLog,
}

/// Database errors are logged at most once per [`ERROR_LOG_INTERVAL`]:
/// a full disk fails most writes but not all (small ones reuse free
/// pages), so a "run" of errors would start again and again.
pub const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(600);

/// Logs database errors at most once per [`ERROR_LOG_INTERVAL`], each
/// message with the number left unlogged since the previous one.
#[derive(Debug, Default)]
pub struct ErrorLog {
    last_logged: Option<Instant>,
    /// Errors not logged since the last message.
    unlogged: u64,
}

impl ErrorLog {
    /// The message to log for `error` at `now`, if one is due.
    pub fn message(&mut self, error: &str, now: Instant) -> Option<String> {
        if self
            .last_logged
            .is_some_and(|t| now.duration_since(t) < ERROR_LOG_INTERVAL)
        {
            self.unlogged += 1;
            return None;
        }
        self.last_logged = Some(now);
        let earlier = match std::mem::take(&mut self.unlogged) {
            0 => String::new(),
            n => format!("; {n} more database error(s) since the last message"),
        };
        Some(format!(
            "{error} (bans still reach the kernel but are not recorded; database errors are logged at most every {} minutes{earlier})",
            ERROR_LOG_INTERVAL.as_secs() / 60
        ))
    }
}

/// " (the file system holding `path` is full)" when it is: LMDB reports a
/// short write as an I/O error, which does not say why.
fn full_hint(path: &std::path::Path) -> &'static str {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return "";
    };
    // SAFETY: statvfs(3) with a NUL-terminated path and a zeroed struct it fills.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    match unsafe { libc::statvfs(c.as_ptr(), &mut st) } {
        0 if st.f_bavail == 0 => ": the file system holding it is full",
        _ => "",
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
    /// Logs an error (see [`ErrorLog`]); the value on success.
    fn log<T>(&mut self, result: Result<T, super::store::DbError>) -> Option<T> {
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

impl Handler<RecordBans> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: RecordBans, _: &mut SyncContext<Self>) {
        self.log(self.store.record_bans(&msg.0));
    }
}

impl Handler<RemoveBans> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: RemoveBans, _: &mut SyncContext<Self>) {
        self.log(self.store.remove_bans(&msg.0));
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

    #[test]
    fn errors_are_logged_at_most_once_per_interval_with_the_count_between() {
        let mut errors = ErrorLog::default();
        let t0 = Instant::now();
        assert_eq!(
            errors
                .message(
                    "database /db: commit failed: Input/output error (os error 5)",
                    t0
                )
                .unwrap(),
            "database /db: commit failed: Input/output error (os error 5) (bans still reach the kernel but are not recorded; database errors are logged at most every 10 minutes)"
        );
        assert_eq!(errors.message("again", t0 + Duration::from_secs(1)), None);
        assert_eq!(errors.message("again", t0 + Duration::from_secs(599)), None);
        assert_eq!(
            errors.message("later", t0 + ERROR_LOG_INTERVAL).unwrap(),
            "later (bans still reach the kernel but are not recorded; database errors are logged at most every 10 minutes; 2 more database error(s) since the last message)"
        );
    }

    #[test]
    fn a_full_file_system_is_named() {
        assert_eq!(full_hint(std::path::Path::new("/nonexistent/x")), "");
    }
}
