//! Notifications: programs run when a jail bans or unbans an address
//! (`notify` blocks in the configuration). Never a firewall path: the ban is
//! in the kernel before its notification is even queued.
//!
//! The NotifyActor runs on its own arbiter, so spawning and reaping never
//! takes time from the ActionsActor. Each argument is a [`Template`]
//! rendered on its own: a tag's value is one argument, or part of one,
//! whatever it contains, and no shell is involved. At most
//! [`MAX_RUNNING`] processes run at once; events beyond are dropped and
//! counted, and failures past the first few per period are counted too,
//! each period ending in one summary line.

pub mod actor;
pub mod command;
pub mod runner;

use crate::network::Network;
use std::collections::HashMap;

use actix::Message;

pub use actor::NotifyActor;
pub use command::{Event, NotifyAction, Tag, Template, Values};

use crate::time::BanTime;

/// Processes running at once, over all jails.
pub const MAX_RUNNING: usize = 32;

/// An address was banned or unbanned. Sent by the ActionsActor once the
/// kernel holds the ban (or no longer holds it); no reply.
#[derive(Debug, Clone, PartialEq, Message)]
#[rtype(result = "()")]
pub struct Notify {
    pub event: Event,
    pub jail: String,
    /// The address, or the network (`192.0.2.0/24`) banned by hand.
    pub addr: Network,
    /// For a ban: its length and the failures that caused it.
    pub ban: Option<(BanTime, u32)>,
    /// Unix seconds.
    pub time: u64,
}

impl Notify {
    /// The tag values; only validated data goes in (an address or network, a jail
    /// name from the configuration, numbers).
    pub fn values(&self) -> Values {
        Values {
            ip: self.addr.to_string(),
            jail: self.jail.clone(),
            bantime: self.ban.map(|b| b.0.to_string()).unwrap_or_default(),
            failures: self.ban.map(|b| b.1.to_string()).unwrap_or_default(),
            event: self.event.to_string(),
            time: self.time.to_string(),
        }
    }
}

/// A process ended. Sent by the NotifyActor to itself from the task that
/// ran it; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct Finished {
    pub action: std::sync::Arc<NotifyAction>,
    pub jail: String,
    pub outcome: runner::Outcome,
}

/// Replace the notification actions, per jail name. Sent by the ServerActor
/// at start and on reload; no reply.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct SetNotifications(pub HashMap<String, Vec<NotifyAction>>);
