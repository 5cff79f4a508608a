//! Tag expansion: turns a filter regex written with portcullis tags into the
//! syntax of the `regex` crate.
//!
//! | tag                      | expands to                                       |
//! |--------------------------|--------------------------------------------------|
//! | `<HOST>`                 | an address (`<ADDR>`) or a host name (`<DNS>`)   |
//! | `<ADDR>`                 | IPv4, IPv6 (also bracketed), IPv4-mapped IPv6    |
//! | `<IP4>` `<IP6>` `<DNS>`  | one kind only                                    |
//! | `<CIDR>`                 | a prefix length                                  |
//! | `<F-NAME>...</F-NAME>`   | the named capture `name` (lower case)            |
//! | `<SKIPLINES>`            | any number of whole lines (multi-line buffers)   |
//!
//! Special captures: `F-ID` (a failure id that is not an address, group
//! `fid`), `F-NOFAIL`, `F-MLFID`, `F-MLFFORGET`, `F-MLFGAINED`, `F-CONTENT`.
//!
//! The `regex` crate forbids two groups with one name, but a filter may use
//! `<HOST>` in several alternatives. Every occurrence after the first gets a
//! suffix (`ip4__2`), and [`GroupMap`] folds them back: a name's value is
//! the first of its groups that took part in the match.
//!
//! The base names of all the regexes of a filter are numbered once
//! ([`Names`]), so that the per-line code carries and compares a
//! [`NameId`], not a shared string.
//!
//! Invariant: expansion only adds groups and literal syntax; it never makes
//! matching super-linear (the `regex` crate guarantees linear time).

use std::collections::HashMap;
use std::sync::Arc;

use crate::filter::definition::Dialect;

/// Dotted quad; octets are range-checked after matching, not here.
const IP4: &str = r"(?:\d{1,3}\.){3}\d{1,3}";
/// Any run of hex groups with at least two colons, optionally ending in a
/// dotted quad; validated with the standard parser after matching.
const IP6: &str = r"[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:]*(?:\d+\.\d+\.\d+\.\d+)?";
/// fail2ban's IPv6 form: groups of one to four hex digits. (fail2ban ends
/// it with `(?<=:):`; the look-behind always holds there, as every group
/// before ends in a colon.) Stricter than [`IP6`], it stops before a port
/// written after the address (`2001:db8::1234:58430`).
const IP6_F2B: &str = r"(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|:)";
/// A host name: word characters, dots and dashes, ending in a word character.
const DNS: &str = r"[A-Za-z0-9_.\-]*[A-Za-z0-9_]";

/// Why a regex could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("unknown tag <{0}>")]
    Unknown(String),
    #[error("<{0}> is opened but never closed")]
    Unclosed(String),
    #[error("</{0}> closes a capture that is not open")]
    Unopened(String),
}

/// What a capture group means to the engine, decided once when the regex
/// is compiled, so that the per-line code compares roles, not names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Ip4,
    Ip6,
    Dns,
    Fid,
    Mlfid,
    Nofail,
    Gained,
    Forget,
    Content,
    User,
    /// `alt_NAME`: fills `NAME` when that is empty.
    Alt,
    /// Any other named capture (`port`, ...).
    Other,
}

impl Role {
    pub fn of(name: &str) -> Role {
        match name {
            "ip4" => Role::Ip4,
            "ip6" => Role::Ip6,
            "dns" => Role::Dns,
            "fid" => Role::Fid,
            "mlfid" => Role::Mlfid,
            "nofail" => Role::Nofail,
            "mlfgained" => Role::Gained,
            "mlfforget" => Role::Forget,
            "content" => Role::Content,
            "user" => Role::User,
            _ if name.starts_with("alt_") => Role::Alt,
            _ => Role::Other,
        }
    }

    /// Steers the engine; not one of the failure's captures.
    pub fn is_flag(self) -> bool {
        matches!(
            self,
            Role::Mlfid | Role::Nofail | Role::Gained | Role::Forget | Role::Content
        )
    }

    /// Not reported among the failure's captures (flags and the failure id).
    pub fn is_internal(self) -> bool {
        self.is_flag() || matches!(self, Role::Ip4 | Role::Ip6 | Role::Dns | Role::Fid)
    }
}

/// A capture's base name: its number in the filter's [`Names`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameId(u32);

/// The base names of the captures of one filter, each numbered once.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Name, its role, and for `alt_NAME` the id of `NAME`.
    names: Vec<(Arc<str>, Role, Option<NameId>)>,
}

impl Names {
    /// The id of `name`, numbered now if it is new.
    pub fn intern(&mut self, name: &str) -> NameId {
        if let Some(i) = self.names.iter().position(|(n, _, _)| &**n == name) {
            return NameId(i as u32);
        }
        let role = Role::of(name);
        let base = (role == Role::Alt).then(|| self.intern(alt_base(name)));
        self.names.push((Arc::from(name), role, base));
        NameId(self.names.len() as u32 - 1)
    }

    pub fn name(&self, id: NameId) -> &Arc<str> {
        &self.names[id.0 as usize].0
    }

    pub fn role(&self, id: NameId) -> Role {
        self.names[id.0 as usize].1
    }

    /// For `alt_NAME`, the id of `NAME`.
    pub fn alt_base(&self, id: NameId) -> Option<NameId> {
        self.names[id.0 as usize].2
    }
}

/// `NAME` of `alt_NAME` or `alt_NAME_2` (fail2ban numbers alternatives so).
fn alt_base(name: &str) -> &str {
    let rest = &name["alt_".len()..];
    match rest.rsplit_once('_') {
        Some((base, n))
            if !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => rest,
    }
}

/// The names of a compiled regex's capture groups, folded by base name.
#[derive(Debug, Clone, Default)]
pub struct GroupMap {
    /// Base name -> its role and group indices, in order of appearance.
    names: Vec<(NameId, Role, Vec<usize>)>,
}

impl GroupMap {
    /// Builds the map from the group names of a compiled regex, numbering
    /// new base names in `ids`.
    pub fn new<'a>(names: impl Iterator<Item = Option<&'a str>>, ids: &mut Names) -> GroupMap {
        let mut map: Vec<(NameId, Role, Vec<usize>)> = Vec::new();
        for (index, name) in names.enumerate() {
            let Some(name) = name else { continue };
            let base = crate::filter::compile::python::print::base_name(name);
            let id = ids.intern(base);
            match map.iter_mut().find(|(n, _, _)| *n == id) {
                Some((_, _, indices)) => indices.push(index),
                None => map.push((id, Role::of(base), vec![index])),
            }
        }
        GroupMap { names: map }
    }

    /// Base names with their roles and group indices.
    pub fn iter(&self) -> impl Iterator<Item = (NameId, Role, &[usize])> {
        self.names.iter().map(|(n, r, i)| (*n, *r, i.as_slice()))
    }

    /// The group indices of the base name with `role` (not for `Other` or
    /// `Alt`, which many names share).
    pub fn of_role(&self, role: Role) -> Option<&[usize]> {
        self.names
            .iter()
            .find(|(_, r, _)| *r == role)
            .map(|(_, _, i)| i.as_slice())
    }
}

/// Expands the tags of `regex`. Capture names are made unique.
pub fn expand(regex: &str) -> Result<String, TagError> {
    expand_in(regex, Dialect::Kdl)
}

/// [`expand`] for a filter of `dialect`. In a fail2ban filter an unknown
/// tag stays literal text (fail2ban leaves it as written) and
/// `<SKIPLINES>` is fail2ban's: a line break, then whole lines.
pub fn expand_in(regex: &str, dialect: Dialect) -> Result<String, TagError> {
    let mut out = String::with_capacity(regex.len() * 2);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = regex;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        // `(?P<name>` and `(?<name>` are the regex's own syntax, not tags.
        if out.ends_with("(?P") || out.ends_with("(?") || out.ends_with('\\') {
            out.push('<');
            rest = &after[1..];
            continue;
        }
        let Some(end) = after.find('>') else {
            out.push_str(after);
            rest = "";
            break;
        };
        let tag = &after[1..end];
        match expand_tag(tag, dialect, &mut seen, &mut open)? {
            Some(text) => {
                out.push_str(&text);
                rest = &after[end + 1..];
            }
            // Not a tag: the `<` is literal, and a tag may start right
            // after it (`user=<<F-USER>...</F-USER>>`).
            None => {
                out.push('<');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    match open.pop() {
        Some(name) => Err(TagError::Unclosed(name)),
        None => Ok(out),
    }
}

/// One tag's expansion, or `None` when `tag` is not tag syntax at all
/// (e.g. a literal `<` in `<invalid username>`).
fn expand_tag(
    tag: &str,
    dialect: Dialect,
    seen: &mut HashMap<String, usize>,
    open: &mut Vec<String>,
) -> Result<Option<String>, TagError> {
    let mut group = |name: &str, body: &str| format!("(?P<{}>{body})", unique(seen, name));
    // fail2ban's self-closed forms capture the same as the plain tags.
    let tag = match tag {
        "F-IP4/" | "F-IP6/" | "F-ADDR/" | "F-DNS/" | "F-CIDR/" | "F-SUBNET/" => {
            &tag[2..tag.len() - 1]
        }
        other => other,
    };
    let ip6 = match dialect {
        Dialect::Kdl => IP6,
        Dialect::Fail2ban => IP6_F2B,
    };
    let text = match tag {
        "F-ID/" => group("fid", r"\S+"),
        "F-PORT/" => group("port", r"\w+"),
        "SUBNET" => format!(
            r"\[?(?:(?:::[fF]{{4}}:)?{}|{})(?:/{})?\]?",
            group("ip4", IP4),
            group("ip6", ip6),
            group("cidr", r"\d{1,3}")
        ),
        "SKIPLINES" if dialect == Dialect::Fail2ban => r"\n(?:[^\n]*\n)*?".to_string(),
        "HOST" => format!(
            r"(?:\[?(?:(?:::[fF]{{4}}:)?{}|{})\]?|{})",
            group("ip4", IP4),
            group("ip6", ip6),
            group("dns", DNS)
        ),
        "ADDR" => format!(
            r"\[?(?:(?:::[fF]{{4}}:)?{}|{})\]?",
            group("ip4", IP4),
            group("ip6", ip6)
        ),
        "IP4" => group("ip4", IP4),
        "IP6" => format!(r"\[?{}\]?", group("ip6", ip6)),
        "DNS" => group("dns", DNS),
        "CIDR" => group("cidr", r"\d{1,3}"),
        "SKIPLINES" => r"(?:[^\n]*\n)*?".to_string(),
        _ => {
            let tag = capture_tag(tag, seen, open);
            return match (tag, dialect) {
                (Err(TagError::Unknown(_) | TagError::Unopened(_)), Dialect::Fail2ban) => Ok(None),
                (tag, _) => tag,
            };
        }
    };
    Ok(Some(text))
}

/// `<F-NAME>` and `</F-NAME>`.
fn capture_tag(
    tag: &str,
    seen: &mut HashMap<String, usize>,
    open: &mut Vec<String>,
) -> Result<Option<String>, TagError> {
    if let Some(name) = tag.strip_prefix("/F-") {
        if !is_capture_name(name) {
            return Ok(None);
        }
        return match open.pop() {
            Some(top) if top == name => Ok(Some(")".to_string())),
            _ => Err(TagError::Unopened(format!("F-{name}"))),
        };
    }
    if let Some(name) = tag.strip_prefix("F-") {
        if !is_capture_name(name) {
            return Ok(None);
        }
        open.push(name.to_string());
        let group = capture_group_name(name);
        return Ok(Some(format!("(?P<{}>", unique(seen, &group))));
    }
    if tag.chars().all(|c| c.is_ascii_uppercase() || c == '-') && !tag.is_empty() {
        return Err(TagError::Unknown(tag.to_string()));
    }
    Ok(None)
}

fn is_capture_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `ID` is the failure id group `fid`; every other name is lower-cased.
fn capture_group_name(name: &str) -> String {
    match name {
        "ID" => "fid".to_string(),
        _ => name.to_ascii_lowercase(),
    }
}

fn unique(seen: &mut HashMap<String, usize>, name: &str) -> String {
    let count = seen.entry(name.to_string()).or_insert(0);
    *count += 1;
    if *count == 1 {
        name.to_string()
    } else {
        format!("{name}__{count}")
    }
}

#[cfg(test)]
mod tests;
