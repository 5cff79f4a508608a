//! Byte-level readers shared by the built-in templates and per-filter
//! formats: digits, month and weekday names, times, fractions, offsets.
//!
//! Each reader takes the line's bytes and a position, never panics on any
//! input (every access is `get`), and returns the position after what it
//! read. They only ever consume ASCII, so every position they return is a
//! UTF-8 char boundary of the line.

#[inline(always)]
pub(crate) fn digit(b: &[u8], i: usize) -> Option<u32> {
    match b.get(i) {
        Some(&c) if c.is_ascii_digit() => Some(u32::from(c - b'0')),
        _ => None,
    }
}

#[inline(always)]
pub(crate) fn is_digit(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(u8::is_ascii_digit)
}

#[inline(always)]
pub(crate) fn is_alnum(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(u8::is_ascii_alphanumeric)
}

#[inline(always)]
pub(crate) fn is_byte(b: &[u8], i: usize, want: u8) -> bool {
    b.get(i) == Some(&want)
}

/// Exactly `n` digits at `i`, `n <= 9`.
#[inline(always)]
pub(crate) fn fixed(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let mut v = 0;
    for k in 0..n {
        v = v * 10 + digit(b, i + k)?;
    }
    Some(v)
}

/// Exactly `n` digits at `i`, for numbers too long for [`fixed`].
#[inline(always)]
pub(crate) fn fixed_u64(b: &[u8], i: usize, n: usize) -> Option<u64> {
    let mut v = 0;
    for k in 0..n {
        v = v * 10 + u64::from(digit(b, i + k)?);
    }
    Some(v)
}

/// One or two digits at `i` (greedy).
#[inline(always)]
pub(crate) fn one_or_two(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let d0 = digit(b, i)?;
    match digit(b, i + 1) {
        Some(d1) => Some((d0 * 10 + d1, i + 2)),
        None => Some((d0, i + 1)),
    }
}

/// `H:MM:SS` or `HH:MM:SS`, not followed by another digit. A leap second
/// (`:60`) reads as `:59`.
#[inline(always)]
pub(crate) fn hms(b: &[u8], i: usize) -> Option<(u8, u8, u8, usize)> {
    let (h, p) = one_or_two(b, i)?;
    if !is_byte(b, p, b':') || !is_byte(b, p + 3, b':') || is_digit(b, p + 6) {
        return None;
    }
    let m = fixed(b, p + 1, 2)?;
    let s = fixed(b, p + 4, 2)?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some((h as u8, m as u8, s.min(59) as u8, p + 6))
}

/// A fraction's digits at `i` as nanoseconds (digits past the ninth are
/// read and dropped).
#[inline]
pub(crate) fn fraction_digits(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let mut nanos = 0;
    let mut p = i;
    while let Some(d) = digit(b, p) {
        if p - i < 9 {
            nanos = nanos * 10 + d;
        }
        p += 1;
    }
    let read = p - i;
    if read == 0 {
        return None;
    }
    if read < 9 {
        nanos *= 10u32.pow((9 - read) as u32);
    }
    Some((nanos, p))
}

/// An optional fraction: one of `seps` then digits. Without one, zero
/// nanoseconds and `i` unchanged.
#[inline(always)]
pub(crate) fn opt_fraction(b: &[u8], i: usize, seps: &[u8]) -> (u32, usize) {
    match b.get(i) {
        Some(c) if seps.contains(c) => fraction_digits(b, i + 1).unwrap_or((0, i)),
        _ => (0, i),
    }
}

/// The three bytes at `i` lowercased into one key (non-letters never
/// collide with a lowercase-letter key).
#[inline(always)]
fn key3(b: &[u8], i: usize) -> Option<u32> {
    let s = b.get(i..i + 3)?;
    Some(u32::from(s[0] | 0x20) << 16 | u32::from(s[1] | 0x20) << 8 | u32::from(s[2] | 0x20))
}

const fn k(s: &[u8; 3]) -> u32 {
    (s[0] as u32) << 16 | (s[1] as u32) << 8 | s[2] as u32
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const MONTH_KEYS: [u32; 12] = [
    k(b"jan"),
    k(b"feb"),
    k(b"mar"),
    k(b"apr"),
    k(b"may"),
    k(b"jun"),
    k(b"jul"),
    k(b"aug"),
    k(b"sep"),
    k(b"oct"),
    k(b"nov"),
    k(b"dec"),
];

const WEEKDAY_KEYS: [u32; 7] = [
    k(b"mon"),
    k(b"tue"),
    k(b"wed"),
    k(b"thu"),
    k(b"fri"),
    k(b"sat"),
    k(b"sun"),
];

/// Multipliers of perfect hashes of the lowercased keys: months into 16
/// slots (top 4 bits), weekdays into 8 (top 3 bits).
const MONTH_HASH: u32 = 743_061_145;
const WEEKDAY_HASH: u32 = 2_988_579_417;

/// (key, month) by hash slot; key 0 never matches (keys have letters).
const MONTH_SLOTS: [(u32, u8); 16] = {
    let mut slots = [(0, 0); 16];
    let mut m = 0;
    while m < 12 {
        let key = MONTH_KEYS[m];
        slots[(key.wrapping_mul(MONTH_HASH) >> 28) as usize] = (key, m as u8 + 1);
        m += 1;
    }
    slots
};

const WEEKDAY_SLOTS: [u32; 8] = {
    let mut slots = [0; 8];
    let mut d = 0;
    while d < 7 {
        let key = WEEKDAY_KEYS[d];
        slots[(key.wrapping_mul(WEEKDAY_HASH) >> 29) as usize] = key;
        d += 1;
    }
    slots
};

/// A three-letter English month abbreviation at `i`, any case: 1..=12.
#[inline(always)]
pub(crate) fn month_abbr(b: &[u8], i: usize) -> Option<u8> {
    let key = key3(b, i)?;
    let (want, month) = MONTH_SLOTS[(key.wrapping_mul(MONTH_HASH) >> 28) as usize];
    (want == key).then_some(month)
}

/// A month name at `i`, abbreviated or in full, not followed by a letter.
pub(crate) fn month_name(b: &[u8], i: usize) -> Option<(u8, usize)> {
    let m = month_abbr(b, i)?;
    let mut p = i + 3;
    let rest = &MONTHS[usize::from(m) - 1].as_bytes()[3..];
    if !rest.is_empty()
        && b.get(p..p + rest.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(rest))
    {
        p += rest.len();
    }
    if b.get(p).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    Some((m, p))
}

/// A three-letter English weekday abbreviation at `i`, any case.
#[inline(always)]
pub(crate) fn is_weekday_abbr(b: &[u8], i: usize) -> bool {
    key3(b, i)
        .is_some_and(|key| WEEKDAY_SLOTS[(key.wrapping_mul(WEEKDAY_HASH) >> 29) as usize] == key)
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A weekday name at `i`, abbreviated or in full, not followed by a letter.
pub(crate) fn weekday_name(b: &[u8], i: usize) -> Option<usize> {
    if !is_weekday_abbr(b, i) {
        return None;
    }
    let mut p = i + 3;
    for name in WEEKDAYS {
        let name = name.as_bytes();
        if b[i..i + 3].eq_ignore_ascii_case(&name[..3])
            && b.get(p..p + name.len() - 3)
                .is_some_and(|s| s.eq_ignore_ascii_case(&name[3..]))
        {
            p += name.len() - 3;
            break;
        }
    }
    if b.get(p).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    Some(p)
}

/// A UTC offset at `i`: `Z`, `UTC`, `GMT`, or `±hh`, `±hhmm`, `±hh:mm`;
/// not followed by a letter or digit. Returns seconds east of UTC.
#[inline]
pub(crate) fn offset(b: &[u8], i: usize) -> Option<(i32, usize)> {
    let (secs, end) = match *b.get(i)? {
        b'Z' => (0, i + 1),
        b'U' if b.get(i..i + 3) == Some(b"UTC") => (0, i + 3),
        b'G' if b.get(i..i + 3) == Some(b"GMT") => (0, i + 3),
        sign @ (b'+' | b'-') => {
            let hh = fixed(b, i + 1, 2)?;
            let (mm, end) = if is_byte(b, i + 3, b':') {
                (fixed(b, i + 4, 2)?, i + 6)
            } else if let Some(mm) = fixed(b, i + 3, 2) {
                (mm, i + 5)
            } else {
                (0, i + 3)
            };
            if hh > 25 || mm > 59 {
                return None;
            }
            let secs = (hh * 3_600 + mm * 60) as i32;
            (if sign == b'-' { -secs } else { secs }, end)
        }
        _ => return None,
    };
    if is_alnum(b, end) {
        return None;
    }
    Some((secs, end))
}

/// `AM`/`PM` (any case, optionally `A.M.`-less) at `i`: `Some(true)` for PM.
pub(crate) fn am_pm(b: &[u8], i: usize) -> Option<(bool, usize)> {
    let s = b.get(i..i + 2)?;
    let pm = match s[0] | 0x20 {
        b'a' => false,
        b'p' => true,
        _ => return None,
    };
    if s[1] | 0x20 != b'm' || is_alnum(b, i + 2) {
        return None;
    }
    Some((pm, i + 2))
}

/// 12-hour clock to 24-hour: 12 AM is 0, 12 PM is 12.
pub(crate) fn hour_24(hour12: u8, pm: bool) -> Option<u8> {
    if !(1..=12).contains(&hour12) {
        return None;
    }
    Some(hour12 % 12 + if pm { 12 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_fractions() {
        assert_eq!(hms(b"21:59:59", 0), Some((21, 59, 59, 8)));
        assert_eq!(hms(b"9:59:60 x", 0), Some((9, 59, 59, 7)));
        assert_eq!(hms(b"24:00:00", 0), None);
        assert_eq!(hms(b"21:59:591", 0), None);
        assert_eq!(hms(b"21:59", 0), None);
        assert_eq!(opt_fraction(b".011 ", 0, b"."), (11_000_000, 4));
        assert_eq!(opt_fraction(b",123456789123", 0, b".,"), (123_456_789, 13));
        assert_eq!(opt_fraction(b". ", 0, b"."), (0, 0));
    }

    #[test]
    fn names() {
        for (m, name) in MONTHS.iter().enumerate() {
            assert_eq!(month_abbr(name.as_bytes(), 0), Some(m as u8 + 1), "{name}");
            assert_eq!(
                month_abbr(name.to_uppercase().as_bytes(), 0),
                Some(m as u8 + 1)
            );
        }
        for name in WEEKDAYS {
            assert!(is_weekday_abbr(name.as_bytes(), 0), "{name}");
            assert_eq!(weekday_name(name.as_bytes(), 0), Some(name.len()));
        }
        assert!(!is_weekday_abbr(b"Jan", 0));
        assert_eq!(month_abbr(b"Sun", 0), None);
        assert_eq!(month_abbr(b"Jan", 0), Some(1));
        assert_eq!(month_abbr(b"DEC", 0), Some(12));
        assert_eq!(month_abbr(b"Ja", 0), None);
        assert_eq!(month_abbr(b"J@n", 0), None);
        assert_eq!(month_name(b"September 1", 0), Some((9, 9)));
        assert_eq!(month_name(b"Sep 1", 0), Some((9, 3)));
        assert_eq!(month_name(b"Sepx", 0), None);
        assert!(is_weekday_abbr(b"Sun", 0));
        assert_eq!(weekday_name(b"Sunday,", 0), Some(6));
        assert_eq!(weekday_name(b"Sun ", 0), Some(3));
    }

    #[test]
    fn offsets() {
        assert_eq!(offset(b"Z", 0), Some((0, 1)));
        assert_eq!(offset(b"+0100]", 0), Some((3_600, 5)));
        assert_eq!(offset(b"+01:00", 0), Some((3_600, 6)));
        assert_eq!(offset(b"-07 ", 0), Some((-25_200, 3)));
        assert_eq!(offset(b"-0730", 0), Some((-27_000, 5)));
        assert_eq!(offset(b"UTC", 0), Some((0, 3)));
        assert_eq!(offset(b"Zebra", 0), None);
        assert_eq!(offset(b"+012345", 0), None);
        assert_eq!(offset(b"- x", 0), None);
    }

    #[test]
    fn twelve_hour_clock() {
        assert_eq!(hour_24(12, false), Some(0));
        assert_eq!(hour_24(12, true), Some(12));
        assert_eq!(hour_24(9, true), Some(21));
        assert_eq!(hour_24(0, true), None);
        assert_eq!(am_pm(b"pm", 0), Some((true, 2)));
    }
}
