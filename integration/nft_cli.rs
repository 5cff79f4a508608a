//! `portcullis list`, the real binary inside a namespace.

use std::time::Duration;

use portcullis::nft::{Ban, JailSpec, Nft, NftConfig};
use serde_json::Value;

use crate::common::{NetNs, portcullis_bin, skip};

fn list(ns: &NetNs, args: &[&str]) -> std::process::Output {
    let bin = portcullis_bin();
    let mut all = vec![bin.to_str().unwrap(), "list"];
    all.extend_from_slice(args);
    ns.exec(&all)
}

/// stderr with miette's line wrapping undone.
fn stderr_text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).replace("\n  │ ", " ")
}

fn ban(jail: &str, addr: &str, secs: Option<u64>) -> Ban {
    Ban {
        jail: jail.into(),
        addr: addr.parse().unwrap(),
        timeout: secs.map(Duration::from_secs),
        comment: None,
    }
}

#[test]
fn list_prints_jails_soonest_expiry_first_and_json() {
    let Some(ns) = NetNs::new("cli-list") else {
        return;
    };
    let mut config = NftConfig {
        jails: vec![
            JailSpec::tcp("sshd", &[22]),
            JailSpec::tcp("nginx-http-auth", &[80, 443]),
            JailSpec::tcp("postfix", &[25]),
        ],
        ..NftConfig::default()
    };
    config.table = "pcx".into();
    ns.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.setup(&config).unwrap();
        nft.ban(&[
            ban("sshd", "192.0.2.1", Some(3600)),
            ban("sshd", "2001:db8::5", Some(60)),
            ban("sshd", "192.0.2.2", None),
            ban("nginx-http-auth", "198.51.100.9", Some(600)),
        ])
        .unwrap();
    });

    let out = list(&ns, &["--table", "pcx"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let addresses: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        addresses,
        [
            "ADDRESS",
            "198.51.100.9",
            "ADDRESS",
            "2001:db8::5",
            "192.0.2.1",
            "192.0.2.2"
        ],
        "{text}"
    );
    assert!(text.starts_with("nginx-http-auth: 1 banned\n"), "{text}");
    assert!(
        text.contains("\npostfix: 0 banned\nsshd: 3 banned\n"),
        "{text}"
    );
    assert!(text.contains("permanent"), "{text}");
    assert!(text.ends_with("total: 4 banned in 3 jails\n"), "{text}");

    let out = list(&ns, &["ghost", "--table", "pcx"]);
    assert!(!out.status.success());
    let stderr = stderr_text(&out);
    assert!(
        stderr.contains(
            "no jail ghost in table inet pcx (its jails: nginx-http-auth, postfix, sshd)"
        ),
        "{stderr}"
    );

    let out = list(&ns, &["sshd", "--json", "--table", "pcx"]);
    assert!(out.status.success());
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["jail"], "sshd");
    assert_eq!(items[0]["address"], "2001:db8::5");
    assert_eq!(items[0]["timeout_ms"], 60_000);
    assert!(items[0]["expires_ms"].as_u64().unwrap() <= 60_000);
    assert_eq!(
        items[2],
        serde_json::json!({"jail": "sshd", "address": "192.0.2.2", "timeout_ms": null, "expires_ms": null})
    );
}

#[test]
fn list_without_a_table_says_so_and_succeeds() {
    let Some(ns) = NetNs::new("cli-empty") else {
        return;
    };
    let out = list(&ns, &[]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "no table inet portcullis: nothing is banned (is the daemon running?)\n"
    );
    let out = list(&ns, &["--json"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[]\n");
}

#[test]
fn list_without_privilege_asks_for_cap_net_admin() {
    let Some(ns) = NetNs::new("cli-unprivileged") else {
        return;
    };
    let bin = portcullis_bin();
    let args = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
    ];
    let mut all = args.to_vec();
    all.extend([bin.to_str().unwrap(), "list"]);
    let out = ns.exec(&all);
    let stderr = stderr_text(&out);
    if stderr.contains("setpriv") && !stderr.contains("CAP_NET_ADMIN") {
        skip(&format!(
            "SKIP list_without_privilege_asks_for_cap_net_admin: setpriv unavailable: {stderr}"
        ));
        return;
    }
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "cannot list the sets of table inet portcullis: operation not permitted (CAP_NET_ADMIN is needed)"
        ),
        "{stderr}"
    );
}
