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

#[test]
fn notify_in_defaults_and_jail_merge_by_name() {
    let config = parse(
        r#"
defaults {
    notify "mail" { exec "/bin/mail-ban" "{ip}"; }
    notify "chat" { exec "/bin/chat" "{jail}: {ip} for {bantime}"; on "ban" "unban"; timeout "2s"; }
}
jail "sshd" {
    source "/l"
    notify "mail" { exec "/usr/local/bin/notify-ban" "--ip" "{ip}" "--failures" "{failures}"; timeout 30; }
}
"#,
    )
    .unwrap();
    let notify = &config.jails[0].settings.notify;
    let values = crate::notify::Values {
        ip: "192.0.2.1".into(),
        jail: "sshd".into(),
        bantime: "10m".into(),
        failures: "5".into(),
        ..Default::default()
    };
    assert_eq!(notify.len(), 2);
    assert_eq!(notify[0].name, "mail");
    assert_eq!(
        notify[0].argv(&values),
        vec![
            "/usr/local/bin/notify-ban",
            "--ip",
            "192.0.2.1",
            "--failures",
            "5"
        ]
    );
    assert_eq!(notify[0].events, vec![crate::notify::Event::Ban]);
    assert_eq!(notify[0].timeout, Duration::from_secs(30));
    assert_eq!(notify[1].argv(&values)[1], "sshd: 192.0.2.1 for 10m");
    assert_eq!(
        notify[1].events,
        vec![crate::notify::Event::Ban, crate::notify::Event::Unban]
    );
    assert_eq!(notify[1].timeout, Duration::from_secs(2));
    assert_eq!(config.notifications()["sshd"], *notify);
}

#[test]
fn notify_errors_point_at_the_offending_text() {
    assert_eq!(
        errors(concat!(
            "jail \"a\" {\n source \"/l\"\n",
            " notify \"n1\" { on \"ban\"; }\n",
            " notify \"n2\" { exec \"/bin/x\" \"--ip={ip}&{foo}\"; timeout \"soon\"; on \"kill\"; }\n",
            " notify \"n3\" { exec \"notify-send\"; retries 3; }\n",
            " notify \"n4\" { exec; timeout 0; }\n",
            "}\n"
        )),
        vec![
            "3:2 notify n1 has no `exec`",
            "4:41 unknown tag {foo}",
            "4:57 `timeout`: \"soon\" is not a duration (examples: 30s, 10m, 1h30m, 2d, 1w)",
            "4:68 unknown event \"kill\": use \"ban\", \"unban\"",
            "5:21 the program \"notify-send\" is not an absolute path",
            "5:36 unknown notify setting `retries`",
            "6:16 `exec` needs a program and its arguments",
            "6:22 `timeout` must be longer than 0s",
        ]
    );
}

#[test]
fn journal_nodes_and_their_sources() {
    let dir = tempfile::tempdir().unwrap();
    let present = write(dir.path(), "auth.log", "");
    let config = parse(&format!(
        r#"
jail "sshd" {{
    journal "_SYSTEMD_UNIT=sshd.service"
    journal "_SYSTEMD_UNIT=ssh.service" "_COMM=sshd" directory="/var/log/journal/remote"
    journal "SYSLOG_IDENTIFIER=sshd"
    journal "_SYSTEMD_UNIT=x.service" when-missing="{}"
    journal "_SYSTEMD_UNIT=y.service" when-missing="/nonexistent/auth.log"
}}
"#,
        present.display()
    ))
    .unwrap();
    let jail = &config.jails[0];
    assert!(jail.sources.is_empty());
    assert_eq!(jail.journals.len(), 5);
    assert_eq!(
        jail.journals[1],
        JournalNode {
            matches: vec!["_SYSTEMD_UNIT=ssh.service".into(), "_COMM=sshd".into()],
            directory: Some("/var/log/journal/remote".into()),
            when_missing: None,
        }
    );
    let specs = journal_sources(&jail.journals);
    assert_eq!(specs.len(), 2);
    assert_eq!(specs[0].directory, None);
    assert_eq!(
        specs[0].matches,
        vec![
            vec!["_SYSTEMD_UNIT=sshd.service".to_string()],
            vec!["SYSLOG_IDENTIFIER=sshd".to_string()],
            vec!["_SYSTEMD_UNIT=y.service".to_string()],
        ]
    );
    assert_eq!(specs[1].matches.len(), 1);
    assert_eq!(specs[0].cursor_key(), "journal:system");
    assert_eq!(specs[1].cursor_key(), "journal:/var/log/journal/remote");
}

#[test]
fn bad_journal_matches_point_at_the_entry() {
    assert_eq!(
        errors(concat!(
            "jail \"a\" {\n",
            " journal \"sshd\" \"=x\" \"_systemd_unit=sshd.service\" \"1X=y\"\n",
            " journal directory=\"rel\" unit=\"x\" \"A=b\"\n",
            " journal\n",
            " journal 3\n",
            "}\n"
        )),
        vec![
            "2:10 journal match \"sshd\" has no `=`: write FIELD=value, e.g. \"_SYSTEMD_UNIT=sshd.service\"",
            "2:17 journal match \"=x\" has no field name before `=`",
            "2:22 \"_systemd_unit\" is not a journal field name: upper-case letters, digits and `_` (e.g. _SYSTEMD_UNIT)",
            "2:51 \"1X\" is not a journal field name: upper-case letters, digits and `_` (e.g. _SYSTEMD_UNIT)",
            "3:10 `directory` takes an absolute path, not \"rel\"",
            "3:26 `journal` takes no property unit",
            "4:2 `journal` needs at least one match FIELD=value",
            "5:10 `journal` takes a string",
            "1:1 jail a has no source",
        ]
    );
}

#[test]
fn a_journal_is_a_source() {
    let config = parse("jail \"a\" { journal \"_SYSTEMD_UNIT=a.service\"; }\n").unwrap();
    assert_eq!(config.jails[0].journals.len(), 1);
}

#[test]
fn metrics_on_loopback_or_with_allow_remote() {
    let jail = "jail \"a\" { source \"/l\" }\n";
    assert_eq!(parse(jail).unwrap().metrics, None);
    let m = parse(&format!("metrics \"127.0.0.1:9617\"\n{jail}"))
        .unwrap()
        .metrics
        .unwrap();
    assert_eq!(m.listen, "127.0.0.1:9617".parse().unwrap());
    assert!(!m.allow_remote);
    let m = parse(&format!("metrics \"[::1]:0\"\n{jail}"))
        .unwrap()
        .metrics;
    assert_eq!(m.unwrap().listen.port(), 0);
    let m = parse(&format!(
        "metrics \"0.0.0.0:9617\" allow-remote=#true\n{jail}"
    ))
    .unwrap()
    .metrics
    .unwrap();
    assert!(m.allow_remote);
}

#[test]
fn metrics_refuses_remote_addresses_and_bad_values() {
    assert_eq!(
        errors(
            "jail \"a\" { source \"/l\" }\nmetrics \"0.0.0.0:9617\"\nmetrics \"192.0.2.1:9617\" allow-remote=#false\nmetrics \"localhost\"\nmetrics \"127.0.0.1:1\" public=#true\n"
        ),
        vec![
            "2:9 `metrics`: 0.0.0.0:9617 is not a loopback address; the metrics page has no authentication",
            "3:9 `metrics`: 192.0.2.1:9617 is not a loopback address; the metrics page has no authentication",
            "4:9 `metrics`: \"localhost\" is not an address and port such as \"127.0.0.1:9617\" or \"[::1]:9617\"",
            "5:23 `metrics` takes no property public",
        ]
    );
}
