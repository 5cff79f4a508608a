//! Asking the kernel, not the daemon: whether sampled addresses are in the
//! sshd set now (NFT_MSG_GETSETELEM for each, answered without the commit
//! lock and without dumping the set), polled until all are.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use portcullis::nft::Nft;

pub struct Probe {
    nft: Nft,
}

impl Probe {
    pub fn new() -> Probe {
        Probe {
            nft: Nft::open().unwrap(),
        }
    }

    /// Whether the kernel holds `addr` in sshd-v4 now (a missing table or
    /// set, as during a repair, counts as no).
    pub fn holds(&mut self, addr: Ipv4Addr) -> bool {
        (self.nft)
            .holds("portcullis", "sshd-v4", IpAddr::V4(addr))
            .unwrap_or(false)
    }

    /// Polls until the kernel holds every one of `addrs`; the instant it
    /// first did (within the polling step, 200 µs).
    pub fn wait_all(&mut self, addrs: &[Ipv4Addr], limit: Duration) -> Instant {
        self.wait_each(addrs, limit).into_iter().max().unwrap()
    }

    /// Polls until the kernel holds every one of `addrs`; when each was
    /// first seen there.
    pub fn wait_each(&mut self, addrs: &[Ipv4Addr], limit: Duration) -> Vec<Instant> {
        let end = Instant::now() + limit;
        let mut seen: Vec<Option<Instant>> = vec![None; addrs.len()];
        loop {
            for (a, s) in addrs.iter().zip(&mut seen) {
                if s.is_none() && self.holds(*a) {
                    *s = Some(Instant::now());
                }
            }
            let left = seen.iter().filter(|s| s.is_none()).count();
            if left == 0 {
                return seen.into_iter().map(Option::unwrap).collect();
            }
            assert!(
                Instant::now() < end,
                "{left} sampled address(es) not in the kernel after {limit:?}"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// How many elements our sshd sets hold (a full dump: call it only
    /// outside the timed part).
    pub fn count(&mut self) -> usize {
        (self.nft.list("portcullis", Some("sshd")))
            .unwrap()
            .map_or(0, |l| l.len())
    }

    pub fn teardown(&mut self) {
        self.nft.teardown().unwrap();
    }
}

/// `first..first+n`'s first and last addresses and eight spread between.
pub fn samples(first: u32, n: u32) -> Vec<Ipv4Addr> {
    let mut out: Vec<Ipv4Addr> = (0..10)
        .map(|k| super::addr(first + (n - 1) * k / 9))
        .collect();
    out.dedup();
    out
}
