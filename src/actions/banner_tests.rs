//! The [`Banner`]'s decisions at fixed times, without a kernel: the ban
//! path, rebuilds and repairs (lifting bans: `banner_lift_tests.rs`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::*;
use crate::nft::{JailSpec, Network};
use crate::time::BanTime;

pub(super) const T0: UnixMs = UnixMs(1_800_000_000_000);
pub(super) const HOUR: Duration = Duration::from_secs(3600);
pub(super) const MIN: Duration = Duration::from_secs(60);

pub(super) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn config() -> NftConfig {
    let mut web = JailSpec::tcp("web", &[80]);
    web.v6_prefix = Some(64);
    NftConfig {
        jails: vec![JailSpec::tcp("sshd", &[22]), web],
        ..NftConfig::default()
    }
}

pub(super) fn banner() -> (Banner, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::default());
    (Banner::new(config(), metrics.clone()), metrics)
}

/// A ticket from a log line read at `read_at` (none: a manual ban).
fn ticket(jail: &str, addr: &str, bantime: BanTime, read_at: Option<Instant>) -> BanTicket {
    BanTicket {
        jail: jail.into(),
        addr: ip(addr),
        bantime,
        failures: 3,
        read_at,
        provenance: crate::cluster::Provenance::Local,
    }
}

/// A manual ban (no log line behind it).
pub(super) fn manual(jail: &str, addr: &str, bantime: BanTime) -> BanTicket {
    ticket(jail, addr, bantime, None)
}

/// Plans, acknowledges and books `tickets` at `now`.
pub(super) fn ban(b: &mut Banner, tickets: Vec<BanTicket>, now: UnixMs) {
    let batch = b.plan(tickets, now).expect("something to ban");
    b.acknowledged(&batch, Instant::now());
    b.banned(batch, now);
}

fn sorted(mut bans: Vec<nft::Ban>) -> Vec<nft::Ban> {
    bans.sort_by_key(|b| (b.jail.clone(), b.addr));
    bans
}

fn nft_ban(jail: &str, addr: &str, timeout: Option<Duration>) -> nft::Ban {
    nft::Ban {
        jail: jail.into(),
        addr: ip(addr),
        timeout,
        comment: None,
    }
}

#[test]
fn a_batch_goes_to_the_kernel_with_each_tickets_timeout() {
    let (b, _) = banner();
    let tickets = vec![
        ticket(
            "sshd",
            "192.0.2.1",
            BanTime::For(HOUR),
            Some(Instant::now()),
        ),
        manual("web", "2001:db8::1", BanTime::Permanent),
    ];
    let batch = b.plan(tickets.clone(), T0).unwrap();
    assert_eq!(batch.tickets, tickets);
    assert_eq!(
        batch.bans,
        vec![
            nft_ban("sshd", "192.0.2.1", Some(HOUR)),
            nft_ban("web", "2001:db8::1", None),
        ]
    );
    assert_eq!(b.plan(Vec::new(), T0), None);
}

#[test]
fn a_line_read_again_adds_nothing_but_a_manual_ban_goes_through() {
    let (mut b, _) = banner();
    let read = Some(Instant::now());
    ban(
        &mut b,
        vec![ticket("sshd", "192.0.2.1", BanTime::For(HOUR), read)],
        T0,
    );
    let again = ticket("sshd", "192.0.2.1", BanTime::For(HOUR), read);
    assert_eq!(b.plan(vec![again.clone()], T0.after(MIN)), None);
    // Once the ban ran out, the same line bans again.
    assert!(b.plan(vec![again], T0.after(HOUR)).is_some());
    let manual = manual("sshd", "192.0.2.1", BanTime::For(MIN));
    assert_eq!(
        b.plan(vec![manual], T0.after(MIN)).unwrap().tickets.len(),
        1
    );
    // The same address in another jail is another ban.
    let other = ticket("web", "192.0.2.1", BanTime::For(HOUR), read);
    assert!(b.plan(vec![other], T0.after(MIN)).is_some());
}

#[test]
fn the_kernels_ack_logs_and_counts_first_then_books_notifies_and_records() {
    let (mut b, metrics) = banner();
    let read = Instant::now();
    let batch = b
        .plan(
            vec![
                ticket("sshd", "192.0.2.1", BanTime::For(HOUR), Some(read)),
                manual("sshd", "192.0.2.2", BanTime::Permanent),
            ],
            T0,
        )
        .unwrap();
    let notices = b.acknowledged(&batch, read + Duration::from_micros(300));
    let lines: Vec<&str> = notices.lines().collect();
    assert_eq!(lines, ["[sshd] Ban 192.0.2.1", "[sshd] Ban 192.0.2.2"]);
    let sshd = metrics.jail("sshd");
    assert_eq!(sshd.bans.load(Ordering::Relaxed), 2);
    let (buckets, sum) = metrics.ban_latency.snapshot();
    assert_eq!(
        buckets.last(),
        Some(&1),
        "one latency: the manual ban has none"
    );
    assert!((sum - 0.0003).abs() < 1e-9);
    assert_eq!(
        sshd.active.load(Ordering::Relaxed),
        2,
        "the gauge follows the ack"
    );
    let notify = b.banned(batch, T0).notify;
    assert_eq!(sshd.active.load(Ordering::Relaxed), 2);
    assert_eq!(
        notify[0],
        Notify {
            event: Event::Ban,
            jail: "sshd".into(),
            addr: ip("192.0.2.1"),
            ban: Some((BanTime::For(HOUR), 3)),
            time: T0.as_secs() as u64,
        }
    );
    assert_eq!(notify[1].ban, Some((BanTime::Permanent, 3)));
    let records = b.take_records();
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0].record,
        BanRecord {
            start: T0,
            duration: Some(Duration::from_secs(3600)),
        }
    );
    assert_eq!(records[1].record.duration, None);
    assert!(b.take_records().is_empty(), "each record goes once");
    // A re-ban is recorded again, with its own start and length.
    let later = T0.after(MIN);
    ban(
        &mut b,
        vec![manual("sshd", "192.0.2.1", BanTime::For(MIN))],
        later,
    );
    let again = b.take_records();
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].record,
        BanRecord {
            start: later,
            duration: Some(MIN),
        }
    );
}

#[test]
fn a_re_ban_prolongs_or_shortens_to_its_own_time() {
    let (mut b, _) = banner();
    let addr = "192.0.2.9";
    ban(
        &mut b,
        vec![ticket("sshd", addr, BanTime::For(MIN), None)],
        T0,
    );
    // Prolonged: an hour from the re-ban, not from the first ban.
    let later = T0.after(Duration::from_secs(30));
    ban(
        &mut b,
        vec![ticket("sshd", addr, BanTime::For(HOUR), None)],
        later,
    );
    let at = T0.after(MIN);
    let left = HOUR - Duration::from_secs(30);
    assert_eq!(b.rebuild_bans(&[], at), [nft_ban("sshd", addr, Some(left))]);
    assert!(b.expire(at).notices.is_empty());
    // Shortened: a minute from this re-ban.
    ban(
        &mut b,
        vec![ticket("sshd", addr, BanTime::For(MIN), None)],
        at,
    );
    let expired = b.expire(at.after(MIN));
    assert_eq!(expired.notices, ["[sshd] Unban 192.0.2.9"]);
    assert!(b.rebuild_bans(&[], at.after(MIN)).is_empty());
}

#[test]
fn a_rebuild_puts_back_every_running_ban_with_its_time_left_and_the_batch() {
    let (mut b, _) = banner();
    ban(
        &mut b,
        vec![
            manual("sshd", "192.0.2.1", BanTime::For(HOUR)),
            manual("sshd", "192.0.2.2", BanTime::For(MIN)),
            manual("web", "2001:db8::7", BanTime::Permanent),
        ],
        T0,
    );
    let extra = [nft_ban("sshd", "192.0.2.3", Some(HOUR))];
    let at = T0.after(Duration::from_secs(600));
    assert_eq!(
        sorted(b.rebuild_bans(&extra, at)),
        vec![
            nft_ban("sshd", "192.0.2.1", Some(Duration::from_secs(3000))),
            nft_ban("sshd", "192.0.2.3", Some(HOUR)),
            nft_ban("web", "2001:db8::7", None),
        ]
    );
}

#[test]
fn a_repair_is_skipped_when_our_rebuild_came_after_the_damage() {
    let (mut b, _) = banner();
    assert!(!b.undone(Some(10)), "no rebuild yet");
    b.rebuilt(Some(12));
    assert!(b.undone(Some(11)));
    assert!(
        !b.undone(Some(12)),
        "the damage is our rebuild's own generation or later"
    );
    assert!(!b.undone(Some(13)));
    assert!(!b.undone(None), "unknown damage is repaired");
    // Generations wrap around.
    b.rebuilt(Some(2));
    assert!(b.undone(Some(u32::MAX - 1)));
    b.rebuilt(None);
    assert!(
        !b.undone(Some(1)),
        "a rebuild of unknown generation proves nothing"
    );
}

fn element(jail: &str, network: Network) -> Element {
    Element {
        jail: jail.into(),
        network,
        timeout: None,
        expires: None,
        comment: None,
    }
}

#[test]
fn a_table_is_intact_when_it_holds_every_ban_with_more_than_a_second_left() {
    let (mut b, _) = banner();
    ban(
        &mut b,
        vec![
            manual("sshd", "192.0.2.1", BanTime::For(HOUR)),
            ticket(
                "sshd",
                "192.0.2.2",
                BanTime::For(Duration::from_secs(2)),
                None,
            ),
            manual("web", "2001:db8::1", BanTime::For(HOUR)),
        ],
        T0,
    );
    let v4 = |a| element("sshd", Network::host(ip(a)));
    let net = element("web", Network::new(ip("2001:db8::"), 64));
    let all = [v4("192.0.2.1"), v4("192.0.2.2"), net.clone()];
    assert!(b.intact(Some(&all), T0));
    assert!(!b.intact(None, T0), "no table");
    let without_short = [v4("192.0.2.1"), net.clone()];
    assert!(!b.intact(Some(&without_short), T0));
    // With a second or less left, the kernel may have expired it first.
    assert!(b.intact(Some(&without_short), T0.after(Duration::from_secs(1))));
    let host_not_network = [
        v4("192.0.2.1"),
        element("web", Network::host(ip("2001:db8::1"))),
    ];
    assert!(!b.intact(Some(&host_not_network), T0.after(Duration::from_secs(1))));
}

#[test]
fn the_restore_loads_running_bans_of_configured_jails_only() {
    let (mut b, metrics) = banner();
    let stored = |jail: &str, addr: &str, start: UnixMs, duration_ms: Option<u64>| StoredBan {
        jail: jail.into(),
        addr: ip(addr),
        record: BanRecord {
            start,
            duration: duration_ms.map(Duration::from_millis),
        },
    };
    let ten_min_ago = UnixMs(T0.as_millis() - 600_000);
    b.restore(
        &[
            stored("sshd", "192.0.2.1", ten_min_ago, Some(3_600_000)),
            stored("sshd", "192.0.2.2", ten_min_ago, Some(60_000)),
            stored("gone", "192.0.2.3", ten_min_ago, Some(3_600_000)),
            stored("web", "192.0.2.4", ten_min_ago, None),
        ],
        T0,
    );
    assert_eq!(
        sorted(b.rebuild_bans(&[], T0)),
        vec![
            nft_ban("sshd", "192.0.2.1", Some(Duration::from_secs(3000))),
            nft_ban("web", "192.0.2.4", None),
        ]
    );
    let active = || metrics.jail("sshd").active.load(Ordering::Relaxed);
    assert_eq!(active(), 0, "not in the kernel yet");
    b.rebuilt(None);
    assert_eq!(active(), 1);
}

#[test]
fn a_reload_forgets_the_bans_of_removed_jails() {
    let (mut b, metrics) = banner();
    ban(
        &mut b,
        vec![
            manual("sshd", "192.0.2.1", BanTime::For(HOUR)),
            manual("web", "192.0.2.2", BanTime::For(HOUR)),
        ],
        T0,
    );
    b.setup(NftConfig {
        jails: vec![JailSpec::tcp("sshd", &[2222])],
        ..NftConfig::default()
    });
    assert_eq!(b.config().jails[0].name, "sshd");
    assert_eq!(
        b.rebuild_bans(&[], T0),
        [nft_ban("sshd", "192.0.2.1", Some(HOUR))]
    );
    assert_eq!(metrics.jail("web").active.load(Ordering::Relaxed), 0);
}

#[test]
fn the_ack_counts_each_jail_of_a_mixed_batch_and_re_bans_once_in_the_gauge() {
    let (mut b, metrics) = banner();
    ban(
        &mut b,
        vec![manual("sshd", "192.0.2.1", BanTime::For(HOUR))],
        T0,
    );
    let batch = b
        .plan(
            vec![
                manual("sshd", "192.0.2.1", BanTime::For(MIN)),
                manual("web", "192.0.2.1", BanTime::For(MIN)),
                manual("sshd", "192.0.2.2", BanTime::For(MIN)),
            ],
            T0,
        )
        .unwrap();
    b.acknowledged(&batch, Instant::now());
    let (sshd, web) = (metrics.jail("sshd"), metrics.jail("web"));
    assert_eq!(sshd.bans.load(Ordering::Relaxed), 3);
    assert_eq!(
        sshd.active.load(Ordering::Relaxed),
        2,
        "192.0.2.1 was banned"
    );
    assert_eq!(web.bans.load(Ordering::Relaxed), 1);
    assert_eq!(web.active.load(Ordering::Relaxed), 1);
    b.banned(batch, T0);
    assert_eq!(sshd.active.load(Ordering::Relaxed), 2);
}
