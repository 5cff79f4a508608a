//! Property tests of the configuration reader, through the `config` fuzz
//! target's checks: KDL documents built from the reader's own node names
//! and hostile values, then damaged at random, never panic it, and every
//! problem it reports points inside the text with file:line:column.
//! Fixed seed, a few hundred cases each.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use crate::fuzz_replay::config;

fn settings() -> Config {
    Config {
        cases: 300,
        rng_seed: RngSeed::Fixed(0x6b64_6c00),
        failure_persistence: None,
        ..Config::default()
    }
}

const NAMES: &[&str] = &[
    "table",
    "hooks",
    "database",
    "socket",
    "log-level",
    "purge-after",
    "metrics",
    "defaults",
    "jail",
    "filter",
    "source",
    "journal",
    "port",
    "protocol",
    "action",
    "bantime",
    "findtime",
    "maxretry",
    "max-tracked",
    "bantime-increment",
    "factor",
    "max",
    "jitter",
    "multipliers",
    "across-jails",
    "ignore",
    "ignoreself",
    "ipv6-prefix",
    "enabled",
    "notify",
    "exec",
    "on",
    "timeout",
    "x",
    "-",
];

const VALUES: &[&str] = &[
    "\"sshd\"",
    "\"1h\"",
    "\"permanent\"",
    "\"0s\"",
    "\"-1m\"",
    "\"99999999999999999999d\"",
    "\"1h30m\"",
    "\"1w1w1w\"",
    "\"\"",
    "\"192.0.2.0/24\"",
    "\"2001:db8::/129\"",
    "\"::/0\"",
    "\"999.1.1.1\"",
    "\"input\"",
    "\"forward\"",
    "\"all\"",
    "\"tcp\"",
    "\"drop\"",
    "\"reject\"",
    "\"ban\"",
    "\"/var/log/auth.log\"",
    "\"_SYSTEMD_UNIT=sshd.service\"",
    "\"127.0.0.1:9617\"",
    "\"[::1]:0\"",
    "\"é\u{202e}\"",
    "#true",
    "#false",
    "#null",
    "0",
    "-1",
    "22",
    "65536",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1.5",
    "1e400",
    "#inf",
    "#nan",
    "0x7f",
    "r#\"raw\"#",
    "mode=\"aggressive\"",
    "when-missing=\"/x\"",
    "allow-remote=#true",
    "(ty)\"typed\"",
];

/// A KDL node from the reader's vocabulary, children up to `depth` deep.
fn node(depth: u32) -> BoxedStrategy<String> {
    let name = prop::sample::select(NAMES);
    let values = proptest::collection::vec(prop::sample::select(VALUES), 0..4);
    let leaf = (name, values).prop_map(|(n, v)| format!("{n} {}", v.join(" ")));
    if depth == 0 {
        return leaf.boxed();
    }
    (
        leaf,
        proptest::option::of(proptest::collection::vec(node(depth - 1), 0..5)),
    )
        .prop_map(|(head, children)| match children {
            Some(c) => format!("{head} {{\n    {}\n}}", c.join("\n    ")),
            None => head,
        })
        .boxed()
}

fn document() -> impl Strategy<Value = String> {
    proptest::collection::vec(node(2), 0..8).prop_map(|nodes| nodes.join("\n"))
}

/// `text` with bytes cut out and KDL punctuation put in at random places
/// (on character boundaries).
fn damaged() -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0usize..4,
        prop::sample::select(DAMAGE),
    );
    (document(), proptest::collection::vec(edit, 1..6)).prop_map(|(mut text, edits)| {
        for (at, cut, insert) in edits {
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(start..end, insert);
        }
        text
    })
}

const DAMAGE: &[&str] = &[
    "", "\"", "{", "}", ";", "\n", "\\", "/*", "*/", "//", "/-", "#", "=", "(", ")", "\r\n",
    "\u{feff}", "\u{85}", "\t", "r#\"", "\"\"\"", "é", "0",
];

proptest! {
    #![proptest_config(settings())]

    #[test]
    fn generated_configs_read_or_point_inside(text in document()) {
        config::run(text.as_bytes());
    }

    #[test]
    fn damaged_configs_point_inside(text in damaged()) {
        config::run(text.as_bytes());
    }

    #[test]
    fn arbitrary_text_points_inside(text in any::<String>()) {
        config::run(text.as_bytes());
    }
}

/// The check itself can fail: a problem placed past the end of the text
/// it is checked against is caught.
#[test]
fn a_problem_outside_the_text_is_caught() {
    let text = "table \"t\"\n";
    let longer = format!("{text}\n\nbogus 1\n");
    let Err(portcullis::config::ConfigError::Problems(p)) =
        portcullis::config::parse(std::path::Path::new(config::PATH), longer)
    else {
        panic!("no error");
    };
    config::check_problem(&format!("{text}\n\nbogus 1\n"), &p.problems[0]);
    let caught = std::panic::catch_unwind(|| config::check_problem(text, &p.problems[0]));
    assert!(caught.is_err());
}
