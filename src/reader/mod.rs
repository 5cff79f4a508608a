//! The reader: one per jail, it drives the jail's log sources
//! ([`crate::source`]: files, journal) through the jail's filters
//! ([`crate::filter`]) and sends the failures to the jail
//! ([`crate::jail::Failures`]); read positions and journal cursors are
//! saved through the DbActor. [`Reader`] holds the logic (plain, tested at
//! fixed times); [`ReaderActor`] is its shell on an arbiter (thread) of
//! its own, so that matching uses all cores, woken by inotify and by a
//! rescan every second; [`journal`] links a journal source's thread to it.

pub mod actor;
pub mod journal;
pub mod state;

pub use actor::{PositionStore, ReaderActor};
pub use state::{JailInput, Reader};

/// Entries read from a journal source, in journal order. Sent by the
/// source's thread ([`crate::source::journal::follow`] through
/// [`journal::ActorSink`]); replies once they went through the matcher, so
/// that the thread reads ahead by one batch at most.
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub struct JournalEntries {
    /// Which of the jail's journal sources.
    pub source: usize,
    pub batch: crate::source::journal::JournalBatch,
    /// When the batch was read, for the ban latency metric.
    pub read_at: std::time::Instant,
}
