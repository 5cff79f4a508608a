//! The commands that talk to a running daemon over its control socket:
//! `status`, `ban`, `unban`, `banned`, `reload`, `get`, `set`. Each sends
//! one JSON request and prints the typed reply ([`super::render`]), or the
//! response line as is with `--json`.

use std::io::{self, BufRead, BufReader, Write};
use std::net::IpAddr;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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

/// Why the daemon could not be asked (exit code 3).
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
}

/// Sends `request` and returns the daemon's response line.
pub fn call(socket: &Path, request: &Request) -> Result<Response, ClientError> {
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
    let mut line = serde_json::to_vec(request).expect("requests serialize");
    line.push(b'\n');
    (stream.write_all(&line)).map_err(|source| ClientError::Send {
        socket: path(),
        source,
    })?;
    let mut reply = String::new();
    (BufReader::new(stream).read_line(&mut reply)).map_err(|source| ClientError::Read {
        socket: path(),
        source,
    })?;
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

/// Sends, prints the reply (`--json`: the response line as is; else
/// rendered), maps to an exit code: 0 answered, 1 refused, 3 no answer.
fn run(common: &Common, request: Request) -> miette::Result<ExitCode> {
    let unreachable = |e: ClientError| {
        eprintln!("{}", crate::error_chain(&e));
        Ok(ExitCode::from(3))
    };
    if common.json {
        let response = match call(&common.socket, &request) {
            Ok(r) => r,
            Err(e) => return unreachable(e),
        };
        super::print_line(&serde_json::to_string_pretty(&response).expect("JSON"))?;
        return Ok(match response.ok {
            true => ExitCode::SUCCESS,
            false => ExitCode::FAILURE,
        });
    }
    match ask(&common.socket, &request) {
        Err(e) => unreachable(e),
        Ok(Err(error)) => {
            eprintln!("{error}");
            Ok(ExitCode::FAILURE)
        }
        Ok(Ok(reply)) => {
            let text = super::render::human(&request, &reply);
            if !text.is_empty() {
                super::print_line(&text)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
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
            return Ok(ExitCode::from(2));
        }
    };
    run(&a.common, request)
}

pub fn banned(a: BannedArgs) -> miette::Result<ExitCode> {
    run(&a.common, Request::Banned { addr: a.addr })
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
