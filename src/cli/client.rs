//! The commands that talk to a running daemon over its control socket:
//! `status`, `ban`, `unban`, `banned`, `reload`, `get`, `set`, `ping`,
//! `pause`, `resume`. Each sends one JSON request and prints the typed
//! reply ([`super::render`]), or the response line as is with `--json`,
//! and exits with an [`Exit`] code.

use std::io::{self, BufRead, BufReader, Write};
use std::net::IpAddr;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::exit::Exit;
use crate::server::protocol::{Request, Response};
use crate::server::reply::Reply;

/// The daemon's default control socket.
pub const DEFAULT_SOCKET: &str = "/run/portcullis/portcullis.sock";

/// Options every client command takes.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// The daemon's control socket.
    #[arg(long, default_value = DEFAULT_SOCKET)]
    pub socket: PathBuf,
    /// Print the daemon's JSON reply as is.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Only this jail, with its banned addresses.
    pub jail: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct BanArgs {
    pub jail: String,
    pub addr: IpAddr,
    /// How long (10m, 1h30m, permanent); default: the jail's bantime.
    #[arg(long = "for", value_name = "DURATION")]
    pub bantime: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct UnbanArgs {
    /// The jail (with --all: only this jail's bans).
    pub jail: Option<String>,
    pub addr: Option<IpAddr>,
    /// Lift every ban (of JAIL, or of all jails).
    #[arg(long, conflicts_with = "addr")]
    pub all: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct BannedArgs {
    /// Which jails ban this address; without it, every ban.
    pub addr: Option<IpAddr>,
    /// Every ban with its start, its end and the time left (UTC; start
    /// from the daemon's records, "unknown" when it has none).
    #[arg(long, conflicts_with = "addr")]
    pub times: bool,
    /// With --times: only this jail's bans.
    #[arg(long, requires = "times", value_name = "JAIL")]
    pub jail: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct PingArgs {
    /// Seconds to wait for the answer; a daemon that accepts but does not
    /// answer by then (hung, stopped) counts as none (exit 3).
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub timeout: u64,
    #[command(flatten)]
    pub common: Common,
}

/// `pause JAIL`, `resume JAIL`.
#[derive(Debug, clap::Args)]
pub struct JailArgs {
    pub jail: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct ReloadArgs {
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    pub jail: String,
    /// maxretry, findtime, bantime or ignore.
    pub key: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct SetArgs {
    pub jail: String,
    /// maxretry, findtime, bantime or ignore.
    pub key: String,
    /// The new value; for ignore, "+ADDR ..." adds, "-ADDR ..." removes.
    pub value: String,
    #[command(flatten)]
    pub common: Common,
}

/// Why the daemon could not be asked (exit code 3; 4 for
/// [`ClientError::PermissionDenied`]).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "portcullis is not running (nothing answers on {}); start it with `portcullis daemon` or `systemctl start portcullis`",
        .socket.display()
    )]
    NotRunning { socket: PathBuf },
    #[error("permission denied on {}: the control socket is root's; run this as root", .socket.display())]
    PermissionDenied { socket: PathBuf },
    #[error("cannot connect to {}", .socket.display())]
    Connect {
        socket: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot send the request to {}", .socket.display())]
    Send {
        socket: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot read the reply from {}", .socket.display())]
    Read {
        socket: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the daemon's reply is not valid")]
    InvalidReply(#[source] serde_json::Error),
    #[error(
        "no answer on {} within {seconds} s: the daemon accepts connections but does not answer (stopped or hung?)",
        .socket.display()
    )]
    NoAnswer { socket: PathBuf, seconds: u64 },
}

/// Sends `request` and returns the daemon's response line.
pub fn call(socket: &Path, request: &Request) -> Result<Response, ClientError> {
    call_within(socket, request, None)
}

/// [`call`], waiting at most `timeout` for each read and write.
pub fn call_within(
    socket: &Path,
    request: &Request,
    timeout: Option<Duration>,
) -> Result<Response, ClientError> {
    let path = || socket.to_path_buf();
    let mut stream = UnixStream::connect(socket).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => {
            ClientError::NotRunning { socket: path() }
        }
        io::ErrorKind::PermissionDenied => ClientError::PermissionDenied { socket: path() },
        _ => ClientError::Connect {
            socket: path(),
            source,
        },
    })?;
    let timed_out = |source: io::Error| match (timeout, source.kind()) {
        (Some(t), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => ClientError::NoAnswer {
            socket: path(),
            seconds: t.as_secs(),
        },
        _ => ClientError::Read {
            socket: path(),
            source,
        },
    };
    (stream.set_read_timeout(timeout)).map_err(timed_out)?;
    (stream.set_write_timeout(timeout)).map_err(timed_out)?;
    let mut line = serde_json::to_vec(request).expect("requests serialize");
    line.push(b'\n');
    (stream.write_all(&line)).map_err(|source| ClientError::Send {
        socket: path(),
        source,
    })?;
    let mut reply = String::new();
    (BufReader::new(stream).read_line(&mut reply)).map_err(timed_out)?;
    serde_json::from_str(&reply).map_err(ClientError::InvalidReply)
}

/// Sends `request` and reads its reply: the answer, or the daemon's error
/// text.
pub fn ask(socket: &Path, request: &Request) -> Result<Result<Reply, String>, ClientError> {
    let response = call(socket, request)?;
    match response.error {
        Some(error) => Ok(Err(error)),
        None => Reply::decode(request, response.data)
            .map(Ok)
            .map_err(ClientError::InvalidReply),
    }
}

impl ClientError {
    /// The exit code: 4 when not allowed, else 3 (no answer).
    pub fn exit(&self) -> Exit {
        match self {
            ClientError::PermissionDenied { .. } => Exit::PermissionDenied,
            _ => Exit::NoDaemon,
        }
    }
}

/// The exit code of a response: 0 answered, 4 refused as not root's to
/// ask, 1 refused otherwise.
pub fn response_exit(response: &Response) -> Exit {
    match (response.ok, response.denied) {
        (true, _) => Exit::Done,
        (false, true) => Exit::PermissionDenied,
        (false, false) => Exit::Failed,
    }
}

/// Sends, prints the reply (`--json`: the response line as is; else
/// rendered), maps to an exit code ([`Exit`]).
fn run(common: &Common, request: Request) -> miette::Result<ExitCode> {
    run_within(common, request, None)
}

/// [`run`], waiting at most `timeout` for the answer.
fn run_within(
    common: &Common,
    request: Request,
    timeout: Option<Duration>,
) -> miette::Result<ExitCode> {
    let response = match call_within(&common.socket, &request, timeout) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}", crate::error_chain(&e));
            return Ok(e.exit().into());
        }
    };
    let exit = response_exit(&response);
    if common.json {
        super::print_line(&serde_json::to_string_pretty(&response).expect("JSON"))?;
        return Ok(exit.into());
    }
    if let Some(error) = response.error {
        eprintln!("{error}");
        return Ok(exit.into());
    }
    let reply = match Reply::decode(&request, response.data) {
        Ok(reply) => reply,
        Err(e) => {
            let e = ClientError::InvalidReply(e);
            eprintln!("{}", crate::error_chain(&e));
            return Ok(e.exit().into());
        }
    };
    let text = super::render::human(&request, &reply);
    if !text.is_empty() {
        super::print_line(&text)?;
    }
    Ok(exit.into())
}

pub fn status(a: StatusArgs) -> miette::Result<ExitCode> {
    let all = a.jail.is_none();
    let code = run(&a.common, Request::Status { jail: a.jail })?;
    // The fleet after the jails (`--json`: its own request, `cluster`).
    if all
        && !a.common.json
        && code == ExitCode::SUCCESS
        && let Ok(Ok(fleet @ Reply::Cluster(Some(_)))) = ask(&a.common.socket, &Request::Cluster)
    {
        super::print_line(&super::render::human(&Request::Cluster, &fleet))?;
    }
    Ok(code)
}

pub fn ban(a: BanArgs) -> miette::Result<ExitCode> {
    let request = Request::Ban {
        jail: a.jail,
        addr: a.addr,
        bantime: a.bantime,
    };
    run(&a.common, request)
}

pub fn unban(a: UnbanArgs) -> miette::Result<ExitCode> {
    let request = match (a.all, a.jail, a.addr) {
        (true, jail, None) => Request::UnbanAll { jail },
        (false, Some(jail), Some(addr)) => Request::Unban { jail, addr },
        _ => {
            eprintln!("usage: portcullis unban JAIL ADDR, or portcullis unban [JAIL] --all");
            return Ok(Exit::Usage.into());
        }
    };
    run(&a.common, request)
}

pub fn banned(a: BannedArgs) -> miette::Result<ExitCode> {
    match a.times {
        true => run(&a.common, Request::BanTimes { jail: a.jail }),
        false => run(&a.common, Request::Banned { addr: a.addr }),
    }
}

pub fn ping(a: PingArgs) -> miette::Result<ExitCode> {
    let timeout = Duration::from_secs(a.timeout.max(1));
    run_within(&a.common, Request::Ping, Some(timeout))
}

pub fn pause(a: JailArgs) -> miette::Result<ExitCode> {
    run(&a.common, Request::Pause { jail: a.jail })
}

pub fn resume(a: JailArgs) -> miette::Result<ExitCode> {
    run(&a.common, Request::Resume { jail: a.jail })
}

pub fn reload(a: ReloadArgs) -> miette::Result<ExitCode> {
    run(&a.common, Request::Reload)
}

pub fn get(a: GetArgs) -> miette::Result<ExitCode> {
    let (jail, key) = (a.jail, a.key);
    run(&a.common, Request::Get { jail, key })
}

pub fn set(a: SetArgs) -> miette::Result<ExitCode> {
    let (jail, key, value) = (a.jail, a.key, a.value);
    run(&a.common, Request::Set { jail, key, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::reply::ControlError;

    #[test]
    fn permission_errors_exit_4_and_no_answer_exits_3() {
        let socket = || PathBuf::from("/run/portcullis/portcullis.sock");
        let denied = ClientError::PermissionDenied { socket: socket() };
        assert_eq!(denied.exit(), Exit::PermissionDenied);
        assert_eq!(
            ClientError::NotRunning { socket: socket() }.exit(),
            Exit::NoDaemon
        );
        let hung = ClientError::NoAnswer {
            socket: socket(),
            seconds: 5,
        };
        assert_eq!(hung.exit(), Exit::NoDaemon);
        assert_eq!(
            hung.to_string(),
            "no answer on /run/portcullis/portcullis.sock within 5 s: the daemon accepts connections but does not answer (stopped or hung?)"
        );
        let refused = Response::of(&Err(ControlError::PermissionDenied { uid: 1000 }));
        assert_eq!(response_exit(&refused), Exit::PermissionDenied);
        let unknown = Response::of(&Err(ControlError::BadBantime("x".into())));
        assert_eq!(response_exit(&unknown), Exit::Failed);
        assert_eq!(
            response_exit(&Response::ok(serde_json::json!(1))),
            Exit::Done
        );
    }
}
