//! The [`Fleet`]'s decisions at fixed times.

use std::time::Duration;

use super::*;
use crate::cluster::block::{MAX_BLOCK_PAYLOAD, Packet, pack};
use crate::cluster::{Expiry, Provenance, settings::Jails};
use crate::nft::Network;

const T0: UnixMs = UnixMs(1_764_892_800_000);

fn fleet(node: &str) -> Fleet {
    let mut s = ClusterSettings::new(vec!["nats://h:4222".into()], node);
    s.share = Jails::only(["sshd"]);
    Fleet::new(s)
}

fn applied(provenance: Provenance, jail: &str, addr: &str, kind: Kind) -> Applied {
    Applied {
        provenance,
        jail: jail.into(),
        network: Network::host(addr.parse().unwrap()),
        kind,
        expires: Expiry::At(T0.after(Duration::from_secs(600)).as_millis()),
        failures: 5,
    }
}

/// The messages `fleet` publishes for `applied` (packed as the publisher
/// packs them), as (subject, body).
fn wire(fleet: &mut Fleet, applied: &[Applied], now: UnixMs) -> Vec<(String, Vec<u8>)> {
    fleet.decided(applied, now);
    let prefix = fleet.settings().subject_prefix.clone();
    let out = fleet.to_publish(now);
    out.iter().for_each(|d| fleet.published(d));
    (pack(&prefix, &out, MAX_BLOCK_PAYLOAD).into_iter())
        .map(|packet| match packet {
            Packet::One(i) => (out[i].subject(&prefix).unwrap(), out[i].to_json()),
            Packet::Block { subject, body, .. } => (subject, body),
        })
        .collect()
}

#[test]
fn only_local_decisions_of_shared_jails_are_queued_until_published() {
    let mut a = fleet("gate-1");
    let remote = Provenance::Remote {
        origin: "gate-2".into(),
    };
    let queued = a.decided(
        &[
            applied(Provenance::Restored, "sshd", "192.0.2.1", Kind::Ban),
            applied(remote, "sshd", "192.0.2.2", Kind::Ban),
            applied(Provenance::Local, "web", "192.0.2.3", Kind::Ban),
        ],
        T0,
    );
    assert!(!queued);
    assert_eq!(a.waiting(), 0);
    let local = applied(Provenance::Local, "sshd", "192.0.2.4", Kind::Ban);
    assert!(a.decided(std::slice::from_ref(&local), T0));
    let out = a.to_publish(T0);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].target, "192.0.2.4");
    // Not acknowledged: it stays for the next attempt.
    assert_eq!(a.to_publish(T0), out);
    a.published(&out[0]);
    assert_eq!((a.waiting(), a.status().sent), (0, 1));
    // Decisions that ended while NATS was away are not sent at all.
    a.decided(&[local], T0);
    assert!(a.to_publish(T0.after(Duration::from_secs(601))).is_empty());
}

#[test]
fn a_batch_becomes_runs_of_bans_and_unbans_in_stream_order() {
    let (mut a, mut b) = (fleet("gate-1"), fleet("gate-2"));
    let ban = applied(Provenance::Local, "sshd", "203.0.113.7", Kind::Ban);
    let other = applied(Provenance::Local, "sshd", "203.0.113.8", Kind::Ban);
    let unban = applied(Provenance::Local, "sshd", "203.0.113.7", Kind::Unban);
    let mut messages = wire(&mut a, &[ban, other], T0);
    messages.extend(wire(&mut a, &[unban], T0.after(Duration::from_secs(1))));
    messages.push(("portcullis.gate-1.sshd.203-0-113-9".into(), b"{".to_vec()));
    let steps = b.admit(messages.iter().map(|(s, p)| (s.as_str(), p.as_slice())), T0);
    let Step::Bans(bans) = &steps[0] else {
        panic!("{steps:?}")
    };
    let plans: Vec<RemoteBanPlan> = bans.iter().map(ban_plan).collect();
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0].origin, "gate-1");
    assert_eq!(plans[0].addr.to_string(), "203.0.113.7");
    assert_eq!(plans[0].remaining, Duration::from_secs(600));
    let Step::Unbans(unbans) = &steps[1] else {
        panic!("{steps:?}")
    };
    assert_eq!(unbans[0].network.to_string(), "203.0.113.7");
    assert_eq!(steps.len(), 2);
    assert_eq!(b.status().dropped, 1);
    assert_eq!(b.status().received["gate-1"], 3);
    // Our own decisions coming back are neither applied nor news.
    let own = a.admit(messages.iter().map(|(s, p)| (s.as_str(), p.as_slice())), T0);
    assert!(own.is_empty());
    // The garbage names gate-1 too: for gate-1 it is its own, not read.
    assert_eq!(a.status().dropped, 0);
}

#[test]
fn a_storm_in_blocks_then_an_unban_alone_keeps_stream_order() {
    let (mut a, mut b) = (fleet("gate-1"), fleet("gate-2"));
    let storm: Vec<Applied> = (0..300)
        .map(|n| {
            let addr = std::net::Ipv4Addr::from(0xc633_6400 + n).to_string();
            applied(Provenance::Local, "sshd", &addr, Kind::Ban)
        })
        .collect();
    let mut messages = wire(&mut a, &storm, T0);
    assert_eq!(messages.len(), 1, "one block");
    let unban = applied(Provenance::Local, "sshd", "198.51.100.0", Kind::Unban);
    messages.extend(wire(&mut a, &[unban], T0.after(Duration::from_secs(1))));
    assert_eq!(messages[1].0, "portcullis.gate-1.sshd.198-51-100-0");
    let steps = b.admit(messages.iter().map(|(s, p)| (s.as_str(), p.as_slice())), T0);
    let [Step::Bans(bans), Step::Unbans(unbans)] = &steps[..] else {
        panic!("{steps:?}")
    };
    assert_eq!(bans.len(), 300);
    assert_eq!(bans[0].network.to_string(), "198.51.100.0");
    assert_eq!(bans[299].network.to_string(), "198.51.101.43");
    assert_eq!(unbans[0].network.to_string(), "198.51.100.0");
    assert_eq!(b.status().received["gate-1"], 301);
    assert_eq!(b.status().dropped, 0);
}

#[test]
fn status_and_metrics_words() {
    let mut a = fleet("gate-1");
    a.observed(
        Link::Connected {
            server: "nats://h:4222".into(),
        },
        Some(7),
    );
    a.observed(
        Link::Connected {
            server: "nats://h:4222".into(),
        },
        None,
    );
    assert_eq!(
        a.status().lines(),
        [
            "cluster: node gate-1 in stream PORTCULLIS, connected to nats://h:4222",
            "cluster: sent 0, waiting 0, consumer lag 7, dropped 0",
            "cluster: received none",
        ]
    );
    let metrics = a.render_metrics();
    for line in [
        "portcullis_cluster_dropped_total{reason=\"malformed\"} 0",
        "portcullis_cluster_connected 1",
        "portcullis_cluster_consumer_lag 7",
        "portcullis_cluster_outbox 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
}

#[test]
fn the_outbox_kept_in_lmdb_is_restored_and_emptied_as_decisions_leave() {
    // Before the restart: two decisions stored as seqs 1 and 2.
    let mut before = fleet("gate-1");
    let ban = |addr| applied(Provenance::Local, "sshd", addr, Kind::Ban);
    before.decided(&[ban("192.0.2.1"), ban("192.0.2.2")], T0);
    let (keys, entries) = before.to_store(false);
    before.stored(keys, Some(&[1, 2]));
    assert!(before.stale().is_empty(), "both still waiting");
    // After: a newer decision on .2 was made before the db answered, and
    // one entry is unreadable.
    let mut after = fleet("gate-1");
    let unban = applied(Provenance::Local, "sshd", "192.0.2.2", Kind::Unban);
    after.decided(&[unban], T0.after(Duration::from_secs(1)));
    let mut read: Vec<(u64, Vec<u8>)> = (1..).zip(entries).collect();
    read.push((3, b"{not json".to_vec()));
    after.restore(read);
    let kinds: Vec<(String, Kind)> = (after.to_publish(T0).iter())
        .map(|d| (d.target.clone(), d.kind))
        .collect();
    let want = [
        ("192.0.2.2".to_string(), Kind::Unban),
        ("192.0.2.1".to_string(), Kind::Ban),
    ];
    assert_eq!(kinds, want);
    // The stale entries: .2's older ban and the unreadable one.
    let mut stale = after.stale();
    stale.sort();
    assert_eq!(stale, [2, 3]);
    // Published, .1 leaves the db too.
    let out = after.to_publish(T0);
    out.iter().for_each(|d| after.published(d));
    assert_eq!(after.stale(), [1]);
}
