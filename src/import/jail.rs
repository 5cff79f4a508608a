//! A fail2ban installation's jails, read as fail2ban's `JailsReader` reads
//! them, for `portcullis import-fail2ban`.
//!
//! Files, in fail2ban's order: `jail.conf`, `jail.d/*.conf`, `jail.local`,
//! `jail.d/*.local` (alphabetical within `jail.d`), each with the
//! `paths-*.conf` its `[INCLUDES]` names; later files override earlier ones
//! key by key. (The INI reader also reads each `.conf`'s `.local` right
//! after it; that `.local` is read again at its own place, so the last word
//! is fail2ban's.) Every section but `INCLUDES` is a jail; one with
//! `enabled` true is imported, its values interpolated with `%(__name__)s`
//! the jail's name. What has no counterpart in portcullis is kept as a
//! [`Note`], which the KDL writer turns into a comment and the CLI into a
//! line on stderr.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::action::{self, Actions};
use super::values::{Services, Spec, parse_bool, parse_spec};
use crate::config::Increment;
use crate::fail2ban::filter_def::{filter_journalmatch, journalmatch_groups};
use crate::fail2ban::{Config, Fail2banError, Warning};
use crate::nft::Ports;
use crate::time::BanTime;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// fail2ban's configuration directory, `/etc/fail2ban`.
    pub dir: PathBuf,
    /// Use our bundled filter of the same name where there is one.
    pub prefer_bundled: bool,
    pub services: Services,
}

/// A setting of a jail that portcullis cannot carry over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub jail: String,
    pub text: String,
}

/// One enabled jail, in portcullis's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedJail {
    pub name: String,
    /// False when the jail cannot run (no filter file, no log): written
    /// with `enabled #false` so the rest of the configuration still loads.
    pub runnable: bool,
    /// Explanations written above the jail's settings.
    pub comments: Vec<String>,
    pub notes: Vec<Note>,
    /// A path to a fail2ban filter file or a bundled filter's name.
    pub filter: String,
    pub filter_options: Vec<(String, String)>,
    pub sources: Vec<String>,
    /// OR of AND groups of journal matches; an empty group is every entry.
    pub journals: Vec<Vec<String>>,
    pub maxretry: Option<u32>,
    pub findtime: Option<Duration>,
    pub bantime: Option<BanTime>,
    pub increment: Option<Increment>,
    pub ignore: Vec<String>,
    pub ignoreself: Option<bool>,
    pub ports: Ports,
    /// Commented `notify` sketches, one line each.
    pub notify_sketches: Vec<String>,
}

/// fail2ban's files for `dir`, in its reading order.
pub fn jail_files(dir: &Path) -> Vec<PathBuf> {
    let listed = |ext: &str| {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("jail.d"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == ext) && p.is_file())
            .collect();
        files.sort();
        files
    };
    let mut files = vec![dir.join("jail.conf")];
    files.extend(listed("conf"));
    let local = dir.join("jail.local");
    if local.is_file() {
        files.push(local);
    }
    files.extend(listed("local"));
    files
}

/// Reads the jails of `options.dir`; `warnings` gets the reader's
/// warnings (missing includes, loops).
pub fn import(
    options: &ImportOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<ImportedJail>, Fail2banError> {
    let config = Config::read(&jail_files(&options.dir), warnings)?;
    let mut jails = Vec::new();
    for section in config.sections() {
        if section == "INCLUDES" {
            continue;
        }
        let reader = JailReader {
            config: &config,
            options,
            extra: vec![
                ("__name__".to_string(), section.clone()),
                ("fail2ban_version".to_string(), "1.0".to_string()),
                (
                    "fail2ban_confpath".to_string(),
                    absolute(&options.dir).display().to_string(),
                ),
            ],
            name: &section,
        };
        if reader.boolean("enabled")? == Some(true) {
            jails.push(reader.read().unwrap_or_else(|e| unreadable(&section, &e)));
        }
    }
    Ok(jails)
}

/// A jail whose values cannot be read (an undefined `%(x)s`): written
/// disabled, with the reason.
fn unreadable(name: &str, error: &Fail2banError) -> ImportedJail {
    let mut jail = ImportedJail::empty(name);
    jail.runnable = false;
    jail.filter = name.to_string();
    jail.notes.push(Note {
        jail: name.to_string(),
        text: format!("{error}; the jail is left disabled"),
    });
    jail
}

impl ImportedJail {
    pub(super) fn empty(name: &str) -> ImportedJail {
        ImportedJail {
            name: name.to_string(),
            runnable: true,
            comments: Vec::new(),
            notes: Vec::new(),
            filter: String::new(),
            filter_options: Vec::new(),
            sources: Vec::new(),
            journals: Vec::new(),
            maxretry: None,
            findtime: None,
            bantime: None,
            increment: None,
            ignore: Vec::new(),
            ignoreself: None,
            ports: Ports::All,
            notify_sketches: Vec::new(),
        }
    }
}

/// Reads one jail section.
pub(super) struct JailReader<'a> {
    config: &'a Config,
    options: &'a ImportOptions,
    extra: Vec<(String, String)>,
    pub(super) name: &'a str,
}

impl JailReader<'_> {
    pub(super) fn get(&self, key: &str) -> Result<Option<String>, Fail2banError> {
        let value = self.config.get_with(self.name, key, &self.extra)?;
        Ok(value.map(|v| v.text.trim().to_string()))
    }

    pub(super) fn boolean(&self, key: &str) -> Result<Option<bool>, Fail2banError> {
        Ok(self.get(key)?.and_then(|v| parse_bool(&v)))
    }

    fn read(&self) -> Result<ImportedJail, Fail2banError> {
        let mut jail = ImportedJail::empty(self.name);
        let filter = self.read_filter(&mut jail)?;
        self.read_logs(&mut jail, filter.as_ref())?;
        self.read_times(&mut jail)?;
        self.read_increment(&mut jail)?;
        self.read_ignore(&mut jail)?;
        self.read_actions(&mut jail)?;
        self.read_unmapped(&mut jail)?;
        Ok(jail)
    }

    pub(super) fn note(&self, jail: &mut ImportedJail, text: String) {
        jail.notes.push(Note {
            jail: self.name.to_string(),
            text,
        });
    }

    /// The filter: its file by path (or our bundled one), its options.
    /// Returns the fail2ban filter file, for `journalmatch`.
    fn read_filter(
        &self,
        jail: &mut ImportedJail,
    ) -> Result<Option<(PathBuf, Spec)>, Fail2banError> {
        let text = self.get("filter")?.unwrap_or_else(|| self.name.to_string());
        let spec = match parse_spec(&text) {
            Ok(s) => s,
            Err(why) => {
                self.note(
                    jail,
                    format!("filter = {text}: {why}; the jail is left disabled"),
                );
                jail.runnable = false;
                return Ok(None);
            }
        };
        if spec.name == "recidive" {
            super::recidive::adopt(jail);
            return Ok(None);
        }
        let filter_d = absolute(&self.options.dir).join("filter.d");
        let file = ["conf", "local"]
            .iter()
            .map(|ext| filter_d.join(format!("{}.{ext}", spec.name)))
            .find(|p| p.is_file());
        let bundled = crate::config::filters::is_bundled(&spec.name);
        if self.options.prefer_bundled && bundled {
            jail.filter = spec.name.clone();
            jail.filter_options = spec
                .options
                .iter()
                .filter(|(k, _)| k == "mode")
                .cloned()
                .collect();
            for (k, v) in spec.options.iter().filter(|(k, _)| k != "mode") {
                self.note(
                    jail,
                    format!(
                        "filter option {k}={v} has no counterpart in the bundled filter {}",
                        spec.name
                    ),
                );
            }
        } else if let Some(file) = &file {
            jail.filter = file.display().to_string();
            jail.filter_options = spec.options.clone();
        } else {
            jail.filter = spec.name.clone();
            self.note(
                jail,
                format!(
                    "filter {}: no {}/{}.conf; the jail is left disabled",
                    spec.name,
                    filter_d.display(),
                    spec.name
                ),
            );
            jail.runnable = false;
        }
        Ok(file.map(|f| (f, spec)))
    }

    /// `logpath` as sources, or the filter's `journalmatch` for `backend = systemd`.
    fn read_logs(
        &self,
        jail: &mut ImportedJail,
        filter: Option<&(PathBuf, Spec)>,
    ) -> Result<(), Fail2banError> {
        if !jail.journals.is_empty() {
            return Ok(()); // recidive: set already
        }
        let backend = self.get("backend")?.unwrap_or_else(|| "auto".into());
        let backend = parse_spec(&backend).map(|s| s.name).unwrap_or(backend);
        if backend == "systemd" {
            let matches = match self.get("journalmatch")? {
                Some(m) if !m.is_empty() => m,
                _ => match filter {
                    Some((path, spec)) => filter_journalmatch(path, &spec.options)?,
                    None => String::new(),
                },
            };
            jail.journals = journalmatch_groups(&matches);
            if jail.journals.is_empty() {
                // fail2ban then runs the filter on the whole journal.
                jail.journals.push(Vec::new());
                jail.comments.push(
                    "backend = systemd and no journalmatch: the filter reads every journal entry, as fail2ban's does".into(),
                );
            }
            return Ok(());
        }
        if !matches!(backend.as_str(), "auto" | "polling" | "pyinotify" | "gamin") {
            self.note(
                jail,
                format!(
                    "backend = {backend}: read as files (portcullis follows files with inotify)"
                ),
            );
        }
        for line in self.get("logpath")?.unwrap_or_default().lines() {
            if let Some(path) = line.split_whitespace().next() {
                jail.sources.push(path.to_string());
            }
        }
        if jail.sources.is_empty() {
            self.note(jail, "no logpath: the jail is left disabled".into());
            jail.runnable = false;
        }
        Ok(())
    }

    fn read_actions(&self, jail: &mut ImportedJail) -> Result<(), Fail2banError> {
        let port = self.get("port")?.unwrap_or_default();
        let protocol = self.get("protocol")?.unwrap_or_else(|| "tcp".into());
        let text = self.get("action")?.unwrap_or_default();
        let Actions {
            ports,
            notify,
            notes,
        } = action::classify(&text, &port, &protocol, &self.options.services);
        jail.ports = ports;
        jail.notify_sketches = notify;
        for n in notes {
            self.note(jail, n);
        }
        Ok(())
    }
}

pub(super) fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

#[cfg(test)]
#[path = "jail_tests.rs"]
mod tests;
