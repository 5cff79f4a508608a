//! Bans and unbans: set elements, batched.
//!
//! Elements for one set go into NEWSETELEM (or DESTROYSETELEM/DELSETELEM)
//! messages whose NFTA_SET_ELEM_LIST_ELEMENTS nest stays under the 16-bit
//! attribute length. An IPv6 network in an interval set is two elements: its
//! first address (carrying the timeout) and the address after its last one,
//! flagged NFT_SET_ELEM_INTERVAL_END, as `nft` encodes `2001:db8::/64`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use netlink_packet_core::NLM_F_CREATE;
use netlink_packet_netfilter::nftables::{NfTablesMessage, SetElementList, SetElementMessage};

use super::comment::Comment;
use super::encode::ElementList;
use super::types::Network;
use super::wire::{Batch, NFT_MSG_DESTROYSETELEM};

/// Payload budget of one NFTA_SET_ELEM_LIST_ELEMENTS nest (limit 65535
/// including its 4-byte header).
pub(crate) const MAX_ELEMENTS_LEN: usize = 65_000;

/// How this kernel lets us reset a timeout and remove absent elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalMode {
    /// Linux >= 6.12: NEWSETELEM on an existing element sets its new
    /// timeout; NFT_MSG_DESTROYSETELEM removes, ignoring absent elements.
    Update,
    /// Linux 6.3 to 6.11: NFT_MSG_DESTROYSETELEM before NEWSETELEM in the
    /// same batch.
    Destroy,
    /// Older kernels: NFT_MSG_DELSETELEM for the elements a dump shows
    /// present, then NEWSETELEM.
    DeletePresent,
}

impl RemovalMode {
    pub fn for_kernel(major: u32, minor: u32) -> Self {
        match (major, minor) {
            (m, _) if m > 6 => RemovalMode::Update,
            (6, n) if n >= 12 => RemovalMode::Update,
            (6, n) if n >= 3 => RemovalMode::Destroy,
            _ => RemovalMode::DeletePresent,
        }
    }

    /// From `uname -r`; the most portable mode when it cannot be read.
    pub fn for_running_kernel() -> Self {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let mut parts = release
            .trim()
            .split(['.', '-'])
            .map(|p| p.parse::<u32>().ok());
        match (parts.next().flatten(), parts.next().flatten()) {
            (Some(major), Some(minor)) => Self::for_kernel(major, minor),
            _ => RemovalMode::DeletePresent,
        }
    }
}

/// What one command of a batch does to which addresses (for errors).
#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub set: String,
    pub add: bool,
    /// The network of each element entry, in message order.
    pub networks: Vec<Network>,
}

/// One element to add or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub network: Network,
    /// NFTA_SET_ELEM_TIMEOUT when adding; none for a permanent ban.
    pub timeout: Option<Duration>,
    /// NFTA_SET_ELEM_EXPIRATION when adding: time left, if less than the
    /// timeout (a ban carried over from a previous table).
    pub expires: Option<Duration>,
    /// The element's comment when adding.
    pub comment: Option<Comment>,
}

/// The elements for one set, in request order.
#[derive(Debug, Clone)]
pub(crate) struct SetChange {
    pub set: String,
    pub interval: bool,
    pub items: Vec<Item>,
}

/// Groups `(jail, addr, timeout, comment)` per set, masking IPv6 addresses
/// to the jail's prefix; keeps the first-seen order of sets and items.
pub(crate) fn group<'a>(
    items: impl Iterator<Item = (&'a str, IpAddr, Option<Duration>, Option<&'a Comment>)>,
    v6_prefix: &HashMap<String, Option<u8>>,
) -> Vec<SetChange> {
    // Keyed by (jail, is IPv4): no allocation per ban, only per set.
    let mut index: HashMap<(&str, bool), usize> = HashMap::new();
    let mut groups: Vec<SetChange> = Vec::new();
    let mut prefixes: Vec<Option<u8>> = Vec::new();
    for (jail, addr, timeout, comment) in items {
        let v4 = addr.is_ipv4();
        let i = *index.entry((jail, v4)).or_insert_with(|| {
            let prefix = if v4 {
                None
            } else {
                v6_prefix.get(jail).copied().flatten()
            };
            let set = format!("{jail}-{}", if v4 { "v4" } else { "v6" });
            groups.push(SetChange {
                set,
                interval: prefix.is_some(),
                items: Vec::new(),
            });
            prefixes.push(prefix);
            groups.len() - 1
        });
        let network = Network::of(addr, prefixes[i]);
        groups[i].items.push(Item {
            network,
            timeout,
            expires: None,
            comment: comment.cloned(),
        });
    }
    groups
}

/// Appends the entries of `network` to `list`: its key (with the timeout
/// and comment when adding), and for an interval set its end.
fn push_entries(
    list: &mut ElementList,
    network: Network,
    interval: bool,
    (timeout, expires): (Option<u64>, Option<u64>),
    comment: Option<&Comment>,
) {
    list.push_commented(key(&network.addr).as_ref(), timeout, expires, comment);
    if let Some(end) = interval.then(|| interval_end(network)).flatten() {
        list.push_interval_end(key(&end).as_ref());
    }
}

/// Bytes the entries of `network` take.
fn entries_len(
    network: Network,
    interval: bool,
    (timeout, expires): (bool, bool),
    comment: Option<&Comment>,
) -> usize {
    let key = if network.addr.is_ipv4() { 4 } else { 16 };
    let end = interval && interval_end(network).is_some();
    ElementList::entry_len(key, usize::from(timeout) + usize::from(expires), false)
        + ElementList::comment_len(comment)
        + if end {
            ElementList::entry_len(key, 0, true)
        } else {
            0
        }
}

/// The first address after `network`, none when it runs to the end.
pub(crate) fn interval_end(network: Network) -> Option<IpAddr> {
    match network.addr {
        IpAddr::V4(a) => {
            let size = 1u64 << (32 - u32::from(network.prefix_len.min(32)));
            let end = u64::from(u32::from(a)) + size;
            u32::try_from(end).ok().map(|e| IpAddr::V4(e.into()))
        }
        IpAddr::V6(a) => {
            let host_bits = 128 - u32::from(network.prefix_len.min(128));
            let size = 1u128.checked_shl(host_bits).filter(|_| host_bits < 128)?;
            u128::from(a)
                .checked_add(size)
                .map(|e| IpAddr::V6(e.into()))
        }
    }
}

/// The set key of an address: its bytes in network order.
pub(crate) enum Key {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl AsRef<[u8]> for Key {
    fn as_ref(&self) -> &[u8] {
        match self {
            Key::V4(k) => k,
            Key::V6(k) => k,
        }
    }
}

pub(crate) fn key(addr: &IpAddr) -> Key {
    match addr {
        IpAddr::V4(a) => Key::V4(a.octets()),
        IpAddr::V6(a) => Key::V6(a.octets()),
    }
}

/// How a chunk of elements is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    /// `nft add element inet T S { a timeout 10m, ... }`
    Add,
    /// `nft destroy element inet T S { a, ... }` (absent ones ignored)
    Destroy,
    /// `nft delete element inet T S { a, ... }`
    Delete,
}

/// Appends the messages for `change` to `batch`, one per chunk, and their
/// descriptions to `commands`.
pub(crate) fn push_change(
    batch: &mut Batch,
    commands: &mut Vec<Command>,
    table: &str,
    change: &SetChange,
    verb: Verb,
) {
    let adding = verb == Verb::Add;
    // Milliseconds; a timeout of 0 would mean "the set's default".
    let ms = |d: Option<Duration>| d.filter(|_| adding).map(|t| (t.as_millis() as u64).max(1));
    let mut chunk = Chunk {
        list: ElementList::default(),
        networks: Vec::new(),
    };
    for item in &change.items {
        let (timeout, expires) = (ms(item.timeout), ms(item.expires));
        let comment = item.comment.as_ref().filter(|_| adding);
        let len = entries_len(
            item.network,
            change.interval,
            (timeout.is_some(), expires.is_some()),
            comment,
        );
        if chunk.list.byte_len() + len > MAX_ELEMENTS_LEN && !chunk.list.is_empty() {
            let full = std::mem::replace(
                &mut chunk,
                Chunk {
                    list: ElementList::default(),
                    networks: Vec::new(),
                },
            );
            full.push_to(batch, commands, table, &change.set, verb);
        }
        chunk.add(item.network, change.interval, (timeout, expires), comment);
    }
    if !chunk.list.is_empty() {
        chunk.push_to(batch, commands, table, &change.set, verb);
    }
}

/// The elements of one message, and the network each entry belongs to.
struct Chunk {
    list: ElementList,
    networks: Vec<Network>,
}

impl Chunk {
    fn add(
        &mut self,
        network: Network,
        interval: bool,
        times: (Option<u64>, Option<u64>),
        comment: Option<&Comment>,
    ) {
        let before = self.list.len();
        push_entries(&mut self.list, network, interval, times, comment);
        // One name per entry: both entries of an interval name its network.
        let entries = self.list.len() - before;
        self.networks.extend(std::iter::repeat_n(network, entries));
    }

    fn push_to(
        self,
        batch: &mut Batch,
        commands: &mut Vec<Command>,
        table: &str,
        set: &str,
        verb: Verb,
    ) {
        push_chunk(batch, table, set, self.list, verb);
        commands.push(Command {
            set: set.to_string(),
            add: verb == Verb::Add,
            networks: self.networks,
        });
    }
}

fn push_chunk(batch: &mut Batch, table: &str, set: &str, elements: ElementList, verb: Verb) {
    let msg = element_message(table, set, elements, verb);
    match verb {
        Verb::Add => batch.push(msg, NLM_F_CREATE),
        Verb::Delete => batch.push(msg, 0),
        Verb::Destroy => batch.push_as(msg, 0, Some(NFT_MSG_DESTROYSETELEM)),
    }
}

/// NEWSETELEM or DELSETELEM (DESTROYSETELEM is NEWSETELEM retyped by
/// [`Batch::push_as`]).
pub(crate) fn element_message(
    table: &str,
    set: &str,
    elements: ElementList,
    verb: Verb,
) -> NfTablesMessage {
    let msg = SetElementMessage {
        attributes: vec![
            SetElementList::Table(table.into()),
            SetElementList::Set(set.into()),
            elements.into_attribute(),
        ],
    };
    match verb {
        Verb::Delete => NfTablesMessage::DeleteSetElement(msg),
        Verb::Add | Verb::Destroy => NfTablesMessage::NewSetElement(msg),
    }
}
