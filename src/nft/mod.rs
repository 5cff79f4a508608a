//! portcullis's own nftables table, managed over netlink (no actix inside).
//!
//! The daemon's ActionsActor and ObserverActor and the CLI all go through
//! this module. It owns exactly one table (family `inet`, `portcullis` by
//! default) and never touches anything else in the ruleset:
//!
//! ```text
//! table inet portcullis {
//!     set sshd-v4 { type ipv4_addr; flags timeout; }
//!     set sshd-v6 { type ipv6_addr; flags timeout; }      # interval too with a v6 prefix
//!     chain input {
//!         type filter hook input priority filter - 1; policy accept;
//!         tcp dport { 22 } ip saddr @sshd-v4 drop
//!         tcp dport { 22 } ip6 saddr @sshd-v6 drop
//!     }
//! }
//! ```
//!
//! Invariants:
//! - Every change is one nfnetlink batch (NFNL_MSG_BATCH_BEGIN .. END), so
//!   the kernel applies it atomically or not at all. [`Nft::setup`] replaces
//!   our table in one batch (create, delete, re-create), which makes it
//!   idempotent and leaves other tables alone.
//! - A ban is a set element with a per-element timeout in milliseconds
//!   (NFTA_SET_ELEM_TIMEOUT); no timeout means permanent. The kernel expires
//!   it. Element lists are split into messages whose nested attributes stay
//!   under the 64 KiB netlink attribute limit; a whole batch goes out in one
//!   `sendmsg` on one long-lived socket whose send buffer grows to fit.
//! - Re-banning resets the timeout on every kernel: from 6.10 on the kernel
//!   updates an existing element's timeout on NEWSETELEM; before that the
//!   element is first removed in the same batch (NFT_MSG_DESTROYSETELEM from
//!   6.3 on, or NFT_MSG_DELSETELEM for the elements a dump shows present).
//! - Unbanning an absent element is not an error (same mechanism).
//!
//! The message model is the `nftables` module of `netlink-packet-netfilter`
//! 0.4. Local extensions, kept as small as possible (see [`wire`]):
//! NFT_MSG_DESTROYSETELEM (30) is emitted as a NEWSETELEM message whose type
//! is rewritten; the `reject` expression is an `Expressions::Other` with its
//! two attributes (NFTA_REJECT_TYPE, NFTA_REJECT_ICMP_CODE); NLMSG_ERROR
//! replies and their extended-ack TLVs are parsed by hand.

mod bans;
mod dump;
mod elements;
mod error;
mod monitor;
mod ruleset;
mod socket;
mod types;
pub mod wire;

#[cfg(test)]
mod golden;

pub use error::{NftError, Operation};
pub use monitor::{Change, Monitor, MonitorError, ObjectEvent};
pub use types::{Ban, BanVerdict, Element, Hook, JailSpec, Network, NftConfig, Ports, Unban};

use std::collections::HashMap;

use elements::RemovalMode;
use socket::NfSocket;

/// A handle on portcullis's table: one long-lived netlink socket.
pub struct Nft {
    sock: NfSocket,
    table: String,
    /// The v6 prefix length per jail, from [`Nft::setup`] or [`Nft::attach`].
    v6_prefix: HashMap<String, Option<u8>>,
    removal: RemovalMode,
}

impl Nft {
    /// Opens the netlink socket. The table name defaults to `portcullis`
    /// until [`Nft::setup`] or [`Nft::attach`] says otherwise.
    pub fn open() -> Result<Self, NftError> {
        Ok(Nft {
            sock: NfSocket::open().map_err(NftError::Open)?,
            table: "portcullis".to_string(),
            v6_prefix: HashMap::new(),
            removal: RemovalMode::for_running_kernel(),
        })
    }

    /// The netlink port id of this handle's socket (it appears in the
    /// kernel's notifications about our own transactions).
    pub fn port_id(&self) -> u32 {
        self.sock.port_id()
    }

    /// Learns the layout (table name, jails) without touching the kernel,
    /// for a process that bans into a table another process set up.
    pub fn attach(&mut self, config: &NftConfig) {
        self.table = config.table.clone();
        self.v6_prefix = config
            .jails
            .iter()
            .map(|jail| (jail.name.clone(), jail.v6_prefix))
            .collect();
    }

    /// Builds or replaces our table in one atomic transaction: equivalent to
    /// `nft -f` of `add table inet T; delete table inet T; table inet T {...}`.
    /// Bans in sets of jails that still exist are lost; the caller re-bans
    /// (the daemon restores them from its database).
    pub fn setup(&mut self, config: &NftConfig) -> Result<(), NftError> {
        config.validate()?;
        let batch = ruleset::setup_batch(config, self.sock.next_seq());
        self.sock.transact(&batch).map_err(|e| {
            e.into_nft_error(|_| Operation::Setup {
                table: config.table.clone(),
            })
        })?;
        self.attach(config);
        Ok(())
    }

    /// Deletes our table, if it exists (`nft destroy table inet T`).
    pub fn teardown(&mut self) -> Result<(), NftError> {
        let batch = ruleset::teardown_batch(&self.table, self.sock.next_seq());
        self.sock.transact(&batch).map_err(|e| {
            e.into_nft_error(|_| Operation::Teardown {
                table: self.table.clone(),
            })
        })
    }

    /// Forces the way elements are removed (for tests of older kernels).
    pub fn set_removal_mode(&mut self, mode: RemovalMode) {
        self.removal = mode;
    }
}

pub use elements::RemovalMode as ElementRemoval;
