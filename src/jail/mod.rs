//! Jails: failures in, ban requests out. [`Jail`] holds the logic (ignore
//! list, failure window, counters, runtime settings); [`actor::JailActor`]
//! is its shell.

pub mod actor;
pub mod ignore;
pub mod state;
pub mod window;

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use actix::Message;

pub use state::{Jail, JailStats, SettingError};

use crate::time::UnixMs;

/// Failures found in one read of a jail's logs, in log order. Sent by the
/// ReaderActor (one message per batch of up to 1,024, not per line);
/// replies once the bans they made are in the kernel (through the
/// observer and the actions), so the reader saves the position past their
/// lines only then.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Failures(pub Vec<FailureFound>);

/// A failure found in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureFound {
    pub addr: IpAddr,
    /// From the log line (or the journal entry).
    pub time: UnixMs,
    /// Failures this counts for (multi-line filters merge several).
    pub attempts: u32,
    /// When the line was read, for the ban latency metric.
    pub read_at: Instant,
}

/// Counters for `status`. Sent by the ServerActor; replies [`JailStats`].
#[derive(Debug, Message)]
#[rtype(result = "JailStats")]
pub struct GetStats;

/// Reads a runtime setting (`maxretry`, `findtime`, `bantime`, `ignore`).
/// Sent by the ServerActor; replies its value or an error message.
#[derive(Debug, Message)]
#[rtype(result = "Result<String, SettingError>")]
pub struct GetSetting {
    pub key: String,
}

/// Changes a runtime setting until the next reload. Sent by the
/// ServerActor; replies the new value or an error message.
#[derive(Debug, Message)]
#[rtype(result = "Result<String, SettingError>")]
pub struct SetSetting {
    pub key: String,
    pub value: String,
}

/// Bans other nodes of the fleet decided, in this jail, all at once (one
/// message per jail and batch, not per ban): for each address or network in order,
/// what to ban, or `None` when this jail ignores it (its `ignore`
/// list, `ignoreself`, the host's own addresses). Sent by the ClusterActor.
#[derive(Debug, Message)]
#[rtype(result = "Vec<Option<crate::nft::Network>>")]
pub struct RemoteBans(pub Vec<crate::nft::Network>);

/// Forget the failures of an address (it was unbanned by hand). Sent by the
/// ServerActor; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Forget {
    pub addr: IpAddr,
}

/// The host's own addresses changed; `ignoreself` jails never ban these.
/// Sent by the ServerActor; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SetOwnAddresses(pub Arc<HashSet<IpAddr>>);
