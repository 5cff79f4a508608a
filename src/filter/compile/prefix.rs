//! The prefix (fail2ban's `prefregex`, the KDL `prefix`) compiled in its
//! full form and, where its shape allows, in a faster form that matches
//! only what comes before the content.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

use super::compiled::{CompiledRegex, compile_item, compile_text, parse_bytes};
use super::defines::Defines;
use super::fail2ban::item_text;
use crate::diagnostic::KdlProblem;
use crate::filter::definition::{FilterDef, Item};
use crate::filter::tags::{NameId, Names};

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
    /// With `head_is_mlfid`: what the prefix writes between the connection
    /// id and the content, when that has no capture (fail2ban's sshd:
    /// `(?:(?:error|fatal): (?:PAM: )?)?`), matched after the id's end.
    pub after_mlfid: Option<CompiledRegex>,
    /// When `after_mlfid` is optional as a whole (sshd's is): the bytes a
    /// non-empty match of it can start with. On any other byte its match
    /// is the empty one, without running it (it was a regex search on
    /// every line of a log, most of which start otherwise).
    pub after_starts: Option<Box<[bool; 256]>>,
    /// The name `mlfid`, for the span the fast form records.
    pub mlfid: NameId,
}

/// The suffix that lets a prefix use the fast form.
const CONTENT_TAIL: &str = "<F-CONTENT>.+</F-CONTENT>$";

pub(super) fn compile_prefix(
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
            after_mlfid: None,
            after_starts: None,
            mlfid,
        });
    };
    let mlfid_parts = head_text
        .strip_prefix("^<F-MLFID>")
        .and_then(|t| t.split_once("</F-MLFID>"))
        .filter(|(inner, after)| {
            !inner.contains("<F-") && !after.contains("<F-") && !after.contains("\\b")
        });
    let (head_text, head_is_mlfid) = match mlfid_parts {
        Some((inner, _)) => (format!("^(?:{inner})"), true),
        None => (head_text.to_string(), false),
    };
    let head = compile_text(def, item, &head_text, names)?;
    let after_mlfid = match mlfid_parts {
        Some((_, after)) if !after.is_empty() => {
            Some(compile_text(def, item, &format!("^(?:{after})"), names)?)
        }
        _ => None,
    };
    let plain = |re: &CompiledRegex| re.fallback.is_none() && re.regex.captures_len() == 1;
    if head.fallback.is_some() || after_mlfid.as_ref().is_some_and(|a| !plain(a)) {
        return Ok(Prefix {
            full,
            head: None,
            head_is_mlfid: false,
            after_mlfid: None,
            after_starts: None,
            mlfid,
        });
    }
    let after_starts = after_mlfid
        .as_ref()
        .and_then(|a| parse_bytes(a.regex.as_str()))
        .and_then(|hir| optional_starts(&hir));
    Ok(Prefix {
        full,
        head: Some(head),
        head_is_mlfid,
        after_mlfid,
        after_starts,
        mlfid,
    })
}

/// For `^X?` (or `^X*`, any repetition that may be empty): the bytes a
/// non-empty match of X can start with, a superset where look-arounds
/// make it hard to tell. `None` for any other shape.
fn optional_starts(hir: &Hir) -> Option<Box<[bool; 256]>> {
    let items = match hir.kind() {
        HirKind::Concat(items) => items.as_slice(),
        _ => std::slice::from_ref(hir),
    };
    let [start, optional] = items else {
        return None;
    };
    let (HirKind::Look(Look::Start), HirKind::Repetition(r)) = (start.kind(), optional.kind())
    else {
        return None;
    };
    if r.min != 0 {
        return None;
    }
    let mut starts = Box::new([false; 256]);
    first_bytes(&r.sub, &mut starts)?;
    Some(starts)
}

/// Adds the bytes a non-empty match of `hir` can start with to `starts`;
/// returns whether `hir` can match empty (`None`: a shape not handled).
fn first_bytes(hir: &Hir, starts: &mut [bool; 256]) -> Option<bool> {
    Some(match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => {
            starts[usize::from(*lit.0.first()?)] = true;
            false
        }
        HirKind::Class(Class::Bytes(class)) => {
            for range in class.ranges() {
                (range.start()..=range.end()).for_each(|b| starts[usize::from(b)] = true);
            }
            false
        }
        HirKind::Class(Class::Unicode(_)) => return None,
        HirKind::Capture(c) => first_bytes(&c.sub, starts)?,
        HirKind::Repetition(r) => first_bytes(&r.sub, starts)? || r.min == 0,
        HirKind::Concat(items) => {
            for item in items {
                if !first_bytes(item, starts)? {
                    return Some(false);
                }
            }
            true
        }
        HirKind::Alternation(items) => {
            let mut empty = false;
            for item in items {
                empty |= first_bytes(item, starts)?;
            }
            empty
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::hir_check::parse;
    use super::*;

    fn starts(pattern: &str) -> Option<String> {
        let set = optional_starts(&parse(pattern))?;
        Some(
            (0..=255u8)
                .filter(|&b| set[usize::from(b)])
                .map(char::from)
                .collect(),
        )
    }

    #[test]
    fn the_bytes_an_optional_part_can_start_with() {
        // sshd's level and PAM glue before the content.
        assert_eq!(
            starts(r"^(?:(?:error|fatal): (?:PAM: )?)?").as_deref(),
            Some("ef")
        );
        assert_eq!(starts(r"^(?:(?:a|)?b?c)*").as_deref(), Some("abc"));
        assert_eq!(starts(r"^(?:\b[x-z]+)?").as_deref(), Some("xyz"));
    }

    #[test]
    fn a_part_that_must_match_or_is_not_alone_gives_none() {
        for pattern in [r"^(?:error: )", r"^x?y", r"(?:error: )?", r"^(?:ab){1,2}"] {
            assert_eq!(starts(pattern), None, "{pattern}");
        }
    }
}
