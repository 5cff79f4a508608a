//! One fail2ban configuration file, parsed as fail2ban's config reader
//! (Python's `configparser` with fail2ban's settings) parses it, without
//! includes or interpolation (those are [`super::config`]'s).
//!
//! The dialect, line by line:
//! - a line whose first non-blank character is `#` or `;` is a comment;
//!   a `;` at the start of a line or after a blank starts an inline comment;
//! - `[NAME]` opens section NAME (case-sensitive; `[DEFAULT]` is special);
//! - `key = value` or `key: value` (the first `=` or `:` splits) sets a key,
//!   lower-cased, in the current section;
//! - a line indented deeper than its key's line continues the value (one
//!   value line each); blank lines inside a value are kept, trailing ones
//!   dropped;
//! - the same section or key twice in one file is an error, as is a key
//!   before any section or a line that is none of these.

use std::path::{Path, PathBuf};

use super::{Fail2banError, Origin, Value};

/// Name of the section whose keys every other section falls back to.
pub const DEFAULT: &str = "DEFAULT";

/// The sections of one file in file order, each with its keys in order.
#[derive(Debug, Clone, Default)]
pub struct IniFile {
    pub path: PathBuf,
    pub defaults: Vec<(String, Value)>,
    pub sections: Vec<(String, Vec<(String, Value)>)>,
}

/// A key being read: its name, where it goes, its lines so far.
struct Pending {
    section: Option<usize>,
    key: String,
    indent: usize,
    lines: Vec<(String, usize)>,
}

impl IniFile {
    /// Reads and parses `path`; bytes that are not UTF-8 are replaced.
    pub fn read(path: &Path) -> Result<IniFile, Fail2banError> {
        let bytes = std::fs::read(path).map_err(|source| Fail2banError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        IniFile::parse(path, &String::from_utf8_lossy(&bytes))
    }

    /// Parses `text` as the content of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<IniFile, Fail2banError> {
        let mut file = IniFile {
            path: path.to_path_buf(),
            ..IniFile::default()
        };
        // `None`: no section yet; `Some(None)`: DEFAULT; `Some(Some(i))`: sections[i].
        let mut current: Option<Option<usize>> = None;
        let mut pending: Option<Pending> = None;
        let mut seen_sections: Vec<String> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let (content, had_comment) = strip_comment(raw);
            let content = content.trim();
            if content.is_empty() {
                if let Some(p) = pending.as_mut().filter(|_| !had_comment) {
                    p.lines.push((String::new(), number));
                }
                continue;
            }
            let indent = raw.len() - raw.trim_start().len();
            if let Some(p) = pending.as_mut().filter(|p| indent > p.indent) {
                p.lines.push((content.to_string(), number));
                continue;
            }
            file.finish(pending.take());
            let syntax = |reason: String| Fail2banError::Syntax {
                origin: Origin::new(path, number),
                reason,
            };
            if let Some(name) = section_header(content) {
                if seen_sections.iter().any(|s| s == name) {
                    return Err(syntax(format!("section [{name}] appears twice")));
                }
                seen_sections.push(name.to_string());
                current = Some(file.open_section(name));
                continue;
            }
            let Some(section) = current else {
                return Err(syntax(format!(
                    "`{content}` comes before any [section] header"
                )));
            };
            let (key, value) = split_option(content).ok_or_else(|| {
                syntax(format!(
                    "`{content}` is neither a [section], a `key = value` nor a comment"
                ))
            })?;
            if file.has_key(section, &key) {
                return Err(syntax(format!("key `{key}` appears twice in this section")));
            }
            pending = Some(Pending {
                section,
                key,
                indent,
                lines: vec![(value.to_string(), number)],
            });
        }
        file.finish(pending.take());
        Ok(file)
    }

    fn open_section(&mut self, name: &str) -> Option<usize> {
        if name == DEFAULT {
            return None;
        }
        self.sections.push((name.to_string(), Vec::new()));
        Some(self.sections.len() - 1)
    }

    fn keys_mut(&mut self, section: Option<usize>) -> &mut Vec<(String, Value)> {
        match section {
            None => &mut self.defaults,
            Some(i) => &mut self.sections[i].1,
        }
    }

    fn has_key(&mut self, section: Option<usize>, key: &str) -> bool {
        self.keys_mut(section).iter().any(|(k, _)| k == key)
    }

    /// Stores a finished key: its lines joined, trailing blank lines dropped.
    fn finish(&mut self, pending: Option<Pending>) {
        let Some(mut p) = pending else { return };
        while p.lines.len() > 1 && p.lines.last().is_some_and(|(l, _)| l.is_empty()) {
            p.lines.pop();
        }
        let text = p
            .lines
            .iter()
            .map(|(l, _)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let text = text.trim_end().to_string();
        let value = Value {
            text,
            origin: Origin::new(&self.path, p.lines[0].1),
            lines: p.lines.iter().map(|(_, n)| *n).collect(),
        };
        self.keys_mut(p.section).push((p.key, value));
    }
}

/// The line without its comment, and whether it had one. A whole-line
/// comment starts with `#` or `;`; an inline one is a `;` at the start or
/// after a blank.
fn strip_comment(line: &str) -> (&str, bool) {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return ("", true);
    }
    let mut previous_blank = true;
    for (i, c) in line.char_indices() {
        if c == ';' && previous_blank {
            return (&line[..i], true);
        }
        previous_blank = c.is_whitespace();
    }
    (line, false)
}

/// `[NAME]` (with anything after the last `]` ignored, as Python does).
fn section_header(content: &str) -> Option<&str> {
    let rest = content.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// `key = value` or `key: value`, split at the first `=` or `:`; the key
/// lower-cased and trimmed.
fn split_option(content: &str) -> Option<(String, &str)> {
    let at = content.find(['=', ':'])?;
    let key = content[..at].trim_end();
    if key.is_empty() {
        return None;
    }
    Some((key.to_lowercase(), content[at + 1..].trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<IniFile, Fail2banError> {
        IniFile::parse(Path::new("/etc/f2b/filter.d/t.conf"), text)
    }

    fn get<'a>(file: &'a IniFile, section: &str, key: &str) -> &'a Value {
        let keys = &file.sections.iter().find(|(s, _)| s == section).unwrap().1;
        &keys.iter().find(|(k, _)| k == key).unwrap().1
    }

    #[test]
    fn keys_values_and_continuation_lines() {
        let file = parse(
            "# head\n[Definition]\nFailRegex = ^one$ ; why\n    ^two: x$\n  # skipped\n\n\t^three$\n\nb: c = d\n[DEFAULT]\nx=1\n",
        )
        .unwrap();
        let v = get(&file, "Definition", "failregex");
        assert_eq!(v.text, "^one$\n^two: x$\n\n^three$");
        assert_eq!(v.origin.line, 3);
        assert_eq!(v.lines, vec![3, 4, 6, 7]);
        assert_eq!(get(&file, "Definition", "b").text, "c = d");
        assert_eq!(file.defaults[0].0, "x");
        assert_eq!(file.defaults[0].1.text, "1");
    }

    #[test]
    fn empty_first_line_is_kept_and_semicolon_inside_a_word_is_not_a_comment() {
        let file = parse("[D]\nr =\n  a;b\n  c ;d\n").unwrap();
        assert_eq!(get(&file, "D", "r").text, "\na;b\nc");
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let cases = [
            (
                "a = 1\n",
                "/etc/f2b/filter.d/t.conf:1: `a = 1` comes before any [section] header",
            ),
            (
                "[A]\nnot an option\n",
                "/etc/f2b/filter.d/t.conf:2: `not an option` is neither a [section], a `key = value` nor a comment",
            ),
            (
                "[A]\nx=1\nX=2\n",
                "/etc/f2b/filter.d/t.conf:3: key `x` appears twice in this section",
            ),
            (
                "[A]\n[B]\n[A]\n",
                "/etc/f2b/filter.d/t.conf:3: section [A] appears twice",
            ),
            (
                "[A]\n= 1\n",
                "/etc/f2b/filter.d/t.conf:2: `= 1` is neither a [section], a `key = value` nor a comment",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text).unwrap_err().to_string(), want, "{text:?}");
        }
    }
}
