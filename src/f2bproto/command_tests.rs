//! Requests as fail2ban-client builds them from its command line (every
//! word a string), read into commands, and the error replies fail2ban gives
//! for the rest.

use super::*;
use crate::f2bproto::reply::ErrorClass;
use crate::f2bproto::value::Value;

fn parse(words: &str) -> Command {
    Command::parse(&Value::str_list(words.split(' ').filter(|w| !w.is_empty())))
}

fn s(text: &str) -> String {
    text.to_owned()
}

fn v(words: &str) -> Vec<String> {
    words.split(' ').map(s).collect()
}

/// The error a rejected request gets.
fn rejected(words: &str) -> (ErrorClass, String) {
    match parse(words) {
        Command::Unknown(Rejection { error, .. }) => (error.class, error.message),
        other => panic!("{words:?} parsed as {other:?}"),
    }
}

#[test]
fn server_commands() {
    assert_eq!(parse("ping"), Command::Ping);
    assert_eq!(parse("ping 1.5"), Command::Ping);
    assert_eq!(parse("version"), Command::Version);
    assert_eq!(parse("echo a b"), Command::Echo(v("a b")));
    assert_eq!(parse("server-status"), Command::ServerStatus);
    assert_eq!(parse("flushlogs"), Command::FlushLogs);
    assert_eq!(parse("stop"), Command::Stop);
    assert_eq!(parse("stop --all"), Command::StopAllJails);
    assert_eq!(parse("get loglevel"), Command::GetLogLevel);
    assert_eq!(
        parse("set loglevel DEBUG"),
        Command::SetLogLevel(s("DEBUG"))
    );
    assert_eq!(
        parse("set loglevel heavydebug"),
        Command::SetLogLevel(s("HEAVYDEBUG"))
    );
    assert_eq!(parse("set loglevel 10"), Command::SetLogLevel(s("10")));
    assert_eq!(
        rejected("set loglevel loud"),
        (ErrorClass::ValueError, s("Invalid log level 'LOUD'"))
    );
}

#[test]
fn status_with_and_without_jail_and_flavour() {
    assert_eq!(parse("status"), Command::Status);
    let jail = |flavor| Command::StatusJail {
        jail: s("sshd"),
        flavor,
    };
    assert_eq!(parse("status sshd"), jail(Flavor::Basic));
    assert_eq!(parse("status sshd basic"), jail(Flavor::Basic));
    assert_eq!(parse("status sshd short"), jail(Flavor::Short));
    assert_eq!(parse("status sshd cymru"), jail(Flavor::Basic));
    assert_eq!(rejected("status a b c").1, "Invalid command (no status)");
}

#[test]
fn bans_and_unbans() {
    assert_eq!(parse("banned"), Command::Banned { addrs: vec![] });
    assert_eq!(
        parse("banned 192.0.2.7 2001:db8::1"),
        Command::Banned {
            addrs: v("192.0.2.7 2001:db8::1")
        }
    );
    assert_eq!(parse("unban --all"), Command::UnbanAll);
    assert_eq!(
        parse("unban 192.0.2.7 --all"),
        Command::Unban {
            addrs: v("192.0.2.7 --all")
        }
    );
    assert_eq!(
        rejected("unban"),
        (ErrorClass::Exception, s("Invalid command"))
    );
    assert_eq!(
        parse("set sshd banip 192.0.2.7 192.0.2.8"),
        Command::BanIp {
            jail: s("sshd"),
            addrs: v("192.0.2.7 192.0.2.8")
        }
    );
    assert_eq!(
        parse("set sshd unbanip 192.0.2.7"),
        Command::UnbanIp {
            jail: s("sshd"),
            addrs: v("192.0.2.7"),
            report_absent: false
        }
    );
    assert_eq!(
        parse("set sshd unbanip --report-absent 192.0.2.7"),
        Command::UnbanIp {
            jail: s("sshd"),
            addrs: v("192.0.2.7"),
            report_absent: true
        }
    );
    assert_eq!(rejected("set sshd unbanip").0, ErrorClass::IndexError);
}

#[test]
fn every_get_key() {
    let get = |key| Command::Get {
        jail: s("sshd"),
        key,
    };
    assert_eq!(parse("get sshd banned"), get(GetKey::Banned(vec![])));
    assert_eq!(
        parse("get sshd banned 192.0.2.7"),
        get(GetKey::Banned(v("192.0.2.7")))
    );
    assert_eq!(
        parse("get sshd banip"),
        get(GetKey::BanIp { with_time: false })
    );
    assert_eq!(
        parse("get sshd banip --with-time"),
        get(GetKey::BanIp { with_time: true })
    );
    for (word, key) in [
        ("maxretry", GetKey::MaxRetry),
        ("findtime", GetKey::FindTime),
        ("bantime", GetKey::BanTime),
        ("ignoreip", GetKey::IgnoreIp),
        ("logpath", GetKey::LogPath),
        ("journalmatch", GetKey::JournalMatch),
        ("failregex", GetKey::FailRegex),
        ("ignoreregex", GetKey::IgnoreRegex),
        ("maxlines", GetKey::MaxLines),
        ("actions", GetKey::Actions),
    ] {
        assert_eq!(parse(&format!("get sshd {word}")), get(key), "{word}");
    }
    assert_eq!(rejected("get sshd").0, ErrorClass::IndexError);
    assert_eq!(
        rejected("get sshd nosuch").1,
        "Invalid command (no get action or not yet implemented)"
    );
    assert_eq!(
        rejected("get dbfile").1,
        "Invalid command 'dbfile' (not supported by portcullis)"
    );
}

#[test]
fn every_set_key_and_its_read_back() {
    let set = |key| Command::Set {
        jail: s("sshd"),
        key,
    };
    assert_eq!(parse("set sshd maxretry 5"), set(SetKey::MaxRetry(5)));
    assert_eq!(parse("set sshd maxretry -3"), set(SetKey::MaxRetry(-3)));
    assert_eq!(
        parse("set sshd findtime 10m"),
        set(SetKey::FindTime(s("10m")))
    );
    assert_eq!(
        parse("set sshd bantime 3600"),
        set(SetKey::BanTime(s("3600")))
    );
    assert_eq!(
        parse("set sshd addignoreip 10.0.0.0/8 ::1"),
        set(SetKey::AddIgnoreIp(v("10.0.0.0/8 ::1")))
    );
    assert_eq!(
        parse("set sshd delignoreip ::1"),
        set(SetKey::DelIgnoreIp(s("::1")))
    );
    assert_eq!(SetKey::MaxRetry(1).read_back(), GetKey::MaxRetry);
    assert_eq!(SetKey::FindTime(s("1")).read_back(), GetKey::FindTime);
    assert_eq!(SetKey::BanTime(s("1")).read_back(), GetKey::BanTime);
    assert_eq!(SetKey::DelIgnoreIp(s("x")).read_back(), GetKey::IgnoreIp);
    assert_eq!(
        rejected("set sshd maxretry five"),
        (
            ErrorClass::ValueError,
            s("invalid literal for int() with base 10: 'five'")
        )
    );
    assert_eq!(rejected("set sshd maxretry").0, ErrorClass::IndexError);
    assert_eq!(
        rejected("set sshd frobnicate 1").1,
        "Invalid command 'frobnicate' (no set action or not yet implemented)"
    );
    assert_eq!(
        rejected("set sshd usedns no").1,
        "Invalid command 'usedns' (not supported by portcullis)"
    );
    assert_eq!(
        rejected("set sshd bantime.increment true").1,
        "Invalid command 'bantime.increment' (not supported by portcullis)"
    );
}

#[test]
fn jail_control() {
    assert_eq!(parse("start sshd"), Command::Start { jail: s("sshd") });
    assert_eq!(parse("stop sshd"), Command::StopJail { jail: s("sshd") });
    assert_eq!(rejected("start").0, ErrorClass::IndexError);
}

#[test]
fn reload_as_fail2ban_client_sends_it_and_bare() {
    // ['reload', '--all', ['--unban'], [[...config stream...]]]
    let request = Value::List(vec![
        Value::str("reload"),
        Value::str("--all"),
        Value::str_list(["--unban"]),
        Value::List(vec![Value::str_list(["start", "sshd"])]),
    ]);
    let all = Command::Reload {
        jail: None,
        restart: false,
        unban: true,
        if_exists: false,
    };
    assert_eq!(Command::parse(&request), all);
    let jail = Value::List(vec![
        Value::str("reload"),
        Value::str("sshd"),
        Value::str_list(["--restart", "--if-exists"]),
        Value::List(vec![]),
    ]);
    let one = Command::Reload {
        jail: Some(s("sshd")),
        restart: true,
        unban: false,
        if_exists: true,
    };
    assert_eq!(Command::parse(&jail), one);
    assert_eq!(
        parse("reload"),
        Command::Reload {
            jail: None,
            restart: false,
            unban: false,
            if_exists: false
        }
    );
}

#[test]
fn unknown_and_malformed_requests_get_fail2bans_errors() {
    assert_eq!(
        rejected("frobnicate"),
        (ErrorClass::Exception, s("Invalid command"))
    );
    assert_eq!(
        rejected("add sshd auto").1,
        "Invalid command 'add' (not supported by portcullis)"
    );
    let empty = Command::parse(&Value::List(vec![]));
    assert!(
        matches!(empty, Command::Unknown(Rejection { error, .. }) if error.class == ErrorClass::IndexError)
    );
    let not_a_list = Command::parse(&Value::str("ping"));
    let Command::Unknown(rejection) = not_a_list else {
        panic!("accepted a bare string")
    };
    assert_eq!(rejection.error.message, "Invalid command");
    assert_eq!(rejection.words, v("ping"));
    // A nested list where a word belongs.
    let nested = Value::List(vec![Value::str("status"), Value::str_list(["sshd"])]);
    assert!(matches!(Command::parse(&nested), Command::Unknown(_)));
}

#[test]
fn numbers_sent_as_ints_are_read_as_words() {
    let request = Value::List(vec![
        Value::str("set"),
        Value::str("sshd"),
        Value::str("maxretry"),
        Value::Int(4),
    ]);
    assert_eq!(
        Command::parse(&request),
        Command::Set {
            jail: s("sshd"),
            key: SetKey::MaxRetry(4)
        }
    );
}

#[test]
fn rejections_carry_the_words_for_the_log() {
    let Command::Unknown(rejection) = parse("set sshd frobnicate 1") else {
        panic!()
    };
    assert_eq!(rejection.words, v("set sshd frobnicate 1"));
}
