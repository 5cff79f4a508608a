//! Filters: log lines in, failures out.
//!
//! A filter is a KDL file ([`definition`]) compiled for one jail's options
//! ([`compile`]) and run line by line by a [`Matcher`]: the date is found
//! and cut out ([`date`]), the shared prefix is matched and its content
//! handed to the fail regexes, whose tags ([`tags`]) name the address and
//! other captures; lines of one connection are merged ([`multiline`]).

pub mod address;
pub mod bundled;
pub mod compile;
pub mod date;
pub mod definition;
pub mod matcher;
pub mod multiline;
pub mod tags;

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;

use crate::diagnostic::{KdlProblems, SourceFile};
use crate::fail2ban::{Fail2banFilter, Warning};

pub use address::FailureId;
pub use compile::{CompiledFilter, FilterOptions, LogType};
pub use matcher::{MatchStats, Matcher, Outcome};

/// One authentication failure found in a log.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The 1-based line number the failure is reported on.
    pub line: u64,
    /// The failure id as written in the log (IPv4-mapped IPv6 as IPv4).
    pub host: String,
    pub id: FailureId,
    pub time: Timestamp,
    /// Failure lines merged into this one (multi-line filters), at least 1.
    pub attempts: u32,
    /// Named captures (`user`, `port`, ...), in regex order.
    pub captures: Vec<(Arc<str>, String)>,
    /// Every user tried on the connection (multi-line filters).
    pub users: Vec<String>,
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
    if crate::fail2ban::is_fail2ban_file(name_or_path) {
        let path = Path::new(name_or_path);
        let f2b = load_fail2ban(path, options, journal, warnings)?;
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
    let has_logtype = def.params.iter().any(|p| p.name == definition::LOGTYPE);
    let options = FilterOptions {
        logtype: has_logtype.then(|| "journal".to_string()),
        ..options.clone()
    };
    let mut filter = CompiledFilter::new(&def, &options)?;
    filter.logtype = LogType::Journal;
    Ok(filter)
}

/// Reads the fail2ban filter file at `path` for `options` (see
/// [`crate::fail2ban::filter`]); an error with a file and line is shown
/// with that line underlined.
fn load_fail2ban(
    path: &Path,
    options: &FilterOptions,
    journal: bool,
    warnings: &mut Vec<Warning>,
) -> Result<Fail2banFilter, definition::LoadError> {
    Fail2banFilter::load(path, options, journal, warnings).map_err(|error| {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
        let Some(origin) = error.origin().filter(|o| o.line > 0) else {
            return definition::LoadError::Fail2ban(error);
        };
        let text = std::fs::read(&origin.file)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let file = SourceFile::new(origin.file.display().to_string(), text);
        let span = crate::fail2ban::filter_def::line_span(&file.text, origin.line);
        let problem = file.error(span, crate::error_chain(&error));
        definition::LoadError::Problems(KdlProblems::new(&format!("filter {name}"), vec![problem]))
    })
}

fn log_warnings(filter: &str, warnings: &[Warning]) {
    for warning in warnings {
        tracing::warn!("filter {filter}: {warning}");
    }
}
