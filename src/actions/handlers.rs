//! The ActionsActor's handlers that need neither its batch nor its timers:
//! the fleet's and the jails' batches (bans taken from other nodes, and a
//! batch of log lines' bans, go into the kernel at once, with a reply once
//! they are there; where every ban and unban the kernel took is reported), the listing and the monitor's subscription.

use actix::prelude::*;

use super::actor::ActionsActor;
use super::{ApplyRemote, BanBatch, ListBans, ReportTo, Watched};
use crate::cluster::{Applied, Decided};
use crate::nft::{Element, NftError};

impl ActionsActor {
    /// Tells the fleet of the bans and unbans the kernel took.
    pub(super) fn report(&self, applied: Vec<Applied>) {
        if let Some(fleet) = self.decided.as_ref().filter(|_| !applied.is_empty()) {
            fleet.do_send(Decided(applied));
        }
    }
}

impl Handler<ApplyRemote> for ActionsActor {
    type Result = ();

    fn handle(&mut self, msg: ApplyRemote, _: &mut Context<Self>) {
        // In this handler, not at the next tick: the reply tells the
        // ClusterActor the kernel holds them, so it may acknowledge.
        self.pending.extend(msg.0);
        self.flush();
    }
}

impl Handler<BanBatch> for ActionsActor {
    type Result = ();

    fn handle(&mut self, msg: BanBatch, _: &mut Context<Self>) {
        // In this handler, as for the fleet's: the reply tells the jail
        // the kernel holds them, so its reader may save the position.
        self.pending.extend(msg.0);
        self.flush();
    }
}

impl Handler<ReportTo> for ActionsActor {
    type Result = ();

    fn handle(&mut self, msg: ReportTo, _: &mut Context<Self>) {
        self.decided = Some(msg.0);
    }
}

impl Handler<ListBans> for ActionsActor {
    type Result = Result<Vec<Element>, NftError>;

    fn handle(&mut self, msg: ListBans, _: &mut Context<Self>) -> Self::Result {
        let listed = self.kernel.listed(&self.banner, msg.jail.as_deref());
        listed.map_err(|e| self.failed(e))
    }
}

impl Handler<Watched> for ActionsActor {
    type Result = ();

    fn handle(&mut self, msg: Watched, _: &mut Context<Self>) {
        self.kernel.watch(msg.0);
    }
}
