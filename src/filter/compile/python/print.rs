//! Printing a [`Node`] tree for one of the two engines.
//!
//! - [`linear`]: the `regex` crate's syntax. With `superset` off, a
//!   construct that crate lacks is an error naming it; with it on, each is
//!   replaced by something that matches at least as much (a look-around by
//!   nothing, a backreference by any text, a conditional by either branch,
//!   atomic and possessive forms by plain ones), which makes a prefilter:
//!   a line it rejects, the real regex rejects too.
//! - [`backtracking`]: fancy-regex's syntax, which has all of them.
//!
//! Capture names that occur twice (a rewrite duplicates part of a pattern)
//! get a `__N` suffix in the linear form, which [`crate::filter::tags::GroupMap`]
//! folds back into one name.

use std::collections::HashMap;
use std::fmt::Write;

use super::ast::{ClassItem, GroupRef, Node};

/// Characters escaped outside a class.
const META: &str = "\\.+*?()|[]{}^$#&-~";

/// The regex-crate form of `node`; `Err` names the first construct it
/// lacks unless `superset`.
pub fn linear(node: &Node, superset: bool) -> Result<String, &'static str> {
    let mut p = Printer {
        out: String::new(),
        superset,
        fancy: false,
        names: HashMap::new(),
    };
    p.node(node)?;
    Ok(p.out)
}

/// The fancy-regex form of `node`.
pub fn backtracking(node: &Node) -> String {
    let mut p = Printer {
        out: String::new(),
        superset: false,
        fancy: true,
        names: HashMap::new(),
    };
    // Every construct has a fancy-regex form: this cannot fail.
    let _ = p.node(node);
    p.out
}

struct Printer {
    out: String,
    superset: bool,
    fancy: bool,
    /// Capture base names printed so far, with their count.
    names: HashMap<String, usize>,
}

impl Printer {
    fn lacks(&mut self, what: &'static str, stand_in: &str) -> Result<(), &'static str> {
        if !self.superset {
            return Err(what);
        }
        self.out.push_str(stand_in);
        Ok(())
    }

    fn node(&mut self, node: &Node) -> Result<(), &'static str> {
        match node {
            Node::Empty => {}
            Node::Raw(raw) => self.out.push_str(raw),
            Node::Literal(c) => literal(&mut self.out, *c),
            Node::Class { negated, items } => class(&mut self.out, *negated, items),
            Node::Perl(c) => {
                let _ = write!(self.out, "\\{c}");
            }
            Node::Dot => self.out.push('.'),
            // Python's `\Z` is the end of the text, the `regex` crate's `\z`.
            Node::Assert(a) => self.out.push_str(if *a == "\\Z" { "\\z" } else { a }),
            Node::Capture { name, sub, .. } => {
                match name {
                    Some(name) => {
                        let name = self.unique(name);
                        let _ = write!(self.out, "(?P<{name}>");
                    }
                    None => self.out.push('('),
                }
                self.node(sub)?;
                self.out.push(')');
            }
            Node::Group { flags, sub } => {
                let flags = self.flags(flags)?;
                let _ = write!(self.out, "(?{flags}:");
                self.node(sub)?;
                self.out.push(')');
            }
            Node::SetFlags(flags) => {
                let flags = self.flags(flags)?;
                if !flags.is_empty() {
                    let _ = write!(self.out, "(?{flags})");
                }
            }
            Node::Look { ahead, negate, sub } => self.look(*ahead, *negate, sub)?,
            Node::Backref(group) => self.backref(group)?,
            Node::Cond { group, yes, no } => self.cond(group, yes, no)?,
            Node::Atomic(sub) => {
                if !self.fancy && !self.superset {
                    return Err("an atomic group (?>...)");
                }
                self.out.push_str(if self.fancy { "(?>" } else { "(?:" });
                self.node(sub)?;
                self.out.push(')');
            }
            Node::Repeat {
                sub,
                min,
                max,
                greedy,
                possessive,
            } => self.repeat(sub, *min, *max, *greedy, *possessive)?,
            Node::Concat(items) => {
                for item in items {
                    let wrap = matches!(item, Node::Alt(_));
                    if wrap {
                        self.out.push_str("(?:");
                    }
                    self.node(item)?;
                    if wrap {
                        self.out.push(')');
                    }
                }
            }
            Node::Alt(branches) => {
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push('|');
                    }
                    self.node(branch)?;
                }
            }
        }
        Ok(())
    }

    fn look(&mut self, ahead: bool, negate: bool, sub: &Node) -> Result<(), &'static str> {
        if !self.fancy {
            return self.lacks("a look-around assertion", "");
        }
        let _ = write!(
            self.out,
            "(?{}{}",
            if ahead { "" } else { "<" },
            if negate { "!" } else { "=" }
        );
        self.node(sub)?;
        self.out.push(')');
        Ok(())
    }

    fn backref(&mut self, group: &GroupRef) -> Result<(), &'static str> {
        if !self.fancy {
            return self.lacks("a backreference", "(?s:.*?)");
        }
        match group {
            GroupRef::Name(name) => {
                let _ = write!(self.out, "\\k<{name}>");
            }
            GroupRef::Index(n) => {
                let _ = write!(self.out, "\\{n}");
            }
        }
        Ok(())
    }

    fn cond(&mut self, group: &GroupRef, yes: &Node, no: &Node) -> Result<(), &'static str> {
        if !self.fancy {
            if !self.superset {
                return Err("a conditional group (?(name)...|...)");
            }
            self.out.push_str("(?:");
            self.node(yes)?;
            self.out.push('|');
            self.node(no)?;
            self.out.push(')');
            return Ok(());
        }
        match group {
            GroupRef::Name(name) => {
                let _ = write!(self.out, "(?({name})");
            }
            GroupRef::Index(n) => {
                let _ = write!(self.out, "(?({n})");
            }
        }
        self.node(yes)?;
        self.out.push('|');
        self.node(no)?;
        self.out.push(')');
        Ok(())
    }

    fn repeat(
        &mut self,
        sub: &Node,
        min: u32,
        max: Option<u32>,
        greedy: bool,
        possessive: bool,
    ) -> Result<(), &'static str> {
        if possessive && !self.fancy && !self.superset {
            return Err("a possessive repetition");
        }
        let atomic = possessive && self.fancy;
        if atomic {
            self.out.push_str("(?>");
        }
        self.out.push_str("(?:");
        self.node(sub)?;
        self.out.push(')');
        match (min, max) {
            (0, None) => self.out.push('*'),
            (1, None) => self.out.push('+'),
            (0, Some(1)) => self.out.push('?'),
            (m, None) => {
                let _ = write!(self.out, "{{{m},}}");
            }
            (m, Some(n)) if m == n => {
                let _ = write!(self.out, "{{{m}}}");
            }
            (m, Some(n)) => {
                let _ = write!(self.out, "{{{m},{n}}}");
            }
        }
        if !greedy {
            self.out.push('?');
        }
        if atomic {
            self.out.push(')');
        }
        Ok(())
    }

    /// Python's flags in the target's spelling: `a` and `u` (ASCII or
    /// Unicode classes) are dropped, as lines are matched as ASCII bytes.
    fn flags(&self, flags: &str) -> Result<String, &'static str> {
        if flags.contains('L') {
            return Err("the locale flag (?L)");
        }
        let kept: String = flags.chars().filter(|c| !matches!(c, 'a' | 'u')).collect();
        Ok(kept.trim_end_matches('-').to_string())
    }

    fn unique(&mut self, name: &str) -> String {
        if self.fancy {
            return name.to_string();
        }
        let base = base_name(name);
        let count = self.names.entry(base.to_string()).or_insert(0);
        *count += 1;
        match *count {
            1 => base.to_string(),
            n => format!("{base}__{n}"),
        }
    }
}

/// `name` without a `__N` suffix.
pub fn base_name(name: &str) -> &str {
    match name.rsplit_once("__") {
        Some((base, n))
            if !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => name,
    }
}

fn literal(out: &mut String, c: char) {
    if META.contains(c) {
        out.push('\\');
        out.push(c);
    } else if c.is_ascii_control() {
        let _ = write!(out, "\\x{{{:02X}}}", c as u32);
    } else {
        out.push(c);
    }
}

fn class(out: &mut String, negated: bool, items: &[ClassItem]) {
    out.push('[');
    if negated {
        out.push('^');
    }
    let one = |out: &mut String, c: char| {
        if c.is_ascii_alphanumeric() || !c.is_ascii() {
            out.push(c);
        } else {
            let _ = write!(out, "\\x{{{:02X}}}", c as u32);
        }
    };
    for item in items {
        match item {
            ClassItem::Char(c) => one(out, *c),
            ClassItem::Range(a, b) => {
                one(out, *a);
                out.push('-');
                one(out, *b);
            }
            ClassItem::Perl(p) => {
                out.push('\\');
                out.push(*p);
            }
        }
    }
    out.push(']');
}
