//! The ReaderActor's handlers for journal batches and for pausing
//! ([`Pause`], [`Resume`]): paused, the files are left alone (they keep
//! their positions) and each journal thread's batch is held, its reply
//! waiting, so the thread stops reading; on resume the held batches go
//! through first, then the files are read from where they stopped.

use actix::prelude::*;

use super::actor::ReaderActor;
use super::{JournalEntries, Pause, Resume};

impl Handler<JournalEntries> for ReaderActor {
    type Result = ResponseFuture<()>;

    /// Paused, the batch is held and the reply waits for [`Resume`].
    fn handle(&mut self, msg: JournalEntries, _: &mut Context<Self>) -> Self::Result {
        if !self.reader.is_paused() {
            self.journal_entries(msg);
            return Box::pin(std::future::ready(()));
        }
        Box::pin(self.held.hold(msg))
    }
}

impl Handler<Pause> for ReaderActor {
    type Result = bool;

    fn handle(&mut self, _: Pause, _: &mut Context<Self>) -> bool {
        self.reader.set_paused(true)
    }
}

impl Handler<Resume> for ReaderActor {
    type Result = bool;

    fn handle(&mut self, _: Resume, ctx: &mut Context<Self>) -> bool {
        if !self.reader.set_paused(false) {
            return false;
        }
        let mut held = std::mem::take(&mut self.held);
        held.release(|batch| self.journal_entries(batch));
        self.rescan(ctx);
        true
    }
}
