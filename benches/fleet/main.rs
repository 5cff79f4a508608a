//! The fleet end to end (issue 13's bar), measured from outside: a real
//! 3-node nats-server JetStream cluster and three daemons in a network
//! namespace this process unshares (the host's ruleset is untouched), each
//! with its own table `p1`..`p3`. The kernel is asked directly whether an
//! address is in a node's set (NFT_MSG_GETSETELEM, polled every 200 µs),
//! never a daemon's log.
//!
//!     sudo cargo bench --bench fleet [-- --runs N] [--storm N]
//!
//! Each run starts a fresh fleet and measures: one ban at a time, from the
//! log line appended on node 1 to its element in the sets of nodes 2 and 3
//! (1,000 bans, p50 and p99; the probe polls from the instant the append
//! returned); a storm of 10,000 offenders (`--storm`), from the last in
//! node 1's kernel to all of them in nodes 2 and 3; node 3 killed, 10,000
//! more banned, node 3 started: from its start to all of them in its set.
//! Prints each figure, then min, median and max over the runs (3 by
//! default) with the load average. `PORTCULLIS_BIN` picks the daemon (the
//! debug build, say). Needs root and nats-server; otherwise says so and
//! exits successfully. Under `cargo test --all-targets` (no --bench) it is
//! one quick run with a hundredth of the counts.

#[path = "../daemon/figures.rs"]
mod figures;
mod nats;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use figures::Figures;
use portcullis::nft::Nft;

const NATS_SERVER: &str = "/usr/sbin/nats-server";
const LIMIT: Duration = Duration::from_secs(60);

fn bin() -> PathBuf {
    std::env::var_os("PORTCULLIS_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_portcullis").into(), PathBuf::from)
}

fn arg(args: &[String], name: &str) -> Option<usize> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench");
    let scale = if bench { 1 } else { 100 };
    let runs = arg(&args, "--runs").unwrap_or(if bench { 3 } else { 1 });
    let storm = arg(&args, "--storm").unwrap_or(10_000) as u32 / scale;
    if !Path::new(NATS_SERVER).exists() {
        eprintln!("SKIP fleet bench: {NATS_SERVER} missing (apt-get install nats-server)");
        return;
    }
    // SAFETY: geteuid and unshare have no memory-safety preconditions; the
    // new namespace applies to this thread and the children it starts.
    if unsafe { libc::geteuid() } != 0 || unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        eprintln!("SKIP fleet bench: needs root to unshare a network namespace");
        return;
    }
    let up = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status();
    assert!(up.is_ok_and(|s| s.success()), "ip link set lo up failed");
    println!(
        "fleet bench: daemon {}, load {}",
        bin().display(),
        figures::load()
    );
    let mut figures = Figures::default();
    if args.iter().any(|a| a == "--servers") {
        (1..=runs).for_each(|_| nats::servers_alone(storm, &mut figures));
        figures.print();
        return;
    }
    for run in 1..=runs {
        println!("run {run}:");
        let mut fleet = Fleet::start();
        one_at_a_time(&mut fleet, 1_000 / scale, &mut figures);
        storms(&mut fleet, storm, &mut figures);
        drop(fleet);
    }
    figures.print();
}

/// Bans one at a time: log line on node 1 to the sets of nodes 2 and 3.
fn one_at_a_time(fleet: &mut Fleet, n: u32, figures: &mut Figures) {
    let mut probe = Nft::open().unwrap();
    let mut took = Vec::new();
    for i in 0..n {
        let addr = Ipv4Addr::from(0x0a02_0000 + i);
        let appended = fleet.offend(&[addr]);
        for table in ["p2", "p3"] {
            wait_holds(&mut probe, table, &[addr]);
        }
        took.push(appended.elapsed().as_secs_f64() * 1000.0);
    }
    took.sort_by(f64::total_cmp);
    let at = |q: f64| took[((took.len() as f64 * q).ceil() as usize).clamp(1, took.len()) - 1];
    let bans = format!("{n} bans");
    figures.add(
        &format!("one ban to both others, p50 ({bans})"),
        "ms",
        "",
        at(0.5),
    );
    figures.add(
        &format!("one ban to both others, p99 ({bans})"),
        "ms",
        "bar <= 50 ms",
        at(0.99),
    );
}

/// A storm on node 1, then node 3 away for another and started again.
fn storms(fleet: &mut Fleet, n: u32, figures: &mut Figures) {
    let mut probe = Nft::open().unwrap();
    let first: Vec<Ipv4Addr> = (0..n).map(|i| Ipv4Addr::from(0x0a03_0000 + i)).collect();
    fleet.offend(&first);
    let s = samples(&first);
    let origin = wait_holds(&mut probe, "p1", &s);
    let others = ["p2", "p3"]
        .map(|t| wait_holds(&mut probe, t, &s))
        .into_iter()
        .max()
        .unwrap();
    let name = format!("{n} bans, last in node 1's kernel to all in both others");
    let lag = others.saturating_duration_since(origin).as_secs_f64();
    figures.add(&name, "s", "bar <= 2 s for 10,000", lag);
    fleet.nodes[2].kill();
    let second: Vec<Ipv4Addr> = (0..n).map(|i| Ipv4Addr::from(0x0a04_0000 + i)).collect();
    fleet.offend(&second);
    let s = samples(&second);
    wait_holds(&mut probe, "p2", &s);
    let started = Instant::now();
    fleet.nodes[2].start();
    let caught_up = wait_holds(&mut probe, "p3", &s).duration_since(started);
    let name = format!("node 3 restarted after missing {n}: start to all in its set");
    figures.add(&name, "s", "bar <= 1 s for 10,000", caught_up.as_secs_f64());
}

/// The first, last and eight addresses spread between.
fn samples(addrs: &[Ipv4Addr]) -> Vec<Ipv4Addr> {
    let mut out: Vec<Ipv4Addr> = (0..10).map(|k| addrs[(addrs.len() - 1) * k / 9]).collect();
    out.dedup();
    out
}

/// Polls until `table`'s sshd-v4 holds every one of `addrs`; when it did.
fn wait_holds(nft: &mut Nft, table: &str, addrs: &[Ipv4Addr]) -> Instant {
    let end = Instant::now() + LIMIT;
    let mut left: Vec<Ipv4Addr> = addrs.to_vec();
    loop {
        left.retain(|a| !nft.holds(table, "sshd-v4", IpAddr::V4(*a)).unwrap_or(false));
        if left.is_empty() {
            return Instant::now();
        }
        if Instant::now() > end {
            panic!(
                "{table}: {} not banned after {LIMIT:?}\n{}",
                left.len(),
                logs()
            );
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The fleet's directory, for the logs a failure prints.
static DIR: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

fn logs() -> String {
    let Some(dir) = DIR.lock().unwrap().clone() else {
        return String::new();
    };
    let names = [
        "node1/daemon.log",
        "node2/daemon.log",
        "node3/daemon.log",
        "n1.log",
    ];
    (names.iter())
        .map(|n| {
            format!(
                "--- {n}\n{}",
                std::fs::read_to_string(dir.join(n)).unwrap_or_default()
            )
        })
        .collect()
}

/// Three NATS servers and three daemons, in a temporary directory.
struct Fleet {
    dir: tempfile::TempDir,
    /// Killed when the fleet is dropped, after the daemons.
    _servers: nats::Servers,
    nodes: Vec<Node>,
}

struct Node {
    dir: PathBuf,
    child: Option<Child>,
}

impl Fleet {
    fn start() -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        *DIR.lock().unwrap() = Some(dir.path().to_path_buf());
        let (nats, urls) = nats::start_nats(dir.path());
        let servers: Vec<String> = urls.iter().map(|u| format!("\"{u}\"")).collect();
        let mut nodes: Vec<Node> = (1..=3)
            .map(|n| Node::new(dir.path(), n, &servers.join(" ")))
            .collect();
        nodes.iter_mut().for_each(Node::start);
        let fleet = Fleet {
            dir,
            _servers: nats,
            nodes,
        };
        // Settled: one ban went round (JetStream elected its leaders).
        let mut probe = Nft::open().unwrap();
        let first = Ipv4Addr::new(198, 51, 100, 1);
        fleet.offend(&[first]);
        for table in ["p1", "p2", "p3"] {
            wait_holds(&mut probe, table, &[first]);
        }
        fleet
    }

    /// `addrs` offend on node 1 (three sshd failures each, one write);
    /// when the write returned.
    fn offend(&self, addrs: &[Ipv4Addr]) -> Instant {
        let now = jiff::Zoned::now().strftime("%b %e %H:%M:%S").to_string();
        let mut text = String::new();
        for a in addrs {
            let line = format!(
                "{now} host sshd[4242]: Failed password for root from {a} port 51234 ssh2\n"
            );
            text.push_str(&line.repeat(3));
        }
        let path = self.nodes[0].dir.join("auth.log");
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        Instant::now()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.nodes.iter_mut().for_each(Node::kill);
        for n in 1..=3 {
            let _ = Command::new("nft")
                .args(["delete", "table", "inet", &format!("p{n}")])
                .status();
        }
        let _ = &self.dir;
    }
}

impl Node {
    fn new(root: &Path, n: usize, servers: &str) -> Node {
        let dir = root.join(format!("node{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.display();
        let config = format!(
            "table \"p{n}\"\ndatabase \"{d}/db\"\nsocket \"{d}/control.sock\"\n\
             cluster {{ servers {servers}; node \"n{n}\" }}\n\
             jail \"sshd\" {{ source \"{d}/auth.log\"; maxretry 3; bantime \"1h\"; port 22 }}\n"
        );
        std::fs::write(dir.join("config.kdl"), config).unwrap();
        std::fs::write(dir.join("auth.log"), "").unwrap();
        Node { dir, child: None }
    }

    /// Starts the daemon and waits until its control socket answers.
    fn start(&mut self) {
        let mut log = std::fs::OpenOptions::new();
        let log = log
            .create(true)
            .append(true)
            .open(self.dir.join("daemon.log"));
        let log = log.unwrap();
        let mut command = Command::new(bin());
        command
            .args(["daemon", "--config"])
            .arg(self.dir.join("config.kdl"));
        self.child = Some(command.stdout(Stdio::null()).stderr(log).spawn().unwrap());
        let socket = self.dir.join("control.sock");
        let end = Instant::now() + Duration::from_secs(30);
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            assert!(
                Instant::now() < end,
                "daemon did not come up in {}",
                self.dir.display()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
