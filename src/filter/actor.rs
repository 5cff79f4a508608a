//! The FilterActor: one per jail, on its own arbiter (thread), so that
//! matching uses all cores. It follows the jail's files ([`FileSet`]),
//! woken by inotify on each file and its directory and by a rescan every
//! second (new glob matches, directories that appear later), runs every
//! new line through the [`Matcher`] and sends each failure to the jail.
//! After each read it saves the files' positions through the DbActor and
//! adds the lines read to each file's counter (metrics; once per read). A
//! read stops after [`crate::source::tail::READ_STEP`] per file and the next one is queued, so
//! positions are saved at least that often however fast lines come.
//!
//! Each journal source has a thread of its own ([`super::journal`]) that
//! sends [`JournalEntries`]; they go through a matcher of their own, built
//! for the journal log type, with each entry's time, and the cursor of the
//! last entry is saved after each batch (and its entries counted).

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use inotify::{EventOwned, Inotify, WatchMask, Watches};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{CompiledFilter, Failure, FailureId, JournalEntries, Matcher, Outcome};
use crate::db::store::LogPosition;
use crate::db::{JournalCursors, LogPositions, SaveCursor, SavePositions};
use crate::jail::{FailureFound, Failures};
use crate::metrics::{LineCounter, Metrics};
use crate::source::files::FileSet;
use crate::source::journal::{JournalSpec, Start};

/// Most failures per message to the jail.
const BATCH: usize = 1024;

/// What a jail reads and the filters to read it with.
pub struct JailInput {
    /// File paths and globs, read with `file_filter`.
    pub files: Vec<String>,
    pub file_filter: Arc<CompiledFilter>,
    /// Journal sources, read with `journal_filter` (the journal log type).
    pub journals: Vec<JournalSpec>,
    pub journal_filter: Option<Arc<CompiledFilter>>,
}

/// Where the FilterActor loads and saves its read positions (the DbActor).
pub struct PositionStore {
    pub load_positions: Recipient<LogPositions>,
    pub save_positions: Recipient<SavePositions>,
    pub load_cursors: Recipient<JournalCursors>,
    pub save_cursor: Recipient<SaveCursor>,
}

/// A journal source as the actor sees it.
struct JournalInput {
    spec: JournalSpec,
    matcher: Matcher,
    /// Entries read (metrics), labelled with the source's description.
    lines: LineCounter,
}

pub struct FilterActor {
    jail: String,
    files: FileSet,
    matcher: Matcher,
    journals: Vec<JournalInput>,
    /// Saved positions by path; `None` until the DbActor replied (no file
    /// is opened before that, or it would be read from its start).
    saved: Option<HashMap<PathBuf, LogPosition>>,
    failures: Recipient<Failures>,
    store: PositionStore,
    watches: Option<Watches>,
    watched: HashSet<PathBuf>,
    line_no: u64,
    /// Failures whose id is not an address (host names are not resolved).
    not_addresses: u64,
    metrics: Arc<Metrics>,
    /// Each file's line counter, labelled with its path.
    lines: HashMap<PathBuf, LineCounter>,
    /// A read is queued to go on where the last one stopped.
    read_queued: bool,
}

/// A matcher for the daemon: the jail needs the failure's address, time
/// and attempts, not its captures, so the matcher skips copying them.
fn matcher(filter: Arc<CompiledFilter>) -> Matcher {
    let mut matcher = Matcher::new(filter, TimeZone::system(), Timestamp::now());
    matcher.report_captures(false);
    matcher
}

/// Adds a failure to `found`, or counts it when its id is not an address.
fn collect(
    failure: Failure,
    read_at: Instant,
    found: &mut Vec<FailureFound>,
    not_addresses: &mut u64,
) {
    match failure.id {
        FailureId::Addr(addr) => found.push(FailureFound {
            addr,
            time: failure.time.as_second(),
            attempts: failure.attempts,
            read_at,
        }),
        _ => *not_addresses += 1,
    }
}

impl FilterActor {
    pub fn new(
        jail: String,
        input: JailInput,
        failures: Recipient<Failures>,
        store: PositionStore,
        metrics: Arc<Metrics>,
    ) -> FilterActor {
        let journals = match &input.journal_filter {
            Some(filter) => input
                .journals
                .into_iter()
                .map(|spec| JournalInput {
                    lines: metrics.source(&spec.describe()),
                    spec,
                    matcher: matcher(filter.clone()),
                })
                .collect(),
            None => Vec::new(),
        };
        FilterActor {
            jail,
            files: FileSet::new(input.files),
            matcher: matcher(input.file_filter),
            journals,
            saved: None,
            failures,
            store,
            watches: None,
            watched: HashSet::new(),
            line_no: 0,
            not_addresses: 0,
            metrics,
            lines: HashMap::new(),
            read_queued: false,
        }
    }

    /// Starts a thread per journal source, each after its saved cursor,
    /// or at the journal's tail the first time.
    fn start_journals(&self, mut cursors: HashMap<String, String>, me: Recipient<JournalEntries>) {
        for (i, input) in self.journals.iter().enumerate() {
            let start = match cursors.remove(&input.spec.cursor_key()) {
                Some(cursor) => Start::Cursor(cursor),
                None => Start::Tail,
            };
            let spawned =
                super::journal::spawn(&self.jail, i, input.spec.clone(), start, me.clone());
            if let Err(e) = spawned {
                tracing::error!(
                    "jail {}: cannot start a thread for {}: {e}",
                    self.jail,
                    input.spec.describe()
                );
            }
        }
    }

    fn watch(&mut self, path: PathBuf, mask: WatchMask) {
        let Some(watches) = self.watches.as_mut() else {
            return;
        };
        // Re-adding is cheap and follows a path to its new inode.
        match watches.add(&path, mask) {
            Ok(_) => {
                self.watched.insert(path);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                if self.watched.insert(path.clone()) {
                    tracing::warn!(
                        "jail {}: cannot watch {}: {e} (rescanning every second instead)",
                        self.jail,
                        path.display()
                    );
                }
            }
        }
    }

    /// Picks up new files, refreshes watches, reads everything new.
    fn rescan(&mut self, ctx: &mut Context<Self>) {
        let Some(saved) = &self.saved else {
            return;
        };
        self.files.rescan(&|p| saved.get(p).cloned());
        for dir in self.files.directories() {
            self.watch(
                dir,
                WatchMask::CREATE
                    | WatchMask::MOVED_TO
                    | WatchMask::MOVED_FROM
                    | WatchMask::DELETE
                    | WatchMask::MODIFY,
            );
        }
        let paths: Vec<PathBuf> = self.files.tails().map(|t| t.path().to_path_buf()).collect();
        for path in paths {
            self.watch(
                path,
                WatchMask::MODIFY
                    | WatchMask::ATTRIB
                    | WatchMask::MOVE_SELF
                    | WatchMask::DELETE_SELF,
            );
        }
        self.read(ctx);
    }

    /// Reads every file's new lines (at most [`crate::source::tail::READ_STEP`] each, then
    /// saves the positions and queues the next step) and sends their failures.
    fn read(&mut self, ctx: &mut Context<Self>) {
        if self.read_step() && !self.read_queued {
            self.read_queued = true;
            ctx.run_later(Duration::ZERO, |act, ctx| {
                act.read_queued = false;
                act.read(ctx);
            });
        }
    }

    /// One read of every file; whether one of them has more to read.
    fn read_step(&mut self) -> bool {
        let now = Timestamp::now();
        let FilterActor {
            files,
            matcher,
            failures,
            line_no,
            not_addresses,
            jail,
            metrics,
            lines,
            ..
        } = self;
        let mut positions = Vec::new();
        let mut found = Vec::new();
        for tail in files.tails_mut() {
            let read_at = Instant::now();
            let result = tail.poll(&mut |line| {
                *line_no += 1;
                if let Outcome::Failure(f) = matcher.process(*line_no, line, now) {
                    collect(f, read_at, &mut found, not_addresses);
                    // A burst goes out in parts, so the jail starts early.
                    if found.len() >= BATCH {
                        failures.do_send(Failures(std::mem::take(&mut found)));
                    }
                }
            });
            match result {
                Ok(0) => {}
                Ok(n) => {
                    let path = tail.path();
                    match lines.get(path) {
                        Some(counter) => counter.add(n),
                        None => {
                            let counter = metrics.source(&path.to_string_lossy());
                            counter.add(n);
                            lines.insert(path.to_path_buf(), counter);
                        }
                    }
                    positions.extend(tail.position().map(|p| (path.to_path_buf(), p)));
                }
                Err(e) => tracing::warn!("jail {jail}: cannot read {}: {e}", tail.path().display()),
            }
        }
        if !found.is_empty() {
            failures.do_send(Failures(found));
        }
        if !positions.is_empty() {
            self.store.save_positions.do_send(SavePositions {
                jail: self.jail.clone(),
                positions,
            });
        }
        self.files.tails().any(|t| t.has_more())
    }
}

impl Actor for FilterActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        match Inotify::init() {
            Ok(inotify) => match inotify.into_event_stream(vec![0u8; 16 * 1024]) {
                Ok(stream) => {
                    self.watches = Some(stream.watches());
                    ctx.add_stream(stream);
                }
                Err(e) => {
                    tracing::warn!("jail {}: inotify: {e}; rescanning every second", self.jail)
                }
            },
            Err(e) => tracing::warn!("jail {}: inotify: {e}; rescanning every second", self.jail),
        }
        let query = LogPositions {
            jail: self.jail.clone(),
        };
        ctx.wait(
            self.store
                .load_positions
                .send(query)
                .into_actor(self)
                .map(|saved, act, ctx| {
                    act.saved = Some(saved.unwrap_or_default());
                    act.rescan(ctx);
                }),
        );
        if !self.journals.is_empty() {
            let query = JournalCursors {
                jail: self.jail.clone(),
            };
            ctx.wait(self.store.load_cursors.send(query).into_actor(self).map(
                |cursors, act, ctx| {
                    act.start_journals(cursors.unwrap_or_default(), ctx.address().recipient())
                },
            ));
        }
        ctx.run_interval(Duration::from_secs(1), |act, ctx| act.rescan(ctx));
    }
}

impl Handler<JournalEntries> for FilterActor {
    type Result = ();

    fn handle(&mut self, msg: JournalEntries, _: &mut Context<Self>) {
        let Some(input) = self.journals.get_mut(msg.source) else {
            return;
        };
        input.lines.add(msg.batch.len() as u64);
        let mut found = Vec::new();
        for (line, time_us) in msg.batch.iter() {
            self.line_no += 1;
            let time =
                Timestamp::from_microsecond(time_us as i64).unwrap_or_else(|_| Timestamp::now());
            if let Outcome::Failure(f) = input.matcher.process(self.line_no, line, time) {
                collect(f, msg.read_at, &mut found, &mut self.not_addresses);
                if found.len() >= BATCH {
                    self.failures.do_send(Failures(std::mem::take(&mut found)));
                }
            }
        }
        if !found.is_empty() {
            self.failures.do_send(Failures(found));
        }
        if let Some(cursor) = msg.batch.cursor {
            self.store.save_cursor.do_send(SaveCursor {
                jail: self.jail.clone(),
                source: input.spec.cursor_key(),
                cursor,
            });
        }
    }
}

impl StreamHandler<io::Result<EventOwned>> for FilterActor {
    fn handle(&mut self, event: io::Result<EventOwned>, ctx: &mut Context<Self>) {
        use inotify::EventMask;
        match event {
            Ok(e)
                if e.mask.intersects(
                    EventMask::CREATE
                        | EventMask::MOVED_TO
                        | EventMask::MOVE_SELF
                        | EventMask::DELETE_SELF,
                ) =>
            {
                self.rescan(ctx)
            }
            Ok(_) => self.read(ctx),
            Err(e) => tracing::warn!("jail {}: inotify: {e}", self.jail),
        }
    }

    fn finished(&mut self, _: &mut Context<Self>) {
        // The stream ended (inotify error): the interval rescan goes on.
    }
}
