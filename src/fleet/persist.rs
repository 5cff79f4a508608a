//! The ClusterActor's side of the outbox in LMDB: read it back at start,
//! append new decisions as they are queued and remove those no longer
//! waiting once per tick (one db commit each), and append what is left
//! when the daemon stops ([`Persist`]); and the metrics' refresh. The bookkeeping is
//! `fleet::stored`.

use actix::prelude::*;

use super::ClusterActor;
use crate::db::{AppendOutbox, ReadOutbox, RemoveOutbox};
use crate::fleet::Persist;
use crate::fleet::core::OUTBOX_CAPACITY;

impl ClusterActor {
    pub(super) fn refresh_metrics(&self) {
        if let Ok(mut extra) = self.metrics.extra.lock() {
            *extra = self.fleet.render_metrics();
        }
    }

    /// Queues what the db kept from before the restart.
    pub(super) fn restore_outbox(&mut self, ctx: &mut Context<Self>) {
        let read = self.db.send(ReadOutbox {
            max: OUTBOX_CAPACITY,
        });
        ctx.spawn(fut::wrap_future(read).map(|entries, act: &mut Self, ctx| {
            let entries = entries.unwrap_or_default();
            if !entries.is_empty() {
                tracing::info!(
                    "cluster: {} decision(s) kept from before the restart, published when NATS answers",
                    entries.len()
                );
                act.fleet.restore(entries);
                act.publish(ctx);
            }
        }));
    }

    /// Appends the decisions queued since the last call and removes the
    /// entries the outbox no longer holds.
    pub(super) fn persist(&mut self, ctx: &mut Context<Self>) {
        ctx.spawn(self.store_new(false));
    }

    /// The append of what was queued since the last call (its reply marks
    /// the entries stored and starts the next), after removing the stale
    /// ones. One at a time unless `now` (the stop).
    fn store_new(&mut self, now: bool) -> ResponseActFuture<Self, ()> {
        let stale = self.fleet.stale();
        if !stale.is_empty() {
            self.db.do_send(RemoveOutbox(stale));
        }
        let (keys, entries) = self.fleet.to_store(now);
        if entries.is_empty() {
            return Box::pin(fut::ready(()));
        }
        let append = self.db.send(AppendOutbox {
            entries,
            capacity: OUTBOX_CAPACITY,
        });
        Box::pin(
            fut::wrap_future(append).map(move |appended, act: &mut Self, ctx| {
                let seqs = appended.as_ref().ok().map(|a| a.seqs.as_slice());
                if act.fleet.stored(keys, seqs) {
                    act.persist(ctx);
                }
            }),
        )
    }
}

impl Handler<Persist> for ClusterActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Persist, _: &mut Context<Self>) -> Self::Result {
        self.store_new(true)
    }
}
