//! The built-in templates, one test per way of writing a date.

use super::*;

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
fn iso_8601_basic() {
    assert_date(
        "20050123T215959 x",
        "2005-01-23T20:59:59Z",
        "20050123T215959",
    );
    assert_date(
        "20050123T215959.5Z x",
        "2005-01-23T21:59:59.5Z",
        "20050123T215959.5Z",
    );
    assert_date(
        "20050123 21:59:59+0000 x",
        "2005-01-23T21:59:59Z",
        "20050123 21:59:59+0000",
    );
    assert_date(
        "x 20050123  8:59:59 y",
        "2005-01-23T07:59:59Z",
        "20050123  8:59:59",
    );
    assert_eq!(find("12345678 21:59:59 x"), None);
    assert_eq!(find("20050123T2159590 x"), None);
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
    // Off the fast path's shape: the general reader.
    let line = "23/Jan/2005:21:59:59 +01:00] x";
    assert_date(line, "2005-01-23T20:59:59Z", "23/Jan/2005:21:59:59 +01:00");
    let line = "23/Jan/2005:21:59:59 UTC x";
    assert_date(line, "2005-01-23T21:59:59Z", "23/Jan/2005:21:59:59 UTC");
    let line = "x 23/Jan/2005:21:59:59 +0100";
    assert_date(line, "2005-01-23T20:59:59Z", "23/Jan/2005:21:59:59 +0100");
    let line = "3/Jan/2005:21:59:59 +0100 x";
    assert_date(line, "2005-01-03T20:59:59Z", "3/Jan/2005:21:59:59 +0100");
    let line = "23/Jan/2005:21:59:59 +01001 x";
    assert_date(line, "2005-01-23T20:59:59Z", "23/Jan/2005:21:59:59");
    assert_eq!(find("23/Jan/2005:21:59:591 x"), None);
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
    let line = "type=AVC msg=audit(1138211356.123:42): avc: denied";
    assert_date(line, "2006-01-25T17:49:16.123Z", "1138211356.123");
    assert_eq!(find("user 1138211356 failed"), None);
    assert_eq!(find("x audit(1138211356) y"), None);
    assert_eq!(find("x [1138211356 y]"), None);
    assert_eq!(find("11382113567 x"), None);
}

#[test]
fn tai64n() {
    // 0x43d9c7ba = 1138346938 s, 0x2ed8ce4c = 785960524 ns: fail2ban's
    // reading (tai64nlocal's is 10 s earlier, 07:11:44).
    let line = "@4000000043d9c7ba2ed8ce4c sshd: x";
    assert_date(
        line,
        "2006-01-27T07:11:54.785960524Z",
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
