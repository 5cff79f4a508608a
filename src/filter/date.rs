//! Dates in log lines: finding them, parsing them, and inferring what the
//! line leaves out (the year of a syslog date, the zone).
//!
//! (Placeholder API; the real detector replaces this file.)

use std::ops::Range;

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// How a filter says where its dates are and how they are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatePattern {
    /// Try every known format (the default).
    Auto,
    /// A strftime-like pattern (`%Y-%m-%d %H:%M:%S`), optionally anchored at
    /// the line's start with a leading `^`.
    Format(String),
    /// Seconds since the epoch, with an optional fraction.
    Epoch,
    /// A TAI64N label, `@4000000043d9c7ba2ed8ce4c`.
    Tai64n,
}

impl DatePattern {
    /// Reads a filter's `date` node: `epoch`, `tai64n`, `auto`, or a format.
    pub fn parse(text: &str) -> Result<DatePattern, String> {
        Ok(match text {
            "auto" | "default" => DatePattern::Auto,
            "epoch" => DatePattern::Epoch,
            "tai64n" => DatePattern::Tai64n,
            other => DatePattern::Format(other.to_string()),
        })
    }
}

/// Finds and parses the date of each line. One per filter; not shared
/// between threads, so it can keep caches.
#[derive(Debug)]
pub struct DateParser {
    zone: TimeZone,
    now: Timestamp,
}

impl DateParser {
    /// `zone` is used for dates that carry no zone of their own; `now`
    /// anchors year inference (a year-less date more than a day after `now`
    /// belongs to the previous year).
    pub fn new(zone: TimeZone, now: Timestamp, _pattern: DatePattern) -> Self {
        DateParser { zone, now }
    }

    /// Moves "now" forward (the daemon calls this as time passes).
    pub fn set_now(&mut self, now: Timestamp) {
        self.now = now;
    }

    /// The zone dates without their own offset are read in.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Finds the first date in `line`: its instant and the byte range of the
    /// date text, which the caller cuts out before applying the regexes.
    pub fn find(&mut self, _line: &str) -> Option<(Timestamp, Range<usize>)> {
        let _ = self.now;
        None
    }
}
