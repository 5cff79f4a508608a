//! Dates in log lines: finding them, parsing them, and inferring what the
//! line leaves out (the year of a syslog date, the zone).
//!
//! A [`DateParser`] belongs to one filter and is fed its lines in order. It
//! returns each line's first date as an instant plus the byte range of the
//! date text (brackets around the date stay outside the range), which the
//! engine cuts out before applying the filter's regexes.
//!
//! How dates are recognised is the filter's [`DatePattern`]:
//! - [`DatePattern::Auto`] knows fail2ban's default formats:
//!   - syslog and asctime: `Jan 23 21:59:59`, `Jan  3 21:59:59.011`,
//!     `Jan 23 21:59:59 2005`, `Jan 23 2005 21:59:59`,
//!     `Sun Jan 23 21:59:59.011 2005`, `Jan 23, 2005 9:59:59 PM`;
//!   - ISO 8601 / RFC 3339: `2005-01-23T21:59:59`, a space for the `T`,
//!     `/` or `.` between the date's fields, `.ffffff` or `,fff`, and
//!     `Z`, `+0100`, `+01:00`, `-07` (a space before them allowed); the
//!     basic format `20050123T215959`, `20050123 21:59:59`;
//!   - `23/Jan/2005:21:59:59 +0100` (web servers), `23-Jan-2005
//!     21:59:59.123` (BIND);
//!   - `23-01-2005 21:59:59`, `23/01/05 21:59:59`, `01/23/2005 21:59:59`,
//!     `01/23/2005:21:59:59`: day first, unless that cannot be a date;
//!   - `050123 21:59:59` (MySQL);
//!   - epoch seconds `1138211356[.123]` at the line's start, in brackets
//!     or in `audit(…:`, and TAI64N `@4000000043d9c7ba2ed8ce4c`.
//!
//!   It looks at the line's start first, trying the format that matched
//!   last before the others; only if that fails does it scan the rest of
//!   the line, where the leftmost date wins.
//! - [`DatePattern::Format`] is a strftime-like pattern: `%Y %y %m %d %e
//!   %j %b %B %a %A %H %I %M %S %f %p %z %Z %T %F %%`, a leading `^` to
//!   anchor it at the line's start.
//! - [`DatePattern::Epoch`] and [`DatePattern::Tai64n`] accept only those.
//!
//! Zones: a date that writes its own offset (`+0100`, `Z`) is read with it;
//! any other is wall-clock time in the parser's zone, converted without a
//! tz lookup per line. At DST edges the rule is jiff's "compatible" one: a
//! wall-clock time that happens twice (autumn) is the earlier instant; one
//! that never happens (spring gap) moves forward by the gap's length
//! (02:30 on 2005-03-27 in Berlin is 03:30 CEST).
//!
//! Year inference: a date without a year takes now's year in the parser's
//! zone; if that puts it more than one day (86 400 s, compared in whole
//! seconds) after `now`, it is the previous year's (a `Dec 31` line read
//! on Jan 1). A day that does not exist in now's year (Feb 29) also tries
//! the previous year.
//!
//! Invariants: `find` never allocates and never panics, whatever the bytes;
//! the returned range always lies on char boundaries (it starts and ends at
//! ASCII bytes, or at the ends of a pattern's literal characters).

mod auto;
mod bytes;
mod civil;
mod codes;
mod fail2ban;
mod fail2ban_search;
mod format;
mod instant;
mod pattern;
mod scan;
mod zone;

#[cfg(test)]
mod tests;

use std::ops::Range;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use self::auto::{Hit, Reading, Template};
use self::civil::{Civil, civil_from_days};
use self::fail2ban::F2bTemplate;
use self::format::Format;
use self::zone::ZoneConverter;
pub use pattern::{DatePattern, DatePatternError};

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
    Fail2ban(std::sync::Arc<[F2bTemplate]>),
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
    /// The last wall-clock date resolved (without its fraction) and its
    /// instant (without a fraction); forgotten when `now` moves.
    last_resolved: Option<(Civil, Timestamp)>,
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
            DatePattern::Fail2ban(lines) => Matcher::Fail2ban(
                lines
                    .iter()
                    .map(|line| {
                        fail2ban::compile(line).map_err(|e| DatePatternError::Fail2ban {
                            pattern: line.clone(),
                            reason: e.to_string(),
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        Ok(Self::with_matcher(zone, now, matcher))
    }

    fn with_matcher(zone: TimeZone, now: Timestamp, matcher: Matcher) -> Self {
        DateParser {
            converter: ZoneConverter::new(zone),
            now,
            now_year: None,
            last_resolved: None,
            matcher,
        }
    }

    /// Moves "now" forward (the daemon calls this as time passes).
    pub fn set_now(&mut self, now: Timestamp) {
        self.now = now;
        self.last_resolved = None;
    }

    /// The zone dates without their own offset are read in.
    pub fn zone(&self) -> &TimeZone {
        self.converter.zone()
    }

    /// Finds the first date in `line`: its instant and the byte range of the
    /// date text, which the caller cuts out before applying the regexes.
    #[inline]
    pub fn find(&mut self, line: &str) -> Option<(Timestamp, Range<usize>)> {
        self.find_bytes(line.as_bytes())
    }

    /// [`DateParser::find`] on bytes that need not be UTF-8: the readers
    /// only look at ASCII, so the range still starts and ends at ASCII bytes
    /// and cutting it out keeps valid UTF-8 valid.
    pub fn find_bytes(&mut self, b: &[u8]) -> Option<(Timestamp, Range<usize>)> {
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
            Matcher::Fail2ban(_) => {
                // Taken out while its templates borrow the parser: moving
                // the Arc costs nothing, cloning it two atomic operations
                // a line.
                let Matcher::Fail2ban(templates) =
                    std::mem::replace(&mut self.matcher, Matcher::Nothing)
                else {
                    return None;
                };
                let found = templates.iter().find_map(|t| self.find_f2b(b, t));
                self.matcher = Matcher::Fail2ban(templates);
                found
            }
            Matcher::Nothing => None,
        }
    }

    #[inline]
    fn find_auto(&mut self, b: &[u8], last: Template) -> Option<(Timestamp, Range<usize>)> {
        if let Some(found) = self.try_auto_at(b, 0, last) {
            return Some(found);
        }
        self.scan_auto(b)
    }

    /// The fallback: every later position where a date may start, each
    /// tried with the one template its first bytes allow.
    #[cold]
    fn scan_auto(&mut self, b: &[u8]) -> Option<(Timestamp, Range<usize>)> {
        scan::scan_starts(b, |i| self.try_others_at(b, i, None))
    }

    #[inline(always)]
    fn try_auto_at(
        &mut self,
        b: &[u8],
        i: usize,
        last: Template,
    ) -> Option<(Timestamp, Range<usize>)> {
        if let Some(hit) = last.read(b, i)
            && let Some(at) = self.instant(&hit)
        {
            return Some((at, i..hit.end));
        }
        self.try_others_at(b, i, Some(last))
    }

    fn try_others_at(
        &mut self,
        b: &[u8],
        i: usize,
        skip: Option<Template>,
    ) -> Option<(Timestamp, Range<usize>)> {
        let (template, hit) = scan::read_by_shape(b, i, skip)?;
        let at = self.instant(&hit)?;
        if let Matcher::Auto { last } = &mut self.matcher {
            *last = template;
        }
        Some((at, i..hit.end))
    }

    fn find_template(&mut self, b: &[u8], template: Template) -> Option<(Timestamp, Range<usize>)> {
        let mut try_at = |i: usize| {
            let hit = template.read(b, i)?;
            Some((self.instant(&hit)?, i..hit.end))
        };
        try_at(0).or_else(|| scan::scan_starts(b, try_at))
    }

    #[inline(always)]
    fn instant(&mut self, hit: &Hit) -> Option<Timestamp> {
        match hit.reading {
            Reading::Civil(civil) => self.resolve(&civil),
            Reading::Instant { seconds, nanos } => Timestamp::new(seconds, nanos as i32).ok(),
        }
    }

    /// The instant of a wall-clock date, inferring its year if need be.
    /// Consecutive lines usually share their second: the answer for the
    /// previous date is reused without any arithmetic.
    #[inline(always)]
    fn resolve(&mut self, civil: &Civil) -> Option<Timestamp> {
        let key = Civil { nanos: 0, ..*civil };
        let whole = match self.last_resolved {
            Some((last, at)) if last == key => at,
            _ => {
                let at = Timestamp::from_second(self.resolve_seconds(&key)?).ok()?;
                self.last_resolved = Some((key, at));
                at
            }
        };
        if civil.nanos == 0 {
            return Some(whole);
        }
        Timestamp::new(whole.as_second(), civil.nanos as i32).ok()
    }

    fn resolve_seconds(&mut self, civil: &Civil) -> Option<i64> {
        match civil.year {
            Some(year) => self.utc_seconds(civil, year),
            None => {
                let year = self.now_year();
                match self.utc_seconds(civil, year) {
                    Some(s) if s <= self.now.as_second() + 86_400 => Some(s),
                    _ => self.utc_seconds(civil, year - 1),
                }
            }
        }
    }

    #[inline(always)]
    fn utc_seconds(&mut self, civil: &Civil, year: i32) -> Option<i64> {
        let local = civil.local_seconds(year)?;
        match civil.offset {
            Some(offset) => Some(local - i64::from(offset)),
            None => self.converter.utc_seconds(local),
        }
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
