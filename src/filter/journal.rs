//! A journal source's own thread: it opens the journal (an `sd_journal`
//! handle lives and dies on one thread), reads batches of entries and
//! sends them to the jail's FilterActor, and in between waits for the
//! journal to change (`sd_journal_wait`, inotify underneath).
//!
//! - At most one batch is in flight: the next is sent once the actor has
//!   processed the previous one, so a long backlog (after a restart)
//!   cannot pile up in the mailbox.
//! - The thread ends when the actor is gone (jail stopped or reloaded):
//!   a send fails, or, while idle, it looks every [`IDLE_CHECK`].
//! - A read error is logged once per run of errors; reading is retried
//!   after the next change or [`IDLE_CHECK`].

use std::time::{Duration, Instant};

use actix::Recipient;
use actix::dev::RecipientRequest;

use super::JournalEntries;
use crate::source::journal::{JournalBatch, JournalReader, JournalSpec, Start};

/// Most entries per batch.
pub const BATCH: usize = 4096;
/// How long the thread waits for the journal before it checks that the
/// jail still runs.
pub const IDLE_CHECK: Duration = Duration::from_millis(500);

/// Starts the thread of journal source number `source` of `jail`.
pub fn spawn(
    jail: &str,
    source: usize,
    spec: JournalSpec,
    start: Start,
    to: Recipient<JournalEntries>,
) -> std::io::Result<()> {
    let what = format!("jail {jail}");
    std::thread::Builder::new()
        .name(format!("journal-{source}"))
        .spawn(move || follow(&what, source, &spec, start, to))
        .map(drop)
}

fn follow(
    what: &str,
    source: usize,
    spec: &JournalSpec,
    start: Start,
    to: Recipient<JournalEntries>,
) {
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
    // Only to wait for the actor's replies; no I/O runs on it.
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("{what}: cannot read {}: {e}", spec.describe());
            return;
        }
    };
    let processed = |request: Option<RecipientRequest<JournalEntries>>| {
        request.is_none_or(|r| runtime.block_on(r).is_ok())
    };
    let mut in_flight = None;
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
        if !processed(in_flight.take()) {
            return;
        }
        if !batch.is_empty() {
            in_flight = Some(to.send(JournalEntries {
                source,
                batch,
                read_at,
            }));
            continue;
        }
        if !to.connected() {
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
