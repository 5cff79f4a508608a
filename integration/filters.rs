//! The bundled filters on small sample logs (`integration/samples/`),
//! written for these tests (not fail2ban's), run through the real binary
//! with `test-filter --json`: which lines fail, and on which address.

use std::path::PathBuf;
use std::process::Command;

use crate::common::portcullis_bin;

/// "Now" of every sample: the samples' syslog dates are Nov 20, 2026.
const NOW: &str = "2026-11-21T00:00:00+00:00";

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("integration/samples")
        .join(format!("{name}.log"))
}

/// Runs `test-filter FILTER samples/SAMPLE.log --json` with `extra` options
/// and returns the JSON objects it printed.
fn run_filter(filter: &str, sample_name: &str, extra: &[&str]) -> Vec<serde_json::Value> {
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
fn failures(filter: &str, extra: &[&str]) -> Vec<(u64, String)> {
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

fn expect(pairs: &[(u64, &str)]) -> Vec<(u64, String)> {
    pairs.iter().map(|(l, h)| (*l, h.to_string())).collect()
}

/// The users captured on the failures of `filter` in its sample, in order.
fn users(filter: &str, extra: &[&str]) -> Vec<String> {
    run_filter(filter, filter, extra)
        .iter()
        .map(|f| f["captures"]["user"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn apache_auth_sample() {
    // Line 7 is mod_evasive (aggressive only); line 9's user name holds an
    // address, line 10's path holds a fake client: the address is the
    // client's in both.
    assert_eq!(
        failures("apache-auth", &[]),
        expect(&[
            (1, "203.0.113.10"),
            (2, "203.0.113.10"),
            (4, "2001:db8::5"),
            (5, "198.51.100.20"),
            (6, "192.0.2.30"),
            (9, "192.0.2.60"),
        ])
    );
    assert_eq!(
        users("apache-auth", &[])[..3],
        ["admin", "alice", ""].map(String::from)
    );
    let aggressive = failures("apache-auth", &["--mode", "aggressive"]);
    assert!(
        aggressive.contains(&(7, "192.0.2.40".to_string())),
        "{aggressive:?}"
    );
}

#[test]
fn apache_auth_syslog_sample() {
    let found: Vec<_> = run_filter(
        "apache-auth",
        "apache-auth-syslog",
        &["--set", "logging=syslog"],
    )
    .iter()
    .map(|f| {
        (
            f["line"].as_u64().unwrap(),
            f["host"].as_str().unwrap().to_string(),
        )
    })
    .collect();
    assert_eq!(found, expect(&[(1, "203.0.113.11"), (3, "198.51.100.12")]));
}

#[test]
fn nginx_http_auth_sample() {
    // Line 4 puts a fake client into the user name.
    assert_eq!(
        failures("nginx-http-auth", &[]),
        expect(&[
            (1, "203.0.113.21"),
            (2, "203.0.113.21"),
            (4, "198.51.100.7"),
            (7, "2001:db8::21"),
            (8, "192.0.2.58"),
        ])
    );
    assert_eq!(
        failures("nginx-http-auth", &["--mode", "fallback"]),
        expect(&[(5, "192.0.2.55")])
    );
}

#[test]
fn nginx_limit_req_sample() {
    assert_eq!(
        failures("nginx-limit-req", &[]),
        expect(&[
            (1, "203.0.113.31"),
            (2, "198.51.100.32"),
            (3, "2001:db8::33"),
            (5, "192.0.2.35"),
        ])
    );
}

#[test]
fn nginx_botsearch_sample() {
    assert_eq!(
        failures("nginx-botsearch", &[]),
        expect(&[
            (1, "203.0.113.41"),
            (2, "203.0.113.41"),
            (5, "192.0.2.43"),
            (6, "2001:db8::44"),
        ])
    );
}

#[test]
fn dovecot_sample() {
    assert_eq!(
        failures("dovecot", &[]),
        expect(&[
            (1, "203.0.113.51"),
            (2, "203.0.113.52"),
            (5, "2001:db8::55"),
            (6, "192.0.2.56"),
            (7, "192.0.2.57"),
        ])
    );
    assert_eq!(
        users("dovecot", &[]),
        [
            "sales@example.org",
            "info@example.org",
            "carol",
            "dave",
            "erin"
        ]
        .map(String::from)
    );
    let aggressive = failures("dovecot", &["--mode", "aggressive"]);
    assert!(
        aggressive.contains(&(4, "198.51.100.54".to_string())),
        "{aggressive:?}"
    );
}

#[test]
fn postfix_sample() {
    assert_eq!(
        failures("postfix", &[]),
        expect(&[(1, "203.0.113.61"), (4, "2001:db8::64"), (8, "192.0.2.68")])
    );
    // SASL failures, but not the lost connection to the auth server.
    assert_eq!(
        failures("postfix", &["--mode", "auth"]),
        expect(&[(3, "203.0.113.63"), (7, "192.0.2.67")])
    );
    assert_eq!(users("postfix", &["--mode", "auth"])[1], "info@example.org");
    assert_eq!(
        failures("postfix", &["--mode", "errors"]),
        expect(&[(8, "192.0.2.68")])
    );
    // Line 10's client had no address ("unknown[unknown]"): nothing to ban.
    assert_eq!(
        failures("postfix", &["--mode", "ddos"]),
        expect(&[(6, "192.0.2.66")])
    );
}

#[test]
fn exim_sample() {
    // Line 3 is a delivery, line 8 a temporary failure of the server.
    assert_eq!(
        failures("exim", &[]),
        expect(&[
            (1, "203.0.113.81"),
            (2, "198.51.100.82"),
            (4, "203.0.113.84"),
            (5, "2001:db8::85"),
            (6, "192.0.2.86"),
            (7, "192.0.2.87"),
        ])
    );
    assert_eq!(users("exim", &[])[0], "admin@example.org");
    let aggressive = failures("exim", &["--mode", "aggressive"]);
    assert!(
        aggressive.contains(&(9, "192.0.2.89".to_string())),
        "{aggressive:?}"
    );
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
fn sendmail_reject_sample() {
    // Line 7's unknown user names no client: the failure is reported on
    // line 8, the same connection's from= line.
    assert_eq!(
        failures("sendmail-reject", &[]),
        expect(&[
            (1, "203.0.113.101"),
            (2, "198.51.100.102"),
            (6, "192.0.2.106"),
            (8, "192.0.2.107"),
        ])
    );
    let extra = failures("sendmail-reject", &["--mode", "extra"]);
    assert!(extra.contains(&(4, "192.0.2.104".to_string())), "{extra:?}");
    assert!(
        extra.contains(&(5, "2001:db8::105".to_string())),
        "{extra:?}"
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
fn gitea_sample() {
    assert_eq!(
        failures("gitea", &[]),
        expect(&[
            (1, "203.0.113.121"),
            (2, "198.51.100.122"),
            (4, "2001:db8::124"),
            (5, "192.0.2.125"),
        ])
    );
    assert_eq!(
        users("gitea", &[])[..2],
        ["alice", "nobody"].map(String::from)
    );
}

#[test]
fn vaultwarden_sample() {
    assert_eq!(
        failures("vaultwarden", &[]),
        expect(&[
            (1, "203.0.113.131"),
            (3, "198.51.100.132"),
            (4, "2001:db8::133"),
            (5, "192.0.2.134"),
        ])
    );
    assert_eq!(users("vaultwarden", &[])[0], "bob@example.org");
}

#[test]
fn traefik_auth_sample() {
    assert_eq!(
        failures("traefik-auth", &[]),
        expect(&[(1, "203.0.113.141"), (4, "2001:db8::144")])
    );
    assert_eq!(
        failures("traefik-auth", &["--mode", "ddos"]),
        expect(&[(2, "198.51.100.142")])
    );
    assert_eq!(failures("traefik-auth", &["--mode", "aggressive"]).len(), 3);
}

#[test]
fn haproxy_http_auth_sample() {
    assert_eq!(
        failures("haproxy-http-auth", &[]),
        expect(&[(1, "203.0.113.151"), (3, "2001:db8::153")])
    );
    let aggressive = failures("haproxy-http-auth", &["--mode", "aggressive"]);
    assert!(
        aggressive.contains(&(4, "192.0.2.154".to_string())),
        "{aggressive:?}"
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
fn courier_auth_sample() {
    assert_eq!(
        failures("courier-auth", &[]),
        expect(&[
            (1, "203.0.113.81"),
            (2, "198.51.100.82"),
            (4, "203.0.113.84")
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
