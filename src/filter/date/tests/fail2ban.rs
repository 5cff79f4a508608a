//! fail2ban `datepattern` templates (see `date::fail2ban`).

use super::{find_with, parser, ts};
use crate::filter::date::{DateParser, DatePattern, DatePatternError};

fn f2b(lines: &[&str]) -> DateParser {
    parser(DatePattern::Fail2ban(
        lines.iter().map(|l| l.to_string()).collect(),
    ))
}

#[track_caller]
fn date(lines: &[&str], line: &str, instant: &str, cut: &str) {
    let got = find_with(&mut f2b(lines), line);
    assert_eq!(
        got,
        Some((ts(instant), cut.to_string())),
        "{lines:?} on {line:?}"
    );
}

#[test]
fn each_code_reads_its_field() {
    // Berlin, CEST in summer: +02:00.
    date(
        &["%Y-%m-%d %H:%M:%S"],
        "x 2005-06-01 10:20:30 y",
        "2005-06-01T08:20:30Z",
        "2005-06-01 10:20:30",
    );
    date(
        &["%y%m%d %H%M%S"],
        "050601 102030 y",
        "2005-06-01T08:20:30Z",
        "050601 102030",
    );
    date(
        &["%d/%b/%Y:%H:%M:%S %z"],
        "[01/Jun/2005:10:20:30 -0700]",
        "2005-06-01T17:20:30Z",
        "01/Jun/2005:10:20:30 -0700",
    );
    date(
        &["%B %e %H:%M:%S.%f"],
        "June  1 10:20:30.25 x",
        "2005-06-01T08:20:30.25Z",
        "June  1 10:20:30.25",
    );
    date(
        &["%a %b %d %I:%M:%S %p %Y"],
        "Wed Jun 01 10:20:30 PM 2005",
        "2005-06-01T20:20:30Z",
        "Wed Jun 01 10:20:30 PM 2005",
    );
    date(
        &["%Y %j %H:%M:%S"],
        "2005 152 10:20:30",
        "2005-06-01T08:20:30Z",
        "2005 152 10:20:30",
    );
    date(
        &["%b %d %H:%M:%S %Z"],
        "Jun 01 10:20:30 PDT",
        "2005-06-01T17:20:30Z",
        "Jun 01 10:20:30 PDT",
    );
    date(
        &["@%s"],
        "t=@1117621230 x",
        "2005-06-01T10:20:30Z",
        "@1117621230",
    );
    date(
        &["%ExY-%Exm-%Exd %ExH:%ExM:%ExS 100%%"],
        "2005-06-01 10:20:30 100%",
        "2005-06-01T08:20:30Z",
        "2005-06-01 10:20:30 100%",
    );
}

#[test]
fn extended_codes_refuse_what_the_plain_ones_take() {
    assert!(find_with(&mut f2b(&["^%ExY-%m-%d"]), "1805-06-01 x").is_none());
    assert!(find_with(&mut f2b(&["^%Y-%m-%d"]), "1805-06-01 x").is_some());
}

#[test]
fn a_date_inside_a_word_is_not_one() {
    assert!(find_with(&mut f2b(&["%H:%M:%S"]), "id=x10:20:30").is_none());
    assert!(find_with(&mut f2b(&["**%H:%M:%S"]), "id=x10:20:30").is_some());
}

#[test]
fn line_begin_allows_two_non_word_characters() {
    date(
        &["{^LN-BEG}%Y-%m-%d %H:%M:%S"],
        "[2005-06-01 10:20:30] x",
        "2005-06-01T08:20:30Z",
        "2005-06-01 10:20:30",
    );
    assert!(
        find_with(
            &mut f2b(&["{^LN-BEG}%Y-%m-%d %H:%M:%S"]),
            "abc 2005-06-01 10:20:30"
        )
        .is_none()
    );
    // Alone, it is the default formats at the line's start.
    date(
        &["{^LN-BEG}"],
        "Jun  1 10:20:30 host sshd[1]: x",
        "2005-06-01T08:20:30Z",
        "Jun  1 10:20:30",
    );
    assert!(find_with(&mut f2b(&["{^LN-BEG}"]), "host: Jun  1 10:20:30 x").is_none());
    // A zone name before the date is part of it and sets its offset.
    date(
        &["{^LN-BEG}"],
        "[PDT Jun  1 10:20:30] x",
        "2005-06-01T17:20:30Z",
        "PDT Jun  1 10:20:30",
    );
}

#[test]
fn the_first_group_is_what_is_cut() {
    date(
        &[r"^[^\[]*\[({DATE})"],
        "host [2005-06-01 10:20:30] x",
        "2005-06-01T08:20:30Z",
        "2005-06-01 10:20:30",
    );
    date(
        &[r"^[^\[]*(\[{DATE}\s*\])"],
        "host [2005-06-01 10:20:30 ] x",
        "2005-06-01T08:20:30Z",
        "[2005-06-01 10:20:30 ]",
    );
    // Without a group, the whole match.
    date(
        &[r"^<W>{DATE}"],
        "<W>2005-06-01 10:20:30 x",
        "2005-06-01T08:20:30Z",
        "<W>2005-06-01 10:20:30",
    );
    date(
        &[r"^L %d/%m/%Y - (%H:%M:%S)"],
        "L 01/06/2005 - 10:20:30: x",
        "2005-06-01T08:20:30Z",
        "10:20:30",
    );
}

#[test]
fn several_templates_are_tried_in_order() {
    let lines = ["^%Y-%m-%d %H:%M:%S", "^EPOCH", "{^LN-BEG}"];
    date(
        &lines,
        "2005-06-01 10:20:30 x",
        "2005-06-01T08:20:30Z",
        "2005-06-01 10:20:30",
    );
    date(&lines, "1117621230 x", "2005-06-01T10:20:30Z", "1117621230");
    date(
        &lines,
        "Jun  1 10:20:30 x",
        "2005-06-01T08:20:30Z",
        "Jun  1 10:20:30",
    );
    // A template without date fields marks a line as having none.
    assert!(find_with(&mut f2b(&[r"^I\(()**"]), "I(<0.1.0>) x").is_none());
}

#[test]
fn epoch_and_tai64n_as_fail2ban_reads_them() {
    date(
        &["EPOCH"],
        "1117621230.5 x",
        "2005-06-01T10:20:30.5Z",
        "1117621230.5",
    );
    date(
        &["{^LN-BEG}Epoch"],
        "[1117621230] x",
        "2005-06-01T10:20:30Z",
        "1117621230",
    );
    // fail2ban takes the label's seconds as they are: no TAI-UTC
    // correction and no fraction (the KDL `tai64n` corrects by 10 s).
    date(
        &["TAI64N"],
        "@400000004283c44e2ed8ce4c x",
        "2005-05-12T21:02:06Z",
        "@400000004283c44e2ed8ce4c",
    );
}

#[test]
fn a_time_of_day_alone_is_today_or_yesterday() {
    // now = 2005-06-15T14:00 in Berlin.
    date(
        &["^%H:%M:%S"],
        "10:20:30 x",
        "2005-06-15T08:20:30Z",
        "10:20:30",
    );
    date(
        &["^%H:%M:%S"],
        "20:20:30 x",
        "2005-06-14T18:20:30Z",
        "20:20:30",
    );
}

#[test]
fn a_bad_code_is_reported() {
    let err = DateParser::try_new(
        super::berlin(),
        ts("2005-06-15T12:00:00Z"),
        DatePattern::Fail2ban(vec!["%Q".into()]),
    )
    .unwrap_err();
    assert!(matches!(err, DatePatternError::Fail2ban { .. }));
    assert!(
        err.to_string()
            .starts_with("datepattern \"%Q\": unknown date code %Q"),
        "{err}"
    );
}
