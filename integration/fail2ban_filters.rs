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
            // part of aggressive): fail2ban keeps `<mdpr-auth2>` as literal
            // text, a prefix that never matches; we say so instead.
            (Err(e), Some(_))
                if left_mode_tag(theirs, opts)
                    && e.to_string().contains("is not defined: is `") => {}
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

/// Whether fail2ban left a `<...-MODE>` tag unresolved in a setting.
fn left_mode_tag(settings: &serde_json::Value, options: &serde_json::Value) -> bool {
    let Some(mode) = options["mode"].as_str() else {
        return false;
    };
    let tag = format!("-{mode}>");
    SETTINGS
        .iter()
        .any(|name| settings[name].as_str().is_some_and(|v| v.contains(&tag)))
}
