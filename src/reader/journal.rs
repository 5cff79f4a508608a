//! [`ActorSink`]: how a journal source's thread
//! ([`crate::source::journal::follow`]) hands its batches to the
//! [`super::ReaderActor`]: as [`JournalEntries`] messages, waiting for
//! each reply before the next batch goes, and ending when the actor is
//! gone.

use std::time::Instant;

use actix::Recipient;
use actix::dev::RecipientRequest;

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
