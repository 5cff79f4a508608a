//! The host's own addresses: bans of `ignoreself` jails that hold one of
//! them are lifted, so that the host never locks itself out (at start, for
//! bans restored from before an address became ours, and whenever the
//! address watcher reports new ones).

use std::net::IpAddr;

use actix::prelude::*;

use crate::actions::Unban;

/// Lifts the bans that `jails` (the `ignoreself` ones) hold of `addrs`;
/// nothing to do when either is empty.
pub fn lift_own_bans(actions: Recipient<Unban>, jails: Vec<String>, addrs: Vec<IpAddr>) {
    if addrs.is_empty() || jails.is_empty() {
        return;
    }
    actix::spawn(async move {
        let error = match actions.send(Unban::Own { jails, addrs }).await {
            Ok(Ok(_)) => return,
            Ok(Err(e)) => crate::error_chain(&e),
            Err(e) => format!("internal error: {e}"),
        };
        tracing::error!("cannot lift the bans of this host's addresses: {error}");
    });
}
