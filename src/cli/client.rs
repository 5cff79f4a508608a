//! The commands that talk to a running daemon over its control socket:
//! `status`, `ban`, `unban`, `banned`, `reload`, `get`, `set`. Each sends
//! one JSON request and prints the reply (as is with `--json`).

use std::io::{self, BufRead, BufReader, Write};
use std::net::IpAddr;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::Value;

use crate::server::protocol::{Request, Response};

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

/// Sends `request` and returns the reply, or a plain message when the
/// daemon cannot be reached.
pub fn call(socket: &std::path::Path, request: &Request) -> Result<Response, String> {
    let mut stream = UnixStream::connect(socket).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => format!(
            "portcullis is not running (nothing answers on {}); start it with `portcullis daemon` or `systemctl start portcullis`",
            socket.display()
        ),
        io::ErrorKind::PermissionDenied => format!(
            "permission denied on {}: the control socket is root's; run this as root",
            socket.display()
        ),
        _ => format!("cannot connect to {}: {e}", socket.display()),
    })?;
    let mut line = serde_json::to_vec(request).expect("requests serialize");
    line.push(b'\n');
    stream
        .write_all(&line)
        .map_err(|e| format!("cannot send the request to {}: {e}", socket.display()))?;
    let mut reply = String::new();
    BufReader::new(stream)
        .read_line(&mut reply)
        .map_err(|e| format!("cannot read the reply from {}: {e}", socket.display()))?;
    serde_json::from_str(&reply).map_err(|e| format!("the daemon's reply is not valid: {e}"))
}

/// Sends, prints the reply (`--json`: as is; else through `human`), maps to an exit code.
fn run(common: &Common, request: Request, human: fn(&Value) -> String) -> miette::Result<ExitCode> {
    let response = match call(&common.socket, &request) {
        Ok(r) => r,
        Err(message) => {
            eprintln!("{message}");
            return Ok(ExitCode::from(3));
        }
    };
    if common.json {
        super::print_line(&serde_json::to_string_pretty(&response).expect("JSON"))?;
    } else if let Some(error) = &response.error {
        eprintln!("{error}");
    } else {
        let text = human(&response.data);
        if !text.is_empty() {
            super::print_line(&text)?;
        }
    }
    Ok(if response.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub fn status(a: StatusArgs) -> miette::Result<ExitCode> {
    run(&a.common, Request::Status { jail: a.jail }, |data| {
        let mut out = Vec::new();
        for j in data.as_array().into_iter().flatten() {
            let s = &j["stats"];
            out.push(format!(
                "{}: {} banned, {} tracked; {} failures, {} bans since start (filter {}, sources {})",
                j["jail"].as_str().unwrap_or("?"),
                j["banned"],
                s["tracked"],
                s["failures_total"],
                s["ban_requests_total"],
                j["filter"].as_str().unwrap_or("?"),
                j["sources"].as_array().into_iter().flatten().filter_map(Value::as_str).collect::<Vec<_>>().join(", "),
            ));
            for b in j["addresses"].as_array().into_iter().flatten() {
                out.push(format!(
                    "  {:<40} {}",
                    b["address"].as_str().unwrap_or("?"),
                    left(&b["expires_ms"])
                ));
            }
        }
        if out.is_empty() {
            out.push("no jails running".into());
        }
        out.join("\n")
    })
}

fn left(expires_ms: &Value) -> String {
    match expires_ms.as_u64() {
        Some(ms) => format!(
            "{} left",
            crate::config::format_duration(std::time::Duration::from_secs(ms.div_ceil(1000)))
        ),
        None => "permanent".into(),
    }
}

pub fn ban(a: BanArgs) -> miette::Result<ExitCode> {
    let request = Request::Ban {
        jail: a.jail,
        addr: a.addr,
        bantime: a.bantime,
    };
    run(&a.common, request, |d| {
        format!(
            "banned {} in jail {} for {}",
            d["addr"].as_str().unwrap_or("?"),
            d["jail"].as_str().unwrap_or("?"),
            d["bantime"].as_str().unwrap_or("?")
        )
    })
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
    run(&a.common, request, |d| format!("{d} ban(s) lifted"))
}

pub fn banned(a: BannedArgs) -> miette::Result<ExitCode> {
    let one = a.addr.is_some();
    let human: fn(&Value) -> String = if one {
        |d| {
            let jails: Vec<&str> = d
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| b["jail"].as_str())
                .collect();
            if jails.is_empty() {
                "not banned".into()
            } else {
                format!("banned in: {}", jails.join(", "))
            }
        }
    } else {
        |d| {
            d.as_array()
                .into_iter()
                .flatten()
                .map(|b| {
                    format!(
                        "{:<16} {:<40} {}",
                        b["jail"].as_str().unwrap_or("?"),
                        b["address"].as_str().unwrap_or("?"),
                        left(&b["expires_ms"])
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    run(&a.common, Request::Banned { addr: a.addr }, human)
}

pub fn reload(a: ReloadArgs) -> miette::Result<ExitCode> {
    run(&a.common, Request::Reload, |d| {
        d.as_str().unwrap_or_default().to_string()
    })
}

pub fn get(a: GetArgs) -> miette::Result<ExitCode> {
    run(
        &a.common,
        Request::Get {
            jail: a.jail,
            key: a.key,
        },
        |d| d.as_str().unwrap_or_default().to_string(),
    )
}

pub fn set(a: SetArgs) -> miette::Result<ExitCode> {
    run(
        &a.common,
        Request::Set {
            jail: a.jail,
            key: a.key,
            value: a.value,
        },
        |d| d.as_str().unwrap_or_default().to_string(),
    )
}
