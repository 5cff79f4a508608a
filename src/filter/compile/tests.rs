//! Tests of the compile module.

use super::*;
use crate::filter::definition;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(format!("{name}.kdl"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn compile(text: &str, options: &FilterOptions) -> Result<CompiledFilter, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t", text);
    let def = definition::load(&path).map_err(|e| render(&e))?;
    CompiledFilter::new(&def, options).map_err(|e| render(&e))
}

fn render(e: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, e)
        .unwrap();
    out
}

const MODES: &str = r##"
param "mode" "normal" "aggressive"
define "verb" #"Failed"#
fail #"^%(verb) password from <HOST>$"#
fail #"^Closed by <HOST>$"# when="mode=aggressive"
"##;

#[test]
fn modes_select_regexes() {
    let normal = compile(MODES, &FilterOptions::default()).unwrap();
    assert_eq!(normal.fails.len(), 1);
    assert!(
        normal.fails[0]
            .regex
            .is_match(b"Failed password from 192.0.2.1")
    );
    let aggressive = FilterOptions {
        mode: Some("aggressive".into()),
        ..Default::default()
    };
    assert_eq!(compile(MODES, &aggressive).unwrap().fails.len(), 2);
}

#[test]
fn unknown_parameters_and_values_are_named() {
    let bad = FilterOptions {
        mode: Some("paranoid".into()),
        ..Default::default()
    };
    let err = compile(MODES, &bad).unwrap_err();
    assert!(
        err.contains("`paranoid` is not a value of `mode` (choose one of: normal, aggressive)"),
        "{err}"
    );
    let bad = FilterOptions {
        set: vec![("colour".into(), "red".into())],
        ..Default::default()
    };
    let err = compile(MODES, &bad).unwrap_err();
    assert!(
        err.contains("has no parameter `colour` (it has: logtype, mode)"),
        "{err}"
    );
}

#[test]
fn a_regex_that_does_not_compile_is_reported_at_its_line() {
    let err = compile(
        "fail #\"^ok <HOST>$\"#\nfail #\"^broken (<HOST>$\"#\n",
        &FilterOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.contains("fail regex \"^broken (<HOST>$\" does not compile"),
        "{err}"
    );
    assert!(err.contains("t.kdl:2:1"), "{err}");
}

#[test]
fn all_errors_of_a_file_are_reported_at_once() {
    let err = compile(
        "fail #\"^(\"#\nbogus 1\nfail #\"%(nothing)\"#\n",
        &FilterOptions::default(),
    )
    .unwrap_err();
    assert!(err.contains("3 errors"), "{err}");
    assert!(err.contains("unknown filter node `bogus`"), "{err}");
    assert!(err.contains("`%(nothing)` is not defined"), "{err}");
}

#[test]
fn kdl_syntax_errors_point_at_file_line_column() {
    let err = compile("fail \"unterminated\n", &FilterOptions::default()).unwrap_err();
    assert!(err.contains("t.kdl:1:"), "{err}");
}

#[test]
fn definitions_cannot_loop() {
    let err = compile(
        "define \"a\" \"%(b)\"\ndefine \"b\" \"%(a)\"\nfail \"%(a)<HOST>\"\n",
        &FilterOptions::default(),
    )
    .unwrap_err();
    assert!(err.contains("nest deeper"), "{err}");
}

/// A KDL filter's items read as a fail2ban filter's (Python regexes).
fn compile_f2b(text: &str) -> Result<CompiledFilter, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t", text);
    let mut def = definition::load(&path).map_err(|e| render(&e))?;
    def.dialect = definition::Dialect::Fail2ban;
    CompiledFilter::new(&def, &FilterOptions::default()).map_err(|e| render(&e))
}

#[test]
fn a_fail2ban_regex_the_engines_cannot_run_is_reported_at_its_line() {
    let err = compile_f2b("fail #\"^ok <HOST>$\"#\nfail #\"^(?P=nope)b <HOST>\"#\n").unwrap_err();
    assert!(
        err.contains("it uses a backreference, which the linear engine lacks, and the backtracking engine refuses it"),
        "{err}"
    );
    assert!(err.contains("t.kdl:2:1"), "{err}");
    let err = compile_f2b("fail #\"^(?L)x <HOST>\"#\n").unwrap_err();
    assert!(
        err.contains("uses the locale flag (?L), which neither engine has"),
        "{err}"
    );
}

#[test]
fn fail2ban_regexes_choose_their_engine() {
    let filter = compile_f2b(
        "fail #\"^Failed for (?P<u>\\S+) from <HOST>(?! port 0)\"#\nfail #\"^Bad (?:(?! from ).)* from <HOST>$\"#\nignore #\"^Failed for (?P<x>\\w+) from \\S+ (?P=x)\"#\n",
    )
    .unwrap();
    assert!(filter.fails[0].fallback.is_some());
    assert!(filter.fails[1].fallback.is_none());
    assert_eq!(filter.ignore_fallback.len(), 1);
    assert!(filter.report_addresses);
}

#[test]
fn distributed_copies_share_one_dfa_that_tells_which_can_match() {
    let filter = compile_f2b(
        "fail #\"^F (?P<inv>x )?(?P<user>(?P<w>\\S+)|(?(inv)(?:(?! from ).)*?|[^:]+)) from <HOST>(?(w): |$)\"#\n",
    )
    .unwrap();
    let copies = filter.fails[0].copies.as_ref().expect("four copies");
    assert_eq!(copies.masks(), 16);
    // Only the last copy (no `x `, user up to ` from `, line's end) can
    // match this line; none can match the second.
    let mut cache = copies.create_cache();
    let mut mask = |line: &[u8]| copies.mask(&mut cache.dfa, line);
    assert_eq!(mask(b"F a b from 192.0.2.1"), Some(0b1000));
    assert_eq!(mask(b"F a b to 192.0.2.1"), Some(0));
    assert_eq!(mask(b"F x a from 192.0.2.1: "), Some(0b0001));
    // The `\S+` user ending in `: `, and with a second `from` no more.
    assert_eq!(mask(b"F a from 192.0.2.1: "), Some(0b0100));
    assert_eq!(mask(b"F a from 192.0.2.1: x from y"), Some(0b0100));
}
