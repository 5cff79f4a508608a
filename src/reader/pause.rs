//! The ReaderActor's handlers for journal batches and for pausing
//! ([`Pause`], [`Resume`]): paused, the files are left alone (they keep
//! their positions) and each journal thread's batch is held, its reply
//! waiting, so the thread stops reading; on resume the held batches go
//! through first, then the files are read from where they stopped. A
//! batch that goes through has its cursor saved once the jail confirmed
//! the failures sent before it.

use actix::prelude::*;

use super::actor::ReaderActor;
use super::held::Save;
use super::{Drain, JournalEntries, Pause, Resume};
use crate::jail::Failures;
use crate::time::UnixMs;

impl ReaderActor {
    /// Hands a position or cursor to the DbActor.
    pub(super) fn save(&self, save: Save) {
        match save {
            Save::Files(positions) => self.store.save_positions.do_send(positions),
            Save::Cursor(cursor) => self.store.save_cursor.do_send(cursor),
        }
    }

    /// Answers the [`Drain`]s once no batch is unconfirmed.
    pub(super) fn answer_drained(&mut self) {
        if self.reader.unconfirmed() == 0 {
            for done in self.drained.drain(..) {
                let _ = done.send(());
            }
        }
    }

    /// Runs a journal batch through the reader and saves its cursor (once
    /// the jail confirmed the failures sent before it).
    pub(super) fn journal_entries(&mut self, msg: JournalEntries, ctx: &mut Context<Self>) {
        let (failures, mut sent) = (&self.failures, Vec::new());
        let cursor = self.reader.journal_entries(
            msg.source,
            &msg.batch,
            msg.read_at,
            UnixMs::now(),
            &mut |number, batch| sent.push((number, failures.send(Failures(batch)))),
        );
        self.confirm_later(sent, ctx);
        cursor.into_iter().for_each(|save| self.save(save));
    }
}

impl Handler<JournalEntries> for ReaderActor {
    type Result = ResponseFuture<()>;

    /// Paused, the batch is held and the reply waits for [`Resume`].
    fn handle(&mut self, msg: JournalEntries, ctx: &mut Context<Self>) -> Self::Result {
        if !self.reader.is_paused() {
            self.journal_entries(msg, ctx);
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

impl Handler<Drain> for ReaderActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: Drain, _: &mut Context<Self>) -> Self::Result {
        self.reader.set_paused(true);
        let (done, wait) = tokio::sync::oneshot::channel();
        self.drained.push(done);
        self.answer_drained();
        Box::pin(async move {
            let _ = wait.await;
        })
    }
}

impl Handler<Resume> for ReaderActor {
    type Result = bool;

    fn handle(&mut self, _: Resume, ctx: &mut Context<Self>) -> bool {
        if !self.reader.set_paused(false) {
            return false;
        }
        let mut held = std::mem::take(&mut self.held);
        held.release(|batch| self.journal_entries(batch, ctx));
        self.rescan(ctx);
        true
    }
}
