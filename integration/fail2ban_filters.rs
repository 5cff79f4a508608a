//! fail2ban's own filter files (Debian's package, unpacked under target/)
//! read by portcullis's fail2ban reader, checked against fail2ban's reader.

use std::path::{Path, PathBuf};
use std::process::Command;

use portcullis::fail2ban::filter::resolve;
use portcullis::filter::FilterOptions;

use crate::common::fail2ban_root;

const SETTINGS: [&str; 6] = [
    "prefregex",
    "failregex",
    "ignoreregex",
    "datepattern",
    "maxlines",
    "journalmatch",
];

fn filter_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("etc/fail2ban/filter.d"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    files
}

/// fail2ban's resolution of every filter file, for every mode it declares
/// and both log types: one JSON object per (file, options).
fn oracle(root: &Path, files: &[PathBuf]) -> Vec<serde_json::Value> {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("integration/fail2ban-filter-oracle.py");
    let output = Command::new("python3")
        .arg(script)
        .args(files)
        .env("PYTHONPATH", root.join("usr/lib/python3/dist-packages"))
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Each filter file in filter.d, in each of its modes and for both log
/// types, gives the same prefregex, failregex, ignoreregex, datepattern,
/// maxlines and journalmatch as fail2ban's FilterReader.
#[test]
fn every_filter_resolves_as_fail2bans_reader_does() {
    let Some(root) = fail2ban_root("every_filter_resolves_as_fail2bans_reader_does") else {
        return;
    };
    let files = filter_files(&root);
    let cases = oracle(&root, &files);
    assert!(cases.len() > 2 * files.len(), "{} cases", cases.len());
    let mut differences = Vec::new();
    let mut compared = 0;
    for case in &cases {
        let path = PathBuf::from(case["path"].as_str().unwrap());
        let opts = &case["options"];
        let options = FilterOptions {
            mode: opts["mode"].as_str().map(str::to_string),
            logtype: opts["logtype"].as_str().map(str::to_string),
            set: Vec::new(),
        };
        let ours = resolve(&path, &options, false, &mut Vec::new());
        let theirs = &case["settings"];
        let what = format!("{} {opts}", path.display());
        match (ours, theirs.get("failregex")) {
            (Err(e), None) => {
                // fail2ban refuses it or finds no filter in it: so do we.
                eprintln!("{what}: both refuse: {e}");
                continue;
            }
            // A mode the file has no prefix for (postfix's auth2 is only a
            // part of aggressive; sshd's normal-other is no mode at all):
            // fail2ban keeps `<mdpr-auth2>` as literal text, a prefix that
            // never matches; we say so instead.
            (Err(e), Some(_))
                if left_reference(theirs) && e.to_string().contains("is not defined") => {}
            (Err(e), Some(_)) => differences.push(format!("{what}: we refuse: {e}")),
            (Ok(ours), _) => {
                compared += 1;
                for name in SETTINGS {
                    let mine = ours.setting(name).map(|s| s.text.as_str());
                    let want = theirs.get(name).and_then(|v| v.as_str());
                    if mine != want {
                        differences.push(format!(
                            "{what}: {name}:\n  ours   {mine:?}\n  theirs {want:?}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
    assert!(compared > 2 * files.len() - 10, "only {compared} compared");
}

/// Whether fail2ban left a tag like `<mdre-other>` (lower case, with `-`)
/// unresolved in a setting, one that is no named group.
fn left_reference(settings: &serde_json::Value) -> bool {
    SETTINGS.iter().any(|name| {
        let Some(value) = settings[name].as_str() else {
            return false;
        };
        value.match_indices('<').any(|(at, _)| {
            let name: String = value[at + 1..].chars().take_while(|&c| c != '>').collect();
            !value[..at].ends_with("?P")
                && name.contains('-')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
    })
}

const DEMO: &str = r"[INCLUDES]
before = common.conf

[Definition]
_daemon = demod
__prefix = \s*\S+ <_daemon>\[\d+\]:
failregex = ^%(__prefix)s bad password from <HOST>$
            <mdre-<mode>>
mdre-normal =
mdre-aggressive = ^%(__prefix)s timeout from <HOST>$

[Init]
mode = normal
";

const LOG: &str = "Aug 14 11:59:58 host demod[12]: bad password from 192.0.2.1
Aug 14 11:59:59 host demod[12]: timeout from 192.0.2.2
Aug 14 11:59:59 host other[12]: bad password from 192.0.2.3
";

/// A filter.d with DEMO (its include missing) and a log file.
fn demo_tree() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("filter.d")).unwrap();
    let filter = dir.path().join("filter.d/demo.conf");
    std::fs::write(&filter, DEMO).unwrap();
    let log = dir.path().join("auth.log");
    std::fs::write(&log, LOG).unwrap();
    (dir, filter, log)
}

fn test_filter(filter: &Path, log: &Path, args: &[&str]) -> std::process::Output {
    Command::new(crate::common::portcullis_bin())
        .arg("test-filter")
        .arg(filter)
        .arg(log)
        .args([
            "--json",
            "--timezone",
            "Europe/Berlin",
            "--now",
            "2005-08-14T12:00:00+02:00",
        ])
        .args(args)
        .output()
        .unwrap()
}

/// test-filter takes a fail2ban filter file by path, its mode as fail2ban
/// takes it, prints the missing include as a warning, and refuses a mode
/// the file lacks naming the file and line.
#[test]
fn test_filter_runs_a_fail2ban_filter_file() {
    let (_dir, filter, log) = demo_tree();
    let normal = test_filter(&filter, &log, &[]);
    assert_eq!(crate::common::failure_hosts(&normal), ["192.0.2.1"]);
    let stderr = String::from_utf8_lossy(&normal.stderr);
    assert!(
        stderr.contains(
            "filter.d/demo.conf:2: include common.conf not found, skipped (as fail2ban does)"
        ),
        "{stderr}"
    );
    let aggressive = test_filter(&filter, &log, &["--mode", "aggressive"]);
    assert_eq!(
        crate::common::failure_hosts(&aggressive),
        ["192.0.2.1", "192.0.2.2"]
    );
    let other = test_filter(&filter, &log, &["--set", "_daemon=other"]);
    assert_eq!(crate::common::failure_hosts(&other), ["192.0.2.3"]);
    let typo = test_filter(&filter, &log, &["--mode", "agressive"]);
    assert!(!typo.status.success());
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert!(
        stderr.contains("demo.conf:7: `failregex`: <mdre-agressive> is not defined: is `agressive` a mode this filter has?"),
        "{stderr}"
    );
}

/// A jail's filter may be a fail2ban filter file; check-config loads it
/// with the jail's options and prints its warnings on stderr.
#[test]
fn check_config_takes_a_fail2ban_filter_file() {
    let (dir, filter, log) = demo_tree();
    let config = dir.path().join("portcullis.kdl");
    let kdl = format!(
        "jail \"demo\" {{\n    filter \"{}\" mode=\"aggressive\"\n    source \"{}\"\n}}\n",
        filter.display(),
        log.display()
    );
    std::fs::write(&config, kdl).unwrap();
    let out = Command::new(crate::common::portcullis_bin())
        .args(["check-config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid; 1 enabled jail(s): demo"));
    assert!(stderr.contains("warning: jail demo: filter "), "{stderr}");
    assert!(stderr.contains("include common.conf not found"), "{stderr}");
    std::fs::write(
        &config,
        format!(
            "jail \"demo\" {{\n    filter \"{}\" mode=\"nope\"\n    source \"{}\"\n}}\n",
            filter.display(),
            log.display()
        ),
    )
    .unwrap();
    let out = Command::new(crate::common::portcullis_bin())
        .args(["check-config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("<mdre-nope> is not defined: is `nope` a mode this filter has?"),
        "{stderr}"
    );
}

/// A journal source reads a fail2ban filter file as fail2ban's systemd
/// backend does: with `logtype=journal` unless the options say otherwise.
#[test]
fn journal_sources_read_fail2ban_filters_with_the_journal_log_type() {
    let Some(root) =
        fail2ban_root("journal_sources_read_fail2ban_filters_with_the_journal_log_type")
    else {
        return;
    };
    let sshd = root.join("etc/fail2ban/filter.d/sshd.conf");
    let prefix = |options: &FilterOptions, journal: bool| {
        let resolved = resolve(&sshd, options, journal, &mut Vec::new()).unwrap();
        assert_eq!(
            resolved.logtype,
            if journal || options.logtype.is_some() {
                "journal"
            } else {
                "file"
            }
        );
        resolved.setting("prefregex").unwrap().text.clone()
    };
    let journal = FilterOptions {
        logtype: Some("journal".to_string()),
        ..FilterOptions::default()
    };
    let auto = prefix(&FilterOptions::default(), true);
    assert_eq!(auto, prefix(&journal, false));
    assert_ne!(auto, prefix(&FilterOptions::default(), false));
    let name = sshd.to_str().unwrap();
    let compiled =
        portcullis::config::filters::load_for_journal(name, &FilterOptions::default()).unwrap();
    assert_eq!(compiled.logtype, portcullis::filter::LogType::Journal);
    let compiled = portcullis::config::filters::load(name, &FilterOptions::default()).unwrap();
    assert_eq!(compiled.logtype, portcullis::filter::LogType::File);
}
