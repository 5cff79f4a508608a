//! Fuzz target `fail2ban`: the bytes are a fail2ban filter file
//! (`filter.d/NAME.conf`), then optionally a line `#LOG` and log lines.
//!
//! Checked: the INI reader never panics and every value and error it gives
//! names the file and a line of it; the whole filter (interpolation, tags,
//! Python regexes, dates) is read and compiled as a jail would, without a
//! panic; a filter that compiles is run over the log lines with the `filter`
//! target's checks (addresses that occur, time per line).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use portcullis::fail2ban::Fail2banError;
use portcullis::fail2ban::ini::IniFile;
use portcullis::filter::FilterOptions;

use super::filter::run_filter;

/// The name the INI reader is told the text has.
const INI_PATH: &str = "/nonexistent-portcullis-fuzz/fuzz.conf";

/// Separates the filter file from the log lines.
const LOG: &[u8] = b"\n#LOG\n";

/// Returns the number of failures found in the log lines when the filter
/// compiled, `None` when it did not (or was not tried).
pub fn run(data: &[u8]) -> Option<usize> {
    let (data, log) = match data.windows(LOG.len()).position(|w| w == LOG) {
        Some(i) => (&data[..i + 1], &data[i + LOG.len()..]),
        None => (data, &[][..]),
    };
    // As IniFile::read reads a file.
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count();
    match IniFile::parse(Path::new(INI_PATH), &text) {
        Ok(file) => {
            let values = file
                .defaults
                .iter()
                .chain(file.sections.iter().flat_map(|(_, k)| k));
            for (key, value) in values {
                check_origin(&value.origin.file, value.origin.line, lines, key);
            }
        }
        Err(e) => {
            if let Some(origin) = e.origin() {
                check_origin(&origin.file, origin.line, lines, &e.to_string());
            }
        }
    }
    // Includes would read other files of the machine (a device, too):
    // the whole-filter run leaves them out.
    if text.contains("INCLUDES") {
        return None;
    }
    whole_filter(data, log)
}

/// The origin is the file read, and a line of it (or the line after the
/// last, for a value the end of the file cut short).
fn check_origin(file: &Path, line: usize, lines: usize, what: &str) {
    assert_eq!(file, Path::new(INI_PATH), "{what}");
    assert!(
        (1..=lines + 1).contains(&line),
        "{what}: line {line} of a text of {lines} lines"
    );
}

/// Reads `data` as a filter file the way a jail's `filter "x.conf"` does.
fn whole_filter(data: &[u8], log: &[u8]) -> Option<usize> {
    let path = scratch_file();
    std::fs::write(&path, data).expect("writing the scratch filter file");
    let mut warnings = Vec::new();
    let name = path.to_str().expect("a UTF-8 temporary path");
    let loaded = portcullis::config::filters::load_with(
        name,
        &FilterOptions::default(),
        false,
        &mut warnings,
    );
    let _ = std::fs::remove_file(&path);
    match loaded {
        Ok(compiled) => Some(run_filter(&Arc::new(compiled), log)),
        Err(report) => {
            // The report renders, whatever the text.
            let _ = format!("{report:?}");
            if let Some(origin) = report
                .downcast_ref::<Fail2banError>()
                .and_then(|e| e.origin())
            {
                assert_eq!(origin.file, path, "{report}");
            }
            None
        }
    }
}

/// A file name of this call's own in the temporary directory.
fn scratch_file() -> PathBuf {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("portcullis-fuzz-{}-{n}.conf", std::process::id()))
}
