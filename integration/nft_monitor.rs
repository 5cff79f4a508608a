//! The monitor tells our transactions from others', and sees a flush.

use std::net::IpAddr;
use std::time::Duration;

use portcullis::nft::{Ban, JailSpec, Monitor, Nft, NftConfig, ObjectEvent};

use crate::common::NetNs;

/// Our table with one jail, `sshd`, on tcp/22.
fn sshd() -> NftConfig {
    NftConfig {
        jails: vec![JailSpec::tcp("sshd", &[22])],
        ..NftConfig::default()
    }
}

#[test]
fn a_flush_by_nft_is_reported_and_our_own_setup_is_recognised() {
    let Some(ns) = NetNs::new("monitor") else {
        return;
    };
    let config = sshd();
    ns.run(|| {
        let mut monitor = Monitor::subscribe("portcullis").expect("subscribe");
        let mut nft = Nft::open().unwrap();
        monitor.add_own_port(nft.port_id());
        nft.setup(&config).unwrap();
        let ours = monitor
            .next_change(Some(Duration::from_secs(5)))
            .unwrap()
            .expect("our setup is seen");
        assert!(ours.ours, "{ours:?}");
        assert!(ours.events.contains(&ObjectEvent::TableAdded), "{ours:?}");
        assert!(
            ours.events
                .contains(&ObjectEvent::SetAdded("sshd-v4".into())),
            "{ours:?}"
        );

        // Someone else's change, in another table, is not about us.
        ns.sh(&["nft", "add", "table", "inet", "other"]);
        // Someone else flushes everything.
        ns.sh(&["nft", "flush", "ruleset"]);
        let theirs = monitor
            .next_change(Some(Duration::from_secs(5)))
            .unwrap()
            .expect("the flush is seen");
        assert!(!theirs.ours, "{theirs:?}");
        assert_eq!(theirs.process.as_deref(), Some("nft"), "{theirs:?}");
        assert!(
            theirs.events.contains(&ObjectEvent::TableDeleted),
            "{theirs:?}"
        );
        assert!(
            theirs
                .events
                .contains(&ObjectEvent::SetDeleted("sshd-v6".into())),
            "{theirs:?}"
        );
        assert!(
            theirs
                .events
                .contains(&ObjectEvent::ChainDeleted("input".into())),
            "{theirs:?}"
        );
        assert_eq!(
            monitor
                .next_change(Some(Duration::from_millis(100)))
                .unwrap(),
            None
        );
    });
}

#[test]
fn bans_by_others_are_counted_per_set() {
    let Some(ns) = NetNs::new("monitor-elements") else {
        return;
    };
    let config = sshd();
    ns.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.setup(&config).unwrap();
        let mut monitor = Monitor::subscribe("portcullis").expect("subscribe");
        ns.sh(&[
            "nft",
            "add",
            "element",
            "inet",
            "portcullis",
            "sshd-v4",
            "{ 192.0.2.1, 192.0.2.2 }",
        ]);
        let change = monitor
            .next_change(Some(Duration::from_secs(5)))
            .unwrap()
            .expect("seen");
        assert_eq!(
            change.events,
            [ObjectEvent::ElementsAdded {
                set: "sshd-v4".into(),
                count: 2
            }]
        );
    });
}

#[test]
fn a_rebuild_with_bans_is_one_transaction() {
    let Some(ns) = NetNs::new("monitor-rebuild") else {
        return;
    };
    let config = sshd();
    let bans: Vec<Ban> = ["192.0.2.1", "192.0.2.2", "2001:db8::7"]
        .iter()
        .map(|a| Ban {
            jail: "sshd".into(),
            addr: a.parse().unwrap(),
            timeout: Some(Duration::from_secs(3600)),
            comment: None,
        })
        .collect();
    ns.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.setup(&config).unwrap();
        ns.sh(&["nft", "flush", "ruleset"]);
        let mut monitor = Monitor::subscribe("portcullis").expect("subscribe");
        nft.setup_with(&config, &bans).unwrap();
        let rebuilt = monitor
            .next_change(Some(Duration::from_secs(5)))
            .unwrap()
            .expect("the rebuild is seen");
        for event in [
            ObjectEvent::TableAdded,
            ObjectEvent::ElementsAdded {
                set: "sshd-v4".into(),
                count: 2,
            },
            ObjectEvent::ElementsAdded {
                set: "sshd-v6".into(),
                count: 1,
            },
        ] {
            assert!(rebuilt.events.contains(&event), "{event:?} in {rebuilt:?}");
        }
        assert_eq!(
            monitor
                .next_change(Some(Duration::from_millis(100)))
                .unwrap(),
            None,
            "nothing after the one transaction"
        );
    });
    let listed = ns.sh(&["nft", "-j", "list", "set", "inet", "portcullis", "sshd-v4"]);
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let elements = v["nftables"][1]["set"]["elem"].as_array().unwrap();
    let addrs: Vec<&str> = elements
        .iter()
        .map(|e| e["elem"]["val"].as_str().unwrap())
        .collect();
    assert_eq!(addrs, ["192.0.2.1", "192.0.2.2"], "{listed}");
    assert!(
        elements
            .iter()
            .all(|e| e["elem"]["timeout"].as_u64() == Some(3600)),
        "{listed}"
    );
}

/// Bans in the flood; the default buffer was seen holding three times as many.
const COUNT: u32 = 200_000;

/// Runs 200,000 bans past a monitor with `buffer` bytes of receive buffer
/// (none: the default) and returns what it reported.
fn events_of_a_big_batch(buffer: Option<usize>) -> Vec<ObjectEvent> {
    let Some(ns) = NetNs::new("monitor-flood") else {
        return vec![ObjectEvent::Lost];
    };
    let config = sshd();
    ns.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.setup(&config).unwrap();
        let mut monitor = Monitor::subscribe("portcullis").expect("subscribe");
        if let Some(bytes) = buffer {
            monitor.set_receive_buffer(bytes).unwrap();
        }
        let bans: Vec<Ban> = (0..COUNT)
            .map(|i| Ban {
                jail: "sshd".into(),
                addr: IpAddr::from((0x0a00_0000u32 + i).to_be_bytes()),
                timeout: None,
                comment: None,
            })
            .collect();
        nft.ban(&bans).unwrap();
        let mut events = Vec::new();
        while let Some(change) = monitor
            .next_change(Some(Duration::from_millis(300)))
            .unwrap()
        {
            events.extend(change.events);
        }
        events
    })
}

#[test]
fn the_default_buffer_keeps_up_with_a_big_batch() {
    let events = events_of_a_big_batch(None);
    if events == [ObjectEvent::Lost] {
        return; // skipped
    }
    assert_eq!(
        events,
        [ObjectEvent::ElementsAdded {
            set: "sshd-v4".into(),
            count: 200_000
        }]
    );
}

#[test]
fn an_overflowing_subscription_reports_lost_events() {
    let events = events_of_a_big_batch(Some(64 << 10));
    assert!(events.contains(&ObjectEvent::Lost), "{events:?}");
}

/// What the quiet transactions of the ActionsActor rely on: out of the
/// group, the monitor gets nothing of a transaction; the generation counts
/// every commit, ours and others', so a change made while we were out is
/// found; back in the group, the monitor sees the next change. And the
/// kernel answers whether one element is in a set without a dump.
#[test]
fn a_monitor_out_of_its_group_misses_changes_that_the_generation_counts() {
    let Some(ns) = NetNs::new("monitor-quiet") else {
        return;
    };
    let config = sshd();
    ns.run(|| {
        let mut monitor = Monitor::subscribe("portcullis").expect("subscribe");
        let membership = monitor.membership().unwrap();
        let mut nft = Nft::open().unwrap();
        nft.setup(&config).unwrap();
        let quiet = Some(Duration::from_millis(200));
        assert!(monitor.next_change(quiet).unwrap().is_some());

        let before = nft.generation().unwrap();
        membership.leave().unwrap();
        let addr: IpAddr = "192.0.2.9".parse().unwrap();
        nft.ban(&[Ban {
            jail: "sshd".into(),
            addr,
            timeout: None,
            comment: None,
        }])
        .unwrap();
        ns.sh(&["nft", "add", "table", "inet", "other"]);
        membership.join().unwrap();
        assert_eq!(nft.generation().unwrap(), before.wrapping_add(2));
        assert_eq!(monitor.next_change(quiet).unwrap(), None);
        assert!(nft.holds("portcullis", "sshd-v4", addr).unwrap());
        let other: IpAddr = "192.0.2.10".parse().unwrap();
        assert!(!nft.holds("portcullis", "sshd-v4", other).unwrap());
        assert!(nft.holds("portcullis", "nosuch-v4", addr).is_err());

        ns.sh(&["nft", "delete", "table", "inet", "portcullis"]);
        let seen = monitor.next_change(Some(Duration::from_secs(5))).unwrap();
        assert!(
            seen.is_some_and(|c| c.events.contains(&ObjectEvent::TableDeleted)),
            "back in the group, the deletion is seen"
        );
    });
}
