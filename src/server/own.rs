//! The host's own addresses changed (the address watcher,
//! [`crate::observer::hostwatch`]): every jail gets the new set, and bans
//! of `ignoreself` jails that hold a new address are lifted, so that the
//! host never locks itself out (at start too, for bans restored from
//! before an address became ours).

use std::net::IpAddr;

use actix::prelude::*;

use super::actor::{ServerActor, flatten};
use crate::actions::Unban;
use crate::hostaddr::HostAddresses;
use crate::jail::SetOwnAddresses;

impl Handler<HostAddresses> for ServerActor {
    type Result = ();

    fn handle(&mut self, msg: HostAddresses, _: &mut Context<Self>) {
        self.own = msg.own;
        for jail in self.jails.values() {
            jail.addr.do_send(SetOwnAddresses(self.own.clone()));
        }
        // Logged after the jails were told: failures read from now on
        // queue behind the new set.
        for a in &msg.added {
            tracing::debug!("host address {a} added: jails with ignoreself never ban it");
        }
        for a in &msg.removed {
            tracing::debug!("host address {a} removed: it may be banned again");
        }
        self.lift_own_bans(msg.added);
    }
}

impl ServerActor {
    /// Lifts the bans of `ignoreself` jails that hold one of `addrs`: at
    /// start (bans restored from before an address became ours) and when
    /// addresses are added.
    pub(super) fn lift_own_bans(&self, addrs: Vec<IpAddr>) {
        let jails: Vec<String> = (self.jails.iter())
            .filter(|(_, j)| j.config.settings.ignoreself)
            .map(|(name, _)| name.clone())
            .collect();
        if addrs.is_empty() || jails.is_empty() {
            return;
        }
        let actions = self.actions.clone();
        actix::spawn(async move {
            if let Err(e) = flatten(actions.send(Unban::Own { jails, addrs }).await) {
                tracing::error!("cannot lift the bans of this host's addresses: {e}");
            }
        });
    }
}
