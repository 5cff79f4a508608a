//! What the [`super::Matcher`] makes of a line, and its counters.

use crate::filter::Failure;

/// What became of one line.
#[derive(Debug)]
pub enum Outcome {
    /// A failure, reported on this line.
    Failure(Failure),
    /// Matched, and held as part of a multi-line failure still to come.
    Held,
    /// Matched a fail regex and an ignore regex.
    Ignored,
    /// Matched no fail regex.
    Missed,
    /// Carried no date, and no earlier line gave one.
    NoDate,
}

/// Counters for `test-filter` and the daemon's status.
#[derive(Debug, Clone, Default)]
pub struct MatchStats {
    pub lines: u64,
    pub failures: u64,
    pub held: u64,
    pub ignored: u64,
    pub missed: u64,
    pub no_date: u64,
    /// Lines on which each fail regex matched.
    pub per_regex: Vec<u64>,
}
