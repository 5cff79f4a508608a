//! Filters: log lines in, failures out.
//!
//! A filter is a KDL file ([`definition`]) compiled for one jail's options
//! ([`compile`]) and run line by line by a [`Matcher`]: the date is found
//! and cut out ([`date`]), the shared prefix is matched and its content
//! handed to the fail regexes, whose tags ([`tags`]) name the address and
//! other captures; lines of one connection are merged ([`multiline`]).
//! Other formats (fail2ban's filter files) are read elsewhere into a
//! [`definition::FilterDef`]; the configuration finds a filter by name.

pub mod address;
pub mod bundled;
pub mod compile;
pub mod date;
pub mod definition;
pub mod matcher;
pub mod multiline;
pub mod tags;

use std::sync::Arc;

use jiff::Timestamp;

pub use address::FailureId;
pub use compile::{CompiledFilter, FilterOptions, LogType};
pub use matcher::{MatchStats, Matcher, Outcome};

/// One authentication failure found in a log.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The 1-based line number the failure is reported on.
    pub line: u64,
    /// The failure id as written in the log (IPv4-mapped IPv6 as IPv4).
    pub host: String,
    pub id: FailureId,
    pub time: Timestamp,
    /// Failure lines merged into this one (multi-line filters), at least 1.
    pub attempts: u32,
    /// Named captures (`user`, `port`, ...), in regex order.
    pub captures: Vec<(Arc<str>, String)>,
    /// Every user tried on the connection (multi-line filters).
    pub users: Vec<String>,
}
