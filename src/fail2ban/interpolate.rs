//! `%(name)s` interpolation, as Python's `BasicInterpolation` with
//! fail2ban's additions does it.
//!
//! `%(name)s` is looked up, case-insensitively, in the extra values (a
//! jail's options), then the section being read, then `[DEFAULT]`. Not
//! found there, `%(section/name)s` reads `name` of another section (or
//! `[DEFAULT]` when that section lacks it), `%(default/name)s` reads
//! `[DEFAULT]`, and `%(known/name)s` the value `name` had before the file
//! that last overrode it (else `[DEFAULT]`'s). A value found is itself
//! interpolated, in the context of the section being read, up to
//! [`MAX_DEPTH`] levels. `%%` is a literal `%`; any other `%` is an error.

use super::config::Config;
use super::ini::DEFAULT;
use super::{Fail2banError, Origin, Value};

/// How deep references may nest (Python's `MAX_INTERPOLATION_DEPTH`).
pub const MAX_DEPTH: usize = 10;

/// Interpolates values of one section, with extra values over its own.
pub struct Interpolator<'a> {
    config: &'a Config,
    section: &'a str,
    extra: &'a [(String, String)],
}

/// A value found for a reference: its text and where it was written.
struct Found<'a> {
    text: &'a str,
    origin: Option<&'a Origin>,
}

impl<'a> Interpolator<'a> {
    pub fn new(config: &'a Config, section: &'a str, extra: &'a [(String, String)]) -> Self {
        Interpolator {
            config,
            section,
            extra,
        }
    }

    /// `value` (the raw value of `key`) interpolated.
    pub fn expand(&self, key: &str, value: &Value) -> Result<String, Fail2banError> {
        let mut out = String::new();
        self.expand_into(&mut out, key, &value.text, &value.origin, 1)?;
        Ok(out)
    }

    /// An extra value of `key` interpolated; errors point at `origin` (the
    /// key's line in the file, if it has one).
    pub fn expand_extra(
        &self,
        key: &str,
        text: &str,
        origin: Option<Origin>,
    ) -> Result<Value, Fail2banError> {
        let origin = origin.unwrap_or_else(|| Origin::new(std::path::Path::new("<options>"), 0));
        let mut out = String::new();
        self.expand_into(&mut out, key, text, &origin, 1)?;
        Ok(Value {
            text: out,
            origin: origin.clone(),
            lines: vec![origin.line],
        })
    }

    fn expand_into(
        &self,
        out: &mut String,
        key: &str,
        text: &str,
        origin: &Origin,
        depth: usize,
    ) -> Result<(), Fail2banError> {
        if depth > MAX_DEPTH {
            return Err(Fail2banError::TooDeep {
                origin: origin.clone(),
                section: self.section.to_string(),
                key: key.to_string(),
                depth: MAX_DEPTH,
            });
        }
        let bad = |reason: String| Fail2banError::BadInterpolation {
            origin: origin.clone(),
            section: self.section.to_string(),
            key: key.to_string(),
            reason,
        };
        let mut rest = text;
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(after) = rest.strip_prefix("%%") {
                out.push('%');
                rest = after;
                continue;
            }
            let Some(inner) = rest.strip_prefix("%(") else {
                return Err(bad(format!(
                    "'%' must be followed by '%' or '(' (write %% for a literal %), found: {rest:?}"
                )));
            };
            let Some(end) = inner
                .find(')')
                .filter(|&e| e > 0 && inner[e..].starts_with(")s"))
            else {
                return Err(bad(format!("bad %(name)s reference: {rest:?}")));
            };
            let name = inner[..end].to_lowercase();
            rest = &inner[end + 2..];
            let found = self.lookup(&name).ok_or_else(|| Fail2banError::Undefined {
                origin: origin.clone(),
                section: self.section.to_string(),
                key: key.to_string(),
                name: name.clone(),
            })?;
            if found.text.contains('%') {
                let (key, origin) = match found.origin {
                    Some(o) => (name.as_str(), o),
                    None => (key, origin),
                };
                self.expand_into(out, key, found.text, origin, depth + 1)?;
            } else {
                out.push_str(found.text);
            }
        }
        out.push_str(rest);
        Ok(())
    }

    /// The raw value `name` stands for in this section's context.
    fn lookup(&self, name: &str) -> Option<Found<'a>> {
        if let Some((_, text)) = self
            .extra
            .iter()
            .rev()
            .find(|(k, _)| k.to_lowercase() == name)
        {
            return Some(Found { text, origin: None });
        }
        let config = self.config;
        let value = config
            .raw(self.section, name)
            .or_else(|| self.cross_section(name))?;
        Some(Found {
            text: &value.text,
            origin: Some(&value.origin),
        })
    }

    /// `section/name`, `default/name`, `known/name`.
    fn cross_section(&self, reference: &str) -> Option<&'a Value> {
        let (section, name) = reference.split_once('/')?;
        let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
        if section.is_empty() || !section.chars().all(word) || name.is_empty() {
            return None;
        }
        let config = self.config;
        let defaults = || config.raw_own(DEFAULT, name);
        match section {
            "default" => defaults(),
            "known" => config.raw_known(self.section, name).or_else(defaults),
            other => {
                let original = config
                    .sections
                    .iter()
                    .find(|(s, _)| s.to_lowercase() == other)
                    .map(|(s, _)| s.as_str())?;
                config.raw_own(original, name).or_else(defaults)
            }
        }
    }
}
