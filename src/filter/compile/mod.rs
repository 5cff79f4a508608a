//! From a [`FilterDef`] and the options of one jail (mode, log type,
//! parameters) to a [`CompiledFilter`]: the active nodes chosen, `%(name)`
//! definitions substituted, tags expanded and every regex compiled once.
//!
//! Regexes are byte regexes with Unicode classes off: `\w`, `\d`, `\s` are
//! ASCII, `.` is any byte but newline. Lines are matched as bytes, so invalid
//! UTF-8 costs nothing and cannot fail a match it should not.

use regex::bytes::RegexSet;

use crate::diagnostic::{KdlProblem, KdlProblems};
use crate::filter::date::DatePattern;
use crate::filter::definition::{Dialect, FilterDef, Item, ItemKind, LOGTYPE};
use crate::filter::tags::Names;

/// Compiled automata may use this much memory each (the default is 10 MiB).
const REGEX_SIZE_LIMIT: usize = 32 << 20;

/// How log lines are framed; chooses the shared prefixes and where the
/// time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogType {
    /// A syslog-style file: each line carries its date.
    File,
    /// journald entries rendered as `host unit[pid]: message`: the time is
    /// the entry's (in test-filter, "now").
    Journal,
    /// RFC 5424 syslog.
    Rfc5424,
}

/// A filter ready to run.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    pub name: String,
    pub logtype: LogType,
    pub prefix: Option<Prefix>,
    pub fails: Vec<CompiledRegex>,
    /// Which fail regexes a line's first bytes allow.
    pub starts: StartIndex,
    pub ignore_set: RegexSet,
    /// Ignore regexes on the backtracking engine (not in `ignore_set`).
    pub ignore_fallback: Vec<CompiledRegex>,
    /// Every ignore regex as [`CompiledRegex::pattern`] shows it, in order.
    pub ignore_patterns: Vec<String>,
    pub date: DatePattern,
    pub maxlines: usize,
    /// The base names of every regex's captures.
    pub names: Names,
    /// Failures report their `ip4`/`ip6`/`dns` captures too, as fail2ban
    /// does (fail2ban filters only).
    pub report_addresses: bool,
}

/// Why options do not fit a filter, or its regexes do not compile.
#[derive(Debug, miette::Diagnostic, thiserror::Error)]
pub enum CompileError {
    #[error("filter {filter} has no parameter `{param}` (it has: {known})")]
    UnknownParam {
        filter: String,
        param: String,
        known: String,
    },
    #[error("filter {filter}: `{value}` is not a value of `{param}` (choose one of: {choices})")]
    BadValue {
        filter: String,
        param: String,
        value: String,
        choices: String,
    },
    #[error("filter {filter} has no fail regex for {settings}")]
    NoFailRegex { filter: String, settings: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Problems(#[from] KdlProblems),
}

impl CompiledFilter {
    /// Chooses the active nodes for `options` and compiles them.
    pub fn new(def: &FilterDef, options: &FilterOptions) -> Result<CompiledFilter, CompileError> {
        let values = param_values(def, options)?;
        let active: Vec<&Item> = def.items.iter().filter(|i| is_active(i, &values)).collect();
        let defines = Defines::new(&active);
        let mut problems = def.problems.clone();
        let mut names = Names::default();
        let prefix = active
            .iter()
            .rev()
            .find(|i| i.kind == ItemKind::Prefix)
            .and_then(|i| {
                compile_prefix(def, i, &defines, &mut names)
                    .map_err(|p| problems.push(p))
                    .ok()
            });
        let mut compile = |kind: ItemKind| -> Vec<CompiledRegex> {
            active
                .iter()
                .filter(|i| i.kind == kind)
                .filter_map(|i| {
                    compile_item(def, i, &defines, &mut names)
                        .map_err(|p| problems.push(p))
                        .ok()
                })
                .collect()
        };
        let fails = compile(ItemKind::Fail);
        let ignores = compile(ItemKind::Ignore);
        let date = date_pattern(def, &active, &mut problems);
        if !problems.is_empty() {
            return Err(KdlProblems::new(&format!("filter {}", def.name), problems).into());
        }
        if fails.is_empty() {
            let settings = values
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ");
            return Err(CompileError::NoFailRegex {
                filter: def.name.clone(),
                settings,
            });
        }
        Ok(CompiledFilter {
            name: def.name.clone(),
            logtype: match values.get(LOGTYPE).map(String::as_str) {
                Some("journal") => LogType::Journal,
                Some("rfc5424") => LogType::Rfc5424,
                _ => LogType::File,
            },
            prefix,
            ignore_patterns: ignores.iter().map(|f| f.pattern.clone()).collect(),
            ignore_set: regex_set(
                ignores
                    .iter()
                    .filter(|f| f.fallback.is_none())
                    .map(|f| f.regex.as_str()),
            ),
            ignore_fallback: ignores
                .into_iter()
                .filter(|f| f.fallback.is_some())
                .collect(),
            starts: StartIndex::new(fails.iter().map(|f| f.regex.as_str())),
            fails,
            date,
            maxlines: def.maxlines,
            names,
            report_addresses: def.dialect == Dialect::Fail2ban,
        })
    }
}

fn date_pattern(def: &FilterDef, active: &[&Item], problems: &mut Vec<KdlProblem>) -> DatePattern {
    if def.dialect == Dialect::Fail2ban {
        return fail2ban_dates(def, active, problems);
    }
    let Some(item) = active.iter().rev().find(|i| i.kind == ItemKind::Date) else {
        return DatePattern::Auto;
    };
    match DatePattern::parse(&item.text) {
        Ok(pattern) => pattern,
        Err(e) => {
            problems.push(
                item.file
                    .error(item.span, format!("filter {}: {e}", def.name)),
            );
            DatePattern::Auto
        }
    }
}

mod compiled;
mod copies;
mod defines;
mod fail2ban;
mod fallback;
mod first_copy;
mod options;
mod prefix;
mod prune;
pub mod python;
mod required;
mod split;
mod start;
mod tail;
pub use compiled::CompiledRegex;
use compiled::{backtracker, compile_item, parse_bytes, regex_set};
pub use copies::{Copies, CopiesCache};
use defines::Defines;
use fail2ban::fail2ban_dates;
pub use fallback::Backtracking;
pub use options::FilterOptions;
use options::{is_active, param_values};
pub use prefix::Prefix;
use prefix::compile_prefix;
pub use split::{RunSplit, Runs, SplitCache};
pub use start::{StartIndex, has as has_bit};

#[cfg(test)]
mod tests;

/// For the tests of the rewrites ([`tail`], [`split`]): a pattern parsed
/// as the matcher parses it, and the captures of a whole regex, to compare
/// a rewrite's captures with.
#[cfg(test)]
mod hir_check {
    use regex_automata::nfa::thompson::NFA;
    use regex_automata::nfa::thompson::backtrack::BoundedBacktracker;
    use regex_automata::{Anchored, Input};
    use regex_syntax::hir::Hir;

    pub type Groups = Vec<Option<(usize, usize)>>;

    pub fn parse(pattern: &str) -> Hir {
        super::parse_bytes(pattern).expect(pattern)
    }

    /// The spans of groups 1.. when `hir` matches `line` from its start.
    pub fn captures(hir: &Hir, line: &str) -> Option<Groups> {
        let re =
            BoundedBacktracker::new_from_nfa(NFA::compiler().build_from_hir(hir).unwrap()).unwrap();
        let (mut cache, mut caps) = (re.create_cache(), re.create_captures());
        let input = Input::new(line).anchored(Anchored::Yes);
        re.try_search(&mut cache, &input, &mut caps).unwrap();
        caps.is_match().then(|| {
            (1..caps.group_len())
                .map(|g| caps.get_group(g).map(|s| (s.start, s.end)))
                .collect()
        })
    }
}
