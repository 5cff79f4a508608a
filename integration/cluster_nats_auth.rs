//! The fleet's trust model on real servers, with exactly the NATS account
//! configuration docs/fleet.md shows (read from the file, so the docs
//! cannot drift from what is tested): each node publishes under its own
//! name only, creates and reads its own durable consumer, and cannot use
//! another's.

use std::path::Path;
use std::time::Duration;

use portcullis::cluster::client::ClusterClient;
use portcullis::cluster::{Auth, ClusterSettings, Kind};
use portcullis::time::UnixMs;

use crate::cluster_nats::{decision, intake, receive, stop};
use crate::nats_cluster::{NATS_SERVER, NatsCluster, ready_client_with, runtime};

/// The passwords whose bcrypt hashes docs/fleet.md's example holds.
const PASSWORDS: [(&str, &str); 2] = [
    ("gate-1", "gate-1-example-password"),
    ("gate-2", "gate-2-example-password"),
];

/// The fenced block of docs/fleet.md whose first line starts with `first`.
fn documented(first: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fleet.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let blocks: Vec<&str> = text.split("```").skip(1).step_by(2).collect();
    let found = blocks
        .iter()
        .map(|b| b.split_once('\n').map_or("", |(_, body)| body))
        .find(|body| body.trim_start().starts_with(first));
    found
        .unwrap_or_else(|| panic!("{}: no ``` block starting with {first:?}", path.display()))
        .to_string()
}

/// Node `node`'s settings logging in as `user` with a password file.
fn login(
    cluster: &NatsCluster,
    dir: &Path,
    node: &str,
    user: &str,
    password: &str,
) -> ClusterSettings {
    let path = dir.join(format!("{user}-{node}.password"));
    std::fs::write(&path, format!("{password}\n")).unwrap();
    let mut settings = cluster.settings(node);
    settings.auth = Auth::UserPasswordFile {
        user: user.into(),
        path,
    };
    settings
}

/// True if `settings` gets the stream and its consumer within 5 s.
async fn gets_in(settings: &ClusterSettings) -> bool {
    let Ok(mut client) = ClusterClient::connect(settings).await else {
        return false;
    };
    let ensured = tokio::time::timeout(Duration::from_secs(5), client.ensure()).await;
    matches!(ensured, Ok(Ok(())))
}

#[test]
fn cluster_nats_documented_accounts_keep_each_node_to_its_own_name() {
    let accounts = documented("accounts {");
    let Some(cluster) = NatsCluster::start_with("perms", &accounts) else {
        return;
    };
    let secrets = tempfile::tempdir().unwrap();
    let (one, two) = (PASSWORDS[0], PASSWORDS[1]);
    runtime().block_on(async {
        let as_itself = |(node, password): (&str, &str)| {
            login(&cluster, secrets.path(), node, node, password)
        };
        // Each creates (or finds) the stream and its own durable consumer.
        let mut a = ready_client_with(&cluster, as_itself(one)).await;
        let mut b = ready_client_with(&cluster, as_itself(two)).await;
        let now = UnixMs::now();
        // gate-1 publishes as itself, and as gate-2 (refused by the server).
        let own = decision("gate-1", "192.0.2.1", Kind::Ban, now);
        let forged = decision("gate-2", "192.0.2.2", Kind::Ban, now);
        let results = a.publish(&[own, forged]).await;
        assert!(results[0].is_ok(), "{:?}", results[0]);
        assert!(results[1].is_err(), "gate-1 published as gate-2: {:?}", results[1]);
        let results = b.publish(&[decision("gate-2", "192.0.2.3", Kind::Ban, now)]).await;
        assert!(results[0].is_ok(), "{:?}", results[0]);
        // Each reads the other's own decision through its durable consumer,
        // and nothing forged.
        let wait = Duration::from_secs(10);
        let got = receive(&mut b, &mut intake(&cluster, "gate-2"), 1, wait).await;
        let seen: Vec<(&str, String)> = (got.iter())
            .map(|r| (r.origin.as_str(), r.network.to_string()))
            .collect();
        assert_eq!(seen, [("gate-1", "192.0.2.1".to_string())]);
        let got = receive(&mut a, &mut intake(&cluster, "gate-1"), 1, wait).await;
        let seen: Vec<(&str, String)> = (got.iter())
            .map(|r| (r.origin.as_str(), r.network.to_string()))
            .collect();
        assert_eq!(seen, [("gate-2", "192.0.2.3".to_string())]);
        // gate-1's user cannot take gate-2's consumer; a wrong password
        // gets nowhere.
        let (user, password) = one;
        let thief = login(&cluster, secrets.path(), "gate-2", user, password);
        assert!(!gets_in(&thief).await, "gate-1 used gate-2's consumer");
        let wrong = login(&cluster, secrets.path(), "gate-1", user, "nope");
        assert!(!gets_in(&wrong).await, "a wrong password got in");
        // The server's own account of the refusals.
        let logs = cluster.full_logs();
        for want in [
            "Publish Violation - User \"gate-1\", Subject \"portcullis.gate-2.sshd.192-0-2-2\"",
            "Publish Violation - User \"gate-1\", Subject \"$JS.API.CONSUMER.INFO.PORTCULLIS.gate-2\"",
            "authentication error - User \"gate-1\"",
        ] {
            assert!(logs.contains(want), "no {want:?} in\n{logs}");
        }
    });
    stop(cluster);
}

/// The server configuration docs/fleet.md's set-up shows, with its
/// accounts block after it, is one nats-server accepts (`-t`: parsed and
/// checked, nothing started; its addresses are not this host's).
#[test]
fn cluster_nats_documented_server_configuration_is_valid() {
    if !Path::new(NATS_SERVER).exists() {
        assert!(std::env::var_os("CI").is_none(), "{NATS_SERVER} missing");
        return crate::common::skip("documented server configuration: nats-server missing");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nats-server.conf");
    let text = documented("server_name:") + &documented("accounts {");
    std::fs::write(&path, &text).unwrap();
    let out = std::process::Command::new(NATS_SERVER)
        .arg("-t")
        .arg("-c")
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && said.contains("is valid"),
        "{said}\n{text}"
    );
}
