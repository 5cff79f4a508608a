//! fail2ban's reply shapes, built from a [`ServerView`]. [`answer`] replies
//! to every command that only reads (and to every command naming a jail
//! that does not exist); the commands that change something are the
//! server's to carry out, then to reply with [`Reply`]'s builders or, after
//! a `set`, with the `get` its key reads back.

use jiff::tz::TimeZone;

use super::command::{Command, Flavor, GetKey};
use super::reply::{PyError, Reply};
use super::state::{BanView, JailSource, JailView, ServerView};
use super::value::Value;
use crate::time::UnixMs;

/// The reply to `command` if it only reads; `None` when the server must
/// act first. `tz` is the zone ban times are printed in (fail2ban prints
/// local time).
pub fn answer(command: &Command, view: &ServerView, tz: &TimeZone) -> Option<Reply> {
    if let Some(name) = jail_named(command)
        && view.jail(name).is_none()
    {
        return Some(PyError::unknown_jail(name).into());
    }
    let jail = |name: &str| view.jail(name).expect("checked above");
    Some(Reply::Ok(match command {
        Command::Ping => Value::str("pong"),
        Command::Version => Value::str(&view.version),
        Command::Echo(words) => Value::str_list(words),
        Command::ServerStatus => Value::str("Server ready"),
        Command::Status => status(view),
        Command::StatusJail { jail: name, flavor } => status_jail(jail(name), *flavor),
        Command::Banned { addrs } => banned(view, addrs),
        Command::Get { jail: name, key } => get(jail(name), key, tz),
        Command::GetLogLevel => Value::str(&view.log_level),
        Command::Unknown(rejection) => return Some(Reply::Err(rejection.error.clone())),
        _ => return None,
    }))
}

/// The running jail a command needs, if it names one. `start JAIL` and
/// `reload JAIL` name a jail of the configuration, which need not be
/// running: the server checks those.
pub fn jail_named(command: &Command) -> Option<&str> {
    match command {
        Command::StatusJail { jail, .. }
        | Command::BanIp { jail, .. }
        | Command::UnbanIp { jail, .. }
        | Command::Get { jail, .. }
        | Command::Set { jail, .. }
        | Command::StopJail { jail } => Some(jail),
        _ => None,
    }
}

/// `status`: `[("Number of jail", n), ("Jail list", "a, b")]`, names sorted.
pub fn status(view: &ServerView) -> Value {
    let mut names: Vec<&str> = view.jails.iter().map(|j| j.name.as_str()).collect();
    names.sort_unstable();
    Value::List(vec![
        Value::pair("Number of jail", Value::Int(names.len() as i64)),
        Value::pair("Jail list", Value::str(names.join(", "))),
    ])
}

/// `status JAIL`: `[("Filter", [...]), ("Actions", [...])]`.
pub fn status_jail(jail: &JailView, flavor: Flavor) -> Value {
    let source = match &jail.source {
        JailSource::Files(paths) => Value::pair("File list", Value::str_list(paths)),
        JailSource::Journal(matches) => {
            let joined: Vec<String> = matches.iter().map(|m| m.join(" ")).collect();
            Value::pair("Journal matches", Value::str_list([joined.join(" + ")]))
        }
    };
    let filter = vec![
        Value::pair("Currently failed", count(jail.currently_failed)),
        Value::pair("Total failed", count(jail.total_failed)),
        source,
    ];
    let mut actions = vec![
        Value::pair("Currently banned", Value::Int(jail.bans.len() as i64)),
        Value::pair("Total banned", count(jail.total_banned)),
    ];
    if flavor == Flavor::Basic {
        let addrs = jail.bans.iter().map(|b| b.addr.as_str());
        actions.push(Value::pair("Banned IP list", Value::str_list(addrs)));
    }
    Value::List(vec![
        Value::pair("Filter", Value::List(filter)),
        Value::pair("Actions", Value::List(actions)),
    ])
}

/// `banned`: `[{jail: [addr...]}...]`; `banned IP...`: for each address
/// the list of jails banning it.
pub fn banned(view: &ServerView, addrs: &[String]) -> Value {
    if addrs.is_empty() {
        let per_jail = view.jails.iter().map(|j| {
            let addrs = Value::str_list(j.bans.iter().map(|b| b.addr.as_str()));
            Value::Dict(vec![(Value::str(&j.name), addrs)])
        });
        return Value::List(per_jail.collect());
    }
    let jails_of = |addr: &String| {
        Value::str_list(
            view.jails
                .iter()
                .filter(|j| j.is_banned(addr))
                .map(|j| j.name.as_str()),
        )
    };
    Value::List(addrs.iter().map(jails_of).collect())
}

/// `get JAIL KEY`.
pub fn get(jail: &JailView, key: &GetKey, tz: &TimeZone) -> Value {
    match key {
        GetKey::Banned(addrs) => jail_banned(jail, addrs),
        GetKey::BanIp { with_time } => {
            let bans = jail.bans_by_end();
            if *with_time {
                Value::List(
                    bans.into_iter()
                        .map(|b| Value::Str(ban_with_time(b, tz)))
                        .collect(),
                )
            } else {
                Value::str_list(bans.into_iter().map(|b| b.addr.as_str()))
            }
        }
        GetKey::MaxRetry => Value::Int(jail.max_retry),
        GetKey::FindTime => Value::Int(jail.find_time_secs),
        GetKey::BanTime => Value::Int(jail.ban_time_secs),
        GetKey::IgnoreIp => Value::str_list(&jail.ignore_ip),
        GetKey::LogPath => match &jail.source {
            JailSource::Files(paths) => Value::str_list(paths),
            JailSource::Journal(_) => Value::List(Vec::new()),
        },
        GetKey::JournalMatch => match &jail.source {
            JailSource::Journal(matches) => {
                Value::List(matches.iter().map(Value::str_list).collect())
            }
            JailSource::Files(_) => Value::List(Vec::new()),
        },
        GetKey::FailRegex => Value::str_list(&jail.fail_regex),
        GetKey::IgnoreRegex => Value::str_list(&jail.ignore_regex),
        GetKey::MaxLines => Value::Int(jail.max_lines),
        GetKey::Actions => Value::str_list(&jail.actions),
    }
}

/// `get JAIL banned [IP...]`: the banned addresses; 1 or 0 for one
/// address; a list of 1 and 0 for several.
fn jail_banned(jail: &JailView, addrs: &[String]) -> Value {
    let flag = |a: &String| Value::Int(i64::from(jail.is_banned(a)));
    match addrs {
        [] => Value::str_list(jail.bans.iter().map(|b| b.addr.as_str())),
        [one] => flag(one),
        many => Value::List(many.iter().map(flag).collect()),
    }
}

/// One line of `get JAIL banip --with-time`:
/// `ADDR \tSTART + SECONDS = END` (a permanent ban: -1 seconds, ending in
/// 9999 as fail2ban prints it).
pub fn ban_with_time(ban: &BanView, tz: &TimeZone) -> String {
    let (secs, end) = match ban.end {
        Some(end) => (end.as_secs() - ban.start.as_secs(), local_time(end, tz)),
        None => (-1, FOREVER.to_owned()),
    };
    format!(
        "{} \t{} + {} = {}",
        ban.addr,
        local_time(ban.start, tz),
        secs,
        end
    )
}

/// fail2ban's end of a permanent ban.
const FOREVER: &str = "9999-12-31 23:59:59";

/// `YYYY-MM-DD HH:MM:SS` in `tz`, as fail2ban's `time2str` writes it.
pub fn local_time(at: UnixMs, tz: &TimeZone) -> String {
    // fail2ban's own cut: the end of year 9999 (in GMT+23).
    if at.as_secs() >= 253_402_214_400 {
        return FOREVER.to_owned();
    }
    let stamp = jiff::Timestamp::from_second(at.as_secs()).unwrap_or(jiff::Timestamp::MAX);
    stamp
        .to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn count(n: u64) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

#[cfg(test)]
#[path = "answer_tests.rs"]
mod tests;
