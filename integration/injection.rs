//! Log injection: a client writes addresses into the fields it controls
//! (user names, HELO names, sender and recipient addresses, SASL user
//! names, URLs, referrers, user agents) so that the filter reports, and the
//! daemon bans, an address of its choosing. Every attack below is a table
//! row run through the real binary (`test-filter --json`); the only
//! address a failure may name is the peer's, [`REAL`]. Rows marked
//! `caught` must also report it (the line is a real failure); the others
//! may report nothing, never [`FAKE`].
//!
//! The lines are written as the services write them, fields included
//! as the client sent them where the service does not escape them (sshd
//! escapes control characters with vis(3), so its rows carry `\n` as the
//! two characters sshd writes).

use std::process::Command;

use crate::common::portcullis_bin;

/// "Now" of the tables: their syslog dates are Nov 20, 2026.
const NOW: &str = "2026-11-21T00:00:00+00:00";
/// The peer's address: the only one a failure may name.
pub const REAL: &str = "203.0.113.7";
/// The address the client wants banned.
pub const FAKE: &str = "10.0.0.1";

/// One attack: log lines (`{F}` = [`FAKE`], `{R}` = [`REAL`]) for a filter.
pub struct Attack {
    pub what: &'static str,
    pub filter: &'static str,
    pub args: &'static [&'static str],
    pub lines: Vec<Vec<u8>>,
    /// The real address must be reported.
    pub caught: bool,
}

fn fill(template: &str) -> Vec<u8> {
    template
        .replace("{F}", FAKE)
        .replace("{R}", REAL)
        .into_bytes()
}

/// `lines` each after `prefix` (a syslog date and program, say).
pub fn attack(
    what: &'static str,
    filter: &'static str,
    args: &'static [&'static str],
    prefix: &str,
    lines: &[&str],
    caught: bool,
) -> Attack {
    Attack {
        what,
        filter,
        args,
        lines: lines
            .iter()
            .map(|l| fill(&format!("{prefix}{l}")))
            .collect(),
        caught,
    }
}

/// The hosts of the failures `test-filter` reports on `lines` (written as
/// bytes: NUL and CR stay as they are).
pub fn reported(filter: &str, args: &[&str], lines: &[Vec<u8>], now: Option<&str>) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("attack.log");
    let mut text = Vec::new();
    for line in lines {
        text.extend_from_slice(line);
        text.push(b'\n');
    }
    std::fs::write(&log, text).unwrap();
    let mut cmd = Command::new(portcullis_bin());
    cmd.arg("test-filter")
        .arg(filter)
        .arg(&log)
        .args(["--json", "--timezone", "UTC"])
        .args(args);
    if let Some(now) = now {
        cmd.args(["--now", now]);
    }
    let out = cmd.output().expect("portcullis runs");
    assert!(
        out.status.success(),
        "test-filter {filter}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["host"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Runs every attack; returns one message per attack that went wrong.
pub fn run(attacks: &[Attack]) -> Vec<String> {
    let mut wrong = Vec::new();
    for a in attacks {
        let hosts = reported(a.filter, a.args, &a.lines, Some(NOW));
        let shown = || {
            a.lines
                .iter()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect::<Vec<_>>()
                .join("\n    ")
        };
        if hosts.iter().any(|h| h != REAL) {
            wrong.push(format!(
                "{} ({} {:?}): reported {hosts:?}\n    {}",
                a.what,
                a.filter,
                a.args,
                shown()
            ));
        } else if a.caught && hosts.is_empty() {
            wrong.push(format!(
                "{} ({} {:?}): {REAL} not reported\n    {}",
                a.what,
                a.filter,
                a.args,
                shown()
            ));
        }
    }
    wrong
}

/// A line of exactly the reader's limit (16 KiB) that ends in `end`, the
/// service's own words after it being cut off: `prefix`, padding, `end`.
pub fn cut_line(prefix: &str, end: &str, rest: &str) -> Vec<u8> {
    const MAX_LINE: usize = 16 * 1024;
    let head = fill(prefix);
    let end = fill(end);
    let mut line = head.clone();
    line.resize(MAX_LINE - end.len(), b'A');
    line.extend_from_slice(&end);
    line.extend_from_slice(&fill(rest));
    line
}

fn assert_none_wrong(attacks: &[Attack]) {
    let wrong = run(attacks);
    assert!(
        wrong.is_empty(),
        "{} of {} attacks went wrong:\n{}",
        wrong.len(),
        attacks.len(),
        wrong.join("\n")
    );
}

#[test]
fn sshd_user_names_never_name_the_address() {
    assert_none_wrong(&crate::injection_tables::sshd());
}

#[test]
fn nginx_fields_never_name_the_address() {
    assert_none_wrong(&crate::injection_tables::nginx());
}

#[test]
fn postfix_fields_never_name_the_address() {
    assert_none_wrong(&crate::injection_tables::postfix());
}

#[test]
fn dovecot_fields_never_name_the_address() {
    assert_none_wrong(&crate::injection_tables::dovecot());
}

#[test]
fn an_attack_that_works_is_detected() {
    // The harness itself: a filter that takes the first address of a line
    // is fooled, and `run` says so.
    let dir = tempfile::tempdir().unwrap();
    let naive = dir.path().join("naive.kdl");
    std::fs::write(
        &naive,
        r##"fail #"^\s*\S+ sshd\[\d+\]: Invalid user \S+ from <HOST>"#"##,
    )
    .unwrap();
    let filter: &'static str = Box::leak(naive.to_str().unwrap().to_string().into_boxed_str());
    let fooled = attack(
        "naive",
        filter,
        &[],
        "Nov 20 03:14:07 bastion sshd[4000]: ",
        &["Invalid user x from {F} port 22 from {R} port 51514"],
        true,
    );
    let wrong = run(&[fooled]);
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert!(wrong[0].contains("reported [\"10.0.0.1\"]"), "{}", wrong[0]);
}
