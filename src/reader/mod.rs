//! The reader: one per jail, it drives the jail's log sources
//! ([`crate::source`]: files, journal) through the jail's filters
//! ([`crate::filter`]) and sends the failures to the jail
//! ([`crate::jail::Failures`]); read positions and journal cursors are
//! saved through the DbActor. [`Reader`] holds the logic (plain, tested at
//! fixed times); [`ReaderActor`] is its shell on an arbiter (thread) of
//! its own, so that matching uses all cores, woken by inotify and by a
//! rescan every second; [`journal`] links a journal source's thread to it.

pub mod actor;
pub mod held;
pub mod journal;
mod pause;
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

/// Stop reading the jail's sources (`portcullis pause JAIL`): files are
/// neither read nor rescanned and keep their positions, journal batches are
/// held (each journal thread waits on its last one); the jail, its counters
/// and its bans go on. Sent by the ServerActor; replies whether reading
/// was running (false: already paused).
#[derive(Debug, actix::Message)]
#[rtype(result = "bool")]
pub struct Pause;

/// Stop reading for good (the daemon stops): reading pauses, and the reply
/// comes once every batch of failures sent is confirmed (its bans are in
/// the kernel) and the positions and cursors it held went to the DbActor,
/// so the database's last flush saves them and the next start reads
/// nothing twice. Sent at SIGTERM through the ServerActor, which waits a
/// bounded time (a batch never confirmed is read again at the next start).
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub struct Drain;

/// Go on reading after [`Pause`]: the lines written meanwhile are read
/// now, from where reading stopped, and their failures count as any
/// others. Sent by the ServerActor; replies whether reading was paused.
#[derive(Debug, actix::Message)]
#[rtype(result = "bool")]
pub struct Resume;
