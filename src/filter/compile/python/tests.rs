use super::*;
use crate::filter::compile::Backtracking;
use crate::filter::definition::Dialect;
use crate::filter::tags::{self};

fn linear(pattern: &str) -> String {
    let t = translate(pattern).unwrap();
    assert_eq!(
        t.backtracking, None,
        "{pattern} should run on the linear engine"
    );
    t.linear
}

/// Every fail2ban regex listed in `$F2B_REGEXES` (JSON lines with `regex`,
/// as dumped by fail2ban's own reader) translates, and says which engine.
#[test]
#[ignore = "needs a dump of fail2ban's regexes in $F2B_REGEXES"]
fn every_fail2ban_regex_translates() {
    let path = std::env::var("F2B_REGEXES").unwrap();
    let (mut exact, mut fallback, mut failed) = (0, 0, 0);
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        if row["kind"] == "datepattern" {
            continue;
        }
        let text = tags::expand_in(row["regex"].as_str().unwrap(), Dialect::Fail2ban).unwrap();
        match translate(&text) {
            Ok(t) => {
                regex::bytes::RegexBuilder::new(&t.linear)
                    .unicode(false)
                    .build()
                    .unwrap_or_else(|e| panic!("{text}\n{}\n{e}", t.linear));
                match t.backtracking {
                    Some(b) => {
                        Backtracking::new(&b).unwrap_or_else(|e| panic!("{b}: {e}"));
                        eprintln!(
                            "fallback ({}): {} {}",
                            t.reason.unwrap(),
                            row["filter"],
                            row["regex"]
                        );
                        fallback += 1
                    }
                    None => exact += 1,
                }
            }
            Err(e) => {
                eprintln!("FAILED {e}: {}", row["regex"]);
                failed += 1
            }
        }
    }
    eprintln!("linear {exact}, backtracking {fallback}, failed {failed}");
    assert_eq!(failed, 0);
}
