//! The observer: turns ban requests into bans whose length depends on the
//! address's history (bantime increment), and purges old records. Watching
//! nftables events and self-healing come later (issue 5).

pub mod actor;
pub mod bantime;

use std::net::IpAddr;

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
}
