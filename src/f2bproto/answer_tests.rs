//! fail2ban's reply shapes from a fixed view, at fixed times, in UTC.

use super::*;
use crate::f2bproto::command::{Command, Flavor, GetKey, SetKey};
use crate::f2bproto::reply::ErrorClass;

/// 2026-12-05 10:00:00 UTC.
const T0: u64 = 1_796_464_800_000;

fn at(offset_secs: u64) -> UnixMs {
    UnixMs(T0 + offset_secs * 1000)
}

fn view() -> ServerView {
    let sshd = JailView {
        name: "sshd".into(),
        currently_failed: 2,
        total_failed: 9,
        total_banned: 3,
        source: JailSource::Files(vec!["/var/log/auth.log".into()]),
        bans: vec![
            BanView {
                addr: "192.0.2.7".into(),
                start: at(0),
                end: Some(at(600)),
            },
            BanView {
                addr: "2001:db8::1".into(),
                start: at(10),
                end: None,
            },
            BanView {
                addr: "192.0.2.9".into(),
                start: at(20),
                end: Some(at(320)),
            },
        ],
        max_retry: 5,
        find_time_secs: 600,
        ban_time_secs: 600,
        ignore_ip: vec!["127.0.0.1/8".into(), "::1".into()],
        fail_regex: vec!["^fail from <HOST>$".into()],
        ignore_regex: vec![],
        max_lines: 1,
        actions: vec!["nftables".into()],
    };
    let journal = JailView {
        name: "dropbear".into(),
        source: JailSource::Journal(vec![
            vec![
                "_SYSTEMD_UNIT=dropbear.service".into(),
                "_COMM=dropbear".into(),
            ],
            vec!["_COMM=x".into()],
        ]),
        bans: vec![BanView {
            addr: "192.0.2.7".into(),
            start: at(0),
            end: Some(at(60)),
        }],
        ..JailView::default()
    };
    ServerView {
        version: "1.0.2".into(),
        log_level: "INFO".into(),
        jails: vec![sshd, journal],
    }
}

fn ok(command: Command) -> Value {
    match answer(&command, &view(), &TimeZone::UTC) {
        Some(Reply::Ok(value)) => value,
        other => panic!("{command:?}: {other:?}"),
    }
}

fn get(key: GetKey) -> Value {
    ok(Command::Get {
        jail: "sshd".into(),
        key,
    })
}

fn pairs(items: &[(&str, Value)]) -> Value {
    Value::List(
        items
            .iter()
            .map(|(k, v)| Value::pair(k, v.clone()))
            .collect(),
    )
}

#[test]
fn server_replies() {
    assert_eq!(ok(Command::Ping), Value::str("pong"));
    assert_eq!(ok(Command::Version), Value::str("1.0.2"));
    assert_eq!(ok(Command::GetLogLevel), Value::str("INFO"));
    assert_eq!(ok(Command::ServerStatus), Value::str("Server ready"));
    assert_eq!(
        ok(Command::Echo(vec!["a".into(), "b".into()])),
        Value::str_list(["a", "b"])
    );
}

#[test]
fn status_counts_jails_and_lists_them_sorted() {
    let want = pairs(&[
        ("Number of jail", Value::Int(2)),
        ("Jail list", Value::str("dropbear, sshd")),
    ]);
    assert_eq!(ok(Command::Status), want);
}

#[test]
fn status_of_a_file_jail_basic_and_short() {
    let filter = pairs(&[
        ("Currently failed", Value::Int(2)),
        ("Total failed", Value::Int(9)),
        ("File list", Value::str_list(["/var/log/auth.log"])),
    ]);
    let counts = [
        ("Currently banned", Value::Int(3)),
        ("Total banned", Value::Int(3)),
    ];
    let banned = (
        "Banned IP list",
        Value::str_list(["192.0.2.7", "2001:db8::1", "192.0.2.9"]),
    );
    let basic = ok(Command::StatusJail {
        jail: "sshd".into(),
        flavor: Flavor::Basic,
    });
    let actions = pairs(&[counts[0].clone(), counts[1].clone(), banned]);
    assert_eq!(
        basic,
        pairs(&[("Filter", filter.clone()), ("Actions", actions)])
    );
    let short = ok(Command::StatusJail {
        jail: "sshd".into(),
        flavor: Flavor::Short,
    });
    assert_eq!(
        short,
        pairs(&[("Filter", filter), ("Actions", pairs(&counts))])
    );
}

#[test]
fn status_of_a_journal_jail_joins_its_matches() {
    let Value::List(parts) = ok(Command::StatusJail {
        jail: "dropbear".into(),
        flavor: Flavor::Basic,
    }) else {
        panic!()
    };
    let Value::Tuple(filter) = &parts[0] else {
        panic!()
    };
    let Value::List(lines) = &filter[1] else {
        panic!()
    };
    let joined = "_SYSTEMD_UNIT=dropbear.service _COMM=dropbear + _COMM=x";
    assert_eq!(
        lines[2],
        Value::pair("Journal matches", Value::str_list([joined]))
    );
}

#[test]
fn banned_everywhere_and_per_address() {
    let all = ok(Command::Banned { addrs: vec![] });
    let want = Value::List(vec![
        Value::Dict(vec![(
            Value::str("sshd"),
            Value::str_list(["192.0.2.7", "2001:db8::1", "192.0.2.9"]),
        )]),
        Value::Dict(vec![(
            Value::str("dropbear"),
            Value::str_list(["192.0.2.7"]),
        )]),
    ]);
    assert_eq!(all, want);
    let some = ok(Command::Banned {
        addrs: vec![
            "192.0.2.7".into(),
            "192.0.2.9".into(),
            "198.51.100.1".into(),
        ],
    });
    let want = Value::List(vec![
        Value::str_list(["sshd", "dropbear"]),
        Value::str_list(["sshd"]),
        Value::List(vec![]),
    ]);
    assert_eq!(some, want);
}

#[test]
fn get_banned_and_banip() {
    assert_eq!(get(GetKey::Banned(vec!["192.0.2.9".into()])), Value::Int(1));
    assert_eq!(
        get(GetKey::Banned(vec!["198.51.100.1".into()])),
        Value::Int(0)
    );
    let two = get(GetKey::Banned(vec![
        "192.0.2.9".into(),
        "198.51.100.1".into(),
    ]));
    assert_eq!(two, Value::List(vec![Value::Int(1), Value::Int(0)]));
    // By end of ban, the permanent one last.
    let order = Value::str_list(["192.0.2.9", "192.0.2.7", "2001:db8::1"]);
    assert_eq!(get(GetKey::BanIp { with_time: false }), order);
    let timed = Value::str_list([
        "192.0.2.9 \t2026-12-05 10:00:20 + 300 = 2026-12-05 10:05:20",
        "192.0.2.7 \t2026-12-05 10:00:00 + 600 = 2026-12-05 10:10:00",
        "2001:db8::1 \t2026-12-05 10:00:10 + -1 = 9999-12-31 23:59:59",
    ]);
    assert_eq!(get(GetKey::BanIp { with_time: true }), timed);
}

#[test]
fn get_settings() {
    assert_eq!(get(GetKey::MaxRetry), Value::Int(5));
    assert_eq!(get(GetKey::FindTime), Value::Int(600));
    assert_eq!(get(GetKey::BanTime), Value::Int(600));
    assert_eq!(get(GetKey::MaxLines), Value::Int(1));
    assert_eq!(
        get(GetKey::IgnoreIp),
        Value::str_list(["127.0.0.1/8", "::1"])
    );
    assert_eq!(get(GetKey::LogPath), Value::str_list(["/var/log/auth.log"]));
    assert_eq!(get(GetKey::JournalMatch), Value::List(vec![]));
    assert_eq!(
        get(GetKey::FailRegex),
        Value::str_list(["^fail from <HOST>$"])
    );
    assert_eq!(get(GetKey::IgnoreRegex), Value::List(vec![]));
    assert_eq!(get(GetKey::Actions), Value::str_list(["nftables"]));
    let journal = ok(Command::Get {
        jail: "dropbear".into(),
        key: GetKey::JournalMatch,
    });
    assert_eq!(
        journal.clone(),
        Value::List(vec![
            Value::str_list(["_SYSTEMD_UNIT=dropbear.service", "_COMM=dropbear"]),
            Value::str_list(["_COMM=x"]),
        ])
    );
    assert_eq!(
        ok(Command::Get {
            jail: "dropbear".into(),
            key: GetKey::LogPath
        }),
        Value::List(vec![])
    );
}

#[test]
fn an_unknown_jail_is_fail2bans_unknown_jail_error_for_every_jail_command() {
    let v = view();
    let nosuch = || "nosuch".to_string();
    for command in [
        Command::StatusJail {
            jail: nosuch(),
            flavor: Flavor::Basic,
        },
        Command::Get {
            jail: nosuch(),
            key: GetKey::MaxRetry,
        },
        Command::Set {
            jail: nosuch(),
            key: SetKey::MaxRetry(1),
        },
        Command::BanIp {
            jail: nosuch(),
            addrs: vec![],
        },
        Command::UnbanIp {
            jail: nosuch(),
            addrs: vec![],
            report_absent: false,
        },
        Command::StopJail { jail: nosuch() },
    ] {
        let Some(Reply::Err(error)) = answer(&command, &v, &TimeZone::UTC) else {
            panic!("{command:?}")
        };
        assert_eq!(
            (error.class, error.message.as_str()),
            (ErrorClass::UnknownJail, "nosuch")
        );
    }
}

#[test]
fn commands_that_act_are_left_to_the_server() {
    let v = view();
    for command in [
        Command::UnbanAll,
        Command::Unban { addrs: vec![] },
        Command::BanIp {
            jail: "sshd".into(),
            addrs: vec!["192.0.2.1".into()],
        },
        Command::Set {
            jail: "sshd".into(),
            key: SetKey::MaxRetry(3),
        },
        Command::Start {
            jail: "nosuch".into(),
        },
        Command::Reload {
            jail: Some("nosuch".into()),
            restart: false,
            unban: false,
            if_exists: false,
        },
        Command::Stop,
        Command::StopAllJails,
        Command::SetLogLevel("DEBUG".into()),
        Command::FlushLogs,
    ] {
        assert_eq!(answer(&command, &v, &TimeZone::UTC), None, "{command:?}");
    }
}

#[test]
fn local_time_follows_the_zone_and_fail2bans_year_9999_cut() {
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    assert_eq!(local_time(at(0), &berlin), "2026-12-05 11:00:00");
    assert_eq!(
        local_time(UnixMs(253_402_214_400_000), &TimeZone::UTC),
        "9999-12-31 23:59:59"
    );
}
