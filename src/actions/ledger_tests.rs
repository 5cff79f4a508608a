//! Unit tests of [`super::Ledger`].

use super::*;

fn ip(s: &str) -> Network {
    s.parse().unwrap()
}

fn at(ms: u64) -> Option<UnixMs> {
    Some(UnixMs(ms))
}

#[test]
fn expiry_order_rebans_and_unbans() {
    let mut l = Ledger::default();
    l.ban("sshd", ip("192.0.2.1"), at(1000));
    l.ban("sshd", ip("192.0.2.2"), at(500));
    l.ban("web", ip("192.0.2.1"), None);
    l.ban("sshd", ip("192.0.2.1"), at(3000));
    assert_eq!(
        l.expired(UnixMs(1000)),
        vec![("sshd".to_string(), ip("192.0.2.2"))]
    );
    assert_eq!(l.count("sshd"), 1);
    assert!(l.unban("sshd", ip("192.0.2.1")));
    assert!(!l.unban("sshd", ip("192.0.2.1")));
    assert!(l.expired(UnixMs(u64::MAX)).is_empty());
    assert_eq!(l.bans(None), vec![("web".to_string(), ip("192.0.2.1"))]);
    assert!(l.is_banned("web", ip("192.0.2.1"), UnixMs(u64::MAX)));
    assert!(!l.is_banned("sshd", ip("192.0.2.2"), UnixMs(0)));
    l.ban("sshd", ip("192.0.2.3"), at(2000));
    assert!(l.is_banned("sshd", ip("192.0.2.3"), UnixMs(1999)));
    assert!(!l.is_banned("sshd", ip("192.0.2.3"), UnixMs(2000)));
    l.ban("sshd", ip("192.0.2.4"), at(900));
    let mut active = l.active(UnixMs(1000));
    active.sort();
    assert_eq!(
        active,
        vec![
            (
                "sshd".to_string(),
                ip("192.0.2.3"),
                Some(Duration::from_secs(1))
            ),
            ("web".to_string(), ip("192.0.2.1"), None),
        ]
    );
    l.unban("sshd", ip("192.0.2.3"));
    l.unban("sshd", ip("192.0.2.4"));
    l.retain_jails(&["sshd".to_string()]);
    assert!(l.bans(None).is_empty());
}

#[test]
fn an_unban_from_an_origin_lifts_only_that_origins_ban() {
    let mut l = Ledger::default();
    l.ban_from("sshd", ip("192.0.2.1"), at(1000), Some("gate-1"));
    l.ban_from("sshd", ip("192.0.2.2"), None, Some("gate-2"));
    l.ban("sshd", ip("192.0.2.3"), at(1000));
    assert_eq!(l.origin("sshd", ip("192.0.2.1")), Some("gate-1"));
    assert_eq!(l.origin("sshd", ip("192.0.2.3")), None);
    assert_eq!(l.origin("web", ip("192.0.2.1")), None);
    // Another node's unban, this node's, or another jail's: no.
    assert!(!l.unban_from("sshd", ip("192.0.2.1"), Some("gate-2")));
    assert!(!l.unban_from("sshd", ip("192.0.2.1"), None));
    assert!(!l.unban_from("web", ip("192.0.2.1"), Some("gate-1")));
    assert!(!l.unban_from("sshd", ip("192.0.2.3"), Some("gate-1")));
    assert_eq!(l.count("sshd"), 3);
    assert!(l.unban_from("sshd", ip("192.0.2.1"), Some("gate-1")));
    assert!(l.unban_from("sshd", ip("192.0.2.3"), None));
    // Its expiry went with it.
    assert!(l.expired(UnixMs(u64::MAX)).is_empty());
    // A local re-ban makes a remote ban this node's.
    l.ban("sshd", ip("192.0.2.2"), at(5000));
    assert!(!l.unban_from("sshd", ip("192.0.2.2"), Some("gate-2")));
    l.ban_from("sshd", ip("192.0.2.4"), None, Some("gate-2"));
    let mut active = l.active_from(UnixMs(0));
    active.sort();
    let origins: Vec<Option<&str>> = active.iter().map(|b| b.3.as_deref()).collect();
    assert_eq!(origins, [None, Some("gate-2")]);
}

#[test]
fn bans_holding_own_addresses_and_their_v6_networks() {
    let mut l = Ledger::default();
    for a in [
        "192.0.2.7",
        "192.0.2.8",
        "2001:db8::1",
        "2001:db8::2",
        "2001:db9::1",
    ] {
        l.ban("sshd", ip(a), None);
    }
    let own = [ip("192.0.2.7").addr, ip("2001:db8::99").addr];
    assert_eq!(l.holding("sshd", None, &own), vec![ip("192.0.2.7")]);
    assert_eq!(
        l.holding("sshd", Some(64), &own),
        vec![ip("192.0.2.7"), ip("2001:db8::1"), ip("2001:db8::2")]
    );
    assert!(l.holding("web", None, &own).is_empty());
}

#[test]
fn networks_cover_the_addresses_inside_them() {
    let mut l = Ledger::default();
    l.ban("sshd", ip("192.0.2.7"), at(1000));
    l.ban("sshd", ip("198.51.100.0/24"), at(5000));
    l.ban("sshd", ip("2001:db8::/32"), None);
    l.ban("web", ip("203.0.113.0/24"), None);
    let inside = ip("198.51.100.9");
    assert!(l.is_banned("sshd", inside, UnixMs(4999)));
    assert!(!l.is_banned("sshd", inside, UnixMs(5000)));
    assert_eq!(
        l.covering("sshd", inside, UnixMs(0)),
        Some((ip("198.51.100.0/24"), at(5000)))
    );
    assert_eq!(l.covering("sshd", ip("198.51.100.0/24"), UnixMs(0)), None);
    assert!(l.is_banned("sshd", ip("2001:db8:1::/48"), UnixMs(0)));
    assert!(!l.is_banned("sshd", ip("2001:db9::1"), UnixMs(0)));
    assert!(!l.is_banned("sshd", ip("203.0.113.1"), UnixMs(0)));
    assert_eq!(
        l.covered("sshd", ip("192.0.2.0/24")),
        vec![(ip("192.0.2.7"), at(1000))]
    );
    assert!(l.covered("sshd", ip("192.0.2.7")).is_empty());
    assert!(l.covered("sshd", ip("198.51.100.0/24")).is_empty());
    assert_eq!(
        l.holding("sshd", None, &[inside.addr]),
        vec![ip("198.51.100.0/24")]
    );
    assert!(l.unban("sshd", ip("198.51.100.0/24")));
    assert_eq!(l.covering("sshd", inside, UnixMs(0)), None);
    assert_eq!(l.expiry("sshd", ip("192.0.2.7")), Some(at(1000)));
    assert_eq!(l.expiry("sshd", ip("192.0.2.8")), None);
}
