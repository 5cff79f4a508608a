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
        addr: ip(addr).into(),
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
    let lifted: Vec<(String, IpAddr)> = (lifted.into_iter())
        .map(|u| (u.jail, u.addr.addr))
        .collect();
    assert_eq!(
        lifted,
        [
            ("sshd".to_string(), ip("192.0.2.1")),
            ("web".to_string(), ip("2001:db8::1")),
        ]
    );
    assert!(b.own_bans(&["web".into()], &[ip("2001:db9::1")]).is_empty());
}
