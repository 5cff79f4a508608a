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
use std::time::Instant;

use actix::Message;

use crate::config::{BanTime, Increment};

/// An address reached maxretry. Sent by a JailActor; no reply.
#[derive(Debug, Clone, PartialEq, Message)]
#[rtype(result = "()")]
pub struct BanRequest {
    pub jail: String,
    pub addr: IpAddr,
    pub failures: u32,
    /// The jail's base ban time.
    pub bantime: BanTime,
    pub increment: Option<Increment>,
    /// When the line that completed the ban was read (ban latency metric).
    pub read_at: Option<Instant>,
}

/// Another process deleted or flushed part of our table (one burst). Sent
/// by the [`watch`] thread; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Tampered(pub watch::Tampering);
