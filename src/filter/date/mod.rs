//! Dates in log lines: finding them, parsing them, and inferring what the
//! line leaves out (the year of a syslog date, the zone).
//!
//! A [`DateParser`] belongs to one filter and is fed its lines in order. It
//! returns each line's first date as an instant plus the byte range of the
//! date text (brackets around the date stay outside the range), which the
//! engine cuts out before applying the filter's regexes.
//!
//! How dates are recognised is the filter's [`DatePattern`]:
//! - [`DatePattern::Auto`] tries fail2ban's default formats (see
//!   [`auto`]'s templates): first at the line's start, trying the format
//!   that matched last before the others, and only if that fails at every
//!   later position where a word starts, leftmost first.
//! - [`DatePattern::Format`] is a strftime-like pattern (see [`format`]).
//! - [`DatePattern::Epoch`] and [`DatePattern::Tai64n`] accept only those.
//!
//! Zones: a date that writes its own offset (`+0100`, `Z`) is read with it;
//! any other is wall-clock time in the parser's zone, converted without a
//! tz lookup per line and with jiff's "compatible" rule at DST edges (a
//! repeated time is the earlier instant, a skipped time moves forward by the
//! gap; see [`zone`]).
//!
//! Year inference: a date without a year takes now's year in the parser's
//! zone; if that puts it more than one day after `now`, it is the previous
//! year's (a `Dec 31` line read on Jan 1). A day that does not exist in
//! now's year (Feb 29) also tries the previous year.
//!
//! Invariants: `find` never allocates and never panics, whatever the bytes;
//! the returned range always lies on char boundaries (it starts and ends at
//! ASCII bytes).

mod auto;
mod bytes;
mod civil;
mod format;
mod zone;

#[cfg(test)]
mod tests;

use std::ops::Range;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use self::auto::{Hit, Reading, Template};
use self::civil::{Civil, civil_from_days};
use self::format::Format;
use self::zone::ZoneConverter;

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

/// A filter's date pattern that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatePatternError {
    #[error(
        "date pattern is empty: write a strftime-like pattern such as \"%Y-%m-%d %H:%M:%S\", \
         or one of \"auto\", \"epoch\", \"tai64n\""
    )]
    Empty,
    #[error(
        "date pattern {pattern:?}: unknown conversion %{conversion} at byte {at}: use one of \
         %Y %y %m %d %e %j %b %B %a %A %H %I %M %S %f %p %z %Z %T %F, or %% for a percent sign"
    )]
    UnknownConversion {
        pattern: String,
        conversion: char,
        at: usize,
    },
    #[error("date pattern {pattern:?} ends with a lone %: write %% for a percent sign")]
    TrailingPercent { pattern: String },
    #[error("date pattern {pattern:?} has no {missing}")]
    Incomplete {
        pattern: String,
        missing: &'static str,
    },
}

impl DatePattern {
    /// Reads a filter file's date pattern: `auto` or `default`, `epoch`,
    /// `tai64n` (any case, fail2ban's `{^LN-BEG}` prefix allowed on the last
    /// two), or else a format, checked here so that a bad one is reported
    /// when the filter is loaded.
    pub fn parse(text: &str) -> Result<DatePattern, DatePatternError> {
        let text = text.trim();
        let name = text.strip_prefix("{^LN-BEG}").unwrap_or(text);
        if name.is_empty() {
            return Err(DatePatternError::Empty);
        }
        for (word, pattern) in [
            ("auto", DatePattern::Auto),
            ("default", DatePattern::Auto),
            ("epoch", DatePattern::Epoch),
            ("tai64n", DatePattern::Tai64n),
        ] {
            if name.eq_ignore_ascii_case(word) {
                return Ok(pattern);
            }
        }
        Format::compile(text)?;
        Ok(DatePattern::Format(text.to_owned()))
    }
}

impl std::str::FromStr for DatePattern {
    type Err = DatePatternError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        DatePattern::parse(text)
    }
}

/// What the parser looks for, compiled.
#[derive(Debug)]
enum Matcher {
    /// The built-in templates; `last` is the one that matched last.
    Auto {
        last: Template,
    },
    Format(Format),
    Epoch,
    Tai64n,
    /// A `Format` that did not compile (see [`DateParser::new`]).
    Nothing,
}

/// Now's year in the zone, valid while now's second is in `from..until`.
#[derive(Debug, Clone, Copy)]
struct NowYear {
    year: i32,
    from: i64,
    until: i64,
}

/// Finds and parses the date of each line. One per filter; not shared
/// between threads, so it can keep caches.
#[derive(Debug)]
pub struct DateParser {
    converter: ZoneConverter,
    now: Timestamp,
    now_year: Option<NowYear>,
    matcher: Matcher,
}

impl DateParser {
    /// `zone` is used for dates that carry no zone of their own; `now`
    /// anchors year inference (a year-less date more than a day after `now`
    /// belongs to the previous year).
    ///
    /// A [`DatePattern::Format`] that does not compile (one built by hand
    /// rather than by [`DatePattern::parse`]) is logged and finds no dates;
    /// [`DateParser::try_new`] returns the error instead.
    pub fn new(zone: TimeZone, now: Timestamp, pattern: DatePattern) -> Self {
        match Self::try_new(zone.clone(), now, pattern) {
            Ok(parser) => parser,
            Err(error) => {
                tracing::error!(%error, "the filter will find no dates");
                Self::with_matcher(zone, now, Matcher::Nothing)
            }
        }
    }

    /// Like [`DateParser::new`], but a bad format is an error.
    pub fn try_new(
        zone: TimeZone,
        now: Timestamp,
        pattern: DatePattern,
    ) -> Result<Self, DatePatternError> {
        let matcher = match pattern {
            DatePattern::Auto => Matcher::Auto {
                last: Template::Syslog,
            },
            DatePattern::Format(text) => Matcher::Format(Format::compile(&text)?),
            DatePattern::Epoch => Matcher::Epoch,
            DatePattern::Tai64n => Matcher::Tai64n,
        };
        Ok(Self::with_matcher(zone, now, matcher))
    }

    fn with_matcher(zone: TimeZone, now: Timestamp, matcher: Matcher) -> Self {
        DateParser {
            converter: ZoneConverter::new(zone),
            now,
            now_year: None,
            matcher,
        }
    }

    /// Moves "now" forward (the daemon calls this as time passes).
    pub fn set_now(&mut self, now: Timestamp) {
        self.now = now;
    }

    /// The zone dates without their own offset are read in.
    pub fn zone(&self) -> &TimeZone {
        self.converter.zone()
    }

    /// Finds the first date in `line`: its instant and the byte range of the
    /// date text, which the caller cuts out before applying the regexes.
    #[inline]
    pub fn find(&mut self, line: &str) -> Option<(Timestamp, Range<usize>)> {
        let b = line.as_bytes();
        match &mut self.matcher {
            Matcher::Auto { last } => {
                let last = *last;
                self.find_auto(b, last)
            }
            Matcher::Format(format) => {
                let (civil, start, end) = format.find(b)?;
                let at = self.resolve(&civil)?;
                Some((at, start..end))
            }
            Matcher::Epoch => self.find_template(b, Template::Epoch),
            Matcher::Tai64n => self.find_template(b, Template::Tai64n),
            Matcher::Nothing => None,
        }
    }

    #[inline]
    fn find_auto(&mut self, b: &[u8], last: Template) -> Option<(Timestamp, Range<usize>)> {
        if let Some(found) = self.try_auto_at(b, 0, last) {
            return Some(found);
        }
        self.scan_auto(b, last)
    }

    /// The fallback: every later position where a word (or `@`) starts.
    #[cold]
    fn scan_auto(&mut self, b: &[u8], last: Template) -> Option<(Timestamp, Range<usize>)> {
        (1..b.len())
            .filter(|&i| word_starts_at(b, i))
            .find_map(|i| self.try_auto_at(b, i, last))
    }

    #[inline(always)]
    fn try_auto_at(
        &mut self,
        b: &[u8],
        i: usize,
        last: Template,
    ) -> Option<(Timestamp, Range<usize>)> {
        if let Some(hit) = last.read(b, i) {
            if let Some(at) = self.instant(&hit) {
                return Some((at, i..hit.end));
            }
        }
        self.try_others_at(b, i, last)
    }

    fn try_others_at(
        &mut self,
        b: &[u8],
        i: usize,
        last: Template,
    ) -> Option<(Timestamp, Range<usize>)> {
        for template in Template::ALL {
            if template == last {
                continue;
            }
            if let Some(hit) = template.read(b, i) {
                if let Some(at) = self.instant(&hit) {
                    self.matcher = Matcher::Auto { last: template };
                    return Some((at, i..hit.end));
                }
            }
        }
        None
    }

    fn find_template(&mut self, b: &[u8], template: Template) -> Option<(Timestamp, Range<usize>)> {
        (0..b.len())
            .filter(|&i| i == 0 || word_starts_at(b, i))
            .find_map(|i| {
                let hit = template.read(b, i)?;
                Some((self.instant(&hit)?, i..hit.end))
            })
    }

    #[inline(always)]
    fn instant(&mut self, hit: &Hit) -> Option<Timestamp> {
        match hit.reading {
            Reading::Civil(civil) => self.resolve(&civil),
            Reading::Instant { seconds, nanos } => Timestamp::new(seconds, nanos as i32).ok(),
        }
    }

    /// The instant of a wall-clock date, inferring its year if need be.
    #[inline(always)]
    fn resolve(&mut self, civil: &Civil) -> Option<Timestamp> {
        let seconds = match civil.year {
            Some(year) => self.utc_seconds(civil, year)?,
            None => {
                let year = self.now_year();
                match self.utc_seconds(civil, year) {
                    Some(s) if !self.more_than_a_day_ahead(s, civil.nanos) => s,
                    _ => self.utc_seconds(civil, year - 1)?,
                }
            }
        };
        Timestamp::new(seconds, civil.nanos as i32).ok()
    }

    #[inline(always)]
    fn utc_seconds(&mut self, civil: &Civil, year: i32) -> Option<i64> {
        let local = civil.local_seconds(year)?;
        match civil.offset {
            Some(offset) => Some(local - i64::from(offset)),
            None => self.converter.utc_seconds(local),
        }
    }

    #[inline(always)]
    fn more_than_a_day_ahead(&self, seconds: i64, nanos: u32) -> bool {
        let at = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
        at > self.now.as_nanosecond() + 86_400 * 1_000_000_000
    }

    /// Now's year in the parser's zone, recomputed only when `now` leaves
    /// the year last computed.
    #[inline(always)]
    fn now_year(&mut self) -> i32 {
        let now = self.now.as_second();
        match self.now_year {
            Some(y) if y.from <= now && now < y.until => y.year,
            _ => self.compute_now_year(),
        }
    }

    #[cold]
    fn compute_now_year(&mut self) -> i32 {
        let offset = i64::from(self.converter.zone().to_offset(self.now).seconds());
        let (year, _, _) = civil_from_days((self.now.as_second() + offset).div_euclid(86_400));
        let mut new_year = |y: i32| {
            let local = civil::days_from_civil(y, 1, 1) * 86_400;
            self.converter.utc_seconds(local)
        };
        let from = new_year(year).unwrap_or(i64::MIN);
        let until = new_year(year + 1).unwrap_or(i64::MAX);
        self.now_year = Some(NowYear { year, from, until });
        year
    }
}

/// Whether a date may start at `i > 0`: an ASCII letter, digit or `@` that
/// does not continue a word.
#[inline(always)]
fn word_starts_at(b: &[u8], i: usize) -> bool {
    (b[i].is_ascii_alphanumeric() || b[i] == b'@') && !b[i - 1].is_ascii_alphanumeric()
}
