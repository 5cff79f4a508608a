//! Fleet bans over a real 3-node NATS JetStream cluster (issue 13): the
//! cluster client and core against Debian's nats-server, started here.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use portcullis::cluster::client::ClusterClient;
use portcullis::cluster::decision::outgoing;
use portcullis::cluster::limiter::Rate;
use portcullis::cluster::link::Link;
use portcullis::cluster::{
    Applied, Decision, Expiry, Intake, Kind, Outbox, Provenance, Reject, Remote,
};
use portcullis::nft::Network;
use portcullis::time::{BanTime, UnixMs};

use crate::nats_cluster::{NatsCluster, all_gone, ready_client, runtime};

/// A local ban (or unban) on node `node` of `addr` in sshd at `now`.
pub(crate) fn decision(node: &str, addr: &str, kind: Kind, now: UnixMs) -> Decision {
    let settings = portcullis::cluster::ClusterSettings::new(vec!["nats://x:1".into()], node);
    let applied = Applied {
        provenance: Provenance::Local,
        jail: "sshd".into(),
        network: Network::host(addr.parse::<IpAddr>().unwrap()),
        kind,
        expires: Expiry::of(now, BanTime::For(Duration::from_secs(3600))),
        failures: 5,
    };
    outgoing(&settings, &applied, now).unwrap()
}

/// The `i`-th address of 10.1.0.0/16.
pub(crate) fn nth(i: u32) -> String {
    IpAddr::V4((0x0a01_0000 + i).into()).to_string()
}

/// Reads through `client` until `want` decisions were accepted or
/// `deadline` passed (then a short quiet period shows nothing more comes
/// when `want` is reached); acks each batch after handing it over.
pub(crate) async fn receive(
    client: &mut ClusterClient,
    intake: &mut Intake,
    want: usize,
    deadline: Duration,
) -> Vec<Remote> {
    let end = Instant::now() + deadline;
    let mut accepted = Vec::new();
    while Instant::now() < end {
        let wait = if accepted.len() >= want {
            Duration::from_millis(300)
        } else {
            Duration::from_millis(500)
        };
        // An error (JetStream still electing after a restart) is retried
        // with a renewed pull, as the daemon does.
        let batch = match client.next_batch(500, wait).await {
            Ok(batch) => batch,
            Err(e) => {
                eprintln!("next batch: {}", portcullis::error_chain(&e));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if batch.is_empty() && accepted.len() >= want {
            break;
        }
        for message in &batch {
            let now = UnixMs::now();
            intake.admit_message(&message.subject, &message.payload, now, &mut accepted);
        }
        client.ack(&batch).await.expect("ack");
    }
    accepted
}

pub(crate) fn intake(cluster: &NatsCluster, node: &str) -> Intake {
    Intake::new(&cluster.settings(node), Rate::default())
}

pub(crate) fn stop(cluster: NatsCluster) {
    let (pids, dir) = (cluster.pids(), cluster.dir.path().to_path_buf());
    drop(cluster);
    assert!(
        all_gone(&pids, &dir),
        "nats-server processes left: {pids:?}"
    );
}

#[test]
fn cluster_decisions_reach_the_other_nodes_once_and_only_the_latest_stays() {
    let Some(cluster) = NatsCluster::start("deliver") else {
        return;
    };
    runtime().block_on(async {
        let a = ready_client(&cluster, "a").await;
        let mut b = ready_client(&cluster, "b").await;
        let mut c = ready_client(&cluster, "c").await;
        let now = UnixMs::now();
        let ban1 = decision("a", "203.0.113.7", Kind::Ban, now);
        let ban2 = decision("a", "2001:db8::7", Kind::Ban, now);
        // The same decision published twice: JetStream keeps one.
        let publisher = a.publisher();
        let results = publisher.publish(&[ban1.clone(), ban1.clone(), ban2]).await;
        let published: Vec<_> = results.into_iter().map(|r| r.unwrap()).collect();
        assert!(!published[0].duplicate && published[1].duplicate && !published[2].duplicate);
        assert_eq!(published[1].sequence, published[0].sequence);
        for (node, client) in [("b", &mut b), ("c", &mut c)] {
            let mut intake = intake(&cluster, node);
            let got = receive(client, &mut intake, 2, Duration::from_secs(10)).await;
            let targets: Vec<String> = got.iter().map(|r| r.network.to_string()).collect();
            assert_eq!(targets, ["203.0.113.7", "2001:db8::7"], "node {node}");
            assert!(got.iter().all(|r| r.origin == "a" && r.kind == Kind::Ban));
            assert!(got[0].remaining > Duration::from_secs(3500));
        }
        // Ban then unban of one address: the stream keeps the unban only,
        // and a node that joins later receives just that.
        let later = UnixMs(now.as_millis() + 1);
        let unban = decision("a", "203.0.113.7", Kind::Unban, later);
        assert!(a.publish(&[unban]).await[0].is_ok());
        let mut stream = a.jetstream().get_stream("PORTCULLIS").await.unwrap();
        let info = stream.info().await.unwrap();
        assert_eq!(info.state.messages, 2, "one message per subject");
        // The stream as the servers hold it: replicated on all three, on disk.
        assert_eq!(info.config.num_replicas, 3);
        assert_eq!(info.config.max_messages_per_subject, 1);
        assert_eq!(info.config.subjects, ["portcullis.>"]);
        assert_eq!(
            info.config.storage,
            async_nats::jetstream::stream::StorageType::File
        );
        assert_eq!(info.cluster.as_ref().map(|c| c.replicas.len()), Some(2));
        let mut d = ready_client(&cluster, "d").await;
        let got = receive(
            &mut d,
            &mut intake(&cluster, "d"),
            2,
            Duration::from_secs(10),
        )
        .await;
        let seen: Vec<(String, Kind)> = got
            .iter()
            .map(|r| (r.network.to_string(), r.kind))
            .collect();
        assert_eq!(
            seen,
            [
                ("2001:db8::7".to_string(), Kind::Ban),
                ("203.0.113.7".to_string(), Kind::Unban)
            ]
        );
    });
    stop(cluster);
}

#[test]
fn cluster_node_that_was_away_catches_up_on_1000_decisions() {
    let Some(cluster) = NatsCluster::start("catchup") else {
        return;
    };
    runtime().block_on(async {
        let a = ready_client(&cluster, "a").await;
        // c's durable consumer exists, then c goes away.
        let c = ready_client(&cluster, "c").await;
        drop(c);
        let now = UnixMs::now();
        let decisions: Vec<Decision> = (0..1000)
            .map(|i| decision("a", &nth(i), Kind::Ban, now))
            .collect();
        let started = Instant::now();
        for chunk in decisions.chunks(250) {
            for result in a.publish(chunk).await {
                result.expect("publish");
            }
        }
        let published = started.elapsed();
        let mut c = ready_client(&cluster, "c").await;
        let mut intake = intake(&cluster, "c");
        let started = Instant::now();
        let got = receive(&mut c, &mut intake, 1000, Duration::from_secs(30)).await;
        // A figure, not a bar (debug build, shared machine): see the load.
        eprintln!(
            "1,000 decisions: published in {published:?}, caught up in {:?} (incl. 300 ms quiet); load {}",
            started.elapsed(),
            std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
        );
        let want: Vec<String> = (0..1000).map(nth).collect();
        let targets: Vec<String> = got.iter().map(|r| r.network.to_string()).collect();
        assert_eq!(targets, want, "all 1,000, once each, in order");
        assert_eq!(c.lag().await, Some(0));
        // Acknowledged: a restarted c receives nothing again.
        drop(c);
        let mut c = ready_client(&cluster, "c").await;
        let again = receive(&mut c, &mut intake, 0, Duration::from_secs(2)).await;
        assert!(again.is_empty(), "redelivered {} decisions", again.len());
    });
    stop(cluster);
}

#[test]
fn cluster_garbage_under_the_prefix_is_counted_and_dropped() {
    let Some(cluster) = NatsCluster::start("garbage") else {
        return;
    };
    runtime().block_on(async {
        let mut b = ready_client(&cluster, "b").await;
        let raw = async_nats::connect(cluster.urls()).await.unwrap();
        let js = async_nats::jetstream::new(raw);
        let now = UnixMs::now();
        let good = decision("a", "198.51.100.1", Kind::Ban, now);
        let good_json = String::from_utf8(good.to_json()).unwrap();
        let wide = good_json.replace("198.51.100.1", "0.0.0.0/0");
        let wrong_origin = good_json
            .replace("\"origin\":\"a\"", "\"origin\":\"c\"")
            .replace("198.51.100.1", "198.51.100.4");
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("portcullis.a.sshd.198-51-100-2", b"{not json".to_vec()),
            ("portcullis.a.sshd.198-51-100-3", vec![b'x'; 64 * 1024]),
            (
                "portcullis.a.sshd.not-an-address",
                good_json.clone().into_bytes(),
            ),
            ("portcullis.a.sshd.0-0-0-0--0", wide.into_bytes()),
            (
                "portcullis.a.sshd.block-00000000000000aa",
                format!("[{wrong_origin}]").into_bytes(),
            ),
            ("portcullis.a.sshd.block-00000000000000bb", b"[{}]".to_vec()),
            ("portcullis.a.sshd.198-51-100-4", wrong_origin.into_bytes()),
            ("portcullis.a", b"short".to_vec()),
            ("portcullis.a.sshd.198-51-100-1", good_json.into_bytes()),
        ];
        for (subject, payload) in cases {
            js.publish(subject, payload.into())
                .await
                .unwrap()
                .await
                .unwrap();
        }
        let mut intake = intake(&cluster, "b");
        let got = receive(&mut b, &mut intake, 1, Duration::from_secs(10)).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].network.to_string(), "198.51.100.1");
        for (reason, n) in [
            (Reject::Malformed, 2),
            (Reject::TooLarge, 1),
            (Reject::BadSubject, 2),
            (Reject::TooWide, 1),
            (Reject::OriginMismatch, 2),
        ] {
            assert_eq!(intake.dropped(reason), n, "{reason:?}");
        }
        let mut metrics = String::new();
        intake.render_metrics(&mut metrics);
        assert!(metrics.contains("portcullis_cluster_dropped_total{reason=\"bad_subject\"} 2\n"));
    });
    stop(cluster);
}

#[test]
fn cluster_decisions_made_while_nats_is_down_are_published_when_it_is_back() {
    let Some(mut cluster) = NatsCluster::start("outage") else {
        return;
    };
    runtime().block_on(async {
        let a = ready_client(&cluster, "a").await;
        let mut b = ready_client(&cluster, "b").await;
        cluster.kill_all();
        let down = wait_link(&a, |l| *l == Link::Disconnected).await;
        assert!(down, "a never saw NATS go away: {:?}", a.link());
        // Decisions made meanwhile go to the outbox; publishing fails.
        let now = UnixMs::now();
        let mut outbox = Outbox::new(1000);
        for i in 0..100 {
            let d = decision("a", &nth(i), Kind::Ban, now);
            outbox.push(d.subject("portcullis").unwrap(), d);
        }
        let batch: Vec<Decision> = outbox.pending(100).map(|(_, d)| d.clone()).collect();
        assert!(a.publish(&batch).await.iter().all(Result::is_err));
        assert_eq!(outbox.len(), 100);
        cluster.restart_all();
        let up = wait_link(&a, |l| matches!(l, Link::Connected { .. })).await;
        assert!(up, "a did not reconnect: {:?}", a.link());
        // Flush until JetStream (a new leader after a full restart) answers.
        let end = Instant::now() + Duration::from_secs(60);
        while !outbox.is_empty() && Instant::now() < end {
            let batch: Vec<Decision> = outbox.pending(100).map(|(_, d)| d.clone()).collect();
            for (d, result) in batch.iter().zip(a.publish(&batch).await) {
                if result.is_ok() {
                    outbox.confirm(&d.subject("portcullis").unwrap(), &d.id);
                }
            }
        }
        assert!(
            outbox.is_empty(),
            "{} left:\n{}",
            outbox.len(),
            cluster.logs()
        );
        let mut intake = intake(&cluster, "b");
        // b, connected since before the outage, reads on.
        let got = receive(&mut b, &mut intake, 100, Duration::from_secs(30)).await;
        let want: Vec<String> = (0..100).map(nth).collect();
        let mut targets: Vec<String> = got.iter().map(|r| r.network.to_string()).collect();
        targets.sort_by_key(|t| t.parse::<IpAddr>().unwrap());
        assert_eq!(targets, want, "each decision once");
    });
    stop(cluster);
}

/// Polls `client`'s link state until `want` holds (deadline 30 s).
async fn wait_link(client: &ClusterClient, want: impl Fn(&Link) -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end {
        if want(&client.link()) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
