//! [`ActionCounters`]: what the ActionsActor counts into
//! [`crate::metrics`]: bans, unbans and active bans per jail, the ban
//! latency and failed netlink requests. Each jail's counters are taken from
//! the registry once, so a ban costs a map lookup and an atomic add.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::ledger::Ledger;
use crate::metrics::{JailCounters, Metrics};
use crate::nft::NftConfig;

#[derive(Debug, Default)]
pub struct ActionCounters {
    metrics: Arc<Metrics>,
    jails: HashMap<String, Arc<JailCounters>>,
}

impl ActionCounters {
    pub fn new(metrics: Arc<Metrics>) -> ActionCounters {
        ActionCounters {
            metrics,
            jails: HashMap::new(),
        }
    }

    fn jail(&mut self, jail: &str) -> &JailCounters {
        if !self.jails.contains_key(jail) {
            let counters = self.metrics.jail(jail);
            self.jails.insert(jail.to_string(), counters);
        }
        &self.jails[jail]
    }

    /// The kernel acknowledged a ban; `latency` since its log line was read.
    pub fn ban(&mut self, jail: &str, latency: Option<Duration>) {
        self.jail(jail).bans.fetch_add(1, Ordering::Relaxed);
        if let Some(d) = latency {
            self.metrics.ban_latency.observe(d);
        }
    }

    /// The kernel acknowledged `n` bans of `jail` at once.
    pub fn bans(&mut self, jail: &str, n: u64) {
        self.jail(jail).bans.fetch_add(n, Ordering::Relaxed);
    }

    /// `n` of the bans just counted were of addresses `jail` did not hold.
    pub fn new_bans(&mut self, jail: &str, n: u64) {
        self.jail(jail).new_bans.fetch_add(n, Ordering::Relaxed);
    }

    /// A ban's latency since its log line was read.
    pub fn latency(&self, d: Duration) {
        self.metrics.ban_latency.observe(d);
    }

    /// Sets the active bans gauge of `jail`.
    pub fn set_active(&mut self, jail: &str, n: u64) {
        self.jail(jail).active.store(n, Ordering::Relaxed);
    }

    /// A ban was lifted or expired.
    pub fn unban(&mut self, jail: &str) {
        self.jail(jail).unbans.fetch_add(1, Ordering::Relaxed);
    }

    pub fn netlink_error(&self) {
        self.metrics.netlink_error();
    }

    /// Sets the active bans gauge of every configured jail and of every
    /// jail counted before (a removed jail's drops to 0), from the ledger.
    pub fn active(&mut self, ledger: &Ledger, config: &NftConfig) {
        let mut jails: Vec<String> = config.jails.iter().map(|j| j.name.clone()).collect();
        jails.extend(self.jails.keys().cloned());
        for jail in &jails {
            let n = ledger.count(jail) as u64;
            self.jail(jail).active.store(n, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_bans_follow_the_ledger_and_removed_jails_drop_to_zero() {
        let metrics = Arc::new(Metrics::default());
        let mut counters = ActionCounters::new(metrics.clone());
        let mut ledger = Ledger::default();
        ledger.ban(
            "web",
            "192.0.2.1".parse::<crate::nft::Network>().unwrap(),
            None,
        );
        counters.ban("web", Some(Duration::from_micros(150)));
        let config = NftConfig {
            table: "t".into(),
            hooks: vec![],
            jails: vec![],
        };
        counters.active(&ledger, &config);
        assert_eq!(metrics.jail("web").active.load(Ordering::Relaxed), 1);
        ledger.retain_jails(&[]);
        counters.active(&ledger, &config);
        assert_eq!(metrics.jail("web").active.load(Ordering::Relaxed), 0);
        assert_eq!(metrics.jail("web").bans.load(Ordering::Relaxed), 1);
        assert_eq!(metrics.ban_latency.snapshot().0[1], 1);
    }
}
