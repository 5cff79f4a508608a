//! What a jail reads when it starts: its files, its journal sources (a
//! `when-missing` path is looked at now, when the jail starts; later ones
//! are the jail set's decision, [`super::jails::JailSet::when_missing_appeared`])
//! and the filter compiled for each log type.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{self, JailConfig};
use crate::reader::JailInput;
use crate::source::journal::JournalSpec;

/// How often the `when-missing` paths of running jails are looked at.
pub const WHEN_MISSING_CHECK: Duration = Duration::from_secs(2);

/// The jail's sources now (`when-missing` is looked at here) and their
/// filters; `None` after logging why a filter cannot be loaded.
pub fn jail_input(config: &JailConfig) -> Option<JailInput> {
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
pub fn describe_sources(input: &JailInput) -> Vec<String> {
    let mut all = input.files.clone();
    all.extend(input.journals.iter().map(|j| j.describe()));
    all
}

/// How many match groups `journals` read.
pub fn journal_match_count(journals: &[JournalSpec]) -> usize {
    journals.iter().map(|j| j.matches.len()).sum()
}
