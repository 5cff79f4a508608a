//! The DbActor: a shell around [`Store`], run on a SyncArbiter thread.
//! Errors are logged here: no sender can do better than that.
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
}

impl DbActor {
    pub fn new(store: Arc<Store>) -> DbActor {
        DbActor {
            store,
            dirty: false,
        }
    }

    fn committed(&mut self) {
        self.dirty = true;
    }

    fn sync(&mut self) {
        if self.dirty {
            log(self.store.sync());
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

fn log<T>(result: Result<T, super::store::DbError>) -> Option<T> {
    result
        .map_err(|e| tracing::error!("{}", crate::error_chain(&e)))
        .ok()
}

impl Handler<RecordBans> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: RecordBans, _: &mut SyncContext<Self>) {
        log(self.store.record_bans(&msg.0));
    }
}

impl Handler<RemoveBans> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: RemoveBans, _: &mut SyncContext<Self>) {
        log(self.store.remove_bans(&msg.0));
    }
}

impl Handler<History> for DbActor {
    type Result = MessageResult<History>;

    fn handle(&mut self, msg: History, _: &mut SyncContext<Self>) -> MessageResult<History> {
        MessageResult(log(self.store.history(msg.jail.as_deref(), msg.addr)).unwrap_or_default())
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
        let found: HashMap<PathBuf, LogPosition> =
            log(self.store.log_positions(&msg.jail)).unwrap_or_default();
        MessageResult(found)
    }
}

impl Handler<SavePositions> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: SavePositions, _: &mut SyncContext<Self>) {
        if log(self.store.save_log_positions(&msg.jail, &msg.positions)).is_some() {
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
        MessageResult(log(self.store.journal_cursors(&msg.jail)).unwrap_or_default())
    }
}

impl Handler<SaveCursor> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: SaveCursor, _: &mut SyncContext<Self>) {
        let saved = self
            .store
            .save_journal_cursor(&msg.jail, &msg.source, &msg.cursor);
        if log(saved).is_some() {
            self.dirty = true;
        }
    }
}

impl Handler<Purge> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: Purge, _: &mut SyncContext<Self>) {
        let before = now_ms().saturating_sub(msg.older_than.as_millis() as u64);
        if let Some(n) = log(self.store.purge(before)) {
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
