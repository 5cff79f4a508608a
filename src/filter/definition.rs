//! The filter file format (KDL) and its loader.
//!
//! A filter is one KDL file, `kdl-config/filters/<name>.kdl`; its name is the
//! file's stem. Top-level nodes, in any order:
//!
//! ```kdl
//! include "common"                      // another filter file's nodes come first
//! description "OpenSSH server"
//! param "mode" "normal" "ddos" "aggressive"   // choices; the first is the default
//! define "daemon" #"sshd(?:-session)?"#       // text for %(daemon) in any regex
//! prefix #"^%(prefix-line)<F-CONTENT>.+</F-CONTENT>$"#
//! fail #"^Failed password for .* from <HOST>"#
//! fail #"^Did not receive identification string from <HOST>"# when="mode=ddos|aggressive"
//! ignore #"^Accepted "#
//! date "%Y-%m-%d %H:%M:%S"                    // or "epoch", "tai64n"; default: any known format
//! maxlines 1                                  // lines joined into one buffer (<SKIPLINES>)
//! ```
//!
//! `when="k=v1|v2 k2=v3"` keeps a node only when every named parameter has
//! one of the listed values. `logtype` (`file`, `journal`, `rfc5424`,
//! `short`) is a parameter of every filter; a later `define` of a name
//! replaces an earlier one, so a filter can override what it includes.

use std::path::{Path, PathBuf};

use kdl::{KdlDocument, KdlNode, KdlValue};
use miette::SourceSpan;

use crate::diagnostic::{KdlProblem, KdlProblems, SourceFile};
use crate::filter::bundled;

/// The parameter every filter has: how its log lines are framed.
pub const LOGTYPE: &str = "logtype";
/// The values of [`LOGTYPE`]; the first is the default.
pub const LOGTYPES: [&str; 4] = ["file", "journal", "rfc5424", "short"];

/// A parsed filter file, includes resolved.
#[derive(Debug, Clone)]
pub struct FilterDef {
    pub name: String,
    pub description: Option<String>,
    pub params: Vec<Param>,
    pub items: Vec<Item>,
    pub maxlines: usize,
    /// The syntax the items' regexes and date patterns are written in.
    pub dialect: Dialect,
    /// Problems found while reading; compiling reports them with its own,
    /// so that a file's errors all come out at once.
    pub problems: Vec<KdlProblem>,
}

/// The syntax of a filter's regexes and date patterns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dialect {
    /// A KDL filter: regexes in the `regex` crate's syntax, dates as
    /// [`crate::filter::date`] formats.
    #[default]
    Kdl,
    /// A fail2ban filter file (`.conf`/`.local`): Python `re` syntax, and
    /// fail2ban's `datepattern` (a regex with strptime-style `%` codes,
    /// `{^LN-BEG}`, `{DATE}`, `EPOCH`, `TAI64N`).
    Fail2ban,
}

/// A named parameter and its allowed values (the first is the default).
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub choices: Vec<String>,
}

/// What a regex-bearing node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    Define(String),
    Prefix,
    Fail,
    Ignore,
    Date,
}

/// One `define`, `prefix`, `fail`, `ignore` or `date` node.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: ItemKind,
    pub text: String,
    pub when: Vec<Condition>,
    pub span: SourceSpan,
    pub file: SourceFile,
}

/// `name=value1|value2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub param: String,
    pub values: Vec<String>,
}

/// Why a filter could not be loaded.
#[derive(Debug, miette::Diagnostic, thiserror::Error)]
pub enum LoadError {
    #[error("no filter named {name:?}: not bundled (bundled: {available}) and not a .kdl file")]
    NotFound { name: String, available: String },
    #[error("cannot read filter file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("filter {name}: include cycle through {through:?}")]
    IncludeCycle { name: String, through: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Problems(#[from] KdlProblems),
}

/// Loads a filter by bundled name or by path to a `.kdl` file.
pub fn load(name_or_path: &str) -> Result<FilterDef, LoadError> {
    let path = Path::new(name_or_path);
    let is_path = name_or_path.ends_with(".kdl") || name_or_path.contains('/');
    let (name, file) = if is_path {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(name_or_path);
        (
            stem.to_string(),
            SourceFile::new(path.display().to_string(), text),
        )
    } else {
        let text = bundled::get(name_or_path).ok_or_else(|| LoadError::NotFound {
            name: name_or_path.to_string(),
            available: bundled::names().collect::<Vec<_>>().join(", "),
        })?;
        let shown = format!("<bundled>/filters/{name_or_path}.kdl");
        (name_or_path.to_string(), SourceFile::new(shown, text))
    };
    let base = if is_path {
        path.parent().map(Path::to_path_buf)
    } else {
        None
    };
    let mut def = FilterDef {
        name: name.clone(),
        description: None,
        params: vec![Param {
            name: LOGTYPE.to_string(),
            choices: LOGTYPES.iter().map(|s| s.to_string()).collect(),
        }],
        items: Vec::new(),
        maxlines: 1,
        dialect: Dialect::Kdl,
        problems: Vec::new(),
    };
    let mut problems = Vec::new();
    let mut stack = vec![name.clone()];
    read_file(&mut def, &file, base.as_deref(), &mut stack, &mut problems)?;
    check_conditions(&def, &mut problems);
    def.problems = problems;
    Ok(def)
}

/// Parses one file's nodes into `def`, following includes depth-first.
fn read_file(
    def: &mut FilterDef,
    file: &SourceFile,
    base: Option<&Path>,
    stack: &mut Vec<String>,
    problems: &mut Vec<KdlProblem>,
) -> Result<(), LoadError> {
    let doc: KdlDocument = match file.text.parse() {
        Ok(doc) => doc,
        Err(e) => {
            problems.extend(file.parse_errors(&e));
            return Ok(());
        }
    };
    for node in doc.nodes() {
        if node.name().value() == "include" {
            let Some(target) = string_arg(node, 0, file, problems) else {
                continue;
            };
            include(def, &target, base, stack, problems)?;
            continue;
        }
        if let Err(problem) = read_node(def, node, file) {
            problems.push(problem);
        }
    }
    Ok(())
}

fn include(
    def: &mut FilterDef,
    target: &str,
    base: Option<&Path>,
    stack: &mut Vec<String>,
    problems: &mut Vec<KdlProblem>,
) -> Result<(), LoadError> {
    if stack.iter().any(|s| s == target) {
        return Err(LoadError::IncludeCycle {
            name: stack[0].clone(),
            through: target.to_string(),
        });
    }
    let local = base
        .map(|b| b.join(format!("{target}.kdl")))
        .filter(|p| p.exists());
    let file = match (local, bundled::get(target)) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Read {
                path: path.clone(),
                source,
            })?;
            SourceFile::new(path.display().to_string(), text)
        }
        (None, Some(text)) => SourceFile::new(format!("<bundled>/filters/{target}.kdl"), text),
        (None, None) => {
            return Err(LoadError::NotFound {
                name: target.to_string(),
                available: bundled::names().collect::<Vec<_>>().join(", "),
            });
        }
    };
    stack.push(target.to_string());
    let result = read_file(def, &file, base, stack, problems);
    stack.pop();
    result
}

/// One top-level node other than `include`.
fn read_node(def: &mut FilterDef, node: &KdlNode, file: &SourceFile) -> Result<(), KdlProblem> {
    let name = node.name().value();
    let kind = match name {
        "description" => {
            def.description = Some(arg_str(node, 0, file)?);
            return Ok(());
        }
        "param" => return read_param(def, node, file),
        "maxlines" => {
            def.maxlines = read_maxlines(node, file)?;
            return Ok(());
        }
        "define" => ItemKind::Define(arg_str(node, 0, file)?),
        "prefix" => ItemKind::Prefix,
        "fail" => ItemKind::Fail,
        "ignore" => ItemKind::Ignore,
        "date" => ItemKind::Date,
        other => {
            return Err(file.error(node.span(), format!("unknown filter node `{other}`")).with_help(
                "expected one of: include, description, param, define, prefix, fail, ignore, date, maxlines",
            ));
        }
    };
    let text_index = if matches!(kind, ItemKind::Define(_)) {
        1
    } else {
        0
    };
    let text = arg_str(node, text_index, file)?;
    let when = read_when(node, file)?;
    def.items.push(Item {
        kind,
        text,
        when,
        span: node.span(),
        file: file.clone(),
    });
    Ok(())
}

fn read_param(def: &mut FilterDef, node: &KdlNode, file: &SourceFile) -> Result<(), KdlProblem> {
    let name = arg_str(node, 0, file)?;
    let choices: Vec<String> = positional(node)
        .skip(1)
        .map(|v| v.as_string().map(str::to_string))
        .collect::<Option<_>>()
        .ok_or_else(|| file.error(node.span(), "param choices must be strings"))?;
    if choices.is_empty() {
        return Err(file
            .error(node.span(), format!("param `{name}` lists no values"))
            .with_help("write the allowed values after the name; the first is the default"));
    }
    def.params.retain(|p| p.name != name);
    def.params.push(Param { name, choices });
    Ok(())
}

fn read_maxlines(node: &KdlNode, file: &SourceFile) -> Result<usize, KdlProblem> {
    match positional(node).next().and_then(KdlValue::as_integer) {
        Some(n) if (1..=64).contains(&n) => Ok(n as usize),
        _ => Err(file.error(node.span(), "maxlines must be an integer from 1 to 64")),
    }
}

fn read_when(node: &KdlNode, file: &SourceFile) -> Result<Vec<Condition>, KdlProblem> {
    let Some(entry) = node
        .entries()
        .iter()
        .find(|e| e.name().is_some_and(|n| n.value() == "when"))
    else {
        return Ok(Vec::new());
    };
    let text = entry.value().as_string().ok_or_else(|| {
        file.error(
            entry.span(),
            "`when` must be a string like \"mode=ddos|aggressive\"",
        )
    })?;
    text.split_whitespace()
        .map(|part| {
            let (param, values) = part.split_once('=').ok_or_else(|| {
                file.error(
                    entry.span(),
                    format!("condition `{part}` is not of the form name=value"),
                )
            })?;
            Ok(Condition {
                param: param.to_string(),
                values: values.split('|').map(str::to_string).collect(),
            })
        })
        .collect()
}

/// Every `when` names a declared parameter and one of its values.
fn check_conditions(def: &FilterDef, problems: &mut Vec<KdlProblem>) {
    for item in &def.items {
        for cond in &item.when {
            let Some(param) = def.params.iter().find(|p| p.name == cond.param) else {
                problems.push(item.file.error(
                    item.span,
                    format!("`when` names unknown parameter `{}`", cond.param),
                ));
                continue;
            };
            for value in &cond.values {
                if !param.choices.contains(value) {
                    problems.push(item.file.error(
                        item.span,
                        format!(
                            "`when` names value `{value}`, not one of `{}`: {}",
                            param.name,
                            param.choices.join(", ")
                        ),
                    ));
                }
            }
        }
    }
}

fn positional(node: &KdlNode) -> impl Iterator<Item = &KdlValue> {
    node.entries()
        .iter()
        .filter(|e| e.name().is_none())
        .map(|e| e.value())
}

fn arg_str(node: &KdlNode, index: usize, file: &SourceFile) -> Result<String, KdlProblem> {
    match positional(node).nth(index) {
        Some(KdlValue::String(s)) => Ok(s.clone()),
        Some(_) => Err(file.error(
            node.span(),
            format!("`{}` takes a string here", node.name().value()),
        )),
        None => Err(file.error(
            node.span(),
            format!("`{}` is missing an argument", node.name().value()),
        )),
    }
}

fn string_arg(
    node: &KdlNode,
    index: usize,
    file: &SourceFile,
    problems: &mut Vec<KdlProblem>,
) -> Option<String> {
    arg_str(node, index, file)
        .map_err(|p| problems.push(p))
        .ok()
}
