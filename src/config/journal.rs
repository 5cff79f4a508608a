//! The `journal` node of a jail: which journal entries it reads.
//!
//! ```kdl
//! journal "_SYSTEMD_UNIT=sshd.service"                 // one match
//! journal "_SYSTEMD_UNIT=ssh.service" "_COMM=sshd"     // both must hold
//! journal "SYSLOG_IDENTIFIER=sshd" directory="/var/log/journal/remote"
//! journal "_SYSTEMD_UNIT=sshd.service" when-missing="/var/log/auth.log"
//! journal                                              // every entry
//! ```
//!
//! The arguments of one node are ANDed, several nodes are ORed (as
//! `journalctl A B + C` does; two values of one field in a node match
//! either, as in journalctl). A node without matches takes every entry of
//! its journal, as fail2ban's systemd backend does for a filter without
//! `journalmatch` (the filter alone picks the lines). Nodes with the same `directory` (or none:
//! the system journal) make one source. `when-missing` keeps the node only
//! when that path does not exist when the jail starts; the server restarts
//! a jail whose path appears later (server/sources.rs).

use std::path::{Path, PathBuf};

use kdl::KdlNode;

use super::settings::{args, string};
use crate::diagnostic::{KdlProblem, SourceFile};
use crate::source::journal::JournalSpec;

/// One `journal` node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalNode {
    /// `FIELD=value` matches, all of which must hold; none: every entry.
    pub matches: Vec<String>,
    pub directory: Option<PathBuf>,
    /// Used only while this path does not exist.
    pub when_missing: Option<PathBuf>,
}

/// The journal sources `nodes` make now: the nodes whose `when-missing`
/// path exists are left out, the others grouped by directory.
pub fn journal_sources(nodes: &[JournalNode]) -> Vec<JournalSpec> {
    let mut specs: Vec<JournalSpec> = Vec::new();
    let active = nodes
        .iter()
        .filter(|n| n.when_missing.as_deref().is_none_or(|p| !exists(p)));
    for node in active {
        match specs.iter_mut().find(|s| s.directory == node.directory) {
            Some(spec) => spec.matches.push(node.matches.clone()),
            None => specs.push(JournalSpec {
                directory: node.directory.clone(),
                matches: vec![node.matches.clone()],
            }),
        }
    }
    specs
}

/// Whether anything is at `path` (a dangling symlink counts).
fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// Reads a `journal` node; its problems go to `problems`.
pub(super) fn read_journal(
    node: &KdlNode,
    file: &SourceFile,
    problems: &mut Vec<KdlProblem>,
) -> Option<JournalNode> {
    let mut journal = JournalNode {
        matches: Vec::new(),
        directory: None,
        when_missing: None,
    };
    let before = problems.len();
    for e in node.entries() {
        let Some(name) = e.name() else { continue };
        let key = name.value();
        let slot = match key {
            "directory" => &mut journal.directory,
            "when-missing" => &mut journal.when_missing,
            _ => {
                problems.push(
                    file.error(e.span(), format!("`journal` takes no property {key}"))
                        .with_help("known: directory, when-missing"),
                );
                continue;
            }
        };
        match string(e, key, file) {
            Ok(path) if Path::new(path).is_absolute() => *slot = Some(PathBuf::from(path)),
            Ok(path) => problems.push(file.error(
                e.span(),
                format!("`{key}` takes an absolute path, not {path:?}"),
            )),
            Err(p) => problems.push(p),
        }
    }
    for e in args(node) {
        match string(e, "journal", file)
            .and_then(|text| check_match(text).map_err(|m| file.error(e.span(), m)))
        {
            Ok(text) => journal.matches.push(text.to_string()),
            Err(p) => problems.push(p),
        }
    }
    (problems.len() == before).then_some(journal)
}

/// A match is `FIELD=value` with a journal field name: upper-case ASCII
/// letters, digits and underscores, not starting with a digit, at most 64
/// bytes.
fn check_match(text: &str) -> Result<&str, String> {
    let Some((field, _)) = text.split_once('=') else {
        return Err(format!(
            "journal match {text:?} has no `=`: write FIELD=value, e.g. \"_SYSTEMD_UNIT=sshd.service\""
        ));
    };
    if field.is_empty() {
        return Err(format!(
            "journal match {text:?} has no field name before `=`"
        ));
    }
    let valid = field.len() <= 64
        && !field.starts_with(|c: char| c.is_ascii_digit())
        && field
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(format!(
            "{field:?} is not a journal field name: upper-case letters, digits and `_` (e.g. _SYSTEMD_UNIT)"
        ));
    }
    Ok(text)
}
