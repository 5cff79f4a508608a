//! Prometheus metrics: counters the daemon keeps ([`Metrics`]), their
//! rendering in the text exposition format 0.0.4 ([`render`]) and a small
//! HTTP/1.1 responder for `GET /metrics` ([`http`]), served only when the
//! configuration has a `metrics` node.
//!
//! Invariants:
//! - Counting is atomics only: a component takes its counters once (a
//!   jail's [`JailCounters`], a source's [`LineCounter`]) and adds to them;
//!   the registry's locks are taken to register and to render, never per
//!   line or per ban.
//! - Series are never removed: a jail or a source that goes away keeps its
//!   counters (a counter that vanished would read as a reset); a jail's
//!   `active_bans` drops to 0 with its sets.
//! - Metric names are stable (docs/metrics.md).

pub mod http;
pub mod render;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The upper bounds of the ban latency buckets, in seconds: 0.1 ms to 1 s.
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// Every metric of one daemon.
#[derive(Debug, Default)]
pub struct Metrics {
    jails: Mutex<BTreeMap<String, Arc<JailCounters>>>,
    sources: Mutex<BTreeMap<String, LineCounter>>,
    /// From a log line read to the kernel acknowledging its ban.
    pub ban_latency: Histogram,
    /// Netlink requests the kernel refused or that could not be sent, and
    /// notification reads that failed or overran.
    pub netlink_errors: AtomicU64,
    /// Families a component renders itself (the fleet's
    /// `portcullis_cluster_*`), refreshed by it, appended as they are.
    pub extra: Mutex<String>,
}

/// The counters of one jail.
#[derive(Debug, Default)]
pub struct JailCounters {
    pub failures: AtomicU64,
    pub bans: AtomicU64,
    pub unbans: AtomicU64,
    /// A gauge: bans in the kernel now.
    pub active: AtomicU64,
}

/// Lines read from one source (a file path, a journal source name).
#[derive(Debug, Default, Clone)]
pub struct LineCounter(Arc<AtomicU64>);

impl LineCounter {
    pub fn add(&self, lines: u64) {
        self.0.fetch_add(lines, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Metrics {
    /// The counters of jail `name`, created at first use.
    pub fn jail(&self, name: &str) -> Arc<JailCounters> {
        let mut jails = self.jails.lock().unwrap_or_else(|e| e.into_inner());
        jails.entry(name.to_string()).or_default().clone()
    }

    /// The line counter of source `name`, created at first use: for files
    /// their path, for other kinds of source any stable name.
    pub fn source(&self, name: &str) -> LineCounter {
        let mut sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        sources.entry(name.to_string()).or_default().clone()
    }

    /// Counts one netlink error.
    pub fn netlink_error(&self) {
        self.netlink_errors.fetch_add(1, Ordering::Relaxed);
    }

    fn jails_snapshot(&self) -> Vec<(String, Arc<JailCounters>)> {
        let jails = self.jails.lock().unwrap_or_else(|e| e.into_inner());
        jails.iter().map(|(n, c)| (n.clone(), c.clone())).collect()
    }

    fn sources_snapshot(&self) -> Vec<(String, u64)> {
        let sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        sources.iter().map(|(n, c)| (n.clone(), c.get())).collect()
    }
}

/// A histogram of durations with [`LATENCY_BUCKETS`].
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations per bucket, not cumulative; the last is above 1 s.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Cumulative counts per bucket (the last is `+Inf`, the count) and
    /// the sum in seconds.
    pub fn snapshot(&self) -> (Vec<u64>, f64) {
        let mut total = 0;
        let cumulative = self
            .buckets
            .iter()
            .map(|b| {
                total += b.load(Ordering::Relaxed);
                total
            })
            .collect();
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        (cumulative, sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_bounds_inclusive() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(100));
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_secs(2));
        let (buckets, sum) = h.snapshot();
        assert_eq!(buckets.len(), 14);
        assert_eq!(&buckets[..3], &[1, 1, 2]);
        assert_eq!(buckets[12], 2);
        assert_eq!(buckets[13], 3);
        assert!((sum - 2.0004).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn counters_are_shared_per_name() {
        let m = Metrics::default();
        m.jail("sshd").failures.fetch_add(2, Ordering::Relaxed);
        m.jail("sshd").failures.fetch_add(1, Ordering::Relaxed);
        assert_eq!(m.jail("sshd").failures.load(Ordering::Relaxed), 3);
        m.source("/var/log/auth.log").add(5);
        assert_eq!(m.source("/var/log/auth.log").get(), 5);
    }
}
