//! The ActionsActor: a shell around the [`Banner`] (decisions) and the
//! [`Kernel`] (their execution over netlink). It keeps the mailbox (tickets
//! arriving in one tick go out in one transaction), the timers (expiries,
//! group commits) and the recipients the [`Effects`] go to.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;

use super::banner::{Banner, Effects};
use super::kernel::{Flushed, Kernel};
use super::{BanTicket, Flush, GROUP_COMMIT, HandOver, Repair, Restore, Setup, Unban};

use crate::cluster::Decided;
use crate::db::{RecordBans, RemoveBans};
use crate::metrics::Metrics;
use crate::nft::{Nft, NftConfig, NftError};
use crate::notify::Notify;
use crate::time::UnixMs;

pub struct ActionsActor {
    pub(super) banner: Banner,
    pub(super) kernel: Kernel,
    pub(super) pending: Vec<BanTicket>,
    flush_scheduled: bool,
    record: Recipient<RecordBans>,
    remove: Recipient<RemoveBans>,
    notify: Recipient<Notify>,
    /// The ClusterActor, with a fleet ([`super::ReportTo`]).
    pub(super) decided: Option<Recipient<Decided>>,
}

impl ActionsActor {
    /// `nft` must already be set up with `config`.
    pub fn new(
        nft: Nft,
        config: NftConfig,
        record: Recipient<RecordBans>,
        remove: Recipient<RemoveBans>,
        notify: Recipient<Notify>,
        metrics: Arc<Metrics>,
    ) -> Self {
        ActionsActor {
            banner: Banner::new(config, metrics),
            kernel: Kernel::new(nft),
            pending: Vec::new(),
            flush_scheduled: false,
            record,
            remove,
            notify,
            decided: None,
        }
    }

    /// Counts a netlink error for the metrics and hands it on.
    pub(super) fn failed(&self, e: NftError) -> NftError {
        self.banner.netlink_error();
        e
    }

    /// Hands the ban records gathered since the last one to the database
    /// in one group commit (every [`GROUP_COMMIT`]).
    fn record(&mut self) {
        let records = self.banner.take_records();
        if !records.is_empty() {
            self.record.do_send(RecordBans(records));
        }
    }

    /// Logs, notifies, tells the fleet and (for lifted bans) removes the
    /// records.
    fn hand_out(&mut self, effects: Effects) {
        crate::logging::notices(&effects.notices);
        self.report(effects.applied);
        for n in effects.notify {
            self.notify.do_send(n);
        }
        if !effects.removed.is_empty() {
            // Records still waiting for their group commit go first: the
            // removal must not be overtaken by the record it removes, and
            // the history a re-ban looks up must count this ban.
            self.record();
            self.remove.do_send(RemoveBans(effects.removed));
        }
    }

    /// Sends every pending ban in one transaction.
    pub(super) fn flush(&mut self) {
        self.flush_scheduled = false;
        let tickets = std::mem::take(&mut self.pending);
        match (self.kernel).flush(&mut self.banner, tickets, UnixMs::now()) {
            Flushed::Nothing => return,
            Flushed::Banned { batch, notices } => {
                // The log follows the kernel first; the rest after.
                notices.write();
                let effects = self.banner.banned(batch, UnixMs::now());
                self.hand_out(effects);
            }
            Flushed::Failed(e) => tracing::error!("{}", crate::error_chain(&self.failed(e))),
        }
        self.kernel.settle(&mut self.banner);
    }
}

impl Actor for ActionsActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(Duration::from_millis(500), |act, _| {
            let effects = act.banner.expire(UnixMs::now());
            act.hand_out(effects);
        });
        ctx.run_interval(GROUP_COMMIT, |act, _| act.record());
    }

    fn stopping(&mut self, _: &mut Context<Self>) -> Running {
        self.record();
        Running::Stop
    }
}

impl Handler<BanTicket> for ActionsActor {
    type Result = ();

    fn handle(&mut self, ticket: BanTicket, ctx: &mut Context<Self>) {
        self.pending.push(ticket);
        if !self.flush_scheduled {
            self.flush_scheduled = true;
            // Everything already in the mailbox joins this batch.
            ctx.notify(Flush);
        }
    }
}

impl Handler<Flush> for ActionsActor {
    type Result = ();

    fn handle(&mut self, _: Flush, _: &mut Context<Self>) {
        self.flush();
    }
}

impl Handler<HandOver> for ActionsActor {
    type Result = ();

    fn handle(&mut self, _: HandOver, _: &mut Context<Self>) {
        // The tickets still in the mailbox came before: they are pending.
        self.flush();
        self.record();
    }
}

impl Handler<Unban> for ActionsActor {
    type Result = Result<usize, NftError>;

    fn handle(&mut self, msg: Unban, _: &mut Context<Self>) -> Self::Result {
        match (self.kernel).lift(&mut self.banner, msg, UnixMs::now()) {
            Ok(effects) => {
                let n = effects.removed.len();
                self.hand_out(effects);
                Ok(n)
            }
            Err(e) => Err(self.failed(e)),
        }
    }
}

impl Handler<Setup> for ActionsActor {
    type Result = Result<(), NftError>;

    fn handle(&mut self, msg: Setup, _: &mut Context<Self>) -> Self::Result {
        self.banner.setup(msg.0);
        let rebuilt = self.kernel.refill(&mut self.banner, UnixMs::now());
        rebuilt.map(|_| ()).map_err(|e| self.failed(e))
    }
}

impl Handler<Restore> for ActionsActor {
    type Result = Result<usize, NftError>;

    fn handle(&mut self, msg: Restore, _: &mut Context<Self>) -> Self::Result {
        let now = UnixMs::now();
        self.banner.restore(&msg.0, now);
        let rebuilt = self.kernel.refill(&mut self.banner, now);
        rebuilt.map_err(|e| self.failed(e))
    }
}

impl Handler<Repair> for ActionsActor {
    type Result = Result<Option<usize>, NftError>;

    fn handle(&mut self, msg: Repair, _: &mut Context<Self>) -> Self::Result {
        let now = UnixMs::now();
        let repaired =
            (self.kernel).repair(&mut self.banner, msg.only_if_damaged, msg.generation, now);
        repaired.map_err(|e| self.failed(e))
    }
}
