//! Single questions to the kernel, answered without a dump: is this
//! element in that set (NFT_MSG_GETSETELEM for one key, what `nft get
//! element` sends after reading the whole set), and which generation is the
//! ruleset at (NFT_MSG_GETGEN). Both are answered from RCU without the
//! commit lock, so asking does not slow down the transactions measured or
//! watched.

use std::net::IpAddr;

use netlink_packet_core::NLM_F_REQUEST;
use netlink_packet_netfilter::NetfilterMessageInner;
use netlink_packet_netfilter::nftables::{
    GenAttribute, GenMessage, NfTablesMessage, SetElementList, SetElementMessage,
};

use super::Nft;
use super::encode::ElementList;
use super::error::{Missing, NftError, Operation};
use super::socket::{DumpError, parse_nf, request_bytes};
use super::wire::parse_error;

impl Nft {
    /// Whether `set` of `table` holds `addr` now: `nft get element inet
    /// T S { addr }` without the listing first. In an interval set the
    /// kernel answers for the network holding `addr`; a missing table or
    /// set is an error.
    pub fn holds(&mut self, table: &str, set: &str, addr: IpAddr) -> Result<bool, NftError> {
        let key = super::elements::key(&addr);
        let mut list = ElementList::default();
        list.push_key(key.as_ref(), None, None);
        let request = NfTablesMessage::GetSetElement(SetElementMessage {
            attributes: vec![
                SetElementList::Table(table.into()),
                SetElementList::Set(set.into()),
                list.into_attribute(),
            ],
        });
        let op = || Operation::List {
            table: table.into(),
            set: Some(set.into()),
        };
        match self.request(request) {
            Ok(_) => Ok(true),
            Err(DumpError::Kernel(libc::ENOENT)) => {
                // ENOENT also means a missing table or set: tell them apart.
                if self.sets(table)?.iter().any(|s| s.name == set) {
                    Ok(false)
                } else {
                    Err(NftError::kernel(op(), libc::ENOENT, Missing::Set))
                }
            }
            Err(e) => Err(failed(e, op())),
        }
    }

    /// The ruleset's generation: the kernel adds one per committed
    /// transaction (the id of NFT_MSG_NEWGEN, as `nft monitor` shows it).
    pub fn generation(&mut self) -> Result<u32, NftError> {
        let request = NfTablesMessage::GetGen(GenMessage { attributes: vec![] });
        let table = self.table.clone();
        let op = || Operation::List {
            table: table.clone(),
            set: None,
        };
        let reply = self.request(request).map_err(|e| failed(e, op()))?;
        let id = match reply {
            NfTablesMessage::NewGen(GenMessage { attributes }) => {
                attributes.into_iter().find_map(|a| match a {
                    GenAttribute::Id(id) => Some(id),
                    _ => None,
                })
            }
            _ => None,
        };
        id.ok_or(NftError::NoAck { op: op() })
    }

    /// Sends one non-dump request; its one reply, or the kernel's errno.
    fn request(&mut self, request: NfTablesMessage) -> Result<NfTablesMessage, DumpError> {
        let seq = self.sock.take_seq();
        let bytes = request_bytes(request, NLM_F_REQUEST, seq);
        self.sock.exchange(&bytes, seq, &mut |reply| {
            if let Some(ack) = parse_error(reply) {
                return Some(Err(DumpError::Kernel(ack.errno)));
            }
            match parse_nf(reply).map(|m| m.inner) {
                Ok(NetfilterMessageInner::NfTables(msg)) => Some(Ok(msg)),
                _ => None,
            }
        })
    }
}

fn failed(e: DumpError, op: Operation) -> NftError {
    match e {
        DumpError::Kernel(errno) => NftError::kernel(op, errno, Missing::Unknown),
        DumpError::Io(source) => NftError::Socket { op, source },
        DumpError::Interrupted => NftError::NoAck { op },
    }
}
