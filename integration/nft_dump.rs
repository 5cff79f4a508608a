//! Dumps against `nft -j`, and a 100,000-element transaction.

use std::net::IpAddr;
use std::time::Duration;

use portcullis::nft::Ban;
use serde_json::Value;

use crate::common::NetNs;
use crate::nft::{open_with, sshd_only};

/// The elements of one set as `nft -j` shows them: address -> (timeout s, expires s).
fn nft_elements(ns: &NetNs, set: &str) -> Vec<(String, Option<u64>, Option<u64>)> {
    let mut out = Vec::new();
    for item in ns.nft_set_elements(set) {
        match item {
            Value::String(a) => out.push((a, None, None)),
            Value::Object(o) => {
                let e = &o["elem"];
                out.push((
                    e["val"].as_str().unwrap().into(),
                    e["timeout"].as_u64(),
                    e["expires"].as_u64(),
                ))
            }
            other => panic!("unexpected element {other}"),
        }
    }
    out.sort();
    out
}

#[test]
fn the_dump_matches_nft_json() {
    let Some(ns) = NetNs::new("dump") else { return };
    let (listed, read_at) = ns.run(|| {
        let mut nft = open_with(&sshd_only());
        let mut bans = Vec::new();
        for i in 0..3000u32 {
            let v4 = IpAddr::from((0xc633_6400u32 + i).to_be_bytes()); // 198.51.100.0 on
            let v6: IpAddr = format!("2001:db8::{:x}", i + 1).parse().unwrap();
            let timeout = (i % 3 != 0).then(|| Duration::from_secs(600 + u64::from(i)));
            bans.push(Ban {
                jail: "sshd".into(),
                addr: v4.into(),
                timeout,
                comment: None,
            });
            bans.push(Ban {
                jail: "sshd".into(),
                addr: v6.into(),
                timeout,
                comment: None,
            });
        }
        nft.ban(&bans).unwrap();
        (
            nft.list("portcullis", Some("sshd")).unwrap().unwrap(),
            std::time::Instant::now(),
        )
    });
    assert_eq!(listed.len(), 6000);
    for (set, v4) in [("sshd-v4", true), ("sshd-v6", false)] {
        let oracle = nft_elements(&ns, set);
        let lag = read_at.elapsed().as_secs() + 2;
        let mut ours: Vec<(String, Option<u64>, Option<u64>)> = listed
            .iter()
            .filter(|e| e.network.addr.is_ipv4() == v4)
            .map(|e| {
                (
                    e.network.to_string(),
                    e.timeout.map(|t| t.as_secs()),
                    e.expires.map(|t| t.as_secs()),
                )
            })
            .collect();
        ours.sort();
        assert_eq!(ours.len(), oracle.len());
        for (a, b) in ours.iter().zip(&oracle) {
            assert_eq!((&a.0, a.1), (&b.0, b.1));
            // Time left is read at two moments: allow for the time between.
            assert!(
                a.2.unwrap_or(0).abs_diff(b.2.unwrap_or(0)) <= lag,
                "{a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn a_hundred_thousand_bans_in_one_transaction_split_under_64_kib() {
    let Some(ns) = NetNs::new("bulk") else { return };
    ns.run(|| {
        let mut nft = open_with(&sshd_only());
        let bans: Vec<Ban> = (0..100_000u32)
            .map(|i| Ban {
                jail: "sshd".into(),
                addr: IpAddr::from((0x0a00_0000u32 + i).to_be_bytes()).into(),
                timeout: Some(Duration::from_secs(3600)),
                comment: None,
            })
            .collect();
        nft.ban(&bans).expect("one big transaction");
        assert_eq!(
            nft.list("portcullis", None).unwrap().unwrap().len(),
            100_000
        );
    });
}
