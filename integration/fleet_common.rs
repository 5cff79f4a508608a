//! A fleet for the tests: a real 3-node nats-server JetStream cluster and
//! three `portcullis daemon`s, all in one network namespace, each daemon
//! with its own table (`p1`, `p2`, `p3`), database, socket and log.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{NetNs, poll_until, portcullis_bin};
use crate::nats_cluster::NatsCluster;

/// How long a decision may take to reach another node; JetStream elects
/// its leaders in the first seconds of a fresh cluster.
pub const SPREAD: Duration = Duration::from_secs(30);

pub struct Fleet {
    pub nats: NatsCluster,
    pub nodes: Vec<Node>,
    _dir: tempfile::TempDir,
    // Last: the namespace goes after the processes in it.
    pub ns: NetNs,
}

pub struct Node {
    pub n: usize,
    pub dir: PathBuf,
    ns: String,
    child: Option<Child>,
}

impl Fleet {
    /// NATS and three nodes; node `i` (1-based) gets `extra[i - 1]` in its
    /// sshd jail. `None` (the test skips) without root or nats-server.
    pub fn start(test: &str, extra: [&str; 3]) -> Option<Fleet> {
        let ns = NetNs::new(test)?;
        let nats = ns.run(|| NatsCluster::start(test))?;
        let dir = tempfile::tempdir().unwrap();
        let mut nodes = Vec::new();
        for (i, extra) in extra.iter().enumerate() {
            let node = Node::new(i + 1, dir.path(), &ns.name, &nats.urls(), extra);
            nodes.push(node);
        }
        let mut fleet = Fleet {
            nats,
            nodes,
            _dir: dir,
            ns,
        };
        for node in &mut fleet.nodes {
            node.start();
        }
        Some(fleet)
    }

    pub fn node(&self, n: usize) -> &Node {
        &self.nodes[n - 1]
    }

    pub fn node_mut(&mut self, n: usize) -> &mut Node {
        &mut self.nodes[n - 1]
    }

    /// Every NATS server killed (SIGKILL).
    pub fn nats_down(&mut self) {
        self.nats.kill_all();
    }

    /// Every NATS server started again, inside the namespace.
    pub fn nats_up(&mut self) {
        let nats = &mut self.nats;
        self.ns.run(|| nats.restart_all());
    }

    /// The daemons' logs and the servers', for failure messages.
    pub fn logs(&self) -> String {
        let mut text: String = self.nodes.iter().map(Node::log).collect();
        text.push_str(&self.nats.logs());
        text
    }

    /// Polls until `addr` is in node `n`'s sshd-v4 set.
    pub fn wait_banned(&self, n: usize, addr: &str) {
        let found = poll_until(SPREAD, || self.node(n).banned(addr).then_some(()));
        assert!(
            found.is_some(),
            "{addr} not banned on node {n}:\n{}",
            self.logs()
        );
    }

    /// Polls until `addr` is no longer in node `n`'s sshd-v4 set.
    pub fn wait_unbanned(&self, n: usize, addr: &str) {
        let gone = poll_until(SPREAD, || (!self.node(n).banned(addr)).then_some(()));
        assert!(
            gone.is_some(),
            "{addr} still banned on node {n}:\n{}",
            self.logs()
        );
    }
}

impl Node {
    fn new(n: usize, root: &std::path::Path, ns: &str, urls: &[String], extra: &str) -> Node {
        let dir = root.join(format!("node{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let servers: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
        let config = format!(
            "table \"p{n}\"\ndatabase \"{d}/db\"\nsocket \"{d}/control.sock\"\nmetrics \"127.0.0.1:961{n}\"\n\
             cluster {{\n    servers {}\n    node \"n{n}\"\n}}\n\
             jail \"sshd\" {{\n    source \"{d}/auth.log\"\n    maxretry 3\n    bantime \"10m\"\n    port 22\n    {extra}\n}}\n",
            servers.join(" "),
            d = dir.display(),
        );
        std::fs::write(dir.join("config.kdl"), config).unwrap();
        std::fs::write(dir.join("auth.log"), "").unwrap();
        Node {
            n,
            dir,
            ns: ns.to_string(),
            child: None,
        }
    }

    /// Starts the daemon and waits until its control socket answers.
    pub fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("daemon.log"))
            .unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .arg(portcullis_bin())
            .args(["daemon", "--config"])
            .arg(self.dir.join("config.kdl"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the daemon");
        self.child = Some(child);
        let up = poll_until(Duration::from_secs(10), || {
            self.cli(&["status"]).status.success().then_some(())
        });
        assert!(
            up.is_some(),
            "node {} did not come up:\n{}",
            self.n,
            self.log()
        );
    }

    /// SIGTERM (a clean stop), and waits for the process to be gone.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let _ = child.wait();
        }
    }

    /// `kill -9`, and waits for the process to be gone.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default();
        format!("--- node {}\n{log}", self.n)
    }

    /// `portcullis ARGS --socket <ours>` inside the namespace.
    pub fn cli(&self, args: &[&str]) -> Output {
        let socket = self.dir.join("control.sock");
        Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .arg(portcullis_bin())
            .args(args)
            .arg("--socket")
            .arg(socket)
            .output()
            .expect("run the CLI")
    }

    /// `maxretry` (3) sshd failures of `addr` in this node's log.
    pub fn offend(&self, addr: &str) {
        let line = crate::daemon_common::sshd_failure(addr);
        crate::daemon_common::append(&self.dir.join("auth.log"), &line.repeat(3));
    }

    /// The addresses in this node's sshd-v4 set, from `nft -j list`.
    pub fn set(&self) -> Vec<String> {
        self.set_named("sshd-v4")
    }

    /// The elements of this node's set `name` (`192.0.2.0/24` for a
    /// network), from `nft -j list`.
    pub fn set_named(&self, name: &str) -> Vec<String> {
        let table = format!("p{}", self.n);
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .args(["nft", "-j", "list", "set", "inet", &table, name])
            .output()
            .unwrap();
        if !out.status.success() {
            return Vec::new();
        }
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let sets = v["nftables"].as_array().cloned().unwrap_or_default();
        let elems = sets
            .iter()
            .flat_map(|i| i["set"]["elem"].as_array().cloned().unwrap_or_default());
        elems
            .map(|e| match e.get("elem") {
                Some(o) => crate::daemon_common::value_text(&o["val"]),
                None => crate::daemon_common::value_text(&e),
            })
            .collect()
    }

    /// The metrics page (port 961N), fetched inside the namespace.
    pub fn metrics(&self, ns: &NetNs) -> String {
        use std::io::{Read, Write};
        let port = 9610 + self.n as u16;
        ns.run(|| {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("metrics");
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            text
        })
    }

    /// The comment of `addr`'s element in this node's sshd-v4 set (a fleet
    /// ban's origin node), from `nft -j list`.
    pub fn comment(&self, addr: &str) -> Option<String> {
        let table = format!("p{}", self.n);
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .args(["nft", "-j", "list", "set", "inet", &table, "sshd-v4"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        let sets = v["nftables"].as_array()?.clone();
        let elems = sets
            .iter()
            .flat_map(|i| i["set"]["elem"].as_array().cloned().unwrap_or_default());
        let found = elems
            .into_iter()
            .find(|e| e["elem"]["val"].as_str() == Some(addr))?;
        found["elem"]["comment"].as_str().map(str::to_string)
    }

    pub fn banned(&self, addr: &str) -> bool {
        self.set().iter().any(|a| a == addr)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// `n` distinct offenders from 10.1.0.0 up.
pub fn offenders(first: u32, n: u32) -> Vec<String> {
    (first..first + n)
        .map(|i| std::net::Ipv4Addr::from(0x0a01_0000 + i).to_string())
        .collect()
}

impl Fleet {
    /// The server (0-based) that leads the stream now, per JetStream.
    pub fn stream_leader(&self) -> usize {
        let urls = self.nats.urls();
        let leader = self.ns.run(|| {
            crate::nats_cluster::runtime().block_on(async {
                let js = async_nats::jetstream::new(async_nats::connect(urls).await.unwrap());
                let mut stream = js.get_stream("PORTCULLIS").await.unwrap();
                let info = stream.info().await.unwrap();
                info.cluster.as_ref().and_then(|c| c.leader.clone())
            })
        });
        let name = leader.expect("the stream has a leader");
        name.trim_start_matches('n').parse::<usize>().unwrap() - 1
    }

    /// Polls until node `n` holds `count` bans; how long that took.
    pub fn wait_count(&self, n: usize, count: usize, limit: Duration) -> Duration {
        let start = std::time::Instant::now();
        let done = poll_until(limit, || (self.node(n).set().len() >= count).then_some(()));
        assert!(
            done.is_some(),
            "node {n}: {} of {count} bans after {limit:?}:\n{}",
            self.node(n).set().len(),
            self.logs()
        );
        start.elapsed()
    }
}
