//! Dates written as instants rather than wall-clock times: epoch seconds
//! and TAI64N labels. No zone applies to them.

use super::auto::{Hit, Reading};
use super::bytes::{fixed_u64, is_alnum, is_byte, opt_fraction};

/// `1138211356[.123]` at the line's start, in brackets, or in an audit
/// record's `audit(1138211356.123:42)`; never a ten-digit number elsewhere.
#[inline]
pub(crate) fn epoch(b: &[u8], i: usize) -> Option<Hit> {
    // What must follow the number, given what precedes it.
    let closer = if i == 0 {
        None
    } else if is_byte(b, i - 1, b'[') {
        Some(b']')
    } else if i >= 6 && &b[i - 6..i] == b"audit(" {
        Some(b':')
    } else {
        return None;
    };
    if is_byte(b, i, b'0') {
        return None;
    }
    let seconds = fixed_u64(b, i, 10)?;
    let (nanos, end) = opt_fraction(b, i + 10, b".");
    if is_alnum(b, end) || closer.is_some_and(|c| !is_byte(b, end, c)) {
        return None;
    }
    let reading = Reading::Instant {
        seconds: seconds as i64,
        nanos,
    };
    Some(Hit { reading, end })
}

/// Seconds and nanoseconds from a TAI64N label `@` + 24 hex digits, read
/// as fail2ban reads it: the label minus 2^62 is taken as Unix seconds.
/// daemontools' `tai64nlocal` subtracts the 10 s TAI-UTC difference of
/// 1970 as well; fail2ban does not, and its sample logs (dovecot's) expect
/// its reading. The same log then gives the same times, so the same
/// `findtime` windows, in both; leap seconds are ignored either way.
#[inline]
pub(crate) fn tai64n(b: &[u8], i: usize) -> Option<Hit> {
    if !is_byte(b, i, b'@') {
        return None;
    }
    let hex = b.get(i + 1..i + 25)?;
    if is_alnum(b, i + 25) {
        return None;
    }
    let mut label: u64 = 0;
    let mut nanos: u32 = 0;
    for (k, &c) in hex.iter().enumerate() {
        let d = (c as char).to_digit(16)?;
        if k < 16 {
            label = label << 4 | u64::from(d);
        } else {
            nanos = nanos << 4 | d;
        }
    }
    const TAI64_UNIX_EPOCH: u64 = 1 << 62;
    let seconds = i64::try_from(label.checked_sub(TAI64_UNIX_EPOCH)?).ok()?;
    if nanos >= 1_000_000_000 {
        return None;
    }
    Some(Hit {
        reading: Reading::Instant { seconds, nanos },
        end: i + 25,
    })
}
