//! What a jail reads when it starts: its files, its journal sources (a
//! `when-missing` path is looked at now, when the jail starts) and the
//! filter compiled for each log type.

use std::sync::Arc;
use std::time::Duration;

use super::actor::ServerActor;
use crate::config::{self, JailConfig};
use crate::reader::JailInput;
use crate::source::journal::JournalSpec;

/// How often the `when-missing` paths of running jails are looked at.
pub(super) const WHEN_MISSING_CHECK: Duration = Duration::from_secs(2);

/// The jail's sources now (`when-missing` is looked at here) and their
/// filters; `None` after logging why a filter cannot be loaded.
pub(super) fn jail_input(config: &JailConfig) -> Option<JailInput> {
    let options = config.filter_options();
    let journals = config::journal_sources(&config.journals);
    let skipped = config.journals.len() - journals.iter().map(|j| j.matches.len()).sum::<usize>();
    if skipped > 0 {
        tracing::info!(
            "jail {}: {skipped} journal match(es) not used: their when-missing path exists",
            config.name
        );
    }
    let load = |journal: bool| {
        let loaded = if journal {
            config::filters::load_for_journal(&config.filter, &options)
        } else {
            config::filters::load(&config.filter, &options)
        };
        loaded.map(Arc::new).map_err(|e| {
            tracing::error!(
                "jail {}: cannot load filter {}: {e}",
                config.name,
                config.filter
            )
        })
    };
    let journal_filter = match journals.is_empty() {
        true => None,
        false => Some(load(true).ok()?),
    };
    Some(JailInput {
        file_filter: load(false).ok()?,
        files: config.sources.clone(),
        journals,
        journal_filter,
    })
}

/// The files and journal sources, one line each, for logs and `status`.
pub(super) fn describe_sources(input: &JailInput) -> Vec<String> {
    let mut all = input.files.clone();
    all.extend(input.journals.iter().map(|j| j.describe()));
    all
}

/// How many match groups `journals` read.
pub(super) fn journal_match_count(journals: &[JournalSpec]) -> usize {
    journals.iter().map(|j| j.matches.len()).sum()
}

impl ServerActor {
    /// Restarts each jail whose `when-missing` path has appeared since it
    /// started, so that it reads the file and leaves the journal (reading
    /// both would count every failure twice). Only in that direction: a file
    /// gone for a moment (rotation) never switches a jail to the journal; a
    /// reload or restart looks again.
    pub(super) fn follow_when_missing(&mut self) {
        let appeared: Vec<JailConfig> = self
            .jails
            .values()
            .filter(|j| j.config.journals.iter().any(|n| n.when_missing.is_some()))
            .filter(|j| {
                journal_match_count(&config::journal_sources(&j.config.journals))
                    < j.journal_matches
            })
            .map(|j| j.config.clone())
            .collect();
        for config in appeared {
            let paths: Vec<String> = config
                .journals
                .iter()
                .filter_map(|n| n.when_missing.as_ref())
                .filter(|p| p.symlink_metadata().is_ok())
                .map(|p| p.display().to_string())
                .collect();
            tracing::info!(
                "jail {}: {} appeared: restarting the jail to read it instead of the journal",
                config.name,
                paths.join(", ")
            );
            self.stop_jail(&config.name);
            self.start_jail(&config);
        }
    }
}
