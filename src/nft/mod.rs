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
//!   idempotent and leaves other tables alone; the bans of jails that remain
//!   are carried over in the same batch with their time left.
//! - A ban is a set element with a per-element timeout in milliseconds
//!   (NFTA_SET_ELEM_TIMEOUT); no timeout means permanent. The kernel expires
//!   it. Element lists are split into messages whose nested attributes stay
//!   under the 64 KiB netlink attribute limit; a whole batch goes out in one
//!   `sendmsg` on one long-lived socket whose send buffer grows to fit
//!   (SO_SNDBUFFORCE).
//! - Re-banning resets the timeout on every kernel: from 6.12 on the kernel
//!   updates an existing element's timeout on NEWSETELEM; before that the
//!   element is first removed in the same batch (NFT_MSG_DESTROYSETELEM from
//!   6.3 on, or NFT_MSG_DELSETELEM for the elements a dump shows present).
//!   See [`RemovalMode`].
//! - Unbanning an absent element is not an error (same mechanism).
//! - A ban may carry a comment (a fleet ban's origin node), kept as the
//!   element's NFTA_SET_ELEM_USERDATA in nft's own layout, so `nft list`
//!   shows it and a dump reads it back ([`Comment`]); a setup carries it.
//!   From 6.12 on, a re-ban of an element the kernel holds updates its
//!   timeout only: the element keeps the comment it was created with
//!   until it is removed or the table rebuilt.
//! - Only the socket's own replies, matched by sequence number, decide a
//!   transaction's outcome; errors name the address, set and table, and the
//!   errno's meaning (see [`NftError`]).
//!
//! The message model is the `nftables` module of `netlink-packet-netfilter`
//! 0.4. Where it falls short, the smallest local extension:
//! - NFT_MSG_DESTROYSETELEM (30) is not in the model: it is sent as a
//!   NEWSETELEM whose message type is rewritten after serialization
//!   (`wire::Batch::push_as`).
//! - The `reject` expression is an `Expressions::Other` carrying
//!   NFTA_REJECT_TYPE and NFTA_REJECT_ICMP_CODE (`ruleset.rs`).
//! - NLMSG_ERROR replies and their extended-ack TLVs (which attribute, which
//!   element failed) are parsed by hand (`wire.rs`).
//! - Element lists are encoded directly into the NFTA_SET_ELEM_LIST_ELEMENTS
//!   bytes (`encode.rs`) and element dumps decoded directly (`dump.rs`): the
//!   model's emitter re-measures nested attributes and its list parser is
//!   quadratic, which cost seconds at 100,000 elements. The bytes are the
//!   model's, as the golden tests check.

mod bans;
mod blame;
mod comment;
mod dump;
mod elements;
mod encode;
mod error;
mod monitor;
mod port_match;
mod ports;
mod query;
mod ruleset;
mod socket;
mod types;
mod wire;

#[cfg(test)]
mod dump_props;
#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;

pub use comment::{Comment, CommentError, MAX_COMMENT_LEN};
pub use dump::{SetInfo, decode_elements, decode_sets};
#[cfg(test)]
pub(crate) use error::sample_add;
pub use error::{Missing, NftError, Operation};
pub use monitor::{Change, Membership, Monitor, MonitorError, ObjectEvent};
pub use ports::{PortRange, Ports, Protocol};
pub use types::{Ban, BanKey, BanVerdict, Element, Hook, JailSpec, Network, NftConfig, Unban};

use std::collections::HashMap;

pub use elements::RemovalMode;
use socket::NfSocket;

/// A handle on portcullis's table: one long-lived netlink socket.
pub struct Nft {
    sock: NfSocket,
    table: String,
    /// The v6 prefix length per jail, from [`Nft::setup`] or [`Nft::attach`].
    v6_prefix: HashMap<String, Option<u8>>,
    removal: RemovalMode,
    /// What [`Nft::list_to_carry`] read, for the next setup to carry
    /// instead of reading the table again; any other change drops it.
    kept: Option<Kept>,
}

/// A table's elements as read just before the setup that carries them.
struct Kept {
    table: String,
    elements: Option<Vec<Element>>,
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
            kept: None,
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
    /// Bans of jails that remain are carried into the new sets in the same
    /// transaction, with their time left (NFTA_SET_ELEM_EXPIRATION), so a
    /// reload unbans nobody; bans of removed jails go with their sets.
    pub fn setup(&mut self, config: &NftConfig) -> Result<(), NftError> {
        self.setup_with(config, &[])
    }

    /// [`Nft::setup`], with `bans` added in the same transaction: the
    /// daemon's one rebuild path (a ban that found the table gone, a repair,
    /// the restore at start, a reload). A repair
    /// rebuilds the table and refills it at once, so no packet ever meets
    /// the rebuilt table empty. Bans of jails `config` lacks are left out.
    pub fn setup_with(&mut self, config: &NftConfig, bans: &[Ban]) -> Result<(), NftError> {
        config.validate()?;
        let carried = self.carried_bans(config)?;
        self.replace(config, carried, bans)
    }

    /// One transaction: the table replaced, `carried` and `bans` added.
    fn replace(
        &mut self,
        config: &NftConfig,
        carried: Vec<elements::SetChange>,
        bans: &[Ban],
    ) -> Result<(), NftError> {
        let prefixes: HashMap<String, Option<u8>> = config
            .jails
            .iter()
            .map(|jail| (jail.name.clone(), jail.v6_prefix))
            .collect();
        let added = elements::group(
            bans.iter()
                .filter(|b| prefixes.contains_key(&b.jail))
                .map(|b| (b.jail.as_str(), b.addr, b.timeout, b.comment.as_ref())),
            &prefixes,
        );
        let mut batch = ruleset::setup_batch(config, self.sock.next_seq());
        for change in carried.iter().chain(&added) {
            elements::push_change(
                &mut batch,
                &mut Vec::new(),
                &config.table,
                change,
                elements::Verb::Add,
            );
        }
        self.sock.transact(&batch.seal()).map_err(|e| {
            e.into_nft_error(|_| Operation::Setup {
                table: config.table.clone(),
            })
        })?;
        self.attach(config);
        Ok(())
    }

    /// [`Nft::list`] of the whole table, also kept for the next
    /// [`Nft::setup_with`] on this handle, which then carries these
    /// elements without reading the table a second time (the start: the
    /// adoption reads the table, the restore's rebuild carries it).
    pub fn list_to_carry(&mut self, table: &str) -> Result<Option<Vec<Element>>, NftError> {
        let elements = self.list(table, None)?;
        self.kept = Some(Kept {
            table: table.to_string(),
            elements: elements.clone(),
        });
        Ok(elements)
    }

    /// Deletes our table, if it exists (`nft destroy table inet T`).
    pub fn teardown(&mut self) -> Result<(), NftError> {
        self.kept = None;
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
