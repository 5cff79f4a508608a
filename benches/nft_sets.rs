//! What interval sets cost against plain hash sets, side by side, at
//! 200,000 IPv4 bans: issue 15 first asked for every set to become `flags
//! interval,timeout` so that it holds networks; these figures are why
//! addresses stay in hash sets and networks got sets of their own. Against
//! the real kernel in a throwaway network namespace (this process unshares
//! one; the host's ruleset is untouched):
//!
//!     sudo cargo bench --bench nft_sets
//!
//! For each layout, three runs of: one transaction adding the bans, the
//! kernel memory it took (SUnreclaim + VmallocUsed of /proc/meminfo before
//! and after: machine-wide, so other processes add noise), 1,000 more bans
//! into the full set, a dump, the packet path (UDP datagrams over loopback
//! whose source is looked up in the full set), a reload's rebuild carrying
//! every ban, and the flush (deleting the table). Prints min / median / max
//! and the load (`uptime`). Needs root; otherwise says so and exits
//! successfully. `cargo test --all-targets` runs it at a hundredth of the
//! size.

use std::collections::BTreeMap;
use std::net::{IpAddr, UdpSocket};
use std::time::{Duration, Instant};

use portcullis::nft::{Ban, JailSpec, Nft, NftConfig, Ports};

const RUNS: usize = 3;
const PORT: u16 = 9999;

fn main() {
    let scale = if std::env::args().any(|a| a == "--bench") {
        1
    } else {
        100
    };
    // SAFETY: geteuid and unshare have no memory-safety preconditions; the
    // new namespace applies to this (only) thread.
    if unsafe { libc::geteuid() } != 0 || unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        eprintln!("SKIP nft_sets bench: needs root to unshare a network namespace");
        return;
    }
    let lo = std::process::Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status();
    assert!(lo.is_ok_and(|s| s.success()), "ip link set lo up");
    let mut jail = JailSpec::tcp("sshd", &[]);
    jail.ports = Ports::udp(&[PORT]);
    let config = NftConfig {
        jails: vec![jail],
        ..NftConfig::default()
    };
    let count = 200_000 / scale;
    let packets = 200_000 / scale;
    let bans = v4_bans(0, count);
    let more = v4_bans(count, 1_000 / scale.min(10));
    println!(
        "{count} IPv4 bans, {RUNS} runs per layout; load before: {}",
        load()
    );
    let mut figures: BTreeMap<(&str, &str), Vec<f64>> = BTreeMap::new();
    for (layout, interval) in [("plain", false), ("interval", true)] {
        for _ in 0..RUNS {
            let mut nft = Nft::open().expect("netlink socket");
            if interval {
                nft.use_interval_host_sets_for_bench();
            }
            nft.setup(&config).unwrap();
            for (what, value) in run(&mut nft, &config, &bans, &more, packets) {
                figures.entry((what, layout)).or_default().push(value);
            }
            nft.teardown().unwrap();
        }
    }
    print_figures(&figures);
    println!("load after: {}", load());
}

/// One run on a fresh, empty table: each figure's name and value.
fn run(
    nft: &mut Nft,
    config: &NftConfig,
    bans: &[Ban],
    more: &[Ban],
    packets: u32,
) -> Vec<(&'static str, f64)> {
    let mut out = Vec::new();
    let before = kernel_kib();
    let t = Instant::now();
    nft.ban(bans).unwrap();
    out.push(("add, one transaction (s)", t.elapsed().as_secs_f64()));
    let after = kernel_kib();
    out.push(("kernel memory (MiB)", (after - before) as f64 / 1024.0));
    let t = Instant::now();
    nft.ban(more).unwrap();
    out.push(("1,000 more into the full set (ms)", ms(t.elapsed())));
    let t = Instant::now();
    let listed = nft.list(&config.table, None).unwrap().unwrap();
    out.push(("dump (s)", t.elapsed().as_secs_f64()));
    assert_eq!(listed.len(), bans.len() + more.len());
    out.push(("packet through the lookup (ns)", packet_ns(packets)));
    let t = Instant::now();
    nft.setup(config).unwrap();
    out.push(("rebuild carrying every ban (s)", t.elapsed().as_secs_f64()));
    let t = Instant::now();
    nft.teardown().unwrap();
    out.push(("flush: delete the table (ms)", ms(t.elapsed())));
    out
}

/// Nanoseconds per UDP datagram sent over loopback to a port whose rule
/// looks the source (127.0.0.1, not banned) up in the set; the receiving
/// socket is never read, so most datagrams are dropped after the lookup.
fn packet_ns(packets: u32) -> f64 {
    let rx = UdpSocket::bind(("127.0.0.1", PORT)).unwrap();
    let tx = UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    let payload = [0u8; 16];
    let t = Instant::now();
    for _ in 0..packets {
        tx.send_to(&payload, ("127.0.0.1", PORT)).unwrap();
    }
    let took = t.elapsed();
    drop(rx);
    took.as_nanos() as f64 / f64::from(packets)
}

/// Scattered addresses (a multiplicative hash of the index, one to one),
/// as bans from many places are.
fn v4_bans(first: u32, count: u32) -> Vec<Ban> {
    (first..first + count)
        .map(|i| Ban {
            jail: "sshd".into(),
            addr: IpAddr::from((i + 1).wrapping_mul(2_654_435_761).to_be_bytes()).into(),
            timeout: Some(Duration::from_secs(3600 + u64::from(i % 600))),
            comment: None,
        })
        .collect()
}

/// Unreclaimable slab and vmalloc in KiB: where nf_tables keeps set
/// elements and hash tables.
fn kernel_kib() -> i64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |name: &str| {
        (text.lines())
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    field("SUnreclaim:") + field("VmallocUsed:")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn load() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let loads: Vec<&str> = text.split_whitespace().take(3).collect();
    format!("load average: {}", loads.join(", "))
}

fn print_figures(figures: &BTreeMap<(&str, &str), Vec<f64>>) {
    println!(
        "{:<36} {:<9} {:>10} {:>10} {:>10}",
        "figure", "layout", "min", "median", "max"
    );
    for ((what, layout), values) in figures {
        let mut v = values.clone();
        v.sort_by(f64::total_cmp);
        println!(
            "{what:<36} {layout:<9} {:>10.3} {:>10.3} {:>10.3}",
            v[0],
            v[v.len() / 2],
            v[v.len() - 1]
        );
    }
}
