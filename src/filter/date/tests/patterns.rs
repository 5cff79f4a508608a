//! Per-filter patterns: formats, epoch and TAI64N only, names and errors.

use super::*;
use crate::filter::date::DatePatternError;

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

    // Leading blanks of an unanchored pattern are dropped: no quadratic
    // scan of a line of blanks.
    let mut p = parser(DatePattern::parse("  %d/%b/%Y:%H:%M:%S").unwrap());
    let line = format!("{}23/Jan/2005:21:59:59", " ".repeat(200_000));
    assert_eq!(find_with(&mut p, &line).unwrap().1, "23/Jan/2005:21:59:59");

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
    assert_eq!(
        err(r"^%Y-%m-%d %H:%M:%S(?:,%f)?"),
        "date pattern \"^%Y-%m-%d %H:%M:%S(?:,%f)?\": '?' at byte 19 is regular-expression \
         syntax, which date patterns do not take: write the date's literal text and \
         %-conversions only"
    );
    assert_eq!(
        err(r"%b %d \d"),
        r#"date pattern "%b %d \\d": '\\' at byte 6 is regular-expression syntax, which "#
            .to_owned()
            + "date patterns do not take: write the date's literal text and %-conversions only"
    );
    let bad = DatePattern::Format("%Q".into());
    assert!(matches!(
        DateParser::try_new(berlin(), ts("2005-01-01T00:00:00Z"), bad.clone()),
        Err(DatePatternError::UnknownConversion { .. })
    ));
    assert_eq!(parser(bad).find("2005-01-23 21:59:59"), None);
}
