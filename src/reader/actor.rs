//! The ReaderActor: a shell around [`Reader`], one per jail on an arbiter
//! of its own. It loads the saved positions before any file is opened,
//! watches the files with inotify and rescans every second (new glob
//! matches, directories that appear later), reads on each event, and sends
//! what [`Reader`] hands out: failures to the jail, positions and cursors
//! to the DbActor, the latter only once the jail replied that the bans of
//! the batches sent before are in the kernel ([`super::held`]). A read
//! stops after [`crate::source::tail::READ_STEP`] per file and the next
//! one is queued, so positions are saved at least that often however fast
//! lines come. Each journal source has a thread of its own
//! ([`super::journal`]) that sends [`JournalEntries`]; their handlers, and
//! pausing, are in [`super::pause`].

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use inotify::{EventOwned, Inotify};
use jiff::tz::TimeZone;

use super::JournalEntries;
use super::journal::{ActorSink, HeldBatches};
use super::state::{JailInput, Reader};
use crate::db::{JournalCursors, LogPositions, SaveCursor, SavePositions};
use crate::jail::Failures;
use crate::metrics::Metrics;
use crate::source::journal::follow;
use crate::source::watch::{FileWatches, wants_rescan};
use crate::time::UnixMs;

/// Where the ReaderActor loads and saves its read positions (the DbActor).
pub struct PositionStore {
    pub load_positions: Recipient<LogPositions>,
    pub save_positions: Recipient<SavePositions>,
    pub load_cursors: Recipient<JournalCursors>,
    pub save_cursor: Recipient<SaveCursor>,
}

/// The jail's reply to a batch of failures: its bans are in the kernel.
pub(super) type Sent = actix::dev::RecipientRequest<Failures>;

pub struct ReaderActor {
    pub(super) reader: Reader,
    pub(super) failures: Recipient<Failures>,
    pub(super) store: PositionStore,
    watches: FileWatches,
    /// A read is queued to go on where the last one stopped.
    read_queued: bool,
    /// Journal batches that came while paused.
    pub(super) held: HeldBatches,
    /// Replies to [`super::Drain`], sent once nothing is unconfirmed.
    pub(super) drained: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl ReaderActor {
    pub fn new(
        jail: String,
        input: JailInput,
        failures: Recipient<Failures>,
        store: PositionStore,
        metrics: Arc<Metrics>,
    ) -> ReaderActor {
        let watches = FileWatches::new(None, format!("jail {jail}"));
        let reader = Reader::new(jail, input, metrics, TimeZone::system(), UnixMs::now());
        ReaderActor {
            reader,
            failures,
            store,
            watches,
            read_queued: false,
            held: HeldBatches::default(),
            drained: Vec::new(),
        }
    }

    /// Starts paused: a paused jail restarted by a reload stays paused.
    pub fn paused(mut self, paused: bool) -> ReaderActor {
        self.reader.set_paused(paused);
        self
    }

    /// Saves the positions and cursors batch `number`'s reply releases
    /// once it comes. A jail that stopped replies nothing: its lines are
    /// read again after the restart.
    pub(super) fn confirm_later(&mut self, sent: Vec<(u64, Sent)>, ctx: &mut Context<Self>) {
        for (number, reply) in sent {
            ctx.spawn(reply.into_actor(self).map(move |reply, act, _| {
                if reply.is_ok() {
                    act.reader
                        .confirmed(number)
                        .into_iter()
                        .for_each(|s| act.save(s));
                    act.answer_drained();
                }
            }));
        }
    }

    /// Starts a thread per journal source, each after its saved cursor,
    /// or at the journal's tail the first time.
    fn start_journals(&self, cursors: HashMap<String, String>, me: Recipient<JournalEntries>) {
        let jail = self.reader.jail();
        for start in self.reader.journal_starts(cursors) {
            let what = start.spec.describe();
            let spawned = ActorSink::new(start.source, me.clone()).and_then(|sink| {
                let name = format!("journal-{}", start.source);
                follow::spawn(name, format!("jail {jail}"), start.spec, start.start, sink)
            });
            if let Err(e) = spawned {
                tracing::error!("jail {jail}: cannot start a thread for {what}: {e}");
            }
        }
    }

    /// Picks up new files, refreshes watches, reads everything new.
    pub(super) fn rescan(&mut self, ctx: &mut Context<Self>) {
        if self.reader.rescan() {
            self.watches.follow(self.reader.files());
            self.read(ctx);
        }
    }

    /// Reads every file's new lines (at most [`crate::source::tail::READ_STEP`]
    /// each, then saves the positions and queues the next step).
    fn read(&mut self, ctx: &mut Context<Self>) {
        let (failures, mut sent) = (&self.failures, Vec::new());
        let outcome = (self.reader).read(UnixMs::now(), &mut |number, batch| {
            sent.push((number, failures.send(Failures(batch))));
        });
        self.confirm_later(sent, ctx);
        outcome.save.into_iter().for_each(|save| self.save(save));
        if outcome.more && !self.read_queued {
            self.read_queued = true;
            ctx.run_later(Duration::ZERO, |act, ctx| {
                act.read_queued = false;
                act.read(ctx);
            });
        }
    }

    /// Watches with inotify, if it can; the rescan every second goes on.
    fn start_inotify(&mut self, ctx: &mut Context<Self>) {
        let stream = Inotify::init().and_then(|i| i.into_event_stream(vec![0u8; 16 * 1024]));
        match stream {
            Ok(stream) => {
                let what = format!("jail {}", self.reader.jail());
                self.watches = FileWatches::new(Some(stream.watches()), what);
                ctx.add_stream(stream);
            }
            Err(e) => {
                let jail = self.reader.jail();
                tracing::warn!("jail {jail}: inotify: {e}; rescanning every second")
            }
        }
    }
}

impl Actor for ReaderActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.start_inotify(ctx);
        let jail = self.reader.jail().to_string();
        let query = LogPositions { jail: jail.clone() };
        let loaded = self.store.load_positions.send(query).into_actor(self);
        ctx.wait(loaded.map(|saved, act, ctx| {
            act.reader.positions_loaded(saved.unwrap_or_default());
            act.rescan(ctx);
        }));
        if self.reader.has_journals() {
            let cursors = self.store.load_cursors.send(JournalCursors { jail });
            ctx.wait(cursors.into_actor(self).map(|cursors, act, ctx| {
                act.start_journals(cursors.unwrap_or_default(), ctx.address().recipient())
            }));
        }
        ctx.run_interval(Duration::from_secs(1), |act, ctx| act.rescan(ctx));
    }
}

impl StreamHandler<io::Result<EventOwned>> for ReaderActor {
    fn handle(&mut self, event: io::Result<EventOwned>, ctx: &mut Context<Self>) {
        match event {
            Ok(e) if wants_rescan(e.mask) => self.rescan(ctx),
            Ok(_) => self.read(ctx),
            Err(e) => tracing::warn!("jail {}: inotify: {e}", self.reader.jail()),
        }
    }

    fn finished(&mut self, _: &mut Context<Self>) {
        // The stream ended (inotify error): the interval rescan goes on.
    }
}
