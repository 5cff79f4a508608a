//! The prefix (fail2ban's `prefregex`, the KDL `prefix`) compiled in its
//! full form and, where its shape allows, in a faster form that matches
//! only what comes before the content.

use super::compiled::{CompiledRegex, compile_item, compile_text};
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
            mlfid,
        });
    }
    Ok(Prefix {
        full,
        head: Some(head),
        head_is_mlfid,
        after_mlfid,
        mlfid,
    })
}
