//! Wall-clock date-times as log lines write them, and the calendar
//! arithmetic that turns them into seconds without consulting a time zone.
//!
//! Everything here is proleptic Gregorian and zone-free: "local seconds" are
//! seconds since 1970-01-01T00:00:00 *on the wall clock*; a zone (or the
//! line's own offset) turns them into an instant elsewhere.

/// A wall-clock date and time read from a line, before any zone is applied.
/// Fields are range-checked by the readers (month 1..=12, day 1..=31,
/// hour 0..=23, minute and second 0..=59); whether the day exists in that
/// month is checked once the year is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    /// `None` when the line leaves the year out (syslog); it is inferred.
    pub year: Option<i32>,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub nanos: u32,
    /// Seconds east of UTC, when the line writes its own offset.
    pub offset: Option<i32>,
}

impl Civil {
    /// Seconds since the wall-clock epoch, or `None` if the day does not
    /// exist in that month of `year` (Feb 29 of a common year, Apr 31).
    #[inline]
    pub fn local_seconds(&self, year: i32) -> Option<i64> {
        if self.day > days_in_month(year, self.month) {
            return None;
        }
        let days = days_from_civil(year, self.month, self.day);
        Some(
            days * 86_400
                + i64::from(self.hour) * 3_600
                + i64::from(self.minute) * 60
                + i64::from(self.second),
        )
    }
}

pub(crate) fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1..=12) of `year`.
#[inline]
pub(crate) fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to the given date (Howard Hinnant's
/// `days_from_civil`, valid for every year jiff can represent).
#[inline]
pub(crate) fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01: (year, month, day).
pub(crate) fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as i32, month, day)
}

/// Month and day of the `ordinal`th day (1-based) of `year`.
pub(crate) fn month_day_from_ordinal(year: i32, ordinal: u16) -> Option<(u8, u8)> {
    let mut left = ordinal;
    for month in 1..=12 {
        let len = u16::from(days_in_month(year, month));
        if left >= 1 && left <= len {
            return Some((month, left as u8));
        }
        left = left.checked_sub(len)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_over_four_centuries() {
        for days in -146_097 * 2..146_097 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn month_lengths_and_ordinals() {
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2004, 2), 29);
        assert_eq!(month_day_from_ordinal(2004, 60), Some((2, 29)));
        assert_eq!(month_day_from_ordinal(2005, 60), Some((3, 1)));
        assert_eq!(month_day_from_ordinal(2005, 365), Some((12, 31)));
        assert_eq!(month_day_from_ordinal(2005, 366), None);
        assert_eq!(month_day_from_ordinal(2005, 0), None);
    }

    #[test]
    fn nonexistent_days_have_no_seconds() {
        let c = Civil {
            year: None,
            month: 2,
            day: 29,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
            offset: None,
        };
        assert_eq!(c.local_seconds(2005), None);
        assert_eq!(c.local_seconds(2004), Some(1_078_012_800));
    }
}
