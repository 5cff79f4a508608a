//! The bytes of an NFTA_SET_ELEM_LIST_ELEMENTS nest, written directly.
//!
//! The model (`SetElementAttribute` in a `ListAttribute`) re-measures every
//! nested attribute each time an enclosing one is measured or emitted, and
//! allocates two vectors per element; for 100,000 bans that was a third of
//! the transaction's time. The layout written here is the model's, byte for
//! byte (the golden tests compare both), and the result goes into the
//! message as a `SetElementList::Other` attribute of the same type.

use netlink_packet_core::{DefaultNla, NLA_F_NESTED};
use netlink_packet_netfilter::nftables::SetElementList;

use super::comment::{Comment, NFTA_SET_ELEM_USERDATA};

/// include/uapi/linux/netfilter/nf_tables.h: a set element list and what
/// an element holds (the dump reads the same attributes).
pub(super) const NFTA_SET_ELEM_LIST_ELEMENTS: u16 = 3;
const NFTA_LIST_ELEM: u16 = 1;
pub(super) const NFTA_SET_ELEM_KEY: u16 = 1;
pub(super) const NFTA_SET_ELEM_FLAGS: u16 = 3;
pub(super) const NFTA_SET_ELEM_TIMEOUT: u16 = 4;
pub(super) const NFTA_SET_ELEM_EXPIRATION: u16 = 5;
pub(super) const NFTA_DATA_VALUE: u16 = 1;
pub(super) const NFT_SET_ELEM_INTERVAL_END: u32 = 1;

/// The value of one NFTA_SET_ELEM_LIST_ELEMENTS attribute.
#[derive(Debug, Default)]
pub(crate) struct ElementList {
    bytes: Vec<u8>,
    count: usize,
}

impl ElementList {
    /// Bytes one element takes: list entry, key (nested data value),
    /// `times` 64-bit attributes (timeout, expiration), optional flags.
    pub fn entry_len(key_len: usize, times: usize, flags: bool) -> usize {
        4 + (4 + 4 + align4(key_len)) + 12 * times + if flags { 8 } else { 0 }
    }

    /// Bytes a comment adds to an element (its NFTA_SET_ELEM_USERDATA).
    pub fn comment_len(comment: Option<&Comment>) -> usize {
        comment.map_or(0, |c| 4 + align4(c.udata_len()))
    }

    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Number of element entries.
    pub fn len(&self) -> usize {
        self.count
    }

    /// `{ key }`, `{ key timeout T }` or `{ key timeout T expires E }`
    /// (milliseconds).
    pub fn push_key(&mut self, key: &[u8], timeout_ms: Option<u64>, expires_ms: Option<u64>) {
        self.push_commented(key, timeout_ms, expires_ms, None);
    }

    /// [`ElementList::push_key`] with `comment "..."`: the comment's
    /// NFTA_SET_ELEM_USERDATA after the times, as nft sends it.
    pub fn push_commented(
        &mut self,
        key: &[u8],
        timeout_ms: Option<u64>,
        expires_ms: Option<u64>,
        comment: Option<&Comment>,
    ) {
        let times = usize::from(timeout_ms.is_some()) + usize::from(expires_ms.is_some());
        let len = Self::entry_len(key.len(), times, false) + Self::comment_len(comment);
        self.header(len, NFTA_LIST_ELEM | NLA_F_NESTED);
        self.key(key);
        for (kind, ms) in [
            (NFTA_SET_ELEM_TIMEOUT, timeout_ms),
            (NFTA_SET_ELEM_EXPIRATION, expires_ms),
        ] {
            if let Some(ms) = ms {
                self.header(12, kind);
                self.bytes.extend_from_slice(&ms.to_be_bytes());
            }
        }
        if let Some(comment) = comment {
            let udata = comment.udata();
            self.header(4 + udata.len(), NFTA_SET_ELEM_USERDATA);
            self.bytes.extend_from_slice(&udata);
            self.bytes
                .resize(self.bytes.len() + align4(udata.len()) - udata.len(), 0);
        }
        self.count += 1;
    }

    /// The end of an interval: NFT_SET_ELEM_INTERVAL_END and the key after
    /// the last address.
    pub fn push_interval_end(&mut self, key: &[u8]) {
        let len = Self::entry_len(key.len(), 0, true);
        self.header(len, NFTA_LIST_ELEM | NLA_F_NESTED);
        self.header(8, NFTA_SET_ELEM_FLAGS);
        self.bytes
            .extend_from_slice(&NFT_SET_ELEM_INTERVAL_END.to_be_bytes());
        self.key(key);
        self.count += 1;
    }

    /// The finished nest, as an attribute of a set element message.
    pub fn into_attribute(self) -> SetElementList {
        let kind = NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED;
        SetElementList::Other(DefaultNla::new(kind, self.bytes))
    }

    fn key(&mut self, key: &[u8]) {
        self.header(8 + align4(key.len()), NFTA_SET_ELEM_KEY | NLA_F_NESTED);
        self.header(4 + key.len(), NFTA_DATA_VALUE);
        self.bytes.extend_from_slice(key);
        self.bytes
            .resize(self.bytes.len() + align4(key.len()) - key.len(), 0);
    }

    fn header(&mut self, len: usize, kind: u16) {
        self.bytes.extend_from_slice(&(len as u16).to_ne_bytes());
        self.bytes.extend_from_slice(&kind.to_ne_bytes());
    }
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::Emitable;
    use netlink_packet_netfilter::nftables::{
        DataAttribute, ListAttribute, SetElementAttribute, SetElementFlags,
    };

    /// Byte for byte what the model emits for the same elements.
    #[test]
    fn same_bytes_as_the_model() {
        let mut ours = ElementList::default();
        ours.push_key(&[192, 0, 2, 1], Some(600_000), Some(5_000));
        ours.push_key(
            &[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            None,
            None,
        );
        ours.push_interval_end(&[192, 0, 2, 2]);
        let gate = Comment::new("gate-1").unwrap();
        ours.push_commented(&[192, 0, 2, 3], Some(3_600_000), None, Some(&gate));
        let key = |k: &[u8]| SetElementAttribute::Key(DataAttribute::Value(k.to_vec()));
        let model = SetElementList::Elements(vec![
            ListAttribute::Element(vec![
                key(&[192, 0, 2, 1]),
                SetElementAttribute::Timeout(600_000),
                SetElementAttribute::Expiration(5_000),
            ]),
            ListAttribute::Element(vec![key(&[
                0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            ])]),
            ListAttribute::Element(vec![
                SetElementAttribute::Flags(SetElementFlags::IntervalEnd),
                key(&[192, 0, 2, 2]),
            ]),
            ListAttribute::Element(vec![
                key(&[192, 0, 2, 3]),
                SetElementAttribute::Timeout(3_600_000),
                SetElementAttribute::UserData(b"\x00\x07gate-1\x00".to_vec()),
            ]),
        ]);
        let emit = |a: &SetElementList| {
            let mut v = vec![0; a.buffer_len()];
            a.emit(&mut v);
            v
        };
        let ours_len = ours.byte_len();
        assert_eq!(emit(&ours.into_attribute()), emit(&model));
        assert_eq!(ours_len + 4, model.buffer_len());
    }
}
