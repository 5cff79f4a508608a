//! What the fail2ban protocol can show of a running server, as plain data:
//! the server fills a [`ServerView`] from its jails, and
//! [`super::answer()`] turns it into fail2ban's reply shapes.

use crate::time::UnixMs;

/// The server as fail2ban's queries see it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerView {
    /// What `version` replies.
    pub version: String,
    /// fail2ban's level name (`INFO`, `DEBUG`...), what `get loglevel` says.
    pub log_level: String,
    /// The jails, in any order (replies sort them by name where fail2ban
    /// does).
    pub jails: Vec<JailView>,
}

/// Where a jail reads its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JailSource {
    /// Log files (`status` prints a "File list").
    Files(Vec<String>),
    /// The journal, with its matches: each match a list of `FIELD=value`
    /// terms (`status` prints "Journal matches").
    Journal(Vec<Vec<String>>),
}

impl Default for JailSource {
    fn default() -> JailSource {
        JailSource::Files(Vec::new())
    }
}

/// One jail: its counters, its bans and the settings `get` reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JailView {
    pub name: String,
    /// Addresses with failures counted, not (yet) banned.
    pub currently_failed: u64,
    /// Failures seen since the jail started.
    pub total_failed: u64,
    /// Bans made since the jail started.
    pub total_banned: u64,
    pub source: JailSource,
    /// Bans in force, oldest first: the order `status JAIL` lists them in
    /// (fail2ban's order of banning).
    pub bans: Vec<BanView>,
    pub max_retry: i64,
    pub find_time_secs: i64,
    /// -1 for permanent bans, as fail2ban writes it.
    pub ban_time_secs: i64,
    pub ignore_ip: Vec<String>,
    pub fail_regex: Vec<String>,
    pub ignore_regex: Vec<String>,
    pub max_lines: i64,
    pub actions: Vec<String>,
}

/// A ban in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanView {
    /// The address (or network) as fail2ban prints it.
    pub addr: String,
    pub start: UnixMs,
    /// `None` for a permanent ban.
    pub end: Option<UnixMs>,
}

impl ServerView {
    /// The jail named `name`.
    pub fn jail(&self, name: &str) -> Option<&JailView> {
        self.jails.iter().find(|j| j.name == name)
    }
}

impl JailView {
    /// Whether `addr` is banned in this jail.
    pub fn is_banned(&self, addr: &str) -> bool {
        self.bans.iter().any(|b| b.addr == addr)
    }

    /// The bans in fail2ban's `get JAIL banip` order: by end of ban
    /// (permanent ones last), then by address.
    pub fn bans_by_end(&self) -> Vec<&BanView> {
        let mut bans: Vec<&BanView> = self.bans.iter().collect();
        bans.sort_by(|a, b| {
            let key = |v: &BanView| (v.end.is_none(), v.end.unwrap_or_default());
            key(a).cmp(&key(b)).then_with(|| a.addr.cmp(&b.addr))
        });
        bans
    }
}
