//! Tests of the matcher module.

use super::*;
use crate::filter::FilterOptions;
use crate::filter::compile::CompiledFilter;
use crate::filter::definition;

/// The line limit of the test's reader (the daemon's is 16 KiB too).
const LIMIT: usize = 16 * 1024;

/// Compiles `kdl` as a filter file and runs `lines` through it, as read by
/// a reader that cuts lines at [`LIMIT`].
fn run(kdl: &str, options: FilterOptions, lines: &[&str]) -> Vec<(u64, String, u32, Vec<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.kdl");
    std::fs::write(&path, kdl).unwrap();
    let def = definition::load(path.to_str().unwrap()).unwrap();
    let filter = Arc::new(CompiledFilter::new(&def, &options).unwrap());
    let now: Timestamp = "2005-08-14T10:00:00Z".parse().unwrap();
    let mut matcher = Matcher::new(filter, TimeZone::UTC, now);
    matcher.lines_cut_at(LIMIT);
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if let Outcome::Failure(f) = matcher.process(i as u64 + 1, line.as_bytes(), now) {
            found.push((f.line, f.host, f.attempts, f.users));
        }
    }
    found
}

const SSH_LIKE: &str = r##"
define "daemon" #"sshd"#
prefix #"^<F-MLFID>\s*\S+ %(daemon)\[\d+\]: </F-MLFID><F-CONTENT>.+</F-CONTENT>$"#
fail #"^Failed publickey for <F-USER>\S+</F-USER> from <HOST><F-NOFAIL></F-NOFAIL> port \d+$"#
fail #"^Failed publickey for (?P<user>\S+) from <HOST> port \d+<F-NOFAIL> \(held\)</F-NOFAIL>$"#
fail #"^Too many authentication failures for <F-USER>\S+</F-USER>$"#
fail #"^Accepted \S+ for <F-USER>\S+</F-USER> from <HOST><F-MLFGAINED> port</F-MLFGAINED> \d+$"#
fail #"^Connection closed by <HOST><F-MLFFORGET> \[preauth\]</F-MLFFORGET>$"#
"##;

#[test]
fn a_later_line_of_the_connection_reports_the_merged_failure() {
    let found = run(
        SSH_LIKE,
        FilterOptions::default(),
        &[
            "Aug 14 09:00:00 h sshd[7]: Failed publickey for git from 192.0.2.9 port 1 (held)",
            "Aug 14 09:00:01 h sshd[7]: Failed publickey for git from 192.0.2.9 port 1 (held)",
            "Aug 14 09:00:02 h sshd[8]: Connection closed by 198.51.100.1 [preauth]",
            "Aug 14 09:00:03 h sshd[7]: Too many authentication failures for git",
        ],
    );
    assert_eq!(
        found,
        vec![
            (3, "198.51.100.1".to_string(), 1, vec![]),
            (4, "192.0.2.9".to_string(), 3, vec!["git".to_string()]),
        ]
    );
}

#[test]
fn access_gained_forgives_held_lines_of_the_same_user_only() {
    let held = "Aug 14 09:00:00 h sshd[7]: Failed publickey for git from 192.0.2.9 port 1 (held)";
    let same = "Aug 14 09:00:01 h sshd[7]: Accepted publickey for git from 192.0.2.9 port 1";
    assert_eq!(
        run(SSH_LIKE, FilterOptions::default(), &[held, same]),
        vec![]
    );
    let other = "Aug 14 09:00:01 h sshd[7]: Accepted publickey for deploy from 192.0.2.9 port 1";
    let found = run(SSH_LIKE, FilterOptions::default(), &[held, other]);
    assert_eq!(
        found,
        vec![(
            2,
            "192.0.2.9".to_string(),
            2,
            vec!["git".to_string(), "deploy".to_string()]
        )]
    );
}

#[test]
fn a_failure_without_address_waits_for_one() {
    let found = run(
        SSH_LIKE,
        FilterOptions::default(),
        &[
            "Aug 14 09:00:00 h sshd[9]: Too many authentication failures for root",
            "Aug 14 09:00:01 h sshd[9]: Connection closed by 203.0.113.5 [preauth]",
        ],
    );
    assert_eq!(
        found,
        vec![(2, "203.0.113.5".to_string(), 2, vec!["root".to_string()])]
    );
}

#[test]
fn parameters_choose_prefixes() {
    let kdl = r##"
param "logging" "file" "syslog"
prefix #"^\s*<F-CONTENT>.+</F-CONTENT>$"# when="logging=file"
prefix #"^\s*\S+ httpd\[\d+\]: <F-CONTENT>.+</F-CONTENT>$"# when="logging=syslog"
fail #"^\[client <HOST>\] denied$"#
"##;
    let syslog = "Aug 14 09:00:00 h httpd[1]: [client 192.0.2.3] denied";
    let file = "2005-08-14 09:00:00 [client 192.0.2.4] denied";
    let as_file = run(kdl, FilterOptions::default(), &[syslog, file]);
    assert_eq!(
        as_file.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(),
        vec!["192.0.2.4"]
    );
    let options = FilterOptions {
        set: vec![("logging".into(), "syslog".into())],
        ..Default::default()
    };
    let as_syslog = run(kdl, options, &[syslog, file]);
    assert_eq!(
        as_syslog.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(),
        vec!["192.0.2.3"]
    );
}

#[test]
fn skiplines_matches_across_the_buffer() {
    let kdl = r##"
maxlines 3
fail #"^\s*login attempt from <HOST>\n<SKIPLINES>\s*access denied$"#
"##;
    let found = run(
        kdl,
        FilterOptions::default(),
        &[
            "Aug 14 09:00:00 login attempt from 192.0.2.8",
            "Aug 14 09:00:01 something else",
            "Aug 14 09:00:02 access denied",
            "Aug 14 09:00:03 access denied",
        ],
    );
    assert_eq!(
        found
            .iter()
            .map(|f| (f.0, f.1.as_str()))
            .collect::<Vec<_>>(),
        vec![(3, "192.0.2.8")]
    );
}

#[test]
fn the_head_fast_path_agrees_with_the_full_prefix() {
    // The head alone would swallow the whole line: the full regex
    // decides, and leaves the content one character.
    let kdl = r##"
prefix #"^<F-MLFID>\s*\w+</F-MLFID><F-CONTENT>.+</F-CONTENT>$"#
fail #"^<F-ID>\w</F-ID>$"#
"##;
    let found = run(kdl, FilterOptions::default(), &["Aug 14 09:00:00 abc"]);
    assert_eq!(
        found.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(),
        vec!["c"]
    );
}

#[test]
fn journal_lines_take_now_as_their_time() {
    let kdl = "fail #\"^\\s*h sshd\\[\\d+\\]: Failed for <HOST>$\"#\n";
    let options = FilterOptions {
        logtype: Some("journal".into()),
        ..Default::default()
    };
    let found = run(kdl, options, &["h sshd[1]: Failed for 192.0.2.1"]);
    assert_eq!(found.len(), 1);
}

#[test]
fn a_date_inside_a_journal_message_stays_in_it() {
    let kdl = "fail #\"^\\s*h sshd\\[\\d+\\]: Failed for <HOST> at 2005-02-25 14:34:10$\"#\n";
    let options = FilterOptions {
        logtype: Some("journal".into()),
        ..Default::default()
    };
    let found = run(
        kdl,
        options,
        &["h sshd[1]: Failed for 192.0.2.1 at 2005-02-25 14:34:10"],
    );
    assert_eq!(found.len(), 1);
}

#[test]
fn a_line_with_a_newline_in_it_takes_the_whole_regexes_captures() {
    // The captures engine's shortcuts (a dropped `.*$`, the split at the
    // literal after a `.*`) hold for lines without a newline only.
    let kdl = r##"fail #"^Failed for <F-USER>.*</F-USER> from <HOST>( x)?.*$"#"##;
    let options = FilterOptions {
        logtype: Some("journal".into()),
        ..Default::default()
    };
    let lines = [
        "Failed for a from 192.0.2.1 x from 192.0.2.2",
        "Failed for a from 192.0.2.1\n from 192.0.2.2",
    ];
    let found = run(kdl, options, &lines);
    let hosts: Vec<(u64, &str)> = found.iter().map(|f| (f.0, f.1.as_str())).collect();
    // `.` does not match the newline: the second line does not match.
    assert_eq!(hosts, [(1, "192.0.2.2")]);
}

#[test]
fn a_line_cut_at_the_length_limit_is_not_matched() {
    // The client's text ends in a fake address where the reader cut the
    // line; the service's "from 192.0.2.1" after it is gone.
    let kdl = r##"fail #"^Invalid user <F-USER>.*</F-USER> from <HOST>$"#"##;
    let options = FilterOptions {
        logtype: Some("journal".into()),
        ..Default::default()
    };
    let tail = " from 10.0.0.1";
    let name = "x".repeat(LIMIT - "Invalid user ".len() - tail.len());
    let cut = format!("Invalid user {name}{tail}");
    assert_eq!(cut.len(), LIMIT);
    let shorter = format!("Invalid user {} from 192.0.2.1", &name[10..]);
    let found = run(kdl, options, &[&cut, &shorter]);
    let hosts: Vec<(u64, &str)> = found.iter().map(|f| (f.0, f.1.as_str())).collect();
    assert_eq!(hosts, [(2, "192.0.2.1")]);
}

#[test]
fn a_large_regex_trusted_after_matches_still_misses_what_it_does_not_match() {
    // Over 256 NFA states (the <HOST>s): prescreened by its DFA until it
    // has matched a few lines in a row, then run on the backtracker alone.
    let kdl = r##"
prefix #"^\s*h x: <F-CONTENT>.+</F-CONTENT>$"#
fail #"^(?:Connection closed|Disconnected) by (?:user \S+ )?<HOST>(?: port \d+)?(?: via (?:[0-9a-f]{1,4}:){1,7}[0-9a-f]{1,4})?(?: on (?:[0-9a-f]{1,4}:){1,7}[0-9a-f]{1,4})?(?: \[preauth\])?$"#
"##;
    let line =
        |i: usize, tail: &str| format!("Aug 14 09:00:{i:02} h x: Connection closed by{tail}");
    let mut lines: Vec<String> = (0..6)
        .map(|i| line(i, &format!(" 192.0.2.{i} port 22 [preauth]")))
        .collect();
    lines.push(line(6, " 192.0.2.6 port x"));
    lines.push(line(7, " user a 192.0.2.7"));
    lines.push(line(8, " nobody!"));
    lines.push(line(9, " 192.0.2.9 via fe80:0:0:1"));
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let hosts: Vec<(u64, String)> = run(kdl, FilterOptions::default(), &lines)
        .into_iter()
        .map(|(n, host, _, _)| (n, host))
        .collect();
    let expected: Vec<(u64, String)> = [1, 2, 3, 4, 5, 6, 8, 10]
        .into_iter()
        .map(|n| (n, format!("192.0.2.{}", n - 1)))
        .collect();
    assert_eq!(hosts, expected);
    let filter = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.kdl");
        std::fs::write(&path, kdl).unwrap();
        let def = definition::load(path.to_str().unwrap()).unwrap();
        CompiledFilter::new(&def, &FilterOptions::default()).unwrap()
    };
    let states = filter.fails[0]
        .backtrack
        .as_ref()
        .unwrap()
        .get_nfa()
        .states()
        .len();
    assert!(
        states > 256,
        "{states} states: the test needs a prescreened regex"
    );
}
