//! The backtracking engine for the few fail2ban regexes the linear engine
//! cannot run (see [`super::python`]): fancy-regex on bytes, ASCII classes,
//! with a hard limit of steps per line.

use fancy_regex::{BytesMode, RegexBuilder};

use super::python::BACKTRACK_LIMIT;

/// A regex run by backtracking, bounded per line.
#[derive(Debug, Clone)]
pub struct Backtracking {
    regex: fancy_regex::Regex,
}

impl Backtracking {
    /// Compiles `pattern` (fancy-regex syntax); the error is the engine's.
    pub fn new(pattern: &str) -> Result<Backtracking, String> {
        RegexBuilder::new(pattern)
            .bytes_mode(BytesMode::Ascii)
            .backtrack_limit(BACKTRACK_LIMIT)
            .build()
            .map(|regex| Backtracking { regex })
            .map_err(|e| e.to_string())
    }

    /// The names of the capture groups, by index (0 is the whole match).
    pub fn capture_names(&self) -> impl Iterator<Item = Option<&str>> {
        self.regex.capture_names()
    }

    /// Searches `hay`; on a match calls `found` with a lookup of each
    /// group's span. A line that exhausts the step limit does not match.
    pub fn captures(
        &self,
        hay: &[u8],
        found: impl FnOnce(&dyn Fn(usize) -> Option<(usize, usize)>),
    ) -> bool {
        match self.regex.captures(hay) {
            Ok(Some(caps)) => {
                found(&|g| caps.get(g).map(|m| (m.start(), m.end())));
                true
            }
            Ok(None) | Err(_) => false,
        }
    }

    /// Whether `hay` matches (within the step limit).
    pub fn is_match(&self, hay: &[u8]) -> bool {
        self.regex.is_match(hay).unwrap_or(false)
    }
}
