//! `<name>` substitution between a filter's options, as fail2ban does it
//! (its `substituteRecursiveTags`).
//!
//! Each option's value has every `<name>` replaced by the option `name`,
//! or else by what a lookup finds (the `[Definition]` key `name`, or
//! `section/key`); a `<name>` found nowhere stays as it is (`<HOST>` is
//! the matcher's, `<W>` in a date pattern is literal text). A replacement
//! may contain tags, and a tag may be built of others (`<mdre-<mode>>`):
//! substitution repeats until nothing changes. An option referring to
//! itself, or one name replaced more than [`MAX_REPLACE`] times in one
//! value, is a loop and an error.

use std::collections::HashSet;

use super::{Fail2banError, Origin};

/// How often one name may be replaced within one value.
pub const MAX_REPLACE: usize = 25;

/// One option: its name, value and where the value was written.
#[derive(Debug, Clone)]
pub struct Tagged {
    pub name: String,
    pub text: String,
    pub origin: Origin,
    /// Line of each line of the value in its file, when known.
    pub lines: Vec<usize>,
}

/// Finds the value of a name no option has, `None` if nothing has it.
pub type Lookup<'a> = dyn FnMut(&str) -> Result<Option<String>, Fail2banError> + 'a;

/// The first `<name>` at or after byte `from`: (start, end, name). A name
/// is one or more characters other than space, `<` and `>`.
pub fn find_tag(text: &str, from: usize) -> Option<(usize, usize, &str)> {
    let bytes = text.as_bytes();
    let mut at = from;
    while let Some(offset) = memchr::memchr(b'<', &bytes[at.min(bytes.len())..]) {
        let start = at + offset;
        let name_len = bytes[start + 1..]
            .iter()
            .position(|&b| matches!(b, b' ' | b'<' | b'>'))
            .unwrap_or(bytes.len() - start - 1);
        let end = start + 1 + name_len;
        if name_len > 0 && bytes.get(end) == Some(&b'>') {
            return Some((start, end + 1, &text[start + 1..end]));
        }
        at = start + 1;
    }
    None
}

/// Substitutes tags in every option not in `ignore`, in place.
pub fn substitute(
    options: &mut [Tagged],
    ignore: &HashSet<String>,
    lookup: &mut Lookup<'_>,
) -> Result<(), Fail2banError> {
    let mut done: HashSet<String> = HashSet::new();
    let mut counts: Vec<Vec<(String, usize)>> = vec![Vec::new(); options.len()];
    loop {
        let mut again = false;
        for index in 0..options.len() {
            let name = options[index].name.clone();
            if ignore.contains(&name) || done.contains(&name) {
                continue;
            }
            let original = options[index].text.clone();
            let value = substitute_one(options, index, ignore, &mut counts[index], lookup)?;
            if value != original {
                again |= find_tag(&value, 0).is_some();
                options[index].text = value.clone();
            }
            if !value.contains('<') {
                done.insert(name);
            }
        }
        if !again {
            return Ok(());
        }
    }
}

/// One pass over option `index`'s value.
fn substitute_one(
    options: &[Tagged],
    index: usize,
    ignore: &HashSet<String>,
    counts: &mut Vec<(String, usize)>,
    lookup: &mut Lookup<'_>,
) -> Result<String, Fail2banError> {
    let own = &options[index];
    let mut value = own.text.clone();
    let mut from = 0;
    while let Some((start, end, tag)) = find_tag(&value, from) {
        let tag = tag.to_string();
        if ignore.contains(&tag) {
            from = end;
            continue;
        }
        let count = counts
            .iter()
            .find(|(t, _)| *t == tag)
            .map_or(0, |(_, c)| *c);
        if tag == own.name || count > MAX_REPLACE {
            let reason = if tag == own.name {
                format!("<{tag}> refers to itself (a loop), cannot substitute it")
            } else {
                format!(
                    "<{tag}> is substituted more than {MAX_REPLACE} times: options refer to each other in a loop"
                )
            };
            return Err(Fail2banError::Tag {
                origin: own.origin.clone(),
                key: own.name.clone(),
                reason,
            });
        }
        let replacement = match options.iter().find(|o| o.name == tag) {
            Some(option) => Some(option.text.clone()),
            None => lookup(&tag)?,
        };
        let Some(replacement) = replacement else {
            from = end;
            continue;
        };
        value = value.replace(&format!("<{tag}>"), &replacement);
        match counts.iter_mut().find(|(t, _)| *t == tag) {
            Some((_, c)) => *c += 1,
            None => counts.push((tag, 1)),
        }
        from = start;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn tagged(pairs: &[(&str, &str)]) -> Vec<Tagged> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, (name, text))| Tagged {
                name: name.to_string(),
                text: text.to_string(),
                origin: Origin::new(Path::new("f.conf"), i + 1),
                lines: vec![i + 1],
            })
            .collect()
    }

    fn run(pairs: &[(&str, &str)], extra: &[(&str, &str)]) -> Result<Vec<String>, String> {
        let mut options = tagged(pairs);
        let mut lookup = |name: &str| {
            Ok(extra
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string()))
        };
        substitute(&mut options, &HashSet::new(), &mut lookup).map_err(|e| e.to_string())?;
        Ok(options.into_iter().map(|o| o.text).collect())
    }

    #[test]
    fn nested_and_composite_tags_resolve_unknown_ones_stay() {
        let got = run(
            &[
                ("failregex", "^<mdre-<mode>> <HOST> <W>"),
                ("mode", "aggressive"),
                ("datepattern", "<lt_<logtype>/datepattern>"),
                ("logtype", "file"),
            ],
            &[
                ("mdre-aggressive", "<mdre-normal>|ddos"),
                ("mdre-normal", "normal"),
                ("lt_file/datepattern", "{^LN-BEG}"),
            ],
        )
        .unwrap();
        assert_eq!(got[0], "^normal|ddos <HOST> <W>");
        assert_eq!(got[2], "{^LN-BEG}");
    }

    #[test]
    fn self_reference_is_an_error_naming_the_option() {
        let err = run(&[("a", "x<b>"), ("b", "<a>")], &[]).unwrap_err();
        assert_eq!(
            err,
            "f.conf:1: `a`: <a> refers to itself (a loop), cannot substitute it"
        );
    }

    #[test]
    fn tag_syntax_is_fail2bans() {
        assert_eq!(find_tag("a <b c> <d>", 0), Some((8, 11, "d")));
        assert_eq!(find_tag("<<x>>", 0), Some((1, 4, "x")));
        assert_eq!(find_tag("<>", 0), None);
        assert_eq!(find_tag("x <y", 0), None);
    }
}
