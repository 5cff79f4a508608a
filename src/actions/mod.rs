//! Actions: the ActionsActor owns the netlink handle on our table, batches
//! the bans and unbans that arrive in one tick into one transaction, logs
//! each as `NOTICE [<jail>] Ban <addr>` / `NOTICE [<jail>] Unban <addr>`
//! (a stable format the recidive filter matches) and records them through
//! the DbActor, and hands each to the NotifyActor ([`crate::notify`]) once
//! the kernel holds it. It counts bans, unbans, active bans, ban latency
//! and failed netlink requests into [`crate::metrics`].
//!
//! Who does what: [`banner::Banner`] decides (which bans go into a
//! transaction, what follows it, what a rebuild puts back), at a given
//! time and without a kernel; [`kernel::Kernel`] executes its plans over
//! netlink, each in one transaction, with the one rebuild path for a batch
//! that found the table gone, a repair, the restore and a reload;
//! [`actor::ActionsActor`] is the shell (mailbox, timers, recipients).
//! [`ledger::Ledger`] tracks what is banned until when.

pub mod actor;
pub mod adopt;
pub mod banner;
pub mod counting;
mod handlers;
pub mod kernel;
pub mod ledger;
pub mod plan;
pub mod quiet;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use actix::{Message, Recipient};

pub use actor::ActionsActor;

use crate::cluster::{Decided, Provenance};
use crate::db::store::StoredBan;
use crate::nft::{Element, Membership, Network, NftConfig, NftError};
use crate::time::BanTime;

/// Ban records go to the database at most this long after the kernel took
/// the ban, all of that time in one commit: the bans a reboot may lose (see
/// [`crate::db`]'s durability rule).
pub const GROUP_COMMIT: Duration = Duration::from_millis(100);

/// Ban an address or network: the one description of a ban on its way to
/// the kernel. Sent by the ServerActor (`portcullis ban`); no reply: the
/// ban goes out with the next batch. A jail's bans come as a
/// [`BanBatch`] (a jail's request wraps each, see `observer::BanRequest`).
/// A ban of something banned already never shortens it ([`plan`]).
#[derive(Debug, Clone, PartialEq, Message)]
#[rtype(result = "()")]
pub struct BanTicket {
    pub jail: String,
    /// An address (from a log line or by hand) or a network (by hand).
    pub addr: Network,
    pub bantime: BanTime,
    pub failures: u32,
    /// When the log line behind it was read; none for manual bans.
    pub read_at: Option<Instant>,
    /// `ban --replace`: set exactly this ban time, even if shorter than
    /// the running ban's (otherwise a ban is only ever prolonged).
    pub replace: bool,
    /// Local (logs, recidive, by hand) or taken from the fleet: only local
    /// bans are published ([`crate::cluster::Provenance`]).
    pub provenance: Provenance,
}

/// The bans of one batch of a jail's log lines (after the increment): they
/// go into the kernel at once, with whatever else is pending, and the
/// reply comes once the kernel holds them (or refused them, which is
/// logged), so the reader saves the read position past those lines only
/// then. Sent by the ObserverActor.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct BanBatch(pub Vec<BanTicket>);

/// Send the pending bans now. Sent by the ActionsActor to itself after the
/// first ticket of a batch, so it runs once the mailbox is drained; no reply.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct Flush;

/// Send the pending bans to the kernel and their records to the database
/// now, without waiting for the group commit. Sent at shutdown before the
/// database's [`crate::db::Flush`]; replies once the records are in the
/// database's mailbox (so the flush that follows commits them).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct HandOver;

/// Lift bans: one address of one jail, everything of a jail or of all
/// jails, or whatever holds addresses that became the host's own. Sent by
/// the ServerActor; replies how many bans were lifted, or the netlink error.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<usize, NftError>")]
pub enum Unban {
    /// The ban of this address or network, and the bans inside it.
    One {
        jail: String,
        addr: Network,
    },
    All {
        jail: Option<String>,
    },
    /// `origin`'s ban of `addr` in `jail`, taken from the fleet; a ban of
    /// this node or of another origin stays.
    Remote {
        origin: String,
        jail: String,
        addr: Network,
    },
    /// Every ban of `jails` of one of `addrs` (or of its network, in a jail
    /// with ipv6-prefix), from the ledger (every ban we put in the kernel,
    /// manual ones too); each lift is logged.
    Own {
        jails: Vec<String>,
        addrs: Vec<IpAddr>,
    },
}

/// The bans in the kernel now, straight from a netlink dump. Sent by the
/// ServerActor; replies the elements, or the error.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<Element>, NftError>")]
pub struct ListBans {
    pub jail: Option<String>,
}

/// Build or rebuild our table (start, reload). Bans of jails that remain
/// are kept. Sent by the ServerActor; replies the error if any.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), NftError>")]
pub struct Setup(pub NftConfig);

/// Rebuild our table and put every ban of the ledger back with its time
/// left, in the setup's own transaction: another process deleted or
/// flushed part of our table. With `only_if_damaged` (notifications were
/// lost, so what happened is unknown), first check that the table exists
/// and holds every ban, and do nothing if so. Sent by the ObserverActor;
/// replies how many bans went back (`None`: nothing to repair).
#[derive(Debug, Message)]
#[rtype(result = "Result<Option<usize>, NftError>")]
pub struct Repair {
    pub only_if_damaged: bool,
    /// The ruleset's generation after the last damaging transaction, when
    /// known: a rebuild of ours committed after it has undone it already.
    pub generation: Option<u32>,
}

/// Our monitor's subscription, to leave around our own big transactions
/// ([`quiet`]). Sent by the ServerActor's start-up once it subscribed; no reply.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Watched(pub Membership);

/// Bans taken from the fleet: replies once the kernel holds them (or
/// refused them), so the ClusterActor acknowledges only applied messages.
/// Sent by the ClusterActor.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ApplyRemote(pub Vec<BanTicket>);

/// Where every ban and unban the kernel took goes, with its provenance
/// (the ClusterActor, which publishes the local ones). Sent at start.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReportTo(pub Recipient<Decided>);

/// Put stored bans back with their remaining time, in the one rebuild
/// transaction that also creates the table. Sent by the ServerActor at
/// start; replies how many bans the table holds.
#[derive(Debug, Message)]
#[rtype(result = "Result<usize, NftError>")]
pub struct Restore(pub Vec<StoredBan>);
