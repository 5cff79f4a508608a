//! fail2ban's strptime-style `%` codes inside a date regex: each becomes a
//! named group, and the groups a line matched become a wall-clock date.
//!
//! `%Y` `%y` `%m` `%d` `%e` `%H` `%k` `%I` `%l` `%M` `%S` `%f` `%p` `%b`
//! `%B` `%h` `%a` `%A` `%j` `%z` `%Z` `%s` `%%`, and fail2ban's "exact"
//! forms `%Ex?` (`%ExY`: a four-digit year from 19xx or 20xx, `%Exy`,
//! `%Exm` `%Exd` `%ExH` `%ExM` `%ExS`: two digits, `%Exb`: a month
//! abbreviation), which fail2ban uses to avoid matching random numbers.

use super::auto::two_digit_year;
use super::bytes::{month_name, offset};
use super::civil::{Civil, month_day_from_ordinal};

const MONTHS: &str = "Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?";
const DAYS: &str =
    "Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?";

/// A date pattern whose `%` code is not one fail2ban knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown date code %{code} (known: %Y %y %m %d %e %H %k %I %l %M %S %f %p %b %B %h %a %A %j %z %Z %s %%, and %Ex forms)"
)]
pub struct UnknownCode {
    pub code: String,
}

/// `pattern` with its `%` codes replaced by named groups (Python syntax);
/// whether a code reads letters (the regex is then case-insensitive).
pub fn expand(pattern: &str) -> Result<(String, bool), UnknownCode> {
    let mut out = String::with_capacity(pattern.len() * 4);
    let mut letters = false;
    let mut rest = pattern;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (code, len) = match after.strip_prefix("Ex") {
            Some(ex) => (format!("Ex{}", ex.chars().next().unwrap_or(' ')), 3),
            None => (
                after.chars().next().map(String::from).unwrap_or_default(),
                1,
            ),
        };
        let group = |name: &str, body: &str| format!("(?P<{name}>{body})");
        let text = match code.as_str() {
            "%" => "%".to_string(),
            "Y" => group("Y", r"\d\d\d\d"),
            "ExY" => group("Y", r"(?:19|20)\d\d"),
            "y" | "Exy" => group("y", r"\d\d"),
            "m" => group("m", r"1[0-2]|0[1-9]|[1-9]"),
            "Exm" => group("m", r"1[0-2]|0[1-9]"),
            "d" => group("d", r"3[01]|[12]\d|0[1-9]|[1-9]| [1-9]"),
            "e" => group("d", r"3[01]|[12]\d|0?[1-9]| [1-9]"),
            "Exd" => group("d", r"3[01]|[12]\d|0[1-9]"),
            "H" | "k" => group("H", r"2[0-3]|[01]\d|\d| \d"),
            "ExH" => group("H", r"2[0-3]|[01]\d"),
            "I" | "l" => group("I", r"1[0-2]|0[1-9]|[1-9]| [1-9]"),
            "M" => group("M", r"[0-5]\d|\d"),
            "ExM" => group("M", r"[0-5]\d"),
            "S" => group("S", r"6[01]|[0-5]\d|\d"),
            "ExS" => group("S", r"6[01]|[0-5]\d"),
            "f" => group("f", r"\d+"),
            "p" => group("p", "AM|PM"),
            "b" | "B" | "h" | "Exb" => group("b", MONTHS),
            "a" | "A" => group("a", DAYS),
            "j" => group("j", r"36[0-6]|3[0-5]\d|[12]\d\d|0?[1-9]\d|0?0?[1-9]"),
            "z" => group("z", r"Z|UTC|GMT|[+-][01]\d(?::?[0-5]\d)?"),
            "Z" => group("Z", r"[A-Z]{3,5}"),
            "s" => group("s", r"\d{1,11}"),
            _ => return Err(UnknownCode { code }),
        };
        letters |= matches!(
            code.as_str(),
            "p" | "b" | "B" | "h" | "Exb" | "a" | "A" | "Z"
        );
        out.push_str(&text);
        rest = &after[len.min(after.len())..];
    }
    out.push_str(rest);
    Ok((out, letters))
}

/// A date read by the codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Date {
    Full(Civil),
    /// Only the time of day (`%H:%M:%S`): the date is today's.
    TimeOnly(Civil),
}

/// What the groups of one match read; `get(name)` gives a group's text.
/// `None` when no date field took part (a template such as `^WARNING:()`
/// that marks a line as having no date of its own).
pub fn civil<'a>(get: &dyn Fn(&str) -> Option<&'a [u8]>) -> Option<Date> {
    let has = |names: &[&str]| names.iter().any(|n| get(n).is_some());
    if !has(&["Y", "y", "m", "d", "b", "j", "H", "I", "M", "S"]) {
        return None;
    }
    let time_only = !has(&["Y", "y", "m", "d", "b", "j"]);
    let civil = fields(get)?;
    Some(if time_only {
        Date::TimeOnly(civil)
    } else {
        Date::Full(civil)
    })
}

fn fields<'a>(get: &dyn Fn(&str) -> Option<&'a [u8]>) -> Option<Civil> {
    let num = |name: &str| -> Option<u32> {
        let text = std::str::from_utf8(get(name)?).ok()?;
        text.trim_start().parse().ok()
    };
    let year = match (num("Y"), num("y")) {
        (Some(y), _) => Some(y as i32),
        (None, Some(yy)) => Some(two_digit_year(yy)),
        _ => None,
    };
    let (mut month, mut day) = (num("m"), num("d"));
    if let Some(name) = get("b") {
        month = Some(u32::from(month_name(name, 0)?.0));
    }
    if let (Some(ordinal), Some(y)) = (num("j"), year) {
        let (m, d) = month_day_from_ordinal(y, u16::try_from(ordinal).ok()?)?;
        month = Some(u32::from(m));
        day = Some(u32::from(d));
    }
    let mut hour = num("H").unwrap_or(0);
    if let Some(h12) = num("I") {
        let pm = get("p").is_some_and(|p| p.eq_ignore_ascii_case(b"PM"));
        hour = h12 % 12 + if pm { 12 } else { 0 };
    }
    let nanos = match get("f") {
        Some(f) => {
            let digits = &f[..f.len().min(9)];
            let value: u32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
            value * 10u32.pow(9 - digits.len() as u32)
        }
        None => 0,
    };
    let offset = match (get("z"), get("Z")) {
        (Some(z), _) => Some(offset(z, 0)?.0),
        (None, Some(name)) => super::fail2ban::zone_offset(name),
        (None, None) => None,
    };
    let civil = Civil {
        year,
        month: u8::try_from(month.unwrap_or(1)).ok()?,
        day: u8::try_from(day.unwrap_or(1)).ok()?,
        hour: u8::try_from(hour).ok()?,
        minute: u8::try_from(num("M").unwrap_or(0)).ok()?,
        second: u8::try_from(num("S").unwrap_or(0).min(59)).ok()?,
        nanos,
        offset,
    };
    let valid = (1..=12).contains(&civil.month)
        && (1..=31).contains(&civil.day)
        && civil.hour < 24
        && civil.minute < 60;
    valid.then_some(civil)
}
