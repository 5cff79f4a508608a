//! Property tests of the fail2ban filter reader, through the `fail2ban`
//! fuzz target's checks: filter files built from fail2ban's own syntax
//! (sections, continuation lines, comments, `%(name)s`, `<tags>`, Python
//! regex constructs, date patterns), then damaged at random, never panic
//! the INI reader, the interpolation, the tag substitution or the regex
//! translation; every value and error names the file and a line of it; a
//! filter that compiles runs over hostile lines with the `filter` checks.
//! Fixed seed, a few hundred cases each.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use crate::fuzz_replay::fail2ban;

fn config() -> Config {
    Config {
        cases: 200,
        rng_seed: RngSeed::Fixed(0x6632_6221),
        failure_persistence: None,
        ..Config::default()
    }
}

const SECTIONS: &[&str] = &["[Definition]", "[Init]", "[DEFAULT]", "[Other]", "[", "[]"];

const KEYS: &[&str] = &[
    "failregex",
    "prefregex",
    "ignoreregex",
    "datepattern",
    "maxlines",
    "journalmatch",
    "_daemon",
    "__prefix_line",
    "mode",
    "logtype",
    "mdre-normal",
    "mdre-<mode>",
    "known/x",
    "failregex?mode=normal",
    "",
    "a b",
];

const VALUES: &[&str] = &[
    "^Failed password for <F-USER>\\S+</F-USER> from <HOST> port \\d+",
    "^<F-MLFID>%(__prefix_line)s</F-MLFID><F-CONTENT>.+</F-CONTENT>$",
    "^%(__prefix_line)sauth failure; rhost=<HOST>(?:\\s+user=(?P<user>\\S*))?$",
    "<mdre-<mode>>",
    "<mdre-normal>",
    "%(_daemon)s",
    "%(missing)s",
    "%(failregex)s",
    "%%",
    "%(",
    "<",
    "<HOST",
    "<F-ID>x</F-ID>",
    "<ADDR> <IP4> <IP6> <DNS> <CIDR> <SUBNET>",
    "(?i)(?:a|b)*c",
    "(?P<host>x)(?P=host)",
    "(?(1)a|b)",
    "(?=x)(?!y)(?<=z)(?<!w)",
    "\\b\\d{1,3}+\\Z",
    "[^\\]]*",
    "(?x) a # comment",
    "(",
    "[z-a]",
    "\\",
    "a{2,1}",
    "{^LN-BEG}",
    "{^LN-BEG}%%ExY(?P<_sep>[-/.])%%m(?P=_sep)%%d",
    "%%d/%%b/%%Y:%%H:%%M:%%S",
    "EPOCH",
    "TAI64N",
    "{DATE}",
    "%%Z",
    "1",
    "0",
    "65",
    "-1",
    "many",
    "_SYSTEMD_UNIT=sshd.service + _COMM=sshd",
    "normal",
    "aggressive",
    "file",
    "journal",
    "",
];

/// One entry: `key = value` (or `key: value`) with continuation lines.
fn entry() -> impl Strategy<Value = String> {
    (
        prop::sample::select(KEYS),
        prop::sample::select(&[" = ", ": ", "=", " =", "  = "][..]),
        proptest::collection::vec(prop::sample::select(VALUES), 1..4),
        prop::sample::select(&["    ", "\t", " "][..]),
    )
        .prop_map(|(key, sep, values, indent)| {
            format!("{key}{sep}{}", values.join(&format!("\n{indent}")))
        })
}

/// A filter file: well-formed ones (each key once, regexes that mostly
/// compile) or any mix of sections, entries and comments; then `#LOG` and
/// log lines.
fn file() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        2 => prop::sample::select(SECTIONS).prop_map(str::to_string),
        6 => entry(),
        1 => prop::sample::select(&["# a comment", "; another", "", "  ", "x ; inline"][..])
            .prop_map(str::to_string),
    ];
    let mixed = proptest::collection::vec(line, 0..14)
        .prop_map(|lines| format!("[Definition]\n{}", lines.join("\n")));
    (
        prop_oneof![3 => wellformed(), 1 => mixed],
        proptest::collection::vec(prop::sample::select(LOG_LINES), 0..4),
    )
        .prop_map(|(text, log)| format!("{text}\n#LOG\n{}", log.join("\n")))
}

/// Fail regexes: ones that match the log lines below, and hostile ones.
const FAILS: &[&str] = &[
    "^%(__prefix_line)sFailed password for (?:invalid user )?<F-USER>\\S+</F-USER> from <HOST>",
    "^%(__prefix_line)sauth failure; rhost=<HOST>(?:\\s+user=(?P<user>\\S*))?$",
    "Failed password for \\S+ from <ADDR>",
    "<HOST>",
    "(?:user=|for )<F-ID>\\S+</F-ID>",
    "rhost=<IP4>|from <IP6>",
    "(?(1)a|b)<HOST>",
    "(?i)(?:a|b)*c <HOST>",
    "(?<=from )<HOST>(?! port 0)",
    "<mdre-<mode>>",
    "(",
];

const DATES: &[&str] = &[
    "{^LN-BEG}",
    "%%b %%d %%H:%%M:%%S",
    "{^LN-BEG}%%ExY-%%m-%%d %%H:%%M:%%S",
    "EPOCH",
    "{^LN-BEG}%%b %%d %%H:%%M:%%S\n            %%ExY-%%m-%%d",
];

fn wellformed() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["sshd", "sshd-session", "(?:sshd|x)", "%(missing)s"][..]),
        prop::sample::select(&["1", "2", "5"][..]),
        proptest::collection::vec(prop::sample::select(FAILS), 1..4),
        proptest::option::of(prop::sample::select(FAILS)),
        prop::sample::select(DATES),
    )
        .prop_map(|(daemon, maxlines, fails, ignore, date)| {
            format!(
                "[DEFAULT]\n_daemon = {daemon}\n\n[Init]\nmaxlines = {maxlines}\nmode = normal\n\n\
                 [Definition]\n__prefix_line = \\s*\\S+ %(_daemon)s\\[\\d+\\]:\\s+\n\
                 mdre-normal = <HOST> port\n\
                 failregex = {}\nignoreregex = {}\ndatepattern = {date}",
                fails.join("\n            "),
                ignore.unwrap_or(""),
            )
        })
}

const LOG_LINES: &[&str] = &[
    "Mar  1 11:59:58 host sshd[4242]: Failed password for x from 192.0.2.7 port 22 ssh2",
    "Mar  1 11:59:58 host sshd[4242]: auth failure; rhost=198.51.100.4 user=192.0.2.99",
    "2026-03-01 11:59:58 Failed password for 203.0.113.1 from 2001:db8::1 port 1",
    "1772366398 a b c",
];

/// `text` with a few lines dropped, duplicated or cut (the reader's
/// errors then point at real lines).
fn damaged() -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0u8..4,
        any::<prop::sample::Index>(),
    );
    (file(), proptest::collection::vec(edit, 1..5)).prop_map(|(text, edits)| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (at, what, cut) in edits {
            if lines.is_empty() {
                break;
            }
            let i = at.index(lines.len());
            match what {
                0 => {
                    lines.remove(i);
                }
                1 => lines.insert(i, lines[i].clone()),
                2 => {
                    let mut end = cut.index(lines[i].len() + 1);
                    while !lines[i].is_char_boundary(end) {
                        end -= 1;
                    }
                    lines[i].truncate(end);
                }
                _ => lines[i] = format!("  {}", lines[i]),
            }
        }
        lines.join("\n")
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_filter_files(text in file()) {
        let _ = fail2ban::run(text.as_bytes());
    }

    #[test]
    fn damaged_filter_files(text in damaged()) {
        let _ = fail2ban::run(text.as_bytes());
    }

    #[test]
    fn arbitrary_text(text in any::<String>()) {
        let _ = fail2ban::run(text.as_bytes());
    }
}

/// The generated files do compile to filters that report failures, so the
/// checks above reach the regex translation and the matcher.
#[test]
fn generated_files_compile_and_match() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let (mut compiled, mut failures) = (0, 0);
    for _ in 0..200 {
        let text = file().new_tree(&mut runner).unwrap().current();
        if let Some(n) = fail2ban::run(text.as_bytes()) {
            compiled += 1;
            failures += n;
        }
    }
    assert!(
        compiled >= 20 && failures >= 5,
        "{compiled} compiled, {failures} failures"
    );
}
