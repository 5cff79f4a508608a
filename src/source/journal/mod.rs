//! Reading the systemd journal through libsystemd (`sd_journal`, the
//! `systemd` crate): [`JournalReader`] hands out the entries a
//! [`JournalSpec`] matches, as lines of the filters' `journal` log type
//! ([`entry`]), each with its own `__REALTIME_TIMESTAMP`; a thread of its
//! own per source ([`follow`]) hands them on in batches.
//!
//! Invariants:
//! - An `sd_journal` handle is not safe to share between threads: a reader
//!   is opened, used and dropped on one thread.
//! - Where reading starts ([`Start`]): the tail (entries written from now
//!   on, fail2ban's default), the head (benchmarks), or just after a saved
//!   cursor. A cursor whose entry is gone (vacuumed) is sought anyway, which
//!   lands on the nearest entry; that is logged once.
//! - libsystemd follows its files itself: a rotated (new) file is picked up
//!   and deleted (vacuumed) files are dropped while reading goes on from the
//!   current position.

pub mod entry;
pub mod export;
pub mod follow;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::Duration;

use systemd::journal::{Journal, OpenDirectoryOptions, OpenOptions};

pub use entry::{EntryFields, JournalBatch};

use crate::source::MAX_LINE;

/// One journal source of a jail: the journal to read and which entries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JournalSpec {
    /// A directory of journal files; `None`: the system journal.
    pub directory: Option<PathBuf>,
    /// `FIELD=value` matches: those of one group must all hold, any group
    /// will do. A group without matches takes every entry (a `journal`
    /// node with none: fail2ban's systemd backend without `journalmatch`).
    pub matches: Vec<Vec<String>>,
}

impl JournalSpec {
    /// Its key among a jail's saved cursors: the journal it reads, not the
    /// matches (a changed match resumes where the jail stopped).
    pub fn cursor_key(&self) -> String {
        match &self.directory {
            Some(dir) => format!("journal:{}", dir.display()),
            None => "journal:system".to_string(),
        }
    }

    /// Whether every entry is read: some group has no matches, and an OR
    /// with everything is everything.
    pub fn reads_every_entry(&self) -> bool {
        self.matches.iter().any(Vec::is_empty)
    }

    /// `journal _SYSTEMD_UNIT=a OR _SYSTEMD_UNIT=b (directory /d)`, or
    /// `journal, every entry`, for logs.
    pub fn describe(&self) -> String {
        let groups: Vec<String> = self.matches.iter().map(|g| g.join(" ")).collect();
        let mut text = match self.reads_every_entry() {
            true => "journal, every entry".to_string(),
            false => format!("journal {}", groups.join(" OR ")),
        };
        if let Some(dir) = &self.directory {
            text.push_str(&format!(" (directory {})", dir.display()));
        }
        text
    }
}

/// Where a reader starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// After the last entry there is now.
    Tail,
    /// At the first entry.
    Head,
    /// After the entry of this cursor.
    Cursor(String),
}

/// Why the journal could not be read.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot open {what}")]
    Open {
        what: String,
        #[source]
        source: systemd::Error,
    },
    #[error("{what}: bad match {text:?}")]
    Match {
        what: String,
        text: String,
        #[source]
        source: systemd::Error,
    },
    #[error("{what}: {op} failed")]
    Read {
        what: String,
        op: &'static str,
        #[source]
        source: systemd::Error,
    },
}

/// Reads the entries of one [`JournalSpec`], in journal order.
pub struct JournalReader {
    journal: Journal,
    what: String,
    /// The saved cursor, until the first entry read shows whether it is
    /// still in the journal.
    verify: Option<String>,
    fields: EntryFields,
}

impl JournalReader {
    pub fn open(spec: &JournalSpec, start: Start) -> Result<JournalReader, JournalError> {
        let what = spec.describe();
        let opened = match &spec.directory {
            Some(dir) => {
                OpenDirectoryOptions::default().open_directory(dir.to_string_lossy().as_ref())
            }
            None => OpenOptions::default().system(true).local_only(true).open(),
        };
        let journal = opened.map_err(|source| JournalError::Open {
            what: what.clone(),
            source,
        })?;
        let mut reader = JournalReader {
            journal,
            what,
            verify: None,
            fields: EntryFields::default(),
        };
        reader.add_matches(spec)?;
        // Larger fields may come back cut to this, so a huge compressed
        // MESSAGE is not decompressed in full; one byte more than a line
        // tells a cut one.
        let threshold = "MESSAGE=".len() + MAX_LINE + 1;
        reader
            .journal
            .set_data_threshold(threshold)
            .map_err(reader.err("sd_journal_set_data_threshold"))?;
        reader.seek(start)?;
        Ok(reader)
    }

    fn err(&self, op: &'static str) -> impl FnOnce(systemd::Error) -> JournalError + use<> {
        let what = self.what.clone();
        move |source| JournalError::Read { what, op, source }
    }

    fn add_matches(&mut self, spec: &JournalSpec) -> Result<(), JournalError> {
        // libsystemd drops an empty group (a disjunction after nothing),
        // which would narrow "A OR everything" to A.
        if spec.reads_every_entry() {
            return Ok(());
        }
        for (i, group) in spec.matches.iter().enumerate() {
            if i > 0 {
                let or = self.journal.match_or().map(drop);
                or.map_err(self.err("sd_journal_add_disjunction"))?;
            }
            for text in group {
                let (field, value) = text.split_once('=').unwrap_or((text, ""));
                if let Err(source) = self.journal.match_add(field, value.as_bytes()) {
                    return Err(JournalError::Match {
                        what: self.what.clone(),
                        text: text.clone(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    fn seek(&mut self, start: Start) -> Result<(), JournalError> {
        match start {
            Start::Head => self
                .journal
                .seek_head()
                .map_err(self.err("sd_journal_seek_head")),
            Start::Tail => {
                self.journal
                    .seek_tail()
                    .map_err(self.err("sd_journal_seek_tail"))?;
                // Onto the last entry, so that the next one read is new.
                let last = self.journal.previous();
                if last.map_err(self.err("sd_journal_previous"))? == 0 {
                    // Nothing yet: all that comes is new. (From the tail
                    // of an empty journal, libsystemd would skip to the
                    // last entry of the first file that appears.)
                    return self.seek(Start::Head);
                }
                Ok(())
            }
            Start::Cursor(cursor) => {
                self.journal
                    .seek_cursor(cursor.as_str())
                    .map_err(self.err("sd_journal_seek_cursor"))?;
                self.verify = Some(cursor);
                Ok(())
            }
        }
    }

    /// Appends up to `max` new entries to `batch` and sets its cursor;
    /// returns how many.
    pub fn read(&mut self, batch: &mut JournalBatch, max: usize) -> Result<usize, JournalError> {
        let mut n = 0;
        while n < max {
            if self.journal.next().map_err(self.err("sd_journal_next"))? == 0 {
                break;
            }
            if let Some(cursor) = self.verify.take() {
                if self.journal.test_cursor(cursor.as_str()).unwrap_or(false) {
                    // The last entry read before the restart.
                    continue;
                }
                tracing::warn!(
                    "{}: the saved position {cursor} is no longer in the journal (vacuumed?); reading on from the nearest entry",
                    self.what
                );
            }
            let time = self
                .journal
                .timestamp_usec()
                .map_err(self.err("sd_journal_get_realtime_usec"))?;
            self.read_fields();
            batch.push(&self.fields, time);
            n += 1;
        }
        if n > 0 {
            batch.cursor = Some(
                self.journal
                    .cursor()
                    .map_err(self.err("sd_journal_get_cursor"))?,
            );
        }
        Ok(n)
    }

    /// The current entry's fields. An item that cannot be read (a corrupt
    /// object) ends the entry with what was read so far.
    fn read_fields(&mut self) {
        self.fields.clear();
        self.journal.restart_data();
        while let Ok(Some(item)) = self.journal.enumerate_data() {
            self.fields.take(item.data());
        }
    }

    /// Waits until the journal changes or `timeout` passes.
    pub fn wait(&mut self, timeout: Duration) -> Result<(), JournalError> {
        self.journal
            .wait(Some(timeout))
            .map(drop)
            .map_err(self.err("sd_journal_wait"))
    }
}
