//! `metrics "127.0.0.1:9617"` at the top level: serve Prometheus metrics
//! there. Absent: no listener. A non-loopback address is refused unless
//! the node says `allow-remote=#true`: the page has no authentication or
//! TLS, and it tells whoever reads it the jails, the log paths and how
//! often bans happen, which helps an attacker pace an attack below
//! maxretry. Publish it through an authenticating proxy instead, or open
//! it with allow-remote=#true behind a firewall that only lets the
//! Prometheus server in.

use std::net::SocketAddr;

use kdl::KdlNode;

use super::settings::{boolean, single, string};
use crate::diagnostic::{KdlProblem, SourceFile};

/// Where the metrics are served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// A loopback address unless `allow_remote`; port 0 picks a free one.
    pub listen: SocketAddr,
    pub allow_remote: bool,
}

/// Reads a `metrics` node.
pub(super) fn read_metrics(node: &KdlNode, file: &SourceFile) -> Result<MetricsConfig, KdlProblem> {
    let mut allow_remote = false;
    for entry in node.entries() {
        match entry.name().map(|n| n.value()) {
            None => {}
            Some("allow-remote") => allow_remote = boolean(entry, "allow-remote", file)?,
            Some(other) => {
                return Err(file
                    .error(entry.span(), format!("`metrics` takes no property {other}"))
                    .with_help("known: allow-remote"));
            }
        }
    }
    let entry = single(node, file)?;
    let text = string(entry, "metrics", file)?;
    let listen: SocketAddr = text.parse().map_err(|_| {
        file.error(
            entry.span(),
            format!("`metrics`: {text:?} is not an address and port such as \"127.0.0.1:9617\" or \"[::1]:9617\""),
        )
    })?;
    if !listen.ip().is_loopback() && !allow_remote {
        return Err(file
            .error(
                entry.span(),
                format!("`metrics`: {listen} is not a loopback address; the metrics page has no authentication"),
            )
            .with_help("listen on 127.0.0.1 or [::1] and scrape through a proxy, or add allow-remote=#true if a firewall keeps others out"));
    }
    Ok(MetricsConfig {
        listen,
        allow_remote,
    })
}
