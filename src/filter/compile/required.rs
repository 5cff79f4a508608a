//! A literal every match of a regex must contain, looked for before the
//! regex runs: a line without it cannot match, and a substring search
//! (SIMD) rejects it for a fraction of what an automaton pass or the
//! captures engine costs.
//!
//! The start index ([`super::StartIndex`]) already tells regexes apart by
//! their first words; what it lets through are lines of the same start
//! and another message (`pam_unix(sshd:auth): authentication failure`
//! against `pam_unix(sshd:session): session closed`, `Received
//! disconnect from ...: 3: ...: Auth fail` against `...: 11: Bye Bye`).
//! The literal taken is the longest one the regex requires after its
//! start: the one a line of another message is least likely to have.
//!
//! Required means: a literal of the regex's top-level sequence, looked for
//! through capture groups and repetitions of at least one; an alternation
//! or an optional part requires nothing. Literals are bytes matched as
//! written (a case-insensitive letter is a class, not a literal), so the
//! search is exact, and it holds for any haystack, with newlines or not.

use memchr::memmem::Finder;
use regex_syntax::hir::{Hir, HirKind};

/// Literals shorter than this are not looked for: too common to reject
/// many lines for what the search costs.
const MIN_LEN: usize = 3;

/// The literal of `hir` to look for (see the module doc), if there is one.
pub fn required_literal(hir: &Hir) -> Option<Finder<'static>> {
    let (_, after) = required_literals(hir);
    after
        .into_iter()
        .filter(|literal| literal.len() >= MIN_LEN)
        .max_by_key(|literal| literal.len())
        .map(|literal| Finder::new(literal).into_owned())
}

/// The literals every match of `hir` contains, in order: the one every
/// match starts with, if any, and the others.
pub fn required_literals(hir: &Hir) -> (Option<&[u8]>, Vec<&[u8]>) {
    let mut literals = Vec::new();
    walk(hir, &mut 0, &mut literals);
    let mut after: Vec<&[u8]> = literals.iter().map(|&(_, l)| l).collect();
    let leading = matches!(literals.first(), Some((0, _))).then(|| after.remove(0));
    (leading, after)
}

/// Appends the literals `hir` requires, in order, each with the number of
/// items of the sequence before it that can match something other than
/// the empty string (0: it starts every match).
fn walk<'h>(hir: &'h Hir, before: &mut usize, out: &mut Vec<(usize, &'h [u8])>) {
    match hir.kind() {
        HirKind::Literal(literal) => {
            out.push((*before, &literal.0));
            *before += 1;
        }
        HirKind::Look(_) | HirKind::Empty => {}
        HirKind::Capture(capture) => walk(&capture.sub, before, out),
        HirKind::Concat(items) => items.iter().for_each(|item| walk(item, before, out)),
        HirKind::Repetition(rep) if rep.min >= 1 => {
            // What follows the first round may be more of it: only the
            // first round's literals are in sequence.
            walk(&rep.sub, before, out);
            *before += 1;
        }
        HirKind::Repetition(_) | HirKind::Class(_) | HirKind::Alternation(_) => *before += 1,
    }
}

#[cfg(test)]
mod tests {
    use super::super::hir_check::parse;
    use super::*;

    fn literal(pattern: &str) -> Option<String> {
        required_literal(&parse(pattern)).map(|f| String::from_utf8_lossy(f.needle()).into())
    }

    #[test]
    fn the_longest_required_literal_after_the_start() {
        assert_eq!(
            literal(r"^(?P<n>pam_[a-z]+\(sshd:auth\):\s+authentication failure;)\s+ruser=")
                .as_deref(),
            Some("authentication failure;")
        );
        assert_eq!(
            literal(r"^Received disconnect from \S+(?: port \d+)?:\s*3: .*: Auth fail").as_deref(),
            Some(": Auth fail")
        );
        // Through a repetition that must match once.
        assert_eq!(literal(r"^a\d(?:xyz\d)+").as_deref(), Some("xyz"));
    }

    #[test]
    fn optional_alternative_short_and_leading_literals_are_not_required() {
        for pattern in [
            r"^Failed \S+",
            r"^a\d(?:long literal)?",
            r"^a\d(?:long literal|other)",
            r"^a\d(?:long literal)*",
            r"^a\d: ",
            r"(?i)^a\dlong literal",
        ] {
            assert_eq!(literal(pattern), None, "{pattern}");
        }
    }

    #[test]
    fn a_line_without_the_literal_cannot_match() {
        let pattern = r"^(?:error: )?User (?P<u>\S+) from \S+ not allowed because";
        let finder = required_literal(&parse(pattern)).unwrap();
        assert_eq!(finder.needle(), b" not allowed because");
        let re = regex::bytes::Regex::new(pattern).unwrap();
        for line in [
            "User a from b not allowed because x",
            "error: User a from b not allowed because",
            "User a from b is allowed",
        ] {
            let has = finder.find(line.as_bytes()).is_some();
            assert!(has || !re.is_match(line.as_bytes()), "{line}");
        }
    }
}
