//! Wall-clock seconds to UTC seconds in one time zone, without a tz lookup
//! per line.
//!
//! The converter remembers the last stretch of wall-clock time over which
//! the zone's offset is constant and unambiguous (between two transitions,
//! minus the folds and gaps at either end). A date inside that stretch costs
//! two comparisons and a subtraction; anything else asks jiff, and refills
//! the stretch when the answer is unambiguous. A log read in order thus
//! consults jiff about twice a year per zone.
//!
//! DST edges follow jiff's "compatible" disambiguation (RFC 5545, as
//! `java.time` and Temporal do):
//! - a wall-clock time that happens twice (autumn fold) is the *earlier*
//!   instant, the one still in summer time;
//! - a wall-clock time that never happens (spring gap) is moved *forward*
//!   by the gap's length: 02:30 in Berlin on 2005-03-27 is 03:30 CEST.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

use super::civil::civil_from_days;

#[derive(Debug)]
pub(crate) struct ZoneConverter {
    zone: TimeZone,
    /// Wall-clock seconds in `lo..hi` are UTC seconds plus `offset`.
    lo: i64,
    hi: i64,
    offset: i64,
}

impl ZoneConverter {
    pub fn new(zone: TimeZone) -> Self {
        ZoneConverter {
            zone,
            lo: 0,
            hi: 0,
            offset: 0,
        }
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// UTC seconds of the wall-clock time `local` (seconds since
    /// 1970-01-01T00:00:00 on the wall clock), or `None` outside jiff's
    /// range.
    #[inline(always)]
    pub fn utc_seconds(&mut self, local: i64) -> Option<i64> {
        if local >= self.lo && local < self.hi {
            return Some(local - self.offset);
        }
        self.utc_seconds_slow(local)
    }

    #[cold]
    fn utc_seconds_slow(&mut self, local: i64) -> Option<i64> {
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let dt = DateTime::new(
            i16::try_from(year).ok()?,
            month as i8,
            day as i8,
            (secs / 3_600) as i8,
            (secs / 60 % 60) as i8,
            (secs % 60) as i8,
            0,
        )
        .ok()?;
        let ambiguous = self.zone.to_ambiguous_timestamp(dt);
        if let AmbiguousOffset::Unambiguous { offset } = ambiguous.offset() {
            self.remember_stretch(local, i64::from(offset.seconds()));
        }
        ambiguous.compatible().ok().map(|ts| ts.as_second())
    }

    /// Finds the wall-clock stretch around `local` where `offset` holds and
    /// no other offset competes, and caches it.
    fn remember_stretch(&mut self, local: i64, offset: i64) {
        let Ok(at) = Timestamp::from_second(local - offset) else {
            return;
        };
        let zone = &self.zone;
        // `preceding` is strict, so ask from just after `at`.
        let after_at = at
            .checked_add(jiff::SignedDuration::from_nanos(1))
            .unwrap_or(at);
        let lo = match zone.preceding(after_at).next() {
            None => i64::MIN,
            Some(t) => {
                let start = t.timestamp();
                let before = start
                    .checked_sub(jiff::SignedDuration::from_nanos(1))
                    .map_or(offset, |ts| i64::from(zone.to_offset(ts).seconds()));
                start.as_second() + offset.max(before)
            }
        };
        let hi = match zone.following(at).next() {
            None => i64::MAX,
            Some(t) => t.timestamp().as_second() + offset.min(i64::from(t.offset().seconds())),
        };
        if lo <= local && local < hi {
            (self.lo, self.hi, self.offset) = (lo, hi, offset);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::civil::days_from_civil;
    use super::*;

    fn local(y: i32, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
        days_from_civil(y, mo, d) * 86_400 + h * 3_600 + mi * 60
    }

    const BERLIN: &str = "CET-1CEST,M3.5.0,M10.5.0/3";

    fn utc(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn berlin_dst_edges() {
        let berlin = TimeZone::get("Europe/Berlin");
        let mut c = ZoneConverter::new(berlin.unwrap_or_else(|_| TimeZone::posix(BERLIN).unwrap()));
        // Winter, then the cached stretch, then summer.
        assert_eq!(
            c.utc_seconds(local(2005, 1, 23, 21, 59)),
            Some(utc("2005-01-23T20:59:00Z"))
        );
        assert_eq!(
            c.utc_seconds(local(2005, 3, 27, 1, 59)),
            Some(utc("2005-03-27T00:59:00Z"))
        );
        // The gap: 02:30 does not exist and moves forward to 03:30 CEST.
        assert_eq!(
            c.utc_seconds(local(2005, 3, 27, 2, 30)),
            Some(utc("2005-03-27T01:30:00Z"))
        );
        assert_eq!(
            c.utc_seconds(local(2005, 3, 27, 3, 0)),
            Some(utc("2005-03-27T01:00:00Z"))
        );
        assert_eq!(
            c.utc_seconds(local(2005, 7, 1, 12, 0)),
            Some(utc("2005-07-01T10:00:00Z"))
        );
        // The fold: 02:30 happens twice; the earlier (CEST) instant wins.
        assert_eq!(
            c.utc_seconds(local(2005, 10, 30, 1, 59)),
            Some(utc("2005-10-29T23:59:00Z"))
        );
        assert_eq!(
            c.utc_seconds(local(2005, 10, 30, 2, 30)),
            Some(utc("2005-10-30T00:30:00Z"))
        );
        assert_eq!(
            c.utc_seconds(local(2005, 10, 30, 3, 0)),
            Some(utc("2005-10-30T02:00:00Z"))
        );
        // Going back in time after the cache holds winter 2005/06.
        assert_eq!(
            c.utc_seconds(local(2005, 10, 30, 2, 30)),
            Some(utc("2005-10-30T00:30:00Z"))
        );
        assert_eq!(
            c.utc_seconds(local(2005, 3, 27, 2, 30)),
            Some(utc("2005-03-27T01:30:00Z"))
        );
    }

    #[test]
    fn cached_answers_match_jiff_every_quarter_hour_of_a_year() {
        // POSIX rules always; the tz database's zones where there is one.
        let mut zones = vec![
            ("Berlin rule", TimeZone::posix(BERLIN).unwrap()),
            // Half-hour DST: folds and gaps inside an hour.
            (
                "Lord Howe rule",
                TimeZone::posix("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0").unwrap(),
            ),
            (
                "St Johns rule",
                TimeZone::posix("NST3:30NDT,M3.2.0,M11.1.0").unwrap(),
            ),
            ("UTC", TimeZone::UTC),
        ];
        for name in ["Europe/Berlin", "Australia/Lord_Howe", "America/St_Johns"] {
            zones.extend(TimeZone::get(name).ok().map(|zone| (name, zone)));
        }
        for (name, zone) in zones {
            let mut c = ZoneConverter::new(zone.clone());
            let start = local(2005, 1, 1, 0, 0);
            for step in 0..366 * 96 {
                let l = start + step * 900;
                let dt = jiff::civil::date(1970, 1, 1)
                    .at(0, 0, 0, 0)
                    .checked_add(jiff::SignedDuration::from_secs(l))
                    .unwrap();
                let want = zone
                    .to_ambiguous_timestamp(dt)
                    .compatible()
                    .unwrap()
                    .as_second();
                assert_eq!(c.utc_seconds(l), Some(want), "{name} {dt}");
            }
        }
    }
}
