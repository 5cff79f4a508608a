//! Millions of distinct failing addresses, each failing once: the failure
//! table stops at `max-tracked` (evicting the oldest), the daemon's RSS
//! stays under a bound per tracked address, the eviction is logged at most
//! once a minute, and the few addresses that do cross `maxretry` among them
//! are still banned.
//!
//! CI runs 1 million addresses against `max-tracked 250000`;
//! `HARDENING_ADDRESSES=10000000 HARDENING_MAX_TRACKED=1000000` is the long
//! variant (`integration/hardening-long`, release build).

use std::time::{Duration, Instant};

use crate::common::poll_until;
use crate::daemon_common::{Daemon, append};

/// Bytes of RSS growth allowed per tracked address (measured: see docs/hardening.md).
const BYTES_PER_TRACKED: u64 = 250;
/// Offenders hidden among the one-off addresses, each failing 3 times in a row.
const OFFENDERS: u64 = 100;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One-off address number `i` (10.0.0.0/8 and 100.64.0.0/10 give room for 10M+).
fn one_off(i: u64) -> String {
    let (net, i) = if i < 1 << 24 {
        (10u64 << 24, i)
    } else {
        (100u64 << 24 | 64 << 16, i - (1 << 24))
    };
    let a = net + i;
    format!(
        "{}.{}.{}.{}",
        a >> 24,
        (a >> 16) & 255,
        (a >> 8) & 255,
        a & 255
    )
}

fn offender(k: u64) -> String {
    format!("192.0.2.{}", k + 1)
}

#[test]
fn millions_of_addresses_stay_under_max_tracked_and_offenders_are_still_banned() {
    let addresses = env_or("HARDENING_ADDRESSES", 1_000_000);
    let max_tracked = env_or("HARDENING_MAX_TRACKED", 250_000);
    let jail = format!(
        "jail \"sshd\" {{\n    source \"$DIR/auth.log\"\n    maxretry 3\n    findtime \"1h\"\n    bantime \"1h\"\n    max-tracked {max_tracked}\n    port 22\n}}\n"
    );
    let Some(mut d) = Daemon::prepare("hard-tracked", &jail) else {
        return;
    };
    d.start();
    let rss_before = d.rss_kib();
    let started = Instant::now();
    let now = jiff::Zoned::now().strftime("%b %e %H:%M:%S").to_string();
    let line = |a: &str| {
        format!("{now} host sshd[4242]: Failed password for root from {a} port 51234 ssh2\n")
    };
    let every = addresses / OFFENDERS;
    let mut chunk = String::new();
    let mut written = 0u64;
    for i in 0..addresses {
        chunk.push_str(&line(&one_off(i)));
        if i % every == every / 2 && i / every < OFFENDERS {
            for _ in 0..3 {
                chunk.push_str(&line(&offender(i / every)));
            }
            written += 3;
        }
        written += 1;
        if chunk.len() > 8 << 20 {
            append(&d.path("auth.log"), &chunk);
            chunk.clear();
        }
    }
    append(&d.path("auth.log"), &chunk);
    let counted = poll_until(Duration::from_secs(1800), || {
        (d.stats("sshd")["failures_total"].as_u64() == Some(written)).then_some(())
    });
    assert!(
        counted.is_some(),
        "counted {} of {written}; log:\n{}",
        d.stats("sshd"),
        d.log()
    );
    let minutes = started.elapsed().as_secs() / 60;
    let stats = d.stats("sshd");
    let rss_after = d.rss_kib();
    let tracked = stats["tracked"].as_u64().unwrap();
    let growth = (rss_after.saturating_sub(rss_before)) * 1024;
    eprintln!(
        "{addresses} addresses, max-tracked {max_tracked}: tracked {tracked}, evicted {}, RSS {rss_before} -> {rss_after} KiB, {} bytes per tracked address, {:.0} s",
        stats["evicted_total"],
        growth / tracked.max(1),
        started.elapsed().as_secs_f64()
    );
    assert!(tracked <= max_tracked, "tracked {tracked}");
    assert!(
        growth <= max_tracked * BYTES_PER_TRACKED,
        "RSS grew by {growth} bytes for {max_tracked} tracked addresses"
    );
    let log = d.log();
    let evictions = log
        .lines()
        .filter(|l| l.contains("failure table full"))
        .count() as u64;
    assert!(
        (1..=1 + minutes).contains(&evictions),
        "{evictions} eviction messages in {minutes} minute(s)"
    );
    let banned: std::collections::HashSet<String> =
        d.elements("sshd-v4").into_iter().map(|e| e.0).collect();
    for k in 0..OFFENDERS {
        assert!(banned.contains(&offender(k)), "{} not banned", offender(k));
    }
    assert_eq!(
        banned.len() as u64,
        OFFENDERS,
        "one-off addresses were banned"
    );
}
