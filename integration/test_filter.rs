//! `portcullis test-filter` as a user runs it: the JSON contract, the
//! summary, and bad input (invalid UTF-8, NUL bytes, a 1 MB line, empty,
//! missing and unreadable files, a broken filter file).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::portcullis_bin;

const NOW: &str = "2005-08-14T12:00:00+02:00";

/// `test-filter FILTER LOG ARGS...`, with `--now` and `--timezone` set
/// unless ARGS set them.
fn run(args: &[&str], log: &Path) -> Output {
    let mut cmd = Command::new(portcullis_bin());
    cmd.arg("test-filter")
        .args(&args[..1])
        .arg(log)
        .args(&args[1..]);
    if !args.contains(&"--timezone") {
        cmd.args(["--timezone", "Europe/Berlin"]);
    }
    cmd.args(["--now", NOW]).output().expect("portcullis runs")
}

fn write_log(dir: &tempfile::TempDir, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join("auth.log");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    path
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object: {l:?}: {e}"))
        })
        .collect()
}

const FAILED: &str = "Feb 25 14:34:10 belka sshd[31602]: Failed password for invalid user root from 192.0.2.1 port 50273 ssh2\n";

#[test]
fn json_reports_line_host_time_attempts_and_captures() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        &dir,
        format!("Feb 25 14:34:09 belka CRON[1]: nothing\n{FAILED}").as_bytes(),
    );
    let found = json_lines(&run(&["sshd", "--json"], &log));
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(f["line"], 2);
    assert_eq!(f["host"], "192.0.2.1");
    assert_eq!(f["time"], "2005-02-25T14:34:10+01:00");
    assert_eq!(f["attempts"], 1);
    assert_eq!(f["captures"]["user"], "root");
}

#[test]
fn the_summary_counts_lines_and_regex_hits() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        &dir,
        format!("{FAILED}Feb 25 14:34:11 belka CRON[1]: nothing\n").as_bytes(),
    );
    let out = run(&["sshd"], &log);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Lines: 2 read, 1 matched (1 failures"),
        "{text}"
    );
    assert!(text.contains("lines/s"), "{text}");
}

#[test]
fn invalid_utf8_and_nul_bytes_neither_crash_nor_hide_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"Feb 25 14:34:10 belka sshd[1]: Failed password for invalid user r\xff\xfe\x00t from 192.0.2.7 port 1 ssh2\n".to_vec();
    bytes.extend_from_slice(b"\x00\x00\xff garbage \x00\n");
    let found = json_lines(&run(&["sshd", "--json"], &write_log(&dir, &bytes)));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["host"], "192.0.2.7");
    assert_eq!(found[0]["line"], 1);
}

#[test]
fn a_one_megabyte_line_is_cut_and_the_next_line_still_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"Feb 25 14:34:10 belka sshd[1]: Failed password for invalid user ".to_vec();
    bytes.extend(std::iter::repeat_n(b'A', 1 << 20));
    bytes.extend_from_slice(b" from 198.51.100.1 port 1 ssh2\n");
    bytes.extend_from_slice(FAILED.as_bytes());
    let log = write_log(&dir, &bytes);
    let found = json_lines(&run(&["sshd", "--json"], &log));
    let hosts: Vec<_> = found
        .iter()
        .map(|f| (f["line"].as_u64().unwrap(), f["host"].as_str().unwrap()))
        .collect();
    assert_eq!(
        hosts,
        vec![(2, "192.0.2.1")],
        "the cut line must not yield its tail's address"
    );
    let summary = String::from_utf8_lossy(&run(&["sshd"], &log).stdout).to_string();
    assert!(
        summary.contains("Lines longer than 16384 bytes, cut: 1"),
        "{summary}"
    );
}

#[test]
fn an_empty_file_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["sshd"], &write_log(&dir, b""));
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Lines: 0 read"));
    assert!(json_lines(&run(&["sshd", "--json"], &write_log(&dir, b""))).is_empty());
}

fn failure_text(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn missing_and_unreadable_logs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.log");
    let err = failure_text(&run(&["sshd"], &missing));
    assert!(
        err.contains(&format!("cannot open log file {}", missing.display())),
        "{err}"
    );
    assert!(err.contains("No such file or directory"), "{err}");
    let err = failure_text(&run(&["sshd"], dir.path()));
    assert!(err.contains("it is a directory"), "{err}");
}

#[test]
fn unknown_filters_list_the_bundled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let err = failure_text(&run(&["sshdd"], &write_log(&dir, b"")));
    assert!(err.contains("no filter named \"sshdd\""), "{err}");
    assert!(err.contains("sshd"), "{err}");
}

#[test]
fn a_broken_filter_file_points_at_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let filter = dir.path().join("mine.kdl");
    std::fs::write(
        &filter,
        "fail #\"^ok <HOST>$\"#\nfail #\"^Failed (for <HOST>$\"#\nfial \"x\"\n",
    )
    .unwrap();
    let err = failure_text(&run(
        &[filter.to_str().unwrap()],
        &write_log(&dir, FAILED.as_bytes()),
    ));
    assert!(err.contains("filter mine: 2 errors"), "{err}");
    assert!(err.contains("mine.kdl:2:1"), "{err}");
    assert!(err.contains("does not compile"), "{err}");
    assert!(err.contains("unknown filter node `fial`"), "{err}");
}

#[test]
fn bad_options_are_refused_with_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(&dir, FAILED.as_bytes());
    let err = failure_text(&run(&["sshd", "--mode", "paranoid"], &log));
    assert!(err.contains("`paranoid` is not a value of `mode`"), "{err}");
    let err = failure_text(&run(&["sshd", "--timezone", "Mars/Olympus"], &log));
    assert!(err.contains("unknown time zone \"Mars/Olympus\""), "{err}");
}
