//! Following the host's own addresses: an [`AddressWatch`] read on a thread
//! of its own, the changes folded into [`OwnAddresses`] and each change of
//! the set sent as [`HostAddresses`] to the receiver given to [`follow`],
//! which hands the new set to every jail and lifts bans of addresses that
//! became ours.
//!
//! Invariants:
//! - An address stays ours while any interface has it.
//! - After an overrun (ENOBUFS) the set is read again with a dump: the
//!   set sent afterwards is the kernel's, whatever was lost.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use actix::Recipient;

use crate::hostaddr::{AddressEvent, AddressWatch, HostAddresses, IfAddr, dump};
use crate::metrics::Metrics;

/// The host's addresses, with how many interfaces carry each.
#[derive(Debug, Default, Clone)]
pub struct OwnAddresses {
    on: HashSet<IfAddr>,
    count: HashMap<IpAddr, usize>,
}

/// What one event or dump changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delta {
    pub added: Vec<IpAddr>,
    pub removed: Vec<IpAddr>,
}

impl Delta {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

impl OwnAddresses {
    pub fn new(on: HashSet<IfAddr>) -> OwnAddresses {
        let mut own = OwnAddresses::default();
        own.replace(on);
        own
    }

    /// The addresses, each once.
    pub fn addresses(&self) -> HashSet<IpAddr> {
        self.count.keys().copied().collect()
    }

    /// Takes in one event; [`AddressEvent::Lost`] changes nothing (dump
    /// and [`OwnAddresses::replace`]).
    pub fn apply(&mut self, event: &AddressEvent) -> Delta {
        let mut delta = Delta::default();
        match *event {
            AddressEvent::Added(on) => self.add(on, &mut delta),
            AddressEvent::Removed(on) => self.remove(on, &mut delta),
            AddressEvent::Lost => {}
        }
        delta
    }

    /// Replaces the whole set (after a dump).
    pub fn replace(&mut self, on: HashSet<IfAddr>) -> Delta {
        let mut delta = Delta::default();
        let gone: Vec<IfAddr> = self.on.difference(&on).copied().collect();
        for g in gone {
            self.remove(g, &mut delta);
        }
        for a in on {
            self.add(a, &mut delta);
        }
        delta
    }

    fn add(&mut self, on: IfAddr, delta: &mut Delta) {
        if self.on.insert(on) {
            let n = self.count.entry(on.1).or_default();
            *n += 1;
            if *n == 1 {
                delta.added.push(on.1);
            }
        }
    }

    fn remove(&mut self, on: IfAddr, delta: &mut Delta) {
        if !self.on.remove(&on) {
            return;
        }
        if let Some(n) = self.count.get_mut(&on.1) {
            *n -= 1;
            if *n == 0 {
                self.count.remove(&on.1);
                delta.removed.push(on.1);
            }
        }
    }
}

/// Reads `watch` until `receiver` is gone; runs on its own thread.
/// `own` is the set read right after subscribing.
pub fn follow(
    mut watch: AddressWatch,
    mut own: OwnAddresses,
    receiver: Recipient<HostAddresses>,
    metrics: Arc<Metrics>,
) {
    loop {
        let event = watch.next_event(None);
        if matches!(event, Ok(Some(AddressEvent::Lost)) | Err(_)) {
            metrics.netlink_error();
        }
        let delta = match event {
            Ok(Some(AddressEvent::Lost)) => match dump() {
                Ok(now) => {
                    tracing::debug!("host address changes were lost (overrun): read them again");
                    own.replace(now)
                }
                Err(e) => {
                    metrics.netlink_error();
                    tracing::warn!("cannot read this host's addresses again: {e}");
                    continue;
                }
            },
            Ok(Some(event)) => own.apply(&event),
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(
                    "cannot follow this host's address changes any more: {e}; the set read last stays"
                );
                return;
            }
        };
        if delta.is_empty() {
            continue;
        }
        if !receiver.connected() {
            return;
        }
        receiver.do_send(HostAddresses {
            own: Arc::new(own.addresses()),
            added: delta.added,
            removed: delta.removed,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_on_two_interfaces_stays_until_both_lose_it() {
        let mut own = OwnAddresses::new(HashSet::from([(1, ip("127.0.0.1"))]));
        let a = ip("192.0.2.7");
        assert_eq!(own.apply(&AddressEvent::Added((2, a))).added, vec![a]);
        assert!(own.apply(&AddressEvent::Added((3, a))).is_empty());
        // RTM_NEWADDR again for a flags change: nothing new.
        assert!(own.apply(&AddressEvent::Added((3, a))).is_empty());
        assert!(own.apply(&AddressEvent::Removed((2, a))).is_empty());
        assert!(own.addresses().contains(&a));
        assert_eq!(own.apply(&AddressEvent::Removed((3, a))).removed, vec![a]);
        assert!(own.apply(&AddressEvent::Removed((3, a))).is_empty());
        assert_eq!(own.addresses(), HashSet::from([ip("127.0.0.1")]));
    }

    #[test]
    fn a_dump_after_an_overrun_gives_what_changed() {
        let mut own = OwnAddresses::new(HashSet::from([(1, ip("127.0.0.1")), (2, ip("::1"))]));
        assert!(own.apply(&AddressEvent::Lost).is_empty());
        let delta = own.replace(HashSet::from([
            (1, ip("127.0.0.1")),
            (2, ip("2001:db8::1")),
        ]));
        assert_eq!(
            delta,
            Delta {
                added: vec![ip("2001:db8::1")],
                removed: vec![ip("::1")],
            }
        );
    }
}
