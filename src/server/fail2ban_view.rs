//! The plain half of the fail2ban socket ([`super::fail2ban`]): the
//! daemon's replies to our own control requests as fail2ban's
//! [`ServerView`], and fail2ban's commands that act as our [`Request`]s.
//! No actors here; the socket sends the requests and feeds the replies in.

use crate::network::Network;

use super::protocol::Request;
use super::reply::{BanEntry, JailStatus};
use crate::f2bproto::{BanView, Command, JailSource, JailView, PyError, ServerView, SetKey};
use crate::filter::CompiledFilter;
use crate::time::{BanTime, UnixMs, parse_bantime, parse_duration};

/// One jail's settings, as our `get` replies them (`maxretry`, `findtime`,
/// `bantime`, `ignore`), and what the server adds ([`JailDetails`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub maxretry: String,
    pub findtime: String,
    pub bantime: String,
    pub ignore: String,
    pub details: JailDetails,
    /// Bans of addresses the jail did not hold, by hand or not, since the
    /// daemon started (its metrics' `new_bans`): fail2ban's "Total banned".
    pub new_bans: u64,
}

/// What fail2ban's `get JAIL failregex|ignoreregex|maxlines|actions`
/// shows of a running jail: its filter's regexes (tags expanded, in the
/// filter's own dialect) and what bans for it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JailDetails {
    pub fail_regex: Vec<String>,
    pub ignore_regex: Vec<String>,
    pub max_lines: i64,
    pub actions: Vec<String>,
}

/// The action `get JAIL actions` names: our own, the jail's nftables sets.
pub const NATIVE_ACTION: &str = "nftables";

impl JailDetails {
    /// The details of a jail reading with `filter`.
    pub fn of(filter: &CompiledFilter) -> JailDetails {
        JailDetails {
            fail_regex: filter.fails.iter().map(|r| r.pattern.clone()).collect(),
            ignore_regex: filter.ignore_patterns.clone(),
            max_lines: i64::try_from(filter.maxlines).unwrap_or(i64::MAX),
            actions: vec![NATIVE_ACTION.to_string()],
        }
    }
}

/// The keys [`Settings`] is read from, in its field order.
pub const SETTING_KEYS: [&str; 4] = ["maxretry", "findtime", "bantime", "ignore"];

/// fail2ban's name for our log level (`get loglevel`).
pub fn log_level_name(ours: &str) -> &'static str {
    match ours {
        "error" => "ERROR",
        "warn" => "WARNING",
        "debug" => "DEBUG",
        "trace" => "TRACEDEBUG",
        _ => "INFO",
    }
}

/// Our log level for a level fail2ban's `set loglevel` accepts (a name in
/// upper case or a number, as the parser keeps it): the nearest one that
/// logs at least what fail2ban would (CRITICAL logs errors; NOTICE logs
/// the ban lines, which are info; HEAVYDEBUG and NOTSET log everything).
pub fn tracing_level(fail2ban: &str) -> &'static str {
    let number = match fail2ban {
        "CRITICAL" | "FATAL" | "ERROR" => 40,
        "WARN" | "WARNING" => 30,
        "NOTICE" | "INFO" => 20,
        "DEBUG" => 10,
        "TRACEDEBUG" | "HEAVYDEBUG" | "NOTSET" => 0,
        digits => digits.parse::<u64>().unwrap_or(20),
    };
    match number {
        40.. => "error",
        30..=39 => "warn",
        20..=29 => "info",
        10..=19 => "debug",
        _ => "trace",
    }
}

/// The view of the daemon at `now`, logging at fail2ban's `log_level`
/// (`INFO`...): each jail of `status` with its
/// settings, and the bans of `banned`. A ban's start is its end less its
/// length (the kernel's timeout; without one, the jail's ban time).
pub fn view(
    log_level: &str,
    jails: Vec<(JailStatus, Settings)>,
    bans: &[BanEntry],
    now: UnixMs,
) -> ServerView {
    let jails = jails
        .into_iter()
        .map(|(status, settings)| jail_view(status, &settings, bans, now))
        .collect();
    ServerView {
        version: format!("portcullis {}", env!("CARGO_PKG_VERSION")),
        log_level: log_level.to_string(),
        jails,
    }
}

fn jail_view(status: JailStatus, settings: &Settings, bans: &[BanEntry], now: UnixMs) -> JailView {
    let ban_time_secs = match parse_bantime(&settings.bantime) {
        Ok(BanTime::For(d)) => d.as_secs() as i64,
        _ => -1,
    };
    let secs = |text: &str| parse_duration(text).map_or(0, |d| d.as_secs() as i64);
    let journal = status.sources.iter().any(|s| s.starts_with("journal"));
    let source = match journal {
        true => JailSource::Journal(status.sources.iter().map(|s| vec![s.clone()]).collect()),
        false => JailSource::Files(status.sources.clone()),
    };
    let mut mine: Vec<BanView> = (bans.iter())
        .filter(|b| b.jail == status.jail)
        .map(|b| {
            let end = b.expires_ms.map(|left| UnixMs(now.0 + left));
            // The ban's own length when the kernel tells it, else the jail's.
            let jail_ms = (ban_time_secs > 0).then(|| ban_time_secs as u64 * 1000);
            let start = match (end, b.timeout_ms.or(jail_ms)) {
                (Some(end), Some(length)) => UnixMs(end.0.saturating_sub(length)),
                _ => now,
            };
            BanView {
                addr: b.address.clone(),
                start,
                end,
            }
        })
        .collect();
    mine.sort_by_key(|b| b.start);
    // Every ban in force was made, whatever a counter says.
    let total_banned = settings.new_bans.max(mine.len() as u64);
    JailView {
        name: status.jail,
        currently_failed: status.stats.tracked as u64,
        total_failed: status.stats.failures_total,
        total_banned,
        source,
        bans: mine,
        max_retry: settings.maxretry.parse().unwrap_or(0),
        find_time_secs: secs(&settings.findtime),
        ban_time_secs,
        ignore_ip: settings
            .ignore
            .split_whitespace()
            .map(String::from)
            .collect(),
        fail_regex: settings.details.fail_regex.clone(),
        ignore_regex: settings.details.ignore_regex.clone(),
        max_lines: settings.details.max_lines,
        actions: settings.details.actions.clone(),
    }
}

/// What a command that acts becomes, given the `view` it was checked
/// against.
#[derive(Debug, PartialEq)]
pub enum Plan {
    /// Send these requests; reply the number of bans they changed.
    Count {
        requests: Vec<Request>,
        count: Count,
    },
    /// Send the request; reply what `get` then reads back.
    Set(Request),
    /// Re-read the configuration.
    Reload,
    /// Reply, then stop the daemon as SIGTERM does.
    Stop,
    /// Stop the jail named, or all: reply none.
    StopJails(Option<String>),
    /// Start the jail named if it does not run: reply none.
    Start(String),
    /// Set fail2ban's log level (as the parser kept it) and ours: reply it.
    LogLevel(String),
    /// Reply this at once.
    Reply(crate::f2bproto::Reply),
}

/// How a [`Plan::Count`]'s reply is counted.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Count {
    /// Known in advance (bans: the addresses not yet banned).
    Fixed(usize),
    /// The sum of the replies' lifted counts.
    Lifted,
}

/// The requests carrying out `command`, which [`crate::f2bproto::answer()`]
/// left to the server (so its jail exists in `view`).
pub fn plan(command: &Command, view: &ServerView) -> Result<Plan, PyError> {
    Ok(match command {
        Command::BanIp { jail, addrs } => {
            let parsed = addresses(addrs)?;
            let j = view.jail(jail);
            let fresh = addrs.iter().filter(|a| !j.is_some_and(|j| j.is_banned(a)));
            let count = Count::Fixed(fresh.count());
            let requests = (parsed.into_iter())
                .map(|addr| Request::Ban {
                    jail: jail.clone(),
                    addr,
                    bantime: None,
                    replace: false,
                })
                .collect();
            Plan::Count { requests, count }
        }
        Command::UnbanIp {
            jail,
            addrs,
            report_absent,
        } => {
            let parsed = addresses(addrs)?;
            let banned = |a: &String| view.jail(jail).is_some_and(|j| j.is_banned(a));
            let missed: Vec<&String> = addrs.iter().filter(|a| !banned(a)).collect();
            if *report_absent && !missed.is_empty() {
                return Err(PyError::not_banned(&missed));
            }
            let requests = (addrs.iter().zip(parsed))
                .filter(|(text, _)| banned(text))
                .map(|(_, addr)| Request::Unban {
                    jail: jail.clone(),
                    addr,
                })
                .collect();
            let count = Count::Lifted;
            Plan::Count { requests, count }
        }
        Command::Unban { addrs } => {
            let parsed = addresses(addrs)?;
            let mut requests = Vec::new();
            for (text, addr) in addrs.iter().zip(parsed) {
                for j in view.jails.iter().filter(|j| j.is_banned(text)) {
                    let jail = j.name.clone();
                    requests.push(Request::Unban { jail, addr });
                }
            }
            let count = Count::Lifted;
            Plan::Count { requests, count }
        }
        Command::UnbanAll => Plan::Count {
            requests: vec![Request::UnbanAll { jail: None }],
            count: Count::Lifted,
        },
        Command::Set { jail, key } => Plan::Set(set_request(jail, key)),
        Command::Reload { .. } => Plan::Reload,
        Command::Stop => Plan::Stop,
        Command::StopJail { jail } => Plan::StopJails(Some(jail.clone())),
        Command::StopAllJails => Plan::StopJails(None),
        Command::Start { jail } => Plan::Start(jail.clone()),
        Command::SetLogLevel(level) => Plan::LogLevel(level.clone()),
        Command::FlushLogs => Plan::Reply(crate::f2bproto::Reply::flushed(false)),
        other => return Err(unsupported(other)),
    })
}

fn set_request(jail: &str, key: &SetKey) -> Request {
    let (key, value) = match key {
        SetKey::MaxRetry(n) => ("maxretry", n.to_string()),
        SetKey::FindTime(t) => ("findtime", t.clone()),
        SetKey::BanTime(t) => ("bantime", t.clone()),
        SetKey::AddIgnoreIp(addrs) => ("ignore", format!("+{}", addrs.join(" "))),
        SetKey::DelIgnoreIp(addr) => ("ignore", format!("-{addr}")),
    };
    Request::Set {
        jail: jail.to_string(),
        key: key.to_string(),
        value,
    }
}

/// The addresses or networks (`192.0.2.0/24`, as fail2ban accepts) named.
fn addresses(addrs: &[String]) -> Result<Vec<Network>, PyError> {
    (addrs.iter())
        .map(|a| (a.parse()).map_err(|_| PyError::failed(format!("not an IP address: {a:?}"))))
        .collect()
}

/// The error for a command portcullis has no equivalent of (every
/// command [`Command::parse`] gives is served: none today).
fn unsupported(command: &Command) -> PyError {
    PyError::failed(format!(
        "portcullis does not support {command:?} over fail2ban's socket (see docs/fail2ban.md)"
    ))
}

#[cfg(test)]
#[path = "fail2ban_view_tests.rs"]
mod tests;
