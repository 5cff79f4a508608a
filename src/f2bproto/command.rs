//! fail2ban-client's requests as typed commands. A request is a list of
//! words (`["set", "sshd", "banip", "192.0.2.7"]`); [`Command::parse`]
//! (in `parse.rs`) reads it as fail2ban's Transmitter does, and turns
//! everything it does not serve into [`Command::Unknown`] carrying the error
//! reply fail2ban gives for it.

use super::reply::PyError;

/// One request.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `ping`: replies "pong".
    Ping,
    /// `version`.
    Version,
    /// `echo WORD...`: the words back.
    Echo(Vec<String>),
    /// `server-status`: "Server ready".
    ServerStatus,
    /// `status`: the number of jails and their names.
    Status,
    /// `status JAIL [basic|short]`.
    StatusJail { jail: String, flavor: Flavor },
    /// `banned [IP...]`: with no address, every jail's bans; else for each
    /// address the jails banning it.
    Banned { addrs: Vec<String> },
    /// `unban --all`.
    UnbanAll,
    /// `unban IP...`: in every jail.
    Unban { addrs: Vec<String> },
    /// `set JAIL banip IP...`.
    BanIp { jail: String, addrs: Vec<String> },
    /// `set JAIL unbanip [--report-absent] IP...`.
    UnbanIp {
        jail: String,
        addrs: Vec<String>,
        report_absent: bool,
    },
    /// `get JAIL KEY ...`.
    Get { jail: String, key: GetKey },
    /// `set JAIL KEY VALUE`: replies with what `get JAIL KEY` then says
    /// ([`SetKey::read_back`]).
    Set { jail: String, key: SetKey },
    /// `reload [--restart] [--unban] [--if-exists] [JAIL|--all]`; the
    /// configuration stream fail2ban-client sends with it is ignored (we
    /// reload our own configuration).
    Reload {
        jail: Option<String>,
        restart: bool,
        unban: bool,
        if_exists: bool,
    },
    /// `start JAIL`.
    Start { jail: String },
    /// `stop JAIL`: the jail stops and its bans are lifted.
    StopJail { jail: String },
    /// `stop --all`: every jail stops, the server stays.
    StopAllJails,
    /// `stop`: the server shuts down.
    Stop,
    /// `get loglevel`.
    GetLogLevel,
    /// `set loglevel LEVEL`: a level name (upper case) or a number, as
    /// fail2ban accepts them.
    SetLogLevel(String),
    /// `flushlogs`.
    FlushLogs,
    /// Anything else: the words and fail2ban's error reply for them.
    Unknown(Rejection),
}

/// `status JAIL` flavours. fail2ban answers an unknown flavour as `basic`
/// (it logs a warning), so do we.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Counters and the banned list.
    Basic,
    /// Counters only.
    Short,
}

/// What `get JAIL ...` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetKey {
    /// `banned [IP...]`: the jail's banned addresses, or 1/0 per address.
    Banned(Vec<String>),
    /// `banip [--with-time]`: banned addresses in order of ban end.
    BanIp {
        with_time: bool,
    },
    MaxRetry,
    FindTime,
    BanTime,
    IgnoreIp,
    LogPath,
    JournalMatch,
    FailRegex,
    IgnoreRegex,
    MaxLines,
    Actions,
}

/// What `set JAIL ...` changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetKey {
    MaxRetry(i64),
    /// The text as given (`600`, `10m`): the server parses it.
    FindTime(String),
    BanTime(String),
    AddIgnoreIp(Vec<String>),
    DelIgnoreIp(String),
}

impl SetKey {
    /// The `get` whose reply a successful `set` sends, as fail2ban does.
    pub fn read_back(&self) -> GetKey {
        match self {
            SetKey::MaxRetry(_) => GetKey::MaxRetry,
            SetKey::FindTime(_) => GetKey::FindTime,
            SetKey::BanTime(_) => GetKey::BanTime,
            SetKey::AddIgnoreIp(_) | SetKey::DelIgnoreIp(_) => GetKey::IgnoreIp,
        }
    }
}

/// A request we do not serve: what was asked (for the log) and the error
/// to reply with.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub words: Vec<String>,
    pub error: PyError,
}

#[cfg(test)]
#[path = "command_tests.rs"]
mod tests;
