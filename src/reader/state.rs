//! [`Reader`]: what a jail's reader decides, as plain code. It follows the
//! jail's files once their saved positions came (a file opened before
//! would be read from its start), runs each poll of them through the file
//! filter and each journal batch through the journal filter (with each
//! entry's own time), hands the failures on in batches of at most
//! [`BATCH`], each numbered, says which positions and cursors to save
//! (only once the jail confirmed the batches before them, [`Held`]), and
//! counts the lines read per source (metrics). The clock comes in as
//! `now`, so tests run at fixed times on temporary files.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::held::{Held, Save};
use crate::db::{SaveCursor, SavePositions};
use crate::filter::{CompiledFilter, Failure, FailureId, Matcher, Outcome};
use crate::jail::FailureFound;
use crate::metrics::{LineCounter, Metrics};
use crate::source::files::FileSet;
use crate::source::journal::{JournalBatch, JournalSpec, Start};
use crate::source::{LogPosition, MAX_LINE};
use crate::time::UnixMs;

/// Most failures per message to the jail.
pub const BATCH: usize = 1024;

/// What a jail reads and the filters to read it with.
pub struct JailInput {
    /// File paths and globs, read with `file_filter`.
    pub files: Vec<String>,
    pub file_filter: Arc<CompiledFilter>,
    /// Journal sources, read with `journal_filter` (the journal log type).
    pub journals: Vec<JournalSpec>,
    pub journal_filter: Option<Arc<CompiledFilter>>,
}

/// A journal source as the reader sees it.
struct JournalInput {
    spec: JournalSpec,
    matcher: Matcher,
    /// Entries read (metrics), labelled with the source's description.
    lines: LineCounter,
}

/// What one [`Reader::read`] of the files leaves to do.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    /// The positions of the files that had new lines, to save now: none
    /// while batches sent before are unconfirmed ([`Reader::confirmed`]
    /// hands them out then).
    pub save: Option<Save>,
    /// A file stopped with more to read: read again at once.
    pub more: bool,
}

/// A journal thread to start: source number, what, from where.
#[derive(Debug, PartialEq)]
pub struct JournalStart {
    pub source: usize,
    pub spec: JournalSpec,
    pub start: Start,
}

pub struct Reader {
    jail: String,
    files: FileSet,
    matcher: Matcher,
    journals: Vec<JournalInput>,
    /// Saved positions by path; `None` until they came.
    saved: Option<HashMap<PathBuf, LogPosition>>,
    line_no: u64,
    /// Failures whose id is not an address (host names are not resolved).
    not_addresses: u64,
    metrics: Arc<Metrics>,
    /// Each file's line counter, labelled with its path.
    lines: HashMap<PathBuf, LineCounter>,
    /// Reading is paused (`portcullis pause`): no file is opened, rescanned
    /// or read until it resumes, from where it stopped.
    paused: bool,
    /// The batches the jail has not confirmed, and the saves they hold.
    held: Held,
}

/// A matcher for the daemon: the jail needs the failure's address, time
/// and attempts, not its captures, so the matcher skips copying them; a
/// line the sources cut at [`MAX_LINE`] is not matched.
fn matcher(filter: Arc<CompiledFilter>, zone: TimeZone, now: Timestamp) -> Matcher {
    let mut matcher = Matcher::new(filter, zone, now);
    matcher.report_captures(false);
    matcher.lines_cut_at(MAX_LINE);
    matcher
}

fn timestamp(now: UnixMs) -> Timestamp {
    let ms = i64::try_from(now.as_millis()).unwrap_or(i64::MAX);
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::MAX)
}

/// Hands a batch of failures to the jail, with its number: the jail
/// confirms it by that number once its bans are in the kernel.
pub type SendBatch<'a> = &'a mut dyn FnMut(u64, Vec<FailureFound>);

/// The failures of one read, handed on as each batch fills: a burst goes
/// out in parts, so the jail starts early.
struct Found<'a> {
    batch: Vec<FailureFound>,
    send: SendBatch<'a>,
    held: &'a mut Held,
    not_addresses: &'a mut u64,
}

impl<'a> Found<'a> {
    fn new(send: SendBatch<'a>, held: &'a mut Held, not_addresses: &'a mut u64) -> Found<'a> {
        Found {
            batch: Vec::new(),
            send,
            held,
            not_addresses,
        }
    }

    fn send(&mut self, batch: Vec<FailureFound>) {
        let number = self.held.next_batch();
        (self.send)(number, batch);
    }

    /// Adds a failure, or counts it when its id is not an address.
    fn add(&mut self, failure: Failure, read_at: Instant) {
        let FailureId::Addr(addr) = failure.id else {
            *self.not_addresses += 1;
            return;
        };
        self.batch.push(FailureFound {
            addr,
            time: UnixMs(failure.time.as_millisecond().max(0) as u64),
            attempts: failure.attempts,
            read_at,
        });
        if self.batch.len() >= BATCH {
            let batch = std::mem::take(&mut self.batch);
            self.send(batch);
        }
    }

    fn finish(mut self) {
        if !self.batch.is_empty() {
            let batch = std::mem::take(&mut self.batch);
            self.send(batch);
        }
    }
}

impl Reader {
    /// `zone` reads dates that carry none; `now` anchors year inference.
    pub fn new(
        jail: String,
        input: JailInput,
        metrics: Arc<Metrics>,
        zone: TimeZone,
        now: UnixMs,
    ) -> Reader {
        let now = timestamp(now);
        let journal_filter = input.journal_filter;
        let journals = (input.journals.into_iter())
            .filter_map(|spec| {
                Some(JournalInput {
                    lines: metrics.source(&spec.describe()),
                    matcher: matcher(journal_filter.clone()?, zone.clone(), now),
                    spec,
                })
            })
            .collect();
        Reader {
            jail,
            files: FileSet::new(input.files),
            matcher: matcher(input.file_filter, zone, now),
            journals,
            saved: None,
            line_no: 0,
            not_addresses: 0,
            metrics,
            lines: HashMap::new(),
            paused: false,
            held: Held::default(),
        }
    }

    /// Pauses (`true`) or resumes reading; whether that changed anything.
    /// Paused, [`Reader::rescan`] and [`Reader::read`] do nothing, so the
    /// files keep their positions and the lines written meanwhile are read
    /// on resume; journal batches are held by the actor.
    pub fn set_paused(&mut self, paused: bool) -> bool {
        let changed = std::mem::replace(&mut self.paused, paused) != paused;
        if changed {
            let now = if paused { "paused" } else { "resumed" };
            tracing::info!("jail {}: reading {now}", self.jail);
        }
        changed
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    pub fn jail(&self) -> &str {
        &self.jail
    }

    pub fn files(&self) -> &FileSet {
        &self.files
    }

    pub fn has_journals(&self) -> bool {
        !self.journals.is_empty()
    }

    /// Failures whose id was not an address, so far.
    pub fn not_addresses(&self) -> u64 {
        self.not_addresses
    }

    /// The saved positions came: files may be opened now.
    pub fn positions_loaded(&mut self, saved: HashMap<PathBuf, LogPosition>) {
        self.saved = Some(saved);
    }

    /// Follows the files that appeared (new glob matches, a file created
    /// later), each from its saved position; false (nothing done) while
    /// the saved positions have not come or reading is paused.
    pub fn rescan(&mut self) -> bool {
        let Some(saved) = self.saved.as_ref().filter(|_| !self.paused) else {
            return false;
        };
        self.files.rescan(&|p| saved.get(p).cloned());
        true
    }

    /// Reads every file's new lines, hands their failures to `send`, counts
    /// the lines, and says which positions to save now; nothing while
    /// paused.
    pub fn read(&mut self, now: UnixMs, send: SendBatch) -> ReadOutcome {
        if self.paused {
            return ReadOutcome::default();
        }
        let now = timestamp(now);
        let Reader {
            files,
            matcher,
            line_no,
            not_addresses,
            held,
            ..
        } = self;
        let mut found = Found::new(send, held, not_addresses);
        let read = files.poll(&mut |line, read_at| {
            *line_no += 1;
            if let Outcome::Failure(f) = matcher.process(*line_no, line, now) {
                found.add(f, read_at);
            }
        });
        found.finish();
        for (path, n) in read.lines {
            let counter = (self.lines.entry(path))
                .or_insert_with_key(|path| self.metrics.source(&path.to_string_lossy()));
            counter.add(n);
        }
        for (path, e) in &read.errors {
            tracing::warn!("jail {}: cannot read {}: {e}", self.jail, path.display());
        }
        let save = (!read.positions.is_empty()).then(|| SavePositions {
            jail: self.jail.clone(),
            positions: read.positions,
        });
        let save = save.and_then(|save| self.held.save(Save::Files(save)));
        ReadOutcome {
            save,
            more: read.more,
        }
    }

    /// Where each journal thread starts: after its saved cursor, or at the
    /// journal's tail the first time.
    pub fn journal_starts(&self, mut cursors: HashMap<String, String>) -> Vec<JournalStart> {
        let starts = self.journals.iter().enumerate();
        starts
            .map(|(source, input)| JournalStart {
                source,
                spec: input.spec.clone(),
                start: match cursors.remove(&input.spec.cursor_key()) {
                    Some(cursor) => Start::Cursor(cursor),
                    None => Start::Tail,
                },
            })
            .collect()
    }

    /// Runs a batch of journal source number `source` (read at `read_at`)
    /// through the journal filter, each entry at its own time (`now` if it
    /// has none that fits), hands the failures to `send`; the cursor to
    /// save now, if the batch has one and no batch holds it back.
    pub fn journal_entries(
        &mut self,
        source: usize,
        batch: &JournalBatch,
        read_at: Instant,
        now: UnixMs,
        send: SendBatch,
    ) -> Option<Save> {
        let input = self.journals.get_mut(source)?;
        input.lines.add(batch.len() as u64);
        let now = timestamp(now);
        let mut found = Found::new(send, &mut self.held, &mut self.not_addresses);
        for (line, time_us) in batch.iter() {
            self.line_no += 1;
            let time = Timestamp::from_microsecond(time_us as i64).unwrap_or(now);
            if let Outcome::Failure(f) = input.matcher.process(self.line_no, line, time) {
                found.add(f, read_at);
            }
        }
        found.finish();
        let cursor = SaveCursor {
            jail: self.jail.clone(),
            source: input.spec.cursor_key(),
            cursor: batch.cursor.clone()?,
        };
        self.held.save(Save::Cursor(cursor))
    }

    /// The jail confirmed batch `number` (its bans are in the kernel): the
    /// positions and cursors to save now, in the order they came.
    pub fn confirmed(&mut self, number: u64) -> Vec<Save> {
        self.held.confirmed(number)
    }

    /// Batches sent to the jail and not confirmed yet.
    pub fn unconfirmed(&self) -> u64 {
        self.held.unconfirmed()
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
