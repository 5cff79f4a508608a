//! The daemon end to end, against the real kernel in a throwaway network
//! namespace (this process unshares one; the host's ruleset is untouched),
//! with the release binary, measured from outside as a user sees it: the
//! kernel is asked directly whether sampled addresses are in the set
//! ([`probe`]), never the daemon's own log. The daemon's log lines and its
//! Prometheus metrics ([`scrape`]) are only compared with what the kernel
//! showed.
//!
//!     sudo cargo bench --bench daemon [-- --runs N]
//!
//! Each run starts a fresh daemon and measures: line-to-kernel latency, a
//! burst of 200,000 distinct offenders, `nft flush ruleset` after the burst
//! (with a new offender appended during the repair) and during a second
//! burst, idle RSS, and a restart after kill -9 with the table gone (as
//! after a reboot). Prints each figure per run, then min, median and max
//! over the runs (3 by default) with the load average. Needs root;
//! otherwise says so and exits successfully. Under `cargo test
//! --all-targets` (no --bench) it is one quick run with a hundredth of the
//! counts.

mod figures;
mod lag;
mod probe;
mod scrape;

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use figures::Figures;
use lag::Kernel;
use probe::{Probe, samples};

/// The daemon run: this build's, or `PORTCULLIS_BIN` (to compare builds).
fn bin() -> PathBuf {
    std::env::var_os("PORTCULLIS_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_portcullis").into(), PathBuf::from)
}
pub const LIMIT: Duration = Duration::from_secs(120);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench");
    let scale = if bench { 1 } else { 100 };
    let runs: usize = (args.iter().position(|a| a == "--runs"))
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(if bench { 3 } else { 1 });
    // SAFETY: geteuid and unshare have no memory-safety preconditions; the
    // new namespace applies to this thread and the children it starts.
    if unsafe { libc::geteuid() } != 0 || unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        eprintln!("SKIP daemon bench: needs root to unshare a network namespace");
        return;
    }
    // The metrics endpoint listens on the namespace's own loopback.
    let up = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status();
    assert!(up.is_ok_and(|s| s.success()), "ip link set lo up failed");
    let mut figures = Figures::default();
    for run in 0..runs {
        println!("run {} of {runs} (load {})", run + 1, figures::load());
        one_run(&mut figures, scale, run == 0);
    }
    figures.print();
}

struct Daemon {
    child: Child,
    dir: PathBuf,
}

/// kill -9 and reaped when dropped, also when a run panics: a leaked
/// daemon's nftables listener would slow every later big transaction on
/// the host.
impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn one_run(figures: &mut Figures, scale: u32, first: bool) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    std::fs::write(
        d.join("config.kdl"),
        format!(
            "database \"{d}/db\"\nsocket \"{d}/s.sock\"\nlog-level \"info\"\nmetrics \"{m}\"\n\
             jail \"sshd\" {{\n source \"{d}/auth.log\"\n maxretry 1\n bantime \"1h\"\n port 22\n ignoreself #false\n}}\n\
             jail \"tracked\" {{\n filter \"sshd\"\n source \"{d}/tracked.log\"\n maxretry 1000\n}}\n",
            d = d.display(),
            m = scrape::LISTEN,
        ),
    )
    .unwrap();
    std::fs::write(d.join("auth.log"), "").unwrap();
    let mut probe = Probe::new();
    let (daemon, _) = start(&d);
    std::thread::sleep(Duration::from_millis(300));
    let idle = rss_kib(daemon.child.id()) as f64 / 1024.0;
    latency(figures, &mut probe, &d, 2000 / scale);
    let burst = 200_000 / scale;
    throughput(figures, &mut probe, &d, burst);
    flush_after(figures, &mut probe, &d, burst);
    figures.add("idle RSS after start", "MiB", "target <= 15 MiB", idle);
    if first {
        tracked_memory(&daemon, 1_000_000 / scale);
    }
    wait_recorded(&mut probe, &d);
    drop(daemon);
    let daemon = restart(figures, &mut probe, &d, burst);
    flush_during(figures, &mut probe, &d, burst);
    drop(daemon);
    for line in read_log(&d).lines().filter(|l| l.contains(" ERROR ")) {
        println!("  daemon: {line}");
    }
    probe.teardown();
}

fn start(dir: &Path) -> (Daemon, Instant) {
    let t = Instant::now();
    let child = Command::new(bin())
        .args(["daemon", "--config"])
        .arg(dir.join("config.kdl"))
        .stdout(Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("daemon.log"))
                .unwrap(),
        )
        .spawn()
        .unwrap();
    let socket = dir.join("s.sock");
    let end = Instant::now() + Duration::from_secs(20);
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(Instant::now() < end, "the daemon did not start");
        std::thread::sleep(Duration::from_millis(2));
    }
    let daemon = Daemon {
        child,
        dir: dir.to_path_buf(),
    };
    (daemon, t)
}

fn line(addr: Ipv4Addr) -> String {
    let now = jiff::Zoned::now().strftime("%b %e %H:%M:%S");
    format!("{now} host sshd[42]: Failed password for root from {addr} port 2222 ssh2\n")
}

pub fn addr(n: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 + n)
}

fn append(dir: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(dir.join("auth.log"))
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn lines(first: u32, n: u32) -> String {
    let mut text = String::with_capacity(n as usize * 90);
    for i in first..first + n {
        text.push_str(&line(addr(i)));
    }
    text
}

/// One line at a time: from the write until the kernel holds the address.
fn latency(figures: &mut Figures, probe: &mut Probe, dir: &Path, n: u32) {
    // One line first, untimed: the jail's watches are in place after it.
    append(dir, &line(addr(9_999_999)));
    probe.wait_all(&[addr(9_999_999)], LIMIT);
    let mut times = Vec::with_capacity(n as usize);
    for i in 0..n {
        let a = addr(8_000_000 + i);
        let text = line(a);
        let t = Instant::now();
        append(dir, &text);
        times.push(probe.wait_all(&[a], LIMIT) - t);
    }
    times.sort();
    let p = |q: f64| ms(times[((times.len() as f64 * q) as usize).min(times.len() - 1)]);
    figures.add("line to kernel, p50", "ms", "one line at a time", p(0.5));
    figures.add("line to kernel, p99", "ms", "target <= 5 ms", p(0.99));
}

/// `n` distinct offenders appended at once: until the kernel holds them.
fn throughput(figures: &mut Figures, probe: &mut Probe, dir: &Path, n: u32) {
    let before = probe.count();
    let counted = scrape::sample(&scrape::bans("sshd")).unwrap_or(0.0);
    let text = lines(0, n);
    let metrics = scrape::watch(
        vec![
            (scrape::bans("sshd"), counted + f64::from(n)),
            (scrape::active("sshd"), (before + n as usize) as f64),
        ],
        LIMIT,
    );
    let t = Instant::now();
    append(dir, &text);
    let seen = probe.wait_all(&samples(0, n), LIMIT);
    let took = (seen - t).as_secs_f64();
    let log_line = format!("NOTICE [sshd] Ban {}", addr(n - 1));
    let kernel = Kernel::seen(seen);
    assert_eq!(probe.count(), before + n as usize, "not every ban is in");
    figures.add(
        "burst, bans/s from the append",
        "bans/s",
        "target >= 200,000",
        n as f64 / took,
    );
    kernel.log_lag(
        figures,
        dir,
        "burst: daemon's Ban line minus kernel",
        &log_line,
    );
    let metrics = metrics.join().unwrap();
    kernel.metrics_lag(figures, "burst: metrics minus kernel", metrics);
}

/// `nft flush ruleset` with the burst's bans active, and a new offender
/// appended right after it (during the repair).
fn flush_after(figures: &mut Figures, probe: &mut Probe, dir: &Path, n: u32) {
    let before = probe.count();
    let newcomer = addr(7_000_000);
    let t = Instant::now();
    flush_ruleset();
    let flushed = Instant::now();
    append(dir, &line(newcomer));
    let mut wanted = samples(0, n);
    wanted.push(newcomer);
    let mut seen = probe.wait_each(&wanted, LIMIT);
    let new = seen.pop().unwrap();
    let back = seen.into_iter().max().unwrap();
    let kernel = Kernel::seen(back);
    assert_eq!(probe.count(), before + 1, "not every ban came back");
    figures.add(
        "flush after the burst: all back",
        "s",
        "target <= 1 s",
        (back - t).as_secs_f64(),
    );
    figures.add(
        "new offender during the repair: in the kernel",
        "s",
        "target <= 1 s",
        (new - flushed).as_secs_f64(),
    );
    kernel.log_lag(
        figures,
        dir,
        "repair: daemon's line minus kernel",
        "table deleted by",
    );
}

/// A second burst, and `nft flush ruleset` once its first address is in
/// the kernel: every ban of both bursts must come back.
fn flush_during(figures: &mut Figures, probe: &mut Probe, dir: &Path, n: u32) {
    let before = probe.count();
    let first = 1_000_000;
    append(dir, &lines(first, n));
    probe.wait_all(&[addr(first)], LIMIT);
    let t = Instant::now();
    let storm_done = probe.holds(addr(first + n - 1));
    flush_ruleset();
    let mut wanted = samples(0, n);
    wanted.extend(samples(first, n));
    let back = probe.wait_all(&wanted, LIMIT);
    assert_eq!(
        probe.count(),
        before + n as usize,
        "not every ban came back"
    );
    let name = if storm_done {
        "flush during the burst (burst had ended): all back"
    } else {
        "flush during the burst: all back"
    };
    figures.add(name, "s", "target <= 1 s", (back - t).as_secs_f64());
}

fn flush_ruleset() {
    let out = Command::new("nft")
        .args(["flush", "ruleset"])
        .output()
        .unwrap();
    assert!(out.status.success(), "nft flush ruleset failed");
}

/// Waits until the database holds every ban the kernel has (the restart
/// below removes the table, as a reboot does, so only the records count).
fn wait_recorded(probe: &mut Probe, dir: &Path) {
    let banned = probe.count();
    // LMDB lets a second process read while the daemon writes.
    let store = portcullis::db::store::Store::open(&dir.join("db")).unwrap();
    let end = Instant::now() + LIMIT;
    loop {
        let now = portcullis::time::UnixMs::now();
        let recorded = store.active_bans(now).unwrap().len();
        if recorded >= banned {
            return;
        }
        assert!(
            Instant::now() < end,
            "only {recorded} of {banned} bans recorded"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// kill -9 happened; the table goes (as after a reboot), then a start:
/// from the exec until the kernel holds every ban again. The daemon is
/// left running.
fn restart(figures: &mut Figures, probe: &mut Probe, dir: &Path, n: u32) -> Daemon {
    let before = probe.count();
    probe.teardown();
    let metrics = scrape::watch(vec![(scrape::active("sshd"), before as f64)], LIMIT);
    let (daemon, t) = start(dir);
    let back = probe.wait_all(&samples(0, n), LIMIT);
    let kernel = Kernel::seen(back);
    assert_eq!(probe.count(), before, "not every ban was restored");
    figures.add(
        "restart after kill -9, table gone: all back after exec",
        "s",
        "target <= 1 s",
        (back - t).as_secs_f64(),
    );
    let needle = "ban(s) into the kernel in";
    kernel.log_lag(figures, dir, "restore: daemon's line minus kernel", needle);
    let metrics = metrics.join().unwrap();
    kernel.metrics_lag(figures, "restore: metrics minus kernel", metrics);
    daemon
}

/// RSS with `n` addresses in a jail's failure table.
fn tracked_memory(daemon: &Daemon, n: u32) {
    let mut text = String::with_capacity(n as usize * 90);
    for i in 0..n {
        text.push_str(&line(Ipv4Addr::from(0x0b00_0000 + i)));
    }
    let path = daemon.dir.join("tracked.log");
    std::fs::write(&path, text).unwrap();
    let socket = daemon.dir.join("s.sock");
    let end = Instant::now() + LIMIT;
    loop {
        let out = Command::new(bin())
            .args(["status", "tracked", "--json", "--socket"])
            .arg(&socket)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if v["data"][0]["stats"]["tracked"].as_u64() == Some(n as u64) {
            break;
        }
        assert!(Instant::now() < end, "not all {n} addresses tracked: {v}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let rss = rss_kib(daemon.child.id());
    println!(
        "  RSS with {n} tracked failing addresses: {rss} KiB (target <= 300 MiB at 1,000,000)"
    );
}

pub fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("daemon.log")).unwrap()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
