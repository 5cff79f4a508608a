//! One regex of a filter compiled for the matcher ([`CompiledRegex`]):
//! tags expanded, a fail2ban (Python) pattern translated, and beside the
//! `Regex` the faster engines its shape allows (bounded backtracker,
//! [`RunSplit`], [`Copies`], or the backtracking [`Backtracking`] engine
//! for what the linear one cannot run). A regex that does not compile is a
//! problem reported at its item.

use memchr::memmem::Finder;
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_automata::nfa::thompson::NFA;
use regex_automata::nfa::thompson::backtrack::BoundedBacktracker;
use regex_syntax::ParserBuilder;
use regex_syntax::hir::Hir;

use super::defines::Defines;
use super::fail2ban::{item_text, python_regex};
use super::required::required_literal;
use super::{Backtracking, Copies, REGEX_SIZE_LIMIT, RunSplit, Runs, tail};
use crate::diagnostic::KdlProblem;
use crate::filter::definition::{Dialect, FilterDef, Item, ItemKind};
use crate::filter::tags::{self, GroupMap, Names};

/// A regex ready to match, with its capture names folded.
#[derive(Debug, Clone)]
pub struct CompiledRegex {
    pub regex: Regex,
    /// The same regex as a bounded backtracker: for an anchored regex it
    /// takes the captures in one pass, without the searches the `Regex`
    /// runs first.
    pub backtrack: Option<BoundedBacktracker>,
    /// For a single-line regex around a `(?P<name>.*)`, a quicker way to
    /// the same captures (see [`RunSplit`]).
    pub split: Option<RunSplit>,
    /// `backtrack` and `split` assume a haystack without a newline (the
    /// filter matches one line at a time); for one with a newline, only
    /// the `Regex` gives the right captures.
    pub one_line: bool,
    pub groups: GroupMap,
    /// For a fail2ban regex the linear engine cannot run: the backtracking
    /// engine that decides, `regex` being then only its prefilter (see
    /// [`python`]).
    pub fallback: Option<Backtracking>,
    /// For a regex distributed into copies: the captures engine per set of
    /// copies that can match ([`Copies`]).
    pub copies: Option<Copies>,
    /// A literal every match contains, looked for before any engine runs
    /// (see `compile/required.rs`).
    pub required: Option<Finder<'static>>,
    /// The regex as written in the filter, for reports.
    pub source: String,
    /// The regex with its definitions and tags expanded, in the filter's
    /// own dialect (Python's for a fail2ban filter): what fail2ban's
    /// `get JAIL failregex` shows.
    pub pattern: String,
}

pub(super) fn compile_item(
    def: &FilterDef,
    item: &Item,
    defines: &Defines,
    names: &mut Names,
) -> Result<CompiledRegex, KdlProblem> {
    let text = item_text(def, defines, item).map_err(|reason| problem(def, item, reason))?;
    compile_text(def, item, &text, names)
}

fn problem(def: &FilterDef, item: &Item, reason: String) -> KdlProblem {
    let what = match item.kind {
        ItemKind::Prefix => "prefix",
        ItemKind::Ignore => "ignore regex",
        _ => "fail regex",
    };
    let message = format!(
        "filter {}: {what} {:?} does not compile: {reason}",
        def.name, item.text
    );
    item.file.error(item.span, message)
}

/// Expands tags in `text` (definitions already substituted) and compiles it.
pub(super) fn compile_text(
    def: &FilterDef,
    item: &Item,
    text: &str,
    names: &mut Names,
) -> Result<CompiledRegex, KdlProblem> {
    let problem = |reason: String| problem(def, item, reason);
    let expanded = tags::expand_in(text, def.dialect).map_err(|e| problem(e.to_string()))?;
    let pattern = expanded.clone();
    let (expanded, fallback, variants, in_order) = match def.dialect {
        Dialect::Kdl => (expanded, None, Vec::new(), false),
        Dialect::Fail2ban => python_regex(&expanded, def.maxlines > 1).map_err(problem)?,
    };
    let regex = RegexBuilder::new(&expanded)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| problem(e.to_string()))?;
    let single_line = def.maxlines == 1;
    // For a regex on the backtracking engine, `expanded` is a prefilter
    // that matches every line the regex does: what it requires, so does
    // the regex.
    let hir = parse_bytes(&expanded);
    let required = hir.as_ref().and_then(required_literal);
    if let Some(fallback) = fallback {
        let groups = GroupMap::new(fallback.capture_names(), names);
        return Ok(CompiledRegex {
            regex,
            backtrack: None,
            split: None,
            one_line: single_line,
            groups,
            fallback: Some(fallback),
            copies: None,
            required,
            source: item.text.clone(),
            pattern,
        });
    }
    let groups = GroupMap::new(regex.capture_names(), names);
    Ok(CompiledRegex {
        fallback: None,
        copies: Copies::new(&variants, single_line, in_order),
        regex,
        backtrack: backtracker(&hir, single_line),
        split: hir
            .as_ref()
            .filter(|_| single_line)
            .and_then(|hir| RunSplit::new(hir, REGEX_SIZE_LIMIT, Runs::AnyByte)),
        one_line: single_line,
        groups,
        required,
        source: item.text.clone(),
        pattern,
    })
}

/// The backtracker for `hir`, the regex parsed as the `Regex` parses it
/// (bytes, no Unicode), so that group indices agree; for single lines
/// without a trailing `.*$` ([`tail`]). `None` if it cannot be built; the `Regex`
/// then takes the captures.
pub(super) fn backtracker(hir: &Option<Hir>, single_line: bool) -> Option<BoundedBacktracker> {
    let hir = hir.as_ref()?;
    let stripped = single_line.then(|| tail::strip_any_tail(hir)).flatten();
    let hir = stripped.as_ref().unwrap_or(hir);
    let nfa = NFA::compiler()
        .configure(NFA::config().nfa_size_limit(Some(REGEX_SIZE_LIMIT)))
        .build_from_hir(hir)
        .ok()?;
    BoundedBacktracker::new_from_nfa(nfa).ok()
}

/// `pattern` parsed as the `Regex` parses it: bytes, no Unicode.
pub(super) fn parse_bytes(pattern: &str) -> Option<Hir> {
    ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
}

pub(super) fn regex_set<'a>(patterns: impl Iterator<Item = &'a str>) -> RegexSet {
    RegexSetBuilder::new(patterns)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT * 4)
        .build()
        .expect("each pattern compiled alone")
}
