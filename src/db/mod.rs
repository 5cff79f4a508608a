//! The database: [`store::Store`] (LMDB through heed) and the DbActor that
//! owns it on a SyncArbiter, so that writes never block the event loop.
//! The durability rule (what a crash may lose) is in [`actor`]'s doc.

pub mod actor;
pub mod grow;
pub mod store;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use actix::Message;

pub use actor::DbActor;
use store::{HistoryRecord, StoredBan};

use crate::source::LogPosition;

/// Record bans (and count them in the history): one group commit. Sent by
/// the ActionsActor every [`crate::actions::GROUP_COMMIT`]; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RecordBans(pub Vec<StoredBan>);

/// Remove ban records (unbans, expiries). Sent by the ActionsActor; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RemoveBans(pub Vec<(String, IpAddr)>);

/// Earlier bans of an address, in one jail or (`None`) across jails. Sent
/// by the ObserverActor; replies the record (zero when unknown or on error).
#[derive(Debug, Message)]
#[rtype(result = "HistoryRecord")]
pub struct History {
    pub jail: Option<String>,
    pub addr: IpAddr,
}

/// Every ban still running now. Sent by the ServerActor at start; replies
/// the bans, or an error message.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<StoredBan>, String>")]
pub struct ActiveBans;

/// A jail's saved log positions. Sent by the ServerActor before starting a
/// ReaderActor; replies them by path (empty on error).
#[derive(Debug, Message)]
#[rtype(result = "HashMap<PathBuf, LogPosition>")]
pub struct LogPositions {
    pub jail: String,
}

/// Save where a jail stopped reading. Sent by the ReaderActor; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SavePositions {
    pub jail: String,
    pub positions: Vec<(PathBuf, LogPosition)>,
}

/// A jail's saved journal cursors. Sent by the ReaderActor before it
/// starts reading its journal sources; replies them by source key
/// ([`crate::source::journal::JournalSpec::cursor_key`]), empty on error.
#[derive(Debug, Message)]
#[rtype(result = "HashMap<String, String>")]
pub struct JournalCursors {
    pub jail: String,
}

/// Save where a jail stopped reading a journal source. Sent by the
/// ReaderActor after each batch of entries; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SaveCursor {
    pub jail: String,
    /// The source's key.
    pub source: String,
    pub cursor: String,
}

/// Write everything queued before this message and flush it to disk.
/// Sent at shutdown; replies once done (the queue is first in, first out).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Flush;

/// Forget bans that ended, and histories last touched, longer ago than
/// this. Sent by the ObserverActor; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Purge {
    pub older_than: Duration,
}
