//! [`FailWindow`]: failures per address within `findtime`, with a cap on
//! the number of addresses tracked so that memory stays bounded whatever
//! an attacker sends. At the cap the address tracked longest is evicted.
//!
//! Memory per address is kept small (about 100 bytes at a million
//! addresses): times are u32 unix seconds, up to [`INLINE`] of them inline,
//! and the eviction queue is compacted when stale pairs pile up.

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
    order: VecDeque<(IpAddr, u32)>,
    next_seq: u32,
    /// Addresses evicted because of the cap, since start.
    pub evicted: u64,
}

#[derive(Debug)]
struct Entry {
    /// Matches the pair in `order` that is this entry's current one.
    seq: u32,
    times: Times,
}

/// Failure times kept inline per address (more go to the heap).
pub const INLINE: usize = 3;

/// Failure times, oldest first, in unix seconds.
#[derive(Debug)]
enum Times {
    Inline {
        len: u8,
        t: [u32; INLINE],
    },
    /// Boxed: keeps the inline case, and so every entry, small.
    #[allow(clippy::box_collection)]
    Heap(Box<VecDeque<u32>>),
}

impl Times {
    fn new() -> Times {
        Times::Inline {
            len: 0,
            t: [0; INLINE],
        }
    }

    fn len(&self) -> usize {
        match self {
            Times::Inline { len, .. } => *len as usize,
            Times::Heap(d) => d.len(),
        }
    }

    fn front(&self) -> Option<u32> {
        match self {
            Times::Inline { len: 0, .. } => None,
            Times::Inline { t, .. } => Some(t[0]),
            Times::Heap(d) => d.front().copied(),
        }
    }

    fn back(&self) -> Option<u32> {
        match self {
            Times::Inline { len: 0, .. } => None,
            Times::Inline { len, t } => Some(t[*len as usize - 1]),
            Times::Heap(d) => d.back().copied(),
        }
    }

    fn push(&mut self, v: u32) {
        match self {
            Times::Inline { len, t } if (*len as usize) < INLINE => {
                t[*len as usize] = v;
                *len += 1;
            }
            Times::Inline { len, t } => {
                let mut d: VecDeque<u32> = t[..*len as usize].iter().copied().collect();
                d.push_back(v);
                *self = Times::Heap(Box::new(d));
            }
            Times::Heap(d) => d.push_back(v),
        }
    }

    fn pop_front(&mut self) {
        match self {
            Times::Inline { len: 0, .. } => {}
            Times::Inline { len, t } => {
                t.copy_within(1..*len as usize, 0);
                *len -= 1;
            }
            Times::Heap(d) => {
                d.pop_front();
            }
        }
    }
}

/// Unix seconds as stored (0 before 1970, saturating in 2106).
fn secs(t: i64) -> u32 {
    t.clamp(0, u32::MAX as i64) as u32
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
        self.next_seq = self.next_seq.wrapping_add(1);
        let entry = self.entries.entry(addr).or_insert_with(|| Entry {
            seq,
            times: Times::new(),
        });
        entry.seq = seq;
        for _ in 0..attempts.max(1).min(self.maxretry) {
            entry.times.push(secs(time));
        }
        while entry.times.front().is_some_and(|t| t < secs(horizon)) {
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
        if self.order.len() > self.entries.len() + self.entries.len() / 2 + 1024 {
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
            .retain(|_, e| e.times.back().is_some_and(|t| t >= secs(horizon)));
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
    fn times_spill_from_inline_to_the_heap_and_back_out() {
        let mut w = FailWindow::new(10, 600, 100);
        for t in 0..6 {
            assert_eq!(
                w.record(ip(1), 1000 + t, 1, 1000 + t),
                Verdict::Counted(t as u32 + 1)
            );
        }
        // The first four leave the window.
        assert_eq!(w.record(ip(1), 1604, 1, 1604), Verdict::Counted(3));
        let mut t = Times::new();
        for v in [5, 6, 7, 8] {
            t.push(v);
        }
        t.pop_front();
        assert_eq!((t.front(), t.back(), t.len()), (Some(6), Some(8), 3));
        assert!(
            std::mem::size_of::<Entry>() <= 24,
            "{}",
            std::mem::size_of::<Entry>()
        );
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
