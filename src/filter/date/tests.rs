//! Tests of the parser as the engine uses it: line in, instant and range out.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{DateParser, DatePattern, DatePatternError};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

/// A parser in Berlin, now = 2005-06-15T12:00:00Z.
fn parser(pattern: DatePattern) -> DateParser {
    DateParser::new(berlin(), ts("2005-06-15T12:00:00Z"), pattern)
}

/// The instant found in `line` and the text of its range.
fn find_with(p: &mut DateParser, line: &str) -> Option<(Timestamp, String)> {
    let (at, range) = p.find(line)?;
    Some((at, line[range].to_owned()))
}

fn find(line: &str) -> Option<(Timestamp, String)> {
    find_with(&mut parser(DatePattern::Auto), line)
}

#[track_caller]
fn assert_date(line: &str, instant: &str, text: &str) {
    assert_eq!(find(line), Some((ts(instant), text.to_owned())), "{line:?}");
}

#[test]
fn syslog() {
    let line = "Jan 23 21:59:59 web-1 sshd[20001]: Failed password for root";
    assert_date(line, "2005-01-23T20:59:59Z", "Jan 23 21:59:59");
    assert_date(
        "Jan  3 21:59:59 host x",
        "2005-01-03T20:59:59Z",
        "Jan  3 21:59:59",
    );
    assert_date(
        "Jan 3 21:59:59 host x",
        "2005-01-03T20:59:59Z",
        "Jan 3 21:59:59",
    );
    assert_date(
        "Jun 13 02:00:00.123456 x",
        "2005-06-13T00:00:00.123456Z",
        "Jun 13 02:00:00.123456",
    );
    assert_date(
        "Jan 23 21:59:59 2004 x",
        "2004-01-23T20:59:59Z",
        "Jan 23 21:59:59 2004",
    );
    assert_date(
        "Jan 23 2004 21:59:59 x",
        "2004-01-23T20:59:59Z",
        "Jan 23 2004 21:59:59",
    );
    assert_date(
        "Sun Jan 23 21:59:59 2005",
        "2005-01-23T20:59:59Z",
        "Sun Jan 23 21:59:59 2005",
    );
    assert_date(
        "Sun Jan 23 21:59:59.011 2005 x",
        "2005-01-23T20:59:59.011Z",
        "Sun Jan 23 21:59:59.011 2005",
    );
    assert_date(
        "Jan 23, 2005 9:59:59 PM x",
        "2005-01-23T20:59:59Z",
        "Jan 23, 2005 9:59:59 PM",
    );
    assert_date(
        "Jan 23, 2005 12:00:01 AM x",
        "2005-01-22T23:00:01Z",
        "Jan 23, 2005 12:00:01 AM",
    );
    // A number after the time that is no year stays in the message.
    assert_date(
        "Jan 23 21:59:59 12345 x",
        "2005-01-23T20:59:59Z",
        "Jan 23 21:59:59",
    );
}

#[test]
fn apache_error_log_date_is_inside_the_brackets() {
    let line = "[Sun Jul 23 21:37:04.123456 2006] [error] [client 1.2.3.4] File does not exist";
    assert_date(
        line,
        "2006-07-23T19:37:04.123456Z",
        "Sun Jul 23 21:37:04.123456 2006",
    );
    let line = "x [Sun Jul 23 21:37:04 2006] [error] [client 1.2.3.4] File does not exist";
    assert_date(line, "2006-07-23T19:37:04Z", "Sun Jul 23 21:37:04 2006");
}

#[test]
fn iso_8601() {
    assert_date(
        "2005-01-23T21:59:59 x",
        "2005-01-23T20:59:59Z",
        "2005-01-23T21:59:59",
    );
    assert_date(
        "2005-01-23 21:59:59 x",
        "2005-01-23T20:59:59Z",
        "2005-01-23 21:59:59",
    );
    assert_date(
        "2005-01-23T21:59:59.123456Z x",
        "2005-01-23T21:59:59.123456Z",
        "2005-01-23T21:59:59.123456Z",
    );
    assert_date(
        "2005-01-23 21:59:59,123 x",
        "2005-01-23T20:59:59.123Z",
        "2005-01-23 21:59:59,123",
    );
    assert_date(
        "2005-01-23T21:59:59+0100 x",
        "2005-01-23T20:59:59Z",
        "2005-01-23T21:59:59+0100",
    );
    assert_date(
        "2005-01-23T21:59:59+01:00 x",
        "2005-01-23T20:59:59Z",
        "2005-01-23T21:59:59+01:00",
    );
    assert_date(
        "2005-01-23T21:59:59-07 x",
        "2005-01-24T04:59:59Z",
        "2005-01-23T21:59:59-07",
    );
    assert_date(
        "2005-01-23 21:59:59 -0700 x",
        "2005-01-24T04:59:59Z",
        "2005-01-23 21:59:59 -0700",
    );
    assert_date(
        "2005-01-23 21:59:59 - x",
        "2005-01-23T20:59:59Z",
        "2005-01-23 21:59:59",
    );
    assert_date(
        "2005/01/23 21:59:59 [error] 1#0: x",
        "2005-01-23T20:59:59Z",
        "2005/01/23 21:59:59",
    );
    assert_date(
        "<13>1 2005-01-23T21:59:59.5Z host",
        "2005-01-23T21:59:59.5Z",
        "2005-01-23T21:59:59.5Z",
    );
}

#[test]
fn day_month_name() {
    let line = r#"1.2.3.4 - - [23/Jan/2005:21:59:59 +0100] "GET / HTTP/1.1" 404"#;
    assert_date(line, "2005-01-23T20:59:59Z", "23/Jan/2005:21:59:59 +0100");
    let line = "host [10/Oct/2000:13:55:36 -0700] x";
    assert_date(line, "2000-10-10T20:55:36Z", "10/Oct/2000:13:55:36 -0700");
    assert_date(
        "23/Jan/2005:21:59:59 x",
        "2005-01-23T20:59:59Z",
        "23/Jan/2005:21:59:59",
    );
    assert_date(
        "23-Jan-2005 21:59:59.123 client x",
        "2005-01-23T20:59:59.123Z",
        "23-Jan-2005 21:59:59.123",
    );
}

#[test]
fn numeric_dates() {
    assert_date(
        "23-01-2005 21:59:59 x",
        "2005-01-23T20:59:59Z",
        "23-01-2005 21:59:59",
    );
    assert_date(
        "01/23/2005 21:59:59 x",
        "2005-01-23T20:59:59Z",
        "01/23/2005 21:59:59",
    );
    assert_date(
        "01/23/2005:21:59:59 x",
        "2005-01-23T20:59:59Z",
        "01/23/2005:21:59:59",
    );
    assert_date(
        "23/01/05 21:59:59 x",
        "2005-01-23T20:59:59Z",
        "23/01/05 21:59:59",
    );
    // Both fields could be the month: day first, as fail2ban reads it.
    assert_date(
        "05/06/2005 12:00:00 x",
        "2005-06-05T10:00:00Z",
        "05/06/2005 12:00:00",
    );
    assert_eq!(find("13/13/2005 12:00:00 x"), None);
}

#[test]
fn mysql() {
    assert_date(
        "050123 21:59:59 [Warning] x",
        "2005-01-23T20:59:59Z",
        "050123 21:59:59",
    );
    assert_date(
        "050123  1:59:59 [Warning] x",
        "2005-01-23T00:59:59Z",
        "050123  1:59:59",
    );
}

#[test]
fn epoch() {
    assert_date("1138211356 x", "2006-01-25T17:49:16Z", "1138211356");
    assert_date(
        "1138211356.123 x",
        "2006-01-25T17:49:16.123Z",
        "1138211356.123",
    );
    assert_date("[1138211356] x", "2006-01-25T17:49:16Z", "1138211356");
    assert_date(
        "x [1138211356.5] y",
        "2006-01-25T17:49:16.5Z",
        "1138211356.5",
    );
    assert_eq!(find("user 1138211356 failed"), None);
    assert_eq!(find("x [1138211356 y]"), None);
    assert_eq!(find("11382113567 x"), None);
}

#[test]
fn tai64n() {
    // tai64nlocal: @4000000043d9c7ba2ed8ce4c is 2006-01-27 07:11:44.785960524 UTC.
    let line = "@4000000043d9c7ba2ed8ce4c sshd: x";
    assert_date(
        line,
        "2006-01-27T07:11:44.785960524Z",
        "@4000000043d9c7ba2ed8ce4c",
    );
    assert_eq!(find("@4000000043d9c7ba2ed8ce4 x"), None);
    assert_eq!(find("@4000000043d9c7ba2ed8ce4cc x"), None);
}

#[test]
fn no_date() {
    assert_eq!(find(""), None);
    assert_eq!(
        find("web-1 sshd[20001]: Failed password for root from 45.1.2.3 port 1234"),
        None
    );
    assert_eq!(find("Jan 32 21:59:59 x"), None);
    assert_eq!(find("Feb 30 21:59:59 2005 x"), None);
    assert_eq!(find("2005-01-23T25:59:59 x"), None);
    assert_eq!(find("2005-01-23 x 21:59:59"), None);
}

#[test]
fn leftmost_date_wins_and_last_template_is_tried_first() {
    let mut p = parser(DatePattern::Auto);
    let line = "2005-01-23T21:59:59Z then Jan 24 21:59:59";
    assert_eq!(find_with(&mut p, line).unwrap().1, "2005-01-23T21:59:59Z");
    // Now the ISO template is first; a syslog line still parses.
    assert_eq!(
        find_with(&mut p, "Jan 24 21:59:59 x").unwrap().1,
        "Jan 24 21:59:59"
    );
    assert_eq!(
        find_with(&mut p, "x Jan 24 21:59:59 y 2005-01-23T21:59:59Z")
            .unwrap()
            .1,
        "Jan 24 21:59:59"
    );
}

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
fn per_filter_formats() {
    let pattern = DatePattern::parse("^%Y-%m-%d %H:%M:%S").unwrap();
    let mut p = parser(pattern);
    assert_eq!(
        find_with(&mut p, "2005-01-23 21:59:59 x"),
        Some((ts("2005-01-23T20:59:59Z"), "2005-01-23 21:59:59".into()))
    );
    assert_eq!(p.find("x 2005-01-23 21:59:59"), None);

    let mut p = parser(DatePattern::parse("%d.%m.%Y %I:%M:%S%p %z").unwrap());
    let got = find_with(&mut p, "client x (23.01.2005 09:59:59pm +0000) y");
    assert_eq!(
        got,
        Some((
            ts("2005-01-23T21:59:59Z"),
            "23.01.2005 09:59:59pm +0000".into()
        ))
    );

    let mut p = parser(DatePattern::parse("%a %B %e %T.%f %Z").unwrap());
    let got = find_with(&mut p, "Sunday January  2 21:59:59.5 UTC x");
    assert_eq!(
        got,
        Some((
            ts("2005-01-02T21:59:59.5Z"),
            "Sunday January  2 21:59:59.5 UTC".into()
        ))
    );
    let got = find_with(&mut p, "Sun Jan 2 21:59:59.5 CET x");
    assert_eq!(
        got,
        Some((
            ts("2005-01-02T20:59:59.5Z"),
            "Sun Jan 2 21:59:59.5 CET".into()
        ))
    );

    let mut p = parser(DatePattern::parse("{^LN-BEG}%y%j %H:%M").unwrap());
    assert_eq!(
        p.find("05032 21:59 x").unwrap().0,
        ts("2005-02-01T20:59:00Z")
    );

    let mut p = parser(DatePattern::Format("[%d/%b/%Y:%H:%M:%S %z]".into()));
    assert_eq!(
        find_with(&mut p, "h [23/Jan/2005:21:59:59 +0100] x")
            .unwrap()
            .1,
        "[23/Jan/2005:21:59:59 +0100]"
    );
}

#[test]
fn epoch_and_tai64n_patterns_accept_only_those() {
    let mut p = parser(DatePattern::Epoch);
    assert_eq!(p.find("Jan 23 21:59:59 x"), None);
    assert_eq!(find_with(&mut p, "[1138211356] x").unwrap().1, "1138211356");
    let mut p = parser(DatePattern::Tai64n);
    assert_eq!(p.find("1138211356 x"), None);
    assert_eq!(
        find_with(&mut p, "x @4000000043d9c7ba2ed8ce4c y")
            .unwrap()
            .1,
        "@4000000043d9c7ba2ed8ce4c"
    );
}

#[test]
fn pattern_names_and_errors() {
    assert_eq!(DatePattern::parse(" Epoch "), Ok(DatePattern::Epoch));
    assert_eq!(
        DatePattern::parse("{^LN-BEG}TAI64N"),
        Ok(DatePattern::Tai64n)
    );
    assert_eq!(DatePattern::parse("default"), Ok(DatePattern::Auto));
    assert_eq!("auto".parse(), Ok(DatePattern::Auto));
    let err = |s: &str| DatePattern::parse(s).unwrap_err().to_string();
    assert_eq!(
        err(""),
        "date pattern is empty: write a strftime-like pattern such as \"%Y-%m-%d %H:%M:%S\", \
         or one of \"auto\", \"epoch\", \"tai64n\""
    );
    assert_eq!(
        err("^%Y-%Q"),
        "date pattern \"^%Y-%Q\": unknown conversion %Q at byte 4: use one of \
         %Y %y %m %d %e %j %b %B %a %A %H %I %M %S %f %p %z %Z %T %F, or %% for a percent sign"
    );
    assert_eq!(
        err("%Y %"),
        "date pattern \"%Y %\" ends with a lone %: write %% for a percent sign"
    );
    assert_eq!(
        err("%H:%M:%S"),
        "date pattern \"%H:%M:%S\" has no month (add %m or %b)"
    );
    assert_eq!(
        err("%b %H:%M"),
        "date pattern \"%b %H:%M\" has no day of month (add %d or %e)"
    );
    assert_eq!(
        err("%j %H:%M"),
        "date pattern \"%j %H:%M\" has no year for its %j day of year (add %Y or %y)"
    );
    assert_eq!(
        err("%F %I:%M"),
        "date pattern \"%F %I:%M\" has no AM/PM for its 12-hour %I (add %p, or use %H)"
    );
    assert_eq!(err("%F %M"), "date pattern \"%F %M\" has no hour (add %H)");
    assert_eq!(
        err("%F %H"),
        "date pattern \"%F %H\" has no minutes (add %M)"
    );
    let bad = DatePattern::Format("%Q".into());
    assert!(matches!(
        DateParser::try_new(berlin(), ts("2005-01-01T00:00:00Z"), bad.clone()),
        Err(DatePatternError::UnknownConversion { .. })
    ));
    assert_eq!(parser(bad).find("2005-01-23 21:59:59"), None);
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

#[test]
fn hostile_lines_do_not_panic() {
    let mut p = parser(DatePattern::Auto);
    let long = "9".repeat(1 << 20);
    assert_eq!(p.find(&long), None);
    let long_spaces = format!("{} Jan 23 21:59:59", " 1".repeat(100_000));
    assert_eq!(
        find_with(&mut p, &long_spaces).unwrap().1,
        "Jan 23 21:59:59"
    );
    for line in [
        "\0\0\0Jan 23 21:59:59\0",
        "ééé 2005-01-23T21:59:59Z ééé",
        "Jan 23 21:59:5é",
        "2005-01-23T21:59:59é",
        "日本 [23/Jan/2005:21:59:59 +0100] 語",
        "Jan",
        "Jan 2",
        "2005-01-23T21:59:59+",
        "2005-01-23T21:59:59+0",
        "@",
        "@40000000",
        "[",
        "9999-12-31T23:59:59-2559",
        "0000-01-01T00:00:00+2559",
        "1 2 3 4 5 6 7 8 9 0 11/22/33 44:55:66 12345678901 2005-13-45",
        "𝒥an 23 21:59:59",
    ] {
        if let Some((_, range)) = p.find(line) {
            assert!(line.is_char_boundary(range.start) && line.is_char_boundary(range.end));
        }
    }
}

#[test]
fn random_bytes_do_not_panic() {
    // xorshift64*: deterministic, no dependency.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    // Bytes biased towards what dates are made of.
    let alphabet = b"0123456789 :-/.,+TZ@[]JanFebDecSunPMamx\xc3\xa9\xe6\x97\xa5\0";
    let patterns = ["auto", "epoch", "tai64n", "%d.%m.%Y %H:%M:%S", "^%b %e %T"];
    let mut parsers: Vec<_> = patterns
        .iter()
        .map(|s| parser(DatePattern::parse(s).unwrap()))
        .collect();
    for _ in 0..20_000 {
        let len = (next() % 64) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 4 == 0 {
                    (r >> 8) as u8
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                }
            })
            .collect();
        let line = String::from_utf8_lossy(&bytes);
        for p in &mut parsers {
            if let Some((_, range)) = p.find(&line) {
                assert!(line.is_char_boundary(range.start) && line.is_char_boundary(range.end));
                assert!(range.start < range.end && range.end <= line.len());
            }
        }
    }
}

/// `cargo test --release --lib -- --ignored --nocapture find_speed`
#[test]
#[ignore = "benchmark; run in release"]
fn find_speed() {
    let start = ts("2005-11-20T00:00:00Z");
    let mut lines = Vec::with_capacity(1_000_000);
    for n in 0..1_000_000i64 {
        let at = start
            .checked_add(jiff::SignedDuration::from_secs(n / 3))
            .unwrap();
        let date = at.to_zoned(berlin()).strftime("%b %e %H:%M:%S").to_string();
        lines.push(format!(
            "{date} web-1 sshd[{}]: Failed password for root from 45.1.{}.{} port {} ssh2",
            20_000 + n % 9_000,
            n % 250,
            n % 199,
            1_024 + n % 60_000
        ));
    }
    let now = ts("2005-12-01T00:00:00Z");
    for (name, lines) in [("syslog", &lines)] {
        let mut p = DateParser::new(berlin(), now, DatePattern::Auto);
        let t = std::time::Instant::now();
        let mut found = 0;
        for line in lines {
            found +=
                usize::from(std::hint::black_box(p.find(std::hint::black_box(line))).is_some());
        }
        let ns = t.elapsed().as_nanos() as f64 / lines.len() as f64;
        assert_eq!(found, lines.len());
        println!("{name}: {ns:.1} ns/line");
    }
}
