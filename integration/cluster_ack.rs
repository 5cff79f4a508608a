//! The consumer's acknowledgements against a real 3-node NATS cluster
//! (issue 13): only messages handed over are acknowledged, and a consumer
//! left by an older version with ack policy *all* is recreated.

use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, Consumer, pull};
use futures_util::StreamExt;
use portcullis::cluster::Kind;
use portcullis::time::UnixMs;

use crate::cluster_nats::{decision, intake, receive, stop};
use crate::nats_cluster::{NatsCluster, ready_client, runtime};

const ADDRS: [&str; 3] = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];

#[test]
fn cluster_ack_of_later_messages_leaves_an_abandoned_pulls_message_pending() {
    let Some(cluster) = NatsCluster::start("ackgap") else {
        return;
    };
    runtime().block_on(async {
        let a = ready_client(&cluster, "a").await;
        let mut b = ready_client(&cluster, "b").await;
        let now = UnixMs::now();
        let bans: Vec<_> = ADDRS
            .iter()
            .map(|x| decision("a", x, Kind::Ban, now))
            .collect();
        assert!(a.publish(&bans).await.iter().all(|r| r.is_ok()));
        // A pull that took the first message and was abandoned (as when a
        // slow node renews its pull after missed heartbeats).
        let stream = b.jetstream().get_stream("PORTCULLIS").await.unwrap();
        let mut consumer: Consumer<pull::Config> = stream.get_consumer("b").await.unwrap();
        let mut abandoned = consumer.fetch().max_messages(1).messages().await.unwrap();
        let first = abandoned.next().await.unwrap().unwrap();
        let first_seq = first.info().unwrap().stream_sequence;
        drop(abandoned);
        // The next pull hands over the two others, which are acknowledged.
        let got = receive(
            &mut b,
            &mut intake(&cluster, "b"),
            2,
            Duration::from_secs(10),
        )
        .await;
        let targets: Vec<String> = got.iter().map(|r| r.network.to_string()).collect();
        assert_eq!(targets, ADDRS[1..]);
        // The first message is still pending: it comes again after the ack
        // wait. (With ack policy *all* the later ack took it along.)
        let info = consumer.info().await.unwrap();
        assert_eq!(info.num_ack_pending, 1, "{info:?}");
        assert!(info.ack_floor.stream_sequence < first_seq, "{info:?}");
    });
    stop(cluster);
}

#[test]
fn cluster_consumer_left_with_ack_all_is_recreated_and_delivers_again() {
    let Some(cluster) = NatsCluster::start("ackupgrade") else {
        return;
    };
    runtime().block_on(async {
        let a = ready_client(&cluster, "a").await;
        let now = UnixMs::now();
        let bans: Vec<_> = ADDRS
            .iter()
            .map(|x| decision("a", x, Kind::Ban, now))
            .collect();
        assert!(a.publish(&bans).await.iter().all(|r| r.is_ok()));
        // The consumer of node "old" as the previous version created it,
        // having read and acknowledged everything.
        let stream = a.jetstream().get_stream("PORTCULLIS").await.unwrap();
        let old = pull::Config {
            durable_name: Some("old".into()),
            ack_policy: AckPolicy::All,
            filter_subject: "portcullis.>".into(),
            ..Default::default()
        };
        let consumer: Consumer<pull::Config> = stream.create_consumer(old).await.unwrap();
        let mut read = consumer.fetch().max_messages(3).messages().await.unwrap();
        let mut last = None;
        while let Some(m) = read.next().await {
            last = Some(m.unwrap());
        }
        last.unwrap().double_ack().await.unwrap();
        let mut consumer: Consumer<pull::Config> = stream.get_consumer("old").await.unwrap();
        assert_eq!(consumer.info().await.unwrap().num_pending, 0);
        // The new version recreates it with explicit acks: everything again.
        let mut client = ready_client(&cluster, "old").await;
        let mut consumer: Consumer<pull::Config> = stream.get_consumer("old").await.unwrap();
        let info = consumer.info().await.unwrap();
        assert_eq!(info.config.ack_policy, AckPolicy::Explicit);
        let got = receive(
            &mut client,
            &mut intake(&cluster, "old"),
            3,
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(got.len(), 3);
        // And a second start keeps it (no recreation, nothing pending).
        drop(client);
        let _again = ready_client(&cluster, "old").await;
        let info = consumer.info().await.unwrap();
        assert_eq!((info.num_pending, info.num_ack_pending), (0, 0), "{info:?}");
    });
    stop(cluster);
}
