//! Which fail regexes can match a line at all, told by the literal text
//! each anchored regex must start with (`^Failed `, `^Invalid user `...).
//!
//! A line is only handed to the regexes whose start it has, so most fail
//! regexes cost a few byte comparisons per line instead of a run of an
//! automaton. The literals come from `regex-syntax`'s prefix extractor,
//! which guarantees that every match begins with one of them when the set
//! is finite; a regex that is not anchored at the start, or whose set is
//! infinite or contains the empty string, admits every line.

use regex_syntax::ParserBuilder;
use regex_syntax::hir::Look;
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// The literals a regex's matches start with; `None`: any line.
#[derive(Debug, Clone, Default)]
pub struct StartLiterals(Option<Vec<Box<[u8]>>>);

impl StartLiterals {
    /// The start literals of `pattern` (tags already expanded), parsed as
    /// the regexes are: bytes, no Unicode.
    pub fn of(pattern: &str) -> StartLiterals {
        let parsed = ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern);
        let Ok(hir) = parsed else { return StartLiterals(None) };
        if !hir.properties().look_set_prefix().contains(Look::Start) {
            return StartLiterals(None);
        }
        let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
        let literals = seq.literals().filter(|l| !l.is_empty() && l.iter().all(|l| !l.is_empty()));
        StartLiterals(literals.map(|l| l.iter().map(|l| Box::from(l.as_bytes())).collect()))
    }

    /// Whether a line (the prefix's content) could match.
    pub fn admits(&self, body: &[u8]) -> bool {
        match &self.0 {
            None => true,
            Some(literals) => literals.iter().any(|l| body.starts_with(l)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchored_regexes_admit_only_their_starts() {
        let start = StartLiterals::of(r"^(?:error: )?Failed \S+ for (?P<user>\S+)");
        assert!(start.admits(b"Failed password for root"));
        assert!(start.admits(b"error: Failed password for root"));
        assert!(!start.admits(b"Invalid user root"));
        assert!(!start.admits(b"Faile"));
    }

    #[test]
    fn case_alternatives_are_enumerated() {
        let start = StartLiterals::of(r"^[iI]nvalid user");
        assert!(start.admits(b"invalid user x") && start.admits(b"Invalid user x"));
    }

    #[test]
    fn unanchored_or_open_regexes_admit_everything() {
        assert!(StartLiterals::of(r"Failed for").admits(b"x Failed for"));
        assert!(StartLiterals::of(r"^.*Failed").admits(b"anything"));
        assert!(StartLiterals::of(r"^\s*Failed").admits(b"   Failed"));
    }
}
