//! What the line leaves out: the year, the zone, DST edges.

use super::*;

#[test]
fn year_rollover() {
    // 2005-01-01T00:30 CET.
    let now = ts("2004-12-31T23:30:00Z");
    let mut p = DateParser::new(berlin(), now, DatePattern::Auto);
    assert_eq!(
        p.find("Dec 31 23:59:59 x").unwrap().0,
        ts("2004-12-31T22:59:59Z")
    );
    assert_eq!(
        p.find("Jan  1 00:10:00 x").unwrap().0,
        ts("2004-12-31T23:10:00Z")
    );
    // Up to a day ahead is clock skew; two days ahead is last year.
    assert_eq!(
        p.find("Jan  2 00:29:00 x").unwrap().0,
        ts("2005-01-01T23:29:00Z")
    );
    assert_eq!(
        p.find("Jan  3 00:30:00 x").unwrap().0,
        ts("2004-01-02T23:30:00Z")
    );
    // Moving now moves the inferred year.
    p.set_now(ts("2006-06-01T00:00:00Z"));
    assert_eq!(
        p.find("Jan  3 00:30:00 x").unwrap().0,
        ts("2006-01-02T23:30:00Z")
    );
}

#[test]
fn feb_29_without_year_comes_from_a_leap_year() {
    let mut p = DateParser::new(berlin(), ts("2005-03-10T00:00:00Z"), DatePattern::Auto);
    assert_eq!(
        p.find("Feb 29 12:00:00 x").unwrap().0,
        ts("2004-02-29T11:00:00Z")
    );
}

#[test]
fn dst_edges_in_berlin() {
    // 02:30 on 2005-03-27 does not exist: it moves forward to 03:30 CEST.
    assert_date(
        "2005-03-27 02:30:00 x",
        "2005-03-27T01:30:00Z",
        "2005-03-27 02:30:00",
    );
    // 02:30 on 2005-10-30 happens twice: the earlier, CEST, instant.
    assert_date(
        "2005-10-30 02:30:00 x",
        "2005-10-30T00:30:00Z",
        "2005-10-30 02:30:00",
    );
    assert_date(
        "2005-10-30 03:00:00 x",
        "2005-10-30T02:00:00Z",
        "2005-10-30 03:00:00",
    );
    // A written offset overrides the zone, even inside the fold.
    assert_date(
        "2005-10-30 02:30:00+0100 x",
        "2005-10-30T01:30:00Z",
        "2005-10-30 02:30:00+0100",
    );
}

#[test]
fn utc_zone_and_explicit_offsets_need_no_lookup() {
    let mut p = DateParser::new(TimeZone::UTC, ts("2005-06-15T12:00:00Z"), DatePattern::Auto);
    assert_eq!(
        p.find("Jan 23 21:59:59 x").unwrap().0,
        ts("2005-01-23T21:59:59Z")
    );
    assert_eq!(p.zone(), &TimeZone::UTC);
}
