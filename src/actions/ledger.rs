//! [`Ledger`]: which addresses we banned in which jail, until when, so that
//! expiries are logged and recorded when the kernel drops the element.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

type Key = (String, IpAddr);

#[derive(Debug, Default)]
pub struct Ledger {
    /// Expiry (unix ms; none: permanent) and ban count per ban.
    active: HashMap<Key, (Option<u64>, u32)>,
    by_expiry: BTreeSet<(u64, String, IpAddr)>,
}

impl Ledger {
    /// Records a ban; returns the times this address was banned by us in this
    /// jail since start, this one included.
    pub fn ban(&mut self, jail: &str, addr: IpAddr, expires_ms: Option<u64>) -> u32 {
        let key = (jail.to_string(), addr);
        let count = match self.active.remove(&key) {
            Some((old, count)) => {
                if let Some(t) = old {
                    self.by_expiry.remove(&(t, key.0.clone(), addr));
                }
                count + 1
            }
            None => 1,
        };
        if let Some(t) = expires_ms {
            self.by_expiry.insert((t, key.0.clone(), addr));
        }
        self.active.insert(key, (expires_ms, count));
        count
    }

    /// Forgets a ban; whether it was there.
    pub fn unban(&mut self, jail: &str, addr: IpAddr) -> bool {
        match self.active.remove(&(jail.to_string(), addr)) {
            Some((expiry, _)) => {
                if let Some(t) = expiry {
                    self.by_expiry.remove(&(t, jail.to_string(), addr));
                }
                true
            }
            None => false,
        }
    }

    /// Removes and returns the bans that expired by `now_ms`.
    pub fn expired(&mut self, now_ms: u64) -> Vec<(String, IpAddr)> {
        let mut out = Vec::new();
        while let Some(first) = self.by_expiry.first() {
            if first.0 > now_ms {
                break;
            }
            let (_, jail, addr) = self.by_expiry.pop_first().expect("just seen");
            self.active.remove(&(jail.clone(), addr));
            out.push((jail, addr));
        }
        out
    }

    /// The bans of a jail, or all.
    pub fn bans(&self, jail: Option<&str>) -> Vec<(String, IpAddr)> {
        self.active
            .keys()
            .filter(|(j, _)| jail.is_none_or(|want| want == j))
            .cloned()
            .collect()
    }

    pub fn count(&self, jail: &str) -> usize {
        self.active.keys().filter(|(j, _)| j == jail).count()
    }

    /// Drops the bans of jails not in `keep` (their sets are gone).
    pub fn retain_jails(&mut self, keep: &[String]) {
        self.active.retain(|(j, _), _| keep.contains(j));
        self.by_expiry.retain(|(_, j, _)| keep.contains(j));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn expiry_order_rebans_and_unbans() {
        let mut l = Ledger::default();
        l.ban("sshd", ip("192.0.2.1"), Some(1000));
        l.ban("sshd", ip("192.0.2.2"), Some(500));
        l.ban("web", ip("192.0.2.1"), None);
        assert_eq!(l.ban("sshd", ip("192.0.2.1"), Some(3000)), 2);
        assert_eq!(l.expired(1000), vec![("sshd".to_string(), ip("192.0.2.2"))]);
        assert_eq!(l.count("sshd"), 1);
        assert!(l.unban("sshd", ip("192.0.2.1")));
        assert!(!l.unban("sshd", ip("192.0.2.1")));
        assert!(l.expired(u64::MAX).is_empty());
        assert_eq!(l.bans(None), vec![("web".to_string(), ip("192.0.2.1"))]);
        l.retain_jails(&["sshd".to_string()]);
        assert!(l.bans(None).is_empty());
    }
}
