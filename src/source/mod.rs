//! Reading logs, no actix here: files followed across rotations
//! ([`tail`]), the set of files a jail's patterns name and one poll of all
//! of them ([`files`]), the inotify watches that wake the poll ([`watch`]),
//! lines read with bounded memory ([`lines`], [`MAX_LINE`]) and the
//! systemd journal with the thread that follows it ([`journal`]).
//!
//! Where a file was left ([`LogPosition`]) is saved by the caller (the
//! reader, in the database) and handed back here after a restart.

pub mod files;
pub mod journal;
pub mod lines;
mod rotated;
pub mod tail;
pub mod watch;

use serde::{Deserialize, Serialize};

pub use lines::MAX_LINE;

/// Where a jail stopped reading a file. Stored as JSON in the database
/// (`{"inode":..,"offset":..,"first_line_hash":..}`): the field names and
/// their order are a stored format, kept as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPosition {
    pub inode: u64,
    pub offset: u64,
    /// Hash of the file's first line, to tell a new file that reuses the inode.
    pub first_line_hash: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes databases written before hold (heed's `SerdeJson`).
    const STORED: &str = r#"{"inode":7,"offset":42,"first_line_hash":18446744073709551615}"#;

    #[test]
    fn a_position_is_stored_as_it_always_was() {
        let pos = LogPosition {
            inode: 7,
            offset: 42,
            first_line_hash: u64::MAX,
        };
        assert_eq!(serde_json::to_string(&pos).unwrap(), STORED);
        assert_eq!(serde_json::from_str::<LogPosition>(STORED).unwrap(), pos);
    }
}
