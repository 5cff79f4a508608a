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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    #[test]
    fn a_bundled_name_loads_for_files_and_for_the_journal() {
        let options = FilterOptions::default();
        assert!(is_bundled("sshd"));
        assert!(!is_bundled("sshd.conf"));
        assert_eq!(load("sshd", &options).unwrap().logtype, LogType::File);
        let journal = load_for_journal("sshd", &options).unwrap();
        assert_eq!(journal.logtype, LogType::Journal);
        let err = load("nosuch", &options).unwrap_err().to_string();
        assert!(
            err.starts_with("no filter named \"nosuch\": not bundled"),
            "{err}"
        );
    }

    #[test]
    fn a_fail2ban_file_loads_with_its_warnings_and_its_errors_at_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let good = write(
            dir.path(),
            "good.conf",
            "[INCLUDES]\nbefore = gone.conf\n[Definition]\nfailregex = ^x <HOST>$\n",
        );
        let mut warnings = Vec::new();
        let filter = load_with(&good, &FilterOptions::default(), true, &mut warnings).unwrap();
        assert_eq!(filter.logtype, LogType::Journal);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0]
                .message
                .ends_with("include gone.conf not found, skipped (as fail2ban does)")
        );
        let bad = write(
            dir.path(),
            "bad.conf",
            "[Definition]\nfailregex = ^x <HOST>$\n  %(nope)s\n",
        );
        let report = load_with(&bad, &FilterOptions::default(), false, &mut warnings).unwrap_err();
        let problem = report.related().unwrap().next().unwrap().to_string();
        assert_eq!(
            problem,
            format!(
                "{bad}:2: `failregex` in [Definition] uses %(nope)s, which is not defined there, in [DEFAULT] or in the options"
            )
        );
        let missing = dir.path().join("none.conf").display().to_string();
        let err = load_with(&missing, &FilterOptions::default(), false, &mut warnings).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "fail2ban filter file: cannot read {missing}: No such file or directory (os error 2)"
            )
        );
    }
}
