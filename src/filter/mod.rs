//! Filters: log lines in, failures out.
//!
//! A filter is a KDL file ([`definition`]) compiled for one jail's options
//! ([`compile`]) and run line by line by a [`Matcher`]: the date is found
//! and cut out ([`date`]), the shared prefix is matched and its content
//! handed to the fail regexes, whose tags ([`tags`]) name the address and
//! other captures; lines of one connection are merged ([`multiline`]).

pub mod actor;
pub mod address;
pub mod bundled;
pub mod compile;
pub mod date;
pub mod definition;
pub mod journal;
pub mod lines;
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

/// Loads a bundled filter by name, or a `.kdl` file by path, and compiles it.
pub fn load(name_or_path: &str, options: &FilterOptions) -> miette::Result<CompiledFilter> {
    let def = definition::load(name_or_path)?;
    Ok(CompiledFilter::new(&def, options)?)
}

/// Like [`load`], for lines read from the journal: the `journal` log type
/// whatever `options` say, and each entry's own time. A filter without a
/// `logtype` parameter keeps its regexes as they are.
pub fn load_for_journal(
    name_or_path: &str,
    options: &FilterOptions,
) -> miette::Result<CompiledFilter> {
    let def = definition::load(name_or_path)?;
    let has_logtype = def.params.iter().any(|p| p.name == definition::LOGTYPE);
    let options = FilterOptions {
        logtype: has_logtype.then(|| "journal".to_string()),
        ..options.clone()
    };
    let mut filter = CompiledFilter::new(&def, &options)?;
    filter.logtype = LogType::Journal;
    Ok(filter)
}

/// Entries read from a journal source, in journal order. Sent by the
/// source's thread ([`journal`]); replies once they went through the
/// matcher, so that the thread reads ahead by one batch at most.
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub struct JournalEntries {
    /// Which of the jail's journal sources.
    pub source: usize,
    pub batch: crate::source::journal::JournalBatch,
    /// When the batch was read, for the ban latency metric.
    pub read_at: std::time::Instant,
}
