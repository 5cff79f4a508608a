//! Naming a refused transaction for operators: which command of a batch
//! and which element the kernel's extended ack points at, and the words
//! for them ("cannot add 203.0.113.7 and 9 more to set sshd-v4 ...").

use super::elements::Command;
use super::encode::NFTA_SET_ELEM_LIST_ELEMENTS;
use super::error::Operation;
use super::socket::Failure;
use super::types::Network;
use super::wire::{Attr, NLMSG_HDRLEN, attributes, is_element_message};

/// The operation to blame for `failure`, named as precisely as the kernel's
/// extended ack allows.
pub(crate) fn blame(table: &str, commands: &[Command], failure: Option<&Failure>) -> Operation {
    let command = failure
        .and_then(|f| f.command)
        .and_then(|i| commands.get(i));
    let (cmd, what) = match command {
        Some(cmd) => {
            let element = failure
                .and_then(|f| f.element)
                .and_then(|e| cmd.networks.get(e));
            let what = match element {
                Some(n) => n.to_string(),
                None => name_networks(cmd.networks.iter()),
            };
            (cmd, what)
        }
        None => match commands.first() {
            Some(first) => (
                first,
                name_networks(commands.iter().flat_map(|c| c.networks.iter())),
            ),
            None => {
                return Operation::Setup {
                    table: table.into(),
                };
            }
        },
    };
    let (table, set) = (table.to_string(), cmd.set.clone());
    if cmd.add {
        Operation::Add { table, set, what }
    } else {
        Operation::Remove { table, set, what }
    }
}

/// "203.0.113.7", or "203.0.113.7 and 41 more".
pub(crate) fn name_networks<'a>(networks: impl Iterator<Item = &'a Network>) -> String {
    let mut first = None;
    let mut last = None;
    let mut count = 0usize;
    for n in networks {
        if last != Some(*n) {
            count += 1;
        }
        first.get_or_insert(*n);
        last = Some(*n);
    }
    match (first, count) {
        (None, _) => "nothing".to_string(),
        (Some(n), 1) => n.to_string(),
        (Some(n), c) => format!("{n} and {} more", c - 1),
    }
}

/// Where `offset` (from the start of message `msg`) falls: the top-level
/// attribute type, and the element index inside an element list.
pub(crate) fn locate(msg: &[u8], offset: usize) -> (Option<u16>, Option<usize>) {
    let within = |a: &Attr<'_>| (a.start..a.end).contains(&offset);
    let Some(top) = attributes(msg, NLMSG_HDRLEN + 4).find(within) else {
        return (None, None);
    };
    if top.kind != NFTA_SET_ELEM_LIST_ELEMENTS || !is_element_message(msg[4]) {
        return (Some(top.kind), None);
    }
    let element = attributes(&msg[..top.end], top.start + 4).position(|a| within(&a));
    (Some(top.kind), element)
}
