//! The observer: turns ban requests into bans whose length depends on the
//! address's history (bantime increment), purges old records, and heals our
//! table: [`watch`] follows the nftables notifications on a thread of its
//! own and reports other processes' deletions as [`Tampered`]; the actor
//! has the ActionsActor rebuild the table and put every ban back.
//! [`hostwatch`] follows the host's own addresses over rtnetlink, so that
//! jails never ban them, also after they change.

pub mod actor;
pub mod bantime;
pub mod hostwatch;
pub mod watch;

use std::net::IpAddr;

use actix::Message;

use crate::actions::BanTicket;
use crate::config::{BanTime, Increment};

/// An address reached maxretry: the ban as its jail sees it, with the
/// jail's base ban time, which the increment may lengthen.
#[derive(Debug, Clone, PartialEq)]
pub struct BanRequest {
    /// The ban; `bantime` is the jail's base ban time until the increment.
    pub ticket: BanTicket,
    pub increment: Option<Increment>,
}

impl BanRequest {
    /// A jail's ban of `addr` after `failures`; `read_at` (when the line
    /// that completed it was read) is set by the actor.
    pub fn new(
        jail: String,
        addr: IpAddr,
        failures: u32,
        bantime: BanTime,
        increment: Option<Increment>,
    ) -> BanRequest {
        BanRequest {
            ticket: BanTicket {
                jail,
                addr: addr.into(),
                bantime,
                failures,
                read_at: None,
                replace: false,
                provenance: crate::cluster::Provenance::Local,
            },
            increment,
        }
    }
}

/// The bans of one batch of a jail's failures. Sent by a JailActor;
/// replies once the kernel holds them (or refused them), so the jail can
/// confirm the batch to its reader.
#[derive(Debug, Clone, PartialEq, Message)]
#[rtype(result = "()")]
pub struct BanRequests(pub Vec<BanRequest>);

/// Another process deleted or flushed part of our table (one burst). Sent
/// by the [`watch`] thread; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Tampered(pub watch::Tampering);
