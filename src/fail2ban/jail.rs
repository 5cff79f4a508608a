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
use super::values::{Services, Spec, parse_bool, parse_spec, parse_time};
use super::{Config, Fail2banError, Warning};
use crate::config::{BanTime, Growth, Increment};
use crate::nft::Ports;

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
    /// OR of AND groups of journal matches.
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
    fn empty(name: &str) -> ImportedJail {
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
struct JailReader<'a> {
    config: &'a Config,
    options: &'a ImportOptions,
    extra: Vec<(String, String)>,
    name: &'a str,
}

impl JailReader<'_> {
    fn get(&self, key: &str) -> Result<Option<String>, Fail2banError> {
        let value = self.config.get_with(self.name, key, &self.extra)?;
        Ok(value.map(|v| v.text.trim().to_string()))
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, Fail2banError> {
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

    fn note(&self, jail: &mut ImportedJail, text: String) {
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
        let bundled = crate::filter::bundled::get(&spec.name).is_some();
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
            jail.journals = parse_journalmatch(&matches);
            if jail.journals.is_empty() {
                self.note(jail, "backend = systemd, but neither the jail nor its filter has a journalmatch: reading the whole journal is not imported; the jail is left disabled".into());
                jail.runnable = false;
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

    fn read_times(&self, jail: &mut ImportedJail) -> Result<(), Fail2banError> {
        if let Some(v) = self.get("maxretry")? {
            match v.parse::<u32>() {
                Ok(n) if n > 0 => jail.maxretry = Some(n),
                _ => self.note(
                    jail,
                    format!("maxretry = {v} is not a positive number; the default 5 is used"),
                ),
            }
        }
        for key in ["findtime", "bantime"] {
            let Some(v) = self.get(key)? else { continue };
            match (key, parse_time(&v)) {
                ("bantime", Ok(b)) => jail.bantime = Some(b),
                ("findtime", Ok(BanTime::For(d))) if !d.is_zero() => jail.findtime = Some(d),
                (_, Ok(_)) => self.note(
                    jail,
                    format!("{key} = {v} cannot be used; the default 10m is used"),
                ),
                (_, Err(why)) => self.note(jail, format!("{key}: {why}; the default 10m is used")),
            }
        }
        if jail.bantime == Some(BanTime::For(Duration::ZERO)) {
            self.note(
                jail,
                "bantime = 0 cannot be used; the default 10m is used".into(),
            );
            jail.bantime = None;
        }
        Ok(())
    }

    fn read_increment(&self, jail: &mut ImportedJail) -> Result<(), Fail2banError> {
        if self.boolean("bantime.increment")? != Some(true) {
            return Ok(());
        }
        let mut inc = Increment {
            growth: Growth::Exponential { factor: 1.0 },
            max: None,
            jitter: Duration::ZERO,
            across_jails: self.boolean("bantime.overalljails")? == Some(true),
        };
        if let Some(f) = self.get("bantime.factor")?.filter(|f| !f.is_empty()) {
            match f.parse::<f64>() {
                Ok(f) if f > 0.0 && f.is_finite() => inc.growth = Growth::Exponential { factor: f },
                _ => self.note(
                    jail,
                    format!("bantime.factor = {f} is not a positive number; 1 is used"),
                ),
            }
        }
        if let Some(formula) = self.get("bantime.formula")?.filter(|f| !f.is_empty()) {
            if !is_default_formula(&formula) {
                self.note(jail, format!("bantime.formula = {formula}: only the default formula (or bantime.multipliers) is available; the default is used"));
            }
        }
        if let Some(m) = self.get("bantime.multipliers")?.filter(|m| !m.is_empty()) {
            let list: Result<Vec<f64>, _> = m.split_whitespace().map(str::parse::<f64>).collect();
            match list {
                Ok(l) if !l.is_empty() && l.iter().all(|x| *x > 0.0 && x.is_finite()) => {
                    inc.growth = Growth::Multipliers(l)
                }
                _ => self.note(
                    jail,
                    format!("bantime.multipliers = {m} are not all positive numbers; not used"),
                ),
            }
        }
        for (key, slot) in [("bantime.maxtime", 0), ("bantime.rndtime", 1)] {
            let Some(v) = self.get(key)?.filter(|v| !v.is_empty()) else {
                continue;
            };
            match parse_time(&v) {
                Ok(BanTime::For(d)) if slot == 0 => inc.max = Some(d),
                Ok(BanTime::For(d)) => inc.jitter = d,
                _ => self.note(jail, format!("{key} = {v} is not a time; not used")),
            }
        }
        jail.increment = Some(inc);
        Ok(())
    }

    fn read_ignore(&self, jail: &mut ImportedJail) -> Result<(), Fail2banError> {
        jail.ignoreself = self.boolean("ignoreself")?;
        let text = self.get("ignoreip")?.unwrap_or_default();
        for word in text.split([',', ' ', '\t', '\n']).filter(|w| !w.is_empty()) {
            match crate::config::parse_network(word) {
                Ok(_) => jail.ignore.push(word.to_string()),
                Err(_) => self.note(jail, format!("ignoreip {word}: host names and files are not resolved; add its addresses to `ignore`")),
            }
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

    /// Settings fail2ban reads that portcullis has no counterpart for.
    fn read_unmapped(&self, jail: &mut ImportedJail) -> Result<(), Fail2banError> {
        for key in [
            "ignorecommand",
            "ignorecache",
            "logtimezone",
            "datepattern",
            "prefregex",
            "failregex",
            "ignoreregex",
            "maxlines",
        ] {
            if let Some(v) = self.get(key)?.filter(|v| !v.is_empty()) {
                self.note(
                    jail,
                    format!(
                        "{key} = {}: no counterpart in a portcullis jail; not mapped",
                        first_line(&v)
                    ),
                );
            }
        }
        if let Some(v) = self.get("usedns")?.filter(|v| v == "yes") {
            self.note(jail, format!("usedns = {v}: portcullis never resolves host names found in logs; such lines are not counted"));
        }
        if let Some(v) = self
            .get("logencoding")?
            .filter(|v| !matches!(v.to_lowercase().as_str(), "" | "auto" | "utf-8" | "utf8"))
        {
            self.note(
                jail,
                format!(
                    "logencoding = {v}: portcullis reads logs as UTF-8 (invalid bytes replaced)"
                ),
            );
        }
        Ok(())
    }
}

/// The value's first line, with a mark when there are more.
fn first_line(v: &str) -> String {
    let mut lines = v.lines();
    let first = lines.next().unwrap_or("").to_string();
    if lines.next().is_some() {
        format!("{first} ...")
    } else {
        first
    }
}

/// fail2ban's default formula, spaces aside.
fn is_default_formula(formula: &str) -> bool {
    let squeezed: String = formula.chars().filter(|c| !c.is_whitespace()).collect();
    squeezed == "ban.Time*(1<<(ban.Countifban.Count<20else20))*banFactor"
}

fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// The `journalmatch` of a fail2ban filter file, with the jail's filter options.
fn filter_journalmatch(path: &Path, options: &[(String, String)]) -> Result<String, Fail2banError> {
    let mut warnings = Vec::new();
    let config = Config::read(&[path.to_path_buf()], &mut warnings)?;
    let value = config.get_with("Definition", "journalmatch", options)?;
    Ok(value.map(|v| v.text).unwrap_or_default())
}

/// `_SYSTEMD_UNIT=sshd.service + _COMM=sshd`: `+` separates groups (OR),
/// words within a group must all hold (AND).
pub fn parse_journalmatch(text: &str) -> Vec<Vec<String>> {
    let mut groups = vec![Vec::new()];
    for word in text.split_whitespace() {
        if word == "+" {
            groups.push(Vec::new());
        } else {
            groups
                .last_mut()
                .expect("one group")
                .push(word.trim_matches(['"', '\'']).to_string());
        }
    }
    groups.retain(|g| !g.is_empty());
    groups
}

#[cfg(test)]
#[path = "jail_tests.rs"]
mod tests;
