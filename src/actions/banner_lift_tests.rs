//! The [`Banner`]'s decisions on lifting bans at fixed times: expiries,
//! unbans, the host's own addresses.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::tests::{HOUR, MIN, T0, ban, banner, ip, manual};
use super::*;
use crate::time::BanTime;

#[test]
fn expiries_are_logged_counted_and_notified_but_keep_their_records() {
    let (mut b, metrics) = banner();
    ban(
        &mut b,
        vec![manual("sshd", "192.0.2.1", BanTime::For(MIN))],
        T0,
    );
    b.take_records();
    assert_eq!(
        b.expire(T0.after(Duration::from_secs(59))),
        Effects::default()
    );
    let at = T0.after(MIN);
    let effects = b.expire(at);
    assert_eq!(effects.notices, ["[sshd] Unban 192.0.2.1"]);
    assert!(effects.removed.is_empty(), "the history keeps expired bans");
    assert_eq!(effects.notify[0].event, Event::Unban);
    assert_eq!(effects.notify[0].time, at.as_secs() as u64);
    let sshd = metrics.jail("sshd");
    assert_eq!(sshd.unbans.load(Ordering::Relaxed), 1);
    assert_eq!(sshd.active.load(Ordering::Relaxed), 0);
}

#[test]
fn an_unban_removes_one_element_per_network_and_every_record() {
    let (mut b, metrics) = banner();
    ban(
        &mut b,
        vec![
            manual("web", "2001:db8::1", BanTime::For(HOUR)),
            manual("web", "2001:db8::2", BanTime::For(HOUR)),
            manual("sshd", "2001:db8::1", BanTime::For(HOUR)),
        ],
        T0,
    );
    let unban = |jail: &str, addr: &str| nft::Unban {
        jail: jail.into(),
        addr: ip(addr),
    };
    let targets = vec![
        unban("web", "2001:db8::1"),
        unban("web", "2001:db8::2"),
        unban("sshd", "2001:db8::1"),
    ];
    assert_eq!(
        b.distinct(&targets),
        [unban("web", "2001:db8::1"), unban("sshd", "2001:db8::1")]
    );
    let effects = b.unbanned(targets, T0);
    assert_eq!(
        effects.notices,
        [
            "[web] Unban 2001:db8::1",
            "[web] Unban 2001:db8::2",
            "[sshd] Unban 2001:db8::1"
        ]
    );
    assert_eq!(effects.removed.len(), 3);
    assert_eq!(effects.notify.len(), 3);
    assert_eq!(metrics.jail("web").active.load(Ordering::Relaxed), 0);
    assert!(b.rebuild_bans(&[], T0).is_empty());
}

#[test]
fn the_hosts_own_addresses_lift_bans_of_their_network() {
    let (mut b, _) = banner();
    ban(
        &mut b,
        vec![
            manual("web", "2001:db8::1", BanTime::For(HOUR)),
            manual("sshd", "2001:db8::1", BanTime::For(HOUR)),
            manual("sshd", "192.0.2.1", BanTime::For(HOUR)),
        ],
        T0,
    );
    let own = [ip("2001:db8::99"), ip("192.0.2.1")];
    let lifted = b.own_bans(&["web".into(), "sshd".into()], &own);
    let lifted: Vec<(String, IpAddr)> = lifted.into_iter().map(|u| (u.jail, u.addr)).collect();
    assert_eq!(
        lifted,
        [
            ("sshd".to_string(), ip("192.0.2.1")),
            ("web".to_string(), ip("2001:db8::1")),
        ]
    );
    assert!(b.own_bans(&["web".into()], &[ip("2001:db9::1")]).is_empty());
}

#[test]
fn the_fleet_hears_of_bans_and_unbans_with_their_provenance() {
    use crate::cluster::{Expiry, Kind, Provenance};
    let (mut b, _) = banner();
    let mut remote = manual("sshd", "192.0.2.2", BanTime::For(MIN));
    remote.provenance = Provenance::Remote {
        origin: "gate-2".into(),
    };
    let local = manual("sshd", "192.0.2.1", BanTime::For(HOUR));
    let batch = b.plan(vec![local, remote.clone()], T0).unwrap();
    let effects = b.banned(batch, T0);
    let seen: Vec<_> = (effects.applied.iter())
        .map(|a| (a.provenance.clone(), a.network.addr, a.kind, a.expires))
        .collect();
    let end = |d: Duration| Expiry::At(T0.after(d).as_millis());
    assert_eq!(
        seen,
        [
            (Provenance::Local, ip("192.0.2.1"), Kind::Ban, end(HOUR)),
            (
                remote.provenance.clone(),
                ip("192.0.2.2"),
                Kind::Ban,
                end(MIN)
            ),
        ]
    );
    assert_eq!(b.origin("sshd", ip("192.0.2.2")), Some("gate-2"));
    assert_eq!(b.origin("sshd", ip("192.0.2.1")), None);
    // A remote ban never replaces a running one, local or remote.
    let mut again = remote.clone();
    again.addr = ip("192.0.2.1");
    assert_eq!(b.plan(vec![again, remote], T0), None);
    // An unban carries the end of the ban it lifted.
    let lift = vec![nft::Unban {
        jail: "sshd".into(),
        addr: ip("192.0.2.1"),
    }];
    let effects = b.unbanned(lift, T0);
    assert_eq!(effects.applied[0].kind, Kind::Unban);
    assert_eq!(effects.applied[0].expires, end(HOUR));
    // The remote ban's expiry forgets its origin and is not published.
    let effects = b.expire(T0.after(MIN));
    assert!(effects.applied.is_empty());
    assert_eq!(b.origin("sshd", ip("192.0.2.2")), None);
}
