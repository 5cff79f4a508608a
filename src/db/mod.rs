//! The database: bans, ban histories and read positions, kept in LMDB
//! (heed) by the [`Store`](store::Store); the DbActor runs it on a thread
//! of its own so that writes never block the event loop.
//!
//! # Durability
//!
//! LMDB runs in its default, synchronous mode: a commit is on disk when
//! it returns, and the file stays consistent whatever stops the process.
//! Nothing else forces a sync. The cost is held down by committing seldom:
//! - ban records come in group commits, one transaction per batch of the
//!   actor that bans, at most one per 100 ms, sent after the kernel took
//!   the bans: a log line never waits for the disk;
//! - read positions and journal cursors are kept in memory, the latest per
//!   file and source, and written in one transaction every
//!   [`SAVE_INTERVAL`] and at shutdown ([`Flush`]).
//!
//! So the database commits about 20 times a second at most, whatever the
//! load, and a history lookup (bantime increment: a read) waits for at
//! most one commit on this thread. A clean stop loses nothing: the bans
//! the actions actor still holds for its group commit are handed over
//! before the last [`Flush`]. What a crash can lose:
//! - kill -9 of the daemon with our nftables table intact: no ban. The
//!   records of the last group commit may be missing, but the kernel still
//!   holds those bans, and the next start adopts every element of our sets
//!   into the database before it restores them.
//! - kill -9 together with the loss of the table (a reboot, a power cut):
//!   the bans not yet committed, taken by the kernel at most 100 ms (plus
//!   one commit) before.
//! - read positions: those reported in the last [`SAVE_INTERVAL`] (readers
//!   report after each read step, once the bans of the lines read are in
//!   the kernel: a position never runs ahead of the kernel), whose lines
//!   the next start reads again.
//!
//! # Key layout, schema version 3
//!
//! `meta` key `schema` holds the version; keys are UTF-8 text, values
//! JSON, times integer milliseconds since the epoch:
//!
//! | table     | key                                   | value                                   |
//! |-----------|---------------------------------------|-----------------------------------------|
//! | `bans`    | `<jail>\0<address or network>`        | `{"start_ms":…,"duration_ms":…\|null}`, and `"origin":"<node>"` for a ban taken from another fleet node |
//! | `history` | `<jail>\0<address>`, and `*\0<address>` across jails | `{"count":…,"last_ms":…}` |
//! | `logpos`  | `<jail>\0<path>`                      | `{"inode":…,"offset":…,"first_line_hash":…}` |
//! | `cursors` | `<jail>\0journal:<directory or system>` | the journal cursor (a JSON string)     |
//! | `outbox`  | a sequence number, 20 decimal digits  | opaque bytes (a fleet decision's JSON)  |
//! | `meta`    | `schema`; `outbox_next`               | `"3"`; the outbox's next sequence number |
//!
//! Version 1 (up to cc2e0d7) also kept a `count` in each ban record;
//! version 2 (up to fcd964f) had no `origin` (a record without one is this
//! node's ban). An older database is migrated in the transaction that
//! opens it (`migrate.rs`).

pub mod actor;
pub mod database;
pub mod error_log;
pub mod grow;
mod migrate;
pub mod outbox;
pub mod positions;
mod records;
pub mod store;

use crate::network::Network;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use actix::Message;

pub use actor::DbActor;
pub use error_log::ERROR_LOG_INTERVAL;
use store::{HistoryRecord, LogPosition, StoredBan};

/// How often the read positions reported since the last save are written.
pub const SAVE_INTERVAL: Duration = Duration::from_millis(100);

/// Record bans (and count them in the history): one group commit, one
/// transaction. Sent by the ActionsActor after the kernel took the bans;
/// no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RecordBans(pub Vec<StoredBan>);

/// Remove ban records (unbans, expiries). Sent by the ActionsActor; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RemoveBans(pub Vec<(String, Network)>);

/// Earlier bans of an address, in one jail or (`None`) across jails. Sent
/// by the ObserverActor; replies the record (zero when unknown or on error).
#[derive(Debug, Message)]
#[rtype(result = "HistoryRecord")]
pub struct History {
    pub jail: Option<String>,
    pub addr: Network,
}

/// Every ban still running now. Sent by the ServerActor at start; replies
/// the bans, or an error message.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<StoredBan>, store::DbError>")]
pub struct ActiveBans;

/// A jail's saved log positions. Sent by the ServerActor before starting a
/// ReaderActor; replies them by path (empty on error).
#[derive(Debug, Message)]
#[rtype(result = "HashMap<PathBuf, LogPosition>")]
pub struct LogPositions {
    pub jail: String,
}

/// Where a jail stopped reading: written with the next save (every
/// [`SAVE_INTERVAL`]). Sent by the ReaderActor after a read, once the bans
/// of the lines read are in the kernel; no reply.
#[derive(Debug, Clone, PartialEq, Eq, Message)]
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

/// Where a jail stopped reading a journal source: written with the next
/// save. Sent by the ReaderActor after a batch of entries, once the bans
/// of the entries read are in the kernel; no reply.
#[derive(Debug, Clone, PartialEq, Eq, Message)]
#[rtype(result = "()")]
pub struct SaveCursor {
    pub jail: String,
    /// The source's key.
    pub source: String,
    pub cursor: String,
}

/// Write the read positions not saved yet. Sent at shutdown; replies once
/// they are on disk, and with them everything sent before (the queue is
/// first in, first out).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Flush;

/// Keep opaque entries (a fleet's decisions waiting to be published) in
/// the outbox table, in one transaction, dropping the oldest beyond
/// `capacity`. Sent by the fleet; replies their sequence numbers (none
/// after an error, which the DbActor logs) and how many old ones went.
#[derive(Debug, Message)]
#[rtype(result = "outbox::Appended")]
pub struct AppendOutbox {
    pub entries: Vec<Vec<u8>>,
    pub capacity: usize,
}

/// Up to `max` outbox entries, oldest first, with their sequence numbers.
/// Sent by the fleet at start; replies them (none after an error).
#[derive(Debug, Message)]
#[rtype(result = "Vec<(u64, Vec<u8>)>")]
pub struct ReadOutbox {
    pub max: usize,
}

/// Remove outbox entries by sequence number (delivered, or replaced by a
/// newer decision). Sent by the fleet; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RemoveOutbox(pub Vec<u64>);

/// Forget bans that ended, and histories last touched, longer ago than
/// this. Sent by the ObserverActor; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Purge {
    pub older_than: Duration,
}
