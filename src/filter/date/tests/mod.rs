//! Tests of the parser as the engine uses it: line in, instant and range
//! out. Shared helpers here; one file per concern.

mod fail2ban;
mod hostile;
mod inference;
mod patterns;
mod speed;
mod templates;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{DateParser, DatePattern};

pub(super) fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Europe/Berlin from the system's tz database, or, where there is none,
/// the POSIX rule it has followed since 1996 (the same answers for 2005).
pub(super) fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin")
        .unwrap_or_else(|_| TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap())
}

/// A parser in Berlin, now = 2005-06-15T12:00:00Z.
pub(super) fn parser(pattern: DatePattern) -> DateParser {
    DateParser::new(berlin(), ts("2005-06-15T12:00:00Z"), pattern)
}

/// The instant found in `line` and the text of its range.
pub(super) fn find_with(p: &mut DateParser, line: &str) -> Option<(Timestamp, String)> {
    let (at, range) = p.find(line)?;
    Some((at, line[range].to_owned()))
}

pub(super) fn find(line: &str) -> Option<(Timestamp, String)> {
    find_with(&mut parser(DatePattern::Auto), line)
}

#[track_caller]
pub(super) fn assert_date(line: &str, instant: &str, text: &str) {
    assert_eq!(find(line), Some((ts(instant), text.to_owned())), "{line:?}");
}
