//! [`Command::parse`]: a decoded request read as fail2ban's Transmitter
//! reads it, word by word. A missing argument gets fail2ban's `IndexError`
//! reply, an unknown word its "Invalid command" texts, and a fail2ban
//! command portcullis does not serve an error naming it.

use super::command::{Command, Flavor, GetKey, Rejection, SetKey};
use super::reply::{ErrorClass, PyError, py_repr};
use super::value::Value;

/// fail2ban commands portcullis does not serve (fail2ban does): they get
/// an error naming them rather than fail2ban's generic one.
const COMMANDS_NOT_SERVED: &[&str] = &[
    "add",
    "multi-set",
    "server-stream",
    "sleep",
    "config-error",
    "restart",
];

/// fail2ban's server settings (`get NAME`, `set NAME VALUE`) that we do not
/// serve; fail2ban reads these before taking the word as a jail name.
const SERVER_KEYS_NOT_SERVED: &[&str] = &[
    "logtarget",
    "syslogsocket",
    "allowipv6",
    "thread",
    "dbfile",
    "dbmaxmatches",
    "dbpurgeage",
];

/// fail2ban's jail settings (`get JAIL KEY`, `set JAIL KEY ...`) that we do
/// not serve.
const JAIL_KEYS_NOT_SERVED: &[&str] = &[
    "idle",
    "ignoreself",
    "ignorecommand",
    "ignorecache",
    "addlogpath",
    "dellogpath",
    "logencoding",
    "addjournalmatch",
    "deljournalmatch",
    "prefregex",
    "addfailregex",
    "delfailregex",
    "addignoreregex",
    "delignoreregex",
    "usedns",
    "datepattern",
    "logtimezone",
    "maxmatches",
    "attempt",
    "addaction",
    "delaction",
    "action",
    "actionproperties",
    "actionmethods",
];

/// Whether a jail key is one of fail2ban's we do not serve.
fn jail_key_not_served(key: &str) -> bool {
    JAIL_KEYS_NOT_SERVED.contains(&key) || key.starts_with("bantime.")
}

/// The words of a request, read one at a time as fail2ban indexes them.
struct Words<'a>(&'a [String]);

impl Words<'_> {
    /// Word `i`, or fail2ban's `IndexError` when the request is shorter.
    fn at(&self, i: usize) -> Result<&str, PyError> {
        self.0
            .get(i)
            .map(String::as_str)
            .ok_or_else(PyError::missing_argument)
    }

    fn from(&self, i: usize) -> Vec<String> {
        self.0.get(i..).unwrap_or_default().to_vec()
    }
}

impl Command {
    /// Reads a decoded request.
    pub fn parse(request: &Value) -> Command {
        let items = match request {
            Value::List(items) | Value::Tuple(items) => items,
            other => return reject(vec![describe(other)], invalid()),
        };
        if let Some(Value::Str(first)) = items.first()
            && first == "reload"
        {
            return parse_reload(items);
        }
        let words: Vec<String> = items.iter().map(describe).collect();
        if items.iter().any(|v| word(v).is_none()) {
            return reject(words, invalid());
        }
        match parse_words(&Words(&words)) {
            Ok(command) => command,
            Err(error) => reject(words, error),
        }
    }
}

fn parse_words(w: &Words) -> Result<Command, PyError> {
    let n = w.0.len();
    Ok(match w.at(0)? {
        "ping" => Command::Ping,
        "version" => Command::Version,
        "echo" => Command::Echo(w.from(1)),
        "server-status" => Command::ServerStatus,
        "flushlogs" => Command::FlushLogs,
        "banned" => Command::Banned { addrs: w.from(1) },
        "unban" if n == 2 && w.at(1)? == "--all" => Command::UnbanAll,
        "unban" if n >= 2 => Command::Unban { addrs: w.from(1) },
        "start" => Command::Start {
            jail: w.at(1)?.to_owned(),
        },
        "stop" if n == 1 => Command::Stop,
        "stop" if w.at(1)? == "--all" => Command::StopAllJails,
        "stop" => Command::StopJail {
            jail: w.at(1)?.to_owned(),
        },
        "status" => parse_status(w)?,
        "get" => parse_get(w)?,
        "set" => parse_set(w)?,
        other if COMMANDS_NOT_SERVED.contains(&other) => return Err(not_served(other)),
        _ => return Err(invalid()),
    })
}

fn parse_status(w: &Words) -> Result<Command, PyError> {
    Ok(match w.0.len() {
        1 => Command::Status,
        2 | 3 => Command::StatusJail {
            jail: w.at(1)?.to_owned(),
            flavor: match w.0.get(2).map(String::as_str) {
                Some("short") => Flavor::Short,
                _ => Flavor::Basic,
            },
        },
        _ => return Err(PyError::failed("Invalid command (no status)")),
    })
}

fn parse_get(w: &Words) -> Result<Command, PyError> {
    let name = w.at(1)?;
    if name == "loglevel" {
        return Ok(Command::GetLogLevel);
    }
    if SERVER_KEYS_NOT_SERVED.contains(&name) {
        return Err(not_served(name));
    }
    let key = match w.at(2)? {
        "banned" => GetKey::Banned(w.from(3)),
        "banip" => GetKey::BanIp {
            with_time: w.0.get(3).is_some_and(|s| s == "--with-time"),
        },
        "maxretry" => GetKey::MaxRetry,
        "findtime" => GetKey::FindTime,
        "bantime" => GetKey::BanTime,
        "ignoreip" => GetKey::IgnoreIp,
        "logpath" => GetKey::LogPath,
        "journalmatch" => GetKey::JournalMatch,
        "failregex" => GetKey::FailRegex,
        "ignoreregex" => GetKey::IgnoreRegex,
        "maxlines" => GetKey::MaxLines,
        "actions" => GetKey::Actions,
        other if jail_key_not_served(other) => {
            return Err(not_served(other));
        }
        _ => {
            return Err(PyError::failed(
                "Invalid command (no get action or not yet implemented)",
            ));
        }
    };
    Ok(Command::Get {
        jail: name.to_owned(),
        key,
    })
}

fn parse_set(w: &Words) -> Result<Command, PyError> {
    let name = w.at(1)?;
    if name == "loglevel" {
        return log_level(w.at(2)?).map(Command::SetLogLevel);
    }
    if SERVER_KEYS_NOT_SERVED.contains(&name) {
        return Err(not_served(name));
    }
    let jail = name.to_owned();
    let key = match w.at(2)? {
        "banip" => {
            return Ok(Command::BanIp {
                jail,
                addrs: w.from(3),
            });
        }
        "unbanip" => {
            let report_absent = w.at(3)? == "--report-absent";
            let addrs = w.from(if report_absent { 4 } else { 3 });
            return Ok(Command::UnbanIp {
                jail,
                addrs,
                report_absent,
            });
        }
        "maxretry" => SetKey::MaxRetry(python_int(w.at(3)?)?),
        "findtime" => SetKey::FindTime(w.at(3)?.to_owned()),
        "bantime" => SetKey::BanTime(w.at(3)?.to_owned()),
        "addignoreip" => SetKey::AddIgnoreIp(w.from(3)),
        "delignoreip" => SetKey::DelIgnoreIp(w.at(3)?.to_owned()),
        other if jail_key_not_served(other) || other == "maxlines" => {
            return Err(not_served(other));
        }
        other => {
            return Err(PyError::failed(format!(
                "Invalid command {} (no set action or not yet implemented)",
                py_repr(other)
            )));
        }
    };
    Ok(Command::Set { jail, key })
}

/// `reload`, as fail2ban-client sends it: `["reload", JAIL|"--all",
/// [OPTIONS], [STREAM]]`; a bare `["reload"]` or `["reload", JAIL]` from a
/// script means the same.
fn parse_reload(items: &[Value]) -> Command {
    let jail = match items.get(1).map(word) {
        None => None,
        Some(Some(name)) if name == "--all" => None,
        Some(Some(name)) => Some(name),
        Some(None) => return reject(items.iter().map(describe).collect(), invalid()),
    };
    let options: Vec<String> = match items.get(2) {
        Some(Value::List(opts) | Value::Tuple(opts)) => opts.iter().filter_map(word).collect(),
        _ => Vec::new(),
    };
    let has = |o: &str| options.iter().any(|x| x == o);
    Command::Reload {
        jail,
        restart: has("--restart"),
        unban: has("--unban"),
        if_exists: has("--if-exists"),
    }
}

/// A request item as a word: strings as they are, and numbers as fail2ban
/// would print them (a script may send `maxretry` as an int).
fn word(value: &Value) -> Option<String> {
    match value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        _ => None,
    }
}

/// A request item for the log, whatever it is.
fn describe(value: &Value) -> String {
    word(value).unwrap_or_else(|| format!("{value:?}"))
}

/// Python's logging levels and fail2ban's own, by name.
const LOG_LEVELS: &[&str] = &[
    "CRITICAL",
    "FATAL",
    "ERROR",
    "WARN",
    "WARNING",
    "NOTICE",
    "INFO",
    "DEBUG",
    "TRACEDEBUG",
    "HEAVYDEBUG",
    "NOTSET",
];

/// `set loglevel LEVEL` as fail2ban takes it: a level name in any case, or
/// a number; kept in upper case, as `get loglevel` then says it.
fn log_level(text: &str) -> Result<String, PyError> {
    let level = text.to_uppercase();
    let numeric = !level.is_empty() && level.bytes().all(|b| b.is_ascii_digit());
    if numeric || LOG_LEVELS.contains(&level.as_str()) {
        return Ok(level);
    }
    let message = format!("Invalid log level {}", py_repr(&level));
    Err(PyError::new(ErrorClass::ValueError, message))
}

/// Python's `int(text)`: surrounding blanks and a sign allowed.
fn python_int(text: &str) -> Result<i64, PyError> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PyError::not_an_int(text));
    }
    t.parse()
        .map_err(|_overflow: std::num::ParseIntError| PyError::not_an_int(text))
}

fn invalid() -> PyError {
    PyError::failed("Invalid command")
}

fn not_served(word: &str) -> PyError {
    PyError::new(
        ErrorClass::Exception,
        format!(
            "Invalid command {} (not supported by portcullis)",
            py_repr(word)
        ),
    )
}

fn reject(words: Vec<String>, error: PyError) -> Command {
    Command::Unknown(Rejection { words, error })
}
