//! The NATS side of the fleet bench: a 3-node JetStream cluster on
//! loopback, and `--servers`, the cluster alone driven through the
//! daemon's own client code.

use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::NATS_SERVER;
use crate::figures::Figures;

/// The servers of a cluster, killed when dropped (a panicking run too).
pub struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Three nats-servers forming one JetStream cluster on loopback, logging
/// to `n1.log`..`n3.log` in `dir`; the servers and their client URLs.
pub fn start_nats(dir: &Path) -> (Servers, Vec<String>) {
    let listeners: Vec<TcpListener> = (0..6)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    drop(listeners);
    let (clients, routes) = ports.split_at(3);
    let mut nats = Vec::new();
    for i in 0..3 {
        let peers: Vec<String> = routes
            .iter()
            .map(|p| format!("\"nats-route://127.0.0.1:{p}\""))
            .collect();
        let conf = dir.join(format!("n{}.conf", i + 1));
        let text = format!(
            "server_name: n{n}\nlisten: \"127.0.0.1:{}\"\n\
             jetstream {{ store_dir: \"{}/js{n}\" }}\n\
             cluster {{ name: bench, listen: \"127.0.0.1:{}\", routes: [{}] }}\n",
            clients[i],
            dir.display(),
            routes[i],
            peers.join(", "),
            n = i + 1,
        );
        std::fs::write(&conf, text).unwrap();
        let log = std::fs::File::create(dir.join(format!("n{}.log", i + 1))).unwrap();
        let mut command = Command::new(NATS_SERVER);
        command
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(log);
        nats.push(command.spawn().expect("start nats-server"));
    }
    let urls = clients
        .iter()
        .map(|p| format!("nats://127.0.0.1:{p}"))
        .collect();
    (Servers(nats), urls)
}

/// The NATS cluster alone, through the daemon's own client code: `n`
/// decisions published as the daemon publishes them (batches of
/// `PUBLISH_BATCH`, each waiting for JetStream's answers), then read by
/// one node's consumer and acknowledged: what the servers can carry here,
/// without any daemon's load.
pub fn servers_alone(n: u32, figures: &mut Figures) {
    use portcullis::cluster::client::ClusterClient;
    use portcullis::cluster::limiter::Rate;
    use portcullis::cluster::{ClusterSettings, Decision, Expiry, Intake, Kind};
    let dir = tempfile::tempdir().unwrap();
    let (nats, urls) = start_nats(dir.path());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (publish, read) = runtime.block_on(async {
        let open = |node: &str| {
            let settings = ClusterSettings::new(urls.clone(), node);
            async move {
                let mut client = ClusterClient::connect(&settings).await.unwrap();
                while client.ensure().await.is_err() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                client
            }
        };
        let sender = open("n1").await;
        let mut reader = open("n2").await;
        let now = portcullis::time::UnixMs::now().as_millis();
        let decisions: Vec<Decision> = (0..n)
            .map(|i| {
                let target = Ipv4Addr::from(0x0a03_0000 + i).to_string();
                Decision {
                    id: format!("n1:sshd:{target}:ban:{now}"),
                    origin: "n1".into(),
                    jail: "sshd".into(),
                    target,
                    kind: Kind::Ban,
                    expires: Expiry::At(now + 3_600_000),
                    failures: 3,
                    at: now,
                }
            })
            .collect();
        let started = Instant::now();
        for batch in decisions.chunks(portcullis::fleet::core::PUBLISH_BATCH) {
            let results = sender.publish(batch).await;
            assert!(results.iter().all(Result::is_ok), "a publish failed");
        }
        let publish = started.elapsed();
        let started = Instant::now();
        // Decoded and checked as a node would (a block holds many).
        let mut intake = Intake::new(&ClusterSettings::new(urls.clone(), "n2"), Rate::ORIGIN);
        let mut taken = Vec::new();
        while taken.len() < n as usize {
            let batch = reader
                .next_batch(5_000, Duration::from_secs(5))
                .await
                .unwrap();
            assert!(
                !batch.is_empty(),
                "{} decisions never came",
                n as usize - taken.len()
            );
            let now = portcullis::time::UnixMs::now();
            for m in &batch {
                intake.admit_message(&m.subject, &m.payload, now, &mut taken);
            }
            reader.ack(&batch).await.unwrap();
        }
        (publish, started.elapsed())
    });
    println!("  published {n} in {publish:?}, read and acknowledged in {read:?}");
    let name = format!("servers alone: {n} decisions published");
    figures.add(&name, "s", "", publish.as_secs_f64());
    let name = format!("servers alone: {n} decisions read by one consumer");
    figures.add(&name, "s", "", read.as_secs_f64());
    drop(nats);
}
