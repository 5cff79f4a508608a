//! fail2ban's file formats, read as fail2ban reads them: its INI dialect
//! ([`ini`]), includes and `.local` overrides ([`config`]), `%(name)s`
//! interpolation ([`interpolate`]), `<name>` substitution ([`tags`]) and
//! filter files ([`filter`]) as the matcher's filter definitions
//! ([`filter_def`]). No actix in here, and nothing of portcullis's own
//! configuration: the configuration's filter loader and the jail.conf
//! importer build on it.
//!
//! Every value remembers the file and line it was written on, so that an
//! error names them.

pub mod config;
pub mod filter;
pub mod filter_def;
pub mod ini;
pub mod interpolate;
pub mod tags;

use std::fmt;
use std::path::{Path, PathBuf};

pub use config::Config;
pub use filter_def::Fail2banFilter;

/// Where a value was written: file and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
}

impl Origin {
    pub fn new(file: &Path, line: usize) -> Origin {
        Origin {
            file: file.to_path_buf(),
            line,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    pub origin: Origin,
    /// The file line of each line of the value as written (blank lines
    /// inside it included), for pointing at one line of a multi-line value.
    lines: Vec<usize>,
}

impl Value {
    /// The file line that line `index` (0-based) of the value was written
    /// on; the key's line when the value does not have that many lines.
    pub fn line_of(&self, index: usize) -> usize {
        self.lines.get(index).copied().unwrap_or(self.origin.line)
    }

    /// The same origin, other text (an interpolated value).
    fn with_text(&self, text: String) -> Value {
        Value {
            text,
            origin: self.origin.clone(),
            lines: self.lines.clone(),
        }
    }
}

/// Something fail2ban tolerates but an operator should hear of: a missing
/// include, an include loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why a fail2ban configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Fail2banError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: {reason}")]
    Syntax { origin: Origin, reason: String },
    #[error(
        "{origin}: `{key}` in [{section}] uses %({name})s, which is not defined there, in [DEFAULT] or in the options"
    )]
    Undefined {
        origin: Origin,
        section: String,
        key: String,
        name: String,
    },
    #[error(
        "{origin}: `{key}` in [{section}]: %(name)s references nest deeper than {depth} (a loop?)"
    )]
    TooDeep {
        origin: Origin,
        section: String,
        key: String,
        depth: usize,
    },
    #[error("{origin}: `{key}` in [{section}]: {reason}")]
    BadInterpolation {
        origin: Origin,
        section: String,
        key: String,
        reason: String,
    },
    #[error("{origin}: `{key}`: {reason}")]
    Tag {
        origin: Origin,
        key: String,
        reason: String,
    },
    #[error("{}: no [Definition] section: not a fail2ban filter file", path.display())]
    NotAFilter { path: PathBuf },
}

impl Fail2banError {
    /// The file and line the error is about, when it is about one.
    pub fn origin(&self) -> Option<&Origin> {
        match self {
            Fail2banError::Syntax { origin, .. }
            | Fail2banError::Undefined { origin, .. }
            | Fail2banError::TooDeep { origin, .. }
            | Fail2banError::BadInterpolation { origin, .. }
            | Fail2banError::Tag { origin, .. } => Some(origin),
            Fail2banError::Read { .. } | Fail2banError::NotAFilter { .. } => None,
        }
    }
}

/// Whether `name` names a fail2ban file rather than a bundled filter.
pub fn is_fail2ban_file(name: &str) -> bool {
    name.ends_with(".conf") || name.ends_with(".local")
}

#[cfg(test)]
mod config_tests;
#[cfg(test)]
mod filter_tests;
