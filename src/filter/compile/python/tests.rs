use super::*;
use crate::filter::compile::Backtracking;
use crate::filter::definition::Dialect;
use crate::filter::tags;

fn linear(pattern: &str) -> String {
    let t = translate(pattern).unwrap();
    assert_eq!(
        t.backtracking, None,
        "{pattern} should run on the linear engine"
    );
    t.linear
}

fn compiled(pattern: &str) -> regex::bytes::Regex {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

/// The named groups of the first match, by name, from either engine.
type Named = Option<Vec<(String, Option<String>)>>;

fn linear_groups(pattern: &str, line: &str) -> Named {
    let re = compiled(pattern);
    let caps = re.captures(line.as_bytes())?;
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for name in re.capture_names().flatten() {
        let base = print::base_name(name).to_string();
        let value = caps
            .name(name)
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned());
        match out.iter_mut().find(|(n, _)| *n == base) {
            Some(slot) => slot.1 = slot.1.take().or(value),
            None => out.push((base, value)),
        }
    }
    out.sort();
    Some(out)
}

#[test]
fn python_spellings_become_the_crates() {
    assert_eq!(linear(r"a\Z"), r"a\z");
    assert_eq!(linear(r"x{a}"), r"x\{a\}");
    assert_eq!(linear(r"x{2,}y{,3}"), r"(?:x){2,}(?:y){0,3}");
    assert_eq!(linear(r"(?P<user>\S+)"), r"(?P<user>(?:\S)+)");
    assert_eq!(
        linear(r"[[&&~~-]"),
        r"[\x{5B}\x{26}\x{26}\x{7E}\x{7E}\x{2D}]"
    );
    assert_eq!(linear(r"(?#comment)a"), "a");
    // fail2ban's `((?i)X|Y)`: the flag covers the rest of the group.
    let re = compiled(&linear(r"SASL ((?i)login|plain) failed"));
    assert!(re.is_match(b"SASL PLAIN failed"));
    assert!(!re.is_match(b"sasl PLAIN failed"));
}

#[test]
fn what_the_crate_lacks_goes_to_the_backtracker_behind_a_prefilter() {
    for (pattern, why) in [
        (r"^a(?!b)\w", "a look-around assertion"),
        (r"^(?P<x>\w)-(?P=x)$", "a backreference"),
        (r"^(\w)-\1$", "a backreference"),
        (r"^(?>a+)b", "an atomic group (?>...)"),
        (r"^a++b", "a possessive repetition"),
    ] {
        let t = translate(pattern).unwrap();
        assert_eq!(t.reason, Some(why), "{pattern}");
        Backtracking::new(t.backtracking.as_deref().unwrap()).unwrap();
        compiled(&t.linear);
    }
    let t = translate(r"^(?P<x>\w)-(?P=x)$").unwrap();
    let (pre, back) = (
        compiled(&t.linear),
        Backtracking::new(&t.backtracking.unwrap()).unwrap(),
    );
    assert!(pre.is_match(b"a-b") && !back.is_match(b"a-b"));
    assert!(back.is_match(b"a-a"));
}

/// `inv`, `user`, `word`, `ip` of a line, as Python 3.11's `re` gives them
/// (fancy-regex is no oracle here: it keeps captures of failed branches).
type Expected<'a> = Option<[Option<&'a str>; 4]>;

#[test]
fn conditionals_and_tempered_tokens_run_on_the_linear_engine() {
    // The shape of sshd's hottest regex, written here from scratch.
    let pattern = r"^Failed \S+ for (?P<inv>invalid user )?(?P<user>(?P<word>\S+)|(?(inv)(?:(?! from ).)*?|[^:]+)) from (?P<ip>[\d.]+)(?: port \d+)?(?(word): |(?:(?:(?! from ).)*)$)";
    let out = linear(pattern);
    assert!(!out.contains("(?!") && !out.contains("(?("), "{out}");
    let cases: [(&str, Expected); 9] = [
        (
            "Failed password for root from 1.2.3.4 port 22 ssh2",
            Some([None, Some("root"), None, Some("1.2.3.4")]),
        ),
        (
            "Failed password for root from 1.2.3.4 port 22: ",
            Some([None, Some("root"), Some("root"), Some("1.2.3.4")]),
        ),
        (
            "Failed password for invalid user a b from 1.2.3.4 port 22 ssh2",
            Some([Some("invalid user "), Some("a b"), None, Some("1.2.3.4")]),
        ),
        (
            "Failed password for invalid user  from 1.2.3.4",
            Some([Some("invalid user "), Some(""), None, Some("1.2.3.4")]),
        ),
        (
            "Failed password for invalid user x from y from 1.2.3.4 port 22",
            Some([None, Some("invalid user x from y"), None, Some("1.2.3.4")]),
        ),
        (
            "Failed password for invalid user from from 1.2.3.4 port 22",
            Some([Some("invalid user "), Some("from"), None, Some("1.2.3.4")]),
        ),
        (
            "Failed password for user admin from 1.2.3.4 port 2 from 5.6.7.8",
            Some([
                None,
                Some("user admin from 1.2.3.4 port 2"),
                None,
                Some("5.6.7.8"),
            ]),
        ),
        ("Failed password for a:b from 1.2.3.4", None),
        (
            "Failed none for invalid user  from  from 1.2.3.4 port 22",
            Some([None, Some("invalid user  from "), None, Some("1.2.3.4")]),
        ),
    ];
    for (line, want) in cases {
        let want: Named = want.map(|w| {
            let mut v: Vec<_> = ["inv", "user", "word", "ip"]
                .iter()
                .zip(w)
                .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
                .collect();
            v.sort();
            v
        });
        assert_eq!(linear_groups(&out, line), want, "{line}");
    }
}

#[test]
fn a_tempered_token_whose_literal_overlaps_itself() {
    let pattern = r"^(?P<a>(?:(?!aba).)*?)aba(?P<b>.*)$";
    let out = linear(pattern);
    // As Python's `re` has them.
    for (line, want) in [
        ("xabax", Some(("x", "x"))),
        ("ababa", Some(("", "ba"))),
        ("abababa", Some(("", "baba"))),
        ("aabab", Some(("a", "b"))),
        ("ab", None),
        ("abaaba", Some(("", "aba"))),
        ("xyzab aba", Some(("xyzab ", ""))),
    ] {
        let want = want.map(|(a, b)| {
            vec![
                ("a".to_string(), Some(a.to_string())),
                ("b".to_string(), Some(b.to_string())),
            ]
        });
        assert_eq!(linear_groups(&out, line), want, "{line}");
    }
}

#[test]
fn a_hostile_line_is_a_bounded_non_match() {
    // Catastrophic backtracking inside a look-ahead the prefilter cannot see.
    let t = translate(r"^(?=(?:a+)+c)a").unwrap();
    let back = Backtracking::new(&t.backtracking.unwrap()).unwrap();
    let line = format!("{}b", "a".repeat(64));
    let started = std::time::Instant::now();
    assert!(!back.is_match(line.as_bytes()));
    let mut called = false;
    assert!(!back.captures(line.as_bytes(), |_| called = true));
    assert!(!called);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn invalid_python_syntax_is_an_error() {
    assert_eq!(
        translate("a(b").unwrap_err().to_string(),
        "not a valid Python regular expression: missing ), unterminated subpattern at character 3"
    );
    assert!(translate(r"\q").is_err());
    assert!(translate(r"(?L)a").is_err());
}

/// Every fail2ban regex listed in `$F2B_REGEXES` (JSON lines with `regex`,
/// as dumped by fail2ban's own reader) translates, and says which engine.
#[test]
#[ignore = "needs a dump of fail2ban's regexes in $F2B_REGEXES"]
fn every_fail2ban_regex_translates() {
    let path = std::env::var("F2B_REGEXES").unwrap();
    let (mut exact, mut fallback) = (0, 0);
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        if row["kind"] == "datepattern" {
            continue;
        }
        let text = tags::expand_in(row["regex"].as_str().unwrap(), Dialect::Fail2ban).unwrap();
        let t = translate(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        compiled(&t.linear);
        match t.backtracking {
            Some(b) => {
                Backtracking::new(&b).unwrap_or_else(|e| panic!("{b}: {e}"));
                eprintln!(
                    "backtracking ({}): {} {}",
                    t.reason.unwrap(),
                    row["filter"],
                    row["regex"]
                );
                fallback += 1
            }
            None => exact += 1,
        }
    }
    eprintln!("linear {exact}, backtracking {fallback}");
}
