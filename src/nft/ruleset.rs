//! The setup transaction: our table, the jails' sets, base chains, rules.
//!
//! Each builder returns the nf_tables message and documents the `nft`
//! command it is equivalent to. Expressions follow what `nft` itself emits
//! for the same rule (see `nft --debug=netlink`), so that `nft list` shows
//! our rules exactly as written in DESIGN.md.

use netlink_packet_core::{DefaultNla, NLM_F_APPEND, NLM_F_CREATE};
use netlink_packet_netfilter::nftables::{
    ChainAttribute, ChainMessage, Cmp, DataAttribute, ExpressionAttribute, Expressions,
    Hook as NlHook, HookNumber, Immediate, InetHookNumber, ListAttribute, Lookup, Meta, MetaKey,
    NfTablesMessage, Operator, Payload, Register, RuleAttribute, RuleMessage, SetAttribute,
    SetFlags, SetMessage, TableAttribute, TableMessage, Verdict, VerdictAttribute,
};

use super::elements::SetKind;
use super::port_match::{PortMatch, port_matches};
use super::types::{BanVerdict, Hook, JailSpec, NftConfig};
use super::wire::{Batch, SealedBatch};

/// Data types of set keys (nft's `enum datatypes`).
const TYPE_IPADDR: u32 = 7;
const TYPE_IP6ADDR: u32 = 8;
/// enum nft_payload_bases
const NFT_PAYLOAD_NETWORK_HEADER: u32 = 1;
pub(super) const NFT_PAYLOAD_TRANSPORT_HEADER: u32 = 2;
/// NF_DROP and NF_ACCEPT (include/uapi/linux/netfilter.h).
const NF_DROP: u32 = 0;
const NF_ACCEPT: u32 = 1;
/// Reject expression (not in the model): attributes and types.
const NFTA_REJECT_TYPE: u16 = 1;
const NFTA_REJECT_ICMP_CODE: u16 = 2;
const NFT_REJECT_ICMP_UNREACH: u32 = 0;
const NFT_REJECT_TCP_RST: u32 = 1;
const ICMP_PORT_UNREACH: u8 = 3;
const ICMPV6_PORT_UNREACH: u8 = 4;
/// NF_IP_PRI_FILTER - 1: just before a default `filter` chain.
const PRIORITY: i32 = -1;
const NFPROTO_IPV4: u8 = 2;
const NFPROTO_IPV6: u8 = 10;

/// An address family of a jail's set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    V4,
    V6,
}

/// The setup batch, to be sealed: `nft -f` of
/// `add table inet T; delete table inet T; table inet T { ... }`. Per jail
/// a hash set per family for addresses (`J-v6` an interval set with an
/// ipv6-prefix; both when `interval_hosts`, only for benches/nft_sets.rs)
/// and an interval set per family for networks, and a rule per set.
pub(crate) fn setup_batch(config: &NftConfig, first_seq: u32, interval_hosts: bool) -> Batch {
    let mut batch = Batch::new(first_seq);
    let t = config.table.as_str();
    batch.push(new_table(t), NLM_F_CREATE);
    batch.push(delete_table(t), 0);
    batch.push(new_table(t), NLM_F_CREATE);
    let mut next_id = 1u32;
    let mut jail_sets = Vec::new();
    for jail in &config.jails {
        let mut sets = Vec::new();
        for kind in [
            SetKind::Hosts4,
            SetKind::Hosts6,
            SetKind::Nets4,
            SetKind::Nets6,
        ] {
            let family = match kind {
                SetKind::Hosts4 | SetKind::Nets4 => Family::V4,
                SetKind::Hosts6 | SetKind::Nets6 => Family::V6,
            };
            let name = format!("{}-{}", jail.name, kind.suffix());
            let interval = kind.interval(jail.v6_prefix, interval_hosts);
            batch.push(new_set(t, &name, family, interval, next_id), NLM_F_CREATE);
            sets.push((family, name, next_id));
            next_id += 1;
        }
        jail_sets.push(sets);
    }
    for &hook in &config.hooks {
        batch.push(new_chain(t, hook), NLM_F_CREATE);
    }
    for &hook in &config.hooks {
        for (jail, sets) in config.jails.iter().zip(&jail_sets) {
            for (family, set, set_id) in sets {
                for ports in port_matches(&mut batch, t, jail, &mut next_id) {
                    let lookup = SetRef {
                        family: *family,
                        name: set,
                        id: *set_id,
                    };
                    let rule = new_rule(t, hook, jail, lookup, ports);
                    batch.push(rule, NLM_F_CREATE | NLM_F_APPEND);
                }
            }
        }
    }
    batch
}

/// The set a rule looks the source address up in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SetRef<'a> {
    pub family: Family,
    pub name: &'a str,
    pub id: u32,
}

/// Deletes the table if present: `nft add table inet T; nft delete table inet T`.
pub(crate) fn teardown_batch(table: &str, first_seq: u32) -> SealedBatch {
    let mut batch = Batch::new(first_seq);
    batch.push(new_table(table), NLM_F_CREATE);
    batch.push(delete_table(table), 0);
    batch.seal()
}

/// `nft add table inet T`
pub(crate) fn new_table(table: &str) -> NfTablesMessage {
    NfTablesMessage::NewTable(TableMessage {
        attributes: vec![TableAttribute::Name(table.into())],
    })
}

/// `nft delete table inet T`
pub(crate) fn delete_table(table: &str) -> NfTablesMessage {
    NfTablesMessage::DeleteTable(TableMessage {
        attributes: vec![TableAttribute::Name(table.into())],
    })
}

/// `nft add set inet T S { type ipv4_addr; flags timeout; }` (ipv6_addr for
/// V6; `flags interval,timeout` when `interval`).
pub(crate) fn new_set(
    table: &str,
    name: &str,
    family: Family,
    interval: bool,
    id: u32,
) -> NfTablesMessage {
    let (key_type, key_len) = match family {
        Family::V4 => (TYPE_IPADDR, 4),
        Family::V6 => (TYPE_IP6ADDR, 16),
    };
    let mut flags = SetFlags::Timeout;
    if interval {
        flags |= SetFlags::Interval;
    }
    NfTablesMessage::NewSet(SetMessage {
        attributes: vec![
            SetAttribute::Table(table.into()),
            SetAttribute::Name(name.into()),
            SetAttribute::Flags(flags),
            SetAttribute::KeyType(key_type),
            SetAttribute::KeyLen(key_len),
            SetAttribute::Id(id),
        ],
    })
}

/// `nft add chain inet T input { type filter hook input priority filter - 1; policy accept; }`
pub(crate) fn new_chain(table: &str, hook: Hook) -> NfTablesMessage {
    let number = match hook {
        Hook::Input => InetHookNumber::LocalIn,
        Hook::Forward => InetHookNumber::Forward,
    };
    NfTablesMessage::NewChain(ChainMessage {
        attributes: vec![
            ChainAttribute::Table(table.into()),
            ChainAttribute::Name(hook.chain_name().into()),
            ChainAttribute::Hook(vec![
                NlHook::Number(HookNumber::Inet(number)),
                NlHook::Priority(PRIORITY as u32),
            ]),
            ChainAttribute::Policy(NF_ACCEPT),
            ChainAttribute::Type("filter".into()),
        ],
    })
}

/// `nft add rule inet T input tcp dport { 22 } ip saddr @sshd-v4 drop`
/// (`ip6 saddr @sshd-v6` for V6; no port match for all ports; `reject`).
pub(crate) fn new_rule(
    table: &str,
    hook: Hook,
    jail: &JailSpec,
    set: SetRef,
    ports: PortMatch,
) -> NfTablesMessage {
    let (mut exprs, l4) = ports.expressions();
    let family = set.family;
    let (nfproto, offset, len) = match family {
        Family::V4 => (NFPROTO_IPV4, 12, 4),
        Family::V6 => (NFPROTO_IPV6, 8, 16),
    };
    let set_id = set.id;
    let set = set.name;
    exprs.push(meta(MetaKey::Nfproto));
    exprs.push(cmp_eq(vec![nfproto]));
    exprs.push(payload(NFT_PAYLOAD_NETWORK_HEADER, offset, len));
    exprs.push(lookup(set, set_id));
    exprs.push(verdict(jail.verdict, family, l4));
    NfTablesMessage::NewRule(RuleMessage {
        attributes: vec![
            RuleAttribute::Table(table.into()),
            RuleAttribute::Chain(hook.chain_name().into()),
            RuleAttribute::Expressions(exprs),
        ],
    })
}

pub(super) type Expr = ListAttribute<ExpressionAttribute>;

/// `meta l4proto tcp` then `tcp dport` loaded into register 1.
pub(super) fn dport(proto: u8) -> [Expr; 3] {
    [
        meta(MetaKey::L4Proto),
        cmp_eq(vec![proto]),
        payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2),
    ]
}

pub(super) fn meta(key: MetaKey) -> Expr {
    Expressions::Meta(vec![
        Meta::Key(key),
        Meta::DestinationRegister(Register::Reg1),
    ])
    .into()
}

pub(super) fn cmp_eq(value: Vec<u8>) -> Expr {
    Expressions::Cmp(vec![
        Cmp::SourceRegister(Register::Reg1),
        Cmp::Op(Operator::Equal),
        Cmp::Data(DataAttribute::Value(value)),
    ])
    .into()
}

pub(super) fn payload(base: u32, offset: u32, len: u32) -> Expr {
    Expressions::Payload(vec![
        Payload::DestinationRegister(Register::Reg1),
        Payload::Base(base),
        Payload::Offset(offset),
        Payload::Len(len),
    ])
    .into()
}

pub(super) fn lookup(set: &str, set_id: u32) -> Expr {
    Expressions::Lookup(vec![
        Lookup::SourceRegister(Register::Reg1),
        Lookup::Set(set.into()),
        Lookup::SetId(set_id),
    ])
    .into()
}

/// `drop`, or `reject` as nft encodes it: `with tcp reset` for TCP rules,
/// ICMP(v6) port unreachable otherwise.
fn verdict(verdict: BanVerdict, family: Family, l4: Option<u8>) -> Expr {
    match verdict {
        BanVerdict::Drop => Expressions::Immediate(vec![
            Immediate::DestinationRegister(Register::Verdict),
            Immediate::Data(DataAttribute::Verdict(vec![VerdictAttribute::Code(
                Verdict::Other(NF_DROP),
            )])),
        ])
        .into(),
        BanVerdict::Reject => {
            let (kind, code) = match (l4, family) {
                (Some(p), _) if p == libc::IPPROTO_TCP as u8 => (NFT_REJECT_TCP_RST, 0),
                (_, Family::V4) => (NFT_REJECT_ICMP_UNREACH, ICMP_PORT_UNREACH),
                (_, Family::V6) => (NFT_REJECT_ICMP_UNREACH, ICMPV6_PORT_UNREACH),
            };
            Expressions::Other {
                expression_type: "reject".into(),
                attributes: vec![
                    DefaultNla::new(NFTA_REJECT_TYPE, kind.to_be_bytes().to_vec()),
                    DefaultNla::new(NFTA_REJECT_ICMP_CODE, vec![code]),
                ],
            }
            .into()
        }
    }
}
