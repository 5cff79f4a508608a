//! A real 3-node NATS JetStream cluster for the cluster tests: Debian's
//! `nats-server` on free loopback ports, file storage in a temp dir, killed
//! (and reaped) when dropped. `NatsCluster::start` returns once every server
//! listens; clients wait for JetStream with [`ready_client`].

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use portcullis::cluster::ClusterSettings;
use portcullis::cluster::client::ClusterClient;

pub const NATS_SERVER: &str = "/usr/sbin/nats-server";

pub struct NatsCluster {
    pub dir: tempfile::TempDir,
    pub client_ports: Vec<u16>,
    children: Vec<Child>,
}

/// `n` ports free on 127.0.0.1 now (held together while choosing, so
/// they differ; another process could still take one before the server
/// binds it, which the start-up deadline would show).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

fn config(name: &str, port: u16, route_port: u16, routes: &[u16], store: &Path) -> String {
    let routes: Vec<String> = routes
        .iter()
        .map(|p| format!("\"nats-route://127.0.0.1:{p}\""))
        .collect();
    format!(
        "server_name: {name}\nlisten: \"127.0.0.1:{port}\"\n\
         jetstream {{ store_dir: \"{}\", max_memory_store: 64MB, max_file_store: 1GB }}\n\
         cluster {{ name: portcullis-test, listen: \"127.0.0.1:{route_port}\", routes: [{}] }}\n",
        store.display(),
        routes.join(", ")
    )
}

impl NatsCluster {
    /// `None` (after saying why) if nats-server is not installed; under
    /// CI that fails instead.
    pub fn start(test: &str) -> Option<NatsCluster> {
        Self::start_with(test, "")
    }

    /// Like [`Self::start`], with `extra` appended to every server's
    /// configuration (an `accounts { }` block, say).
    pub fn start_with(test: &str, extra: &str) -> Option<NatsCluster> {
        if !Path::new(NATS_SERVER).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: {NATS_SERVER} missing (apt-get install nats-server)"
            );
            crate::common::skip(&format!("{test}: skipped, {NATS_SERVER} missing"));
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("portcullis-nats-{test}-"))
            .tempdir()
            .unwrap();
        let ports = free_ports(6);
        let (client_ports, route_ports) = ports.split_at(3);
        let mut cluster = NatsCluster {
            dir,
            client_ports: client_ports.to_vec(),
            children: Vec::new(),
        };
        for i in 0..3 {
            let name = format!("n{}", i + 1);
            let store = cluster.dir.path().join(&name);
            let text = config(&name, client_ports[i], route_ports[i], route_ports, &store) + extra;
            std::fs::write(cluster.dir.path().join(format!("{name}.conf")), text).unwrap();
            let child = cluster.spawn(i);
            cluster.children.push(child);
        }
        cluster.wait_listening();
        Some(cluster)
    }

    /// Starts server `i` (0-based) from its configuration file.
    fn spawn(&self, i: usize) -> Child {
        let name = format!("n{}", i + 1);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join(format!("{name}.log")))
            .unwrap();
        Command::new(NATS_SERVER)
            .arg("-c")
            .arg(self.dir.path().join(format!("{name}.conf")))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start nats-server")
    }

    /// Kills every server (SIGKILL) and reaps it: NATS entirely down.
    pub fn kill_all(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills server `i` (0-based, server `n{i+1}`) with SIGKILL and reaps it.
    pub fn kill(&mut self, i: usize) {
        let _ = self.children[i].kill();
        let _ = self.children[i].wait();
    }

    /// Starts every server again on the same ports and storage.
    pub fn restart_all(&mut self) {
        self.children = (0..3).map(|i| self.spawn(i)).collect();
        self.wait_listening();
    }

    fn wait_listening(&self) {
        let listening = crate::common::poll_until(Duration::from_secs(20), || {
            let all = self
                .client_ports
                .iter()
                .all(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok());
            all.then_some(())
        });
        assert!(
            listening.is_some(),
            "nats-server did not listen:\n{}",
            self.logs()
        );
    }

    pub fn urls(&self) -> Vec<String> {
        self.client_ports
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect()
    }

    /// The settings of node `node` on this cluster.
    pub fn settings(&self, node: &str) -> ClusterSettings {
        ClusterSettings::new(self.urls(), node)
    }

    /// The servers' logs, for failure messages.
    pub fn logs(&self) -> String {
        let mut text = String::new();
        for i in 1..=3 {
            let path: PathBuf = self.dir.path().join(format!("n{i}.log"));
            let log = std::fs::read_to_string(path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            text.push_str(&format!("--- n{i}\n"));
            for line in tail.iter().rev() {
                text.push_str(line);
                text.push('\n');
            }
        }
        text
    }

    /// Everything the servers logged.
    pub fn full_logs(&self) -> String {
        (1..=3)
            .map(|i| std::fs::read_to_string(self.dir.path().join(format!("n{i}.log"))))
            .filter_map(Result::ok)
            .collect()
    }

    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Connects node `node` and waits (deadline 30 s) until JetStream has a
/// leader and the stream and the node's consumer exist.
pub async fn ready_client(cluster: &NatsCluster, node: &str) -> ClusterClient {
    ready_client_with(cluster, cluster.settings(node)).await
}

pub async fn ready_client_with(cluster: &NatsCluster, settings: ClusterSettings) -> ClusterClient {
    let mut client = ClusterClient::connect(&settings).await.expect("connect");
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        match client.ensure().await {
            Ok(()) => return client,
            Err(e) if Instant::now() > end => panic!(
                "JetStream not ready after 30 s: {}\n{}",
                portcullis::error_chain(&e),
                cluster.logs()
            ),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// True once none of `pids` is a live process (reaped ones vanish).
pub fn all_gone(pids: &[u32], dir: &Path) -> bool {
    let gone = pids
        .iter()
        .all(|pid| !Path::new(&format!("/proc/{pid}")).exists());
    let out = Command::new("pgrep")
        .args(["-f", &dir.display().to_string()])
        .output()
        .expect("pgrep");
    gone && out.stdout.is_empty()
}

/// A current-thread tokio runtime for one test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
