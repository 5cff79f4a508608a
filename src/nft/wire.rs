//! Wire format: nfnetlink batches out, NLMSG_ERROR acknowledgements in.
//!
//! A [`Batch`] is NFNL_MSG_BATCH_BEGIN, the nf_tables messages, and
//! NFNL_MSG_BATCH_END, serialized back to back in one buffer that goes out
//! in a single `sendmsg`. The kernel handles the whole batch inside that
//! system call, so every reply is queued on our socket when it returns.
//! Only the last command carries NLM_F_ACK; the kernel reports failed
//! messages by themselves.
//!
//! Local extensions of `netlink-packet-netfilter` 0.4 live here:
//! [`Batch::push_as`] rewrites the message type of a serialized message (for
//! NFT_MSG_DESTROYSETELEM, absent from the model), and [`parse_error`] reads
//! NLMSG_ERROR with its extended-ack TLVs (the model keeps them as bytes).

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_REQUEST, NLMSG_ALIGNTO, NLMSG_DONE, NLMSG_ERROR, NetlinkMessage,
};
use netlink_packet_netfilter::{
    NetfilterHeader, NetfilterMessage, NetfilterMessageInner, NetfilterProtoFamily,
    nftables::NfTablesMessage, none::ControlMessage,
};

/// include/uapi/linux/netfilter/nfnetlink.h
pub const NFNL_SUBSYS_NFTABLES: u8 = 10;
/// Multicast group of nf_tables notifications.
pub const NFNLGRP_NFTABLES: u32 = 7;
/// include/uapi/linux/netfilter/nf_tables.h, enum nf_tables_msg_types:
/// the set and element messages we send or read.
pub const NFT_MSG_NEWSET: u8 = 9;
pub const NFT_MSG_NEWSETELEM: u8 = 12;
pub const NFT_MSG_GETSETELEM: u8 = 13;
pub const NFT_MSG_DELSETELEM: u8 = 14;
/// Kernel >= 6.3: delete set elements, ignoring absent ones.
pub const NFT_MSG_DESTROYSETELEM: u8 = 30;
/// enum nft_set_elem_list_attributes: the table and set an element message
/// is about. Every nf_tables message names its table in attribute 1
/// (NFTA_TABLE_NAME, NFTA_SET_TABLE, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE too).
pub const NFTA_SET_ELEM_LIST_TABLE: u16 = 1;
pub const NFTA_SET_ELEM_LIST_SET: u16 = 2;
/// include/uapi/linux/netlink.h: an attribute's type without the
/// NLA_F_NESTED and NLA_F_NET_BYTEORDER flags.
const NLA_TYPE_MASK: u16 = 0x3fff;
/// nlmsghdr length.
pub const NLMSG_HDRLEN: usize = 16;
/// Extended ack TLVs (include/uapi/linux/netlink.h).
const NLMSGERR_ATTR_MSG: u16 = 1;
const NLMSGERR_ATTR_OFFS: u16 = 2;
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;

/// Whether nf_tables message type `t` carries a set element list.
pub fn is_element_message(t: u8) -> bool {
    matches!(
        t,
        NFT_MSG_NEWSETELEM | NFT_MSG_GETSETELEM | NFT_MSG_DELSETELEM | NFT_MSG_DESTROYSETELEM
    )
}

/// One nfnetlink transaction being built.
#[derive(Debug, Clone)]
pub struct Batch {
    buf: Vec<u8>,
    first_seq: u32,
    next_seq: u32,
    /// Byte offset of each command message (begin and end excluded).
    starts: Vec<usize>,
}

/// A finished batch: bytes to send and how to read the replies.
#[derive(Debug, Clone)]
pub struct SealedBatch {
    pub bytes: Vec<u8>,
    /// Sequence number of NFNL_MSG_BATCH_BEGIN; commands follow it.
    pub first_seq: u32,
    /// Sequence number of the last command (the one with NLM_F_ACK).
    pub last_seq: u32,
    /// Byte offset of each command message in `bytes`.
    pub starts: Vec<usize>,
}

impl SealedBatch {
    /// Index of the command with sequence number `seq`, if it is one.
    pub fn command_index(&self, seq: u32) -> Option<usize> {
        let index = seq.checked_sub(self.first_seq + 1)? as usize;
        (index < self.starts.len()).then_some(index)
    }

    /// The bytes of command `index`.
    pub fn command(&self, index: usize) -> &[u8] {
        let start = self.starts[index];
        let len = u32::from_ne_bytes(self.bytes[start..start + 4].try_into().unwrap());
        &self.bytes[start..start + len as usize]
    }

    /// Next free sequence number after this batch.
    pub fn next_seq(&self) -> u32 {
        self.last_seq + 2
    }
}

impl Batch {
    /// Starts a batch whose first message gets sequence number `first_seq`.
    pub fn new(first_seq: u32) -> Self {
        let mut batch = Batch {
            buf: Vec::with_capacity(4096),
            first_seq,
            next_seq: first_seq,
            starts: Vec::new(),
        };
        batch.push_control(ControlMessage::BatchBegin);
        batch
    }

    /// Appends an nf_tables command for family inet; `flags` besides
    /// NLM_F_REQUEST (NLM_F_CREATE, ...).
    pub fn push(&mut self, msg: NfTablesMessage, flags: u16) {
        self.push_as(msg, flags, None);
    }

    /// Like [`Batch::push`], with the nf_tables message type replaced by
    /// `msg_type` after serialization (same attributes, other command).
    pub fn push_as(&mut self, msg: NfTablesMessage, flags: u16, msg_type: Option<u8>) {
        self.starts.push(self.buf.len());
        let header = NetfilterHeader::new(NetfilterProtoFamily::Inet, 0, 0);
        let start = self.emit(header, msg.into(), flags);
        if let Some(t) = msg_type {
            let ty = (u16::from(NFNL_SUBSYS_NFTABLES) << 8) | u16::from(t);
            self.buf[start + 4..start + 6].copy_from_slice(&ty.to_ne_bytes());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Asks for an ack on the last command and appends NFNL_MSG_BATCH_END.
    pub fn seal(mut self) -> SealedBatch {
        if let Some(&last) = self.starts.last() {
            let flags = u16::from_ne_bytes([self.buf[last + 6], self.buf[last + 7]]) | NLM_F_ACK;
            self.buf[last + 6..last + 8].copy_from_slice(&flags.to_ne_bytes());
        }
        let last_seq = self.next_seq - 1;
        self.push_control(ControlMessage::BatchEnd);
        SealedBatch {
            bytes: self.buf,
            first_seq: self.first_seq,
            last_seq,
            starts: self.starts,
        }
    }

    fn push_control(&mut self, msg: ControlMessage) {
        let header = NetfilterHeader::new(
            NetfilterProtoFamily::Unspec,
            0,
            u16::from(NFNL_SUBSYS_NFTABLES),
        );
        self.emit(header, msg.into(), 0);
    }

    fn emit(&mut self, header: NetfilterHeader, inner: NetfilterMessageInner, flags: u16) -> usize {
        let mut msg = NetlinkMessage::from(NetfilterMessage::new(header, inner));
        msg.header.flags = NLM_F_REQUEST | flags;
        msg.header.sequence_number = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        msg.finalize();
        let start = self.buf.len();
        self.buf.resize(start + msg.header.length as usize, 0);
        msg.serialize(&mut self.buf[start..]);
        start
    }
}

/// One netlink message in a received datagram.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    pub msg_type: u16,
    pub flags: u16,
    pub seq: u32,
    pub port_id: u32,
    /// The whole message, header included.
    pub bytes: &'a [u8],
}

impl Reply<'_> {
    pub fn is_error(&self) -> bool {
        self.msg_type == NLMSG_ERROR
    }

    pub fn is_done(&self) -> bool {
        self.msg_type == NLMSG_DONE
    }

    /// The payload after nlmsghdr.
    pub fn payload(&self) -> &[u8] {
        &self.bytes[NLMSG_HDRLEN..]
    }
}

/// The netlink messages in `datagram`; stops at the first malformed header.
pub fn replies(datagram: &[u8]) -> impl Iterator<Item = Reply<'_>> {
    let mut rest = datagram;
    std::iter::from_fn(move || {
        if rest.len() < NLMSG_HDRLEN {
            return None;
        }
        let u32_at = |i: usize| u32::from_ne_bytes(rest[i..i + 4].try_into().unwrap());
        let len = u32_at(0) as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            return None;
        }
        let reply = Reply {
            msg_type: u16::from_ne_bytes([rest[4], rest[5]]),
            flags: u16::from_ne_bytes([rest[6], rest[7]]),
            seq: u32_at(8),
            port_id: u32_at(12),
            bytes: &rest[..len],
        };
        let aligned = (len + NLMSG_ALIGNTO as usize - 1) & !(NLMSG_ALIGNTO as usize - 1);
        rest = &rest[aligned.min(rest.len())..];
        Some(reply)
    })
}

/// An NLMSG_ERROR: an ack (errno 0) or a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// Positive errno, 0 for success.
    pub errno: i32,
    /// Extended ack: offset of the offending attribute from the start of
    /// the failed message.
    pub bad_attr: Option<usize>,
    /// Extended ack: the kernel's message, if any.
    pub message: Option<String>,
}

/// Parses an NLMSG_ERROR reply.
pub fn parse_error(reply: &Reply<'_>) -> Option<Ack> {
    let p = reply.payload();
    if !reply.is_error() || p.len() < 4 + NLMSG_HDRLEN {
        return None;
    }
    let code = i32::from_ne_bytes(p[0..4].try_into().unwrap());
    let mut ack = Ack {
        errno: -code,
        bad_attr: None,
        message: None,
    };
    if reply.flags & NLM_F_ACK_TLVS == 0 {
        return Some(ack);
    }
    let orig_len = u32::from_ne_bytes(p[4..8].try_into().unwrap()) as usize;
    let skip = if reply.flags & NLM_F_CAPPED != 0 {
        NLMSG_HDRLEN
    } else {
        orig_len
    };
    for tlv in attributes(p, 4 + align4(skip)) {
        match tlv.kind {
            NLMSGERR_ATTR_OFFS if tlv.value.len() >= 4 => {
                ack.bad_attr = Some(u32::from_ne_bytes(tlv.value[..4].try_into().unwrap()) as usize)
            }
            NLMSGERR_ATTR_MSG => {
                let text = tlv.value.split(|b| *b == 0).next().unwrap_or(&[]);
                ack.message = Some(String::from_utf8_lossy(text).into_owned());
            }
            _ => {}
        }
    }
    Some(ack)
}

/// One netlink attribute of a buffer: its type (flags masked), its value,
/// and the byte range it takes in the buffer (header included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    pub kind: u16,
    pub value: &'a [u8],
    pub start: usize,
    pub end: usize,
}

/// The attributes of `buf` from byte `at` on, in order; stops at the end
/// or at the first malformed one. The one attribute walker of the module:
/// dumps, extended acks and the error locator read through it.
pub fn attributes(buf: &[u8], mut at: usize) -> impl Iterator<Item = Attr<'_>> {
    std::iter::from_fn(move || {
        let header = buf.get(at..at.checked_add(4)?)?;
        let len = u16::from_ne_bytes([header[0], header[1]]) as usize;
        let kind = u16::from_ne_bytes([header[2], header[3]]) & NLA_TYPE_MASK;
        if len < 4 || at + len > buf.len() {
            return None;
        }
        let attr = Attr {
            kind,
            value: &buf[at + 4..at + len],
            start: at,
            end: at + len,
        };
        at += align4(len);
        Some(attr)
    })
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}
