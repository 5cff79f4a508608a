//! The FilterActor: one per jail, on its own arbiter (thread), so that
//! matching uses all cores. It follows the jail's files ([`FileSet`]),
//! woken by inotify on each file and its directory and by a rescan every
//! second (new glob matches, directories that appear later), runs every
//! new line through the [`Matcher`] and sends each failure to the jail.
//! After each read it saves the files' positions through the DbActor and
//! adds the lines read to each file's counter (metrics; once per read).

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use inotify::{EventOwned, Inotify, WatchMask, Watches};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{CompiledFilter, FailureId, Matcher, Outcome};
use crate::db::store::LogPosition;
use crate::db::{LogPositions, SavePositions};
use crate::jail::{FailureFound, Failures};
use crate::metrics::{LineCounter, Metrics};
use crate::source::files::FileSet;

/// Most failures per message to the jail.
const BATCH: usize = 1024;

pub struct FilterActor {
    jail: String,
    files: FileSet,
    matcher: Matcher,
    saved: HashMap<PathBuf, LogPosition>,
    failures: Recipient<Failures>,
    load_positions: Recipient<LogPositions>,
    save_positions: Recipient<SavePositions>,
    watches: Option<Watches>,
    watched: HashSet<PathBuf>,
    line_no: u64,
    /// Failures whose id is not an address (host names are not resolved).
    not_addresses: u64,
    metrics: Arc<Metrics>,
    /// Each file's line counter, labelled with its path.
    lines: HashMap<PathBuf, LineCounter>,
}

impl FilterActor {
    pub fn new(
        jail: String,
        sources: Vec<String>,
        filter: Arc<CompiledFilter>,
        failures: Recipient<Failures>,
        load_positions: Recipient<LogPositions>,
        save_positions: Recipient<SavePositions>,
        metrics: Arc<Metrics>,
    ) -> FilterActor {
        // The jail needs the failure's address, time and attempts, not its
        // captures: the matcher skips copying them.
        let mut matcher = Matcher::new(filter, TimeZone::system(), Timestamp::now());
        matcher.report_captures(false);
        FilterActor {
            jail,
            files: FileSet::new(sources),
            matcher,
            saved: HashMap::new(),
            failures,
            load_positions,
            save_positions,
            watches: None,
            watched: HashSet::new(),
            line_no: 0,
            not_addresses: 0,
            metrics,
            lines: HashMap::new(),
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
    fn rescan(&mut self) {
        let saved = &self.saved;
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
        self.read();
    }

    /// Reads every file's new lines and sends their failures.
    fn read(&mut self) {
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
                    match f.id {
                        FailureId::Addr(addr) => found.push(FailureFound {
                            addr,
                            time: f.time.as_second(),
                            attempts: f.attempts,
                            read_at,
                        }),
                        _ => *not_addresses += 1,
                    }
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
            self.save_positions.do_send(SavePositions {
                jail: self.jail.clone(),
                positions,
            });
        }
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
            self.load_positions
                .send(query)
                .into_actor(self)
                .map(|saved, act, _| {
                    act.saved = saved.unwrap_or_default();
                    act.rescan();
                }),
        );
        ctx.run_interval(Duration::from_secs(1), |act, _| act.rescan());
    }
}

impl StreamHandler<io::Result<EventOwned>> for FilterActor {
    fn handle(&mut self, event: io::Result<EventOwned>, _: &mut Context<Self>) {
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
                self.rescan()
            }
            Ok(_) => self.read(),
            Err(e) => tracing::warn!("jail {}: inotify: {e}", self.jail),
        }
    }

    fn finished(&mut self, _: &mut Context<Self>) {
        // The stream ended (inotify error): the interval rescan goes on.
    }
}
