//! The jail set: the jails that run, each with the configuration it started
//! from and what it reads, and the decisions the server takes about them
//! without an actor: which jails a new configuration stops, starts and keeps
//! ([`JailSet::plan`]), what a reload reports ([`ReloadSummary`]), which
//! jails leave the journal because their `when-missing` file appeared
//! ([`JailSet::when_missing_appeared`]), which jails lift bans of the host's
//! own addresses, and the jail a control request names.
//!
//! Generic over `H`, what the server holds to reach a running jail (its
//! actor's address and arbiter), so that tests use `()` and need no actix
//! system. Invariant: a jail is in the set exactly while its actors run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use crate::config::{Config, JailConfig};

/// A running jail.
#[derive(Debug)]
pub struct Running<H> {
    pub config: JailConfig,
    /// Files and journal sources, as chosen when the jail started.
    pub sources: Vec<String>,
    /// Journal match groups read since the jail started (`when-missing`
    /// decided then).
    pub journal_matches: usize,
    pub handle: H,
}

/// What makes the running jails match a new configuration. A jail whose
/// configuration changed is in both `stop` and `start` (restarted).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Plan {
    pub stop: Vec<String>,
    pub start: Vec<JailConfig>,
    pub keep: Vec<String>,
}

impl Plan {
    /// Stop the jail and start it again with `config`.
    pub fn restart(config: JailConfig) -> Plan {
        Plan {
            stop: vec![config.name.clone()],
            start: vec![config],
            keep: vec![],
        }
    }
}

/// What a reload did, as `portcullis reload` prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReloadSummary {
    pub running: usize,
    /// Started or restarted.
    pub started: Vec<String>,
    /// Stopped and not started again.
    pub stopped: Vec<String>,
}

impl fmt::Display for ReloadSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} jail(s) running; (re)started: {}; stopped: {}",
            self.running,
            list_or_none(&self.started),
            list_or_none(&self.stopped)
        )
    }
}

/// A control request named a jail that does not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no jail named {name:?} (jails: {})", list_or_none(.running))]
pub struct NoSuchJail {
    pub name: String,
    pub running: Vec<String>,
}

/// A jail to restart because its `when-missing` file appeared.
#[derive(Debug, Clone, PartialEq)]
pub struct Appeared {
    pub config: JailConfig,
    /// The `when-missing` paths that exist now.
    pub paths: Vec<String>,
}

/// The settings a reload cannot change: they take effect at the next start.
pub fn restart_only_changes(old: &Config, new: &Config) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if new.table != old.table {
        changed.push("table");
    }
    if new.database != old.database {
        changed.push("database");
    }
    if new.socket != old.socket {
        changed.push("socket");
    }
    if new.metrics != old.metrics {
        changed.push("metrics");
    }
    if new.cluster != old.cluster {
        changed.push("cluster");
    }
    changed
}

/// How many of a jail's journal match groups it reads when `exists` tells
/// which paths are there: those whose `when-missing` path is absent.
pub fn active_journal_matches(config: &JailConfig, exists: impl Fn(&Path) -> bool) -> usize {
    (config.journals.iter())
        .filter(|n| n.when_missing.as_deref().is_none_or(|p| !exists(p)))
        .count()
}

impl<H> Default for JailSet<H> {
    fn default() -> Self {
        JailSet {
            running: BTreeMap::new(),
            paused: BTreeSet::new(),
        }
    }
}

/// The running jails, by name.
#[derive(Debug)]
pub struct JailSet<H> {
    running: BTreeMap<String, Running<H>>,
    /// Running jails whose reading is paused (`portcullis pause`); a
    /// paused jail that a reload restarts starts paused again, one that
    /// stops leaves the set. Not kept across a daemon restart.
    paused: BTreeSet<String>,
}

impl<H> JailSet<H> {
    /// Which jails stop (removed, disabled or changed), start (new or
    /// changed) and keep running (unchanged) so that the set runs the
    /// enabled jails of `new`.
    pub fn plan(&self, new: &Config) -> Plan {
        let wanted: Vec<&JailConfig> = new.enabled_jails().collect();
        let unchanged =
            |name: &str, config: &JailConfig| wanted.iter().any(|w| w.name == name && *w == config);
        let mut plan = Plan::default();
        for (name, r) in &self.running {
            match unchanged(name, &r.config) {
                true => plan.keep.push(name.clone()),
                false => plan.stop.push(name.clone()),
            }
        }
        plan.start = (wanted.into_iter())
            .filter(|w| !plan.keep.contains(&w.name))
            .cloned()
            .collect();
        plan
    }

    /// Carries `plan` out: stops its jails first, then starts its jails
    /// with `start` (`None`: could not start, left out of the set).
    pub fn carry_out(
        &mut self,
        plan: &Plan,
        mut start: impl FnMut(&JailConfig) -> Option<Running<H>>,
        mut stop: impl FnMut(Running<H>),
    ) -> ReloadSummary {
        for name in &plan.stop {
            if let Some(jail) = self.running.remove(name) {
                stop(jail);
            }
        }
        for config in &plan.start {
            if let Some(jail) = start(config) {
                self.insert(jail);
            }
        }
        let running = &self.running;
        self.paused.retain(|name| running.contains_key(name));
        self.summary(plan)
    }

    /// Records that the running jail `name` is paused (`true`) or reads;
    /// whether that changed anything.
    pub fn set_paused(&mut self, name: &str, paused: bool) -> Result<bool, NoSuchJail> {
        self.get(name)?;
        Ok(match paused {
            true => self.paused.insert(name.to_string()),
            false => self.paused.remove(name),
        })
    }

    /// The paused jails' names: a jail restarted with one of these names
    /// starts paused.
    pub fn paused(&self) -> BTreeSet<String> {
        self.paused.clone()
    }

    pub fn is_paused(&self, name: &str) -> bool {
        self.paused.contains(name)
    }

    /// What carrying out `plan` did, once it is carried out.
    pub fn summary(&self, plan: &Plan) -> ReloadSummary {
        let started: Vec<String> = plan.start.iter().map(|j| j.name.clone()).collect();
        ReloadSummary {
            running: self.running.len(),
            stopped: (plan.stop.iter())
                .filter(|s| !started.contains(s))
                .cloned()
                .collect(),
            started,
        }
    }

    pub fn insert(&mut self, jail: Running<H>) {
        self.running.insert(jail.config.name.clone(), jail);
    }

    pub fn remove(&mut self, name: &str) -> Option<Running<H>> {
        self.running.remove(name)
    }

    pub fn len(&self) -> usize {
        self.running.len()
    }

    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// The running jails, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Running<H>> {
        self.running.values()
    }

    /// The jail a request names.
    pub fn get(&self, name: &str) -> Result<&Running<H>, NoSuchJail> {
        self.running.get(name).ok_or_else(|| NoSuchJail {
            name: name.to_string(),
            running: self.running.keys().cloned().collect(),
        })
    }

    /// Every jail, or only the one named (which must run).
    pub fn selected(&self, only: Option<&str>) -> Result<Vec<&Running<H>>, NoSuchJail> {
        match only {
            Some(name) => Ok(vec![self.get(name)?]),
            None => Ok(self.iter().collect()),
        }
    }

    /// The jails that never ban the host's own addresses (`ignoreself`):
    /// their bans of an address that becomes ours are lifted.
    pub fn ignoreself(&self) -> Vec<String> {
        (self.running.values())
            .filter(|j| j.config.settings.ignoreself)
            .map(|j| j.config.name.clone())
            .collect()
    }

    /// The jails that read fewer journal match groups now than when they
    /// started, because a `when-missing` path appeared (`exists` tells):
    /// restarted, they read the file and leave the journal (reading both
    /// would count every failure twice). Only in that direction: a file
    /// gone for a moment (rotation) never switches a jail to the journal; a
    /// reload or restart looks again.
    pub fn when_missing_appeared(&self, exists: impl Fn(&Path) -> bool) -> Vec<Appeared> {
        (self.running.values())
            .filter(|j| j.config.journals.iter().any(|n| n.when_missing.is_some()))
            .filter(|j| active_journal_matches(&j.config, &exists) < j.journal_matches)
            .map(|j| Appeared {
                config: j.config.clone(),
                paths: (j.config.journals.iter())
                    .filter_map(|n| n.when_missing.as_deref())
                    .filter(|p| exists(p))
                    .map(|p| p.display().to_string())
                    .collect(),
            })
            .collect()
    }
}

/// `a, b`, or `none`.
pub fn list_or_none<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    items.join(", ")
}

#[cfg(test)]
#[path = "jails_tests.rs"]
mod tests;
