//! [`FailWindow`]: failures per address within `findtime`, with a cap on
//! the number of addresses tracked so that memory stays bounded whatever
//! an attacker sends. At the cap the address tracked longest is evicted.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Failure times (unix seconds) per address.
#[derive(Debug)]
pub struct FailWindow {
    maxretry: u32,
    findtime: i64,
    cap: usize,
    entries: HashMap<IpAddr, Entry>,
    /// Insertion order for eviction; stale pairs (seq no longer current)
    /// are skipped and compacted away.
    order: VecDeque<(IpAddr, u64)>,
    next_seq: u64,
    /// Addresses evicted because of the cap, since start.
    pub evicted: u64,
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    times: VecDeque<i64>,
}

/// What one failure led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Older than findtime when it arrived: not counted.
    TooOld,
    /// Counted; this many failures are in the window now.
    Counted(u32),
    /// maxretry reached: ban; the address is forgotten by the window.
    Ban(u32),
}

impl FailWindow {
    pub fn new(maxretry: u32, findtime_secs: i64, cap: usize) -> FailWindow {
        FailWindow {
            maxretry: maxretry.max(1),
            findtime: findtime_secs,
            cap: cap.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            evicted: 0,
        }
    }

    pub fn set_limits(&mut self, maxretry: u32, findtime_secs: i64) {
        self.maxretry = maxretry.max(1);
        self.findtime = findtime_secs;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Records `attempts` failures of `addr` at `time`, judged at `now`.
    pub fn record(&mut self, addr: IpAddr, time: i64, attempts: u32, now: i64) -> Verdict {
        let horizon = now - self.findtime;
        if time < horizon {
            return Verdict::TooOld;
        }
        if !self.entries.contains_key(&addr) && self.entries.len() >= self.cap {
            self.evict_oldest();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = self.entries.entry(addr).or_insert_with(|| Entry {
            seq,
            times: VecDeque::new(),
        });
        entry.seq = seq;
        for _ in 0..attempts.max(1) {
            entry.times.push_back(time);
        }
        while entry.times.front().is_some_and(|t| *t < horizon) {
            entry.times.pop_front();
        }
        while entry.times.len() > self.maxretry as usize {
            entry.times.pop_front();
        }
        let count = entry.times.len() as u32;
        if count >= self.maxretry {
            self.entries.remove(&addr);
            return Verdict::Ban(count);
        }
        self.order.push_back((addr, seq));
        if self.order.len() > 2 * self.entries.len() + 1024 {
            self.compact();
        }
        Verdict::Counted(count)
    }

    /// Forgets an address (after a ban or an unban).
    pub fn forget(&mut self, addr: IpAddr) {
        self.entries.remove(&addr);
    }

    /// Drops addresses whose failures all left the window.
    pub fn expire(&mut self, now: i64) {
        let horizon = now - self.findtime;
        self.entries
            .retain(|_, e| e.times.back().is_some_and(|t| *t >= horizon));
        self.compact();
    }

    fn evict_oldest(&mut self) {
        while let Some((addr, seq)) = self.order.pop_front() {
            if self.entries.get(&addr).is_some_and(|e| e.seq == seq) {
                self.entries.remove(&addr);
                self.evicted += 1;
                return;
            }
        }
    }

    fn compact(&mut self) {
        let entries = &self.entries;
        self.order
            .retain(|(addr, seq)| entries.get(addr).is_some_and(|e| e.seq == *seq));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(n.into())
    }

    #[test]
    fn maxretry_within_findtime_bans_and_forgets() {
        let mut w = FailWindow::new(3, 600, 100);
        assert_eq!(w.record(ip(1), 1000, 1, 1000), Verdict::Counted(1));
        assert_eq!(w.record(ip(1), 1100, 1, 1100), Verdict::Counted(2));
        assert_eq!(w.record(ip(1), 1200, 1, 1200), Verdict::Ban(3));
        assert!(w.is_empty());
        assert_eq!(w.record(ip(1), 1201, 1, 1201), Verdict::Counted(1));
    }

    #[test]
    fn failures_leave_the_window() {
        let mut w = FailWindow::new(3, 600, 100);
        w.record(ip(1), 1000, 1, 1000);
        w.record(ip(1), 1100, 1, 1100);
        // The first failure is now older than findtime.
        assert_eq!(w.record(ip(1), 1650, 1, 1650), Verdict::Counted(2));
        assert_eq!(w.record(ip(1), 100, 1, 1650), Verdict::TooOld);
        w.expire(2300);
        assert!(w.is_empty());
    }

    #[test]
    fn multi_line_attempts_count_each() {
        let mut w = FailWindow::new(3, 600, 100);
        assert_eq!(w.record(ip(1), 1000, 3, 1000), Verdict::Ban(3));
    }

    #[test]
    fn the_cap_evicts_the_oldest() {
        let mut w = FailWindow::new(5, 600, 3);
        for n in 1..=3 {
            w.record(ip(n), 1000, 1, 1000);
        }
        w.record(ip(1), 1001, 1, 1001); // 1 is now the newest
        w.record(ip(4), 1002, 1, 1002); // evicts 2
        assert_eq!(w.len(), 3);
        assert_eq!(w.evicted, 1);
        assert_eq!(w.record(ip(2), 1003, 1, 1003), Verdict::Counted(1));
        assert_eq!(w.record(ip(1), 1003, 1, 1003), Verdict::Counted(3));
    }
}
