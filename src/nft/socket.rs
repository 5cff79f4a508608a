//! The long-lived NETLINK_NETFILTER socket: batches out, acks and dumps in.
//!
//! Invariants: the send buffer always holds the largest batch we send (a
//! whole batch must go out in one `sendmsg`); replies are matched by
//! sequence number and stale ones (from an earlier, failed transaction) are
//! skipped; NLM_F_DUMP_INTR makes a dump report itself interrupted so that
//! the caller restarts it.

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use netlink_packet_core::{NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST, NetlinkMessage};
use netlink_packet_netfilter::{
    NetfilterHeader, NetfilterMessage, NetfilterProtoFamily, nftables::NfTablesMessage,
};
use netlink_sys::{Socket, protocols::NETLINK_NETFILTER};

use super::error::{Missing, NftError, Operation};
use super::wire::{
    NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_TABLE, Reply, SealedBatch, is_element_message,
    parse_error, replies,
};
use crate::sys::{recv, setsockopt_int};

/// Send buffer asked for at open: a 100,000-element batch is about 3 MiB.
const INITIAL_SNDBUF: usize = 8 << 20;
/// Datagrams of dumps are at most 32 KiB; notifications can be bigger.
const RECV_BUF: usize = 256 << 10;
/// How long a dump may stall before we give up on the kernel.
const DUMP_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct NfSocket {
    sock: Socket,
    port_id: u32,
    seq: u32,
    sndbuf: usize,
    rbuf: Vec<u8>,
}

/// Why a transaction failed.
#[derive(Debug)]
pub(crate) enum TxnError {
    Kernel(Failure),
    Io(io::Error),
    NoAck,
}

/// The first message the kernel refused.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// Index of the refused command in the batch; none for the batch itself.
    pub command: Option<usize>,
    pub errno: i32,
    /// Top-level attribute type the extended ack points into.
    pub attr: Option<u16>,
    /// Index of the element, when it points into an element list.
    pub element: Option<usize>,
    /// nf_tables message type of the refused command.
    pub msg_type: Option<u8>,
}

impl TxnError {
    /// Names the failure for operators; `op` describes the refused command.
    pub fn into_nft_error(self, op: impl FnOnce(Option<&Failure>) -> Operation) -> NftError {
        match self {
            TxnError::Kernel(f) => {
                let missing = match (f.attr, f.msg_type) {
                    (Some(NFTA_SET_ELEM_LIST_TABLE), _) => Missing::Table,
                    (Some(NFTA_SET_ELEM_LIST_SET), Some(t)) if is_element_message(t) => {
                        Missing::Set
                    }
                    _ => Missing::Unknown,
                };
                NftError::kernel(op(Some(&f)), f.errno, missing)
            }
            TxnError::Io(source) => NftError::Socket {
                op: op(None),
                source,
            },
            TxnError::NoAck => NftError::NoAck { op: op(None) },
        }
    }
}

/// How a dump ended.
#[derive(Debug)]
pub(crate) enum DumpError {
    /// The kernel changed the data under the dump (NLM_F_DUMP_INTR): retry.
    Interrupted,
    Kernel(i32),
    Io(io::Error),
}

impl NfSocket {
    pub fn open() -> io::Result<Self> {
        let mut sock = Socket::new(NETLINK_NETFILTER)?;
        let addr = sock.bind_auto()?;
        // Errors carry only the refused message's header, plus the
        // offending attribute's offset.
        sock.set_cap_ack(true)?;
        sock.set_ext_ack(true)?;
        let mut nf = NfSocket {
            sock,
            port_id: addr.port_number(),
            seq: 1,
            sndbuf: 0,
            rbuf: vec![0; RECV_BUF],
        };
        nf.grow_sndbuf(INITIAL_SNDBUF);
        set_timeout(nf.sock.as_raw_fd(), DUMP_TIMEOUT)?;
        Ok(nf)
    }

    pub fn port_id(&self) -> u32 {
        self.port_id
    }

    /// Sequence number for the next batch or request.
    pub fn next_seq(&self) -> u32 {
        self.seq
    }

    /// Sends `batch` and checks the kernel's replies.
    pub fn transact(&mut self, batch: &SealedBatch) -> Result<(), TxnError> {
        self.seq = batch.next_seq();
        if batch.bytes.len() + 1024 > self.sndbuf {
            self.grow_sndbuf(batch.bytes.len() * 2);
        }
        let sent = self.sock.send(&batch.bytes, 0).map_err(TxnError::Io)?;
        if sent != batch.bytes.len() {
            return Err(TxnError::Io(io::Error::other(
                "short send of an nftables batch",
            )));
        }
        self.read_acks(batch)
    }

    /// The kernel handled the batch during `send`: every reply is queued.
    fn read_acks(&mut self, batch: &SealedBatch) -> Result<(), TxnError> {
        let mut failure: Option<Failure> = None;
        let mut acked = false;
        while !(acked && failure.is_none()) {
            let n = match recv(self.sock.as_raw_fd(), &mut self.rbuf, libc::MSG_DONTWAIT) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(TxnError::Io(e)),
            };
            for reply in replies(&self.rbuf[..n]) {
                if reply.seq < batch.first_seq || reply.seq > batch.last_seq {
                    continue;
                }
                let Some(ack) = parse_error(&reply) else {
                    continue;
                };
                if ack.errno == 0 {
                    acked |= reply.seq == batch.last_seq;
                } else if failure.is_none() {
                    failure = Some(describe_failure(batch, reply.seq, ack.errno, ack.bad_attr));
                }
            }
        }
        match (failure, acked) {
            (Some(f), _) => Err(TxnError::Kernel(f)),
            (None, true) => Ok(()),
            (None, false) => Err(TxnError::NoAck),
        }
    }

    /// Runs a dump of `request` (family inet), handing each reply message
    /// (header included) to `on_message`.
    pub fn dump(
        &mut self,
        request: NfTablesMessage,
        on_message: &mut dyn FnMut(&Reply<'_>),
    ) -> Result<(), DumpError> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let bytes = request_bytes(request, NLM_F_REQUEST | NLM_F_DUMP, seq);
        self.sock.send(&bytes, 0).map_err(DumpError::Io)?;
        let mut interrupted = false;
        loop {
            let n = recv(self.sock.as_raw_fd(), &mut self.rbuf, 0).map_err(DumpError::Io)?;
            for reply in replies(&self.rbuf[..n]) {
                if reply.seq != seq {
                    continue;
                }
                interrupted |= reply.flags & NLM_F_DUMP_INTR != 0;
                if reply.is_done() {
                    return if interrupted {
                        Err(DumpError::Interrupted)
                    } else {
                        Ok(())
                    };
                }
                if let Some(ack) = parse_error(&reply) {
                    return Err(DumpError::Kernel(ack.errno));
                }
                on_message(&reply);
            }
        }
    }

    /// A sequence number for one request.
    pub fn take_seq(&mut self) -> u32 {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        seq
    }

    /// Sends one request and reads replies until `answer` makes one of the
    /// messages numbered `seq` into a result.
    pub fn exchange<T>(
        &mut self,
        bytes: &[u8],
        seq: u32,
        answer: &mut dyn FnMut(&Reply<'_>) -> Option<Result<T, DumpError>>,
    ) -> Result<T, DumpError> {
        self.sock.send(bytes, 0).map_err(DumpError::Io)?;
        loop {
            let n = recv(self.sock.as_raw_fd(), &mut self.rbuf, 0).map_err(DumpError::Io)?;
            for reply in replies(&self.rbuf[..n]) {
                if reply.seq != seq {
                    continue;
                }
                if let Some(result) = answer(&reply) {
                    return result;
                }
            }
        }
    }

    fn grow_sndbuf(&mut self, want: usize) {
        let fd = self.sock.as_raw_fd();
        // SO_SNDBUFFORCE passes rmem limits with CAP_NET_ADMIN; else SO_SNDBUF.
        if setsockopt_int(fd, libc::SO_SNDBUFFORCE, want).is_err() {
            let _ = setsockopt_int(fd, libc::SO_SNDBUF, want);
        }
        self.sndbuf = getsockopt_int(fd, libc::SO_SNDBUF).unwrap_or(0);
    }
}

/// Parses one nfnetlink message (header included).
pub(crate) fn parse_nf(
    reply: &Reply<'_>,
) -> Result<NetfilterMessage, netlink_packet_core::DecodeError> {
    use netlink_packet_core::ParseableParametrized;
    NetfilterMessage::parse_with_param(reply.payload(), reply.msg_type)
}

/// A single (non-batch) request for family inet.
pub(crate) fn request_bytes(msg: NfTablesMessage, flags: u16, seq: u32) -> Vec<u8> {
    let header = NetfilterHeader::new(NetfilterProtoFamily::Inet, 0, 0);
    let mut nl = NetlinkMessage::from(NetfilterMessage::new(header, msg));
    nl.header.flags = flags;
    nl.header.sequence_number = seq;
    nl.finalize();
    let mut bytes = vec![0; nl.header.length as usize];
    nl.serialize(&mut bytes);
    bytes
}

fn describe_failure(batch: &SealedBatch, seq: u32, errno: i32, bad_attr: Option<usize>) -> Failure {
    let command = batch.command_index(seq);
    let mut failure = Failure {
        command,
        errno,
        attr: None,
        element: None,
        msg_type: None,
    };
    if let Some(index) = command {
        let msg = batch.command(index);
        failure.msg_type = Some(msg[4]);
        if let Some(offset) = bad_attr {
            let (attr, element) = super::blame::locate(msg, offset);
            failure.attr = attr;
            failure.element = element;
        }
    }
    failure
}

fn getsockopt_int(fd: i32, opt: i32) -> io::Result<usize> {
    let mut v: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: v and len are valid for writes.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            opt,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(v.max(0) as usize)
    }
}

pub(crate) fn set_timeout(fd: i32, timeout: Duration) -> io::Result<()> {
    let tv = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: timeout.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: a timeval option value, its size passed along.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            size_of::<libc::timeval>() as u32,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}
