//! `define` nodes: named pieces of regex, substituted for `%(name)` in a
//! filter's regexes (and in each other, up to [`MAX_DEFINE_DEPTH`] deep).

use std::collections::HashMap;

use crate::filter::definition::{Item, ItemKind};

/// `%(name)` may nest this deep.
const MAX_DEFINE_DEPTH: usize = 16;

/// The active `define`s; a later one of a name wins.
pub(super) struct Defines<'a> {
    by_name: HashMap<&'a str, &'a Item>,
}

impl<'a> Defines<'a> {
    pub(super) fn new(active: &[&'a Item]) -> Defines<'a> {
        let mut by_name = HashMap::new();
        for item in active {
            if let ItemKind::Define(name) = &item.kind {
                by_name.insert(name.as_str(), *item);
            }
        }
        Defines { by_name }
    }

    /// Substitutes every `%(name)` in `text`, recursively.
    pub(super) fn substitute(&self, text: &str, depth: usize) -> Result<String, String> {
        if depth > MAX_DEFINE_DEPTH {
            return Err(format!(
                "definitions nest deeper than {MAX_DEFINE_DEPTH} (a cycle?)"
            ));
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("%(") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find(')').ok_or("`%(` without closing `)`")?;
            let name = &after[..end];
            let item = self
                .by_name
                .get(name)
                .ok_or_else(|| format!("`%({name})` is not defined"))?;
            out.push_str(&self.substitute(&item.text, depth + 1)?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}
