//! The control replies, typed: what the server answers a request with
//! ([`Reply`]) and why it refuses one ([`ControlError`]). The ServerActor
//! answers [`super::Control`] with them; the control socket writes a reply
//! as a response line's `data` and an error as its `error` text
//! ([`super::protocol::Response`]); the CLI reads `data` back into the
//! reply its request expects ([`Reply::decode`]) and renders it.

use std::net::IpAddr;

use actix::MailboxError;
use serde::{Deserialize, Serialize};

use super::ban_times::TimedBan;
use super::jails::{NoSuchJail, ReloadSummary};
use super::protocol::Request;
use crate::jail::JailStats;
use crate::nft::{Element, Network};

/// The answer to a request, one variant per kind of request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Reply {
    /// `status`: the jails, by name.
    Status(Vec<JailStatus>),
    /// `ban`: the ban sent to the kernel.
    Banned(BanDone),
    /// `unban`, `unban-all`: how many bans were lifted.
    Lifted(usize),
    /// `banned`: the bans (that hold the address asked about), by jail
    /// and address.
    Bans(Vec<BanEntry>),
    /// `reload`: what changed.
    Reloaded(ReloadSummary),
    /// `get`, `set`: the setting's value.
    Setting(String),
    /// `ping`: the daemon answers.
    Pong(Pong),
    /// `pause`, `resume`: whether the jail reads now.
    Reading(Reading),
    /// `ban-times`: the bans with their start and end.
    BanTimes(Vec<TimedBan>),
    /// `cluster`: the fleet, none without a `cluster` block.
    Cluster(Option<crate::fleet::FleetStatus>),
}

/// The answer to `ping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pong {
    /// The daemon's version.
    pub version: String,
}

/// A jail's reading after `pause` or `resume`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub jail: String,
    pub paused: bool,
    /// False when it already was so.
    pub changed: bool,
}

/// One jail in `status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JailStatus {
    pub jail: String,
    pub filter: String,
    /// Files and journal sources, as chosen when the jail started.
    pub sources: Vec<String>,
    /// How many addresses the jail bans now.
    pub banned: usize,
    pub stats: Stats,
    /// Its reading is paused (`portcullis pause`).
    #[serde(default)]
    pub paused: bool,
    /// With `status JAIL` only: its bans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<BanEntry>>,
}

/// A jail's counters as the reply carries them ([`JailStats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub tracked: usize,
    pub failures_total: u64,
    pub ignored_total: u64,
    pub ban_requests_total: u64,
    pub evicted_total: u64,
}

impl From<JailStats> for Stats {
    fn from(s: JailStats) -> Stats {
        Stats {
            tracked: s.tracked,
            failures_total: s.failures_total,
            ignored_total: s.ignored_total,
            ban_requests_total: s.ban_requests_total,
            evicted_total: s.evicted_total,
        }
    }
}

impl JailStatus {
    /// The status of each jail of `jails` (name, filter, sources and
    /// counters) with its share of `bans`; its bans listed too when
    /// `with_addresses` (`status JAIL`).
    pub fn assemble(
        jails: Vec<(JailStatus, JailStats)>,
        bans: &[BanEntry],
        with_addresses: bool,
    ) -> Vec<JailStatus> {
        (jails.into_iter())
            .map(|(mut status, stats)| {
                let mine: Vec<BanEntry> = (bans.iter())
                    .filter(|b| b.jail == status.jail)
                    .cloned()
                    .collect();
                status.stats = stats.into();
                status.banned = mine.len();
                status.addresses = with_addresses.then_some(mine);
                status
            })
            .collect()
    }
}

/// One banned address in replies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanEntry {
    pub jail: String,
    pub address: String,
    /// Milliseconds left; none for a permanent ban.
    pub expires_ms: Option<u64>,
}

impl BanEntry {
    /// The kernel's elements as reply entries, sorted by jail and address;
    /// with `addr`, only the bans that hold it.
    pub fn from_elements(elements: Vec<Element>, addr: Option<IpAddr>) -> Vec<BanEntry> {
        let mut out: Vec<BanEntry> = elements
            .into_iter()
            .filter(|e| addr.is_none_or(|a| Network::new(a, e.network.prefix_len) == e.network))
            .map(|e| BanEntry {
                jail: e.jail,
                address: e.network.to_string(),
                expires_ms: e.expires.map(|d| d.as_millis() as u64),
            })
            .collect();
        out.sort_by(|a, b| (&a.jail, &a.address).cmp(&(&b.jail, &b.address)));
        out
    }
}

/// A ban made by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanDone {
    pub jail: String,
    pub addr: IpAddr,
    /// As the configuration writes it (`1h`, `permanent`).
    pub bantime: String,
}

impl Reply {
    /// The reply to `request` that a response's `data` carries.
    pub fn decode(request: &Request, data: serde_json::Value) -> serde_json::Result<Reply> {
        use serde_json::from_value;
        Ok(match request {
            Request::Status { .. } => Reply::Status(from_value(data)?),
            Request::Ban { .. } => Reply::Banned(from_value(data)?),
            Request::Unban { .. } | Request::UnbanAll { .. } => Reply::Lifted(from_value(data)?),
            Request::Banned { .. } => Reply::Bans(from_value(data)?),
            Request::Reload => Reply::Reloaded(from_value(data)?),
            Request::Get { .. } | Request::Set { .. } => Reply::Setting(from_value(data)?),
            Request::Ping => Reply::Pong(from_value(data)?),
            Request::Pause { .. } | Request::Resume { .. } => Reply::Reading(from_value(data)?),
            Request::BanTimes { .. } => Reply::BanTimes(from_value(data)?),
            Request::Cluster => Reply::Cluster(from_value(data)?),
        })
    }
}

/// Why a request was refused or failed; the text is what the client shows.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("permission denied: only root may change bans and settings (you are uid {uid})")]
    PermissionDenied { uid: u32 },
    #[error(transparent)]
    NoSuchJail(#[from] NoSuchJail),
    /// The bantime of a ban by hand (what the duration reader says).
    #[error("invalid ban time: {0} or \"permanent\"")]
    BadBantime(String),
    /// A jail refused to read or change a setting.
    #[error(transparent)]
    Setting(#[from] crate::jail::SettingError),
    /// The kernel refused to list or lift bans (boxed: a kernel error is
    /// large, and every reply carries this type).
    #[error(transparent)]
    Bans(Box<crate::nft::NftError>),
    #[error(transparent)]
    Reload(#[from] ReloadError),
    /// An actor the answer needed is gone (the daemon is stopping).
    #[error("internal error")]
    Internal(#[from] MailboxError),
}

/// Why a reload changed nothing: the running configuration stays.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The configuration's problems, rendered with file:line:column.
    #[error("configuration rejected, the running one stays: {problems}")]
    Rejected { problems: String },
    #[error("cannot rebuild table inet {table}")]
    Rebuild {
        table: String,
        #[source]
        source: Box<crate::nft::NftError>,
    },
    #[error("the actions actor is gone")]
    ActionsGone(#[source] MailboxError),
}

/// Whether `uid` may send `request`: anyone may read, only root changes.
pub fn authorize(request: &Request, uid: u32) -> Result<(), ControlError> {
    match uid == 0 || request.is_read_only() {
        true => Ok(()),
        false => Err(ControlError::PermissionDenied { uid }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error_chain;
    use crate::nft::{Missing, NftError};

    #[test]
    fn only_root_changes_bans_and_settings() {
        let status = Request::Status { jail: None };
        let reload = Request::Reload;
        assert!(authorize(&status, 1000).is_ok());
        assert!(authorize(&reload, 0).is_ok());
        assert_eq!(
            authorize(&reload, 1000).unwrap_err().to_string(),
            "permission denied: only root may change bans and settings (you are uid 1000)"
        );
    }

    #[test]
    fn errors_read_as_operators_see_them() {
        let gone = ControlError::Internal(MailboxError::Closed);
        assert_eq!(error_chain(&gone), "internal error: Mailbox has closed");
        let add = crate::nft::sample_add();
        let rebuild = ControlError::from(ReloadError::Rebuild {
            table: "portcullis".into(),
            source: Box::new(NftError::kernel(add, libc::ENOSPC, Missing::Unknown)),
        });
        assert_eq!(
            error_chain(&rebuild),
            "cannot rebuild table inet portcullis: cannot add 203.0.113.7 to set sshd-v4 in table inet portcullis: the set is full: No space left on device (os error 28)"
        );
        let jail = NoSuchJail {
            name: "ssh".into(),
            running: vec!["sshd".into()],
        };
        assert_eq!(
            ControlError::from(jail).to_string(),
            "no jail named \"ssh\" (jails: sshd)"
        );
    }

    #[test]
    fn replies_keep_their_wire_shape_and_read_back() {
        let ban = Reply::Banned(BanDone {
            jail: "sshd".into(),
            addr: "203.0.113.7".parse().unwrap(),
            bantime: "1h".into(),
        });
        let data = serde_json::to_value(&ban).unwrap();
        assert_eq!(
            data.to_string(),
            r#"{"addr":"203.0.113.7","bantime":"1h","jail":"sshd"}"#
        );
        let request = Request::Ban {
            jail: "sshd".into(),
            addr: "203.0.113.7".parse().unwrap(),
            bantime: None,
        };
        assert_eq!(Reply::decode(&request, data).unwrap(), ban);
        let lifted = serde_json::to_value(Reply::Lifted(3)).unwrap();
        assert_eq!(lifted.to_string(), "3");
        let request = Request::UnbanAll { jail: None };
        assert_eq!(Reply::decode(&request, lifted).unwrap(), Reply::Lifted(3));
        let status = Reply::Status(vec![JailStatus {
            jail: "sshd".into(),
            filter: "sshd".into(),
            sources: vec!["/var/log/auth.log".into()],
            banned: 0,
            stats: Stats::default(),
            paused: false,
            addresses: None,
        }]);
        let data = serde_json::to_value(&status).unwrap();
        assert!(data[0].get("addresses").is_none(), "{data}");
        assert_eq!(data[0]["stats"]["failures_total"], 0);
        let request = Request::Status { jail: None };
        assert_eq!(Reply::decode(&request, data).unwrap(), status);
        // A reply that does not fit its request is an error, not a guess.
        let request = Request::Get {
            jail: "sshd".into(),
            key: "maxretry".into(),
        };
        assert!(Reply::decode(&request, serde_json::json!(3)).is_err());
    }

    #[test]
    fn each_jail_gets_its_own_bans_and_lists_them_only_when_asked() {
        let row = |jail: &str| {
            let status = JailStatus {
                jail: jail.into(),
                filter: jail.into(),
                sources: vec![],
                banned: 0,
                stats: Stats::default(),
                paused: false,
                addresses: None,
            };
            let stats = JailStats {
                tracked: 4,
                ..JailStats::default()
            };
            (status, stats)
        };
        let ban = |jail: &str, address: &str| BanEntry {
            jail: jail.into(),
            address: address.into(),
            expires_ms: None,
        };
        let bans = [
            ban("sshd", "192.0.2.1"),
            ban("web", "192.0.2.2"),
            ban("sshd", "192.0.2.3"),
        ];
        let all = JailStatus::assemble(vec![row("sshd"), row("web")], &bans, false);
        let counts: Vec<(&str, usize, usize)> = (all.iter())
            .map(|s| (s.jail.as_str(), s.banned, s.stats.tracked))
            .collect();
        assert_eq!(counts, vec![("sshd", 2, 4), ("web", 1, 4)]);
        assert!(all.iter().all(|s| s.addresses.is_none()));
        let one = JailStatus::assemble(vec![row("sshd")], &bans, true);
        let listed: Vec<&str> = (one[0].addresses.iter().flatten())
            .map(|b| b.address.as_str())
            .collect();
        assert_eq!(listed, vec!["192.0.2.1", "192.0.2.3"]);
    }
}
