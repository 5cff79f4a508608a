//! fail2ban's `datepattern`: one or more templates, tried in order, the
//! first that finds a date wins. Each line of the pattern is one of:
//!
//! - a regex with strptime-style `%` codes ([`super::codes`]), searched
//!   anywhere in the line, with fail2ban's word boundaries around it (it
//!   must not start or end inside a word) unless it is anchored with `^`
//!   or written `{UNB}...`; `{^LN-BEG}...` anchors it at the line's start,
//!   after at most two non-word characters;
//! - `EPOCH` (also `Epoch`, `LEPOCH`), `TAI64N`, each optionally
//!   `{^LN-BEG}`-anchored;
//! - `{^LN-BEG}` (or `{DEFAULT}`) alone: the default formats (as
//!   [`super::DatePattern::Auto`]), at the line's start for `{^LN-BEG}`;
//! - a regex around `{DATE}`: the default formats where `{DATE}` stands.
//!
//! The text cut out of the line (fail2ban's "date match") is the regex's
//! first unnamed group when it has one, else the whole match. TAI64N
//! labels are read as fail2ban reads them: seconds since 1970 without the
//! 10 s TAI-UTC difference, no fraction (the KDL `tai64n` format keeps its
//! documented, corrected reading).

use std::ops::Range;

use regex::bytes::{Regex, RegexBuilder};

use super::codes;
use crate::filter::compile::Backtracking;
use crate::filter::compile::python;

/// One compiled template.
#[derive(Debug, Clone)]
pub(super) enum F2bTemplate {
    Epoch {
        anchored: bool,
    },
    Tai64n {
        anchored: bool,
    },
    /// The default formats, at the line's start (after up to two
    /// non-word characters) when anchored.
    Default {
        anchored: bool,
    },
    /// `pre{DATE}post`.
    Around {
        pre: DateRegex,
        post: DateRegex,
        group_in_pre: bool,
    },
    Codes(DateRegex),
}

/// A date regex on whichever engine it needs.
#[derive(Debug, Clone)]
pub(super) struct DateRegex {
    linear: Regex,
    fallback: Option<Backtracking>,
    /// Group names by index, of the engine that takes the captures.
    names: Vec<Option<String>>,
}

/// The spans of one match's groups, by index.
pub(super) type Spans = Vec<Option<Range<usize>>>;

/// Why a `datepattern` line cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum F2bDateError {
    #[error(transparent)]
    Code(#[from] codes::UnknownCode),
    #[error("{0}")]
    Regex(String),
}

impl DateRegex {
    fn new(python: &str) -> Result<DateRegex, F2bDateError> {
        let t = python::translate(python).map_err(|e| F2bDateError::Regex(e.to_string()))?;
        let linear = RegexBuilder::new(&t.linear)
            .unicode(false)
            .build()
            .map_err(|e| F2bDateError::Regex(e.to_string()))?;
        let fallback = t
            .backtracking
            .map(|b| Backtracking::new(&b))
            .transpose()
            .map_err(F2bDateError::Regex)?;
        let names = match &fallback {
            Some(fb) => fb.capture_names().map(|n| n.map(str::to_string)).collect(),
            None => linear
                .capture_names()
                .map(|n| n.map(str::to_string))
                .collect(),
        };
        Ok(DateRegex {
            linear,
            fallback,
            names,
        })
    }

    /// The spans of the groups of the first match in `hay`.
    pub(super) fn find(&self, hay: &[u8]) -> Option<Spans> {
        match &self.fallback {
            None => {
                let caps = self.linear.captures(hay)?;
                Some(caps.iter().map(|m| m.map(|m| m.range())).collect())
            }
            Some(fb) => {
                if !self.linear.is_match(hay) {
                    return None;
                }
                let mut spans = None;
                fb.captures(hay, |get| {
                    spans = Some(
                        (0..self.names.len())
                            .map(|i| get(i).map(|(s, e)| s..e))
                            .collect(),
                    );
                });
                spans
            }
        }
    }

    /// The span of group `name` in `spans`; `""` is the whole match, `"1"`
    /// the first unnamed group.
    pub(super) fn group(&self, spans: &Spans, name: &str) -> Option<Range<usize>> {
        let index = match name {
            "" => 0,
            "1" => (1..self.names.len()).find(|&i| self.names[i].is_none())?,
            name => self.names.iter().position(|n| n.as_deref() == Some(name))?,
        };
        spans.get(index)?.clone()
    }
}

/// Compiles one line of a `datepattern`.
pub(super) fn compile(line: &str) -> Result<F2bTemplate, F2bDateError> {
    let line = line.trim();
    let (anchored, body) = match line.strip_prefix("{^LN-BEG}") {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let word = body.strip_prefix('^').unwrap_or(body);
    let anchored_any = anchored || body.starts_with('^');
    match word.to_ascii_uppercase().as_str() {
        "EPOCH" | "LEPOCH" => {
            return Ok(F2bTemplate::Epoch {
                anchored: anchored_any,
            });
        }
        "TAI64N" => {
            return Ok(F2bTemplate::Tai64n {
                anchored: anchored_any,
            });
        }
        "" | "{DEFAULT}" => return Ok(F2bTemplate::Default { anchored }),
        _ => {}
    }
    if let Some((pre, post)) = body.split_once("{DATE}") {
        let open = unclosed_group(pre);
        let pre_re = match open {
            Some(at) => format!("{}(?P<_g1>{})", &pre[..at], &pre[at + 1..]),
            None => pre.to_string(),
        };
        let post_re = match (open, closing_paren(post)) {
            (Some(_), Some(at)) => format!("^(?P<_g1>{}){}", &post[..at], &post[at + 1..]),
            _ => format!("^(?:{post})"),
        };
        return Ok(F2bTemplate::Around {
            pre: DateRegex::new(&pre_re)?,
            post: DateRegex::new(&post_re)?,
            group_in_pre: open.is_some(),
        });
    }
    let (unbound, body) = match body.strip_prefix("{UNB}") {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    // `**` at either end: no word boundary there.
    let (open_start, body) = match body.strip_prefix("**") {
        Some(rest) => (true, rest),
        None => (unbound, body),
    };
    let (open_end, body) = match body.strip_suffix("**") {
        Some(rest) => (true, rest),
        None => (unbound, body),
    };
    let (regex, letters) = codes::expand(body)?;
    let mut regex = if has_unnamed_group(&regex) {
        regex
    } else {
        match regex.strip_prefix('^') {
            Some(rest) => format!("^({rest})"),
            None => format!("({regex})"),
        }
    };
    if anchored {
        regex = format!(r"^(?:\W{{0,2}})?{regex}");
    } else if !open_start && !regex.starts_with('^') {
        regex = format!(r"(?:^|\b|(?=\W)){regex}");
    }
    let free_end = ["$", "\\b", "\\s"].iter().any(|e| body.ends_with(e));
    if !open_end && !free_end {
        regex.push_str(r"(?=\b|\W|$)");
    }
    if letters {
        regex = format!("(?i){regex}");
    }
    Ok(F2bTemplate::Codes(DateRegex::new(&regex)?))
}

/// Byte offsets of the parentheses of `regex` that open unnamed groups and
/// are not closed within it (escapes and classes skipped): the last one.
fn unclosed_group(regex: &str) -> Option<usize> {
    let mut stack: Vec<(usize, bool)> = Vec::new();
    scan_parens(regex, |at, open, unnamed| {
        if open {
            stack.push((at, unnamed));
        } else {
            stack.pop();
        }
    });
    stack
        .into_iter()
        .rev()
        .find(|(_, unnamed)| *unnamed)
        .map(|(at, _)| at)
}

/// The first `)` in `regex` without its `(`.
fn closing_paren(regex: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut found = None;
    scan_parens(regex, |at, open, _| {
        depth += if open { 1 } else { -1 };
        if depth < 0 && found.is_none() {
            found = Some(at);
        }
    });
    found
}

fn has_unnamed_group(regex: &str) -> bool {
    let mut any = false;
    scan_parens(regex, |_, open, unnamed| any |= open && unnamed);
    any
}

fn scan_parens(regex: &str, mut each: impl FnMut(usize, bool, bool)) {
    let b = regex.as_bytes();
    let (mut i, mut class) = (0, false);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' if !class => class = true,
            b']' if class => class = false,
            b'(' if !class => each(i, true, b.get(i + 1) != Some(&b'?')),
            b')' if !class => each(i, false, false),
            _ => {}
        }
        i += 1;
    }
}

/// A TAI64N label as fail2ban reads it: the 15 hex digits after `@4`.
pub(super) fn tai64n_seconds(b: &[u8], i: usize) -> Option<(i64, usize)> {
    if b.get(i) != Some(&b'@') {
        return None;
    }
    let hex = b.get(i + 1..i + 25)?;
    if !hex.iter().all(u8::is_ascii_hexdigit)
        || b.get(i + 25).is_some_and(u8::is_ascii_alphanumeric)
    {
        return None;
    }
    let seconds = i64::from_str_radix(std::str::from_utf8(&hex[1..16]).ok()?, 16).ok()?;
    Some((seconds, i + 25))
}

/// fail2ban's anchored default templates take a zone name or offset
/// before a syslog date at the line's start (`[PDT Apr 16 21:05:29]`):
/// `range`, the date found, widened to include one.
pub(super) fn with_zone_name(b: &[u8], range: Range<usize>) -> Range<usize> {
    let before = &b[..range.start];
    let Some(head) = before.strip_suffix(b" ") else {
        return range;
    };
    let word_start = head
        .iter()
        .rposition(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'+' || *c == b'-'))
        .map_or(0, |p| p + 1);
    let word = &head[word_start..];
    let zone = (3..=5).contains(&word.len()) && word.iter().all(u8::is_ascii_uppercase)
        || word.len() == 5
            && matches!(word[0], b'+' | b'-')
            && word[1..].iter().all(u8::is_ascii_digit);
    let lead = &head[..word_start];
    if zone
        && lead.len() <= 2
        && lead
            .iter()
            .all(|c| !c.is_ascii_alphanumeric() && *c != b'_')
    {
        word_start..range.end
    } else {
        range
    }
}

/// The end of a zone name or offset and its space at `i` (`PDT `,
/// `+0200 `), which fail2ban's default templates allow before a date, and
/// the zone's offset when it is one fail2ban knows.
pub(super) fn zone_name_end(b: &[u8], i: usize) -> Option<(usize, Option<i32>)> {
    let rest = b.get(i..)?;
    let len = rest.iter().position(|&c| c == b' ')?;
    let word = &rest[..len];
    if len == 5 && matches!(word[0], b'+' | b'-') && word[1..].iter().all(u8::is_ascii_digit) {
        return Some((i + len + 1, super::bytes::offset(word, 0).map(|(o, _)| o)));
    }
    let zone = (3..=5).contains(&len) && word.iter().all(u8::is_ascii_uppercase);
    zone.then(|| (i + len + 1, zone_offset(word)))
}

/// Seconds east of UTC of a zone abbreviation in common use; `None` for
/// one not listed (the filter's zone then applies).
pub(super) fn zone_offset(name: &[u8]) -> Option<i32> {
    const HOUR: i32 = 3_600;
    let hours = match name {
        b"UTC" | b"GMT" | b"Z" | b"UT" | b"WET" => 0,
        b"CET" | b"WEST" | b"BST" | b"MET" => 1,
        b"CEST" | b"EET" | b"MEST" | b"SAST" => 2,
        b"EEST" | b"MSK" => 3,
        b"JST" | b"KST" => 9,
        b"AEST" => 10,
        b"AEDT" => 11,
        b"NZST" => 12,
        b"NZDT" => 13,
        b"AST" | b"EDT" => -4,
        b"EST" | b"CDT" => -5,
        b"CST" | b"MDT" => -6,
        b"MST" | b"PDT" => -7,
        b"PST" | b"AKDT" => -8,
        b"AKST" | b"HDT" => -9,
        b"HST" => -10,
        _ => return None,
    };
    Some(hours * HOUR)
}
