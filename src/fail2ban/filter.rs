//! A fail2ban filter file (`filter.d/NAME.conf`) resolved for one jail's
//! options, as fail2ban's `FilterReader` resolves it.
//!
//! The jail's options (`--mode`, `--set K=V`, `mode="M"` in KDL, the log
//! type) are fail2ban's filter options: they stand over the `[Init]`
//! values of the same name, and over `[Definition]`'s in `%(name)s`
//! references. The filter's settings (`prefregex`, `failregex`,
//! `ignoreregex`, `datepattern`, `maxlines`, `journalmatch`) are read from
//! `[Definition]`, `%(name)s`-interpolated; then `<name>` tags are
//! substituted between them, the `[Init]` values (also as `known/NAME`)
//! and the options, falling back to any `[Definition]` key or
//! `section/key` ([`tags`]). Without a log type in the options or in
//! `[Definition]`, it is `file`, or `journal` for a journal source.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::config::Config;
use super::tags::{self, Tagged, find_tag};
use super::{Fail2banError, Origin, Warning};
use crate::filter::FilterOptions;

/// The `[Definition]` keys a filter file sets.
const SETTINGS: [&str; 7] = [
    "usedns",
    "prefregex",
    "ignoreregex",
    "failregex",
    "maxlines",
    "datepattern",
    "journalmatch",
];

/// A filter file's settings for one set of options, tags substituted.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub path: PathBuf,
    /// The log type the settings were resolved for.
    pub logtype: String,
    /// Each setting that has a value (see [`SETTINGS`]).
    pub settings: Vec<Tagged>,
}

impl Resolved {
    pub fn setting(&self, name: &str) -> Option<&Tagged> {
        self.settings.iter().find(|s| s.name == name)
    }
}

/// Reads the filter at `path` (with its `.local` and includes) for
/// `options`; `journal` says the lines come from the journal.
pub fn resolve(
    path: &Path,
    options: &FilterOptions,
    journal: bool,
    warnings: &mut Vec<Warning>,
) -> Result<Resolved, Fail2banError> {
    let config = Config::read(&[path.to_path_buf()], warnings)?;
    if !config.has_section("Definition") {
        return Err(Fail2banError::NotAFilter {
            path: path.to_path_buf(),
        });
    }
    let mut jail = jail_options(options);
    if !jail.iter().any(|(k, _)| k == "logtype")
        && config.raw_own("Definition", "logtype").is_none()
    {
        let logtype = if journal { "journal" } else { "file" };
        jail.push(("logtype".to_string(), logtype.to_string()));
    }
    let mut combined = definition_settings(&config, &jail)?;
    let init = init_options(&config, &jail)?;
    for option in init {
        combined.retain(|c| c.name != option.name);
        combined.push(option);
    }
    let ignore: HashSet<String> = combined
        .iter()
        .filter_map(|o| o.name.split_once('?').map(|(base, _)| base.to_string()))
        .collect();
    let mut lookup = |name: &str| definition_option(&config, name, &jail);
    tags::substitute(&mut combined, &ignore, &mut lookup)?;
    let logtype = match combined.iter().find(|o| o.name == "logtype") {
        Some(o) => o.text.clone(),
        None => config
            .get_with("Definition", "logtype", &jail)?
            .map_or_else(|| "file".to_string(), |v| v.text),
    };
    combined.retain(|o| SETTINGS.contains(&o.name.as_str()));
    check_unresolved_tags(&combined, &jail)?;
    Ok(Resolved {
        path: path.to_path_buf(),
        logtype,
        settings: combined,
    })
}

/// The options as fail2ban's `name=value` filter options, keys lower-cased.
fn jail_options(options: &FilterOptions) -> Vec<(String, String)> {
    let mut jail: Vec<(String, String)> = Vec::new();
    let given = options
        .mode
        .iter()
        .map(|m| ("mode", m.as_str()))
        .chain(options.logtype.iter().map(|l| ("logtype", l.as_str())))
        .chain(options.set.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    for (key, value) in given {
        let key = key.to_lowercase();
        jail.retain(|(k, _)| *k != key);
        jail.push((key, value.to_string()));
    }
    jail
}

/// The filter settings of `[Definition]` not given as options,
/// interpolated with the options over the section's values; then the
/// options themselves.
fn definition_settings(
    config: &Config,
    jail: &[(String, String)],
) -> Result<Vec<Tagged>, Fail2banError> {
    let mut settings = Vec::new();
    for name in SETTINGS {
        if jail.iter().any(|(k, _)| k == name) {
            continue;
        }
        if let Some(value) = config.get_with("Definition", name, jail)? {
            // Lines map one to one only when interpolation added none.
            let lines = if value.lines.len() == value.text.split('\n').count() {
                value.lines.clone()
            } else {
                vec![value.origin.line]
            };
            settings.push(Tagged {
                name: name.to_string(),
                lines,
                text: value.text,
                origin: value.origin,
            });
        }
    }
    for (name, text) in jail {
        settings.push(option(name, text, options_origin()));
    }
    Ok(settings)
}

/// `[Init]`'s own keys, each also as `known/KEY`; an option of the same
/// name stands over the key (but not over `known/KEY`).
fn init_options(config: &Config, jail: &[(String, String)]) -> Result<Vec<Tagged>, Fail2banError> {
    let mut init = Vec::new();
    if !config.has_section("Init") {
        return Ok(init);
    }
    for key in config.own_keys("Init") {
        let Some(value) = config.get("Init", &key)? else {
            continue;
        };
        if !key.starts_with("known/") {
            init.push(option(
                &format!("known/{key}"),
                &value.text,
                value.origin.clone(),
            ));
        }
        if !jail.iter().any(|(k, _)| *k == key) {
            init.push(option(&key, &value.text, value.origin));
        }
    }
    Ok(init)
}

fn option(name: &str, text: &str, origin: Origin) -> Tagged {
    Tagged {
        name: name.to_string(),
        text: text.to_string(),
        lines: vec![origin.line],
        origin,
    }
}

fn options_origin() -> Origin {
    Origin::new(Path::new("<filter options>"), 0)
}

/// What `<name>` stands for when no option has that name: `[Definition]`'s
/// key, or for `section/key` that section's key (`known/KEY`: the value
/// before the last override, `default/KEY`: `[DEFAULT]`'s).
fn definition_option(
    config: &Config,
    name: &str,
    jail: &[(String, String)],
) -> Result<Option<String>, Fail2banError> {
    if let Some((section, key)) = section_key(name) {
        let found = match section.to_lowercase().as_str() {
            "known" => match config.raw_known("Definition", key) {
                Some(value) => Some(config_expand(config, "Definition", key, value)?),
                None => None,
            },
            "default" => config.get("DEFAULT", key)?.map(|v| v.text),
            _ if config.has_section(section) => config.get(section, key)?.map(|v| v.text),
            _ => None,
        };
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(config.get_with("Definition", name, jail)?.map(|v| v.text))
}

fn config_expand(
    config: &Config,
    section: &str,
    key: &str,
    value: &super::Value,
) -> Result<String, Fail2banError> {
    super::interpolate::Interpolator::new(config, section, &[]).expand(key, value)
}

/// `section/key` as a tag names it: a word (letters, digits, `_`, `-`),
/// `/`, then no blank and no `>`.
fn section_key(name: &str) -> Option<(&str, &str)> {
    let (section, key) = name.split_once('/')?;
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let ok = !section.is_empty()
        && section.chars().all(word)
        && !key.is_empty()
        && !key.contains(char::is_whitespace);
    ok.then_some((section, key))
}

/// A tag left unresolved that looks like an option reference: a name in
/// lower case with `_`, `-` or `/` (`<mdre-agressive>` from a mistyped
/// mode, `<__prefix_lin>`, `<lt_foo/datepattern>`). fail2ban would keep
/// it as literal text, a regex that never matches; here it is an error
/// naming the setting. Plain words (`<user>`, `<W>`) stay literal as in
/// fail2ban, as do named groups (`(?P<name>`).
fn check_unresolved_tags(
    settings: &[Tagged],
    jail: &[(String, String)],
) -> Result<(), Fail2banError> {
    for setting in settings {
        let mut from = 0;
        while let Some((start, end, tag)) = find_tag(&setting.text, from) {
            from = end;
            let named_group = setting.text[..start].ends_with("?P");
            let reference = tag.chars().any(|c| c.is_ascii_lowercase())
                && tag.contains(['_', '-', '/'])
                && tag
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-/.".contains(c));
            if named_group || !reference {
                continue;
            }
            let from_option = jail
                .iter()
                .find(|(_, v)| !v.is_empty() && tag.ends_with(&format!("-{v}")));
            let reason = match from_option {
                Some((key, value)) => {
                    format!("<{tag}> is not defined: is `{value}` a {key} this filter has?")
                }
                None if tag.contains('/') => {
                    format!("<{tag}> is not defined: no such section or key")
                }
                None => format!(
                    "<{tag}> is not defined: no filter option, [Init] or [Definition] key has this name"
                ),
            };
            return Err(Fail2banError::Tag {
                origin: setting.origin.clone(),
                key: setting.name.clone(),
                reason,
            });
        }
    }
    Ok(())
}
