//! Element comments (a fleet ban's origin) against the real kernel, with
//! `nft` as the oracle both ways: what we write, `nft -j list set` shows as
//! `"comment"`; what `nft add element ... comment "..."` writes, our dump
//! reads; a reload carries the comments; `portcullis list` shows them.

use std::collections::BTreeMap;
use std::time::Duration;

use portcullis::nft::{Ban, Comment, JailSpec, Nft, NftConfig, RemovalMode};
use serde_json::Value;

use crate::common::{NetNs, portcullis_bin};

fn config() -> NftConfig {
    let mut dns = JailSpec::tcp("dns", &[53]);
    dns.v6_prefix = Some(64);
    NftConfig {
        jails: vec![JailSpec::tcp("sshd", &[22]), dns],
        ..NftConfig::default()
    }
}

fn ban(jail: &str, addr: &str, comment: Option<&str>) -> Ban {
    Ban {
        jail: jail.into(),
        addr: addr.parse().unwrap(),
        timeout: Some(Duration::from_secs(3600)),
        comment: comment.map(|c| Comment::new(c).unwrap()),
    }
}

/// address -> comment of one set, as `nft -j list set` shows it.
fn nft_comments(ns: &NetNs, set: &str) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    for item in ns.nft_set_elements(set) {
        if let Value::String(a) = &item {
            out.insert(a.clone(), None);
            continue;
        }
        let e = &item["elem"];
        let val = match &e["val"] {
            Value::String(a) => a.clone(),
            Value::Object(p) => {
                format!("{}/{}", p["prefix"]["addr"], p["prefix"]["len"]).replace('"', "")
            }
            other => panic!("unexpected value {other}"),
        };
        out.insert(val, e["comment"].as_str().map(str::to_string));
    }
    out
}

/// address -> comment of our dump.
fn our_comments(nft: &mut Nft) -> BTreeMap<String, Option<String>> {
    (nft.list("portcullis", None).unwrap().unwrap().into_iter())
        .map(|e| (e.network.to_string(), e.comment.map(|c| c.to_string())))
        .collect()
}

fn expected(pairs: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
    (pairs.iter())
        .map(|(a, c)| (a.to_string(), c.map(str::to_string)))
        .collect()
}

#[test]
fn our_comments_are_what_nft_lists() {
    let Some(ns) = NetNs::new("comment-ours") else {
        return;
    };
    let long = "é".repeat(64); // 128 bytes, nft's maximum
    ns.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.setup(&config()).unwrap();
        nft.ban(&[
            ban("sshd", "192.0.2.1", Some("gate-1")),
            ban("sshd", "192.0.2.2", None),
            ban("sshd", "2001:db8::7", Some(&long)),
            ban("dns", "2001:db8:1::9", Some("gate-2")),
        ])
        .unwrap();
    });
    assert_eq!(
        nft_comments(&ns, "sshd-v4"),
        expected(&[("192.0.2.1", Some("gate-1")), ("192.0.2.2", None)])
    );
    assert_eq!(
        nft_comments(&ns, "sshd-v6"),
        expected(&[("2001:db8::7", Some(&long))])
    );
    assert_eq!(
        nft_comments(&ns, "dns-v6"),
        expected(&[("2001:db8:1::/64", Some("gate-2"))])
    );
    // A reload carries each element with its comment.
    let read = ns.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.setup(&config()).unwrap();
        our_comments(&mut nft)
    });
    let all = expected(&[
        ("192.0.2.1", Some("gate-1")),
        ("192.0.2.2", None),
        ("2001:db8::7", Some(&long)),
        ("2001:db8:1::/64", Some("gate-2")),
    ]);
    assert_eq!(read, all);
    assert_eq!(nft_comments(&ns, "dns-v6").len(), 1);
    assert_eq!(
        nft_comments(&ns, "sshd-v4"),
        expected(&[("192.0.2.1", Some("gate-1")), ("192.0.2.2", None),])
    );
}

#[test]
fn comments_nft_writes_are_read_back() {
    let Some(ns) = NetNs::new("comment-nft") else {
        return;
    };
    ns.run(|| Nft::open().unwrap().setup(&config()).unwrap());
    let long = "x".repeat(128);
    let script = format!(
        "add element inet portcullis sshd-v4 {{ 192.0.2.5 timeout 1h comment \"gate-3\", 192.0.2.6 }}
         add element inet portcullis sshd-v6 {{ 2001:db8::5 comment \"{long}\" }}
         add element inet portcullis dns-v6 {{ 2001:db8:2::/64 timeout 1d comment \"gate 4: é\" }}"
    );
    ns.sh(&["nft", &script]);
    let read = ns.run(|| our_comments(&mut Nft::open().unwrap()));
    assert_eq!(
        read,
        expected(&[
            ("192.0.2.5", Some("gate-3")),
            ("192.0.2.6", None),
            ("2001:db8::5", Some(&long)),
            ("2001:db8:2::/64", Some("gate 4: é")),
        ])
    );
}

/// On kernels before 6.12 a re-ban replaces the element, comment included;
/// the modes for them are forced here (this kernel may be newer).
#[test]
fn a_reban_replacing_the_element_writes_its_comment() {
    let Some(ns) = NetNs::new("comment-reban") else {
        return;
    };
    for (i, mode) in [RemovalMode::Destroy, RemovalMode::DeletePresent]
        .into_iter()
        .enumerate()
    {
        let addr = format!("192.0.2.{}", 10 + i);
        ns.run(|| {
            let mut nft = Nft::open().unwrap();
            nft.setup(&config()).unwrap();
            nft.set_removal_mode(mode);
            nft.ban(&[ban("sshd", &addr, Some("gate-1"))]).unwrap();
            nft.ban(&[ban("sshd", &addr, Some("gate-2"))]).unwrap();
        });
        let listed = nft_comments(&ns, "sshd-v4");
        assert_eq!(listed[&addr].as_deref(), Some("gate-2"), "{mode:?}");
    }
}

#[test]
fn portcullis_list_shows_the_origin() {
    let Some(ns) = NetNs::new("comment-list") else {
        return;
    };
    ns.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.setup(&config()).unwrap();
        nft.ban(&[
            ban("sshd", "192.0.2.1", Some("gate-1")),
            ban("sshd", "192.0.2.2", None),
        ])
        .unwrap();
    });
    let bin = portcullis_bin();
    let text = ns.sh(&[bin.to_str().unwrap(), "list", "sshd"]);
    let line = |addr: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(addr))
            .unwrap_or_else(|| panic!("{addr} not in {text}"))
            .to_string()
    };
    assert!(text.contains("TIME LEFT  ORIGIN"), "{text}");
    assert!(line("192.0.2.1").ends_with("  gate-1"), "{text}");
    assert!(line("192.0.2.2").ends_with("  -"), "{text}");
    let json = ns.sh(&[bin.to_str().unwrap(), "list", "sshd", "--json"]);
    let items: Value = serde_json::from_str(&json).unwrap();
    let origins: Vec<&Value> = (items.as_array().unwrap().iter())
        .map(|i| &i["origin"])
        .collect();
    assert_eq!(origins.len(), 2);
    assert!(origins.contains(&&Value::from("gate-1")), "{json}");
    assert!(origins.contains(&&Value::Null), "{json}");
}
