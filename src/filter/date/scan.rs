//! Where in a line a date may start, and which built-in template can
//! start there: the fallback scan after the line's start held no date.
//!
//! A date starts at a word's first byte (an ASCII letter or digit not
//! preceded by one) or at `@`. The first bytes decide the only template
//! worth trying (a run of 4 digits can only be ISO, a letter only syslog),
//! so a scan runs at most one parser per word.

use super::auto::{Hit, Template};
use super::bytes::{is_byte, is_digit, is_weekday_abbr, month_abbr};

/// Reads a date at `i` with the one template its first bytes allow, unless
/// that is `skip` (already tried). Scanning a line thus runs at most one
/// parser per word.
#[inline]
pub(crate) fn read_by_shape(b: &[u8], i: usize, skip: Option<Template>) -> Option<(Template, Hit)> {
    let template = shape(b, i)?;
    if Some(template) == skip {
        return None;
    }
    Some((template, template.read(b, i)?))
}

/// The only template that can start with the bytes at `i`.
#[inline]
fn shape(b: &[u8], i: usize) -> Option<Template> {
    let c = *b.get(i)?;
    if c == b'@' {
        return Some(Template::Tai64n);
    }
    if c.is_ascii_alphabetic() {
        // A month, or a weekday before one, then a space.
        let named = month_abbr(b, i).is_some() || is_weekday_abbr(b, i);
        return (named && is_byte(b, i + 3, b' ')).then_some(Template::Syslog);
    }
    let mut digits = 0;
    while digits < 11 && is_digit(b, i + digits) {
        digits += 1;
    }
    match digits {
        1 | 2 if b.get(i + digits + 1).is_some_and(u8::is_ascii_alphabetic) => {
            Some(Template::DayMonthName)
        }
        1 | 2 => Some(Template::Numeric),
        4 => Some(Template::Iso),
        6 => Some(Template::Mysql),
        8 => Some(Template::IsoBasic),
        10 => Some(Template::Epoch),
        _ => None,
    }
}

const WORD: u8 = 1;
const START: u8 = 2;

/// Per byte: is it part of a word (ASCII letter or digit), and can a date
/// start with it (a digit, `@`, or the initial of a month or weekday).
static CLASS: [u8; 256] = {
    let mut class = [0; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() {
            class[c] |= WORD;
        }
        if b.is_ascii_digit() || b == b'@' {
            class[c] |= START;
        }
        c += 1;
    }
    let initials = b"jfmasondtwJFMASONDTW";
    let mut k = 0;
    while k < initials.len() {
        class[initials[k] as usize] |= START;
        k += 1;
    }
    class
};

/// Calls `try_at` on each position after the first where a date may
/// start (a digit, `@` or a month's or weekday's initial that does not
/// continue a word) until it returns something.
#[inline]
pub(crate) fn scan_starts<R>(b: &[u8], mut try_at: impl FnMut(usize) -> Option<R>) -> Option<R> {
    let (&first, rest) = b.split_first()?;
    let mut prev_word = CLASS[usize::from(first)] & WORD != 0;
    for (k, &c) in rest.iter().enumerate() {
        let class = CLASS[usize::from(c)];
        if !prev_word
            && class & START != 0
            && let Some(found) = try_at(k + 1)
        {
            return Some(found);
        }
        prev_word = class & WORD != 0;
    }
    None
}
