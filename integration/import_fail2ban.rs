//! `portcullis import-fail2ban` on Debian's fail2ban configuration (from
//! the unpacked package, copied to a temporary directory at run time) plus
//! a jail.local written here: the output passes check-config, carries each
//! jail's settings, lists what it cannot map, and runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use portcullis::config::{BanTime, Growth};
use portcullis::nft::{PortRange, Ports, Protocol};

use crate::common::{fail2ban_root, portcullis_bin};
use crate::daemon_common::{Daemon, append, sshd_failure};

const JAIL_LOCAL: &str = r#"
[DEFAULT]
ignoreip = 127.0.0.1/8 ::1 192.0.2.0/24, trusted.example.org
bantime.increment = true
bantime.rndtime = 5m
bantime.maxtime = 5w
bantime.overalljails = true

[sshd]
enabled = true
mode = aggressive
port = ssh,2222
ignorecommand = /usr/local/bin/is-trusted <ip>

[nginx-http-auth]
enabled = true
bantime = -1
findtime = 1h 30m
usedns = yes

[postfix]
enabled = true
mode = more
maxretry = 3
bantime.formula = ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)

[recidive]
enabled = true

[dovecot]
enabled = true
action = %(action_mwl)s
"#;

/// A copy of Debian's /etc/fail2ban with `local` as its jail.local.
fn fail2ban_dir(test: &str, local: &str) -> Option<(tempfile::TempDir, PathBuf)> {
    let root = fail2ban_root(test)?;
    let tmp = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .arg("-r")
        .arg(root.join("etc/fail2ban"))
        .arg(tmp.path())
        .status()
        .unwrap();
    assert!(status.success());
    let dir = tmp.path().join("fail2ban");
    std::fs::write(dir.join("jail.local"), local).unwrap();
    Some((tmp, dir))
}

/// stdout and stderr of `portcullis import-fail2ban ARGS DIR`.
fn import(dir: &Path, args: &[&str]) -> (String, String) {
    let out = Command::new(portcullis_bin())
        .arg("import-fail2ban")
        .args(args)
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

fn check_config(path: &Path) {
    let out = Command::new(portcullis_bin())
        .args(["check-config", "--config"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn r(first: u16, last: u16) -> PortRange {
    PortRange { first, last }
}

#[test]
fn debian_config_with_five_jails_imports_to_a_valid_configuration() {
    let Some((_tmp, dir)) = fail2ban_dir("import_debian", JAIL_LOCAL) else {
        return;
    };
    let (kdl, stderr) = import(&dir, &[]);
    let path = dir.join("portcullis.kdl");
    std::fs::write(&path, &kdl).unwrap();
    check_config(&path);
    let config = portcullis::config::load(&path).unwrap();
    let names: Vec<&str> = config.enabled_jails().map(|j| j.name.as_str()).collect();
    assert_eq!(
        names,
        ["sshd", "nginx-http-auth", "postfix", "dovecot", "recidive"]
    );

    let sshd = config.jail("sshd").unwrap();
    assert_eq!(
        sshd.filter,
        dir.join("filter.d/sshd.conf").display().to_string()
    );
    assert_eq!(sshd.filter_mode.as_deref(), Some("aggressive"));
    assert_eq!(sshd.sources, ["/var/log/auth.log"]);
    assert_eq!(sshd.settings.ports, Ports::tcp(&[22, 2222]));
    assert_eq!(sshd.settings.maxretry, 5);
    let inc = sshd.settings.increment.as_ref().unwrap();
    assert_eq!(inc.growth, Growth::Exponential { factor: 1.0 });
    assert_eq!(inc.jitter.as_secs(), 300);
    assert_eq!(inc.max.unwrap().as_secs(), 5 * 604_800);
    assert!(inc.across_jails);
    let ignored: Vec<String> = sshd.settings.ignore.iter().map(|n| n.to_string()).collect();
    assert_eq!(ignored, ["127.0.0.0/8", "::1", "192.0.2.0/24"]);

    let nginx = config.jail("nginx-http-auth").unwrap();
    assert_eq!(nginx.settings.ports, Ports::tcp(&[80, 443]));
    assert_eq!(nginx.settings.bantime, BanTime::Permanent);
    assert_eq!(nginx.settings.findtime.as_secs(), 5400);
    assert_eq!(nginx.sources, ["/var/log/nginx/*error.log"]);

    let postfix = config.jail("postfix").unwrap();
    assert_eq!(postfix.filter_mode.as_deref(), Some("more"));
    assert_eq!(postfix.settings.maxretry, 3);
    assert_eq!(
        postfix.settings.ports,
        Ports::listed(
            vec![Protocol::Tcp],
            vec![r(25, 25), r(465, 465), r(587, 587)]
        )
    );

    let dovecot = config.jail("dovecot").unwrap();
    assert_eq!(
        dovecot.settings.ports,
        Ports::tcp(&[110, 143, 465, 587, 993, 995, 4190])
    );
    assert!(
        kdl.contains("// fail2ban's sendmail-whois-lines mailed root@localhost"),
        "{kdl}"
    );
    assert!(kdl.contains("//     exec \"/bin/sh\""), "{kdl}");

    let recidive = config.jail("recidive").unwrap();
    assert_eq!(recidive.filter, "recidive");
    assert_eq!(recidive.settings.ports, Ports::All);
    assert_eq!(
        recidive.settings.bantime,
        BanTime::For(std::time::Duration::from_secs(604_800))
    );
    assert_eq!(
        recidive.journals[0].matches,
        ["_SYSTEMD_UNIT=portcullis.service"]
    );
    assert!(
        kdl.contains("fail2ban's recidive read fail2ban's own log"),
        "{kdl}"
    );

    // Each unmappable setting: a comment at its jail and a line on stderr.
    for line in [
        "jail sshd: ignorecommand = /usr/local/bin/is-trusted <ip>: no counterpart in a portcullis jail; not mapped",
        "jail nginx-http-auth: usedns = yes: portcullis never resolves host names found in logs; such lines are not counted",
        "jail postfix: bantime.formula = ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor): only the default formula (or bantime.multipliers) is available; the default is used",
        "jail dovecot: ignoreip trusted.example.org: host names and files are not resolved; add its addresses to `ignore`",
    ] {
        assert!(
            stderr.lines().any(|l| l == line),
            "missing {line:?} in:\n{stderr}"
        );
        let comment = line.split_once(": ").unwrap().1;
        assert!(kdl.contains(&format!("// not mapped: {comment}")), "{kdl}");
    }
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("jail ")).count(),
        8,
        "{stderr}"
    );
}

#[test]
fn prefer_bundled_uses_our_filters_where_they_exist() {
    let Some((_tmp, dir)) = fail2ban_dir("import_bundled", JAIL_LOCAL) else {
        return;
    };
    let (kdl, _) = import(&dir, &["--prefer-bundled"]);
    let path = dir.join("portcullis.kdl");
    std::fs::write(&path, &kdl).unwrap();
    check_config(&path);
    let config = portcullis::config::load(&path).unwrap();
    let sshd = config.jail("sshd").unwrap();
    assert_eq!(
        (sshd.filter.as_str(), sshd.filter_mode.as_deref()),
        ("sshd", Some("aggressive"))
    );
    assert_eq!(config.jail("dovecot").unwrap().filter, "dovecot");
}

#[test]
fn the_daemon_runs_the_imported_configuration_and_bans() {
    let Some((_tmp, dir)) = fail2ban_dir("import_daemon", "") else {
        return;
    };
    let Some(mut d) = Daemon::prepare("import-daemon", "") else {
        return;
    };
    let log = d.path("auth.log");
    std::fs::write(&log, "").unwrap();
    let local = format!(
        "[sshd]\nenabled = true\nmode = aggressive\nport = ssh,2222,8000:8100\nmaxretry = 2\nlogpath = {}\n",
        log.display()
    );
    std::fs::write(dir.join("jail.local"), local).unwrap();
    let (kdl, _) = import(&dir, &[]);
    d.write_config(&kdl);
    d.start();
    append(&log, &sshd_failure("198.51.100.60"));
    append(&log, &sshd_failure("198.51.100.60"));
    d.wait_banned("sshd-v4", "198.51.100.60");
    let rules =
        d.ns.sh(&["nft", "list", "chain", "inet", "portcullis", "input"]);
    assert!(
        rules.contains("tcp dport { 22, 2222, 8000-8100 } ip saddr @sshd-v4 drop"),
        "{rules}"
    );
}

#[test]
fn every_jail_of_jail_conf_enabled_imports_and_passes_check_config() {
    let Some((_tmp, dir)) = fail2ban_dir("import_every_jail", "") else {
        return;
    };
    let conf = std::fs::read_to_string(dir.join("jail.conf")).unwrap();
    let names: Vec<&str> = conf
        .lines()
        .filter_map(|l| l.strip_prefix('[')?.strip_suffix(']'))
        .filter(|s| !matches!(*s, "INCLUDES" | "DEFAULT"))
        .collect();
    assert!(names.len() > 80, "{names:?}");
    let local: String = names
        .iter()
        .map(|n| format!("[{n}]\nenabled = true\n"))
        .collect();
    std::fs::write(dir.join("jail.local"), local).unwrap();
    let (kdl, stderr) = import(&dir, &[]);
    let path = dir.join("portcullis.kdl");
    std::fs::write(&path, &kdl).unwrap();
    check_config(&path);
    let config = portcullis::config::load(&path).unwrap();
    let imported: Vec<&str> = config.enabled_jails().map(|j| j.name.as_str()).collect();
    assert_eq!(imported, names, "{stderr}");
    // Jails banning tcp and udp at once keep both.
    let asterisk = config.jail("asterisk").unwrap();
    assert_eq!(
        asterisk.settings.ports,
        Ports::listed(vec![Protocol::Tcp, Protocol::Udp], vec![r(5060, 5061)])
    );
}

#[test]
fn systemd_backend_reads_the_journal_matches_of_fail2bans_filter() {
    let local = "[sshd]\nenabled = true\nbackend = systemd\n";
    let Some((_tmp, dir)) = fail2ban_dir("import_systemd", local) else {
        return;
    };
    let (kdl, _) = import(&dir, &[]);
    let path = dir.join("portcullis.kdl");
    std::fs::write(&path, &kdl).unwrap();
    check_config(&path);
    let config = portcullis::config::load(&path).unwrap();
    let sshd = config.jail("sshd").unwrap();
    assert!(sshd.sources.is_empty(), "{kdl}");
    // sshd.conf: journalmatch = _SYSTEMD_UNIT=sshd.service + _COMM=sshd
    let groups: Vec<&[String]> = sshd.journals.iter().map(|j| j.matches.as_slice()).collect();
    assert_eq!(groups, [["_SYSTEMD_UNIT=sshd.service"], ["_COMM=sshd"]]);
}

/// dropbear.conf has no `journalmatch`: fail2ban's systemd backend runs it
/// on the whole journal, and so does the imported jail, enabled.
#[test]
fn systemd_backend_without_journalmatch_reads_the_whole_journal() {
    let local = "[dropbear]\nenabled = true\nbackend = systemd\n";
    let Some((_tmp, dir)) = fail2ban_dir("import_systemd_all", local) else {
        return;
    };
    let (kdl, stderr) = import(&dir, &[]);
    assert!(!stderr.contains("dropbear"), "{stderr}");
    assert!(kdl.contains("\n    journal\n"), "{kdl}");
    let path = dir.join("portcullis.kdl");
    std::fs::write(&path, &kdl).unwrap();
    check_config(&path);
    let config = portcullis::config::load(&path).unwrap();
    let dropbear = config.jail("dropbear").expect("dropbear enabled");
    assert!(dropbear.sources.is_empty(), "{kdl}");
    let journals = portcullis::config::journal_sources(&dropbear.journals);
    assert_eq!(journals.len(), 1);
    assert!(journals[0].reads_every_entry(), "{kdl}");
}

#[test]
fn a_missing_directory_and_a_syntax_error_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &Path| {
        let out = Command::new(portcullis_bin())
            .args(["import-fail2ban"])
            .arg(dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(out.stdout.is_empty());
        String::from_utf8(out.stderr).unwrap()
    };
    let missing = tmp.path().join("nowhere");
    let stderr = run(&missing);
    let expected = format!(
        "cannot import fail2ban's configuration from {0}: cannot read {0}/jail.conf: No such file or directory (os error 2)",
        missing.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    std::fs::write(tmp.path().join("jail.conf"), "[sshd]\nenabled = true\n[x\n").unwrap();
    let stderr = run(tmp.path());
    let expected = format!(
        "{}/jail.conf:3: `[x` is neither a [section], a `key = value` nor a comment",
        tmp.path().display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}
