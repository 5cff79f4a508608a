//! `notify "name" { exec "prog" "arg" ...; on "ban" "unban"; timeout "10s" }`
//! in a jail or in `defaults`: a notification action. A jail's `notify`
//! replaces one of the same name from `defaults` and adds to the others.

use kdl::{KdlEntry, KdlNode};
use miette::SourceSpan;

use super::settings::{args, duration, no_properties, single, string};
use crate::diagnostic::{KdlProblem, SourceFile};
use crate::notify::{Event, NotifyAction, Tag, Template};

/// Reads a `notify` node; problems go to `problems`, `None` if any.
pub(super) fn read_notify(
    node: &KdlNode,
    file: &SourceFile,
    problems: &mut Vec<KdlProblem>,
) -> Option<NotifyAction> {
    let before = problems.len();
    problems.extend(no_properties(node, file));
    let name = single(node, file)
        .and_then(|e| string(e, "notify", file))
        .map_err(|p| problems.push(p))
        .ok()?
        .to_string();
    let mut action = NotifyAction {
        name,
        argv: Vec::new(),
        events: Vec::new(),
        timeout: NotifyAction::DEFAULT_TIMEOUT,
    };
    let mut exec_seen = false;
    for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
        problems.extend(no_properties(child, file));
        let key = child.name().value();
        match key {
            "exec" => {
                exec_seen = true;
                action.argv = read_exec(child, file, problems);
            }
            "on" => action.events = read_events(child, file, problems),
            "timeout" => match single(child, file).and_then(|e| duration(e, key, file)) {
                Ok(d) if d.is_zero() => {
                    problems.push(file.error(child.span(), "`timeout` must be longer than 0s"))
                }
                Ok(d) => action.timeout = d,
                Err(p) => problems.push(p),
            },
            _ => problems.push(
                file.error(
                    child.name().span(),
                    format!("unknown notify setting `{key}`"),
                )
                .with_help("known: exec, on, timeout"),
            ),
        }
    }
    if !exec_seen {
        problems.push(
            file.error(
                node.name().span(),
                format!("notify {} has no `exec`", action.name),
            )
            .with_help(
                "add `exec \"/path/to/program\" \"{ip}\"` (a program and its arguments, no shell)",
            ),
        );
    }
    if action.events.is_empty() {
        action.events.push(Event::Ban);
    }
    (problems.len() == before).then_some(action)
}

fn read_exec(node: &KdlNode, file: &SourceFile, problems: &mut Vec<KdlProblem>) -> Vec<Template> {
    let mut argv = Vec::new();
    for e in args(node) {
        match string(e, "exec", file).and_then(|t| template(e, t, file)) {
            Ok(t) => argv.push(t),
            Err(p) => problems.push(p),
        }
    }
    match argv.first() {
        None if args(node).next().is_none() => {
            problems.push(file.error(node.span(), "`exec` needs a program and its arguments"))
        }
        Some(program) if !program.source().starts_with('/') => problems.push(
            file.error(
                args(node).next().expect("has a first").span(),
                format!("the program {:?} is not an absolute path", program.source()),
            )
            .with_help("write the full path, e.g. \"/usr/local/bin/notify-ban\" (no PATH lookup, no shell)"),
        ),
        _ => {}
    }
    argv
}

/// Parses one argument; an unknown tag is underlined inside the string.
fn template(e: &KdlEntry, text: &str, file: &SourceFile) -> Result<Template, KdlProblem> {
    Template::parse(text).map_err(|range| {
        let span = inner_span(e, text, range.clone());
        file.error(span, format!("unknown tag {}", &text[range]))
            .with_help(format!("known tags: {}", Tag::NAMES))
    })
}

/// The span of `range` of a string value in the source, when the string is
/// written without escapes; the whole entry otherwise.
fn inner_span(e: &KdlEntry, text: &str, range: std::ops::Range<usize>) -> SourceSpan {
    let span = e.span();
    let written = e.to_string();
    match written.trim().strip_prefix('"') {
        Some(rest)
            if rest.strip_suffix('"') == Some(text) && span.len() == written.trim().len() =>
        {
            SourceSpan::new((span.offset() + 1 + range.start).into(), range.len())
        }
        _ => span,
    }
}

fn read_events(node: &KdlNode, file: &SourceFile, problems: &mut Vec<KdlProblem>) -> Vec<Event> {
    let mut events = Vec::new();
    for e in args(node) {
        match string(e, "on", file) {
            Ok(t) => match Event::parse(t) {
                Some(ev) if !events.contains(&ev) => events.push(ev),
                Some(_) => {}
                None => problems.push(file.error(
                    e.span(),
                    format!("unknown event {t:?}: use {}", Event::NAMES),
                )),
            },
            Err(p) => problems.push(p),
        }
    }
    if args(node).next().is_none() {
        problems.push(file.error(node.span(), format!("`on` needs events: {}", Event::NAMES)));
    }
    events
}

/// Adds `action` to `list`, replacing one of the same name.
pub(super) fn merge(list: &mut Vec<NotifyAction>, action: NotifyAction) {
    match list.iter_mut().find(|a| a.name == action.name) {
        Some(old) => *old = action,
        None => list.push(action),
    }
}
