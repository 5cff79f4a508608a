//! An element's comment: what `nft add element ... { 192.0.2.1 comment
//! "gate-1" }` writes, and what a fleet node writes as a remote ban's
//! origin.
//!
//! The kernel keeps it as the element's NFTA_SET_ELEM_USERDATA, opaque
//! bytes that nft fills with libnftnl's TLVs: one byte of type
//! (NFTNL_UDATA_SET_ELEM_COMMENT = 0), one byte of length, the value. A
//! comment's value is its text and a terminating NUL (`nftnl_udata_put_strz`),
//! so `gate-1` is `00 07 67 61 74 65 2d 31 00`; nft refuses comments over
//! 128 bytes (NFTNL_UDATA_COMMENT_MAXLEN).
//!
//! Invariant: a [`Comment`] is 1 to 128 bytes of UTF-8 without control
//! characters or `"`, so it is always encodable, and `nft list` prints it
//! in a form `nft -f` reads back. Userdata read from the kernel (anyone
//! may have written it) becomes a comment only when it is one of those;
//! anything else is ignored, never a panic.

use std::fmt;

/// include/uapi/linux/netfilter/nf_tables.h: the element's user data.
pub(super) const NFTA_SET_ELEM_USERDATA: u16 = 6;
/// libnftnl include/libnftnl/udata.h: the comment's TLV type.
const NFTNL_UDATA_SET_ELEM_COMMENT: u8 = 0;
/// libnftnl/nftables: the longest comment nft accepts, in bytes.
pub const MAX_COMMENT_LEN: usize = 128;

/// A valid element comment (see the module invariant).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Comment(String);

/// Why a text cannot be an element comment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    #[error("an element comment cannot be empty")]
    Empty,
    #[error("element comment {text:?} has {len} bytes; nftables allows at most 128")]
    TooLong { text: String, len: usize },
    #[error("element comment {text:?} contains a control character or '\"'")]
    Forbidden { text: String },
}

impl Comment {
    /// `text` as a comment, or why it cannot be one.
    pub fn new(text: &str) -> Result<Comment, CommentError> {
        if text.is_empty() {
            return Err(CommentError::Empty);
        }
        if text.len() > MAX_COMMENT_LEN {
            return Err(CommentError::TooLong {
                text: text.chars().take(32).collect::<String>() + "...",
                len: text.len(),
            });
        }
        if text.chars().any(|c| c.is_control() || c == '"') {
            return Err(CommentError::Forbidden { text: text.into() });
        }
        Ok(Comment(text.to_string()))
    }

    /// `text` made into a comment: forbidden characters replaced by `?`,
    /// cut at a character boundary to 128 bytes; none when nothing is left.
    pub fn truncated(text: &str) -> Option<Comment> {
        let mut out = String::new();
        for c in text.chars() {
            let c = if c.is_control() || c == '"' { '?' } else { c };
            if out.len() + c.len_utf8() > MAX_COMMENT_LEN {
                break;
            }
            out.push(c);
        }
        (!out.is_empty()).then_some(Comment(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The NFTA_SET_ELEM_USERDATA value nft writes for this comment.
    pub(super) fn udata(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.udata_len());
        out.push(NFTNL_UDATA_SET_ELEM_COMMENT);
        out.push((self.0.len() + 1) as u8);
        out.extend_from_slice(self.0.as_bytes());
        out.push(0);
        out
    }

    /// Bytes of [`Comment::udata`].
    pub(super) fn udata_len(&self) -> usize {
        self.0.len() + 3
    }

    /// The comment in an NFTA_SET_ELEM_USERDATA value, if it holds a valid
    /// one: the TLVs are walked while they fit, the first comment TLV is
    /// taken if it is NUL-terminated text that makes a [`Comment`].
    pub(super) fn from_udata(udata: &[u8]) -> Option<Comment> {
        let mut rest = udata;
        while let [kind, len, tail @ ..] = rest {
            let value = tail.get(..usize::from(*len))?;
            if *kind == NFTNL_UDATA_SET_ELEM_COMMENT {
                let (text, nul) = value.split_last().map(|(nul, t)| (t, *nul))?;
                if nul != 0 {
                    return None;
                }
                return Comment::new(std::str::from_utf8(text).ok()?).ok();
            }
            rest = &tail[value.len()..];
        }
        None
    }
}

impl fmt::Display for Comment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Comment {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `nft add element inet t s { 1.2.3.4 timeout 1h comment "gate-1" }`
    /// stores `userdata = { \x00\x07gate-1\x00 }` (`nft --debug=netlink
    /// list set`, nftables 1.0.6).
    #[test]
    fn udata_is_what_nft_writes() {
        let comment = Comment::new("gate-1").unwrap();
        assert_eq!(comment.udata(), b"\x00\x07gate-1\x00");
        assert_eq!(comment.udata_len(), 9);
        assert_eq!(Comment::from_udata(b"\x00\x07gate-1\x00"), Some(comment));
    }

    #[test]
    fn the_comment_tlv_is_found_among_others() {
        // NFTNL_UDATA_SET_ELEM_FLAGS (1, a u32) before the comment.
        let udata = b"\x01\x04\x01\x00\x00\x00\x00\x03ab\x00";
        assert_eq!(Comment::from_udata(udata).unwrap().as_str(), "ab");
    }

    #[test]
    fn hostile_udata_is_no_comment() {
        for udata in [
            &b""[..],
            b"\x00",
            b"\x00\x09gate-1\x00",   // longer than the buffer
            b"\x00\x06gate-1",       // no NUL
            b"\x00\x00",             // empty value
            b"\x00\x01\x00",         // empty text
            b"\x00\x04a\x00b\x00",   // NUL inside: not NUL-terminated text
            b"\x00\x03\xff\xfe\x00", // not UTF-8
            b"\x00\x03a\"\x00",      // a quote
            b"\x01\x02ab",           // no comment TLV
        ] {
            assert_eq!(Comment::from_udata(udata), None, "{udata:?}");
        }
        let long = [&[0u8, 130][..], &[b'a'; 129], &[0]].concat();
        assert_eq!(Comment::from_udata(&long), None);
        let max = [&[0u8, 129][..], &[b'a'; 128], &[0]].concat();
        assert_eq!(Comment::from_udata(&max).unwrap().as_str().len(), 128);
    }

    #[test]
    fn invalid_comments_are_refused_with_the_reason() {
        assert_eq!(
            Comment::new("").unwrap_err().to_string(),
            "an element comment cannot be empty"
        );
        assert_eq!(
            Comment::new(&"x".repeat(129)).unwrap_err().to_string(),
            format!(
                "element comment \"{}...\" has 129 bytes; nftables allows at most 128",
                "x".repeat(32)
            )
        );
        assert_eq!(
            Comment::new("a\nb").unwrap_err().to_string(),
            "element comment \"a\\nb\" contains a control character or '\"'"
        );
        assert!(Comment::new(&"é".repeat(64)).is_ok());
    }

    #[test]
    fn truncation_keeps_characters_whole() {
        let cut = Comment::truncated(&"é".repeat(100)).unwrap();
        assert_eq!(cut.as_str(), "é".repeat(64));
        let cut = Comment::truncated(&format!("a{}", "é".repeat(100))).unwrap();
        assert_eq!(cut.as_str().len(), 127);
        assert_eq!(
            Comment::truncated("say \"hi\"\n").unwrap().as_str(),
            "say ?hi??"
        );
        assert_eq!(Comment::truncated(""), None);
    }
}
