//! Property tests of fail2ban's control protocol (`portcullis::f2bproto`),
//! through the `f2bproto` fuzz target's checks: arbitrary bytes never panic
//! the decoder or a conversation, an unfinished frame stays under its
//! limit, decoded requests and every reply round-trip. Fixed seed.

use portcullis::f2bproto::{Conversation, Limits, Value, frame};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Words of fail2ban's commands, and a few that are not.
const VOCABULARY: &[&str] = &[
    "ping",
    "status",
    "sshd",
    "nosuch",
    "set",
    "get",
    "banip",
    "unbanip",
    "--report-absent",
    "banned",
    "unban",
    "--all",
    "--with-time",
    "maxretry",
    "findtime",
    "bantime",
    "addignoreip",
    "delignoreip",
    "ignoreip",
    "logpath",
    "journalmatch",
    "failregex",
    "maxlines",
    "actions",
    "short",
    "basic",
    "loglevel",
    "reload",
    "start",
    "stop",
    "echo",
    "version",
    "flushlogs",
    "192.0.2.7",
    "2001:db8::1",
    "10m",
    "-1",
    "x",
    "",
];

proptest! {
    #![proptest_config(Config {
        cases: 2000,
        rng_seed: RngSeed::Fixed(0x6632_6270),
        failure_persistence: None,
        ..Config::default()
    })]

    /// Arbitrary bytes, alone or after a protocol header, through the
    /// `f2bproto` fuzz target's checks (no panic, bounded buffer, round
    /// trips), and a conversation fed in arbitrary chunks.
    #[test]
    fn the_decoder_never_panics_on_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        cut in 0usize..512,
    ) {
        crate::fuzz_replay::f2bproto::run(&bytes);
        crate::fuzz_replay::f2bproto::run(&[&b"\x80\x04"[..], &bytes].concat());
        let mut conversation = Conversation::new(Limits { max_frame: 256, ..Limits::default() });
        let cut = cut.min(bytes.len());
        for part in [&bytes[..cut], &bytes[cut..], frame::END] {
            if conversation.feed(part).is_err() {
                break;
            }
        }
        prop_assert!(conversation.pending() < 256 + frame::END.len());
    }

    /// Requests made of fail2ban's words, whole and with a few bytes
    /// changed, through the fuzz target's checks: every reply encodes and
    /// reads back.
    #[test]
    fn requests_whole_and_damaged_pass_the_fuzz_checks(
        words in proptest::collection::vec(proptest::sample::select(VOCABULARY), 1..6),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
    ) {
        let mut pickle = portcullis::f2bproto::encode_value(&Value::str_list(&words));
        for (at, byte) in flips {
            let len = pickle.len();
            pickle[at % len] = byte;
        }
        crate::fuzz_replay::f2bproto::run(&[&pickle[..], frame::END].concat());
    }
}
