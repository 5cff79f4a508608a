//! Watching the ruleset: NFNLGRP_NFTABLES notifications about our table.
//!
//! The kernel sends, for each committed transaction, one notification per
//! object changed and then NFT_MSG_NEWGEN with the new generation and the
//! committing process (NFTA_GEN_PROC_PID, NFTA_GEN_PROC_NAME). Every
//! notification carries the netlink port id of the socket that sent the
//! transaction, which is how we tell our own transactions from others':
//! register our sockets with [`Monitor::add_own_port`].
//!
//! Every element we add produces a notification too: a very large batch of
//! bans can overflow the subscription's buffer. The kernel then reports
//! ENOBUFS, which comes out as [`ObjectEvent::Lost`]: re-read the ruleset.

use std::collections::VecDeque;
use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use netlink_packet_netfilter::nftables::{
    ChainAttribute, GenAttribute, ListAttribute, NfTablesMessage, RuleAttribute, SetAttribute,
    SetElementAttribute, SetElementFlags, SetElementList, TableAttribute,
};
use netlink_packet_netfilter::{NetfilterMessageInner, NetfilterProtoFamily};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_NETFILTER};

use super::socket::parse_nf;
use super::wire::{NFNLGRP_NFTABLES, replies};
use crate::sys::{readable, recv, setsockopt_int};

const MONITOR_RCVBUF: usize = 16 << 20;

/// A change to one of our objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectEvent {
    TableAdded,
    TableDeleted,
    ChainAdded(String),
    ChainDeleted(String),
    SetAdded(String),
    SetDeleted(String),
    /// A rule added to (or deleted from) this chain.
    RuleAdded(String),
    RuleDeleted(String),
    /// Elements added to or removed from a set (bans); counted.
    ElementsAdded {
        set: String,
        count: usize,
    },
    ElementsDeleted {
        set: String,
        count: usize,
    },
    /// The socket overflowed: events were lost; re-read the ruleset.
    Lost,
}

/// One committed transaction that touched our table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub events: Vec<ObjectEvent>,
    /// Port id of the socket that committed it.
    pub port_id: u32,
    /// NFTA_GEN_PROC_PID and NFTA_GEN_PROC_NAME of the committing process.
    pub pid: Option<u32>,
    pub process: Option<String>,
    /// True when one of our registered sockets committed it.
    pub ours: bool,
    /// The ruleset's generation after it (NFTA_GEN_ID); none when lost.
    pub generation: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("cannot subscribe to nftables notifications")]
    Subscribe(#[source] io::Error),
    #[error("cannot read nftables notifications")]
    Read(#[source] io::Error),
}

/// A switch for a [`Monitor`]'s subscription, usable from another thread:
/// while the monitor is out of the group the kernel builds no notification
/// for it (with no listener at all, none), which is what makes our own
/// transactions of 200,000 elements cheap. Whoever leaves must find out
/// afterwards what it missed: [`super::Nft::generation`] before leaving and
/// after joining tells whether any other transaction committed meanwhile.
pub struct Membership {
    fd: std::os::fd::OwnedFd,
}

impl Membership {
    /// Stops the notifications (NETLINK_DROP_MEMBERSHIP).
    pub fn leave(&self) -> io::Result<()> {
        self.set(libc::NETLINK_DROP_MEMBERSHIP)
    }

    /// Resumes them (NETLINK_ADD_MEMBERSHIP).
    pub fn join(&self) -> io::Result<()> {
        self.set(libc::NETLINK_ADD_MEMBERSHIP)
    }

    fn set(&self, opt: i32) -> io::Result<()> {
        let group = NFNLGRP_NFTABLES as libc::c_int;
        // SAFETY: a c_int option value, its size passed along, on a
        // descriptor this handle owns.
        let rc = unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&self.fd),
                libc::SOL_NETLINK,
                opt,
                (&group as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as u32,
            )
        };
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

/// A subscription to NFNLGRP_NFTABLES, filtered to one table (family inet).
pub struct Monitor {
    sock: Socket,
    table: String,
    own_ports: Vec<u32>,
    pending: Vec<(ObjectEvent, u32)>,
    ready: VecDeque<Change>,
    rbuf: Vec<u8>,
}

impl Monitor {
    /// Subscribes to nf_tables notifications about `table`: what
    /// `nft monitor` shows, filtered to one table of family inet.
    pub fn subscribe(table: &str) -> Result<Self, MonitorError> {
        let mut sock = Socket::new(NETLINK_NETFILTER).map_err(MonitorError::Subscribe)?;
        sock.bind(&SocketAddr::new(0, 0))
            .map_err(MonitorError::Subscribe)?;
        sock.add_membership(NFNLGRP_NFTABLES)
            .map_err(MonitorError::Subscribe)?;
        let rbuf = vec![0; 1 << 20];
        let monitor = Monitor {
            sock,
            table: table.into(),
            own_ports: Vec::new(),
            pending: Vec::new(),
            ready: VecDeque::new(),
            rbuf,
        };
        // The default is enough for most; a failure here only makes
        // ObjectEvent::Lost likelier.
        let _ = monitor.set_receive_buffer(MONITOR_RCVBUF);
        Ok(monitor)
    }

    /// Sets the socket's receive buffer (SO_RCVBUFFORCE with CAP_NET_ADMIN,
    /// else SO_RCVBUF within the system's limit). 16 MiB by default, which
    /// holds the notifications of a 200,000-ban transaction.
    pub fn set_receive_buffer(&self, bytes: usize) -> Result<(), MonitorError> {
        let fd = self.sock.as_raw_fd();
        setsockopt_int(fd, libc::SO_RCVBUFFORCE, bytes)
            .or_else(|_| setsockopt_int(fd, libc::SO_RCVBUF, bytes))
            .map_err(MonitorError::Subscribe)
    }

    /// A switch for this subscription (a duplicate of its descriptor).
    pub fn membership(&self) -> Result<Membership, MonitorError> {
        // SAFETY: the descriptor is open for as long as `self.sock` lives.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(self.sock.as_raw_fd()) };
        let fd = fd.try_clone_to_owned().map_err(MonitorError::Subscribe)?;
        Ok(Membership { fd })
    }

    /// Marks transactions sent from `port_id` (see [`super::Nft::port_id`]) as ours.
    pub fn add_own_port(&mut self, port_id: u32) {
        self.own_ports.push(port_id);
    }

    /// The next transaction that touched our table, waiting at most
    /// `timeout` (forever if none); `Ok(None)` when the time ran out.
    pub fn next_change(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<Change>, MonitorError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(change) = self.ready.pop_front() {
                return Ok(Some(change));
            }
            // Past the deadline, still read what is already queued.
            let wait = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if !readable(self.sock.as_raw_fd(), wait).map_err(MonitorError::Read)? {
                return Ok(None);
            }
            match recv(self.sock.as_raw_fd(), &mut self.rbuf, libc::MSG_DONTWAIT) {
                Ok(n) => self.absorb(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => self.lost(),
                Err(e) => return Err(MonitorError::Read(e)),
            }
        }
    }

    fn lost(&mut self) {
        self.pending.clear();
        let change = Change {
            events: vec![ObjectEvent::Lost],
            port_id: 0,
            pid: None,
            process: None,
            ours: false,
            generation: None,
        };
        self.ready.push_back(change);
    }

    fn absorb(&mut self, n: usize) {
        let buf = std::mem::take(&mut self.rbuf);
        for reply in replies(&buf[..n]) {
            let Ok(msg) = parse_nf(&reply) else { continue };
            let NetfilterMessageInner::NfTables(nft) = msg.inner else {
                continue;
            };
            if let NfTablesMessage::NewGen(generation) = &nft {
                self.commit(reply.port_id, &generation.attributes);
            } else if msg.header.family == NetfilterProtoFamily::Inet
                && let Some(event) = event_for(&self.table, nft)
            {
                self.push(event, reply.port_id);
            }
        }
        self.rbuf = buf;
    }

    /// Counts consecutive element notifications for one set as one event.
    fn push(&mut self, event: ObjectEvent, port: u32) {
        if let Some((last, _)) = self.pending.last_mut() {
            match (last, &event) {
                (
                    ObjectEvent::ElementsAdded { set: a, count },
                    ObjectEvent::ElementsAdded { set: b, count: n },
                )
                | (
                    ObjectEvent::ElementsDeleted { set: a, count },
                    ObjectEvent::ElementsDeleted { set: b, count: n },
                ) if a == b => {
                    *count += n;
                    return;
                }
                _ => {}
            }
        }
        self.pending.push((event, port));
    }

    fn commit(&mut self, port_id: u32, attrs: &[GenAttribute]) {
        if self.pending.is_empty() {
            return;
        }
        let mut change = Change {
            events: Vec::new(),
            port_id,
            pid: None,
            process: None,
            ours: false,
            generation: None,
        };
        for attr in attrs {
            match attr {
                GenAttribute::Id(id) => change.generation = Some(*id),
                GenAttribute::ProcPid(pid) => change.pid = Some(*pid),
                GenAttribute::ProcName(name) => change.process = Some(name.clone()),
                _ => {}
            }
        }
        change.events = self.pending.drain(..).map(|(e, _)| e).collect();
        change.ours = self.own_ports.contains(&port_id);
        self.ready.push_back(change);
    }
}

/// The event `msg` means for `table`, if it is about it.
fn event_for(table: &str, msg: NfTablesMessage) -> Option<ObjectEvent> {
    use NfTablesMessage as M;
    match msg {
        M::NewTable(t) | M::DeleteTable(t) if !table_named(&t.attributes, table) => None,
        M::NewTable(_) => Some(ObjectEvent::TableAdded),
        M::DeleteTable(_) => Some(ObjectEvent::TableDeleted),
        M::NewChain(c) => chain_of(table, c.attributes).map(ObjectEvent::ChainAdded),
        M::DeleteChain(c) => chain_of(table, c.attributes).map(ObjectEvent::ChainDeleted),
        M::NewSet(s) => set_of(table, s.attributes).map(ObjectEvent::SetAdded),
        M::DeleteSet(s) => set_of(table, s.attributes).map(ObjectEvent::SetDeleted),
        M::NewRule(r) => rule_chain(table, r.attributes).map(ObjectEvent::RuleAdded),
        M::DeleteRule(r) => rule_chain(table, r.attributes).map(ObjectEvent::RuleDeleted),
        M::NewSetElement(e) => elements_of(table, e.attributes)
            .map(|(set, count)| ObjectEvent::ElementsAdded { set, count }),
        M::DeleteSetElement(e) => elements_of(table, e.attributes)
            .map(|(set, count)| ObjectEvent::ElementsDeleted { set, count }),
        _ => None,
    }
}

fn table_named(attrs: &[TableAttribute], table: &str) -> bool {
    attrs
        .iter()
        .any(|a| matches!(a, TableAttribute::Name(n) if n == table))
}

fn chain_of(table: &str, attrs: Vec<ChainAttribute>) -> Option<String> {
    let in_table = attrs
        .iter()
        .any(|a| matches!(a, ChainAttribute::Table(t) if t == table));
    let name = attrs.into_iter().find_map(|a| {
        if let ChainAttribute::Name(n) = a {
            Some(n)
        } else {
            None
        }
    });
    name.filter(|_| in_table)
}

fn set_of(table: &str, attrs: Vec<SetAttribute>) -> Option<String> {
    let in_table = attrs
        .iter()
        .any(|a| matches!(a, SetAttribute::Table(t) if t == table));
    let name = attrs.into_iter().find_map(|a| {
        if let SetAttribute::Name(n) = a {
            Some(n)
        } else {
            None
        }
    });
    // Anonymous sets (`{ 22, 2222 }`) come and go with their rules.
    name.filter(|n| in_table && !n.starts_with("__set"))
}

fn rule_chain(table: &str, attrs: Vec<RuleAttribute>) -> Option<String> {
    let in_table = attrs
        .iter()
        .any(|a| matches!(a, RuleAttribute::Table(t) if t == table));
    let chain = attrs.into_iter().find_map(|a| {
        if let RuleAttribute::Chain(n) = a {
            Some(n)
        } else {
            None
        }
    });
    chain.filter(|_| in_table)
}

/// Whether a set element is the end of an interval (NFT_SET_ELEM_INTERVAL_END).
fn interval_end(element: &ListAttribute<SetElementAttribute>) -> bool {
    let ListAttribute::Element(attrs) = element else {
        return false;
    };
    (attrs.iter()).any(
        |a| matches!(a, SetElementAttribute::Flags(f) if f.contains(SetElementFlags::IntervalEnd)),
    )
}

fn elements_of(table: &str, attrs: Vec<SetElementList>) -> Option<(String, usize)> {
    let mut in_table = false;
    let mut set = None;
    let mut count = 0;
    for attr in attrs {
        match attr {
            SetElementList::Table(t) => in_table = t == table,
            SetElementList::Set(s) => set = Some(s),
            // An interval set's end elements are half of a ban, not bans.
            SetElementList::Elements(e) => count = e.iter().filter(|e| !interval_end(e)).count(),
            _ => {}
        }
    }
    set.filter(|s| in_table && !s.starts_with("__set"))
        .map(|s| (s, count))
}
