//! The built-in date templates tried when a filter does not say how its
//! dates are written (fail2ban's default templates, as hand-written byte
//! parsers).
//!
//! Each template reads a date *starting* at a given byte and returns where
//! it ends; none looks behind except [`Template::Epoch`], which only accepts
//! a number at the line's start, right after `[` or after `audit(`. Every template refuses a
//! date followed by another digit, so `21:59:591` is not a time.

use super::bytes::{
    am_pm, fixed, hms, hour_24, is_alnum, is_byte, is_digit, is_weekday_abbr, month_abbr, offset,
    one_or_two, opt_fraction,
};
use super::civil::Civil;

/// What a template read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// A wall-clock date, maybe with its own offset, maybe without a year.
    Civil(Civil),
    /// An instant written as such (epoch seconds, TAI64N).
    Instant { seconds: i64, nanos: u32 },
}

/// A date found at some position, ending (exclusive) at `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub reading: Reading,
    pub end: usize,
}

/// One built-in way of writing a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Template {
    /// `[Sun ]Jan 23 21:59:59[.011][ 2005]`, `Jan 23 2005 21:59:59`,
    /// `Jan 23, 2005 9:59:59 PM`.
    Syslog,
    /// `2005-01-23T21:59:59[.ffffff|,fff][Z|±hh[:mm]]`, `-`, `/` or `.`
    /// between the date's fields, `T` or one or two spaces before the time.
    Iso,
    /// `20050123T215959`, `20050123 21:59:59` (ISO 8601 basic), with the
    /// same fractions and offsets.
    IsoBasic,
    /// `23/Jan/2005:21:59:59[ +0100]`, `23-Jan-2005 21:59:59.123`.
    DayMonthName,
    /// `23-01-2005 21:59:59`, `01/23/2005 21:59:59`, `23/01/05 21:59:59`,
    /// `01/23/2005:21:59:59`: day first unless that cannot be a date.
    Numeric,
    /// `050123 21:59:59`, `050123  1:59:59` (MySQL's `%y%m%d`).
    Mysql,
    /// `1138211356[.123]` at the line's start, in brackets, or in an audit
    /// record's `audit(1138211356.123:42)`.
    Epoch,
    /// `@4000000043d9c7ba2ed8ce4c`.
    Tai64n,
}

impl Template {
    /// Reads a date of this template starting exactly at `i`.
    #[inline]
    pub fn read(self, b: &[u8], i: usize) -> Option<Hit> {
        match self {
            Template::Syslog => syslog(b, i),
            Template::Iso => iso(b, i),
            Template::IsoBasic => iso_basic(b, i),
            Template::DayMonthName => day_month_name(b, i),
            Template::Numeric => numeric(b, i),
            Template::Mysql => mysql(b, i),
            Template::Epoch => super::instant::epoch(b, i),
            Template::Tai64n => super::instant::tai64n(b, i),
        }
    }
}

fn civil(year: Option<i32>, month: u8, day: u32, time: (u8, u8, u8), nanos: u32) -> Option<Civil> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(Civil {
        year,
        month,
        day: day as u8,
        hour: time.0,
        minute: time.1,
        second: time.2,
        nanos,
        offset: None,
    })
}

fn hit(c: Civil, end: usize) -> Option<Hit> {
    Some(Hit {
        reading: Reading::Civil(c),
        end,
    })
}

/// A four-digit year at `i` that is plausibly a log's (1970..=2099) and not
/// the start of a longer number or a time.
fn trailing_year(b: &[u8], i: usize) -> Option<i32> {
    let y = fixed(b, i, 4)?;
    if is_digit(b, i + 4) || is_byte(b, i + 4, b':') || !(1970..=2099).contains(&y) {
        return None;
    }
    Some(y as i32)
}

#[inline(always)]
fn syslog(b: &[u8], i: usize) -> Option<Hit> {
    syslog_plain(b, i).or_else(|| syslog_any(b, i))
}

/// The common case on fixed offsets, `Nov 20 00:00:00 ` or `Nov  2 ...`,
/// followed by a space and no digit (so no year or fraction follows).
#[inline(always)]
fn syslog_plain(b: &[u8], i: usize) -> Option<Hit> {
    let s: &[u8; 17] = b.get(i..i + 17)?.try_into().ok()?;
    if s[3] != b' ' || s[6] != b' ' || s[9] != b':' || s[12] != b':' || s[15] != b' ' {
        return None;
    }
    if s[16].is_ascii_digit() {
        return None;
    }
    let d = |k: usize| Some(u32::from(s[k].wrapping_sub(b'0')).min(10)).filter(|&v| v < 10);
    let tens = if s[4] == b' ' { 0 } else { d(4)? };
    let day = tens * 10 + d(5)?;
    let time = (
        d(7)? * 10 + d(8)?,
        d(10)? * 10 + d(11)?,
        d(13)? * 10 + d(14)?,
    );
    if time.0 > 23 || time.1 > 59 || time.2 > 59 {
        return None;
    }
    let month = month_abbr(s, 0)?;
    let time = (time.0 as u8, time.1 as u8, time.2 as u8);
    hit(civil(None, month, day, time, 0)?, i + 15)
}

#[inline]
fn syslog_any(b: &[u8], i: usize) -> Option<Hit> {
    let (month, mut p) = match month_abbr(b, i) {
        Some(month) => (month, i + 3),
        None if is_weekday_abbr(b, i) && is_byte(b, i + 3, b' ') => (month_abbr(b, i + 4)?, i + 7),
        None => return None,
    };
    // `%b %e`: one space, a second one before a one-digit day.
    if !is_byte(b, p, b' ') {
        return None;
    }
    p += 1;
    if is_byte(b, p, b' ') {
        p += 1;
    }
    let (day, q) = one_or_two(b, p)?;
    p = q;
    match b.get(p) {
        Some(b' ') => p += 1,
        Some(b',') => return syslog_am_pm(b, p, month, day),
        _ => return None,
    }
    let mut year = None;
    if is_byte(b, p + 4, b' ')
        && let Some(y) = fixed(b, p, 4)
    {
        year = Some(y as i32);
        p += 5;
    }
    let (h, m, s, q) = hms(b, p)?;
    let (nanos, mut p) = opt_fraction(b, q, b".");
    if is_digit(b, p) {
        return None;
    }
    if year.is_none()
        && is_byte(b, p, b' ')
        && let Some(y) = trailing_year(b, p + 1)
    {
        year = Some(y);
        p += 5;
    }
    hit(civil(year, month, day, (h, m, s), nanos)?, p)
}

/// `Jan 23, 2005 9:59:59 PM` from the comma on.
fn syslog_am_pm(b: &[u8], comma: usize, month: u8, day: u32) -> Option<Hit> {
    if !is_byte(b, comma + 1, b' ') || !is_byte(b, comma + 6, b' ') {
        return None;
    }
    let year = fixed(b, comma + 2, 4)? as i32;
    let (h, m, s, p) = hms(b, comma + 7)?;
    let (pm, end) = if is_byte(b, p, b' ') {
        am_pm(b, p + 1)?
    } else {
        am_pm(b, p)?
    };
    let h = hour_24(h, pm)?;
    hit(civil(Some(year), month, day, (h, m, s), 0)?, end)
}

#[inline]
fn iso(b: &[u8], i: usize) -> Option<Hit> {
    let year = fixed(b, i, 4)? as i32;
    let sep = *b.get(i + 4)?;
    if !matches!(sep, b'-' | b'/' | b'.') || !is_byte(b, i + 7, sep) {
        return None;
    }
    let month = fixed(b, i + 5, 2)?;
    let day = fixed(b, i + 8, 2)?;
    let mut p = i + 10;
    match b.get(p) {
        Some(b'T') => p += 1,
        Some(b' ') => p += 1 + usize::from(is_byte(b, p + 1, b' ')),
        _ => return None,
    }
    let (h, m, s, q) = hms(b, p)?;
    iso_fraction_and_offset(b, q, civil(Some(year), month as u8, day, (h, m, s), 0)?)
}

/// ISO 8601's basic format: `20050123T215959`, `20050123 21:59:59`. As in
/// fail2ban, only years 1970..=2099, lest any eight-digit number be a date.
#[inline]
fn iso_basic(b: &[u8], i: usize) -> Option<Hit> {
    let year = fixed(b, i, 4)?;
    let month = fixed(b, i + 4, 2)?;
    let day = fixed(b, i + 6, 2)?;
    if !(1970..=2099).contains(&year) {
        return None;
    }
    let mut p = i + 8;
    match b.get(p) {
        Some(b'T') => p += 1,
        Some(b' ') => p += 1 + usize::from(is_byte(b, p + 1, b' ')),
        _ => return None,
    }
    let (time, q) = match fixed(b, p, 6) {
        Some(hhmmss) if !is_digit(b, p + 6) => {
            let (h, m, s) = (hhmmss / 10_000, hhmmss / 100 % 100, hhmmss % 100);
            if h > 23 || m > 59 || s > 60 {
                return None;
            }
            ((h as u8, m as u8, s.min(59) as u8), p + 6)
        }
        _ => {
            let (h, m, s, q) = hms(b, p)?;
            ((h, m, s), q)
        }
    };
    iso_fraction_and_offset(b, q, civil(Some(year as i32), month as u8, day, time, 0)?)
}

/// The end of an ISO date-time from its seconds on: `.ffffff` or `,fff`,
/// then an offset, maybe after a space.
#[inline]
fn iso_fraction_and_offset(b: &[u8], seconds_end: usize, mut c: Civil) -> Option<Hit> {
    let (nanos, mut p) = opt_fraction(b, seconds_end, b".,");
    if is_digit(b, p) {
        return None;
    }
    c.nanos = nanos;
    let zone_at = if is_byte(b, p, b' ') { p + 1 } else { p };
    if let Some((secs, end)) = offset(b, zone_at) {
        c.offset = Some(secs);
        p = end;
    }
    hit(c, p)
}

#[inline(always)]
fn day_month_name(b: &[u8], i: usize) -> Option<Hit> {
    day_month_name_web(b, i).or_else(|| day_month_name_any(b, i))
}

/// Two digits at `s[k]`, `s[k + 1]` of a fixed-size window.
#[inline(always)]
fn d2<const N: usize>(s: &[u8; N], k: usize) -> Option<u32> {
    let (hi, lo) = (s[k].wrapping_sub(b'0'), s[k + 1].wrapping_sub(b'0'));
    (hi < 10 && lo < 10).then_some(u32::from(hi) * 10 + u32::from(lo))
}

/// The web servers' shape on fixed offsets, `23/Jan/2005:21:59:59`, with
/// ` +0100` or nothing after it; anything else goes to the general reader.
#[inline(always)]
fn day_month_name_web(b: &[u8], i: usize) -> Option<Hit> {
    let s: &[u8; 21] = b.get(i..i + 21)?.try_into().ok()?;
    if s[2] != b'/' || s[6] != b'/' || s[11] != b':' || s[14] != b':' || s[17] != b':' {
        return None;
    }
    if s[20].is_ascii_digit() || s[20] == b'.' {
        return None;
    }
    let (day, year) = (d2(s, 0)?, d2(s, 7)? * 100 + d2(s, 9)?);
    let time = (d2(s, 12)?, d2(s, 15)?, d2(s, 18)?);
    if time.0 > 23 || time.1 > 59 || time.2 > 59 {
        return None;
    }
    let time = (time.0 as u8, time.1 as u8, time.2 as u8);
    let mut c = civil(Some(year as i32), month_abbr(s, 3)?, day, time, 0)?;
    let mut end = i + 20;
    if s[20] == b' ' {
        match b.get(end + 1) {
            Some(b'+' | b'-') => {
                let z: &[u8; 6] = b.get(end + 1..end + 7)?.try_into().ok()?;
                let (hh, mm) = (d2(z, 1)?, d2(z, 3)?);
                if is_alnum(b, end + 6) || hh > 25 || mm > 59 {
                    return None;
                }
                let secs = (hh * 3_600 + mm * 60) as i32;
                c.offset = Some(if z[0] == b'-' { -secs } else { secs });
                end += 6;
            }
            Some(b'Z' | b'U' | b'G') => return None,
            _ => {}
        }
    }
    hit(c, end)
}

#[inline]
fn day_month_name_any(b: &[u8], i: usize) -> Option<Hit> {
    let (day, p) = one_or_two(b, i)?;
    let sep = *b.get(p)?;
    if !matches!(sep, b'-' | b'/') || !is_byte(b, p + 4, sep) {
        return None;
    }
    let month = month_abbr(b, p + 1)?;
    let year = fixed(b, p + 5, 4)? as i32;
    let mut p = p + 9;
    if matches!(b.get(p), Some(b' ' | b':')) {
        p += 1;
    }
    let (h, m, s, q) = hms(b, p)?;
    let (nanos, mut p) = opt_fraction(b, q, b".");
    if is_digit(b, p) {
        return None;
    }
    let mut c = civil(Some(year), month, day, (h, m, s), nanos)?;
    if is_byte(b, p, b' ')
        && let Some((secs, end)) = offset(b, p + 1)
    {
        c.offset = Some(secs);
        p = end;
    }
    hit(c, p)
}

#[inline]
fn numeric(b: &[u8], i: usize) -> Option<Hit> {
    let (first, p) = one_or_two(b, i)?;
    let sep = *b.get(p)?;
    if !matches!(sep, b'-' | b'/') {
        return None;
    }
    let (second, p) = one_or_two(b, p + 1)?;
    if !is_byte(b, p, sep) {
        return None;
    }
    let (year, p) = match fixed(b, p + 1, 4) {
        Some(y) => (y as i32, p + 5),
        None => (two_digit_year(fixed(b, p + 1, 2)?), p + 3),
    };
    if !matches!(b.get(p), Some(b' ' | b':')) {
        return None;
    }
    let (h, m, s, q) = hms(b, p + 1)?;
    let (nanos, p) = opt_fraction(b, q, b".,");
    if is_digit(b, p) {
        return None;
    }
    let (month, day) = if (1..=12).contains(&second) {
        (second, first)
    } else {
        (first, second)
    };
    hit(civil(Some(year), month as u8, day, (h, m, s), nanos)?, p)
}

/// POSIX `%y`: 69..=99 are 1969..=1999, 00..=68 are 2000..=2068.
pub(crate) fn two_digit_year(yy: u32) -> i32 {
    yy as i32 + if yy >= 69 { 1900 } else { 2000 }
}

#[inline]
fn mysql(b: &[u8], i: usize) -> Option<Hit> {
    let yy = fixed(b, i, 2)?;
    let month = fixed(b, i + 2, 2)?;
    let day = fixed(b, i + 4, 2)?;
    if !is_byte(b, i + 6, b' ') {
        return None;
    }
    let p = i + 7 + usize::from(is_byte(b, i + 7, b' '));
    let (h, m, s, p) = hms(b, p)?;
    hit(
        civil(Some(two_digit_year(yy)), month as u8, day, (h, m, s), 0)?,
        p,
    )
}
