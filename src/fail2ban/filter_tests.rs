//! Tests of fail2ban filter files read for options ([`super::filter`],
//! [`super::filter_def`]), on small files written for each test.

use std::path::PathBuf;

use super::Fail2banFilter;
use super::filter::resolve;
use crate::filter::FilterOptions;
use crate::filter::definition::{Dialect, ItemKind};

const COMMON: &str = "\
[INCLUDES]
after = common.local

[DEFAULT]
__prefix_line = <lt_<logtype>/__prefix_line>
datepattern = <lt_<logtype>/datepattern>

[lt_file]
__prefix_line = \\S+ <_daemon>:
datepattern = {^LN-BEG}

[lt_journal]
__prefix_line = <_daemon>:
datepattern = <W>{DATE}
";

const DEMO: &str = "\
[INCLUDES]
before = common.conf

[Definition]
_daemon = demod
prefregex = ^%(__prefix_line)s <F-CONTENT>.+</F-CONTENT>$
cmn = ^bad password from <HOST>$
      ^bad user <F-USER>\\S+</F-USER> from <HOST>$
mdre-normal =
mdre-aggressive = ^timeout from <HOST>$
failregex = %(cmn)s
            <mdre-<mode>>
ignoreregex = ^ok from <HOST> after <tries>$
maxlines = 2
journalmatch = _SYSTEMD_UNIT=demo.service + _COMM=demod
               _COMM=demo2

[Init]
mode = normal
tries = 3
";

/// A config root with `filter.d/` holding the given files.
struct Tree(tempfile::TempDir);

impl Tree {
    fn new(files: &[(&str, &str)]) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("filter.d")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("filter.d").join(name), text).unwrap();
        }
        Tree(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join("filter.d").join(name)
    }

    fn shown(&self, text: String) -> String {
        text.replace(&self.0.path().display().to_string(), "ROOT")
    }
}

fn options(mode: Option<&str>, set: &[(&str, &str)]) -> FilterOptions {
    FilterOptions {
        mode: mode.map(str::to_string),
        logtype: None,
        set: set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn setting(tree: &Tree, file: &str, opts: &FilterOptions, journal: bool, name: &str) -> String {
    let resolved = resolve(&tree.path(file), opts, journal, &mut Vec::new()).unwrap();
    resolved
        .setting(name)
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

#[test]
fn modes_options_and_log_types_resolve_as_fail2ban_does() {
    let tree = Tree::new(&[("common.conf", COMMON), ("demo.conf", DEMO)]);
    let normal = options(None, &[]);
    assert_eq!(
        setting(&tree, "demo.conf", &normal, false, "failregex"),
        "^bad password from <HOST>$\n^bad user <F-USER>\\S+</F-USER> from <HOST>$\n"
    );
    let aggressive = options(Some("aggressive"), &[("tries", "5")]);
    assert_eq!(
        setting(&tree, "demo.conf", &aggressive, false, "failregex"),
        "^bad password from <HOST>$\n^bad user <F-USER>\\S+</F-USER> from <HOST>$\n^timeout from <HOST>$"
    );
    assert_eq!(
        setting(&tree, "demo.conf", &aggressive, false, "ignoreregex"),
        "^ok from <HOST> after 5$"
    );
    assert_eq!(
        setting(&tree, "demo.conf", &normal, false, "prefregex"),
        "^\\S+ demod: <F-CONTENT>.+</F-CONTENT>$"
    );
    assert_eq!(
        setting(&tree, "demo.conf", &normal, false, "datepattern"),
        "{^LN-BEG}"
    );
    // A journal source reads it as fail2ban's systemd backend does; `<W>`
    // is no option and stays literal text.
    assert_eq!(
        setting(&tree, "demo.conf", &normal, true, "prefregex"),
        "^demod: <F-CONTENT>.+</F-CONTENT>$"
    );
    assert_eq!(
        setting(&tree, "demo.conf", &normal, true, "datepattern"),
        "<W>{DATE}"
    );
}

#[test]
fn local_file_overrides_and_known_values() {
    let local = "[Definition]\nfailregex = %(known/failregex)s\n            ^also <HOST>$\n[Init]\ntries = 30\n";
    let tree = Tree::new(&[
        ("common.conf", COMMON),
        ("demo.conf", DEMO),
        ("demo.local", local),
    ]);
    let opts = options(None, &[]);
    assert_eq!(
        setting(&tree, "demo.conf", &opts, false, "failregex"),
        "^bad password from <HOST>$\n^bad user <F-USER>\\S+</F-USER> from <HOST>$\n\n^also <HOST>$"
    );
    assert_eq!(
        setting(&tree, "demo.conf", &opts, false, "ignoreregex"),
        "^ok from <HOST> after 30$"
    );
}

#[test]
fn filter_def_items_point_at_their_lines() {
    let tree = Tree::new(&[("common.conf", COMMON), ("demo.conf", DEMO)]);
    let mut warnings = Vec::new();
    let path = tree.path("demo.conf");
    let f = Fail2banFilter::load(
        &path,
        &options(Some("aggressive"), &[]),
        false,
        &mut warnings,
    )
    .unwrap();
    // common.conf's `after = common.local` is absent: skipped silently.
    assert_eq!(
        warnings
            .iter()
            .map(|w| tree.shown(w.to_string()))
            .collect::<Vec<_>>(),
        Vec::<String>::new()
    );
    assert_eq!(f.def.dialect, Dialect::Fail2ban);
    assert_eq!(f.def.maxlines, 2);
    assert_eq!(f.logtype, "file");
    assert_eq!(
        f.journalmatch,
        [
            vec!["_SYSTEMD_UNIT=demo.service"],
            vec!["_COMM=demod"],
            vec!["_COMM=demo2"]
        ]
    );
    let kinds: Vec<(ItemKind, String)> = f
        .def
        .items
        .iter()
        .map(|i| (i.kind.clone(), i.text.clone()))
        .collect();
    assert_eq!(kinds.len(), 6, "{kinds:?}");
    assert_eq!(kinds[0].0, ItemKind::Prefix);
    assert_eq!(
        kinds[1],
        (ItemKind::Fail, "^bad password from <HOST>$".to_string())
    );
    assert_eq!(kinds[5], (ItemKind::Date, "{^LN-BEG}".to_string()));
    // The ignore regex is written alone on line 13 of demo.conf.
    let ignore = &f.def.items[4];
    assert_eq!(ignore.kind, ItemKind::Ignore);
    let start = ignore.span.offset();
    let line = ignore.file.text[..start].matches('\n').count() + 1;
    assert_eq!(line, 13);
    assert!(ignore.file.name.ends_with("filter.d/demo.conf"));
    assert_eq!(
        &ignore.file.text[start..start + ignore.span.len()],
        "ignoreregex = ^ok from <HOST> after <tries>$"
    );
}

#[test]
fn bad_filters_are_errors_naming_file_and_line() {
    let tree = Tree::new(&[
        ("common.conf", COMMON),
        ("demo.conf", DEMO),
        (
            "undef.conf",
            "[Definition]\nfailregex = ^%(nothere)s <HOST>\n",
        ),
        (
            "loop.conf",
            "[Definition]\nfailregex = <a>\n[Init]\na = <b>\nb = x<a>\n",
        ),
        (
            "lines.conf",
            "[Definition]\nfailregex = <HOST>\nmaxlines = many\n",
        ),
        ("nodef.conf", "[Init]\na = 1\n"),
        ("syntax.conf", "[Definition]\nfailregex <HOST>\n"),
        (
            "typo.conf",
            "[Definition]\nfailregex = ^<__prefix_lin> (?P<word><user>) <HOST>\n",
        ),
        (
            "section.conf",
            "[Definition]\nfailregex = <lt_none/x> <HOST>\n",
        ),
    ]);
    let err = |file: &str, opts: FilterOptions| {
        let path = tree.path(file);
        let e = Fail2banFilter::load(&path, &opts, false, &mut Vec::new()).unwrap_err();
        tree.shown(crate::error_chain(&e))
    };
    assert_eq!(
        err("demo.conf", options(Some("agressive"), &[])),
        "ROOT/filter.d/demo.conf:11: `failregex`: <mdre-agressive> is not defined: is `agressive` a mode this filter has?"
    );
    assert_eq!(
        err("undef.conf", options(None, &[])),
        "ROOT/filter.d/undef.conf:2: `failregex` in [Definition] uses %(nothere)s, which is not defined there, in [DEFAULT] or in the options"
    );
    assert_eq!(
        err("loop.conf", options(None, &[])),
        "ROOT/filter.d/loop.conf:2: `failregex`: <a> is substituted more than 25 times: options refer to each other in a loop"
    );
    assert_eq!(
        err("lines.conf", options(None, &[])),
        "ROOT/filter.d/lines.conf:3: `maxlines`: \"many\" is not a number of lines from 1 to 64"
    );
    assert_eq!(
        err("nodef.conf", options(None, &[])),
        "ROOT/filter.d/nodef.conf: no [Definition] section: not a fail2ban filter file"
    );
    assert_eq!(
        err("syntax.conf", options(None, &[])),
        "ROOT/filter.d/syntax.conf:2: `failregex <HOST>` is neither a [section], a `key = value` nor a comment"
    );
    assert_eq!(
        err("typo.conf", options(None, &[])),
        "ROOT/filter.d/typo.conf:2: `failregex`: <__prefix_lin> is not defined: no filter option, [Init] or [Definition] key has this name"
    );
    assert_eq!(
        err("section.conf", options(None, &[])),
        "ROOT/filter.d/section.conf:2: `failregex`: <lt_none/x> is not defined: no such section or key"
    );
    // Given, the name is an option; a plain word stays literal, as in fail2ban.
    let set = options(None, &[("__prefix_lin", "p")]);
    assert_eq!(
        setting(&tree, "typo.conf", &set, false, "failregex"),
        "^p (?P<word><user>) <HOST>"
    );
    assert_eq!(
        err("absent.conf", options(None, &[])),
        "cannot read ROOT/filter.d/absent.conf: No such file or directory (os error 2)"
    );
}
