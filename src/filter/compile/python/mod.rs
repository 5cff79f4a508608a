//! fail2ban's regexes are Python `re` patterns; the engine runs the `regex`
//! crate (linear time). This module turns one into the other.
//!
//! How often fail2ban needs what the `regex` crate lacks: of the 468
//! distinct fail, ignore and prefix regexes of fail2ban 1.0.2's filter.d
//! (every file, every `mode`, every `logtype`, as fail2ban's reader resolves
//! them), 36 in 16 filters use at least one of:
//!
//! | construct                              | regexes | filters |
//! |----------------------------------------|--------:|--------:|
//! | negative look-ahead `(?!...)`          | 28      | 10      |
//! | look-ahead `(?=...)`                   | 7       | 2       |
//! | backreference `(?P=name)`              | 10      | 7       |
//! | conditional group `(?(name)...\|...)`  | 2       | 1 (sshd)|
//! | `(?i)` inside a group                  | 3       | 2       |
//! | look-behind, atomic, possessive, `\Z`  | 0       | 0       |
//!
//! (fail2ban's own `<HOST>` expansion has a look-behind; the engine's tags
//! do not need one.)
//!
//! Each pattern is parsed ([`ast`]) and printed for the `regex` crate
//! ([`print`]), with Python's spelling mapped (`\Z` is `\z`, a brace that
//! is no quantifier is a literal, `(?i)` inside a group scopes to the rest
//! of it, as fail2ban's own rewrite to `(?i:...)` has it). What the crate
//! lacks is first rewritten: conditional groups are ([`conditional`])
//! distributed over the rest of the pattern, and tempered tokens
//! `(?:(?!L).)*` followed by `L` or by the line's end become the regular
//! language they denote ([`tempered`]). sshd's two `Failed ...` regexes, the hottest of
//! its filter, so run on the linear engine.
//!
//! Of the 468, 435 then run on the linear engine and 33 (in 16 filters)
//! on the backtracking one.
//!
//! What remains (a look-ahead of another shape, a backreference) runs on
//! fancy-regex, a backtracking engine, with a hard limit of steps per line
//! ([`BACKTRACK_LIMIT`]): a line past it is a non-match, so that no crafted
//! line costs more than a bounded amount of work. Such a regex keeps a
//! linear superset as prefilter (look-arounds dropped, a backreference as
//! any text, a conditional as either branch): only lines the prefilter
//! accepts reach the backtracker.

pub mod ast;
mod conditional;
pub mod print;
mod tempered;

#[cfg(test)]
mod tests;

/// Steps the backtracking engine may take on one line; a line that needs
/// more is treated as not matching.
pub const BACKTRACK_LIMIT: usize = 100_000;

/// A Python pattern in the engines' syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    /// In the `regex` crate's syntax: the regex itself when `backtracking`
    /// is `None`, else a prefilter that accepts every line it matches.
    pub linear: String,
    /// fancy-regex's form, for a pattern the linear engine cannot run.
    pub backtracking: Option<String>,
    /// Why the pattern needs the backtracking engine.
    pub reason: Option<&'static str>,
    /// For a pattern whose conditionals were distributed into copies of
    /// its tail: `linear` with only the copies of each bit mask left able
    /// to match (the others start with `\b\B`), capture groups unchanged.
    /// Index 0 is unused. See [`Copies`](crate::filter::compile::Copies).
    pub variants: Vec<String>,
    /// The copies are reached in their numbered order
    /// ([`conditional::in_order`]).
    pub in_order: bool,
}

/// Why a pattern could not be translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    #[error("not a valid Python regular expression: {0}")]
    Syntax(#[from] ast::SyntaxError),
    #[error("uses {0}, which neither engine has")]
    Unsupported(&'static str),
}

/// Translates one Python pattern (tags already expanded).
pub fn translate(pattern: &str) -> Result<Translation, TranslateError> {
    let node = ast::parse(pattern)?;
    let reason = match print::linear(&node, false) {
        Ok(linear) => {
            return Ok(Translation {
                linear,
                backtracking: None,
                reason: None,
                variants: Vec::new(),
                in_order: false,
            });
        }
        Err(reason) => reason,
    };
    let rewritten = tempered::temper(conditional::distribute(node.clone()));
    if let Ok(linear) = print::linear(&rewritten, false) {
        return Ok(Translation {
            linear,
            variants: conditional::variants(&rewritten),
            in_order: conditional::in_order(&rewritten),
            backtracking: None,
            reason: None,
        });
    }
    let linear = print::linear(&node, true).map_err(TranslateError::Unsupported)?;
    Ok(Translation {
        linear,
        backtracking: Some(print::backtracking(&node)),
        variants: Vec::new(),
        in_order: false,
        reason: Some(reason),
    })
}
