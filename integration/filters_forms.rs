//! Log forms the bundled filters learnt from fail2ban 1.0.2's sample logs
//! (Asterisk's PJSIP and security events, the Bitwarden server, MySQL's
//! journal-style "short" files, sshd through the journal with a kernel
//! timestamp), on sample lines written for these tests, some with a
//! client's text carrying another address (10.0.0.1, never reported).

use std::path::PathBuf;
use std::process::Command;

use crate::common::portcullis_bin;

fn run(filter: &str, sample: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("integration/samples")
        .join(format!("{sample}.log"));
    let out = Command::new(portcullis_bin())
        .args(["test-filter", filter])
        .arg(path)
        .args([
            "--json",
            "--now",
            "2026-11-21T00:00:00+00:00",
            "--timezone",
            "UTC",
        ])
        .args(extra)
        .output()
        .expect("portcullis runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn failures(filter: &str, sample: &str, extra: &[&str]) -> Vec<(u64, String)> {
    run(filter, sample, extra)
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["host"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn expect(pairs: &[(u64, &str)]) -> Vec<(u64, String)> {
    pairs.iter().map(|(l, h)| (*l, h.to_string())).collect()
}

#[test]
fn asterisk_pjsip_dialplan_and_security_event_forms() {
    // 6 and 7: a call id or From with a whole second "' failed for '...'"
    // part reads two ways: not matched. 8 and 9: a session id with a fake
    // LocalAddress/RemoteAddress pair: the address is the last pair's.
    assert_eq!(
        failures("asterisk", "asterisk-pjsip", &[]),
        expect(&[
            (1, "203.0.113.171"),
            (2, "2001:db8::172"),
            (3, "198.51.100.173"),
            (4, "198.51.100.174"),
            (5, "198.51.100.175"),
            (8, "198.51.100.178"),
            (9, "198.51.100.179"),
        ])
    );
}

#[test]
fn bitwarden_server_logins() {
    // Line 2 is a success; line 5 has text after the address.
    assert_eq!(
        failures("bitwarden", "bitwarden", &[]),
        expect(&[
            (1, "203.0.113.161"),
            (3, "2001:db8::163"),
            (4, "198.51.100.164")
        ])
    );
    // The line's own offset counts: 10:00:01 at +01:00 is 09:00:01 UTC.
    assert_eq!(
        run("bitwarden", "bitwarden", &[])[0]["time"],
        "2026-11-20T09:00:01+00:00"
    );
}

#[test]
fn mysqld_auth_logtype_short() {
    let found = run("mysqld-auth", "mysqld-auth-short", &["--logtype", "short"]);
    let hosts: Vec<&str> = found.iter().map(|f| f["host"].as_str().unwrap()).collect();
    // 2 and 4: a user name (the client's) and a database name (the client's,
    // after the host) with a fake host part.
    assert_eq!(hosts, ["203.0.113.181", "203.0.113.182", "203.0.113.184"]);
    assert_eq!(found[0]["time"], "2026-11-20T06:00:01+00:00");
}

#[test]
fn sshd_journal_lines_with_a_kernel_timestamp() {
    assert_eq!(
        failures("sshd", "sshd-journal-kernel", &["--logtype", "journal"]),
        expect(&[(1, "203.0.113.191"), (2, "2001:db8::192")])
    );
}

#[test]
fn json_names_the_kind_of_id() {
    let found = run("sshd", "sshd-journal-kernel", &["--logtype", "journal"]);
    assert_eq!(found[0]["ip4"], "203.0.113.191");
    assert!(found[0].get("ip6").is_none());
    assert_eq!(found[1]["ip6"], "2001:db8::192");
}
