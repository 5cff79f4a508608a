//! The destination-port part of a jail's rule: one match per protocol,
//! a lone port as a comparison, a lone range as two (`>=`, `<=`), more as
//! an anonymous set (an interval set when it holds ranges), each encoded as
//! `nft` encodes the same rule.

use netlink_packet_core::NLM_F_CREATE;
use netlink_packet_netfilter::nftables::{
    Cmp, DataAttribute, Expressions, ListAttribute, MetaKey, NfTablesMessage, Operator, Register,
    SetAttribute, SetElementAttribute, SetElementFlags, SetElementList, SetElementMessage,
    SetFlags, SetMessage,
};

use super::ports::{PortRange, Ports};
use super::ruleset::{Expr, cmp_eq, dport, lookup, meta};
use super::types::JailSpec;
use super::wire::Batch;

/// Data type of a port set's key (nft's `enum datatypes`).
const TYPE_INET_SERVICE: u32 = 13;

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
                exprs.extend(within(range));
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

/// `nft add element inet T __set%d { 22, 8000-8100 }`. Ranges are sent as
/// nft sends them to an interval set: an interval end at 0 first, then
/// each range's first port and the port after its last flagged as an
/// interval end (none when it runs to 65535); in an interval set a single
/// port is the range `p-p`.
pub(crate) fn port_set_elements(table: &str, id: u32, ranges: &[PortRange]) -> NfTablesMessage {
    let interval = ranges.iter().any(|r| r.first != r.last);
    let key = |p: u16| SetElementAttribute::Key(DataAttribute::Value(p.to_be_bytes().to_vec()));
    let end = |p: u16| {
        ListAttribute::Element(vec![
            key(p),
            SetElementAttribute::Flags(SetElementFlags::IntervalEnd),
        ])
    };
    let mut elements = Vec::new();
    if interval && ranges.first().is_some_and(|r| r.first > 0) {
        elements.push(end(0));
    }
    for r in ranges {
        elements.push(ListAttribute::Element(vec![key(r.first)]));
        if let (true, Some(after)) = (interval, r.last.checked_add(1)) {
            elements.push(end(after));
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

/// `8000-8100` as nft encodes a lone range: `cmp gte` then `cmp lte`.
fn within(range: PortRange) -> [Expr; 2] {
    let cmp = |op, port: u16| -> Expr {
        Expressions::Cmp(vec![
            Cmp::SourceRegister(Register::Reg1),
            Cmp::Op(op),
            Cmp::Data(DataAttribute::Value(port.to_be_bytes().to_vec())),
        ])
        .into()
    };
    [
        cmp(Operator::GreatherThanEqual, range.first),
        cmp(Operator::LessThanEqual, range.last),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (port, interval end) of each element of the batch message.
    fn elements(msg: NfTablesMessage) -> Vec<(u16, bool)> {
        let NfTablesMessage::NewSetElement(m) = msg else {
            panic!("not an element message")
        };
        let list = m.attributes.into_iter().find_map(|a| match a {
            SetElementList::Elements(l) => Some(l),
            _ => None,
        });
        list.unwrap()
            .into_iter()
            .map(|element| {
                let ListAttribute::Element(attrs) = element else {
                    panic!("not an element")
                };
                let mut port = None;
                let mut end = false;
                for a in attrs {
                    match a {
                        SetElementAttribute::Key(DataAttribute::Value(v)) => {
                            port = Some(u16::from_be_bytes([v[0], v[1]]))
                        }
                        SetElementAttribute::Flags(f) => {
                            end = f.contains(SetElementFlags::IntervalEnd)
                        }
                        _ => {}
                    }
                }
                (port.unwrap(), end)
            })
            .collect()
    }

    #[test]
    fn interval_elements_are_those_nft_sends() {
        // nft --debug=netlink add rule ... tcp dport { 22, 8000-8100, 60000-65535 } ...:
        // element 0 [end], 22, 23 [end], 8000, 8101 [end], 60000
        let ranges = [
            PortRange {
                first: 22,
                last: 22,
            },
            PortRange {
                first: 8000,
                last: 8100,
            },
            PortRange {
                first: 60000,
                last: 65535,
            },
        ];
        assert_eq!(
            elements(port_set_elements("t", 1, &ranges)),
            [
                (0, true),
                (22, false),
                (23, true),
                (8000, false),
                (8101, true),
                (60000, false)
            ]
        );
        // Without ranges, plain elements.
        let ports = [PortRange::one(22), PortRange::one(2222)];
        assert_eq!(
            elements(port_set_elements("t", 1, &ports)),
            [(22, false), (2222, false)]
        );
    }
}
