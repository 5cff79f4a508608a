//! The fleet end to end (issue 13): a real 3-node NATS JetStream cluster
//! and three daemons in one network namespace; what one node bans from its
//! log reaches the others' kernel sets (`nft -j list`, the oracle).

use std::time::Duration;

use crate::common::poll_until;
use crate::daemon_common::{append, sshd_failure};
use crate::fleet_common::{Fleet, SPREAD, offenders};

#[test]
fn a_ban_spreads_unbans_follow_and_ignore_lists_hold() {
    let Some(fleet) = Fleet::start("fleet_spread", ["", "", "ignore \"203.0.113.3\""]) else {
        return;
    };
    fleet.node(1).offend("203.0.113.7");
    fleet.wait_banned(1, "203.0.113.7");
    fleet.wait_banned(2, "203.0.113.7");
    fleet.wait_banned(3, "203.0.113.7");
    // The origin node is the element's comment, for nft list.
    assert_eq!(fleet.node(2).comment("203.0.113.7").as_deref(), Some("n1"));
    assert_eq!(fleet.node(1).comment("203.0.113.7"), None);
    // Node 3 ignores .3: banned on 1 and 2 only. The stream is in order,
    // so once .4 (offending after .3) is on node 3, .3 was decided there.
    fleet.node(1).offend("203.0.113.3");
    fleet.wait_banned(1, "203.0.113.3");
    fleet.node(1).offend("203.0.113.4");
    fleet.wait_banned(2, "203.0.113.3");
    fleet.wait_banned(3, "203.0.113.4");
    assert!(!fleet.node(3).banned("203.0.113.3"), "{}", fleet.logs());
    // An unban on node 1 lifts node 1's ban everywhere.
    let out = fleet.node(1).cli(&["unban", "sshd", "203.0.113.7"]);
    assert!(out.status.success(), "{out:?}");
    for n in 1..=3 {
        fleet.wait_unbanned(n, "203.0.113.7");
    }
    // A network banned by hand on node 1 reaches node 2's network set;
    // node 3 refuses it (it covers node 3's ignored .3).
    let out = fleet.node(1).cli(&["ban", "sshd", "203.0.113.0/24"]);
    assert!(out.status.success(), "{out:?}");
    let net = || fleet.node(2).set_named("sshd-net4");
    let spread = poll_until(SPREAD, || {
        net().contains(&"203.0.113.0/24".into()).then_some(())
    });
    assert!(spread.is_some(), "{:?}\n{}", net(), fleet.logs());
    fleet.node(1).offend("198.51.100.5");
    fleet.wait_banned(3, "198.51.100.5");
    assert!(
        fleet.node(3).set_named("sshd-net4").is_empty(),
        "{}",
        fleet.logs()
    );
    let out = fleet.node(1).cli(&["unban", "sshd", "203.0.113.0/24"]);
    assert!(out.status.success(), "{out:?}");
    let gone = poll_until(SPREAD, || net().is_empty().then_some(()));
    assert!(gone.is_some(), "{:?}", net());
    // Node 2's own ban of an address is not lifted by node 1's unban.
    fleet.node(2).offend("203.0.113.9");
    fleet.wait_banned(1, "203.0.113.9");
    let out = fleet.node(1).cli(&["ban", "sshd", "203.0.113.9"]);
    assert!(out.status.success(), "{out:?}");
    let out = fleet.node(1).cli(&["unban", "sshd", "203.0.113.9"]);
    assert!(out.status.success(), "{out:?}");
    fleet.wait_unbanned(1, "203.0.113.9");
    std::thread::sleep(Duration::from_secs(1));
    assert!(fleet.node(2).banned("203.0.113.9"), "{}", fleet.logs());
    assert!(fleet.node(3).banned("203.0.113.9"), "{}", fleet.logs());
    // status shows the fleet: node 3 applied node 1's eleven decisions
    // (.7, .3, .4, the unban of .7, the /24 (refused there), the unbans of
    // .3 and .4 the /24 replaced on node 1, the /24's unban,
    // 198.51.100.5, the ban and unban of .9) and node 2's.
    let status = || String::from_utf8_lossy(&fleet.node(3).cli(&["status"]).stdout).to_string();
    // Its consumer's lag is sampled every two seconds.
    let settled = "cluster: sent 0, waiting 0, consumer lag 0, dropped 0\n\
                   cluster: received n1 11, n2 1\n";
    let received = poll_until(SPREAD, || Some(status()).filter(|t| t.contains(settled)));
    let text = received.unwrap_or_else(|| panic!("{}\n{}", status(), fleet.logs()));
    let first = text.lines().find(|l| l.starts_with("cluster: ")).unwrap();
    let connected = "cluster: node n3 in stream PORTCULLIS, connected to 127.0.0.1:";
    assert!(first.starts_with(connected), "{text}");
    // Node 1 published its eleven.
    let text = String::from_utf8_lossy(&fleet.node(1).cli(&["status"]).stdout).to_string();
    assert!(text.contains("cluster: sent 11, waiting 0"), "{text}");
}

#[test]
fn nats_down_bans_locally_and_a_restarted_node_catches_up() {
    let Some(mut fleet) = Fleet::start("fleet_outage", ["", "", ""]) else {
        return;
    };
    // Settled first: the stream exists and every node reads it.
    fleet.node(1).offend("198.51.100.1");
    (1..=3).for_each(|n| fleet.wait_banned(n, "198.51.100.1"));
    fleet.nats_down();
    fleet.node(1).offend("198.51.100.2");
    fleet.wait_banned(1, "198.51.100.2");
    std::thread::sleep(Duration::from_secs(1));
    assert!(!fleet.node(2).banned("198.51.100.2"));
    fleet.nats_up();
    fleet.wait_banned(2, "198.51.100.2");
    fleet.wait_banned(3, "198.51.100.2");
    // Node 3 away: what node 1 decides meanwhile reaches it at its start.
    fleet.node_mut(3).kill9();
    fleet.node(1).offend("198.51.100.3");
    fleet.wait_banned(2, "198.51.100.3");
    fleet.node_mut(3).start();
    fleet.wait_banned(3, "198.51.100.3");
    // The restarted node still knows node 1 made its ban of .2: node 1's
    // unban lifts it there.
    let out = fleet.node(1).cli(&["unban", "sshd", "198.51.100.2"]);
    assert!(out.status.success(), "{out:?}");
    fleet.wait_unbanned(3, "198.51.100.2");
}

#[test]
fn a_ban_made_while_nats_is_down_survives_a_restart_and_reaches_the_others() {
    let Some(mut fleet) = Fleet::start("fleet_outbox", ["", "", ""]) else {
        return;
    };
    fleet.node(1).offend("198.51.100.1");
    (1..=3).for_each(|n| fleet.wait_banned(n, "198.51.100.1"));
    fleet.nats_down();
    // A stop at once (SIGTERM) keeps the decision the last ban made; so
    // does a kill -9 a moment after the ban (the outbox is written as it
    // is queued, not once a second).
    fleet.node(1).offend("198.51.100.4");
    fleet.wait_banned(1, "198.51.100.4");
    fleet.node_mut(1).terminate();
    fleet.node_mut(1).start();
    fleet.node(1).offend("198.51.100.5");
    fleet.wait_banned(1, "198.51.100.5");
    std::thread::sleep(Duration::from_millis(100));
    fleet.node_mut(1).kill9();
    fleet.node_mut(1).start();
    fleet.wait_banned(1, "198.51.100.4");
    assert!(!fleet.node(2).banned("198.51.100.4"));
    fleet.nats_up();
    for (n, addr) in [
        (2, "198.51.100.4"),
        (3, "198.51.100.4"),
        (2, "198.51.100.5"),
    ] {
        fleet.wait_banned(n, addr);
    }
    fleet.wait_banned(3, "198.51.100.5");
    // Published, it left the db: a second restart finds nothing kept.
    std::thread::sleep(Duration::from_secs(2));
    fleet.node_mut(1).terminate();
    fleet.node_mut(1).start();
    let log = fleet.node(1).log();
    let kept = log.matches("kept from before the restart").count();
    assert_eq!(kept, 2, "{log}");
}

#[test]
fn garbage_under_the_prefix_is_counted_and_bans_nobody() {
    let Some(fleet) = Fleet::start("fleet_garbage", ["", "", ""]) else {
        return;
    };
    fleet.node(1).offend("198.51.100.1");
    fleet.wait_banned(2, "198.51.100.1");
    let good = r#"{"origin":"n1","jail":"sshd","target":"198.51.100.9","kind":"ban","expires":"permanent","failures":3,"at":1,"id":"x"}"#;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("portcullis.n1.sshd.198-51-100-2", b"{not json".to_vec()),
        ("portcullis.n1.sshd.198-51-100-3", vec![b'x'; 64 * 1024]),
        ("portcullis.n1.sshd.not-an-address", good.into()),
        (
            "portcullis.n1.sshd.0-0-0-0--0",
            good.replace("198.51.100.9", "0.0.0.0/0").into(),
        ),
        ("portcullis.n9.sshd.198-51-100-9", good.into()),
        ("portcullis.n1.sshd.198-51-100-9", good.into()),
    ];
    let urls = fleet.nats.urls();
    fleet.ns.run(|| {
        crate::nats_cluster::runtime().block_on(async {
            let js = async_nats::jetstream::new(async_nats::connect(urls).await.unwrap());
            for (subject, payload) in cases {
                let ack = js.publish(subject, payload.into()).await.unwrap();
                ack.await.unwrap();
            }
        })
    });
    // The one good message, published last, is applied; the rest dropped.
    fleet.wait_banned(2, "198.51.100.9");
    for addr in ["198.51.100.2", "198.51.100.3", "0.0.0.0"] {
        assert!(!fleet.node(2).banned(addr), "{addr}");
    }
    let want = [
        "portcullis_cluster_dropped_total{reason=\"malformed\"} 1",
        "portcullis_cluster_dropped_total{reason=\"too_large\"} 1",
        "portcullis_cluster_dropped_total{reason=\"bad_subject\"} 1",
        "portcullis_cluster_dropped_total{reason=\"origin_mismatch\"} 1",
        "portcullis_cluster_received_total{origin=\"n1\"} 2",
        "portcullis_cluster_connected 1",
    ];
    // The page is refreshed every second.
    let page = || fleet.node(2).metrics(&fleet.ns);
    let all = |text: &str| want.iter().all(|w| text.lines().any(|l| l == *w));
    let seen = poll_until(SPREAD, || Some(page()).filter(|t| all(t)));
    assert!(seen.is_some(), "{want:?}:\n{}", page());
    let log = fleet.node(2).log();
    // The first drop is logged at once, the next ones a minute later.
    let drops: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("cluster: dropped"))
        .collect();
    assert_eq!(drops.len(), 1, "{log}");
    assert!(
        drops[0].ends_with("since the last report (totals: malformed 1)"),
        "{log}"
    );
    assert!(
        !log.contains("\u{1b}["),
        "no colour codes in the log: {log}"
    );
}

#[test]
fn ten_thousand_bans_survive_a_leader_kill_and_a_node_away() {
    let Some(mut fleet) = Fleet::start("fleet_storm", ["", "", ""]) else {
        return;
    };
    fleet.node(1).offend("198.51.100.1");
    (1..=3).for_each(|n| fleet.wait_banned(n, "198.51.100.1"));
    // 10,000 offenders in one write; the stream's leader killed meanwhile.
    let storm = offenders(0, 10_000);
    let lines: String = storm.iter().map(|a| sshd_failure(a).repeat(3)).collect();
    let leader = fleet.stream_leader();
    append(&fleet.node(1).dir.join("auth.log"), &lines);
    std::thread::sleep(Duration::from_millis(200));
    fleet.nats.kill(leader);
    let limit = Duration::from_secs(90);
    fleet.wait_count(1, 10_001, limit);
    let took = [2, 3].map(|n| fleet.wait_count(n, 10_001, limit));
    eprintln!(
        "10,000 bans, leader n{} killed: on nodes 2 and 3 {took:?} after node 1",
        leader + 1
    );
    for n in 2..=3 {
        let set = fleet.node(n).set();
        assert!(storm.iter().all(|a| set.contains(a)), "node {n} lacks some");
    }
    // Node 3 away while node 1 bans 1,000 more: it catches up at its start.
    fleet.node_mut(3).kill9();
    let more = offenders(10_000, 1_000);
    let lines: String = more.iter().map(|a| sshd_failure(a).repeat(3)).collect();
    append(&fleet.node(1).dir.join("auth.log"), &lines);
    fleet.wait_count(2, 11_001, limit);
    fleet.node_mut(3).start();
    let caught_up = fleet.wait_count(3, 11_001, limit);
    eprintln!(
        "node 3 restarted: 1,000 missed decisions in {caught_up:?} after its socket answered"
    );
}
