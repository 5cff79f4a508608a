//! The ActionsActor's one rebuild path: the repair when the kernel's
//! notifications were lost (the monitor socket overflowed: nobody knows what
//! happened, so it looks at the table before it rebuilds, and rebuilds only
//! when bans are missing), and a ban that finds the table gone, which puts
//! every active ban back with it in one transaction.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use portcullis::actions::Setup;

use actix::prelude::*;
use portcullis::actions::{ActionsActor, BanTicket, ListBans, Repair};
use portcullis::config::BanTime;
use portcullis::db::DbActor;
use portcullis::db::store::Store;
use portcullis::nft::{JailSpec, Nft, NftConfig};
use portcullis::notify::NotifyActor;

use crate::common::NetNs;

fn lost() -> Repair {
    Repair {
        only_if_damaged: true,
        generation: None,
    }
}

/// A repair after lost notifications: how many bans went back, or the error's text.
async fn repair_lost(actions: &Addr<ActionsActor>) -> Result<Option<usize>, String> {
    let repaired = actions.send(lost()).await.unwrap();
    repaired.map_err(|e| e.to_string())
}

async fn banned(actions: &Addr<ActionsActor>) -> Vec<String> {
    let mut addrs: Vec<String> = actions
        .send(ListBans { jail: None })
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|e| e.network.addr.to_string())
        .collect();
    addrs.sort();
    addrs
}

#[test]
fn after_lost_notifications_only_a_damaged_table_is_rebuilt() {
    let Some(ns) = NetNs::new("repair-lost") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    ns.run(|| {
        System::new().block_on(async {
            let actions = actions(&sshd(), dir.path());
            actions.do_send(ticket("192.0.2.1"));
            actions.do_send(ticket("192.0.2.2"));
            // The tickets go out as one batch once the mailbox is drained.
            wait_banned(&actions, &["192.0.2.1", "192.0.2.2"]).await;

            assert_eq!(
                repair_lost(&actions).await,
                Ok(None),
                "an intact table is left alone"
            );

            // One ban removed and another address added behind our back:
            // as many elements as before, but not ours.
            let element = |verb: &str, addr: &str| {
                ns.sh(&[
                    "nft",
                    verb,
                    "element",
                    "inet",
                    "portcullis",
                    "sshd-v4",
                    &format!("{{ {addr} }}"),
                ]);
            };
            element("delete", "192.0.2.2");
            element("add", "192.0.2.3");
            assert_eq!(banned(&actions).await, ["192.0.2.1", "192.0.2.3"]);
            assert_eq!(repair_lost(&actions).await, Ok(Some(2)));
            assert_eq!(
                banned(&actions).await,
                ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
            );
            element("delete", "192.0.2.3");

            ns.sh(&["nft", "delete", "table", "inet", "portcullis"]);
            assert_eq!(repair_lost(&actions).await, Ok(Some(2)));
            assert_eq!(banned(&actions).await, ["192.0.2.1", "192.0.2.2"]);
        })
    });
    // The independent oracle: both back, with about an hour left.
    let elements = oracle(&ns);
    assert_eq!(elements.len(), 2, "{elements:?}");
    for e in elements {
        let expires = e["elem"]["expires"].as_u64().unwrap();
        assert!((3590..=3600).contains(&expires), "{e}");
    }
}

/// One jail, sshd on port 22.
fn sshd() -> NftConfig {
    NftConfig {
        jails: vec![JailSpec::tcp("sshd", &[22])],
        ..NftConfig::default()
    }
}

/// Starts an ActionsActor on a fresh table with `config` (inside `ns`).
fn actions(config: &NftConfig, dir: &std::path::Path) -> Addr<ActionsActor> {
    let store = Arc::new(Store::open(dir).unwrap());
    let db = DbActor::start_on_own_thread(store.clone());
    let notify = NotifyActor::new(HashMap::new()).start();
    let mut nft = Nft::open().unwrap();
    nft.setup(config).unwrap();
    ActionsActor::new(
        nft,
        config.clone(),
        db.clone().recipient(),
        db.recipient(),
        notify.recipient(),
        Arc::default(),
    )
    .start()
}

fn ticket(addr: &str) -> BanTicket {
    BanTicket {
        jail: "sshd".into(),
        addr: addr.parse().unwrap(),
        bantime: BanTime::For(Duration::from_secs(3600)),
        failures: 3,
        read_at: None,
        provenance: portcullis::cluster::Provenance::Local,
    }
}

async fn wait_banned(actions: &Addr<ActionsActor>, want: &[&str]) {
    let mut tries = 0;
    while banned(actions).await != want {
        tries += 1;
        assert!(
            tries < 500,
            "never banned {want:?}: {:?}",
            banned(actions).await
        );
        actix_rt::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The elements of sshd-v4, from `nft -j list set` (the independent oracle).
fn oracle(ns: &NetNs) -> Vec<serde_json::Value> {
    let text = ns.sh(&["nft", "-j", "list", "set", "inet", "portcullis", "sshd-v4"]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["nftables"][1]["set"]["elem"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The addresses of sshd-v4, from the oracle.
fn listed(ns: &NetNs) -> Vec<String> {
    let mut out: Vec<String> = (oracle(ns).iter())
        .map(|e| e["elem"]["val"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn a_ban_that_finds_the_table_gone_puts_every_active_ban_back() {
    let Some(ns) = NetNs::new("rebuild-on-ban") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = sshd();
    ns.run(|| {
        System::new().block_on(async {
            let actions = actions(&config, dir.path());
            actions.do_send(ticket("192.0.2.1"));
            actions.do_send(ticket("192.0.2.2"));
            wait_banned(&actions, &["192.0.2.1", "192.0.2.2"]).await;
            // Gone behind the daemon's back, and no monitor to tell it: the
            // next ban finds out.
            ns.sh(&["nft", "delete", "table", "inet", "portcullis"]);
            actions.do_send(ticket("192.0.2.3"));
            wait_banned(&actions, &["192.0.2.1", "192.0.2.2", "192.0.2.3"]).await;
        })
    });
    assert_eq!(listed(&ns), ["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
}

#[test]
fn a_reload_keeps_every_ban_also_when_the_table_is_gone() {
    let Some(ns) = NetNs::new("rebuild-on-setup") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = sshd();
    ns.run(|| {
        System::new().block_on(async {
            let actions = actions(&config, dir.path());
            actions.do_send(ticket("192.0.2.1"));
            wait_banned(&actions, &["192.0.2.1"]).await;
            ns.sh(&["nft", "flush", "ruleset"]);
            let mut reloaded = config.clone();
            reloaded.jails = vec![JailSpec::tcp("sshd", &[22, 2222])];
            actions
                .send(Setup(reloaded))
                .await
                .unwrap()
                .expect("the reload's setup");
        })
    });
    assert_eq!(listed(&ns), ["192.0.2.1"]);
    let rules = ns.sh(&["nft", "list", "chain", "inet", "portcullis", "input"]);
    assert!(rules.contains("2222"), "{rules}");
}
