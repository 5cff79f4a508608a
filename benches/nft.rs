//! nftables throughput, against the real kernel in a throwaway network
//! namespace (this process unshares one; the host's ruleset is untouched).
//!
//!     sudo cargo bench --bench nft
//!
//! Prints the figures quoted in the README. Needs root (CAP_NET_ADMIN,
//! CAP_SYS_ADMIN); otherwise says so and exits successfully.

use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use portcullis::nft::{Ban, JailSpec, Nft, NftConfig};

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` does not and
    // gets a quick smoke run with a hundredth of the counts.
    let scale = if std::env::args().any(|a| a == "--bench") {
        1
    } else {
        100
    };
    // SAFETY: geteuid and unshare have no memory-safety preconditions; the
    // new namespace applies to this (only) thread and its children.
    if unsafe { libc::geteuid() } != 0 || unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        eprintln!("SKIP nft bench: needs root to unshare a network namespace");
        return;
    }
    let config = NftConfig {
        jails: vec![JailSpec::tcp("sshd", &[22])],
        ..NftConfig::default()
    };
    let mut nft = Nft::open().expect("netlink socket");
    nft.setup(&config).unwrap();
    big_table(&mut nft, &config, 100_000 / scale);
    // Setup keeps existing bans; start the next phases from empty sets.
    for phase in [sustained_batches, one_ban_per_transaction] {
        nft.teardown().unwrap();
        nft.setup(&config).unwrap();
        phase(&mut nft, scale);
    }
    nft.teardown().unwrap();
}

/// One big transaction, then reading it back three ways.
fn big_table(nft: &mut Nft, config: &NftConfig, big: u32) {
    let bans = v4_bans(big);
    let t = Instant::now();
    nft.ban(&bans).unwrap();
    report(
        &format!("{big} IPv4 bans with timeouts, one transaction"),
        t.elapsed(),
        big,
        "target <= 0.3 s",
    );

    let t = Instant::now();
    let listed = nft.list("portcullis", None).unwrap().unwrap();
    assert_eq!(listed.len(), big as usize);
    report(
        &format!("dump of {big} elements"),
        t.elapsed(),
        big,
        "target <= 0.5 s",
    );

    let t = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("list")
        .stdout(Stdio::null())
        .status()
        .expect("run portcullis list");
    assert!(status.success());
    report(
        &format!("`portcullis list` printing {big} bans"),
        t.elapsed(),
        big,
        "target <= 1 s",
    );

    let t = Instant::now();
    nft.setup(config).unwrap();
    report(
        &format!("re-setup carrying {big} bans (a reload)"),
        t.elapsed(),
        big,
        "no target",
    );
}

fn sustained_batches(nft: &mut Nft, scale: u32) {
    let total = 300_000 / scale;
    let all = v4_bans(total);
    let t = Instant::now();
    for chunk in all.chunks(1000) {
        nft.ban(chunk).unwrap();
    }
    report(
        "sustained batches of 1,000 bans",
        t.elapsed(),
        total,
        "target >= 500,000 bans/s",
    );
}

fn one_ban_per_transaction(nft: &mut Nft, scale: u32) {
    let total = 20_000 / scale;
    let all = v4_bans(total);
    let t = Instant::now();
    for one in all.chunks(1) {
        nft.ban(one).unwrap();
    }
    report(
        "one ban per transaction, kept socket",
        t.elapsed(),
        total,
        "target >= 40,000 bans/s",
    );
}

fn v4_bans(count: u32) -> Vec<Ban> {
    (0..count)
        .map(|i| Ban {
            jail: "sshd".into(),
            addr: IpAddr::from((0x0a00_0000u32 + i).to_be_bytes()),
            timeout: Some(Duration::from_secs(3600 + u64::from(i % 600))),
            comment: None,
        })
        .collect()
}

fn report(what: &str, took: Duration, count: u32, target: &str) {
    let rate = f64::from(count) / took.as_secs_f64();
    println!(
        "{what:<48} {:>9.3} s {:>12.0} /s   ({target})",
        took.as_secs_f64(),
        rate
    );
}
