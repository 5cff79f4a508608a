//! Reading configurations: settings, defaults, includes, errors at
//! file:line:column; a file per further subject beside this one.

mod cluster;
mod journal;
mod metrics;
mod notify;

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::nft::{BanVerdict, Network, Ports};

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    load(&write(dir.path(), "c.kdl", text))
}

/// Each problem as `line:column message`.
fn errors(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "c.kdl", text);
    match load(&path) {
        Ok(_) => panic!("no error for {text}"),
        Err(ConfigError::Problems(p)) => p
            .problems
            .iter()
            .map(|p| {
                let rendered = crate::diagnostic::KdlProblems::new("x", vec![p.clone()]).render();
                let at = rendered
                    .split(&format!("{}:", path.display()))
                    .nth(1)
                    .and_then(|s| s.split(']').next())
                    .unwrap_or("?")
                    .to_string();
                format!("{at} {}", p.message())
            })
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn full_jail_with_defaults() {
    let config = parse(
        r#"
table "pc"
hooks "input" "forward"
database "/tmp/db"
socket "/tmp/s.sock"
log-level "debug"
defaults { maxretry 3; bantime "1h30m"; ignore "10.0.0.0/8" }
jail "sshd" {
    filter "sshd" mode="aggressive" logging="syslog"
    source "/var/log/auth.log" "/var/log/secure*"
    port 22 2222
    action "reject"
    findtime 60
    ipv6-prefix 64
    bantime-increment { multipliers 1 2 4; max "1w"; jitter "5m"; across-jails #true }
}
jail "off" { enabled #false; bantime "permanent" }
"#,
    )
    .unwrap();
    assert_eq!(config.table, "pc");
    assert_eq!(
        config.hooks,
        vec![crate::nft::Hook::Input, crate::nft::Hook::Forward]
    );
    let j = &config.jails[0];
    assert_eq!(j.filter_mode.as_deref(), Some("aggressive"));
    assert_eq!(
        j.filter_params,
        vec![("logging".to_string(), "syslog".to_string())]
    );
    assert_eq!(j.sources.len(), 2);
    let s = &j.settings;
    assert_eq!(s.maxretry, 3);
    assert_eq!(s.findtime, Duration::from_secs(60));
    assert_eq!(s.bantime, BanTime::For(Duration::from_secs(5400)));
    assert_eq!(s.ports, Ports::tcp(&[22, 2222]));
    assert_eq!(s.verdict, BanVerdict::Reject);
    assert_eq!(s.v6_prefix, Some(64));
    assert_eq!(s.ignore, vec![Network::new("10.0.0.0".parse().unwrap(), 8)]);
    let inc = s.increment.as_ref().unwrap();
    assert_eq!(inc.growth, Growth::Multipliers(vec![1.0, 2.0, 4.0]));
    assert!(inc.across_jails);
    assert!(!config.jails[1].enabled);
    assert_eq!(config.jails[1].settings.bantime, BanTime::Permanent);
    assert_eq!(config.nft_config().jails.len(), 1);
}

#[test]
fn unknown_keys_everywhere_reported_at_once() {
    assert_eq!(
        errors(
            "tabel \"x\"\njail \"a\" {\n    source \"/l\"\n    maxretyr 3\n}\ndefaults { bogus 1 }\n"
        ),
        vec![
            "1:1 unknown top-level node `tabel`",
            "6:12 unknown jail setting `bogus`",
            "4:5 unknown jail setting `maxretyr`",
        ]
    );
}

#[test]
fn bad_values() {
    assert_eq!(
        errors(
            "jail \"a\" {\n source \"/l\"\n bantime \"10 minutes\"\n findtime 0\n maxretry \"3\"\n ignore \"300.1.1.1\"\n action \"deny\"\n port 70000\n}\n"
        ),
        vec![
            "3:10 `bantime`: \"10 minutes\" is not a duration (examples: 30s, 10m, 1h30m, 2d, 1w) or \"permanent\"",
            "4:11 `findtime` must be longer than 0s",
            "5:11 `maxretry` takes an integer from 1 to 1000000",
            "6:9 \"300.1.1.1\" is not an IP address or network (a.b.c.d[/len], ipv6[/len])",
            "7:9 unknown action \"deny\": use \"drop\" or \"reject\"",
            "8:7 `port` takes port numbers from 1 to 65535, ranges such as \"8000-8100\", or \"all\"",
        ]
    );
}

#[test]
fn globals_bad_values() {
    assert_eq!(
        errors("log-level \"loud\"\nhooks \"output\"\ntable 1\n"),
        vec![
            "1:11 unknown log level \"loud\": use one of error, warn, info, debug, trace",
            "2:7 unknown hook \"output\": use \"input\" or \"forward\"",
            "3:7 `table` takes a string",
        ]
    );
}

#[test]
fn fail2ban_socket_off_by_default_and_checked() {
    assert_eq!(parse("").unwrap().fail2ban_socket, None);
    let on = parse("fail2ban-socket \"/run/fail2ban/fail2ban.sock\"\n").unwrap();
    assert_eq!(
        on.fail2ban_socket.as_deref(),
        Some(std::path::Path::new("/run/fail2ban/fail2ban.sock"))
    );
    assert_eq!(
        errors("\nfail2ban-socket 7\nfail2ban-socket \"f2b.sock\"\n"),
        vec![
            "2:17 `fail2ban-socket` takes a string",
            "3:17 fail2ban-socket \"f2b.sock\" is not an absolute path",
        ]
    );
}

#[test]
fn jail_without_source_and_duplicates() {
    assert_eq!(
        errors("jail \"a\"\njail \"b\" { source \"/l\" }\njail \"b\" { source \"/l\" }\n"),
        vec!["1:1 jail a has no source", "3:1 jail b is defined twice"]
    );
}

#[test]
fn increment_errors() {
    assert_eq!(
        errors("jail \"a\" {\n source \"/l\"\n bantime-increment { factor -1; speed 2 }\n}\n"),
        vec![
            "3:29 `factor` takes positive numbers",
            "3:33 unknown bantime-increment setting `speed`",
        ]
    );
}

#[test]
fn syntax_errors_are_reported() {
    let errs = errors("jail \"a\" {\n");
    assert!(!errs.is_empty());
    assert!(errs[0].starts_with("1:"), "{errs:?}");
}

#[test]
fn include_relative_and_its_errors_point_into_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "jails.kdl",
        "jail \"a\" { source \"/l\"; maxretry 0 }\n",
    );
    let main = write(
        dir.path(),
        "main.kdl",
        "include \"jails.kdl\"\ninclude \"missing.kdl\"\n",
    );
    let Err(ConfigError::Problems(p)) = load(&main) else {
        panic!("expected problems");
    };
    let text = p.render();
    assert!(text.contains("jails.kdl:1:34"), "{text}");
    assert!(text.contains("cannot read included file"), "{text}");
    assert_eq!(p.problems.len(), 2);
}

#[test]
fn include_cycle_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.kdl", "include \"b.kdl\"\n");
    write(dir.path(), "b.kdl", "include \"a.kdl\"\n");
    let Err(ConfigError::Problems(p)) = load(&dir.path().join("a.kdl")) else {
        panic!("expected problems");
    };
    assert!(p.problems[0].message().starts_with("include cycle"));
}

#[test]
fn missing_file_names_it() {
    let err = load(Path::new("/nonexistent/p.kdl")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot read configuration file /nonexistent/p.kdl"
    );
}

#[test]
fn bad_filter_is_reported_at_the_filter_node() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "c.kdl",
        "jail \"a\" {\n source \"/l\"\n filter \"nosuch\"\n}\n",
    );
    let Err(ConfigError::Problems(p)) = load_checked(&path) else {
        panic!("expected problems");
    };
    assert!(
        p.problems[0]
            .message()
            .starts_with("jail a: filter nosuch: no filter named")
    );
    assert!(p.render().contains("c.kdl:3:2"));
}

#[test]
fn bundled_default_config_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("kdl-config/portcullis.kdl");
    let config = load_checked(&path).unwrap();
    let sshd = config.jail("sshd").unwrap();
    assert_eq!(sshd.sources, vec!["/var/log/auth.log"]);
    // The journal only when /var/log/auth.log is missing (NixOS).
    assert_eq!(sshd.journals.len(), 2);
    for node in &sshd.journals {
        assert_eq!(
            node.when_missing.as_deref(),
            Some(Path::new("/var/log/auth.log"))
        );
    }
    let units: Vec<&str> = sshd
        .journals
        .iter()
        .map(|n| n.matches[0].as_str())
        .collect();
    assert_eq!(
        units,
        ["_SYSTEMD_UNIT=sshd.service", "_SYSTEMD_UNIT=ssh.service"]
    );
}
