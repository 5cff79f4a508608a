//! Reading our sets back: NFT_MSG_GETSET and NFT_MSG_GETSETELEM dumps
//! (family inet), restarted when the kernel flags them interrupted.
//!
//! Replies are decoded here rather than by the model: its element list
//! parser formats the whole remaining buffer into an error context for every
//! element, which makes a 100,000-element dump quadratic (47 s instead of
//! milliseconds), and its set and element parsers panic on malformed nested
//! attributes (found by fuzzing, see fuzz/regressions/dump/). Requests are
//! still built with the model.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use netlink_packet_netfilter::nftables::{
    NfTablesMessage, SetAttribute, SetElementList, SetElementMessage, SetMessage,
};

use super::Nft;
use super::comment::{Comment, NFTA_SET_ELEM_USERDATA};
use super::encode::{
    NFT_SET_ELEM_INTERVAL_END, NFTA_DATA_VALUE, NFTA_SET_ELEM_EXPIRATION, NFTA_SET_ELEM_FLAGS,
    NFTA_SET_ELEM_KEY, NFTA_SET_ELEM_LIST_ELEMENTS, NFTA_SET_ELEM_TIMEOUT,
};
use super::error::{Missing, NftError, Operation};
use super::socket::DumpError;
use super::types::{Element, Network};
use super::wire::{NFNL_SUBSYS_NFTABLES, NFT_MSG_NEWSET, attributes, replies};

/// include/uapi/linux/netfilter/nf_tables.h: the attributes read from a
/// set as a GETSET dump replies it (NFT_MSG_NEWSET).
const NFTA_SET_NAME: u16 = 2;
const NFTA_SET_FLAGS: u16 = 3;
const NFT_SET_INTERVAL: u32 = 4;

/// Attempts before giving up on a dump the kernel keeps interrupting.
const DUMP_ATTEMPTS: usize = 8;

/// One of our sets as `nft list sets` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetInfo {
    pub name: String,
    pub jail: String,
    pub interval: bool,
}

/// An element entry as dumped; interval ends are paired afterwards.
#[derive(Debug, Clone)]
struct Raw {
    addr: IpAddr,
    end: bool,
    timeout: Option<Duration>,
    expires: Option<Duration>,
    comment: Option<Comment>,
}

impl Nft {
    /// The elements of our sets in `table` (only `jail`'s if given), as
    /// `nft -j list table inet T` shows them; `None` when the table is absent.
    pub fn list(
        &mut self,
        table: &str,
        jail: Option<&str>,
    ) -> Result<Option<Vec<Element>>, NftError> {
        let sets = match self.sets(table) {
            Err(e) if e.is_missing_table() => return Ok(None),
            other => other?,
        };
        let mut out = Vec::new();
        for set in sets.iter().filter(|s| jail.is_none_or(|j| j == s.jail)) {
            out.extend(self.set_elements(table, set)?);
        }
        Ok(Some(out))
    }

    /// A set's elements (`nft list set inet T S`) from one dump that saw
    /// each once; every reader of elements goes through it. A dump longer
    /// than one netlink message is walked again from the start for each
    /// message, skipping what was sent; when the kernel's hash table is
    /// rehashed in between (it grows in the background after many
    /// insertions), the order changes and the dump hands some elements out
    /// twice and others not at all, without marking itself interrupted.
    /// A set holds a network once, so a repeated network means such a dump:
    /// it is read again, and after [`DUMP_ATTEMPTS`] the last one is kept
    /// with its repeats dropped.
    pub(crate) fn set_elements(
        &mut self,
        table: &str,
        set: &SetInfo,
    ) -> Result<Vec<Element>, NftError> {
        let mut elements = Vec::new();
        for _ in 0..DUMP_ATTEMPTS {
            elements = self.dump_set(table, set)?;
            let mut seen = HashSet::with_capacity(elements.len());
            if elements.iter().all(|e| seen.insert(e.network)) {
                return Ok(elements);
            }
        }
        let mut seen = HashSet::with_capacity(elements.len());
        elements.retain(|e| seen.insert(e.network));
        Ok(elements)
    }

    /// The jails that have sets in `table`, sorted; `None` when the table
    /// is absent (`nft list sets table inet T`).
    pub fn jails(&mut self, table: &str) -> Result<Option<Vec<String>>, NftError> {
        let sets = match self.sets(table) {
            Err(e) if e.is_missing_table() => return Ok(None),
            other => other?,
        };
        let mut jails: Vec<String> = sets.into_iter().map(|s| s.jail).collect();
        jails.sort();
        jails.dedup();
        Ok(Some(jails))
    }

    /// Our sets in `table`: `nft list sets table inet T`, keeping names
    /// ending in -v4 or -v6.
    pub(crate) fn sets(&mut self, table: &str) -> Result<Vec<SetInfo>, NftError> {
        let op = || Operation::List {
            table: table.into(),
            set: None,
        };
        let request = || {
            NfTablesMessage::GetSet(SetMessage {
                attributes: vec![SetAttribute::Table(table.into())],
            })
        };
        let messages = self.dump_retry(request, op)?;
        Ok(decode_sets(messages.iter().map(Vec::as_slice)))
    }

    /// `nft list set inet T S`, as elements of `set.jail`: one dump, as
    /// the kernel handed it out (see [`Nft::set_elements`]).
    fn dump_set(&mut self, table: &str, set: &SetInfo) -> Result<Vec<Element>, NftError> {
        let op = || Operation::List {
            table: table.into(),
            set: Some(set.name.clone()),
        };
        let request = || {
            NfTablesMessage::GetSetElement(SetElementMessage {
                attributes: vec![
                    SetElementList::Table(table.into()),
                    SetElementList::Set(set.name.clone()),
                ],
            })
        };
        let messages = self.dump_retry(request, op)?;
        let datagrams = messages.iter().map(Vec::as_slice);
        Ok(decode_elements(&set.jail, datagrams, set.interval))
    }

    /// The networks of `set` present in the kernel (a consistent read, as
    /// [`Nft::list`]'s).
    pub(crate) fn present(
        &mut self,
        table: &str,
        set: &str,
        interval: bool,
    ) -> Result<HashSet<Network>, NftError> {
        let jail = set.rsplit_once('-').map_or(set, |(j, _)| j).to_string();
        let info = SetInfo {
            name: set.into(),
            jail,
            interval,
        };
        Ok(self
            .set_elements(table, &info)?
            .into_iter()
            .map(|e| e.network)
            .collect())
    }

    fn dump_retry(
        &mut self,
        request: impl Fn() -> NfTablesMessage,
        op: impl Fn() -> Operation,
    ) -> Result<Vec<Vec<u8>>, NftError> {
        for _ in 0..DUMP_ATTEMPTS {
            // An interrupted dump starts over with an empty result.
            let mut messages = Vec::new();
            match self
                .sock
                .dump(request(), &mut |r| messages.push(r.bytes.to_vec()))
            {
                Ok(()) => return Ok(messages),
                Err(DumpError::Interrupted) => continue,
                Err(DumpError::Kernel(errno)) => {
                    let missing = match op() {
                        Operation::List { set: Some(_), .. } if errno == libc::ENOENT => {
                            Missing::Unknown
                        }
                        _ => Missing::Table,
                    };
                    return Err(NftError::kernel(op(), errno, missing));
                }
                Err(DumpError::Io(source)) => return Err(NftError::Socket { op: op(), source }),
            }
        }
        Err(NftError::Socket {
            op: op(),
            source: std::io::Error::other("the dump kept being interrupted"),
        })
    }
}

/// Our sets in the datagrams of an NFT_MSG_GETSET dump, as received;
/// anything else in them, malformed or not, is skipped. Read by hand like
/// the elements: the model's set and element parsers panic on malformed
/// nested attributes (fuzz/regressions/dump/).
pub fn decode_sets<'a>(datagrams: impl IntoIterator<Item = &'a [u8]>) -> Vec<SetInfo> {
    const NEWSET: u16 = (NFNL_SUBSYS_NFTABLES as u16) << 8 | NFT_MSG_NEWSET as u16;
    datagrams
        .into_iter()
        .flat_map(replies)
        .filter(|r| r.msg_type == NEWSET)
        .filter_map(|r| set_info(r.payload()))
        .collect()
}

/// The elements of `jail` in the datagrams of an NFT_MSG_GETSETELEM dump of
/// one of its sets, as received (`interval`: the set has prefixes);
/// malformed messages and attributes are skipped.
pub fn decode_elements<'a>(
    jail: &str,
    datagrams: impl IntoIterator<Item = &'a [u8]>,
    interval: bool,
) -> Vec<Element> {
    let mut raw = Vec::new();
    for reply in datagrams.into_iter().flat_map(replies) {
        raw_elements(reply.payload(), &mut raw);
    }
    to_elements(jail, raw, interval)
}

/// One NFT_MSG_NEWSET payload (after nlmsghdr): its name and flags.
fn set_info(payload: &[u8]) -> Option<SetInfo> {
    let mut name = None;
    let mut interval = false;
    for (kind, value) in nlas(payload.get(4..)?) {
        match kind {
            NFTA_SET_NAME => {
                let text = value.split(|b| *b == 0).next().unwrap_or_default();
                name = std::str::from_utf8(text).ok().map(str::to_string);
            }
            NFTA_SET_FLAGS => {
                let flags = value.try_into().map(u32::from_be_bytes).unwrap_or(0);
                interval = flags & NFT_SET_INTERVAL != 0;
            }
            _ => {}
        }
    }
    let name = name?;
    let jail = name
        .strip_suffix("-v4")
        .or_else(|| name.strip_suffix("-v6"))?
        .to_string();
    Some(SetInfo {
        name,
        jail,
        interval,
    })
}

/// The elements of one NFT_MSG_NEWSETELEM reply payload (after nlmsghdr).
fn raw_elements(payload: &[u8], out: &mut Vec<Raw>) {
    let Some(attrs) = payload.get(4..) else {
        return;
    };
    for (kind, list) in nlas(attrs) {
        if kind == NFTA_SET_ELEM_LIST_ELEMENTS {
            out.extend(nlas(list).filter_map(|(_, element)| raw_element(element)));
        }
    }
}

fn raw_element(element: &[u8]) -> Option<Raw> {
    let mut raw = Raw {
        addr: IpAddr::from([0u8; 4]),
        end: false,
        timeout: None,
        expires: None,
        comment: None,
    };
    let mut key = None;
    let be64 = |v: &[u8]| {
        v.try_into()
            .ok()
            .map(u64::from_be_bytes)
            .map(Duration::from_millis)
    };
    for (kind, value) in nlas(element) {
        match kind {
            NFTA_SET_ELEM_KEY => {
                key = nlas(value)
                    .find(|(k, _)| *k == NFTA_DATA_VALUE)
                    .and_then(|(_, v)| bytes_addr(v))
            }
            NFTA_SET_ELEM_FLAGS => {
                let flags = value.try_into().map(u32::from_be_bytes).unwrap_or(0);
                raw.end = flags & NFT_SET_ELEM_INTERVAL_END != 0;
            }
            NFTA_SET_ELEM_TIMEOUT => raw.timeout = be64(value),
            NFTA_SET_ELEM_EXPIRATION => raw.expires = be64(value),
            NFTA_SET_ELEM_USERDATA => raw.comment = Comment::from_udata(value),
            _ => {}
        }
    }
    raw.addr = key?;
    Some(raw)
}

/// (type, value) of each attribute in `buf`; stops at a malformed one.
fn nlas(buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    attributes(buf, 0).map(|a| (a.kind, a.value))
}

fn bytes_addr(v: &[u8]) -> Option<IpAddr> {
    match v.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(v).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(v).ok()?)),
        _ => None,
    }
}

/// Elements of `jail`; in an interval set each start is paired with the
/// nearest end above it to recover the prefix length.
fn to_elements(jail: &str, raw: Vec<Raw>, interval: bool) -> Vec<Element> {
    let mut ends: Vec<u128> = raw
        .iter()
        .filter(|r| r.end)
        .map(|r| addr_value(r.addr))
        .collect();
    ends.sort_unstable();
    raw.into_iter()
        .filter(|r| !r.end)
        .map(|r| {
            let network = if interval {
                network_to(r.addr, &ends)
            } else {
                Network::host(r.addr)
            };
            Element {
                jail: jail.to_string(),
                network,
                timeout: r.timeout,
                expires: r.expires,
                comment: r.comment,
            }
        })
        .collect()
}

fn addr_value(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The network from `start` to the first end above it (to the top of the
/// address space if none), when that range is a prefix; else the host.
pub(crate) fn network_to(start: IpAddr, ends: &[u128]) -> Network {
    let bits: u32 = if start.is_ipv4() { 32 } else { 128 };
    let s = addr_value(start);
    let end = ends.get(ends.partition_point(|&e| e <= s)).copied();
    let size = match end {
        Some(e) => e - s,
        None if s == 0 => return Network::new(start, 0),
        None if bits == 128 => 0u128.wrapping_sub(s),
        None => (1u128 << bits) - s,
    };
    if size.is_power_of_two() {
        let len = bits - size.trailing_zeros();
        Network::new(start, len as u8)
    } else {
        Network::host(start)
    }
}
