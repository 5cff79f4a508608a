//! The daemon's configuration: one KDL file (default
//! `/etc/portcullis/portcullis.kdl`) that may `include` others.
//!
//! ```kdl
//! table "portcullis"                 // our nftables table (family inet)
//! hooks "input"                      // base chains: input, forward
//! database "/var/lib/portcullis"     // LMDB environment directory
//! socket "/run/portcullis/portcullis.sock"
//! fail2ban-socket "/run/fail2ban/fail2ban.sock" // fail2ban-client's protocol; off without it
//! log-level "info"                   // error, warn, info, debug, trace
//! purge-after "30d"                  // forget expired bans this old
//! metrics "127.0.0.1:9617"           // Prometheus metrics; off without it
//! cluster { servers "nats://10.0.0.5:4222" } // share bans over NATS (see cluster.rs)
//! include "jails.d/web.kdl"          // relative to this file
//! defaults { maxretry 5; findtime "10m"; bantime "10m" }
//! jail "sshd" {
//!     filter "sshd" mode="aggressive"        // other properties: filter parameters
//!     // or a fail2ban filter file: filter "/etc/fail2ban/filter.d/sshd.conf" mode="aggressive"
//!     source "/var/log/auth.log"             // files or globs, one or more
//!     journal "_SYSTEMD_UNIT=sshd.service" when-missing="/var/log/auth.log"
//!     port 22 "8000-8100"                    // or: port "all" (default)
//!     protocol "tcp"                         // tcp (default), udp, or both: "tcp" "udp"
//!     action "drop"                          // or "reject"
//!     bantime "1h30m"                        // or "permanent"
//!     bantime-increment { factor 2; max "1w"; jitter "5m"; across-jails #true }
//!     ignore "192.0.2.0/24" "2001:db8::1"
//!     notify "mail-admin" {                  // zero or more; also in defaults
//!         exec "/usr/local/bin/notify-ban" "--ip" "{ip}" "--jail" "{jail}"
//!         on "ban" "unban"                   // default: "ban"
//!         timeout "10s"                      // default 10s, then SIGKILL
//!     }
//! }
//! ```
//!
//! Every setting of a jail can also stand in `defaults`; a jail's own value
//! wins. Unknown nodes and bad values are reported all at once, each with
//! file:line:column and the offending text underlined.

mod cluster;
pub mod filters;
mod journal;
mod metrics;
mod notify;
mod ports;
mod read;
mod settings;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::time::{BanTime, format_duration, parse_bantime, parse_duration};
pub use journal::{JournalNode, journal_sources};
pub use metrics::MetricsConfig;
pub use settings::{Growth, Increment, JailSettings, parse_network};

use crate::diagnostic::KdlProblems;
use crate::filter::FilterOptions;
use crate::nft::{Hook, JailSpec, NftConfig};

/// The default configuration file.
pub const DEFAULT_PATH: &str = "/etc/portcullis/portcullis.kdl";

/// A whole, valid configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub table: String,
    pub hooks: Vec<Hook>,
    /// Directory of the LMDB environment.
    pub database: PathBuf,
    pub socket: PathBuf,
    /// Where fail2ban's control protocol is served (fail2ban-client's
    /// socket); none: not served.
    pub fail2ban_socket: Option<PathBuf>,
    pub log_level: String,
    /// Records of bans that expired longer ago than this are purged.
    pub purge_after: Duration,
    /// Where Prometheus metrics are served; none: not served.
    pub metrics: Option<MetricsConfig>,
    /// This node's fleet (issue 13); none: bans stay on this host.
    pub cluster: Option<crate::cluster::ClusterSettings>,
    /// Every jail, enabled or not, in file order.
    pub jails: Vec<JailConfig>,
    /// What loading the jails' filters warned of (a fail2ban filter file's
    /// missing include or include loop), when [`load_checked`] loaded them.
    pub warnings: Vec<String>,
}

/// One jail.
#[derive(Debug, Clone, PartialEq)]
pub struct JailConfig {
    pub name: String,
    pub enabled: bool,
    /// A bundled filter name, a path to a `.kdl` filter, or a path to a
    /// fail2ban filter file (`.conf`/`.local`).
    pub filter: String,
    pub filter_mode: Option<String>,
    pub filter_logtype: Option<String>,
    pub filter_params: Vec<(String, String)>,
    /// File paths or glob patterns.
    pub sources: Vec<String>,
    /// `journal` nodes, in file order.
    pub journals: Vec<JournalNode>,
    pub settings: JailSettings,
}

impl JailConfig {
    pub fn filter_options(&self) -> FilterOptions {
        FilterOptions {
            mode: self.filter_mode.clone(),
            logtype: self.filter_logtype.clone(),
            set: self.filter_params.clone(),
        }
    }

    /// The jail's sets and rule in our table.
    pub fn nft_spec(&self) -> JailSpec {
        JailSpec {
            name: self.name.clone(),
            ports: self.settings.ports.clone(),
            verdict: self.settings.verdict,
            v6_prefix: self.settings.v6_prefix,
        }
    }
}

impl Config {
    pub fn enabled_jails(&self) -> impl Iterator<Item = &JailConfig> {
        self.jails.iter().filter(|j| j.enabled)
    }

    pub fn jail(&self, name: &str) -> Option<&JailConfig> {
        self.enabled_jails().find(|j| j.name == name)
    }

    /// The notification actions of each enabled jail.
    pub fn notifications(
        &self,
    ) -> std::collections::HashMap<String, Vec<crate::notify::NotifyAction>> {
        self.enabled_jails()
            .map(|j| (j.name.clone(), j.settings.notify.clone()))
            .collect()
    }

    /// Our table with the enabled jails.
    pub fn nft_config(&self) -> NftConfig {
        NftConfig {
            table: self.table.clone(),
            hooks: self.hooks.clone(),
            jails: self.enabled_jails().map(JailConfig::nft_spec).collect(),
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, miette::Diagnostic, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {}", path.display())]
    #[diagnostic(help("pass another file with --config PATH"))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Problems(#[from] KdlProblems),
}

/// Reads and validates `path` and its includes. Filters are not compiled
/// here: see [`check_filters`].
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    read::load(path, false)
}

/// Reads `text` as the contents of the file `path` (which need not
/// exist): problems are reported in it, includes resolved beside it.
/// Filters are not compiled.
pub fn parse(path: &Path, text: String) -> Result<Config, ConfigError> {
    read::parse(path, text, false)
}

/// Like [`load`], and also loads and compiles the filter of every enabled
/// jail, reporting its errors at the jail's `filter` node.
pub fn load_checked(path: &Path) -> Result<Config, ConfigError> {
    read::load(path, true)
}
