//! A cheaper form of a fail regex for the captures engine: a trailing
//! "anything up to the end of the line" is dropped.
//!
//! On a haystack without a newline (one log line), `^P.*$` and `^P` take
//! the same captures: the bounded backtracker tries P's choices in priority
//! order, `.*$` accepts whatever follows any of them, so the first choice
//! of P that completes is the one taken either way, and without the tail
//! the engine stops there instead of walking on to the end of the line.
//! For the same reason `P(?:X.*)?$` becomes `P(?:X|$)`. Only the end of the
//! overall match changes, and the fail regexes never report it.

use regex_syntax::hir::{Class, ClassBytes, Hir, HirKind, Look, Repetition};

/// `hir` without its trailing `.*$` or `(?:X.*)?$`; `None` if it has
/// neither. Valid only for haystacks without a newline.
pub fn strip_any_tail(hir: &Hir) -> Option<Hir> {
    let HirKind::Concat(items) = hir.kind() else {
        return None;
    };
    let (end, rest) = items.split_last()?;
    if !matches!(end.kind(), HirKind::Look(Look::End)) {
        return None;
    }
    let (tail, head) = rest.split_last()?;
    let mut out = head.to_vec();
    if !is_any_run(tail) {
        out.push(optional_any_tail(tail)?);
    }
    Some(Hir::concat(out))
}

/// `(?:X.*)?$` as `(?:X|$)` (`(?:$|X)` when lazy).
fn optional_any_tail(tail: &Hir) -> Option<Hir> {
    let HirKind::Repetition(Repetition {
        min: 0,
        max: Some(1),
        greedy,
        sub,
    }) = tail.kind()
    else {
        return None;
    };
    let HirKind::Concat(inner) = sub.kind() else {
        return None;
    };
    let (run, taken) = inner.split_last()?;
    if !is_any_run(run) {
        return None;
    }
    let taken = Hir::concat(taken.to_vec());
    let end = Hir::look(Look::End);
    Some(Hir::alternation(if *greedy {
        vec![taken, end]
    } else {
        vec![end, taken]
    }))
}

/// `.*` (greedy or not): any number of bytes other than a newline.
pub(super) fn is_any_run(hir: &Hir) -> bool {
    let HirKind::Repetition(Repetition {
        min: 0,
        max: None,
        sub,
        ..
    }) = hir.kind()
    else {
        return false;
    };
    matches!(sub.kind(), HirKind::Class(Class::Bytes(class)) if all_but_newline(class))
}

fn all_but_newline(class: &ClassBytes) -> bool {
    let mut covered = [false; 256];
    for range in class.ranges() {
        for byte in range.start()..=range.end() {
            covered[usize::from(byte)] = true;
        }
    }
    (0..=255u8).all(|b| b == b'\n' || covered[usize::from(b)])
}

#[cfg(test)]
mod tests {
    use super::super::hir_check::{captures, parse};
    use super::*;

    #[test]
    fn the_captures_stay_those_of_the_full_regex() {
        let cases: [(&str, &[&str]); 4] = [
            (
                r"^(?P<u>\S+) from (?P<h>\S+)(?: port \d+)?.*$",
                &["a from b", "a from b port 2 x", "a from b c", "a fro", ""],
            ),
            (
                r"^for (?P<u>\S+) from (?P<h>[\d.]+)(?:\s.*)?$",
                &[
                    "for a from 1.2",
                    "for a from 1.2 x",
                    "for a from 1.2x",
                    "for a from ",
                ],
            ),
            (
                r"^x(?P<a>y*)(?:z.*)??$",
                &["xyy", "xyyz", "xyyzq", "xz", "xq"],
            ),
            (r"^(?P<a>.*)(?P<b>b*).*$", &["aab", "abb", ""]),
        ];
        for (pattern, lines) in cases {
            let full = parse(pattern);
            let short = strip_any_tail(&full).expect(pattern);
            for line in lines {
                assert_eq!(
                    captures(&short, line),
                    captures(&full, line),
                    "{pattern} on {line:?}"
                );
            }
        }
    }

    #[test]
    fn other_tails_are_kept() {
        for pattern in [r"^a.*", r"^a\s*$", r"^a.+$", r"^a(?:b.*)+$", r"^a(?s:.*)$x"] {
            assert!(strip_any_tail(&parse(pattern)).is_none(), "{pattern}");
        }
    }
}
