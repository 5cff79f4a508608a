//! Per-filter date formats: a strftime-like pattern compiled once into a
//! list of items and matched byte by byte (no regex, no allocation per
//! line).
//!
//! Conversions: `%Y` (4 digits) `%y` (2 digits, POSIX pivot 69) `%m` `%d`
//! (1–2 digits) `%e` (space-padded day) `%j` (day of year, needs a year)
//! `%b`/`%B`/`%h` (month name, abbreviated or full) `%a`/`%A` (weekday name,
//! ignored) `%H` `%I` (with `%p`) `%M` `%S` `%f` (fraction, any number of
//! digits) `%p` (AM/PM) `%z` (`Z`, `UTC`, `GMT`, `±hh`, `±hhmm`, `±hh:mm`)
//! `%Z` (a zone name: `UTC`/`GMT`/`Z` set the offset, any other word of
//! letters is skipped and the filter's zone applies) `%T` (`%H:%M:%S`)
//! `%F` (`%Y-%m-%d`) `%%`. A space matches one or more spaces or tabs; any
//! other character matches itself, except regular-expression syntax
//! (`\ | * + ? { }`), refused so that a fail2ban regex pattern is reported
//! rather than silently never matching. A leading `^` (or fail2ban's `{^LN-BEG}`)
//! anchors the date to the line's start; otherwise the first position
//! where the whole pattern matches wins.

use super::DatePatternError;
use super::auto::two_digit_year;
use super::bytes::{
    am_pm, digit, fixed, fraction_digits, is_alnum, is_byte, month_name, offset, one_or_two,
    weekday_name,
};
use super::civil::{Civil, month_day_from_ordinal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Byte(u8),
    Spaces,
    Year,
    Year2,
    Month,
    MonthName,
    Day,
    DaySpacePadded,
    DayOfYear,
    Weekday,
    Hour,
    Hour12,
    Minute,
    Second,
    Fraction,
    AmPm,
    Offset,
    ZoneName,
}

/// A compiled per-filter format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Format {
    anchored: bool,
    items: Vec<Item>,
}

/// Fields read so far while matching.
#[derive(Default)]
struct Fields {
    year: Option<i32>,
    month: u32,
    day: u32,
    ordinal: Option<u16>,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    pm: Option<bool>,
    offset: Option<i32>,
}

impl Format {
    pub fn compile(pattern: &str) -> Result<Format, DatePatternError> {
        let err_pattern = || pattern.to_owned();
        let (anchored, body) = if let Some(rest) = pattern.strip_prefix("{^LN-BEG}") {
            (true, rest)
        } else if let Some(rest) = pattern.strip_prefix('^') {
            (true, rest)
        } else {
            (false, pattern)
        };
        // Unanchored, leading blanks would only make every blank a
        // candidate start (quadratic on a line of blanks); they add nothing.
        let body = if anchored {
            body
        } else {
            body.trim_start_matches([' ', '\t'])
        };
        let mut items = Vec::new();
        let mut bytes = body.char_indices();
        while let Some((at, c)) = bytes.next() {
            if matches!(c, '\\' | '|' | '*' | '+' | '?' | '{' | '}') {
                let at = body_offset(pattern, body) + at;
                return Err(DatePatternError::RegexSyntax {
                    pattern: err_pattern(),
                    found: c,
                    at,
                });
            }
            if c == ' ' || c == '\t' {
                if items.last() != Some(&Item::Spaces) {
                    items.push(Item::Spaces);
                }
                continue;
            }
            if c != '%' {
                let mut buf = [0; 4];
                items.extend(c.encode_utf8(&mut buf).bytes().map(Item::Byte));
                continue;
            }
            let Some((_, conv)) = bytes.next() else {
                return Err(DatePatternError::TrailingPercent {
                    pattern: err_pattern(),
                });
            };
            items.extend_from_slice(match conv {
                'Y' => &[Item::Year],
                'y' => &[Item::Year2],
                'm' => &[Item::Month],
                'd' => &[Item::Day],
                'e' => &[Item::DaySpacePadded],
                'j' => &[Item::DayOfYear],
                'b' | 'B' | 'h' => &[Item::MonthName],
                'a' | 'A' => &[Item::Weekday],
                'H' | 'k' => &[Item::Hour],
                'I' | 'l' => &[Item::Hour12],
                'M' => &[Item::Minute],
                'S' => &[Item::Second],
                'f' => &[Item::Fraction],
                'p' => &[Item::AmPm],
                'z' => &[Item::Offset],
                'Z' => &[Item::ZoneName],
                'T' => &[
                    Item::Hour,
                    Item::Byte(b':'),
                    Item::Minute,
                    Item::Byte(b':'),
                    Item::Second,
                ],
                'F' => &[
                    Item::Year,
                    Item::Byte(b'-'),
                    Item::Month,
                    Item::Byte(b'-'),
                    Item::Day,
                ],
                '%' => &[Item::Byte(b'%')],
                conversion => {
                    let at = body_offset(pattern, body) + at;
                    return Err(DatePatternError::UnknownConversion {
                        pattern: err_pattern(),
                        conversion,
                        at,
                    });
                }
            });
        }
        let format = Format { anchored, items };
        if let Some(missing) = format.missing() {
            return Err(DatePatternError::Incomplete {
                pattern: err_pattern(),
                missing,
            });
        }
        Ok(format)
    }

    /// What a date needs that the pattern lacks, if anything.
    fn missing(&self) -> Option<&'static str> {
        let has = |item| self.items.contains(&item);
        let has_year = has(Item::Year) || has(Item::Year2);
        if has(Item::DayOfYear) {
            if !has_year {
                return Some("year for its %j day of year (add %Y or %y)");
            }
        } else if !has(Item::Month) && !has(Item::MonthName) {
            return Some("month (add %m or %b)");
        } else if !has(Item::Day) && !has(Item::DaySpacePadded) {
            return Some("day of month (add %d or %e)");
        }
        if has(Item::Hour12) && !has(Item::AmPm) {
            return Some("AM/PM for its 12-hour %I (add %p, or use %H)");
        }
        if !has(Item::Hour) && !has(Item::Hour12) {
            return Some("hour (add %H)");
        }
        if !has(Item::Minute) {
            return Some("minutes (add %M)");
        }
        None
    }

    /// The first date in `b` (at its start only, if anchored): what it says
    /// and its byte range.
    pub fn find(&self, b: &[u8]) -> Option<(Civil, usize, usize)> {
        if self.anchored {
            return self.read(b, 0).map(|(c, end)| (c, 0, end));
        }
        let starts_with_field = !matches!(self.items.first(), Some(Item::Byte(_) | Item::Spaces));
        (0..=b.len())
            .filter(|&i| !starts_with_field || i == 0 || !is_alnum(b, i - 1) && is_alnum(b, i))
            .find_map(|i| self.read(b, i).map(|(c, end)| (c, i, end)))
    }

    /// Reads the whole pattern starting exactly at `i`.
    fn read(&self, b: &[u8], i: usize) -> Option<(Civil, usize)> {
        let mut f = Fields::default();
        let mut p = i;
        for &item in &self.items {
            p = read_item(item, b, p, &mut f)?;
        }
        Some((f.into_civil()?, p))
    }
}

/// Where `body` starts inside `pattern` (after an anchor).
fn body_offset(pattern: &str, body: &str) -> usize {
    pattern.len() - body.len()
}

fn read_item(item: Item, b: &[u8], p: usize, f: &mut Fields) -> Option<usize> {
    let two = |f: &mut u32| one_or_two(b, p).map(|(v, q)| (*f = v, q).1);
    Some(match item {
        Item::Byte(c) => is_byte(b, p, c).then_some(p + 1)?,
        Item::Spaces => {
            let n = b
                .get(p..)?
                .iter()
                .take_while(|&&c| c == b' ' || c == b'\t')
                .count();
            (n > 0).then_some(p + n)?
        }
        Item::Year => {
            f.year = Some(fixed(b, p, 4)? as i32);
            p + 4
        }
        Item::Year2 => {
            f.year = Some(two_digit_year(fixed(b, p, 2)?));
            p + 2
        }
        Item::Month => two(&mut f.month)?,
        Item::Day => two(&mut f.day)?,
        Item::DaySpacePadded => {
            let p = if is_byte(b, p, b' ') { p + 1 } else { p };
            let (v, q) = one_or_two(b, p)?;
            f.day = v;
            q
        }
        Item::DayOfYear => {
            let (mut v, mut q) = (0, p);
            while q < p + 3 {
                let Some(d) = digit(b, q) else { break };
                v = v * 10 + d;
                q += 1;
            }
            f.ordinal = Some(u16::try_from(v).ok().filter(|_| q > p)?);
            q
        }
        Item::MonthName => {
            let (m, q) = month_name(b, p)?;
            f.month = u32::from(m);
            q
        }
        Item::Weekday => weekday_name(b, p)?,
        Item::Hour | Item::Hour12 => two(&mut f.hour)?,
        Item::Minute => two(&mut f.minute)?,
        Item::Second => two(&mut f.second)?,
        Item::Fraction => {
            let (n, q) = fraction_digits(b, p)?;
            f.nanos = n;
            q
        }
        Item::AmPm => {
            let (pm, q) = am_pm(b, p)?;
            f.pm = Some(pm);
            q
        }
        Item::Offset => {
            let (secs, q) = offset(b, p)?;
            f.offset = Some(secs);
            q
        }
        Item::ZoneName => {
            if let Some((0, q)) = offset(b, p).filter(|_| !matches!(b[p], b'+' | b'-')) {
                f.offset = Some(0);
                q
            } else {
                let n = b
                    .get(p..)?
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
                (n > 0).then_some(p + n)?
            }
        }
    })
}

impl Fields {
    fn into_civil(self) -> Option<Civil> {
        let (month, day) = match self.ordinal {
            Some(ordinal) => month_day_from_ordinal(self.year?, ordinal)?,
            None => (u8::try_from(self.month).ok()?, u8::try_from(self.day).ok()?),
        };
        let hour = match self.pm {
            Some(pm) => super::bytes::hour_24(u8::try_from(self.hour).ok()?, pm)?,
            None => u8::try_from(self.hour).ok()?,
        };
        let ok = (1..=12).contains(&month)
            && (1..=31).contains(&day)
            && hour <= 23
            && self.minute <= 59
            && self.second <= 60;
        ok.then_some(Civil {
            year: self.year,
            month,
            day,
            hour,
            minute: self.minute as u8,
            second: self.second.min(59) as u8,
            nanos: self.nanos,
            offset: self.offset,
        })
    }
}
