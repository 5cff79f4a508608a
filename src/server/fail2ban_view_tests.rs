use super::*;
use crate::f2bproto::{ErrorClass, Reply};
use crate::server::reply::Stats;

fn status(jail: &str) -> JailStatus {
    JailStatus {
        jail: jail.into(),
        filter: "sshd".into(),
        sources: vec!["/var/log/auth.log".into()],
        banned: 1,
        stats: Stats {
            tracked: 2,
            failures_total: 9,
            ban_requests_total: 3,
            ..Stats::default()
        },
        paused: false,
        addresses: None,
    }
}

fn settings() -> Settings {
    Settings {
        maxretry: "5".into(),
        findtime: "10m".into(),
        bantime: "1h".into(),
        ignore: "127.0.0.0/8 ::1".into(),
        details: JailDetails {
            fail_regex: vec!["^fail from <HOST>$".into()],
            ignore_regex: Vec::new(),
            max_lines: 1,
            actions: vec![NATIVE_ACTION.into()],
        },
        new_bans: 3,
    }
}

fn sample() -> ServerView {
    let bans = [BanEntry {
        jail: "sshd".into(),
        address: "192.0.2.7".into(),
        expires_ms: Some(600_000),
        timeout_ms: None,
    }];
    view(
        log_level_name("warn"),
        vec![(status("sshd"), settings())],
        &bans,
        UnixMs(10_000_000),
    )
}

#[test]
fn the_view_carries_counters_settings_and_ban_times() {
    let v = sample();
    assert_eq!(v.log_level, "WARNING");
    let j = v.jail("sshd").unwrap();
    assert_eq!(
        (j.currently_failed, j.total_failed, j.total_banned),
        (2, 9, 3)
    );
    assert_eq!(
        (j.max_retry, j.find_time_secs, j.ban_time_secs),
        (5, 600, 3600)
    );
    assert_eq!(j.ignore_ip, vec!["127.0.0.0/8", "::1"]);
    assert_eq!(
        j.source,
        JailSource::Files(vec!["/var/log/auth.log".into()])
    );
    // Ends in 10 minutes; began an hour before that.
    let ban = &j.bans[0];
    assert_eq!(ban.end, Some(UnixMs(10_600_000)));
    assert_eq!(ban.start, UnixMs(10_600_000 - 3_600_000));
}

#[test]
fn a_permanent_ban_has_no_end_and_bantime_minus_one() {
    let bans = [BanEntry {
        jail: "sshd".into(),
        address: "2001:db8::1".into(),
        expires_ms: None,
        timeout_ms: None,
    }];
    let mut s = settings();
    s.bantime = "permanent".into();
    let v = view("INFO", vec![(status("sshd"), s)], &bans, UnixMs(5));
    let j = v.jail("sshd").unwrap();
    assert_eq!(j.ban_time_secs, -1);
    assert_eq!(j.bans[0].end, None);
}

#[test]
fn banip_counts_only_new_addresses() {
    let command = Command::BanIp {
        jail: "sshd".into(),
        addrs: vec!["192.0.2.7".into(), "192.0.2.8".into()],
    };
    let Plan::Count { requests, count } = plan(&command, &sample()).unwrap() else {
        panic!()
    };
    assert_eq!(requests.len(), 2);
    assert_eq!(count, Count::Fixed(1));
}

#[test]
fn banip_takes_networks_as_fail2ban_does() {
    let command = Command::BanIp {
        jail: "sshd".into(),
        addrs: vec!["192.0.2.0/24".into(), "2001:db8::/64".into()],
    };
    let Plan::Count { requests, count } = plan(&command, &sample()).unwrap() else {
        panic!()
    };
    let addrs: Vec<String> = (requests.iter())
        .map(|r| match r {
            Request::Ban { addr, .. } => addr.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(addrs, ["192.0.2.0/24", "2001:db8::/64"]);
    assert_eq!(count, Count::Fixed(2));
    let typo = Command::BanIp {
        jail: "sshd".into(),
        addrs: vec!["192.0.2.7/24".into()],
    };
    let error = plan(&typo, &sample()).unwrap_err();
    assert_eq!(error.message, "not an IP address: \"192.0.2.7/24\"");
}

#[test]
fn unbanip_sends_only_banned_addresses_and_reports_absent_ones() {
    let command = |report_absent| Command::UnbanIp {
        jail: "sshd".into(),
        addrs: vec!["192.0.2.7".into(), "192.0.2.9".into()],
        report_absent,
    };
    let Plan::Count { requests, .. } = plan(&command(false), &sample()).unwrap() else {
        panic!()
    };
    assert_eq!(
        requests,
        vec![Request::Unban {
            jail: "sshd".into(),
            addr: "192.0.2.7".parse().unwrap()
        }]
    );
    let error = plan(&command(true), &sample()).unwrap_err();
    assert_eq!(error.message, "not banned: ['192.0.2.9']");
}

#[test]
fn a_bad_address_is_refused_before_anything_is_sent() {
    let command = Command::Unban {
        addrs: vec!["192.0.2.7".into(), "nonsense".into()],
    };
    let error = plan(&command, &sample()).unwrap_err();
    assert_eq!(error.message, "not an IP address: \"nonsense\"");
}

#[test]
fn ignoreip_changes_become_our_ignore_edits() {
    let add = Command::Set {
        jail: "sshd".into(),
        key: SetKey::AddIgnoreIp(vec!["10.0.0.1".into(), "10.0.0.2".into()]),
    };
    let Plan::Set(Request::Set { key, value, .. }) = plan(&add, &sample()).unwrap() else {
        panic!()
    };
    assert_eq!(
        (key.as_str(), value.as_str()),
        ("ignore", "+10.0.0.1 10.0.0.2")
    );
}

#[test]
fn stop_start_and_loglevel_become_the_servers_and_flushlogs_is_answered() {
    let jail = || "sshd".to_string();
    let cases = [
        (
            Command::StopJail { jail: jail() },
            Plan::StopJails(Some(jail())),
        ),
        (Command::StopAllJails, Plan::StopJails(None)),
        (Command::Start { jail: jail() }, Plan::Start(jail())),
        (
            Command::SetLogLevel("DEBUG".into()),
            Plan::LogLevel("DEBUG".into()),
        ),
        (Command::FlushLogs, Plan::Reply(Reply::flushed(false))),
    ];
    for (command, want) in cases {
        assert_eq!(plan(&command, &sample()).unwrap(), want, "{command:?}");
    }
    let error = plan(&Command::Ping, &sample()).unwrap_err();
    assert_eq!(error.class, ErrorClass::Exception);
    assert_eq!(
        error.message,
        "portcullis does not support Ping over fail2ban's socket (see docs/fail2ban.md)"
    );
}

#[test]
fn fail2ban_log_levels_map_to_the_nearest_of_ours_that_logs_as_much() {
    for (theirs, ours) in [
        ("CRITICAL", "error"),
        ("ERROR", "error"),
        ("WARNING", "warn"),
        ("NOTICE", "info"),
        ("INFO", "info"),
        ("DEBUG", "debug"),
        ("HEAVYDEBUG", "trace"),
        ("NOTSET", "trace"),
        ("50", "error"),
        ("25", "info"),
        ("5", "trace"),
    ] {
        assert_eq!(tracing_level(theirs), ours, "{theirs}");
    }
    assert_eq!(log_level_name(tracing_level("WARNING")), "WARNING");
}

#[test]
fn total_banned_is_never_below_the_bans_in_force() {
    let bans = [BanEntry {
        jail: "sshd".into(),
        address: "192.0.2.7".into(),
        expires_ms: Some(1),
        timeout_ms: None,
    }];
    let mut none_counted = settings();
    none_counted.new_bans = 0;
    let v = view(
        "INFO",
        vec![(status("sshd"), none_counted)],
        &bans,
        UnixMs(5),
    );
    assert_eq!(v.jail("sshd").unwrap().total_banned, 1);
    assert_eq!(sample().jail("sshd").unwrap().total_banned, 3);
}

#[test]
fn a_ban_longer_than_the_jails_began_its_own_length_before_its_end() {
    // Made for 2 hours (bantime increment) in a jail banning for 1 hour.
    let bans = [BanEntry {
        jail: "sshd".into(),
        address: "192.0.2.7".into(),
        expires_ms: Some(600_000),
        timeout_ms: Some(7_200_000),
    }];
    let v = view(
        "INFO",
        vec![(status("sshd"), settings())],
        &bans,
        UnixMs(10_000_000),
    );
    let ban = &v.jail("sshd").unwrap().bans[0];
    assert_eq!(ban.end, Some(UnixMs(10_600_000)));
    assert_eq!(ban.start, UnixMs(10_600_000 - 7_200_000));
}
