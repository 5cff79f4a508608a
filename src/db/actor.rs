//! The DbActor: a shell around [`Store`], run on a SyncArbiter thread.
//! Errors are logged here: no sender can do better than that.
//!
//! Commits reach the page cache at once (a killed daemon loses nothing);
//! they are flushed to disk at most once a second while bans come in, and
//! on [`Flush`] (every few seconds from the ObserverActor, and at
//! shutdown): an fsync per ban batch would cap the ban rate.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::store::{HistoryRecord, LogPosition, Store};
use super::{
    ActiveBans, Flush, History, LogPositions, Purge, RecordBans, RemoveBans, SavePositions,
};

pub struct DbActor {
    store: Arc<Store>,
    /// Commits not yet flushed to disk.
    dirty: bool,
    last_sync: Instant,
}

/// Longest time ban records wait in the page cache while bans keep coming.
const SYNC_EVERY: Duration = Duration::from_secs(1);

impl DbActor {
    pub fn new(store: Arc<Store>) -> DbActor {
        DbActor {
            store,
            dirty: false,
            last_sync: Instant::now(),
        }
    }

    /// After a commit of ban records: flush if the last flush is old enough.
    fn committed(&mut self) {
        self.dirty = true;
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.sync();
        }
    }

    fn sync(&mut self) {
        if self.dirty {
            log(self.store.sync());
            self.dirty = false;
        }
        self.last_sync = Instant::now();
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
        log(self
            .store
            .record_bans(&msg.0)
            .and_then(|()| self.store.sync()));
    }
}

impl Handler<RemoveBans> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: RemoveBans, _: &mut SyncContext<Self>) {
        log(self
            .store
            .remove_bans(&msg.0)
            .and_then(|()| self.store.sync()));
    }
}

impl Handler<History> for DbActor {
    type Result = MessageResult<History>;

    fn handle(&mut self, msg: History, _: &mut SyncContext<Self>) -> MessageResult<History> {
        MessageResult(
            log(self.store.history(msg.jail.as_deref(), msg.addr))
                .unwrap_or(HistoryRecord::default()),
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

impl Handler<Purge> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: Purge, _: &mut SyncContext<Self>) {
        let before = now_ms().saturating_sub(msg.older_than.as_millis() as u64);
        if let Some(n) = log(self.store.purge(before)) {
            self.committed();
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
