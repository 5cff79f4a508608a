//! The fleet's trust model on real servers: NATS accounts with per-node
//! permissions (what the README's account configuration will show) keep
//! each node to publishing under its own name.

use std::time::Duration;

use portcullis::cluster::client::ClusterClient;
use portcullis::cluster::{Auth, Kind};
use portcullis::time::UnixMs;

use crate::cluster_nats::{decision, intake, receive, stop};
use crate::nats_cluster::{NatsCluster, ready_client_with, runtime};

/// What each node may do, as the README's NATS account configuration will
/// say: publish decisions under its own name only, use its own consumer,
/// create the stream; read replies on its inbox.
fn fleet_accounts(nodes: &[&str]) -> String {
    let users: Vec<String> = nodes
        .iter()
        .map(|n| {
            format!(
                "{{ user: {n}, password: pw-{n}, permissions: {{ \
                 publish: {{ allow: [\"portcullis.{n}.>\", \"$JS.API.INFO\", \
                 \"$JS.API.STREAM.INFO.PORTCULLIS\", \"$JS.API.STREAM.CREATE.PORTCULLIS\", \
                 \"$JS.API.CONSUMER.INFO.PORTCULLIS.{n}\", \
                 \"$JS.API.CONSUMER.DURABLE.CREATE.PORTCULLIS.{n}\", \
                 \"$JS.API.CONSUMER.CREATE.PORTCULLIS.{n}\", \
                 \"$JS.API.CONSUMER.CREATE.PORTCULLIS.{n}.>\", \
                 \"$JS.API.CONSUMER.MSG.NEXT.PORTCULLIS.{n}\", \"$JS.ACK.PORTCULLIS.{n}.>\"] }}, \
                 subscribe: {{ allow: [\"_INBOX.>\"] }} }} }}"
            )
        })
        .collect();
    format!(
        "accounts {{ FLEET {{ jetstream: enabled, users: [{}] }} }}\n",
        users.join(", ")
    )
}

#[test]
fn cluster_nats_permissions_keep_each_node_to_its_own_name() {
    let Some(cluster) = NatsCluster::start_with("perms", &fleet_accounts(&["a", "b"])) else {
        return;
    };
    runtime().block_on(async {
        let login = |node: &str| {
            let mut settings = cluster.settings(node);
            settings.auth = Auth::UserPassword {
                user: node.into(),
                password: format!("pw-{node}"),
            };
            settings
        };
        let a = ready_client_with(&cluster, login("a")).await;
        let mut b = ready_client_with(&cluster, login("b")).await;
        let now = UnixMs::now();
        // a publishes as itself, and as b (refused by the server).
        let own = decision("a", "192.0.2.1", Kind::Ban, now);
        let forged = decision("b", "192.0.2.2", Kind::Ban, now);
        let results = a.publish(&[own, forged]).await;
        assert!(results[0].is_ok(), "{:?}", results[0]);
        assert!(results[1].is_err(), "a published as b: {:?}", results[1]);
        let got = receive(
            &mut b,
            &mut intake(&cluster, "b"),
            1,
            Duration::from_secs(10),
        )
        .await;
        let seen: Vec<(String, String)> = got
            .iter()
            .map(|r| (r.origin.clone(), r.network.to_string()))
            .collect();
        assert_eq!(seen, [("a".to_string(), "192.0.2.1".to_string())]);
        // A wrong password is refused: the client never gets JetStream.
        let mut wrong = login("a");
        wrong.auth = Auth::UserPassword {
            user: "a".into(),
            password: "nope".into(),
        };
        let mut intruder = ClusterClient::connect(&wrong).await.unwrap();
        let refused = tokio::time::timeout(Duration::from_secs(3), intruder.ensure()).await;
        assert!(!matches!(refused, Ok(Ok(()))), "a wrong password got in");
        // The server's own account of both refusals.
        let logs = cluster.full_logs();
        assert!(
            logs.contains(
                "Publish Violation - User \"a\", Subject \"portcullis.b.sshd.192-0-2-2\""
            ),
            "{logs}"
        );
        assert!(logs.contains("authentication error - User \"a\""), "{logs}");
    });
    stop(cluster);
}
