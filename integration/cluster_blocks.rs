//! A storm's decisions go out in blocks (`cluster::block`) against a real
//! 3-node NATS cluster: sized to what the servers take, and taken apart
//! again, every decision once and in order.

use std::time::Duration;

use portcullis::cluster::{Decision, Kind};
use portcullis::time::UnixMs;

use crate::cluster_nats::{decision, intake, nth, receive, stop};
use crate::nats_cluster::{NatsCluster, ready_client, runtime};

#[test]
fn cluster_blocks_fit_servers_that_take_small_messages() {
    // A quarter of the 256 KiB a block may hold.
    let Some(cluster) = NatsCluster::start_with("blocks", "max_payload: 65536\n") else {
        return;
    };
    runtime().block_on(async {
        let a = ready_client(&cluster, "a").await;
        let mut b = ready_client(&cluster, "b").await;
        let now = UnixMs::now();
        let storm: Vec<Decision> = (0..3_000)
            .map(|i| decision("a", &nth(i), Kind::Ban, now))
            .collect();
        let results = a.publish(&storm).await;
        let failed = results.iter().find_map(|r| r.as_ref().err());
        assert!(failed.is_none(), "{failed:?}");
        let mut stream = a.jetstream().get_stream("PORTCULLIS").await.unwrap();
        let messages = stream.info().await.unwrap().state.messages;
        // Blocks of 1,000 would be 3 messages (and refused by these
        // servers); one per decision, 3,000. Under 64 KiB: about 380 each.
        assert!(
            (6..=100).contains(&messages),
            "3,000 decisions in {messages} messages"
        );
        let mut intake = intake(&cluster, "b");
        let got = receive(&mut b, &mut intake, 3_000, Duration::from_secs(30)).await;
        let targets: Vec<String> = got.iter().map(|r| r.network.to_string()).collect();
        let want: Vec<String> = (0..3_000).map(nth).collect();
        assert_eq!(targets, want, "every decision, once, in order");
    });
    stop(cluster);
}
