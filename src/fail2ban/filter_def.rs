//! A resolved fail2ban filter ([`super::filter`]) as the matcher's
//! [`FilterDef`] (dialect [`Dialect::Fail2ban`]): `prefregex` becomes the
//! prefix, each line of `failregex`/`ignoreregex` a fail/ignore item, each
//! line of `datepattern` a date item. Every item points at the line of the
//! `.conf` file it was written on, so that a regex that does not compile
//! is reported at file:line:column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use miette::SourceSpan;

use super::filter::{Resolved, resolve};
use super::tags::Tagged;
use super::{Fail2banError, Warning};
use crate::diagnostic::{KdlProblems, SourceFile};
use crate::filter::FilterOptions;
use crate::filter::definition::{Dialect, FilterDef, Item, ItemKind, LOGTYPE, Param};

/// `maxlines` may be at most this (as for KDL filters).
const MAX_LINES: usize = 64;

/// A fail2ban filter file read for one set of options.
#[derive(Debug, Clone)]
pub struct Fail2banFilter {
    pub def: FilterDef,
    /// The log type it was read for (`file`, `journal`, `short`, ...).
    pub logtype: String,
    /// `journalmatch`: an OR of AND-groups of `FIELD=value` matches, as
    /// journalctl takes them (`+` separates groups; each line is a group).
    pub journalmatch: Vec<Vec<String>>,
}

impl Fail2banFilter {
    /// Reads the filter file at `path` for `options`; `journal` says its
    /// lines come from the journal (the log type is then `journal` unless
    /// the options or the file say otherwise).
    pub fn load(
        path: &Path,
        options: &FilterOptions,
        journal: bool,
        warnings: &mut Vec<Warning>,
    ) -> Result<Fail2banFilter, Fail2banError> {
        let resolved = resolve(path, options, journal, warnings)?;
        let mut sources = Sources::default();
        let mut items = Vec::new();
        let kinds = [
            ("prefregex", ItemKind::Prefix),
            ("failregex", ItemKind::Fail),
            ("ignoreregex", ItemKind::Ignore),
            ("datepattern", ItemKind::Date),
        ];
        for (name, kind) in kinds {
            if let Some(setting) = resolved.setting(name) {
                items.extend(sources.items(setting, kind));
            }
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("filter")
            .to_string();
        let def = FilterDef {
            name,
            description: None,
            params: vec![Param {
                name: LOGTYPE.to_string(),
                choices: vec![resolved.logtype.clone()],
            }],
            items,
            maxlines: maxlines(&resolved)?,
            dialect: Dialect::Fail2ban,
            problems: Vec::new(),
        };
        Ok(Fail2banFilter {
            def,
            journalmatch: journalmatch(&resolved),
            logtype: resolved.logtype,
        })
    }
}

/// Why a fail2ban filter file cannot be used, as an operator is shown it.
#[derive(Debug, miette::Diagnostic, thiserror::Error)]
pub enum FilterFileError {
    /// An error at a line of a file, shown with that line underlined.
    #[error(transparent)]
    #[diagnostic(transparent)]
    AtLine(KdlProblems),
    #[error("fail2ban filter file: {}", crate::error_chain(.0))]
    Other(Fail2banError),
}

impl Fail2banFilter {
    /// [`Fail2banFilter::load`], its error made a diagnostic: one with a
    /// file and line is shown with that line underlined.
    pub fn load_shown(
        path: &Path,
        options: &FilterOptions,
        journal: bool,
        warnings: &mut Vec<Warning>,
    ) -> Result<Fail2banFilter, FilterFileError> {
        Fail2banFilter::load(path, options, journal, warnings).map_err(|error| {
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
            let Some(origin) = error.origin().filter(|o| o.line > 0) else {
                return FilterFileError::Other(error);
            };
            let text = std::fs::read(&origin.file)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let file = SourceFile::new(origin.file.display().to_string(), text);
            let span = line_span(&file.text, origin.line);
            let problem = file.error(span, crate::error_chain(&error));
            FilterFileError::AtLine(KdlProblems::new(&format!("filter {name}"), vec![problem]))
        })
    }
}

fn maxlines(resolved: &Resolved) -> Result<usize, Fail2banError> {
    let Some(setting) = resolved.setting("maxlines") else {
        return Ok(1);
    };
    match setting.text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_LINES).contains(&n) => Ok(n),
        _ => Err(Fail2banError::Tag {
            origin: setting.origin.clone(),
            key: "maxlines".to_string(),
            reason: format!(
                "{:?} is not a number of lines from 1 to {MAX_LINES}",
                setting.text
            ),
        }),
    }
}

/// The resolved `journalmatch`, in groups (see [`journalmatch_groups`]).
fn journalmatch(resolved: &Resolved) -> Vec<Vec<String>> {
    resolved
        .setting("journalmatch")
        .map(|s| journalmatch_groups(&s.text))
        .unwrap_or_default()
}

/// The `journalmatch` of the filter file at `path` with a jail's filter
/// options (`name=value`), resolved as the filter itself is (`[Init]`
/// overrides `[Definition]`, as in Debian's postfix.conf), for the journal
/// log type; empty when it has none.
pub fn filter_journalmatch(
    path: &Path,
    options: &[(String, String)],
) -> Result<String, Fail2banError> {
    let options = FilterOptions {
        set: options.to_vec(),
        ..FilterOptions::default()
    };
    let resolved = resolve(path, &options, true, &mut Vec::new())?;
    Ok(resolved
        .setting("journalmatch")
        .map(|s| s.text.clone())
        .unwrap_or_default())
}

/// fail2ban's `journalmatch` text as groups of `FIELD=value` matches: each
/// line is its own group, as fail2ban adds each line as a disjunction of
/// its own; a line is split as a shell would, then at `+`.
pub fn journalmatch_groups(text: &str) -> Vec<Vec<String>> {
    let mut groups = Vec::new();
    for line in text.lines() {
        let mut group = Vec::new();
        for word in shell_words(line) {
            if word == "+" {
                groups.extend((!group.is_empty()).then(|| std::mem::take(&mut group)));
            } else {
                group.push(word);
            }
        }
        groups.extend((!group.is_empty()).then_some(group));
    }
    groups
}

/// Words of `line`: blanks separate, quotes group, a backslash escapes.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') | (None, '\\') => {
                word.get_or_insert_default().extend(chars.next());
            }
            (Some(_), c) => word.get_or_insert_default().push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    words
}

/// The text of every file items point into, read once each.
#[derive(Default)]
struct Sources {
    files: HashMap<PathBuf, SourceFile>,
}

impl Sources {
    /// One item per non-empty line of `setting` (date patterns trimmed).
    fn items(&mut self, setting: &Tagged, kind: ItemKind) -> Vec<Item> {
        let file = self.file(&setting.origin.file);
        let mut items = Vec::new();
        for (index, line) in setting.text.split('\n').enumerate() {
            let text = if kind == ItemKind::Date {
                line.trim()
            } else {
                line
            };
            if text.is_empty() {
                continue;
            }
            let number = setting
                .lines
                .get(index)
                .copied()
                .unwrap_or(setting.origin.line);
            items.push(Item {
                kind: kind.clone(),
                text: text.to_string(),
                when: Vec::new(),
                span: line_span(&file.text, number),
                file: file.clone(),
            });
        }
        items
    }

    fn file(&mut self, path: &Path) -> SourceFile {
        self.files
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                let text = std::fs::read(path)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                SourceFile::new(path.display().to_string(), text)
            })
            .clone()
    }
}

/// The span of line `number` (1-based) of `text`, leading blanks left out;
/// an empty span at the start when there is no such line.
pub fn line_span(text: &str, number: usize) -> SourceSpan {
    let Some(line) = number.checked_sub(1).and_then(|n| text.split('\n').nth(n)) else {
        return SourceSpan::from(0..0);
    };
    let start = line.as_ptr() as usize - text.as_ptr() as usize;
    let indent = line.len() - line.trim_start().len();
    SourceSpan::from(start + indent..start + line.trim_end().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_and_journal_groups() {
        assert_eq!(
            shell_words(r#"_SYSTEMD_UNIT=sshd.service + "_COMM=ss hd" a\ b"#),
            ["_SYSTEMD_UNIT=sshd.service", "+", "_COMM=ss hd", "a b"]
        );
        assert_eq!(shell_words("  "), Vec::<String>::new());
        assert_eq!(shell_words("''"), [""]);
    }

    #[test]
    fn line_spans_skip_indentation() {
        let text = "a = 1\n   b  \nc";
        assert_eq!(line_span(text, 2), SourceSpan::from(9..10));
        assert_eq!(line_span(text, 3), SourceSpan::from(13..14));
        assert_eq!(line_span(text, 9), SourceSpan::from(0..0));
    }
}
