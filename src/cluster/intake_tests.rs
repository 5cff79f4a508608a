use super::*;
use crate::cluster::decision::{Applied, Provenance, outgoing};
use crate::time::BanTime;
use proptest::prelude::*;

const NOW: UnixMs = UnixMs(1_764_892_800_000);

fn settings(node: &str) -> ClusterSettings {
    ClusterSettings::new(vec!["nats://h:4222".into()], node)
}

/// A decision of node `a` about `target` in `jail`, made at NOW.
fn made(jail: &str, target: &str, kind: Kind, bantime: BanTime) -> Decision {
    let applied = Applied {
        provenance: Provenance::Local,
        jail: jail.into(),
        network: parse_target(target).unwrap(),
        kind,
        expires: Expiry::of(NOW, bantime),
        failures: 3,
    };
    outgoing(&settings("a"), &applied, NOW).unwrap()
}

/// The subject and body of a ban of node `a`.
fn decision(jail: &str, target: &str, bantime: BanTime) -> (String, Vec<u8>) {
    let d = made(jail, target, Kind::Ban, bantime);
    (d.subject("portcullis").unwrap(), d.to_json())
}

const BLOCK_SUBJECT: &str = "portcullis.a.sshd.block-00000000000000ff";

fn block_body(decisions: &[Decision]) -> Vec<u8> {
    serde_json::to_vec(decisions).unwrap()
}

fn intake() -> Intake {
    Intake::new(&settings("b"), Rate::default())
}

const TEN_MIN: BanTime = BanTime::For(Duration::from_secs(600));

#[test]
fn a_remote_ban_is_taken_with_its_remaining_time() {
    let mut i = intake();
    let (subject, body) = decision("sshd", "203.0.113.7", TEN_MIN);
    let later = NOW.after(Duration::from_secs(100));
    let remote = i.admit(&subject, &body, later).unwrap();
    assert_eq!(remote.origin, "a");
    assert_eq!(remote.jail, "sshd");
    assert_eq!(remote.network.to_string(), "203.0.113.7");
    assert_eq!(remote.kind, Kind::Ban);
    assert_eq!(remote.remaining, Duration::from_secs(500));
    assert_eq!(remote.failures, 3);
    assert_eq!(i.received().get("a"), Some(&1));
}

#[test]
fn max_bantime_caps_long_and_permanent_bans() {
    let mut i = intake();
    let week = BanTime::For(Duration::from_secs(7 * 86_400));
    let (subject, body) = decision("sshd", "203.0.113.7", week);
    assert_eq!(
        i.admit(&subject, &body, NOW).unwrap().remaining,
        Duration::from_secs(86_400)
    );
    let (subject, body) = decision("sshd", "2001:db8::/64", BanTime::Permanent);
    assert_eq!(
        i.admit(&subject, &body, NOW).unwrap().remaining,
        Duration::from_secs(86_400)
    );
}

#[test]
fn each_rejection_has_its_reason_and_counter() {
    let (subject, body) = decision("sshd", "203.0.113.7", TEN_MIN);
    let text = String::from_utf8(body.clone()).unwrap();
    let cases: Vec<(String, String, Reject)> = vec![
        (
            subject.clone(),
            "x".repeat(MAX_PAYLOAD + 1),
            Reject::TooLarge,
        ),
        ("portcullis.a.sshd".into(), text.clone(), Reject::BadSubject),
        (
            "portcullis.a.sshd.203-0-113-7-".into(),
            text.clone(),
            Reject::BadSubject,
        ),
        (subject.clone(), "{not json".into(), Reject::Malformed),
        (subject.clone(), "null".into(), Reject::Malformed),
        (
            subject.replace(".a.", ".c."),
            text.clone(),
            Reject::OriginMismatch,
        ),
        (
            subject.replace("sshd", "nginx"),
            text.clone(),
            Reject::SubjectMismatch,
        ),
        (
            subject.replace("203-0-113-7", "203-0-113-8"),
            text.clone(),
            Reject::SubjectMismatch,
        ),
        (
            subject.replace(".a.", ".b."),
            text.replace("\"a\"", "\"b\""),
            Reject::OwnDecision,
        ),
    ];
    let mut i = intake();
    for (subject, body, reason) in &cases {
        assert_eq!(
            i.admit(subject, body.as_bytes(), NOW),
            Err(*reason),
            "{subject} {body}"
        );
    }
    // Expired: at its end and after.
    let end = NOW.after(Duration::from_secs(600));
    assert_eq!(i.admit(&subject, &body, end), Err(Reject::Expired));
    for reason in [Reject::TooLarge, Reject::Malformed, Reject::SubjectMismatch] {
        assert_eq!(
            i.dropped(reason),
            1 + u64::from(reason != Reject::TooLarge),
            "{reason:?}"
        );
    }
    assert_eq!(i.dropped(Reject::Expired), 1);
    assert!(i.received().is_empty());
}

#[test]
fn jails_not_accepted_are_dropped() {
    let mut s = settings("b");
    s.accept = Jails::only(["nginx"]);
    let mut i = Intake::new(&s, Rate::default());
    let (subject, body) = decision("sshd", "203.0.113.7", TEN_MIN);
    assert_eq!(i.admit(&subject, &body, NOW), Err(Reject::JailNotAccepted));
    let (subject, body) = decision("nginx", "203.0.113.7", TEN_MIN);
    assert!(i.admit(&subject, &body, NOW).is_ok());
}

#[test]
fn wide_and_special_targets_are_dropped() {
    let mut i = intake();
    for (target, reason) in [
        ("0.0.0.0/0", Reject::TooWide),
        ("::/0", Reject::TooWide),
        ("10.0.0.0/8", Reject::TooWide),
        ("2001:db8::/31", Reject::TooWide),
        ("0.0.0.0", Reject::Unbannable),
        ("127.0.0.1", Reject::Unbannable),
        ("::1", Reject::Unbannable),
        ("224.0.0.1", Reject::Unbannable),
        ("255.255.255.255", Reject::Unbannable),
        ("ff02::1", Reject::Unbannable),
    ] {
        let (subject, body) = decision("sshd", target, TEN_MIN);
        assert_eq!(i.admit(&subject, &body, NOW), Err(reason), "{target}");
    }
    for target in ["10.1.0.0/16", "2001:db8::/32"] {
        let (subject, body) = decision("sshd", target, TEN_MIN);
        assert!(i.admit(&subject, &body, NOW).is_ok(), "{target}");
    }
}

#[test]
fn a_flood_from_one_origin_is_limited_and_the_others_pass() {
    let rate = Rate {
        per_second: 1.0,
        burst: 100.0,
    };
    let mut i = Intake::new(&settings("b"), rate);
    let (subject, body) = decision("sshd", "203.0.113.7", TEN_MIN);
    let passed = (0..1_000)
        .filter(|_| i.admit(&subject, &body, NOW).is_ok())
        .count();
    assert_eq!(passed, 100);
    assert_eq!(i.dropped(Reject::RateLimited), 900);
    let other = subject.replace(".a.", ".c.");
    let body_c = String::from_utf8(body).unwrap().replace("\"a\"", "\"c\"");
    assert!(i.admit(&other, body_c.as_bytes(), NOW).is_ok());
}

#[test]
fn drops_are_logged_at_most_once_a_minute() {
    let mut i = intake();
    assert_eq!(i.drop_log(NOW), None);
    let (subject, _) = decision("sshd", "203.0.113.7", TEN_MIN);
    for _ in 0..3 {
        let _ = i.admit(&subject, b"garbage", NOW);
    }
    assert_eq!(
        i.drop_log(NOW).as_deref(),
        Some(
            "cluster: dropped 3 message(s) from the stream since the last report (totals: malformed 3)"
        )
    );
    let _ = i.admit(&subject, b"garbage", NOW);
    assert_eq!(i.drop_log(NOW.after(Duration::from_secs(59))), None);
    assert!(i.drop_log(NOW.after(Duration::from_secs(60))).is_some());
    assert_eq!(i.drop_log(NOW.after(Duration::from_secs(200))), None);
}

#[test]
fn metrics_name_every_reason() {
    let mut i = intake();
    let (subject, body) = decision("sshd", "203.0.113.7", TEN_MIN);
    i.admit(&subject, &body, NOW).unwrap();
    let _ = i.admit("portcullis.x", b"", NOW);
    let mut out = String::new();
    i.render_metrics(&mut out);
    assert!(out.contains("portcullis_cluster_dropped_total{reason=\"bad_subject\"} 1\n"));
    assert!(out.contains("portcullis_cluster_dropped_total{reason=\"expired\"} 0\n"));
    assert!(out.contains("portcullis_cluster_received_total{origin=\"a\"} 1\n"));
    assert_eq!(out.matches("dropped_total{").count(), Reject::ALL.len());
}

#[test]
fn origins_counted_by_name_are_bounded() {
    let mut i = intake();
    for n in 0..MAX_COUNTED_ORIGINS + 5 {
        i.count_received(&format!("n{n}"));
    }
    assert_eq!(i.received().len(), MAX_COUNTED_ORIGINS + 1);
    assert_eq!(i.received().get("other"), Some(&5));
}

#[test]
fn each_decision_of_a_block_is_checked_and_the_good_ones_kept_in_order() {
    let mut i = intake();
    let mut forged = made("sshd", "203.0.113.2", Kind::Ban, TEN_MIN);
    forged.origin = "c".into();
    let mut expired = made("sshd", "203.0.113.3", Kind::Ban, TEN_MIN);
    expired.expires = Expiry::At(NOW.as_millis());
    let mut bad_target = made("sshd", "203.0.113.4", Kind::Ban, TEN_MIN);
    bad_target.target = "203.0.113".into();
    let block = [
        made("sshd", "203.0.113.1", Kind::Ban, TEN_MIN),
        forged,
        made("nginx", "203.0.113.5", Kind::Ban, TEN_MIN),
        expired,
        bad_target,
        made("sshd", "127.0.0.1", Kind::Ban, TEN_MIN),
        made("sshd", "203.0.113.1", Kind::Unban, TEN_MIN),
    ];
    let mut out = Vec::new();
    i.admit_message(BLOCK_SUBJECT, &block_body(&block), NOW, &mut out);
    let kept: Vec<(String, Kind)> = (out.iter())
        .map(|r| (r.network.to_string(), r.kind))
        .collect();
    assert_eq!(
        kept,
        [
            ("203.0.113.1".to_string(), Kind::Ban),
            ("203.0.113.1".to_string(), Kind::Unban)
        ]
    );
    assert_eq!(i.received().get("a"), Some(&2));
    assert_eq!(i.dropped(Reject::OriginMismatch), 1);
    assert_eq!(i.dropped(Reject::SubjectMismatch), 2);
    assert_eq!(i.dropped(Reject::Expired), 1);
    assert_eq!(i.dropped(Reject::Unbannable), 1);
    // A single decision's message goes the same way.
    let (subject, body) = decision("sshd", "203.0.113.9", TEN_MIN);
    i.admit_message(&subject, &body, NOW, &mut out);
    assert_eq!(out.len(), 3);
}

#[test]
fn a_block_that_is_not_a_list_of_decisions_is_dropped_whole() {
    let mut i = intake();
    let one = made("sshd", "203.0.113.1", Kind::Ban, TEN_MIN);
    let too_many: Vec<Decision> = vec![one.clone(); crate::cluster::block::BLOCK_MAX + 1];
    let mut out = Vec::new();
    for body in [
        b"[]".to_vec(),
        b"{}".to_vec(),
        b"garbage".to_vec(),
        one.to_json(),
        block_body(&too_many),
    ] {
        i.admit_message(BLOCK_SUBJECT, &body, NOW, &mut out);
    }
    assert_eq!(i.dropped(Reject::Malformed), 5);
    let huge = vec![b' '; crate::cluster::block::MAX_BLOCK_PAYLOAD + 1];
    i.admit_message(BLOCK_SUBJECT, &huge, NOW, &mut out);
    assert_eq!(i.dropped(Reject::TooLarge), 1);
    let own = BLOCK_SUBJECT.replace(".a.", ".b.");
    i.admit_message(&own, &block_body(std::slice::from_ref(&one)), NOW, &mut out);
    assert_eq!(i.dropped(Reject::OwnDecision), 1);
    // The single-decision path refuses a block's subject.
    let block = block_body(&[one]);
    assert_eq!(i.admit(BLOCK_SUBJECT, &block, NOW), Err(Reject::BadSubject));
    assert!(out.is_empty());
}

#[test]
fn the_rate_limit_counts_each_decision_of_a_block() {
    let rate = Rate {
        per_second: 1.0,
        burst: 100.0,
    };
    let mut i = Intake::new(&settings("b"), rate);
    let block: Vec<Decision> = (0..150)
        .map(|n| made("sshd", &format!("198.51.100.{n}"), Kind::Ban, TEN_MIN))
        .collect();
    let mut out = Vec::new();
    i.admit_message(BLOCK_SUBJECT, &block_body(&block), NOW, &mut out);
    assert_eq!(out.len(), 100);
    assert_eq!(i.dropped(Reject::RateLimited), 50);
}

proptest! {
    #[test]
    fn arbitrary_blocks_never_panic_nor_pass_another_origin(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        members in proptest::collection::vec((0u8..4, 0u8..255), 0..20),
    ) {
        let mut i = intake();
        let mut out = Vec::new();
        i.admit_message(BLOCK_SUBJECT, &body, NOW, &mut out);
        let origins = ["a", "b", "c", ""];
        let block: Vec<Decision> = (members.iter())
            .map(|(o, n)| {
                let mut d = made("sshd", &format!("192.0.2.{n}"), Kind::Ban, TEN_MIN);
                d.origin = origins[usize::from(*o)].into();
                d
            })
            .collect();
        i.admit_message(BLOCK_SUBJECT, &block_body(&block), NOW, &mut out);
        prop_assert!(out.iter().all(|r| r.origin == "a" && r.jail == "sshd"));
        let from_a = block.iter().filter(|d| d.origin == "a").count();
        prop_assert_eq!(out.len(), from_a);
    }
}

proptest! {
    #[test]
    fn arbitrary_messages_never_panic_nor_pass_unchecked(
        subject in "portcullis\\.[a-c]\\.[a-z.]{0,6}\\.[0-9a-f_.-]{0,20}",
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut i = intake();
        if let Ok(remote) = i.admit(&subject, &body, NOW) {
            prop_assert!(remote.origin != "b");
            prop_assert!(remote.remaining <= Duration::from_secs(86_400));
        }
    }
}
