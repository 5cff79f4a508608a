//! A jail's filter by the name the configuration gives it: a bundled
//! filter's name, a path to a `.kdl` filter file, or a path to a fail2ban
//! filter file (`.conf` or `.local`), loaded and compiled for the jail's
//! options. The daemon, `check-config` and `test-filter` all load filters
//! here.

use std::path::Path;

use crate::fail2ban::{Fail2banFilter, Warning, is_fail2ban_file};
use crate::filter::definition::{self, LOGTYPE};
use crate::filter::{CompiledFilter, FilterOptions, LogType, bundled};

/// Whether `name` is the name of a bundled filter.
pub fn is_bundled(name: &str) -> bool {
    bundled::get(name).is_some()
}

/// Loads a bundled filter by name, a `.kdl` file by path, or a fail2ban
/// filter file (a path ending in `.conf` or `.local`), and compiles it.
/// Warnings (a fail2ban file's missing include, include loop) are logged.
pub fn load(name_or_path: &str, options: &FilterOptions) -> miette::Result<CompiledFilter> {
    let mut warnings = Vec::new();
    let loaded = load_with(name_or_path, options, false, &mut warnings);
    log_warnings(name_or_path, &warnings);
    loaded
}

/// Like [`load`], for lines read from the journal: the `journal` log type
/// whatever `options` say, and each entry's own time. A filter without a
/// `logtype` parameter keeps its regexes as they are; a fail2ban filter
/// file is read with `logtype=journal`, as fail2ban's systemd backend does.
pub fn load_for_journal(
    name_or_path: &str,
    options: &FilterOptions,
) -> miette::Result<CompiledFilter> {
    let mut warnings = Vec::new();
    let loaded = load_with(name_or_path, options, true, &mut warnings);
    log_warnings(name_or_path, &warnings);
    loaded
}

/// [`load`] (`journal` false) or [`load_for_journal`] (true), with the
/// warnings handed back instead of logged.
pub fn load_with(
    name_or_path: &str,
    options: &FilterOptions,
    journal: bool,
    warnings: &mut Vec<Warning>,
) -> miette::Result<CompiledFilter> {
    if is_fail2ban_file(name_or_path) {
        let path = Path::new(name_or_path);
        let f2b = Fail2banFilter::load_shown(path, options, journal, warnings)?;
        // The options are already in the resolved regexes.
        let resolved = FilterOptions {
            logtype: Some(f2b.logtype.clone()),
            ..FilterOptions::default()
        };
        let mut filter = CompiledFilter::new(&f2b.def, &resolved)?;
        if journal {
            filter.logtype = LogType::Journal;
        }
        return Ok(filter);
    }
    let def = definition::load(name_or_path)?;
    if !journal {
        return Ok(CompiledFilter::new(&def, options)?);
    }
    let has_logtype = def.params.iter().any(|p| p.name == LOGTYPE);
    let options = FilterOptions {
        logtype: has_logtype.then(|| "journal".to_string()),
        ..options.clone()
    };
    let mut filter = CompiledFilter::new(&def, &options)?;
    filter.logtype = LogType::Journal;
    Ok(filter)
}

fn log_warnings(filter: &str, warnings: &[Warning]) {
    for warning in warnings {
        tracing::warn!("filter {filter}: {warning}");
    }
}
