//! The host's own addresses over rtnetlink (no actix inside but the
//! [`HostAddresses`] message their changes travel in): [`dump`]
//! reads them once (one RTM_GETADDR dump, the equivalent of
//! `ip -o addr show`), [`AddressWatch`] follows their changes (the
//! RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR multicast groups, what
//! `ip monitor address` shows). Jails never ban these (`ignoreself`).
//!
//! An address is kept with its interface index ([`IfAddr`]): the same
//! address on two interfaces stays ours until it is gone from both.
//! For point-to-point links the local end (IFA_LOCAL) is ours, not the
//! peer (IFA_ADDRESS), as `ip addr` shows it.

use std::collections::{HashSet, VecDeque};
use std::io;
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use crate::sys::{readable, recv, setsockopt_int};

/// The kernel's multicast group for IPv4 address changes (`rtnetlink.h`).
pub const RTNLGRP_IPV4_IFADDR: u32 = 5;
/// The kernel's multicast group for IPv6 address changes.
pub const RTNLGRP_IPV6_IFADDR: u32 = 9;

/// An address and the index of the interface it is configured on.
pub type IfAddr = (u32, IpAddr);

/// The host's own addresses changed: `own` is the whole new set, `added`
/// and `removed` what changed. Sent by the address watcher thread (the
/// observer's `hostwatch`) to whoever hands the set to the jails (the
/// server); no reply. Declared here, below both, so that the sender never
/// names its receiver.
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub struct HostAddresses {
    pub own: Arc<HashSet<IpAddr>>,
    pub added: Vec<IpAddr>,
    pub removed: Vec<IpAddr>,
}

/// Every address configured on any interface of this network namespace.
pub fn own_addresses() -> io::Result<HashSet<IpAddr>> {
    Ok(dump()?.into_iter().map(|(_, a)| a).collect())
}

/// Every address with its interface: `ip -o addr show`, one RTM_GETADDR
/// dump on a socket of its own.
pub fn dump() -> io::Result<HashSet<IfAddr>> {
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    header.sequence_number = 1;
    let mut request = NetlinkMessage::new(
        header,
        NetlinkPayload::from(RouteNetlinkMessage::GetAddress(AddressMessage::default())),
    );
    request.finalize();
    let mut buf = vec![0; request.buffer_len()];
    request.serialize(&mut buf);
    socket.send(&buf, 0)?;
    let mut out = HashSet::new();
    loop {
        let (bytes, _) = socket.recv_from_full()?;
        for payload in messages(&bytes) {
            match payload {
                NetlinkPayload::Done(_) => return Ok(out),
                NetlinkPayload::Error(e) => return Err(io::Error::other(e.to_string())),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(msg)) => {
                    out.extend(if_addr(&msg));
                }
                _ => {}
            }
        }
    }
}

/// The netlink messages in one datagram; one this crate cannot parse is
/// skipped, not the datagram.
fn messages(bytes: &[u8]) -> Vec<NetlinkPayload<RouteNetlinkMessage>> {
    const NLMSG_HDRLEN: usize = 16;
    let mut out = Vec::new();
    let mut offset = 0;
    while offset + NLMSG_HDRLEN <= bytes.len() {
        let mut len = [0u8; 4];
        len.copy_from_slice(&bytes[offset..offset + 4]);
        let len = u32::from_ne_bytes(len) as usize;
        if len < NLMSG_HDRLEN {
            break;
        }
        let end = (offset + len).min(bytes.len());
        if let Ok(m) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&bytes[offset..end]) {
            out.push(m.payload);
        }
        // NLMSG_ALIGN: messages start on 4-byte boundaries.
        offset += (len + 3) & !3;
    }
    out
}

/// The host's end of an address message: IFA_LOCAL, else IFA_ADDRESS.
fn if_addr(msg: &AddressMessage) -> Option<IfAddr> {
    let mut address = None;
    for attribute in &msg.attributes {
        match attribute {
            AddressAttribute::Local(ip) => return Some((msg.header.index, *ip)),
            AddressAttribute::Address(ip) => address = Some(*ip),
            _ => {}
        }
    }
    address.map(|a| (msg.header.index, a))
}

/// A change of the host's addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressEvent {
    /// RTM_NEWADDR (also sent again when an address's flags change).
    Added(IfAddr),
    /// RTM_DELADDR.
    Removed(IfAddr),
    /// The socket overflowed (ENOBUFS): changes were lost; [`dump`] again.
    Lost,
}

/// A subscription to address changes: `ip monitor address`.
pub struct AddressWatch {
    sock: Socket,
    ready: VecDeque<AddressEvent>,
    rbuf: Vec<u8>,
}

impl AddressWatch {
    /// Joins RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR. Subscribe before
    /// the [`dump`] that gives the starting set, so no change falls between.
    pub fn subscribe() -> io::Result<AddressWatch> {
        let mut sock = Socket::new(NETLINK_ROUTE)?;
        sock.bind(&SocketAddr::new(0, 0))?;
        sock.add_membership(RTNLGRP_IPV4_IFADDR)?;
        sock.add_membership(RTNLGRP_IPV6_IFADDR)?;
        Ok(AddressWatch {
            sock,
            ready: VecDeque::new(),
            rbuf: vec![0; 64 * 1024],
        })
    }

    /// Sets the socket's receive buffer (SO_RCVBUF): a small one makes
    /// overruns ([`AddressEvent::Lost`]) likelier; for tests.
    pub fn set_receive_buffer(&self, bytes: usize) -> io::Result<()> {
        setsockopt_int(self.sock.as_raw_fd(), libc::SO_RCVBUF, bytes)
    }

    /// The next change, waiting at most `timeout` (forever if none);
    /// `Ok(None)` when the time ran out.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> io::Result<Option<AddressEvent>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            let fd = self.sock.as_raw_fd();
            if !readable(fd, timeout)? {
                return Ok(None);
            }
            match recv(fd, &mut self.rbuf, libc::MSG_DONTWAIT) {
                Ok(n) => self.absorb(n),
                Err(e) => match e.raw_os_error() {
                    Some(libc::ENOBUFS) => self.ready.push_back(AddressEvent::Lost),
                    Some(libc::EAGAIN | libc::EINTR) => {}
                    _ => return Err(e),
                },
            }
        }
    }

    fn absorb(&mut self, n: usize) {
        for payload in messages(&self.rbuf[..n]) {
            let event = match payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(m)) => {
                    if_addr(&m).map(AddressEvent::Added)
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelAddress(m)) => {
                    if_addr(&m).map(AddressEvent::Removed)
                }
                _ => None,
            };
            self.ready.extend(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ip addr add 192.0.2.7 peer 192.0.2.1 dev <2>` as RTM_NEWADDR.
    fn new_address() -> Vec<u8> {
        let mut msg = AddressMessage::default();
        msg.header.index = 2;
        msg.header.family = netlink_packet_route::AddressFamily::Inet;
        msg.header.prefix_len = 32;
        let peer = "192.0.2.1".parse().unwrap();
        let local = "192.0.2.7".parse().unwrap();
        msg.attributes.push(AddressAttribute::Address(peer));
        msg.attributes.push(AddressAttribute::Local(local));
        let payload = NetlinkPayload::from(RouteNetlinkMessage::NewAddress(msg));
        let mut message = NetlinkMessage::new(NetlinkHeader::default(), payload);
        message.finalize();
        let mut buf = vec![0; message.buffer_len()];
        message.serialize(&mut buf);
        buf
    }

    #[test]
    fn a_datagram_skips_a_message_that_does_not_parse_and_takes_the_local_end() {
        let mut datagram = new_address();
        // RTM_NEWADDR (20) whose 4-byte body is too short for ifaddrmsg.
        let broken: [u8; 20] = [20, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0];
        datagram.extend_from_slice(&broken);
        datagram.extend_from_slice(&new_address());
        let found: Vec<IfAddr> = messages(&datagram)
            .into_iter()
            .filter_map(|p| match p {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(m)) => if_addr(&m),
                _ => None,
            })
            .collect();
        let local: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(found, vec![(2, local), (2, local)]);
    }

    #[test]
    fn loopback_is_among_our_addresses() {
        let own = own_addresses().expect("rtnetlink dump");
        assert!(own.contains(&"127.0.0.1".parse().unwrap()), "{own:?}");
    }
}
