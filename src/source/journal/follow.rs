//! A journal source's own thread: it opens the journal (an `sd_journal`
//! handle lives and dies on one thread), reads batches of entries and
//! hands them to a [`BatchSink`] (the reader's actor), and in between
//! waits for the journal to change (`sd_journal_wait`, inotify underneath).
//!
//! - At most one batch is in flight: the next is handed over once the
//!   sink has processed the previous one, so a long backlog (after a
//!   restart) cannot pile up in a mailbox.
//! - The thread ends when the sink is gone (jail stopped or reloaded): a
//!   hand-over fails, or, while idle, it looks every [`IDLE_CHECK`].
//! - A read error is logged once per run of errors; reading is retried
//!   after the next change or [`IDLE_CHECK`].

use std::time::{Duration, Instant};

use super::{JournalBatch, JournalReader, JournalSpec, Start};

/// Most entries per batch.
pub const BATCH: usize = 4096;
/// How long the thread waits for the journal before it checks that the
/// sink is still there.
pub const IDLE_CHECK: Duration = Duration::from_millis(500);

/// Where a journal thread hands its batches.
pub trait BatchSink: Send + 'static {
    /// Hands a batch over (read at `read_at`) without waiting for it to be
    /// processed; false if the sink is gone.
    fn send(&mut self, batch: JournalBatch, read_at: Instant) -> bool;
    /// Waits until the batch handed over last (if any) was processed;
    /// false if the sink is gone.
    fn processed(&mut self) -> bool;
    /// Whether the sink is still there.
    fn connected(&self) -> bool;
}

/// Starts a thread named `name` that follows `spec` from `start` into
/// `sink`; `what` names its owner in logs (`jail sshd`).
pub fn spawn(
    name: String,
    what: String,
    spec: JournalSpec,
    start: Start,
    sink: impl BatchSink,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(name)
        .spawn(move || follow(&what, &spec, start, sink))
        .map(drop)
}

/// Follows `spec` into `sink` until the sink is gone.
pub fn follow(what: &str, spec: &JournalSpec, start: Start, mut sink: impl BatchSink) {
    let from = match start {
        Start::Cursor(_) => "after the saved position",
        Start::Tail => "from now on",
        Start::Head => "from the start",
    };
    let mut reader = match JournalReader::open(spec, start) {
        Ok(r) => {
            tracing::info!("{what}: reading {} {from}", spec.describe());
            r
        }
        Err(e) => {
            tracing::error!("{what}: {}", crate::error_chain(&e));
            return;
        }
    };
    let mut failing = false;
    loop {
        let mut batch = JournalBatch::default();
        let read_at = Instant::now();
        match reader.read(&mut batch, BATCH) {
            Ok(_) => failing = false,
            Err(e) if !failing => {
                failing = true;
                tracing::warn!("{what}: {}", crate::error_chain(&e));
            }
            Err(_) => {}
        }
        if !sink.processed() {
            return;
        }
        if !batch.is_empty() {
            if !sink.send(batch, read_at) {
                return;
            }
            continue;
        }
        if !sink.connected() {
            return;
        }
        if let Err(e) = reader.wait(IDLE_CHECK) {
            if !failing {
                failing = true;
                tracing::warn!("{what}: {}", crate::error_chain(&e));
            }
            std::thread::sleep(IDLE_CHECK);
        }
    }
}
