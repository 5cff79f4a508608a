//! Fuzz target `dump`: the bytes are datagrams of a netlink dump, as
//! `recv` hands them to the set and element dump readers.
//!
//! Input: the first byte's low bit says whether the set has prefixes
//! (interval); the rest is cut into datagrams at each `\xff\xfe\xfd\xfc`.
//! Checked: nothing panics; every element belongs to the jail asked for,
//! has a prefix within its family and its address masked to it; every set
//! is named after a jail with -v4 or -v6.

use portcullis::nft::{Network, decode_elements, decode_sets};

const SEPARATOR: &[u8] = b"\xff\xfe\xfd\xfc";

pub fn run(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let datagrams = split(rest);
    let interval = first & 1 == 1;
    for element in decode_elements("sshd", datagrams.iter().copied(), interval) {
        assert_eq!(element.jail, "sshd");
        let network = element.network;
        let bits = if network.addr.is_ipv4() { 32 } else { 128 };
        assert!(network.prefix_len <= bits, "{network:?}");
        assert_eq!(Network::new(network.addr, network.prefix_len), network);
        assert!(
            interval || network.prefix_len == bits,
            "a prefix in a plain set"
        );
    }
    for set in decode_sets(datagrams.iter().copied()) {
        assert!(
            set.name == format!("{}-v4", set.jail) || set.name == format!("{}-v6", set.jail),
            "{set:?}"
        );
    }
}

fn split(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some(i) = data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        out.push(&data[..i]);
        data = &data[i + SEPARATOR.len()..];
    }
    out.push(data);
    out
}
