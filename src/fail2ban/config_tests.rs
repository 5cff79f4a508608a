//! Tests of [`Config`]: includes, `.local` overrides, loops, missing
//! includes, interpolation, on small files written for each test.

use std::path::{Path, PathBuf};

use super::{Config, Fail2banError, Warning};

/// A config root with `filter.d/`, and the files written into it.
struct Tree(tempfile::TempDir);

impl Tree {
    fn new(files: &[(&str, &str)]) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("filter.d")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        Tree(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    fn read(&self, name: &str) -> (Config, Vec<String>) {
        let mut warnings = Vec::new();
        let config = Config::read(&[self.path(name)], &mut warnings).unwrap();
        (config, warnings.iter().map(Warning::to_string).collect())
    }

    fn shown(&self, text: String) -> String {
        text.replace(&self.0.path().display().to_string(), "ROOT")
    }
}

fn get(config: &Config, section: &str, key: &str) -> String {
    config.get(section, key).unwrap().unwrap().text
}

fn names(config: &Config, root: &Path) -> Vec<String> {
    let files = config.files.iter();
    files
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect()
}

#[test]
fn includes_come_before_and_after_and_local_overrides() {
    let tree = Tree::new(&[
        (
            "filter.d/common.conf",
            "[DEFAULT]\nprefix = P\nshared = from-common\n",
        ),
        (
            "filter.d/common.local",
            "[DEFAULT]\nshared = from-common-local\n",
        ),
        ("paths.conf", "[DEFAULT]\nroot = yes\n"),
        (
            "filter.d/f.conf",
            "[INCLUDES]\nbefore = common.conf\n         paths.conf\nafter = f-after.conf\n[Definition]\nfailregex = %(prefix)s x\nmode = normal\nwho = %(shared)s\n",
        ),
        (
            "filter.d/f.local",
            "[Definition]\nmode = aggressive\nold = %(known/mode)s\n",
        ),
        ("filter.d/f-after.conf", "[Definition]\nlate = 1\n"),
    ]);
    let (config, warnings) = tree.read("filter.d/f.conf");
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        names(&config, tree.0.path()),
        [
            "filter.d/common.conf",
            "filter.d/common.local",
            "paths.conf",
            "filter.d/f.conf",
            "filter.d/f-after.conf",
            "filter.d/f.local"
        ]
    );
    assert_eq!(get(&config, "Definition", "failregex"), "P x");
    assert_eq!(get(&config, "Definition", "who"), "from-common-local");
    assert_eq!(get(&config, "Definition", "mode"), "aggressive");
    assert_eq!(get(&config, "Definition", "old"), "normal");
    assert_eq!(get(&config, "Definition", "root"), "yes");
    let mode = config.raw("Definition", "MODE").unwrap();
    assert_eq!(
        tree.shown(mode.origin.to_string()),
        "ROOT/filter.d/f.local:2"
    );
    assert_eq!(config.sections(), ["INCLUDES", "Definition"]);
    assert_eq!(
        config.keys("Definition"),
        [
            "failregex",
            "mode",
            "who",
            "late",
            "old",
            "prefix",
            "shared",
            "root"
        ]
    );
}

#[test]
fn missing_include_and_include_loop_are_warnings() {
    let tree = Tree::new(&[
        (
            "filter.d/a.conf",
            "[INCLUDES]\nbefore = b.conf\nafter = gone.conf\n[Definition]\nx = a\n",
        ),
        (
            "filter.d/b.conf",
            "[INCLUDES]\n\nbefore = a.conf\n[Definition]\nx = b\ny = b\n",
        ),
    ]);
    let (config, warnings) = tree.read("filter.d/a.conf");
    let warnings: Vec<String> = warnings.into_iter().map(|w| tree.shown(w)).collect();
    assert_eq!(
        warnings,
        [
            "ROOT/filter.d/b.conf:3: include ROOT/filter.d/a.conf is already being included (an include loop), not read again",
            "ROOT/filter.d/a.conf:3: include gone.conf not found, skipped (as fail2ban does)",
        ]
    );
    assert_eq!(get(&config, "Definition", "x"), "a");
    assert_eq!(get(&config, "Definition", "y"), "b");
}

/// A `.local` include is an optional override: fail2ban skips a missing
/// one silently (Debian's common.conf has `after = common.local` and ships
/// none), so warning of it would warn on every stock filter.
#[test]
fn a_missing_local_include_is_skipped_silently() {
    let tree = Tree::new(&[
        (
            "filter.d/common.conf",
            "[INCLUDES]\nafter = common.local\n[DEFAULT]\n_daemon = \\S*\n",
        ),
        (
            "filter.d/f.conf",
            "[INCLUDES]\nbefore = common.conf\nafter = f-extra.local\n  /abs/gone.local\n[Definition]\nx = %(_daemon)s\n",
        ),
    ]);
    let (config, warnings) = tree.read("filter.d/f.conf");
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(get(&config, "Definition", "x"), "\\S*");
    assert_eq!(
        names(&config, tree.0.path()),
        ["filter.d/common.conf", "filter.d/f.conf"]
    );
}

#[test]
fn cross_section_and_default_references() {
    let tree = Tree::new(&[(
        "filter.d/c.conf",
        "[DEFAULT]\naction_ = ban %(name)s\nname = default-name\n[lt_file]\npre = file:%(name)s\n[Definition]\nname = def\na = %(default/action_)s\nb = %(lt_file/pre)s\nc = 100%%\nd = %(lt_file/name)s\n",
    )]);
    let (config, _) = tree.read("filter.d/c.conf");
    assert_eq!(get(&config, "Definition", "a"), "ban def");
    assert_eq!(get(&config, "Definition", "b"), "file:def");
    assert_eq!(get(&config, "Definition", "c"), "100%");
    assert_eq!(get(&config, "Definition", "d"), "default-name");
    let extra = [("name".to_string(), "jail".to_string())];
    let got = config.get_with("Definition", "a", &extra).unwrap().unwrap();
    assert_eq!(got.text, "ban jail");
    let got = config
        .get_with("Definition", "name", &extra)
        .unwrap()
        .unwrap();
    assert_eq!(got.text, "jail");
    assert!(config.get("Definition", "absent").unwrap().is_none());
    assert!(config.raw("Nosuch", "name").is_none());
}

#[test]
fn interpolation_errors_name_file_line_and_key() {
    let tree = Tree::new(&[(
        "filter.d/e.conf",
        "[Definition]\na = %(nope)s\nb = %(c)s\nc = %(b)s\nd = 5%\ne = %(f)s\nf = x %(nope2)s\n",
    )]);
    let (config, _) = tree.read("filter.d/e.conf");
    let err = |key: &str| tree.shown(config.get("Definition", key).unwrap_err().to_string());
    assert_eq!(
        err("a"),
        "ROOT/filter.d/e.conf:2: `a` in [Definition] uses %(nope)s, which is not defined there, in [DEFAULT] or in the options"
    );
    assert_eq!(
        err("b"),
        "ROOT/filter.d/e.conf:3: `b` in [Definition]: %(name)s references nest deeper than 10 (a loop?)"
    );
    assert_eq!(
        err("d"),
        "ROOT/filter.d/e.conf:5: `d` in [Definition]: '%' must be followed by '%' or '(' (write %% for a literal %), found: \"%\""
    );
    assert_eq!(
        err("e"),
        "ROOT/filter.d/e.conf:7: `f` in [Definition] uses %(nope2)s, which is not defined there, in [DEFAULT] or in the options"
    );
}

#[test]
fn unreadable_files_and_syntax_errors_are_errors() {
    let tree = Tree::new(&[
        (
            "filter.d/bad.conf",
            "[Definition]\nfailregex = x\n  y\noops\n",
        ),
        ("filter.d/inc.conf", "[INCLUDES]\nbefore = bad.conf\n"),
    ]);
    let mut warnings = Vec::new();
    let missing = Config::read(&[tree.path("filter.d/none.conf")], &mut warnings).unwrap_err();
    assert!(matches!(missing, Fail2banError::Read { .. }));
    assert_eq!(
        tree.shown(missing.to_string()),
        "cannot read ROOT/filter.d/none.conf"
    );
    let err = Config::read(&[tree.path("filter.d/inc.conf")], &mut warnings).unwrap_err();
    assert_eq!(
        tree.shown(err.to_string()),
        "ROOT/filter.d/bad.conf:4: `oops` is neither a [section], a `key = value` nor a comment"
    );
    let fifo = tree.path("filter.d/fifo.conf");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let err = Config::read(&[fifo], &mut warnings).unwrap_err();
    assert_eq!(
        tree.shown(crate::error_chain(&err)),
        "cannot read ROOT/filter.d/fifo.conf: not a regular file"
    );
    let dir = Config::read(&[tree.path("filter.d")], &mut warnings).unwrap_err();
    assert_eq!(
        tree.shown(crate::error_chain(&dir)),
        "cannot read ROOT/filter.d: is a directory"
    );
}

#[test]
fn conditional_sections_add_suffixed_keys() {
    let tree = Tree::new(&[(
        "filter.d/a.conf",
        "[Init]\nx = 1\n[Init?family=inet6]\nx = 2\n",
    )]);
    let (config, _) = tree.read("filter.d/a.conf");
    assert_eq!(config.own_keys("Init"), ["x", "x?family=inet6"]);
    assert_eq!(get(&config, "Init", "x?family=inet6"), "2");
}

#[test]
fn references_fanning_out_cannot_take_unbounded_memory() {
    let mut text = format!("[Definition]\nl0 = {}\n", "x".repeat(100));
    for level in 1..=6 {
        text.push_str(&format!(
            "l{level} = {}\n",
            format!("%(l{})s", level - 1).repeat(10)
        ));
    }
    let tree = Tree::new(&[("filter.d/big.conf", &text)]);
    let (config, _) = tree.read("filter.d/big.conf");
    assert_eq!(get(&config, "Definition", "l2").len(), 10_000);
    let err = config.get("Definition", "l6").unwrap_err();
    assert_eq!(
        tree.shown(err.to_string()),
        "ROOT/filter.d/big.conf:8: `l6` in [Definition]: the value grows beyond 1024 KiB through %(name)s references"
    );
}
