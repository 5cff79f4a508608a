//! The `cluster { }` block: this node's place in a fleet that shares bans
//! over NATS JetStream (issue 13; see [`crate::cluster`]).
//!
//! ```kdl
//! cluster {
//!     servers "nats://10.0.0.5:4222" "nats://10.0.0.6:4222"   // required
//!     node "gate-1"                    // default: the hostname's first label
//!     subject-prefix "portcullis"      // default
//!     stream "PORTCULLIS"              // default; replicas 3 / max-age "30d" too
//!     credentials "/etc/portcullis/nats.creds"   // or user + password(-file), or token(-file)
//!     tls { ca "/etc/ssl/nats-ca.pem"; cert "..."; key "..." }
//!     share "sshd" "nginx-http-auth"   // jails whose bans are published; default all
//!     accept "sshd"                    // jails that apply others' bans; default all
//!     max-bantime "1d"                 // cap on a ban taken from another node
//! }
//! ```
//!
//! Every problem points at its node or value; the jails of `share` and
//! `accept` must be jails of this configuration (checked by
//! [`ClusterBlock::check_jails`] once the jails are read).

use std::collections::BTreeSet;

use kdl::{KdlEntry, KdlNode};
use miette::SourceSpan;

use super::settings::{args, duration, integer, no_properties, single, string};
use crate::cluster::{Auth, ClusterSettings, Jails, SettingsError, Tls};
use crate::diagnostic::{KdlProblem, SourceFile};

const KEYS: &str = "servers, node, subject-prefix, stream, replicas, max-age, credentials, user, password, password-file, token, token-file, tls, share, accept, max-bantime";

/// A read `cluster` block, with where its values stand for later checks.
pub(super) struct ClusterBlock {
    pub settings: ClusterSettings,
    file: SourceFile,
    /// The jails named by `share` and `accept`, at their values.
    jails: Vec<(String, SourceSpan)>,
}

/// A password given in the file or read from another one at connect.
enum Secret {
    Inline(String),
    File(std::path::PathBuf),
}

/// Where each value stood, to point [`SettingsError`]s at it.
#[derive(Default)]
struct Spans {
    servers: Vec<SourceSpan>,
    node: Option<SourceSpan>,
    prefix: Option<SourceSpan>,
    stream: Option<SourceSpan>,
    replicas: Option<SourceSpan>,
    max_bantime: Option<SourceSpan>,
    auth: Vec<SourceSpan>,
}

/// Reads a `cluster` node into `block` (a second one is refused); every
/// problem is appended to `problems`.
pub(super) fn read_cluster(
    block: &mut Option<ClusterBlock>,
    node: &KdlNode,
    file: &SourceFile,
    problems: &mut Vec<KdlProblem>,
) {
    if block.is_some() {
        let message = "`cluster` is given twice; a node belongs to one fleet";
        return problems.push(file.error(node.name().span(), message));
    }
    problems.extend(no_properties(node, file));
    problems.extend(args(node).map(|e| file.error(e.span(), "`cluster` takes no value")));
    let mut s = ClusterSettings::new(Vec::new(), String::new());
    let mut spans = Spans::default();
    let mut jails = Vec::new();
    let (mut user, mut password) = (None, None);
    for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
        problems.extend(no_properties(child, file));
        let key = child.name().value();
        let one = || single(child, file).and_then(|e| Ok((string(e, key, file)?, e.span())));
        let result = match key {
            "servers" => strings(child, file).map(|list| {
                spans.servers = list.iter().map(|(_, span)| *span).collect();
                s.servers = list.into_iter().map(|(v, _)| v).collect();
            }),
            "node" => one().map(|(v, at)| (s.node, spans.node) = (v.into(), Some(at))),
            "subject-prefix" => {
                one().map(|(v, at)| (s.subject_prefix, spans.prefix) = (v.into(), Some(at)))
            }
            "stream" => one().map(|(v, at)| (s.stream, spans.stream) = (v.into(), Some(at))),
            "credentials" => one().map(|(v, at)| {
                s.auth = Auth::Credentials(v.into());
                spans.auth.push(at);
            }),
            "user" => one().map(|(v, at)| user = Some((v.to_string(), at))),
            "password" => one().map(|(v, _)| password = Some(Secret::Inline(v.to_string()))),
            "password-file" => one().map(|(v, _)| password = Some(Secret::File(v.into()))),
            "token" => one().map(|(v, at)| {
                s.auth = Auth::Token(v.into());
                spans.auth.push(at);
            }),
            "token-file" => one().map(|(v, at)| {
                s.auth = Auth::TokenFile(v.into());
                spans.auth.push(at);
            }),
            "tls" => read_tls(child, file).map(|tls| s.tls = Some(tls)),
            "share" | "accept" => strings(child, file).map(|list| {
                let names = Jails::only(list.iter().map(|(v, _)| v.clone()));
                *(if key == "share" {
                    &mut s.share
                } else {
                    &mut s.accept
                }) = names;
                jails.extend(list);
            }),
            "max-bantime" => single(child, file).and_then(|e| {
                s.max_bantime = duration(e, key, file)?;
                spans.max_bantime = Some(e.span());
                Ok(())
            }),
            "max-age" => single(child, file)
                .and_then(|e| duration(e, key, file))
                .map(|d| s.max_age = d),
            "replicas" => single(child, file).and_then(|e| {
                spans.replicas = Some(e.span());
                let n = integer(e, key, 0..=1000, file)?;
                s.replicas = Some(n as usize);
                Ok(())
            }),
            _ => Err(file
                .error(
                    child.name().span(),
                    format!("unknown cluster setting `{key}`"),
                )
                .with_help(format!("known: {KEYS}"))),
        };
        problems.extend(result.err());
    }
    match (user, password) {
        (Some((user, at)), Some(secret)) => {
            s.auth = match secret {
                Secret::Inline(password) => Auth::UserPassword { user, password },
                Secret::File(path) => Auth::UserPasswordFile { user, path },
            };
            spans.auth.push(at);
        }
        (None, None) => {}
        _ => problems.push(file.error(
            node.name().span(),
            "cluster: `user` and `password` (or `password-file`) go together",
        )),
    }
    if spans.auth.len() > 1 {
        problems.push(file.error(
            spans.auth[1],
            "cluster: one of credentials, user/password or token",
        ));
    }
    if spans.node.is_none() {
        match ClusterSettings::default_node() {
            Ok(name) => s.node = name,
            Err(e) => problems.push(file.error(node.name().span(), e.to_string())),
        }
    }
    if let Err(errors) = s.validate() {
        let at = |span: Option<SourceSpan>| span.unwrap_or(node.name().span());
        for e in errors {
            let span = match &e {
                SettingsError::BadServer(url) => s
                    .servers
                    .iter()
                    .position(|u| u == url)
                    .and_then(|i| spans.servers.get(i).copied()),
                SettingsError::BadNode(_) => spans.node,
                SettingsError::BadPrefix(_) => spans.prefix,
                SettingsError::BadStream(_) => spans.stream,
                SettingsError::BadReplicas(_) => spans.replicas,
                SettingsError::ZeroBantime => spans.max_bantime,
                SettingsError::BadJail(name) => jails.iter().find(|j| &j.0 == name).map(|j| j.1),
                SettingsError::NoServers | SettingsError::BadHostname(_) => None,
            };
            problems.push(file.error(at(span), e.to_string()));
        }
    }
    *block = Some(ClusterBlock {
        settings: s,
        file: file.clone(),
        jails,
    });
}

impl ClusterBlock {
    /// A problem for every jail `share` or `accept` names that `defined`
    /// lacks.
    pub(super) fn check_jails(&self, defined: &BTreeSet<&str>) -> Vec<KdlProblem> {
        (self.jails.iter())
            .filter(|(name, _)| !defined.contains(name.as_str()))
            .map(|(name, span)| {
                (self.file)
                    .error(*span, format!("cluster: no jail named {name:?}"))
                    .with_help("share and accept name jails of this configuration")
            })
            .collect()
    }
}

/// Every positional value of `node` as a string, at least one.
fn strings(node: &KdlNode, file: &SourceFile) -> Result<Vec<(String, SourceSpan)>, KdlProblem> {
    let key = node.name().value();
    let list: Vec<&KdlEntry> = args(node).collect();
    if list.is_empty() {
        return Err(file.error(node.span(), format!("`{key}` needs at least one value")));
    }
    (list.into_iter())
        .map(|e| Ok((string(e, key, file)?.to_string(), e.span())))
        .collect()
}

/// `tls { ca "..."; cert "..."; key "..." }`
fn read_tls(node: &KdlNode, file: &SourceFile) -> Result<Tls, KdlProblem> {
    let mut tls = Tls::default();
    for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
        let key = child.name().value();
        let path = single(child, file).and_then(|e| string(e, key, file))?;
        let slot = match key {
            "ca" => &mut tls.ca,
            "cert" => &mut tls.cert,
            "key" => &mut tls.key,
            _ => {
                return Err(file
                    .error(child.name().span(), format!("unknown tls setting `{key}`"))
                    .with_help("known: ca, cert, key"));
            }
        };
        *slot = Some(path.into());
    }
    Ok(tls)
}
