//! The `cluster { }` settings as a plain struct: what the configuration
//! block says, with its defaults, checked before anything connects.
//!
//! Invariants once [`ClusterSettings::validate`] has passed: at least one
//! server; the node name and every jail named in `share`/`accept` are single
//! NATS subject tokens (so `PREFIX.<node>.<jail>.<address>` always has
//! exactly the shape [`super::subject`] expects); the prefix is one or more
//! such tokens and does not start with `$` (NATS's own namespace); at most
//! one way to authenticate.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

/// Longest node, jail or prefix token accepted; keeps subjects short.
pub const MAX_TOKEN: usize = 64;

/// Default subject prefix: every message lives under `portcullis.>`.
pub const DEFAULT_PREFIX: &str = "portcullis";
/// Default stream name.
pub const DEFAULT_STREAM: &str = "PORTCULLIS";
/// Default cap on a ban taken from another node.
pub const DEFAULT_MAX_BANTIME: Duration = Duration::from_secs(24 * 3600);
/// Default age after which the stream forgets a decision.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

/// How this node proves who it is to NATS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// No credentials (a closed network, or TLS client certificates).
    #[default]
    None,
    /// A `.creds` file (JWT and NKey seed), as `nsc` writes it.
    Credentials(PathBuf),
    UserPassword {
        user: String,
        password: String,
    },
    /// A user whose password is read from a file when connecting (so it
    /// stays out of a world-readable configuration, such as the Nix store).
    UserPasswordFile {
        user: String,
        path: PathBuf,
    },
    Token(String),
    /// A token read from a file when connecting.
    TokenFile(PathBuf),
}

/// TLS files; any of them may be absent (the system roots then verify).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tls {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

/// Which jails a rule applies to: `share`/`accept` absent means all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Jails {
    #[default]
    All,
    Only(BTreeSet<String>),
}

impl Jails {
    pub fn only<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Jails {
        Jails::Only(names.into_iter().map(Into::into).collect())
    }

    pub fn contains(&self, jail: &str) -> bool {
        match self {
            Jails::All => true,
            Jails::Only(names) => names.contains(jail),
        }
    }
}

/// The `cluster { }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSettings {
    /// `nats://host:port` (or `tls://`), several for failover.
    pub servers: Vec<String>,
    /// This host's name in the fleet; default: the short hostname.
    pub node: String,
    pub subject_prefix: String,
    pub stream: String,
    pub auth: Auth,
    pub tls: Option<Tls>,
    /// Jails whose bans are published.
    pub share: Jails,
    /// Jails that apply bans from other nodes.
    pub accept: Jails,
    /// Cap on a ban taken from another node (permanent ones included).
    pub max_bantime: Duration,
    /// The stream's replicas; default min(3, servers listed).
    pub replicas: Option<usize>,
    /// The stream forgets decisions older than this.
    pub max_age: Duration,
}

/// Why a `cluster { }` block cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("cluster: no servers (list at least one, e.g. servers \"nats://10.0.0.5:4222\")")]
    NoServers,
    #[error("cluster: server {0:?} is not a NATS URL (nats://host:port or tls://host:port)")]
    BadServer(String),
    #[error(
        "cluster: node name {0:?} is not a single NATS subject token (letters, digits, - and _, at most 64)"
    )]
    BadNode(String),
    #[error(
        "cluster: the hostname {0:?} is not a valid node name; set `node \"...\"` in the cluster block"
    )]
    BadHostname(String),
    #[error(
        "cluster: jail name {0:?} is not a single NATS subject token (letters, digits, - and _)"
    )]
    BadJail(String),
    #[error(
        "cluster: subject-prefix {0:?} must be dot-separated tokens of letters, digits, - and _, not starting with $"
    )]
    BadPrefix(String),
    #[error("cluster: stream name {0:?} may hold only letters, digits, - and _")]
    BadStream(String),
    #[error("cluster: replicas {0} must be between 1 and 5")]
    BadReplicas(usize),
    #[error("cluster: max-bantime must be longer than zero")]
    ZeroBantime,
}

/// Whether `text` is one subject token as portcullis writes them:
/// `[A-Za-z0-9_-]`, 1 to [`MAX_TOKEN`] bytes.
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_TOKEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl ClusterSettings {
    /// The defaults around the servers and node name: prefix `portcullis`,
    /// stream `PORTCULLIS`, no auth, all jails shared and accepted,
    /// max-bantime 1d, max-age 30d.
    pub fn new(servers: Vec<String>, node: impl Into<String>) -> ClusterSettings {
        ClusterSettings {
            servers,
            node: node.into(),
            subject_prefix: DEFAULT_PREFIX.to_string(),
            stream: DEFAULT_STREAM.to_string(),
            auth: Auth::None,
            tls: None,
            share: Jails::All,
            accept: Jails::All,
            max_bantime: DEFAULT_MAX_BANTIME,
            replicas: None,
            max_age: DEFAULT_MAX_AGE,
        }
    }

    /// The default node name from a hostname: its first label
    /// (`gate-1.example.org` -> `gate-1`).
    pub fn node_from_hostname(hostname: &str) -> Result<String, SettingsError> {
        let short = hostname.trim().split('.').next().unwrap_or_default();
        if is_token(short) {
            Ok(short.to_string())
        } else {
            Err(SettingsError::BadHostname(hostname.trim().to_string()))
        }
    }

    /// This machine's hostname (`/proc/sys/kernel/hostname`), as
    /// [`Self::node_from_hostname`] turns it into a node name.
    pub fn default_node() -> Result<String, SettingsError> {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        Self::node_from_hostname(&name)
    }

    /// The stream's replicas: as set, or min(3, servers listed).
    pub fn replicas(&self) -> usize {
        self.replicas.unwrap_or(self.servers.len().clamp(1, 3))
    }

    /// Every problem at once, in the block's order.
    pub fn validate(&self) -> Result<(), Vec<SettingsError>> {
        let mut errors = Vec::new();
        if self.servers.is_empty() {
            errors.push(SettingsError::NoServers);
        }
        for server in &self.servers {
            if !is_server_url(server) {
                errors.push(SettingsError::BadServer(server.clone()));
            }
        }
        if !is_token(&self.node) {
            errors.push(SettingsError::BadNode(self.node.clone()));
        }
        if !is_prefix(&self.subject_prefix) {
            errors.push(SettingsError::BadPrefix(self.subject_prefix.clone()));
        }
        if !is_token(&self.stream) {
            errors.push(SettingsError::BadStream(self.stream.clone()));
        }
        for jails in [&self.share, &self.accept] {
            if let Jails::Only(names) = jails {
                let bad = names.iter().filter(|name| !is_token(name));
                errors.extend(bad.map(|name| SettingsError::BadJail(name.clone())));
            }
        }
        if let Some(n) = self.replicas.filter(|n| !(1..=5).contains(n)) {
            errors.push(SettingsError::BadReplicas(n));
        }
        if self.max_bantime.is_zero() {
            errors.push(SettingsError::ZeroBantime);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn is_prefix(prefix: &str) -> bool {
    !prefix.starts_with('$') && prefix.len() <= 128 && prefix.split('.').all(is_token)
}

fn is_server_url(url: &str) -> bool {
    let rest = ["nats://", "tls://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))
        .unwrap_or(url);
    let host_port = rest.rsplit('@').next().unwrap_or_default();
    !host_port.is_empty() && !host_port.contains(char::is_whitespace) && !host_port.contains('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ClusterSettings {
        ClusterSettings::new(vec!["nats://10.0.0.5:4222".into()], "gate-1")
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = settings();
        assert_eq!(s.subject_prefix, "portcullis");
        assert_eq!(s.stream, "PORTCULLIS");
        assert_eq!(s.max_bantime, Duration::from_secs(86_400));
        assert_eq!(s.share, Jails::All);
        assert!(s.accept.contains("anything"));
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn replicas_default_to_min_of_three_and_servers() {
        let mut s = settings();
        assert_eq!(s.replicas(), 1);
        s.servers = (0..5).map(|i| format!("nats://10.0.0.{i}:4222")).collect();
        assert_eq!(s.replicas(), 3);
        s.replicas = Some(5);
        assert_eq!(s.replicas(), 5);
    }

    #[test]
    fn node_names_are_single_tokens() {
        for bad in [
            "",
            "gate.1",
            "gate 1",
            "gate*",
            ">",
            "gäte",
            &"x".repeat(65),
        ] {
            let mut s = settings();
            s.node = bad.to_string();
            assert_eq!(s.validate(), Err(vec![SettingsError::BadNode(bad.into())]));
        }
        let mut s = settings();
        s.node = "Gate_1-a".into();
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn hostname_default_takes_the_first_label() {
        assert_eq!(
            ClusterSettings::node_from_hostname("gate-1.example.org\n"),
            Ok("gate-1".into())
        );
        assert_eq!(
            ClusterSettings::node_from_hostname("bad host"),
            Err(SettingsError::BadHostname("bad host".into()))
        );
        assert!(ClusterSettings::default_node().is_ok());
    }

    #[test]
    fn every_error_is_reported_at_once_with_its_text() {
        let mut s = ClusterSettings::new(vec![], "a.b");
        s.subject_prefix = "$JS.x".into();
        s.stream = "A.B".into();
        s.share = Jails::only(["sshd", "ng.inx"]);
        s.replicas = Some(0);
        s.max_bantime = Duration::ZERO;
        let errors = s.validate().unwrap_err();
        let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "cluster: no servers (list at least one, e.g. servers \"nats://10.0.0.5:4222\")",
                "cluster: node name \"a.b\" is not a single NATS subject token (letters, digits, - and _, at most 64)",
                "cluster: subject-prefix \"$JS.x\" must be dot-separated tokens of letters, digits, - and _, not starting with $",
                "cluster: stream name \"A.B\" may hold only letters, digits, - and _",
                "cluster: jail name \"ng.inx\" is not a single NATS subject token (letters, digits, - and _)",
                "cluster: replicas 0 must be between 1 and 5",
                "cluster: max-bantime must be longer than zero",
            ]
        );
    }

    #[test]
    fn server_urls() {
        for good in ["nats://h:4222", "tls://u:p@h:4222", "10.0.0.5:4222", "h"] {
            assert!(is_server_url(good), "{good}");
        }
        for bad in ["", "nats://", "nats://h:4222/x", "nats://a b"] {
            assert!(!is_server_url(bad), "{bad}");
        }
        assert!(is_prefix("fleet.bans") && !is_prefix("fleet..bans") && !is_prefix("a.*"));
    }
}
