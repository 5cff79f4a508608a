//! Property tests of the filter engine on hostile logs, through the
//! `filter` fuzz target's checks (nothing panics, no line past the length
//! cap, every failure's address occurs in the log read, each line within
//! its time budget). Lines are built from the pieces real sshd, web, mail
//! and PAM lines are made of, attacker-controlled text (user names with
//! addresses in them, quotes, brackets, control bytes), and runs of one
//! piece up to past the line cap. Fixed seed, a few hundred cases.

use portcullis::source::MAX_LINE;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use crate::fuzz_replay::filter;

fn config() -> Config {
    Config {
        cases: 300,
        rng_seed: RngSeed::Fixed(0x6669_6c74),
        failure_persistence: None,
        ..Config::default()
    }
}

const DATES: &[&str] = &[
    "Mar  1 11:59:58 ",
    "2026-03-01T11:59:58.123456+00:00 ",
    "2026-03-01 11:59:58,123 ",
    "[01/Mar/2026:11:59:58 +0000] ",
    "1772366398 ",
    "[Sun Mar 01 11:59:58.123456 2026] ",
    "2026/03/01 11:59:58 ",
    "",
];

const PIECES: &[&str] = &[
    "host ",
    "sshd[4242]: ",
    "sshd-session[7]: ",
    "nginx: ",
    "postfix/smtpd[99]: ",
    "dovecot: ",
    "imap-login: ",
    "pam_unix(sshd:auth): ",
    "Failed password for ",
    "invalid user ",
    "Invalid user ",
    " from ",
    " port 22 ssh2",
    " port ",
    " [preauth]",
    "Connection closed by ",
    "authenticating user ",
    "Disconnected from ",
    "authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=",
    " user=",
    "Too many authentication failures for ",
    "maximum authentication attempts exceeded for ",
    "NOQUEUE: reject: RCPT from unknown[",
    "]: 554 5.7.1 <",
    ">: Relay access denied;",
    "warning: unknown[",
    "]: SASL LOGIN authentication failed: ",
    "auth failed, ",
    "rip=",
    ", lip=",
    " user <",
    ">, method=PLAIN",
    "client: ",
    ", server: ",
    "request: ",
    "\"GET / HTTP/1.1\"",
    " 401 ",
    " - - ",
    "no user/password was provided for basic auth",
    "user \"",
    "\" was not found in \"",
    "\"",
    "'",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "=",
    ":",
    "\t",
    "\r",
    "\u{0}",
    "\u{1b}[31m",
    "\u{202e}",
    "é",
    " ",
];

const ADDRESSES: &[&str] = &[
    "192.0.2.7",
    "198.51.100.23",
    "203.0.113.255",
    "010.000.002.001",
    "255.255.255.255",
    "0.0.0.0",
    "999.1.2.3",
    "1.2.3",
    "1.2.3.4.5",
    "192.0.2.7:2222",
    "2001:db8::7",
    "[2001:db8::7]",
    "::ffff:192.0.2.9",
    "::ffff:c000:20a",
    "fe80::1%eth0",
    "::",
    "::1",
    "2001:db8:0:0:0:0:0:7",
    "2001:db8::g",
    "example.com",
    "evil.example.net.",
];

/// One piece of a line: fixed text, an address, free text, or a run of one
/// piece long enough to reach the line cap.
fn piece() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(PIECES).prop_map(str::to_string),
        4 => prop::sample::select(ADDRESSES).prop_map(str::to_string),
        2 => "[ -~]{0,24}",
        1 => any::<String>().prop_map(|s| s.replace('\n', " ")),
        1 => (prop::sample::select(PIECES), 1usize..MAX_LINE / 8)
            .prop_map(|(p, n)| p.repeat(n)),
        1 => (prop::sample::select(ADDRESSES), 1usize..MAX_LINE / 8)
            .prop_map(|(a, n)| format!("{a} ").repeat(n)),
    ]
    .boxed()
}

/// Line skeletons in the forms the bundled filters read, `{a}` standing
/// for the address and `{u}` for attacker-controlled text.
const TEMPLATES: &[&str] = &[
    "host sshd[4242]: Failed password for {u} from {a} port 22 ssh2",
    "host sshd[4242]: Failed password for invalid user {u} from {a} port 22 ssh2",
    "host sshd[4242]: Invalid user {u} from {a} port 2222",
    "host sshd[4242]: Connection closed by authenticating user {u} {a} port 22 [preauth]",
    "host sshd[4242]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={a}  user={u}",
    "host postfix/smtpd[99]: warning: unknown[{a}]: SASL LOGIN authentication failed: {u}",
    "host postfix/smtpd[99]: NOQUEUE: reject: RCPT from unknown[{a}]: 554 5.7.1 <{u}@example.org>: Relay access denied; from=<{u}> to=<x@example.org> proto=ESMTP helo=<{u}>",
    "host dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{u}>, method=PLAIN, rip={a}, lip=192.0.2.1, session=<x>",
    "[error] 812#812: *3 user \"{u}\" was not found in \"/etc/htpasswd\", client: {a}, server: {u}, request: \"GET / HTTP/1.1\", host: \"{u}\"",
    "host vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser={u} rhost={a}",
    "[auth_basic:error] [pid 1] [client {a}:5000] AH01618: user {u} not found: /private",
    "host proftpd[5]: example.org ({a}[{a}]) - USER {u}: no such user found from {a} [{a}] to 192.0.2.1:21",
];

/// Attacker-controlled text: names with addresses and log syntax in them.
const USERS: &[&str] = &[
    "root",
    "admin from 198.51.100.66",
    "x from 203.0.113.99 port 22",
    "[198.51.100.5]",
    "rhost=192.0.2.200",
    "<203.0.113.1>",
    "client: 198.51.100.7,",
    "rip=192.0.2.77,",
    "",
    " ",
    "\"",
    "user\nnext",
];

fn slot(values: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        4 => prop::sample::select(values).prop_map(str::to_string),
        1 => proptest::collection::vec(piece(), 0..4).prop_map(|p| p.concat()),
    ]
    .boxed()
}

/// A line: a date, then a skeleton with its slots filled, or pieces.
fn line() -> impl Strategy<Value = String> {
    let filled = (
        prop::sample::select(TEMPLATES),
        slot(ADDRESSES),
        slot(USERS),
    )
        .prop_map(|(t, a, u)| t.replace("{a}", &a).replace("{u}", &u.replace('\n', " ")));
    let pieces = proptest::collection::vec(piece(), 0..14).prop_map(|p| p.concat());
    (
        prop::sample::select(DATES),
        prop_oneof![3 => filled, 1 => pieces],
    )
        .prop_map(|(date, rest)| format!("{date}{rest}"))
}

fn log() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(line(), 1..10).prop_map(|lines| lines.join("\n").into_bytes())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn hostile_logs_through_every_filter(which in any::<u8>(), log in log()) {
        let all = filter::filters();
        let (_, compiled) = &all[usize::from(which) % all.len()];
        filter::run_filter(compiled, &log);
    }

    /// An address near the line cap is reported only if it lies before it.
    #[test]
    fn an_address_past_the_cap_is_not_seen(
        which in any::<u8>(),
        pad in (MAX_LINE - 80)..(MAX_LINE + 16),
        address in prop::sample::select(&ADDRESSES[..4]),
    ) {
        let all = filter::filters();
        let (_, compiled) = &all[usize::from(which) % all.len()];
        let head = "Mar  1 11:59:58 host sshd[1]: Failed password for root";
        let line = format!("{head}{} from {address} port 22 ssh2\n", " ".repeat(pad - head.len()));
        filter::run_filter(compiled, line.as_bytes());
    }

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        filter::run(&bytes);
    }
}

/// The address check itself can fail: an address the line does not hold,
/// or holds only inside a longer number, is not found.
#[test]
fn the_address_check_can_fail() {
    let v4 = |s: &str| s.parse().unwrap();
    assert!(filter::address_occurs(
        v4("192.0.2.1"),
        "from 192.0.2.1 port"
    ));
    assert!(filter::address_occurs(
        v4("192.0.2.1"),
        "rhost=192.000.002.001"
    ));
    assert!(filter::address_occurs(
        v4("192.0.2.9"),
        "from ::ffff:c000:209]"
    ));
    assert!(!filter::address_occurs(
        v4("192.0.2.1"),
        "from 192.0.2.10 port"
    ));
    assert!(!filter::address_occurs(
        v4("192.0.2.1"),
        "from 2001:db8::1 port"
    ));
    assert!(!filter::address_occurs(
        v4("2001:db8::1"),
        "from 2001:db8::1a port"
    ));
}

/// The generated logs do make the filters report failures, so the checks
/// above are not checking nothing.
#[test]
fn hostile_logs_do_produce_failures() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let all = filter::filters();
    let mut failures = 0;
    for _ in 0..200 {
        let log = log().new_tree(&mut runner).unwrap().current();
        failures += all
            .iter()
            .map(|(_, compiled)| filter::run_filter(compiled, &log))
            .sum::<usize>();
    }
    assert!(failures >= 100, "{failures} failures in 200 logs");
}
