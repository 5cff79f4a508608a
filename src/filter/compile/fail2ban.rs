//! What compiling a fail2ban filter (`Dialect::Fail2ban`) does differently:
//! its regexes are Python's ([`super::python`]), arrive with their
//! definitions resolved, and its `datepattern` lines are fail2ban's
//! templates.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::Backtracking;
use super::defines::Defines;
use super::python;
use crate::diagnostic::KdlProblem;
use crate::filter::date::{DateParser, DatePattern};
use crate::filter::definition::{Dialect, FilterDef, Item, ItemKind};

/// A fail2ban (Python) regex in the linear engine's syntax, the
/// backtracking engine when that syntax is only a prefilter, and the
/// variants of a distributed conditional with whether its copies are
/// reached in order. fail2ban matches multi-line buffers with
/// `re.MULTILINE`.
pub(super) fn python_regex(
    pattern: &str,
    multi_line: bool,
) -> Result<(String, Option<Backtracking>, Vec<String>, bool), String> {
    let translated = python::translate(pattern).map_err(|e| e.to_string())?;
    let flags = if multi_line { "(?m)" } else { "" };
    let linear = format!("{flags}{}", translated.linear);
    let Some(backtracking) = translated.backtracking else {
        let variants = match multi_line {
            true => Vec::new(),
            false => translated.variants,
        };
        return Ok((linear, None, variants, translated.in_order));
    };
    let engine = Backtracking::new(&format!("{flags}{backtracking}")).map_err(|e| {
        let why = translated.reason.unwrap_or("a construct");
        format!("it uses {why}, which the linear engine lacks, and the backtracking engine refuses it: {e}")
    })?;
    Ok((linear, Some(engine), Vec::new(), false))
}

/// A fail2ban filter's `datepattern` lines, each checked here so that a bad
/// one is reported at its line.
pub(super) fn fail2ban_dates(
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

/// An item's regex with its definitions substituted; a fail2ban filter's
/// arrive resolved by its reader (a `%(` left in one is the regex's own).
pub(super) fn item_text(def: &FilterDef, defines: &Defines, item: &Item) -> Result<String, String> {
    match def.dialect {
        Dialect::Kdl => defines.substitute(&item.text, 0),
        Dialect::Fail2ban => Ok(item.text.clone()),
    }
}
