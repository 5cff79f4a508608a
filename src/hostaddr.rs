//! The host's own addresses, read over rtnetlink (no actix inside): the
//! equivalent of `ip -o addr show`, one RTM_GETADDR dump. Jails never ban
//! these (`ignoreself`).

use std::collections::HashSet;
use std::io;
use std::net::IpAddr;

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

/// Every address configured on any interface of this network namespace.
pub fn own_addresses() -> io::Result<HashSet<IpAddr>> {
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
        let mut offset = 0;
        while offset < bytes.len() {
            let message = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&bytes[offset..])
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            let len = message.header.length as usize;
            match message.payload {
                NetlinkPayload::Done(_) => return Ok(out),
                NetlinkPayload::Error(e) => return Err(io::Error::other(e.to_string())),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(msg)) => {
                    out.extend(msg.attributes.iter().filter_map(|a| match a {
                        AddressAttribute::Address(ip) | AddressAttribute::Local(ip) => Some(*ip),
                        _ => None,
                    }));
                }
                _ => {}
            }
            if len == 0 {
                break;
            }
            offset += len;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_among_our_addresses() {
        let own = super::own_addresses().expect("rtnetlink dump");
        assert!(own.contains(&"127.0.0.1".parse().unwrap()), "{own:?}");
    }
}
