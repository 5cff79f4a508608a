//! The [`Banner`] keeps a fleet ban's origin: written as the element's
//! comment, recorded, put back by a rebuild and a restore, and read by the
//! remote unban's check ([`Banner::origin`]).

use std::time::Duration;

use super::tests::{HOUR, MIN, T0, ban, banner, ip, manual};
use super::*;
use crate::cluster::Provenance;
use crate::time::BanTime;

fn remote(jail: &str, addr: &str, origin: &str) -> BanTicket {
    let mut t = manual(jail, addr, BanTime::For(HOUR));
    t.provenance = Provenance::Remote {
        origin: origin.into(),
    };
    t
}

fn comments(bans: &[nft::Ban]) -> Vec<(Network, Option<&str>)> {
    let mut out: Vec<_> = (bans.iter())
        .map(|b| (b.addr, b.comment.as_ref().map(|c| c.as_str())))
        .collect();
    out.sort();
    out
}

fn net(s: &str) -> Network {
    ip(s).into()
}

#[test]
fn a_remote_ban_carries_its_origin_to_the_kernel_the_record_and_a_rebuild() {
    let (mut b, _) = banner();
    let local = manual("sshd", "192.0.2.1", BanTime::For(HOUR));
    let batch = b
        .plan(vec![local, remote("sshd", "192.0.2.2", "gate-2")], T0)
        .unwrap();
    let expected = [(net("192.0.2.1"), None), (net("192.0.2.2"), Some("gate-2"))];
    assert_eq!(comments(&batch.bans), expected);
    b.banned(batch, T0);
    let records: Vec<(Network, Option<String>)> = (b.take_records().into_iter())
        .map(|s| (s.addr, s.record.origin))
        .collect();
    assert_eq!(
        records,
        [
            (net("192.0.2.1"), None),
            (net("192.0.2.2"), Some("gate-2".into()))
        ]
    );
    assert_eq!(b.origin("sshd", net("192.0.2.2")), Some("gate-2"));
    assert_eq!(comments(&b.rebuild_bans(&[], T0.after(MIN))), expected);
}

#[test]
fn a_local_reban_makes_a_remote_ban_this_nodes() {
    let (mut b, _) = banner();
    ban(&mut b, vec![remote("sshd", "192.0.2.2", "gate-2")], T0);
    // Longer: a re-ban never shortens, and one that changes nothing
    // leaves the ban as it was.
    ban(
        &mut b,
        vec![manual("sshd", "192.0.2.2", BanTime::For(2 * HOUR))],
        T0,
    );
    assert_eq!(b.origin("sshd", net("192.0.2.2")), None);
    assert_eq!(
        comments(&b.rebuild_bans(&[], T0)),
        [(net("192.0.2.2"), None)]
    );
}

#[test]
fn a_restored_record_keeps_its_origin() {
    let (mut b, _) = banner();
    let stored = |addr: &str, origin: Option<&str>| StoredBan {
        jail: "sshd".into(),
        addr: net(addr),
        record: BanRecord {
            start: T0,
            duration: Some(HOUR),
            origin: origin.map(str::to_string),
        },
    };
    b.restore(
        &[
            stored("192.0.2.1", None),
            stored("192.0.2.3", Some("gate-3")),
        ],
        T0.after(Duration::from_secs(1)),
    );
    assert_eq!(b.origin("sshd", net("192.0.2.3")), Some("gate-3"));
    assert_eq!(b.origin("sshd", net("192.0.2.1")), None);
    assert_eq!(
        comments(&b.rebuild_bans(&[], T0.after(MIN))),
        [(net("192.0.2.1"), None), (net("192.0.2.3"), Some("gate-3"))]
    );
}
