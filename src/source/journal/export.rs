//! Writing journal files for tests and benchmarks: entries in the journal
//! export format (what `journalctl -o export` prints) piped into
//! `systemd-journal-remote`, which writes real journal files, so the
//! reader is tested against libsystemd's own writer.
//!
//! Export format: one `NAME=value` line per field and an empty line after
//! each entry; a value holding a newline or any byte below 0x20 but tab is
//! written as `NAME`, a newline, its length as a little-endian u64, the
//! bytes and a newline.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A random but fixed boot id for the entries written here.
pub const BOOT_ID: &str = "5a5e1f0c0ffee0005eed00000000beef";

/// Appends one entry to an export stream.
pub fn write_entry(out: &mut Vec<u8>, fields: &[(&str, &[u8])]) {
    for (name, value) in fields {
        let binary = value.iter().any(|&b| b < 0x20 && b != b'\t');
        out.extend_from_slice(name.as_bytes());
        if binary {
            out.push(b'\n');
            out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        } else {
            out.push(b'=');
        }
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out.push(b'\n');
}

/// Appends a syslog-like entry: host, identifier, pid, unit, message, with
/// `realtime_us` as its `__REALTIME_TIMESTAMP` (and its monotonic time).
pub fn write_syslog_entry(
    out: &mut Vec<u8>,
    realtime_us: u64,
    unit: &str,
    identifier: &str,
    message: &[u8],
) {
    let realtime = realtime_us.to_string();
    write_entry(
        out,
        &[
            ("__REALTIME_TIMESTAMP", realtime.as_bytes()),
            ("__MONOTONIC_TIMESTAMP", realtime.as_bytes()),
            ("_BOOT_ID", BOOT_ID.as_bytes()),
            ("_HOSTNAME", b"gate"),
            ("SYSLOG_IDENTIFIER", identifier.as_bytes()),
            ("_PID", b"4242"),
            ("_SYSTEMD_UNIT", unit.as_bytes()),
            ("MESSAGE", message),
        ],
    );
}

/// Where `systemd-journal-remote` is: on the PATH or in systemd's
/// library directories (Debian: package systemd-journal-remote).
pub fn journal_remote() -> Option<PathBuf> {
    let name = "systemd-journal-remote";
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(
            [
                "/lib/systemd",
                "/usr/lib/systemd",
                "/run/current-system/sw/lib/systemd",
            ]
            .map(PathBuf::from),
        )
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Why journal files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("systemd-journal-remote not found (on Debian: apt-get install systemd-journal-remote)")]
    NoJournalRemote,
    #[error("cannot run {}", program.display())]
    Run {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} --output={} failed: {stderr}", program.display(), output.display())]
    Failed {
        program: PathBuf,
        output: PathBuf,
        stderr: String,
    },
}

/// Writes (or appends to) the journal file `output` (a path ending in
/// `.journal`) from an export stream.
pub fn write_journal(output: &Path, stream: &[u8]) -> Result<(), ExportError> {
    let program = journal_remote().ok_or(ExportError::NoJournalRemote)?;
    let run = |source| ExportError::Run {
        program: program.clone(),
        source,
    };
    let mut child = Command::new(&program)
        .arg(format!("--output={}", output.display()))
        .arg("--compress=yes")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(run)?;
    let mut stdin = child.stdin.take().expect("piped");
    let written = stdin.write_all(stream);
    drop(stdin);
    let result = child.wait_with_output().map_err(run)?;
    written.map_err(run)?;
    if !result.status.success() {
        return Err(ExportError::Failed {
            program,
            output: output.to_path_buf(),
            stderr: String::from_utf8_lossy(&result.stderr).trim().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_binary_fields() {
        let mut out = Vec::new();
        write_entry(&mut out, &[("A", b"x\ty"), ("MESSAGE", b"a\nb")]);
        let mut want = b"A=x\ty\nMESSAGE\n".to_vec();
        want.extend_from_slice(&3u64.to_le_bytes());
        want.extend_from_slice(b"a\nb\n\n");
        assert_eq!(out, want);
    }
}
