//! The destination-port part of a jail's rule: one match per protocol,
//! a lone port as a comparison, a lone range as a range expression, more as
//! an anonymous set (an interval set when it holds ranges), each encoded as
//! `nft` encodes the same rule.

use netlink_packet_core::{DefaultNla, NLM_F_CREATE};
use netlink_packet_netfilter::nftables::{
    DataAttribute, Expressions, ListAttribute, MetaKey, NfTablesMessage, SetAttribute,
    SetElementAttribute, SetElementFlags, SetElementList, SetElementMessage, SetFlags, SetMessage,
};

use super::ports::{PortRange, Ports};
use super::ruleset::{Expr, cmp_eq, dport, lookup, meta};
use super::types::JailSpec;
use super::wire::Batch;

/// Data type of a port set's key (nft's `enum datatypes`).
const TYPE_INET_SERVICE: u32 = 13;
/// Range expression (not in the model): attributes, operator, register.
const NFTA_RANGE_SREG: u16 = 1;
const NFTA_RANGE_OP: u16 = 2;
const NFTA_RANGE_FROM_DATA: u16 = 3;
const NFTA_RANGE_TO_DATA: u16 = 4;
const NFT_RANGE_EQ: u32 = 0;
const NFT_REG_1: u32 = 1;
const NFTA_DATA_VALUE: u16 = 1;
const NLA_F_NESTED: u16 = 0x8000;

/// How a rule matches the destination port.
pub(crate) enum PortMatch {
    Any,
    /// `meta l4proto udp`: every port of one protocol.
    Proto(u8),
    /// `tcp dport 22`
    One {
        proto: u8,
        port: u16,
    },
    /// `tcp dport 8000-8100`: one range needs no set.
    Range {
        proto: u8,
        range: PortRange,
    },
    /// `tcp dport { 22, 8000-8100 }`: an anonymous set added to the batch.
    Set {
        proto: u8,
        set_id: u32,
    },
}

/// One match per protocol of the jail (one rule each), each listed set
/// being its own anonymous set since an anonymous set belongs to one rule.
pub(super) fn port_matches(
    batch: &mut Batch,
    table: &str,
    jail: &JailSpec,
    next_id: &mut u32,
) -> Vec<PortMatch> {
    let (protocols, ranges) = match &jail.ports {
        Ports::All => return vec![PortMatch::Any],
        Ports::Listed { protocols, ranges } => (protocols, ranges),
    };
    let mut matches = Vec::new();
    for proto in protocols.iter().map(|p| p.number()) {
        if ranges.is_empty() {
            matches.push(PortMatch::Proto(proto));
            continue;
        }
        if let [range] = ranges.as_slice() {
            matches.push(match range.first == range.last {
                true => PortMatch::One {
                    proto,
                    port: range.first,
                },
                false => PortMatch::Range {
                    proto,
                    range: *range,
                },
            });
            continue;
        }
        let set_id = *next_id;
        *next_id += 1;
        let interval = ranges.iter().any(|r| r.first != r.last);
        batch.push(new_port_set(table, set_id, interval), NLM_F_CREATE);
        batch.push(port_set_elements(table, set_id, ranges), NLM_F_CREATE);
        matches.push(PortMatch::Set { proto, set_id });
    }
    matches
}

impl PortMatch {
    /// The rule's expressions up to the address lookup, and the transport
    /// protocol they match (which a reject verdict depends on).
    pub(super) fn expressions(self) -> (Vec<Expr>, Option<u8>) {
        let mut exprs = Vec::new();
        let l4 = match self {
            PortMatch::Any => None,
            PortMatch::Proto(proto) => {
                exprs.push(meta(MetaKey::L4Proto));
                exprs.push(cmp_eq(vec![proto]));
                Some(proto)
            }
            PortMatch::One { proto, port } => {
                exprs.extend(dport(proto));
                exprs.push(cmp_eq(port.to_be_bytes().to_vec()));
                Some(proto)
            }
            PortMatch::Range { proto, range } => {
                exprs.extend(dport(proto));
                exprs.push(range_eq(range));
                Some(proto)
            }
            PortMatch::Set { proto, set_id } => {
                exprs.extend(dport(proto));
                exprs.push(lookup("__set%d", set_id));
                Some(proto)
            }
        };
        (exprs, l4)
    }
}

/// The anonymous set of `tcp dport { 22, 2222 }`:
/// `nft add set inet T __set%d { type inet_service; flags constant; }`
/// (anonymous; `flags interval,constant` when it holds ranges).
pub(crate) fn new_port_set(table: &str, id: u32, interval: bool) -> NfTablesMessage {
    let mut flags = SetFlags::Anonymous | SetFlags::Constant;
    if interval {
        flags |= SetFlags::Interval;
    }
    NfTablesMessage::NewSet(SetMessage {
        attributes: vec![
            SetAttribute::Table(table.into()),
            SetAttribute::Name("__set%d".into()),
            SetAttribute::Flags(flags),
            SetAttribute::KeyType(TYPE_INET_SERVICE),
            SetAttribute::KeyLen(2),
            SetAttribute::Id(id),
        ],
    })
}

/// `nft add element inet T __set%d { 22, 8000-8100 }`. A range is sent as
/// nft sends it to an interval set: its first port, then the port after
/// its last flagged as an interval end (none when it runs to 65535); in an
/// interval set a single port is the range `p-p`.
pub(crate) fn port_set_elements(table: &str, id: u32, ranges: &[PortRange]) -> NfTablesMessage {
    let interval = ranges.iter().any(|r| r.first != r.last);
    let key = |p: u16| SetElementAttribute::Key(DataAttribute::Value(p.to_be_bytes().to_vec()));
    let mut elements = Vec::new();
    for r in ranges {
        elements.push(ListAttribute::Element(vec![key(r.first)]));
        if let (true, Some(end)) = (interval, r.last.checked_add(1)) {
            elements.push(ListAttribute::Element(vec![
                key(end),
                SetElementAttribute::Flags(SetElementFlags::IntervalEnd),
            ]));
        }
    }
    NfTablesMessage::NewSetElement(SetElementMessage {
        attributes: vec![
            SetElementList::Table(table.into()),
            SetElementList::Set("__set%d".into()),
            SetElementList::SetId(id),
            SetElementList::Elements(elements),
        ],
    })
}

/// `8000-8100` as nft encodes a lone range: the range expression (not in
/// the model), with both bounds as nested NFTA_DATA_VALUE attributes.
fn range_eq(range: PortRange) -> Expr {
    let data = |port: u16| {
        let [hi, lo] = port.to_be_bytes();
        // struct nlattr { len 6, type NFTA_DATA_VALUE }, 2 bytes, 2 of padding
        vec![6, 0, NFTA_DATA_VALUE as u8, 0, hi, lo, 0, 0]
    };
    Expressions::Other {
        expression_type: "range".into(),
        attributes: vec![
            DefaultNla::new(NFTA_RANGE_SREG, NFT_REG_1.to_be_bytes().to_vec()),
            DefaultNla::new(NFTA_RANGE_OP, NFT_RANGE_EQ.to_be_bytes().to_vec()),
            DefaultNla::new(NLA_F_NESTED | NFTA_RANGE_FROM_DATA, data(range.first)),
            DefaultNla::new(NLA_F_NESTED | NFTA_RANGE_TO_DATA, data(range.last)),
        ],
    }
    .into()
}
