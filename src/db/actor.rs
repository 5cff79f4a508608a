//! The DbActor: a shell around [`Database`], on a thread of its own (an
//! arbiter), so that LMDB's synchronous commits never block the event loop.
//! Its one timer writes the unsaved read positions every [`SAVE_INTERVAL`].

use std::sync::Arc;

use actix::prelude::*;

use super::database::Database;
use super::store::Store;
use super::{
    ActiveBans, AppendOutbox, Flush, History, JournalCursors, LogPositions, Purge, ReadOutbox,
    RecordBans, RemoveBans, RemoveOutbox, SAVE_INTERVAL, SaveCursor, SavePositions,
};
use crate::time::UnixMs;

pub struct DbActor {
    db: Database,
}

impl DbActor {
    /// Starts a DbActor on `store`, on a new thread.
    pub fn start_on_own_thread(store: Arc<Store>) -> Addr<DbActor> {
        let db = Database::new(store);
        DbActor::start_in_arbiter(&Arbiter::new().handle(), move |_| DbActor { db })
    }
}

impl Actor for DbActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(SAVE_INTERVAL, |act, _| act.db.save_positions());
    }

    fn stopping(&mut self, _: &mut Context<Self>) -> Running {
        self.db.save_positions();
        Running::Stop
    }
}

impl Handler<RecordBans> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: RecordBans, _: &mut Context<Self>) {
        self.db.record_bans(&msg.0);
    }
}

impl Handler<RemoveBans> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: RemoveBans, _: &mut Context<Self>) {
        self.db.remove_bans(&msg.0);
    }
}

impl Handler<History> for DbActor {
    type Result = MessageResult<History>;

    fn handle(&mut self, msg: History, _: &mut Context<Self>) -> MessageResult<History> {
        MessageResult(self.db.history(msg.jail.as_deref(), msg.addr))
    }
}

impl Handler<ActiveBans> for DbActor {
    type Result = MessageResult<ActiveBans>;

    fn handle(&mut self, _: ActiveBans, _: &mut Context<Self>) -> MessageResult<ActiveBans> {
        MessageResult(self.db.active_bans(UnixMs::now()))
    }
}

impl Handler<LogPositions> for DbActor {
    type Result = MessageResult<LogPositions>;

    fn handle(&mut self, msg: LogPositions, _: &mut Context<Self>) -> MessageResult<LogPositions> {
        MessageResult(self.db.log_positions(&msg.jail))
    }
}

impl Handler<SavePositions> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: SavePositions, _: &mut Context<Self>) {
        self.db.files_read(&msg.jail, msg.positions);
    }
}

impl Handler<JournalCursors> for DbActor {
    type Result = MessageResult<JournalCursors>;

    fn handle(&mut self, msg: JournalCursors, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.db.journal_cursors(&msg.jail))
    }
}

impl Handler<SaveCursor> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: SaveCursor, _: &mut Context<Self>) {
        self.db.journal_read(&msg.jail, &msg.source, msg.cursor);
    }
}

impl Handler<Purge> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: Purge, _: &mut Context<Self>) {
        match self.db.purge(UnixMs::now(), msg.older_than) {
            Some(n) if n > 0 => tracing::info!("purged {n} old ban and history records"),
            _ => {}
        }
    }
}

impl Handler<Flush> for DbActor {
    type Result = ();

    fn handle(&mut self, _: Flush, _: &mut Context<Self>) {
        self.db.save_positions();
    }
}

impl Handler<AppendOutbox> for DbActor {
    type Result = MessageResult<AppendOutbox>;

    fn handle(&mut self, msg: AppendOutbox, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.db.outbox_append(&msg.entries, msg.capacity))
    }
}

impl Handler<ReadOutbox> for DbActor {
    type Result = MessageResult<ReadOutbox>;

    fn handle(&mut self, msg: ReadOutbox, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.db.outbox_read(msg.max))
    }
}

impl Handler<RemoveOutbox> for DbActor {
    type Result = ();

    fn handle(&mut self, msg: RemoveOutbox, _: &mut Context<Self>) {
        self.db.outbox_remove(&msg.0);
    }
}
