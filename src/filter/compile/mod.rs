//! From a [`FilterDef`] and the options of one jail (mode, log type,
//! parameters) to a [`CompiledFilter`]: the active nodes chosen, `%(name)`
//! definitions substituted, tags expanded and every regex compiled once.
//!
//! Regexes are byte regexes with Unicode classes off: `\w`, `\d`, `\s` are
//! ASCII, `.` is any byte but newline. Lines are matched as bytes, so invalid
//! UTF-8 costs nothing and cannot fail a match it should not.

use std::collections::HashMap;

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_automata::nfa::thompson::NFA;
use regex_automata::nfa::thompson::backtrack::BoundedBacktracker;
use regex_syntax::ParserBuilder;
use regex_syntax::hir::Hir;

use crate::diagnostic::{KdlProblem, KdlProblems};
use crate::filter::date::{DateParser, DatePattern};
use crate::filter::definition::{Dialect, FilterDef, Item, ItemKind, LOGTYPE};
use crate::filter::tags::{self, GroupMap, NameId, Names};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Compiled automata may use this much memory each (the default is 10 MiB).
const REGEX_SIZE_LIMIT: usize = 32 << 20;

/// How a jail uses a filter: `--mode`, `--logtype` and `--set KEY=VALUE`.
#[derive(Debug, Clone, Default)]
pub struct FilterOptions {
    pub mode: Option<String>,
    pub logtype: Option<String>,
    pub set: Vec<(String, String)>,
}

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
    /// The regex as written in the filter, for reports.
    pub source: String,
}

/// The prefix (fail2ban's prefregex) in two forms.
///
/// Most prefixes end in `<F-CONTENT>.+</F-CONTENT>$`: the content is simply
/// the rest of the line. Matching only the part before it (the head) and
/// taking the rest as content gives the same result (leftmost-first
/// semantics: the head chooses as it would inside the full regex, unless it
/// would swallow the whole line, and then the full regex decides) and is
/// several times cheaper, as the captures engine then walks only the
/// prefix, not the whole line.
#[derive(Debug, Clone)]
pub struct Prefix {
    pub full: CompiledRegex,
    pub head: Option<CompiledRegex>,
    /// The head is `^<F-MLFID>...</F-MLFID>` with no other capture: its
    /// match is the connection id, and no captures need to be taken.
    pub head_is_mlfid: bool,
    /// The name `mlfid`, for the span the fast form records.
    pub mlfid: NameId,
}

/// The suffix that lets a prefix use the fast form.
const CONTENT_TAIL: &str = "<F-CONTENT>.+</F-CONTENT>$";

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

/// Each parameter's value: its default unless the options set it.
fn param_values(
    def: &FilterDef,
    options: &FilterOptions,
) -> Result<HashMap<String, String>, CompileError> {
    let mut values: HashMap<String, String> = def
        .params
        .iter()
        .map(|p| (p.name.clone(), p.choices[0].clone()))
        .collect();
    let chosen = options
        .mode
        .iter()
        .map(|m| ("mode", m.as_str()))
        .chain(options.logtype.iter().map(|l| (LOGTYPE, l.as_str())))
        .chain(options.set.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    for (param, value) in chosen {
        let Some(p) = def.params.iter().find(|p| p.name == param) else {
            let known = def
                .params
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(CompileError::UnknownParam {
                filter: def.name.clone(),
                param: param.to_string(),
                known,
            });
        };
        if !p.choices.iter().any(|c| c == value) {
            return Err(CompileError::BadValue {
                filter: def.name.clone(),
                param: param.to_string(),
                value: value.to_string(),
                choices: p.choices.join(", "),
            });
        }
        values.insert(param.to_string(), value.to_string());
    }
    Ok(values)
}

fn is_active(item: &Item, values: &HashMap<String, String>) -> bool {
    item.when
        .iter()
        .all(|c| values.get(&c.param).is_some_and(|v| c.values.contains(v)))
}

fn compile_prefix(
    def: &FilterDef,
    item: &Item,
    defines: &Defines,
    names: &mut Names,
) -> Result<Prefix, KdlProblem> {
    let full = compile_item(def, item, defines, names)?;
    let mlfid = names.intern("mlfid");
    let text = item_text(def, defines, item).unwrap_or_default();
    let Some(head_text) = text
        .strip_suffix(CONTENT_TAIL)
        .filter(|_| def.maxlines == 1 && full.fallback.is_none())
    else {
        return Ok(Prefix {
            full,
            head: None,
            head_is_mlfid: false,
            mlfid,
        });
    };
    let mlfid_inner = head_text
        .strip_prefix("^<F-MLFID>")
        .and_then(|t| t.strip_suffix("</F-MLFID>"))
        .filter(|inner| !inner.contains("<F-"));
    let (head_text, head_is_mlfid) = match mlfid_inner {
        Some(inner) => (format!("^(?:{inner})"), true),
        None => (head_text.to_string(), false),
    };
    let head = compile_text(def, item, &head_text, names)?;
    if head.fallback.is_some() {
        return Ok(Prefix {
            full,
            head: None,
            head_is_mlfid: false,
            mlfid,
        });
    }
    Ok(Prefix {
        full,
        head: Some(head),
        head_is_mlfid,
        mlfid,
    })
}

fn compile_item(
    def: &FilterDef,
    item: &Item,
    defines: &Defines,
    names: &mut Names,
) -> Result<CompiledRegex, KdlProblem> {
    let text = item_text(def, defines, item).map_err(|reason| problem(def, item, reason))?;
    compile_text(def, item, &text, names)
}

/// An item's regex with its definitions substituted; a fail2ban filter's
/// arrive resolved by its reader (a `%(` left in one is the regex's own).
fn item_text(def: &FilterDef, defines: &Defines, item: &Item) -> Result<String, String> {
    match def.dialect {
        Dialect::Kdl => defines.substitute(&item.text, 0),
        Dialect::Fail2ban => Ok(item.text.clone()),
    }
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
fn compile_text(
    def: &FilterDef,
    item: &Item,
    text: &str,
    names: &mut Names,
) -> Result<CompiledRegex, KdlProblem> {
    let problem = |reason: String| problem(def, item, reason);
    let expanded = tags::expand_in(text, def.dialect).map_err(|e| problem(e.to_string()))?;
    let (expanded, fallback) = match def.dialect {
        Dialect::Kdl => (expanded, None),
        Dialect::Fail2ban => python_regex(&expanded, def.maxlines > 1).map_err(problem)?,
    };
    let regex = RegexBuilder::new(&expanded)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| problem(e.to_string()))?;
    let single_line = def.maxlines == 1;
    if let Some(fallback) = fallback {
        let groups = GroupMap::new(fallback.capture_names(), names);
        return Ok(CompiledRegex {
            regex,
            backtrack: None,
            split: None,
            one_line: single_line,
            groups,
            fallback: Some(fallback),
            source: item.text.clone(),
        });
    }
    let groups = GroupMap::new(regex.capture_names(), names);
    let hir = parse_bytes(&expanded);
    Ok(CompiledRegex {
        fallback: None,
        regex,
        backtrack: backtracker(&hir, single_line),
        split: hir
            .as_ref()
            .filter(|_| single_line)
            .and_then(|hir| RunSplit::new(hir, REGEX_SIZE_LIMIT)),
        one_line: single_line,
        groups,
        source: item.text.clone(),
    })
}

/// A fail2ban (Python) regex in the linear engine's syntax, and the
/// backtracking engine when that syntax is only a prefilter. fail2ban
/// matches multi-line buffers with `re.MULTILINE`.
fn python_regex(pattern: &str, multi_line: bool) -> Result<(String, Option<Backtracking>), String> {
    let translated = python::translate(pattern).map_err(|e| e.to_string())?;
    let flags = if multi_line { "(?m)" } else { "" };
    let linear = format!("{flags}{}", translated.linear);
    let Some(backtracking) = translated.backtracking else {
        return Ok((linear, None));
    };
    let engine = Backtracking::new(&format!("{flags}{backtracking}")).map_err(|e| {
        let why = translated.reason.unwrap_or("a construct");
        format!("it uses {why}, which the linear engine lacks, and the backtracking engine refuses it: {e}")
    })?;
    Ok((linear, Some(engine)))
}

/// The backtracker for `hir`, the regex parsed as the `Regex` parses it
/// (bytes, no Unicode), so that group indices agree; for single lines
/// without a trailing `.*$` ([`tail`]). `None` if it cannot be built; the `Regex`
/// then takes the captures.
fn backtracker(hir: &Option<Hir>, single_line: bool) -> Option<BoundedBacktracker> {
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
fn parse_bytes(pattern: &str) -> Option<Hir> {
    ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
}

fn regex_set<'a>(patterns: impl Iterator<Item = &'a str>) -> RegexSet {
    RegexSetBuilder::new(patterns)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT * 4)
        .build()
        .expect("each pattern compiled alone")
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

/// A fail2ban filter's `datepattern` lines, each checked here so that a bad
/// one is reported at its line.
fn fail2ban_dates(
    def: &FilterDef,
    active: &[&Item],
    problems: &mut Vec<KdlProblem>,
) -> DatePattern {
    let mut lines = Vec::new();
    for item in active.iter().filter(|i| i.kind == ItemKind::Date) {
        for line in item.text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let one = DatePattern::Fail2ban(vec![line.to_string()]);
            match DateParser::try_new(TimeZone::UTC, Timestamp::UNIX_EPOCH, one) {
                Ok(_) => lines.push(line.to_string()),
                Err(e) => problems.push(
                    item.file
                        .error(item.span, format!("filter {}: {e}", def.name)),
                ),
            }
        }
    }
    if lines.is_empty() {
        lines.push("{DEFAULT}".to_string());
    }
    DatePattern::Fail2ban(lines)
}

mod defines;
mod fallback;
pub mod python;
mod split;
mod start;
mod tail;
use defines::Defines;
pub use fallback::Backtracking;
pub use split::{RunSplit, SplitCache};
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
