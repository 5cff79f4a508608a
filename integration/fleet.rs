//! The fleet end to end (issue 13): a real 3-node NATS JetStream cluster
//! and three daemons in one network namespace; what one node bans from its
//! log reaches the others' kernel sets (`nft -j list`, the oracle).

use std::time::Duration;

use crate::common::poll_until;
use crate::fleet_common::{Fleet, SPREAD};

#[test]
fn a_ban_spreads_unbans_follow_and_ignore_lists_hold() {
    let Some(fleet) = Fleet::start("fleet_spread", ["", "", "ignore \"203.0.113.3\""]) else {
        return;
    };
    fleet.node(1).offend("203.0.113.7");
    fleet.wait_banned(1, "203.0.113.7");
    fleet.wait_banned(2, "203.0.113.7");
    fleet.wait_banned(3, "203.0.113.7");
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
    // status shows the fleet: node 3 applied node 1's six decisions
    // (.7, .3, .4, the unban of .7, the ban and unban of .9) and node 2's.
    let status = || String::from_utf8_lossy(&fleet.node(3).cli(&["status"]).stdout).to_string();
    let received = poll_until(SPREAD, || {
        let text = status();
        text.contains("cluster: received n1 6, n2 1\n")
            .then_some(text)
    });
    let text = received.unwrap_or_else(|| panic!("{}\n{}", status(), fleet.logs()));
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("cluster: "))
        .collect();
    assert!(
        lines[0].starts_with("cluster: node n3 in stream PORTCULLIS, connected to 127.0.0.1:"),
        "{text}"
    );
    assert_eq!(
        lines[1],
        "cluster: sent 0, waiting 0, consumer lag 0, dropped 0"
    );
    // Node 1 published its six.
    let text = String::from_utf8_lossy(&fleet.node(1).cli(&["status"]).stdout).to_string();
    assert!(text.contains("cluster: sent 6, waiting 0"), "{text}");
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
}
