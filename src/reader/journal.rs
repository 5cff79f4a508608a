//! [`ActorSink`]: how a journal source's thread
//! ([`crate::source::journal::follow`]) hands its batches to the
//! [`super::ReaderActor`]: as [`JournalEntries`] messages, waiting for
//! each reply before the next batch goes, and ending when the actor is
//! gone.

use std::time::Instant;

use actix::Recipient;
use actix::dev::RecipientRequest;
use tokio::sync::oneshot;

use super::JournalEntries;
use crate::source::journal::JournalBatch;
use crate::source::journal::follow::BatchSink;

/// The actor end of one journal source's thread.
pub struct ActorSink {
    source: usize,
    to: Recipient<JournalEntries>,
    /// Only to wait for the actor's replies; no I/O runs on it.
    runtime: tokio::runtime::Runtime,
    in_flight: Option<RecipientRequest<JournalEntries>>,
}

impl ActorSink {
    /// The sink of journal source number `source`.
    pub fn new(source: usize, to: Recipient<JournalEntries>) -> std::io::Result<ActorSink> {
        Ok(ActorSink {
            source,
            to,
            runtime: tokio::runtime::Builder::new_current_thread().build()?,
            in_flight: None,
        })
    }
}

impl BatchSink for ActorSink {
    fn send(&mut self, batch: JournalBatch, read_at: Instant) -> bool {
        let entries = JournalEntries {
            source: self.source,
            batch,
            read_at,
        };
        self.in_flight = Some(self.to.send(entries));
        true
    }

    fn processed(&mut self) -> bool {
        let request = self.in_flight.take();
        request.is_none_or(|r| self.runtime.block_on(r).is_ok())
    }

    fn connected(&self) -> bool {
        self.to.connected()
    }
}

/// Journal batches that came while the reader was paused
/// ([`super::Pause`]), each with the reply its thread waits for: one per
/// journal source at most, as each thread waits on its last batch, so
/// nothing piles up however long the pause.
#[derive(Default)]
pub struct HeldBatches {
    held: Vec<(JournalEntries, oneshot::Sender<()>)>,
}

impl HeldBatches {
    /// Holds `batch`; the future is its reply, ready once released.
    pub fn hold(&mut self, batch: JournalEntries) -> impl Future<Output = ()> + use<> {
        let (done, wait) = oneshot::channel();
        self.held.push((batch, done));
        async move {
            let _ = wait.await;
        }
    }

    /// Hands each held batch to `process`, in the order they came, then
    /// replies to its thread.
    pub fn release(&mut self, mut process: impl FnMut(JournalEntries)) {
        for (batch, done) in std::mem::take(&mut self.held) {
            process(batch);
            let _ = done.send(());
        }
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    fn entries(source: usize) -> JournalEntries {
        JournalEntries {
            source,
            batch: JournalBatch::default(),
            read_at: Instant::now(),
        }
    }

    #[test]
    fn held_batches_are_answered_only_once_released_in_their_order() {
        let mut held = HeldBatches::default();
        let mut first = Box::pin(held.hold(entries(0)));
        let second = held.hold(entries(1));
        assert_eq!(held.len(), 2);
        assert!(
            first.as_mut().now_or_never().is_none(),
            "answered while held"
        );
        let mut order = Vec::new();
        held.release(|batch| order.push(batch.source));
        assert_eq!(order, [0, 1]);
        assert!(held.is_empty());
        assert!(first.now_or_never().is_some());
        assert!(second.now_or_never().is_some());
        // A holder dropped with its batches (the jail stopped) frees the
        // threads too: their replies end.
        let mut gone = HeldBatches::default();
        let waiting = gone.hold(entries(0));
        drop(gone);
        assert!(waiting.now_or_never().is_some());
    }
}
