//! [`Jail`]: one jail's decision logic, without actix.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::ignore::{IgnoreList, canonical};
use super::window::{FailWindow, Verdict};
use crate::config::{
    BanTime, JailConfig, format_duration, parse_bantime, parse_duration, parse_network,
};
use crate::nft::Network;
use crate::observer::BanRequest;
use crate::time::UnixMs;

/// A jail's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JailStats {
    /// Addresses with failures in the window now.
    pub tracked: usize,
    pub failures_total: u64,
    pub ignored_total: u64,
    pub ban_requests_total: u64,
    /// Addresses evicted from the full failure table.
    pub evicted_total: u64,
}

/// Evictions from a full failure table are logged at most this often.
const EVICTION_LOG_INTERVAL: Duration = Duration::from_secs(60);

pub struct Jail {
    pub config: JailConfig,
    ignore: IgnoreList,
    window: FailWindow,
    stats: JailStats,
    /// When an eviction was last logged, for rate limiting.
    last_eviction_log: Option<UnixMs>,
}

/// What a failure led to, for the actor to act on.
#[derive(Debug, PartialEq)]
pub enum Decision {
    Nothing,
    Ban(BanRequest),
    /// Nothing, but the table evicted addresses: log this count (at most
    /// once a minute).
    Evicted(u64),
}

impl Jail {
    pub fn new(config: JailConfig, own: Arc<HashSet<IpAddr>>) -> Jail {
        let s = &config.settings;
        Jail {
            ignore: IgnoreList::new(s.ignore.clone(), s.ignoreself, own),
            window: FailWindow::new(s.maxretry, s.findtime.as_secs() as i64, s.max_tracked),
            stats: JailStats::default(),
            last_eviction_log: None,
            config,
        }
    }

    /// A failure of `addr` logged at `time`, counted at `now` (the window
    /// keeps whole seconds, compactly: see [`FailWindow`]).
    pub fn on_failure(
        &mut self,
        addr: IpAddr,
        time: UnixMs,
        attempts: u32,
        now: UnixMs,
    ) -> Decision {
        let addr = canonical(addr);
        self.stats.failures_total += 1;
        if self.ignore.contains(addr) {
            self.stats.ignored_total += 1;
            return Decision::Nothing;
        }
        let evicted_before = self.window.evicted;
        match (self.window).record(addr, time.as_secs(), attempts, now.as_secs()) {
            Verdict::Ban(failures) => {
                self.stats.ban_requests_total += 1;
                Decision::Ban(BanRequest::new(
                    self.config.name.clone(),
                    addr,
                    failures,
                    self.config.settings.bantime,
                    self.config.settings.increment.clone(),
                ))
            }
            _ if self.window.evicted > evicted_before
                && (self.last_eviction_log)
                    .is_none_or(|t| now.since(t) >= EVICTION_LOG_INTERVAL) =>
            {
                self.last_eviction_log = Some(now);
                Decision::Evicted(self.window.evicted)
            }
            _ => Decision::Nothing,
        }
    }

    /// The address to ban for a ban another node of the fleet decided, or
    /// `None` (counted as ignored): the jail's `ignore` list, `ignoreself`
    /// and the host's own addresses apply as to a local one.
    /// A network is refused if it covers an ignored or own address.
    pub fn remote_ban(&mut self, network: Network) -> Option<Network> {
        let network = match network.is_host() {
            true => Network::host(canonical(network.addr)),
            false => network,
        };
        if self.ignore.refuses(&network) {
            self.stats.ignored_total += 1;
            return None;
        }
        Some(network)
    }

    /// [`Jail::remote_ban`] for each address, in order.
    pub fn remote_bans(&mut self, addrs: Vec<Network>) -> Vec<Option<Network>> {
        addrs.into_iter().map(|a| self.remote_ban(a)).collect()
    }

    /// The host's addresses changed.
    pub fn set_own(&mut self, own: Arc<HashSet<IpAddr>>) {
        self.ignore.set_own(own);
    }

    pub fn forget(&mut self, addr: IpAddr) {
        self.window.forget(canonical(addr));
    }

    /// Drops failures that left the window.
    pub fn expire(&mut self, now: UnixMs) {
        self.window.expire(now.as_secs());
    }

    pub fn stats(&self) -> JailStats {
        JailStats {
            tracked: self.window.len(),
            evicted_total: self.window.evicted,
            ..self.stats.clone()
        }
    }

    pub fn get(&self, key: &str) -> Result<String, SettingError> {
        let s = &self.config.settings;
        Ok(match key {
            "maxretry" => s.maxretry.to_string(),
            "findtime" => format_duration(s.findtime),
            "bantime" => s.bantime.to_string(),
            "ignore" => self
                .ignore
                .networks()
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            _ => return Err(SettingError::UnknownKey(key.to_string())),
        })
    }

    /// `ignore` takes space-separated addresses and networks; a leading
    /// `+` adds them, `-` removes them, otherwise they replace the list.
    pub fn set(&mut self, key: &str, value: &str) -> Result<String, SettingError> {
        let s = &mut self.config.settings;
        match key {
            "maxretry" => {
                s.maxretry = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=1_000_000).contains(n))
                    .ok_or_else(|| SettingError::MaxRetry(value.to_string()))?;
            }
            "findtime" => {
                let findtime = parse_duration(value).map_err(SettingError::Value)?;
                if findtime.is_zero() {
                    return Err(SettingError::Zero("findtime"));
                }
                s.findtime = findtime;
            }
            "bantime" => {
                let bantime = parse_bantime(value).map_err(SettingError::Value)?;
                if bantime == BanTime::For(Duration::ZERO) {
                    return Err(SettingError::Zero("bantime"));
                }
                s.bantime = bantime;
            }
            "ignore" => self.set_ignore(value)?,
            _ => return Err(SettingError::UnknownKey(key.to_string())),
        }
        let s = &self.config.settings;
        self.window
            .set_limits(s.maxretry, s.findtime.as_secs() as i64);
        self.get(key)
    }

    fn set_ignore(&mut self, value: &str) -> Result<(), SettingError> {
        let (mode, list) = match value.chars().next() {
            Some(c @ ('+' | '-')) => (c, &value[1..]),
            _ => ('=', value),
        };
        let nets = list
            .split_whitespace()
            .map(parse_network)
            .collect::<Result<Vec<_>, _>>()
            .map_err(SettingError::Value)?;
        let mut current = self.ignore.networks().to_vec();
        match mode {
            '+' => current.extend(nets),
            '-' => current.retain(|n| !nets.contains(n)),
            _ => current = nets,
        }
        self.config.settings.ignore = current.clone();
        self.ignore.set_networks(current);
        Ok(())
    }
}

/// Why `get` or `set` of a runtime setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("unknown setting {0:?}: use maxretry, findtime, bantime or ignore")]
    UnknownKey(String),
    #[error("maxretry {0:?}: give an integer from 1 to 1000000")]
    MaxRetry(String),
    #[error("{0} must be longer than 0s")]
    Zero(&'static str),
    /// A duration, ban time or network that does not parse (the parser's
    /// own text).
    #[error("{0}")]
    Value(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix seconds as the jail's time type.
    fn s(secs: i64) -> UnixMs {
        UnixMs::from_secs(secs)
    }
    use crate::config::JailSettings;

    fn jail(maxretry: u32) -> Jail {
        let settings = JailSettings {
            maxretry,
            ignore: vec![parse_network("192.0.2.0/24").unwrap()],
            ..JailSettings::default()
        };
        let config = JailConfig {
            name: "sshd".into(),
            enabled: true,
            filter: "sshd".into(),
            filter_mode: None,
            filter_logtype: None,
            filter_params: vec![],
            sources: vec!["/l".into()],
            journals: vec![],
            settings,
        };
        Jail::new(
            config,
            Arc::new(HashSet::from(["198.51.100.1".parse().unwrap()])),
        )
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_remote_ban_passes_the_same_ignore_rules() {
        let mut j = jail(5);
        assert_eq!(
            j.remote_ban(ip("::ffff:203.0.113.7").into()),
            Some(ip("203.0.113.7").into())
        );
        for ignored in ["192.0.2.9", "127.0.0.1", "::1", "198.51.100.1"] {
            assert_eq!(j.remote_ban(ip(ignored).into()), None, "{ignored}");
        }
        assert_eq!(j.stats().ignored_total, 4);
        let net: Network = "203.0.113.0/24".parse().unwrap();
        assert_eq!(j.remote_ban(net), Some(net));
        j.set("ignore", "+203.0.113.0/24").unwrap();
        assert_eq!(j.remote_ban(ip("203.0.113.7").into()), None);
        let wider: Network = "203.0.0.0/16".parse().unwrap();
        assert_eq!(j.remote_ban(wider), None, "covers an ignored network");
    }

    #[test]
    fn a_batch_of_remote_bans_is_answered_in_order_with_the_ignored_left_out() {
        let mut j = jail(5);
        let addrs = [
            "203.0.113.7",
            "127.0.0.1",
            "::ffff:203.0.113.8",
            "198.51.100.1",
        ];
        let answers = j.remote_bans(addrs.iter().map(|a| ip(a).into()).collect());
        let net = |a: &str| Some(Network::from(ip(a)));
        let want = [net("203.0.113.7"), None, net("203.0.113.8"), None];
        assert_eq!(answers, want);
        assert_eq!(j.stats().ignored_total, 2);
    }

    #[test]
    fn bans_after_maxretry_but_never_ignored_addresses() {
        let mut j = jail(2);
        assert_eq!(
            j.on_failure(ip("203.0.113.7"), s(100), 1, s(100)),
            Decision::Nothing
        );
        let Decision::Ban(req) = j.on_failure(ip("::ffff:203.0.113.7"), s(101), 1, s(101)) else {
            panic!("no ban");
        };
        assert_eq!(req.ticket.addr, ip("203.0.113.7").into());
        assert_eq!(req.ticket.failures, 2);
        for ignored in ["192.0.2.9", "127.0.0.1", "198.51.100.1"] {
            for t in 0..5 {
                assert_eq!(
                    j.on_failure(ip(ignored), s(100 + t), 1, s(105)),
                    Decision::Nothing
                );
            }
        }
        let stats = j.stats();
        assert_eq!(stats.ignored_total, 15);
        assert_eq!(stats.ban_requests_total, 1);
    }

    #[test]
    fn get_and_set() {
        let mut j = jail(5);
        assert_eq!(j.set("maxretry", "1"), Ok("1".into()));
        assert!(matches!(
            j.on_failure(ip("203.0.113.7"), s(100), 1, s(100)),
            Decision::Ban(_)
        ));
        assert_eq!(j.set("bantime", "1h30m"), Ok("1h30m".into()));
        assert_eq!(
            j.set("findtime", "0").map_err(|e| e.to_string()),
            Err("findtime must be longer than 0s".into())
        );
        assert_eq!(
            j.set("maxretry", "0").map_err(|e| e.to_string()),
            Err("maxretry \"0\": give an integer from 1 to 1000000".into())
        );
        assert_eq!(
            j.set("bantime", "soon").map_err(|e| e.to_string()),
            Err(crate::time::parse_bantime("soon").unwrap_err())
        );
        assert_eq!(
            j.set("ignore", "+203.0.113.0/24"),
            Ok("192.0.2.0/24 203.0.113.0/24".into())
        );
        assert_eq!(
            j.on_failure(ip("203.0.113.7"), s(100), 1, s(100)),
            Decision::Nothing
        );
        assert_eq!(
            j.set("ignore", "-192.0.2.0/24"),
            Ok("203.0.113.0/24".into())
        );
        assert_eq!(
            j.get("colour").map_err(|e| e.to_string()),
            Err("unknown setting \"colour\": use maxretry, findtime, bantime or ignore".into())
        );
    }

    #[test]
    fn evictions_are_reported_at_most_once_a_minute() {
        let mut j = jail(5);
        j.window = FailWindow::new(5, 600, 1);
        j.on_failure(ip("203.0.113.1"), s(100), 1, s(100));
        assert_eq!(
            j.on_failure(ip("203.0.113.2"), s(100), 1, s(100)),
            Decision::Evicted(1)
        );
        assert_eq!(
            j.on_failure(ip("203.0.113.3"), s(100), 1, s(110)),
            Decision::Nothing
        );
        assert_eq!(
            j.on_failure(ip("203.0.113.4"), s(100), 1, s(161)),
            Decision::Evicted(3)
        );
    }
}
