//! The bundled filters of web servers and web applications on their
//! sample logs (see `filters`): Apache, nginx, HAProxy, Traefik, Gitea,
//! Vaultwarden.

use crate::filters::{expect, failures, run_filter, users};

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
