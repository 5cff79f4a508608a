//! Filters: log lines in, failures out (regexes, tags, dates, multi-line).

pub mod date;
