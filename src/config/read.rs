//! Reading the configuration files: includes first resolved into one list
//! of nodes, then globals and `defaults`, then jails (so that `defaults`
//! applies wherever it stands).

use std::path::{Path, PathBuf};
use std::time::Duration;

use kdl::{KdlDocument, KdlNode};

use super::settings::{JailSettings, args, boolean, duration, no_properties, single, string};
use super::{Config, ConfigError, JailConfig};
use crate::diagnostic::{KdlProblem, KdlProblems, SourceFile};
use crate::nft::Hook;

const LOG_LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];
const GLOBAL_KEYS: &str = "table, hooks, database, socket, fail2ban-socket, log-level, purge-after, metrics, cluster, include, defaults, jail";

/// A node and the file it stands in.
struct Located {
    file: SourceFile,
    node: KdlNode,
}

pub(super) fn load(path: &Path, check_filters: bool) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, text, check_filters)
}

pub(super) fn parse(path: &Path, text: String, check_filters: bool) -> Result<Config, ConfigError> {
    let mut problems = Vec::new();
    let mut nodes = Vec::new();
    let file = SourceFile::new(path.display().to_string(), text);
    let mut stack = vec![canonical(path)];
    collect(&file, path, &mut stack, &mut nodes, &mut problems);
    let config = build(&nodes, check_filters, &mut problems);
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(KdlProblems::new(&format!("configuration {}", path.display()), problems).into())
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Parses `file` and appends its nodes, replacing each `include` by the
/// included file's nodes.
fn collect(
    file: &SourceFile,
    path: &Path,
    stack: &mut Vec<PathBuf>,
    nodes: &mut Vec<Located>,
    problems: &mut Vec<KdlProblem>,
) {
    let doc: KdlDocument = match file.text.parse() {
        Ok(doc) => doc,
        Err(e) => return problems.extend(file.parse_errors(&e)),
    };
    for node in doc.nodes() {
        if node.name().value() != "include" {
            nodes.push(Located {
                file: file.clone(),
                node: node.clone(),
            });
            continue;
        }
        problems.extend(no_properties(node, file));
        for entry in args(node) {
            let target = match string(entry, "include", file) {
                Ok(t) => path.parent().unwrap_or(Path::new(".")).join(t),
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            if stack.contains(&canonical(&target)) {
                problems.push(file.error(
                    entry.span(),
                    format!("include cycle: {} is already being read", target.display()),
                ));
                continue;
            }
            match std::fs::read_to_string(&target) {
                Ok(text) => {
                    let inner = SourceFile::new(target.display().to_string(), text);
                    stack.push(canonical(&target));
                    collect(&inner, &target, stack, nodes, problems);
                    stack.pop();
                }
                Err(e) => problems.push(file.error(
                    entry.span(),
                    format!("cannot read included file {}: {e}", target.display()),
                )),
            }
        }
    }
}

fn build(nodes: &[Located], check_filters: bool, problems: &mut Vec<KdlProblem>) -> Config {
    let mut config = Config {
        table: "portcullis".into(),
        hooks: vec![Hook::Input],
        database: "/var/lib/portcullis".into(),
        socket: "/run/portcullis/portcullis.sock".into(),
        fail2ban_socket: None,
        log_level: "info".into(),
        purge_after: Duration::from_secs(30 * 86_400),
        metrics: None,
        cluster: None,
        jails: Vec::new(),
        warnings: Vec::new(),
    };
    let mut defaults = JailSettings::default();
    let mut cluster = None;
    for Located { file, node } in nodes {
        match node.name().value() {
            "jail" => {}
            "defaults" => {
                problems.extend(no_properties(node, file));
                problems
                    .extend(args(node).map(|e| file.error(e.span(), "`defaults` takes no value")));
                for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
                    match defaults.apply(child, file) {
                        Some(p) => problems.extend(p),
                        None => problems.push(unknown(child, file, "jail setting")),
                    }
                }
            }
            "metrics" => match super::metrics::read_metrics(node, file) {
                Ok(m) => config.metrics = Some(m),
                Err(p) => problems.push(p),
            },
            "cluster" => super::cluster::read_cluster(&mut cluster, node, file, problems),
            _ => {
                problems.extend(no_properties(node, file));
                if let Err(p) = global(&mut config, node, file) {
                    problems.push(p);
                }
            }
        }
    }
    for Located { file, node } in nodes.iter().filter(|l| l.node.name().value() == "jail") {
        let check = check_filters.then_some(&mut config.warnings);
        if let Some(jail) = jail(node, file, &defaults, check, problems) {
            if config.jails.iter().any(|j| j.name == jail.name) {
                problems
                    .push(file.error(node.span(), format!("jail {} is defined twice", jail.name)));
            } else {
                config.jails.push(jail);
            }
        }
    }
    if let Some(block) = cluster {
        let defined = config.jails.iter().map(|j| j.name.as_str()).collect();
        problems.extend(block.check_jails(&defined));
        config.cluster = Some(block.settings);
    }
    config
}

fn unknown(node: &KdlNode, file: &SourceFile, what: &str) -> KdlProblem {
    let help = match what {
        "jail setting" => "known: enabled, filter, source, journal, maxretry, findtime, bantime, bantime-increment, ignore, ignoreself, port, protocol, action, ipv6-prefix, max-tracked, notify".to_string(),
        _ => format!("known: {GLOBAL_KEYS}"),
    };
    file.error(
        node.name().span(),
        format!("unknown {what} `{}`", node.name().value()),
    )
    .with_help(help)
}

fn global(config: &mut Config, node: &KdlNode, file: &SourceFile) -> Result<(), KdlProblem> {
    let key = node.name().value();
    match key {
        "table" => {
            config.table = single(node, file)
                .and_then(|e| string(e, key, file))?
                .into()
        }
        "database" => {
            config.database = single(node, file)
                .and_then(|e| string(e, key, file))?
                .into()
        }
        "socket" => {
            config.socket = single(node, file)
                .and_then(|e| string(e, key, file))?
                .into()
        }
        "fail2ban-socket" => {
            let e = single(node, file)?;
            let path = string(e, key, file)?;
            if !path.starts_with('/') {
                return Err(file.error(
                    e.span(),
                    format!("fail2ban-socket {path:?} is not an absolute path"),
                ));
            }
            config.fail2ban_socket = Some(path.into())
        }
        "purge-after" => {
            config.purge_after = single(node, file).and_then(|e| duration(e, key, file))?
        }
        "log-level" => {
            let e = single(node, file)?;
            let level = string(e, key, file)?;
            if !LOG_LEVELS.contains(&level) {
                return Err(file.error(
                    e.span(),
                    format!(
                        "unknown log level {level:?}: use one of {}",
                        LOG_LEVELS.join(", ")
                    ),
                ));
            }
            config.log_level = level.into();
        }
        "hooks" => {
            config.hooks.clear();
            for e in args(node) {
                config.hooks.push(match string(e, key, file)? {
                    "input" => Hook::Input,
                    "forward" => Hook::Forward,
                    other => {
                        return Err(file.error(
                            e.span(),
                            format!("unknown hook {other:?}: use \"input\" or \"forward\""),
                        ));
                    }
                });
            }
            if config.hooks.is_empty() {
                return Err(file.error(node.span(), "`hooks` needs \"input\", \"forward\" or both"));
            }
        }
        _ => return Err(unknown(node, file, "top-level node")),
    }
    Ok(())
}

fn jail(
    node: &KdlNode,
    file: &SourceFile,
    defaults: &JailSettings,
    check_filters: Option<&mut Vec<String>>,
    problems: &mut Vec<KdlProblem>,
) -> Option<JailConfig> {
    problems.extend(no_properties(node, file));
    let name = match single(node, file).and_then(|e| string(e, "jail", file)) {
        Ok(n) if !n.is_empty() && n.len() <= 250 && !n.contains(char::is_whitespace) => {
            n.to_string()
        }
        Ok(_) => {
            problems.push(file.error(
                node.span(),
                "a jail name has 1 to 250 characters and no spaces",
            ));
            return None;
        }
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    let mut jail = JailConfig {
        filter: name.clone(),
        name,
        enabled: true,
        filter_mode: None,
        filter_logtype: None,
        filter_params: Vec::new(),
        sources: Vec::new(),
        journals: Vec::new(),
        settings: defaults.clone(),
    };
    let mut filter_node = None;
    for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
        let key = child.name().value();
        match key {
            "enabled" => match single(child, file).and_then(|e| boolean(e, key, file)) {
                Ok(b) => jail.enabled = b,
                Err(p) => problems.push(p),
            },
            "filter" => {
                filter_node = Some(child);
                read_filter(&mut jail, child, file, problems);
            }
            "source" => {
                problems.extend(no_properties(child, file));
                for e in args(child) {
                    match string(e, key, file) {
                        Ok(s) => jail.sources.push(s.to_string()),
                        Err(p) => problems.push(p),
                    }
                }
            }
            "journal" => jail
                .journals
                .extend(super::journal::read_journal(child, file, problems)),
            _ => match jail.settings.apply(child, file) {
                Some(p) => problems.extend(p),
                None => problems.push(unknown(child, file, "jail setting")),
            },
        }
    }
    if jail.enabled && jail.sources.is_empty() && jail.journals.is_empty() {
        problems.push(
            file.error(
                node.name().span(),
                format!("jail {} has no source", jail.name),
            )
            .with_help(
                "add `source \"/var/log/auth.log\"` (files or globs) or `journal \"_SYSTEMD_UNIT=sshd.service\"`",
            ),
        );
    }
    if let Some(warnings) = check_filters.filter(|_| jail.enabled) {
        check_filter(&jail, filter_node.unwrap_or(node), file, problems, warnings);
    }
    Some(jail)
}

/// `filter "sshd" mode="aggressive" logtype="file" param=value ...`
fn read_filter(
    jail: &mut JailConfig,
    node: &KdlNode,
    file: &SourceFile,
    problems: &mut Vec<KdlProblem>,
) {
    match single(node, file).and_then(|e| string(e, "filter", file)) {
        Ok(name) => jail.filter = name.to_string(),
        Err(p) => problems.push(p),
    }
    for e in node.entries() {
        let Some(key) = e.name() else { continue };
        let value = match e.value().as_string() {
            Some(v) => v.to_string(),
            None => {
                problems.push(file.error(
                    e.span(),
                    format!("filter parameter {} takes a string", key.value()),
                ));
                continue;
            }
        };
        match key.value() {
            "mode" => jail.filter_mode = Some(value),
            "logtype" => jail.filter_logtype = Some(value),
            other => jail.filter_params.push((other.to_string(), value)),
        }
    }
}

/// Loads and compiles the jail's filter; its errors point at `node`, its
/// warnings are added to `warnings`.
fn check_filter(
    jail: &JailConfig,
    node: &KdlNode,
    file: &SourceFile,
    problems: &mut Vec<KdlProblem>,
    warnings: &mut Vec<String>,
) {
    let options = jail.filter_options();
    let mut said = Vec::new();
    let mut load =
        |journal: bool| super::filters::load_with(&jail.filter, &options, journal, &mut said);
    let files = (!jail.sources.is_empty()).then(|| load(false));
    let journal = (!jail.journals.is_empty()).then(|| load(true));
    said.dedup();
    for warning in said {
        let line = format!("jail {}: filter {}: {warning}", jail.name, jail.filter);
        if !warnings.contains(&line) {
            warnings.push(line);
        }
    }
    // The same error for both would be said twice.
    let report = match (files, journal) {
        (Some(Err(report)), _) | (_, Some(Err(report))) => report,
        _ => return,
    };
    {
        let mut text = report.to_string();
        if let Some(related) = report.related() {
            for r in related {
                text.push_str(&format!("; {r}"));
            }
        }
        problems.push(file.error(
            node.span(),
            format!("jail {}: filter {}: {text}", jail.name, jail.filter),
        ));
    }
}
