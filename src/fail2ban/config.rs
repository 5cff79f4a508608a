//! Several fail2ban files read as one configuration, as fail2ban's
//! `SafeConfigParserWithIncludes` reads them.
//!
//! - Each `NAME.conf` is followed by its `NAME.local` when that exists.
//! - A file's `[INCLUDES]` `before` files come before it and its `after`
//!   files after it, recursively (each with its own `.local`). A relative
//!   include is looked up beside the including file, then in the config
//!   root (the parent of `filter.d`, `action.d`, `jail.d`). A missing
//!   include is skipped, an include of a file already being included (a
//!   loop) is not followed; both with a [`Warning`], but for a missing
//!   `.local` include: that is an optional override (`after =
//!   common.local`, and Debian ships no `.local`), skipped silently as
//!   fail2ban skips it.
//! - Later files override earlier ones key by key. The value a key had
//!   before a file overrode it stays reachable as `known/KEY`.
//! - `[NAME?COND]` (a conditional section) adds its keys to `[NAME]` as
//!   `KEY?COND`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ini::{DEFAULT, IniFile};
use super::interpolate::Interpolator;
use super::{Fail2banError, Value, Warning};

/// Includes may nest this deep before the rest is skipped.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Keys of one section, in first-seen order.
pub(crate) type Keys = Vec<(String, Value)>;

/// Files read, includes resolved, later values over earlier ones.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Every file read, in reading order.
    pub files: Vec<PathBuf>,
    pub(crate) defaults: Keys,
    pub(crate) sections: Vec<(String, Keys)>,
    /// Per section, the values keys had before their last override.
    pub(crate) known: HashMap<String, Keys>,
}

impl Config {
    /// Reads the files in order (each NAME.conf followed by its NAME.local
    /// if present, includes resolved); later files override earlier ones
    /// key by key.
    pub fn read(paths: &[PathBuf], warnings: &mut Vec<Warning>) -> Result<Config, Fail2banError> {
        let mut config = Config::default();
        let mut cache = HashMap::new();
        for path in paths {
            // A file asked for by name must be readable; only includes may
            // be missing.
            if !cache.contains_key(path) {
                cache.insert(path.clone(), IniFile::read(path)?);
            }
            let mut order = Vec::new();
            for file in with_local(path) {
                collect(&file, &[], &mut cache, &mut order, warnings)?;
            }
            for file in order {
                config.merge(&cache[&file]);
                config.files.push(file);
            }
        }
        Ok(config)
    }

    /// The sections in first-seen order, `DEFAULT` excluded.
    pub fn sections(&self) -> Vec<String> {
        self.sections.iter().map(|(s, _)| s.clone()).collect()
    }

    /// Whether `section` was read (`DEFAULT` always is).
    pub fn has_section(&self, section: &str) -> bool {
        section == DEFAULT || self.section(section).is_some()
    }

    /// The section's own keys, then `DEFAULT`'s that it does not have.
    pub fn keys(&self, section: &str) -> Vec<String> {
        let own = self.own_keys(section);
        let mut keys = own.clone();
        for (k, _) in &self.defaults {
            if !own.contains(k) {
                keys.push(k.clone());
            }
        }
        keys
    }

    /// The section's own keys, without `DEFAULT`'s.
    pub fn own_keys(&self, section: &str) -> Vec<String> {
        self.section(section)
            .map(|keys| keys.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default()
    }

    /// The value as written (no interpolation), from the section or else
    /// from `DEFAULT`. Keys are case-insensitive.
    pub fn raw(&self, section: &str, key: &str) -> Option<&Value> {
        let key = key.to_lowercase();
        self.section(section)?;
        self.raw_own(section, &key)
            .or_else(|| find(&self.defaults, &key))
    }

    /// The value as written in the section itself (`DEFAULT` not consulted).
    pub fn raw_own(&self, section: &str, key: &str) -> Option<&Value> {
        self.section(section).and_then(|keys| find(keys, key))
    }

    /// The value `key` of `section` had before its last override (`known/KEY`).
    pub fn raw_known(&self, section: &str, key: &str) -> Option<&Value> {
        self.known.get(section).and_then(|keys| find(keys, key))
    }

    /// The value with its `%(name)s` references interpolated.
    pub fn get(&self, section: &str, key: &str) -> Result<Option<Value>, Fail2banError> {
        self.get_with(section, key, &[])
    }

    /// Like [`Config::get`], with `extra` values over the section's own, as
    /// a jail's options are over a filter's.
    pub fn get_with(
        &self,
        section: &str,
        key: &str,
        extra: &[(String, String)],
    ) -> Result<Option<Value>, Fail2banError> {
        let key = key.to_lowercase();
        let interpolator = Interpolator::new(self, section, extra);
        if let Some((_, text)) = extra.iter().rev().find(|(k, _)| k.to_lowercase() == key) {
            let value = self.raw(section, &key).cloned();
            let origin = value.map(|v| v.origin);
            return interpolator.expand_extra(&key, text, origin).map(Some);
        }
        let Some(value) = self.raw(section, &key) else {
            return Ok(None);
        };
        let text = interpolator.expand(&key, value)?;
        Ok(Some(value.with_text(text)))
    }

    pub(crate) fn section(&self, name: &str) -> Option<&Keys> {
        if name == DEFAULT {
            return Some(&self.defaults);
        }
        self.sections
            .iter()
            .find(|(s, _)| s == name)
            .map(|(_, k)| k)
    }

    /// Adds one file's values over the ones read so far.
    fn merge(&mut self, file: &IniFile) {
        for (key, value) in &file.defaults {
            set(&mut self.defaults, key, value.clone());
        }
        for (name, keys) in &file.sections {
            let (name, suffix) = match conditional(name) {
                Some((base, cond)) => (base, cond),
                None => (name.as_str(), ""),
            };
            let index = match self.sections.iter().position(|(s, _)| s == name) {
                Some(i) => i,
                None => {
                    self.sections.push((name.to_string(), Vec::new()));
                    self.sections.len() - 1
                }
            };
            for (key, value) in keys {
                let key = format!("{key}{suffix}");
                let target = &mut self.sections[index].1;
                if let Some(old) = find(target, &key) {
                    let old = old.clone();
                    set(self.known.entry(name.to_string()).or_default(), &key, old);
                }
                set(target, &key, value.clone());
            }
        }
    }
}

fn find<'a>(keys: &'a Keys, key: &str) -> Option<&'a Value> {
    keys.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn set(keys: &mut Keys, key: &str, value: Value) {
    match keys.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => keys.push((key.to_string(), value)),
    }
}

/// `NAME?COND` -> (`NAME`, `?COND`) when NAME is a word.
fn conditional(section: &str) -> Option<(&str, &str)> {
    let at = section.find('?')?;
    let (base, cond) = section.split_at(at);
    let word = !base.is_empty() && base.chars().all(|c| c.is_alphanumeric() || c == '_');
    (word && cond.len() > 1).then_some((base, cond))
}

/// `path`, then `path` with `.local` for `.conf` when that file exists.
fn with_local(path: &Path) -> Vec<PathBuf> {
    let mut files = vec![path.to_path_buf()];
    let local = path.with_extension("local");
    if local != path && local.is_file() {
        files.push(local);
    }
    files
}

/// Appends to `order` the files `path` stands for: its `before` includes,
/// itself, its `after` includes. `ancestors` are the files including it.
fn collect(
    path: &Path,
    ancestors: &[PathBuf],
    cache: &mut HashMap<PathBuf, IniFile>,
    order: &mut Vec<PathBuf>,
    warnings: &mut Vec<Warning>,
) -> Result<(), Fail2banError> {
    if !cache.contains_key(path) {
        cache.insert(path.to_path_buf(), IniFile::read(path)?);
    }
    let file = cache[path].clone();
    let mut chain = ancestors.to_vec();
    chain.push(path.to_path_buf());
    let before = includes(&file, "before")?;
    let after = includes(&file, "after")?;
    for (i, list) in [before, after].into_iter().enumerate() {
        if i == 1 {
            order.push(path.to_path_buf());
        }
        for (name, line) in list {
            let Some(target) = resolve(path, &name) else {
                if name.ends_with(".local") {
                    continue;
                }
                warnings.push(Warning {
                    message: format!(
                        "{}:{line}: include {name} not found, skipped (as fail2ban does)",
                        path.display()
                    ),
                });
                continue;
            };
            if chain.iter().any(|a| same_file(a, &target)) || chain.len() > MAX_INCLUDE_DEPTH {
                warnings.push(Warning {
                    message: format!(
                        "{}:{line}: include {} is already being included (an include loop), not read again",
                        path.display(),
                        target.display()
                    ),
                });
                continue;
            }
            for file in with_local(&target) {
                collect(&file, &chain, cache, order, warnings)?;
            }
        }
    }
    Ok(())
}

/// The `before` or `after` names of a file's `[INCLUDES]`, interpolated
/// within that file alone, with the line each is written on.
fn includes(file: &IniFile, which: &str) -> Result<Vec<(String, usize)>, Fail2banError> {
    let mut alone = Config::default();
    alone.merge(file);
    let Some(value) = alone.get("INCLUDES", which)? else {
        return Ok(Vec::new());
    };
    Ok(value
        .text
        .lines()
        .enumerate()
        .map(|(i, name)| (name.trim().to_string(), value.line_of(i)))
        .filter(|(name, _)| !name.is_empty())
        .collect())
}

/// An include's path: absolute as written, else beside the including file,
/// else in the config root.
fn resolve(including: &Path, name: &str) -> Option<PathBuf> {
    let name = Path::new(name);
    if name.is_absolute() {
        return name.is_file().then(|| name.to_path_buf());
    }
    let dir = including.parent().unwrap_or(Path::new("."));
    let beside = dir.join(name);
    if beside.is_file() {
        return Some(beside);
    }
    let root = config_root(dir)?;
    let in_root = root.join(name);
    in_root.is_file().then_some(in_root)
}

/// The parent of `filter.d`, `action.d`, `jail.d` (any `*.d`).
fn config_root(dir: &Path) -> Option<&Path> {
    let name = dir.file_name()?.to_str()?;
    name.ends_with(".d").then(|| dir.parent()).flatten()
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
