//! The bundled filters on small sample logs (`integration/samples/`),
//! written for these tests (not fail2ban's), run through the real binary
//! with `test-filter --json`: which lines fail, and on which address.
//! Logins and the system (sshd, pam, recidive, ftp, databases, telephony,
//! DNS) here with the helpers; web servers in `filters_web`, mail in
//! `filters_mail`.

use std::path::PathBuf;
use std::process::Command;

use crate::common::portcullis_bin;

/// "Now" of every sample: the samples' syslog dates are Nov 20, 2026.
pub(crate) const NOW: &str = "2026-11-21T00:00:00+00:00";

pub(crate) fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("integration/samples")
        .join(format!("{name}.log"))
}

/// Runs `test-filter FILTER samples/SAMPLE.log --json` with `extra` options
/// and returns the JSON objects it printed.
pub(crate) fn run_filter(
    filter: &str,
    sample_name: &str,
    extra: &[&str],
) -> Vec<serde_json::Value> {
    let output = Command::new(portcullis_bin())
        .arg("test-filter")
        .arg(filter)
        .arg(sample(sample_name))
        .args(["--json", "--now", NOW, "--timezone", "UTC"])
        .args(extra)
        .output()
        .expect("portcullis runs");
    assert!(
        output.status.success(),
        "test-filter {filter} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("JSON is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// (line, host) of every failure `filter` finds in its sample.
pub(crate) fn failures(filter: &str, extra: &[&str]) -> Vec<(u64, String)> {
    run_filter(filter, filter, extra)
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().expect("line"),
                f["host"].as_str().expect("host").to_string(),
            )
        })
        .collect()
}

pub(crate) fn expect(pairs: &[(u64, &str)]) -> Vec<(u64, String)> {
    pairs.iter().map(|(l, h)| (*l, h.to_string())).collect()
}

/// The users captured on the failures of `filter` in its sample, in order.
pub(crate) fn users(filter: &str, extra: &[&str]) -> Vec<String> {
    run_filter(filter, filter, extra)
        .iter()
        .map(|f| f["captures"]["user"].as_str().unwrap_or("").to_string())
        .collect()
}
#[test]
fn asterisk_sample() {
    assert_eq!(
        failures("asterisk", &[]),
        expect(&[
            (1, "203.0.113.91"),
            (2, "198.51.100.92"),
            (3, "2001:db8::93"),
            (5, "192.0.2.94"),
            (6, "192.0.2.95"),
            (7, "192.0.2.96"),
            (8, "192.0.2.97"),
        ])
    );
}

#[test]
fn mysqld_auth_sample() {
    // Line 4's user name imitates the end of the line: the address is the
    // one MariaDB wrote last.
    assert_eq!(
        failures("mysqld-auth", &[]),
        expect(&[
            (1, "203.0.113.111"),
            (2, "198.51.100.112"),
            (4, "192.0.2.114"),
            (5, "db2.example.org"),
        ])
    );
}

#[test]
fn sshd_sample() {
    assert_eq!(
        failures("sshd", &[]),
        expect(&[
            (1, "203.0.113.45"),
            (2, "203.0.113.45"),
            (4, "198.51.100.23"),
            (5, "198.51.100.23"),
            (7, "192.0.2.77"),
            (11, "2001:db8:4::17"),
        ])
    );
    // ddos: the invalid user's connection closed before authentication, a
    // corrupted connection, a connection OpenSSH 9.8 dropped as penalised.
    let ddos = failures("sshd", &["--mode", "ddos"]);
    for expected in [
        (3, "203.0.113.45"),
        (14, "203.0.113.46"),
        (15, "203.0.113.47"),
    ] {
        let expected = (expected.0, expected.1.to_string());
        assert!(ddos.contains(&expected), "{expected:?} not in {ddos:?}");
    }
}

#[test]
fn sshd_rfc5424_sample_merges_a_connection_across_priorities() {
    let found = run_filter("sshd", "sshd-rfc5424", &["--logtype", "rfc5424"]);
    let got: Vec<(u64, &str, u64)> = found
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["host"].as_str().unwrap(),
                f["attempts"].as_u64().unwrap(),
            )
        })
        .collect();
    // Two rejected keys (info) and the disconnect (error) are one failure.
    assert_eq!(got, vec![(3, "198.51.100.30", 3), (4, "198.51.100.31", 1)]);
    assert_eq!(found[0]["time"], "2026-11-20T12:40:17+00:00");
}

#[test]
fn sshd_publickey_parameter() {
    // Line 8: a valid user's rejected key, then the accepted one.
    let rejected_key = (8, "192.0.2.10".to_string());
    assert!(!failures("sshd", &[]).contains(&rejected_key));
    assert!(failures("sshd", &["--set", "publickey=any"]).contains(&rejected_key));
    assert!(!failures("sshd", &["--set", "publickey=invalid"]).contains(&rejected_key));
}

#[test]
fn sshd_sample_captures_user() {
    let found = run_filter("sshd", "sshd", &[]);
    assert_eq!(found[0]["captures"]["user"], "oracle");
    assert_eq!(found[4]["captures"]["user"], "x from 10.9.9.9 port 1 ssh2");
    assert_eq!(found[5]["captures"]["user"], "backup");
}

#[test]
fn pam_generic_sample() {
    assert_eq!(
        failures("pam-generic", &[]),
        expect(&[
            (1, "203.0.113.8"),
            (3, "198.51.100.9"),
            (4, "2001:db8::42"),
            (6, "203.0.113.99"),
        ])
    );
}

#[test]
fn recidive_sample() {
    assert_eq!(
        failures("recidive", &[]),
        expect(&[
            (1, "203.0.113.7"),
            (3, "2001:db8::7"),
            (6, "192.0.2.33"),
            (7, "192.0.2.34"),
            (9, "192.0.2.36"),
        ])
    );
}

#[test]
fn recidive_journal_sample() {
    let found: Vec<(u64, String)> =
        run_filter("recidive", "recidive-journal", &["--logtype", "journal"])
            .iter()
            .map(|f| {
                (
                    f["line"].as_u64().unwrap(),
                    f["host"].as_str().unwrap().to_string(),
                )
            })
            .collect();
    assert_eq!(found, expect(&[(1, "203.0.113.7"), (4, "2001:db8::99")]));
}

#[test]
fn vsftpd_sample() {
    assert_eq!(
        failures("vsftpd", &[]),
        expect(&[
            (1, "203.0.113.61"),
            (3, "198.51.100.62"),
            (4, "203.0.113.63"),
            (5, "2001:db8::64"),
        ])
    );
}

#[test]
fn proftpd_sample() {
    assert_eq!(
        failures("proftpd", &[]),
        expect(&[
            (1, "203.0.113.71"),
            (2, "198.51.100.72"),
            (3, "192.0.2.73"),
            (4, "192.0.2.73"),
            (6, "203.0.113.75"),
        ])
    );
}

#[test]
fn named_refused_sample() {
    assert_eq!(
        failures("named-refused", &[]),
        expect(&[
            (1, "203.0.113.91"),
            (2, "198.51.100.92"),
            (4, "2001:db8::94"),
            (5, "203.0.113.95"),
        ])
    );
}
